"""The snapshot store: `clients/<client>/snapshot/` as deterministic YAML, one file per workflow.

    snapshot/
      meta.yml                      when it was taken, schema version
      platforms.yml                 platform facts: version, settings, audit, sections not collected
      credentials.yml               credentials / connections with scopes and usage
      users.yml                     users and roles per platform
      workflows/<platform>/<id>.yml one workflow each (name and steps at the top level)
      runs/<platform>/<id>.yml      run statistics per workflow, daily buckets kept across syncs

A save writes the whole tree to a sibling folder first and swaps it in in one step (`store.switch`),
so a failure or an interrupt at any point leaves the previous snapshot as it was.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic
from pydantic import BaseModel

from generator import model
from generator.errors import InputError
from generator.model import Credential, PlatformFacts, RunStats, Snapshot, SnapshotMeta, Strict, User, Workflow
from generator.store import cache as cache_entry
from generator.store import git, migrations, switch
from generator.store.yamlio import Located, atomic_write, model_to_yaml, read_yaml, validate

if TYPE_CHECKING:
    from generator.store.workspace import Client


class PlatformsFile(Strict):
    platforms: list[PlatformFacts] = []


class CredentialsFile(Strict):
    credentials: list[Credential] = []


class UsersFile(Strict):
    users: list[User] = []


def file_stem(ident: str) -> str:
    """A filesystem-safe, stable name for a platform id (ids are usually already safe)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", ident).strip("._") or "id"
    if safe != ident:
        safe = f"{safe[:60]}-{hashlib.sha256(ident.encode()).hexdigest()[:8]}"
    return safe


def _sorted(snapshot: Snapshot) -> Snapshot:
    """The canonical order, so the same content always gives the same files."""
    return snapshot.model_copy(
        update={
            "platforms": sorted(snapshot.platforms, key=lambda p: (p.platform.value, p.name)),
            "credentials": sorted(snapshot.credentials, key=lambda c: (c.platform.value, c.name.lower(), c.id)),
            "users": sorted(snapshot.users, key=lambda u: (u.platform.value, u.name.lower(), u.email or "")),
            "workflows": sorted(snapshot.workflows, key=lambda w: (w.platform.value, w.id)),
            "runs": sorted(snapshot.runs, key=lambda r: r.workflow),
        }
    )


def render_files(snapshot: Snapshot) -> dict[str, str]:
    """Relative path → YAML text for every file of the snapshot."""
    snapshot = _sorted(snapshot)
    files: dict[str, str] = {
        "meta.yml": model_to_yaml(snapshot.meta.model_copy(update={"schema_version": migrations.CURRENT})),
        "platforms.yml": model_to_yaml(PlatformsFile(platforms=snapshot.platforms)),
        "credentials.yml": model_to_yaml(CredentialsFile(credentials=snapshot.credentials)),
        "users.yml": model_to_yaml(UsersFile(users=snapshot.users)),
    }
    for workflow in snapshot.workflows:
        path = f"workflows/{workflow.platform.value}/{file_stem(workflow.id)}.yml"
        if path in files:
            raise ValueError(f"two workflows share the id {workflow.ref!r}")
        files[path] = model_to_yaml(workflow)
    for runs in snapshot.runs:
        platform, _, ident = runs.workflow.partition(":")
        files[f"runs/{platform}/{file_stem(ident)}.yml"] = model_to_yaml(runs)
    return files


def save(snapshot: Snapshot, directory: Path) -> None:
    """Replace `directory` with `snapshot`, atomically: all of it or none of it."""
    files = render_files(snapshot)
    with switch.replacing(directory) as staging:
        for relative, text in files.items():
            atomic_write(staging / relative, text)


def _load_workflow(located: Located) -> Workflow:
    """A workflow file, checked for consistency: its folder is its platform, step ids are unique, and
    every edge joins two of its steps (a broken flow would otherwise be drawn silently wrong)."""
    path = located.path
    workflow = validate(located, Workflow)
    problems = []
    if path.parent.name != workflow.platform.value:
        problems.append(f"{path}:{located.line_of(['platform'])}: platform: '{workflow.platform.value}' but the file "
                        f"is under workflows/{path.parent.name}/")
    seen: set[str] = set()
    for index, step in enumerate(workflow.steps):
        if step.id in seen:
            problems.append(f"{path}:{located.line_of(['steps', index, 'id'])}: steps[{index}].id: '{step.id}' is used "
                            "by another step too")
        seen.add(step.id)
    for index, edge in enumerate(workflow.edges):
        for end, key in ((edge.source, "from"), (edge.target, "to")):
            if end not in seen:
                problems.append(f"{path}:{located.line_of(['edges', index, key])}: edges[{index}].{key}: no step "
                                f"has the id '{end}'")
    if problems:
        raise InputError(problems)
    return workflow


