"""n8n sync against a real HTTP server on 127.0.0.1 replaying n8n-shaped answers, with faults.

Every fault ends either in a completed sync or in a clear error with the snapshot byte-for-byte as
it was.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.connectors.http import PlatformError, RetryPolicy
from generator.store import snapshot

from .conftest import files, new_client
from .fake_n8n import FakeN8n, iso, simple_workflow

KEY = "n8n_api_0123456789abcdefSECRETKEY"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
runner = CliRunner()


def executions(workflow_ids: list[str], days: int = 10, per_day: int = 3, fail: set[int] = frozenset()) -> list[dict]:
    """Newest first, ids growing with time; runs whose index is in `fail` failed."""
    items, index = [], 0
    for day in range(days * per_day):
        started = NOW - timedelta(hours=8 * day + 1)
        for wid in workflow_ids:
            status = "error" if index in fail else "success"
            items.append({"id": None, "status": status, "mode": "trigger", "startedAt": iso(started),
                          "stoppedAt": iso(started + timedelta(seconds=2 + index % 5)), "workflowId": wid,
                          "finished": status == "success", "retryOf": None, "retrySuccessId": None,
                          "waitTill": None})
            index += 1
    for number, item in enumerate(reversed(items), 1):
        item["id"] = str(number)
    return items


@pytest.fixture
def fake():
    server = FakeN8n(api_key=KEY)
    server.workflows = [simple_workflow(f"wf{i}", f"Workflow {i}", credential="c1" if i % 2 else None)
                        for i in range(7)]
    server.workflows[6]["active"] = False
    server.projects = [{"id": "p1", "name": "Dana Ops <dana@acme.example>", "type": "personal"},
                       {"id": "p2", "name": "Finance", "type": "team"}]
    server.credentials = [{"id": "c1", "name": "Key c1", "type": "httpHeaderAuth",
                           "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-02-01T00:00:00.000Z",
                           "shared": [{"id": "p2", "name": "Finance", "role": "credential:owner"}]},
                          {"id": "c9", "name": "Unused Stripe", "type": "stripeApi", "shared": []}]
    server.users = [{"id": "u1", "email": "dana@acme.example", "firstName": "Dana", "lastName": "Ops",
                     "isPending": False, "role": "global:owner"}]
    server.tags = [{"id": "t1", "name": "production"}]
    server.variables = [{"id": "v1", "key": "ERP_URL", "value": "https://erp.internal/secret-path", "type": "string"}]
    server.audit = {"Instance Risk Report": {"risk": "instance", "sections": [
        {"title": "Unprotected webhooks in instance", "description": "…", "recommendation": "…",
         "location": [{"kind": "node", "workflowId": "wf1"}]},
        {"title": "Security settings", "description": "…", "recommendation": "…",
         "settings": {"features": {"publicApiEnabled": True, "communityPackagesEnabled": False}}}]}}
    server.executions = executions([w["id"] for w in server.workflows[:3]], fail={1, 4, 6})
    server.max_page = 20  # several pages of everything
    base = server.start()
    server.base = base
    yield server
    server.stop()


@pytest.fixture
def acme(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("ACME_N8N_KEY", KEY)
    return new_client(tmp_path, f"  - kind: n8n\n    name: n8n production\n    base_url: {fake.base}\n"
                                "    api_key_env: ACME_N8N_KEY\n    window_days: 30\n")


def sync(c, now=NOW, **limits):
    return sync_client(c, SyncContext(now=now, **{"retry": FAST, "timeout": 2.0, **limits}))


def test_sync_collects_everything(acme, fake):
    (outcome,) = sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    n8n = [w for w in snap.workflows if w.platform == "n8n"]
    assert len(n8n) == 7 and outcome.workflows == 7
    wf1 = snap.workflow("n8n:wf1")
    assert wf1.owner == "Dana Ops" and wf1.source_url == f"{fake.base}/workflow/wf1"
    assert wf1.trigger.schedule.description == "Every hour at :00"
    assert wf1.steps[1].credential == "n8n:c1"
    c1 = snap.credential("n8n:c1")
    assert c1.owner == "Finance" and c1.app == "HTTP Header Auth"
    assert sorted(u.workflow for u in c1.used_by) == ["n8n:wf1", "n8n:wf3", "n8n:wf5"]
    assert snap.credential("n8n:c9").used_by == []
    assert [(u.name, u.role) for u in snap.users] == [("Dana Ops", "owner")]
    (facts,) = snap.platforms
    assert facts.settings["variables (names)"] == "ERP_URL"
    assert "secret-path" not in (acme.snapshot_dir / "platforms.yml").read_text()  # variable values never
    assert facts.settings["features.publicApiEnabled"] is True
    assert [a.title for a in facts.audit] == ["Unprotected webhooks in instance"]
    assert facts.not_collected == [] and "execution:list" in facts.key_scopes
    # runs: 3 workflows × 30 runs, 3 failures, every page read
    assert outcome.runs_read == 90
    stats = {r.workflow: r for r in snap.runs}
    assert stats["n8n:wf1"].statuses == {"success": 28, "failed": 2}
    assert stats["n8n:wf0"].statuses == {"success": 29, "failed": 1}
    assert stats["n8n:wf4"].statuses == {}
    (error,) = stats["n8n:wf1"].top_errors
    assert error.message == "Request failed with status code 502 for order <n>" and error.count == 2
    assert error.step == "HTTP Request"
    assert sum(b.runs for b in stats["n8n:wf1"].daily) == 30
    assert stats["n8n:wf1"].durations.max_ms >= stats["n8n:wf1"].durations.p50_ms >= 2000
    assert len(fake.requests_to("/api/v1/executions")) == 5  # 90 runs in pages of 20


def test_key_never_written_or_shown(acme, fake):
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    assert "Synced acme" in result.output and "90" in result.output
    everything = b"".join(files(acme.dir).values()).decode() + result.output
    assert KEY not in everything and "payload" not in everything  # no run data either


def test_dotenv_supplies_the_key(acme, fake, monkeypatch):
    monkeypatch.delenv("ACME_N8N_KEY")
    (acme.root / ".env").write_text(f"ACME_N8N_KEY={KEY}\n")
    assert sync(acme)[0].workflows == 7


def test_missing_key_is_an_input_error(acme, monkeypatch):
    monkeypatch.delenv("ACME_N8N_KEY")
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 2 and "ACME_N8N_KEY" in result.output and "not set" in result.output


@pytest.mark.parametrize("fault", [
    {"kind": "status", "status": 429, "headers": {"Retry-After": "1"}},
    {"kind": "status", "status": 429},
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 503, "headers": {"Retry-After": "0"}},
    {"kind": "timeout", "seconds": 1.5},
    {"kind": "reset"},
    {"kind": "truncated"},
], ids=lambda f: f"{f['kind']}-{f.get('status', '')}{'-retry-after' if f.get('headers') else ''}")
@pytest.mark.parametrize("route", ["GET /api/v1/workflows", "GET /api/v1/executions"])
def test_transient_faults_are_retried(acme, fake, fault, route):
    fake.fault(route, **fault)
    started = time.monotonic()
    (outcome,) = sync(acme, timeout=0.5)
    assert outcome.workflows == 7 and outcome.runs_read == 90
    assert any(status == -1 for _, _, path, status in fake.log if route.endswith(path))  # the fault happened
    if fault.get("headers", {}).get("Retry-After") == "1":
        hits = fake.requests_to(route.split(" ")[1])
        assert hits[1][0] - hits[0][0] >= 0.95 and time.monotonic() - started >= 1  # it waited as asked


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_retry_after_as_http_date_is_honoured(acme, fake):
    from email.utils import format_datetime
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    fake.fault("GET /api/v1/workflows", kind="status", status=429, headers={"Retry-After": when})
    sync(acme)
    first, second = fake.requests_to("/api/v1/workflows")[:2]
    assert second[0] - first[0] >= 0.9


@pytest.mark.parametrize("faults, expected", [
    ([{"kind": "status", "status": 503}] * 4, "gave up after 4 tries"),
    ([{"kind": "status", "status": 500, "body": {"message": "Internal error"}}] * 4, "500"),
    ([{"kind": "bad-cursor"}], "rejected the page cursor"),
    ([{"kind": "loop-cursor"}], "page cursor it had sent before"),
    ([{"kind": "status", "status": 429, "headers": {"Retry-After": "3600"}}], "asks to wait 3600 s"),
])
@pytest.mark.parametrize("route", ["GET /api/v1/workflows", "GET /api/v1/executions"])
def test_lasting_faults_fail_clearly_and_keep_the_snapshot(acme, fake, faults, expected, route):
    sync(acme)
    before, exports_before = files(acme.snapshot_dir), files(acme.dir / "exports")
    fake.workflows.append(simple_workflow("new", "Would be new"))
    for fault in faults:
        fake.fault(route, **fault)
    with pytest.raises(PlatformError) as failure:
        sync(acme, now=NOW + timedelta(hours=1))
    message = str(failure.value)
    assert expected in message and route.split(" ")[1].removeprefix("/api/v1") in message and KEY not in message
    assert files(acme.snapshot_dir) == before and files(acme.dir / "exports") == exports_before


def test_a_cursor_that_never_ends_is_bounded(acme, fake):
    fake.max_page = 2  # 7 workflows need 4 pages
    with pytest.raises(PlatformError, match="more than 3 pages"):
        sync(acme, max_pages=3)
    assert not acme.snapshot_dir.joinpath("workflows").exists()


def test_wrong_key_exits_3_with_a_hint_and_no_secret(acme, fake, monkeypatch):
    sync(acme)
    before = files(acme.snapshot_dir)
    monkeypatch.setenv("ACME_N8N_KEY", "n8n_api_wrongwrongwrongWRONG123")
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 3
    assert "401" in result.output and "ACME_N8N_KEY" in result.output and "snapshot was not changed" in result.output
    assert "wrongwrong" not in result.output and "Traceback" not in result.output
    assert files(acme.snapshot_dir) == before
    log = acme.audit_path.read_text().splitlines()
    assert json.loads(log[-1])["result"] == "failed" and "wrongwrong" not in log[-1]


def test_unreachable_platform_is_a_platform_error(acme, fake, monkeypatch):
    fake.stop()
    with pytest.raises(PlatformError, match="connection failed"):
        sync(acme)


def test_missing_scopes_skip_sections_with_a_note(acme, fake):
    fake.scopes -= {"execution:list", "user:list", "securityAudit:generate"}
    (outcome,) = sync(acme)
    assert outcome.workflows == 7 and outcome.runs_read == 0
    assert "run statistics: the key lacks execution:list" in outcome.skipped
    snap = snapshot.load(acme.snapshot_dir)
    gaps = {n.section: n.reason for n in snap.platforms[0].not_collected}
    assert gaps == {"run statistics": "the key lacks execution:list", "users": "the key lacks user:list",
                    "security audit": "the key lacks securityAudit:generate"}
    result = runner.invoke(app, ["check", "acme", "--format", "json", "--root", str(acme.root)])
    assert any("execution:list" in f["evidence"] for f in json.loads(result.stdout)["findings"])


def test_without_workflow_list_the_sync_fails(acme, fake):
    fake.scopes.discard("workflow:list")
    with pytest.raises(PlatformError, match="cannot list workflows"):
        sync(acme)


def test_old_n8n_without_credential_list(acme, fake):
    fake.legacy_credentials = True
    sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    # node references are not the instance's credentials: none are listed, the steps still name theirs
    assert snap.credentials == []
    assert any(s.credential == "n8n:c1" for w in snap.workflows for s in w.steps)
    assert any("credentials" == n.section for n in snap.platforms[0].not_collected)


def test_daily_history_outlives_pruning(acme, fake):
    sync(acme)
    first = {r.workflow: r for r in snapshot.load(acme.snapshot_dir).runs}["n8n:wf1"]
    # n8n prunes everything older than 3 days; two new runs arrive; sync a day later
    cutoff = NOW - timedelta(days=3)
    fake.executions = [e for e in fake.executions if e["startedAt"] >= iso(cutoff)]
    newest = int(fake.executions[0]["id"])
    for n in (1, 2):
        fake.executions.insert(0, {"id": str(newest + n), "status": "success", "workflowId": "wf1",
                                   "startedAt": iso(NOW + timedelta(hours=n)),
                                   "stoppedAt": iso(NOW + timedelta(hours=n, seconds=1))})
    sync(acme, now=NOW + timedelta(days=1))
    second = {r.workflow: r for r in snapshot.load(acme.snapshot_dir).runs}["n8n:wf1"]
    assert sum(b.runs for b in second.daily) == sum(b.runs for b in first.daily) + 2
    assert {b.day for b in first.daily} <= {b.day for b in second.daily}
    assert second.statuses["success"] < first.statuses["success"]  # the window itself only sees what n8n kept


def test_sync_is_deterministic(acme, fake):
    sync(acme)
    first = files(acme.snapshot_dir)
    sync(acme)
    assert files(acme.snapshot_dir) == first


def test_removed_workflows_leave_the_snapshot(acme, fake):
    sync(acme)
    fake.workflows = fake.workflows[:2]
    sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    assert sorted(w.id for w in snap.workflows) == ["wf0", "wf1"]
    assert sorted(r.workflow for r in snap.runs) == ["n8n:wf0", "n8n:wf1"]
    assert sorted(files(acme.dir / "exports")) == ["n8n/wf0.json", "n8n/wf1.json"]  # Git keeps the others


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_synced_client_builds(acme, fake):
    sync(acme)
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    page = (acme.root / "build/acme/site/workflows/n8n-wf1.html")
    assert page.is_file() and "Workflow 1" in page.read_text()


def test_version_ownership_and_entered_facts(tmp_path, fake, monkeypatch):
    """The instance's version comes from its own audit, a credential's kind of owner from its project; what no
    API reports (retention, failure e-mails, how an account is connected) is copied from client.yml."""
    fake.audit["Instance Risk Report"]["sections"].append(
        {"title": "Outdated instance", "description": "This n8n instance is outdated. Currently at version 2.38.1, "
         "missing 1 update.", "recommendation": "…", "nextVersions": [{"name": "2.39.4", "hasSecurityFix": True}]})
    fake.credentials.append({"id": "c2", "name": "Mailgun", "type": "mailgunApi",
                             "shared": [{"id": "p1", "name": "Dana Ops <dana@acme.example>", "role": "credential:owner"}]})
    monkeypatch.setenv("ACME_N8N_KEY", KEY)
    c = new_client(tmp_path, f"  - kind: n8n\n    name: n8n production\n    base_url: {fake.base}\n"
                             "    api_key_env: ACME_N8N_KEY\n    run_data_keep_days: 14\n    failure_emails: false\n")
    config = c.config_path.read_text().replace(
        "mutes: []", "connected_as:\n  n8n:c9: personal\ncredential_scopes:\n  n8n:c9: [full access]\n  n8n:c1: []\nmutes: []")
    assert config != c.config_path.read_text()
    c.config_path.write_text(config)
    sync(c)
    snap = snapshot.load(c.snapshot_dir)
    (facts,) = snap.platforms
    assert facts.version == "2.38.1" and facts.run_data_keep_days == 14
    assert snap.credential("n8n:c1").service_account is True  # a team project's
    assert snap.credential("n8n:c2").service_account is False and snap.credential("n8n:c2").owner == "Dana Ops"
    assert snap.credential("n8n:c9").service_account is False  # no project: as client.yml says
    assert snap.credential("n8n:c9").scopes == ["full access"] and snap.credential("n8n:c1").scopes == []
    assert {w.settings.alerts_on_failure for w in snap.workflows} == {False}
