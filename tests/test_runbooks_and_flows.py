"""Runbooks by symptom (re-run safety, what a pause loses, error causes) and the risky personal-data flows
(AI services, ad platforms, cross-border transfers, the architecture notes checked against the flows)."""

from __future__ import annotations

import pytest

from generator.checks import FAIL, NOT_APPLICABLE, NOT_ASSESSED, PASS
from generator.config import ClientConfig
from generator.errors import InputError
from generator.evidence import apps
from generator.evidence.facts import called, starts
from generator.evidence.personal import flows
from generator.evidence.runbooks import diagnose, error_step, rerun, symptoms, while_paused
from generator.model import Platform, Step, StepKind, Trigger, TriggerKind, Workflow, WorkflowSettings
from generator.store import snapshot
from generator.store.workspace import load_client

from .conftest import DEMO, judge


def demo():
    return load_client(DEMO / "client.yml"), snapshot.load(DEMO / "snapshot")


def workflow(steps, trigger=TriggerKind.manual, platform=Platform.n8n, name="W", **trigger_fields):
    return Workflow(platform=platform, id="w1", name=name, trigger=Trigger(kind=trigger, **trigger_fields),
                    steps=[Step(id=f"s{i}", **s) for i, s in enumerate(steps)],
                    settings=WorkflowSettings(timeout_seconds=300))


def control(config, snap, check_id):
    return next(c for c in judge(config, snap).controls if c.id == check_id)


# ---- symptoms ------------------------------------------------------------------------------------


def test_symptoms_come_from_destination_apps_and_step_actions():
    _, snap = demo()
    assert symptoms(snap.workflow("n8n:Ord3rSync01")) == ["Orders missing in NetSuite"]
    assert symptoms(snap.workflow("zapier:318246012")) == ["Leads not in HubSpot"]  # from lead ads: leads
    assert "Refunds not processed in Stripe" in symptoms(snap.workflow("n8n:Refund05"))
    assert "Customers not e-mailed" in symptoms(snap.workflow("zapier:318245977"))
    assert symptoms(snap.workflow("n8n:ErrH4ndler9")) == []  # notifications are no symptom
    assert symptoms(snap.workflow("n8n:Newsl3gacy07")) == []  # reads and an HTTP call: nothing to name
    # Make's "HubSpot CRM" is HubSpot, the operation before the step's name ("Create member" creates a contact)
    assert symptoms(snap.workflow("make:4417")) == ["Contacts missing or out of date in HubSpot",
                                                    "Subscribers missing in Mailchimp"]


def test_symptom_index_joins_callers_and_authored_runbooks():
    from generator.checks import assess
    from generator.evidence import gather
    from generator.render.portal import build_portal
    from generator.store.workspace import client

    evidence = gather(client("demo", DEMO.parent.parent))
    portal = build_portal(evidence, assess(evidence))
    index = {s.text: s for s in portal.symptom_index}
    refunds = [v.ref for v in index["Refunds not processed in Stripe"].views]
    assert refunds == ["n8n:Refund05", "n8n:RetPortal04"]  # the returns portal starts the refund processor
    orders = index["Orders missing in NetSuite"]
    assert [v.ref for v in orders.views] == ["n8n:Ord3rSync01"]
    assert [g.title for g in orders.guides] == ["Re-registering Shopify webhooks"]  # named in its front matter
    assert [t.casefold() for t in index] == sorted(t.casefold() for t in index)


# ---- re-run safety -------------------------------------------------------------------------------


def test_reads_updates_and_upserts_are_safe_to_repeat():
    wf = workflow([dict(name="Find", app="HubSpot", kind=StepKind.search, operation="find contact"),
                   dict(name="Upsert", app="HubSpot", operation="create or update contact"),
                   dict(name="Stock", app="Shopify", operation="set inventory level"),
                   dict(name="If", app="IF", kind=StepKind.condition)])
    judged = rerun(wf)
    assert judged.safe and not judged.repeats and not judged.duplicates


def test_orders_refunds_and_messages_are_not_safe_to_repeat():
    wf = workflow([dict(name="Create sales order", app="Netsuite", operation="create sales order"),
                   dict(name="Refund payment", app="Stripe", operation="create refund"),
                   dict(name="Confirm", app="Gmail", operation="send email"),
                   dict(name="Call", app="HTTP Request", kind=StepKind.http, operation="POST")])
    judged = rerun(wf)
    assert not judged.safe and judged.money
    kinds = {r.step: r.kind for r in judged.repeats}
    assert kinds == {"Create sales order": "create", "Refund payment": "money", "Confirm": "message", "Call": "unknown"}
    assert judged.duplicates == ("NetSuite", "Stripe")  # the order and refund apps to check before a re-run


