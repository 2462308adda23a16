"""`handover sync`: each platform of client.yml into the client's snapshot and native exports.

Nothing is written unless every platform was read; one client's failure does not stop the next. A
sync that changed the snapshot is committed (its snapshot and exports only) when the client folder is
in Git, unless told not to.
"""

from __future__ import annotations

from generator.changes import changelog
from generator.commands import Result
from generator.connectors import Outcome, sync_client
from generator.errors import HandoverError
from generator.store.workspace import Client


def summary(result: Result, outcomes: list[Outcome]) -> None:
    """The table every sync and import ends with, then what was not collected and the secrets found."""
    result.table(["platform", "workflows", "runs read", "requests", "time"],
                 [[o.name, str(o.workflows), f"{o.runs_read:,}", str(o.requests), f"{o.seconds:.1f} s"] for o in outcomes],
                 numeric=("workflows", "runs read", "requests", "time"))
    for o in outcomes:
        for skipped in o.skipped:
            result.say(f"not collected ({o.name}) {skipped}", "warn")
        for line in o.not_documented:
            result.say(f"not documented ({o.name}) {line}", "warn")
        for line in o.renamed:
            result.say(f"id ({o.name}) {line}", "note")
        for line in o.rejected:
            result.say(f"rejected ({o.name}) {line}", "error")
        if o.secrets:
            result.say(f"{o.secrets} hardcoded secret(s) found in {o.name} definitions: redacted in the snapshot; "
                       "`handover check` lists where", "error")


def audit_detail(outcomes: list[Outcome], changed: bool) -> str:
    """One line for the audit log: counts per platform, and the workflows not documented by ref (the
    audit line is cut at 300 characters: the refs come first, the reasons are in the snapshot)."""
    parts = []
    for o in outcomes:
        part = f"{o.name}: {o.workflows} workflows, {o.runs_read:,} runs"
        if o.not_documented:
            part += f", not documented: {', '.join(line.split(' ', 1)[0] for line in o.not_documented)}"
        parts.append(part)
    return "; ".join(parts) + ("" if changed else "; no change")


def run(clients: list[Client], platform: str | None = None, window_days: int | None = None, progress=None,
        commit: bool = True, message: str | None = None) -> Result:
    result = Result()
    for c in clients:
        try:
            outcomes = sync_client(c, only=platform, window_days=window_days, progress=progress)
        except HandoverError as exc:
            problems = str(exc).splitlines()
            code = exc.exit_code
            result.say(f"sync of {c.slug} failed; the snapshot was not changed.", "error")
            for problem in problems:
                result.say(problem, "error")
            result.record(c, "sync", "failed", problems[0])
            result.exit_code = max(result.exit_code, code)
            continue
        changed = any(o.changed for o in outcomes)
        result.say(f"Synced {c.slug} → {c.snapshot_dir}" if changed else
                   f"Synced {c.slug}: no change since the last sync; no file was written", "ok")
        summary(result, outcomes)
        if changed and commit:
            kinds = {p.name: p.kind for p in c.config.platforms}
            result.say(changelog.record(c, "Sync", [(o.name, kinds.get(o.name)) for o in outcomes], message), "note")
        result.record(c, "sync", "ok", audit_detail(outcomes, changed))
    return result
