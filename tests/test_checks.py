"""Baseline checks on constructed snapshots: each fires where it should and stays quiet elsewhere."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from generator.config import Mute
from generator.model import Credential, StepRef
from generator.store import snapshot
from generator.store.workspace import load_client

from .conftest import DEMO, evaluate, judge


def ids(findings, location=None):
    return {f.check.id for f in findings if location is None or f.location == location}


def demo():
    return load_client(DEMO / "client.yml"), snapshot.load(DEMO / "snapshot")


def test_demo_findings_are_the_expected_mix():
    config, snap = demo()
    found = evaluate(config, snap)
    assert {"ACCESS-001", "ACCESS-004", "ACCESS-005", "ACCESS-006", "MON-001", "MON-002", "MON-003", "ATT-003", "ATT-004",
            "DATA-004"} <= ids(found)  # the architecture notes say data never leaves; n8n calls Make EU1
    assert "ACCESS-001" not in ids(found, "n8n:cred-warehouse-db")  # SELECT on schema.* is read-only
    assert "MON-004" not in ids(found, "n8n:FinPack06")  # weekly schedule: four quiet days are normal


def test_expiry_uses_snapshot_time_and_threshold():
    config, snap = demo()
    cred = snap.credential("make:88125")
    cred.expires = snap.meta.taken + timedelta(days=config.thresholds.expiry_days + 5)
    assert "ACCESS-005" not in ids(evaluate(config, snap), "make:88125")
    cred.expires = snap.meta.taken - timedelta(days=1)
    hit = [f for f in evaluate(config, snap) if f.check.id == "ACCESS-005" and f.location == "make:88125"]
    assert hit and "expired 1 day ago" in hit[0].evidence


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
        assert chk.frameworks, f"{chk.id} is in no framework file"
        assert chk.id in tests, f"{chk.id} has no test"


def test_attested_incident_plan():
    config, snap = demo()
    assert "ATT-002" not in ids(evaluate(config, snap))
    config.attestations = [a for a in config.attestations if a.control != "incident_plan"]
    assert "ATT-002" in ids(evaluate(config, snap), "attestation:incident_plan")


def test_rotation_against_the_clients_policy():
    config, snap = demo()
    assert config.rotation.period_for("n8n:cred-stripe").days == 90  # the demo rotates these keys quarterly
    assert config.rotation.period_for("n8n:cred-slack").days == 365
    cred = snap.credential("n8n:cred-slack")
    cred.updated = snap.meta.taken - timedelta(days=364)
    assert "ACCESS-007" not in ids(evaluate(config, snap), "n8n:cred-slack")
    cred.updated = snap.meta.taken - timedelta(days=400)
    hit = [f for f in evaluate(config, snap) if f.check.id == "ACCESS-007" and f.location == "n8n:cred-slack"]
    assert hit and "400 days before the snapshot: outside the rotation policy of 1 year" in hit[0].evidence
    # the demo's Stripe and NetSuite keys date from June and July: outside the quarterly rule
    config, snap = demo()
    late = {f.location: f.evidence for f in evaluate(config, snap) if f.check.id == "ACCESS-007"}
    assert set(late) == {"n8n:cred-stripe", "n8n:cred-netsuite"}  # Make reports no date for make:88120
    assert "unchanged since 2026-07-14, 136 days before the snapshot: outside the rotation policy of 3 months" in late["n8n:cred-stripe"]
    relaxed = config.model_copy(update={"rotation": config.rotation.model_copy(update={"stricter": []})})
    assert not [f for f in evaluate(relaxed, snap) if f.check.id == "ACCESS-007"]
    cred = snap.credential("n8n:cred-stripe")
    cred.used_by = []  # an unused credential is ACCESS-004's business
    assert "ACCESS-007" not in ids(evaluate(config, snap), "n8n:cred-stripe")


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


def test_risky_steps_are_listed_for_review_not_as_findings():
    config, snap = demo()
    assessment = judge(config, snap)
    risky = assessment.control("SEC-002").failures
    assert risky and all("to review" in f.evidence for f in risky)
    assert "SEC-002" not in ids(assessment.findings)  # an info-level review list is no finding
    for workflow in snap.workflows:
        for step in workflow.steps:
            if step.kind.value == "code":
                step.disabled = True
    assert not judge(config, snap).control("SEC-002").failures


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
    n8n.updates = []  # no update list: the audit is the only source of the fact
    n8n.not_collected = [NotCollected(section="run statistics", reason="the key lacks execution:list")]
    assessment = judge(config, snap)
    found = assessment.findings
    assert any(f.check.id == "PLAT-001" and "Outdated instance (2 locations)" in f.evidence for f in found)
    assert any(f.check.id == "PLAT-002" and "execution:list" in f.evidence for f in found)
    # run statistics missing: the controls that read them cannot pass, they are not assessed (or fail)
    idle = assessment.control("MON-004")
    assert idle.status == "not_assessed" and "missing scope: n8n production: run statistics not read" in idle.reason


def test_one_fact_from_two_sources_is_one_finding():
    from generator.model import AuditFinding

    config, snap = demo()
    n8n = next(p for p in snap.platforms if p.platform == "n8n")
    n8n.audit = [AuditFinding(section="Instance Risk Report", title="Outdated instance", locations=2),
                 AuditFinding(section="Instance risk report", title="Outdated instance"),
                 AuditFinding(section="Nodes risk report", title="Code nodes", locations=1)]
    found = evaluate(config, snap)
    patch = [f for f in found if f.check.id == "PATCH-001"]
    assert len(patch) == 1 and "security audit reports it too (“Outdated instance”, 2 times)" in patch[0].evidence
    audit = [f for f in found if f.check.id == "PLAT-001"]
    assert [f.evidence for f in audit] == ["Nodes risk report: Code nodes (1 location)"]
    n8n.updates = []
    audit = [f for f in evaluate(config, snap) if f.check.id == "PLAT-001"]
    assert len(audit) == 2 and "Outdated instance (2 locations); Instance risk report: Outdated instance" in \
        next(f.evidence for f in audit if "Outdated" in f.evidence)  # the same place twice: one finding


def test_isolation_with_nothing_to_compare_is_not_assessed():
    from generator.evidence.isolation import IsolationReport

    config, snap = demo()
    never = judge(config, snap, isolation=None).control("ISO-001")
    assert never.status == "not_assessed" and never.reason.startswith("no data: never compared")
    alone = judge(config, snap, isolation=IsolationReport(compared=snap.meta.taken, other_clients=0))
    assert alone.control("ISO-001").status == "not_assessed"
    assert alone.control("ISO-001").reason == "nothing to compare: this is the only client in the workspace"
    compared = judge(config, snap, isolation=IsolationReport(compared=snap.meta.taken, other_clients=2))
    assert compared.control("ISO-001").status == "pass"
    assert "in common with the 2 other clients" in compared.control("ISO-001").passes[0].evidence


def test_every_control_has_one_status_and_passes_carry_evidence():
    from generator.checks import REGISTRY, STATUSES

    config, snap = demo()
    for workflow in snap.workflows:  # the demo's one hardcoded secret (muted) aside, nothing for SEC-001 to find
        workflow.secrets = []
    assessment = judge(config, snap, exported=[w.ref for w in snap.workflows])
    assert {c.id for c in assessment.controls} == {c.id for c in REGISTRY}
    for control in assessment.controls:
        assert control.status in STATUSES
        assert (control.reason is None) == (control.status in ("pass", "fail")), control.id
        assert all(r.evidence and r.location for r in control.results)
        assert (control.status == "fail") == bool(control.failures)
        assert control.status != "pass" or control.passes
    counts = assessment.counts()
    assert counts["pass"] and counts["fail"] and counts["not_assessed"]
    # the Zapier key could not read shared Zaps: what depends on the inventory and found nothing wrong is not assessed
    assert assessment.control("SEC-001").status == "not_assessed"
    assert "the token lacks zap:account:all" in assessment.control("SEC-001").reason
    zapier = next(p for p in snap.platforms if p.platform == "zapier")
    zapier.not_collected = []
    complete = judge(config, snap, exported=[w.ref for w in snap.workflows])
    assert complete.control("SEC-001").status == "pass" and complete.control("BACKUP-002").status == "pass"
    # one result per (control, resource)
    for control in assessment.controls:
        places = [r.location for r in control.results]
        assert len(places) == len(set(places)), control.id


def test_frameworks_are_data_files_with_named_requirements(tmp_path):
    from generator.checks import REGISTRY
    from generator.checks.compliance import FRAMEWORKS_DIR, frameworks, in_scope
    from generator.errors import InputError

    loaded = {f.name: f for f in frameworks()}
    assert {"SOC 2", "PDPA", "ISO/IEC 27001"} <= set(loaded)
    iso = {r.id: r for r in loaded["ISO/IEC 27001"].requirements}
    assert iso["A.8.13"].name == "Information backup" and "BACKUP-002" in iso["A.8.13"].checks
    assert {r.id: r.name for r in loaded["SOC 2"].requirements}["CC6.3"].startswith("Access authorised")
    known = {c.id for c in REGISTRY}
    assert all(set(r.checks) <= known for f in loaded.values() for r in f.requirements)
    assert [f.name for f in in_scope(["pdpa", "SOC2"])] == ["PDPA", "SOC 2"]  # client.yml's order and spelling
    assert len(in_scope([])) == len(loaded)
    # adding a framework is adding a file; a requirement naming an unknown check is a located error
    for path in FRAMEWORKS_DIR.glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "nist.yml").write_text("name: NIST CSF\ntitle: NIST Cybersecurity Framework 2.0\nrequirements:\n"
                                       "  - id: PR.AA-05\n    name: Access permissions managed\n"
                                       "    checks: [ACCESS-001]\n")
    assert "NIST CSF" in {f.name for f in frameworks(tmp_path)}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.yml").write_text("name: Bad\ntitle: Bad\nrequirements:\n  - id: X.1\n    name: x\n"
                                 "    checks: [ACCESS-001, NOPE-001]\n")
    with pytest.raises(InputError) as caught:
        frameworks(bad)
    assert caught.value.problems == [f"{bad / 'bad.yml'}:6: requirement X.1: no such check NOPE-001"]
