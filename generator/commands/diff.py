"""`handover diff`: what changed between two revisions of a client, judged by the whole baseline."""

from __future__ import annotations

import json

from generator.changes.diff import as_text, compare
from generator.commands import Result
from generator.evidence import gather
from generator.store.workspace import Client


def run(client: Client, from_rev: str = "HEAD", to_rev: str | None = None, format: str = "table") -> Result:
    """`from_rev` → `to_rev` (None: the working tree, i.e. what the next commit would record)."""
    changes = compare(gather(client, from_rev), gather(client, to_rev))
    if format == "json":
        return Result(output=json.dumps(changes.as_dict(), indent=2, ensure_ascii=False) + "\n")
    return Result(output=as_text(changes, f"{client.slug}: {from_rev} → {to_rev or 'working tree'}"))
