"""Regenerate the demo client's snapshot and exports through the real sync path.

The demo estate — Harbour & Pine's workflows, credentials, users, audit, runs and errors — is seed data
in `tests/fixtures/demo/` in the platforms' own JSON shapes (`n8n.json`, `make.json`, `zapier.json`:
what their APIs answer) plus `runs.json`, a day-by-day plan of runs and errors that is expanded here
into the platforms' own execution records (n8n executions, Make scenario logs, Zapier Zap runs). The
bundled fake APIs (`tests/fake_n8n.py`, `tests/fake_make.py`, `tests/fake_zapier.py`) serve it on
127.0.0.1; `handover sync` reads it with the demo's own client.yml, under a fixed clock, and writes
`clients/demo/snapshot/` and `clients/demo/exports/`. client.yml, incidents and runbooks stay
hand-written.

The platforms' real host names (the demo's n8n URL, eu1.make.com, api.zapier.com) are routed to the
fakes by the HTTP transport, so the snapshot holds the addresses the client would see. Nothing leaves
the machine.

    PYTHONPATH=. .venv/bin/python scripts/regenerate-demo.py [--root DIR]

This is the one way to refresh the demo: run it after changing a connector, the seed, or the model;
`tests/test_demo_regeneration.py` fails until the committed files match its output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.connectors import sync_client  # noqa: E402
from generator.connectors.base import SyncContext  # noqa: E402
from generator.connectors.http import RetryPolicy  # noqa: E402
from generator.store import workspace  # noqa: E402
from tests import fake_make, fake_n8n, fake_zapier  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "demo"
TAKEN = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # the demo's date: the snapshot's `taken`
KEYS = {"HP_N8N_API_KEY": "demo-n8n-key", "HP_MAKE_API_TOKEN": fake_make.TOKEN, "HP_ZAPIER_TOKEN": fake_zapier.TOKEN}


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def planned_runs(plan: dict | None) -> list[dict]:
    """One workflow's plan → its runs, oldest first: {started, ms, failed, error: (message, step) | None}.
    Each day's runs are spread evenly over the day (up to the snapshot's time); about one in twenty
    takes the day's p95; the errors go to the newest failures, the most recent error first."""
    runs = []
    plan = plan or {"days": [], "errors": []}  # a workflow that did not run in the window
    for day, count, failed, p95 in plan["days"]:
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        span = min(86400.0, (TAKEN - start).total_seconds() - 60)
        fails: set[int] = set()
        for i in range(failed):  # evenly through the day, never twice the same run
            at = min(count - 1, (i + 1) * count // (failed + 1))
            while at in fails:
                at = (at + 1) % count
            fails.add(at)
        for i in range(count):
            slow = p95 and (i % 20 == 19 or (count < 20 and i == count - 1))  # the day's p95 is its slowest run
            ms = int(p95 * 1.02) if slow else int(plan["p50_ms"] * (0.9 + 0.02 * (i % 10)))
            runs.append({"started": start + timedelta(seconds=int((i + 0.5) * span / count)), "ms": ms,
                         "failed": i in fails, "error": None})
    if runs:
        max(runs, key=lambda r: r["ms"])["ms"] = plan["max_ms"]
    failures = [r for r in reversed(runs) if r["failed"]]
    for message, step, count, _last_seen in sorted(plan["errors"], key=lambda e: e[3], reverse=True):
        for run in [r for r in failures if r["error"] is None][:count]:
            run["error"] = (message, step)
    return runs


def seed_n8n(fake: fake_n8n.FakeN8n, seed: dict, plans: dict) -> None:
    for key, value in seed.items():
        setattr(fake, key, value)
    names = {w["id"]: {n["id"]: n["name"] for n in w["nodes"]} for w in seed["workflows"]}
    runs = [(wid, run) for wid in names for run in planned_runs(plans.get(f"n8n:{wid}"))]
    runs.sort(key=lambda item: (item[1]["started"], item[0]))
    executions = []
    for number, (wid, run) in enumerate(runs, 1):
        executions.append({"id": str(number), "finished": not run["failed"], "mode": "trigger", "retryOf": None,
                           "retrySuccessId": None, "status": "error" if run["failed"] else "success",
                           "startedAt": fake_n8n.iso(run["started"]),
                           "stoppedAt": fake_n8n.iso(run["started"] + timedelta(milliseconds=run["ms"])),
                           "workflowId": wid, "waitTill": None})
        if run["failed"]:
            message, step = run["error"] or ("Workflow did not finish", None)
            fake.errors[str(number)] = {"message": message, "node": {"name": names[wid].get(step, step)}}
    fake.executions = list(reversed(executions))  # newest first, as n8n lists them
    fake.insights = insights_summary([run for _, run in runs], seed["workflows"], [wid for wid, _ in runs])


def insights_summary(runs: list[dict], workflows: list[dict], owners: list[str]) -> dict:
    """What n8n's `GET /insights/summary` answers for these runs: the 7 days before TAKEN against the 7
    days before those (deviation = current − previous, null without earlier runs); time saved from each
    workflow's `settings.timeSavedPerExecution` (minutes), as n8n counts it."""
    saved = {w["id"]: (w.get("settings") or {}).get("timeSavedPerExecution") or 0 for w in workflows}

    def period(days_back: int) -> dict:
        low, high = TAKEN - timedelta(days=days_back + 7), TAKEN - timedelta(days=days_back)
        chosen = [(run, wid) for run, wid in zip(runs, owners, strict=True) if low <= run["started"] < high]
        total, failed = len(chosen), sum(run["failed"] for run, _ in chosen)
        return {"total": total, "failed": failed, "failureRate": round(failed / total, 4) if total else 0,
                "timeSaved": sum(saved[wid] for run, wid in chosen if not run["failed"]),
                "averageRunTime": round(sum(run["ms"] for run, _ in chosen) / total) if total else 0}
    now, before = period(0), period(7)
    units = {"total": "count", "failed": "count", "failureRate": "ratio", "timeSaved": "minute",
             "averageRunTime": "millisecond"}
    return {key: {"value": now[key], "unit": unit,
                  "deviation": round(now[key] - before[key], 4) if before["total"] else None}
            for key, unit in units.items()}


def seed_make(fake: fake_make.FakeMake, seed: dict, plans: dict) -> None:
    for key, value in seed.items():
        setattr(fake, key, value)
    fake.blueprints = {int(k): v for k, v in seed["blueprints"].items()}

    def modules(flow):
        for module in flow:
            yield module
            for route in module.get("routes") or []:
                yield from modules(route.get("flow") or [])
            yield from modules(module.get("onerror") or [])
    for scenario in seed["scenarios"]:
        ident = scenario["id"]
        by_id = {str(m["id"]): m["module"] for m in modules(fake.blueprints[ident]["flow"])}
        logs = []
        for i, run in enumerate(planned_runs(plans.get(f"make:{ident}"))):
            stamp = int(run["started"].timestamp() * 1000)
            execution = f"{ident:08x}{i:024x}"
            logs.append({"imtId": f"{stamp}_scenario.{ident}.auto.{execution}", "id": execution,
                         "status": 3 if run["failed"] else 1, "duration": run["ms"], "operations": 4, "transfer": 2048,
                         "type": "auto", "instant": scenario["scheduling"]["type"] == "immediately",
                         "timestamp": fake_make.iso(run["started"]), "organizationId": 118204,
                         "teamId": scenario["teamId"]})
            if run["failed"]:
                message, step = run["error"] or ("The operation failed", None)
                app, _, action = by_id.get(str(step), "builtin:unknown").partition(":")
                fake.executions[execution] = {"status": "ERROR", "error": {"name": "DataError", "message": message,
                                                                             "causeModule": {"name": action, "appName": app}}}
        fake.logs[ident] = list(reversed(logs))


def seed_zapier(fake: fake_zapier.FakeZapier, seed: dict, plans: dict) -> None:
    for key, value in seed.items():
        setattr(fake, key, value)
    runs = []
    for zap in seed["zaps"]:
        number = int(zap["id"].rsplit("-", 1)[1])
        for run in planned_runs(plans.get(f"zapier:{number}")):
            failing = int((run["error"] or (None, len(zap["steps"])))[1] or len(zap["steps"])) if run["failed"] else 0
            runs.append({"zap_id": number, "zap_title": zap["title"], "start_time": _iso(run["started"]),
                         "end_time": _iso(run["started"] + timedelta(milliseconds=run["ms"])),
                         "status": "error" if run["failed"] else "success",
                         "steps": [{"status": "error" if i == failing else "success"}
                                   for i in range(1, (failing or len(zap["steps"])) + 1)]})
    fake.runs = sorted(runs, key=lambda r: (r["start_time"], r["zap_id"]))


class RoutingTransport(httpx.HTTPTransport):
    """Sends each request for a platform's real host to that platform's fake on 127.0.0.1."""

    def __init__(self, routes: dict[str, str]):
        super().__init__()
        self.routes = routes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self.routes.get(request.url.host)
        if target is None:
            raise httpx.ConnectError(f"the demo regeneration reaches only its fakes, not {request.url.host}")
        local = httpx.URL(target)
        request.url = request.url.copy_with(scheme=local.scheme, host=local.host, port=local.port)
        request.headers["Host"] = f"{local.host}:{local.port}"
        return super().handle_request(request)


@contextmanager
def routed(routes: dict[str, str]):
    original = httpx.Client.__init__

    def init(self, *args, **kwargs):
        kwargs["transport"] = kwargs.get("transport") or RoutingTransport(routes)
        original(self, *args, **kwargs)
    httpx.Client.__init__ = init
    try:
        yield
    finally:
        httpx.Client.__init__ = original


def regenerate(root: Path = ROOT) -> None:
    """Write clients/demo/snapshot/ and clients/demo/exports/ under `root` from the seed."""
    seed = {name: json.loads((SEED / f"{name}.json").read_text()) for name in ("n8n", "make", "zapier", "runs")}
    n8n = fake_n8n.FakeN8n(api_key=KEYS["HP_N8N_API_KEY"])
    make = fake_make.FakeMake(limit=1000)
    zapier = fake_zapier.FakeZapier(scopes=fake_zapier.ALL_SCOPES - {"zap:account:all"}, limit=1000)
    seed_n8n(n8n, seed["n8n"], seed["runs"])
    seed_make(make, seed["make"], seed["runs"])
    seed_zapier(zapier, seed["zapier"], seed["runs"])
    routes = {"n8n.harbourpine.example": n8n.start(), "eu1.make.com": make.start()}
    routes["api.zapier.com"] = zapier.start()
    zapier.base = "https://api.zapier.com"  # its next-page links name the real host
    client = workspace.client("demo", root)
    for folder in (client.snapshot_dir, client.dir / "exports"):
        shutil.rmtree(folder, ignore_errors=True)  # from scratch: nothing of an older run is kept
    saved = {name: os.environ.get(name) for name in KEYS}
    os.environ.update(KEYS)
    try:
        with routed(routes):
            sync_client(client, SyncContext(now=TAKEN, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05),
                                            rate_window=1.0, timeout=10.0))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for fake in (n8n, make, zapier):
            fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the folder holding clients/ (default: this checkout)")
    regenerate(parser.parse_args().root)


if __name__ == "__main__":
    main()
