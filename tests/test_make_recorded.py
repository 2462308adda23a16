"""The Make connector against the responses recorded by Make's official SDK (integromat/make-typescript-sdk,
`test/mocks/`, MIT; vendored in tests/fixtures/make-sdk-mocks), replayed by the fake Make API on
127.0.0.1: every shape the sync reads parses as Make records it. docs/platforms.md says which shapes are
recorded and which come from documentation only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from generator.connectors import sync_client
from generator.connectors.base import SyncContext
from generator.connectors.http import RetryPolicy
from generator.store import snapshot

from .conftest import new_client
from .fake_make import SDK_MOCKS, TOKEN, FakeMake, replay_sdk_mocks

NOW = datetime(2021, 10, 1, 12, 0, tzinfo=UTC)  # the recorded run (2021-09-23) falls in the window
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, cooldown_429=0.3)


def recorded(name: str):
    return json.loads((SDK_MOCKS / name).read_text())


@pytest.fixture
def fake():
    server = FakeMake()
    server.base = server.start()
    yield server
    server.stop()


def _client(tmp_path, fake, monkeypatch, extra="    organization_id: 10\n    team_ids: [16]\n"):
    monkeypatch.setenv("ACME_MAKE_TOKEN", TOKEN)
    return new_client(tmp_path, f"  - kind: make\n    name: Make\n    base_url: {fake.base}\n"
                                f"    api_key_env: ACME_MAKE_TOKEN\n    window_days: 30\n{extra}")


def _sync(client):
    return sync_client(client, SyncContext(now=NOW, retry=FAST, timeout=2.0, rate_window=1.0))


def test_every_recorded_shape_the_sync_reads_parses(tmp_path, fake, monkeypatch):
    # the recorded authorization is of a token with two scopes; this one has them all (the fake's own answer)
    replay_sdk_mocks(fake, leave_out=("users/current-authorization.json",))
    client = _client(tmp_path, fake, monkeypatch)
    (outcome,) = _sync(client)
    snap = snapshot.load(client.snapshot_dir)

    scenarios = recorded("scenarios/list.json")["scenarios"]
    assert sorted(w.id for w in snap.workflows) == sorted(str(s["id"]) for s in scenarios)
    listed = {str(s["id"]): s for s in scenarios}
    blueprint = recorded("blueprints/get.json")["response"]["blueprint"]
    for workflow in snap.workflows:
        assert workflow.name == listed[workflow.id]["name"] and workflow.active == listed[workflow.id]["isActive"]
        assert [s.id for s in workflow.steps] == [str(m["id"]) for m in blueprint["flow"]]
    (facts,) = snap.platforms
    assert facts.not_collected == [] and facts.not_documented == []
    organization = recorded("organizations/get.json")["organization"]
    assert facts.settings["plan"] == organization["serviceName"]
    (store,) = recorded("data-stores/list.json")["dataStores"]
    assert facts.settings[f"data store: {store['name']}"] == "0 records, 0 B of 1.0 MB"
    hooks = recorded("hooks/list.json")["hooks"]
    assert facts.settings["webhooks"] == f"{len(hooks)} ({sum(h['enabled'] for h in hooks)} enabled)"

    # connections: the list, and the scopes of a scoped one from its detail
    connections = recorded("connections/list.json")["connections"]
    by_ref = {c.ref: c for c in snap.credentials}
    detail = recorded("connections/get.json")["connection"]
    for item in connections:
        credential = by_ref[f"make:{item['id']}"]
        assert credential.name == item["name"] and credential.app == item["accountLabel"]
        if item["scoped"] or item["scopesCnt"]:
            assert credential.scopes == sorted(s["id"] for s in detail["scopes"])

    # the recorded run log: one successful run of each scenario, its duration and operations
    (log,) = recorded("executions/list.json")["scenarioLogs"]
    for workflow in snap.workflows:
        runs = snap.runs_for(workflow.ref)
        assert runs.statuses == {"success": 1} and runs.durations.max_ms == log["duration"]
    assert outcome.workflows == len(scenarios)


def test_the_recorded_narrow_token_reads_what_it_may(tmp_path, fake, monkeypatch):
    """The recorded authorization (`scenarios:read`, `datastores:read`): the sync asks nothing else and
    names every section it could not read."""
    replay_sdk_mocks(fake)
    client = _client(tmp_path, fake, monkeypatch, extra="    team_ids: [16]\n")
    _sync(client)
    snap = snapshot.load(client.snapshot_dir)
    assert len(snap.workflows) == len(recorded("scenarios/list.json")["scenarios"])
    gaps = {n.section: n.reason for n in snap.platforms[0].not_collected}
    assert gaps == {"organisation": "the token lacks organizations:read", "webhooks": "the token lacks hooks:read",
                    "connections": "the token lacks connections:read", "users": "the token lacks user:read"}
    assert not any(path.startswith(("/api/v2/connections", "/api/v2/hooks", "/api/v2/users?", "/api/v2/organizations"))
                   for _, _, path, _ in fake.log)
