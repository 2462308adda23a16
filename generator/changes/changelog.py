"""The change log: the engagement's history, one entry per revision of the client's folder, newest first.

The history is the client folder's own: its recorded revisions (`history/`, replayed into a private
repository by `store.history`) when it carries them, else the Git commits that changed the client
folder (its snapshot, exports or hand-written records; not the audit log). A commit that changed only
code never changes the client folder, so it never appears. Each entry compares the folder at the
commit with the folder at its parent and says what changed in the client's words (workflows, steps,
credentials, engagement facts, incidents, runbooks, controls resolved); the commit's message and author
are shown only for a commit that changed nothing outside the client folder (a sync, an import, the
consultant's own edit), never for a commit that also changed code.

A commit never changes, so its comparison is cached under build/<client>/.cache/changelog/ by commit
hash: a rebuild only compares commits it has not seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from generator import __version__, formats
from generator.changes.diff import compare, headline
from generator.errors import GitError, InputError
from generator.evidence import gather, snapshot_cache
from generator.store import cache as cache_entry
from generator.store import git, history
from generator.store.workspace import Client

MAX_ENTRIES = 30
FORMAT = 2  # of a cached entry: a change to what an entry holds or says is not read from an older cache
PATHSPEC = [".", ":(exclude)audit.log", ":(exclude)history"]  # from the client folder


@dataclass
class Entry:
    commit: str
    date: str  # ISO 8601, as Git recorded it (with the zone it was made in)
    title: str  # what changed, in a few words
    summary: str
    workflows: dict[str, list[str]]  # workflow ref → what changed in it
    added: list[str]
    removed: list[str]
    author: str | None = None  # None for a commit that also changed files outside the client folder
    note: str | None = None  # the commit's message, on the same condition
    first: bool = False  # the first snapshot: everything in it counts as added
    resolved: list[str] = field(default_factory=list)  # controls that turned from fail to pass, findings resolved
    changes: list[str] = field(default_factory=list)  # credentials, records and health, in the client's words


def source(client: Client) -> Client:
    """Where the client's history is: the replay of its recorded revisions, or the client itself."""
    return history.replay(client) if history.recorded(client) else client


def _commits(client: Client) -> list[tuple[str, str, str, str]]:
    try:
        return git.commits(client.dir, PATHSPEC, MAX_ENTRIES)
    except GitError:  # not in Git, or no commit yet: no change log
        return []


def _own(client: Client, commit: str) -> bool:
    """The commit changed nothing outside the client folder (a sync, an import, an edit of its records)."""
    top = git.toplevel(client.dir)
    inside = client.dir.resolve().relative_to(top).as_posix() + "/"
    return all(path.startswith(inside) for path in git.changed_files(client.dir, commit))


def _findings_left(diff) -> list[str]:
    """Findings resolved at controls that still fail elsewhere (a control resolved everywhere says it once)."""
    whole = {c.split(" ", 1)[0] for c in diff.controls_resolved}
    return [f for f in diff.findings_resolved if f.split(" ", 1)[0] not in whole]


def _entry(client: Client, where: Client, commit: str, date: str, author: str, subject: str,
           newest: str | None = None) -> Entry | None:
    """One commit's entry. `newest`: the replay's last commit, whose folder is the client's as it is now."""
    cache = client.build_dir / ".cache" / "changelog" / f"{commit}-{__version__}-{FORMAT}.json"
    cached = cache_entry.get(cache)
    if cached is not None:
        try:
            found = json.loads(cached)
            return Entry(**found) if found else None
        except (ValueError, TypeError):  # written by another version: compare again
            pass
    snapshots = snapshot_cache(client)  # a revision differs from the working tree in a few files: those are parsed
    if commit == newest:
        # A replay's last revision is the client folder as it is now (history.trees): read the folder
        # itself, as the build does, rather than a copy checked out of the replay.
        after = gather(client, snapshots=snapshots, replayed=where)
    else:
        after = gather(where, commit, snapshots)
    new = after.snapshot
    try:
        before = gather(where, f"{commit}^", snapshots)
    except GitError:
        before = None  # the first revision (or the client folder did not exist yet)
    own = _own(where, commit)
    who = {"author": author if own else None, "note": subject if own else None}
    if before is None:
        count = len(new.workflows)
        entry = Entry(commit, date, f"First snapshot: {count} workflow{'s' if count != 1 else ''}",
                      f"first snapshot: {count} workflows", {}, [w.ref for w in new.workflows], [], first=True, **who)
    else:
        old = before.snapshot
        diff = compare(before, after)
        entry = None if diff.empty else Entry(
            commit, date, headline(diff), diff.summary(), {c.ref: c.changes for c in diff.workflows_changed},
            sorted({w.ref for w in new.workflows} - {w.ref for w in old.workflows}),
            sorted({w.ref for w in old.workflows} - {w.ref for w in new.workflows}),
            resolved=diff.controls_resolved + _findings_left(diff),
            changes=diff.credentials + diff.records + [f"run health: {h}" for h in diff.health], **who)
    # A revision that changed nothing the client reads (a formatting edit) is cached as null: no entry.
    cache_entry.put(cache, json.dumps(entry.__dict__ if entry else None, ensure_ascii=False, sort_keys=True).encode())
    return entry


