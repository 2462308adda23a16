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
import zipfile
from dataclasses import dataclass
from pathlib import Path

from generator.commands import Result
from generator.errors import EXIT_FINDINGS
from generator.store import audit
from generator.store.workspace import Client

MANIFEST = "MANIFEST.sha256"


def _files(folder: Path, prefix: str) -> list[tuple[str, bytes]]:
    if not folder.is_dir():
        return []
    return [(f"{prefix}/{p.relative_to(folder).as_posix()}", p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


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
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


def bundle_path(client: Client, taken) -> Path:
    return client.build_dir / f"{client.slug}-handover-{taken:%Y-%m-%d}.zip"


@dataclass
class Verification:
    ok: bool
    checked: int
    problems: list[str]


def verify(path: Path) -> Verification:
    """Every file matches the manifest, and the manifest lists every file."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return Verification(False, 0, [f"{path}: not a readable ZIP ({exc})"])
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return Verification(False, 0, [f"{path}: no {MANIFEST} inside; not a Handover bundle"])
        listed: dict[str, str] = {}
        for number, line in enumerate(archive.read(MANIFEST).decode().splitlines(), 1):
            digest, _, name = line.partition("  ")
            if len(digest) != 64 or not name:
                problems.append(f"{MANIFEST}:{number}: expected '<sha256>  <file>'")
                continue
            listed[name] = digest
        for name in sorted(listed):
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing from the bundle")
            elif hashlib.sha256(archive.read(name)).hexdigest() != listed[name]:
                problems.append(f"{name}: content does not match its SHA-256 in the manifest (changed after bundling)")
        for name in sorted(names - set(listed) - {MANIFEST}):
            problems.append(f"{name}: in the bundle but not in the manifest (added after bundling)")
    return Verification(not problems, len(listed), problems)


def run(client: Client) -> Result:
    """Build first when the outputs are older than their inputs, then write the dated, checked ZIP."""
    from generator.checks import assess, report
    from generator.commands.build import build, is_current
    from generator.evidence import gather

    result = Result()
    if not is_current(client):
        result.say(f"Built {client.slug} first (the site or PDF was older than its inputs).")
        build(client, with_pdf=True)
    evidence = gather(client)
    files = contents(client, report.as_json(assess(evidence), report.Locator(client.slug, evidence.snapshot)))
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
