"""Make: sync from the API v2 (`Authorization: Token …`). Requests are paced under the organisation's
per-minute limit; independent resources are fetched concurrently within it. Endpoints, scopes and
shapes: docs/platforms.md (Make).
"""


from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from generator.config import PlatformConfig
from generator.connectors.base import (
    NORMALISE_ERRORS,
    Collected,
    Progress,
    SyncContext,
    api_client,
    check_document,
    not_documented,
    optional,
    parse_time,
)
from generator.connectors.http import AccessDenied, ApiClient, NotAvailable, PlatformError
from generator.connectors.make.blueprint import (
    PLATFORM,
    app_name,
    credentials_from_workflows,
    native,
    normalise,
    operation_name,
)
from generator.connectors.runs import RunAggregator
from generator.errors import InputError
from generator.model import Credential, NotCollected, NotDocumented, PlatformFacts, User
from generator.platforms import SPECS
from generator.redact import Redacted, redact_document
from generator.store.exports import export_file
from generator.store.spill import Spilled, Workflows

SPEC = SPECS[PLATFORM]
ZONES = {"eu1": "eu1.make.com", "eu2": "eu2.make.com", "us1": "us1.make.com", "us2": "us2.make.com",
         "eu1-celonis": "eu1.make.celonis.com", "us1-celonis": "us1.make.celonis.com"}
PAGE = 100
LOG_PAGE = 100
ERROR_DETAILS_PER_SCENARIO = 5  # each costs a request under the per-minute limit
WORKERS = 4
_STATUS = {0: "running", 1: "success", 2: "success", 3: "failed"}  # 2 = success with warnings

# --------------------------------------------------------------------------------------------------
# Sync from the API


def base_url(config) -> tuple[str, str]:
    """(API base URL, editor host) from `base_url` or `zone`."""
    if config.base_url:
        base = config.base_url.rstrip("/")
        host = re.sub(r"^[a-z]+://", "", base).split("/")[0]
        return (base if base.endswith("/api/v2") else base + "/api/v2"), host
    zone = (config.zone or "eu1").strip()
    host = ZONES.get(zone) or (zone if "." in zone else f"{zone}.make.com")
    return f"https://{host}/api/v2", host


