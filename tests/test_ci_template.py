"""The GitHub Actions template keeps clients apart and cannot be turned into code by a folder name.

Rules from GitHub's own hardening guide: secrets scoped per client with environments (no job reads the
whole store), every `${{ }}` value reaching a script through `env:`, actions pinned to a full commit SHA,
and the least permissions per job."""

from __future__ import annotations

import re

import yaml

from .conftest import PROJECT

WORKFLOW = PROJECT / ".github/workflows/handover.yml"


def workflow() -> dict:
    return yaml.load(WORKFLOW.read_text(), Loader=yaml.BaseLoader)  # `on:` stays a string key


def steps():
    for name, job in workflow()["jobs"].items():
        for step in job.get("steps", []):
            yield name, job, step


def test_no_job_reads_the_whole_secret_store():
    assert "toJSON(secrets)" not in WORKFLOW.read_text().replace(" ", "")
    for name, job, step in steps():
        text = yaml.safe_dump(step)
        for used in re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text):
            assert used == "HANDOVER_DOTENV", f"{name}: reads secrets.{used}"
            assert job.get("environment") == "handover-${{ matrix.client }}", \
                f"{name} reads a secret outside its client's own environment"


def test_expressions_never_reach_a_script_directly():
    for name, _, step in steps():
        script = step.get("run", "")
        assert "${{" not in script, f"{name}: step {step.get('name') or script[:40]!r} puts an expression in its script"


def test_actions_are_pinned_to_a_commit():
    for name, _, step in steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"{name}: {step['uses']} is not pinned"


def test_least_permissions():
    flow = workflow()
    assert flow.get("permissions") == {}, "nothing by default"
    for name, job in flow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict) and granted, f"{name} must say what it needs"
        assert set(granted.values()) <= {"read", "write"} and set(granted) <= {"contents"}, (name, granted)
        if not any("git push" in step.get("run", "") for step in job.get("steps", [])):
            assert granted == {"contents": "read"}, f"{name} does not push, so it needs no write access"


def test_client_list_keeps_only_valid_client_names():
    listing = next(step["run"] for name, _, step in steps() if step.get("id") == "list")
    assert "grep -E '^[a-z0-9][a-z0-9-]{0,62}$'" in listing
