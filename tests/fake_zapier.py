"""A fake Zapier Workflow API on 127.0.0.1 (docs/platforms.md, Zapier), quirks included.

Bearer tokens map to scopes (a missing one answers 403 with a JSON:API error body); `limit`/`offset`
pages with absolute `links.next` URLs and `meta`; `expand=steps.action,steps.authentication`;
`include_shared` needing `zap:account:all`; runs with integer `zap_id`s; a per-token request limit
over a sliding window answering 429 with `Retry-After`. Quirks that can be switched on: list answers
wrapped in a one-element array, `links.previous` instead of `links.prev`.
"""

from __future__ import annotations

import time
from collections import deque
from urllib.parse import urlencode

from .fake_api import FakeApi

TOKEN = "zapier-oauth-token-0123456789abcdefABCDEF"
ALL_SCOPES = {"profile", "zap", "zap:all", "zap:account:all", "zap:runs", "authentication"}


def jsonapi_error(status: int, code: str, title: str, detail: str):
    return status, {"errors": [{"status": status, "code": code, "title": title, "detail": detail, "source": None,
                                "meta": {"source": "ZAPIER", "full_details": {}}}]}, {}


class FakeZapier(FakeApi):
    def __init__(self, *, scopes: set[str] | None = None, limit: int = 60, window: float = 60.0,
                 retry_after: int = 60):
        super().__init__()
        self.scopes = set(ALL_SCOPES if scopes is None else scopes)
        self.limit, self.window, self.retry_after = limit, window, retry_after
        self.recent: deque[float] = deque()
        self.rejected = 0
        self.wrap_in_array = False
        self.previous_key = "prev"
        self.profile = {"id": 123, "first_name": "Zoe", "last_name": "Zap", "full_name": "Zoe Zap",
                        "email": "zoe@acme.example", "email_confirmed": True, "timezone": "Asia/Singapore"}
        self.zaps: list[dict] = []  # steps hold action / authentication objects; ids only unless expanded
        self.shared_zaps: list[dict] = []
        self.apps: list[dict] = []
        self.authentications: list[dict] = []
        self.runs: list[dict] = []
        self.base = ""

    def start(self, port: int = 0) -> str:
        self.base = super().start(port)
        return self.base

    def answer(self, method, path, query, headers, fault):
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return jsonapi_error(401, "not_authenticated", "NotAuthenticated", "Authentication credentials were not provided.")
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= self.window:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            self.rejected += 1
            status, body, _ = jsonapi_error(429, "throttled", "Throttled", "Request was throttled.")
            return status, body, {"Retry-After": str(self.retry_after)}
        self.recent.append(now)
        need = {"/v1/profiles/me": "profile", "/v2/zaps": "zap:all", "/v2/apps": "zap", "/v2/authentications":
                "authentication", "/v2/zap-runs": "zap:runs"}.get(path)
        if need is None:
            return jsonapi_error(404, "not_found", "NotFound", "Not found.")
        if need not in self.scopes or (path == "/v2/zaps" and query.get("include_shared") == "true"
                                       and "zap:account:all" not in self.scopes):
            return jsonapi_error(403, "permission_denied", "PermissionDenied",
                                 "You do not have permission to perform this action (missing scope).")
        if path == "/v1/profiles/me":
            return 200, self.profile, {}
        if path == "/v2/zaps":
            expand = set(query.get("expand", "").split(","))
            zaps = self.zaps + (self.shared_zaps if query.get("include_shared") == "true" else [])
            return self._page(path, [self._zap(z, expand) for z in zaps], query, fault)
        if path == "/v2/apps":
            ids = set(query.get("ids", "").split(","))
            return self._page(path, [a for a in self.apps if a["id"] in ids], query, fault)
        if path == "/v2/authentications":
            if "app" not in query:
                return jsonapi_error(400, "parse_error", "ParseError", "app is required")
            return self._page(path, [a for a in self.authentications if a["app"] == query["app"]], query, fault)
        runs = [r for r in self.runs if query.get("from_date", "") <= r["start_time"] <= query.get("to_date", "9")]
        return self._page(path, runs, query, fault)

    @staticmethod
    def _zap(zap: dict, expand: set[str]) -> dict:
        steps = []
        for step in zap["steps"]:
            step = dict(step)
            if "steps.action" not in expand:
                step["action"] = step["action"]["id"]
            if "steps.authentication" not in expand and isinstance(step.get("authentication"), dict):
                step["authentication"] = step["authentication"]["id"]
            steps.append(step)
        return dict(zap, steps=steps)

    def _page(self, path: str, items: list, query: dict, fault: dict | None):
        limit, offset = int(query.get("limit", 10)), int(query.get("offset", 0))
        chunk = items[offset:offset + limit]

        def link(at: int) -> str:
            return f"{self.base}{path}?{urlencode(dict(query, offset=at, limit=limit))}"
        following = link(offset + limit) if offset + limit < len(items) else None
        if fault and fault.get("kind") == "loop-next":
            following = link(0)
            self.fault(f"GET {path}", kind="loop-next")
        body = {"links": {"next": following, self.previous_key: link(offset - limit) if offset else None},
                "meta": {"count": len(items), "limit": limit, "offset": offset}, "data": chunk}
        return 200, ([body] if self.wrap_in_array else body), {}


def zap(number: int, title: str, steps: list[dict], enabled: bool = True) -> dict:
    ident = f"00000000-0000-c000-8000-{number:012d}"
    return {"type": "zap", "id": ident, "is_enabled": enabled, "last_successful_run_date": None,
            "updated_at": "2026-11-01T09:00:00Z", "title": title,
            "links": {"html_editor": f"https://zapier.com/webintent/edit-zap/{ident}"}, "steps": steps}


def step(action_id: str, key: str, app: str, action_type: str, title: str, auth: dict | None = None,
         inputs: dict | None = None, instant: bool = False, step_title: str | None = None) -> dict:
    return {"action": {"id": action_id, "key": key, "app": app, "type": "action", "action_type": action_type,
                       "is_instant": instant, "title": title, "description": ""},
            "authentication": auth, "inputs": inputs or {}, "title": step_title}
