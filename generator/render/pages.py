"""Portal → `build/<client>/docs/` (Markdown + assets) and `build/<client>/mkdocs.yml`.

The same Markdown feeds the MkDocs site and the PDF. Every `{{ value }}` in a template is escaped as
Markdown text unless it is explicitly marked as markup (links we build, authored Markdown), so
platform data cannot become markup by a forgotten filter.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import posixpath
import re
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import __version__, formats
from generator.checks import AREAS
from generator.config import minutes
from generator.evidence.apps import app_name, is_app, region_name
from generator.evidence.personal import approved, retention_for
from generator.formats import format_span
from generator.platforms import SPECS
from generator.render import summary
from generator.render.diagrams import legible, line_legend, to_svg
from generator.render.figures import flowcharts, integration_maps, overview_map, personal_data_map
from generator.render.portal import Portal, WorkflowView, finding_anchor, incident_page
from generator.render.text import filters, md
from generator.store import cache as cache_entry
from generator.store import guard, switch
from generator.store.workspace import BASE_MKDOCS, TEMPLATES_DIR, Client
from generator.store.yamlio import atomic_write, dump_yaml, read_yaml


@dataclass
class Page:
    path: str  # docs-relative, e.g. "workflows/n8n-12.md"
    title: str  # plain text (escaped where it is written)
    template: str
    extra: dict = field(default_factory=dict)
    children: list[Page] = field(default_factory=list)
    group: tuple[str, ...] = ()  # nav sub-section path (platform, folder, name range) inside its chapter


def _change(change: float | None, unit: str) -> str:
    """A difference from the period before, signed, in the figure's unit."""
    if change is None:
        return "no earlier period to compare"
    size = abs(change)
    text = {"count": formats.number(size if size % 1 else int(size)), "ratio": f"{size * 100:.1f} points", "minute": format_span(timedelta(minutes=size)),
            "ms": formats.format_duration(round(size))}[unit]
    return ("+" if change > 0 else "−" if change < 0 else "±") + text


# What a client calls each kind of public address (the restore guide lists them per workflow).
ADDRESS_WORDS = {"webhook": "Webhook address", "form": "Form page", "chat": "Chat page", "resume": "Resume links",
                 "app": "App webhook address"}


def _finalize(value):
    if value is None:
        return ""
    return value if isinstance(value, Markup) else md(value)


def _as_markup(fn):
    """Filters return finished Markdown: mark it so the finalizer does not escape it twice."""
    return lambda *args, **kwargs: Markup(fn(*args, **kwargs))


def environment(tz: str | None = None) -> jinja2.Environment:
    """The Jinja environment of the pages; times shown in the client's zone `tz`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "site"),
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update({name: _as_markup(fn) for name, fn in filters(tz).items()})
    env.filters["authored"] = lambda text: Markup(text or "")
    # An agreed period from client.yml ('15m', '1d') in the one duration format.
    env.filters["agreed"] = lambda text: Markup(format_span(timedelta(minutes=minutes(text))))
    env.filters["app"] = app_name
    env.globals["is_app"] = is_app
    env.globals["region_name"] = region_name
    env.globals["line_legend"] = lambda meanings: Markup(md(line_legend(meanings)))
    env.globals.update(count=formats.count, listing=summary.listing, headline=summary.headline,
                       sentences=summary.sentences, action=summary.action, verdicts=summary.VERDICTS)
    env.filters["minutes"] = lambda value: Markup(format_span(timedelta(minutes=value)))
    env.filters["change"] = lambda change, unit: Markup(_change(change, unit))
    env.filters["badge"] = lambda status: Markup(
        f'<span class="ho-badge ho-{str(status).replace(" ", "-")}">{md(status)}</span>'
    )
    env.filters["checkbox"] = lambda status: Markup(checkbox(status))
    env.filters["result"] = lambda control: Markup(md(control_result(control)))
    env.filters["sev"] = lambda severity: Markup(f'<span class="ho-sev ho-sev-{severity.name}">{severity.name}</span>')
    return env


# Drawn, not typed: the shipped fonts have no tick glyph, and the PDF embeds those fonts alone.
_BOX = '<rect x="1" y="1" width="14" height="14" rx="3" '
_TICK = '<path d="M4.5 8.3l2.4 2.4 4.6-5" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>'
CHECKBOXES = {
    "done": (_BOX + 'fill="#1f7a4d"/>' + _TICK, "done"),
    "confirmed": (_BOX + 'fill="#1d5fa8"/>' + _TICK, "confirmed"),
    "open": (_BOX + 'fill="#fff" stroke="#a4161a" stroke-width="1.6"/>', "open"),
}


def checkbox(status: str) -> str:
    """A close-out item's status: a drawn box (ticked when done or confirmed) and the word."""
    drawing, word = CHECKBOXES[status]
    return (f'<span class="ho-check ho-check-{status}"><svg class="ho-box" width="14" height="14" viewBox="0 0 16 16" '
            f'aria-hidden="true">{drawing}</svg> {word}</span>')


