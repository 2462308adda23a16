"""Incidents (records, the 48-hour summary, response targets) and runbooks that stay true."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.build import portal_for
from generator.config import IncidentLevel as Severity
from generator.evidence import incidents
from generator.model import TriggerKind
from generator.store import snapshot
from generator.store.workspace import client, load_client

from .conftest import DEMO, copy_demo, evaluate

runner = CliRunner()
TAKEN = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def hits(findings, check_id):
    return [f for f in findings if f.check.id == check_id]


def test_new_and_list(tmp_path):
    copy_demo(tmp_path)
    result = runner.invoke(app, ["incident", "new", "demo", "Refunds stuck", "--severity", "critical",
                                 "--workflow", "n8n:Refund05", "--detected", "2026-11-26T10:00:00Z", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    created = incidents.load(tmp_path / "clients/demo/incidents")[0]
    assert created.id == "INC-2026-004" and created.workflows == ["n8n:Refund05"] and created.severity == Severity.critical
    assert all(f"## {name}" in created.body for name in incidents.SECTIONS)
    listed = runner.invoke(app, ["incident", "list", "demo", "--root", str(tmp_path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and listed.output.index("INC-2026-004") < listed.output.index("INC-2026-002")
    bad = runner.invoke(app, ["incident", "new", "demo", "x", "--severity", "high", "--workflow", "n8n:nope", "--root", str(tmp_path)])
    assert bad.exit_code == 2 and "no such workflow" in bad.output


def test_an_incident_survives_a_copy_between_processes():
    """An incident pickles and unpickles (a process pool sends it so): its header fields still read as
    attributes, and reading one before the header is set is an AttributeError, not an endless recursion."""
    import copy
    import pickle

    incident = incidents.load(DEMO / "incidents")[0]
    again = pickle.loads(pickle.dumps(incident))
    assert (again.id, again.severity, again.body) == (incident.id, incident.severity, incident.body)
    assert copy.copy(incident).detected == incident.detected


def test_bad_header_names_file_line_field(tmp_path):
    folder = copy_demo(tmp_path) / "incidents"
    path = next(folder.glob("INC-2026-002*"))
    text = path.read_text().replace("severity: critical", "severity: catastrophic")
    path.write_text(text)
    with pytest.raises(incidents.InputError) as caught:
        incidents.load(folder)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "catastrophic" in row)
    assert caught.value.problems[0].startswith(f"{path}:{line}: severity:")


def _with(tmp_path, body: str = "", **header):
    """The demo plus one constructed incident, evaluated as of the snapshot time."""
    from generator.store.yamlio import model_to_yaml

    folder = copy_demo(tmp_path) / "incidents"
    fields = {"id": "INC-2026-099", "title": "Constructed", "severity": "high", "owner": "Test",
              "detected": TAKEN - timedelta(days=5), **header}
    (folder / "INC-2026-099-constructed.md").write_text(
        f"---\n{model_to_yaml(incidents.IncidentHeader(**fields))}---\n\n{body}")
    config = load_client(tmp_path / "clients/demo/client.yml")
    found = evaluate(config, snapshot.load(DEMO / "snapshot"), incidents.load(folder))
    return [f for f in found if "Constructed" in f.label]


def test_48_hour_summary(tmp_path):
    resolved = TAKEN - timedelta(hours=72)
    late = _with(tmp_path / "a", status="resolved", acknowledged=TAKEN - timedelta(hours=90), resolved=resolved)
    assert hits(late, "INC-001") and "no summary sent" in hits(late, "INC-001")[0].evidence
    sent_late = _with(tmp_path / "b", status="resolved", acknowledged=TAKEN - timedelta(hours=90), resolved=resolved,
                      summary_sent=resolved + timedelta(hours=60))
    assert "summary sent 2 days 12 h after" in hits(sent_late, "INC-001")[0].evidence
    on_time = _with(tmp_path / "c", status="resolved", acknowledged=TAKEN - timedelta(hours=90), resolved=resolved,
                    summary_sent=resolved + timedelta(hours=20))
    assert not hits(on_time, "INC-001")
    not_due = _with(tmp_path / "d", status="resolved", acknowledged=TAKEN - timedelta(hours=30),
                    resolved=TAKEN - timedelta(hours=24))
    assert not hits(not_due, "INC-001")
    minor = _with(tmp_path / "e", severity="standard", status="resolved", resolved=resolved,
                  acknowledged=TAKEN - timedelta(hours=90))
    assert not hits(minor, "INC-001")


def test_root_cause_and_preventive_measures(tmp_path):
    missing = _with(tmp_path / "a", status="resolved", acknowledged=TAKEN - timedelta(days=4), resolved=TAKEN - timedelta(days=3))
    assert "root cause and preventive measures not written" in hits(missing, "INC-002")[0].evidence
    body = "## Root cause\n\nA expired token.\n\n## Preventive measures\n\nRotation reminder.\n"
    written = _with(tmp_path / "b", status="resolved", acknowledged=TAKEN - timedelta(days=4),
                    resolved=TAKEN - timedelta(days=3), body=body)
    assert not hits(written, "INC-002")


def test_response_targets(tmp_path):
    # critical: acknowledge within 15m, restore within 4h (demo client.yml)
    detected = TAKEN - timedelta(days=2)
    slow = _with(tmp_path / "a", severity="critical", detected=detected, acknowledged=detected + timedelta(minutes=40),
                 resolved=detected + timedelta(hours=6), status="resolved", summary_sent=detected + timedelta(hours=8),
                 escalated=[{"level": 2, "at": detected + timedelta(minutes=10)}])
    assert "first response 2026-11-25 14:40 (UTC+8), after 40 min (target 15 min)" in hits(slow, "INC-003")[0].evidence
    assert "restored 2026-11-25 20:00 (UTC+8), after 6 h (target 4 h)" in hits(slow, "INC-004")[0].evidence
    # level 3 is due after 2h for a critical incident not restored by then
    assert "level 3 (Management) due 2026-11-25 16:00 (UTC+8), not escalated" in hits(slow, "INC-005")[0].evidence
    fast = _with(tmp_path / "b", severity="critical", detected=detected, acknowledged=detected + timedelta(minutes=10),
                 resolved=detected + timedelta(hours=1), status="resolved", summary_sent=detected + timedelta(hours=8),
                 escalated=[{"level": 2, "at": detected + timedelta(minutes=10)}])
    assert not hits(fast, "INC-003") and not hits(fast, "INC-004") and not hits(fast, "INC-005")
    late_told = _with(tmp_path / "c", severity="critical", detected=detected, acknowledged=detected + timedelta(minutes=10),
                      resolved=detected + timedelta(hours=1), status="resolved",
                      escalated=[{"level": 2, "at": detected + timedelta(minutes=50)}])
    assert "level 2 (Automation lead) due 2026-11-25 14:15 (UTC+8), escalated 2026-11-25 14:50 (UTC+8)" in \
        hits(late_told, "INC-005")[0].evidence


def test_open_incident_past_its_targets(tmp_path):
    # high: acknowledge within 1h, restore within 1d, level 2 after 1d; still open at the snapshot
    detected = TAKEN - timedelta(hours=59)
    still_open = _with(tmp_path / "a", detected=detected)
    assert "no first response yet (due 2026-11-25 04:00 (UTC+8))" in hits(still_open, "INC-003")[0].evidence
    assert "still open at the snapshot (2026-11-27 14:00 (UTC+8)), 2 days 11 h later (target 1 day, due 2026-11-26 03:00 (UTC+8))" \
        in hits(still_open, "INC-004")[0].evidence
    assert "level 2 (Automation lead) due 2026-11-26 03:00 (UTC+8), not escalated" in hits(still_open, "INC-005")[0].evidence
    recent = _with(tmp_path / "b", detected=TAKEN - timedelta(minutes=30))
    assert not hits(recent, "INC-003") and not hits(recent, "INC-004") and not hits(recent, "INC-005")


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin"})


RUNBOOK = """---
title: Orders guide
workflows: ["n8n:Ord3rSync01"]
credentials: ["n8n:cred-shopify"]
steps: ["n8n:Ord3rSync01#n4"]
---
# Orders guide
"""


@pytest.fixture
def repo(tmp_path):
    folder = copy_demo(tmp_path, history=False)  # runbooks judged against this repository's commits
    shutil.rmtree(folder / "runbooks")
    (folder / "runbooks").mkdir()
    (folder / "runbooks/orders.md").write_text(RUNBOOK)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "initial")
    return tmp_path


def changes_after(repo, edit):
    snap_dir = repo / "clients/demo/snapshot"
    snap = snapshot.load(snap_dir)
    edit(snap)
    snapshot.save(snap, snap_dir)
    git(repo, "commit", "-qam", "sync")
    portal = portal_for(client("demo", repo), with_history=False)
    return portal.authored_runbooks[0].changes, hits(portal.findings, "RUN-001")


def test_runbook_current_when_nothing_it_names_changed(repo):
    changes, found = changes_after(repo, lambda s: setattr(s.workflow("n8n:Refund05"), "name", "Other"))
    assert changes == [] and not found


@pytest.mark.parametrize("edit,expected", [
    (lambda s: setattr(s.workflow("n8n:Ord3rSync01"), "name", "Orders v2"), "was renamed to “Orders v2”"),
    (lambda s: s.workflows.remove(s.workflow("n8n:Ord3rSync01")), "was removed"),
    (lambda s: setattr(s.workflow("n8n:Ord3rSync01").trigger, "kind", TriggerKind.schedule), "the trigger of"),
    (lambda s: setattr(s.workflow("n8n:Ord3rSync01").step("n8"), "credential", "n8n:cred-google"), "the credentials used by"),
    (lambda s: setattr(s.credential("n8n:cred-shopify"), "scopes", ["read_orders"]), "the scopes of the credential"),
    (lambda s: setattr(s.workflow("n8n:Ord3rSync01").step("n4"), "name", "Create SO"), "was renamed to “Create SO”"),
])
def test_runbook_flagged_for_each_kind_of_change(repo, edit, expected):
    changes, found = changes_after(repo, edit)
    assert any(expected in c for c in changes), changes
    assert found and expected in found[0].evidence


def test_runbook_edited_after_the_change_is_current_again(repo):
    changes, _ = changes_after(repo, lambda s: setattr(s.workflow("n8n:Ord3rSync01"), "name", "Orders v2"))
    assert changes
    (repo / "clients/demo/runbooks/orders.md").write_text(RUNBOOK + "\nUpdated for Orders v2.\n")
    assert portal_for(client("demo", repo), with_history=False).authored_runbooks[0].changes == []  # being edited: current
    git(repo, "commit", "-qam", "runbook updated")
    assert portal_for(client("demo", repo), with_history=False).authored_runbooks[0].changes == []


def test_runbook_staleness_at_a_past_revision_and_in_diff(repo):
    """gather() at a revision judges runbooks as they were then, so `diff` shows RUN-001 as new."""
    from generator.changes.diff import compare
    from generator.evidence import gather

    changes_after(repo, lambda s: setattr(s.workflow("n8n:Ord3rSync01"), "name", "Orders v2"))
    c = client("demo", repo)
    assert gather(c, "HEAD~1").runbooks[0].changes == []  # before the sync the runbook was current
    assert any("renamed" in change for change in gather(c, "HEAD").runbooks[0].changes)
    between = compare(gather(c, "HEAD~1"), gather(c, "HEAD"))
    assert any(f.startswith("RUN-001 ") for f in between.findings_new), between.findings_new


def test_diff_shows_incident_findings_as_new(repo):
    """Incidents are part of the evidence at each revision: a late summary appears as a new finding."""
    from generator.changes.diff import compare
    from generator.evidence import gather

    late = """---
id: INC-2026-099
title: Late summary
severity: high
status: resolved
owner: Maya
detected: 2026-10-01T01:00:00Z
acknowledged: 2026-10-01T01:05:00Z
resolved: 2026-10-01T02:00:00Z
---
## Root cause

Known.

## Preventive measures

Done.
"""
    (repo / "clients/demo/incidents/INC-2026-099-late.md").write_text(late)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "incident recorded")
    c = client("demo", repo)
    between = compare(gather(c, "HEAD~1"), gather(c, "HEAD"))
    assert any(f.startswith("INC-001 ") and "INC-2026-099" in f for f in between.findings_new), between.findings_new
