"""Sync against a real n8n: workflows built through its API, real webhook runs that succeed and fail.

Needs n8n installed by scripts/install-n8n.sh (the fixture runs it; about 5 minutes the first time).
Locally `HANDOVER_SKIP_N8N=1` skips these tests; on CI (`CI` set) they always run.
"""

from __future__ import annotations

import difflib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.store import snapshot
from generator.store.workspace import client as load_client

from .real_n8n import READ_SCOPES, serve

pytestmark = [pytest.mark.slow, pytest.mark.n8n]
runner = CliRunner()
SETUP_SCOPES = ["workflow:create", "workflow:update", "workflow:activate", "workflow:list", "workflow:read",
                "credential:create", "execution:list", "tag:create", "tag:list", "workflowTags:update"]


n8n = pytest.fixture(scope="module", name="n8n")(serve)  # one real n8n per module


def _node(name, node_type, version, parameters=None, **extra):
    return {"id": str(uuid.uuid4()), "name": name, "type": node_type, "typeVersion": version,
            "position": [0, 0], "parameters": parameters or {}, **extra}


def _link(*pairs):
    """connections from (source, [targets per output])."""
    return {source: {"main": [[{"node": t, "type": "main", "index": 0} for t in (out if isinstance(out, list) else [out])]
                              for out in outputs]}
            for source, outputs in pairs}