def control_result(control) -> str:
    """A control's status in a table cell: how many resources passed, failed (open or muted) or why not judged."""
    if control.status == "pass":
        return f"pass ({len(control.passes)} checked)"
    if control.status == "fail":
        if control.check.severity == 0:
            return f"{len(control.failures)} to review"
        open_ = len(control.open)
        muted = len(control.failures) - open_
        return ", ".join(p for p in (f"{open_} open" if open_ else "", f"{muted} muted" if muted else "") if p)
    return control.status.replace("_", " ")


DIAGRAM_WIDTH, DIAGRAM_HEIGHT = 660, 880  # px at 96 dpi: the PDF's text area; larger drawings are scaled


def _legible(make, sizes):
    """The first split (largest part size first) whose every diagram keeps its text at 7 pt or more
    once fitted to the page; the finest split when none does."""
    for size in sizes:
        figures = make(size)
        if all(legible(f.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT) for f in figures):
            return figures
    return figures


BUCKET = 50  # the most entries in one nav section: every page carries its own section, so keep it small


def sections(items: list, keys: list, title, depth: int = 0) -> list[tuple[tuple[str, ...], list]]:
    """`items` in nav sections of at most BUCKET entries: grouped by each of `keys` in turn (platform,
    then folder) while a group is too long, then split into runs of names. A section path is a tuple of
    labels; the items keep their order inside it. Short lists stay whole, so small estates keep one
    level (the platform)."""
    if not keys:
        return _name_runs(items, title)
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(keys[0](item), []).append(item)
    out = []
    # The first level (platform) keeps its order; folders are listed by name.
    for label, members in groups.items() if depth == 0 else sorted(groups.items(), key=lambda g: formats.natural(g[0])):
        if len(members) <= BUCKET:
            out.append(((label,), members))
        elif len(keys) > 1 and 1 < len({keys[1](m) for m in members}) <= BUCKET:
            out += [((label, *path), sub) for path, sub in sections(members, keys[1:], title, depth + 1)]
        else:
            out += [((label, *path), sub) for path, sub in _name_runs(members, title)]
    return out


