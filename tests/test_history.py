"""The change log is the engagement's history: commits to the client folder only, described from the diff in
the client's words; syncs and imports commit their own files; the demo's recorded history replayed so that a
fresh clone shows the demo's engagement and never this product's commits."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from generator.changes import changelog
from generator.changes.diff import compare
from generator.cli import app
from generator.evidence import gather
from generator.store import audit, history, snapshot
from generator.store.workspace import client

from .conftest import DEMO, copy_demo, new_client
from .fake_n8n import FakeN8n, simple_workflow

runner = CliRunner()
MAYA = {"GIT_AUTHOR_NAME": "Maya", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "Maya", "GIT_COMMITTER_EMAIL": "m@x"}
DEV = {"GIT_AUTHOR_NAME": "Product Developer", "GIT_AUTHOR_EMAIL": "dev@x", "GIT_COMMITTER_NAME": "Product Developer",
       "GIT_COMMITTER_EMAIL": "dev@x"}
PRODUCT_SUBJECTS = ("Foundation: snapshot model", "Refactor the renderer", "Demo from the real path")


def git(root, *args, who=MAYA) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(root), **who})
    return done.stdout


def code_change(root, text):
    (root / "generator").mkdir(exist_ok=True)
    (root / "generator" / "render.py").write_text(text)


def every_text(entries) -> str:
    return json.dumps([e.__dict__ for e in entries], ensure_ascii=False)


# --------------------------------------------------------------------------------------------------
# Entries from the client folder only


def test_code_commits_never_appear_and_mixed_ones_only_by_what_changed_in_the_client_folder(tmp_path):
    copy_demo(tmp_path, history=False)
    code_change(tmp_path, "v1")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Foundation: snapshot model, client.yml schema", who=DEV)  # code and client
    code_change(tmp_path, "v2")
    git(tmp_path, "commit", "-qam", "Refactor the renderer", who=DEV)  # code only: never an entry
    c = client("demo", tmp_path)
    snap = snapshot.load(c.snapshot_dir)
    refund = snap.workflow("n8n:Refund05")  # the consultant's own change to the client folder
    refund.steps.pop()
    refund.edges = [e for e in refund.edges if e.target != "f5"]
    snapshot.save(snap, c.snapshot_dir)
    git(tmp_path, "commit", "-qam", "Sync of n8n production: 1 workflow changed")
    snap.credential("make:88125").scopes = ["ads_read"]  # code and client again
    snapshot.save(snap, c.snapshot_dir)
    code_change(tmp_path, "v3")
    git(tmp_path, "commit", "-qam", "Demo from the real path meets the pages", who=DEV)

    entries = changelog.entries(c)
    assert len(entries) == 3  # the code-only commit is not one of them
    mixed, own, first = entries
    assert mixed.title == "Credential “Facebook Ads – marketing” scopes narrowed" and mixed.author is None
    assert mixed.note is None and "−ads_management, business_management" in mixed.changes[0]
    assert own.author == "Maya" and own.note == "Sync of n8n production: 1 workflow changed"
    assert own.title == "Refund processor: step removed: “Alert finance: memo missing” (and 1 more)"
    assert first.first and first.author is None and first.title == "First snapshot: 15 workflows"
    text = every_text(entries)
    assert "Product Developer" not in text and not any(s in text for s in PRODUCT_SUBJECTS)


def test_records_are_entries_in_the_clients_words(tmp_path):
    folder = copy_demo(tmp_path, history=False)
    shutil.rmtree(folder / "runbooks")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "First sync")
    shutil.copytree(DEMO / "runbooks", folder / "runbooks")
    text = (folder / "client.yml").read_text()
    (folder / "client.yml").write_text(text.replace("    expires: 2026-12-31", "    expires: 2026-12-15"))
    incident = folder / "incidents" / "INC-2026-003-nightly-inventory-sync-timing-out.md"
    incident.write_text(incident.read_text().replace("status: open", "status: resolved\nresolved: 2026-11-26T08:00:00Z"))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Hand-over meeting")
    latest = changelog.entries(client("demo", tmp_path))[0]
    assert latest.changes[:4] == ["engagement facts updated: accepted risks",
                                  "incident INC-2026-003 resolved: Nightly inventory sync timing out",
                                  "runbook written: “Quarterly credential rotation”",
                                  "runbook written: “Re-registering Shopify webhooks”"]
    assert "client.yml" not in every_text([latest])


def test_a_call_that_changed_form_is_not_a_change_and_a_call_gone_is_named(tmp_path):
    """Regression: "calls make:4417 → none" for a step that still starts Loyalty points award (the call was
    recorded by ref, then by the webhook's fingerprints)."""
    copy_demo(tmp_path, history=False)
    now = gather(client("demo", tmp_path))
    old_snap = now.snapshot.model_copy(deep=True)
    step = old_snap.workflow("n8n:Ord3rSync01").step("n6")
    step.calls, step.target = "make:4417", None
    diff = compare(dataclasses.replace(now, snapshot=old_snap), now)
    assert not [c for c in diff.workflows_changed if c.ref == "n8n:Ord3rSync01"], diff.workflows_changed
    gone = now.snapshot.model_copy(deep=True)
    gone.workflow("n8n:Ord3rSync01").step("n6").target = None
    diff = compare(now, dataclasses.replace(now, snapshot=gone))
    assert diff.workflows_changed[0].changes == ["step “Award loyalty points” changed: starts “Loyalty points award” "
                                                 "→ none"]


# --------------------------------------------------------------------------------------------------
# Syncs and imports commit their own files


KEY = "n8n_api_0123456789abcdefSECRETKEY"


@pytest.fixture
def fake():
    server = FakeN8n(api_key=KEY)
    server.workflows = [simple_workflow(f"wf{i}", f"Workflow {i}") for i in range(3)]
    server.base = server.start()
    yield server
    server.stop()


def test_sync_commits_only_its_clients_snapshot_with_its_own_message(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("ACME_N8N_KEY", KEY)
    for name, value in MAYA.items():
        monkeypatch.setenv(name, value)
    acme = new_client(tmp_path, f"  - kind: n8n\n    name: n8n production\n    base_url: {fake.base}\n"
                                "    api_key_env: ACME_N8N_KEY\n")
    beta = new_client(tmp_path, slug="beta")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Two clients")
    (beta.dir / "client.yml").write_text((beta.dir / "client.yml").read_text() + "# edited\n")
    git(tmp_path, "add", "clients/beta/client.yml")  # someone else's change, staged
    (acme.dir / "client.yml").write_text((acme.dir / "client.yml").read_text() + "# being edited\n")  # not the sync's
    (tmp_path / "notes.txt").write_text("unrelated")

    result = runner.invoke(app, ["sync", "acme", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert git(tmp_path, "log", "-1", "--format=%s") == "Sync of n8n production: 3 workflows added\n"
    committed = git(tmp_path, "show", "--name-only", "--format=", "HEAD").split()
    assert committed and all(p.startswith(("clients/acme/snapshot/", "clients/acme/exports/")) for p in committed)
    assert git(tmp_path, "diff", "--cached", "--name-only") == "clients/beta/client.yml\n"  # still staged, not committed
    assert "clients/acme/client.yml" in git(tmp_path, "status", "--porcelain")

    fake.workflows[0]["name"] = "Workflow zero"
    result = runner.invoke(app, ["sync", "acme", "--root", str(tmp_path), "-m", "After the webhook fix"])
    assert result.exit_code == 0, result.output
    assert git(tmp_path, "log", "-1", "--format=%B").strip() == ("After the webhook fix\n\n"
                                                                  "Sync of n8n production: 1 workflow changed")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert runner.invoke(app, ["sync", "acme", "--root", str(tmp_path)]).exit_code == 0  # no change: no commit
    fake.workflows[1]["name"] = "Workflow one"
    assert runner.invoke(app, ["sync", "acme", "--root", str(tmp_path), "--no-commit"]).exit_code == 0
    assert git(tmp_path, "rev-parse", "HEAD") == head
    assert "clients/acme/snapshot/" in git(tmp_path, "status", "--porcelain", "--untracked-files=no")
    entries = changelog.entries(client("acme", tmp_path))
    # the first commit also held the other client: shown by what it changed here, without its message
    assert [e.note for e in entries] == ["After the webhook fix", "Sync of n8n production: 3 workflows added", None]
    assert entries[0].workflows == {"n8n:wf0": ["renamed from “Workflow 0”"]}


def test_import_commits_with_its_own_message(tmp_path, monkeypatch):
    for name, value in MAYA.items():
        monkeypatch.setenv(name, value)
    folder = copy_demo(tmp_path, history=False)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "First sync")
    export = json.loads((folder / "exports/n8n/Refund05.json").read_text())
    export["name"] = "Refund processor (v2)"
    source = tmp_path / "Refund05.json"
    source.write_text(json.dumps(export))
    result = runner.invoke(app, ["import", "demo", "n8n", str(source), "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert git(tmp_path, "log", "-1", "--format=%s") == "Import of n8n export files: 1 workflow added\n"
    assert "Refund05.json" not in git(tmp_path, "show", "--name-only", "--format=", "HEAD").replace(
        "clients/demo/exports/n8n/Refund05.json", "")  # the file imported from is not committed


# --------------------------------------------------------------------------------------------------
# The demo's recorded history


def product_clone(tmp_path):
    """A clone-like copy of this product: the demo folder as shipped, committed among code commits."""
    copy_demo(tmp_path)
    code_change(tmp_path, "v1")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "Foundation: snapshot model, client.yml schema, YAML store", who=DEV)
    (tmp_path / "clients/demo/client.yml").write_text((tmp_path / "clients/demo/client.yml").read_text() + "\n")
    code_change(tmp_path, "v2")
    git(tmp_path, "commit", "-qam", "Demo from the real path meets the pages", who=DEV)
    return client("demo", tmp_path)


def test_the_demo_shows_its_own_engagement_not_the_products_commits(tmp_path):
    c = product_clone(tmp_path)
    entries = changelog.entries(c)
    assert [e.date[:10] for e in entries] == ["2026-11-27", "2026-11-20", "2026-11-13", "2026-11-06"]
    assert {e.author for e in entries} == {"Maya Lindqvist"}
    latest, review, zapier, first = entries
    assert first.first and first.title == "First snapshot: 12 workflows"
    assert zapier.added == ["zapier:318245901", "zapier:318245977", "zapier:318246012"]
    assert "runbook written: “Quarterly credential rotation”" in zapier.changes
    assert review.workflows["n8n:Refund05"][0] == "step added: “Alert finance: memo missing”"
    assert review.title.startswith("Refund processor: step added: “Alert finance: memo missing”")
    assert "credential “Shopify – Make fulfilment app” scopes narrowed: −read_products, write_customers, " \
           "write_products" in review.changes
    assert "engagement facts updated: accepted risks, attestations" in review.changes
    assert "step added: “Wait for rate limit”" in latest.workflows["n8n:Inv3ntory02"]
    assert "settings changed: timeout 10 min → 15 min" in latest.workflows["n8n:Inv3ntory02"]
    assert "incident INC-2026-003 recorded: Nightly inventory sync timing out (open)" in latest.changes
    text = every_text(entries)
    assert "Product Developer" not in text and not any(s in text for s in PRODUCT_SUBJECTS)
    # the same revisions replay to the same commits anywhere: cached comparisons stay valid
    again = history.replay(client("demo", tmp_path))
    assert git(again.root, "rev-parse", "HEAD") == git(history.replay(c).root, "rev-parse", "HEAD")
    assert [e.commit for e in entries] == [e.commit for e in changelog.entries(c)]


def test_the_recorded_audit_trail_is_the_engagements_and_says_nothing_internal(tmp_path):
    c = product_clone(tmp_path)
    records = audit.shown(c)
    assert [r["command"] for r in records[:4]] == ["build", "check", "sync", "incident"]
    assert sum(r["command"] == "sync" for r in records) == 4
    words = [audit.activity(r) for r in records]
    assert words[2].startswith("Sync of the platforms: n8n production: 8 workflows, 4,045 runs")
    assert words[3] == "Incident record: INC-2026-003 opened: Nightly inventory sync timing out"
    shipped = (DEMO / "history" / "audit.log").read_text()
    from . import fake_make, fake_zapier

    for internal in ("client.yml", "clients/", "HP_N8N_API_KEY", "HP_MAKE_API_TOKEN", "HP_ZAPIER_TOKEN", "handover ",
                     "demo-n8n-key", fake_make.TOKEN, fake_zapier.TOKEN, "--"):
        assert internal not in shipped and internal not in " ".join(words), internal
    audit.record(c, "build", "ok", "3 pages")  # a build of the copy is kept, not shown (it would change the next)
    assert audit.shown(c) == records and audit.read(c)[-1]["detail"] == "3 pages"


@pytest.mark.slow
def test_the_built_change_log_page_is_the_demos_engagement(tmp_path):
    from generator.commands.build import build

    c = product_clone(tmp_path)
    build(c, with_pdf=False)
    page = (c.site_dir / "changelog.html").read_text()
    assert page.index("Sync after the fix to the nightly inventory sync") < page.index("First sync of n8n production")
    assert "Refund processor: step added: “Alert finance: memo missing”" in page
    assert "Sync of the platforms: Zapier" not in page and "Security baseline check" in page
    assert "Handover site and PDF built" in page
    for internal in (*PRODUCT_SUBJECTS, "Product Developer", "audit.log", "handover audit", "clients/demo"):
        assert internal not in page, internal
    refund = (c.site_dir / "workflows/n8n-Refund05.html").read_text()
    assert "step added: “Alert finance: memo missing”" in refund and "Maya Lindqvist" in refund


def test_a_damaged_recorded_history_is_named_not_shortened(tmp_path):
    from generator.errors import InputError

    folder = copy_demo(tmp_path)
    revision = folder / "history" / "2026-11-13" / "revision.yml"
    revision.write_text(revision.read_text().replace("date: '2026-11-13T14:02:00+08:00'", "date: next week"))
    with pytest.raises(InputError) as error:
        changelog.entries(client("demo", tmp_path))
    assert "history/2026-11-13/revision.yml:1: date" in error.value.problems[0]
    result = runner.invoke(app, ["build", "demo", "--root", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 2 and "revision.yml:1: date" in result.output and "Traceback" not in result.output


def test_a_changed_folder_replays_its_last_revision_alone_to_the_commits_a_full_replay_makes(tmp_path):
    copy_demo(tmp_path / "a")
    c = client("demo", tmp_path / "a")
    before = git(history.replay(c).root, "log", "--format=%H").split()

    workflow = next((c.snapshot_dir / "workflows" / "n8n").glob("*.yml"))
    workflow.write_text(workflow.read_text().replace("name: ", "name: Renamed ", 1))
    gone = next((c.snapshot_dir / "runs" / "n8n").glob("*.yml"))
    gone.unlink()  # a file of the last revision removed (a hand-written one is in every revision: all again)
    replayed = history.replay(c)
    after = git(replayed.root, "log", "--format=%H").split()
    assert after[1:] == before[1:] and after[0] != before[0]  # the earlier revisions were not made again

    shutil.copytree(tmp_path / "a" / "clients", tmp_path / "b" / "clients")
    shutil.rmtree(tmp_path / "b" / "clients" / "demo" / "build", ignore_errors=True)
    fresh = history.replay(client("demo", tmp_path / "b"))  # from nothing
    assert git(fresh.root, "log", "--format=%H").split() == after
    assert git(replayed.root, "status", "--porcelain") == ""
    assert not (replayed.snapshot_dir / "runs" / "n8n" / gone.name).exists()


def test_a_sync_of_two_platforms_counts_each_and_both(tmp_path):
    """The commit message counts the workflows per platform from Git's status, and the headline adds
    them up: added (new files), changed and removed ones."""
    from generator.platforms import Platform

    c = new_client(tmp_path)
    workflows = c.dir / "snapshot" / "workflows"
    for path in ("n8n/a.yml", "n8n/b.yml", "make/c.yml"):
        (workflows / path).parent.mkdir(parents=True, exist_ok=True)
        (workflows / path).write_text("id: x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "First")
    (workflows / "n8n/a.yml").write_text("id: changed\n")
    (workflows / "make/c.yml").unlink()
    (workflows / "make/d.yml").write_text("id: d\n")
    (workflows / "make/e.yml").write_text("id: e\n")
    message = changelog.commit_message(c, "Sync", [("n8n production", Platform.n8n), ("Make (EU1)", Platform.make)])
    assert message == ("Sync of n8n production and Make (EU1): 2 workflows added, 1 workflow removed, 1 workflow changed"
                       "\n\nn8n production: 1 workflow changed\nMake (EU1): 2 workflows added, 1 workflow removed")


def test_the_newest_entry_read_from_the_folder_is_the_one_read_from_the_replay(tmp_path):
    """The replay's last revision is the folder as it is now, so its entry reads the folder itself (the
    build's own read) instead of checking the revision out: the entry must be the same either way."""
    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    workflow = next((c.snapshot_dir / "workflows" / "n8n").glob("*.yml"))
    workflow.write_text(workflow.read_text().replace("name: ", "name: Renamed ", 1))
    (c.runbooks_dir / "extra-note.md").write_text("# Extra note\n\nCall the on-call engineer first.\n")
    where = changelog.source(c)
    commit, date, author, subject = changelog._commits(where)[0]
    head = git(where.root, "rev-parse", "HEAD").strip()
    assert commit == head
    fast = changelog._entry(c, where, commit, date, author, subject, newest=head)
    shutil.rmtree(c.build_dir / ".cache" / "changelog")
    checked_out = changelog._entry(c, where, commit, date, author, subject)
    assert fast == checked_out
    assert fast.workflows  # the rename is in it