@pytest.fixture(scope="module")
def built(n8n):
    """The instance with four workflows and real runs; returns what the test needs to know."""
    api = n8n.api(n8n.api_key("setup", SETUP_SCOPES))

    def create(body):
        response = api.post("/workflows", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    credential = api.post("/credentials", json={"name": "Partner API key", "type": "httpHeaderAuth",
                                                "data": {"name": "X-Key", "value": "partner-secret-value-123"}})
    assert credential.status_code == 200, credential.text
    credential_id = credential.json()["id"]

    handler = create({"name": "Error handler", "settings": {"executionOrder": "v1"},
                      "nodes": [_node("Error Trigger", "n8n-nodes-base.errorTrigger", 1),
                                _node("Log it", "n8n-nodes-base.noOp", 1)],
                      "connections": _link(("Error Trigger", [["Log it"]]))})
    path = f"order-intake-{uuid.uuid4().hex[:12]}"
    intake = create({
        "name": "Order intake",
        "settings": {"executionOrder": "v1", "errorWorkflow": handler["id"], "saveDataErrorExecution": "all",
                     "saveDataSuccessExecution": "all", "timezone": "Asia/Singapore"},
        "nodes": [
            _node("Order webhook", "n8n-nodes-base.webhook", 2,
                  {"httpMethod": "POST", "path": path, "responseMode": "onReceived", "options": {}},
                  webhookId=str(uuid.uuid4())),
            _node("Order ok?", "n8n-nodes-base.if", 1,
                  {"conditions": {"boolean": [{"value1": "={{ $json.body.ok }}", "value2": True}]}}),
            _node("Accept", "n8n-nodes-base.noOp", 1),
            _node("Reject", "n8n-nodes-base.stopAndError", 1,
                  {"errorMessage": "=Order {{ $json.body.order }} rejected by 'intake-rules'"}),
        ],
        "connections": _link(("Order webhook", [["Order ok?"]]), ("Order ok?", [["Accept"], ["Reject"]])),
    })
    nightly = create({
        "name": "Nightly report", "settings": {"executionOrder": "v1", "timezone": "Europe/London"},
        "nodes": [_node("Every night", "n8n-nodes-base.scheduleTrigger", 1.2,
                        {"rule": {"interval": [{"field": "days", "triggerAtHour": 2}]}}),
                  _node("Summarise", "n8n-nodes-base.noOp", 1)],
        "connections": _link(("Every night", [["Summarise"]])),
    })
    partner = create({
        "name": "Partner push", "settings": {"executionOrder": "v1"},
        "nodes": [_node("Start", "n8n-nodes-base.manualTrigger", 1),
                  _node("Call partner", "n8n-nodes-base.httpRequest", 4.2,
                        {"method": "POST", "url": "https://partner.example.invalid/api/orders",
                         "authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth",
                         "options": {}},
                        credentials={"httpHeaderAuth": {"id": credential_id, "name": "Partner API key"}})],
        "connections": _link(("Start", [["Call partner"]])),
    })
    for workflow in (intake, nightly):
        activated = api.post(f"/workflows/{workflow['id']}/activate")
        assert activated.status_code == 200, activated.text

    for order, ok in [(101, True), (102, True), (103, False), (104, True), (105, False)]:
        deadline = time.monotonic() + 30
        while True:  # activation registers the webhook a moment later
            fired = n8n.rest.post(f"/webhook/{path}", json={"ok": ok, "order": order})
            if fired.status_code != 404 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert fired.status_code == 200, fired.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the failing runs finish after the webhook answered
        runs = api.get("/executions", params={"workflowId": intake["id"], "limit": 50}).json()["data"]
        if len(runs) == 5 and all(r.get("stoppedAt") for r in runs):
            break
        time.sleep(0.5)
    api.close()
    return {"intake": intake["id"], "nightly": nightly["id"], "handler": handler["id"], "partner": partner["id"],
            "credential": credential_id, "path": path}


@pytest.fixture
def acme(tmp_path, n8n, monkeypatch):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    config = tmp_path / "clients/acme/client.yml"
    config.write_text(config.read_text().replace("platforms: []", (
        f"platforms:\n  - kind: n8n\n    name: n8n test instance\n    base_url: {n8n.base}\n"
        "    api_key_env: ACME_N8N_KEY\n")))
    return load_client("acme", tmp_path)


def test_sync_a_real_instance(built, n8n, acme, monkeypatch):
    key = n8n.api_key("handover read-only", READ_SCOPES)
    monkeypatch.setenv("ACME_N8N_KEY", key)
    with n8n.api(key) as api:
        summary_before = api.get("/insights/summary").json()
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    snap = snapshot.load(acme.snapshot_dir)
    by_id = {w.id: w for w in snap.workflows}
    assert {built["intake"], built["nightly"], built["handler"], built["partner"]} <= set(by_id)

    intake = by_id[built["intake"]]
    assert intake.active and intake.archived is False and intake.version
    assert intake.trigger.kind == "webhook" and intake.trigger.webhook.method == "POST"
    assert built["path"] not in intake.trigger.webhook.path  # masked
    assert intake.settings.error_workflow == f"n8n:{built['handler']}"
    assert intake.settings.timezone == "Asia/Singapore"
    names = {s.id: s.name for s in intake.steps}
    edges = {(names[e.source], names[e.target], e.label) for e in intake.edges}
    assert edges == {("Order webhook", "Order ok?", None), ("Order ok?", "Accept", "true"),
                     ("Order ok?", "Reject", "false")}

    nightly = by_id[built["nightly"]]
    assert nightly.trigger.kind == "schedule" and nightly.trigger.schedule.description == "Every day at 02:00"
    assert nightly.trigger.schedule.timezone == "Europe/London"
    assert by_id[built["handler"]].trigger.kind == "error"

    partner = by_id[built["partner"]]
    (call,) = [s for s in partner.steps if s.name == "Call partner"]
    assert call.credential == f"n8n:{built['credential']}" and call.kind == "http"
    credential = snap.credential(f"n8n:{built['credential']}")
    assert credential.name == "Partner API key" and credential.type == "httpHeaderAuth"
    assert [(u.workflow, u.step) for u in credential.used_by] == [(partner.ref, call.id)]

    runs = snap.runs_for(intake.ref)
    assert runs.statuses == {"success": 3, "failed": 2}
    (error,) = runs.top_errors
    assert error.count == 2 and error.step == "Reject"
    assert error.message == "Order <n> rejected by '…'"
    assert runs.durations is not None and runs.last_failure is not None
    assert snap.runs_for(f"n8n:{built['nightly']}").statuses == {}  # every synced workflow has its stats

    (facts,) = snap.platforms
    # projects and variables are licensed features: the community edition refuses them, with its reason
    gaps = {n.section: n.reason for n in facts.not_collected}
    assert set(gaps) <= {"projects", "variables"} and all("licen" in r for r in gaps.values())
    assert [(u.name, u.role) for u in snap.users] == [("Olive Owner", "owner")]
    assert facts.audit, "the security audit of a fresh instance reports at least the instance section"
    # insights are in the public API of 2.40.7 and on the community licence (7 days): read as n8n gives
    # them (n8n adds runs to them every few seconds, so the answer just before or just after the sync)
    with n8n.api(key) as api:
        summary_after = api.get("/insights/summary").json()
    (insights,) = facts.insights  # community licence: no team projects
    assert facts.insights_unavailable is None and insights.days == 7
    assert any((insights.runs.value, insights.failed.value, insights.average_run_ms.value) ==
               (s["total"]["value"], s["failed"]["value"], round(s["averageRunTime"]["value"], 4))
               for s in (summary_before, summary_after))
    written = "".join(p.read_text() for p in acme.dir.rglob("*") if p.is_file()) + result.output
    assert key not in written and "partner-secret-value-123" not in written
    # the webhook path is masked everywhere but in the restore file, which keeps the address
    assert built["path"] not in "".join(p.read_text() for p in acme.dir.rglob("*")
                                        if p.is_file() and "exports" not in p.parts) + result.output


def test_a_narrower_key_skips_runs_with_a_note(built, n8n, acme, monkeypatch):
    key = n8n.api_key("no executions", [s for s in READ_SCOPES if not s.startswith("execution:")])
    monkeypatch.setenv("ACME_N8N_KEY", key)
    (outcome,) = sync_client(acme, SyncContext(now=datetime.now(UTC) + timedelta(seconds=1)))
    assert outcome.runs_read == 0
    assert "run statistics: the key lacks execution:list" in outcome.skipped
    snap = snapshot.load(acme.snapshot_dir)
    assert any(n.section == "run statistics" for n in snap.platforms[0].not_collected)
    assert snap.workflow(f"n8n:{built['intake']}") is not None
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    assert "execution:list" in "".join(p.read_text() for p in (acme.root / "build/acme/site").rglob("*.html"))


def test_exports_restore_into_a_real_n8n(built, n8n, acme, monkeypatch):
    """The exports sync wrote are accepted by n8n's own API, and come back with the same nodes and
    connections, apart from the redacted values."""
    import json

    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("read for restore", READ_SCOPES))
    sync_client(acme, SyncContext(now=datetime.now(UTC) + timedelta(seconds=2)))
    api = n8n.api(n8n.api_key("restore", ["workflow:create", "workflow:read", "workflow:list"]))
    exported = sorted((acme.dir / "exports/n8n").glob("*.json"))
    assert len(exported) >= 4
    for path in exported:
        document = json.loads(path.read_text())
        created = api.post("/workflows", json=document)
        assert created.status_code == 200, (path.name, created.text)
        back = api.get(f"/workflows/{created.json()['id']}").json()
        assert back["connections"] == document["connections"]
        assert [(n["name"], n["type"], n["typeVersion"]) for n in back["nodes"]] == \
            [(n["name"], n["type"], n["typeVersion"]) for n in document["nodes"]]
        for mine, theirs in zip(document["nodes"], back["nodes"], strict=True):
            assert theirs["parameters"] == mine["parameters"] or theirs["parameters"].items() >= mine["parameters"].items()
            assert theirs.get("credentials") == mine.get("credentials")
        original = api.get(f"/workflows/{path.stem}").json()  # same nodes as the workflow exported
        assert [n["name"] for n in original["nodes"]] == [n["name"] for n in back["nodes"]]
        assert original["connections"] == back["connections"]
    api.close()


