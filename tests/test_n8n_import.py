"""n8n export import: the shapes the editor and the CLI produce, secrets redacted, errors located."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors.n8n import normalise
from generator.redact import redact_document
from generator.store import snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "n8n"
runner = CliRunner()

# The literal secrets planted in the fixture files; none may reach anything the tool writes.
PLANTED = [
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZtopSecret",
    "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
    "shpat_0123456789abcdef0123456789abcdef",
]
# The webhook path works like a password: masked in the snapshot and everything built from it; only the
# restore file (exports/) keeps it, so that a restore keeps the address the callers use.
WEBHOOK_PATH = "shopify-orders-7f3a9c2e5b1d"


@pytest.fixture
def imported(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    files = sorted(str(p) for p in FIXTURES.glob("*.json"))
    result = runner.invoke(app, ["import", "acme", "n8n", *files, "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path, snapshot.load(tmp_path / "clients/acme/snapshot"), result.output


def test_every_shape_imports(imported):
    _, snap, output = imported
    ids = sorted(w.id for w in snap.workflows if w.platform == "n8n")
    # one editor download, a CLI export holding two, one with a BOM and one legacy export without ids:
    # their ids are derived from the file and its content (never from the name), the mapping shown
    derived = [i for i in ids if i not in ("Nightly02", "Ord3rs01", "errH4ndl3r")]
    assert len(ids) == 5 and len(derived) == 2 and all(re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", i) for i in derived)
    assert not any("support" in i for i in derived)
    assert all(f"n8n:{i} (the file gives no id)" in output for i in derived)
    assert "5 n8n workflow(s)" in output and "3 hardcoded secret(s)" in output


def test_webhook_workflow_structure(imported):
    _, snap, _ = imported
    wf = snap.workflow("n8n:Ord3rs01")
    assert wf.active and wf.tags == ["production"] and wf.version == "0d9c8b7a"
    assert wf.trigger.kind == "webhook" and wf.trigger.webhook.auth == "header"
    assert wf.trigger.webhook.method == "POST" and "masked" in wf.trigger.webhook.path
    assert wf.trigger.webhook.address.path.startswith("sha256:")
    # sticky notes are documentation, not steps
    assert [s.id for s in wf.steps] == ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
    assert wf.notes == ["## How this works\nOrders arrive from Shopify. Ask Dana before changing the ERP call."]
    edges = {(e.source, e.target): e for e in wf.edges}
    assert edges[("a2", "a3")].label == "true" and edges[("a2", "a5")].label == "false"
    assert edges[("a3", "a4")].error and edges[("a3", "a4")].label == "error"
    assert edges[("a6", "a4")].label == "EU" and edges[("a6", "a7")].label == "fallback"
    steps = {s.id: s for s in wf.steps}
    assert steps["a3"].kind == "http" and steps["a3"].access == "write" and steps["a3"].error_mode == "retry"
    assert steps["a3"].target.url.startswith("sha256:")
    assert steps["a4"].credential == "n8n:cSlack1" and steps["a4"].operation == "post message"
    assert steps["a7"].disabled and steps["a5"].kind == "code" and steps["a6"].kind == "router"
    assert wf.settings.error_workflow == "n8n:errH4ndl3r" and wf.settings.timeout_seconds == 300
    assert wf.settings.timezone == "Europe/London"
    assert wf.settings.run_data.successful_runs is False and wf.settings.run_data.failed_runs is True


def test_secrets_are_recorded_by_location_and_never_written(imported):
    root, snap, output = imported
    wf = snap.workflow("n8n:Ord3rs01")
    found = {(s.step, s.field, s.kind) for s in wf.secrets}
    assert found == {
        ("a3", "parameters.headerParameters.parameters[0].value", "authorization_header"),
        ("a5", "parameters.jsCode", "stripe_key"),
        (None, "pinData.Order webhook[0].json.headers.x-shopify-token", "shopify_token"),
    }
    assert all(s.fingerprint.startswith("sha256:") and len(s.fingerprint) == 19 for s in wf.secrets)
    written = "".join(p.read_text() for p in (root / "clients/acme").rglob("*") if p.is_file()) + output
    for secret in PLANTED:
        assert secret not in written
    outside_exports = "".join(p.read_text() for p in (root / "clients/acme").rglob("*")
                              if p.is_file() and "exports" not in p.parts) + output
    assert WEBHOOK_PATH not in outside_exports and WEBHOOK_PATH in written
    check = runner.invoke(app, ["check", "acme", "--format", "json", "--root", str(root)])
    findings = [f for f in json.loads(check.stdout)["findings"] if f["check"] == "SEC-001"]
    # one finding per workflow, naming the three places
    assert len(findings) == 1 and findings[0]["evidence"].count("fingerprint sha256:") == 3
    assert all(secret not in check.output for secret in PLANTED)


def test_cli_export_schedule_calls_and_resource_locators(imported):
    _, snap, _ = imported
    nightly = snap.workflow("n8n:Nightly02")
    assert nightly.trigger.schedule.description == "Every day at 02:30"
    assert nightly.trigger.schedule.timezone == "Asia/Singapore"
    assert nightly.trigger.schedule.interval_minutes == 1440
    steps = {s.id: s for s in nightly.steps}
    assert steps["n2"].access == "read" and steps["n2"].kind == "search"
    assert steps["n3"].calls == "n8n:Ord3rs01"  # resource-locator form {"__rl": true, "value": …}
    assert nightly.tags == ["inventory", "nightly"]
    handler = snap.workflow("n8n:errH4ndl3r")
    assert handler.trigger.kind == "error" and handler.created.isoformat() == "2026-03-01T10:00:00+00:00"


def test_langchain_community_legacy_nodes(imported):
    _, snap, _ = imported
    (wf,) = [w for w in snap.workflows if w.name == "Support triage (AI)"]
    assert not wf.active and wf.trigger.schedule.interval_minutes == 15  # legacy Cron node, everyX
    steps = {s.id: s for s in wf.steps}
    assert steps["ai-agent"].kind == "ai" and steps["openai-chat-model"].kind == "ai"
    assert "community: n8n-nodes-evolution-api" in steps["whatsapp-reply"].app
    assert steps["whatsapp-reply"].error_mode == "continue"  # old continueOnFail
    assert steps["legacy-function"].kind == "code" and steps["legacy-function"].version == "1"
    # an old export names its credential by a string; the id is derived from the name
    assert steps["openai-chat-model"].credential == "n8n:openai-prod"
    assert ("openai-chat-model", "ai-agent") in {(e.source, e.target) for e in wf.edges}
    # the connection from a node that does not exist is dropped, not fatal
    assert all(e.source in steps and e.target in steps for e in wf.edges)


def test_credentials_are_joined_with_their_usage(imported):
    _, snap, _ = imported
    slack = snap.credential("n8n:cSlack1")
    assert slack.app == "Slack" and slack.type == "slackOAuth2Api"
    assert [(u.workflow, u.step) for u in slack.used_by] == [("n8n:Ord3rs01", "a4")]
    assert snap.credential("n8n:openai-prod").name == "OpenAI prod"


def test_reimport_updates_and_keeps_the_others(imported):
    root, _, _ = imported
    changed = json.loads((FIXTURES / "orders-webhook.json").read_text())
    changed["name"] = "Shopify orders → ERP v2"
    path = root / "changed.json"
    path.write_text(json.dumps(changed))
    assert runner.invoke(app, ["import", "acme", "n8n", str(path), "--root", str(root)]).exit_code == 0
    snap = snapshot.load(root / "clients/acme/snapshot")
    assert snap.workflow("n8n:Ord3rs01").name == "Shopify orders → ERP v2"
    assert len(snap.workflows) == 5


@pytest.mark.parametrize("content, expected", [
    ('{"name": "x", "nodes": [', ":1:"),  # truncated: file:line:col
    ('{"name": "no nodes here"}', "'nodes' is missing"),
    ("[1, 2]", "item 0: expected a workflow object"),
    (b"\xff\xfe\x00junk", "not UTF-8"),
    ("[]", "an empty list"),
])
def test_bad_files_are_rejected_by_name_and_the_good_ones_imported(tmp_path, content, expected):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    snapshot_dir = tmp_path / "clients/acme/snapshot"
    before = {p: p.read_bytes() for p in snapshot_dir.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    # alone, nothing is importable: exit 2, nothing written
    result = runner.invoke(app, ["import", "acme", "n8n", str(bad), "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert expected in result.output and "bad.json" in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in snapshot_dir.rglob("*") if p.is_file()} == before
    # with a good file: the good one is imported, the bad one named, exit 2
    good = FIXTURES / "orders-webhook.json"
    result = runner.invoke(app, ["import", "acme", "n8n", str(good), str(bad), "--root", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "bad.json" in result.output and "Traceback" not in result.output
    assert [w.id for w in snapshot.load(snapshot_dir).workflows] == ["Ord3rs01"]
    assert not list(tmp_path.rglob(".*-new-*")) and not list(tmp_path.rglob("*.tmp"))


def test_normalise_is_deterministic_and_needs_no_network():
    raw = json.loads((FIXTURES / "orders-webhook.json").read_text())
    assert normalise(redact_document(raw)) == normalise(redact_document(json.loads(json.dumps(raw))))
    with_url = normalise(redact_document(raw), base_url="https://n8n.acme.example/")
    assert with_url.source_url == "https://n8n.acme.example/workflow/Ord3rs01"
    assert with_url.trigger.webhook.address.url.startswith("sha256:")
