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


def last_commit(path: Path, at: str | None = None) -> str | None:
    """The last commit that changed `path` (up to revision `at`, else up to the working tree), or None
    when it is not committed or has uncommitted edits (an edit in progress counts as 'edited now')."""
    if at is None and _git(path.parent, "status", "--porcelain", "--", path.name):
        return None
    out = _git(path.parent, "log", "-1", "--format=%H", *([at] if at else []), "--", path.name)
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


def client_at(client, revision: str, into: Path):
    """A copy of the client's folder as committed at `revision`, under `into`, as a Client of its own."""
    import io
    import tarfile

    from generator.errors import InputError
    from generator.store.workspace import Client

    top = _git(client.dir, "rev-parse", "--show-toplevel")
    if not top:
        raise InputError([f"{client.dir}: not in a Git repository, so there is no revision {revision!r} to read"])
    relative = client.dir.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    try:
        run = subprocess.run(["git", "archive", "--format=tar", revision, "--", relative], cwd=top.strip(),
                             capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError([f"git archive {revision}: {exc}"]) from None
    if run.returncode != 0:
        reason = run.stderr.decode(errors="replace").strip().splitlines()
        raise InputError([f"no snapshot of {client.slug} at {revision}: {reason[-1] if reason else 'git archive failed'}"])
    with tarfile.open(fileobj=io.BytesIO(run.stdout)) as tar:
        tar.extractall(into, filter="data")
    past = Client(root=into, slug=client.slug)
    (into / "clients").mkdir(exist_ok=True)
    if (into / relative) != past.dir:
        (into / relative).rename(past.dir)
    return past
