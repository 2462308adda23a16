"""`handover init`: a new client folder with a commented, valid client.yml and an empty snapshot."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from generator.config import SLUG, load_client
from generator.errors import InputError
from generator.model import Snapshot, SnapshotMeta
from generator.store import snapshot
from generator.store.workspace import TEMPLATES_DIR
from generator.store.yamlio import atomic_write


def scaffold(root: Path, slug: str, name: str | None) -> Path:
    if not re.fullmatch(SLUG, slug):
        raise InputError([f"'{slug}' is not a valid client name: use lower case letters, digits and dashes, e.g. acme-retail"])
    folder = root / "clients" / slug
    if (folder / "client.yml").exists():
        raise InputError([f"{folder / 'client.yml'} already exists; edit it instead"])
    now = datetime.now(UTC).replace(microsecond=0)
    display = name or slug.replace("-", " ").title()
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), keep_trailing_newline=True)
    text = template.get_template("client.yml.j2").render(
        name=display.replace('"', "'"), slug=slug, today=now.date().isoformat(),
        env_prefix=re.sub(r"[^A-Z0-9]", "_", slug.upper()),
    )
    atomic_write(folder / "client.yml", text)
    snapshot.save(Snapshot(meta=SnapshotMeta(taken=now)), folder / "snapshot")
    (folder / "runbooks").mkdir(exist_ok=True)
    load_client(folder / "client.yml")  # the scaffold must itself be valid
    return folder
