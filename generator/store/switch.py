"""Replacing a whole folder in one step: the snapshot, an export folder, the generated docs.

The new version is written into a staging folder beside the target (`.snapshot-new-XXXX`), then the
two are swapped with `renameat2(RENAME_EXCHANGE)` — one system call, so an interrupt at any instant
leaves either the old folder or the new one in place, never neither. Where the filesystem (or the
kernel, before Linux 3.15) cannot exchange, two renames are used instead (target → `.NAME-old-XXXX`,
staging → target); an interrupt between them is repaired by `recover()`, which puts the old folder
back. The target stays a real folder (the snapshot is committed to Git; a symlink pointer would not be).

Leftovers of an interrupted write — staging and retired folders, `atomic_write`'s `.NAME.XXXX.tmp`
files — are cleaned by `recover()` when a command next opens the client. A process that is still
writing holds an advisory lock (flock) on its staging folder or temporary file, and recovery leaves
locked ones alone, so a second command never removes the work of a running one.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_LEFTOVER = re.compile(r"\.(?P<name>.+)-(?P<kind>new|old)-(?P<id>[A-Za-z0-9_]+)")
_TEMPORARY = re.compile(r"\..+\.tmp|.+\.(pdf|zip)\.tmp")  # atomic_write's, and the PDF's and bundle's
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}

# Tests set this to a function called with the name of each step of a switch ("staged", "exchanged",
# "retired", "renamed"), to interrupt the switch there.
hook: Callable[[str], None] | None = None
_locks: dict[Path, int] = {}  # staging folder → the descriptor holding its lock


def _step(name: str) -> None:
    if hook is not None:
        hook(name)


def _libc_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc before 2.28, or not Linux
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2 = _libc_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False when this system or filesystem cannot (then nothing moved)."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def is_locked(path: Path) -> bool:
    """Whether a live process holds the lock on `path` (a dead one's lock went with it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(target: Path) -> Path:
    """A new, empty staging folder beside `target`, locked by this process until `switch` or `discard`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-new-"))
    _locks[staging] = _lock(staging)
    return staging


def _release(staging: Path) -> None:
    fd = _locks.pop(staging, None)
    if fd is not None:
        os.close(fd)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    _release(staging)


def switch(staging: Path, target: Path) -> None:
    """Put the staging folder in the place of `target` (which may not exist yet) in one step."""
    _step("staged")
    try:
        if target.exists() and exchange(staging, target):
            _step("exchanged")
            shutil.rmtree(staging, ignore_errors=True)  # the old version, under the staging name now
        else:
            if target.exists():  # no exchange here: two renames, repaired by recover() if cut between
                retired = target.parent / f".{target.name}-old-{staging.name.rsplit('-', 1)[-1]}"
                os.rename(target, retired)
                _step("retired")
                try:
                    os.rename(staging, target)
                except BaseException:
                    os.rename(retired, target)
                    raise
                _step("renamed")
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.rename(staging, target)
                _step("renamed")
        _fsync_dir(target.parent)
    finally:
        _release(staging)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Write the new version of `target` into the folder yielded; it replaces `target` in one step when
    the block ends, and is thrown away (target untouched) when the block raises."""
    staging = stage(target)
    try:
        yield staging
        switch(staging, target)
    except BaseException:
        discard(staging)
        raise


def recover(folder: Path) -> list[str]:
    """Repair and clean what interrupted writes left in `folder` (not below it): a retired folder whose
    target is missing is put back; other staging and retired folders and temporary files are removed.
    Returns what was done, for a note."""
    if not folder.is_dir():
        return []
    done: list[str] = []
    entries = sorted(folder.iterdir())
    live = {m["id"] for p in entries if (m := _LEFTOVER.fullmatch(p.name)) and m["kind"] == "new" and is_locked(p)}
    for path in entries:  # retired folders first: one may be the only copy left
        match = _LEFTOVER.fullmatch(path.name)
        if not match or match["kind"] != "old" or not path.is_dir() or match["id"] in live:
            continue
        target = folder / match["name"]
        if not target.exists():
            os.rename(path, target)
            done.append(f"restored {target} from an interrupted switch")
        else:
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}")
    for path in entries:
        match = _LEFTOVER.fullmatch(path.name)
        if match and match["kind"] == "new" and path.is_dir() and match["id"] not in live:
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}")
        elif _TEMPORARY.fullmatch(path.name) and path.is_file() and not is_locked(path):
            path.unlink(missing_ok=True)
            done.append(f"removed {path.name}")
    return done
