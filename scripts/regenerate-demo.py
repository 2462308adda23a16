"""Regenerate the demo client's snapshot and exports through the real sync path.

The demo estate — Harbour & Pine's workflows, credentials, users, audit, runs and errors — is seed data
in `tests/fixtures/demo/` in the platforms' own JSON shapes (`n8n.json`, `make.json`, `zapier.json`:
what their APIs answer) plus `runs.json`, a day-by-day plan of runs and errors that is expanded here
into the platforms' own execution records (n8n executions, Make scenario logs, Zapier Zap runs). The
bundled fake APIs (`tests/fake_n8n.py`, `tests/fake_make.py`, `tests/fake_zapier.py`) serve it on
127.0.0.1; `handover sync` reads it with the demo's own client.yml, under a fixed clock, and writes
`clients/demo/snapshot/` and `clients/demo/exports/`. client.yml, incidents and runbooks stay
hand-written.

The demo also carries the engagement that led there (`clients/demo/history/`, see
generator/store/history.py): `tests/fixtures/demo/engagement.json` describes one sync a week, each
week's estate as it differed from the seed (the last week is the seed itself); each week is synced the
same way under its own clock and the files that changed are written as that revision, with the audit
records of the engagement (each sync, the check after it, the build delivered) in `history/audit.log`.

The platforms' real host names (the demo's n8n URL, eu1.make.com, api.zapier.com) are routed to the
fakes by the HTTP transport, so the snapshot holds the addresses the client would see. Nothing leaves
the machine.

    PYTHONPATH=. .venv/bin/python scripts/regenerate-demo.py [--root DIR]

This is the one way to refresh the demo: run it after changing a connector, the seed, or the model;
`tests/test_demo_regeneration.py` fails until the committed files match its output.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.checks import assess  # noqa: E402
from generator.commands.sync import audit_detail  # noqa: E402
from generator.connectors import sync_client  # noqa: E402
from generator.connectors.base import SyncContext  # noqa: E402
from generator.connectors.http import RetryPolicy  # noqa: E402
from generator.evidence import gather  # noqa: E402
from generator.store import git, history, workspace  # noqa: E402
from generator.store.yamlio import dump_yaml  # noqa: E402
from tests import fake_make, fake_n8n, fake_zapier  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "demo"
TAKEN = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # the demo's date: the snapshot's `taken`
KEYS = {"HP_N8N_API_KEY": "demo-n8n-key", "HP_MAKE_API_TOKEN": fake_make.TOKEN, "HP_ZAPIER_TOKEN": fake_zapier.TOKEN}


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def planned_runs(plan: dict | None, taken: datetime = TAKEN) -> list[dict]:
    """One workflow's plan → its runs, oldest first: {started, ms, failed, error: (message, step) | None}.
    Each day's runs are spread evenly over the day (up to the snapshot's time); about one in twenty
    takes the day's p95; the errors go to the newest failures, the most recent error first."""
    runs = []
    plan = plan or {"days": [], "errors": []}  # a workflow that did not run in the window
    for day, count, failed, p95 in plan["days"]:
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        if start >= taken:  # an earlier week's sync: these days had not come yet
            continue
        span = min(86400.0, (taken - start).total_seconds() - 60)
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


def seed_n8n(fake: fake_n8n.FakeN8n, seed: dict, plans: dict, taken: datetime = TAKEN) -> None:
    for key, value in seed.items():
        setattr(fake, key, value)
    names = {w["id"]: {n["id"]: n["name"] for n in w["nodes"]} for w in seed["workflows"]}
    runs = [(wid, run) for wid in names for run in planned_runs(plans.get(f"n8n:{wid}"), taken)]
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


def seed_make(fake: fake_make.FakeMake, seed: dict, plans: dict, taken: datetime = TAKEN) -> None:
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
        for i, run in enumerate(planned_runs(plans.get(f"make:{ident}"), taken)):
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


def seed_zapier(fake: fake_zapier.FakeZapier, seed: dict, plans: dict, taken: datetime = TAKEN) -> None:
    for key, value in seed.items():
        setattr(fake, key, value)
    runs = []
    for zap in seed["zaps"]:
        number = int(zap["id"].rsplit("-", 1)[1])
        for run in planned_runs(plans.get(f"zapier:{number}"), taken):
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


def _seed() -> dict:
    return {name: json.loads((SEED / f"{name}.json").read_text()) for name in ("n8n", "make", "zapier", "runs")}


def sync_seed(client, seed: dict, taken: datetime = TAKEN, only: list[str] | None = None) -> list:
    """Serve `seed` from the fakes and sync `client` from them under the clock `taken` (only the platform
    kinds `only`, each on its own, when given). The sync's outcomes."""
    n8n = fake_n8n.FakeN8n(api_key=KEYS["HP_N8N_API_KEY"])
    make = fake_make.FakeMake(limit=1000)
    zapier = fake_zapier.FakeZapier(scopes=fake_zapier.ALL_SCOPES - {"zap:account:all"}, limit=1000)
    seed_n8n(n8n, seed["n8n"], seed["runs"], taken)
    seed_make(make, seed["make"], seed["runs"], taken)
    seed_zapier(zapier, seed["zapier"], seed["runs"], taken)
    routes = {"n8n.harbourpine.example": n8n.start(), "eu1.make.com": make.start()}
    routes["api.zapier.com"] = zapier.start()
    zapier.base = "https://api.zapier.com"  # its next-page links name the real host
    saved = {name: os.environ.get(name) for name in KEYS}
    os.environ.update(KEYS)
    ctx = SyncContext(now=taken, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05), rate_window=1.0,
                      timeout=10.0)
    try:
        with routed(routes):
            if only is None:
                return sync_client(client, ctx)
            return [o for kind in only for o in sync_client(client, ctx, only=kind)]
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for fake in (n8n, make, zapier):
            fake.stop()


