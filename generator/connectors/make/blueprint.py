"""Make: one scenario blueprint (as the API returns it or the editor exports it) into the normalised
`Workflow`, and the native export Make imports back.

Sync and import share `normalise()`. Routers, if-else branches and error-handler routes are walked
at any depth. Module mappers and parameters are read for structure, scanned for secrets and
dropped. The shapes: docs/platforms.md (Make).
"""


from __future__ import annotations

import re

from generator.connectors.base import parse_time
from generator.model import (
    Access,
    Address,
    Credential,
    Edge,
    Platform,
    RunDataSaving,
    Schedule,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    TriggerKind,
    Webhook,
    Workflow,
    WorkflowSettings,
)
from generator.redact import Redacted, address_fingerprints, field_names, render_path

PLATFORM = Platform.make
# Keys inside `parameters` that bind a connection, key or other resource by id (make-blueprints).
_CONNECTION_KEYS = ("__IMTCONN__", "__IMTKEY__", "apiKeyKeychain", "basicAuthKeychain", "oAuthAccount",
                    "proxyKeychain")
_DIRECTIVES = {"builtin:Ignore": "ignore", "builtin:Resume": "resume", "builtin:Break": "break",
               "builtin:Rollback": "rollback", "builtin:Commit": "commit"}
_READ_OPS = re.compile(r"^(get|list|search|watch|read|retrieve|download|find|fetch|export|check)", re.I)
_APPS = {"http": "HTTP", "json": "JSON", "xml": "XML", "csv": "CSV", "gateway": "Webhooks", "builtin": "Flow Control",
         "util": "Tools", "regexp": "Text parser", "datastore": "Data store", "google-sheets": "Google Sheets",
         "openai-gpt-3": "OpenAI", "hubspotcrm": "HubSpot CRM", "email": "Email", "slack": "Slack"}
_KINDS = {"builtin:BasicRouter": StepKind.router, "builtin:BasicIfElse": StepKind.condition,
          "builtin:BasicMerge": StepKind.transform, "builtin:BasicFeeder": StepKind.transform,
          "builtin:BasicAggregator": StepKind.transform, "builtin:BasicRepeater": StepKind.transform,
          "util:SetVariable2": StepKind.transform, "util:SetVariables": StepKind.transform,
          "util:FunctionSleep": StepKind.wait, "gateway:WebhookRespond": StepKind.action}


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
        self.step_of: dict[int, str] = {}  # id() of a module dict → its step id
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
        self.step_of[id(module)] = step_id
        parameters = module.get("parameters") if isinstance(module.get("parameters"), dict) else {}
        mapper = module.get("mapper") if isinstance(module.get("mapper"), dict) else {}
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
        step_name = label or f"{app_name(name)} — {operation or operation_name(name)}"
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


def _wrapping(document: dict) -> tuple[str, ...]:
    """The keys `unwrap` goes through: (), ('blueprint',) or ('response', 'blueprint')."""
    path: tuple[str, ...] = ()
    if isinstance(document.get("response"), dict):
        path, document = ("response",), document["response"]
    return path + ("blueprint",) if isinstance(document.get("blueprint"), dict) else path


def secret_refs(document: Redacted, step_of: dict[int, str], scenario: Redacted | None) -> list[SecretRef]:
    """Findings by step and field: a finding inside a module (also in routes, branches, error
    handlers) belongs to the innermost module around it; the rest to the scenario."""
    refs = set()
    prefix = _wrapping(document.tree)
    for finding in document.findings:
        if finding.path[:len(prefix)] != prefix:
            refs.add((None, render_path(finding.path), finding.kind, finding.fingerprint))
            continue
        path = finding.path[len(prefix):]
        node, step, rest = unwrap(document.tree), None, path
        for depth, part in enumerate(path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict) and id(node) in step_of:
                step, rest = step_of[id(node)], path[depth + 1:]
        refs.add((step, render_path(rest), finding.kind, finding.fingerprint))
    for finding in scenario.findings if scenario else []:
        refs.add((None, render_path(finding.path), finding.kind, finding.fingerprint))
    return [SecretRef(step=step, field=where, kind=kind, fingerprint=fp)
            for step, where, kind, fp in sorted(refs, key=lambda r: (r[0] or "", *r[1:]))]


def normalise(document: Redacted, *, scenario: Redacted | None = None, hooks: dict[int, dict] | None = None,
              teams: dict[int, str] | None = None, host: str | None = None, fallback_id: str | None = None,
              timezone: str | None = None) -> Workflow:
    """One blueprint (any of its wrappings), with the scenario's API record when there is one; both
    already redacted by `redact_document`, their findings become the workflow's `secrets`."""
    if not isinstance(document, Redacted) or not isinstance(scenario, (Redacted, type(None))):
        raise TypeError("normalise() takes redact_document(raw): nothing reads a raw blueprint")
    redacted, scenario_document = document, scenario
    document = redacted.tree if isinstance(redacted.tree, dict) else {}
    blueprint = unwrap(document)
    if not isinstance(blueprint.get("flow"), list):
        raise ValueError("'flow' is missing or not a list; is this a Make blueprint export?")
    scenario = scenario_document.tree if scenario_document else {}
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
    name = str(scenario.get("name") or blueprint.get("name") or ident)
    description = scenario.get("description") or ""
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
        secrets=secret_refs(redacted, walker.step_of, scenario_document),
    )


def native(document: Redacted) -> dict:
    """The blueprint as Make's *Import blueprint* takes it (name, flow, metadata), from the redacted
    tree: the same markers as the snapshot. Connections stay bound by id: Make asks for each one on import."""
    if not isinstance(document, Redacted):
        raise TypeError("native() takes redact_document(raw): nothing reads a raw blueprint")
    blueprint = unwrap(document.tree)
    return {"name": blueprint.get("name") or "Untitled", "flow": blueprint.get("flow") or [],
            "metadata": blueprint.get("metadata") or {"version": 1}}


def credentials_from_workflows(workflows: list[Workflow], raws: list[dict]) -> list[Credential]:
    """Connections known only by the ids the blueprints bind (import, or no connections:read); the
    normalised steps hold all there is, so `raws` (the blueprints) are not read."""
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


