"""n8n: one workflow, as the API lists it or the editor downloads it, into the normalised `Workflow`.

Sync and import share `normalise()`. Only structure and names are kept: node parameters are read
for the trigger, operation, calls and addresses, scanned for secrets, and dropped. The shapes:
docs/platforms.md (n8n).
"""

from __future__ import annotations

import re

from generator.connectors.base import FLAG, NUMBER, SCALAR, TEXT, check_shape, parse_time
from generator.model import (
    Access,
    Address,
    AddressKind,
    Credential,
    Draft,
    Edge,
    Platform,
    PublicAddress,
    RunDataSaving,
    Schedule,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    TriggerKind,
    Webhook,
    WebhookAuth,
    Workflow,
    WorkflowSettings,
)
from generator.redact import Redacted, address_fingerprints, field_names, has_marker, redact_text, render_path

PLATFORM = Platform.n8n

# --------------------------------------------------------------------------------------------------
# Node types → readable names and kinds

_APP_NAMES = {
    "httpRequest": "HTTP Request", "if": "IF", "code": "Code", "function": "Function", "functionItem": "Function Item",
    "set": "Edit Fields", "executeWorkflow": "Execute Workflow", "executeWorkflowTrigger": "Execute Workflow Trigger",
    "errorTrigger": "Error Trigger", "webhook": "Webhook", "respondToWebhook": "Respond to Webhook",
    "splitInBatches": "Loop Over Items", "noOp": "No Operation", "emailSend": "Send Email", "stopAndError":
    "Stop and Error", "openAi": "OpenAI", "lmChatOpenAi": "OpenAI Chat Model", "agent": "AI Agent",
    "github": "GitHub", "hubspot": "HubSpot", "mySql": "MySQL", "microsoftSql": "Microsoft SQL", "postgres":
    "Postgres", "googleSheets": "Google Sheets", "gmail": "Gmail", "n8n": "n8n", "cron": "Cron",
    "scheduleTrigger": "Schedule Trigger", "manualTrigger": "Manual Trigger", "formTrigger": "n8n Form Trigger",
    "chatTrigger": "Chat Trigger", "awsS3": "AWS S3", "ssh": "SSH", "ftp": "FTP", "xml": "XML", "html": "HTML",
    "graphql": "GraphQL", "quickbooks": "QuickBooks", "woocommerce": "WooCommerce", "clickUp": "ClickUp",
    "mongoDb": "MongoDB", "openAiAssistant": "OpenAI Assistant", "toolHttpRequest": "HTTP Request Tool",
    "emailReadImap": "Email (IMAP)",
}
_KINDS = {
    "if": StepKind.condition, "switch": StepKind.router, "filter": StepKind.condition, "code": StepKind.code,
    "function": StepKind.code, "functionItem": StepKind.code, "executeCommand": StepKind.code,
    "httpRequest": StepKind.http, "executeWorkflow": StepKind.sub_workflow, "wait": StepKind.wait,
    "set": StepKind.transform, "merge": StepKind.transform, "splitInBatches": StepKind.transform,
    "itemLists": StepKind.transform, "aggregate": StepKind.transform, "splitOut": StepKind.transform,
    "sort": StepKind.transform, "limit": StepKind.transform, "removeDuplicates": StepKind.transform,
    "dateTime": StepKind.transform, "crypto": StepKind.transform, "xml": StepKind.transform,
    "html": StepKind.transform, "markdown": StepKind.transform, "renameKeys": StepKind.transform,
    "noOp": StepKind.transform, "respondToWebhook": StepKind.transform,  # answers the caller: no app receives data "summarize": StepKind.transform, "compareDatasets": StepKind.condition,
}
# Output labels of nodes with several outputs, by output index.
_OUTPUTS = {"if": ["true", "false"], "filter": ["kept", "discarded"], "splitInBatches": ["done", "loop"],
            "compareDatasets": ["in A only", "same", "different", "in B only"]}
