"""The one Git wrapper: every Git command the tool runs goes through `run()`.

Snapshots are committed on every sync, so Git is the history of what was built. Two functions write:
`commit_paths()` (a sync or import committing the files it wrote, and nothing else) and `replay()` (a
recorded history replayed into a private repository of its own). One timeout, one failure convention:
a failing command raises
`GitError` (an input error: it is about the user's folder or revision); `NotInGit` when the folder is
not in a repository or Git is not installed, which callers that work without Git catch explicitly.

A revision from the user is checked with `revision()` before use: nothing starting with `-` (it would
be read as an option: `--output=FILE` truncates FILE), resolved with `rev-parse --verify` to a commit,
and from then on only the resolved object id is passed, after `--end-of-options` where Git takes it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from generator.errors import GitError, NotInGit

TIMEOUT = 60  # seconds; a local read that takes longer is stuck (a lock, a network filesystem)
_NOT_A_REPO = ("not a git repository", "not in a git directory")


def run(folder: Path, *args: str, binary: bool = False, env: dict | None = None) -> str | bytes:
    """Git's output for `git <args>` run in `folder` (`env`: variables added to the environment);
    GitError (NotInGit) when it fails."""
    if not folder.is_dir():
        raise GitError(f"{folder}: no such folder")
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, timeout=TIMEOUT,
                              env={**os.environ, **env} if env else None)
    except FileNotFoundError:
        raise NotInGit("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} in {folder} took more than {TIMEOUT} s; is the repository locked?") from None
    except OSError as exc:
        raise GitError(f"git {args[0]} in {folder} could not run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip()
        last = message.splitlines()[-1] if message else f"git {args[0]} failed (exit {done.returncode})"
        if any(text in message.lower() for text in _NOT_A_REPO):
            raise NotInGit(f"{folder} is not in a Git repository")
        if "dubious ownership" in message:  # another user's checkout: Git will not read it for us
            raise NotInGit(f"Git refuses to read {folder} (owned by another user; see `git config safe.directory`)")
        raise GitError(last.removeprefix("fatal: "))
    return done.stdout if binary else done.stdout.decode("utf-8", errors="replace")


def revision(folder: Path, rev: str) -> str:
    """The commit id `rev` names in the repository of `folder`; GitError for anything else."""
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise GitError(f"'{rev}' is not a Git revision (a commit, branch or tag such as HEAD~1)")
    try:
        found = run(folder, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except NotInGit:
        raise
    except GitError:  # rev-parse --quiet says nothing; say what was wrong
        raise GitError(f"'{rev}' is not a commit in the repository of {folder}") from None
    return found.strip()


def toplevel(folder: Path) -> Path:
    return Path(run(folder, "rev-parse", "--show-toplevel").strip()).resolve()


def _dirty(folder: Path, *pathspec: str) -> list[str]:
    return run(folder, "status", "--porcelain", "--", *pathspec).splitlines()


def last_commit(path: Path, at: str | None = None) -> str | None:
    """The last commit that changed `path` — up to revision `at`, else up to the working tree — or None
    when it is not committed, has uncommitted edits (an edit in progress counts as 'edited now') or is
    not in Git."""
    try:
        if at is None and _dirty(path.parent, path.name):
            return None
        bound = [revision(path.parent, at)] if at else []
        return run(path.parent, "log", "-1", "--format=%H", *bound, "--", path.name).strip() or None
    except NotInGit:
        return None


def file_at(rev: str, path: Path) -> str | None:
    """The text of `path` at `rev` (None when it did not exist then, or outside Git)."""
    folder = next(p for p in path.absolute().parents if p.is_dir())  # it may be gone from the working tree
    try:
        commit = revision(folder, rev)
        relative = path.resolve().relative_to(toplevel(folder)).as_posix()
    except NotInGit:
        return None
    try:
        return run(folder, "show", "--end-of-options", f"{commit}:{relative}")
    except GitError:
        return None  # not in that commit


def last_commits(folder: Path) -> dict[Path, str]:
    """Every committed, unmodified file under `folder` → the short hash of the last commit that changed
    it, from one walk of the log (a per-file `git log` would be slow for hundreds of files)."""
    try:
        base = toplevel(folder)
        log = run(folder, "log", "--format=@%h", "--name-only", "--", ".")
        dirty = {line[3:].strip() for line in _dirty(folder, ".")}
    except NotInGit:
        return {}
    found: dict[Path, str] = {}
    commit = None
    for line in log.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line.strip() and commit:
            found.setdefault((base / line.strip()).resolve(), commit)
    for relative in dirty:
        found.pop((base / relative).resolve(), None)
    return found


def describe(folder: Path) -> str:
    """The revision label of `folder`: short hash of its last commit, '+ uncommitted changes' when the
    working tree differs (the audit log grows with every command and does not count), 'not committed',
    or 'not in Git'."""
    try:
        last = run(folder, "log", "-1", "--format=%h", "--", ".").strip()
        dirty = _dirty(folder, ".", ":(exclude)audit.log")
    except NotInGit:
        return "not in Git"
    except GitError:
        return "not committed"  # e.g. a repository without any commit yet
    if not last:
        return "not committed"
    return last + (" + uncommitted changes" if dirty else "")


def commits(folder: Path, pathspec: list[str], limit: int) -> list[tuple[str, str, str, str]]:
    """The newest `limit` commits of the first-parent line that changed `pathspec` (relative to
    `folder`; Git pathspecs, exclusions included): (hash, ISO date, author, subject)."""
    out = run(folder, "log", "--first-parent", f"-{limit}", "--format=%H%x1f%aI%x1f%an%x1f%s", "--", *pathspec)
    return [tuple(line.split("\x1f", 3)) for line in out.splitlines() if line.count("\x1f") == 3]


def changed_files(folder: Path, commit: str) -> list[str]:
    """The files `commit` (a resolved id) changed against its first parent, from the top of the
    repository; every file for a root commit."""
    if not commit or commit.startswith("-"):
        raise GitError(f"'{commit}' is not a resolved commit id")
    return run(folder, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "-m", "--first-parent",
               commit).splitlines()


def _identity(name: str, email: str, date: str | None) -> dict:
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return env


def commit_paths(folder: Path, paths: list[str], message: str) -> str | None:
    """Commit the current state of `paths` (relative to `folder`) and nothing else: what is staged
    elsewhere stays staged and uncommitted. The short hash of the new commit, or None when the paths
    hold no change. The author is the user's own Git identity."""
    present = [p for p in paths if (folder / p).exists() or run(folder, "ls-files", "--", p).strip()]
    if not present:
        return None
    run(folder, "add", "--all", "--", *present)
    if not run(folder, "diff", "--cached", "--name-only", "--", *present).strip():
        return None
    run(folder, "commit", "--quiet", "-m", message, "--only", "--", *present)  # the repository's hooks apply
    return run(folder, "rev-parse", "--short", "HEAD").strip()


