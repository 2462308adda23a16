"""`handover validate`: client.yml and the snapshot, every problem with its file, line and field."""

from __future__ import annotations

from generator.checks.actions import references
from generator.commands import Result
from generator.errors import EXIT_INPUT, InputError
from generator.store import snapshot
from generator.store.workspace import Client


def run(clients: list[Client]) -> Result:
    result = Result()
    for c in clients:
        problems = []
        for load in (lambda c=c: c.config, lambda c=c: snapshot.load(c.snapshot_dir)):
            try:
                load()
            except InputError as exc:
                problems += exc.problems
        if not problems:
            problems += references(c.config, c.config_path)
        for problem in problems:
            result.say(problem, "error")
        if problems:
            result.exit_code = EXIT_INPUT
        else:
            result.say(f"{c.slug}: client.yml and snapshot are valid", "ok")
    return result
