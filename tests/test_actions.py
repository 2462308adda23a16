"""The action register (client.yml `actions` joined with the assessment) and the ranking of the top risks."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from generator.checks import Severity, assess
from generator.checks.actions import ACCEPTED, CONFIRMED, FIXED, OPEN, references, register
from generator.checks.risks import SEVERITY_POINTS, rank, verdict
from generator.cli import app
from generator.config import Action
from generator.evidence import Evidence, gather
from generator.store.workspace import client, load_client

from .conftest import copy_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_evidence(tmp_path_factory):
    root = tmp_path_factory.mktemp("actions-root")
    copy_demo(root)
    return gather(client("demo", root))


def _with(evidence: Evidence, **changes) -> Evidence:
    """The evidence with client.yml changed (a copy: the module's fixture stays as it is)."""
    config = evidence.config.model_copy(update=changes)
    return Evidence(config=config, snapshot=evidence.snapshot, revision=evidence.revision,
                    incidents=evidence.incidents, runbooks=evidence.runbooks, isolation=evidence.isolation,
                    exports=evidence.exports)


def _entries(evidence: Evidence):
    assessment = assess(evidence)
    return assessment, {e.id: e for e in register(assessment, evidence.config, evidence.now.date())}


# -- the register --------------------------------------------------------------------------------------

def test_one_entry_per_failed_control_with_every_resource_under_it(demo_evidence):
    assessment, entries = _entries(demo_evidence)
    failed = {c.id for c in assessment.controls if c.status == "fail" and c.check.severity > Severity.info}
    assert {i for i, e in entries.items() if e.status != CONFIRMED} == failed
    assert "SEC-002" not in entries  # an info-level review list is no finding
    personal = entries["ACCESS-003"]
    assert len(personal.resources) == 5 == len({f.location for f in personal.resources})
    assert personal.status == OPEN and personal.owner is None and personal.due is None  # no action: open, no owner


def test_actions_give_owner_due_status_and_response(demo_evidence):
    _, entries = _entries(demo_evidence)
    leads = entries["MON-002"]
    assert (leads.status, leads.owner, leads.due) == (OPEN, "Priya Nair", date(2026, 12, 11))  # contact id → name
    assert leads.response.startswith("Agreed.")
    fixed = entries["ACCESS-005"]  # reported fixed after the snapshot: still listed with its resource
    assert fixed.status == FIXED and fixed.resources and fixed.action.fixed_on == date(2026, 11, 28)
    accepted = entries["DATA-002"]
    assert accepted.status == ACCEPTED and accepted.owner == "Daniel Koh"
    assert [m.expires for m in accepted.mutes] == [date(2027, 3, 31)]
    assert entries["SEC-001"].status == ACCEPTED  # the consultant's mute: accepted, by whoever muted it
    assert entries["SEC-001"].owner == "Maya Lindqvist"


def test_an_accepted_action_mutes_its_control_until_it_expires(demo_evidence):
    today = demo_evidence.now.date()
    accept = Action(control="ACCESS-003", status="accepted", owner="daniel", reason="Personal logins until the "
                    "January migration", expires=today + timedelta(days=30))
    assessment, entries = _entries(_with(demo_evidence, actions=[accept]))
    control = assessment.control("ACCESS-003")
    assert control.failures and not control.open  # muted, like a mute of the whole control
    assert all(f.mute.reason.startswith("Personal logins") for f in control.failures)
    assert entries["ACCESS-003"].status == ACCEPTED
    lapsed = accept.model_copy(update={"expires": today - timedelta(days=1)})
    assessment, entries = _entries(_with(demo_evidence, actions=[lapsed]))
    assert len(assessment.control("ACCESS-003").open) == 5
    assert entries["ACCESS-003"].status == OPEN and entries["ACCESS-003"].expired


def test_overdue_and_confirmed(demo_evidence):
    today = demo_evidence.now.date()
    late = Action(control="MON-002", owner="Priya", due=today - timedelta(days=2))
    passed = Action(control="BACKUP-001", status="fixed", owner="maya")
    assessment, entries = _entries(_with(demo_evidence, actions=[late, passed]))
    assert entries["MON-002"].overdue and entries["MON-002"].owner == "Priya"  # not a contact id: as written
    assert assessment.control("BACKUP-001").status == "pass"
    assert entries["BACKUP-001"].status == CONFIRMED and not entries["BACKUP-001"].overdue


# -- the ranking ---------------------------------------------------------------------------------------

def test_top_risks_of_the_demo(demo_evidence):
    risks = rank(demo_evidence, assess(demo_evidence))
    first = risks[0]
    assert [e.id for e in first.entries] == ["MON-002"]
    assert first.points == {"severity": 30, "failing workflow": 10, "lost runs": 5}
    assert first.losses[0].failed == 34 and first.losses[0].total == 401
    assert first.losses[0].source == "Facebook Lead Ads" and first.losses[0].destinations == ("HubSpot",)
    # Controls failing at the very same resource are one risk: the late, unescalated open incident.
    incident = risks[1]
    assert {e.id for e in incident.entries} == {"INC-003", "INC-004", "INC-005"}
    assert incident.entries[0].control.check.severity == Severity.high and incident.points["open incident"] == 10
    assert incident.owner == "Maya Lindqvist"
    ranked = [e.id for r in risks for e in r.entries]
    assert ranked.index("MON-001") < ranked.index("ACCESS-006") < ranked.index("ACCESS-001")
    # Accepted and reported-fixed controls are not ranked; the register lists them.
    assert not {"SEC-001", "DATA-002", "ACCESS-004", "ACCESS-005"} & set(ranked)
    assert [r.score for r in risks] == sorted((r.score for r in risks), reverse=True)


def test_points_follow_the_documented_rules(demo_evidence):
    risks = {r.entries[0].id: r for r in rank(demo_evidence, assess(demo_evidence))}
    silent = risks["MON-001"]  # five workflows that tell nobody, four of them lost runs
    assert silent.points == {"severity": 30, "lost runs": 5, "nobody told": 5}
    assert {w.name for w in silent.silent} == {"Warehouse shipment updates", "Support ticket triage (AI)",
                                               "Loyalty points award", "New customer onboarding"}
    assert silent.failed_runs == 28 + 22 + 13 + 9
    # A platform-wide finding touches every active workflow on it, but earns no points from their runs.
    patch = risks["PATCH-001"]
    assert patch.points == {"severity": SEVERITY_POINTS[Severity.high]} and not patch.losses
    assert patch.through_platform and all(w.platform.value == "n8n" and w.active for w in patch.through_platform)
    # An estate-wide control (an attestation) touches no workflow.
    assert not risks["ATT-004"].workflows and risks["ATT-004"].points == {"severity": 20}


def test_a_risk_names_the_workflows_that_tell_nobody_once(demo_evidence):
    """The summary's sentences of a risk do not list a second, different set of workflows as telling
    nobody: when every workflow that lost runs is silent, 'they' stands for those just named; when
    only some are, the sentence says it speaks of those ('Of these')."""
    from generator.render.summary import sentences

    risks = {r.entries[0].id: r for r in rank(demo_evidence, assess(demo_evidence))}
    silent = sentences(risks["MON-001"])  # five tell nobody (the headline's places), four of them lost runs
    assert silent[-1] == "Nobody is told when they fail." and not any("“Daily marketing report”" in s for s in silent)
    snap = demo_evidence.snapshot.model_copy(deep=True)
    for wf in snap.workflows:
        if wf.name == "Warehouse shipment updates":  # Make's own failure e-mails on: one of two webhooks told
            wf.settings.alerts_on_failure = True
    evidence = Evidence(config=demo_evidence.config, snapshot=snap, incidents=demo_evidence.incidents,
                        runbooks=demo_evidence.runbooks, isolation=demo_evidence.isolation,
                        exports=demo_evidence.exports)
    webhooks = {r.entries[0].id: r for r in rank(evidence, assess(evidence))}["ACCESS-006"]
    assert [s for s in sentences(webhooks) if "nobody is told" in s.lower()] == [
        "Of these, nobody is told when “Loyalty points award” fails."]


def test_a_silent_failing_workflow_ranks_higher(demo_evidence):
    """Take the failure e-mails away from the Zapier account: the failing lead Zap now tells nobody."""
    before = {r.entries[0].id: r for r in rank(demo_evidence, assess(demo_evidence))}["MON-002"]
    snap = demo_evidence.snapshot.model_copy(deep=True)
    for wf in snap.workflows:
        if wf.platform.value == "zapier":
            wf.settings.alerts_on_failure = False
    evidence = Evidence(config=demo_evidence.config, snapshot=snap, incidents=demo_evidence.incidents,
                        runbooks=demo_evidence.runbooks, isolation=demo_evidence.isolation,
                        exports=demo_evidence.exports)
    after = {r.entries[0].id: r for r in rank(evidence, assess(evidence))}["MON-002"]
    assert after.score == before.score + 5 and after.points["nobody told"] == 5


def test_verdict():
    class R:
        def __init__(self, severity):
            self.severity = severity

    assert verdict([R(Severity.critical), R(Severity.low)], []) == "not ready"
    assert verdict([R(Severity.high)], []) == "action needed"
    assert verdict([R(Severity.medium)], ["an open incident"]) == "action needed"
    assert verdict([R(Severity.medium), R(Severity.low)], []) == "follow-ups"
    assert verdict([], []) == "ready"


# -- client.yml ----------------------------------------------------------------------------------------

ACTIONS = "\nactions:\n  - control: MON-002\n"


BAD = [
    ("accepted-without-reason", "    status: accepted\n    expires: 2027-01-31\n", "actions[0].reason",
     "an accepted risk needs a reason"),
    ("accepted-without-expiry", "    status: accepted\n    reason: Known\n", "actions[0].expires",
     "needs an expiry date"),
    ("bad-due-date", "    due: 2026-12-41\n", "actions[0].due", "date"),
    ("bad-status", "    status: done\n", "actions[0].status", "'open', 'fixed' or 'accepted'"),
    ("bad-control-id", "    owner: x\n  - control: mon 2\n", "actions[1].control", "pattern"),
    ("two-for-one-control", "  - control: MON-002\n", "actions", "MON-002 has an action already"),
]


@pytest.mark.parametrize("name,action,field,fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_actions_are_exit_2_naming_the_field(tmp_path, name, action, field, fragment):
    folder = copy_demo(tmp_path)
    path = folder / "client.yml"
    text = path.read_text()
    text = text[:text.index("\nactions:\n")] + ACTIONS + action + text[text.index("\nattestations:"):]
    path.write_text(text)
    result = runner.invoke(app, ["validate", "demo", "--root", str(tmp_path)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert f": {field}:" in output and fragment in output, output
    assert "Traceback" not in result.output


def test_an_unknown_control_stops_validate_check_and_build(tmp_path):
    folder = copy_demo(tmp_path)
    path = folder / "client.yml"
    text = path.read_text().replace("  - control: PATCH-001\n", "  - control: PATCH-009\n")
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "control: PATCH-009" in row)
    for command in (["validate", "demo"], ["check", "demo"], ["build", "demo", "--no-pdf"]):
        result = runner.invoke(app, [*command, "--root", str(tmp_path)])
        output = " ".join(result.output.split())
        assert result.exit_code == 2, (command, result.output)
        assert f"client.yml:{line}: actions[4].control: no control 'PATCH-009' in the baseline" in output, output
        assert "PATCH-001" in output  # the controls of that family are named
    assert not (tmp_path / "build/demo/site").exists()


def test_references_cover_mutes_too(tmp_path):
    config = load_client(copy_demo(tmp_path) / "client.yml")
    assert references(config) == []
    config.mutes[0].finding = "SEC-404"
    assert references(config) == ["client.yml: mutes[0].finding: no control 'SEC-404' in the baseline "
                                  "(controls of that family: SEC-001, SEC-002)"]


# -- check --format csv and json -----------------------------------------------------------------------

def test_csv_and_json_carry_the_action_register(tmp_path):
    copy_demo(tmp_path)
    result = runner.invoke(app, ["check", "demo", "--format", "csv", "--root", str(tmp_path)])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"owner", "due", "action_status", "response"} <= set(rows[0])
    by_control: dict[str, list[dict]] = {}
    for row in rows:
        by_control.setdefault(row["control"], []).append(row)
    leads = by_control["MON-002"][0]
    assert (leads["owner"], leads["due"], leads["action_status"]) == ("Priya Nair", "2026-12-11", "open")
    assert leads["response"].startswith("Agreed.")
    assert {(r["owner"], r["action_status"]) for r in by_control["ACCESS-003"]} == {("", "open")}
    accepted = [r for r in by_control["DATA-002"] if r["status"] == "fail"]
    assert accepted and all(r["action_status"] == "accepted" and r["muted"] == "true" for r in accepted)
    assert all(r["mute_expires"] == "2027-03-31" for r in accepted)
    assert {r["action_status"] for r in by_control["SEC-002"]} == {""}  # a review list is not in the register
    document = __import__("json").loads(runner.invoke(app, ["check", "demo", "--format", "json", "--root",
                                                            str(tmp_path)]).stdout)
    fixed = next(c for c in document["controls"] if c["id"] == "ACCESS-005")
    assert fixed["action"] == {"owner": "Priya Nair", "due": None, "action_status": "fixed",
                               "response": fixed["action"]["response"]} and fixed["action"]["response"]


def test_summary_wording_helpers():
    from generator.formats import count
    from generator.render.summary import listing

    assert count(1, "run") == "1 run" and count(11533, "run") == "11,533 runs"
    assert count(2, "risk is", "risks are") == "2 risks are"
    assert listing([]) == "" and listing(["a"]) == "a" and listing(["a", "b"]) == "a and b"
    assert listing(["a", "b", "c"]) == "a, b and c"
    assert listing(list("abcde"), 2, "more workflow") == "a, b and 3 more workflows"
    assert listing(list("abcd"), 3, "more workflow") == "a, b, c and 1 more workflow"  # never "1 more workflows"
