"""`handover build`: evidence → assessment → pages → site and PDF.

The site (MkDocs) and the PDF (WeasyPrint) are both single-threaded and independent once the
Markdown exists, so they are built in two processes at once: the wall time is near the larger of
the two rather than their sum.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.changes import changelog
from generator.checks import assess
from generator.checks.actions import require_known
from generator.commands import Result
from generator.errors import EXIT_FINDINGS
from generator.evidence import gather, snapshot_cache
from generator.formats import format_day, local_time
from generator.render import consultant, pdf, site
from generator.render.pages import Page, write_docs
from generator.render.pages import register as register_pages
from generator.render.portal import Portal, build_portal
from generator.store import audit
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
    site_pages: dict | None = None  # {"pages": n, "rendered": m}: n - m pages were unchanged, not rendered again
    report: Path | None = None  # the consultant report (audience "consultant"), instead of site and PDF


AUDIENCES = ("client", "consultant")


def inputs_digest(client: Client, with_pdf: bool = True, pdf_detail: bool = False) -> str:
    """A hash of everything a build reads: the client folder (but its audit log), the templates, the base
    mkdocs.yml, the tool's version and the revision label printed on every page."""
    digest = hashlib.sha256(f"{__version__}|{client.revision()}|pdf={with_pdf}|detail={pdf_detail}".encode())
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


def is_current(client: Client, with_pdf: bool = True, digest: str | None = None, pdf_detail: bool = False) -> bool:
    """True when the site (and PDF) exist and were built from exactly the current inputs."""
    outputs = [client.site_dir / "index.html"] + ([client.pdf_path] if with_pdf else [])
    stamp = _stamp(client)
    return (all(p.exists() for p in outputs) and stamp.exists()
            and stamp.read_text().strip() == (digest or inputs_digest(client, with_pdf, pdf_detail)))


def portal_for(client: Client, with_history: bool = True) -> Portal:
    """The one path from a client folder to what the pages show: gather the evidence, assess it, and join
    the two for the templates. `with_history` adds the change log and the audit trail (Git, audit.log)."""
    require_known(client.config, client.config_path)
    if not with_history:
        evidence = gather(client, snapshots=snapshot_cache(client))
        return build_portal(evidence, assess(evidence))
    where = changelog.source(client)  # a recorded history is replayed once, before two processes read it
    replayed = where if where is not client else None
    # The change log compares revisions, each gathered and assessed like the working tree: on a large
    # estate it takes as long as the rest, so another process writes it meanwhile.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as helper:
        log = helper.submit(changelog.entries, client, where)
        evidence = gather(client, snapshots=snapshot_cache(client), replayed=replayed)
        assessment = assess(evidence)
        entries = log.result()
    trail = [entry | {"activity": audit.activity(entry)} for entry in audit.shown(client)]
    return build_portal(evidence, assessment, entries, trail)


def _pdf_context(portal: Portal, client: Client) -> dict:
    config = portal.config
    consultant = config.engagement.consultant
    engagement = f"{format_day(config.engagement.start)} – " + (format_day(config.engagement.end) if config.engagement.end else "ongoing")
    logo = config.client.logo
    return {
        "client_name": config.client.name,
        "author": consultant.company or consultant.name,
        "consultant": consultant.name + (f", {consultant.company}" if consultant.company else ""),
        "engagement": engagement,
        "taken": local_time(portal.now, config.client.timezone),
        "taken_iso": portal.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "revision": portal.revision,
        "platforms": ", ".join(portal.platforms_in_use()) or "none yet",
        "logo": ("assets/client-logo" + Path(logo).suffix) if logo else None,
        "version": __version__,
        **_document_control(portal),
    }


