"""Zapier: sync from a fake Workflow API (scopes, pages, 429, quirks) and import of the account export,
into a client that also has n8n and Make workflows, then built."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.connectors.http import PlatformError, RetryPolicy
from generator.store import snapshot

from .conftest import files, new_client
from .fake_zapier import TOKEN, FakeZapier, step, zap

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, cooldown_429=0.3)
WINDOW = 1.0
HUBSPOT, SLACK = "868f9d3c-2ea0-4f19-a32d-a61b276ab8de", "81f613aa-c98a-4383-a5fc-195e68647217"
runner = CliRunner()


def runs_for(number: int, count: int, failed: set[int] = frozenset(), title: str = "") -> list[dict]:
    out = []
    for i in range(count):
        started = NOW - timedelta(hours=3 * i + 1)
        status = "error" if i in failed else ("filtered" if i % 7 == 6 else "success")
        out.append({"id": f"run-{number}-{i}", "zap_id": number, "zap_title": title,
                    "start_time": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "end_time": (started + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "status": status, "steps": [{"status": "success"}, {"status": "error" if i in failed else "success"}],
                    "data_in": "customer jane@example.com", "data_out": ""})
    return out


@pytest.fixture
def fake():
    server = FakeZapier(limit=25, window=WINDOW, retry_after=1)
    hubspot_auth = {"type": "authentication", "id": "b3eYnwl", "app": HUBSPOT, "is_expired": False,
                    "title": "HubSpot sales@acme.example"}
    slack_auth = {"type": "authentication", "id": "BRn9rRg", "app": SLACK, "is_expired": True,
                  "title": "Slack ops@acme.example"}
    server.apps = [{"id": HUBSPOT, "type": "app", "title": "HubSpot"}, {"id": SLACK, "type": "app", "title": "Slack"}]
    server.authentications = [hubspot_auth, slack_auth]
    server.zaps = [zap(12345, "New deal → Slack", [
        step("uag:1", "new_deal", HUBSPOT, "READ", "New Deal", hubspot_auth, {"deal_stage": "CLOSED_WON"}, instant=True),
        step("uag:2", "send_channel_message", SLACK, "WRITE", "Send Channel Message", slack_auth,
             {"channel": "#sales", "text": "{{customer__full_name}} won", "token": "xoxb-1234567890-abcdefghijkl"},
             step_title="Notify sales")])]
    server.zaps += [zap(20000 + i, f"Zap {i}", [
        step("uag:1", "new_deal", HUBSPOT, "READ", "New Deal", hubspot_auth),
        step("uag:3", "find_contact", HUBSPOT, "SEARCH", "Find Contact", hubspot_auth)], enabled=i % 2 == 0)
        for i in range(24)]
    server.shared_zaps = [zap(30001, "Shared: weekly digest", [step("uag:2", "send_channel_message", SLACK, "WRITE",
                                                                    "Send Channel Message", slack_auth)])]
    server.runs = runs_for(12345, 30, failed={2, 5}) + runs_for(20000, 4) + runs_for(99999, 3, title="Deleted Zap")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def acme(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("ACME_ZAPIER_TOKEN", TOKEN)
    return new_client(tmp_path, f"  - kind: zapier\n    name: Zapier\n    base_url: {fake.base}\n"
                                "    api_key_env: ACME_ZAPIER_TOKEN\n")


def sync(c, now=NOW):
    return sync_client(c, SyncContext(now=now, retry=FAST, timeout=2.0, rate_window=WINDOW))


def test_sync_reads_zaps_authentications_and_runs(acme, fake):
    (outcome,) = sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    zaps = {w.id: w for w in snap.workflows}
    assert len(zaps) == 26 and outcome.workflows == 26
    deal = zaps["12345"]
    assert deal.active and deal.trigger.kind == "app_event" and deal.trigger.app == "HubSpot"
    assert [(s.name, s.app, s.kind.value, s.credential) for s in deal.steps] == [
        ("New Deal", "HubSpot", "trigger", "zapier:b3eYnwl"),
        ("Notify sales", "Slack", "action", "zapier:BRn9rRg")]
    assert deal.steps[1].inputs == {"channel": "literal", "text": "a step: full_name", "token": "literal"}
    assert [(s.step, s.field, s.kind) for s in deal.secrets] == [("2", "inputs.token", "slack_token")]
    assert deal.source_url.startswith("https://zapier.com/webintent/edit-zap/")
    assert "Shared: weekly digest" in {w.name for w in snap.workflows}
    slack = snap.credential("zapier:BRn9rRg")
    assert slack.app == "Slack" and slack.owner == "ops@acme.example" and slack.type == "expired"
    assert [u.workflow for u in slack.used_by] == sorted(u.workflow for u in slack.used_by)
    runs = snap.runs_for(deal.ref)
    assert runs.statuses == {"success": 24, "failed": 2, "filtered": 4}
    (error,) = runs.top_errors
    assert error.step == "Notify sales" and error.count == 2
    assert [(u.name, u.email) for u in snap.users] == [("Zoe Zap", "zoe@acme.example")]
    gaps = {n.section: n.reason for n in snap.platforms[0].not_collected}
    assert gaps == {"run statistics (part)": "3 runs of 1 Zap id(s) could not be matched to a Zap (99999)"}
    assert fake.rejected == 0  # 29 requests in pages of 100 and 25 per window: paced, never throttled
    written = b"".join(files(acme.dir).values()).decode()
    assert TOKEN not in written and "xoxb-1234567890" not in written and "jane@example.com" not in written


def test_quirks_wrapped_lists_and_links_previous(acme, fake):
    fake.wrap_in_array, fake.previous_key = True, "previous"
    (outcome,) = sync(acme)
    assert outcome.workflows == 26


def test_pages_follow_links_next(acme, fake, monkeypatch):
    monkeypatch.setattr("generator.connectors.zapier.api.PAGE", 5)
    (outcome,) = sync(acme)
    assert outcome.workflows == 26 and len(fake.requests_to("/v2/zaps")) == 6
    assert fake.rejected == 0


def test_429_with_retry_after_is_honoured(acme, fake):
    fake.fault("GET /v2/zaps", kind="status", status=429, headers={"Retry-After": "1"},
               body={"errors": [{"status": 429, "code": "throttled", "title": "Throttled", "detail": "slow down"}]})
    (outcome,) = sync(acme)
    first, second = fake.requests_to("/v2/zaps")[:2]
    assert outcome.workflows == 26 and second[0] - first[0] >= 0.95


def test_missing_scopes(acme, fake):
    fake.scopes -= {"zap:account:all", "zap:runs", "authentication"}
    (outcome,) = sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    gaps = {n.section: n.reason for n in snap.platforms[0].not_collected}
    assert gaps == {"shared Zaps": "the token lacks zap:account:all", "authentications": "the token lacks authentication",
                    "run statistics": "the token lacks zap:runs"}
    assert outcome.workflows == 25 and snap.credential("zapier:BRn9rRg") is not None  # from the expanded steps


def test_looping_next_link_and_lasting_errors_keep_the_snapshot(acme, fake, monkeypatch):
    sync(acme)
    before = files(acme.snapshot_dir)
    monkeypatch.setattr("generator.connectors.zapier.api.PAGE", 5)
    fake.fault("GET /v2/zaps", kind="loop-next")
    with pytest.raises(PlatformError, match="next-page link it had sent before"):
        sync(acme, now=NOW + timedelta(hours=1))
    assert files(acme.snapshot_dir) == before
    fake.faults.clear()
    for _ in range(4):
        fake.fault("GET /v2/zap-runs", kind="status", status=503)
    with pytest.raises(PlatformError, match="gave up"):
        sync(acme, now=NOW + timedelta(hours=1))
    assert files(acme.snapshot_dir) == before


def test_wrong_token_exits_3(acme, monkeypatch):
    monkeypatch.setenv("ACME_ZAPIER_TOKEN", "not-the-token-0123456789")
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 3 and "401" in result.output and "not-the-token" not in result.output


# --------------------------------------------------------------------------------------------------
# The account export


PLANTED = ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "8f2b1c9d7e6a5f4b3c2d1e0f9a8b7c6d", "jane.customer@example.com",
           "Jane Customer", "+65 9123 4567"]


def test_export_zip_import(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["import", "acme", "zapier", str(FIXTURES / "zapier/export.zip"),
                                 "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    snap = snapshot.load(tmp_path / "clients/acme/snapshot")
    orders = snap.workflow("zapier:289877647")
    assert orders.active and orders.trigger.kind == "webhook" and "masked" in orders.trigger.webhook.path
    assert orders.steps[0].name == "Order webhook"  # the title from zap_data.json
    edges = {(e.source, e.target, e.label) for e in orders.edges}
    assert {("103", "104", "Singapore"), ("103", "105", "Everyone else"), ("104", "106", None),
            ("105", "107", None), ("107", "108", None)} <= edges
    steps = {s.id: s for s in orders.steps}
    assert steps["103"].kind == "router" and steps["102"].kind == "condition" and steps["107"].kind == "code"
    assert steps["106"].app == "HubSpot" and steps["106"].version == "1.14.0"
    assert steps["106"].inputs == {"email": "step 1: email", "firstname": "step 1: first_name",
                                   "lifecyclestage": "literal", "notes": "literal"}
    assert steps["108"].kind == "http" and steps["108"].target is not None
    assert {(s.step, s.kind) for s in orders.secrets} == {("107", "stripe_key"), ("108", "authorization_header")}
    daily = snap.workflow("zapier:300100200")
    assert not daily.active and daily.trigger.kind == "schedule" and daily.trigger.schedule.description == \
        "Every day at 08:00"
    assert daily.steps[1].app == "Google Sheets" and daily.steps[1].version == "2.9.1"
    assert daily.steps[2].disabled and daily.steps[2].app == "Email by Zapier"  # no @version
    assert snap.runs_for(orders.ref).statuses == {"success": 1, "failed": 1, "filtered": 1}
    written = b"".join(files(tmp_path / "clients/acme").values()).decode()
    assert not [p for p in PLANTED if p in written]


def test_export_files_and_keep_literals(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    folder = FIXTURES / "zapier"
    result = runner.invoke(app, ["import", "acme", "zapier", str(folder / "Zapfile.json"), str(folder / "zap_data.json"),
                                 "--keep-literals", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    orders = snapshot.load(tmp_path / "clients/acme/snapshot").workflow("zapier:289877647")
    inputs = {s.id: s.inputs for s in orders.steps}
    assert inputs["106"]["lifecyclestage"] == "literal “customer”"
    assert inputs["107"]["code"] == "literal" and inputs["108"]["headers"] == "literal"  # secrets never kept


def test_old_metadata_and_a_bare_list(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    zaps = json.loads((FIXTURES / "zapier/Zapfile.json").read_text())["zaps"]
    old = tmp_path / "zapfile-old.json"
    old.write_text(json.dumps(zaps))  # old exports: the list of Zaps alone
    result = runner.invoke(app, ["import", "acme", "zapier", str(old), "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(snapshot.load(tmp_path / "clients/acme/snapshot").workflows) == 2


def test_a_zip_without_zaps_is_refused(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    bad = tmp_path / "export.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("readme.json", json.dumps({"hello": "world"}))
    result = runner.invoke(app, ["import", "acme", "zapier", str(bad), "--root", str(tmp_path)])
    assert result.exit_code == 2 and "readme.json" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_three_platforms_in_one_client_build(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    for platform, paths in (("n8n", sorted((FIXTURES / "n8n").glob("*.json"))),
                            ("make", sorted((FIXTURES / "make").glob("*.json"))),
                            ("zapier", [FIXTURES / "zapier/export.zip"])):
        result = runner.invoke(app, ["import", "acme", platform, *map(str, paths), "--root", str(tmp_path)])
        assert result.exit_code == 0, result.output
    snap = snapshot.load(tmp_path / "clients/acme/snapshot")
    assert {w.platform.value for w in snap.workflows} == {"n8n", "make", "zapier"}
    result = runner.invoke(app, ["build", "acme", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    site = tmp_path / "build/acme/site"
    page = (site / "workflows/zapier-289877647.html").read_text()
    assert "Paths by Zapier" in page and "step 1: email" in page
    import pdfplumber
    with pdfplumber.open(tmp_path / "build/acme/acme-handover.pdf") as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    everything = text + "".join(p.read_text(errors="replace") for p in site.rglob("*") if p.suffix in
                                (".html", ".json", ".xml", ".js"))
    assert "New order webhook" in text and "Lead intake" in text
    assert not [p for p in PLANTED if p in everything]


@pytest.mark.slow  # a build or long waits: run by make test and CI, not the quick loop
def test_sync_into_a_client_with_n8n_and_make_then_build(acme, fake):
    for platform, paths in (("n8n", sorted((FIXTURES / "n8n").glob("*.json"))),
                            ("make", sorted((FIXTURES / "make").glob("*.json")))):
        result = runner.invoke(app, ["import", "acme", platform, *map(str, paths), "--root", str(acme.root)])
        assert result.exit_code == 0, result.output
    sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    counts = {p: sum(w.platform.value == p for w in snap.workflows) for p in ("n8n", "make", "zapier")}
    assert counts == {"n8n": 5, "make": 3, "zapier": 26}  # the sync replaced only Zapier's part
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    page = (acme.root / "build/acme/site/workflows/zapier-12345.html").read_text()
    assert "Notify sales" in page and "xoxb-1234567890" not in page
