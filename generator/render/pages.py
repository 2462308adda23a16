"""Portal → `build/<client>/docs/` (Markdown + assets) and `build/<client>/mkdocs.yml`.

The same Markdown feeds the MkDocs site and the PDF. Every `{{ value }}` in a template is escaped as
Markdown text unless it is explicitly marked as markup (links we build, authored Markdown), so
platform data cannot become markup by a forgotten filter.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.checks import AREAS
from generator.evidence.personal import approved, retention_for
from generator.formats import format_duration, format_rate, format_span
from generator.render.diagrams import to_svg
from generator.render.figures import flowcharts, integration_maps, personal_data_map
from generator.render.guides import GUIDES
from generator.render.portal import Portal, WorkflowView, finding_anchor, incident_page
from generator.render.text import FILTERS, md
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


DIAGRAM_WIDTH, DIAGRAM_HEIGHT = 680, 900  # px at 96 dpi: the PDF's text area; larger drawings are scaled


def plan(portal: Portal) -> list[Page]:
    """Every page of the portal, in reading order (the nav and the PDF follow it)."""
    names = {v.ref: v.workflow.name for v in portal.workflows}
    workflows = Page("workflows/index.md", "Workflows", "workflows.md.j2")
    for view in portal.workflows:
        stem = posixpath.splitext(posixpath.basename(view.page))[0]
        charts = flowcharts(view.workflow, stem, names, view.step_calls)
        workflows.children.append(
            Page(view.page, view.workflow.name, "workflow.md.j2", {"view": view, "figures": charts},
                 group=view.workflow.platform.label)
        )
    maps = integration_maps(portal.workflows, lambda v: v.page.removesuffix(".md") + ".html")
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
        guides=GUIDES,
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
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def front_matter(page: Page) -> str:
    """Every page states its title. Material prints `page.meta.title` as given into <title>, whereas
    a title taken from the heading passes Jinja's `striptags`, which turns `&lt;` back into `<`."""
    return "---\n" + dump_yaml({"title": _nav_title(page.title)}) + "---\n\n"


def mkdocs_config(client: Client, portal: Portal, pages: list[Page]) -> dict:
    base = os.path.relpath(BASE_MKDOCS, client.build_dir)
    return {
        "INHERIT": base,
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
    client.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=client.build_dir, prefix=".docs-new-"))
    try:
        shutil.copytree(TEMPLATES_DIR / "assets", staging / "assets")
        for page in flatten(pages):
            atomic_write(staging / page.path, front_matter(page) + render_page(env, portal, page))
            for figure in page.extra.get("figures", []):
                atomic_write(staging / "diagrams" / f"{figure.name}.svg", to_svg(figure.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT))
            for figure, svg in page.extra.get("maps", []):
                atomic_write(staging / "diagrams" / f"{figure.name}.svg", svg)
        logo = portal.config.client.logo
        if logo:
            shutil.copyfile(client.dir / logo, staging / "assets" / ("client-logo" + Path(logo).suffix))
        retired = client.build_dir / f".docs-old-{staging.name.rsplit('-', 1)[-1]}"
        if client.docs_dir.exists():
            client.docs_dir.rename(retired)
        staging.rename(client.docs_dir)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    atomic_write(client.build_dir / "mkdocs.yml", dump_yaml(mkdocs_config(client, portal, pages)))
    return pages
