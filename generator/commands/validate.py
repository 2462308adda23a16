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
            continue
        result.say(f"{c.slug}: client.yml and snapshot are valid", "ok")
        for line in _unmatched_confirmations(c):
            result.say(line, "warn")
    return result


def _unmatched_confirmations(c: Client) -> list[str]:
    """Confirmations naming no close-out item: a typo, or an item the data now shows done (then drop it)."""
    from generator.evidence import gather
    from generator.evidence.closeout import OPEN, checklist

    found = checklist(gather(c))
    if not found.unmatched:
        return []
    still_open = [i.key for i in found.items if i.status == OPEN]
    hint = ", ".join(f"'{k}'" for k in still_open[:6]) + (" …" if len(still_open) > 6 else "")
    return [f"{c.slug}: client.yml closeout.confirmations: '{x.item}' names no item of the close-out checklist "
            f"(a typo, or the data shows it done now: then remove it); open items: {hint or 'none'}"
            for x in found.unmatched]
