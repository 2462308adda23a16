"""Portal → `build/<client>/docs/` (Markdown + assets) and `build/<client>/mkdocs.yml`.

The same Markdown feeds the MkDocs site and the PDF. Every `{{ value }}` in a template is escaped as
Markdown text unless it is explicitly marked as markup (links we build, authored Markdown), so
platform data cannot become markup by a forgotten filter.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.checks import AREAS
from generator.evidence.personal import approved, retention_for
from generator.formats import format_duration, format_rate, format_span
from generator.platforms import SPECS
from generator.render.diagrams import legible, line_legend, to_svg
from generator.render.figures import flowcharts, integration_maps, overview_map, personal_data_map
from generator.render.portal import Portal, WorkflowView, finding_anchor, incident_page
from generator.render.text import FILTERS, md
from generator.store import switch
from generator.store.workspace import BASE_MKDOCS, TEMPLATES_DIR, Client
from generator.store.yamlio import atomic_write, dump_yaml


@dataclass
class Page:
    path: str  # docs-relative, e.g. "workflows/n8n-12.md"
    title: str  # plain text (escaped where it is written)
    template: str
    extra: dict = field(default_factory=dict)
    children: list[Page] = field(default_factory=list)
    group: str | None = None  # nav sub-group (e.g. platform) for long sections


def _finalize(value):
    if value is None:
        return ""
    return value if isinstance(value, Markup) else md(value)


def _as_markup(fn):
    """Filters return finished Markdown: mark it so the finalizer does not escape it twice."""
    return lambda *args, **kwargs: Markup(fn(*args, **kwargs))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "site"),
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update({name: _as_markup(fn) for name, fn in FILTERS.items()})
    env.filters["authored"] = lambda text: Markup(text or "")
    env.globals["line_legend"] = lambda meanings: Markup(md(line_legend(meanings)))
    env.filters["duration"] = lambda ms: Markup(format_duration(ms))
    env.filters["rate"] = lambda rate: Markup(format_rate(rate))
    env.filters["span"] = lambda delta: Markup(format_span(delta))
    env.filters["badge"] = lambda status: Markup(
        f'<span class="ho-badge ho-{str(status).replace(" ", "-")}">{md(status)}</span>'
    )
    env.filters["result"] = lambda control: Markup(md(control_result(control)))
    env.filters["sev"] = lambda severity: Markup(f'<span class="ho-sev ho-sev-{severity.name}">{severity.name}</span>')
    return env


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


def plan(portal: Portal) -> list[Page]:
    """Every page of the portal, in reading order (the nav and the PDF follow it)."""
    names = {v.ref: v.workflow.name for v in portal.workflows}
    workflows = Page("workflows/index.md", "Workflows", "workflows.md.j2")
    for view in portal.workflows:
        stem = posixpath.splitext(posixpath.basename(view.page))[0]
        charts = _legible(lambda n, view=view, stem=stem: flowcharts(view.workflow, stem, names, view.step_calls, n),
                          (10, 8, 6, 5, 4, 3))
        workflows.children.append(
            Page(view.page, view.workflow.name, "workflow.md.j2", {"view": view, "figures": charts},
                 group=view.workflow.platform.label)
        )
    link_for = lambda v: v.page.removesuffix(".md") + ".html"  # noqa: E731
    overview = overview_map(portal.workflows, link_for)
    maps = ([overview] if overview else []) + _legible(
        lambda n: integration_maps(portal.workflows, link_for, n), (8, 6, 5, 4, 3, 2, 1))
    runbooks = Page("runbooks/index.md", "Runbooks", "runbooks.md.j2")
    for authored in portal.authored_runbooks:
        runbooks.children.append(Page(authored.page, authored.title, "authored.md.j2", {"runbook": authored}, group="Guides"))
    for view in portal.workflows:
        runbooks.children.append(
            Page(view.runbook_page, view.workflow.name, "runbook.md.j2", {"view": view}, group=view.workflow.platform.label)
        )
    return [
        Page("index.md", "Overview", "overview.md.j2"),
        Page("architecture.md", "Architecture", "architecture.md.j2",
             {"maps": [(m, to_svg(m.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)) for m in maps]}),
        workflows,
        Page("access.md", "Access & scopes", "access.md.j2"),
        Page("operations.md", "Operations", "operations.md.j2"),
        runbooks,
        Page("retention.md", "Retention policy", "retention.md.j2"),
        Page("data-handling.md", "Data handling", "data-handling.md.j2",
             {"map_svg": to_svg(m.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)
              if (m := personal_data_map(portal.personal_flows)) else None}),
        Page("incident-response.md", "Incident response", "incident-response.md.j2", children=[
            Page(incident_page(i), f"{i.id}: {i.title}", "incident.md.j2", {"incident": i}, group="Incidents")
            for i in portal.incidents
        ]),
        Page("security.md", "Security baseline", "security.md.j2"),
        Page("patching.md", "Patching & updates", "patching.md.j2"),
        Page("backups.md", "Backups & recovery", "backups.md.j2"),
        Page("changelog.md", "Change log", "changelog.md.j2"),
    ]


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
        areas=AREAS,
        version=__version__,
        guides={spec.kind: spec.guide for spec in SPECS.values()},
        approved=lambda app: approved(portal.config, app),
        retention_for=lambda app: retention_for(portal.config, app),
        **page.extra,
    )


def nav_entries(pages: list[Page]) -> list:
    """The mkdocs `nav`, grouped (platform sub-sections) so `navigation.prune` keeps pages small."""
    nav: list = []
    for page in pages:
        if not page.children:
            nav.append({page.title: page.path})
            continue
        groups: dict[str, list] = {}
        for child in page.children:
            groups.setdefault(child.group or page.title, []).append({_nav_title(child.title): child.path})
        nav.append({page.title: [page.path] + [{name: items} for name, items in groups.items()]})
    return nav


def _nav_title(title: str) -> str:
    # Material writes nav and page titles into HTML as they are: escape data here, once.
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


WIDE_TABLE = re.compile(r"^\|(?:[^|\n]*\|){4,}\s*$", re.M)  # a Markdown table row of four columns or more
SEARCH_BOOST = {"incident-response.md": 3}  # who to call, escalation, contacts: what a client searches for most


def front_matter(page: Page, body: str) -> str:
    """Every page states its title. Material prints `page.meta.title` as given into <title>, whereas
    a title taken from the heading passes Jinja's `striptags`, which turns `&lt;` back into `<`.
    Pages with wide tables give the right-hand contents bar's width to the tables."""
    meta: dict = {"title": _nav_title(page.title)}
    if WIDE_TABLE.search(body):
        meta["hide"] = ["toc"]
    if page.path in SEARCH_BOOST:
        meta["search"] = {"boost": SEARCH_BOOST[page.path]}
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
        "copyright": f"Prepared by {portal.config.engagement.consultant.company or portal.config.engagement.consultant.name} "
        f"for {portal.config.client.name} · snapshot {portal.now:%Y-%m-%d %H:%M} UTC · revision {portal.revision}",
        "nav": nav_entries(pages),
    }


