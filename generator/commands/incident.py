"""`handover incident new|list`: incident records in `clients/<client>/incidents/`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from generator.commands import Result
from generator.config import IncidentLevel
from generator.errors import InputError
from generator.evidence import incidents
from generator.formats import format_span
from generator.store import snapshot
from generator.store.workspace import Client


def new(client: Client, title: str, severity: str, workflows: list[str], owner: str | None = None,
        detected: str | None = None) -> Result:
    """A record from the template; `detected` is an ISO time with a zone (default: now)."""
    snap = snapshot.load(client.snapshot_dir)
    unknown = [ref for ref in workflows if snap.workflow(ref) is None]
    if unknown:
        known = ", ".join(w.ref for w in snap.workflows[:8])
        raise InputError([f"--workflow {ref}: no such workflow in the snapshot (e.g. {known})" for ref in unknown])
    try:
        when = datetime.fromisoformat(detected.replace("Z", "+00:00")) if detected else datetime.now(UTC)
    except ValueError as exc:
        raise InputError([f"--detected: {exc}"]) from None
    if when.tzinfo is None:
        raise InputError(["--detected needs a time zone, e.g. 2026-11-20T09:00:00Z"])
    path = incidents.create(client.incidents_dir, title, IncidentLevel(severity), workflows,
                            owner or client.config.engagement.consultant.name, when.astimezone(UTC).replace(microsecond=0))
    result = Result().say(f"Created {path}", "ok")
    result.say("Fill in the sections; set acknowledged, resolved and summary_sent in its header as they happen.")
    ident = re.match(r"INC-\d{4}-\d+", path.name).group(0)  # the record's id (its file name is for the consultant)
    return result.record(client, "incident", "ok", f"{ident} opened: {title}")


def listing(client: Client) -> Result:
    """Newest first, with response and restore times against the targets."""
    records = incidents.load(client.incidents_dir)
    targets = client.config.response_targets
    if not records:
        return Result().say(f"No incidents recorded for {client.slug}.")
    rows = [[i.id, i.severity.value, i.status.value, f"{i.detected:%Y-%m-%d %H:%M}",
             format_span(i.time_to_acknowledge) + (" (missed)" if i.response_missed(targets) else ""),
             format_span(i.time_to_resolve) + (" (missed)" if i.resolve_missed(targets) else ""), i.title]
            for i in records]
    return Result().table(["Id", "Severity", "Status", "Detected (UTC)", "First response", "Restored after", "Title"],
                          rows, title=f"{client.config.client.name}: incidents")
