"""The audit trail: `clients/<client>/audit.log`, one JSON object per line, append-only.

Every sync, import, build, check and incident record appends what was done, by whom, when, on which
snapshot revision, and the result. Existing lines are never rewritten. A client folder that carries
its recorded history (`history/`, see store.history) carries the audit records of that history too, in
`history/audit.log`: they come first, then the folder's own.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
from datetime import UTC, datetime

from generator.errors import InputError
from generator.formats import csv_cell
from generator.store import guard
from generator.store.workspace import Client
from generator.store.yamlio import read_text

FIELDS = ("time", "user", "command", "client", "revision", "result", "detail")
# Records the portal shows: what changed the data or judged it. Build records stay in the log but are
# not rendered, or every build would change the next one's output; the builds of a recorded history
# are shown (they do not change).
SHOWN = {"sync", "import", "check", "incident"}
RECORDED = "history/audit.log"
# What each command did, in the client's words (the portal shows no command lines)
ACTIVITY = {"sync": "Sync of the platforms", "import": "Import of exported workflows", "check": "Security baseline check",
            "build": "Handover site and PDF built", "incident": "Incident record", "bundle": "Hand-over bundle made",
            "health": "Health check of the workflows"}
MAX_LOG_BYTES = 256 * 1024 * 1024  # years of records; a bigger file is not one this tool wrote


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
    fd = os.open(client.audit_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a record cut short by a crash: start a new line
            line = "\n" + line
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read(client: Client) -> list[dict]:
    """Every record, oldest first: the recorded history's, then the folder's own."""
    return _read(client.dir / RECORDED) + _read(client.audit_path)


def _read(path) -> list[dict]:
    """A line that is not a record with every field is an InputError naming the line: the trail is
    evidence, and a damaged one is said so rather than shown with gaps."""
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(read_text(path, limit=MAX_LOG_BYTES).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise InputError([f"{where}: not a JSON record; repair or remove the line"]) from None
        if not isinstance(entry, dict):
            raise InputError([f"{where}: expected a JSON object with {', '.join(FIELDS)}"])
        missing = [name for name in FIELDS if not isinstance(entry.get(name), str)]
        if missing:
            raise InputError([f"{where}: the record has no {', '.join(missing)} (expected text for each of "
                              f"{', '.join(FIELDS)})"])
        entries.append(entry)
    return entries


def shown(client: Client, limit: int | None = 100) -> list[dict]:
    """The records the portal and the bundle show, newest first (the newest `limit`; None: all)."""
    recorded = _read(client.dir / RECORDED)
    own = [e for e in _read(client.audit_path) if e.get("command") in SHOWN]
    return list(reversed(recorded + own))[:limit]


def activity(entry: dict) -> str:
    """What a record says was done, in words for the client: the activity and, when it succeeded, its
    counts (a failure's detail can name files and settings: it stays in the consultant's export)."""
    what = ACTIVITY.get(entry["command"], entry["command"].capitalize())
    if entry["result"] != "ok":
        return f"{what}: {entry['result']}"
    return f"{what}: {entry['detail']}" if entry["detail"] else what


def export(entries: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in entry.items()} for entry in entries)
    return out.getvalue()
