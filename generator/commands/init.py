"""`handover init`: a new client folder with a commented, valid client.yml and an empty snapshot."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from generator.commands import Result
from generator.config import SLUG
from generator.errors import InputError
from generator.model import Snapshot, SnapshotMeta
from generator.render.text import md
from generator.store import snapshot
from generator.store.workspace import TEMPLATES_DIR, load_client
from generator.store.yamlio import atomic_write


def scaffold(root: Path, slug: str, name: str | None) -> Path:
    if not re.fullmatch(SLUG, slug):
        raise InputError([f"'{slug}' is not a valid client name: use lower case letters, digits and dashes, e.g. acme-retail"])
    folder = root / "clients" / slug
    if (folder / "client.yml").exists():
        raise InputError([f"{folder / 'client.yml'} already exists; edit it instead"])
    now = datetime.now(UTC).replace(microsecond=0)
    display = " ".join((name or slug.replace("-", " ").title()).split())
    if not display or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in display):
        raise InputError(["--name: give the client's name as plain text on one line"])
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), keep_trailing_newline=True)
    text = template.get_template("client.yml.j2").render(
        # As a YAML string (a JSON string is one), as Markdown text in the narrative, as a comment.
        name_yaml=json.dumps(display, ensure_ascii=False), name_markdown=md(display), name_comment=display, slug=slug, today=now.date().isoformat(),
        env_prefix=re.sub(r"[^A-Z0-9]", "_", slug.upper()),
    )
    atomic_write(folder / "client.yml", text)
    snapshot.save(Snapshot(meta=SnapshotMeta(taken=now)), folder / "snapshot")
    (folder / "runbooks").mkdir(exist_ok=True)
    load_client(folder / "client.yml")  # the scaffold must itself be valid
    return folder


def run(root: Path, slug: str, name: str | None) -> Result:
    folder = scaffold(root, slug, name)
    return Result().say(f"Created {folder}. Next: fill in client.yml, then `handover validate {slug}` and "
                        f"`handover build {slug}`.", "ok")
