"""A recorded history: `clients/<client>/history/`, the client's revisions shipped as files.

A client in its own Git repository has its history in Git. A client folder that is copied around
without its history (the bundled demo, inside this product's repository) can carry it instead: one
folder per revision, in order of their names (dates), each with a `revision.yml` and the generated
files that changed at that revision:

    history/2026-11-06/revision.yml        when, who, why (see Revision)
    history/2026-11-06/snapshot/…          snapshot files added or changed at this revision
    history/2026-11-06/exports/…           the same for the native exports
    history/audit.log                      the engagement's audit records (store.audit reads it too)

The hand-written files (client.yml, incidents, runbooks…) are not copied: a revision names those that
exist from then on (`records`), as they are now, and the client.yml sections not written yet
(`not_yet_written`). The last revision is the folder as it is now, whatever its own folder holds.

When `history/` is present it is the history: `replay()` commits the revisions, with their dates and
authors, into a private repository under `build/<client>/.cache/history/`, which the change log reads
like any other Git history; the product's own commits never appear in it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path

from pydantic import Field

from generator.model import Strict
from generator.store import git
from generator.store.workspace import Client
from generator.store.yamlio import load_model

FOLDER = "history"
GENERATED = ("snapshot", "exports")  # what a sync writes; the rest of the client folder is written by hand
LEFT_OUT = {"history", "audit.log", ".env"}  # never part of a revision; nor what an interrupted write left
TEMPORARY = (".snapshot-new-", ".snapshot-old-", ".env.")


class Revision(Strict):
    """`history/<name>/revision.yml`: one revision of the client folder."""

    date: datetime = Field(description="When it was made, with its zone (ISO 8601).")
    author: str | None = Field(default=None, description="Who made it (default: the consultant of client.yml).")
    message: str = Field(description="What was done, in the client's words: the commit message.")
    records: list[str] = Field(default=[], description="Hand-written files (patterns, from the client folder) "
                               "that exist from this revision on, as they are now.")
    not_yet_written: list[str] = Field(default=[], description="client.yml sections not written yet at this "
                                       "revision (left out of its client.yml).")
    removed: list[str] = Field(default=[], description="Generated files (paths from the client folder) gone at "
                               "this revision.")


def folder(client: Client) -> Path:
    return client.dir / FOLDER


def recorded(client: Client) -> bool:
    return folder(client).is_dir()


def revisions(client: Client) -> list[tuple[str, Revision]]:
    """(folder name, revision), oldest first; an InputError naming the file for a bad revision.yml."""
    base = folder(client)
    return [(p.name, load_model(p / "revision.yml", Revision))
            for p in sorted(base.iterdir()) if p.is_dir() and (p / "revision.yml").is_file()]


def _left_out(relative: str) -> bool:
    first = relative.split("/", 1)[0]
    return first in LEFT_OUT or first.startswith(TEMPORARY) or "__pycache__" in relative


def _current(client: Client) -> dict[str, bytes]:
    return {p.relative_to(client.dir).as_posix(): p.read_bytes() for p in sorted(client.dir.rglob("*"))
            if p.is_file() and not _left_out(p.relative_to(client.dir).as_posix())}


def _without_sections(text: str, names: list[str]) -> str:
    """client.yml without the named top-level sections (each from its key to the next top-level key)."""
    if not names:
        return text
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        top = re.match(r"^([A-Za-z_][\w-]*):", line)
        if top:
            skipping = top.group(1) in names
        elif line.strip() and not line.startswith((" ", "\t", "-", "#")):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def trees(client: Client) -> list[tuple[dict[str, bytes], Revision]]:
    """Each revision's files (path from the client folder → bytes), oldest first."""
    now = _current(client)
    listed = revisions(client)
    generated: dict[str, bytes] = {}
    patterns: list[str] = []
    out = []
    for number, (name, revision) in enumerate(listed, 1):
        if number == len(listed):  # the last revision is the folder as it is now
            out.append((dict(now), revision))
            break
        base = folder(client) / name
        for relative in revision.removed:
            generated.pop(relative, None)
        for part in GENERATED:
            for path in sorted((base / part).rglob("*")) if (base / part).is_dir() else []:
                if path.is_file():
                    generated[path.relative_to(base).as_posix()] = path.read_bytes()
        patterns += revision.records
        files = {k: v for k, v in now.items() if k.split("/", 1)[0] not in GENERATED
                 and any(fnmatch(k, pattern) for pattern in patterns)}
        if "client.yml" in files:
            files["client.yml"] = _without_sections(files["client.yml"].decode("utf-8"),
                                                    revision.not_yet_written).encode("utf-8")
        out.append((files | generated, revision))
    return out


def replay(client: Client) -> Client:
    """The recorded history as a Git repository of its own, under the client's build folder; returns
    the client as it is in that repository (its folder at the last revision), whose Git history is
    the recorded one. Replayed again only when the client folder changed."""
    made = trees(client)
    consultant = client.config.engagement.consultant
    email = consultant.email or "consultant@invalid"
    relative = f"clients/{client.slug}/"
    planned = [({relative + k: v for k, v in files.items()}, revision.date.isoformat(),
                revision.author or consultant.name, email, revision.message) for files, revision in made]
    # One digest per revision, each covering those before it: a change to the folder (the last revision)
    # commits that revision again on top of the others, which stay as they were.
    chain, digests = hashlib.sha256(), []
    for files, *rest in planned:
        chain.update(repr((sorted((k, hashlib.sha256(v).hexdigest()) for k, v in files.items()), *rest)).encode())
        digests.append(chain.hexdigest())
    target = client.build_dir / ".cache" / "history"
    stamp = target / ".git" / "handover-replayed"
    done = stamp.read_text().split() if stamp.is_file() else []
    if done != digests:
        kept = next((i for i, (a, b) in enumerate(zip(done, digests, strict=False)) if a != b), min(len(done), len(digests)))
        stamp.unlink(missing_ok=True)  # an interrupted replay is done again from the start
        git.replay(target, planned, keep=kept if kept == len(digests) - 1 else 0)
        stamp.write_text("\n".join(digests))
    return Client(root=target, slug=client.slug)