def write_docs(client: Client, portal: Portal) -> list[Page]:
    """Write the whole docs tree afresh (no stale pages) and the client's mkdocs.yml.

    The tree is written beside `docs/` and swapped in, so a watching `mkdocs serve` never sees half of it.
    """
    pages = plan(portal)
    env = environment()
    with switch.replacing(client.docs_dir) as staging:
        shutil.copytree(TEMPLATES_DIR / "assets", staging / "assets", dirs_exist_ok=True)
        for page in flatten(pages):
            body = render_page(env, portal, page)
            atomic_write(staging / page.path, front_matter(page, body) + body)
            for figure in page.extra.get("figures", []):
                atomic_write(staging / "diagrams" / f"{figure.name}.svg", to_svg(figure.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT))
            for figure, svg in page.extra.get("maps", []):
                atomic_write(staging / "diagrams" / f"{figure.name}.svg", svg)
            if page.extra.get("map_svg"):
                atomic_write(staging / "diagrams" / "personal-data.svg", page.extra["map_svg"])
        logo = portal.config.client.logo
        if logo:
            shutil.copyfile(client.dir / logo, staging / "assets" / ("client-logo" + Path(logo).suffix))
        atomic_write(staging / "assets" / "stylesheets" / "client.css", client_css(portal))
    atomic_write(client.build_dir / "mkdocs.yml", dump_yaml(mkdocs_config(client, portal, pages)))
    return pages