_READ_OPS = re.compile(r"^(get|getAll|getMany|search|list|lookup|read|download|find|fetch|query)", re.I)
_WEBHOOK_AUTH = {"none": WebhookAuth.none, "basicAuth": WebhookAuth.basic, "headerAuth": WebhookAuth.header,
                 "jwtAuth": WebhookAuth.jwt,
                 "n8nUserAuth": WebhookAuth.platform}  # a public chat open to logged-in n8n users only
# Trigger nodes whose type name does not end in "Trigger" (n8n marks triggers by their node group).
_LEGACY_TRIGGERS = {"cron", "interval", "webhook", "start", "emailReadImap"}


def slug(text: str) -> str:
    """An id for something the export gave no id: readable and stable ('Support triage (AI)' →
    'support-triage-ai')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "unnamed"


def split_type(node_type: str) -> tuple[str, str]:
    """`n8n-nodes-base.slack` → ('n8n-nodes-base', 'slack'); community and LangChain packages alike."""
    package, _, name = node_type.rpartition(".")
    return package, name


def humanise(name: str) -> str:
    """`googleSheets` → 'Google Sheets', `jiraSoftwareCloudApi` → 'Jira Software Cloud Api'."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|[_-]+", " ", name).split()
    return " ".join(w if w.isupper() and len(w) > 1 else w[:1].upper() + w[1:] for w in words) or name


def app_name(node_type: str) -> str:
    package, name = split_type(node_type)
    label = _APP_NAMES.get(name) or humanise(name)
    if package not in ("n8n-nodes-base", "@n8n/n8n-nodes-langchain", ""):
        label += f" (community: {package})"
    return label


def credential_app(credential_type: str) -> str:
    """`slackOAuth2Api` → 'Slack', `httpHeaderAuth` → 'HTTP Header Auth'."""
    base = re.sub(r"(OAuth2?Api|OAuth2?|Api)$", "", credential_type) or credential_type
    return _APP_NAMES.get(base) or humanise(base).replace("Http", "HTTP")


def is_trigger(node_type: str) -> bool:
    _, name = split_type(node_type)
    return name.endswith("Trigger") or name in _LEGACY_TRIGGERS


