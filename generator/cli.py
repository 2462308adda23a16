"""The `handover` command: declares the verbs, renders their Results, maps errors to exit codes.

Each verb is a function in `generator/commands/` that returns a Result and prints nothing. Here the
Result is shown (as plain text: data never becomes terminal markup, emoji codes or escape sequences),
its audit entries are recorded (the one place that writes the audit trail), and errors end the process
with their code: 0 ok · 1 findings at or above --fail-on · 2 input or usage error · 3 platform or
network error · 4 internal error (a bug: one line here, the detail in a file).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from generator import __version__
from generator.config import IncidentLevel
from generator.errors import EXIT_INPUT, EXIT_INTERNAL, HandoverError, InputError
from generator.store.guard import GuardedStream

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


def console(stderr: bool = False) -> Console:
    """Data reaches the terminal as text only: no [markup], no :emoji: codes, no highlighting. Made when
    needed, so the width follows the terminal (and COLUMNS) of this run. Its stream withholds any line
    holding a secret found during this run (generator.store.guard)."""
    return Console(file=GuardedStream("stderr" if stderr else "stdout"), stderr=stderr, markup=False, emoji=False,
                   highlight=False)

ClientArg = Annotated[str | None, typer.Argument(help="Client folder name under clients/, e.g. `demo`.", show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Every client under clients/, each on its own.")]
CommitOpt = Annotated[bool, typer.Option(
    "--commit/--no-commit", help="Commit the snapshot and exports it wrote (only those files) when the client "
                                 "folder is in Git.")]
MessageOpt = Annotated[str | None, typer.Option(
    "--message", "-m", help="The commit's message (default: one saying what changed, per platform).",
    show_default=False)]
RootOpt = Annotated[
    Path | None,
    typer.Option("--root", help="Folder that holds clients/ (default: $HANDOVER_ROOT or the current folder).",
                 file_okay=False, show_default=False),
]
TONES = {"ok": "green", "error": "red", "warn": "yellow", "note": "yellow", "info": ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """Text safe for a terminal: control characters (escape sequences, bells) shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], str(text))


def _line(stderr: bool, text: str, tone: str = "info") -> None:
    prefix = {"error": "error: ", "warn": "", "note": ""}.get(tone, "")
    console(stderr).print(Text(prefix + plain(text), style=TONES.get(tone, "")), soft_wrap=True)


def show(result) -> None:
    """A command's Result on the terminal (lines and tables) and its output for tools on stdout."""
    from generator.commands import Table as ResultTable

    for item in result.shown:
        if isinstance(item, ResultTable):
            table = Table(title=plain(item.title) if item.title else None, header_style="bold",
                          box=None if not item.title else None, pad_edge=False)
            for column in item.columns:
                table.add_column(plain(column), overflow="fold", justify="right" if column in item.numeric else "left")
            for row in item.rows:
                table.add_row(*(Text(plain(cell)) for cell in row))
            console().print(table)
        else:
            _line(item.tone == "error", item.text, item.tone)
    if result.output:
        sys.stdout.write(result.output)
        sys.stdout.flush()


