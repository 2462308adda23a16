"""Data isolation between clients: the same secret, webhook address or account in two clients' snapshots.

`handover check` compares one client's snapshot with every other client's under the same root and
writes what it found to `clients/<client>/isolation.yml`; the build reads only that file, so it still
reads nothing outside the client's folder. The file names only the client's own items: never another
client, nor anything of its data (the markers compared are fingerprints and the client's own accounts).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import Field

from generator.errors import InputError
from generator.model import Snapshot, Strict, Timestamp
from generator.store import snapshot as store
from generator.store.yamlio import atomic_write, load_model, model_to_yaml


class SharedItem(Strict):
    location: str = Field(description="Workflow or credential ref in this client.")
    evidence: str


class IsolationReport(Strict):
    compared: Timestamp = Field(description="The snapshot time of this client when the comparison ran.")
    other_clients: int = Field(description="How many other clients were compared (never which).")
    shared: list[SharedItem] = []


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]


def markers(snap: Snapshot) -> dict[str, tuple[str, str]]:
    """Marker → (location, what it is) for everything that must not be shared between clients."""
    found: dict[str, tuple[str, str]] = {}
    for workflow in snap.workflows:
        for secret in workflow.secrets:
            found.setdefault(f"secret:{secret.fingerprint}", (workflow.ref, f"the hardcoded {secret.kind.replace('_', ' ')} "
                                                                            f"({secret.fingerprint})"))
        hook = workflow.trigger.webhook
        if hook and hook.address and hook.address.url:
            found.setdefault(f"addr:{hook.address.url}", (workflow.ref, f"its webhook address ({hook.address.url})"))
        for step in workflow.steps:
            if step.target and step.target.url:
                found.setdefault(f"call:{step.target.url}", (workflow.ref, f"the address step “{step.name}” calls "
                                                                              f"({step.target.url})"))
    for credential in snap.credentials:
        owner = (credential.owner or "").strip().lower()
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", owner):
            found.setdefault(f"account:{credential.app.lower()}:{_digest(owner)}",
                             (credential.ref, f"the {credential.app} account {credential.owner}"))
    return found


def compare(root: Path, slug: str, snap: Snapshot) -> IsolationReport:
    """This client's markers against every other client's snapshot under `root`."""
    mine = markers(snap)
    shared: dict[tuple[str, str], str] = {}
    others = 0
    for folder in sorted((root / "clients").iterdir()):
        if folder.name == slug or not (folder / "snapshot" / "meta.yml").is_file():
            continue
        try:
            theirs = markers(store.load(folder / "snapshot"))
        except InputError:
            continue  # a broken neighbour is its own problem; `handover validate` reports it
        others += 1
        for marker, (location, what) in mine.items():
            kind, _, value = marker.partition(":")
            if kind == "call":  # calling the same public API is normal; calling their webhook is not
                if f"addr:{value}" in theirs:
                    shared[(location, what)] = f"{what} is a webhook of another client's workflow"
            elif marker in theirs or (kind == "addr" and f"call:{value}" in theirs):
                shared[(location, what)] = f"{what} also appears in another client's snapshot"
    items = [SharedItem(location=loc, evidence=text) for (loc, _), text in sorted(shared.items())]
    return IsolationReport(compared=snap.meta.taken, other_clients=others, shared=items)


def path_for(client_dir: Path) -> Path:
    return client_dir / "isolation.yml"


def save(client_dir: Path, report: IsolationReport) -> None:
    atomic_write(path_for(client_dir), model_to_yaml(report))


def load(client_dir: Path) -> IsolationReport | None:
    path = path_for(client_dir)
    return load_model(path, IsolationReport) if path.exists() else None

