"""The client folder's Git history: what a file looked like at a revision, and when it last changed.

Snapshots are committed on every sync, so Git is the history of what was built. Read-only: this
module never writes to the repository.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(folder: Path, *args: str) -> str | None:
    try:
        run = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout if run.returncode == 0 else None


def last_commit(path: Path) -> str | None:
    """The last commit that changed `path`, or None when it is not committed or has uncommitted edits
    (an edit in progress counts as 'edited now')."""
    if _git(path.parent, "status", "--porcelain", "--", path.name):
        return None
    out = _git(path.parent, "log", "-1", "--format=%H", "--", path.name)
    return out.strip() or None if out else None


def file_at(revision: str, path: Path) -> str | None:
    """The text of `path` at `revision` (None when it did not exist then)."""
    top = _git(path.parent, "rev-parse", "--show-toplevel")
    if not top:
        return None
    relative = path.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    return _git(path.parent, "show", f"{revision}:{relative}")


def last_commits(folder: Path) -> dict[Path, str]:
    """Every committed, unmodified file under `folder` → the short hash of the last commit that changed
    it, from one walk of the log (a per-file `git log` would be slow for hundreds of files)."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    log = _git(folder, "log", "--format=@%h", "--name-only", "--", ".")
    if not top or log is None:
        return {}
    dirty = {line[3:].strip() for line in (_git(folder, "status", "--porcelain", "--", ".") or "").splitlines()}
    found: dict[Path, str] = {}
    commit = None
    for line in log.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line.strip() and commit:
            path = (Path(top.strip()) / line.strip()).resolve()
            found.setdefault(path, commit)
    base = Path(top.strip()).resolve()
    for relative in dirty:
        found.pop((base / relative).resolve(), None)
    return found
