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
import pickle
import re
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

from generator import model
from generator import platforms as platform_kinds
from generator.errors import InputError
from generator.model import Credential, PlatformFacts, RunStats, Snapshot, SnapshotMeta, Strict, User, Workflow
from generator.store import cache as cache_entry
from generator.store import git, migrations, switch
from generator.store.spill import Workflows
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
            # A merged snapshot's workflows are spilled: put in order by their keys, not read into a list.
            "workflows": snapshot.workflows.ordered() if isinstance(snapshot.workflows, Workflows)
            else sorted(snapshot.workflows, key=lambda w: (w.platform.value, w.id)),
            "runs": sorted(snapshot.runs, key=lambda r: r.workflow),
        }
    )


def rendered(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    """(relative path, YAML text) of every file of the snapshot, in a fixed order, one at a time."""
    snapshot = _sorted(snapshot)
    yield "meta.yml", model_to_yaml(snapshot.meta.model_copy(update={"schema_version": migrations.CURRENT}))
    yield "platforms.yml", model_to_yaml(PlatformsFile(platforms=snapshot.platforms))
    yield "credentials.yml", model_to_yaml(CredentialsFile(credentials=snapshot.credentials))
    yield "users.yml", model_to_yaml(UsersFile(users=snapshot.users))
    seen: set[str] = set()
    for workflow in snapshot.workflows:
        path = f"workflows/{workflow.platform.value}/{file_stem(workflow.id)}.yml"
        if path in seen:
            raise ValueError(f"two workflows share the id {workflow.ref!r}")
        seen.add(path)
        yield path, model_to_yaml(workflow)
    for runs in snapshot.runs:
        platform, _, ident = runs.workflow.partition(":")
        yield f"runs/{platform}/{file_stem(ident)}.yml", model_to_yaml(runs)


def render_files(snapshot: Snapshot) -> dict[str, str]:
    """Relative path → YAML text for every file of the snapshot."""
    return dict(rendered(snapshot))


def same_files(one: Snapshot, other: Snapshot) -> bool:
    """Whether the two snapshots' files are the same, compared a file at a time (no second copy of an
    estate's text in memory)."""
    return all(a == b for a, b in zip_longest(rendered(one), rendered(other)))


def save(snapshot: Snapshot, directory: Path) -> None:
    """Replace `directory` with `snapshot`, atomically: all of it or none of it. Each file is written as
    it is rendered."""
    with switch.replacing(directory) as staging:
        for relative, text in rendered(snapshot):
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


# What a parsed file's object depends on besides the file: a cache written by other code is not read.
_SHAPE = hashlib.sha256(pydantic.VERSION.encode() + b"".join(
    Path(module).read_bytes() for module in (__file__, model.__file__, platform_kinds.__file__, migrations.__file__))).hexdigest()
_WHOLE = {"meta.yml": SnapshotMeta, "platforms.yml": PlatformsFile, "credentials.yml": CredentialsFile,
          "users.yml": UsersFile}


def load(directory: Path, cache: Path | None = None, *, spilled: bool = False) -> Snapshot:
    """Read a snapshot back, migrated to the current schema; every problem in any file is reported with
    file:line: field. With `cache` (a folder of the build's), a file byte for byte the same as the one
    read last under its name is not parsed again: parsing is most of what a rebuild after a small
    change costs on a large estate, and the change log reads the revisions it compares, which differ
    from the current one in a few files. With `spilled`, the workflows go to a spill (store/spill.py)
    as they are read: what a sync or an import merges into, without holding the estate in memory."""
    if spilled:
        return _parse(directory, spill=Workflows())[0]
    if cache is None:
        return _parse(directory)[0]
    entry = cache / "parsed.pickle"
    known = _known(entry)
    snapshot, used = _parse(directory, known)
    if not used.keys() <= known.keys():  # one version per file name: the one read last
        names = {name for name, _ in used}
        kept = {key: data for key, data in known.items() if key[0] not in names}
        cache_entry.put(entry, pickle.dumps((_SHAPE, kept | used)))
    return snapshot


def _known(entry: Path) -> dict:
    stored = cache_entry.get(entry)
    try:  # the build's own cache, written by this code (its shape is in the entry)
        shape, files = pickle.loads(stored) if stored else (None, {})  # noqa: S301
    except Exception:  # noqa: BLE001  unreadable: every file is parsed again
        return {}
    return files if shape == _SHAPE else {}


def _parse(directory: Path, known: dict | None = None, spill: Workflows | None = None) -> tuple[Snapshot, dict]:
    """The snapshot, and {(file, sha256 of its bytes): its object, pickled} for the files it was made of.
    A file in `known` is not parsed again (its object is a fresh copy). Each file is parsed and
    validated in turn, so that one file's parse tree is held at a time; a snapshot of an older schema
    is migrated whole (its files together) and made of nothing known. With `spill`, each workflow is
    put there as it is read, and the snapshot's workflows are the spill."""
    if not (directory / "meta.yml").exists():
        raise InputError([f"{directory}: no snapshot here (meta.yml is missing); run `handover sync` or `handover init`"])
    problems: list[str] = []
    paths = {path.relative_to(directory).as_posix(): path for path in _files(directory)}
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()} if known is not None else {}
    objects = {name: pickle.loads(known[(name, digest)]) for name, digest in digests.items()  # noqa: S301
               if (name, digest) in known}

    def read(name: str) -> Located | None:
        try:
            return read_yaml(paths[name])
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    meta = None if "meta.yml" in objects else read("meta.yml")
    if "meta.yml" not in objects and meta is None:  # every file's syntax is still checked and reported
        for name in paths.keys() - {"meta.yml"}:
            read(name)
        raise InputError(problems)
    if meta is not None and migrations.version_of(meta.data, paths["meta.yml"]) != migrations.CURRENT:
        files = _migrated(directory, _read_files(directory, problems))  # an older schema: all files together
        objects, digests = {name: _validated(name, located, problems) for name, located in files.items()}, {}
    else:
        for name in paths:
            if name not in objects:
                located = meta if name == "meta.yml" else read(name)
                value = _validated(name, located, problems) if located is not None else None
                if spill is not None and value is not None and name.startswith("workflows/"):
                    spill.append(value)
                else:
                    objects[name] = value
    if problems:
        raise InputError(problems)

    def whole(name: str):
        return objects[name] if name in objects else _WHOLE[name]()

    names = sorted(objects)
    workflows = [objects[n] for n in names if re.fullmatch(r"workflows/[^/]+/[^/]+\.yml", n)]
    if spill is not None:
        spill.extend(workflows)  # an older schema's, migrated together: spilled now
    parts = {"meta": whole("meta.yml"), "platforms": whole("platforms.yml").platforms,
             "credentials": whole("credentials.yml").credentials, "users": whole("users.yml").users,
             "runs": [objects[n] for n in names if re.fullmatch(r"runs/[^/]+/[^/]+\.yml", n)]}
    # Each part is validated already; validating the whole again would read a spill into a list.
    snapshot = Snapshot(workflows=workflows, **parts) if spill is None else Snapshot.model_construct(
        workflows=spill, **parts)
    used = {(name, digest): known.get((name, digest)) or pickle.dumps(objects[name]) for name, digest in digests.items()}
    return _sorted(snapshot), used


def _validated(name: str, located: Located, problems: list[str]):
    """One file's object (None, its problems added, when it is not valid)."""
    try:
        if name in _WHOLE:
            return validate(located, _WHOLE[name])
        return _load_workflow(located) if name.startswith("workflows/") else validate(located, RunStats)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def previous_revision(client: Client) -> str | None:
    """The revision holding the snapshot before the current one: HEAD when the working tree changed it,
    else the commit before the last one that touched it (a sync commits, then health compares)."""
    if git.run(client.dir, "status", "--porcelain", "--", str(client.snapshot_dir)).strip():
        return "HEAD"
    commits = git.run(client.dir, "log", "-2", "--format=%H", "--", str(client.snapshot_dir)).split()
    return commits[1] if len(commits) > 1 else None
