"""The same discipline for Make and Zapier (fake APIs on 127.0.0.1): one scenario or Zap that cannot be
read never stops a sync; a sync without change writes nothing; export imports with colliding ids,
ZIP bombs and a 3,000-step chain end well."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import timedelta

from typer.testing import CliRunner

from generator.cli import app
from generator.store import snapshot

from . import test_make_sync as make_tests
from . import test_zapier as zapier_tests

runner = CliRunner()
pytest_plugins = ["tests.test_make_sync"]


def _files(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "audit.log"}


def test_one_unreadable_scenario_never_stops_a_make_sync(acme, fake):
    fake.blueprints[502] = {"name": "Nightly export", "flow": "not a list"}
    (outcome,) = make_tests.sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    assert len(snap.workflows) == 7 and snap.workflow("make:502") is None
    assert outcome.not_documented == ["make:502 “Nightly export”: 'flow' is missing or not a list; is this a Make "
                                      "blueprint export? — left out (new)"]
    assert [n.workflow for n in snap.platforms[0].not_documented] == ["make:502"]


def _second_sync(acme, later: timedelta):
    """A second sync after the fake's rate window: the fake's "minute" is a second, and a sync's pacing
    starts afresh, so back to back the two would share one window of the organisation's limit."""
    time.sleep(make_tests.WINDOW)
    return make_tests.sync(acme, now=make_tests.NOW + later)


def test_an_unchanged_make_sync_writes_nothing(acme, fake):
    make_tests.sync(acme)
    before = _files(acme.dir)
    (outcome,) = _second_sync(acme, timedelta(minutes=10))
    assert outcome.changed is False and _files(acme.dir) == before


def test_one_unreadable_zap_never_stops_a_zapier_sync(tmp_path, monkeypatch):
    gen = zapier_tests.fake.__wrapped__()
    server = next(gen)
    try:
        server.zaps[3]["steps"] = [{"action": {"key": "x", "app": {"id": "a"}}, "inputs": {"deep": _deep(300)}}]
        client = zapier_tests.acme.__wrapped__(tmp_path, server, monkeypatch)
        (outcome,) = zapier_tests.sync(client)
        snap = snapshot.load(client.snapshot_dir)
        (gap,) = snap.platforms[0].not_documented
        assert "nested more than 200 levels" in gap.reason and gap.workflow.startswith("zapier:")
        assert outcome.workflows == len(server.zaps) - 1 + len(server.shared_zaps)
        before = _files(client.dir)
        (outcome,) = zapier_tests.sync(client, now=zapier_tests.NOW + timedelta(minutes=10))
        assert outcome.changed is False and _files(client.dir) == before
    finally:
        next(gen, None)


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def _init(tmp_path):
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    return tmp_path / "clients/acme/snapshot"


