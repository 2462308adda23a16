"""Shared fixtures: the demo client copied into a temporary root, and builds made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.checks import assess
from generator.commands.build import build
from generator.evidence import Evidence
from generator.store import snapshot
from generator.store.workspace import client

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _one_run_per_test():
    """The write guard remembers the secrets found during a run (a process); a test is a run of its own."""
    from generator.redact import REGISTRY

    REGISTRY.clear()
    yield
    REGISTRY.clear()
DEMO = PROJECT / "clients" / "demo"

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "{{ 7*7 }} and {% raw %}",
    "| [x](javascript:alert(1)) **bold** _it_",
    "Invoice #" + "7" * 400,  # a word longer than any line: wraps, never runs off the page
]


def copy_demo(root: Path, slug: str = "demo", history: bool = True) -> Path:
    """The demo under `root`; without its recorded history (`history=False`) its change log is whatever
    Git says of the copy."""
    target = root / "clients" / slug
    left_out = {"audit.log"} | (set() if history else {"history"})  # audit.log: local, git-ignored

    def ignore(folder, names):  # only the demo's own audit.log: history/audit.log is the recorded one
        return left_out & set(names) if folder == str(DEMO) else set()
    shutil.copytree(DEMO, target, ignore=ignore)
    if slug != "demo":
        text = (target / "client.yml").read_text().replace("slug: demo", f"slug: {slug}")
        (target / "client.yml").write_text(text)
    return target


def make_hostile(root: Path) -> Path:
    """The demo with four workflows renamed to hostile strings (and one hostile step and error)."""
    folder = copy_demo(root, "hostile")
    snap = snapshot.load(folder / "snapshot")
    for workflow, name in zip(snap.workflows, HOSTILE_NAMES, strict=False):
        workflow.name = name
        workflow.description = f"Description with {name}"
        workflow.steps[0].name = f"step {name}"
    snap.runs[0].top_errors[0].message = "<img src=x onerror=alert(2)> failed"
    snapshot.save(snap, folder / "snapshot")
    return folder


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-root")
    copy_demo(root)
    c = client("demo", root)
    result = build(c)
    return c, result


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-root")
    make_hostile(root)
    c = client("hostile", root)
    return c, build(c)


def new_client(root: Path, platforms: str = "", slug: str = "acme"):
    """A client made by `handover init`, with `platforms` (the YAML list items, indented two spaces)
    written into its client.yml."""
    from typer.testing import CliRunner

    from generator.cli import app

    assert CliRunner().invoke(app, ["init", slug, "--root", str(root)]).exit_code == 0
    config = root / "clients" / slug / "client.yml"
    if platforms:
        config.write_text(config.read_text().replace("platforms: []", "platforms:\n" + platforms))
    return client(slug, root)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path: to prove a failure changed nothing."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def judge(config, snap, incidents=(), runbooks=(), isolation=None, exported=None):
    """The assessment (controls and findings) of evidence made by hand (unit tests of single checks)."""
    evidence = Evidence(config=config, snapshot=snap, incidents=tuple(incidents), runbooks=tuple(runbooks),
                        isolation=isolation, exports=None if exported is None else dict.fromkeys(exported))
    return assess(evidence)


def evaluate(config, snap, incidents=(), runbooks=(), isolation=None, exported=None):
    """The findings for evidence made by hand (unit tests of single checks)."""
    return judge(config, snap, incidents, runbooks, isolation, exported).findings


def key_paths(node, prefix=()):
    """Every key path in a parsed YAML or JSON document (the places generated bad input is put)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from key_paths(value, (*prefix, index))
