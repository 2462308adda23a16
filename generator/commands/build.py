"""`handover build`: snapshot + client.yml → checks → pages → site and PDF.

The site (MkDocs) and the PDF (WeasyPrint) are both single-threaded and independent once the
Markdown exists, so they are built in two processes at once: the wall time is near the larger of
the two rather than their sum.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.changes import changelog
from generator.evidence import incidents, isolation
from generator.evidence.runbooks import load_authored, what_changed
from generator.render import pdf, site
from generator.render.pages import write_docs
from generator.render.portal import Portal, build_portal
from generator.store import audit, exports, snapshot
from generator.store.workspace import BASE_MKDOCS, TEMPLATES_DIR, Client
from generator.store.yamlio import atomic_write


@dataclass
class BuildResult:
    site_dir: Path
    pdf_path: Path | None
    pages: int
    findings: int
    skipped: bool = False
    pdf_parts: dict | None = None  # {"parts": n, "laid_out": m}: m parts were not in the cache


def inputs_digest(client: Client, with_pdf: bool = True) -> str:
    """A hash of everything a build reads: the client folder (but its audit log), the templates, the base
    mkdocs.yml, the tool's version and the revision label printed on every page."""
    digest = hashlib.sha256(f"{__version__}|{client.revision()}|pdf={with_pdf}".encode())
    roots = [(client.dir, "client"), (TEMPLATES_DIR, "templates")]
    for folder, label in roots:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path == client.audit_path or "__pycache__" in path.parts:
                continue
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    digest.update(BASE_MKDOCS.read_bytes())
    return digest.hexdigest()


def _stamp(client: Client) -> Path:
    return client.build_dir / ".inputs.sha256"


def is_current(client: Client, with_pdf: bool = True, digest: str | None = None) -> bool:
    """True when the site (and PDF) exist and were built from exactly the current inputs."""
    outputs = [client.site_dir / "index.html"] + ([client.pdf_path] if with_pdf else [])
    stamp = _stamp(client)
    return (all(p.exists() for p in outputs) and stamp.exists()
            and stamp.read_text().strip() == (digest or inputs_digest(client, with_pdf)))


def load_portal(client: Client, with_history: bool = False) -> Portal:
    """Everything the pages show. `with_history` adds the change log and the audit trail (read from Git
    and audit.log), which only the build needs."""
    config = client.config
    snap = snapshot.load(client.snapshot_dir)
    runbooks = load_authored(client.runbooks_dir)
    for runbook in runbooks:
        runbook.changes = what_changed(runbook, snap, client.snapshot_dir)
    compared = isolation.load(client.dir)
    exported = exports.index(client.dir, [w.ref for w in snap.workflows])
    portal = build_portal(config, snap, client.revision(), runbooks, incidents.load(client.incidents_dir), compared,
                          exported)
    portal.isolation, portal.exports = compared, exported
    if with_history:
        portal.changelog = changelog.entries(client)
        portal.audit = [e for e in reversed(audit.read(client)) if e.get("command") in audit.SHOWN][:100]
    return portal


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
        **_document_control(portal),
        # A stable document id: same input, same bytes.
        "identifier": f"{config.client.slug}-{portal.now:%Y%m%d%H%M%S}-{portal.revision}",
    }


def _document_control(portal: Portal) -> dict:
    """Marking, version table, sign-off and metadata for the PDF, with defaults from the engagement."""
    config = portal.config
    document, consultant = config.document, config.engagement.consultant
    revisions = [r.model_dump() for r in document.revisions] or [
        {"revision": portal.revision, "date": portal.now.date(), "author": consultant.name,
         "summary": "Handover generated from the snapshot of this date."}]
    sign_off = [s.model_dump() for s in document.sign_off] or [
        {"role": "Prepared by", "name": consultant.name, "organisation": consultant.company},
        {"role": "Accepted for the client", "name": None, "organisation": config.client.name}]
    return {
        "marking": document.confidentiality or f"Confidential — prepared for {config.client.name}",
        "revisions": [{**r, "date": f"{r['date']:%d %b %Y}"} for r in revisions],
        "sign_off": sign_off,
        "keywords": ", ".join(["automation handover", *portal.platforms_in_use(), *config.compliance, *document.keywords]),
        "language": document.language,
        "primary": document.primary_colour,
    }


def build(client: Client, with_pdf: bool = True, parallel: bool = True, force: bool = False) -> BuildResult:
    """Build the site and PDF; skipped when the outputs are current (same inputs), unless `force`."""
    digest = inputs_digest(client, with_pdf)
    if not force and is_current(client, with_pdf, digest):
        return BuildResult(client.site_dir, client.pdf_path if with_pdf else None, 0, 0, skipped=True)
    _stamp(client).unlink(missing_ok=True)  # a failed build must not look current
    portal = load_portal(client, with_history=True)
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
            parts = pdf_future.result()
    else:
        site.build_site(config_file, epoch)
        parts = pdf.render_pdf(config_file, print_pages, context, client.pdf_path, parallel=False) if with_pdf else None
    atomic_write(_stamp(client), digest + "\n")
    return BuildResult(client.site_dir, client.pdf_path if with_pdf else None, len(print_pages), len(portal.open_findings),
                       pdf_parts=parts if with_pdf else None)


def build_reporting_errors(root: Path, slug: str, with_pdf: bool, force: bool, parallel: bool = True
                           ) -> tuple[str, str, BuildResult | None]:
    """One client's build with its errors as text, for the CLI. With `--all` it runs in its own process
    with `parallel=False` (site then PDF on one core), so two clients share the two cores."""
    from generator.errors import InputError
    from generator.render.pdf import PdfError
    from generator.render.site import SiteError
    from generator.store.workspace import client as find_client

    try:
        c = find_client(slug, root)
        return slug, "ok", build(c, with_pdf=with_pdf, parallel=parallel, force=force)
    except InputError as exc:
        return slug, "\n".join(exc.problems), None
    except (SiteError, PdfError) as exc:
        return slug, str(exc), None
    except Exception as exc:  # noqa: BLE001  one client's crash must not stop the others
        return slug, f"unexpected error: {type(exc).__name__}: {exc}", None
