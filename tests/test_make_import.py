"""Make blueprint import: wrapped and bare forms, BOM, routers at depth, if-else, error directives,
null mappers, Integromat-era files, files over 1 MB; secrets redacted, errors located."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.store import snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "make"
runner = CliRunner()
PLANTED = ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFkcyJ9.c2lnbmF0dXJlLXZhbHVlLXh5eg",
           "pat-na1-12345678-90ab-cdef-1234-567890abcdef", "9c1b7e2f4a6d8c0e"]


@pytest.fixture
def imported(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["import", "acme", "make", *map(str, sorted(FIXTURES.glob("*.json"))),
                                 "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path, snapshot.load(tmp_path / "clients/acme/snapshot")


def named(snap, slug: str):
    """A workflow by its name as a slug: blueprints carry no id, so the stored id is derived from the file."""
    (found,) = [w for w in snap.workflows if re.sub(r"[^a-z0-9]+", "-", w.name.lower()).strip("-") == slug]
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", found.id)
    return found


def edges(workflow) -> set[tuple[str, str, str | None, bool]]:
    return {(e.source, e.target, e.label, e.error) for e in workflow.edges}


def test_api_wrapped_blueprint_with_nested_routers(imported):
    _, snap = imported
    wf = named(snap, "lead-intake-crm")
    assert wf.trigger.kind == "webhook" and wf.settings.sequential and wf.settings.max_errors == 3
    assert wf.settings.store_incomplete is True and wf.settings.allow_data_loss is False
    assert wf.updated.isoformat() == "2026-09-22T09:40:31+00:00"
    assert {("2", "3", "Hot leads only", False), ("2", "4", "route 2", False), ("3", "6", None, False),
            ("6", "7", "Enterprise", False), ("6", "8", "route 2", False), ("8", "9", "route 1", False),
            ("3", "5", "error", True), ("4", "10", None, False)} == edges(wf) - {("1", "2", None, False)}
    steps = {s.id: s for s in wf.steps}
    assert steps["3"].error_mode == "ignore" and steps["5"].kind == "error_handler"
    assert steps["3"].name == "Send hot lead" and steps["3"].kind == "http" and steps["3"].target is not None
    assert steps["4"].credential == "make:1234567" and steps["10"].credential == "make:key-77"
    assert steps["9"].credential == "make:991"  # an older module binding its connection as `account`
    assert steps["1"].access is None and steps["4"].access == "write"


def test_if_else_directives_and_null_mappers(imported):
    _, snap = imported
    wf = named(snap, "invoice-approval")  # a {"blueprint": …} file with a byte-order mark
    assert wf.trigger.kind == "app_event" and wf.trigger.app == "Quickbooks"
    assert wf.settings.run_data.confidential is True
    steps = {s.id: s for s in wf.steps}
    assert {s: steps[s].error_mode for s in ("3", "4", "6", "8")} == {
        "3": "break", "4": "rollback", "6": "resume", "8": "commit"}
    assert {("2", "3", "Over 10k", False), ("2", "4", "else", False), ("3", "5", None, False), ("4", "5", None, False),
            ("4", "10", "error", True), ("10", "11", None, False)} <= edges(wf)
    assert steps["7"].app == "JSON"  # "filter": null and no mapper at all


def test_integromat_era_file(imported):
    _, snap = imported
    wf = named(snap, "integromat-typeform-to-airtable")
    assert wf.trigger.kind == "app_event" and wf.trigger.app == "Typeform"
    assert [s.operation for s in wf.steps] == ["watch responses new", "create record", "GET"]
    assert [(s.step, s.field, s.kind) for s in wf.secrets] == [("3", "mapper.url", "url_query_secret")]


def test_secrets_never_written(imported):
    root, snap = imported
    lead = named(snap, "lead-intake-crm")
    assert {(s.step, s.field, s.kind) for s in lead.secrets} == {
        ("3", "mapper.headers[0].value", "jwt"), ("10", "mapper.note", "hubspot_token")}
    written = b"".join(p.read_bytes() for p in (root / "clients/acme").rglob("*") if p.is_file()).decode()
    assert not [secret for secret in PLANTED if secret in written]


def test_a_file_over_a_megabyte(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    flow = [{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 1}}]
    flow += [{"id": i, "module": "util:SetVariable2", "version": 1,
              "mapper": {"name": f"v{i}", "value": "x" * 2000}} for i in range(2, 700)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"name": "Big one", "flow": flow, "metadata": {"version": 1}}))
    assert big.stat().st_size > 1_000_000
    result = runner.invoke(app, ["import", "acme", "make", str(big), "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    wf = named(snapshot.load(tmp_path / "clients/acme/snapshot"), "big-one")
    assert len(wf.steps) == 699 and len(wf.edges) == 698


@pytest.mark.parametrize("content, expected", [
    ('{"name": "cut", "flow": [', ":1:"),
    ('{"name": "no flow"}', "'flow' is missing"),
    ("[]", "expected a blueprint object"),
])
def test_bad_blueprints_fail_clearly(tmp_path, content, expected):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    snapshot_dir = tmp_path / "clients/acme/snapshot"
    before = {p: p.read_bytes() for p in snapshot_dir.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    # alone: nothing importable, exit 2, nothing written
    result = runner.invoke(app, ["import", "acme", "make", str(bad), "--root", str(tmp_path)])
    assert result.exit_code == 2 and expected in result.output and "bad.json" in result.output
    assert {p: p.read_bytes() for p in snapshot_dir.rglob("*") if p.is_file()} == before
    # with a good one: that one is imported, the bad one named, exit 2
    result = runner.invoke(app, ["import", "acme", "make", str(FIXTURES / "lead-router.json"), str(bad),
                                 "--root", str(tmp_path)])
    assert result.exit_code == 2 and expected in result.output and "bad.json" in result.output
    assert len(snapshot.load(snapshot_dir).workflows) == 1