def test_a_workflow_that_starts_a_refund_is_not_safe_to_repeat():
    _, snap = demo()
    portal = snap.workflow("n8n:RetPortal04")
    assert rerun(portal).safe  # on its own steps alone it only reads and replies
    judged = rerun(portal, starts(snap))
    assert not judged.safe and judged.money and "Stripe" in judged.duplicates
    assert "Refund processor" in judged.repeats[0].effect


# ---- what a pause loses --------------------------------------------------------------------------


@pytest.mark.parametrize("platform, kind, extra, expected", [
    (Platform.n8n, TriggerKind.webhook, {}, "404"),
    (Platform.n8n, TriggerKind.app_event, {"app": "Zendesk Trigger"}, "removes its subscription in Zendesk"),
    (Platform.n8n, TriggerKind.sub_workflow, {}, "does not stop it"),
    (Platform.n8n, TriggerKind.schedule, {}, "skipped, not caught up"),
    (Platform.make, TriggerKind.webhook, {}, "queue"),
    (Platform.make, TriggerKind.app_event, {"app": "Shopify", "polling_minutes": 15}, "late but not lost"),
    (Platform.zapier, TriggerKind.app_event, {"app": "Facebook Lead Ads", "polling_minutes": 15},
     "Zapier skips what arrived in Facebook Lead Ads"),
    (Platform.zapier, TriggerKind.webhook, {}, "lost unless"),
    (Platform.n8n, TriggerKind.manual, {}, "Nothing is lost"),
])
def test_what_is_lost_while_paused_by_trigger_kind(platform, kind, extra, expected):
    assert expected in while_paused(workflow([], trigger=kind, platform=platform, **extra))


def test_an_unknown_case_says_so():
    assert "not known for Zapier" in while_paused(workflow([], trigger=TriggerKind.sub_workflow, platform=Platform.zapier))


# ---- error causes --------------------------------------------------------------------------------


def test_a_webhook_call_timing_out_is_not_the_run_time_limit():
    _, snap = demo()
    wf = snap.workflow("n8n:Ord3rSync01")
    message = next(e.message for e in snap.runs_for(wf.ref).top_errors if "timed out" in e.message)
    assert message == "Request to Make webhook timed out after <n> ms"  # the demo's own message
    step = error_step(wf, "Award loyalty points")
    found = diagnose(message, step, wf, called(step, wf, snap))
    assert "“Award loyalty points”" in found.cause and "Make scenario “Loyalty points award”" in found.cause
    assert "not the run" in found.cause and "300" not in found.cause
    assert any("check there before re-running" in a for a in found.actions)


def test_a_run_that_hit_its_time_limit():
    wf = workflow([])
    assert "(300 s)" in diagnose("Workflow execution timed out", None, wf).cause
    assert "(300 s)" in diagnose("Scenario exceeded the maximum execution time", None, wf).cause


@pytest.mark.parametrize("ref, where, message, expected", [
    ("n8n:Ord3rSync01", "Create sales order (on account)",
     "NetSuite: SSS_REQUEST_LIMIT_EXCEEDED – concurrent request limit reached (<n> of <n>)", "NetSuite refused the request: its rate limit"),
    ("n8n:Tri4geAI03", "Classify ticket", "OpenAI: 429 Rate limit reached for gpt-<n>o-mini in organization HP-<n>",
     "OpenAI refused"),
    ("make:4417", "HubSpot CRM — create contact", "HubSpot: 409 Contact already exists. Existing ID: HP-<n>",
     "A duplicate: HubSpot already has this record"),
    ("n8n:Ord3rSync01", "Create cash sale", "NetSuite: Invalid item reference: SKU HP-<n> is inactive",
     "NetSuite rejected the data"),
    ("zapier:318246012", "Create contact", "error at step <n>", "no detail"),
])
def test_demo_errors_are_diagnosed_from_text_and_step(ref, where, message, expected):
    _, snap = demo()
    wf = snap.workflow(ref)
    step = error_step(wf, where)
    assert step is not None, where
    assert expected in diagnose(message, step, wf).cause