def week_seed(seed: dict, revision: dict) -> dict:
    """The seed as that week's estate had it: nodes not added yet (their links bridged), settings
    changed since, a connection's scopes before they were narrowed."""
    week = copy.deepcopy(seed)
    for workflow in week["n8n"]["workflows"]:
        for name in revision.get("n8n_without_nodes", {}).get(workflow["id"], []):
            links = workflow["connections"].pop(name, {}).get("main", [[]])
            onward = [link for output in links for link in output]
            workflow["nodes"] = [n for n in workflow["nodes"] if n["name"] != name]
            for source in workflow["connections"].values():
                for output in source.get("main", []):
                    if any(link["node"] == name for link in output):
                        output[:] = [link for link in output if link["node"] != name] + onward
        workflow["settings"].update(revision.get("n8n_settings", {}).get(workflow["id"], {}))
    for connection in week["make"]["connections"]:
        scopes = revision.get("make_scopes", {}).get(str(connection["id"]))
        if scopes is not None:
            connection["scopes"] = [{"id": s, "name": s} for s in scopes]
            connection["scopesCnt"] = len(scopes)
    return week


def _generated(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for part in history.GENERATED
            for p in sorted((folder / part).rglob("*")) if p.is_file()}


def write_history(client, seed: dict, plan: list[dict]) -> list[list]:
    """clients/demo/history/: each earlier week synced into a scratch copy of the client, its changed
    files written as that revision; the last revision is the client folder itself. Each earlier
    week's sync outcomes."""
    outcomes = []
    base = history.folder(client)
    shutil.rmtree(base, ignore_errors=True)
    previous: dict[str, bytes] = {}
    for number, revision in enumerate(plan, 1):
        target = base / revision["name"]
        target.mkdir(parents=True)
        removed = []
        if number < len(plan):
            with tempfile.TemporaryDirectory(prefix="demo-week-") as scratch:
                week = workspace.Client(root=Path(scratch), slug=client.slug)
                shutil.copytree(client.dir, week.dir, ignore=shutil.ignore_patterns(
                    "snapshot", "exports", "history", "audit.log"))
                outcomes.append(sync_seed(week, week_seed(seed, revision), datetime.fromisoformat(revision["taken"]),
                                          revision.get("platforms")))
                files = _generated(week.dir)
            for relative, data in files.items():
                if previous.get(relative) != data:
                    (target / relative).parent.mkdir(parents=True, exist_ok=True)
                    (target / relative).write_bytes(data)
            removed = sorted(previous.keys() - files.keys())
            previous = files
        meta = {"date": revision["date"], "message": revision["message"], "records": revision.get("records", []),
                "not_yet_written": revision.get("not_yet_written", []), "removed": removed}
        (target / "revision.yml").write_text(dump_yaml({k: v for k, v in meta.items() if v}))
    return outcomes


def write_audit(client, plan: list[dict], outcomes: list[list]) -> None:
    """history/audit.log: what the consultant did each week: the sync, the check after it, the build of
    the site and PDF sent for review; the incident record when it was opened. Judged on the replayed
    revision, as the check judged it then."""
    consultant = client.config.engagement.consultant.name
    where = history.replay(client)
    revisions = list(reversed(git.run(where.dir, "log", "--format=%h").split()))
    records = []
    for revision, commit, synced in zip(plan, revisions, outcomes, strict=True):
        at = datetime.fromisoformat(revision["taken"])  # the sync; the check and the build follow it
        evidence = gather(where, commit)
        assessment = assess(evidence)
        open_ = [f for f in assessment.findings if not f.muted]
        sync = {"time": at, "command": "sync", "revision": commit,
                "detail": audit_detail(synced, True)}
        check = {"time": at + timedelta(minutes=6), "command": "check", "revision": commit,
                 "detail": f"{len(open_)} open findings, {len(assessment.findings) - len(open_)} muted"}
        build = {"time": at + timedelta(minutes=9), "command": "build", "revision": commit,
                 "detail": f"sent for review; {len(open_)} open findings"}
        records += [sync, check, build]
    for incident in gather(where).incidents:  # recorded when it was detected, on the revision of that week
        at = incident.detected + timedelta(minutes=30)
        before = [c for r, c in zip(plan, revisions, strict=True) if datetime.fromisoformat(r["date"]) <= at]
        if before:  # an incident of the engagement's recorded weeks
            commit = before[-1]
            records.append({"time": at, "command": "incident", "revision": commit, "user": incident.owner,
                            "detail": f"{incident.id} opened: {incident.title}"})
    lines = []
    for record in sorted(records, key=lambda r: r["time"]):
        entry = {"time": record["time"].strftime("%Y-%m-%dT%H:%M:%SZ"), "user": record.get("user", consultant),
                 "command": record["command"], "client": client.slug, "revision": record["revision"], "result": "ok",
                 "detail": record["detail"]}
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    (history.folder(client) / "audit.log").write_text("".join(lines))


def regenerate(root: Path = ROOT) -> None:
    """Write clients/demo/snapshot/, exports/ and history/ under `root` from the seed."""
    seed = _seed()
    client = workspace.client("demo", root)
    for folder in (client.snapshot_dir, client.dir / "exports"):
        shutil.rmtree(folder, ignore_errors=True)  # from scratch: nothing of an older run is kept
    final = sync_seed(client, seed)
    plan = json.loads((SEED / "engagement.json").read_text())["revisions"]
    earlier = write_history(client, seed, plan)
    write_audit(client, plan, earlier + [final])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the folder holding clients/ (default: this checkout)")
    regenerate(parser.parse_args().root)


if __name__ == "__main__":
    main()
