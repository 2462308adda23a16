"""Snapshot schema migrations: a snapshot written by an older Handover still loads.

`meta.yml` records the `schema_version` the files were written with. On load, the parsed files (their
data, before validation) go through every migration from that version up to `CURRENT`, one step at a
time; the next save writes the current layout. A migration is a function on the snapshot's files —
`{relative path: parsed YAML}` → the same for the next version — registered under the version it
migrates from. Changing what `store.snapshot` writes means: raise `model.SCHEMA_VERSION`, add the
step here, and add the previous layout as a test fixture (tests/fixtures/snapshots/).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.model import SCHEMA_VERSION

Files = dict[str, Any]  # relative path ("meta.yml", "workflows/n8n/x.yml") → parsed YAML

CURRENT = SCHEMA_VERSION
MIGRATIONS: dict[int, Callable[[Files], Files]] = {
    # 1: _v1_to_v2,   (none yet: version 1 is the first layout)
}


def version_of(meta: Any, path: Path) -> int:
    version = meta.get("schema_version", 1) if isinstance(meta, dict) else 1
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError([f"{path}: schema_version: expected a whole number from 1 (got {version!r})"])
    return version


def migrate(files: Files, version: int, path: Path) -> Files:
    """`files` as the current version has them; an InputError for a snapshot newer than this Handover."""
    if version > CURRENT:
        raise InputError([f"{path}: schema_version {version} was written by a newer Handover (this one reads up "
                          f"to {CURRENT}); upgrade Handover to read this snapshot"])
    while version < CURRENT:
        step = MIGRATIONS.get(version)
        if step is None:  # a bug: every version below CURRENT must have its step
            raise RuntimeError(f"no snapshot migration from schema version {version}")
        files = step(files)
        version += 1
    if isinstance(files.get("meta.yml"), dict):
        files["meta.yml"]["schema_version"] = CURRENT
    return files