# No user or system configuration, no hooks, no signing: a replay's ids depend on the revisions alone.
_QUIET = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def replay(folder: Path, revisions, keep: int = 0) -> list[str]:
    """A new repository in `folder` (emptied first) with one commit per revision, oldest first: each
    revision is (files: {relative path: bytes}, date ISO 8601, author name, author e-mail, message) and
    its commit holds exactly those files. Fixed dates and identities: the same revisions give the same
    commit ids on every machine. With `keep`, the repository in `folder` already holds the first `keep`
    revisions (a replay of the same ones): only the later ones are committed, on top of them. Returns
    the new commit ids."""
    import shutil

    if keep:
        later = int(run(folder, "rev-list", "--count", "HEAD", env=_QUIET).strip()) - keep
        if later:  # the work tree still holds the last of them: it is compared with each revision below
            run(folder, "reset", "--quiet", "--soft", f"HEAD~{later}", env=_QUIET)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        run(folder, "init", "--quiet", "--initial-branch=history", env=_QUIET)
    ids = []
    # The work tree's files: walked once, then each revision's as it is committed.
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.relative_to(folder).parts[0] != ".git"}
    for files, date, name, email, message in revisions[keep:]:
        for relative in present - files.keys():
            (folder / relative).unlink()
        for relative, data in files.items():
            target = folder / relative
            if relative in present and target.read_bytes() == data:
                continue  # unchanged: Git sees that from the file's size and time, nothing to hash again
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        present = set(files)
        run(folder, "add", "--all", ".", env=_QUIET)
        run(folder, "-c", "commit.gpgsign=false", "-c", "core.hooksPath=" + os.devnull, "commit", "--quiet",
            "--allow-empty", "-m", message, env=_QUIET | _identity(name, email, date))
        ids.append(run(folder, "rev-parse", "HEAD").strip())
    return ids


def archive(folder: Path, commit: str, relative: str) -> bytes:
    """A tar of `relative` (from the top of the repository) at `commit`, an id from `revision()`.
    `git archive` does not take `--end-of-options`; a resolved id cannot be read as an option."""
    if not commit or commit.startswith("-"):
        raise GitError(f"'{commit}' is not a resolved commit id")
    return run(folder, "archive", "--format=tar", commit, "--", relative, binary=True)


def client_at(client, rev: str, into: Path):
    """A copy of the client's folder as committed at `rev`, under `into`, as a Client of its own: what
    `evidence.gather(client, rev)` reads. GitError when there is no such revision or folder."""
    import io
    import tarfile

    from generator.store.workspace import Client

    try:
        commit = revision(client.dir, rev)
        top = toplevel(client.dir)
        relative = client.dir.resolve().relative_to(top).as_posix()
        tar = archive(top, commit, relative)
    except GitError as exc:
        raise type(exc)(f"no snapshot of {client.slug} at {rev}: {exc.problems[0]}") from None
    with tarfile.open(fileobj=io.BytesIO(tar)) as tarball:
        tarball.extractall(into, filter="data")
    past = Client(root=into, slug=client.slug)
    if (into / relative) != past.dir:
        past.dir.parent.mkdir(parents=True, exist_ok=True)
        (into / relative).rename(past.dir)
    return past
