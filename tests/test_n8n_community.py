"""The community set (tests/fixtures/community: 250 real-world n8n workflows, MIT) in a real n8n: loaded
through its public API, synced, and every workflow n8n accepted is documented or named as not
documented with a reason; the same files through `handover import`. Figures: benchmarks/community.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.store import snapshot
from generator.store.workspace import client as load_client

from .real_n8n import READ_SCOPES, load_community, serve, write_community_files

runner = CliRunner()


n8n = pytest.fixture(scope="module", name="n8n")(serve)  # one real n8n per module


def _client(root, slug, platforms=""):
    assert runner.invoke(app, ["init", slug, "--root", str(root)]).exit_code == 0
    if platforms:
        config = root / f"clients/{slug}/client.yml"
        config.write_text(config.read_text().replace("platforms: []", platforms))
    return load_client(slug, root)


def _files(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != "audit.log"}


@pytest.mark.slow
@pytest.mark.n8n
def test_the_community_set_in_a_real_n8n_is_documented_whole(n8n, tmp_path, monkeypatch):
    api = n8n.api(n8n.api_key("load", ["workflow:create"]))
    accepted, refused = load_community(api)
    api.close()
    assert len(accepted) + len(refused) == 250
    assert len(accepted) >= 200, refused  # n8n refuses the files whose connections name missing nodes
    assert all("connection" in r or "Unrecognized key" in r for r in refused.values()), refused

    client = _client(tmp_path, "community", f"platforms:\n  - kind: n8n\n    name: community\n"
                                            f"    base_url: {n8n.base}\n    api_key_env: COMMUNITY_N8N_KEY\n")
    monkeypatch.setenv("COMMUNITY_N8N_KEY", n8n.api_key("read", READ_SCOPES))
    result = runner.invoke(app, ["sync", "community", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    snap = snapshot.load(client.snapshot_dir)
    documented = {w.id for w in snap.workflows}
    missing = {n.workflow.removeprefix("n8n:"): n.reason for n in snap.platforms[0].not_documented}
    assert documented | missing.keys() == set(accepted) and not documented & missing.keys()
    assert all(missing.values()), missing  # each one named with its reason
    assert len(list((client.dir / "exports/n8n").glob("*.json"))) == len(documented)

    before = _files(client.dir)  # a second sync with nothing changed writes nothing
    (outcome,) = sync_client(client, SyncContext(now=datetime.now(UTC) + timedelta(minutes=5)))
    assert outcome.changed is False and _files(client.dir) == before


@pytest.mark.slow
def test_the_community_files_import_whole(tmp_path):
    """All 250 files, the ones n8n refuses included, through `handover import`: one run; each file is
    documented, or named as rejected (exit 2: a partly bad batch), or as a repeat of an earlier file."""
    paths = write_community_files(tmp_path / "files")
    client = _client(tmp_path, "files")
    result = runner.invoke(app, ["import", "files", "n8n", *paths, "--root", str(tmp_path)])
    assert result.exit_code in (0, 2), result.output  # never a crash, whatever a file holds
    snap = snapshot.load(client.snapshot_dir)
    rejected = result.output.count("rejected (n8n)")
    repeats = result.output.count("is also in an earlier file of this import")
    assert len(snap.workflows) + rejected + repeats == 250, result.output[-3000:]
    assert len(snap.workflows) >= 240 and rejected <= 5
