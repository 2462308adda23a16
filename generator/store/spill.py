"""Where a sync or an import keeps what it has read until the snapshot is saved: each workflow and
each export file in an anonymous temporary file, not in memory.

A 2,000-file import then holds a few hundred bytes per workflow (its platform, id and where its bytes
are) instead of its model, some 30 KB: memory stays flat in the number of files. The file is unlinked
as it is created, so nothing is left behind even when the process is killed, and it is read only by
the process that wrote it (which is why pickle is safe here). Workflows are already redacted when
they reach it, as everything the connectors return is.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from generator.model import Workflow


class Spill:
    """An append-only temporary file of byte strings."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=0)  # unbuffered: what was put can be read at once
        self._end = 0

    def put(self, data: bytes) -> Spilled:
        view = memoryview(data)
        while view:
            view = view[self._file.write(view):]
        spilled = Spilled(self, self._end, len(data))
        self._end += len(data)
        return spilled

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self._file.fileno(), size, offset)


@dataclass(frozen=True)
class Spilled:
    """Bytes kept in a spill, read back with `read_bytes()` as a file's are."""

    spill: Spill
    offset: int
    size: int

    def read_bytes(self) -> bytes:
        return self.spill.read(self.offset, self.size)


class Workflows(Sequence[Workflow]):
    """A list of workflows kept in a spill: each is unpickled when it is reached, so a pass over them
    holds one at a time. Only each one's platform and id stay in memory (`keys()`)."""

    def __init__(self, items: Iterable[Workflow] = (), spill: Spill | None = None) -> None:
        self.spill = spill or Spill()
        self._keys: list[tuple[str, str]] = []
        self._at: list[Spilled] = []  # in any spill: merging two lists of workflows reads neither
        self._where: dict[str, int] | None = None  # ref → position, made when `find` is first asked
        self.extend(items)

    def append(self, workflow: Workflow) -> None:
        self._keys.append((workflow.platform.value, workflow.id))
        self._at.append(self.spill.put(pickle.dumps(workflow, pickle.HIGHEST_PROTOCOL)))

    def extend(self, items: Iterable[Workflow]) -> None:
        for workflow in items:
            self.append(workflow)

    def take(self, other: Workflows, keep: Callable[[str, str], bool] = lambda platform, ident: True) -> None:
        """Append those of `other` whose (platform, id) `keep` accepts, without reading them."""
        for key, spilled in zip(other._keys, other._at, strict=True):
            if keep(*key):
                self._keys.append(key)
                self._at.append(spilled)

    def keys(self) -> list[tuple[str, str]]:
        """(platform, id) of each workflow, in order, without reading any of them."""
        return list(self._keys)

    def find(self, ref: str) -> Workflow | None:
        """The workflow `<platform>:<id>`, read alone (None: not here)."""
        if self._where is None or len(self._where) != len(self._keys):
            self._where = {f"{platform}:{ident}": i for i, (platform, ident) in enumerate(self._keys)}
        index = self._where.get(ref)
        return None if index is None else self[index]

    def ordered(self) -> Workflows:
        """The same workflows by platform and id (the snapshot's order), read from the same spill."""
        again = Workflows(spill=self.spill)
        for i in sorted(range(len(self._keys)), key=self._keys.__getitem__):
            again._keys.append(self._keys[i])
            again._at.append(self._at[i])
        return again

    def __len__(self) -> int:
        return len(self._at)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return pickle.loads(self._at[index].read_bytes())  # noqa: S301  written by this process, above

    def __iter__(self) -> Iterator[Workflow]:
        for spilled in self._at:
            yield pickle.loads(spilled.read_bytes())  # noqa: S301  written by this process, above

    def __repr__(self) -> str:
        return f"<{len(self)} spilled workflows>"