# --------------------------------------------------------------------------------------------------
# What real estates hold (issue 21): workflows n8n accepts that the sync must read, or name.

ODD_SCOPES = SETUP_SCOPES + ["workflow:delete"]


@pytest.fixture(scope="module")
def estate(built, n8n):
    """The instance of `built` plus the workflows that aborted the sync of a real estate."""
    api = n8n.api(n8n.api_key("odd setup", ODD_SCOPES))

    def create(body):
        response = api.post("/workflows", json={"settings": {"executionOrder": "v1"}, "connections": {}, **body})
        assert response.status_code == 200, response.text
        return response.json()

    ids = {}
    ids["expression"] = create({"name": "Hour from an expression", "nodes": [
        _node("Daily", "n8n-nodes-base.scheduleTrigger", 1.2, {"rule": {"interval": [
            {"field": "days", "triggerAtHour": "={{ 2 + 1 }}", "triggerAtMinute": "={{ 15 }}"}]}})]})["id"]
    ids["methods"] = create({"name": "Several methods", "nodes": [
        _node("Hook", "n8n-nodes-base.webhook", 2, {"multipleMethods": True, "httpMethod": ["GET", "POST"],
                                                   "path": f"multi-{uuid.uuid4().hex[:10]}", "options": {}},
              webhookId=str(uuid.uuid4()))]})["id"]
    ids["placeholder"] = create({"name": "Placeholder host", "nodes": [
        _node("Start", "n8n-nodes-base.manualTrigger", 1),
        _node("Post", "n8n-nodes-base.httpRequest", 4.2, {"url": "https://[YOUR-SITE.com]/wp-json/wp/v2/posts",
                                                          "method": "POST", "options": {}})],
        "connections": _link(("Start", [["Post"]]))})["id"]
    ids["empty"] = create({"name": "Nothing yet", "nodes": []})["id"]
    ids["imap"] = create({"name": "Read the inbox", "nodes": [
        _node("Email Trigger (IMAP)", "n8n-nodes-base.emailReadImap", 2, {"options": {}})]})["id"]
    ids["chat"] = create({"name": "Support chat", "nodes": [
        _node("When chat message received", "@n8n/n8n-nodes-langchain.chatTrigger", 1.1, {"options": {}},
              webhookId=str(uuid.uuid4()))]})["id"]
    ids["ghost"] = create({"name": "Uses a deleted credential", "nodes": [
        _node("Start", "n8n-nodes-base.manualTrigger", 1),
        _node("Call", "n8n-nodes-base.httpRequest", 4.2,
              {"url": "https://api.example.invalid/x", "authentication": "genericCredentialType",
               "genericAuthType": "httpHeaderAuth", "options": {}},
              credentials={"httpHeaderAuth": {"id": "gone0000credential", "name": "Deleted key"}})],
        "connections": _link(("Start", [["Call"]]))})["id"]
    archived = create({"name": "Old intake", "nodes": [
        _node("Hook", "n8n-nodes-base.webhook", 2, {"httpMethod": "POST", "path": f"old-{uuid.uuid4().hex[:10]}",
                                                   "options": {}}, webhookId=str(uuid.uuid4()))]})
    ids["archived"] = archived["id"]
    assert api.post(f"/workflows/{archived['id']}/archive").status_code == 200
    # an active workflow edited in the editor but not published: the draft must not be documented as live
    live = create({"name": "Published with a draft", "nodes": [
        _node("Every hour", "n8n-nodes-base.scheduleTrigger", 1.2, {"rule": {"interval": [{"field": "hours"}]}}),
        _node("Live step", "n8n-nodes-base.noOp", 1)], "connections": _link(("Every hour", [["Live step"]]))})
    ids["draft"] = live["id"]
    assert api.post(f"/workflows/{live['id']}/activate").status_code == 200
    edited = {"name": live["name"], "settings": live["settings"], "nodes": live["nodes"] + [
        _node("Draft step", "n8n-nodes-base.noOp", 1)],
        "connections": _link(("Every hour", [["Live step"]]), ("Live step", [["Draft step"]]))}
    saved = api.put(f"/workflows/{live['id']}", params={"publishIfActive": "false"}, json=edited)
    assert saved.status_code == 200, saved.text
    api.close()
    return ids


