"""Baseline checks on constructed snapshots: each fires where it should and stays quiet elsewhere."""

from __future__ import annotations

from datetime import date, timedelta

from generator.config import Mute
from generator.model import Credential, StepRef
from generator.store import snapshot
from generator.store.workspace import load_client

from .conftest import DEMO, evaluate


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


def test_every_check_has_metadata_and_a_test():
    from pathlib import Path

    from generator.checks import AREAS, REGISTRY

    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    for chk in REGISTRY:
        assert chk.area in AREAS and chk.rationale and chk.remediation and chk.mode in ("automated", "attested")
        assert chk.soc2 or chk.pdpa, chk.id
        assert chk.id in tests, f"{chk.id} has no test"


def test_attested_incident_plan():
    config, snap = demo()
    assert "ATT-002" not in ids(evaluate(config, snap))
    config.attestations = [a for a in config.attestations if a.control != "incident_plan"]
    assert "ATT-002" in ids(evaluate(config, snap), "attestation:incident_plan")


def test_rotation_age():
    config, snap = demo()
    cred = snap.credential("n8n:cred-slack")
    cred.updated = snap.meta.taken - timedelta(days=config.thresholds.rotation_days - 1)
    assert "ACCESS-007" not in ids(evaluate(config, snap), "n8n:cred-slack")
    cred.updated = snap.meta.taken - timedelta(days=config.thresholds.rotation_days + 10)
    hit = [f for f in evaluate(config, snap) if f.check.id == "ACCESS-007" and f.location == "n8n:cred-slack"]
    assert hit and f"{config.thresholds.rotation_days + 10} days" in hit[0].evidence
    cred.used_by = []  # an unused credential is ACCESS-004's business
    assert "ACCESS-007" not in ids(evaluate(config, snap), "n8n:cred-slack")


def test_run_data_retention_against_the_policy():
    from generator.config import RetentionRule

    config, snap = demo()
    n8n = next(p for p in snap.platforms if p.platform == "n8n")
    n8n.run_data_keep_days = 30
    n8n.settings = {"executions kept (hours)": 24}  # a display label is never read back as a fact
    config.retention = [RetentionRule(category="Automation run data (executions)", systems=["n8n"], keep_days=14)]
    found = [f for f in evaluate(config, snap) if f.check.id == "DATA-001"]
    assert [f.evidence for f in found if "n8n" in f.location] == [
        "n8n production keeps run data 30 days; “Automation run data (executions)” allows 14"]
    config.retention[0].keep_days = 90
    found = evaluate(config, snap)
    assert "DATA-001" not in ids(found) and any(f.check.id == "DATA-002" and "expects 90" in f.evidence for f in found)
    config.retention = []  # no policy for run data: nothing to judge
    assert not {"DATA-001", "DATA-002"} & ids(evaluate(config, snap))


def test_risky_steps_are_listed():
    config, snap = demo()
    risky = [f for f in evaluate(config, snap) if f.check.id == "SEC-002"]
    assert risky and all("to review" in f.evidence for f in risky)
    for workflow in snap.workflows:
        for step in workflow.steps:
            if step.kind.value == "code":
                step.disabled = True
    assert "SEC-002" not in ids(evaluate(config, snap))


def test_hardcoded_secret_finding_names_location_not_value():
    from generator.model import SecretRef

    config, snap = demo()
    wf = snap.workflow("n8n:Ord3rSync01")
    wf.secrets = [SecretRef(step=wf.steps[1].id, field="parameters.headerParameters.parameters[0].value",
                            kind="stripe_key", fingerprint="sha256:0123456789ab")]
    (hit,) = [f for f in evaluate(config, snap) if f.check.id == "SEC-001"]
    assert hit.location == wf.ref and "sha256:0123456789ab" in hit.evidence and wf.steps[1].name in hit.evidence


def test_stale_platform_data():
    config, snap = demo()
    assert "BACKUP-001" not in ids(evaluate(config, snap))
    zapier = next(p for p in snap.platforms if p.platform == "zapier")
    zapier.synced = snap.meta.taken - timedelta(days=config.thresholds.freshness_days + 3)
    (hit,) = [f for f in evaluate(config, snap) if f.check.id == "BACKUP-001"]
    assert f"{config.thresholds.freshness_days + 3} days before the snapshot" in hit.evidence


def test_platform_audit_and_gaps_become_findings():
    from generator.model import AuditFinding, NotCollected

    config, snap = demo()
    n8n = next(p for p in snap.platforms if p.platform == "n8n")
    n8n.audit = [AuditFinding(section="Instance Risk Report", title="Outdated instance", locations=2)]
    n8n.not_collected = [NotCollected(section="run statistics", reason="the key lacks execution:list")]
    found = evaluate(config, snap)
    assert any(f.check.id == "PLAT-001" and "Outdated instance (2 location(s))" in f.evidence for f in found)
    assert any(f.check.id == "PLAT-002" and "execution:list" in f.evidence for f in found)


def test_isolation_not_compared_is_a_finding():
    config, snap = demo()
    assert "ISO-001" in ids(evaluate(config, snap, isolation=None), "isolation:not-compared")
