"""`handover build`: snapshot + client.yml → checks → pages → site and PDF.

The site (MkDocs) and the PDF (WeasyPrint) are both single-threaded and independent once the
Markdown exists, so they are built in two processes at once: the wall time is near the larger of
the two rather than their sum.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import __version__, incidents, snapshot
from .render import pdf, site
from .render.pages import write_docs
from .render.portal import Portal, build_portal
from .render.runbooks import load_authored, what_changed
from .workspace import Client


@dataclass
class BuildResult:
    site_dir: Path
    pdf_path: Path | None
    pages: int
    findings: int


def load_portal(client: Client) -> Portal:
    config = client.config
    snap = snapshot.load(client.snapshot_dir)
    runbooks = load_authored(client.runbooks_dir)
    for runbook in runbooks:
        runbook.changes = what_changed(runbook, snap, client.snapshot_dir)
    return build_portal(config, snap, client.revision(), runbooks, incidents.load(client.incidents_dir))


def _pdf_context(portal: Portal, client: Client) -> dict:
    config = portal.config
    consultant = config.engagement.consultant
    engagement = f"{config.engagement.start:%d %b %Y} – " + (f"{config.engagement.end:%d %b %Y}" if config.engagement.end else "ongoing")
    logo = config.client.logo
    return {
        "client_name": config.client.name,
        "author": consultant.company or consultant.name,
        "consultant": consultant.name + (f", {consultant.company}" if consultant.company else ""),
        "engagement": engagement,
        "taken": f"{portal.now:%d %b %Y, %H:%M} UTC",
        "taken_iso": portal.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "revision": portal.revision,
        "platforms": ", ".join(portal.platforms_in_use()) or "none yet",
        "logo": ("assets/client-logo" + Path(logo).suffix) if logo else None,
        "version": __version__,
        # A stable document id: same input, same bytes.
        "identifier": f"{config.client.slug}-{portal.now:%Y%m%d%H%M%S}-{portal.revision}",
    }


def build(client: Client, with_pdf: bool = True, parallel: bool = True) -> BuildResult:
    portal = load_portal(client)
    pages = write_docs(client, portal)
    config_file = client.build_dir / "mkdocs.yml"
    epoch = int(portal.now.timestamp())
    print_pages = []
    for page in pages:
        print_pages.append(pdf.PrintPage(page.path, 1))
        print_pages.extend(pdf.PrintPage(child.path, 2) for child in page.children)
    context = _pdf_context(portal, client)
    if with_pdf and parallel:
        with ProcessPoolExecutor(max_workers=2) as pool:
            site_future = pool.submit(site.build_site, config_file, epoch)
            pdf_future = pool.submit(pdf.render_pdf, config_file, print_pages, context, client.pdf_path)
            site_future.result()
            pdf_future.result()
    else:
        site.build_site(config_file, epoch)
        if with_pdf:
            pdf.render_pdf(config_file, print_pages, context, client.pdf_path)
    return BuildResult(client.site_dir, client.pdf_path if with_pdf else None, len(print_pages), len(portal.open_findings))