def _files(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != "audit.log"}


def test_a_real_estate_is_read_whole(built, estate, n8n, acme, monkeypatch):
    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("estate read", READ_SCOPES))
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    snap = snapshot.load(acme.snapshot_dir)
    (facts,) = snap.platforms
    assert facts.not_documented == [], facts.not_documented  # every one of them is read
    wf = {name: snap.workflow(f"n8n:{ident}") for name, ident in estate.items()}
    assert wf["expression"].trigger.schedule.description == "Every day at {{ 2 + 1 }}:{{ 15 }}"
    assert wf["methods"].trigger.webhook.method == "GET, POST"
    assert wf["placeholder"].steps[1].target.url.startswith("sha256:")
    assert wf["empty"].steps == [] and wf["empty"].trigger.kind == "manual"
    assert wf["imap"].trigger.kind == "app_event" and wf["imap"].trigger.app == "Email (IMAP)"
    assert wf["chat"].trigger.kind == "app_event"
    assert wf["archived"].archived and not wf["archived"].active
    # the published version is documented and exported; the draft is named beside it
    draft = wf["draft"]
    assert [s.name for s in draft.steps] == ["Every hour", "Live step"] and draft.active
    assert draft.draft is not None and draft.draft.changes == ["“Draft step” added"]
    exported = json.loads((acme.dir / f"exports/n8n/{estate['draft']}.json").read_text())
    assert [n["name"] for n in exported["nodes"]] == ["Every hour", "Live step"]
    # credentials are the instance's: the deleted one is a finding, not a credential
    assert snap.credential("n8n:gone0000credential") is None
    findings = json.loads(runner.invoke(app, ["check", "acme", "--format", "json", "--root",
                                              str(acme.root)]).stdout)["findings"]
    by_check: dict[str, set] = {}
    for f in findings:
        by_check.setdefault(f["check"], set()).add(f["resource"])
    assert f"n8n:{estate['ghost']}" in by_check["PLAT-004"]
    assert f"n8n:{estate['draft']}" in by_check["PLAT-005"]
    assert f"n8n:{estate['archived']}" not in by_check.get("ACCESS-006", set())
    assert f"n8n:{estate['methods']}" not in by_check.get("ACCESS-006", set())  # inactive: cannot be called
    # the exports of all of them are accepted by n8n again
    api = n8n.api(n8n.api_key("estate restore", ["workflow:create"]))
    for ident in estate.values():
        restored = api.post("/workflows", json=json.loads((acme.dir / f"exports/n8n/{ident}.json").read_text()))
        assert restored.status_code == 200, (ident, restored.text)
    api.close()


