"""Make sync against a fake Make API on 127.0.0.1: a two-team organisation, paced under its limit,
with faults. Every fault ends in a completed sync or a clear error with the snapshot unchanged."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.connectors.http import PlatformError, RetryPolicy
from generator.store import snapshot
from generator.store.workspace import client as load_client

from .conftest import files, new_client
from .fake_make import TOKEN, FakeMake, bench_blueprint, iso

FIXTURES = Path(__file__).parent / "fixtures" / "make"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, cooldown_429=0.3)
WINDOW = 1.0  # the fake's "minute", so pacing shows in a second rather than a minute
HOOK_URL = "https://hook.eu1.make.com/1gqnexkk1vwxg2wpj39kg30pzp6uhe7h"
runner = CliRunner()


def logs(scenario: int, count: int, failed: set[int] = frozenset()) -> list[dict]:
    out = []
    for i in range(count):
        started = NOW - timedelta(hours=6 * i + 1)
        ms = int(started.timestamp() * 1000)
        ident = f"{scenario:04x}{i:028x}"
        out.append({"imtId": f"{ms}_scenario.{scenario}.auto.{ident}", "id": ident, "status": 3 if i in failed else 1,
                    "duration": 1000 + 10 * i, "operations": 4, "transfer": 100, "type": "auto",
                    "timestamp": iso(started)})
    return out


@pytest.fixture
def fake():
    server = FakeMake(limit=40, window=WINDOW)
    lead = json.loads((FIXTURES / "lead-router.json").read_text())["response"]["blueprint"]
    server.scenarios = [
        {"id": 501, "name": "Lead intake → CRM", "teamId": 1, "isActive": True, "hookId": 222895,
         "scheduling": {"type": "immediately"}, "lastEdit": "2026-11-01T10:00:00.000Z", "dlqCount": 2,
         "createdByUser": {"id": 7, "name": "Mia Maker", "email": "mia@acme.example"}},
        {"id": 502, "name": "Nightly export", "teamId": 2, "isActive": True,
         "scheduling": {"type": "daily", "time": "02:00"}, "lastEdit": "2026-10-01T10:00:00.000Z", "dlqCount": 0},
    ] + [{"id": 600 + i, "name": f"Sheet sync {i}", "teamId": 1 + i % 2, "isActive": i % 3 != 0,
          "scheduling": {"type": "indefinitely", "interval": 900}, "lastEdit": "2026-09-01T10:00:00.000Z",
          "dlqCount": 0} for i in range(6)]
    server.blueprints = {501: lead, 502: {"name": "Nightly export", "flow": [
        {"id": 1, "module": "datastore:SearchRecord", "version": 1, "parameters": {"datastore": 137}},
        {"id": 2, "module": "google-sheets:addRow", "version": 2, "parameters": {"__IMTCONN__": 1234567}}]}}
    server.blueprints.update({600 + i: bench_blueprint(600 + i) for i in range(6)})
    server.logs = {501: logs(501, 40, failed={3, 8, 9}), 502: logs(502, 5)}
    server.hooks = [{"id": 222895, "name": "Leads", "teamId": 1, "udid": "1gqnexkk1vwxg2wpj39kg30pzp6uhe7h",
                     "type": "web", "enabled": True, "scenarioId": 501, "url": HOOK_URL, "data": {"ip": None}}]
    server.connections = [
        {"id": 1234567, "name": "Google (ops@acme.example)", "accountName": "google", "accountLabel": "Google",
         "expire": None, "metadata": {"type": "email", "value": "ops@acme.example"}, "teamId": 1, "scoped": True,
         "scopesCnt": 2, "accountType": "oauth",
         "scopes": [{"id": "https://www.googleapis.com/auth/drive"},
                    {"id": "https://www.googleapis.com/auth/spreadsheets"}]},
        {"id": 4412, "name": "Slack bot", "accountName": "slack2", "accountLabel": "Slack", "expire": "2026-12-10T00:00:00.000Z",
         "metadata": {}, "teamId": 1, "scoped": False, "scopesCnt": 0, "accountType": "oauth"},
    ]
    server.data_stores = [{"id": 137, "name": "Customers", "records": 1200, "size": "524288", "maxSize": "1048576",
                           "teamId": 2}]
    server.users = [{"id": 7, "name": "Mia Maker", "email": "mia@acme.example", "lastLogin": "2026-11-27T08:00:00.000Z"},
                    {"id": 8, "name": "Finn Finance", "email": "finn@acme.example"}]
    server.team_roles = [{"userId": 7, "teamId": 1, "usersRoleId": 11}, {"userId": 7, "teamId": 2, "usersRoleId": 12},
                         {"userId": 8, "teamId": 2, "usersRoleId": 11}]
    server.base = server.start()
    yield server
    server.stop()


@pytest.fixture
def acme(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("ACME_MAKE_TOKEN", TOKEN)
    return new_client(tmp_path, f"  - kind: make\n    name: Make (EU1)\n    base_url: {fake.base}\n"
                                "    organization_id: 10\n    api_key_env: ACME_MAKE_TOKEN\n")


def sync(c, **kwargs):
    return sync_client(c, SyncContext(now=kwargs.pop("now", NOW), retry=kwargs.pop("retry", FAST), timeout=kwargs.pop("timeout", 2.0),
                                      rate_window=WINDOW))


def test_sync_a_two_team_organisation(acme, fake):
    (outcome,) = sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    assert outcome.workflows == 8 and len(snap.workflows) == 8
    lead = snap.workflow("make:501")
    assert lead.folder == "Marketing" and lead.owner == "Mia Maker" and lead.active
    assert lead.source_url.endswith("/1/scenarios/501/edit")
    assert lead.trigger.kind == "webhook" and lead.trigger.webhook.path == "https://hook.eu1.make.com/•••• (masked)"
    assert lead.trigger.webhook.address.url.startswith("sha256:")
    assert snap.workflow("make:502").folder == "Finance"
    assert snap.workflow("make:502").trigger.schedule.description == "Every day at 02:00"
    assert snap.workflow("make:600").trigger.kind == "app_event"
    assert snap.workflow("make:600").trigger.polling_minutes == 15
    google = snap.credential("make:1234567")
    assert google.scopes == ["https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/spreadsheets"]
    assert google.owner == "ops@acme.example" and google.app == "Google"
    assert sorted(u.workflow for u in google.used_by) == ["make:501", "make:502"]
    assert snap.credential("make:4412").expires.isoformat() == "2026-12-10T00:00:00+00:00"
    assert snap.credential("make:key-77") is not None  # a keychain key, known from the blueprint only
    users = {u.name: u.role for u in snap.users}
    assert users == {"Mia Maker": "Finance: Team Member; Marketing: Team Admin", "Finn Finance": "Finance: Team Admin"}
    (facts,) = snap.platforms
    assert facts.settings["data store: Customers"] == "1200 records, 512.0 KB of 1.0 MB"
    assert facts.settings["API requests per minute"] == 40 and facts.settings["teams"] == "Marketing, Finance"
    assert facts.not_collected == []
    runs = snap.runs_for("make:501")
    assert runs.statuses == {"success": 37, "failed": 3} and runs.incomplete == 2
    (error,) = runs.top_errors
    assert error.count == 3 and error.step == "Google Sheets — add row"
    assert error.message == "Invalid e-mail address in row <n>" or error.message.startswith("Invalid e-mail address")
    assert runs.durations.max_ms == 1390
    assert runs.operations == 160 and runs.transfer_bytes == 4000  # 40 runs × 4 operations, × 100 bytes
    assert snap.runs_for("make:602").statuses == {}


def test_pacing_stays_under_the_limit(acme, fake):
    fake.limit = 12  # the plan's limit, read from license.apiLimit
    fake.organization["license"]["apiLimit"] = 12
    started = time.monotonic()
    (outcome,) = sync(acme)
    elapsed = time.monotonic() - started
    assert fake.rejected == 0 and outcome.throttled == 0  # never tripped by our own pacing
    windows = outcome.requests / 12
    assert elapsed >= (windows - 1) * WINDOW  # it did wait: more requests than one window allows
    assert elapsed <= (windows + 1) * WINDOW * 3  # and not far longer (loose: a loaded machine is slower)


@pytest.mark.parametrize("fault", [
    {"kind": "status", "status": 429, "headers": {"Retry-After": "1"},
     "body": {"message": "Requests limit for organization exceeded, please try again later.", "code": "SC429"}},
    {"kind": "status", "status": 429},
    {"kind": "status", "status": 500}, {"kind": "status", "status": 502}, {"kind": "status", "status": 503},
    {"kind": "timeout", "seconds": 1.0}, {"kind": "reset"}, {"kind": "truncated"},
], ids=lambda f: f"{f['kind']}-{f.get('status', '')}{'-retry-after' if f.get('headers') else ''}")
@pytest.mark.parametrize("route", ["GET /api/v2/scenarios", "GET /api/v2/scenarios/501/logs",
                                   "GET /api/v2/scenarios/501/blueprint"])
def test_transient_faults_are_retried(acme, fake, fault, route):
    fake.fault(route, **fault)
    (outcome,) = sync(acme, timeout=0.5) if fault["kind"] == "timeout" else sync(acme)  # a hang twice the timeout
    assert outcome.workflows == 8 and outcome.runs_read == 45
    assert any(status == -1 for _, _, path, status in fake.log if route.endswith(path))


@pytest.mark.parametrize("faults, route, expected", [
    ([{"kind": "status", "status": 503}] * 4, "GET /api/v2/scenarios", "gave up after 4 tries"),
    ([{"kind": "status", "status": 500, "body": {"detail": "Internal", "message": "boom", "code": "SC500"}}] * 4,
     "GET /api/v2/scenarios/502/blueprint", "boom"),
    ([{"kind": "loop-last"}], "GET /api/v2/scenarios/501/logs", "page marker it had sent before"),
    ([{"kind": "same-page"}] * 3, "GET /api/v2/scenarios", "same page twice"),
])  # a 404 on one scenario's blueprint names that scenario and syncs the rest (test_fidelity_make_zapier)
@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_lasting_faults_fail_clearly_and_keep_the_snapshot(acme, fake, faults, route, expected, monkeypatch):
    monkeypatch.setattr("generator.connectors.make.api.PAGE", 3)  # several pages of scenarios and of logs
    monkeypatch.setattr("generator.connectors.make.api.LOG_PAGE", 10)
    sync(acme)
    before = files(acme.snapshot_dir)
    fake.scenarios[0]["name"] = "Renamed"
    for fault in faults:
        fake.fault(route, **fault)
    with pytest.raises(PlatformError) as failure:
        sync(acme, now=NOW + timedelta(hours=1))
    assert expected in str(failure.value) and TOKEN not in str(failure.value)
    assert files(acme.snapshot_dir) == before


def test_missing_scopes_are_read_from_the_token(acme, fake):
    fake.scopes -= {"connections:read", "hooks:read", "datastores:read"}
    (outcome,) = sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    gaps = {n.section: n.reason for n in snap.platforms[0].not_collected}
    assert gaps == {"connections": "the token lacks connections:read", "webhooks": "the token lacks hooks:read",
                    "data stores": "the token lacks datastores:read"}
    assert snap.workflow("make:501").trigger.webhook.path == "(webhook address not in the export)"
    assert snap.credential("make:1234567").scopes == []  # known from the blueprint only
    # nothing was asked that the token could not answer
    assert not any(path.startswith(("/api/v2/connections", "/api/v2/hooks", "/api/v2/data-stores"))
                   for _, _, path, _ in fake.log)


def test_wrong_token_exits_3(acme, fake, monkeypatch):
    monkeypatch.setenv("ACME_MAKE_TOKEN", "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 3 and "401" in result.output and "ACME_MAKE_TOKEN" in result.output
    assert "0f1e2d3c" not in result.output


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_make_and_n8n_sync_into_one_snapshot_and_build(acme, fake, tmp_path, monkeypatch):
    from .fake_n8n import FakeN8n, simple_workflow
    n8n = FakeN8n(api_key="n8n-test-key-0123456789abcdef")
    n8n.workflows = [simple_workflow("wf1", "n8n side")]
    base = n8n.start()
    try:
        config = acme.config_path.read_text().replace("    api_key_env: ACME_MAKE_TOKEN\n", (
            "    api_key_env: ACME_MAKE_TOKEN\n"
            f"  - kind: n8n\n    name: n8n\n    base_url: {base}\n    api_key_env: ACME_N8N_KEY\n"))
        acme.config_path.write_text(config)
        monkeypatch.setenv("ACME_N8N_KEY", "n8n-test-key-0123456789abcdef")
        outcomes = sync(load_client("acme", acme.root))
    finally:
        n8n.stop()
    assert [o.workflows for o in outcomes] == [8, 1]
    snap = snapshot.load(acme.snapshot_dir)
    assert {w.platform.value for w in snap.workflows} == {"make", "n8n"}
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    html = (acme.root / "build/acme/site/workflows/make-501.html").read_text()
    assert "Lead intake" in html and HOOK_URL not in html
