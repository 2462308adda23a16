"""One truth on every page: the demo's pages and `handover check --format json` agree on each fact.

The facts (generator.evidence.facts) are stated by the workflow pages, runbooks, Operations, Architecture,
Backups and Access pages, and judged by MON-001, BACKUP-002 and ACCESS-007; the overview's counts are the
JSON's counts.
"""

from __future__ import annotations

import json
import re

import pytest

from generator.commands import check
from generator.commands.build import build
from generator.evidence import facts, gather
from generator.render.portal import runbook_page, workflow_page
from generator.render.text import md
from generator.store.workspace import client

from .conftest import copy_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("consistency")
    copy_demo(root)
    c = client("demo", root)
    document = json.loads(check.run(c, "json").output)  # records isolation.yml first, as a consultant would
    build(c, with_pdf=False)
    return c, document, gather(c)


def results(document, control_id):
    control = next(c for c in document["controls"] if c["id"] == control_id)
    return {r["resource"]: r for r in control["results"]}


def test_who_is_told_when_a_workflow_fails_is_one_fact(demo):
    c, document, evidence = demo
    docs = c.docs_dir
    operations = (docs / "operations.md").read_text()
    architecture = (docs / "architecture.md").read_text()
    mon001 = results(document, "MON-001")
    symptoms = (docs / "runbooks/symptoms.md").read_text()
    for workflow in evidence.snapshot.workflows:
        fact = facts.told(workflow, evidence.snapshot)
        page = (docs / workflow_page(workflow)).read_text()
        runbook = (docs / runbook_page(workflow)).read_text()
        assert ("Someone is told when it fails" in page) == bool(fact), workflow.ref
        assert ('"Nobody is told when this fails"' in page) == (not fact), workflow.ref
        assert ("When it fails, someone is told" in runbook) == bool(fact), workflow.ref
        assert ("Nobody will be told when it fails" in runbook) == (not fact), workflow.ref
        listed = f"({runbook_page(workflow).removeprefix('runbooks/')})"
        if listed in symptoms:  # the index by symptom says the same of it
            assert (f"{listed} (nobody is told when it fails)" in symptoms) == (not fact), workflow.ref
        row = next(line for line in operations.splitlines() if f"({workflow_page(workflow)})" in line
                   and line.endswith(f"| {md(fact.how)} |"))
        assert f"| {'yes' if fact else 'no'} |" in row, workflow.ref
        silent_line = next(line for line in architecture.splitlines() if line.startswith("**Failures.**"))
        assert (f"({workflow_page(workflow)})" in silent_line) == (workflow.active and not fact), workflow.ref
        if workflow.ref in mon001:  # active workflows that are not error handlers
            assert (mon001[workflow.ref]["status"] == "pass") == bool(fact), workflow.ref
            assert fact.how in mon001[workflow.ref]["evidence"]
        else:
            assert not workflow.active or workflow.trigger.kind == "error", workflow.ref
    # the demo's own contradictions are gone: Zaps e-mail on failure, two Make error routes alert nobody
    assert mon001["zapier:318245901"]["status"] == "pass" and mon001["make:4417"]["status"] == "fail"


def test_error_handling_and_backups_are_one_fact(demo):
    c, document, evidence = demo
    backups = (c.docs_dir / "backups.md").read_text()
    for workflow in evidence.snapshot.workflows:
        page = (c.docs_dir / workflow_page(workflow)).read_text()
        handling = facts.error_handling(workflow)
        assert (f"**Error handling**: {md(handling.how)}." in page) == bool(handling), workflow.ref
        assert (f"**No error handling**: {md(handling.how)}." in page) == (not handling), workflow.ref
        backup = facts.backup(workflow, evidence.exports)
        row = next(line for line in backups.splitlines()
                   if line.startswith("| [") and f"]({workflow_page(workflow)}) |" in line)
        assert ("*none yet*" in row) == (not backup), workflow.ref
    backup002 = results(document, "BACKUP-002")
    for platform in {w.platform for w in evidence.snapshot.workflows}:
        mine = [w for w in evidence.snapshot.workflows if w.platform == platform]
        missing = any(not facts.backup(w, evidence.exports) for w in mine)
        assert (backup002[f"{platform.value}:exports"]["status"] == "fail") == missing


def test_rotation_is_one_fact(demo):
    c, document, evidence = demo
    access = (c.docs_dir / "access.md").read_text()
    access007 = results(document, "ACCESS-007")
    overdue = set()
    for credential in evidence.snapshot.credentials:
        fact = facts.rotation(credential, evidence.config.rotation.period_for(credential.ref), evidence.now)
        prefix = {False: "**overdue**: ", None: "not known: "}.get(fact.value, "")
        assert f"| Rotation | {prefix}{md(fact.how)} |" in access, credential.ref
        if credential.ref in access007:
            assert (access007[credential.ref]["status"] == "fail") == (fact.value is False), credential.ref
        if fact.value is False and credential.used_by:
            overdue.add(credential.ref)
    assert overdue == {ref for ref, r in access007.items() if r["status"] == "fail"}
    assert overdue == {"n8n:cred-stripe", "n8n:cred-netsuite"}  # Make reports no date for its connections


def test_overview_counts_are_the_json_counts(demo):
    c, document, _ = demo
    overview = (c.docs_dir / "overview.md").read_text()
    findings = document["findings"]
    open_ = [f for f in findings if not f["muted"]]
    line = next(line for line in overview.splitlines() if line.startswith("| Open baseline findings |"))
    assert re.search(rf"\| {len(open_)}( \(\+ {len(findings) - len(open_)} muted\))? \|", line), line
    counts = {s: sum(ctl["status"] == s for ctl in document["controls"]) for s in
              ("pass", "fail", "not_assessed", "not_applicable")}
    line = next(line for line in overview.splitlines() if line.startswith("| Baseline controls |"))
    assert (f"| {len(document['controls'])}: {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['not_assessed']} not assessed, {counts['not_applicable']} not applicable") in line
    # the incomplete Zapier inventory is stated next to the workflow count it affects
    workflows = next(line for line in overview.splitlines() if line.startswith("| Workflows |"))
    assert "possibly incomplete" in workflows and "zap:account:all" in workflows
    security = (c.docs_dir / "security.md").read_text()
    assert f"Of {len(document['controls'])} controls, {counts['pass']} passed, {counts['fail']} failed" in security
    iso = next(ctl for ctl in document["controls"] if ctl["id"] == "ISO-001")
    assert iso["status"] == "not_assessed" and "only client" in iso["reason"]
    assert "Not assessed: this is the only client in the workspace" in security


def test_incident_pages_mark_the_targets_the_checks_flag(demo):
    c, document, evidence = demo
    checks = {"First response": "INC-003", "Restored": "INC-004", "Escalated": "INC-005"}
    flagged = {check_id: results(document, check_id) for check_id in checks.values()}
    for incident in evidence.incidents:
        page = (c.docs_dir / f"incidents/{incident.id}.md").read_text()
        for row, check_id in checks.items():
            line = next(line for line in page.splitlines() if line.startswith(f"| {row} |"))
            result = flagged[check_id].get(f"incident:{incident.id}")
            assert ("target missed" in line) == bool(result and result["status"] == "fail"), (incident.id, row)
    assert flagged["INC-004"]["incident:INC-2026-003"]["status"] == "fail"  # open 59 hours against one day
    assert flagged["INC-005"]["incident:INC-2026-003"]["status"] == "fail"  # level 2 never told
