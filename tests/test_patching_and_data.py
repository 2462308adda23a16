"""Patching (platform updates, steps behind the newest version in use, change process) and the
personal-data map (flows, decisions, approved processors, run data), on constructed and imported data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.config import FlowDecision
from generator.evidence.patching import behind, version_key
from generator.evidence.personal import flows
from generator.model import PlatformUpdate
from generator.store import snapshot
from generator.store.workspace import load_client

from .conftest import DEMO, copy_demo, evaluate

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def imported(root: Path) -> Path:
    assert runner.invoke(app, ["init", "acme", "--root", str(root)]).exit_code == 0
    for platform in ("n8n", "make"):
        paths = sorted((FIXTURES / platform).glob("*.json"))
        assert runner.invoke(app, ["import", "acme", platform, *map(str, paths), "--root", str(root)]).exit_code == 0
    assert runner.invoke(app, ["import", "acme", "zapier", str(FIXTURES / "zapier/export.zip"),
                               "--root", str(root)]).exit_code == 0
    return root / "clients/acme"


def test_version_order():
    assert version_key("4.2") < version_key("4.10") < version_key("5") and version_key("1.14.0") > version_key("1.9.9")


def test_steps_behind_the_newest_version_in_use():
    config, snap = load_client(DEMO / "client.yml"), snapshot.load(DEMO / "snapshot")
    assert behind(snap) == [] and "PATCH-002" not in {f.check.id for f in evaluate(config, snap)}
    slack = [(w, s) for w in snap.workflows for s in w.steps if s.app == "Slack" and w.platform.value == "n8n"]
    for _, step in slack:
        step.version = "2.3"
    slack[0][1].version = "2.1"
    (item,) = behind(snap)
    assert item.step.version == "2.1" and item.newest == "2.3"
    (hit,) = [f for f in evaluate(config, snap) if f.check.id == "PATCH-002"]
    assert hit.location == slack[0][0].ref and "Slack v2.1, newest in use v2.3" in hit.evidence


def test_security_updates_are_called_out():
    config, snap = load_client(DEMO / "client.yml"), snapshot.load(DEMO / "snapshot")
    (hit,) = [f for f in evaluate(config, snap) if f.check.id == "PATCH-001"]
    assert "2.39.4" in hit.evidence and "security fixes" in hit.evidence
    n8n = next(p for p in snap.platforms if p.platform == "n8n")
    n8n.updates = [PlatformUpdate(version="2.40.7")]
    assert "PATCH-001" not in {f.check.id for f in evaluate(config, snap)}


def test_n8n_audit_updates_are_synced(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from generator.connectors import sync_client
    from generator.connectors.base import SyncContext
    from generator.connectors.http import RetryPolicy
    from generator.store.workspace import client as load

    from .fake_n8n import FakeN8n, simple_workflow

    fake = FakeN8n(api_key="key-0123456789")
    fake.workflows = [simple_workflow("wf1", "One")]
    fake.audit = {"Instance Risk Report": {"risk": "instance", "sections": [{
        "title": "Outdated instance", "description": "…", "recommendation": "…",
        "nextVersions": [{"name": "2.41.0", "nodes": [], "createdAt": "2026-11-25T10:00:00.000Z",
                          "description": "New nodes", "hasBreakingChange": True, "hasSecurityFix": False},
                         {"name": "2.40.9", "nodes": [], "createdAt": "2026-11-20T10:00:00.000Z",
                          "description": "Fixes", "hasBreakingChange": False, "hasSecurityFix": True}]}]}}
    base = fake.start()
    try:
        assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
        config = tmp_path / "clients/acme/client.yml"
        config.write_text(config.read_text().replace("platforms: []", (
            f"platforms:\n  - kind: n8n\n    name: n8n\n    base_url: {base}\n    api_key_env: K\n")))
        monkeypatch.setenv("K", "key-0123456789")
        sync_client(load("acme", tmp_path), SyncContext(now=datetime(2026, 11, 28, tzinfo=UTC),
                                                         retry=RetryPolicy(attempts=2)))
    finally:
        fake.stop()
    (facts,) = snapshot.load(tmp_path / "clients/acme/snapshot").platforms
    assert [(u.version, u.security_fix, u.breaking_change) for u in facts.updates] == [
        ("2.41.0", False, True), ("2.40.9", True, False)]


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_patching_page(tmp_path):
    copy_demo(tmp_path)
    assert runner.invoke(app, ["build", "demo", "--no-pdf", "--root", str(tmp_path)]).exit_code == 0
    page = (tmp_path / "build/demo/docs/patching.md").read_text()
    assert "2.39.4" in page and "1 with security fixes" in page
    assert "staging instance" in page and "Tuesdays 20:00" in page


def typeform(snap) -> str:
    """The Integromat-era blueprint's ref: blueprints carry no id, so it is derived from the file."""
    (ref,) = [w.ref for w in snap.workflows if w.name.lower() == "integromat: typeform to airtable"]
    return ref


def test_personal_data_flows_from_definitions(tmp_path):
    folder = imported(tmp_path)
    config, snap = load_client(folder / "client.yml"), snapshot.load(folder / "snapshot")
    found = {(f.ref, f.destination): f for f in flows(config, snap)}
    flow = found[(typeform(snap), "Airtable")]
    assert flow.sources == ["Typeform"] and flow.categories == ["e-mail"]
    hubspot = found[("zapier:289877647", "HubSpot")]
    assert set(hubspot.categories) >= {"e-mail", "name"}
    assert ("n8n:Nightly02", "HTTP Request") not in found  # stock levels are not personal data


def test_decisions_processors_and_the_check(tmp_path):
    folder = imported(tmp_path)
    config, snap = load_client(folder / "client.yml"), snapshot.load(folder / "snapshot")
    assert "DATA-003" not in {f.check.id for f in evaluate(config, snap)}  # no processor list yet
    config.processors = ["HubSpot", "Google Sheets", "Slack"]
    hits = {(f.location, f.evidence.split(" to ")[-1]) for f in evaluate(config, snap) if f.check.id == "DATA-003"}
    assert (typeform(snap), "Airtable, which is not in the approved processors") in hits
    assert not any("HubSpot" in e.split(",")[0] for _, e in hits)
    config.personal_data = [FlowDecision(workflow=typeform(snap), app="Airtable",
                                         status="dismissed", note="only form ids")]
    assert typeform(snap) not in {
        f.location for f in evaluate(config, snap) if f.check.id == "DATA-003"}


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_data_handling_page(tmp_path):
    folder = imported(tmp_path)
    text = (folder / "client.yml").read_text().replace("retention:", "processors: [HubSpot]\nretention:", 1)
    (folder / "client.yml").write_text(text)
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "build/acme/site/data-handling.html").read_text()
    assert "Inferred from the workflow definitions" in page and "Typeform" in page and "Airtable" in page and "<strong>no</strong>" in page
    assert "<svg" in page and "Personal data flows" in page
    assert "Personal data in run history" in page
    assert "Not assessed: the client's country is not recorded" in page  # no country: no transfers judged
    assert json.dumps("jane.customer@example.com") not in page