def _files(directory: Path) -> list[Path]:
    """The files a snapshot is read from."""
    paths = [directory / name for name in ("meta.yml", "platforms.yml", "credentials.yml", "users.yml")]
    paths = [p for p in paths if p.exists()]
    return paths + sorted(directory.glob("workflows/*/*.yml")) + sorted(directory.glob("runs/*/*.yml"))


def _read_files(directory: Path, problems: list[str]) -> dict[str, Located]:
    """Every file of the snapshot, parsed (not yet validated); parse errors go to `problems`."""
    files: dict[str, Located] = {}
    for path in _files(directory):
        try:
            files[path.relative_to(directory).as_posix()] = read_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
    return files


def _migrated(directory: Path, files: dict[str, Located]) -> dict[str, Located]:
    """The files as the current schema has them (see store/migrations.py); unchanged when current."""
    meta_path = directory / "meta.yml"
    version = migrations.version_of(files["meta.yml"].data, meta_path)
    if version == migrations.CURRENT:
        return files
    data = migrations.migrate({name: located.data for name, located in files.items()}, version, meta_path)
    # Lines still come from the file as written (a migration moves little); a new file has none.
    return {name: Located(directory / name, value, files[name].root if name in files else None)
            for name, value in data.items()}


# What a parsed snapshot's shape depends on besides its files: a cached one from other code is not read.
_SHAPE = hashlib.sha256(pydantic.VERSION.encode() + b"".join(
    Path(module).read_bytes() for module in (__file__, model.__file__, migrations.__file__)))
KEEP_PARSED = 4  # parsed snapshots kept: the current one and the revisions the change log compares


def load(directory: Path, cache: Path | None = None) -> Snapshot:
    """Read a snapshot back, migrated to the current schema; every problem in any file is reported with
    file:line: field. With `cache` (a folder of the build's), a snapshot whose files are byte for byte
    those of one parsed before is taken from there: parsing is most of what a rebuild after a small
    change costs on a large estate, and the change log reads the same revisions again."""
    if cache is None:
        return _parse(directory)
    digest = _SHAPE.copy()
    for path in _files(directory):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    entry = cache / f"{digest.hexdigest()}.pickle"
    stored = cache_entry.get(entry)
    if stored is not None:
        try:
            parsed = pickle.loads(stored)  # noqa: S301  the build's own cache, written by this code
        except Exception:  # noqa: BLE001  unreadable: parsed again
            parsed = None
        if isinstance(parsed, Snapshot):
            os.utime(entry)  # recently used: kept by the pruning below
            return parsed
    parsed = _parse(directory)
    cache_entry.put(entry, pickle.dumps(parsed))
    for old in sorted(cache.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_PARSED:]:
        old.unlink(missing_ok=True)
    return parsed


def _parse(directory: Path) -> Snapshot:
    if not (directory / "meta.yml").exists():
        raise InputError([f"{directory}: no snapshot here (meta.yml is missing); run `handover sync` or `handover init`"])
    problems: list[str] = []
    files = _read_files(directory, problems)
    if "meta.yml" not in files:
        raise InputError(problems)
    files = _migrated(directory, files)

    def attempt(fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    def whole(name: str, model: type[BaseModel]):
        return attempt(validate, files[name], model) if name in files else model()

    meta = whole("meta.yml", SnapshotMeta)
    platforms = whole("platforms.yml", PlatformsFile)
    credentials = whole("credentials.yml", CredentialsFile)
    users = whole("users.yml", UsersFile)
    workflows = [attempt(_load_workflow, files[n]) for n in sorted(files) if re.fullmatch(r"workflows/[^/]+/[^/]+\.yml", n)]
    runs = [attempt(validate, files[n], RunStats) for n in sorted(files) if re.fullmatch(r"runs/[^/]+/[^/]+\.yml", n)]
    if problems:
        raise InputError(problems)
    snapshot = Snapshot(
        meta=meta,
        platforms=platforms.platforms,
        credentials=credentials.credentials,
        users=users.users,
        workflows=[w for w in workflows if w is not None],
        runs=[r for r in runs if r is not None],
    )
    return _sorted(snapshot)


def previous_revision(client: Client) -> str | None:
    """The revision holding the snapshot before the current one: HEAD when the working tree changed it,
    else the commit before the last one that touched it (a sync commits, then health compares)."""
    if git.run(client.dir, "status", "--porcelain", "--", str(client.snapshot_dir)).strip():
        return "HEAD"
    commits = git.run(client.dir, "log", "-2", "--format=%H", "--", str(client.snapshot_dir)).split()
    return commits[1] if len(commits) > 1 else None