def _document_control(portal: Portal) -> dict:
    """Marking, version table, sign-off and metadata for the PDF, with defaults from the engagement."""
    config = portal.config
    document, consultant = config.document, config.engagement.consultant
    revisions = [r.model_dump() for r in document.revisions] or [
        {"revision": portal.revision, "date": portal.now.date(), "author": consultant.name,
         "summary": "Handover generated from the snapshot of this date."}]
    sign_off = [s.model_dump() for s in config.signatories()]
    return {
        "marking": document.confidentiality or f"Confidential — prepared for {config.client.name}",
        "revisions": [{**r, "date": format_day(r["date"])} for r in revisions],
        "sign_off": sign_off,
        "keywords": ", ".join(["automation handover", *portal.platforms_in_use(), *config.compliance, *document.keywords]),
        "language": document.language,
        "primary": document.primary_colour,
    }


def summary_edition(portal: Portal, pdf_detail: bool = False) -> bool:
    """Whether the PDF is the summary edition: a large estate, unless the full book was asked for."""
    return not pdf_detail and len(portal.workflows) > portal.config.document.pdf_detail_threshold


# Chapters' pages the summary edition leaves to the site (the register stands for them).
PER_WORKFLOW = {"workflow.md.j2", "runbook.md.j2"}


def print_plan(pages: list[Page], register: Page | None) -> list[pdf.PrintPage]:
    """The PDF's pages: every page (the full book), or, with a `register`, the chapters without their
    per-workflow pages and the register after the workflow inventory."""
    out = []
    for page in pages:
        out.append(pdf.PrintPage(page.path, 1))
        # A workflow's runbook mirrors its workflow in the contents: listed in the bookmarks only.
        out.extend(pdf.PrintPage(child.path, 2, listed=child.template != "runbook.md.j2") for child in page.children
                   if register is None or child.template not in PER_WORKFLOW)
        if register is not None and page.path == "workflows/index.md":
            out.append(pdf.PrintPage(register.path, 1))
            out.extend(pdf.PrintPage(child.path, 2) for child in register.children)
    return out


def _written(client: Client, with_pdf: bool, pdf_detail: bool):
    """Write the docs; returns the portal they show and what the PDF prints of them (the summary edition's
    register, and where links to the pages it leaves out go)."""
    portal = portal_for(client)
    register, aliases = register_pages(portal) if with_pdf and summary_edition(portal, pdf_detail) else (None, None)
    pages = write_docs(client, portal, [register] if register else [])
    return portal, print_plan(pages, register), aliases


def build(client: Client, with_pdf: bool = True, parallel: bool = True, force: bool = False,
          pdf_detail: bool = False) -> BuildResult:
    """Build the site and PDF; skipped when the outputs are current (same inputs), unless `force` (which
    also renders every page of the site again; unchanged PDF parts still come from the cache).
    Above `document.pdf_detail_threshold` workflows the PDF is the summary edition unless `pdf_detail`."""
    digest = inputs_digest(client, with_pdf, pdf_detail)
    if not force and is_current(client, with_pdf, digest):
        return BuildResult(client.site_dir, client.pdf_path if with_pdf else None, 0, 0, skipped=True)
    _stamp(client).unlink(missing_ok=True)  # a failed build must not look current
    config_file = client.build_dir / "mkdocs.yml"
    if with_pdf and parallel:
        with ProcessPoolExecutor(max_workers=1) as pdf_worker:
            pdf_worker.submit(pdf.warm_up)  # WeasyPrint and the fonts load while the pages are written
            portal, print_pages, aliases = _written(client, with_pdf, pdf_detail)
            pdf_future = pdf_worker.submit(pdf.render_pdf, client.docs_dir, print_pages, _pdf_context(portal, client),
                                           client.pdf_path, aliases=aliases)
            with ProcessPoolExecutor(max_workers=1) as site_worker:
                pages_built = site_worker.submit(site.build_site, config_file, int(portal.now.timestamp()),
                                                 clean=force).result()
            parts = pdf_future.result()
    else:
        portal, print_pages, aliases = _written(client, with_pdf, pdf_detail)
        pages_built = site.build_site(config_file, int(portal.now.timestamp()), clean=force)
        parts = (pdf.render_pdf(client.docs_dir, print_pages, _pdf_context(portal, client), client.pdf_path, parallel=False,
                                aliases=aliases) if with_pdf else None)
    atomic_write(_stamp(client), digest + "\n")
    return BuildResult(client.site_dir, client.pdf_path if with_pdf else None, len(print_pages), len(portal.open_findings),
                       pdf_parts=parts if with_pdf else None, site_pages=pages_built)


