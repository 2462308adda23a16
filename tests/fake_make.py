"""A fake Make API v2 on 127.0.0.1 following the documented shapes (docs/platforms.md, Make).

Named envelopes (`{"scenarios": […], "pg": {…}}`), `pg[offset]`/`pg[limit]` pages, `pg[last]` keyset
pages for logs, `{"code": "OK", "response": {"blueprint": …}}` for blueprints, error bodies with
`detail`/`message`/`code`, `Authorization: Token <uuid>`, scopes per route (403), `teamId` or
`organizationId` required where the real API requires them, and a per-organisation request limit over a
sliding window answering 429 — counted, so a test can prove our pacing never trips it.

Run on its own (for the benchmark): `python -m tests.fake_make --scenarios 300 --logs 200 --limit 240`.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .fake_api import FakeApi

ALL_SCOPES = {"user:read", "organizations:read", "teams:read", "scenarios:read", "connections:read", "hooks:read",
              "datastores:read", "dlqs:read"}
ROUTES = [  # (path pattern, scope, required query parameter)
    (r"/api/v2/users/me/current-authorization", None, None),
    (r"/api/v2/organizations", "organizations:read", None),
    (r"/api/v2/organizations/(?P<org>\d+)", "organizations:read", None),
    (r"/api/v2/teams", "teams:read", "organizationId"),
    (r"/api/v2/scenarios", "scenarios:read", "teamId"),
    (r"/api/v2/scenarios/(?P<scenario>\d+)/blueprint", "scenarios:read", None),
    (r"/api/v2/scenarios/(?P<scenario>\d+)/logs", "scenarios:read", None),
    (r"/api/v2/scenarios/(?P<scenario>\d+)/executions/(?P<execution>\w+)", "scenarios:read", None),
    (r"/api/v2/connections", "connections:read", "teamId"),
    (r"/api/v2/connections/(?P<connection>\d+)", "connections:read", None),
    (r"/api/v2/hooks", "hooks:read", "teamId"),
    (r"/api/v2/data-stores", "datastores:read", "teamId"),
    (r"/api/v2/users", "user:read", "teamId"),
    (r"/api/v2/users/roles", "user:read", None),
    (r"/api/v2/teams/(?P<team>\d+)/user-team-roles", "teams:read", None),
]
TOKEN = "2f1c8a4e-9b7d-4c3a-8e6f-1a2b3c4d5e6f"
SDK_MOCKS = Path(__file__).parent / "fixtures" / "make-sdk-mocks"
# Which recorded response of Make's official SDK (tests/fixtures/make-sdk-mocks, `test/mocks/` of
# integromat/make-typescript-sdk) answers which route; the SDK's own tests pair them the same way.
RECORDED = {
    "users/current-authorization.json": r"/api/v2/users/me/current-authorization",
    "organizations/list.json": r"/api/v2/organizations",
    "organizations/get.json": r"/api/v2/organizations/(?P<org>\d+)",
    "teams/list.json": r"/api/v2/teams",
    "scenarios/list.json": r"/api/v2/scenarios",
    "blueprints/get.json": r"/api/v2/scenarios/(?P<scenario>\d+)/blueprint",
    "executions/list.json": r"/api/v2/scenarios/(?P<scenario>\d+)/logs",
    "executions/get-detail.json": r"/api/v2/scenarios/(?P<scenario>\d+)/executions/(?P<execution>\w+)",
    "connections/list.json": r"/api/v2/connections",
    "connections/get.json": r"/api/v2/connections/(?P<connection>\d+)",
    "hooks/list.json": r"/api/v2/hooks",
    "data-stores/list.json": r"/api/v2/data-stores",
    "roles/list.json": r"/api/v2/users/roles",
}


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def error(status: int, detail: str, message: str) -> tuple[int, dict, dict]:
    return status, {"detail": detail, "message": message, "code": f"SC{status}"}, {}


class FakeMake(FakeApi):
    def __init__(self, *, token: str = TOKEN, scopes: set[str] | None = None, limit: int = 240,
                 window: float = 60.0):
        super().__init__()
        self.token = token
        self.scopes = set(ALL_SCOPES if scopes is None else scopes)
        self.limit, self.window = limit, window
        self.recent: deque[float] = deque()
        self.rejected = 0  # 429 answers given
        self.organization = {"id": 10, "name": "Acme", "serviceName": "teams", "zone": "eu1.make.com",
                             "timezone": "Europe/London", "license": {"apiLimit": limit, "users": 50},
                             "teams": [{"id": 1, "name": "Marketing"}, {"id": 2, "name": "Finance"}]}
        self.teams = [{"id": 1, "name": "Marketing", "organizationId": 10},
                      {"id": 2, "name": "Finance", "organizationId": 10}]
        self.scenarios: list[dict] = []
        self.blueprints: dict[int, dict] = {}
        self.logs: dict[int, list[dict]] = {}  # scenario id → newest first
        self.generated_logs: tuple[int, datetime] | None = None  # (per scenario, now): made on request
        self.executions: dict[str, dict] = {}
        self.connections: list[dict] = []
        self.hooks: list[dict] = []
        self.data_stores: list[dict] = []
        self.users: list[dict] = []
        self.user_roles: list[dict] = [{"id": 11, "name": "Team Admin"}, {"id": 12, "name": "Team Member"}]
        self.team_roles: list[dict] = []
        self.recorded: dict[str, object] = {}  # route pattern → a recorded answer (see replay_sdk_mocks)

    def _over_limit(self) -> bool:
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= self.window:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            return True
        self.recent.append(now)
        return False

    def answer(self, method, path, query, headers, fault):
        if path == "/__stats":  # for the benchmark; outside the API and its limit
            return 200, {"rejected": self.rejected}, {}
        auth = headers.get("Authorization", "")
        if auth not in (f"Token {self.token}", f"Bearer {self.token}"):
            return error(401, "Invalid token.", "Unauthorized")
        if self._over_limit():
            self.rejected += 1
            return 429, {"message": "Requests limit for organization exceeded, please try again later.",
                         "code": "SC429"}, {}
        routed = next(((m, scope, required, pattern) for pattern, scope, required in ROUTES
                       if method == "GET" and (m := re.fullmatch(pattern, path))), None)
        if routed is None:
            return error(404, "Not found.", "Not Found")
        match, scope, required, pattern = routed
        if scope and scope not in self.scopes:
            return error(403, "Access denied.", "Permission denied")
        if required and required not in query:
            return error(400, f"Missing parameter {required}.", "Bad Request")
        if pattern in self.recorded:  # a response recorded by Make's official SDK, replayed as it is
            return 200, copy.deepcopy(self.recorded[pattern]), {}
        parts = {k: v if k == "execution" else int(v) for k, v in match.groupdict().items()}
        team = int(query["teamId"]) if "teamId" in query else None
        if path.endswith("/current-authorization"):
            return 200, {"authorization": {"authUsed": "token", "scope": sorted(self.scopes)}}, {}
        if "org" in parts:
            return 200, {"organization": self.organization}, {}
        if path == "/api/v2/organizations":
            return self._page("organizations", [{"id": self.organization["id"], "name": self.organization["name"]}],
                              query)
        if path == "/api/v2/teams":
            return self._page("teams", self.teams, query)
        if path == "/api/v2/scenarios":
            return self._page("scenarios", [s for s in self.scenarios if s["teamId"] == team], query, fault)
        if path.endswith("/blueprint"):
            found = self.blueprints.get(parts["scenario"])
            if found is None:
                return error(404, "Scenario not found.", "Not Found")
            scenario = next(s for s in self.scenarios if s["id"] == parts["scenario"])
            return 200, {"code": "OK", "response": {"blueprint": found, "scheduling": scenario.get("scheduling"),
                                                    "idSequence": 10, "created": "2026-01-05T10:00:00.000Z",
                                                    "last_edit": scenario.get("lastEdit")}}, {}
        if path.endswith("/logs"):
            return self._logs(parts["scenario"], query, fault)
        if "execution" in parts:
            found = self.executions.get(parts["execution"])
            if found is None:
                found = {"status": "ERROR", "error": {"name": "DataError",
                                                      "message": f"Invalid e-mail address in row {parts['execution'][:4]}",
                                                      "causeModule": {"name": "addRow", "appName": "google-sheets"}}}
            return 200, found, {}
        if "connection" in parts:
            found = next((c for c in self.connections if c["id"] == parts["connection"]), None)
            return (200, {"connection": found}, {}) if found else error(404, "Not found.", "Not Found")
        if path == "/api/v2/connections":
            items = [{k: v for k, v in c.items() if k != "scopes"} for c in self.connections if c["teamId"] == team]
            return self._page("connections", items, query)
        if path == "/api/v2/hooks":
            return self._page("hooks", [h for h in self.hooks if h["teamId"] == team], query)
        if path == "/api/v2/data-stores":
            return self._page("dataStores", [d for d in self.data_stores if d["teamId"] == team], query)
        if path == "/api/v2/users/roles":
            return 200, {"usersRoles": self.user_roles}, {}
        if path == "/api/v2/users":
            members = {r["userId"] for r in self.team_roles if r["teamId"] == team}
            return self._page("users", [u for u in self.users if u["id"] in members], query)
        if "team" in parts:
            return 200, {"userTeamRoles": [r for r in self.team_roles if r["teamId"] == parts["team"]]}, {}
        return error(404, "Not found.", "Not Found")

    def _page(self, key: str, items: list, query: dict, fault: dict | None = None):
        offset = int(query.get("pg[offset]", 0))
        limit = int(query.get("pg[limit]", 10000))
        if fault and fault.get("kind") == "same-page":
            offset = 0
        return 200, {key: items[offset:offset + limit],
                     "pg": {"sortBy": "name", "sortDir": "asc", "limit": limit, "offset": offset}}, {}

    def _scenario_logs(self, scenario: int) -> list[dict]:
        if self.generated_logs is None:
            return self.logs.get(scenario, [])
        count, now = self.generated_logs
        return [self._generated(scenario, i, now) for i in range(count)]

    @staticmethod
    def _generated(scenario: int, i: int, now: datetime) -> dict:
        started = now - timedelta(minutes=30 * (i + 1))
        ident = f"{scenario:08x}{i:024x}"
        ms = int(started.timestamp() * 1000)
        return {"imtId": f"{ms}_scenario.{scenario}.auto.{ident}", "id": ident, "status": 3 if i % 50 == 7 else 1,
                "duration": 500 + i % 700, "operations": 3, "transfer": 1024, "type": "auto", "instant": False,
                "timestamp": iso(started), "organizationId": 10, "teamId": 1}

    def _logs(self, scenario: int, query: dict, fault: dict | None):
        items = self._scenario_logs(scenario)
        low, high = int(query.get("from", 0)), int(query.get("to", 10**15))
        items = [e for e in items if low <= int(e["imtId"].split("_")[0]) <= high]
        limit = int(query.get("pg[limit]", 50))
        start = 0
        if "pg[last]" in query:
            marks = [e["imtId"] for e in items]
            if query["pg[last]"] not in marks:
                return error(400, "Invalid pg[last].", "Bad Request")
            start = marks.index(query["pg[last]"]) + 1
        page = items[start:start + limit]
        last = page[-1]["imtId"] if page else None
        if fault and fault.get("kind") == "loop-last" and items:
            last = items[min(limit, len(items)) - 1]["imtId"]
            page = items[:limit]
            self.fault(f"GET /api/v2/scenarios/{scenario}/logs", kind="loop-last")
        return 200, {"scenarioLogs": page, "pg": {"sortBy": "imtId", "sortDir": "desc", "last": last,
                                                   "showLast": False, "limit": limit}}, {}


def replay_sdk_mocks(fake: FakeMake, *, leave_out: tuple[str, ...] = ()) -> None:
    """Answer every route the SDK recorded with its recorded response (scope, required parameters and the
    request limit still apply); the routes it has no recording for keep the fake's documented shapes."""
    for name, pattern in RECORDED.items():
        if name not in leave_out:
            fake.recorded[pattern] = json.loads((SDK_MOCKS / name).read_text())


