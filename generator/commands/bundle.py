"""`handover bundle`: the project-close deliverable, one dated ZIP a client can keep and check.

Inside: the PDF, the site, the platform-native exports, the snapshot, client.yml, the findings
(JSON), the audit trail of syncs, imports, checks and incidents, and `MANIFEST.sha256` listing the
SHA-256 of every other file. The same inputs give the same bytes: entries are sorted, dated with
the snapshot's time and carry fixed permissions. `handover bundle --verify <zip>` checks it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from generator.commands import Result
from generator.errors import EXIT_FINDINGS, InputError
from generator.store import audit, guard
from generator.store.workspace import Client
from generator.store.yamlio import atomic_write

MANIFEST = "MANIFEST.sha256"


def _files(folder: Path, prefix: str) -> list[tuple[str, bytes]]:
    """Every file under `folder`, but none inside a hidden folder or hidden itself: staging folders and
    temporary files of an interrupted write (`.n8n-new-*`, `.meta.yml.*.tmp`) never enter a bundle."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append((f"{prefix}/{relative.as_posix()}", path.read_bytes()))
    return found


def contents(client: Client, findings_json: str) -> list[tuple[str, bytes]]:
    """Every file of the bundle but the manifest, as (name in the ZIP, bytes), sorted."""
    shown = list(reversed(audit.shown(client, limit=None)))
    trail = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in shown)
    files = [(client.pdf_path.name, client.pdf_path.read_bytes()), ("client.yml", client.config_path.read_bytes()),
             ("findings.json", findings_json.encode()), ("audit.log", trail.encode())]
    files += _files(client.site_dir, "site") + _files(client.dir / "exports", "exports")
    files += _files(client.snapshot_dir, "snapshot")
    return sorted(files)


def manifest(files: list[tuple[str, bytes]]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files).encode()


def write(path: Path, files: list[tuple[str, bytes]], when: tuple[int, ...]) -> None:
    """A ZIP whose bytes depend only on `files` and `when`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files, (MANIFEST, manifest(files))]:
            if not name.endswith((".pdf", ".png", ".jpg", ".woff", ".woff2", ".ttf")):  # the PDF: see render.pdf
                guard.check(data, f"{path.name}: {name}")
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    atomic_write(path, buffer.getvalue())


def bundle_path(client: Client, taken) -> Path:
    return client.build_dir / f"{client.slug}-handover-{taken:%Y-%m-%d}.zip"


@dataclass
class Verification:
    ok: bool
    checked: int
    problems: list[str]


def _unsafe(name: str) -> bool:
    """A member name that would land outside the folder it is extracted into, or means different files
    on different systems: absolute, with `..`, a drive letter or a backslash."""
    return (name.startswith("/") or "\\" in name or re.match(r"[A-Za-z]:", name) is not None
            or not name or ".." in name.split("/"))


def _digest(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as member:  # streamed: a member may be large
        for block in iter(lambda: member.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path) -> Verification:
    """Every member is named safely, listed once in the manifest and matches its SHA-256; every file the
    manifest lists is there. InputError (exit 2) when `path` is not a Handover bundle at all."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError([f"{path}: not a readable ZIP ({exc})"]) from None
    with archive:
        members = archive.namelist()
        names = set(members)
        if MANIFEST not in names:
            raise InputError([f"{path}: no {MANIFEST} inside; not a Handover bundle"])
        try:
            text = archive.read(MANIFEST).decode("utf-8")
        except (UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
            raise InputError([f"{path}: {MANIFEST} is not a text manifest ({exc}); not a Handover bundle"]) from None
        for name in sorted({n for n in members if members.count(n) > 1}):
            problems.append(f"{name}: in the bundle more than once")
        for name in sorted(n for n in names if _unsafe(n)):
            problems.append(f"{name}: unsafe name (absolute, '..' or a drive); a bundle never holds one")
        listed: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            digest, _, name = line.partition("  ")
            if len(digest) != 64 or not name or not re.fullmatch(r"[0-9a-f]{64}", digest):
                problems.append(f"{MANIFEST}:{number}: expected '<sha256>  <file>'")
            elif name in listed:
                problems.append(f"{MANIFEST}:{number}: {name} is listed twice")
            elif _unsafe(name):
                problems.append(f"{MANIFEST}:{number}: {name}: unsafe name (absolute, '..' or a drive)")
            else:
                listed[name] = digest
        for name in sorted(listed):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing from the bundle")
                continue
            try:
                matches = _digest(archive, name) == listed[name]
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                problems.append(f"{name}: cannot be read from the bundle ({exc})")
                continue
            if not matches:
                problems.append(f"{name}: content does not match its SHA-256 in the manifest (changed after bundling)")
        for name in sorted(names - set(listed) - {MANIFEST}):
            problems.append(f"{name}: in the bundle but not in the manifest (added after bundling)")
    return Verification(not problems, len(listed), problems)


def run(client: Client) -> Result:
    """Build first when the outputs are older than their inputs, then write the dated, checked ZIP."""
    from generator.checks import assess, report
    from generator.checks.actions import register
    from generator.commands.build import build, is_current
    from generator.evidence import gather

    result = Result()
    if not is_current(client):
        result.say(f"Built {client.slug} first (the site or PDF was older than its inputs).")
        build(client, with_pdf=True)
    evidence = gather(client)
    assessment = assess(evidence)
    entries = register(assessment, evidence.config, evidence.now.date())
    files = contents(client, report.as_json(assessment, report.Locator(client.slug, evidence.snapshot), entries))
    path = bundle_path(client, evidence.now)
    write(path, files, evidence.now.timetuple()[:6])
    result.say(f"{path} ({len(files)} files and a SHA-256 manifest)", "ok")
    return result.record(client, "bundle", "ok", f"{path.name}: {len(files)} files")


def run_verify(path: Path) -> Result:
    checked = verify(path)
    result = Result()
    for problem in checked.problems:
        result.say(problem, "error")
    if not checked.ok:
        result.exit_code = EXIT_FINDINGS
        return result.say(f"{path.name} does not match its manifest.", "error")
    return result.say(f"{path.name}: all {checked.checked} files match the manifest.", "ok")