def test_a_refused_credential_is_named():
    wf = workflow([dict(name="Post", app="Slack", operation="post message")])
    found = diagnose("401 Unauthorized: token expired", wf.steps[0], wf, credential="Slack bot")
    assert "“Slack bot”" in found.cause and "Slack" in found.cause


# ---- risky flows ---------------------------------------------------------------------------------


def demo_flows():
    config, snap = demo()
    return config, snap, {(f.ref, f.destination): f for f in flows(config, snap)}


def test_the_riskiest_demo_flows_are_found():
    _, _, found = demo_flows()
    ai = found[("n8n:Tri4geAI03", "OpenAI")]
    assert ai.sources == ["Zendesk"] and "sent to an AI service" in ai.risks
    assert [(t.place, t.region) for t in ai.transfers] == [("OpenAI", "US")]  # n8n itself runs in Singapore
    leads = found[("zapier:318246012", "HubSpot")]
    assert leads.sources == ["Facebook Lead Ads"] and "comes from an ad platform" in leads.risks
    assert [t.region for t in leads.transfers] == ["US"]  # Zapier runs the Zap in the US
    orders = found[("n8n:Ord3rSync01", "NetSuite")]
    assert orders.sources == ["Shopify"] and {"name", "address"} <= set(orders.categories)
    assert "payment data" in found[("n8n:Refund05", "Stripe")].categories
    make = found[("n8n:Ord3rSync01", "Make (EU1)")]  # the order's customer goes to Make's EU zone
    assert [t.region for t in make.transfers] == ["EU"]


def test_trigger_nodes_and_same_app_steps_are_no_apps_or_flows():
    _, _, found = demo_flows()
    names = {a for f in found.values() for a in [*f.sources, f.destination]}
    assert not {"Zendesk Trigger", "HubSpot CRM", "Webhook", "Webhooks", "Schedule Trigger"} & names
    assert all(f.destination not in f.sources for f in found.values())
    assert ("n8n:Tri4geAI03", "Zendesk") not in found  # the ticket is updated where it came from


def test_transfers_need_the_clients_country_and_follow_the_eu():
    config, snap = demo()
    config.client.country = None
    assert not any(f.transfers for f in flows(config, snap))
    config.client.country = "DE"  # Make EU1 is inside the EU for a German client; Zapier and OpenAI are not
    places = {t.place for f in flows(config, snap) for t in f.transfers}
    assert "Make (EU1)" not in places and {"OpenAI", "Zapier (HR & sales)", "n8n production"} <= places


def test_app_names_are_the_vendors():
    assert apps.app_name("Zendesk Trigger") == "Zendesk" and apps.app_name("HubSpot CRM") == "HubSpot"
    assert apps.app_name("Netsuite") == "NetSuite"
    assert not apps.is_app("Webhook") and not apps.is_app("Execute Workflow Trigger") and apps.is_app("Stripe")
    assert apps.kind("OpenAI") == "AI service" and apps.kind("Anthropic") == "AI service"
    assert apps.kind("Google Ads") == "ad platform" and apps.kind("LinkedIn Lead Gen Forms") == "ad platform"
    assert apps.kind("HubSpot") is None and apps.vendor_region("HubSpot") is None


def test_country_and_region_are_validated(tmp_path):
    text = (DEMO / "client.yml").read_text()
    for bad, field in [("country: SG", "country: XX"), ("country: SG", "country: sg"), ("region: SG", "region: Asia")]:
        path = tmp_path / "client.yml"
        path.write_text(text.replace(bad, field, 1))
        with pytest.raises(InputError) as raised:
            load_client(path)
        assert any("ISO 3166" in p for p in raised.value.problems), raised.value.problems
    data = ClientConfig.model_validate({**load_client(DEMO / "client.yml").model_dump(),
                                        "platforms": [{"kind": "n8n", "name": "x", "region": "EU"}]})
    assert apps.platform_region(data.platforms[0]) == "EU"


# ---- the architecture notes against the flows ----------------------------------------------------


def test_a_claim_the_flows_contradict_is_a_finding():
    config, snap = demo()
    judged = control(config, snap, "DATA-004")
    assert judged.status == FAIL
    (finding,) = judged.failures
    assert "never leave the client's infrastructure" in finding.evidence
    # the flows of the platform the sentence names come first: n8n's call to Make EU1 and its OpenAI step
    assert finding.evidence.index("Make (EU1)") < finding.evidence.index("Loyalty points award")
    assert "client.yml" not in finding.evidence + finding.check.remediation