def entries(client: Client, where: Client | None = None) -> list[Entry]:
    """The change log, newest first; empty outside Git. A commit whose folder cannot be read is skipped.
    `where`: the client's `source`, when the caller has it already."""
    where = where or source(client)  # a damaged recorded history is an InputError naming its file, not a shorter log
    found = []
    commits = _commits(where)
    head = git.revision(where.dir, "HEAD") if commits and where is not client else None
    for commit, date, author, subject in commits:
        try:
            entry = _entry(client, where, commit, date, author, subject, newest=head)
        except InputError:  # GitError included: a commit whose client folder cannot be read
            continue
        if entry is not None:
            found.append(entry)
    return found


# --------------------------------------------------------------------------------------------------
# Recording a sync or import: the commit each one makes


def _counts(client: Client, kind) -> tuple[int, int, int]:
    """The workflows (added, removed, changed) on one platform since the last commit: read from Git's
    status of the workflow files the commit will hold (no snapshot is read again)."""
    added = removed = changed = 0
    if kind is None:
        return added, removed, changed
    status = git.run(client.dir, "status", "--porcelain", "--untracked-files=all", "--",
                     f"snapshot/workflows/{kind.value}")
    for code in (line[:2] for line in status.splitlines()):
        if code == "??" or "A" in code:
            added += 1
        elif "D" in code:
            removed += 1
        else:
            changed += 1
    return added, removed, changed


def _in_words(counts: tuple[int, int, int]) -> str:
    parts = [formats.count(n, "workflow") + f" {word}" for n, word in zip(counts, ("added", "removed", "changed"),
                                                                          strict=True) if n]
    return ", ".join(parts) or "no workflow changed"


def commit_message(client: Client, activity: str, platforms: list[tuple[str, object]], note: str | None = None) -> str:
    """The message a sync or import commits with: 'Sync of n8n production and Make (EU1): 2 workflows
    changed', each platform's part below it when there are several; the consultant's `note`, if given,
    is the subject and this the body."""
    names = [name for name, _ in platforms]
    counts = {kind: _counts(client, kind) for kind in dict.fromkeys(kind for _, kind in platforms)}
    total = tuple(map(sum, zip(*counts.values(), strict=True)))
    told = f"{activity} of {' and '.join(filter(None, [', '.join(names[:-1]), names[-1]]))}: {_in_words(total)}"
    lines = [f"{name}: {_in_words(counts[kind])}" for name, kind in platforms] if len(platforms) > 1 else []
    note = (note or "").strip()
    body = ([told] if note else []) + lines
    return (note or told) + ("\n\n" + "\n".join(body) if body else "")


def record(client: Client, activity: str, platforms: list[tuple[str, object]], note: str | None = None) -> str:
    """Commit what a sync or import wrote (the client's snapshot and exports, nothing else: no other
    client's files, no other staged change), when the client folder is in a Git work tree. Returns a
    line for the consultant: the commit, why there was none, or why it failed (the snapshot is written
    either way)."""
    try:
        git.toplevel(client.dir)
    except GitError:
        return "the client folder is not in Git: nothing committed"
    try:
        made = git.commit_paths(client.dir, ["snapshot", "exports"], commit_message(client, activity, platforms, note))
    except GitError as exc:
        return f"the snapshot was written but not committed: {exc.problems[0]}"
    return f"committed as {made}" if made else "nothing new to commit"
