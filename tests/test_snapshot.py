"""The snapshot store: lossless round trip, deterministic bytes, atomic replacement, located errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generator.errors import InputError
from generator.store import snapshot, yamlio

from .conftest import DEMO


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_round_trip_is_lossless_and_byte_stable(tmp_path):
    original = snapshot.load(DEMO / "snapshot")
    snapshot.save(original, tmp_path / "snapshot")
    again = snapshot.load(tmp_path / "snapshot")
    assert again == original
    assert tree(tmp_path / "snapshot") == tree(DEMO / "snapshot")  # the committed demo is canonical


def test_a_file_is_parsed_again_only_when_its_bytes_changed(tmp_path, monkeypatch):
    snapshot.save(snapshot.load(DEMO / "snapshot"), tmp_path / "snapshot")
    cache = tmp_path / "cache"
    parsed: list[str] = []
    real = snapshot.read_yaml
    monkeypatch.setattr(snapshot, "read_yaml", lambda path: parsed.append(path.name) or real(path))
    files = len(list((tmp_path / "snapshot").rglob("*.yml")))

    first = snapshot.load(tmp_path / "snapshot", cache)
    assert len(parsed) == files
    again = snapshot.load(tmp_path / "snapshot", cache)
    assert again == first and len(parsed) == files  # nothing parsed again
    assert again.workflows[0] is not first.workflows[0]  # a copy: changing one never changes the other

    workflow = next((tmp_path / "snapshot" / "workflows").rglob("*.yml"))
    workflow.write_text(workflow.read_text().replace("name: ", "name: Renamed ", 1))
    changed = snapshot.load(tmp_path / "snapshot", cache)
    assert parsed[files:] == [workflow.name]  # that file alone
    assert changed == snapshot.load(tmp_path / "snapshot") != first  # what a load without the cache gives

    entry = cache / "parsed.pickle"  # a damaged cache is a miss, never trusted
    entry.write_bytes(entry.read_bytes()[:-10])
    del parsed[:]
    assert snapshot.load(tmp_path / "snapshot", cache) == changed and len(parsed) == files

    bad = tmp_path / "snapshot" / "users.yml"  # a broken file is still an error with its line
    bad.write_text("users: [\n")
    with pytest.raises(InputError, match="users.yml:"):
        snapshot.load(tmp_path / "snapshot", cache)


def test_one_file_per_workflow_with_name_and_steps_on_top(tmp_path):
    snap = snapshot.load(DEMO / "snapshot")
    files = sorted((DEMO / "snapshot" / "workflows").rglob("*.yml"))
    assert len(files) == len(snap.workflows) >= 12
    for path in files:
        data = yamlio.read_yaml(path).data
        assert "name" in data and "steps" in data


def test_failed_save_leaves_previous_snapshot_intact(tmp_path, monkeypatch):
    target = tmp_path / "snapshot"
    snap = snapshot.load(DEMO / "snapshot")
    snapshot.save(snap, target)
    before = tree(target)
    calls = {"n": 0}
    real = yamlio.atomic_write

    def failing(path, text):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        real(path, text)

    monkeypatch.setattr(snapshot, "atomic_write", failing)
    changed = snap.model_copy(update={"workflows": snap.workflows[:3]})
    with pytest.raises(OSError):
        snapshot.save(changed, target)
    assert tree(target) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".snapshot-")]  # no debris


def test_bad_snapshot_file_names_file_line_and_field(tmp_path):
    snapshot.save(snapshot.load(DEMO / "snapshot"), tmp_path / "snapshot")
    path = tmp_path / "snapshot/workflows/n8n/Refund05.yml"
    text = path.read_text().replace("  kind: sub_workflow", "  kind: telepathy", 1)
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        snapshot.load(tmp_path / "snapshot")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "kind: telepathy" in row)
    assert caught.value.problems[0].startswith(f"{path}:{line}: trigger.kind:")


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "a.yml"
    yamlio.atomic_write(path, "one\n")
    yamlio.atomic_write(path, "two\n")
    assert path.read_text() == "two\n" and [p.name for p in tmp_path.iterdir()] == ["a.yml"]


@pytest.mark.parametrize("edit,field,message", [
    (lambda t: t.replace("- from: n2\n  to: n3", "- from: n2\n  to: n99"), "edges[1].to", "no step has the id 'n99'"),
    (lambda t: t.replace("- id: n3\n", "- id: n2\n"), "steps[2].id", "'n2' is used by another step too"),
    (lambda t: t.replace("platform: n8n", "platform: make"), "platform", "the file is under workflows/n8n/"),
])
def test_inconsistent_workflow_is_a_located_error(tmp_path, edit, field, message):
    snapshot.save(snapshot.load(DEMO / "snapshot"), tmp_path / "snapshot")
    path = tmp_path / "snapshot/workflows/n8n/Ord3rSync01.yml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputError) as caught:
        snapshot.load(tmp_path / "snapshot")
    hit = [p for p in caught.value.problems if f": {field}:" in p]
    assert hit and message in hit[0] and hit[0].startswith(f"{path}:")
