"""Platform-native exports: `clients/<client>/exports/<platform>/<id>.json`, one file per workflow.

The normalised snapshot documents; these files restore. Each is the platform's own format (n8n
workflow JSON as POST /workflows and *Import from file* accept it, Make blueprint JSON, Zapier Zap
JSON), written with sorted keys and without volatile fields (update times, version ids, run data), so
the Git history of the folder is the version history. Secrets are replaced by markers that fail
loudly where they are used. Webhook paths and ids are kept, so that a restore keeps the public
addresses; the restore guide lists, per workflow, which it keeps and which change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from generator.store import switch
from generator.store.git import last_commits
from generator.store.snapshot import file_stem
from generator.store.spill import Spilled
from generator.store.yamlio import atomic_write


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_file(document: dict) -> bytes:
    """The export file of a native definition, as written: a connector keeps this, not the parsed
    definition, so a large import holds a few kilobytes per workflow until it is written."""
    return render(document).encode()


def folder(client_dir: Path) -> Path:
    return client_dir / "exports"


def path_for(client_dir: Path, platform: str, ident: str) -> Path:
    return folder(client_dir) / platform / f"{file_stem(ident)}.json"


def planned(client_dir: Path, platform: str, files: dict[str, bytes | Spilled], replace_all: bool,
            keep: frozenset[str] = frozenset()) -> dict[str, bytes | Spilled | Path]:
    """File name → content of the platform's export folder as it will be: the new files (from
    `export_file`, by workflow id: their bytes, or where an import spilled them), and the current
    files that stay, by their path. Whatever is not bytes is read when it is copied, one at a time.
    A sync replaces the folder (workflows gone from the platform go, Git keeps them) but for the
    `keep` ids (workflows kept at their previous version); an import adds."""
    target = folder(client_dir) / platform
    current = {p.name: p for p in target.glob("*.json")} if target.is_dir() else {}
    keep_names = {f"{file_stem(i)}.json" for i in keep}
    plan: dict[str, bytes | Spilled | Path] = {name: path for name, path in current.items()
                                               if not replace_all or name in keep_names}
    plan.update({f"{file_stem(ident)}.json": data for ident, data in files.items()})
    return plan


def _content(data: bytes | Spilled | Path) -> bytes:
    return data if isinstance(data, bytes) else data.read_bytes()


def unchanged(client_dir: Path, platform: str, files: dict[str, bytes | Spilled | Path]) -> bool:
    """True when the folder already holds exactly `files`."""
    target = folder(client_dir) / platform
    current = {p.name: p for p in target.glob("*.json")} if target.is_dir() else {}
    return current.keys() == files.keys() and all(
        data == current[name] or _content(data) == current[name].read_bytes() for name, data in files.items())


def prepare(client_dir: Path, files: dict[str, bytes | Spilled | Path], platform: str) -> Path:
    """The platform's export folder as `planned()` gave it, written beside the current one; `commit()`
    swaps it in."""
    target = folder(client_dir) / platform
    staging = switch.stage(target)
    try:
        for name, data in files.items():
            atomic_write(staging / name, _content(data))
    except BaseException:
        switch.discard(staging)
        raise
    return staging


def commit(staging: Path, client_dir: Path, platform: str) -> None:
    switch.switch(staging, folder(client_dir) / platform)


def discard(staging: Path) -> None:
    switch.discard(staging)


@dataclass(frozen=True)
class ExportInfo:
    path: Path
    revision: str | None  # the last commit that changed the file; None when not committed


def index(client_dir: Path, refs: list[str]) -> dict[str, ExportInfo]:
    """Workflow ref → its export file and the revision that last changed it (one `git log` for all);
    workflows without an export are left out."""
    files = {ref: path_for(client_dir, *ref.split(":", 1)) for ref in refs}
    files = {ref: path for ref, path in files.items() if path.is_file()}
    commits = last_commits(folder(client_dir)) if files else {}
    return {ref: ExportInfo(path, commits.get(path.resolve())) for ref, path in sorted(files.items())}