def bench_blueprint(scenario_id: int) -> dict:
    return {"name": f"Scenario {scenario_id}", "flow": [
        {"id": 1, "module": "google-sheets:watchRows", "version": 2, "parameters": {"__IMTCONN__": 100 + scenario_id % 5}},
        {"id": 2, "module": "builtin:BasicRouter", "version": 1, "routes": [
            {"flow": [{"id": 3, "module": "slack:CreateMessage", "version": 4, "parameters": {"__IMTCONN__": 200}}]},
            {"flow": [{"id": 4, "module": "http:MakeRequest", "version": 4, "mapper": {"url": "https://api.example.com/x"},
                       "onerror": [{"id": 5, "module": "builtin:Ignore", "version": 1}]}]}]}],
        "metadata": {"version": 1, "scenario": {"maxErrors": 3, "sequential": False, "confidential": False}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=300)
    parser.add_argument("--logs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=240)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    fake = FakeMake(limit=args.limit, window=args.window)
    now = datetime.now(UTC).replace(microsecond=0)
    fake.scenarios = [{"id": 1000 + i, "name": f"Scenario {i}", "teamId": 1 + i % 2, "isActive": True,
                       "scheduling": {"type": "indefinitely", "interval": 900}, "lastEdit": "2026-10-01T00:00:00.000Z",
                       "dlqCount": 0} for i in range(args.scenarios)]
    fake.blueprints = {s["id"]: bench_blueprint(s["id"]) for s in fake.scenarios}
    fake.generated_logs = (args.logs, now)
    print(fake.start(), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
