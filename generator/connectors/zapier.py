"""Zapier: the Workflow API (OAuth bearer token) and the account data export.

Sync reads the profile, Zaps with their steps (actions and authentications expanded), the
authentications of each app the Zaps use, and Zap runs in the window, paced under 60 requests a
minute. The export (`Zapfile.json`, `zap_data.json`, task-history JSON, or the ZIP holding them) is
read by the same step builder. Step values can hold customer data and secrets: only app, action,
field names and linkage are kept; literal values are dropped (`keep_literals` keeps the non-secret
ones). API facts: ../shared/reference/platform-apis.md §3.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from generator.connectors import Collected, SyncProblem, optional, parse_time
from generator.connectors.http import AccessDenied, ApiClient, PlatformError, RateLimiter, RetryPolicy
from generator.connectors.runs import RunAggregator
from generator.model import (
    Access,
    Address,
    Credential,
    Edge,
    NotCollected,
    Platform,
    PlatformFacts,
    Schedule,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    TriggerKind,
    User,
    Webhook,
    Workflow,
)
from generator.redact import (
    SECRET_NAME,
    address_fingerprints,
    field_names,
    find_secrets,
    redact_text,
    redact_tree,
    scan_tree,
)

PLATFORM = Platform.zapier
KEY_SCOPES = ["profile", "zap:all", "zap:account:all", "zap:runs", "authentication"]
PAGE = 100
LIMIT = 60  # requests per minute per IP

_STATUS = {"success": "success", "error_handled": "success", "filtered": "filtered", "skipped": "filtered",
           "error": "failed", "halted": "failed", "delayed": "running", "scheduled": "running", "pending": "running",
           "held": "running", "throttled": "running"}
_KIND = {"READ": StepKind.action, "READ_BULK": StepKind.search, "WRITE": StepKind.action, "SEARCH": StepKind.search,
         "SEARCH_OR_WRITE": StepKind.action, "SEARCH_AND_WRITE": StepKind.action, "FILTER": StepKind.condition,
         "read": StepKind.action, "write": StepKind.action, "search": StepKind.search,
         "search_or_write": StepKind.action, "filter": StepKind.condition, "branch": StepKind.router}
_APPS = {"WebHook": "Webhooks by Zapier", "Code": "Code by Zapier", "Filter": "Filter by Zapier",
         "Branching": "Paths by Zapier", "Formatter": "Formatter by Zapier", "Schedule": "Schedule by Zapier",
         "Delay": "Delay by Zapier", "Email": "Email by Zapier", "HubSpot": "HubSpot", "GoogleSheets": "Google Sheets"}
_REFERENCE = re.compile(r"\{\{\s*(\w+?)__([\w.\-]+)\s*\}\}")
_CODE_KEYS = frozenset({"code", "data", "body", "json", "text", "headers", "value"})


def app_from_api(selected_api: str) -> tuple[str, str | None]:
    """`HubSpotCLIAPI@1.14.0` → ('HubSpot', '1.14.0'); `CodeAPI` → ('Code by Zapier', None)."""
    name, _, version = str(selected_api).partition("@")
    base = re.sub(r"(V\d+)?(CLI)?API$", "", name) or name
    label = _APPS.get(base) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", base)
    return label, version or None


def humanise_action(action: str) -> str:
    return re.sub(r"_v?\d+$", "", str(action)).replace("_", " ").strip() or str(action)


def summarise_inputs(inputs: dict, step_numbers: dict[str, int], keep_literals: bool) -> dict[str, str]:
    """Field → where its value comes from. Values mapped from earlier steps are named by step and field;
    literal values are dropped ('literal'), or kept when asked and not secret."""
    out: dict[str, str] = {}
    for field, value in sorted((inputs or {}).items()):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True) if value is not None else ""
        references = [(step_numbers.get(m.group(1)), m.group(2)) for m in _REFERENCE.finditer(text)]
        if references:
            out[str(field)] = ", ".join(f"step {n}: {f}" if n else f"a step: {f}" for n, f in references)
        elif text == "":
            continue
        elif keep_literals and len(text) <= 200 and not find_secrets(text, named=bool(SECRET_NAME.search(str(field)))):
            out[str(field)] = f"literal “{' '.join(text.split())}”"
        else:
            out[str(field)] = "literal"
    return out


DROPPED = "HANDOVER-DROPPED literal value (step values can be customer data; not exported)"
# Fields whose literal values configure the step rather than carry data: kept (secrets still redacted).
CONFIG_FIELDS = re.compile(r"^(code|url|method|match|key|operator|type|frequency|time_of_day|trigger_on_weekends|"
                           r"unflatten|wrap_in_array|channel|spreadsheet|worksheet|table|base|list|board|form_id|"
                           r"folder|calendar|mailbox|event|action|mode|format|timezone)$", re.I)


def export_inputs(inputs, keep_literals: bool):
    """Step values for the native export: references to earlier steps kept as written, literals dropped
    (or kept when asked and not secret), secrets as markers."""
    def walk(node, field: str):
        if isinstance(node, dict):
            return {k: walk(v, str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, field) for v in node]
        if isinstance(node, str) and _REFERENCE.search(node):
            return node
        if node in (None, "", True, False) or isinstance(node, (int, float)) and keep_literals:
            return node
        if isinstance(node, str) and (CONFIG_FIELDS.match(field) or keep_literals) and \
                not (keep_literals and find_secrets(node, named=bool(SECRET_NAME.search(field)))):
            return node  # configuration (or a literal the user asked to keep); secrets are redacted below
        return DROPPED
    return redact_tree(walk(inputs or {}, ""), code_keys=_CODE_KEYS)


def native_api(zap: dict) -> dict:
    """A `/v2/zaps` item as a Zap JSON document: title and steps (action, account, inputs)."""
    steps = []
    for raw in zap.get("steps") or []:
        action = raw.get("action")
        auth = raw.get("authentication")
        steps.append({"action": {k: action.get(k) for k in ("id", "key", "app", "action_type", "title", "is_instant")}
                      if isinstance(action, dict) else action,
                      "authentication": {"id": auth.get("id"), "title": auth.get("title")} if isinstance(auth, dict)
                      else auth,
                      "inputs": export_inputs(raw.get("inputs"), False), "title": raw.get("title")})
    return {"type": "zap", "id": str(zap.get("id")), "title": zap.get("title"), "steps": steps}


_VOLATILE_EXPORT_KEYS = {"created_at", "last_changed", "triple_stores", "customuser_id", "account_id", "paused"}


def native_export(zap: dict, keep_literals: bool) -> dict:
    """A Zap from the account export, as written there (nodes keyed by id), without volatile fields."""
    nodes = {}
    for node in _nodes(zap):
        node = {k: v for k, v in node.items() if k not in _VOLATILE_EXPORT_KEYS}
        node["params"] = export_inputs(node.get("params"), keep_literals)
        nodes[str(node.get("id"))] = node
    return {"id": zap.get("id"), "title": zap.get("title"), "nodes": nodes}


def _secrets(step_id: str | None, where: str, data) -> list[SecretRef]:
    return [SecretRef(step=step_id, field=path, kind=found.kind, fingerprint=found.fingerprint)
            for path, found in scan_tree(data, where, code_keys=_CODE_KEYS)]


def _trigger(first: Step | None, inputs: dict, instant: bool | None) -> Trigger:
    if first is None:
        return Trigger(kind=TriggerKind.manual)
    if first.app == "Webhooks by Zapier" and re.search(r"catch|hook", first.operation or "", re.I):
        return Trigger(kind=TriggerKind.webhook, app=first.app, webhook=Webhook(
            path="https://hooks.zapier.com/hooks/catch/•••• (masked)", method="POST"))
    if first.app == "Schedule by Zapier":
        frequency = first.operation or "schedule"
        minutes = {"every hour": 60, "every day": 1440, "every week": 10080, "every month": 44640}.get(
            frequency.lower())
        at = inputs.get("time_of_day") if isinstance(inputs.get("time_of_day"), str) else None
        return Trigger(kind=TriggerKind.schedule, app=first.app, schedule=Schedule(
            description=frequency.capitalize() + (f" at {at}" if at else ""), interval_minutes=minutes))
    return Trigger(kind=TriggerKind.app_event, app=first.app, event=first.operation,
                   polling_minutes=None if instant in (None, True) else 15)


# --------------------------------------------------------------------------------------------------
# The Workflow API


def zap_from_api(zap: dict, apps: dict[str, str]) -> Workflow:
    """One `/v2/zaps` item (steps expanded) → Workflow."""
    steps: list[Step] = []
    secrets: list[SecretRef] = []
    first_inputs: dict = {}
    instant = None
    for index, raw in enumerate(zap.get("steps") or [], 1):
        action = raw.get("action") if isinstance(raw.get("action"), dict) else {"id": raw.get("action")}
        auth = raw.get("authentication")
        auth_id = auth.get("id") if isinstance(auth, dict) else auth
        app_ref = action.get("app")
        app = apps.get(app_ref.get("id") if isinstance(app_ref, dict) else str(app_ref)) if app_ref else None
        if isinstance(app_ref, dict):
            app = app_ref.get("title") or app
        if not app and isinstance(auth, dict):
            app = re.sub(r"\s+\S+@\S+$", "", str(auth.get("title") or "")) or None
        step_id = str(index)
        inputs = raw.get("inputs") if isinstance(raw.get("inputs"), dict) else {}
        secrets += _secrets(step_id, "inputs", inputs)
        action_type = str(action.get("action_type") or ("READ" if index == 1 else "WRITE"))
        kind = StepKind.trigger if index == 1 else _KIND.get(action_type, StepKind.action)
        title, found = redact_text(str(raw.get("title") or action.get("title") or action.get("key") or f"Step {index}"))
        secrets += [SecretRef(step=step_id, field="title", kind=f.kind, fingerprint=f.fingerprint) for f in found]
        steps.append(Step(
            id=step_id, name=title, app=app or "Unknown app", operation=action.get("title") or action.get("key"),
            kind=kind, access=Access.read if action_type.startswith(("READ", "SEARCH")) and action_type != "SEARCH_OR_WRITE"
            else (None if kind == StepKind.condition else Access.write),
            credential=f"zapier:{auth_id}" if auth_id else None,
            inputs=summarise_inputs(inputs, {}, keep_literals=False), data_fields=field_names(inputs),
        ))
        if index == 1:
            first_inputs, instant = inputs, action.get("is_instant")
    edges = [Edge(source=a.id, target=b.id) for a, b in zip(steps, steps[1:], strict=False)]
    name, found = redact_text(str(zap.get("title") or zap.get("id")))
    secrets += [SecretRef(field="title", kind=f.kind, fingerprint=f.fingerprint) for f in found]
    return Workflow(
        platform=PLATFORM, id=str(zap["id"]), name=name, active=bool(zap.get("is_enabled")),
        updated=parse_time(zap.get("updated_at")), source_url=(zap.get("links") or {}).get("html_editor"),
        trigger=_trigger(steps[0] if steps else None, first_inputs, instant), steps=steps, edges=edges,
        secrets=sorted(secrets, key=lambda s: (s.step or "", s.field, s.kind, s.fingerprint)),
    )


def numeric_id(zap_id: str) -> int | None:
    """The number in a v2 Zap id (`00000000-0000-c000-8000-000000012345` → 12345): the id Zap runs,
    editor URLs and history use."""
    if str(zap_id).isdigit():
        return int(zap_id)
    match = re.fullmatch(r"0{8}-0{4}-c000-8000-(\d{12})", str(zap_id))
    return int(match.group(1)) if match else None


def _unwrap(body):
    """List responses sometimes come wrapped in a one-element array (the published schema does so)."""
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        return body[0]
    return body


class ZapierSync:
    def __init__(self, api: ApiClient, *, name: str, window_days: int, now: datetime, progress: Callable | None = None):
        self.api = api
        self.name = name
        self.window_days = window_days
        self.now = now
        self.progress = progress or (lambda label, total: (lambda n: None))
        self.skipped: list[NotCollected] = []

    def _optional(self, section: str, scope: str, fetch, default=None):
        return optional(self.skipped, section, scope, fetch, platform="Zapier", credential="token",
                        generic=("scope",), default=default)

    def _pages(self, path: str, params: dict, label: str, max_pages: int = 10_000):
        """Items of a `{data, links, meta}` list, following `links.next` (or `links.previous`' sibling)."""
        advance = self.progress(label, None)
        seen: set[str] = set()
        query: dict | None = dict(params, limit=PAGE)
        for _ in range(max_pages):
            body = _unwrap(self.api.get(path, query))
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise PlatformError(f"{self.api._where('GET', path)}: unexpected answer (no 'data' list)")
            advance(len(data))
            yield from data
            following = (body.get("links") or {}).get("next")
            if not following:
                return
            if following in seen:
                raise PlatformError(f"{self.api._where('GET', path)}: the server sent a next-page link it had sent "
                                    "before", None, "stopped so the sync cannot loop; sync again")
            seen.add(following)
            parts = urlsplit(following)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        raise PlatformError(f"{self.api._where('GET', path)}: more than {max_pages} pages", None,
                            "stopped so the sync cannot run forever")

    def collect(self) -> Collected:
        profile = self._optional("profile", "profile", lambda: _unwrap(self.api.get("/v1/profiles/me")), {}) or {}
        expand = {"expand": "steps.action,steps.authentication"}
        try:
            try:
                zaps = list(self._pages("/v2/zaps", dict(expand, include_shared="true"), "zaps"))
            except AccessDenied:  # shared Zaps need zap:account:all; the user's own need zap:all
                self.skipped.append(NotCollected(section="shared Zaps", reason="the token lacks zap:account:all"))
                zaps = list(self._pages("/v2/zaps", expand, "zaps"))
        except AccessDenied as exc:
            raise SyncProblem(f"{exc}: the token cannot read Zaps",
                              f"authorise with at least: {', '.join(KEY_SCOPES)}") from None
        app_ids = sorted({(s.get("action") or {}).get("app") if not isinstance((s.get("action") or {}).get("app"), dict)
                          else s["action"]["app"].get("id") for z in zaps for s in z.get("steps") or []
                          if isinstance(s.get("action"), dict)} - {None})
        apps = self._optional("apps", "zap", lambda: {a["id"]: a.get("title") for a in self._pages(
            "/v2/apps", {"ids": ",".join(app_ids)}, "apps")}, {}) if app_ids else {}
        workflows = [zap_from_api(z, apps or {}) for z in zaps]
        exports = {w.id: native_api(z) for w, z in zip(workflows, zaps, strict=True)}

        credentials: dict[str, Credential] = {}
        for app in app_ids:
            for auth in self._optional("authentications", "authentication", lambda a=app: list(self._pages(
                    "/v2/authentications", {"app": a}, "authentications")), []) or []:
                credentials[str(auth["id"])] = self._credential(auth, apps or {}, profile)
            if any(n.section == "authentications" for n in self.skipped):
                break
        for zap in zaps:  # authentications shown expanded on steps but not listed (shared ones)
            for step in zap.get("steps") or []:
                auth = step.get("authentication")
                if isinstance(auth, dict) and str(auth.get("id")) not in credentials:
                    credentials[str(auth["id"])] = self._credential(auth, apps or {}, None)

        runs, unmatched = self._optional("run statistics", "zap:runs", lambda: self._runs(workflows), (None, {}))
        if unmatched:
            self.skipped.append(NotCollected(
                section="run statistics (part)",
                reason=f"{sum(unmatched.values())} runs of {len(unmatched)} Zap id(s) could not be matched to a Zap "
                       f"({', '.join(str(z) for z in sorted(unmatched)[:5])}{'…' if len(unmatched) > 5 else ''})"))
        users = []
        if profile:
            users.append(User(platform=PLATFORM, name=str(profile.get("full_name") or profile.get("email") or "?"),
                              email=profile.get("email"), role="owner of the synced token"))
        settings: dict[str, str | int | bool] = {"Zaps": len(workflows), "Zaps on": sum(w.active for w in workflows)}
        if profile.get("timezone"):
            settings["time zone"] = str(profile["timezone"])
        facts = PlatformFacts(platform=PLATFORM, name=self.name, url="https://zapier.com", synced=self.now,
                              source="api", settings=settings, not_collected=self.skipped, key_scopes=KEY_SCOPES)
        return Collected(facts=facts, workflows=workflows, credentials=list(credentials.values()),
                         users=users or None, runs=runs, replace_all=True, exports=exports)

    @staticmethod
    def _credential(auth: dict, apps: dict, profile: dict | None) -> Credential:
        app_ref = auth.get("app")
        app = apps.get(app_ref.get("id") if isinstance(app_ref, dict) else str(app_ref)) or \
            re.sub(r"\s+\S+@\S+$", "", str(auth.get("title") or "")) or "?"
        account = re.search(r"\S+@\S+", str(auth.get("title") or ""))
        return Credential(platform=PLATFORM, id=str(auth["id"]), name=str(auth.get("title") or auth["id"]), app=app,
                          owner=account.group(0) if account else (profile or {}).get("email"),
                          expires=None, type="expired" if auth.get("is_expired") else None)

    def _runs(self, workflows: list[Workflow]) -> tuple[RunAggregator, dict[int, int]]:
        start = self.now - timedelta(days=self.window_days)
        runs = RunAggregator(start, self.now)
        by_number = {n: w for w in workflows if (n := numeric_id(w.id)) is not None}
        titles: dict[str, list[Workflow]] = {}
        for w in workflows:
            titles.setdefault(w.name, []).append(w)
        unmatched: dict[int, int] = {}
        params = {"from_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to_date": self.now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        for item in self._pages("/v2/zap-runs", params, "Zap runs"):
            workflow = by_number.get(int(item["zap_id"])) if str(item.get("zap_id", "")).isdigit() else None
            if workflow is None and len(titles.get(str(item.get("zap_title")), [])) == 1:
                workflow = titles[str(item["zap_title"])][0]  # same title, only one such Zap
            if workflow is None:
                key = int(item["zap_id"]) if str(item.get("zap_id", "")).isdigit() else -1
                unmatched[key] = unmatched.get(key, 0) + 1
                continue
            status = _STATUS.get(str(item.get("status")), "unknown")
            started = parse_time(item.get("start_time"))
            runs.add(workflow.ref, status, started, parse_time(item.get("end_time")))
            if status == "failed":
                failing = next((i for i, s in enumerate(item.get("steps") or [], 1)
                                if str(s.get("status")) in ("error", "halted")), None)
                step = workflow.step(str(failing)) if failing else None
                runs.add_error(workflow.ref, f"{item.get('status')} at step {failing}" if failing
                               else str(item.get("status")), step.name if step else None, started)
        return runs, unmatched


def sync(config, *, api_key: str, now: datetime, progress=None, retry=None, timeout: float = 30.0,
         rate_window: float = 60.0) -> Collected:
    base = (config.base_url or "https://api.zapier.com").rstrip("/")
    retry = retry or RetryPolicy(cooldown_429=rate_window)  # Zapier's documented 60 s cooldown
    with ApiClient(base, {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}, platform="zapier",
                   key_env=config.api_key_env, retry=retry, timeout=timeout,
                   limiter=RateLimiter(LIMIT, window=rate_window)) as api:
        result = ZapierSync(api, name=config.name, window_days=config.window_days, now=now, progress=progress).collect()
        result.requests, result.throttled = api.requests, api.throttled
        return result


# --------------------------------------------------------------------------------------------------
# The account data export


def _nodes(zap: dict) -> list[dict]:
    nodes = zap.get("nodes") or zap.get("steps") or {}
    items = list(nodes.values()) if isinstance(nodes, dict) else list(nodes)
    return [n for n in items if isinstance(n, dict)]


def zap_from_export(zap: dict, details: dict | None, keep_literals: bool) -> Workflow:
    """One Zap of `Zapfile.json` (nodes keyed by id, linked by `parent_id`) → Workflow; `details` is the
    same Zap from `zap_data.json` when present."""
    nodes = _nodes(zap)
    detail_nodes = {str(n.get("id")): n for n in _nodes(details or {})}
    by_id = {str(n.get("id")): n for n in nodes}
    children: dict[str | None, list[dict]] = {}
    for node in nodes:
        parent = node.get("parent_id")
        children.setdefault(str(parent) if parent is not None else None, []).append(node)
    for kids in children.values():
        kids.sort(key=lambda n: (n.get("sort_order") or 0, str(n.get("id"))))
    order: list[dict] = []

    def visit(node: dict) -> None:
        order.append(node)
        for child in children.get(str(node.get("id")), []):
            visit(child)
    for root in children.get(None, []):
        visit(root)
    order += [n for n in nodes if n not in order]  # a node whose parent is missing still shows
    numbers = {str(n.get("id")): i for i, n in enumerate(order, 1)}

    steps, edges, secrets = [], [], []
    for node in order:
        node_id = str(node.get("id"))
        extra = detail_nodes.get(node_id, {})
        app, version = app_from_api(str(node.get("selected_api") or extra.get("selected_api") or "UnknownAPI"))
        action = str(node.get("action") or extra.get("action") or "")
        type_of = str(node.get("type_of") or extra.get("type_of") or "write")
        params = node.get("params") if isinstance(node.get("params"), dict) else {}
        secrets += _secrets(node_id, "params", params)
        secrets += _secrets(node_id, "meta", node.get("meta") or {})
        kind = StepKind.trigger if node.get("parent_id") is None and type_of == "read" else _KIND.get(type_of, StepKind.action)
        if app == "Paths by Zapier":
            kind = StepKind.router if action == "branch" else StepKind.condition
        elif app == "Filter by Zapier":
            kind = StepKind.condition
        elif app == "Code by Zapier":
            kind = StepKind.code
        elif app == "Webhooks by Zapier" and kind != StepKind.trigger:
            kind = StepKind.http
        title, found = redact_text(str(node.get("title") or extra.get("title") or f"{app}: {humanise_action(action)}"))
        secrets += [SecretRef(step=node_id, field="title", kind=f.kind, fingerprint=f.fingerprint) for f in found]
        auth = node.get("authentication_id") or extra.get("authentication_id")
        target = None
        url = params.get("url")
        if kind == StepKind.http and isinstance(url, str) and url.startswith("http") and "{{" not in url:
            url_fp, path_fp = address_fingerprints(url)
            target = Address(url=url_fp, path=path_fp)
        steps.append(Step(
            id=node_id, name=title, app=app, operation=humanise_action(action) or None, kind=kind,
            access=None if kind in (StepKind.condition, StepKind.router, StepKind.code) else
            (Access.read if type_of in ("read", "search") else Access.write),
            credential=f"zapier:{auth}" if auth else None, disabled=bool(node.get("paused")), version=version,
            target=target,
            inputs=summarise_inputs(params, numbers, keep_literals), data_fields=field_names(params),
        ))
        parent = node.get("parent_id")
        if parent is not None and str(parent) in by_id:
            siblings = children.get(str(parent), [])
            parent_node = by_id[str(parent)]
            label = None
            if len(siblings) > 1 or parent_node.get("action") == "branch":  # one edge per path
                label = title if kind == StepKind.condition else f"path {siblings.index(node) + 1}"
            edges.append(Edge(source=str(parent), target=node_id, label=label))
    first = steps[0] if steps else None
    first_params = order[0].get("params") if order and isinstance(order[0].get("params"), dict) else {}
    name, found = redact_text(str(zap.get("title") or (details or {}).get("title") or zap.get("id")))
    secrets += [SecretRef(field="title", kind=f.kind, fingerprint=f.fingerprint) for f in found]
    dates = [d for n in nodes for d in [parse_time(n.get("last_changed"))] if d]
    created = [d for n in nodes for d in [parse_time(n.get("created_at"))] if d]
    return Workflow(
        platform=PLATFORM, id=str(zap.get("id")), name=name,
        active=str(zap.get("status", "")).lower() == "on" or zap.get("is_enabled") is True,
        updated=max(dates) if dates else None, created=min(created) if created else None,
        trigger=_trigger(first, first_params, None), steps=steps, edges=edges,
        secrets=sorted(secrets, key=lambda s: (s.step or "", s.field, s.kind, s.fingerprint)),
    )


def _zaps(document) -> list[dict]:
    if isinstance(document, dict):
        document = document.get("zaps", document.get("data", []))
    return [z for z in document or [] if isinstance(z, dict)]


def _is_history(name: str, document) -> bool:
    items = document if isinstance(document, list) else (document or {}).get("data") or (document or {}).get("results")
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "zap_id" in items[0]


def read_documents(paths: list[Path]) -> list[tuple[str, object]]:
    """The JSON documents in the files given: JSON files as they are, ZIPs opened (every .json inside)."""
    from generator.connectors import read_export

    documents: list[tuple[str, object]] = []
    for path in paths:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in sorted(archive.namelist()):
                    if member.lower().endswith(".json"):
                        raw = archive.read(member)
                        try:
                            documents.append((f"{path}!{member}", json.load(io.TextIOWrapper(
                                io.BytesIO(raw), encoding="utf-8-sig"))))
                        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                            raise SyncProblem(f"{path}!{member}: not valid JSON ({exc})", input_error=True) from None
        else:
            documents.append((str(path), read_export(path)))
    return documents


def import_documents(documents: list[tuple[str, object]], *, config, now: datetime,
                     keep_literals: bool = False) -> Collected:
    """Export documents → Collected: Zapfile.json and zap_data.json joined by Zap id, history files
    (runs with `zap_id`) aggregated into run statistics."""
    zapfile: list[dict] = []
    details: dict[str, dict] = {}
    history: list[dict] = []
    problems: list[str] = []
    for label, document in documents:
        base = Path(label.split("!")[-1]).name.lower()
        if _is_history(base, document):
            items = document if isinstance(document, list) else document.get("data") or document.get("results")
            history += items
        elif base.startswith("zap_data"):
            details.update({str(z.get("id")): z for z in _zaps(document)})
        elif _zaps(document):
            zapfile += _zaps(document)
        else:
            problems.append(f"{label}: expected Zapfile.json, zap_data.json or a task-history file (no 'zaps' found)")
    if not zapfile and details:  # only zap_data.json given: it describes the same Zaps
        zapfile = list(details.values())
    if problems:
        raise SyncProblem("; ".join(problems), "give the files from Zapier's account export (or its ZIP)",
                          input_error=True)
    workflows, exports = [], {}
    for zap in zapfile:
        try:
            workflows.append(zap_from_export(zap, details.get(str(zap.get("id"))), keep_literals))
            exports[workflows[-1].id] = native_export(zap, keep_literals)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"Zap {zap.get('id')}: {exc}")
    if problems:
        raise SyncProblem("; ".join(problems), input_error=True)
    runs = None
    if history:
        window = (config.window_days if config else 30)
        runs = RunAggregator(now - timedelta(days=window), now)
        known = {w.id: w for w in workflows}
        for item in history:
            workflow = known.get(str(item.get("zap_id")))
            if workflow is None:
                continue
            status = _STATUS.get(str(item.get("status")).lower(), "unknown")
            runs.add(workflow.ref, status, parse_time(item.get("start_time") or item.get("date")),
                     parse_time(item.get("end_time")))
    credentials = {}
    for workflow in workflows:
        for step in workflow.steps:
            if step.credential and step.credential not in credentials:
                ident = step.credential.split(":", 1)[1]
                credentials[step.credential] = Credential(platform=PLATFORM, id=ident, app=step.app,
                                                          name=f"{step.app} account {ident}")
    facts = PlatformFacts(platform=PLATFORM, name=config.name if config else "Zapier", url="https://zapier.com",
                          synced=now, source="import")
    return Collected(facts=facts, workflows=workflows, credentials=list(credentials.values()), users=None,
                     runs=runs, replace_all=False, exports=exports)
