"""The change log: one entry per commit that changed the client's snapshot, newest first.

Each entry compares the snapshot at the commit with the one at its parent. A commit never changes, so
its comparison is cached under build/<client>/.cache/changelog/ by commit hash: a rebuild only
compares commits it has not seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from generator import __version__
from generator.changes.diff import compare
from generator.errors import GitError, InputError
from generator.evidence import gather
from generator.store import cache as cache_entry
from generator.store import git
from generator.store.workspace import Client

MAX_ENTRIES = 30


@dataclass
class Entry:
    commit: str
    date: str  # ISO 8601, as Git recorded it
    author: str
    subject: str
    summary: str
    workflows: dict[str, list[str]]  # workflow ref → what changed in it
    added: list[str]
    removed: list[str]
    first: bool = False  # the first snapshot: everything in it counts as added
    resolved: list[str] = field(default_factory=list)  # controls that turned from fail to pass, findings resolved


def _commits(client: Client) -> list[tuple[str, str, str, str]]:
    try:
        return git.commits(client.dir, "snapshot", MAX_ENTRIES)
    except GitError:  # not in Git, or no commit yet: no change log
        return []


def _entry(client: Client, commit: str, date: str, author: str, subject: str) -> Entry:
    cache = client.build_dir / ".cache" / "changelog" / f"{commit}-{__version__}.json"
    cached = cache_entry.get(cache)
    if cached is not None:
        try:
            return Entry(**json.loads(cached))
        except (ValueError, TypeError):  # written by another version: compare again
            pass
    after = gather(client, commit)
    new = after.snapshot
    try:
        before = gather(client, f"{commit}^")
    except GitError:
        before = None  # the first snapshot (or the client folder did not exist yet)
    if before is None:
        entry = Entry(commit, date, author, subject, f"first snapshot: {len(new.workflows)} workflows",
                      {}, [w.ref for w in new.workflows], [], first=True)
    else:
        old = before.snapshot
        diff = compare(before, after)
        entry = Entry(commit, date, author, subject, diff.summary(),
                      {c.ref: c.changes for c in diff.workflows_changed},
                      sorted({w.ref for w in new.workflows} - {w.ref for w in old.workflows}),
                      sorted({w.ref for w in old.workflows} - {w.ref for w in new.workflows}),
                      resolved=diff.controls_resolved + diff.findings_resolved)
    cache_entry.put(cache, json.dumps(entry.__dict__, ensure_ascii=False, sort_keys=True).encode())
    return entry


def entries(client: Client) -> list[Entry]:
    """The change log, newest first; empty outside Git. A commit whose snapshot cannot be read is skipped."""
    found = []
    for commit, date, author, subject in _commits(client):
        try:
            found.append(_entry(client, commit, date, author, subject))
        except InputError:  # GitError included: a commit whose client folder cannot be read
            continue
    return found