def test_claims_without_contradiction_or_without_a_country():
    config, snap = demo()
    for facts in snap.platforms:  # every workflow was read: a pass is a pass
        facts.not_collected = []
    config.narrative.architecture = "n8n runs in Singapore. Marketing owns Make."
    assert control(config, snap, "DATA-004").status == NOT_APPLICABLE  # nothing claimed about data staying
    config.narrative.architecture = "Customer data never leaves Singapore."
    snap.workflows = [w for w in snap.workflows if w.platform == Platform.n8n and w.ref != "n8n:Tri4geAI03"
                      and w.ref != "n8n:Ord3rSync01"]
    assert control(config, snap, "DATA-004").status == PASS
    config.client.country = None
    assert control(config, snap, "DATA-004").status == NOT_ASSESSED


def test_transfers_are_listed_for_review():
    config, snap = demo()
    judged = control(config, snap, "DATA-005")
    assert judged.check.severity == 0 and judged.status == FAIL  # a review list, not a finding
    assert "n8n:Tri4geAI03" in {f.location for f in judged.failures}


# ---- the demo build, read back -------------------------------------------------------------------


@pytest.mark.slow
def test_demo_site_and_pdf_show_the_symptom_index_and_risky_flows(demo_build):
    import html
    import re

    import pypdf

    c, _ = demo_build
    index = (c.site_dir / "runbooks/symptoms.html").read_text()
    assert "Orders missing in NetSuite" in index and "Leads not in HubSpot" in index
    assert 'href="n8n-Ord3rSync01.html"' in index and "Re-registering Shopify webhooks" in index
    assert 'href="symptoms.html"' in (c.site_dir / "runbooks/index.html").read_text()
    runbook = (c.site_dir / "runbooks/n8n-Ord3rSync01.html").read_text()
    assert "not safe to repeat without a check" in runbook and "check in NetSuite" in runbook
    assert "404 Not Found" in runbook and "the step's own request timed out, not the run" in runbook
    assert "took longer than" not in runbook
    inventory = (c.site_dir / "runbooks/n8n-Inv3ntory02.html").read_text()
    assert "INC-2026-003" in inventory and "<strong>still open</strong>" in inventory  # its open incident
    leads = (c.site_dir / "runbooks/zapier-318246012.html").read_text()
    assert "Zapier skips what arrived in Facebook Lead Ads" in leads
    assert "Nobody will be told when it fails" in (c.site_dir / "runbooks/n8n-Tri4geAI03.html").read_text()

    data = html.unescape(re.sub(r"<[^>]+>", "", (c.site_dir / "data-handling.html").read_text()))
    for flow in ["Zendesk → OpenAI", "Facebook Lead Ads → HubSpot", "Shopify → Make (EU1)", "Shopify → Stripe",
                 "Cross-border transfers", "outside Singapore"]:
        assert flow in data, flow
    assert "Zendesk Trigger" not in data and "HubSpot CRM" not in data and "heuristic" not in data.lower()

    text = " ".join((page.extract_text() or "") for page in pypdf.PdfReader(c.pdf_path).pages)
    text = " ".join(text.split())
    assert "Runbooks by symptom" in text and "Orders missing in NetSuite" in text
    assert "Cross-border transfers" in text and "Zendesk → OpenAI" in text


def test_a_large_estate_lists_a_dozen_runbooks_per_symptom():
    from generator.checks import assess
    from generator.evidence import Evidence
    from generator.render.pages import Page, environment, render_page
    from generator.render.portal import build_portal

    config, snap = demo()
    snap.workflows = [w.model_copy(update={"id": f"{w.id}x{i}"}) for i in range(20) for w in snap.workflows]
    evidence = Evidence(config=config, snapshot=snap)
    page = render_page(environment(), build_portal(evidence, assess(evidence)),
                       Page("runbooks/symptoms.md", "Runbooks by symptom", "symptoms.md.j2"))
    row = next(line for line in page.splitlines() if line.startswith("| Orders missing in NetSuite |"))
    assert row.count("](n8n-Ord3rSync01x") == 12 and "and 8 more in the [list of runbooks](index.md)" in row
