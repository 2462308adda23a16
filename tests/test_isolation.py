"""Data isolation: two clients sharing a credential account, a secret and a webhook are each told so,
and neither client's files, site or findings name the other or show its data."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.model import Address, Credential, SecretRef, Step, StepRef, Trigger, Webhook, Workflow
from generator.store import snapshot

runner = CliRunner()


def client_with(root, slug: str, *, account: str, secret: str, hook: str, extra_step_target: str | None = None):
    assert runner.invoke(app, ["init", slug, "--root", str(root)]).exit_code == 0
    folder = root / "clients" / slug / "snapshot"
    snap = snapshot.load(folder)
    steps = [Step(id="s1", name="Receive", app="Webhook", kind="trigger"),
             Step(id="s2", name=f"Push for {slug}", app="HTTP Request", kind="http", credential=f"n8n:{slug}-cred",
                  target=Address(url=extra_step_target, path=None) if extra_step_target else None)]
    snap.workflows.append(Workflow(
        platform="n8n", id=f"{slug}-wf", name=f"{slug.title()} intake", active=True,
        trigger=Trigger(kind="webhook", webhook=Webhook(path="/webhook/•••• (masked)", address=Address(url=hook))),
        steps=steps, secrets=[SecretRef(step="s2", field="parameters.url", kind="stripe_key", fingerprint=secret)]))
    snap.credentials.append(Credential(platform="n8n", id=f"{slug}-cred", name=f"{slug} Google", app="Google",
                                       owner=account, used_by=[StepRef(workflow=f"n8n:{slug}-wf", step="s2")]))
    snapshot.save(snap, folder)


@pytest.fixture
def two_clients(tmp_path):
    client_with(tmp_path, "alpha", account="automation@consultancy.example", secret="sha256:aaaaaaaaaaaa",
                hook="sha256:111111111111", extra_step_target="sha256:222222222222")
    client_with(tmp_path, "bravo", account="Automation@Consultancy.example", secret="sha256:aaaaaaaaaaaa",
                hook="sha256:222222222222")
    return tmp_path


def test_shared_items_are_found_on_both_sides(two_clients):
    result = runner.invoke(app, ["check", "alpha", "--format", "json", "--root", str(two_clients)])
    iso = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "ISO-001"]
    evidence = sorted(f["evidence"] for f in iso)
    assert len(iso) == 2 and all("another client" in e for e in evidence)  # one finding per resource
    assert any("Google account automation@consultancy.example" in e for e in evidence)
    assert any("hardcoded stripe key" in e for e in evidence)
    assert any("is a webhook of another client's workflow" in e for e in evidence)  # alpha calls bravo's webhook
    result = runner.invoke(app, ["check", "bravo", "--format", "json", "--root", str(two_clients)])
    iso = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "ISO-001"]
    assert len(iso) == 2 and any("its webhook address" in f["evidence"] for f in iso)


def test_nothing_of_the_other_client_is_written(two_clients):
    for slug in ("alpha", "bravo"):
        assert runner.invoke(app, ["check", slug, "--root", str(two_clients)]).exit_code == 0
    assert runner.invoke(app, ["build", "alpha", "--no-pdf", "--root", str(two_clients)]).exit_code == 0
    text = (two_clients / "clients/alpha/isolation.yml").read_text()
    assert "bravo" not in text.lower() and "other_clients: 1" in text
    written = "".join(p.read_text(errors="replace") for p in (two_clients / "build/alpha").rglob("*")
                      if p.is_file() and p.suffix in (".md", ".html", ".json", ".xml"))
    assert "ISO-001" in written and "bravo" not in written.lower() and "Bravo intake" not in written


def test_clients_with_nothing_in_common_are_clean(tmp_path):
    client_with(tmp_path, "alpha", account="a@alpha.example", secret="sha256:aaaaaaaaaaaa", hook="sha256:111111111111")
    client_with(tmp_path, "bravo", account="b@bravo.example", secret="sha256:bbbbbbbbbbbb", hook="sha256:333333333333")
    result = runner.invoke(app, ["check", "alpha", "--format", "json", "--root", str(tmp_path)])
    assert not [f for f in json.loads(result.stdout)["findings"] if f["check"] == "ISO-001"]
