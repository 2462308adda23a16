"""The bundled demo is produced by the real path: `scripts/regenerate-demo.py` syncs the seed
(tests/fixtures/demo/) from the fake n8n, Make and Zapier APIs on 127.0.0.1 into the demo client, and
the committed snapshot and exports are exactly what it writes. If this fails after a change to a
connector, the model or the seed, run the script and commit its output."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEMO, files

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("regenerate_demo", ROOT / "scripts" / "regenerate-demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_regenerating_the_demo_gives_the_committed_bytes(tmp_path):
    target = tmp_path / "clients" / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("snapshot", "exports", "history", "audit.log"))
    _script().regenerate(tmp_path)
    for folder in ("snapshot", "exports", "history"):
        made, committed = files(target / folder), files(DEMO / folder)
        assert made.keys() == committed.keys(), f"{folder}: files differ; run scripts/regenerate-demo.py"
        # The recorded audit trail says what the tool said then (counts, revisions): its records, not
        # their wording, must match.
        changed = sorted(name for name in made if made[name] != committed[name] and name != "audit.log")
        assert not changed, f"{folder}: {', '.join(changed[:5])} differ; run scripts/regenerate-demo.py"

    def records(text):
        return [(r["time"], r["user"], r["command"], r["result"]) for r in map(json.loads, text.splitlines())]
    assert records((target / "history/audit.log").read_text()) == records((DEMO / "history/audit.log").read_text())


def test_the_demo_keeps_its_story():
    """What the demo shows comes from what the fake platforms say: the failing Zap, the expiring Make
    connection, the open webhook, the unused personal Mailgun key, the degrading nightly sync, the outdated
    n8n with a security fix, the partial Zapier read — and the refs that incidents, runbooks and mutes name."""
    from generator.store import snapshot

    snap = snapshot.load(DEMO / "snapshot")
    assert len(snap.workflows) == 15
    for ref in ("n8n:Ord3rSync01", "n8n:Inv3ntory02", "make:4417", "make:4420", "zapier:318245977"):
        assert snap.workflow(ref), ref
    for ref in ("n8n:cred-mailgun", "n8n:cred-netsuite", "n8n:cred-shopify", "n8n:cred-stripe", "make:88125",
                "zapier:a-gdrive"):
        assert snap.credential(ref), ref
    mailgun = snap.credential("n8n:cred-mailgun")
    assert mailgun.service_account is False and not mailgun.used_by
    assert snap.credential("make:88125").expires is not None
    assert snap.workflow("make:4417").trigger.webhook.auth == "none"
    n8n = next(p for p in snap.platforms if p.platform == "n8n")
    assert n8n.version == "2.38.1" and any(u.security_fix for u in n8n.updates) and n8n.run_data_keep_days == 14
    zapier = next(p for p in snap.platforms if p.platform == "zapier")
    assert [g.section for g in zapier.not_collected] == ["shared Zaps"]
    failing = snap.runs_for("zapier:318246012")
    assert failing.failed / failing.total > 0.05
    assert (DEMO / "exports" / "n8n" / "Ord3rSync01.json").exists()
