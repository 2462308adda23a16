"""Make (make.com): the API v2 (`Authorization: Token …`) and exported blueprints.

`normalise()` turns a scenario blueprint (as the API returns it or the editor exports it) into the
normalised `Workflow`; sync and import share it. Routers, if-else branches and error-handler routes
are walked at any depth. Module mappers and parameters are read for structure, scanned for secrets
and dropped. Requests are paced under the organisation's per-minute limit; independent resources are
fetched concurrently within it. API facts: ../shared/reference/platform-apis.md §2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from generator.connectors import Collected, SyncProblem, optional, parse_time
from generator.connectors.http import AccessDenied, ApiClient, NotAvailable, PlatformError, RateLimiter, RetryPolicy
from generator.connectors.runs import RunAggregator
from generator.model import (
    Access,
    Address,
    Credential,
    Edge,
    NotCollected,
    Platform,
    PlatformFacts,
    RunDataSaving,
    Schedule,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    TriggerKind,
    User,
    Webhook,
    Workflow,
    WorkflowSettings,
)
from generator.redact import address_fingerprints, field_names, redact_text, redact_tree, scan_tree

PLATFORM = Platform.make
ZONES = {"eu1": "eu1.make.com", "eu2": "eu2.make.com", "us1": "us1.make.com", "us2": "us2.make.com",
         "eu1-celonis": "eu1.make.celonis.com", "us1-celonis": "us1.make.celonis.com"}
KEY_SCOPES = ["user:read", "organizations:read", "teams:read", "scenarios:read", "connections:read",
              "hooks:read", "datastores:read", "dlqs:read"]
PAGE = 100
LOG_PAGE = 100
ERROR_DETAILS_PER_SCENARIO = 5  # each costs a request under the per-minute limit
WORKERS = 4
DEFAULT_LIMIT = 60  # requests per minute when the organisation's plan limit cannot be read

# Keys inside `parameters` that bind a connection, key or other resource by id (make-blueprints).
_CONNECTION_KEYS = ("__IMTCONN__", "__IMTKEY__", "apiKeyKeychain", "basicAuthKeychain", "oAuthAccount",
                    "proxyKeychain")
_DIRECTIVES = {"builtin:Ignore": "ignore", "builtin:Resume": "resume", "builtin:Break": "break",
               "builtin:Rollback": "rollback", "builtin:Commit": "commit"}
_READ_OPS = re.compile(r"^(get|list|search|watch|read|retrieve|download|find|fetch|export|check)", re.I)
_CODE_KEYS = frozenset({"data", "body", "json", "code", "query", "text", "content", "value", "qs"})
_APPS = {"http": "HTTP", "json": "JSON", "xml": "XML", "csv": "CSV", "gateway": "Webhooks", "builtin": "Flow Control",
         "util": "Tools", "regexp": "Text parser", "datastore": "Data store", "google-sheets": "Google Sheets",
         "openai-gpt-3": "OpenAI", "hubspotcrm": "HubSpot CRM", "email": "Email", "slack": "Slack"}
_KINDS = {"builtin:BasicRouter": StepKind.router, "builtin:BasicIfElse": StepKind.condition,
          "builtin:BasicMerge": StepKind.transform, "builtin:BasicFeeder": StepKind.transform,
          "builtin:BasicAggregator": StepKind.transform, "builtin:BasicRepeater": StepKind.transform,
          "util:SetVariable2": StepKind.transform, "util:SetVariables": StepKind.transform,
          "util:FunctionSleep": StepKind.wait, "gateway:WebhookRespond": StepKind.action}
_STATUS = {0: "running", 1: "success", 2: "success", 3: "failed"}  # 2 = success with warnings


def app_name(module: str) -> str:
    app = module.split(":", 1)[0].removeprefix("app#")
    return _APPS.get(app) or " ".join(w.capitalize() for w in re.split(r"[-_]+", app) if w) or module


def operation_name(module: str) -> str:
    """`google-sheets:addRow` → 'add row'; Integromat-era `ActionSendData` → 'send data'."""
    action = module.split(":", 1)[1] if ":" in module else module
    action = re.sub(r"^Action(?=[A-Z])|\d+$", "", action)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_-]+", " ", action).split()
    return " ".join(w.lower() for w in words) or action


def _kind(module: str, first: bool) -> StepKind:
    if module in _KINDS:
        return _KINDS[module]
    if module in _DIRECTIVES:
        return StepKind.error_handler
    app, _, action = module.partition(":")
    if module.startswith("gateway:Custom") or (first and action.lower().startswith("watch")):
        return StepKind.trigger
    if app == "http":
        return StepKind.http
    if app in ("json", "xml", "csv", "util", "regexp", "text", "math", "array", "date"):
        return StepKind.transform
    if app in ("scenario-service", "subscenarios"):
        return StepKind.sub_workflow
    if app.startswith(("openai", "anthropic", "gemini", "mistral", "make-ai")):
        return StepKind.ai
    return StepKind.action


def _interval_words(seconds: int) -> tuple[str, int]:
    minutes = max(1, seconds // 60)
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ("Every day" if days == 1 else f"Every {days} days"), minutes
    if minutes % 60 == 0:
        hours = minutes // 60
        return ("Every hour" if hours == 1 else f"Every {hours} hours"), minutes
    return ("Every minute" if minutes == 1 else f"Every {minutes} minutes"), minutes


def _schedule(scheduling: dict, timezone: str | None) -> Schedule | None:
    kind = scheduling.get("type")
    if kind == "indefinitely":
        words, minutes = _interval_words(int(scheduling.get("interval") or 900))
        return Schedule(description=words, interval_minutes=minutes, timezone=timezone)
    at = scheduling.get("time")
    at_words = f" at {at}" if isinstance(at, str) else ""
    if kind == "daily":
        return Schedule(description="Every day" + at_words, interval_minutes=1440, timezone=timezone)
    if kind == "weekly":
        days = ", ".join(str(d) for d in scheduling.get("days") or [])
        return Schedule(description=f"Every week{' on ' + days if days else ''}{at_words}", interval_minutes=10080,
                        timezone=timezone)
    if kind == "monthly":
        return Schedule(description="Every month" + at_words, interval_minutes=31 * 1440, timezone=timezone)
    if kind == "yearly":
        return Schedule(description="Every year" + at_words, interval_minutes=366 * 1440, timezone=timezone)
    if kind == "once":
        return Schedule(description=f"Once, {scheduling.get('date', '')}".strip(", "), timezone=timezone)
    return None


def mask_hook(url: str | None) -> str:
    if not url:
        return "(webhook address not in the export)"
    host = re.match(r"^([a-z]+://[^/]+)/", url)
    return (host.group(1) if host else "") + "/•••• (masked)"


# --------------------------------------------------------------------------------------------------
# One blueprint


def unwrap(document: dict) -> dict:
    """The blueprint inside the shapes it comes in: bare, `{"blueprint": …}`, or the API's
    `{"code": "OK", "response": {"blueprint": …}}`."""
    if isinstance(document.get("response"), dict):
        document = document["response"]
    if isinstance(document.get("blueprint"), dict):
        document = document["blueprint"]
    return document


class _Walker:
    """Walks `flow[]` with its routes, branches and error handlers into steps and edges."""

    def __init__(self):
        self.steps: list[Step] = []
        self.edges: list[Edge] = []
        self.secrets: list[SecretRef] = []
        self.webhook_ids: list[int] = []
        self.seen: set[str] = set()

    def flow(self, modules: list, first_in_scenario: bool = False) -> tuple[str | None, list[str]]:
        """Steps for a flow; returns (first step id, ids whose output continues after the flow)."""
        first: str | None = None
        tails: list[str] = []
        for index, module in enumerate(m for m in modules or [] if isinstance(m, dict)):
            step_id, exits = self.module(module, first_in_scenario and index == 0)
            label = _filter_label(module)
            for tail in tails:
                self.edges.append(Edge(source=tail, target=step_id, label=label))
            if first is None:
                first = step_id
            tails = exits
        return first, tails

    def module(self, module: dict, first: bool) -> tuple[str, list[str]]:
        name = str(module.get("module") or "unknown:unknown")
        step_id = str(module.get("id", len(self.steps) + 1))
        while step_id in self.seen:
            step_id += "_"
        self.seen.add(step_id)
        parameters = module.get("parameters") if isinstance(module.get("parameters"), dict) else {}
        mapper = module.get("mapper") if isinstance(module.get("mapper"), dict) else {}
        for section, data in (("parameters", {k: v for k, v in parameters.items() if k not in _CONNECTION_KEYS}),
                              ("mapper", mapper)):
            for where, found in scan_tree(data, section, code_keys=_CODE_KEYS):
                self.secrets.append(SecretRef(step=step_id, field=where, kind=found.kind,
                                              fingerprint=found.fingerprint))
        kind = _kind(name, first)
        operation = None if kind in (StepKind.router, StepKind.condition) else operation_name(name)
        if kind == StepKind.http:
            operation = str(mapper.get("method") or "get").upper()
        access = None
        if kind == StepKind.trigger:
            access = Access.read if operation and operation.startswith("watch") else None
        elif kind in (StepKind.action, StepKind.http, StepKind.ai) and operation:
            access = Access.read if (_READ_OPS.match(operation.replace(" ", "")) or operation in ("GET", "HEAD")) \
                else Access.write
            if kind == StepKind.action and access == Access.read:
                kind = StepKind.search
        connection = next((parameters.get(k) for k in _CONNECTION_KEYS if parameters.get(k) not in (None, "")), None)
        if connection is None and isinstance(parameters.get("account"), int):  # older modules bind `account`
            connection = parameters["account"]
        credential = None
        if connection is not None:
            prefix = "" if {"__IMTCONN__", "oAuthAccount", "account"} & parameters.keys() else "key-"
            credential = f"make:{prefix}{connection}"
        target = None
        url = mapper.get("url")
        if kind == StepKind.http and isinstance(url, str) and url and "{{" not in url:
            url_fp, path_fp = address_fingerprints(url)
            target = Address(url=url_fp, path=path_fp)
        if name.startswith("gateway:Custom") and parameters.get("hook") is not None:
            self.webhook_ids.append(parameters["hook"])
        designer = ((module.get("metadata") or {}).get("designer") or {}) if isinstance(module.get("metadata"), dict) else {}
        label = designer.get("name") if isinstance(designer.get("name"), str) else None
        step_name, found = redact_text(label or f"{app_name(name)} — {operation or operation_name(name)}")
        self.secrets += [SecretRef(step=step_id, field="metadata.designer.name", kind=f.kind,
                                   fingerprint=f.fingerprint) for f in found]
        self.steps.append(Step(
            id=step_id, name=step_name, app=app_name(name), operation=operation, kind=kind, access=access,
            credential=credential, version=str(module["version"]) if module.get("version") is not None else None,
            target=target, error_mode=_DIRECTIVES.get(name), data_fields=field_names(mapper),
        ))
        exits = [step_id]
        if isinstance(module.get("routes"), list):  # router: each route starts from it
            exits = []
            for number, route in enumerate(module["routes"], 1):
                start, tails = self.flow((route or {}).get("flow") or [])
                if start:
                    first_module = ((route or {}).get("flow") or [{}])[0]
                    self.edges.append(Edge(source=step_id, target=start,
                                           label=_filter_label(first_module) or f"route {number}"))
                exits += tails
        if isinstance(module.get("branches"), list):  # if-else: branches join after it
            exits = []
            for number, branch in enumerate(module["branches"], 1):
                branch = branch or {}
                start, tails = self.flow(branch.get("flow") or [])
                label = branch.get("label") or branch.get("type") or f"branch {number}"
                if start:
                    self.edges.append(Edge(source=step_id, target=start, label=str(label)))
                    exits += tails
                else:
                    exits.append(step_id)
        if isinstance(module.get("onerror"), list) and module["onerror"]:
            start, _ = self.flow(module["onerror"])
            if start:
                self.edges.append(Edge(source=step_id, target=start, label="error", error=True))
                handler = self.steps[-1] if self.steps[-1].error_mode else None
                directive = handler.error_mode if handler else "handled"
                self.steps = [s.model_copy(update={"error_mode": s.error_mode or directive}) if s.id == step_id
                              else s for s in self.steps]
        return step_id, exits


def _filter_label(module) -> str | None:
    if isinstance(module, dict) and isinstance(module.get("filter"), dict):
        name = module["filter"].get("name")
        return str(name) if name else "filter"
    return None


def normalise(document: dict, *, scenario: dict | None = None, hooks: dict[int, dict] | None = None,
              teams: dict[int, str] | None = None, host: str | None = None, fallback_id: str | None = None,
              timezone: str | None = None) -> Workflow:
    """One blueprint (any of its wrappings), with the scenario's API record when there is one."""
    blueprint = unwrap(document)
    if not isinstance(blueprint.get("flow"), list):
        raise ValueError("'flow' is missing or not a list; is this a Make blueprint export?")
    scenario = scenario or {}
    hooks = hooks or {}
    walker = _Walker()
    walker.flow(blueprint["flow"], first_in_scenario=True)
    meta = (blueprint.get("metadata") or {}) if isinstance(blueprint.get("metadata"), dict) else {}
    settings = meta.get("scenario") if isinstance(meta.get("scenario"), dict) else {}
    # The API's envelope carries scheduling and dates beside the blueprint.
    envelope = document.get("response") if isinstance(document.get("response"), dict) else document
    scheduling = scenario.get("scheduling") or envelope.get("scheduling") or {}

    first = walker.steps[0] if walker.steps else None
    trigger: Trigger
    if walker.webhook_ids or (first and first.app == "Webhooks" and first.kind == StepKind.trigger):
        hook = hooks.get(int(walker.webhook_ids[0])) if walker.webhook_ids and str(walker.webhook_ids[0]).isdigit() else None
        url = (hook or {}).get("url")
        address = None
        if url:
            url_fp, path_fp = address_fingerprints(url)
            address = Address(url=url_fp, path=path_fp)
        trigger = Trigger(kind=TriggerKind.webhook, app="Webhooks", webhook=Webhook(
            path=mask_hook(url), method="POST", address=address))
    elif scheduling.get("type") == "on-demand":
        trigger = Trigger(kind=TriggerKind.manual)
    elif first and first.kind == StepKind.trigger:
        interval = scheduling.get("interval") if scheduling.get("type") == "indefinitely" else None
        trigger = Trigger(kind=TriggerKind.app_event, app=first.app, event=first.operation,
                          polling_minutes=max(1, int(interval) // 60) if interval else None)
    elif _schedule(scheduling, timezone):
        trigger = Trigger(kind=TriggerKind.schedule, schedule=_schedule(scheduling, timezone))
    else:
        trigger = Trigger(kind=TriggerKind.manual)

    ident = str(scenario.get("id") or fallback_id or re.sub(r"[^a-z0-9]+", "-", str(blueprint.get("name") or
                                                                                   "scenario").lower()).strip("-"))
    name, found = redact_text(str(scenario.get("name") or blueprint.get("name") or ident))
    walker.secrets += [SecretRef(field="name", kind=f.kind, fingerprint=f.fingerprint) for f in found]
    description, found = redact_text(scenario.get("description") or "")
    walker.secrets += [SecretRef(field="description", kind=f.kind, fingerprint=f.fingerprint) for f in found]
    team = (teams or {}).get(scenario.get("teamId")) if scenario.get("teamId") is not None else None
    owner = (scenario.get("createdByUser") or {}).get("name") if isinstance(scenario.get("createdByUser"), dict) else None
    return Workflow(
        platform=PLATFORM, id=ident, name=name, description=description or None,
        active=bool(scenario.get("isActive", scenario.get("islinked", False))),
        folder=team, owner=owner,
        created=parse_time(scenario.get("created") or envelope.get("created")),
        updated=parse_time(scenario.get("lastEdit") or envelope.get("last_edit")),
        source_url=f"https://{host}/{scenario['teamId']}/scenarios/{ident}/edit"
        if host and scenario.get("teamId") is not None and scenario.get("id") else None,
        trigger=trigger, steps=walker.steps, edges=walker.edges,
        settings=WorkflowSettings(
            sequential=settings.get("sequential") if isinstance(settings.get("sequential"), bool) else None,
            max_errors=settings.get("maxErrors") if isinstance(settings.get("maxErrors"), int) else None,
            store_incomplete=settings["dlq"] if isinstance(settings.get("dlq"), bool) else None,
            allow_data_loss=settings["dataloss"] if isinstance(settings.get("dataloss"), bool) else None,
            timezone=timezone,
            run_data=RunDataSaving(confidential=settings["confidential"])
            if isinstance(settings.get("confidential"), bool) else None,
        ),
        secrets=sorted(walker.secrets, key=lambda s: (s.step or "", s.field, s.kind, s.fingerprint)),
    )


def native(document: dict) -> dict:
    """The blueprint as Make's *Import blueprint* takes it (name, flow, metadata), secrets as markers.
    Connections stay bound by id: Make asks for each one on import."""
    blueprint = unwrap(document)
    exported = {"name": blueprint.get("name") or "Untitled", "flow": blueprint.get("flow") or [],
                "metadata": blueprint.get("metadata") or {"version": 1}}
    return redact_tree(exported, code_keys=_CODE_KEYS)


def credentials_from_workflows(workflows: list[Workflow]) -> list[Credential]:
    """Connections known only by the ids the blueprints bind (import, or no connections:read)."""
    found: dict[str, Credential] = {}
    for workflow in workflows:
        for step in workflow.steps:
            if step.credential and step.credential not in found:
                ident = step.credential.split(":", 1)[1]
                keychain = ident.startswith("key-")
                found[step.credential] = Credential(
                    platform=PLATFORM, id=ident, app=step.app,
                    name=f"{'Keychain key' if keychain else 'Connection'} {ident.removeprefix('key-')} ({step.app})")
    return list(found.values())


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
                 window_days: int, now: datetime, progress: Callable | None = None):
        self.api = api
        self.host = host
        self.name = name
        self.organization_id = organization_id
        self.team_ids = list(team_ids)
        self.window_days = window_days
        self.now = now
        self.progress = progress or (lambda label, total: (lambda n: None))
        self.skipped: list[NotCollected] = []
        self.granted: set[str] | None = None
        self._organization_record: dict | None = None

    def _optional(self, section: str, scope: str, fetch, default=None):
        if self.granted is not None and scope not in self.granted:
            self.skipped.append(NotCollected(section=section, reason=f"the token lacks {scope}"))
            return default
        return optional(self.skipped, section, scope, fetch, platform="Make", credential="token",
                        generic=("denied",), default=default)

    def _pages(self, path: str, key: str, params: dict, label: str, max_pages: int = 10_000) -> list[dict]:
        """Every item of an offset-paged list (`pg[offset]`, `pg[limit]`); a short page ends it."""
        items: list[dict] = []
        advance = self.progress(label, None)
        previous_first = None
        for page in range(max_pages):
            body = self.api.get(path, dict(params, **{"pg[offset]": page * PAGE, "pg[limit]": PAGE}))
            chunk = body.get(key) if isinstance(body, dict) else None
            if not isinstance(chunk, list):
                raise PlatformError(f"{self.api._where('GET', path)}: unexpected answer (no '{key}' list)")
            if chunk and previous_first is not None and chunk[0] == previous_first:
                raise PlatformError(f"{self.api._where('GET', path)}: the server sent the same page twice", None,
                                    "stopped so the sync cannot loop; sync again or report it to Make")
            previous_first = chunk[0] if chunk else None
            items += chunk
            advance(len(chunk))
            if len(chunk) < PAGE:
                return items
        raise PlatformError(f"{self.api._where('GET', path)}: more than {max_pages} pages", None,
                            "stopped so the sync cannot run forever")

    def collect(self) -> Collected:
        authorization = self._authorization()
        if authorization is not None:
            self.granted = set(authorization)
        organization = self._optional("organisation", "organizations:read", self._organization, {}) or {}
        teams = self._teams(organization)
        if not teams:
            raise SyncProblem("no Make team to read: set organization_id or team_ids in client.yml",
                              "the token needs organizations:read and teams:read to find the teams", input_error=True)
        try:
            scenarios = [s for team in teams for s in self._pages("/scenarios", "scenarios", {"teamId": team},
                                                                      "scenarios")]
        except AccessDenied as exc:
            raise SyncProblem(f"{exc}: the token cannot list scenarios",
                              f"create a token with at least: {', '.join(KEY_SCOPES)}") from None
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

        def one(scenario: dict):
            blueprint = self.api.get(f"/scenarios/{scenario['id']}/blueprint")
            workflow = normalise(blueprint, scenario=scenario, hooks=hooks, teams=team_names, host=self.host,
                                 timezone=timezone)
            logs, errors = self._logs(scenario, start) if read_logs else ([], [])
            return workflow, native(blueprint), logs, errors

        workflows: list[Workflow] = []
        exports: dict[str, dict] = {}
        incomplete: dict[str, int] = {}
        with ThreadPoolExecutor(WORKERS) as pool:
            for scenario, (workflow, exported, logs, errors) in zip(scenarios, pool.map(one, scenarios), strict=True):
                workflows.append(workflow)
                exports[workflow.id] = exported
                for status, started, duration, operations, transfer in logs:
                    runs.add(workflow.ref, status, started, started + timedelta(milliseconds=duration), operations,
                             transfer)
                for message, step, when in errors:
                    runs.add_error(workflow.ref, message, step, when)
                if scenario.get("dlqCount"):
                    incomplete[workflow.ref] = int(scenario["dlqCount"])
                advance(1)
        connections = []
        for team in teams:
            connections += self._optional("connections", "connections:read",
                                          lambda t=team: self._connections(t), []) or []
        known = {c.ref for c in connections}
        connections += [c for c in credentials_from_workflows(workflows) if c.ref not in known]
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
            settings[f"data store: {redact_text(str(store.get('name')))[0]}"] = (
                f"{store.get('records', 0)} records, {_size(store.get('size'))} of {_size(store.get('maxSize'))}")
        if incomplete:
            settings["incomplete executions"] = sum(incomplete.values())
        facts = PlatformFacts(platform=PLATFORM, name=self.name, url=f"https://{self.host}", synced=self.now,
                              source="api", settings=settings, not_collected=self.skipped, key_scopes=KEY_SCOPES)
        return Collected(facts=facts, workflows=workflows, credentials=connections, users=users,
                         runs=runs if read_logs else None, replace_all=True, incomplete=incomplete, exports=exports)

    def _authorization(self) -> list[str] | None:
        try:
            body = self.api.get("/users/me/current-authorization")
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
        return (self.api.get(f"/organizations/{org_id}") or {}).get("organization") or {}

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
        params = {"from": int(start.timestamp() * 1000), "to": int(self.now.timestamp() * 1000),
                  "pg[limit]": LOG_PAGE, "pg[sortDir]": "desc"}
        logs, failed, last_seen = [], [], set()
        for _ in range(100_000):
            body = self.api.get(path, params)
            chunk = body.get("scenarioLogs") if isinstance(body, dict) else None
            if not isinstance(chunk, list):
                raise PlatformError(f"{self.api._where('GET', path)}: unexpected answer (no 'scenarioLogs' list)")
            for item in chunk:
                started = parse_time(item.get("timestamp"))
                if started is None or started < start:
                    continue
                status = _STATUS.get(item.get("status"), "unknown")
                logs.append((status, started, int(item.get("duration") or 0), _int(item.get("operations")),
                             _int(item.get("transfer"))))
                if status == "failed" and len(failed) < ERROR_DETAILS_PER_SCENARIO and item.get("id"):
                    failed.append((str(item["id"]), started))
            last = ((body.get("pg") or {}).get("last")) if chunk else None
            if len(chunk) < LOG_PAGE or not last:
                break
            if last in last_seen:
                raise PlatformError(f"{self.api._where('GET', path)}: the server sent a page marker it had sent "
                                    "before", None, "stopped so the sync cannot loop; sync again or report it to Make")
            last_seen.add(last)
            params = dict(params, **{"pg[last]": last})
        errors = []
        for execution_id, started in failed:
            try:
                detail = self.api.get(f"/scenarios/{scenario['id']}/executions/{execution_id}")
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
                detail = (self.api.get(f"/connections/{item['id']}") or {}).get("connection") or item
            metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
            account = metadata.get("value") if metadata.get("type") == "email" else None
            out.append(Credential(
                platform=PLATFORM, id=str(item["id"]), name=redact_text(str(item.get("name") or item["id"]))[0],
                app=str(item.get("accountLabel") or item.get("accountName") or "?"), type=item.get("accountName"),
                scopes=sorted({str(s.get("id")) for s in detail.get("scopes") or [] if isinstance(s, dict)}),
                owner=account, expires=parse_time(item.get("expire")),
            ))
        return out

    def _users(self, teams: dict[int, str]) -> list[User]:
        roles = {int(r["id"]): str(r.get("name") or r["id"])
                 for r in (self.api.get("/users/roles") or {}).get("usersRoles") or [] if "id" in r}
        users: dict[int, dict] = {}
        for team in teams:
            for user in self._pages("/users", "users", {"teamId": team}, "users"):
                users.setdefault(int(user["id"]), user)
            for role in (self.api.get(f"/teams/{team}/user-team-roles") or {}).get("userTeamRoles") or []:
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


def sync(config, *, api_key: str, now: datetime, progress=None, retry=None, timeout: float = 30.0,
         rate_window: float = 60.0) -> Collected:
    api_base, host = base_url(config)
    scheme = "Token" if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", api_key, re.I) \
        else "Bearer"
    retry = retry or RetryPolicy(cooldown_429=rate_window / 4)
    limiter = RateLimiter(DEFAULT_LIMIT, window=rate_window)
    with ApiClient(api_base, {"Authorization": f"{scheme} {api_key}", "Accept": "application/json"}, platform="make",
                   key_env=config.api_key_env, retry=retry, timeout=timeout, limiter=limiter) as api:
        worker = MakeSync(api, host=host, name=config.name, organization_id=config.organization_id,
                          team_ids=config.team_ids, window_days=config.window_days, now=now, progress=progress)
        if config.organization_id is not None or not config.team_ids:
            # The plan's limit decides the pace; read it first, at the default pace.
            try:
                org = worker._organization() if config.organization_id is not None else {}
            except (AccessDenied, NotAvailable):
                org = {}
            limit = ((org or {}).get("license") or {}).get("apiLimit")
            if isinstance(limit, int) and limit > 0:
                limiter.limit = limit
        result = worker.collect()
        result.requests = api.requests
        result.throttled = api.throttled
        return result


# --------------------------------------------------------------------------------------------------
# Import of exported blueprints


def import_documents(documents: list[tuple[str, object]], *, config, now: datetime) -> Collected:
    """Parsed blueprint files (label, JSON) → Collected; `config` is the client's Make platform, if any."""
    name = config.name if config else "Make"
    host = base_url(config)[1] if config and (config.base_url or config.zone) else None
    problems, workflows, exports = [], [], {}
    for label, document in documents:
        if not isinstance(document, dict):
            problems.append(f"{label}: expected a blueprint object (with 'flow')")
            continue
        try:
            workflows.append(normalise(document, host=host))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"{label}: {exc}")
            continue
        exports[workflows[-1].id] = native(document)
    if problems:
        raise SyncProblem("; ".join(problems), "fix or leave out these files and import again", input_error=True)
    facts = PlatformFacts(platform=PLATFORM, name=name, url=f"https://{host}" if host else None, synced=now,
                          source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows),
                     users=None, runs=None, replace_all=False, exports=exports)
