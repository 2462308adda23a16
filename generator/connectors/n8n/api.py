"""n8n: sync from the public API (`/api/v1`, key in `X-N8N-API-KEY`). Endpoints, scopes and shapes:
docs/platforms.md (n8n).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Progress, SyncContext, api_client, optional, parse_time
from generator.connectors.http import AccessDenied, ApiClient, NotAvailable, PlatformError
from generator.connectors.n8n.native import native
from generator.connectors.n8n.workflow import PLATFORM, credential_app, credentials_from_workflows, normalise
from generator.connectors.runs import RunAggregator
from generator.model import (
    AuditFinding,
    Credential,
    NotCollected,
    PlatformFacts,
    PlatformUpdate,
    User,
)
from generator.platforms import SPECS
from generator.redact import Redacted, redact_document

SPEC = SPECS[PLATFORM]
ERROR_DETAILS_PER_WORKFLOW = 50  # failed runs whose error message is fetched, newest first


def _status(value) -> str:
    return {"success": "success", "error": "failed", "crashed": "failed", "failed": "failed",
            "canceled": "cancelled", "cancelled": "cancelled", "running": "running", "new": "running",
            "waiting": "running"}.get(str(value), "unknown")


class N8nSync:
    """Reads one n8n instance. Optional sections the key may not reach are skipped and recorded."""

    def __init__(self, api: ApiClient, *, base_url: str, name: str, window_days: int, now: datetime,
                 progress: Progress):
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.window_days = window_days
        self.now = now
        self.progress = progress
        self.skipped: list[NotCollected] = []
        self.updates: list[PlatformUpdate] = []

    def _optional(self, section: str, scope: str, fetch):
        return optional(self.skipped, section, scope, fetch, spec=SPEC, unavailable="this n8n version does not offer it")

    def _documents(self, path: str, label: str, params: dict | None = None) -> list[Redacted]:
        """Every item of a list, each redacted as the document it is (the one boundary)."""
        return [redact_document(item) for item in self.api.cursor(
            path, params, on_page=self.progress(label, None), hint="is the base URL an n8n instance's address?")]

    def _list(self, path: str, label: str, params: dict | None = None) -> list[dict]:
        return [document.tree for document in self._documents(path, label, params)]

    def collect(self) -> Collected:
        try:
            raws = self._documents("/workflows", "workflows")
        except AccessDenied as exc:
            raise PlatformError(f"{exc}: the key cannot list workflows", exc.status,
                                f"create a key with at least: {', '.join(SPEC.key_scopes)}") from None
        projects = self._optional("projects", "project:list", lambda: {
            str(p["id"]): p for p in self._list("/projects", "projects")}) or {}
        workflows = [normalise(raw, base_url=self.base_url, projects=projects) for raw in raws]
        exports = {w.id: native(raw) for w, raw in zip(workflows, raws, strict=True)}
        known = {w.id for w in workflows}

        listed = self._optional("credentials", "credential:list", lambda: self._credentials(projects)) or []
        # Credentials the list did not show (no credential:list, or shared from elsewhere) are still
        # known by the node references of the workflows that use them.
        ids = {c.id for c in listed}
        credentials = listed + [c for c in credentials_from_workflows(workflows, [r.tree for r in raws])
                                if c.id not in ids]
        del raws
        users = self._optional("users", "user:list", self._users) or []
        tags = self._optional("tags", "tag:list", lambda: sorted(t.get("name", "") for t in self._list("/tags", "tags")))
        variables = self._optional("variables", "variable:list",
                                   lambda: sorted(v.get("key", "") for v in self._list("/variables", "variables")))
        audit, audit_settings = self._optional("security audit", "securityAudit:generate", self._audit) or ([], {})
        aggregator = self._optional("run statistics", "execution:list", lambda: self._executions(known))

        settings: dict[str, str | int | bool] = {"workflows": len(workflows),
                                                 "active workflows": sum(w.active for w in workflows)}
        if projects:
            settings["projects"] = ", ".join(sorted(p.get("name", "") for p in projects.values()
                                                    if p.get("type") != "personal")) or "personal only"
        if tags is not None:
            settings["tags"] = ", ".join(t for t in tags if t) or "none"
        if variables is not None:  # names only: values can be secrets and are never stored
            settings["variables (names)"] = ", ".join(v for v in variables if v) or "none"
        settings.update(audit_settings)
        facts = PlatformFacts(platform=PLATFORM, name=self.name, url=self.base_url, synced=self.now, source="api",
                              settings=settings, audit=audit, not_collected=self.skipped, key_scopes=list(SPEC.key_scopes),
                              updates=self.updates)
        return Collected(facts=facts, workflows=workflows, credentials=credentials, users=users,
                         runs=aggregator, replace_all=True, exports=exports)

    def _credentials(self, projects: dict) -> list[Credential]:
        out = []
        for item in self._list("/credentials", "credentials"):
            shared = item.get("shared") or []
            owning = next((s for s in shared if s.get("role") == "credential:owner"), shared[0] if shared else None)
            owner = None
            if owning:
                project = projects.get(str(owning.get("id"))) or owning
                owner = project.get("name")
                if project.get("type") == "personal" and owner:
                    owner = re.sub(r"\s*<[^>]*>\s*$", "", owner)
            out.append(Credential(
                platform=PLATFORM, id=str(item["id"]), name=str(item.get("name") or item["id"]),
                app=credential_app(str(item.get("type") or "")), type=item.get("type"), owner=owner,
                shared_with=sorted(s.get("name") or str(s.get("id")) for s in shared if s is not owning),
                created=parse_time(item.get("createdAt")), updated=parse_time(item.get("updatedAt")),
            ))
        return out

    def _users(self) -> list[User]:
        users = []
        for item in self._list("/users", "users", {"includeRole": "true"}):
            name = " ".join(p for p in (item.get("firstName"), item.get("lastName")) if p) or item.get("email") or "?"
            role = str(item.get("role") or "member").removeprefix("global:")
            users.append(User(platform=PLATFORM, name=name, email=item.get("email"),
                              role=role + (" (invitation pending)" if item.get("isPending") else "")))
        return users

    def _audit(self) -> tuple[list[AuditFinding], dict]:
        report = redact_document(self.api.post("/audit", {"additionalOptions": {"categories": []}})).tree
        findings, settings = [], {}
        if not isinstance(report, dict):  # [] when the instance has no risk at all
            return findings, settings
        for report_name, body in sorted(report.items()):
            for section in (body or {}).get("sections") or []:
                for version in section.get("nextVersions") or []:  # "Outdated instance"
                    if isinstance(version, dict) and version.get("name"):
                        self.updates.append(PlatformUpdate(
                            version=str(version["name"]), released=parse_time(version.get("createdAt")),
                            security_fix=bool(version.get("hasSecurityFix") or version.get("hasSecurityIssue")),
                            breaking_change=bool(version.get("hasBreakingChange")),
                            description=str(version.get("description") or "")[:300] or None))
                if section.get("settings"):
                    for group, values in sorted(section["settings"].items()):
                        for key, value in sorted((values or {}).items()):
                            if isinstance(value, (str, int, bool)):
                                settings[f"{group}.{key}"] = value
                    continue
                findings.append(AuditFinding(
                    section=report_name, title=str(section.get("title", "")),
                    description=section.get("description"), recommendation=section.get("recommendation"),
                    locations=len(section.get("location") or section.get("nextVersions") or []) or None))
        return findings, settings

    def _executions(self, known: set[str]) -> RunAggregator:
        """Every execution in the window, newest first, aggregated page by page; then the error of the
        newest failed runs of each workflow."""
        start = self.now - timedelta(days=self.window_days)
        runs = RunAggregator(start, self.now)
        failed: dict[str, list[str]] = {}
        seen_old = 0
        for item in self.api.cursor("/executions", {"includeData": "false"}, on_page=self.progress("executions", None),
                                    hint="is the base URL an n8n instance's address?"):
            started = parse_time(item.get("startedAt"))
            if started is not None and started < start:
                seen_old += 1
                if seen_old >= 250:  # a page's worth before the window in a row: newest first, so we are done
                    break
                continue
            seen_old = 0
            workflow_id = str(item.get("workflowId"))
            if workflow_id not in known:
                continue
            status = _status(item.get("status"))
            runs.add(f"n8n:{workflow_id}", status, started, parse_time(item.get("stoppedAt")))
            if status == "failed":
                ids = failed.setdefault(workflow_id, [])
                if len(ids) < ERROR_DETAILS_PER_WORKFLOW:
                    ids.append(str(item.get("id")))
        advance = self.progress("failed runs", sum(len(v) for v in failed.values()))
        for workflow_id, ids in failed.items():
            for execution_id in ids:
                self._error(runs, workflow_id, execution_id)
                advance(1)
        return runs

    def _error(self, runs: RunAggregator, workflow_id: str, execution_id: str) -> None:
        try:
            detail = self.api.get(f"/executions/{execution_id}", {"includeData": "true"})
        except (AccessDenied, NotAvailable):
            return  # execution:read missing, or pruned since the listing: counted, message unknown
        data = (detail or {}).get("data") or {}
        result = redact_document({"resultData": {k: v for k, v in (data.get("resultData") or {}).items()
                                                 if k != "runData"}}).tree["resultData"]  # run data: never read
        error = result.get("error") or {}
        message = error.get("message") or error.get("description") or "(no message recorded)"
        node = (error.get("node") or {}).get("name") or result.get("lastNodeExecuted")
        runs.add_error(f"n8n:{workflow_id}", str(message), node, parse_time(detail.get("stoppedAt")))


def sync(platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
    base = platform.base_url.rstrip("/")
    with api_client(SPEC, base + "/api/v1", {"X-N8N-API-KEY": key, "Accept": "application/json"}, platform,
                    ctx) as api:
        result = N8nSync(api, base_url=base, name=platform.name, window_days=platform.window_days, now=ctx.now,
                         progress=ctx.progress).collect()
        result.requests = api.requests
        return result
