"""A fake n8n public API on 127.0.0.1 that answers in n8n's documented shapes and injects faults.

Shapes follow docs/platforms.md (n8n): `{data, nextCursor}` envelopes, base64 JSON
cursors (offset style for most lists, `lastId` keyset style for executions, newest first), string ids,
`{"message": …}` errors, 401 without the key, 403 for a scope the key lacks, 400 for a bad cursor, and
`POST /audit` answering an object of reports. Executions can be generated on the fly from their index
so the benchmark can serve 200,000 of them without holding them.

Faults are queued per route and used once each: an HTTP status (with or without Retry-After), a
timeout, a reset connection, truncated JSON, a cursor the server then rejects, a cursor that loops.

Run on its own (for the benchmark): `python -m tests.fake_n8n --workflows 200 --executions 200000`.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
from datetime import UTC, datetime, timedelta

from .fake_api import FakeApi

ALL_SCOPES = {"workflow:list", "workflow:read", "execution:list", "execution:read", "credential:list",
              "project:list", "user:list", "tag:list", "variable:list", "securityAudit:generate", "insights:read"}
ROUTES = [  # (method, path pattern, scope)
    ("GET", r"/api/v1/workflows", "workflow:list"),
    ("GET", r"/api/v1/workflows/(?P<wf>[^/]+)/history", "workflow:read"),
    ("GET", r"/api/v1/executions", "execution:list"),
    ("GET", r"/api/v1/executions/(?P<id>[^/]+)", "execution:read"),
    ("GET", r"/api/v1/credentials", "credential:list"),
    ("GET", r"/api/v1/users", "user:list"),
    ("GET", r"/api/v1/projects", "project:list"),
    ("GET", r"/api/v1/tags", "tag:list"),
    ("GET", r"/api/v1/variables", "variable:list"),
    ("POST", r"/api/v1/audit", "securityAudit:generate"),
    ("GET", r"/api/v1/insights/summary", "insights:read"),
]


def encode_cursor(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict:
    return json.loads(base64.b64decode(cursor, validate=True))


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class GeneratedExecutions:
    """`count` executions spread over `days`, newest first, made from their index on request."""

    def __init__(self, workflow_ids: list[str], count: int, now: datetime, days: int = 30, fail_every: int = 10):
        self.ids, self.count, self.now, self.days, self.fail_every = workflow_ids, count, now, days, fail_every

    def __len__(self) -> int:
        return self.count

    def item(self, position: int) -> dict:
        execution_id = self.count - position  # ids grow with time; position 0 is the newest
        started = self.now - timedelta(seconds=(position + 1) * self.days * 86400 / (self.count + 1))
        failed = execution_id % self.fail_every == 0
        return {"id": str(execution_id), "finished": not failed, "mode": "trigger", "retryOf": None,
                "retrySuccessId": None, "status": "error" if failed else "success", "startedAt": iso(started),
                "stoppedAt": iso(started + timedelta(milliseconds=200 + execution_id % 1800)),
                "workflowId": self.ids[execution_id % len(self.ids)], "waitTill": None}

    def position_of(self, execution_id: int) -> int:
        return self.count - execution_id


class FakeN8n(FakeApi):
    def __init__(self, *, api_key: str = "test-key", scopes: set[str] | None = None):
        super().__init__()
        self.api_key = api_key
        self.scopes = set(ALL_SCOPES if scopes is None else scopes)
        self.workflows: list[dict] = []
        self.executions: list[dict] | GeneratedExecutions = []  # newest first
        self.errors: dict[str, dict] = {}  # execution id → resultData.error
        self.credentials: list[dict] = []
        self.users: list[dict] = []
        self.projects: list[dict] = []
        self.tags: list[dict] = []
        self.variables: list[dict] = []
        self.audit: dict | list = []
        self.history: dict[str, list[dict]] = {}  # workflow id → versions, newest first
        self.legacy_credentials = False  # n8n < 2.8: GET /credentials is not allowed
        self.max_page = 250
        # GET /insights/summary: None answers 404 (an n8n without it); a (status, body) pair answers that
        # (403 and n8n's licence message, as 2.40.7 words it); a dict is the summary, by project id in
        # `insights_by_project` (a project missing there answers 403).
        self.insights: dict | tuple[int, dict] | None = None
        self.insights_by_project: dict[str, dict] = {}

    def answer(self, method: str, path: str, query: dict, headers, fault: dict | None):
        if headers.get("X-N8N-API-KEY") != self.api_key:
            return 401, {"message": "Unauthorized"}, {}
        routed = next(((m, scope) for verb, pattern, scope in ROUTES
                       if verb == method and (m := re.fullmatch(pattern, path))), None)
        if routed is None:
            return 404, {"message": "Not Found"}, {}
        match, scope = routed
        if scope not in self.scopes:
            return 403, {"message": "Forbidden"}, {}
        if path == "/api/v1/credentials" and self.legacy_credentials:
            return 405, {"message": "GET method not allowed"}, {}
        if path == "/api/v1/audit":
            return 200, self.audit, {}
        if path == "/api/v1/insights/summary":
            return self._insights(query)
        if match.groupdict().get("wf"):
            return 200, {"data": self._history(match.group("wf")), "nextCursor": None}, {}
        if match.groupdict().get("id"):
            return self._execution(match.group("id"), query)
        try:
            limit = int(query.get("limit", 100))
        except ValueError:
            return 400, {"message": "request/query/limit must be integer"}, {}
        if limit > 250:
            return 400, {"message": "request/query/limit must be <= 250"}, {}
        cursor = query.get("cursor")
        try:
            position = self._position(path, cursor) if cursor else 0
            if cursor:
                limit = decode_cursor(cursor)["limit"]
        except (ValueError, KeyError, TypeError):
            return 400, {"message": "An invalid cursor was provided"}, {}
        items = self._collection(path)
        size = min(limit, self.max_page)
        page = [items.item(i) if isinstance(items, GeneratedExecutions) else items[i]
                for i in range(position, min(position + size, len(items)))]
        more = position + size < len(items)
        next_cursor = None
        if more:
            if path == "/api/v1/executions":
                next_cursor = encode_cursor({"lastId": page[-1]["id"], "limit": limit})
            else:
                next_cursor = encode_cursor({"limit": limit, "offset": position + size})
        if fault and fault.get("kind") == "bad-cursor":
            next_cursor = "not-a-cursor!"
        if fault and fault.get("kind") == "loop-cursor":
            # the first cursor, then the same one again
            next_cursor = cursor or next_cursor or encode_cursor({"limit": limit, "offset": 0})
            self.fault(f"GET {path}", kind="loop-cursor")  # and again, for ever
        return 200, {"data": page, "nextCursor": next_cursor}, {}

    def _insights(self, query: dict):
        if self.insights is None:
            return 404, {"message": "Not Found"}, {}
        if isinstance(self.insights, tuple):
            return self.insights[0], self.insights[1], {}
        if "projectId" in query:
            found = self.insights_by_project.get(query["projectId"])
            return (200, found, {}) if found else (403, {"message": "Insights by project are not licensed"}, {})
        return 200, self.insights, {}

    def _history(self, workflow_id: str) -> list[dict]:
        """`history` when set for the workflow, else its one current version (n8n 2.x keeps every save)."""
        if workflow_id in self.history:
            return self.history[workflow_id]
        found = next((w for w in self.workflows if w["id"] == workflow_id), None)
        return [{"versionId": found["versionId"], "workflowId": workflow_id, "authors": "Dana Ops", "name": None,
                 "description": None, "createdAt": found["updatedAt"], "updatedAt": found["updatedAt"]}] \
            if found and found.get("versionId") else []

    def _collection(self, path: str):
        return {"/api/v1/workflows": self.workflows, "/api/v1/executions": self.executions,
                "/api/v1/credentials": self.credentials, "/api/v1/users": self.users,
                "/api/v1/projects": self.projects, "/api/v1/tags": self.tags,
                "/api/v1/variables": self.variables}[path]

    def _position(self, path: str, cursor: str) -> int:
        payload = decode_cursor(cursor)
        if path != "/api/v1/executions":
            return int(payload["offset"])
        last = int(payload["lastId"])
        items = self.executions
        if isinstance(items, GeneratedExecutions):
            return items.position_of(last) + 1
        return next(i for i, e in enumerate(items) if int(e["id"]) == last) + 1

    def _execution(self, execution_id: str, query: dict):
        items = self.executions
        if isinstance(items, GeneratedExecutions):
            position = items.position_of(int(execution_id))
            found = items.item(position) if 0 <= position < len(items) else None
        else:
            found = next((e for e in items if e["id"] == execution_id), None)
        if found is None:
            return 404, {"message": "Not Found"}, {}
        detail = dict(found)
        if query.get("includeData") == "true":
            error = self.errors.get(execution_id) or (
                {"message": f"Request failed with status code 502 for order {execution_id}",
                 "node": {"name": "HTTP Request"}} if found["status"] == "error" else None)
            detail["data"] = {"resultData": {"runData": {"HTTP Request": [{"data": {"token": "payload"}}]},
                                             "lastNodeExecuted": (error or {}).get("node", {}).get("name"),
                                             **({"error": error} if error else {})}}
        return 200, detail, {}


def simple_workflow(ident: str, name: str, *, active: bool = True, credential: str | None = None) -> dict:
    nodes = [{"id": f"{ident}-t", "name": "Every hour", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2,
              "position": [0, 0], "parameters": {"rule": {"interval": [{"field": "hours", "hoursInterval": 1}]}}},
             {"id": f"{ident}-h", "name": "HTTP Request", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
              "position": [200, 0], "parameters": {"url": "https://api.example.com/items", "method": "GET"}}]
    if credential:
        nodes[1]["parameters"]["authentication"] = "predefinedCredentialType"
        nodes[1]["credentials"] = {"httpHeaderAuth": {"id": credential, "name": f"Key {credential}"}}
    return {"id": ident, "name": name, "active": active, "isArchived": False,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-11-01T00:00:00.000Z",
            "versionId": f"{ident}-version", "nodes": nodes,
            "connections": {"Every hour": {"main": [[{"node": "HTTP Request", "type": "main", "index": 0}]]}},
            "settings": {"executionOrder": "v1"}, "staticData": None, "pinData": {}, "tags": [],
            "shared": [{"role": "workflow:owner", "workflowId": ident, "projectId": "p1",
                        "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--executions", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeN8n()
    fake.workflows = [simple_workflow(f"wf{i:04d}", f"Workflow {i}") for i in range(args.workflows)]
    fake.executions = GeneratedExecutions([w["id"] for w in fake.workflows], args.executions,
                                          datetime.now(UTC).replace(microsecond=0), fail_every=1000)
    print(fake.start(args.port), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
