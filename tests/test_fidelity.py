"""Platform fidelity against the fake n8n (a real HTTP server on 127.0.0.1): one workflow n8n accepts
but the tool cannot read never stops a sync; expressions where n8n takes them; a narrower key keeps
what it cannot read; credentials are the instance's; a sync without change writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.store import snapshot

from .fake_n8n import simple_workflow
from .test_n8n_sync import NOW, sync

runner = CliRunner()
pytest_plugins = ["tests.test_n8n_sync"]  # its fake and acme fixtures


def _node(ident, name, node_type, parameters, version=1, **extra):
    return {"id": ident, "name": name, "type": node_type, "typeVersion": version, "position": [0, 0],
            "parameters": parameters, **extra}


def odd_workflows() -> list[dict]:
    """Workflows n8n accepts that aborted the sync of a real estate."""
    expression = simple_workflow("expr", "Hour from an expression")
    expression["nodes"][0]["parameters"] = {"rule": {"interval": [
        {"field": "days", "triggerAtHour": "={{ $vars.REPORT_HOUR }}", "triggerAtMinute": "={{ 5 * 3 }}"}]}}
    methods = simple_workflow("methods", "Several methods")
    methods["nodes"][0] = _node("methods-t", "Every hour", "n8n-nodes-base.webhook",
                                {"multipleMethods": True, "httpMethod": ["GET", "POST"], "path": "orders-in-4f9e2a",
                                 "authentication": "headerAuth"}, 2, webhookId="5f0c1d3e-hook")
    placeholder = simple_workflow("placeholder", "Placeholder host")
    placeholder["nodes"][1]["parameters"]["url"] = "https://[YOUR-SITE.com]/wp-json/wp/v2/posts"
    empty = simple_workflow("empty", "Nothing yet")
    empty["nodes"], empty["connections"] = [], {}
    broken = simple_workflow("broken", "Broken sk_live_51HxYzAbCdEfGhIjKlMnOpQr")
    broken["nodes"] = "not a list"
    deep = simple_workflow("deep", "Deeply nested")
    value: dict = {}
    for _ in range(600):
        value = {"x": value}
    deep["nodes"][1]["parameters"]["body"] = value
    return [expression, methods, placeholder, empty, broken, deep]


def test_one_unreadable_workflow_never_stops_the_sync(acme, fake):
    fake.workflows += odd_workflows()
    result = runner.invoke(app, ["sync", "acme", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    snap = snapshot.load(acme.snapshot_dir)
    expression = snap.workflow("n8n:expr").trigger.schedule
    assert expression.description == "Every day at {{ $vars.REPORT_HOUR }}:{{ 5 * 3 }}"
    hook = snap.workflow("n8n:methods").trigger.webhook
    assert hook.method == "GET, POST" and "4f9e2a" not in hook.path
    assert snap.workflow("n8n:placeholder").steps[1].target.url.startswith("sha256:")
    assert snap.workflow("n8n:empty").steps == [] and snap.workflow("n8n:empty").trigger.kind == "manual"
    # the two it cannot read are named, with the reason, in the summary, the audit log and the snapshot
    assert snap.workflow("n8n:broken") is None and snap.workflow("n8n:deep") is None
    (facts,) = snap.platforms
    reasons = {n.workflow: n for n in facts.not_documented}
    assert set(reasons) == {"n8n:broken", "n8n:deep"}
    assert "'nodes' is missing or not a list" in reasons["n8n:broken"].reason
    assert "nested more than 200 levels" in reasons["n8n:deep"].reason
    assert reasons["n8n:broken"].kept_since is None and "sk_live" not in reasons["n8n:broken"].name
    output = " ".join(result.output.split())
    assert "not documented (n8n production) n8n:broken" in output and "left out (new)" in output
    audit = (acme.dir / "audit.log").read_text()
    assert "not documented: n8n:broken, n8n:deep" in audit
    findings = json.loads(runner.invoke(app, ["check", "acme", "--format", "json", "--root",
                                              str(acme.root)]).stdout)["findings"]
    plat = [f for f in findings if f["check"] == "PLAT-003"]
    assert sorted(f["resource"] for f in plat) == ["n8n:broken", "n8n:deep"]
    assert all(f["evidence"].startswith("not documented: ") for f in plat)
    assert "sk_live" not in "".join(p.read_text() for p in acme.dir.rglob("*") if p.is_file())


def test_a_workflow_that_breaks_keeps_its_previous_version(acme, fake):
    sync(acme)
    before = snapshot.load(acme.snapshot_dir)
    export = (acme.dir / "exports/n8n/wf1.json").read_bytes()
    fake.workflows[1]["nodes"] = {"oops": True}
    fake.workflows[1]["name"] = "Workflow 1 (edited)"
    (outcome,) = sync(acme, now=NOW + timedelta(days=1))
    assert outcome.not_documented == ["n8n:wf1 “Workflow 1 (edited)”: 'nodes' is missing or not a list; is this an "
                                      "n8n workflow export? — kept at its version of 2026-11-28"]
    after = snapshot.load(acme.snapshot_dir)
    assert after.workflow("n8n:wf1") == before.workflow("n8n:wf1")
    assert after.runs_for("n8n:wf1") == before.runs_for("n8n:wf1")
    assert (acme.dir / "exports/n8n/wf1.json").read_bytes() == export
    (gap,) = after.platforms[0].not_documented
    assert gap.kept_since == NOW
    # still broken a day later: still kept from the same date
    sync(acme, now=NOW + timedelta(days=2))
    assert snapshot.load(acme.snapshot_dir).platforms[0].not_documented[0].kept_since == NOW


def test_a_narrower_key_keeps_what_it_cannot_read(acme, fake):
    sync(acme)
    first = snapshot.load(acme.snapshot_dir)
    assert first.users and first.credentials
    fake.scopes -= {"user:list", "credential:list", "execution:read"}
    (outcome,) = sync(acme, now=NOW + timedelta(days=1))
    snap = snapshot.load(acme.snapshot_dir)
    assert snap.users == first.users
    assert [c.model_copy(update={"used_by": []}) for c in snap.credentials] == \
        [c.model_copy(update={"used_by": []}) for c in first.credentials]
    gaps = {n.section: n for n in snap.platforms[0].not_collected}
    assert gaps["users"].kept_since == NOW and gaps["credentials"].kept_since == NOW
    assert "users: the key lacks user:list — previous values kept, not refreshed since 2026-11-28" in outcome.skipped
    # failed runs whose detail the key may not read: counted, and said so
    assert gaps["run errors"].reason.startswith("the key lacks execution:read (")
    assert sum(r.failed for r in snap.runs) == 3


def test_credentials_are_the_instances_own(acme, fake):
    fake.workflows[2]["nodes"][1]["credentials"] = {"httpHeaderAuth": {"id": "c404", "name": "Gone"}}
    sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    assert sorted(c.id for c in snap.credentials) == ["c1", "c9"]  # what n8n lists; the reference is not one
    assert snap.credential("n8n:c1").shared_with == []  # owned by Finance, shared with nobody
    findings = json.loads(runner.invoke(app, ["check", "acme", "--format", "json", "--root",
                                              str(acme.root)]).stdout)["findings"]
    (missing,) = [f for f in findings if f["check"] == "PLAT-004"]
    assert missing["resource"] == "n8n:wf2"
    assert missing["evidence"] == "workflow uses a credential that does not exist: “HTTP Request” (c404)"


def test_a_sync_without_change_writes_no_file(acme, fake):
    sync(acme)
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in acme.dir.rglob("*")
             if p.is_file() and p.name != "audit.log"}
    (outcome,) = sync(acme, now=NOW + timedelta(minutes=30))
    assert outcome.changed is False
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in acme.dir.rglob("*")
            if p.is_file() and p.name != "audit.log"} == files
    # a new run changes that workflow's runs file, and only the files it concerns
    newest = max(int(e["id"]) for e in fake.executions)
    fake.executions.insert(0, {"id": str(newest + 1), "status": "success", "workflowId": "wf0",
                               "startedAt": "2026-11-28T12:10:00.250Z", "stoppedAt": "2026-11-28T12:10:01.750Z"})
    (outcome,) = sync(acme, now=NOW + timedelta(minutes=40))
    assert outcome.changed
    changed = {p.relative_to(acme.dir).as_posix() for p in acme.dir.rglob("*")
               if p.is_file() and p.name != "audit.log" and (p not in files or files[p][0] != p.read_bytes())}
    assert changed == {"snapshot/meta.yml", "snapshot/platforms.yml", "snapshot/runs/n8n/wf0.yml"}
    # the platform's times carry milliseconds the files do not: still no change the next time
    files = {p: p.read_bytes() for p in acme.dir.rglob("*") if p.is_file() and p.name != "audit.log"}
    (outcome,) = sync(acme, now=NOW + timedelta(minutes=50))
    assert outcome.changed is False
    assert {p: p.read_bytes() for p in acme.dir.rglob("*") if p.is_file() and p.name != "audit.log"} == files


def test_what_runs_is_documented_and_exported_never_the_draft(acme, fake):
    live = fake.workflows[0]
    published = {"versionId": "live-0001", "workflowId": "wf0", "nodes": json.loads(json.dumps(live["nodes"])),
                 "connections": live["connections"], "authors": "Dana Ops", "createdAt": "2026-11-01T00:00:00.000Z"}
    live.update(activeVersionId="live-0001", activeVersion=published, versionId="draft-0002")
    live["nodes"].append(_node("wf0-new", "Post to partner", "n8n-nodes-base.httpRequest",
                               {"url": "https://partner.example/api", "method": "POST"}, 4.2))
    live["nodes"][1]["parameters"]["url"] = "https://api.example.com/other"
    sync(acme)
    wf = snapshot.load(acme.snapshot_dir).workflow("n8n:wf0")
    assert [s.name for s in wf.steps] == ["Every hour", "HTTP Request"] and wf.version == "live-000"
    assert wf.draft.version == "draft-00" and wf.draft.changes == ["“Post to partner” added", "“HTTP Request” edited"]
    exported = json.loads((acme.dir / "exports/n8n/wf0.json").read_text())
    assert [n["name"] for n in exported["nodes"]] == ["Every hour", "HTTP Request"]
    assert exported["nodes"][1]["parameters"]["url"] == "https://api.example.com/items"
    findings = json.loads(runner.invoke(app, ["check", "acme", "--format", "json", "--root",
                                              str(acme.root)]).stdout)["findings"]
    (draft,) = [f for f in findings if f["check"] == "PLAT-005"]
    assert draft["resource"] == "n8n:wf0" and "“Post to partner” added" in draft["evidence"]


def test_triggers_and_reachability(acme, fake):
    imap = simple_workflow("imap", "Read the inbox")
    imap["nodes"][0] = _node("imap-t", "Email Trigger (IMAP)", "n8n-nodes-base.emailReadImap",
                             {"mailbox": "INBOX"}, 2)
    imap["connections"] = {"Email Trigger (IMAP)": imap["connections"].pop("Every hour")}
    hooks = []
    for ident, active, archived in (("open-live", True, False), ("open-off", False, False),
                                    ("open-archived", False, True)):
        hook = simple_workflow(ident, ident, active=active)
        hook["isArchived"] = archived
        hook["nodes"][0] = _node(f"{ident}-t", "Every hour", "n8n-nodes-base.webhook",
                                 {"httpMethod": "POST", "path": f"{ident}-7c1d9e2f4a"}, 2)
        hooks.append(hook)
    for ident, params in (("chat-open", {"public": True, "options": {}}),  # anyone with the link can chat
                          ("chat-login", {"public": True, "authentication": "n8nUserAuth", "options": {}}),
                          ("chat-editor", {"options": {}})):  # only in n8n's own editor
        chat = simple_workflow(ident, ident, active=True)
        chat["nodes"][0] = _node(f"{ident}-t", "Every hour", "@n8n/n8n-nodes-langchain.chatTrigger", params, 1.1)
        chat["nodes"][0]["webhookId"] = f"{ident}-5b2e8c1d-9f3a"
        hooks.append(chat)
    fake.workflows += [imap, *hooks]
    sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    trigger = snap.workflow("n8n:imap").trigger
    assert trigger.kind == "app_event" and trigger.app == "Email (IMAP)"
    assert snap.workflow("n8n:open-archived").archived
    findings = json.loads(runner.invoke(app, ["check", "acme", "--format", "json", "--root",
                                              str(acme.root)]).stdout)["findings"]
    assert snap.workflow("n8n:chat-open").trigger.kind == "webhook"
    assert snap.workflow("n8n:chat-login").trigger.webhook.auth == "platform"
    assert snap.workflow("n8n:chat-editor").trigger.kind == "app_event"
    # only an address n8n would answer without a login: the workflow active, not archived
    assert sorted(f["resource"] for f in findings if f["check"] == "ACCESS-006") == ["n8n:chat-open", "n8n:open-live"]


def test_a_build_after_an_unchanged_sync_is_skipped(acme, fake):
    fake.history["wf1"] = [{"versionId": "v2-abcdefgh", "workflowId": "wf1", "authors": "Dana Ops",
                            "createdAt": "2026-11-20T09:00:00.000Z"},
                           {"versionId": "v1-abcdefgh", "workflowId": "wf1", "authors": "Olive Owner",
                            "createdAt": "2026-10-01T09:00:00.000Z"}]
    sync(acme)
    assert [v.version for v in snapshot.load(acme.snapshot_dir).workflow("n8n:wf1").history] == ["v2-abcde",
                                                                                                   "v1-abcde"]
    built = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert built.exit_code == 0, built.output
    page = next(p for p in (acme.root / "build/acme/docs").rglob("*.md") if "Saved versions (2)" in p.read_text())
    assert "Olive Owner" in page.read_text()
    # n8n prunes its history: what the snapshot kept stays
    fake.history["wf1"] = fake.history["wf1"][:1]
    sync(acme, now=NOW + timedelta(minutes=10))
    again = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert again.exit_code == 0 and "up to date, nothing to rebuild" in again.output, again.output
    assert len(snapshot.load(acme.snapshot_dir).workflow("n8n:wf1").history) == 2


def test_public_addresses_and_what_a_restore_does_to_them():
    """Each kind of public address n8n builds, masked in the snapshot, kept in the export (webhookId
    included); a path the redaction took as a secret is named as changing."""
    from generator.connectors.n8n.native import native
    from generator.connectors.n8n.workflow import normalise
    from generator.redact import redact_document

    hook_id, form_id, chat_id, app_id = ("4b1c7d2e-9f3a-4e5b-8c6d-1a2b3c4d5e6f", "5c2d8e3f-0a4b-4f6c-9d7e-2b3c4d5e6f70",
                                         "6d3e9f40-1b5c-4071-8e8f-3c4d5e6f7081", "7e4f0a51-2c6d-4182-9f90-4d5e6f708192")
    raw = {"id": "addr", "name": "Addresses", "connections": {}, "nodes": [
        _node("a1", "Hook", "n8n-nodes-base.webhook", {"path": "orders-in-4f9e2a", "httpMethod": "POST"}, 2,
              webhookId=hook_id),
        _node("a2", "Dynamic", "n8n-nodes-base.webhook", {"path": "users/:id"}, 2, webhookId=hook_id),
        _node("a3", "Form", "n8n-nodes-base.formTrigger", {"formTitle": "Contact"}, 2.2, webhookId=form_id),
        _node("a4", "Chat", "@n8n/n8n-nodes-langchain.chatTrigger", {"public": True}, 1.1, webhookId=chat_id),
        _node("a5", "Bot", "n8n-nodes-base.telegramTrigger", {"updates": ["message"]}, 1.1, webhookId=app_id),
        _node("a6", "Hold", "n8n-nodes-base.wait", {"resume": "webhook"}, 1.1, webhookId=hook_id),
        _node("a7", "Later", "n8n-nodes-base.wait", {"amount": 5}, 1.1, webhookId=hook_id),  # a timer: no link
        _node("a8", "Secret path", "n8n-nodes-base.webhook", {"path": "Xk9fQ2mLp7Rt4VwZ8sNb3Hj6"}, 2),
    ]}
    document = redact_document(raw)
    workflow = normalise(document)
    assert [(a.step, a.kind.value, a.path, a.kept) for a in workflow.addresses] == [
        ("a1", "webhook", "/webhook/orders-•••• (masked)", True),
        ("a2", "webhook", "/webhook/•••• (masked)/users/:id", True),
        ("a3", "form", "/form/•••• (masked)", True),
        ("a4", "chat", "/webhook/•••• (masked)/chat", True),
        ("a5", "app", "/webhook/•••• (masked)/webhook", True),
        ("a6", "resume", "/webhook-waiting/<run id>", False),
        ("a8", "webhook", "/webhook/•••• (masked)", False),
    ]
    exported = native(document)
    assert [n.get("webhookId") for n in exported["nodes"]] == [n.get("webhookId") for n in raw["nodes"]]
    assert exported["nodes"][0]["parameters"]["path"] == "orders-in-4f9e2a"
    assert "Xk9fQ2mLp7Rt4VwZ8sNb3Hj6" not in json.dumps(exported)


SUMMARY = {"total": {"value": 140, "unit": "count", "deviation": 20},
           "failed": {"value": 7, "unit": "count", "deviation": -3},
           "failureRate": {"value": 0.05, "unit": "ratio", "deviation": -0.0333},
           "timeSaved": {"value": 95, "unit": "minute", "deviation": 15},
           "averageRunTime": {"value": 1840, "unit": "millisecond", "deviation": None}}


def _summary_pages(acme) -> str:
    result = runner.invoke(app, ["build", "acme", "--no-pdf", "--root", str(acme.root)])
    assert result.exit_code == 0, result.output
    docs = acme.root / "build/acme/docs"
    return (docs / "overview.md").read_text() + (docs / "operations.md").read_text()


def test_n8n_insights_are_read_and_shown(acme, fake):
    """GET /insights/summary as 2.40.7 answers it (the shape recorded by test_n8n_real), for the instance
    and each team project the licence allows; on the overview and the operations page."""
    fake.insights = SUMMARY
    fake.projects = [{"id": "p1", "name": "Finance", "type": "team"}, {"id": "p2", "name": "Ops", "type": "team"},
                     {"id": "pp", "name": "Olive <o@x.example>", "type": "personal"}]
    fake.insights_by_project = {"p1": dict(SUMMARY, total={"value": 40, "unit": "count", "deviation": None})}
    sync(acme)
    (facts,) = snapshot.load(acme.snapshot_dir).platforms
    assert facts.insights_unavailable is None
    instance, finance = facts.insights  # Ops is refused (403): the instance's and Finance's stand
    assert instance.project is None and finance.project == "Finance"
    assert (instance.runs.value, instance.runs.change, instance.failed.change) == (140, 20, -3)
    assert (instance.failure_rate.value, instance.average_run_ms.change) == (0.05, None)
    assert finance.runs.value == 40 and finance.runs.change is None
    pages = _summary_pages(acme)
    assert pages.count("| Runs | 140 | +20 |") == 2 and "| Failed runs | 7 | −3 |" in pages
    assert "| Failure rate | 5.0 % | −3.3 points |" in pages and "| Time saved | 1 h 35 min | +15 min |" in pages
    assert "| Average run time | 1.8 s | no earlier period to compare |" in pages
    assert "n8n, project Finance: production runs in the last 7 days" in pages


@pytest.mark.parametrize(("answer", "said", "not_collected"), [
    (None, "not available on this plan or version of n8n", False),  # an n8n without it: 404
    ((403, {"message": "The selected date range exceeds the maximum history allowed by your license"}),
     "not available on this plan or version of n8n (The selected date range exceeds the maximum history "
     "allowed by your license)", False),
    ((403, {"message": "Forbidden"}), "not collected: the key lacks insights:read", True),
])
def test_n8n_insights_where_the_instance_has_none(acme, fake, answer, said, not_collected):
    fake.insights = answer
    (outcome,) = sync(acme)
    (facts,) = snapshot.load(acme.snapshot_dir).platforms
    assert facts.insights == [] and facts.insights_unavailable == said
    assert any(n.section == "insights" for n in facts.not_collected) is not_collected
    pages = _summary_pages(acme).replace("\\(", "(").replace("\\)", ")")  # Markdown escapes
    assert f"n8n's own run summary (Insights): {said}." in pages


def test_a_key_that_lost_insights_read_keeps_the_last_summary(acme, fake):
    fake.insights = SUMMARY
    sync(acme)
    fake.scopes -= {"insights:read"}
    sync(acme, now=NOW + timedelta(hours=1))
    (facts,) = snapshot.load(acme.snapshot_dir).platforms
    assert facts.insights[0].runs.value == 140 and facts.insights_unavailable is None
    (gap,) = [n for n in facts.not_collected if n.section == "insights"]
    assert gap.reason == "the key lacks insights:read" and gap.kept_since == NOW
