"""The PDF: the site's Markdown rendered once more into a print HTML, then WeasyPrint.

Single source: the pages are converted with the very Markdown extensions the site uses (read from the
client's mkdocs.yml). Ids get a per-page prefix (slugs repeat across pages) and links between pages
become links inside the document. Cover, contents with page numbers, running header and footer and the
PDF outline come from `templates/pdf/`. A WeasyPrint warning about a missing anchor or image fails the
build: a handover document with dead references is not shipped.
"""

from __future__ import annotations

import html as html_lib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markdown
from mkdocs.utils import meta

from ..workspace import TEMPLATES_DIR
from . import site, warnings_from


class PdfError(Exception):
    pass


@dataclass(frozen=True)
class PrintPage:
    path: str  # docs-relative Markdown path
    level: int  # 1 for chapters, 2 for pages inside a chapter


def page_id(path: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", path.removesuffix(".md"))


_ID = re.compile(r'\bid="([^"]*)"')
_HREF = re.compile(r'\bhref="([^"]*)"')
_SRC = re.compile(r'\bsrc="([^"]*)"')
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def rewrite(html: str, path: str, known: set[str]) -> str:
    """Make one page's HTML live inside the single document."""
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


def print_html(config, pages: list[PrintPage], context: dict) -> str:
    """`config` is the site's loaded MkDocs config: the PDF uses its very Markdown extensions."""
    docs = Path(config.docs_dir)
    converter = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
    known = {p.path for p in pages}
    sections = []
    for page in pages:
        converter.reset()
        source, _ = meta.get_data((docs / page.path).read_text(encoding="utf-8"))  # drop the front matter
        body = converter.convert(source)
        sections.append({"id": page_id(page.path), "level": page.level, "title": _title(body), "html": rewrite(body, page.path, known)})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "pdf"), autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("handover.html.j2").render(sections=sections, **context)


def _title(html: str) -> str:
    """The page's first heading as plain text (HTML entities kept; the template escapes only once)."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
    return html_lib.unescape(text).strip()


FATAL = re.compile(r"(No anchor|Failed to load image|Failed to load stylesheet|Unknown rendering option|Ignored)", re.I)


def render_pdf(config_file: Path, pages: list[PrintPage], context: dict, out: Path) -> None:
    from weasyprint import CSS, HTML

    config = site.load(config_file)
    docs = Path(config.docs_dir)
    html = print_html(config, pages, context)
    (out.parent / "print.html").write_text(html, encoding="utf-8")  # kept for debugging the layout
    tmp = out.with_suffix(".pdf.tmp")
    # Missing images are reported while laying out, missing anchors while writing: watch both.
    with warnings_from("weasyprint") as warnings:
        document = HTML(string=html, base_url=str(docs) + "/").render(
            stylesheets=[CSS(filename=str(TEMPLATES_DIR / "pdf" / "print.css"))]
        )
        document.write_pdf(tmp, pdf_identifier=context["identifier"].encode())
    fatal = [m for m in warnings if FATAL.search(m)]
    if fatal:
        tmp.unlink(missing_ok=True)
        raise PdfError("the PDF has broken references:\n  " + "\n  ".join(fatal))
    tmp.replace(out)
