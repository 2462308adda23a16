"""`handover import`: export files of one platform into the snapshot (added or updated)."""

from __future__ import annotations

from pathlib import Path

from generator.changes import changelog
from generator.commands import Result
from generator.commands.sync import summary
from generator.connectors import import_files
from generator.errors import EXIT_INPUT, InputError
from generator.platforms import Platform
from generator.store.workspace import Client


def run(client: Client, platform: str, files: list[Path], keep_literals: bool = False, replace: bool = False,
        progress=None, commit: bool = True, message: str | None = None) -> Result:
    """Import `files`; the snapshot and exports are committed when the client folder is in Git (and
    `commit`), with `message` or one saying what was imported."""
    options: dict = {"replace": True} if replace else {}
    if keep_literals:  # only Zapier step values are dropped by default; the option means nothing elsewhere
        options["keep_literals"] = True
    try:
        outcome = import_files(client, platform, files, options=options or None, progress=progress)
    except InputError as exc:
        raise InputError(exc.problems, exc.hint or "the snapshot was not changed") from None
    result = Result().say(f"Imported {outcome.workflows} {platform} workflow(s) into {client.snapshot_dir}", "ok")
    summary(result, [outcome])
    if outcome.rejected:  # the good ones are in; the exit status says some were not
        result.say(f"{len(outcome.rejected)} file(s) or workflow(s) rejected (listed above); the others were "
                   "imported", "error")
        result.exit_code = EXIT_INPUT
    if commit and outcome.workflows:
        kind = Platform(platform)
        result.say(changelog.record(client, "Import", [(f"{kind.label} export files", kind)], message), "note")
    return result.record(client, "import", "partial" if outcome.rejected else "ok",
                         f"{platform}: {outcome.workflows} workflows from {len(files)} file(s)"
                         + (f", {len(outcome.rejected)} rejected" if outcome.rejected else ""))
