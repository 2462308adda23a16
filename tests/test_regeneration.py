"""Regeneration: diff between snapshots, the change log, --check, the audit trail, skipping and --all."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from generator.changes.diff import compare
from generator.cli import app
from generator.commands.build import build, inputs_digest, is_current
from generator.evidence import gather
from generator.model import Credential, Schedule, TriggerKind
from generator.store import audit, snapshot
from generator.store.workspace import client

from .conftest import copy_demo

runner = CliRunner()
ENV = {"GIT_AUTHOR_NAME": "Maya", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "Maya",
       "GIT_COMMITTER_EMAIL": "m@x", "PATH": "/usr/bin:/bin"}


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=ENV)


@pytest.fixture
def repo(tmp_path):
    copy_demo(tmp_path, history=False)  # the change log from the copy's own commits
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "First sync")
    return tmp_path


def edit(repo, change, message=None):
    folder = repo / "clients/demo/snapshot"
    snap = snapshot.load(folder)
    change(snap)
    snapshot.save(snap, folder)
    if message:
        git(repo, "commit", "-qam", message)


def test_diff_covers_each_kind_of_change(repo):
    def change(s):
        s.workflow("n8n:Ord3rSync01").name = "Orders to NetSuite"                                   # renamed
        s.workflows.remove(s.workflow("zapier:318245901"))                                          # removed
        added = s.workflow("n8n:FinPack06").model_copy(deep=True, update={"id": "NewOne", "name": "Monthly pack"})
        s.workflows.append(added)                                                                   # added
        s.workflow("n8n:FinPack06").trigger.schedule = Schedule(description="Mondays at 06:00", cron="0 6 * * 1")
        s.workflow("n8n:Inv3ntory02").active = False                                                # deactivated
        refund = s.workflow("n8n:Refund05")                                                         # step removed
        refund.steps.pop()
        refund.edges = [e for e in refund.edges if e.target != "f5"]
        s.workflow("n8n:Tri4geAI03").step("t2").operation = "summarise text"                        # step changed
        s.workflow("make:4417").trigger.kind = TriggerKind.app_event                                 # trigger kind
        s.credential("make:88125").scopes = ["ads_read"]                                            # scopes
        s.credentials.append(Credential(platform="n8n", id="new", name="New key", app="X", scopes=["read"]))
        s.runs_for("zapier:318246012").statuses = {"success": 400, "failed": 1}                     # health
    edit(repo, change)
    result = runner.invoke(app, ["diff", "demo", "--root", str(repo), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    changed = {c["ref"]: " | ".join(c["changes"]) for c in data["workflows_changed"]}
    assert data["workflows_added"] == ["Monthly pack (n8n:NewOne)"]
    assert data["workflows_removed"] == ["Job applications → Drive + #hiring (zapier:318245901)"]
    assert "renamed from “Shopify orders → NetSuite sales orders”" in changed["n8n:Ord3rSync01"]
    assert "schedule changed: Every week on Monday at 07:00 → Mondays at 06:00" in changed["n8n:FinPack06"]
    assert "deactivated" in changed["n8n:Inv3ntory02"]
    assert "step removed: “Alert finance: memo missing”" in changed["n8n:Refund05"]
    assert "step “Classify ticket” changed: operation classify text → summarise text" in changed["n8n:Tri4geAI03"]
    assert "trigger changed: kind webhook → app_event" in changed["make:4417"]
    assert "credential “Facebook Ads – marketing” scopes narrowed: −ads_management, business_management" in data["credentials"]
    assert any(c.startswith("credential “New key” added") for c in data["credentials"])
    assert "Facebook lead ads → HubSpot: failing → healthy" in data["health"]
    assert any(f.startswith("MON-002") for f in data["findings_resolved"])  # no longer failing
    assert data["findings_persisting"] > 10
    text = runner.invoke(app, ["diff", "demo", "--root", str(repo)]).stdout
    assert "~ Orders to NetSuite (n8n:Ord3rSync01)" in text and "+ Monthly pack" in text


def test_diff_between_revisions_and_bad_revision(repo):
    edit(repo, lambda s: setattr(s.workflow("n8n:Ord3rSync01"), "name", "Orders v2"), "Second sync")
    c = client("demo", repo)
    between = compare(gather(c, "HEAD~1"), gather(c, "HEAD"))
    assert [w.ref for w in between.workflows_changed] == ["n8n:Ord3rSync01"]
    assert compare(gather(c, "HEAD"), gather(c)).empty
    bad = runner.invoke(app, ["diff", "demo", "--root", str(repo), "--from", "nope"])
    assert bad.exit_code == 2 and "no snapshot of demo at nope" in bad.output


def test_a_control_that_now_passes_is_resolved_and_one_not_judged_is_not(repo):
    from generator.model import NotCollected

    def fix(s):
        s.credential("make:88125").expires = None  # the only ACCESS-005 failure
    edit(repo, fix, "Renewed the Facebook token")
    c = client("demo", repo)
    diff = compare(gather(c, "HEAD~1"), gather(c, "HEAD"))
    assert diff.controls_resolved == ["ACCESS-005 Credential expiring soon or expired: fail → pass"]
    assert any(f.startswith("ACCESS-005 Make credential “Facebook Ads – marketing”: no expiry reported")
               for f in diff.findings_resolved)
    assert "1 control resolved" in diff.summary()

    def blind(s):  # the key lost its connections scope: ACCESS-005 can no longer be judged, nothing was fixed
        next(p for p in s.platforms if p.platform == "make").not_collected = [
            NotCollected(section="connections", reason="the token lacks connections:read")]
        s.credentials = [x for x in s.credentials if x.ref != "make:88125"]
    edit(repo, blind)
    diff = compare(gather(c, "HEAD~1"), gather(c))
    assert diff.controls_changed[0].startswith("ACCESS-005 Credential expiring soon or expired: fail → not_assessed "
                                               "(missing scope: Make (EU1): connections not read")
    assert not diff.controls_resolved and not [f for f in diff.findings_resolved if f.startswith("ACCESS-005")]
    assert any(f.startswith("ACCESS-005 Make credential “Facebook Ads – marketing” (no longer assessed")
               for f in diff.findings_unjudged)


@pytest.mark.slow
def test_change_log_and_workflow_history(repo):
    edit(repo, lambda s: setattr(s.workflow("n8n:Ord3rSync01"), "name", "Orders v2"), "Sync after the webhook fix")
    edit(repo, lambda s: setattr(s.credential("make:88125"), "scopes", ["ads_read"]), "Narrowed Facebook scopes")
    c = client("demo", repo)
    build(c, with_pdf=False)
    page = (c.site_dir / "changelog.html").read_text()
    assert page.index("Narrowed Facebook scopes") < page.index("Sync after the webhook fix") < page.index("First sync")
    assert "First snapshot: 15 workflows" in page and "Maya" in page
    assert "renamed from “Shopify orders → NetSuite sales orders”" in page
    assert "resolved: ACCESS-001 Make credential “Facebook Ads – marketing”" in page  # narrowed scopes now pass
    history = (c.site_dir / "workflows/n8n-Ord3rSync01.html").read_text()
    assert "renamed from “Shopify orders → NetSuite sales orders”" in history
    assert (c.build_dir / ".cache/changelog").is_dir() and len(list((c.build_dir / ".cache/changelog").iterdir())) == 3


@pytest.mark.slow
def test_check_skip_and_rebuild(repo):
    c = client("demo", repo)
    assert runner.invoke(app, ["build", "demo", "--root", str(repo), "--check"]).exit_code == 1  # never built
    assert runner.invoke(app, ["build", "demo", "--root", str(repo), "--no-pdf"]).exit_code == 0
    assert is_current(c, with_pdf=False)
    assert runner.invoke(app, ["build", "demo", "--root", str(repo), "--check", "--no-pdf"]).exit_code == 0
    again = runner.invoke(app, ["build", "demo", "--root", str(repo), "--no-pdf"])
    assert "up to date" in again.output
    docs_before = {p.relative_to(c.docs_dir): p.read_bytes() for p in c.docs_dir.rglob("*") if p.is_file()}

    edit(repo, lambda s: setattr(s.workflow("n8n:Tri4geAI03").step("t2"), "operation", "summarise text"))
    assert runner.invoke(app, ["build", "demo", "--root", str(repo), "--check", "--no-pdf"]).exit_code == 1
    assert runner.invoke(app, ["build", "demo", "--root", str(repo), "--no-pdf"]).exit_code == 0
    docs_after = {p.relative_to(c.docs_dir): p.read_bytes() for p in c.docs_dir.rglob("*") if p.is_file()}
    # One step changed: only that workflow's page and flowchart differ, apart from the revision label in
    # every footer, which now says the working tree has uncommitted changes.
    def content(data: bytes) -> bytes:
        return data.replace(b" + uncommitted changes", b"")

    changed = sorted(str(p) for p in docs_after if content(docs_after[p]) != content(docs_before.get(p, b"")))
    assert changed == ["diagrams/n8n-Tri4geAI03.svg", "workflows/n8n-Tri4geAI03.md"]
    # …and the incremental result equals a clean build of the same inputs.
    import shutil

    shutil.rmtree(c.build_dir)
    build(c, with_pdf=False)
    clean = {p.relative_to(c.docs_dir): p.read_bytes() for p in c.docs_dir.rglob("*") if p.is_file()}
    assert clean == docs_after


def test_digest_ignores_the_audit_log(repo):
    c = client("demo", repo)
    before = inputs_digest(c)
    audit.record(c, "check", "ok")
    assert inputs_digest(c) == before
    assert "+ uncommitted" not in c.revision()


def test_audit_log_is_append_only_and_exports(repo):
    c = client("demo", repo)
    assert runner.invoke(app, ["check", "demo", "--root", str(repo)], env={"HANDOVER_USER": "maya"}).exit_code == 0
    first = c.audit_path.read_bytes()
    runner.invoke(app, ["incident", "new", "demo", "Test", "--severity", "standard", "--root", str(repo)])
    second = c.audit_path.read_bytes()
    assert second.startswith(first) and len(second) > len(first)  # appended, nothing rewritten
    rows = json.loads(runner.invoke(app, ["audit", "demo", "--root", str(repo), "--format", "json"]).stdout)
    assert [r["command"] for r in rows] == ["check", "incident"]
    assert rows[0]["user"] == "maya" and rows[0]["revision"] and rows[0]["time"].endswith("Z")
    csv = runner.invoke(app, ["audit", "demo", "--root", str(repo), "--format", "csv"]).stdout
    assert csv.splitlines()[0] == "time,user,command,client,revision,result,detail" and len(csv.splitlines()) == 3


@pytest.mark.slow
def test_all_builds_each_client_and_survives_a_broken_one(tmp_path):
    copy_demo(tmp_path, "alpha")
    copy_demo(tmp_path, "broken")
    (tmp_path / "clients/broken/client.yml").write_text("client: [unclosed\n")
    result = runner.invoke(app, ["build", "--all", "--root", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 2
    assert "1 of 2 clients built" in result.output and "failed: broken" in result.output
    assert (tmp_path / "build/alpha/site/index.html").is_file()
    assert not (tmp_path / "build/broken/site").exists()
    alpha = (tmp_path / "build/alpha/site/index.html").read_text()
    assert "broken" not in alpha.lower().replace("broken references", "")
    records = audit.read(client("broken", tmp_path))
    assert records[-1]["command"] == "build" and records[-1]["result"] == "failed"


def test_ci_workflow_is_ready():
    """The GitHub Actions workflow: push + schedule, one matrix job per client, only that client's keys."""

    import yaml

    from .conftest import PROJECT

    text = (PROJECT / ".github/workflows/handover.yml").read_text()
    flow = yaml.safe_load(text)
    assert flow[True]["schedule"] and "clients/**" in flow[True]["push"]["paths"]  # YAML reads `on:` as True
    job = flow["jobs"]["regenerate"]
    assert job["strategy"]["fail-fast"] is False and "matrix.client" not in str(job["strategy"]["matrix"])
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "-handover.pdf" in upload["with"]["path"] and "-handover-*.zip" in upload["with"]["path"]
    assert job["environment"] == "handover-${{ matrix.client }}"  # keys: tests/test_ci_template.py


@pytest.mark.slow
def test_pdf_reuses_unchanged_parts_and_equals_a_clean_build(repo):
    import shutil

    c = client("demo", repo)
    first = build(c)
    # A cold cache lays out everything, and the front once more when its guessed length was wrong.
    assert first.pdf_parts["parts"] <= first.pdf_parts["laid_out"] <= first.pdf_parts["parts"] + 1
    edit(repo, lambda s: setattr(s.workflow("n8n:Tri4geAI03").step("t2"), "operation", "summarise text"))
    again = build(c)  # the working tree is now dirty: the revision label changed on every page too
    assert again.pdf_parts["parts"] == first.pdf_parts["parts"]
    assert again.pdf_parts["laid_out"] <= 4, again.pdf_parts  # that workflow's page, and the cover and contents
    incremental = c.pdf_path.read_bytes()
    shutil.rmtree(c.build_dir)
    build(c)
    assert c.pdf_path.read_bytes() == incremental  # the same bytes as a clean build
    for entry in (c.build_dir / ".cache").rglob("*.*"):  # every cache entry damaged: each is a miss
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
    build(c, force=True)
    assert c.pdf_path.read_bytes() == incremental