def _is_expression(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


# --------------------------------------------------------------------------------------------------
# Schedules


_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _every(count: int, unit: str) -> str:
    return f"Every {unit}" if count == 1 else f"Every {count} {unit}s"


def expression(value) -> str:
    """An n8n expression (`={{ $json.hour }}`) as shown: its text without the `=`, secrets redacted."""
    text = " ".join(redact_text(str(value)[1:])[0].split())
    return text if len(text) <= 60 else text[:59] + "…"


def _two(value, default: int = 0) -> str:
    """A clock field (hour, minute) as two digits; an expression (which n8n accepts there) as it is."""
    if _is_expression(value):
        return expression(value)
    try:
        return f"{int(value or default):02d}"
    except (TypeError, ValueError):
        return f"{default:02d}"


def _whole(value, default: int = 1) -> int:
    """A count that may be an expression or text: the number, else `default`."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _at(rule: dict) -> str:
    return f" at {_two(rule.get('triggerAtHour'))}:{_two(rule.get('triggerAtMinute'))}"


def schedule_rule(rule: dict) -> tuple[str, str | None, int | None]:
    """One `rule.interval[]` item of the Schedule Trigger → (wording, cron, interval in minutes)."""
    unit = rule.get("field", "days")

    def count(key: str) -> int:
        try:
            return max(1, int(rule.get(key, 1) or 1))
        except (TypeError, ValueError):
            return 1
    if unit == "cronExpression":
        cron = str(rule.get("expression", "")).strip()
        if _is_expression(cron):
            return f"Cron set by the expression {expression(cron)}", None, None
        return f"Cron {cron}", cron or None, None
    if unit == "seconds":
        n = count("secondsInterval")
        return _every(n, "second"), None, 1
    if unit == "minutes":
        n = count("minutesInterval")
        return _every(n, "minute"), None, n
    if unit == "hours":
        n = count("hoursInterval")
        return _every(n, "hour") + f" at :{_two(rule.get('triggerAtMinute'))}", None, n * 60
    if unit == "weeks":
        n = count("weeksInterval")
        days = rule.get("triggerAtDay") or [1]
        names = ", ".join(_DAYS[int(d) % 7] for d in days if str(d).isdigit()) or "Monday"
        return _every(n, "week") + f" on {names}" + _at(rule), None, n * 7 * 1440
    if unit == "months":
        n = count("monthsInterval")
        day = rule.get("triggerAtDayOfMonth", 1)
        return (_every(n, "month") + f" on day {expression(day) if _is_expression(day) else day}" + _at(rule), None,
                n * 31 * 1440)
    n = count("daysInterval")
    return _every(n, "day") + _at(rule), None, n * 1440


def _schedule(node: dict, timezone: str | None) -> Schedule:
    _, name = split_type(node.get("type", ""))
    params = node.get("parameters") or {}
    rules: list[tuple[str, str | None, int | None]] = []
    if name == "scheduleTrigger":
        rules = [schedule_rule(r) for r in ((params.get("rule") or {}).get("interval") or [{}]) if isinstance(r, dict)]
    elif name == "cron":  # the legacy Cron node
        for item in (params.get("triggerTimes") or {}).get("item") or []:
            mode = item.get("mode", "everyDay")
            if mode == "custom":
                rules.append((f"Cron {item.get('cronExpression', '')}", item.get("cronExpression"), None))
            elif mode == "everyMinute":
                rules.append(("Every minute", None, 1))
            elif mode == "everyHour":
                rules.append((f"Every hour at :{_two(item.get('minute'))}", None, 60))
            elif mode == "everyX":
                minutes = max(1, _whole(item.get("value", 1))) * (60 if item.get("unit") == "hours" else 1)
                rules.append((f"Every {item.get('value', 1)} {item.get('unit', 'minutes')}", None, minutes))
            else:
                rules.append(("Every day" + _at({"triggerAtHour": item.get("hour", 0),
                                                 "triggerAtMinute": item.get("minute", 0)}), None, 1440))
    elif name == "interval":
        value = max(1, _whole(params.get("interval", 1) or 1))
        unit = params.get("unit", "seconds")
        minutes = {"seconds": max(1, value // 60), "minutes": value, "hours": value * 60}.get(unit, value)
        rules.append((f"Every {value} {unit}", None, minutes))
    if not rules:
        rules = [("Every day at 00:00", None, 1440)]
    wording = "; ".join(r[0] for r in rules)
    cron = rules[0][1] if len(rules) == 1 else None
    interval = min((r[2] for r in rules if r[2]), default=None)
    return Schedule(description=wording, cron=cron, interval_minutes=interval, timezone=timezone)


# --------------------------------------------------------------------------------------------------
# One workflow


def mask_path(path: str) -> str:
    """A webhook path shown without the part that makes it unguessable."""
    head, _, last = path.strip("/").rpartition("/")
    word = re.match(r"[A-Za-z]+[-_]", last)
    shown = word.group(0) if word and len(last) - len(word.group(0)) >= 8 else ""
    return "/" + (head + "/" if head else "") + shown + "•••• (masked)"


def _webhook_address(base_url: str | None, prefix: str, path: str) -> tuple[str, Address]:
    full = f"{prefix}/{path.strip('/')}"
    url, path_fp = address_fingerprints((base_url.rstrip("/") + full) if base_url else full)
    return mask_path(full), Address(url=url if base_url else None, path=path_fp)


def _addresses(nodes: list[dict], step_of_node: dict[int, str]) -> list[PublicAddress]:
    """The public addresses of a workflow's nodes, as n8n builds them: a Webhook's `/webhook/<path>`
    (`<webhookId>/<path>` for a dynamic path), a Form Trigger's `/form/<path or webhookId>`, a Chat
    Trigger's `/webhook/<webhookId>/chat`, an app trigger's `/webhook/<webhookId>/webhook`; a Wait or Form
    step's resume link is per run (`/webhook-waiting/<run>`). The export keeps path and webhookId."""
    out = []
    for index, node in enumerate(nodes):
        step = step_of_node.get(index)
        if step is None or node.get("disabled"):
            continue
        _, name = split_type(str(node.get("type", "")))
        params = node.get("parameters") or {}
        hook = str(node.get("webhookId") or "")
        path = str(params.get("path") or "").strip("/")
        if name == "webhook" and ":" in path and hook and not has_marker(path):  # dynamic: the id is unguessable
            full, kind, shown = f"{hook}/{path}", AddressKind.webhook, f"/webhook/•••• (masked)/{path}"
        elif name == "webhook":
            full = path or hook
            kind, shown = AddressKind.webhook, mask_path(f"/webhook/{full}")
        elif name == "formTrigger":
            full = path or hook
            kind, shown = AddressKind.form, mask_path(f"/form/{full}")
        elif name == "chatTrigger" and hook:
            full, kind, shown = hook, AddressKind.chat, "/webhook/•••• (masked)/chat"
        elif name == "form" or (name == "wait" and params.get("resume") in ("webhook", "form")) or (
                params.get("operation") == "sendAndWait"):  # a link each waiting run sends out
            waiting = "/form-waiting" if name == "form" or params.get("resume") == "form" else "/webhook-waiting"
            out.append(PublicAddress(step=step, kind=AddressKind.resume, path=f"{waiting}/<run id>", kept=False))
            continue
        elif hook and is_trigger(str(node.get("type", ""))):
            full, kind, shown = hook, AddressKind.app, "/webhook/•••• (masked)/webhook"
        else:
            continue
        if not full or _is_expression(full):
            continue
        out.append(PublicAddress(step=step, kind=kind, path=shown, kept=not has_marker(full)))
    return out


def _trigger(nodes: list[dict], timezone: str | None, base_url: str | None) -> Trigger:
    triggers = [n for n in nodes if is_trigger(n.get("type", "")) and not split_type(n["type"])[1] == "start"]
    enabled = [n for n in triggers if not n.get("disabled")] or triggers
    if not enabled:
        return Trigger(kind=TriggerKind.manual)
    node = enabled[0]
    _, name = split_type(node["type"])
    params = node.get("parameters") or {}
    app = app_name(node["type"])
    if name in ("scheduleTrigger", "cron", "interval"):
        return Trigger(kind=TriggerKind.schedule, app=app, schedule=_schedule(node, timezone))
    if name == "chatTrigger" and params.get("public") is True:  # anyone with its address can start it
        _, address = _webhook_address(base_url, "/webhook", f"{node.get('webhookId') or ''}/chat")
        auth = _WEBHOOK_AUTH.get(params.get("authentication", "none"), WebhookAuth.none)
        return Trigger(kind=TriggerKind.webhook, app=app, webhook=Webhook(
            path="/webhook/•••• (masked)/chat", method="POST", auth=auth, address=address))
    if name in ("webhook", "formTrigger"):
        path = params.get("path") or node.get("webhookId") or ""
        shown, address = _webhook_address(base_url, "/form" if name == "formTrigger" else "/webhook", str(path))
        auth = _WEBHOOK_AUTH.get(params.get("authentication", "none"), WebhookAuth.none)
        return Trigger(kind=TriggerKind.webhook, app=app, webhook=Webhook(
            path=shown, method=_methods(params) if name == "webhook" else "POST", auth=auth, address=address))
    if name == "errorTrigger":
        return Trigger(kind=TriggerKind.error, app=app)
    if name == "manualTrigger":
        return Trigger(kind=TriggerKind.manual, app=app)
    if name == "executeWorkflowTrigger":
        return Trigger(kind=TriggerKind.sub_workflow, app=app)
    events = params.get("events") or params.get("event") or params.get("triggerOn")
    if isinstance(events, list):
        events = ", ".join(str(e) for e in events)
    polling = None
    for item in (params.get("pollTimes") or {}).get("item") or []:
        mode = item.get("mode")
        polling = {"everyMinute": 1, "everyHour": 60}.get(mode) or (
            max(1, _whole(item.get("value", 1))) * (60 if item.get("unit") == "hours" else 1) if mode == "everyX" else 1440)
        break
    return Trigger(kind=TriggerKind.app_event, app=app.removesuffix(" Trigger"),
                   event=str(events) if events and not _is_expression(events) else None, polling_minutes=polling)


def _methods(params: dict) -> str:
    """A Webhook's HTTP method: one, several (v2 `multipleMethods`: a list), or an expression."""
    method = params.get("httpMethod") or "GET"
    if isinstance(method, list):
        return ", ".join(str(m) for m in method) or "GET"
    return expression(method) if _is_expression(method) else str(method)


def _operation(name: str, params: dict) -> str | None:
    if name in ("httpRequest", "toolHttpRequest"):
        return str(params.get("method") or params.get("requestMethod") or "GET")
    operation, resource = params.get("operation"), params.get("resource")
    if not isinstance(operation, str) or _is_expression(operation):
        return None
    words = humanise(operation).lower().replace("get all", "get many")
    return f"{words} {humanise(resource).lower()}" if isinstance(resource, str) and not _is_expression(resource) else words


def _access(name: str, operation: str | None, kind: StepKind) -> Access | None:
    if kind in (StepKind.condition, StepKind.router, StepKind.transform, StepKind.wait, StepKind.trigger):
        return None
    if name in ("httpRequest", "toolHttpRequest"):
        return Access.read if (operation or "GET").upper() in ("GET", "HEAD", "OPTIONS") else Access.write
    if operation is None:
        return None
    return Access.read if _READ_OPS.match(operation.replace(" ", "")) else Access.write


def _resource_id(value) -> str | None:
    """A workflow id from a plain value or a resource locator (`{"__rl": true, "value": …}`)."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, (str, int)) and str(value) and not _is_expression(value):
        return str(value)
    return None


def _error_mode(node: dict) -> str | None:
    if node.get("retryOnFail"):
        return "retry"
    on_error = node.get("onError")
    if on_error in ("continueRegularOutput", "continueErrorOutput") or node.get("continueOnFail"):
        return "continue"
    return None


def _run_data(settings: dict) -> RunDataSaving | None:
    def saved(key: str) -> bool | None:
        value = settings.get(key)
        return {"all": True, "none": False, True: True, False: False}.get(value)  # "DEFAULT" → instance default
    keep = RunDataSaving(successful_runs=saved("saveDataSuccessExecution"), failed_runs=saved("saveDataErrorExecution"),
                         manual_runs=saved("saveManualExecutions"))
    return keep if keep.model_dump(exclude_none=True) else None


def _step_id(node: dict, used: set[str]) -> str:
    ident = str(node.get("id") or slug(str(node.get("name", "step"))))
    while ident in used:  # exports edited by hand can repeat ids; keep steps apart
        ident += "_"
    used.add(ident)
    return ident


# What normalise() reads, by type (connectors.base.check_shape): the rest of a node passes untouched.
SHAPE = {
    "id": SCALAR, "name": TEXT, "description": TEXT, "active": FLAG, "isArchived": FLAG, "versionId": SCALAR,
    "tags": [(str, dict)], "settings": {"timezone": TEXT, "executionTimeout": NUMBER, "errorWorkflow": (str, int, dict)},
    "nodes": [{"id": SCALAR, "name": TEXT, "type": TEXT, "typeVersion": (int, float, str), "disabled": FLAG,
               "notes": TEXT, "parameters": {}, "credentials": {}, "webhookId": SCALAR}],
    "connections": {},
}


def normalise(document: Redacted, *, base_url: str | None = None, projects: dict[str, dict] | None = None,
              fallback_id: str | None = None) -> Workflow:
    """One n8n workflow (API item or export file), already redacted by `redact_document`, → Workflow;
    the findings become its `secrets`, by step and field."""
    if not isinstance(document, Redacted):
        raise TypeError("normalise() takes redact_document(raw): nothing reads a raw workflow")
    raw = document.tree
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), list):
        raise ValueError("'nodes' is missing or not a list; is this an n8n workflow export?")
    check_shape(raw, SHAPE)
    ident = str(raw.get("id") or fallback_id or slug(str(raw.get("name") or "workflow")))
    settings = raw.get("settings") or {}
    timezone = settings.get("timezone") if settings.get("timezone") not in (None, "DEFAULT") else None

    notes: list[str] = []
    nodes = [n for n in raw["nodes"] if isinstance(n, dict) and n.get("type")]
    by_name: dict[str, str] = {}
    step_of: dict[int, str] = {}  # index in raw["nodes"] → step id
    steps: list[Step] = []
    used: set[str] = set()
    for index, node in enumerate(raw["nodes"]):
        if not isinstance(node, dict) or not node.get("type"):
            continue
        package, name = split_type(node["type"])
        params = node.get("parameters") or {}
        if name == "stickyNote":
            content = str(params.get("content") or "")
            if content.strip():
                notes.append(content.strip())
            continue
        step_id = _step_id(node, used)
        step_of[index] = step_id
        by_name[node.get("name", step_id)] = step_id
        kind = StepKind.trigger if is_trigger(node["type"]) else (
            StepKind.ai if package == "@n8n/n8n-nodes-langchain" else _KINDS.get(name, StepKind.action))
        operation = _operation(name, params)
        access = _access(name, operation, kind)
        if kind == StepKind.action and access == Access.read:
            kind = StepKind.search
        refs = credential_refs(node)
        credential = f"n8n:{refs[0][0]}" if refs else None
        calls = None
        if name == "executeWorkflow" and params.get("source", "database") == "database":
            target_id = _resource_id(params.get("workflowId"))
            calls = f"n8n:{target_id}" if target_id else None
        target = None
        url = params.get("url")
        if name in ("httpRequest", "toolHttpRequest") and isinstance(url, str) and url and not _is_expression(url):
            url_fp, path_fp = address_fingerprints(url)
            target = Address(url=url_fp, path=path_fp)
        steps.append(Step(
            id=step_id, name=str(node.get("name") or step_id), app=app_name(node["type"]), operation=operation,
            kind=kind, access=access, credential=credential, disabled=bool(node.get("disabled")),
            error_mode=_error_mode(node), calls=calls, target=target,
            version=str(node["typeVersion"]) if node.get("typeVersion") is not None else None,
            notes=node.get("notes") or None, data_fields=field_names(params),
        ))
    edges = _edges(raw.get("connections") or {}, nodes, by_name)
    secrets = secret_refs(document, step_of)

    owner, folder = _ownership(raw.get("shared") or [], projects or {})
    description = raw.get("description")
    name = str(raw.get("name") or ident)
    trigger = _trigger(nodes, timezone, base_url)
    if trigger.webhook and trigger.webhook.auth == WebhookAuth.none and _verified_in_code(steps, edges):
        trigger.webhook.auth = WebhookAuth.signature
    error_workflow = _resource_id(settings.get("errorWorkflow"))
    timeout = settings.get("executionTimeout")
    return Workflow(
        platform=PLATFORM, id=ident, name=name, description=description or None,
        active=bool(raw.get("active")), archived=bool(raw.get("isArchived")),
        folder=folder, owner=owner,
        tags=sorted({t.get("name") if isinstance(t, dict) else str(t) for t in raw.get("tags") or []} - {None}),
        created=parse_time(raw.get("createdAt")), updated=parse_time(raw.get("updatedAt")),
        version=str(raw["versionId"])[:8] if raw.get("versionId") else None,
        source_url=f"{base_url.rstrip('/')}/workflow/{ident}" if base_url and raw.get("id") else None,
        trigger=trigger,
        steps=steps, edges=edges,
        settings=WorkflowSettings(
            error_workflow=f"n8n:{error_workflow}" if error_workflow else None,
            timeout_seconds=int(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None,
            timezone=timezone, run_data=_run_data(settings),
        ),
        notes=notes,
        secrets=secrets,
        addresses=_addresses(raw["nodes"], step_of),
    )


def published(raw: dict) -> tuple[dict, Draft | None]:
    """What runs, and the draft beside it. n8n 2.x keeps the published version (`activeVersionId`,
    `activeVersion` with its nodes and connections) apart from the editor's latest save (`versionId`,
    `nodes`, `connections`); a workflow never published is its draft, and nothing of it runs."""
    live = raw.get("activeVersion")
    live_id = raw.get("activeVersionId")
    if not isinstance(live, dict) or not live_id or live_id == raw.get("versionId") or not isinstance(
            live.get("nodes"), list):
        return raw, None
    running = dict(raw, nodes=live["nodes"], connections=live.get("connections") or {}, versionId=live_id)
    return running, Draft(version=str(raw.get("versionId") or "?")[:8], saved=parse_time(raw.get("updatedAt")),
                          changes=_changes(live["nodes"], raw.get("nodes") or []))


def _changes(before: list, after: list) -> list[str]:
    """Nodes the draft adds, removes or edits, by name (redacted)."""
    old = {n.get("name"): n for n in before if isinstance(n, dict)}
    new = {n.get("name"): n for n in after if isinstance(n, dict)}
    shown = lambda name: f"“{redact_text(str(name))[0]}”"  # noqa: E731  (the draft is not redacted)
    out = [f"{shown(n)} added" for n in new if n not in old]
    out += [f"{shown(n)} removed" for n in old if n not in new]
    out += [f"{shown(n)} edited" for n in new if n in old and {k: v for k, v in new[n].items() if k != "position"}
            != {k: v for k, v in old[n].items() if k != "position"}]
    return out[:20]


def secret_refs(document: Redacted, step_of: dict[int, str]) -> list[SecretRef]:
    """The findings of a redacted workflow by step and field: `nodes[3].parameters.url` is step
    nodes[3]'s `parameters.url`; a sticky note is `nodes[<name>].…`; a node name repeated as a key
    of `connections` is not counted twice."""
    refs: set[tuple[str | None, str, str, str]] = set()
    elsewhere = {f.fingerprint for f in document.findings if f.path[:1] != ("connections",)}
    nodes = document.tree.get("nodes") or []
    for finding in document.findings:
        path, step = finding.path, None
        if path[:1] == ("connections",) and finding.fingerprint in elsewhere:
            continue
        if path[:1] == ("nodes",) and len(path) > 2 and isinstance(path[1], int):
            if path[1] in step_of:
                step, path = step_of[path[1]], path[2:]
            else:
                node = nodes[path[1]] if path[1] < len(nodes) and isinstance(nodes[path[1]], dict) else {}
                path = (f"nodes[{node.get('name', path[1])}]", *path[2:])
        refs.add((step, render_path(path), finding.kind, finding.fingerprint))
    return [SecretRef(step=step, field=where, kind=kind, fingerprint=fp)
            for step, where, kind, fp in sorted(refs, key=lambda r: (r[0] or "", *r[1:]))]


def _verified_in_code(steps: list[Step], edges: list[Edge]) -> bool:
    """A webhook whose very next step is code checks the caller itself (a provider's signature, such as
    Shopify's HMAC): n8n's own audit does not count such a webhook as unprotected."""
    webhook = next((s.id for s in steps if s.kind == StepKind.trigger and s.app == "Webhook"), None)
    kinds = {s.id: s.kind for s in steps}
    return webhook is not None and any(e.source == webhook and kinds.get(e.target) == StepKind.code for e in edges)


def _edges(connections: dict, nodes: list[dict], by_name: dict[str, str]) -> list[Edge]:
    """`connections` (source name → output type → [output index] → [targets]) → edges between steps."""
    types = {n.get("name"): split_type(n["type"])[1] for n in nodes}
    error_output = {n.get("name") for n in nodes if n.get("onError") == "continueErrorOutput"}
    edges: list[Edge] = []
    for source, outputs in connections.items():
        if source not in by_name or not isinstance(outputs, dict):
            continue
        for output_type, per_index in outputs.items():
            if not isinstance(per_index, list):
                continue
            labels = _output_labels(nodes, source, types.get(source, ""), len(per_index))
            for index, targets in enumerate(per_index):
                for target in targets or []:
                    if not isinstance(target, dict) or target.get("node") not in by_name:
                        continue
                    is_error = source in error_output and index == len(labels)
                    label = "error" if is_error else (labels[index] if index < len(labels) and len(labels) > 1 else None)
                    if output_type != "main":
                        label = output_type.removeprefix("ai_").replace("languageModel", "model")
                    edges.append(Edge(source=by_name[source], target=by_name[target["node"]], label=label,
                                      error=is_error))
    return edges


def _output_labels(nodes: list[dict], source: str, node_type: str, outputs: int) -> list[str]:
    if node_type in _OUTPUTS:
        return _OUTPUTS[node_type]
    if node_type == "switch":
        node = next(n for n in nodes if n.get("name") == source)
        rules = ((node.get("parameters") or {}).get("rules") or {}).get("values") or []
        labels = [str(r.get("outputKey") or f"case {i + 1}") if isinstance(r, dict) else f"case {i + 1}"
                  for i, r in enumerate(rules)]
        if ((node.get("parameters") or {}).get("options") or {}).get("fallbackOutput") == "extra":
            labels.append("fallback")
        return labels or [f"case {i + 1}" for i in range(outputs)]
    return [""]


def _ownership(shared: list[dict], projects: dict[str, dict]) -> tuple[str | None, str | None]:
    """(owner, folder): a personal project belongs to a person; a team project is a folder."""
    owning = next((s for s in shared if isinstance(s, dict) and s.get("role") == "workflow:owner"), None)
    if owning is None:
        return None, None
    project = owning.get("project") or projects.get(str(owning.get("projectId"))) or {}
    name = project.get("name")
    if not name:
        return None, None
    if project.get("type") == "personal":
        return re.sub(r"\s*<[^>]*>\s*$", "", name) or None, None
    return None, name



# --------------------------------------------------------------------------------------------------
# Credentials derived from the workflows (import, or a key without credential:list)


def credential_refs(node: dict) -> list[tuple[str, str, str]]:
    """(id, name, type) of each credential a node names. Old exports give only the name as a string;
    their id is then derived from the name so the same credential still joins up."""
    refs = []
    credentials = node.get("credentials") if isinstance(node, dict) else None
    for cred_type, ref in sorted((credentials or {}).items() if isinstance(credentials, dict) else []):
        if isinstance(ref, str):
            ref = {"name": ref}
        if not isinstance(ref, dict):
            continue
        name = str(ref.get("name") or "")
        cred_id = str(ref.get("id") or (slug(name) if name else ""))
        if cred_id:
            refs.append((cred_id, name or cred_id, cred_type))
    return refs


def credentials_from_workflows(workflows: list[Workflow], raws: list[dict]) -> list[Credential]:
    """The credentials the workflows name (import, or a key without credential:list). n8n's node
    references carry the name and type, so they are read from the raw workflows (`raws`, in the same
    order); `workflows` is the common signature of every platform."""
    found: dict[str, Credential] = {}
    for raw in raws:
        for node in raw.get("nodes") or []:
            for cred_id, name, cred_type in credential_refs(node):
                if cred_id not in found:
                    found[cred_id] = Credential(platform=PLATFORM, id=cred_id, name=name,
                                                app=credential_app(cred_type), type=cred_type)
    return list(found.values())


