"""The evidence stage: everything the checks and the pages judge, gathered once for a client at a revision.

`gather(client)` reads the working tree; `gather(client, revision)` reads the client folder as it was
committed at that Git revision (client.yml, snapshot, incidents, runbooks, isolation and exports alike),
so `diff`, the change log and `health` judge an old revision exactly as `check` and `build` judged it
then. Gathering reads files only: it never calls a platform and never renders anything.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from generator.config import ClientConfig
from generator.evidence import incidents as incident_records
from generator.evidence import isolation as isolation_report
from generator.evidence.runbooks import Runbook, load_authored, what_changed
from generator.model import Snapshot
from generator.store import exports as export_files
from generator.store import git, history
from generator.store import snapshot as store
from generator.store.workspace import Client


@dataclass(frozen=True)
class Evidence:
    """One client's facts at one revision. `exports` is None when they were not looked at (unit tests)."""

    config: ClientConfig
    snapshot: Snapshot
    revision: str = "not in Git"
    incidents: tuple = ()  # evidence.incidents.Incident, newest first
    runbooks: tuple[Runbook, ...] = ()  # authored runbooks, each with what changed since it was edited
    isolation: isolation_report.IsolationReport | None = None  # the last comparison with the other clients
    exports: dict = field(default=None)  # workflow ref → store.exports.ExportInfo

    @property
    def now(self) -> datetime:
        """The snapshot's time: everything is judged as of when it was taken (reproducible)."""
        return self.snapshot.meta.taken


def gather(client: Client, revision: str | None = None, snapshots: Path | None = None,
           replayed: Client | None = None) -> Evidence:
    """The evidence for `client` in the working tree, or as committed at `revision`. `snapshots`: a
    cache of parsed snapshots (see `store.snapshot.load`), for the build. `replayed`: the replay of
    the client's recorded history, when the caller has it already (it reads every recorded file)."""
    if revision is None:
        if history.recorded(client):  # its history is the recorded one: runbooks are judged against it,
            replayed = replayed or history.replay(client)  # and its revision is the engagement's, not this folder's repository's
            return _read(client, replayed.revision(), replayed, at="HEAD", snapshots=snapshots)
        return _read(client, client.revision(), None, snapshots=snapshots)
    with tempfile.TemporaryDirectory(prefix="handover-rev-") as tmp:
        past = git.client_at(client, revision, Path(tmp))
        return _read(past, revision, client, snapshots=snapshots)


def snapshot_cache(client: Client) -> Path:
    """Where a build keeps parsed snapshots."""
    return client.build_dir / ".cache" / "snapshots"


def _read(client: Client, revision_label: str, live: Client | None, at: str | None = None,
          snapshots: Path | None = None) -> Evidence:
    """Read one client folder. `live` is the working client when `client` is a copy taken from Git (then
    runbook staleness is judged against the runbook's last commit at that revision, or at `at`), or the
    replay of a recorded history."""
    config = client.config
    snap = store.load(client.snapshot_dir, snapshots)
    runbooks = load_authored(client.runbooks_dir)
    for runbook in runbooks:
        path = (live.runbooks_dir / runbook.path.name) if live else runbook.path
        snapshot_dir = live.snapshot_dir if live else client.snapshot_dir
        runbook.changes = what_changed(runbook, snap, snapshot_dir, path=path,
                                       at=(at or revision_label) if live else None)
    exported = export_files.index(client.dir, [w.ref for w in snap.workflows])
    return Evidence(config=config, snapshot=snap, revision=revision_label,
                    incidents=tuple(incident_records.load(client.incidents_dir)), runbooks=tuple(runbooks),
                    isolation=isolation_report.load(client.dir), exports=exported)