def _build_in_worker(root: Path, slug: str, with_pdf: bool, force: bool, pdf_detail: bool = False) -> tuple[str, object]:
    """One client's build in a worker process of `--all`: ("ok", BuildResult) or (exit code, message).
    Errors travel back as text, so nothing has to be unpickled."""
    from generator.errors import HandoverError
    from generator.store.workspace import client as find_client

    try:
        return "ok", build(find_client(slug, root), with_pdf=with_pdf, parallel=False, force=force,
                           pdf_detail=pdf_detail)
    except HandoverError as exc:
        return str(exc.exit_code), "\n".join(exc.problems)
    except Exception as exc:  # noqa: BLE001  one client's crash must not stop the others
        from generator.errors import EXIT_INTERNAL

        return str(EXIT_INTERNAL), f"internal error: {type(exc).__name__} (run `handover build {slug}` alone for detail)"


def build_report(client: Client) -> BuildResult:
    """The consultant report alone (no site, no PDF): quick, and always written afresh."""
    portal = portal_for(client)
    return BuildResult(client.site_dir, None, 0, len(portal.open_findings), report=consultant.write_report(client, portal))


def run(clients: list[Client], with_pdf: bool = True, check: bool = False, force: bool = False,
        pdf_detail: bool = False, audience: str = "client") -> Result:
    """Build each client (`--all`: each in its own process, two at a time, one's failure not stopping the
    others), or with `check` only say which are out of date. Audience "consultant" writes the consultant
    report instead of the client's site and PDF."""
    result = Result()
    if audience == "consultant":
        for c in clients:
            value = build_report(c)
            result.say(f"{c.slug}: consultant report · {value.findings} open findings", "ok")
            result.say(f"  report: {value.report}")
        return result
    if check:
        stale = [c.slug for c in clients if not is_current(c, with_pdf, pdf_detail=pdf_detail)]
        for slug in stale:
            result.say(f"stale: {slug}: the built site or PDF is older than its inputs; run `handover build {slug}`",
                       "warn")
        if not stale:
            result.say(", ".join(c.slug for c in clients) + ": site and PDF are current", "ok")
        result.exit_code = EXIT_FINDINGS if stale else 0
        return result
    started = time.monotonic()
    if len(clients) == 1:
        outcomes = [("ok", build(clients[0], with_pdf=with_pdf, force=force, pdf_detail=pdf_detail))]
    else:
        with ProcessPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(_build_in_worker, [c.root for c in clients], [c.slug for c in clients],
                                     [with_pdf] * len(clients), [force] * len(clients),
                                     [pdf_detail] * len(clients)))
    failures = []
    for c, (status, value) in zip(clients, outcomes, strict=True):
        if status != "ok":
            failures.append(c.slug)
            for line in str(value).splitlines():
                result.say(f"{c.slug}: {line}", "error")
            result.record(c, "build", "failed", str(value).splitlines()[0])
            result.exit_code = max(result.exit_code, int(status))
            continue
        if value.skipped:
            result.say(f"{c.slug}: up to date, nothing to rebuild (use --force to rebuild)", "ok")
            continue
        result.record(c, "build", "ok", f"{value.pages} pages; {value.findings} open findings")
        result.say(f"{c.slug}: {value.pages} pages · {value.findings} open findings", "ok")
        result.say(f"  site: {value.site_dir / 'index.html'}")
        if value.pdf_path:
            result.say(f"  pdf:  {value.pdf_path}")
    if len(clients) > 1:
        result.say(f"{len(clients) - len(failures)} of {len(clients)} clients built in {time.monotonic() - started:.1f} s"
                   + (f"; failed: {', '.join(failures)}" if failures else ""))
    return result