def execute(work: Callable[[], object], clients: list | None = None, command: str | None = None) -> None:
    """Run one verb: show its Result, record its audit entries, end with its exit code. An error the tool
    raises on purpose is shown as its lines and recorded as a failure of `command` for `clients`."""
    from generator.store import audit

    try:
        result = work()
    except HandoverError as exc:
        for client in clients or []:
            if command:
                audit.record(client, command, "failed", exc.problems[0][:300])
        for problem in exc.problems:
            _line(True, problem, "error")
        if exc.hint:
            _line(True, exc.hint, "note")
        raise typer.Exit(exc.exit_code) from None
    if result is None:
        return
    for entry in result.audit:
        audit.record(entry.client, entry.command, entry.result, entry.detail)
    show(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _root(root: Path | None) -> Path:
    from generator.store.workspace import default_root

    return root.resolve() if root else default_root()


def _clients(slug: str | None, all_clients: bool, root: Path | None) -> list:
    from generator.store.workspace import all_slugs, client

    def find():
        if all_clients == bool(slug):
            raise InputError(["name one client (e.g. `handover build demo`) or use --all"])
        base = _root(root)
        slugs = all_slugs(base) if all_clients else [slug]
        if not slugs:
            raise InputError([f"no clients in {base / 'clients'}; create one with `handover init <client>`"])
        return [client(s, base) for s in slugs]

    found: list = []
    execute(lambda: found.extend(find()))
    return found


def _refuse(message: str):
    raise InputError([message])


def _version(value: bool):
    if value:
        console().print(f"handover {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
):
    from generator.redact import REGISTRY

    REGISTRY.clear()  # one command is one run: the write guard knows the secrets this run found


@app.command()
def init(
    slug: Annotated[str, typer.Argument(help="Folder name for the client: lower case, digits and dashes.")],
    name: Annotated[str | None, typer.Option("--name", help='The client\'s full name, e.g. "Acme Ltd".')] = None,
    root: RootOpt = None,
):
    """Create `clients/<client>/` with a commented, valid client.yml and an empty snapshot that builds."""
    from generator.commands import init as command

    execute(lambda: command.run(_root(root), slug, name))


def _progress():
    """A rich progress display and the callback connectors use: `progress(label, total)` → advance(n)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    display = Progress(TextColumn("{task.description:>14}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def progress(label: str, total: int | None):
        if label not in tasks:
            tasks[label] = display.add_task(plain(label), total=total)
        task = tasks[label]
        return lambda n: display.advance(task, n)

    return display, progress


@app.command()
def sync(
    client: ClientArg = None,
    all_clients: AllOpt = False,
    platform: Annotated[str | None, typer.Option(
        "--platform", help="Only this platform of client.yml (its name or kind, e.g. `n8n`).")] = None,
    window_days: Annotated[int | None, typer.Option(
        "--window-days", min=1, max=365, help="Days of run history to read (default: client.yml, else 30).")] = None,
    commit: CommitOpt = True,
    message: MessageOpt = None,
    root: RootOpt = None,
):
    """Pull workflows, credentials (metadata only), users, settings and run statistics from each platform
    in client.yml into `clients/<client>/snapshot/`.

    API keys are read from the environment variables client.yml names (or a `.env` kept out of Git).
    Nothing is written unless every platform was read: a failure leaves the snapshot as it was. A sync
    that changed the snapshot commits it (the client's snapshot and exports, nothing else) when the
    client folder is in Git; `--no-commit` leaves it for you to review with `handover diff` and commit.
    """
    from generator.commands import sync as command

    clients = _clients(client, all_clients, root)
    display, progress = _progress()

    def work():
        with display:
            return command.run(clients, platform=platform, window_days=window_days, progress=progress,
                               commit=commit, message=message)

    execute(work)


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
    replace: Annotated[bool, typer.Option(
        "--replace", help="Let a workflow in the files replace a different one that has the same id (by default "
                          "it gets an id of its own, reported).")] = False,
    commit: CommitOpt = True,
    message: MessageOpt = None,
    root: RootOpt = None,
):
    """Import exported workflow files into the snapshot: for clients without API access, or to add
    workflows from another instance. Workflows in the files are added or updated; others stay.

    Secrets found in the files are redacted before anything is written and reported by location. The
    snapshot and exports are committed when the client folder is in Git (`--no-commit`: not).
    """
    from generator.commands import imports as command

    clients = _clients(client, False, root)
    display, progress = _progress()

    def work():
        with display:
            return command.run(clients[0], platform, list(files), keep_literals, replace, progress,
                               commit=commit, message=message)

    execute(work, clients, "import")


@app.command()
def validate(client: ClientArg = None, all_clients: AllOpt = False, root: RootOpt = None):
    """Check client.yml and the snapshot: every problem with its file, line and field."""
    from generator.commands import validate as command

    clients = _clients(client, all_clients, root)
    execute(lambda: command.run(clients))


class Audience(StrEnum):
    client = "client"
    consultant = "consultant"


@app.command()
def build(
    client: ClientArg = None,
    all_clients: AllOpt = False,
    root: RootOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF.")] = True,
    check: Annotated[bool, typer.Option("--check", help="Build nothing; exit 1 when the site or PDF is older than its inputs (for CI).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when nothing changed since the last build.")] = False,
    pdf_detail: Annotated[bool, typer.Option(
        "--pdf-detail", help="The full PDF (a chapter per workflow) even above document.pdf_detail_threshold "
                             "workflows in client.yml, where it is otherwise the summary edition.")] = False,
    audience: Annotated[Audience, typer.Option(
        "--audience",
        help="client: the site and PDF, which name no tool internals. consultant: the consultant report "
             "(`build/<client>/consultant/report.html`): keys' variables, client.yml keys to change, commands.")] = Audience.client,
):
    """Build the site (`build/<client>/site/`) and the PDF (`build/<client>/<client>-handover.pdf`).

    Reads only `clients/<client>/` and the templates; no network. Strict: a broken link, anchor or image
    fails the build. A client whose inputs have not changed since its last build is skipped (`--force`
    rebuilds). With `--all`, each client builds in its own process, two at a time; one client's failure
    does not stop the others. `--audience consultant` writes the consultant report instead.
    """
    from generator.commands import build as command

    clients = _clients(client, all_clients, root)

    def work():
        if check:
            return command.run(clients, with_pdf=pdf, check=True, pdf_detail=pdf_detail)
        if audience == Audience.consultant:
            return command.run(clients, audience="consultant")
        with console(stderr=True).status(f"Building {clients[0].slug}: pages, site and PDF…" if len(clients) == 1
                        else f"Building {len(clients)} clients, two at a time…"):
            return command.run(clients, with_pdf=pdf, force=force, pdf_detail=pdf_detail)

    execute(work, clients if len(clients) == 1 else None, "build")


@app.command()
def serve(
    client: ClientArg,
    root: RootOpt = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
):
    """Preview the site at http://127.0.0.1:PORT with live reload.

    Edits to client.yml, the snapshot, runbooks or templates regenerate the pages; the browser reloads.
    """
    from generator.commands import serve as command

    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0], port))


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
    client: ClientArg = None,
    root: RootOpt = None,
    format: Annotated[CheckFormat, typer.Option(
        "--format", help="table for people; json, csv (spreadsheets) or sarif (code-scanning dashboards) for "
                         "tools.")] = CheckFormat.table,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when an open finding is at or above this severity.")] = FailOn.never,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this control (repeat for more), e.g. --only MON-001.", show_default=False)] = None,
    list_: Annotated[bool, typer.Option("--list", help="List every control of the baseline and exit (no client needed).")] = False,
):
    """Judge every control of the security baseline against the snapshot: pass, fail, not assessed (with
    the reason) or not applicable, with the evidence for each resource; list the findings.

    Also compares this client with every other client under clients/ (the same secret, webhook or
    account in two snapshots) and records the result in `clients/<client>/isolation.yml`, which the
    build shows; nothing of another client is written there.
    """
    from generator.commands import check as command

    if list_:
        execute(command.catalogue)
        return
    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0], format.value, None if fail_on == FailOn.never else fail_on.value,
                                [i.upper() for i in only] if only else None), clients, "check")


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
    from generator.commands import diff as command

    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0], from_rev, to_rev, format.value))


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
    from generator.commands import health as command

    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0], notify, against), clients if notify else None, "health")


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
    from generator.commands import bundle as command

    if verify is not None:
        execute(lambda: command.run_verify(verify) if not client else _refuse(
            "give either a client (to bundle) or --verify <zip> (to check), not both"))
        return
    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0]), clients, "bundle")


@app.command("audit")
def audit_export(
    client: ClientArg,
    root: RootOpt = None,
    format: Annotated[AuditFormat, typer.Option("--format", help="csv for spreadsheets, json for tools.")] = AuditFormat.csv,
):
    """Export the audit trail (`clients/<client>/audit.log`): every sync, import, build and check, with
    time (UTC), user, command, snapshot revision and result."""
    from generator.commands import audit as command

    clients = _clients(client, False, root)
    execute(lambda: command.run(clients[0], format.value))


incident_app = typer.Typer(help="Incident records in `clients/<client>/incidents/`: create and list them.",
                           no_args_is_help=True)
app.add_typer(incident_app, name="incident")


@incident_app.command("new")
def incident_new(
    client: ClientArg,
    title: Annotated[str, typer.Argument(help='What happened, in a few words, e.g. "Orders not reaching NetSuite".')],
    severity: Annotated[IncidentLevel, typer.Option(help="As defined by the response targets in client.yml.")],
    workflow: Annotated[list[str] | None, typer.Option("--workflow", help="Affected workflow ref, e.g. n8n:Ord3rSync01 (repeatable).")] = None,
    owner: Annotated[str | None, typer.Option(help="Who leads it (default: the consultant in client.yml).")] = None,
    detected: Annotated[str | None, typer.Option(help="When it was detected, UTC ISO time (default: now).")] = None,
    root: RootOpt = None,
):
    """Create an incident record from the template (timeline, impact, root cause, preventive measures,
    communication log) and print its path."""
    from generator.commands import incident as command

    clients = _clients(client, False, root)
    execute(lambda: command.new(clients[0], title, severity.value, workflow or [], owner, detected))


@incident_app.command("list")
def incident_list(client: ClientArg, root: RootOpt = None):
    """List the client's incidents, newest first, with response and restore times against the targets."""
    from generator.commands import incident as command

    clients = _clients(client, False, root)
    execute(lambda: command.listing(clients[0]))


def _internal_error(exc: BaseException) -> None:
    """A bug: one line on the terminal, the redacted traceback in a file for the report."""
    import os
    import tempfile
    import traceback

    from generator.redact import redact_text

    detail = redact_text("".join(traceback.format_exception(exc)))[0]
    if os.environ.get("HANDOVER_DEBUG"):
        console(stderr=True).print(Text(detail))
    fd, path = tempfile.mkstemp(prefix="handover-internal-error-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"handover {__version__}\n{' '.join(sys.argv[1:2])}\n\n{detail}")
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    _line(True, f"internal error: {type(exc).__name__}{place}. This is a bug in Handover, not in your files; the "
               f"step that failed changed nothing. Details for the report: {path} (HANDOVER_DEBUG=1 shows them here).",
          "error")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _line(True, "interrupted", "error")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001  a bug: say so in one line, without a traceback or any data value
        _internal_error(exc)
        sys.exit(EXIT_INTERNAL)


__all__ = ["app", "main", "EXIT_INPUT"]