def _name_runs(items: list, title) -> list[tuple[tuple[str, ...], list]]:
    """Alphabetical runs of at most BUCKET, labelled by their first and last names (runs of runs when
    even the runs would be too many)."""
    if len(items) <= BUCKET:
        return [((), items)]
    ordered = sorted(items, key=lambda i: formats.natural(title(i)))
    count = min(-(-len(ordered) // BUCKET), BUCKET)  # runs longer than BUCKET are split again below
    size = -(-len(ordered) // count)
    runs = [ordered[i:i + size] for i in range(0, len(ordered), size)]
    out = []
    for run in runs:
        label = f"{_short(title(run[0]))} – {_short(title(run[-1]))}"
        out += [((label, *path), sub) for path, sub in _name_runs(run, title)]
    return out


def _short(name: str, length: int = 16) -> str:
    return name if len(name) <= length else name[:length].rstrip() + "…"


def _workflow_sections(views: list[WorkflowView]) -> list[tuple[tuple[str, ...], list[WorkflowView]]]:
    return sections(views, [lambda v: v.workflow.platform.label, lambda v: v.workflow.folder or "No folder"],
                    lambda v: v.workflow.name)


@functools.cache
def _drawing_code() -> str:
    """The code a flowchart is drawn by: a cached drawing is kept only while it is unchanged."""
    from generator.render import diagrams, figures

    return hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (diagrams, figures, sys.modules[__name__]))
                          ).hexdigest()


def _drawn(cache: cache_entry.Entries, key: str, draw) -> list:
    """What `draw()` gives, kept in `cache` under `key` (a hash of everything the drawing shows)."""
    stored = cache.get(key)
    if stored is not None:
        try:
            return pickle.loads(stored)  # noqa: S301  our own entry, checked against its hash when read
        except Exception:  # noqa: BLE001  an entry from another version of the classes: draw again
            pass
    drawn = draw()
    cache.put(key, pickle.dumps(drawn))
    return drawn


def _maps(portal: Portal, link_for, cache: cache_entry.Entries | None) -> list:
    """The integration maps (split so their text stays legible) with their SVG; with `cache`, drawn
    again only when what the first split shows changed (each split is made from the same workflows)."""
    sizes = (8, 6, 5, 4, 3, 2, 1)

    def make(n: int) -> list:
        return integration_maps(portal.workflows, link_for, n)

    def draw() -> list:
        return [(m, to_svg(m.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)) for m in _legible(make, sizes)]

    if cache is None:
        return draw()
    key = "maps-" + hashlib.sha256((_drawing_code() + repr([m.diagram for m in make(sizes[0])])).encode()).hexdigest()
    return _drawn(cache, key, draw)


def _flowcharts(view: WorkflowView, stem: str, names: dict[str, str], cache: cache_entry.Entries | None) -> list:
    """The workflow's flowcharts (split so their text stays legible) with their SVG. Drawing them is most
    of the work of writing the pages of a large estate: with `cache`, only a changed workflow's are drawn."""
    def draw() -> list:
        charts = _legible(lambda n: flowcharts(view.workflow, stem, names, view.step_calls, n), (10, 8, 6, 5, 4, 3))
        return [(f, to_svg(f.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)) for f in charts]

    if cache is None:
        return draw()
    called = {ref: names.get(ref) for ref in view.step_calls.values()}  # the only other names a chart shows
    # The workflow as pydantic writes it (in Rust): dumping it to a dict first was most of the key's cost.
    key = hashlib.sha256(json.dumps([_drawing_code(), stem, view.workflow.model_dump_json(), view.step_calls,
                                     called, DIAGRAM_WIDTH, DIAGRAM_HEIGHT], sort_keys=True, default=str).encode()
                         ).hexdigest()
    return _drawn(cache, key, draw)


def plan(portal: Portal, cache: cache_entry.Entries | None = None) -> list[Page]:
    """Every page of the portal, in reading order (the nav and the PDF follow it). `cache`: where
    drawn flowcharts are kept between builds."""
    names = {v.ref: v.workflow.name for v in portal.workflows}
    grouped = _workflow_sections(portal.workflows)
    section_of = {v.ref: path for path, members in grouped for v in members}
    in_sections = [v for _, members in grouped for v in members]  # the nav's order
    workflows = Page("workflows/index.md", "Workflows", "workflows.md.j2", {"sections": grouped})
    for view in in_sections:
        stem = posixpath.splitext(posixpath.basename(view.page))[0]
        drawn = _flowcharts(view, stem, names, cache)
        workflows.children.append(
            Page(view.page, view.workflow.name, "workflow.md.j2",
                 {"view": view, "figures": [f for f, _ in drawn], "figure_svgs": [svg for _, svg in drawn]},
                 group=section_of[view.ref])
        )
    link_for = lambda v: v.page.removesuffix(".md") + ".html"  # noqa: E731
    overview = overview_map(portal.workflows, link_for)
    maps = ([(overview, to_svg(overview.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT))] if overview else []) + _maps(
        portal, link_for, cache)
    runbooks = Page("runbooks/index.md", "Runbooks", "runbooks.md.j2", {"sections": grouped},
                    children=[Page("runbooks/symptoms.md", "Runbooks by symptom", "symptoms.md.j2")])
    guides = [Page(a.page, a.title, "authored.md.j2", {"runbook": a}) for a in portal.authored_runbooks]
    for path, members in sections(guides, [lambda _: "Guides"], lambda p: p.title):
        runbooks.children += [dataclasses.replace(p, group=path) for p in members]
    for view in in_sections:
        runbooks.children.append(
            Page(view.runbook_page, view.workflow.name, "runbook.md.j2", {"view": view}, group=section_of[view.ref])
        )
    return [
        Page("index.md", "Executive summary", "summary.md.j2"),
        Page("actions.md", "Action register", "actions.md.j2"),
        Page("overview.md", "Overview", "overview.md.j2"),
        Page("architecture.md", "Architecture", "architecture.md.j2",
             {"maps": maps}),
        workflows,
        Page("access.md", "Access & scopes", "access.md.j2"),
        Page("operations.md", "Operations", "operations.md.j2"),
        runbooks,
        Page("retention.md", "Retention policy", "retention.md.j2"),
        Page("data-handling.md", "Data handling", "data-handling.md.j2",
             {"map_svg": to_svg(m.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)
              if (m := personal_data_map(portal.personal_flows)) else None}),
        Page("incident-response.md", "Incident response", "incident-response.md.j2", children=[
            dataclasses.replace(p, group=path) for path, members in sections(
                [Page(incident_page(i), f"{i.id}: {i.title}", "incident.md.j2", {"incident": i}) for i in portal.incidents],
                [lambda _: "Incidents"], lambda p: p.title)
            for p in members
        ]),
        Page("security.md", "Security baseline", "security.md.j2"),
        Page("patching.md", "Patching & updates", "patching.md.j2"),
        Page("backups.md", "Backups & recovery", "backups.md.j2"),
        Page("closeout.md", "Close-out checklist", "closeout.md.j2"),
        Page("changelog.md", "Change log", "changelog.md.j2"),
        Page("glossary.md", "Glossary", GLOSSARY),
    ]


GLOSSARY = "glossary.md.j2"  # rendered after every other page: it lists the terms they use


def glossary_terms(text: str) -> list[dict]:
    """The terms of templates/site/glossary.yml that `text` (the other pages) uses, alphabetically."""
    terms = read_yaml(TEMPLATES_DIR / "site" / "glossary.yml").data
    used = [t for t in terms if re.search(t.get("match") or re.escape(t["term"]), text, re.I)]
    return sorted(used, key=lambda t: t["term"].casefold())


def register(portal: Portal) -> tuple[Page, dict[str, str]]:
    """The PDF's summary edition of the workflows: one short entry per workflow, a page per nav
    section. Also where each workflow's own pages (workflow, runbook) lead to in that edition:
    {page path: "register page path#entry"}. Written under `print/`, which the site leaves out."""
    top = Page("print/register.md", "Workflow register", "register.md.j2", {"views": None, "path": ()})
    aliases: dict[str, str] = {}
    for number, (path, views) in enumerate(_workflow_sections(portal.workflows), start=1):
        child = Page(f"print/register-{number:03d}.md", "Register: " + " · ".join(path), "register.md.j2",
                     {"views": views, "path": path})
        top.children.append(child)
        for view in views:
            aliases[view.page] = aliases[view.runbook_page] = f"{child.path}#{register_anchor(view)}"
    return top, aliases


def register_anchor(view: WorkflowView) -> str:
    return "wf-" + posixpath.splitext(posixpath.basename(view.page))[0]


PRINT_ONLY = "print/"  # docs folder of pages only the PDF shows (excluded from the site)


def flatten(pages: list[Page]) -> list[Page]:
    out = []
    for page in pages:
        out.append(page)
        out.extend(flatten(page.children))
    return out


def _linker(current: str):
    """`link(target)` gives a link from the current page to `target` (docs-relative path)."""

    def link(target: str, fragment: str | None = None) -> Markup:
        relative = posixpath.relpath(target, posixpath.dirname(current) or ".")
        return Markup(relative + (f"#{fragment}" if fragment else ""))

    return link


def render_page(env: jinja2.Environment, portal: Portal, page: Page) -> str:
    template = env.get_template(page.template)

    def wf_link(workflow_ref: str) -> Markup:
        """`[name](page)` for a workflow ref, or the ref as text when it is not in the snapshot."""
        view: WorkflowView | None = portal.view(workflow_ref)
        if view is None:
            return Markup(md(workflow_ref))
        return Markup(f"[{md(view.workflow.name)}]({_linker(page.path)(view.page)})")

    return template.render(
        portal=portal,
        config=portal.config,
        snapshot=portal.snapshot,
        page=page,
        link=_linker(page.path),
        wf_link=wf_link,
        finding_anchor=finding_anchor,
        register_anchor=register_anchor,
        areas=AREAS,
        version=__version__,
        guides={spec.kind: spec.guide for spec in SPECS.values()},
        address_words=ADDRESS_WORDS,
        approved=lambda app: approved(portal.config, app),
        retention_for=lambda app: retention_for(portal.config, app),
        **page.extra,
    )


def nav_entries(pages: list[Page]) -> list:
    """The mkdocs `nav`: a chapter's pages in nested sections (`Page.group`) of at most BUCKET, so that
    with `navigation.prune` each page carries only the section it is in."""
    nav: list = []
    for page in pages:
        if not page.children:
            nav.append({page.title: page.path})
            continue
        tree: dict = {}
        for child in page.children:
            node = tree
            for label in child.group or (page.title,):
                node = node.setdefault(label, {})
            node.setdefault(None, []).append({_nav_title(child.title): child.path})
        nav.append({page.title: [page.path] + _nav_tree(tree)})
    return nav


def _nav_tree(node: dict) -> list:
    return node.get(None, []) + [{_nav_title(label): _nav_tree(sub)} for label, sub in node.items() if label is not None]


def _nav_title(title: str) -> str:
    # Material writes nav and page titles into HTML as they are: escape data here, once.
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


WIDE_TABLE = re.compile(r"^\|(?:[^|\n]*\|){4,}\s*$", re.M)  # a Markdown table row of four columns or more
SEARCH_BOOST = {"incident-response.md": 3}  # who to call, escalation, contacts: what a client searches for most
TEMPLATE_BOOST = {"workflow.md.j2": 2}  # a workflow's own page before its runbook, which repeats its name


def front_matter(page: Page, body: str) -> str:
    """Every page states its title. Material prints `page.meta.title` as given into <title>, whereas
    a title taken from the heading passes Jinja's `striptags`, which turns `&lt;` back into `<`.
    Pages with wide tables give the right-hand contents bar's width to the tables."""
    meta: dict = {"title": _nav_title(page.title)}
    if WIDE_TABLE.search(body):
        meta["hide"] = ["toc"]
    boost = SEARCH_BOOST.get(page.path) or TEMPLATE_BOOST.get(page.template)
    if boost:
        meta["search"] = {"boost": boost}
    return "---\n" + dump_yaml(meta) + "---\n\n"


def client_css(portal: Portal) -> str:
    """The client's brand colour for the site's header and headings (the tool's green otherwise)."""
    colour = portal.config.document.primary_colour
    if not colour:
        return "/* No brand colour in client.yml (document.primary_colour): the base palette applies. */\n"
    return (f":root {{ --md-primary-fg-color: {colour}; --md-primary-fg-color--dark: {colour}; }}\n"
            f"[data-md-color-scheme=\"default\"] .md-typeset h1 {{ color: {colour}; }}\n")


def _config_text(text: str) -> str:
    """A value of mkdocs.yml that Material writes into HTML unescaped in places (the page <title>, meta
    description, footer): no markup can come through. `&` stays: Material escapes it where it must."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def mkdocs_config(client: Client, portal: Portal, pages: list[Page]) -> dict:
    base = os.path.relpath(BASE_MKDOCS, client.build_dir)
    return {key: _config_text(value) if key in ("site_name", "site_description", "site_author", "copyright") else value
            for key, value in _mkdocs_settings(client, portal, pages, base).items()}


def _mkdocs_settings(client: Client, portal: Portal, pages: list[Page], base: str) -> dict:
    logo = portal.config.client.logo
    # Absolute: MkDocs resolves custom_dir against this file, which may be copied elsewhere; the path
    # appears in no output.
    theme = {"name": "material", "custom_dir": str(TEMPLATES_DIR / "overrides")}
    if logo:
        theme["logo"] = "assets/client-logo" + Path(logo).suffix
    return {
        "INHERIT": base,
        "theme": theme,
        "extra_css": ["assets/stylesheets/handover.css", "assets/stylesheets/client.css"],
        "site_name": f"{portal.config.client.name} — automation handover",
        "site_description": f"Handover of the automations built for {portal.config.client.name}",
        "site_author": portal.config.engagement.consultant.company or portal.config.engagement.consultant.name,
        "docs_dir": "docs",
        "site_dir": "site",
        # No snapshot time or revision here: the footer is on every page (see _freshness.md.j2).
        "copyright": f"Prepared by {portal.config.engagement.consultant.company or portal.config.engagement.consultant.name} "
        f"for {portal.config.client.name}",
        "nav": nav_entries(pages),
        "exclude_docs": PRINT_ONLY + "\n",
    }


def _write(path: Path, text: str) -> None:
    """A file of the staging tree: no temporary file and fsync each (thousands of pages in a large
    estate), the tree is swapped in whole; still refused if it holds a secret found in this run."""
    guard.check(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _emit(staging: Path, page: Page, body: str) -> None:
    """One rendered page into the staging tree, with the drawings it shows."""
    _write(staging / page.path, front_matter(page, body) + body)
    for figure, svg in zip(page.extra.get("figures", []), page.extra.get("figure_svgs", []), strict=True):
        _write(staging / "diagrams" / f"{figure.name}.svg", svg)
    for figure, svg in page.extra.get("maps", []):
        _write(staging / "diagrams" / f"{figure.name}.svg", svg)
    if page.extra.get("map_svg"):
        _write(staging / "diagrams" / "personal-data.svg", page.extra["map_svg"])


def _render_some(env, portal: Portal, pages: list[Page], staging: Path) -> list[str]:
    bodies = []
    for page in pages:
        bodies.append(render_page(env, portal, page))
        _emit(staging, page, bodies[-1])
    return bodies


PARALLEL_PAGES = 400  # from this many pages, a second process renders every other page
_SHARED: tuple = ()  # what that process renders with: inherited when it forks, never pickled


def _render_other(indexes: list[int]) -> list[str] | None:
    env, portal, pages, staging = _SHARED
    try:
        return _render_some(env, portal, [pages[i] for i in indexes], staging)
    except Exception:  # noqa: BLE001  the parent renders these pages again itself, and reports the error
        return None


def _render_all(env, portal: Portal, pages: list[Page], staging: Path) -> list[str]:
    """Every page rendered and written, in order; a large estate's on both cores (rendering is most of
    what writing the pages costs, and the other core is idle until the site and PDF are built)."""
    global _SHARED
    if len(pages) < PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
        return _render_some(env, portal, pages, staging)
    mine, theirs = list(range(0, len(pages), 2)), list(range(1, len(pages), 2))
    _SHARED = (env, portal, pages, staging)
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            other = pool.submit(_render_other, theirs)
            done = dict(zip(mine, _render_some(env, portal, [pages[i] for i in mine], staging), strict=True))
            rendered = other.result()
    finally:
        _SHARED = ()
    if rendered is None:
        rendered = _render_some(env, portal, [pages[i] for i in theirs], staging)
    done.update(zip(theirs, rendered, strict=True))
    return [done[i] for i in range(len(pages))]


def write_docs(client: Client, portal: Portal, extra: list[Page] = ()) -> list[Page]:
    """Write the whole docs tree afresh (no stale pages) and the client's mkdocs.yml; `extra` are pages
    for the PDF alone (under PRINT_ONLY), e.g. the register.

    The tree is written beside `docs/` and swapped in, so a watching `mkdocs serve` never sees half of it.
    """
    drawings = cache_entry.Entries(client.build_dir / ".cache" / "flowcharts")
    pages = plan(portal, drawings)
    env = environment(portal.config.client.timezone)
    # Compiled templates kept between builds (checked against their source): compiling them is a fixed
    # second or so of every build, a large share of a one-page change.
    (client.build_dir / ".cache" / "jinja").mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(client.build_dir / ".cache" / "jinja"))
    with switch.replacing(client.docs_dir) as staging:
        shutil.copytree(TEMPLATES_DIR / "assets", staging / "assets", dirs_exist_ok=True)
        ordered = flatten([*pages, *extra])
        bodies = _render_all(env, portal, [p for p in ordered if p.template != GLOSSARY], staging)
        for page in [p for p in ordered if p.template == GLOSSARY]:  # last: it lists the terms the others use
            page.extra["terms"] = glossary_terms("\n".join(bodies))
            _emit(staging, page, render_page(env, portal, page))
        logo = portal.config.client.logo
        if logo:
            shutil.copyfile(client.dir / logo, staging / "assets" / ("client-logo" + Path(logo).suffix))
        _write(staging / "assets" / "stylesheets" / "client.css", client_css(portal))
    atomic_write(client.build_dir / "mkdocs.yml", dump_yaml(mkdocs_config(client, portal, pages)))
    drawings.prune()
    return pages