def test_two_syncs_in_a_row_change_no_file(built, estate, n8n, acme, monkeypatch):
    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("twice", READ_SCOPES))
    sync_client(acme, SyncContext(now=datetime.now(UTC).replace(microsecond=0)))
    before = _files(acme.dir)
    (outcome,) = sync_client(acme, SyncContext(now=datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)))
    after = _files(acme.dir)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == [], "\n".join(difflib.unified_diff(before.get(changed[-1], b"").decode().splitlines(),
                                                           after.get(changed[-1], b"").decode().splitlines(), lineterm=""))
    assert outcome.changed is False


def test_a_narrower_key_keeps_what_it_cannot_read(built, estate, n8n, acme, monkeypatch):
    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("full", READ_SCOPES))
    sync_client(acme, SyncContext(now=datetime.now(UTC).replace(microsecond=0)))
    first = snapshot.load(acme.snapshot_dir)
    assert first.users and first.credentials
    narrow = [s for s in READ_SCOPES if s not in ("user:list", "credential:list", "execution:read")]
    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("narrow", narrow))
    (outcome,) = sync_client(acme, SyncContext(now=datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)))
    snap = snapshot.load(acme.snapshot_dir)
    assert snap.users == first.users
    assert {c.ref for c in snap.credentials} == {c.ref for c in first.credentials}
    gaps = {n.section: n for n in snap.platforms[0].not_collected}
    assert gaps["users"].kept_since and gaps["credentials"].kept_since
    # the failed runs of the order intake: their detail is refused (403), and that is said
    assert gaps["run errors"].reason.startswith("the key lacks execution:read")
    assert any(s.startswith("run errors: the key lacks execution:read") for s in outcome.skipped)
    assert snap.runs_for(f"n8n:{built['intake']}").failed == 2


def test_planted_secrets_never_leave_a_real_instance(built, estate, n8n, acme, monkeypatch):
    """The planted n8n corpus (tests/secrets_corpus.py) saved in a real n8n through its API, then sync,
    check, health and a site build: not one planted value, whole or any 12-character window, is in any
    file under the client's folders or in the terminal, and each is reported by fingerprint."""
    from generator.redact import fingerprint

    from .conftest import files as all_files
    from .secrets_corpus import plantings, windows

    api = n8n.api(n8n.api_key("plant", SETUP_SCOPES))
    saved = []
    for p in (p for p in plantings() if p.platform == "n8n"):
        document = p.document
        body = {"name": document.get("name") if p.path[:1] == ("name",) else f"Planted {p.number}",
                "nodes": document.get("nodes") or [], "connections": document.get("connections") or {},
                "settings": {"executionOrder": "v1"}}
        if api.post("/workflows", json=body).status_code == 200:  # the public API keeps only these fields
            saved.append(p)
    api.close()
    kept = [p for p in saved if p.path[:1] in (("name",), ("nodes",), ("connections",))]
    assert len(kept) >= 40, len(kept)  # most positions survive the API (tags, pinned data… do not)
    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("read", READ_SCOPES))
    outputs = []
    for command in (["sync", "acme"], ["check", "acme"], ["health", "acme"], ["build", "acme", "--no-pdf"]):
        result = runner.invoke(app, [*command, "--root", str(acme.root)])
        assert result.exit_code in (0, 1), (command, result.output)
        outputs.append(result.output)
    texts = {f"terminal {i}": text for i, text in enumerate(outputs)}
    for base in (acme.dir, acme.build_dir):
        texts.update({f"{base.name}/{name}": data.decode("utf-8", "replace") for name, data in all_files(base).items()})
    forbidden = {w: p.secret.kind for p in kept for w in windows(p.secret.secret) + windows(p.reported)}
    leaks = sorted({(where, forbidden[w]) for where, text in texts.items() for w in forbidden if w in text})
    assert leaks == []
    reported = {s.fingerprint for w in snapshot.load(acme.snapshot_dir).workflows for s in w.secrets}
    missing = [p.secret.kind for p in kept if fingerprint(p.reported) not in reported]
    assert missing == [], missing


