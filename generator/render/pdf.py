"""The PDF: the site's Markdown rendered once more into a print HTML, then WeasyPrint.

Single source: the pages are converted with the very Markdown extensions the site uses (the base
mkdocs.yml's, which every client's inherits). Ids get a per-page prefix (slugs repeat across pages)
and links between pages become links inside the document. Cover, contents with page numbers, running
header and footer and the PDF outline come from `templates/pdf/`. A WeasyPrint warning about a missing
anchor or image fails the build: a handover document with dead references is not shipped.
"""

from __future__ import annotations

import atexit
import hashlib
import html as html_lib
import json
import os
import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import markdown

from generator.errors import InputError
from generator.formats import format_day
from generator.render import site, warnings_from
from generator.store import cache as cache_entry
from generator.store import frontmatter, guard
from generator.store.workspace import TEMPLATES_DIR
from generator.store.yamlio import atomic_write


class PdfError(InputError):
    """The output would have broken references (usually a link or image in authored Markdown): exit 2."""


@dataclass(frozen=True)
class PrintPage:
    path: str  # docs-relative Markdown path
    level: int  # 1 for chapters, 2 for pages inside a chapter
    listed: bool = True  # on the contents page (every page is in the bookmarks either way)


def page_id(path: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", path.removesuffix(".md"))


_ID = re.compile(r'\bid="([^"]*)"')
_HREF = re.compile(r'\bhref="([^"]*)"')
_SRC = re.compile(r'\bsrc="([^"]*)"')
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _sources(html: str) -> list[str]:
    """The images an HTML shows, sorted. Most pages show none: `in` looks for one at memory speed,
    where the pattern (a word boundary first) took 0.06 s a build on a large estate's parts."""
    return sorted(set(_SRC.findall(html))) if 'src="' in html else []


def rewrite(html: str, path: str, known: set[str], aliases: dict[str, str] | None = None) -> str:
    """Make one page's HTML live inside the single document. `aliases` send links to pages the
    document leaves out to what stands for them ({page: "page#fragment"}: the summary edition's register)."""
    pid = page_id(path)
    here = posixpath.dirname(path)

    def href(match: re.Match) -> str:
        target = match.group(1)
        if _EXTERNAL.match(target):
            return match.group(0)
        file, _, fragment = target.partition("#")
        if file.endswith(".html"):  # links written for the site (inside inline SVG) point at pages too
            file = file.removesuffix(".html") + ".md"
        if not file:
            return f'href="#{pid}--{fragment}"'
        resolved = posixpath.normpath(posixpath.join(here, file))
        if resolved not in known and aliases and resolved in aliases:
            resolved, _, fragment = aliases[resolved].partition("#")
        if resolved not in known:
            return match.group(0)  # left as is; WeasyPrint's warning will name it
        other = page_id(resolved)
        return f'href="#{other}--{fragment}"' if fragment else f'href="#{other}"'

    def src(match: re.Match) -> str:
        target = match.group(1)
        if _EXTERNAL.match(target):
            return match.group(0)
        return f'src="{posixpath.normpath(posixpath.join(here, target))}"'

    html = _ID.sub(lambda m: f'id="{pid}--{m.group(1)}"', html)
    html = _HREF.sub(href, html)
    return _SRC.sub(src, html)


def sections_for(docs: Path, pages: list[PrintPage], cache: cache_entry.Entries | None = None,
                 aliases: dict[str, str] | None = None) -> list[dict]:
    """Each page's HTML, converted with the site's own Markdown extensions and made to live in the PDF:
    ids prefixed per page, links between pages pointing at those ids. With `cache`, a page whose
    Markdown did not change is not converted again, and one whose HTML and links did not change is
    not made printable again (on a large estate both are seconds of a one-change rebuild)."""
    extensions, configs = site.markdown_settings()
    converter = markdown.Markdown(extensions=extensions, extension_configs=configs)
    settings = json.dumps([repr(extensions), repr(configs)], sort_keys=True)
    known = {p.path for p in pages}
    links = hashlib.sha256(json.dumps([CACHE_VERSION, sorted(known), sorted((aliases or {}).items())]).encode())
    sections, chapter = [], ""
    for page in pages:
        source = frontmatter.split((docs / page.path).read_text(encoding="utf-8"))[1]  # drop the front matter
        key = hashlib.sha256((settings + source).encode()).hexdigest()
        cached = cache.get(f"{key}.html") if cache else None
        if cached is not None:
            body = cached.decode("utf-8")
        else:
            converter.reset()
            body = converter.convert(source)
            if cache:
                cache.put(f"{key}.html", body.encode("utf-8"))
        title = _title(body)
        chapter = title if page.level == 1 else chapter
        printable = _printable_key(links.copy(), body, page, docs)
        cached = cache.get(printable) if cache else None
        html = cached.decode("utf-8") if cached is not None else _printable(body, page, known, aliases, docs)
        if cache and cached is None:
            cache.put(printable, html.encode("utf-8"))
        sections.append({"id": page_id(page.path), "level": page.level, "title": title, "html": html,
                         "chapter": chapter, "chapter_dir": posixpath.dirname(page.path) or "top",
                         "listed": page.listed})
    return sections


def _printable_key(digest, body: str, page: PrintPage, docs: Path) -> str:
    """What `_printable` depends on: the page's HTML and place, the document's pages and aliases (in
    `digest`), and the head of each drawing it shows (a narrow one is set beside its text)."""
    digest.update(f"{page.path}|{page.level}\0".encode() + body.encode())
    here = posixpath.dirname(page.path)
    for src in _sources(body):
        path = docs / posixpath.normpath(posixpath.join(here, src))
        if not _EXTERNAL.match(src) and path.is_file():
            digest.update(src.encode() + b"\0" + path.read_bytes()[:400])
    return digest.hexdigest() + ".print.html"


def _printable(body: str, page: PrintPage, known: set[str], aliases: dict[str, str] | None, docs: Path) -> str:
    """One page's HTML as the document prints it."""
    # Every link inside the document becomes `handover:<id>`: the parts are laid out apart and the
    # links are resolved to pages once they are put together.
    # "Open full size" is for the site: the PDF shows the diagram itself.
    body = _SVG_LINK.sub(r"\1", _FULL_SIZE.sub("", _FRESHNESS.sub("", body)))
    html = _narrow_figures(_INTERNAL.sub(r'href="handover:\1"', rewrite(body, page.path, known, aliases)), docs)
    # The page's anchor sits in its heading, not on its <section>: a section may begin at the foot of
    # one page while its heading is moved to the next, and contents and links must name that page.
    anchor = f'<span id="{page_id(page.path)}"></span>'
    html = _H1.sub(lambda m, a=anchor: m.group(0) + a, html, count=1) if _H1.search(html) else anchor + html
    return keep_together(html)


SMALL_TABLE, SHORT_LIST = 12, 6  # rows / items that are never split across pages
_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_CAPTION = re.compile(r'<p><strong>([^<]*)</strong></p>(\s*<div class="ho-diagram">)')  # a diagram's title
_LIST = re.compile(r"<(ul|ol)>((?:(?!<ul|<ol).)*?)</\1>", re.S)


NARROW = 340  # px: a flowchart this narrow sits beside the heading and table that describe it
_FIGURE = re.compile(r'<img([^>]*) class="ho-figure"([^>]*)>')
_SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([0-9.]+)"')
_BESIDE = re.compile(r'(<h3[^>]*>[^<]*</h3>)\s*(<p><img[^>]*class="ho-figure ho-narrow"[^>]*/?></p>)\s*'
                     r'(<table.*?</table>|<p>.*?</p>)', re.S)


def _narrow_figures(html: str, docs: Path) -> str:
    """A narrow flowchart and its heading and table side by side: two columns, kept on one page."""
    def mark(match: re.Match) -> str:
        src = re.search(r'src="([^"]+)"', match.group(0))
        path = docs / src.group(1) if src else None
        head = path.read_text(encoding="utf-8")[:400] if path and path.is_file() else ""
        width = _SVG_WIDTH.search(head)
        narrow = width and float(width.group(1)) <= NARROW
        return match.group(0).replace('class="ho-figure"', 'class="ho-figure ho-narrow"') if narrow else match.group(0)
    return _BESIDE.sub(r'<div class="ho-beside"><div class="ho-beside-text">\1\3</div>'
                       r'<div class="ho-beside-figure">\2</div></div>', _FIGURE.sub(mark, html))


_TEXT = re.compile(r">[^<]+<")
_SVG_BLOCK = re.compile(r"(<svg\b.*?</svg>)", re.S)
_LONG = re.compile(r"[^\s<>]{18,}")  # e-mails, URLs, ids: long runs without a space


_UNBROKEN = re.compile(r"([A-Za-z0-9]{40})(?=[A-Za-z0-9])")  # letters and digits only: never inside an entity


def _breakable(match: re.Match) -> str:
    """Break opportunities after the separators of a long identifier, so a narrow column breaks it at
    `@`, `/`, `.` or `_` rather than between any two letters; and every 40 letters or digits of a run
    with none (a name of the platform's data can be any length), which a table cell would otherwise
    widen to hold whole, pushing the other columns off the page."""
    return _UNBROKEN.sub(r"\1<wbr>", re.sub(r"(?<=[/@._:])(?=[^\s/@._:;&])", "<wbr>", match.group(0)))


def keep_together(html: str) -> str:
    """Mark small tables and short lists, which print.css keeps on one page (a long table breaks
    between rows and repeats its header), and key/value tables (their header row is empty)."""
    def table(match: re.Match) -> str:
        classes = [name for name, yes in (
            ("ho-small", match.group(1).count("<tr") - 1 <= SMALL_TABLE),
            ("ho-kv", re.match(r"\s*<thead>\s*<tr>\s*(<th></th>\s*)+</tr>", match.group(1)) is not None)) if yes]
        return f'<table class="{" ".join(classes)}">{match.group(1)}</table>' if classes else match.group(0)
    # Inline SVG (the maps) is left alone: an HTML element inside its text would drop the text.
    html = "".join(part if part.startswith("<svg") else _TEXT.sub(lambda m: _LONG.sub(_breakable, m.group(0)), part)
                   for part in _SVG_BLOCK.split(html))
    html = _TABLE.sub(table, html)
    html = _CAPTION.sub(r'<p class="ho-caption">\1</p>\2', html)
    return _LIST.sub(lambda m: f'<{m.group(1)} class="ho-short">{m.group(2)}</{m.group(1)}>'
                     if m.group(2).count("<li") <= SHORT_LIST else m.group(0), html)


def _title(html: str) -> str:
    """The page's first heading as plain text (HTML entities kept; the template escapes only once)."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
    return html_lib.unescape(text).strip()


_H1 = re.compile(r"<h1[^>]*>")
_INTERNAL = re.compile(r'href="#([^"]+)"')
FATAL = re.compile(r"(No anchor|Failed to load image|Failed to load stylesheet|Unknown rendering option|Ignored)", re.I)
# Parts carry no footer (an overlay adds it: snapshot, revision, page x of y) and start where they are.
PART_CSS = ("@page { @bottom-right { content: none } @bottom-left { content: none } } "
            "section.page.first { break-before: auto !important; }")
# The footer, drawn over the parts in two layers. The page numbers: one empty block per page of the
# document, so its page x is the document's page x and counter(pages) is the document's length; it
# changes only when the length does. The rest (marking, snapshot and revision) is the same on every
# page: one page, drawn on each; a new revision lays out that page alone.
NUMBERS_CSS = ("@page { @top-left { content: none } @top-right { content: none } @bottom-left { content: none } } "
               "div.n { break-before: page; height: 1px; } div.n:first-child { break-before: auto; }")
FOOTER_CSS = "@page { @top-left { content: none } @top-right { content: none } @bottom-right { content: none } }"
_FULL_SIZE = re.compile(r'<p><a [^>]*class="ho-diagram-link"[^>]*>.*?</a></p>', re.S)
_SVG_LINK = re.compile(r'<a href="[^"]*\.svg"[^>]*>(.*?)</a>', re.S)
_FRESHNESS = re.compile(r'<p class="ho-freshness">.*?</p>', re.S)  # hidden in print; its revision would bust the cache
CACHE_VERSION = "7"  # bump when a part's PDF, or a page made printable (`_printable`), depends on something new


@dataclass
class Part:
    """One laid-out piece of the PDF, as cached: its bytes, page count, anchors and bookmarks."""

    pdf: bytes
    pages: int
    sizes: list  # (width, height) in points per page
    anchors: dict  # anchor → [page index, x, y] (points from the bottom left)
    bookmarks: list  # [bookmark-level, label, page index, x, y]
    warnings: list  # what WeasyPrint said: kept, so a cached part with a broken reference still fails
    links: list = field(default_factory=list)  # ids it links to, in other parts or its own


def _environment():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "pdf"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["day"] = format_day  # the one date format of the pages
    return env


def _key(html: str, docs: Path, extra: str = "") -> str:
    """What a part's layout depends on: its HTML, the images it references, the print CSS and fonts."""
    import weasyprint

    digest = hashlib.sha256(f"{CACHE_VERSION}|{weasyprint.__version__}|{extra}".encode())
    digest.update(html.encode())
    digest.update((TEMPLATES_DIR / "pdf" / "print.css").read_bytes())
    for src in _sources(html):
        path = docs / src
        if path.is_file():
            digest.update(src.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_STYLES: dict = {}
atexit.register(_STYLES.clear)  # let WeasyPrint release its fonts before the interpreter tears down


def _styles(extra_css: str):
    """The stylesheets and one font configuration, made once per process: loading the fonts for every
    part would cost more than laying most parts out."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = _STYLES.setdefault("fonts", FontConfiguration())
    if extra_css not in _STYLES:
        with _font_time():  # the @font-face fonts are converted as they are loaded
            _STYLES[extra_css] = [CSS(filename=str(TEMPLATES_DIR / "pdf" / "print.css"), font_config=fonts),
                                  CSS(string=extra_css, font_config=fonts)]
    return _STYLES[extra_css], fonts


def warm_up() -> None:
    """Load WeasyPrint, the fonts, the print CSS, the Markdown extensions and pikepdf, and lay out a
    line of text (which loads the font files): a PDF process does it while the pages are written, and
    the processes it forks to lay out parts start warm."""
    import pikepdf  # noqa: F401  imported by `assemble`

    _styles(PART_CSS)
    site.markdown_settings()
    _lay_out("<p>Handover <strong>warm</strong></p>", TEMPLATES_DIR, PART_CSS)


FONT_TIME = "0"  # SOURCE_DATE_EPOCH while a part is written (see `_font_time`)


@contextmanager
def _font_time() -> Iterator[None]:
    """The embedded fonts' own timestamp fixed. WeasyPrint converts the @font-face fonts as it loads
    them and makes the variable Inter static as it writes a part, both with fontTools, which stamps
    the time (or SOURCE_DATE_EPOCH) in each font: a PDF made a second later had other bytes, and a
    rebuild from the cache differed from a clean one."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FONT_TIME
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _lay_out(html: str, docs: Path, extra_css: str) -> Part:
    from weasyprint import HTML

    stylesheets, fonts = _styles(extra_css)
    with warnings_from("weasyprint") as seen, _font_time():
        document = HTML(string=html, base_url=str(docs) + "/").render(stylesheets=stylesheets, font_config=fonts)
        scale = 0.75  # CSS px → PDF points
        sizes = [(p.width * scale, p.height * scale) for p in document.pages]
        anchors: dict[str, list] = {}
        for i, page in enumerate(document.pages):  # an element spanning pages is listed on each: keep its first
            for name, (x, y, *_) in page.anchors.items():
                anchors.setdefault(name, [i, x * scale, sizes[i][1] - y * scale])
        links = _named_links(document)
        data = document.write_pdf()
    # Each bookmark keeps its CSS bookmark-level, not its depth inside this part: a part holding only
    # workflow pages would otherwise make them top-level entries.
    bookmarks = [[level, label, i, x * scale, sizes[i][1] - y * scale]
                 for i, page in enumerate(document.pages) for level, label, (x, y), _ in page.bookmarks]
    return Part(data, len(document.pages), sizes, anchors, bookmarks, list(seen), links)


def _named_links(document) -> list[str]:
    """Links inside the document (`handover:<id>`) written as links to named destinations, which the
    joined document defines (`assemble`): its pages are copied as they are, no link is rewritten.
    WeasyPrint writes an internal link only to an anchor of its own document, so one to another part
    gets a stand-in anchor here, which stays behind in the part's own name tree. Returns the ids."""
    targets, own = [], {name for page in document.pages for name in page.anchors}
    for page in document.pages:
        for index, (kind, target, rectangle, box) in enumerate(page.links):
            if kind == "external" and target.startswith("handover:"):
                target = target.removeprefix("handover:")
                page.links[index] = ("internal", target, rectangle, box)
                targets.append(target)
    if document.pages:
        for target in sorted(set(targets) - own):
            document.pages[0].anchors[target] = (0, 0, 0, 0)
    return sorted(set(targets))


class PartCache:
    """Laid-out parts on disk, keyed by content hash: an unchanged part is never laid out again."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[str] = set()
        self.misses = 0
        self._read: dict[str, Part] = {}

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.pdf", self.folder / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether an intact entry is there: a damaged one (cut short, edited) counts as a miss."""
        if key not in self._read:
            pdf_path, meta_path = self._paths(key)
            pdf, meta = cache_entry.get(pdf_path), cache_entry.get(meta_path)
            if pdf is None or meta is None:
                return False
            try:
                info = json.loads(meta)
                self._read[key] = Part(pdf, int(info["pages"]), list(info["sizes"]), dict(info["anchors"]),
                                       list(info["bookmarks"]), list(info["warnings"]), list(info["links"]))
            except (ValueError, KeyError, TypeError):
                return False
        return True

    def get(self, key: str, use: bool = True) -> Part:
        """The part; `use`: it is in this build's PDF (kept, counted), not only tried."""
        if not self.has(key):
            raise KeyError(f"no intact PDF part {key} in the cache")
        if use:
            self.used.add(key)
        return self._read[key]

    def put(self, key: str, part: Part) -> None:
        self.misses += 1
        pdf_path, meta_path = self._paths(key)
        cache_entry.put(pdf_path, part.pdf)
        cache_entry.put(meta_path, json.dumps({"pages": part.pages, "sizes": part.sizes, "anchors": part.anchors,
                                               "bookmarks": part.bookmarks, "warnings": part.warnings,
                                               "links": part.links}).encode())
        self._read.pop(key, None)

    def prune(self) -> None:
        """Forget parts this build did not use (the cache holds one build's worth)."""
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.stem not in self.used:
                    path.unlink(missing_ok=True)


CHUNK = 6  # pages of one chapter laid out together: fewer font subsets, still little to redo
CHUNK_HTML = 80_000  # characters: a run of long pages (a large estate's register) is cut sooner


def chunks(sections: list[dict]) -> list[list[dict]]:
    """Parts to lay out: each chapter's own page alone, its pages in runs of CHUNK, or fewer when they
    are long (a part changed is laid out whole). Runs restart at every chapter, so a change in one
    chapter never moves the parts of another."""
    groups: list[list[dict]] = []
    for section in sections:
        run = groups[-1] if groups else []
        if (section["level"] == 1 or not run or run[0]["level"] == 1 or len(run) >= CHUNK
                or sum(len(s["html"]) for s in run) + len(section["html"]) > CHUNK_HTML):
            groups.append([section])
        else:
            run.append(section)
    return groups


def _lay_out_all(jobs: list[tuple[str, str]], docs: Path, parallel: bool) -> dict[str, Part]:
    """Parts not in the cache, laid out on both cores when there are enough of them (the longest
    first, so that the short ones fill in rather than leave a core idle at the end)."""
    jobs = sorted(jobs, key=lambda job: -len(job[1]))
    if parallel and len(jobs) >= 2:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=2) as pool:
            laid = pool.map(_lay_out, [h for _, h in jobs], [docs] * len(jobs), [PART_CSS] * len(jobs),
                            chunksize=1 if len(jobs) < 16 else 2)
            return dict(zip((k for k, _ in jobs), laid, strict=True))
    return {key: _lay_out(html, docs, PART_CSS) for key, html in jobs}


def render_pdf(docs: Path, pages: list[PrintPage], context: dict, out: Path, parallel: bool = True,
               aliases: dict[str, str] | None = None) -> dict:
    """Lay out the front (cover, contents, document control) and the sections as parts, reusing
    unchanged ones from `<out folder>/.cache/pdf/`, then put them together: page numbers, footer,
    links, outline, metadata.
    `docs`: the site's docs folder; `aliases`: see `rewrite`."""
    env = _environment()
    (out.parent / ".cache" / "jinja-pdf").mkdir(parents=True, exist_ok=True)  # compiled templates (see pages.py)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(out.parent / ".cache" / "jinja-pdf"))
    cache = PartCache(out.parent / ".cache" / "pdf")
    html_cache = cache_entry.Entries(out.parent / ".cache" / "pdf-html")
    sections = sections_for(docs, pages, html_cache, aliases)
    html_cache.prune()
    groups = chunks(sections)
    htmls = [env.get_template("part.html.j2").render(sections=g, **context) for g in groups]
    front = env.get_template("handover.html.j2")
    # The cover and document control do not depend on page numbers: laid out with the sections' parts.
    cover, control = (front.render(pieces=[piece], sections=sections, **context) for piece in ("cover", "control"))
    keys = [_key(h, docs, PART_CSS) for h in [cover, control, *htmls]]
    missing = [(k, h) for k, h in dict(zip(keys, [cover, control, *htmls], strict=True)).items() if not cache.has(k)]
    for key, part in _lay_out_all(missing, docs, parallel).items():
        cache.put(key, part)
    cover_part, control_part, *parts = [cache.get(k) for k in keys]

    # The contents' own length moves every page number after it: start from the last build's length,
    # so that a build that does not change it lays the contents out once.
    front_record = out.parent / ".cache" / "pdf-front-pages"
    try:
        front_pages = max(1, int(front_record.read_text()))
    except (OSError, ValueError):
        front_pages = cover_part.pages + 1 + control_part.pages
    for _ in range(4):
        offset = front_pages
        for group, part in zip(groups, parts, strict=True):
            for section in group:
                section["page"] = offset + part.anchors[section["id"]][0] + 1
            offset += part.pages
        html = front.render(pieces=["contents"], sections=sections, **context)
        key = _key(html, docs, PART_CSS)
        if not cache.has(key):
            cache.put(key, _lay_out(html, docs, PART_CSS))
        contents = cache.get(key, use=False)  # contents laid out for a wrong guess are not kept
        pages_now = cover_part.pages + contents.pages + control_part.pages
        if pages_now == front_pages:
            break
        front_pages = pages_now
    contents = cache.get(key)
    front_parts = [cover_part, contents, control_part]
    atomic_write(front_record, str(front_pages).encode())
    total = front_pages + sum(p.pages for p in parts)
    numbers, footer = _numbers(total, docs, cache), _footer(context, docs, cache)
    fatal = [m for part in [*front_parts, *parts, footer] for m in part.warnings if FATAL.search(m)]
    data, dead = assemble([*front_parts, *parts], numbers, footer, context)
    fatal += [f"No anchor #{name} for a link in the PDF" for name in dead]
    print_html = front.render(pieces=["cover", "contents", "control"], sections=sections, **context) + "\n".join(htmls)
    guard.check(print_html, out)  # the PDF's text is this HTML's text
    (out.parent / "print.html").write_text(print_html, encoding="utf-8")  # kept for debugging the layout
    if fatal:
        raise PdfError("the PDF has broken references:\n  " + "\n  ".join(dict.fromkeys(fatal)))
    tmp = out.with_suffix(".pdf.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    cache.prune()
    return {"parts": len(cache.used), "laid_out": cache.misses}  # sections' parts, front(s), footer overlay


def _numbers(total: int, docs: Path, cache: PartCache) -> Part:
    """The page-number layer ("Page x of N"), exactly `total` pages."""
    html = '<div class="n"></div>' * total
    key = _key(html, docs, NUMBERS_CSS)
    if not cache.has(key):
        cache.put(key, _lay_out(html, docs, NUMBERS_CSS))
    numbers = cache.get(key)
    if numbers.pages != total:  # a footer layer off by a page stamps every page wrongly: never ship that
        raise PdfError(f"the footer layer has {numbers.pages} pages for a {total}-page document")
    return numbers


def _footer(context: dict, docs: Path, cache: PartCache) -> Part:
    """The rest of the footer (confidentiality, snapshot and revision): one page, the same on every page."""
    strings = "".join(f'<p class="{name}">{html_lib.escape(text)}</p>' for name, text in (
        ("cover-snapshot", f"{context['taken']} · revision {context['revision']}"),
        ("cover-marking", context["marking"])))
    html = f'<div class="n">{strings}</div>'
    key = _key(html, docs, FOOTER_CSS)
    if not cache.has(key):
        cache.put(key, _lay_out(html, docs, FOOTER_CSS))
    return cache.get(key)


def assemble(parts: list[Part], numbers: Part, footer: Part, context: dict) -> tuple[bytes, list[str]]:
    """One PDF from the parts: page numbers stamped from `numbers` and the rest of the footer from
    `footer` (one page, on every page), the named destinations of the parts' links defined, the
    outline rebuilt with page offsets. Returns the bytes and missing anchors.
    qpdf (pikepdf) copies the pages: thousands of pages take seconds, where a pure-Python merge
    parsed and cloned every object of every part on each build."""
    import io
    import warnings

    from pikepdf import Array, Dictionary, Name, OutlineItem, PageCopyWarning, Pdf, String

    document = Pdf.new()
    sources = []  # kept open until saved: the copied pages still read their streams from them
    anchors: dict[str, tuple[int, float, float]] = {}
    outline: list[tuple[int, str, int, float, float]] = []
    offset = 0
    for part in parts:
        source = Pdf.open(io.BytesIO(part.pdf))
        sources.append(source)
        with warnings.catch_warnings():  # a part's named destinations stay behind: this document defines its own
            warnings.simplefilter("ignore", PageCopyWarning)
            document.pages.extend(source.pages)
        for name, (index, x, y) in part.anchors.items():
            anchors.setdefault(name, (offset + index, x, y))
        outline += [(depth, label, offset + index, x, y) for depth, label, index, x, y in part.bookmarks]
        offset += part.pages
    stamps, rest = Pdf.open(io.BytesIO(numbers.pdf)), Pdf.open(io.BytesIO(footer.pdf))
    sources += [stamps, rest]
    shared = document.copy_foreign(rest.pages[0].as_form_xobject())  # one object, drawn on every page
    pages = list(document.pages)
    for index, page in enumerate(pages):
        if index > 0:  # the cover carries no footer
            # The footer layers as forms drawn over the page, unscaled, after the page's own drawing (isolated
            # in q … Q: it may leave its coordinate system changed). Named by the page's number, not by
            # pikepdf's random names, so that the same input gives the same bytes.
            number = page.add_resource(document.copy_foreign(stamps.pages[index].as_form_xobject()), Name.XObject,
                                       Name(f"/HandoverNumber{index}"))
            rest_name = page.add_resource(shared, Name.XObject, Name("/HandoverFooter"))
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(f"\nQ q {number} Do Q q {rest_name} Do Q".encode())

    # One name tree for the links of every part (sorted, as a name tree must be): the named
    # destinations they point at, each where its anchor landed.
    linked = sorted({target for part in parts for target in part.links}, key=_name_order)
    missing = [name for name in linked if name not in anchors]
    document.Root.Names = Dictionary(Dests=Dictionary(Names=Array([
        item for name in linked if name in anchors
        for item in (String(name), Array([pages[anchors[name][0]].obj, Name.XYZ, round(anchors[name][1], 2),
                                          round(anchors[name][2], 2), None]))])))

    with document.open_outline() as tree:
        open_items: list[tuple[int, OutlineItem]] = []  # (level, item): the chain of entries a new one may nest in
        for level, label, index, x, y in outline:
            while open_items and open_items[-1][0] >= level:
                open_items.pop()
            item = OutlineItem(label, index, "XYZ", left=round(x, 2), top=round(y, 2))
            (open_items[-1][1].children if open_items else tree.root).append(item)
            open_items.append((level, item))

    info = {"/Title": f"{context['client_name']} — automation handover", "/Author": context["author"],
            "/Subject": f"Handover of the automations built for {context['client_name']}",
            "/Keywords": context["keywords"],
            "/Creator": f"Handover {context['version']}", "/Producer": f"Handover {context['version']}",
            "/CreationDate": _pdf_date(context["taken_iso"]), "/ModDate": _pdf_date(context["taken_iso"])}
    for key, value in info.items():
        document.docinfo[Name(key)] = String(value)
    document.Root.Lang = String(context["language"])
    buffer = io.BytesIO()
    # An /ID made from the content: same input, same bytes.
    document.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=_object_streams())
    for source in sources:
        source.close()
    return buffer.getvalue(), missing


def _name_order(name: str) -> bytes:
    """A name tree's order: that of the keys' bytes as the PDF stores them (PDFDocEncoding when it
    holds the text, UTF-16BE with a byte-order mark otherwise)."""
    try:
        return name.encode("ascii")
    except UnicodeEncodeError:
        return b"\xfe\xff" + name.encode("utf-16-be")


def _object_streams():
    from pikepdf import ObjectStreamMode

    return ObjectStreamMode.generate


def _pdf_date(iso: str) -> str:
    return "D:" + re.sub(r"[-:TZ]", "", iso) + "Z"
