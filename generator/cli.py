"""The `handover` command. Thin: parse the arguments, call the pipeline, report.

Exit codes: 0 ok · 1 findings at or above --fail-on · 2 usage or input error · 3 platform or network error ·
4 internal error (a bug, reported in one line).
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__
from generator.errors import InputError
from generator.store.guard import GuardedStream

EXIT_FINDINGS, EXIT_INPUT, EXIT_PLATFORM = 1, 2, 3

app = typer.Typer(
    name="handover",
    help=(
        "Build the handover portal (site + PDF) for automation clients on n8n, Make and Zapier.\n\n"
        "The pipeline: sync → snapshot (`clients/<client>/snapshot/`, in Git) → check → build "
        "(`build/<client>/site/` and `build/<client>/<client>-handover.pdf`).\n\n"
        "Start with `handover build demo`, or `handover init acme --name \"Acme Ltd\"` for a new client."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # main() turns an unexpected error into one readable line
    rich_markup_mode="markdown",
)
out = Console(file=GuardedStream("stdout"))  # no secret found this run reaches the terminal
err = Console(file=GuardedStream("stderr"), stderr=True)

ClientArg = Annotated[str | None, typer.Argument(help="Client folder name under clients/, e.g. `demo`.", show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Every client under clients/, each on its own.")]
RootOpt = Annotated[
    Path | None,
    typer.Option("--root", help="Folder that holds clients/ (default: $HANDOVER_ROOT or the current folder).",
                 file_okay=False, show_default=False),
]


def _fail(problems: list[str], code: int = EXIT_INPUT) -> None:
    for problem in problems:
        err.print(f"[red]error:[/] {problem}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _clients(slug: str | None, all_clients: bool, root: Path | None) -> list:
    from generator.store.workspace import all_slugs, client, default_root

    if all_clients == bool(slug):
        _fail(["name one client (e.g. `handover build demo`) or use --all"])
    base = root.resolve() if root else default_root()
    slugs = all_slugs(base) if all_clients else [slug]
    if not slugs:
        _fail([f"no clients in {base / 'clients'}; create one with `handover init <client>`"])
    try:
        return [client(s, base) for s in slugs]
    except InputError as exc:
        _fail(exc.problems)


def _version(value: bool):
    if value:
        out.print(f"handover {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
):
    pass


@app.command()
def init(
    slug: Annotated[str, typer.Argument(help="Folder name for the client: lower case, digits and dashes.")],
    name: Annotated[str | None, typer.Option("--name", help='The client\'s full name, e.g. "Acme Ltd".')] = None,
    root: RootOpt = None,
):
    """Create `clients/<client>/` with a commented, valid client.yml and an empty snapshot that builds."""
    from generator.commands.init import scaffold
    from generator.store.workspace import default_root

    try:
        folder = scaffold((root.resolve() if root else default_root()), slug, name)
    except InputError as exc:
        _fail(exc.problems)
    out.print(f"Created [bold]{folder}[/]. Next: fill in client.yml, then `handover validate {slug}` and "
              f"`handover build {slug}`.")


def _progress():
    """A rich progress display and the callback connectors use: `progress(label, total)` → advance(n)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    display = Progress(TextColumn("{task.description:>14}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=err, transient=True)
    tasks: dict[str, int] = {}

    def progress(label: str, total: int | None):
        if label not in tasks:
            tasks[label] = display.add_task(label, total=total)
        task = tasks[label]
        return lambda n: display.advance(task, n)

    return display, progress


def _summary(outcomes) -> None:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("platform", "workflows", "runs read", "requests", "time"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    for o in outcomes:
        table.add_row(o.name, str(o.workflows), f"{o.runs_read:,}", str(o.requests), f"{o.seconds:.1f} s")
    out.print(table)
    for o in outcomes:
        for skipped in o.skipped:
            out.print(f"[yellow]not collected[/] ({o.name}) {skipped}", highlight=False)
        if o.secrets:
            out.print(f"[red]{o.secrets} hardcoded secret(s)[/] found in {o.name} definitions: redacted in the "
                      "snapshot; `handover check` lists where", highlight=False)


@app.command()
def sync(
    client: ClientArg = None,
    all_clients: AllOpt = False,
    platform: Annotated[str | None, typer.Option(
        "--platform", help="Only this platform of client.yml (its name or kind, e.g. `n8n`).")] = None,
    window_days: Annotated[int | None, typer.Option(
        "--window-days", min=1, max=365, help="Days of run history to read (default: client.yml, else 30).")] = None,
    root: RootOpt = None,
):
    """Pull workflows, credentials (metadata only), users, settings and run statistics from each platform
    in client.yml into `clients/<client>/snapshot/`.

    API keys are read from the environment variables client.yml names (or a `.env` kept out of Git).
    Nothing is written unless every platform was read: a failure leaves the snapshot as it was.
    Then review with `git diff` / `handover diff`, commit, and `handover build`.
    """
    from generator.connectors import SyncProblem, sync_client
    from generator.connectors.http import PlatformError
    from generator.store import audit

    failed = 0
    for c in _clients(client, all_clients, root):
        display, progress = _progress()
        try:
            with display:
                outcomes = sync_client(c, only=platform, window_days=window_days, progress=progress)
        except (SyncProblem, PlatformError, InputError) as exc:
            problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
            input_error = isinstance(exc, InputError) or getattr(exc, "input_error", False)
            audit.record(c, "sync", "failed", problems[0][:300])
            err.print(f"[red]sync of {c.slug} failed; the snapshot was not changed.[/]")
            for problem in problems:
                err.print(f"[red]error:[/] {problem}", highlight=False, soft_wrap=True)
            failed = max(failed, EXIT_INPUT if input_error else EXIT_PLATFORM)
            continue
        out.print(f"[green]Synced {c.slug}[/] → {c.snapshot_dir}")
        _summary(outcomes)
        audit.record(c, "sync", "ok", "; ".join(f"{o.name}: {o.workflows} workflows, {o.runs_read} runs"
                                                for o in outcomes))
    if failed:
        raise typer.Exit(failed)


@app.command("import")
def import_exports(
    client: ClientArg,
    platform: Annotated[str, typer.Argument(help="Which platform the files come from: `n8n`, `make` or `zapier`.")],
    files: Annotated[list[Path], typer.Argument(
        help="n8n: workflow JSON (one workflow or a list). Make: blueprint JSON. Zapier: the account export "
             "ZIP, or its Zapfile.json, zap_data.json and task-history JSON files.",
        exists=True, dir_okay=False, show_default=False)],
    keep_literals: Annotated[bool, typer.Option(
        "--keep-literals", help="Zapier: keep non-secret literal step values (dropped by default: they can be "
                                "customer data).")] = False,
    root: RootOpt = None,
):
    """Import exported workflow files into the snapshot: for clients without API access, or to add
    workflows from another instance. Workflows in the files are added or updated; others stay.

    Secrets found in the files are redacted before anything is written and reported by location.
    """
    from generator.connectors import SyncProblem, import_files
    from generator.store import audit

    (c,) = _clients(client, False, root)
    try:
        outcome = import_files(c, platform, list(files),
                               options={"keep_literals": True} if keep_literals and platform == "zapier" else None)
    except (SyncProblem, InputError) as exc:
        problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
        audit.record(c, "import", "failed", problems[0][:300])
        err.print("[red]import failed; the snapshot was not changed.[/]")
        _fail(problems)
    out.print(f"[green]Imported {outcome.workflows} {platform} workflow(s)[/] into {c.snapshot_dir}")
    _summary([outcome])
    audit.record(c, "import", "ok", f"{platform}: {outcome.workflows} workflows from {len(files)} file(s)")


@app.command()
def validate(client: ClientArg = None, all_clients: AllOpt = False, root: RootOpt = None):
    """Check client.yml and the snapshot: every problem with its file, line and field."""
    from generator.store import snapshot

    failed = False
    for c in _clients(client, all_clients, root):
        problems = []
        try:
            c.config  # noqa: B018  (loads and validates)
        except InputError as exc:
            problems += exc.problems
        try:
            snapshot.load(c.snapshot_dir)
        except InputError as exc:
            problems += exc.problems
        if problems:
            failed = True
            for problem in problems:
                err.print(f"[red]error:[/] {problem}", highlight=False, soft_wrap=True)
        else:
            out.print(f"[green]✓[/] {c.slug}: client.yml and snapshot are valid")
    if failed:
        raise typer.Exit(EXIT_INPUT)


@app.command()
def build(
    client: ClientArg = None,
    all_clients: AllOpt = False,
    root: RootOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF.")] = True,
    check: Annotated[bool, typer.Option("--check", help="Build nothing; exit 1 when the site or PDF is older than its inputs (for CI).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when nothing changed since the last build.")] = False,
):
    """Build the site (`build/<client>/site/`) and the PDF (`build/<client>/<client>-handover.pdf`).

    Reads only `clients/<client>/` and the templates; no network. Strict: a broken link, anchor or image
    fails the build. A client whose inputs have not changed since its last build is skipped (`--force`
    rebuilds). With `--all`, each client builds in its own process, two at a time; one client's failure
    does not stop the others.
    """
    from concurrent.futures import ProcessPoolExecutor

    from generator.commands.build import build_reporting_errors, is_current
    from generator.store import audit

    clients = _clients(client, all_clients, root)
    if check:
        stale = [c.slug for c in clients if not is_current(c, pdf)]
        for slug in stale:
            err.print(f"[yellow]stale:[/] {slug}: the built site or PDF is older than its inputs; run `handover build {slug}`")
        if not stale:
            out.print("[green]✓[/] " + ", ".join(c.slug for c in clients) + ": site and PDF are current")
        raise typer.Exit(1 if stale else 0)

    started = time.monotonic()
    if len(clients) > 1:
        with ProcessPoolExecutor(max_workers=2) as pool, out.status(f"Building {len(clients)} clients, two at a time…"):
            futures = [pool.submit(build_reporting_errors, c.root, c.slug, pdf, force, False) for c in clients]
            results = [f.result() for f in futures]
    else:
        with out.status(f"Building {clients[0].slug}: pages, site and PDF…"):
            results = [build_reporting_errors(clients[0].root, clients[0].slug, pdf, force)]

    failures = []
    for c, (slug, status, result) in zip(clients, results, strict=True):
        if result is None:
            failures.append(slug)
            for line in status.splitlines():
                err.print(f"[red]error:[/] {line}", highlight=False, soft_wrap=True)
            audit.record(c, "build", "failed", status.splitlines()[0][:300])
            continue
        if result.skipped:
            out.print(f"[green]✓[/] {slug}: up to date, nothing to rebuild (use --force to rebuild)")
            continue
        audit.record(c, "build", "ok", f"{result.pages} pages; {result.findings} open findings")
        out.print(f"[green]✓[/] {slug}: {result.pages} pages · {result.findings} open findings")
        out.print(f"  site: {result.site_dir / 'index.html'}", soft_wrap=True, highlight=False)
        if result.pdf_path:
            out.print(f"  pdf:  {result.pdf_path}", soft_wrap=True, highlight=False)
    took = time.monotonic() - started
    if len(clients) > 1:
        out.print(f"{len(clients) - len(failures)} of {len(clients)} clients built in {took:.1f} s"
                  + (f"; failed: {', '.join(failures)}" if failures else ""))
    if failures:
        raise typer.Exit(EXIT_INPUT)


def _print_problems(problems: list[str]) -> None:
    for problem in problems:
        err.print(f"[red]error:[/] {problem}", highlight=False, soft_wrap=True)


@app.command()
def serve(
    client: ClientArg,
    root: RootOpt = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
):
    """Preview the site at http://127.0.0.1:PORT with live reload.

    Edits to client.yml, the snapshot, runbooks or templates regenerate the pages; the browser reloads.
    """
    from generator.commands.serve import serve as run_serve

    (c,) = _clients(client, False, root)
    try:
        run_serve(c, port)
    except InputError as exc:
        _fail(exc.problems)


class Format(StrEnum):
    table = "table"
    json = "json"


class FailOn(StrEnum):
    never = "never"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    sarif = "sarif"


@app.command()
def check(
    client: ClientArg,
    root: RootOpt = None,
    format: Annotated[CheckFormat, typer.Option(
        "--format", help="table for people; json, csv (spreadsheets) or sarif (code-scanning dashboards) for "
                         "tools.")] = CheckFormat.table,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when an open finding is at or above this severity.")] = FailOn.never,
):
    """Evaluate the security baseline against the snapshot and list the findings.

    Also compares this client with every other client under clients/ (the same secret, webhook or
    account in two snapshots) and records the result in `clients/<client>/isolation.yml`, which the
    build shows; nothing of another client is written there.
    """
    from generator.checks import Severity, report
    from generator.commands.build import load_portal
    from generator.evidence import isolation
    from generator.store import snapshot

    (c,) = _clients(client, False, root)
    try:
        isolation.save(c.dir, isolation.compare(c.root, c.slug, snapshot.load(c.snapshot_dir)))
        portal = load_portal(c)
    except InputError as exc:
        _fail(exc.problems)
    if format == CheckFormat.json:
        sys.stdout.write(report.as_json(portal.findings))
    elif format == CheckFormat.csv:
        sys.stdout.write(report.as_csv(portal.findings))
    elif format == CheckFormat.sarif:
        sys.stdout.write(report.as_sarif(portal.findings, c.slug, {w.ref for w in portal.snapshot.workflows},
                                         {cred.ref for cred in portal.snapshot.credentials}))
    else:
        table = Table(title=f"{portal.config.client.name}: security baseline", show_lines=False)
        for column in ("Severity", "Check", "Where", "Evidence"):
            table.add_column(column, overflow="fold")
        for f in portal.findings:
            table.add_row(f.check.severity.name + (" (muted)" if f.muted else ""), f"{f.check.id} {f.check.title}",
                          f.label, f.evidence)
        out.print(table)
        out.print(f"{len(portal.open_findings)} open, {len(portal.findings) - len(portal.open_findings)} muted")
    from generator.store import audit

    audit.record(c, "check", "ok", f"{len(portal.open_findings)} open findings, "
                 f"{len(portal.findings) - len(portal.open_findings)} muted")
    if fail_on != FailOn.never:
        threshold = Severity[fail_on.value]
        if any(f.check.severity >= threshold for f in portal.open_findings):
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def diff(
    client: ClientArg,
    root: RootOpt = None,
    from_rev: Annotated[str, typer.Option("--from", help="Git revision of the older snapshot.")] = "HEAD",
    to_rev: Annotated[str | None, typer.Option("--to", help="Git revision of the newer snapshot (default: the working tree).", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", help="table (readable text) or json.")] = Format.table,
):
    """What changed between two snapshots: workflows added, removed or renamed; steps, triggers and
    schedules; activation; credentials and scopes; run health; findings new, resolved and persisting.

    Default: the last commit against the working tree (what the next commit would record).
    """
    import json

    from generator.changes.diff import HistoryError, as_text, compare, snapshot_at

    (c,) = _clients(client, False, root)
    try:
        old, new = snapshot_at(c, from_rev), snapshot_at(c, to_rev)
        result = compare(old, new, c.config)
    except HistoryError as exc:
        _fail([str(exc)])
    except InputError as exc:
        _fail(exc.problems)
    if format == Format.json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(as_text(result, f"{c.slug}: {from_rev} → {to_rev or 'working tree'}"))


class AuditFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command()
def health(
    client: ClientArg,
    notify: Annotated[bool, typer.Option(
        "--notify", help="Send the alerts to the channels in client.yml (Slack-compatible webhooks, e-mail) and "
                         "remember them; without it, only print what would be sent.")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", help="Git revision of the previous snapshot (default: the one before the current).",
        show_default=False)] = None,
    root: RootOpt = None,
):
    """Alert on run health between regenerations: workflows failing above the threshold, scheduled
    workflows that stopped running, run times that grew since the previous snapshot.

    Each alert is sent once (state in `clients/<client>/health.yml`) and a recovery message follows
    when the workflow is healthy again. Meant to run on a schedule after each sync.
    """
    from generator.changes import alerts as monitor
    from generator.changes import diff
    from generator.store import audit, snapshot

    (c,) = _clients(client, False, root)
    try:
        current = snapshot.load(c.snapshot_dir)
        config = c.config
    except InputError as exc:
        _fail(exc.problems)
    previous = None
    try:
        revision = against or diff.previous_revision(c)
        previous = diff.snapshot_at(c, revision) if revision else None
    except diff.HistoryError as exc:
        if against:
            _fail([str(exc)])
        err.print(f"[yellow]note:[/] no previous snapshot to compare run times with ({exc})", highlight=False)
    state = monitor.load_state(c.dir)
    todo = monitor.plan(monitor.evaluate(config, current, previous), state)
    if todo.empty:
        out.print(f"{c.slug}: nothing new to report ({len(todo.still_open)} alert(s) still open).")
        return
    subject, body = monitor.message(config.client.name, todo)
    if not notify:
        out.print(f"Would send (run with --notify to send):\n[bold]{subject}[/]\n{body}", highlight=False)
        return
    for channel in monitor.channels(config)[1]:
        out.print(f"[yellow]–[/] {channel.kind} {channel.target}: not used for health alerts (supported: "
                  f"{', '.join(monitor.SUPPORTED)})", highlight=False)
    deliveries = monitor.deliver(config, subject, body)
    for d in deliveries:
        out.print(f"{'[green]✓' if d.ok else '[red]✗'}[/] {d.channel}{': ' + d.detail if d.detail else ''}",
                  highlight=False)
    if any(d.ok for d in deliveries):
        monitor.save_state(c.dir, monitor.apply(state, todo, current.meta.taken))
    failed = [d for d in deliveries if not d.ok]
    audit.record(c, "health", "failed" if failed else "ok", f"{subject}; " + "; ".join(
        f"{d.channel}: {'sent' if d.ok else 'failed'}" for d in deliveries))
    if not deliveries:
        _fail(["no channel in client.yml takes health alerts (alerts: kind slack, webhook or email)"])
    if failed:
        err.print(f"[red]{len(failed)} channel(s) failed[/]; the others were sent. Alerts not delivered anywhere "
                  "are tried again next time.")
        raise typer.Exit(EXIT_PLATFORM)


@app.command("bundle")
def bundle_command(
    client: ClientArg = None,
    verify: Annotated[Path | None, typer.Option(
        "--verify", help="Check a bundle instead: every file against its SHA-256 in the manifest.",
        exists=True, dir_okay=False, show_default=False)] = None,
    root: RootOpt = None,
):
    """The project-close deliverable: one dated ZIP with the PDF, the site, the native exports, the
    snapshot, the findings, the audit trail and a SHA-256 manifest of every file.

    Builds first when the site or PDF is out of date. The same inputs give the same bytes. Written to
    `build/<client>/<client>-handover-<snapshot date>.zip`; check one with `handover bundle --verify <zip>`.
    """
    from generator.commands import bundle as deliverable

    if verify is not None:
        if client:
            _fail(["give either a client (to bundle) or --verify <zip> (to check), not both"])
        result = deliverable.verify(verify)
        for problem in result.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        if not result.ok:
            err.print(f"[red]{verify.name} does not match its manifest.[/]")
            raise typer.Exit(EXIT_FINDINGS)
        out.print(f"[green]✓ {verify.name}[/]: all {result.checked} files match the manifest.")
        return
    from generator.checks import report
    from generator.commands.build import build_reporting_errors, is_current, load_portal
    from generator.store import audit, snapshot

    (c,) = _clients(client, False, root)
    if not is_current(c):
        out.print(f"Building {c.slug} first (the site or PDF is older than its inputs) …")
        _, status, _ = build_reporting_errors(c.root, c.slug, with_pdf=True, force=False)
        if status != "ok":
            _fail(status.splitlines())
    try:
        portal = load_portal(c)
        taken = snapshot.load(c.snapshot_dir).meta.taken
        files = deliverable.contents(c, report.as_json(portal.findings))
    except InputError as exc:
        _fail(exc.problems)
    path = deliverable.bundle_path(c, taken)
    deliverable.write(path, files, taken.timetuple()[:6])
    audit.record(c, "bundle", "ok", f"{path.name}: {len(files)} files")
    out.print(f"[green]✓ {path}[/] ({len(files)} files and a SHA-256 manifest)")


@app.command("audit")
def audit_export(
    client: ClientArg,
    root: RootOpt = None,
    format: Annotated[AuditFormat, typer.Option("--format", help="csv for spreadsheets, json for tools.")] = AuditFormat.csv,
):
    """Export the audit trail (`clients/<client>/audit.log`): every sync, import, build and check, with
    time (UTC), user, command, snapshot revision and result."""
    from generator.store import audit

    (c,) = _clients(client, False, root)
    sys.stdout.write(audit.export(audit.read(c), format.value))


incident_app = typer.Typer(help="Incident records in `clients/<client>/incidents/`: create and list them.",
                           no_args_is_help=True)
app.add_typer(incident_app, name="incident")


class IncidentSeverity(StrEnum):
    critical = "critical"
    high = "high"
    standard = "standard"


@incident_app.command("new")
def incident_new(
    client: ClientArg,
    title: Annotated[str, typer.Argument(help='What happened, in a few words, e.g. "Orders not reaching NetSuite".')],
    severity: Annotated[IncidentSeverity, typer.Option(help="As defined by the response targets in client.yml.")],
    workflow: Annotated[list[str] | None, typer.Option("--workflow", help="Affected workflow ref, e.g. n8n:Ord3rSync01 (repeatable).")] = None,
    owner: Annotated[str | None, typer.Option(help="Who leads it (default: the consultant in client.yml).")] = None,
    detected: Annotated[str | None, typer.Option(help="When it was detected, UTC ISO time (default: now).")] = None,
    root: RootOpt = None,
):
    """Create an incident record from the template (timeline, impact, root cause, preventive measures,
    communication log) and print its path."""
    from datetime import UTC, datetime

    from generator.config import Severity as IncidentLevel
    from generator.evidence import incidents
    from generator.store import snapshot

    (c,) = _clients(client, False, root)
    try:
        snap = snapshot.load(c.snapshot_dir)
        unknown = [ref for ref in workflow or [] if snap.workflow(ref) is None]
        if unknown:
            known = ", ".join(w.ref for w in snap.workflows[:8])
            _fail([f"--workflow {ref}: no such workflow in the snapshot (e.g. {known})" for ref in unknown])
        when = datetime.fromisoformat(detected.replace("Z", "+00:00")) if detected else datetime.now(UTC)
        if when.tzinfo is None:
            _fail(["--detected needs a time zone, e.g. 2026-11-20T09:00:00Z"])
        path = incidents.create(c.incidents_dir, title, IncidentLevel(severity.value), workflow or [],
                                owner or c.config.engagement.consultant.name, when.astimezone(UTC).replace(microsecond=0))
    except InputError as exc:
        _fail(exc.problems)
    except ValueError as exc:
        _fail([f"--detected: {exc}"])
    from generator.store import audit

    audit.record(c, "incident", "ok", f"created {path.name}")
    out.print(f"Created {path}", soft_wrap=True, highlight=False)
    out.print("Fill in the sections; set acknowledged, resolved and summary_sent in its header as they happen.")


@incident_app.command("list")
def incident_list(client: ClientArg, root: RootOpt = None):
    """List the client's incidents, newest first, with response and restore times against the targets."""
    from generator.evidence import incidents
    from generator.evidence.run_health import format_span

    (c,) = _clients(client, False, root)
    try:
        records = incidents.load(c.incidents_dir)
        targets = c.config.response_targets
    except InputError as exc:
        _fail(exc.problems)
    table = Table(title=f"{c.config.client.name}: incidents")
    for column in ("Id", "Severity", "Status", "Detected (UTC)", "First response", "Restored after", "Title"):
        table.add_column(column, overflow="fold")
    for i in records:
        table.add_row(i.id, i.severity.value, i.status.value, f"{i.detected:%Y-%m-%d %H:%M}",
                      format_span(i.time_to_acknowledge) + (" (missed)" if i.response_missed(targets) else ""),
                      format_span(i.time_to_resolve) + (" (missed)" if i.resolve_missed(targets) else ""), i.title)
    out.print(table if records else f"No incidents recorded for {c.slug}.")


EXIT_INTERNAL = 4


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, without a traceback or any data value
        import os
        import traceback

        from generator.redact import redact_text

        if os.environ.get("HANDOVER_DEBUG"):
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {redact_text(str(exc))[0][:200]} "
                  f"(at {Path(where.filename).name}:{where.lineno}). Nothing was changed by the failing step. "
                  "Please report it; HANDOVER_DEBUG=1 shows the traceback.", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INTERNAL)