def test_a_restore_keeps_the_public_addresses(built, n8n, acme, monkeypatch):
    """A form and a public chat, live on the instance; sync; the originals are archived (so their
    addresses are free) and the exports imported and activated: the same form and chat pages answer, and
    the restore guide names each address as kept, and a Wait step's resume links as changing."""
    api = n8n.api(n8n.api_key("addresses", ODD_SCOPES))
    form_id, chat_id = (f"1{uuid.uuid4()}"[:36] for _ in range(2))  # a digit first: nothing of it is shown
    made = {}
    for name, trigger in (
            ("Contact form", _node("Form", "n8n-nodes-base.formTrigger", 2.2, {
                "formTitle": "Contact", "formFields": {"values": [{"fieldLabel": "Name"}]}, "options": {}},
                webhookId=form_id)),
            ("Public chat", _node("Chat", "@n8n/n8n-nodes-langchain.chatTrigger", 1.1, {"public": True, "options": {}},
                                  webhookId=chat_id))):
        body = {"name": name, "settings": {"executionOrder": "v1"},
                "nodes": [trigger, _node("Hold", "n8n-nodes-base.wait", 1.1, {"resume": "webhook"},
                                         webhookId=str(uuid.uuid4()))],
                "connections": _link((trigger["name"], [["Hold"]]))}
        created = api.post("/workflows", json=body)
        assert created.status_code == 200, created.text
        made[name] = created.json()["id"]
        assert api.post(f"/workflows/{made[name]}/activate").status_code == 200
    pages = {"Contact form": f"/form/{form_id}", "Public chat": f"/webhook/{chat_id}/chat"}
    web = httpx.Client(base_url=n8n.base, timeout=30)

    def answers(page: str, status: int) -> bool:  # n8n registers and removes webhooks a moment after the call
        for _ in range(30):
            if web.get(page).status_code == status:
                return True
            time.sleep(0.5)
        return False

    assert all(answers(page, 200) for page in pages.values())

    monkeypatch.setenv("ACME_N8N_KEY", n8n.api_key("addresses read", READ_SCOPES))
    sync_client(acme, SyncContext(now=datetime.now(UTC) + timedelta(seconds=3)))
    snap = snapshot.load(acme.snapshot_dir)
    kinds = {name: [(a.kind.value, a.kept) for a in snap.workflow(f"n8n:{ident}").addresses]
             for name, ident in made.items()}
    assert kinds == {"Contact form": [("form", True), ("resume", False)],
                     "Public chat": [("chat", True), ("resume", False)]}
    assert form_id not in snap.workflow(f"n8n:{made['Contact form']}").addresses[0].path  # masked

    for name, ident in made.items():  # the instance is lost; the exports are all there is
        assert api.post(f"/workflows/{ident}/archive").status_code == 200
        assert answers(pages[name], 404)
        assert api.delete(f"/workflows/{ident}").status_code == 200
        restored = api.post("/workflows", json=json.loads((acme.dir / f"exports/n8n/{ident}.json").read_text()))
        assert restored.status_code == 200, restored.text
        for _ in range(30):  # the address may stay in n8n's webhook cache a moment longer (409 until then)
            activated = api.post(f"/workflows/{restored.json()['id']}/activate")
            if activated.status_code != 409:
                break
            time.sleep(0.5)
        assert activated.status_code == 200, (name, activated.text)
        assert answers(pages[name], 200), name  # the same public address answers again
    web.close()
    api.close()

    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    guide = (acme.root / "build/acme/docs/backups.md").read_text()
    assert "Form page <code>/form/•••• (masked)</code> (step “Form”): kept" in guide
    assert "Chat page <code>/webhook/•••• (masked)/chat</code> (step “Chat”): kept" in guide
    assert "Resume links <code>/webhook-waiting/&lt;run id&gt;</code> (step “Hold”): changes" in guide
    assert form_id not in guide and chat_id not in guide
