"""`handover import`: export files of one platform into the snapshot (added or updated)."""

from __future__ import annotations

from pathlib import Path

from generator.commands import Result
from generator.commands.sync import summary
from generator.connectors import import_files
from generator.errors import InputError
from generator.store.workspace import Client


def run(client: Client, platform: str, files: list[Path], keep_literals: bool = False, progress=None) -> Result:
    try:
        outcome = import_files(client, platform, files,
                               options={"keep_literals": True} if keep_literals and platform == "zapier" else None,
                               progress=progress)
    except InputError as exc:
        raise InputError(exc.problems, exc.hint or "the snapshot was not changed") from None
    result = Result().say(f"Imported {outcome.workflows} {platform} workflow(s) into {client.snapshot_dir}", "ok")
    summary(result, [outcome])
    return result.record(client, "import", "ok", f"{platform}: {outcome.workflows} workflows from {len(files)} file(s)")
