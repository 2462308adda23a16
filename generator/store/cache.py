"""Cache entries on disk: written atomically, checked when read, and a damaged entry is a miss.

Each entry carries the SHA-256 of its content in a first line. A file cut short, overwritten or
otherwise damaged no longer matches and is treated as absent (and removed), so the next run computes
it again instead of failing on it — `--force` or not.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator.store.yamlio import atomic_write

_MAGIC = b"handover-cache sha256:"


def put(path: Path, data: bytes) -> None:
    atomic_write(path, _MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n" + data)


def get(path: Path) -> bytes | None:
    """The entry's content, or None when it is missing or damaged."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, newline, data = raw.partition(b"\n")
    if newline and header == _MAGIC + hashlib.sha256(data).hexdigest().encode():
        return data
    path.unlink(missing_ok=True)
    return None


class Entries:
    """Entries in one folder, by key; `prune()` removes those this run did not ask for, so the folder
    holds one build's worth."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[str] = set()

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        return get(self.folder / key)

    def put(self, key: str, data: bytes) -> None:
        self.used.add(key)
        put(self.folder / key, data)

    def prune(self) -> None:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.name not in self.used:
                    path.unlink(missing_ok=True)
