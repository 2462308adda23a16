"""n8n: sync from the public API (`/api/v1`, key in `X-N8N-API-KEY`). Endpoints, scopes and shapes:
docs/platforms.md (n8n).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import islice

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
from generator.connectors.n8n.native import native
from generator.connectors.n8n.workflow import PLATFORM, credential_app, normalise, published
from generator.connectors.runs import RunAggregator
from generator.model import (
    AuditFinding,
    Credential,
    Figure,
    Insights,
    NotCollected,
    PlatformFacts,
    PlatformUpdate,
    User,
    WorkflowVersion,
)
from generator.platforms import SPECS
from generator.redact import Redacted, redact_document, redact_text
from generator.store.exports import export_file
from generator.store.spill import Workflows

SPEC = SPECS[PLATFORM]
ERROR_DETAILS_PER_WORKFLOW = 50  # failed runs whose error message is fetched, newest first
HISTORY_PER_WORKFLOW = 50  # newest versions read per sync; older ones stay in the snapshot from earlier syncs
HISTORY_PAGE = 50
INSIGHTS_DAYS = 7  # n8n's default window for /insights/summary, within every licence's history


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
        self.version: str | None = None  # the audit's "Outdated instance" names it; the public API has no endpoint for it
        self.details_refused = 0  # failed runs whose detail the key may not read (execution:read)

    def _optional(self, section: str, scope: str, fetch):
        return optional(self.skipped, section, scope, fetch, spec=SPEC, unavailable="this n8n version does not offer it")

    def _documents(self, path: str, label: str, params: dict | None = None) -> list[Redacted]:
        """Every item of a list, each redacted as the document it is (the one boundary)."""
        return [redact_document(item) for item in self.api.cursor(
            path, params, on_page=self.progress(label, None), hint="is the base URL an n8n instance's address?")]

    def _list(self, path: str, label: str, params: dict | None = None) -> list[dict]:
        return [document.tree for document in self._documents(path, label, params)]

    def collect(self) -> Collected:
        projects = self._optional("projects", "project:list", lambda: {
            str(p["id"]): p for p in self._list("/projects", "projects")}) or {}
        # Read a page at a time and spilled as they come: a large instance is never held in memory.
        workflows, exports, failed = Workflows(), {}, []
        try:
            for raw in self.api.cursor("/workflows", None, on_page=self.progress("workflows", None),
                                       hint="is the base URL an n8n instance's address?"):
                ident = raw.get("id") if isinstance(raw, dict) else None
                try:  # one workflow that cannot be read never stops the others
                    if not isinstance(raw, dict):
                        raise ValueError("not a workflow object")
                    check_document(raw, "its definition")
                    running, draft = published(raw)  # document and export what runs, never a draft
                    document = redact_document(running)  # the one redaction boundary, per workflow
                    workflow = normalise(document, base_url=self.base_url, projects=projects)
                    if draft:
                        workflow = workflow.model_copy(update={"draft": draft})
                    exports[workflow.id] = workflows.spill.put(export_file(native(document)))
                except NORMALISE_ERRORS as exc:
                    failed.append(not_documented(f"n8n:{ident}", raw.get("name") if isinstance(raw, dict) else None,
                                                 exc))
                    continue
                workflows.append(workflow)
        except AccessDenied as exc:
            raise PlatformError(f"{exc}: the key cannot list workflows", exc.status,
                                f"create a key with at least: {', '.join(SPEC.key_scopes)}") from None
        known = {ident for _, ident in workflows.keys()}

        # The instance's credentials only: a node may name one that does not exist (deleted, or from an
        # imported workflow); that is a finding, not a credential. None (not listed): keep the previous.
        credentials = self._optional("credentials", "credential:list", lambda: self._credentials(projects))
        history = self._optional("workflow history", "workflow:read", lambda: self._history(workflows)) or {}
        if history:
            workflows = Workflows((w.model_copy(update={"history": history[w.id]}) if history.get(w.id) else w
                                   for w in workflows), spill=workflows.spill)
        users = self._optional("users", "user:list", self._users)
        tags = self._optional("tags", "tag:list", lambda: sorted(t.get("name", "") for t in self._list("/tags", "tags")))
        variables = self._optional("variables", "variable:list",
                                   lambda: sorted(v.get("key", "") for v in self._list("/variables", "variables")))
        audit, audit_settings = self._optional("security audit", "securityAudit:generate", self._audit) or ([], {})
        aggregator = self._optional("run statistics", "execution:list", lambda: self._executions(known))
        insights, no_insights = self._insights(projects)
        if self.details_refused:
            self.skipped.append(NotCollected(
                section="run errors", reason=f"the key lacks execution:read ({self.details_refused} failed run(s) "
                                             "counted without their error message)"))

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
                              updates=self.updates, version=self.version, not_documented=failed,
                              insights=insights, insights_unavailable=no_insights)
        return Collected(facts=facts, workflows=workflows, credentials=credentials, users=users,
                         runs=aggregator, replace_all=True, exports=exports)

    def _insights(self, projects: dict) -> tuple[list[Insights], str | None]:
        """n8n's own run summary (`GET /insights/summary`, the last 7 days, n8n's default window), for the
        instance and then for each team project where the licence allows; else why there is none, in the
        client's words."""
        try:
            out = [_summary(self.api.get("/insights/summary"), None)]
        except NotAvailable:
            return [], "not available on this plan or version of n8n"
        except AccessDenied as exc:
            if not exc.detail.strip() or "forbidden" in exc.detail.lower():
                self.skipped.append(NotCollected(section="insights", reason="the key lacks insights:read"))
                return [], "not collected: the key lacks insights:read"
            return [], f"not available on this plan or version of n8n ({redact_text(exc.detail.strip())[0]})"
        except (KeyError, TypeError, ValueError):
            return [], "not available: n8n answered in a form this tool does not read"
        for project in sorted((p for p in projects.values() if p.get("type") == "team"), key=lambda p: str(p.get("name"))):
            try:
                out.append(_summary(self.api.get("/insights/summary", {"projectId": project["id"]}),
                                    redact_text(str(project.get("name") or project["id"]))[0]))
            except (AccessDenied, NotAvailable, KeyError, TypeError, ValueError):
                break  # insights by project are licensed apart: the instance's stand alone
        return out, None

    def _credentials(self, projects: dict) -> list[Credential]:
        out = []
        for item in self._list("/credentials", "credentials"):
            shared = item.get("shared") or []
            owning = next((s for s in shared if s.get("role") == "credential:owner"), shared[0] if shared else None)
            owner, personal = None, None
            if owning:
                project = projects.get(str(owning.get("id"))) or owning
                owner = project.get("name")
                if project.get("type") in ("personal", "team"):  # a person's own project, or one the team shares
                    personal = project["type"] == "personal"
                if personal and owner:
                    owner = re.sub(r"\s*<[^>]*>\s*$", "", owner)
            out.append(Credential(
                platform=PLATFORM, id=str(item["id"]), name=str(item.get("name") or item["id"]),
                app=credential_app(str(item.get("type") or "")), type=item.get("type"), owner=owner,
                service_account=None if personal is None else not personal,
                shared_with=sorted(s.get("name") or str(s.get("id")) for s in shared if s is not owning),
                created=parse_time(item.get("createdAt")), updated=parse_time(item.get("updatedAt")),
            ))
        return out

    def _history(self, workflows: Workflows) -> dict[str, list[WorkflowVersion]]:
        """The newest saved versions of each workflow, with their authors (n8n 2.x)."""
        out: dict[str, list[WorkflowVersion]] = {}
        advance = self.progress("workflow history", len(workflows))
        for _, ident in workflows.keys():
            try:
                items = list(islice(self.api.cursor(f"/workflows/{ident}/history", {"limit": HISTORY_PAGE}),
                                    HISTORY_PER_WORKFLOW))
            except NotAvailable:
                if not out:
                    raise  # this n8n has no history API
                continue  # deleted since the listing
            out[ident] = [WorkflowVersion(
                version=str(item.get("versionId"))[:8], saved=parse_time(item.get("createdAt")),
                authors=redact_text(str(item.get("authors") or ""))[0] or None) for item in items
                if isinstance(item, dict) and item.get("versionId")]
            advance(1)
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
                current = re.search(r"Currently at version ([0-9][\w.+-]*[0-9a-z])", str(section.get("description") or ""))
                if current and section.get("nextVersions") is not None:
                    self.version = current.group(1)
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
        except AccessDenied:
            self.details_refused += 1  # execution:read missing: counted, message unknown, said so
            return
        except NotAvailable:
            return  # pruned since the listing: counted, message unknown
        data = (detail or {}).get("data") or {}
        result = redact_document({"resultData": {k: v for k, v in (data.get("resultData") or {}).items()
                                                 if k != "runData"}}).tree["resultData"]  # run data: never read
        error = result.get("error") or {}
        message = error.get("message") or error.get("description") or "(no message recorded)"
        node = (error.get("node") or {}).get("name") or result.get("lastNodeExecuted")
        runs.add_error(f"n8n:{workflow_id}", str(message), node, parse_time(detail.get("stoppedAt")))


def _summary(body: dict, project: str | None) -> Insights:
    """One answer of `GET /insights/summary`: `{total, failed, failureRate, timeSaved, averageRunTime}`, each
    `{value, deviation, unit}` (deviation: the change from the period before, null without one)."""
    def figure(key: str) -> Figure:
        item = body[key]
        change = item.get("deviation")
        return Figure(value=round(float(item["value"]), 4),
                      change=None if change is None else round(float(change), 4))
    return Insights(project=project, days=INSIGHTS_DAYS, runs=figure("total"), failed=figure("failed"),
                    failure_rate=figure("failureRate"), time_saved_minutes=figure("timeSaved"),
                    average_run_ms=figure("averageRunTime"))


def sync(platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
    base = platform.base_url.rstrip("/")
    with api_client(SPEC, base + "/api/v1", {"X-N8N-API-KEY": key, "Accept": "application/json"}, platform,
                    ctx) as api:
        result = N8nSync(api, base_url=base, name=platform.name, window_days=platform.window_days, now=ctx.now,
                         progress=ctx.progress).collect()
        result.requests = api.requests
        return result