class MakeSync:
    def __init__(self, api: ApiClient, *, host: str, name: str, organization_id: int | None, team_ids: list[int],
                 window_days: int, now: datetime, progress: Progress):
        self.api = api
        self.host = host
        self.name = name
        self.organization_id = organization_id
        self.team_ids = list(team_ids)
        self.window_days = window_days
        self.now = now
        self.progress = progress
        self.skipped: list[NotCollected] = []
        self.granted: set[str] | None = None
        self._organization_record: dict | None = None

    def _optional(self, section: str, scope: str, fetch, default=None):
        if self.granted is not None and scope not in self.granted:
            self.skipped.append(NotCollected(section=section, reason=f"the token lacks {scope}"))
            return default
        return optional(self.skipped, section, scope, fetch, spec=SPEC, generic=("denied",), default=default)

    def _documents(self, path: str, key: str, params: dict, label: str) -> list[Redacted]:
        """Every item of an offset-paged list (a short page ends it), each redacted as the document it is."""
        return [redact_document(item) for item in self.api.offset(path, key, params, size=PAGE,
                                                                   on_page=self.progress(label, None))]

    def _pages(self, path: str, key: str, params: dict, label: str) -> list[dict]:
        return [document.tree for document in self._documents(path, key, params, label)]

    def _get(self, path: str):
        """One API answer, redacted (the one boundary)."""
        return redact_document(self.api.get(path)).tree

    def collect(self) -> Collected:
        authorization = self._authorization()
        if authorization is not None:
            self.granted = set(authorization)
        organization = self._optional("organisation", "organizations:read", self._organization, {}) or {}
        teams = self._teams(organization)
        if not teams:
            raise InputError("no Make team to read: set organization_id or team_ids in client.yml — the token needs "
                             "organizations:read and teams:read to find the teams")
        try:
            scenarios = [s for team in teams for s in self._documents("/scenarios", "scenarios", {"teamId": team},
                                                                          "scenarios")]
        except AccessDenied as exc:
            raise PlatformError(f"{exc}: the token cannot list scenarios", exc.status,
                                f"create a token with at least: {', '.join(SPEC.key_scopes)}") from None
        hooks = {}
        for team in teams:
            for hook in self._optional("webhooks", "hooks:read", lambda t=team: self._pages(
                    "/hooks", "hooks", {"teamId": t}, "webhooks"), []) or []:
                hooks[int(hook["id"])] = hook
        timezone = ((organization.get("timezone") or None) if isinstance(organization.get("timezone"), str) else None)
        team_names = {int(t): name for t, name in teams.items()}
        start = self.now - timedelta(days=self.window_days)
        runs = RunAggregator(start, self.now)
        read_logs = self.granted is None or "scenarios:read" in self.granted
        advance = self.progress("scenarios", len(scenarios))

        def one(scenario: Redacted):
            ref = f"make:{scenario.tree.get('id')}"
            try:
                raw = self.api.get(f"/scenarios/{scenario.tree['id']}/blueprint")
            except (NotAvailable, AccessDenied) as exc:  # deleted since the listing, or not this token's to read
                return not_documented(ref, scenario.tree.get("name"), ValueError(
                    f"its blueprint could not be read (HTTP {exc.status})")), None, [], []
            try:  # one scenario that cannot be read never stops the others
                check_document(raw, "its blueprint")
                blueprint = redact_document(raw)
                workflow = normalise(blueprint, scenario=scenario, hooks=hooks, teams=team_names, host=self.host,
                                     timezone=timezone)
                exported = native(blueprint)
            except NORMALISE_ERRORS as exc:
                return not_documented(ref, scenario.tree.get("name"), exc), None, [], []
            try:
                logs, errors = self._logs(scenario.tree, start) if read_logs else ([], [])
            except NotAvailable:
                logs, errors = [], []  # deleted since the listing: documented as read, without runs
            return workflow, exported, logs, errors

        workflows = Workflows()  # spilled as they come, with their export files
        failed: list[NotDocumented] = []
        exports: dict[str, Spilled] = {}
        incomplete: dict[str, int] = {}
        with ThreadPoolExecutor(WORKERS) as pool:
            for scenario, (workflow, exported, logs, errors) in zip(scenarios, pool.map(one, scenarios), strict=True):
                advance(1)
                if isinstance(workflow, NotDocumented):
                    failed.append(workflow)
                    continue
                workflows.append(workflow)
                exports[workflow.id] = workflows.spill.put(export_file(exported))
                for status, started, duration, operations, transfer in logs:
                    runs.add(workflow.ref, status, started, started + timedelta(milliseconds=duration), operations,
                             transfer)
                for message, step, when in errors:
                    runs.add_error(workflow.ref, message, step, when)
                if scenario.tree.get("dlqCount"):
                    incomplete[workflow.ref] = int(scenario.tree["dlqCount"])
        connections = []
        for team in teams:
            connections += self._optional("connections", "connections:read",
                                          lambda t=team: self._connections(t), []) or []
        known = {c.ref for c in connections}
        connections += [c for c in credentials_from_workflows(workflows, []) if c.ref not in known]
        users = self._optional("users", "user:read", lambda: self._users(teams), None)
        stores = []
        for team in teams:
            stores += self._optional("data stores", "datastores:read", lambda t=team: self._pages(
                "/data-stores", "dataStores", {"teamId": t}, "data stores"), []) or []

        settings: dict[str, str | int | bool] = {"scenarios": len(workflows),
                                                 "active scenarios": sum(w.active for w in workflows),
                                                 "teams": ", ".join(teams[t] for t in sorted(teams))}
        if organization:
            license_ = organization.get("license") or {}
            if organization.get("serviceName"):
                settings["plan"] = str(organization["serviceName"])
            if license_.get("apiLimit"):
                settings["API requests per minute"] = int(license_["apiLimit"])
        if hooks:
            settings["webhooks"] = f"{len(hooks)} ({sum(bool(h.get('enabled')) for h in hooks.values())} enabled)"
        for store in sorted(stores, key=lambda s: str(s.get("name"))):
            settings[f"data store: {store.get('name')}"] = (
                f"{store.get('records', 0)} records, {_size(store.get('size'))} of {_size(store.get('maxSize'))}")
        if incomplete:
            settings["incomplete executions"] = sum(incomplete.values())
        facts = PlatformFacts(platform=PLATFORM, name=self.name, url=f"https://{self.host}", synced=self.now,
                              source="api", settings=settings, not_collected=self.skipped, key_scopes=list(SPEC.key_scopes),
                              not_documented=failed)
        return Collected(facts=facts, workflows=workflows, credentials=connections, users=users,
                         runs=runs if read_logs else None, replace_all=True, incomplete=incomplete, exports=exports,
                         credentials_from_steps=any(n.section == "connections" for n in self.skipped))

    def _authorization(self) -> list[str] | None:
        try:
            body = self._get("/users/me/current-authorization")
        except (AccessDenied, NotAvailable):
            return None
        scopes = ((body or {}).get("authorization") or {}).get("scope")
        return [str(s) for s in scopes] if isinstance(scopes, list) else None

    def _organization(self) -> dict:
        if self._organization_record is None:
            self._organization_record = self._read_organization()
        return self._organization_record

    def _read_organization(self) -> dict:
        org_id = self.organization_id
        if org_id is None:
            organizations = self._pages("/organizations", "organizations", {}, "organisations")
            if not organizations:
                return {}
            org_id = organizations[0]["id"]
            self.organization_id = org_id
        return (self._get(f"/organizations/{org_id}") or {}).get("organization") or {}

    def _teams(self, organization: dict) -> dict[int, str]:
        names = {int(t["id"]): str(t.get("name") or t["id"]) for t in organization.get("teams") or []}
        if self.organization_id is not None:
            listed = self._optional("teams", "teams:read", lambda: self._pages(
                "/teams", "teams", {"organizationId": self.organization_id}, "teams"), []) or []
            names.update({int(t["id"]): str(t.get("name") or t["id"]) for t in listed})
        if self.team_ids:
            return {int(t): names.get(int(t), f"team {t}") for t in self.team_ids}
        return names

    def _logs(self, scenario: dict, start: datetime) -> tuple[list, list]:
        """(status, started, duration ms, operations, transfer bytes) of each run in the window, newest first,
        and the errors of the newest failed runs. Keyset pages (`pg[last]`) until a short page."""
        path = f"/scenarios/{scenario['id']}/logs"
        params = {"from": int(start.timestamp() * 1000), "to": int(self.now.timestamp() * 1000), "pg[sortDir]": "desc"}
        logs, failed = [], []
        for item in self.api.keyset(path, "scenarioLogs", params, size=LOG_PAGE):
            started = parse_time(item.get("timestamp"))
            if started is None or started < start:
                continue
            status = _STATUS.get(item.get("status"), "unknown")
            logs.append((status, started, int(item.get("duration") or 0), _int(item.get("operations")),
                         _int(item.get("transfer"))))
            if status == "failed" and len(failed) < ERROR_DETAILS_PER_SCENARIO and item.get("id"):
                failed.append((str(item["id"]), started))
        errors = []
        for execution_id, started in failed:
            try:
                detail = self._get(f"/scenarios/{scenario['id']}/executions/{execution_id}")
            except (AccessDenied, NotAvailable):
                continue
            error = (detail or {}).get("error") or {}
            cause = error.get("causeModule") or {}
            step = f"{app_name(str(cause.get('appName') or ''))} — {operation_name(str(cause.get('name') or ''))}" \
                if cause else None
            errors.append((str(error.get("message") or error.get("name") or "(no message)"), step, started))
        return logs, errors

    def _connections(self, team: int) -> list[Credential]:
        out = []
        for item in self._pages("/connections", "connections", {"teamId": team}, "connections"):
            detail = item
            if item.get("scoped") or item.get("scopesCnt"):
                detail = (self._get(f"/connections/{item['id']}") or {}).get("connection") or item
            metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
            account = metadata.get("value") if metadata.get("type") == "email" else None
            out.append(Credential(
                platform=PLATFORM, id=str(item["id"]), name=str(item.get("name") or item["id"]),
                app=str(item.get("accountLabel") or item.get("accountName") or "?"), type=item.get("accountName"),
                scopes=sorted({str(s.get("id")) for s in detail.get("scopes") or [] if isinstance(s, dict)}),
                owner=account, expires=parse_time(item.get("expire")),
            ))
        return out

    def _users(self, teams: dict[int, str]) -> list[User]:
        roles = {int(r["id"]): str(r.get("name") or r["id"])
                 for r in (self._get("/users/roles") or {}).get("usersRoles") or [] if "id" in r}
        users: dict[int, dict] = {}
        for team in teams:
            for user in self._pages("/users", "users", {"teamId": team}, "users"):
                users.setdefault(int(user["id"]), user)
            for role in (self._get(f"/teams/{team}/user-team-roles") or {}).get("userTeamRoles") or []:
                if int(role.get("userId", -1)) in users:
                    users[int(role["userId"])].setdefault("_roles", []).append(
                        f"{teams[team]}: {roles.get(int(role.get('usersRoleId', -1)), 'member')}")
        return [User(platform=PLATFORM, name=str(u.get("name") or u.get("email") or u["id"]), email=u.get("email"),
                     role="; ".join(sorted(u.get("_roles") or [])) or "member",
                     last_active=parse_time(u.get("lastLogin"))) for u in users.values()]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _size(value) -> str:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"


def sync(platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
    api_base, host = base_url(platform)
    scheme = "Token" if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", key, re.I) \
        else "Bearer"
    with api_client(SPEC, api_base, {"Authorization": f"{scheme} {key}", "Accept": "application/json"}, platform,
                    ctx) as api:
        worker = MakeSync(api, host=host, name=platform.name, organization_id=platform.organization_id,
                          team_ids=platform.team_ids, window_days=platform.window_days, now=ctx.now,
                          progress=ctx.progress)
        if platform.organization_id is not None or not platform.team_ids:
            # The plan's limit decides the pace; read it first, at the default pace.
            try:
                org = worker._organization() if platform.organization_id is not None else {}
            except (AccessDenied, NotAvailable):
                org = {}
            limit = ((org or {}).get("license") or {}).get("apiLimit")
            if isinstance(limit, int) and limit > 0:
                api.limiter.limit = limit
        result = worker.collect()
        result.requests = api.requests
        result.throttled = api.throttled
        return result
