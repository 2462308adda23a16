"""Baseline checks on constructed snapshots: each fires where it should and stays quiet elsewhere."""

from __future__ import annotations

from datetime import date, timedelta

from generator import snapshot
from generator.checks import evaluate
from generator.config import Mute, load_client
from generator.model import Credential, StepRef

from .conftest import DEMO


def ids(findings, location=None):
    return {f.check.id for f in findings if location is None or f.location == location}


def demo():
    return load_client(DEMO / "client.yml"), snapshot.load(DEMO / "snapshot")


def test_demo_findings_are_the_expected_mix():
    config, snap = demo()
    found = evaluate(config, snap)
    assert {"ACCESS-001", "ACCESS-004", "ACCESS-005", "ACCESS-006", "MON-001", "MON-002", "MON-003", "ATT-003", "ATT-004"} <= ids(found)
    assert "ACCESS-001" not in ids(found, "n8n:cred-warehouse-db")  # SELECT on schema.* is read-only
    assert "MON-004" not in ids(found, "n8n:FinPack06")  # weekly schedule: four quiet days are normal


def test_expiry_uses_snapshot_time_and_threshold():
    config, snap = demo()
    cred = snap.credential("make:88125")
    cred.expires = snap.meta.taken + timedelta(days=config.thresholds.expiry_days + 5)
    assert "ACCESS-005" not in ids(evaluate(config, snap), "make:88125")
    cred.expires = snap.meta.taken - timedelta(days=1)
    hit = [f for f in evaluate(config, snap) if f.check.id == "ACCESS-005" and f.location == "make:88125"]
    assert hit and "expired 1 day(s) ago" in hit[0].evidence


def test_mutes_apply_until_they_expire():
    config, snap = demo()
    muted = [f for f in evaluate(config, snap) if f.location == "n8n:cred-mailgun" and f.check.id == "ACCESS-004"]
    assert muted and muted[0].muted
    config.mutes = [Mute(finding="ACCESS-004", reason="x", expires=snap.meta.taken.date() - timedelta(days=1))]
    again = [f for f in evaluate(config, snap) if f.location == "n8n:cred-mailgun" and f.check.id == "ACCESS-004"]
    assert again and not again[0].muted


def test_idle_daily_workflow_fires():
    config, snap = demo()
    runs = snap.runs_for("n8n:Inv3ntory02")
    runs.last_run = snap.meta.taken - timedelta(days=4)
    assert "MON-004" in ids(evaluate(config, snap), "n8n:Inv3ntory02")


def test_attestation_fresh_and_stale():
    config, snap = demo()
    assert "ATT-001" not in ids(evaluate(config, snap))
    for a in config.attestations:
        if a.control == "escalation_contacts":
            a.date = date(2025, 1, 1)
    assert "ATT-001" in ids(evaluate(config, snap))


def test_shared_and_personal_credentials():
    config, snap = demo()
    snap.credentials.append(Credential(platform="n8n", id="x", name="X", app="X", scopes=["read"], owner="a.person@example.com",
                                       service_account=False, used_by=[StepRef(workflow="n8n:Refund05", step="f2")]))
    found = evaluate(config, snap)
    assert "ACCESS-003" in ids(found, "n8n:x") and "ACCESS-002" in ids(found, "n8n:cred-slack")