def test_make_blueprints_with_one_name_stay_apart_and_reimport_updates(tmp_path):
    snapshot_dir = _init(tmp_path)
    blueprint = {"name": "Integration Google Sheets", "flow": [{"id": 1, "module": "google-sheets:watchRows",
                                                                "version": 2, "parameters": {}}]}
    paths = []
    for n in range(3):
        changed = json.loads(json.dumps(blueprint))
        changed["flow"][0]["id"] = n + 1
        paths.append(tmp_path / f"sheets-{n}.json")
        paths[-1].write_text(json.dumps(changed))
    result = runner.invoke(app, ["import", "acme", "make", *map(str, paths), "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    ids = sorted(w.id for w in snapshot.load(snapshot_dir).workflows)
    assert len(ids) == 3 and all(i.startswith("sheets-") for i in ids)
    assert all(f"make:{i}" in " ".join(result.output.split()) for i in ids)  # the mapping is reported
    again = runner.invoke(app, ["import", "acme", "make", str(paths[0]), "--root", str(tmp_path)])
    assert again.exit_code == 0 and sorted(w.id for w in snapshot.load(snapshot_dir).workflows) == ids


def test_zaps_sharing_an_id_stay_apart_unless_replace(tmp_path):
    snapshot_dir = _init(tmp_path)

    def zapfile(name: str, title: str, node: str):
        path = tmp_path / name
        path.write_text(json.dumps({"zaps": [{"id": 1, "title": title, "status": "on", "nodes": {node: {
            "id": node, "parent_id": None, "type_of": "read", "action": "new_row",
            "selected_api": "GoogleSheetsV2API@2.0.0", "params": {}}}}]}))
        return str(path)
    first = runner.invoke(app, ["import", "acme", "zapier", zapfile("a.json", "Rows to CRM", "11"), "--root",
                                str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert [w.id for w in snapshot.load(snapshot_dir).workflows] == ["1"]
    other = zapfile("b.json", "Invoices to Slack", "22")
    second = runner.invoke(app, ["import", "acme", "zapier", other, "--root", str(tmp_path)])
    assert second.exit_code == 0, second.output
    names = {w.id: w.name for w in snapshot.load(snapshot_dir).workflows}
    assert names["1"] == "Rows to CRM" and len(names) == 2  # a different Zap never replaced the first
    assert "id '1' is already used by another workflow" in " ".join(second.output.split())
    forced = runner.invoke(app, ["import", "acme", "zapier", other, "--replace", "--root", str(tmp_path)])
    assert forced.exit_code == 0, forced.output
    assert snapshot.load(snapshot_dir).workflow("zapier:1").name == "Invoices to Slack"


def test_zip_limits_and_a_long_chain(tmp_path):
    snapshot_dir = _init(tmp_path)
    before = _files(snapshot_dir)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Zapfile.json", '{"zaps": [' + " " * 50_000_000 + "]}")
    result = runner.invoke(app, ["import", "acme", "zapier", str(bomb), "--root", str(tmp_path)])
    assert result.exit_code == 2 and "ZIP bomb" in result.output and "bomb.zip!Zapfile.json" in result.output
    assert _files(snapshot_dir) == before
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "hello")
    result = runner.invoke(app, ["import", "acme", "zapier", str(empty), "--root", str(tmp_path)])
    assert result.exit_code == 2 and "holds no JSON file" in result.output
    top = tmp_path / "five.json"
    top.write_text("5")
    result = runner.invoke(app, ["import", "acme", "zapier", str(top), "--root", str(tmp_path)])
    assert result.exit_code == 2 and "five.json" in result.output and "top level" in result.output
    # a chain of 3,000 steps: read iteratively, in order
    nodes = {str(n): {"id": str(n), "parent_id": str(n - 1) if n else None, "type_of": "read" if n == 0 else "write",
                      "action": "act", "selected_api": "WebHookAPI@1.0.0", "params": {}} for n in range(3000)}
    chain = tmp_path / "chain.json"
    chain.write_text(json.dumps({"zaps": [{"id": 7, "title": "Long", "status": "off", "nodes": nodes}]}))
    result = runner.invoke(app, ["import", "acme", "zapier", str(chain), "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    wf = snapshot.load(snapshot_dir).workflow("zapier:7")
    assert [s.id for s in wf.steps] == [str(n) for n in range(3000)] and len(wf.edges) == 2999


def test_a_narrower_make_token_keeps_what_it_cannot_read(acme, fake):
    make_tests.sync(acme)
    first = snapshot.load(acme.snapshot_dir)
    assert first.credential("make:1234567").scopes and first.users
    fake.scopes -= {"connections:read", "user:read"}
    (outcome,) = _second_sync(acme, timedelta(minutes=10))
    snap = snapshot.load(acme.snapshot_dir)
    # the connections the blueprints name keep what the full token read (scopes, account, expiry)
    assert snap.credential("make:1234567") == first.credential("make:1234567")
    assert {c.ref for c in snap.credentials} == {c.ref for c in first.credentials}
    assert snap.users == first.users
    gaps = {n.section: n for n in snap.platforms[0].not_collected}
    assert gaps["connections"].kept_since == make_tests.NOW and gaps["users"].kept_since == make_tests.NOW
    assert any(s.startswith("connections: the token lacks connections:read — previous values kept")
               for s in outcome.skipped)


def test_a_narrower_zapier_token_keeps_what_it_cannot_read(tmp_path, monkeypatch):
    gen = zapier_tests.fake.__wrapped__()
    server = next(gen)
    try:
        client = zapier_tests.acme.__wrapped__(tmp_path, server, monkeypatch)
        zapier_tests.sync(client)
        first = snapshot.load(client.snapshot_dir)
        server.scopes -= {"authentication"}
        (outcome,) = zapier_tests.sync(client, now=zapier_tests.NOW + timedelta(minutes=10))
        snap = snapshot.load(client.snapshot_dir)
        assert {c.ref: c for c in snap.credentials} == {c.ref: c for c in first.credentials}
        (gap,) = [n for n in snap.platforms[0].not_collected if n.section == "authentications"]
        assert gap.kept_since == zapier_tests.NOW
    finally:
        next(gen, None)


def test_a_scenario_deleted_during_the_sync_never_stops_it(acme, fake):
    """Listed, then gone before its blueprint is read (404): named as not documented, the rest synced."""
    del fake.blueprints[502]
    (outcome,) = make_tests.sync(acme)
    snap = snapshot.load(acme.snapshot_dir)
    assert len(snap.workflows) == 7 and snap.workflow("make:502") is None
    (gap,) = snap.platforms[0].not_documented
    assert gap.workflow == "make:502" and gap.reason == "its blueprint could not be read (HTTP 404)"


def test_a_scenario_whose_blueprint_is_refused_keeps_its_previous_version(acme, fake):
    make_tests.sync(acme)
    before = snapshot.load(acme.snapshot_dir).workflow("make:502")
    fake.fault("GET /api/v2/scenarios/502/blueprint", kind="status", status=404,
               body={"detail": "Scenario not found", "message": "Not Found"})
    (outcome,) = _second_sync(acme, timedelta(hours=1))
    snap = snapshot.load(acme.snapshot_dir)
    assert snap.workflow("make:502") == before and len(snap.workflows) == 8
    (gap,) = snap.platforms[0].not_documented
    assert gap.workflow == "make:502" and gap.kept_since == make_tests.NOW
