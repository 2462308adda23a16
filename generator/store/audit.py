"""The audit trail: `clients/<client>/audit.log`, one JSON object per line, append-only.

Every sync, import, build, check and incident record appends what was done, by whom, when, on which
snapshot revision, and the result. Existing lines are never rewritten.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
from datetime import UTC, datetime

from generator.formats import csv_cell
from generator.store import guard
from generator.store.workspace import Client

FIELDS = ("time", "user", "command", "client", "revision", "result", "detail")
# Records the portal shows: what changed the data or judged it. Build records stay in the log but are
# not rendered, or every build would change the next one's output.
SHOWN = {"sync", "import", "check", "incident"}


def user() -> str:
    return os.environ.get("HANDOVER_USER") or os.environ.get("GITHUB_ACTOR") or getpass.getuser()


def record(client: Client, command: str, result: str, detail: str = "") -> dict:
    entry = {
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "user": user(),
        "command": command,
        "client": client.slug,
        "revision": client.revision(),
        "result": result,
        "detail": guard.safe_text(detail, "detail"),
    }
    line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
    # O_APPEND: each record lands whole at the end, even with two processes writing.
    fd = os.open(client.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read(client: Client) -> list[dict]:
    if not client.audit_path.exists():
        return []
    entries = []
    for number, line in enumerate(client.audit_path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                entries.append({"time": "", "command": "?", "result": f"unreadable line {number}"})
    return entries


def shown(client: Client, limit: int | None = 100) -> list[dict]:
    """The records the portal and the bundle show, newest first (the newest `limit`; None: all)."""
    return [e for e in reversed(read(client)) if e.get("command") in SHOWN][:limit]


def export(entries: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in entry.items()} for entry in entries)
    return out.getvalue()
