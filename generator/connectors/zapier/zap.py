"""Zapier: one Zap into the normalised `Workflow`, whichever shape it came in.

The Workflow API (`/v2/zaps`, steps in a list) and the account export (`Zapfile.json`, nodes linked
by `parent_id`) describe a Zap differently; each reader (`api.steps_from_api`,
`files.steps_from_export`) turns its shape into `ZapStep`s, and `normalise()` builds the steps,
edges, trigger and secrets from those, once. Step values can hold customer data and secrets: only
app, action, field names and linkage are kept; literal values are dropped (`keep_literals` keeps
the non-secret ones). The shapes: docs/platforms.md (Zapier).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from generator.model import (
    Access,
    Address,
    Edge,
    Platform,
    Schedule,
    SecretRef,
    Step,
    StepKind,
    Trigger,
    TriggerKind,
    Webhook,
    Workflow,
)
from generator.redact import Redacted, address_fingerprints, field_names, has_marker, render_path

PLATFORM = Platform.zapier
RUN_STATUS = {"success": "success", "error_handled": "success", "filtered": "filtered", "skipped": "filtered",
           "error": "failed", "halted": "failed", "delayed": "running", "scheduled": "running", "pending": "running",
           "held": "running", "throttled": "running"}
# Step types (the API's `action_type` and the export's `type_of`, in lower case) → kinds.
_KIND = {"read": StepKind.action, "read_bulk": StepKind.search, "write": StepKind.action, "search": StepKind.search,
         "search_or_write": StepKind.action, "search_and_write": StepKind.action, "filter": StepKind.condition,
         "branch": StepKind.router}
_APPS = {"WebHook": "Webhooks by Zapier", "Code": "Code by Zapier", "Filter": "Filter by Zapier",
         "Branching": "Paths by Zapier", "Formatter": "Formatter by Zapier", "Schedule": "Schedule by Zapier",
         "Delay": "Delay by Zapier", "Email": "Email by Zapier", "HubSpot": "HubSpot", "GoogleSheets": "Google Sheets"}
REFERENCE = re.compile(r"\{\{\s*(\w+?)__([\w.\-]+)\s*\}\}")


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
    for name, value in sorted((inputs or {}).items()):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True) if value is not None else ""
        references = [(step_numbers.get(m.group(1)), m.group(2)) for m in REFERENCE.finditer(text)]
        if references:
            out[str(name)] = ", ".join(f"step {n}: {f}" if n else f"a step: {f}" for n, f in references)
        elif text == "":
            continue
        elif keep_literals and len(text) <= 200 and not has_marker(text):
            out[str(name)] = f"literal “{' '.join(text.split())}”"
        else:
            out[str(name)] = "literal"
    return out



def secret_refs(document: Redacted, steps: str, step_id) -> list[SecretRef]:
    """The findings of a redacted Zap by step and field: those under `document.tree[steps][k]` belong
    to step `step_id(k, that step)`; the rest (the title…) to the Zap."""
    refs = set()
    for finding in document.findings:
        path, step = finding.path, None
        if path[:1] == (steps,) and len(path) > 2:
            node = document.tree[steps][path[1]]
            step, path = step_id(path[1], node), path[2:]
        refs.add((step, render_path(path), finding.kind, finding.fingerprint))
    return [SecretRef(step=step, field=where, kind=kind, fingerprint=fp)
            for step, where, kind, fp in sorted(refs, key=lambda r: (r[0] or "", *r[1:]))]


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



def numeric_id(zap_id: str) -> int | None:
    """The number in a v2 Zap id (`00000000-0000-c000-8000-000000012345` → 12345): the id Zap runs,
    editor URLs and history use."""
    if str(zap_id).isdigit():
        return int(zap_id)
    match = re.fullmatch(r"0{8}-0{4}-c000-8000-(\d{12})", str(zap_id))
    return int(match.group(1)) if match else None



def export_nodes(zap: dict) -> list[dict]:
    """The nodes of a Zap in the account export: keyed by id (`nodes`) or, in older ones, a list (`steps`)."""
    nodes = zap.get("nodes") or zap.get("steps") or {}
    items = list(nodes.values()) if isinstance(nodes, dict) else list(nodes)
    return [n for n in items if isinstance(n, dict)]


@dataclass
class ZapStep:
    """One step as a reader found it, before normalising: names as the platform gives them."""

    id: str
    parent: str | None  # the step it follows; None for a first step (or one whose parent is unknown)
    app: str
    title: str
    operation: str | None
    type_of: str  # lower case: read, read_bulk, write, search, search_or_write, search_and_write, filter, branch
    trigger: bool  # the Zap's first step
    action: str = ""  # the action key: "branch" marks a Paths split
    auth: str | None = None
    version: str | None = None
    inputs: dict = field(default_factory=dict)  # the step's values (field → value or {{step__field}})
    disabled: bool = False
    instant: bool | None = None  # an instant (webhook-like) trigger rather than a polling one


@dataclass
class ZapInfo:
    id: str
    title: str
    active: bool
    updated: datetime | None = None
    created: datetime | None = None
    source_url: str | None = None
    secrets: list[SecretRef] = field(default_factory=list)  # the findings of the redacted Zap (secret_refs)


def _kind(step: ZapStep) -> StepKind:
    kind = StepKind.trigger if step.trigger else _KIND.get(step.type_of, StepKind.action)
    if step.app == "Paths by Zapier":
        return StepKind.router if step.action == "branch" else StepKind.condition
    if step.app == "Filter by Zapier":
        return StepKind.condition
    if step.app == "Code by Zapier":
        return StepKind.code
    if step.app == "Webhooks by Zapier" and kind != StepKind.trigger:
        return StepKind.http
    return kind


def normalise(info: ZapInfo, raw_steps: list[ZapStep], keep_literals: bool = False) -> Workflow:
    """A Zap → Workflow. `raw_steps` in display order: each step after the one it follows, the paths
    of a split in their order. Both are read from the Zap as `redact_document` left it."""
    numbers = {s.id: i for i, s in enumerate(raw_steps, 1)}
    known = {s.id: s for s in raw_steps}
    steps: list[Step] = []
    edges: list[Edge] = []
    for raw in raw_steps:
        kind = _kind(raw)
        title = raw.title
        target = None
        url = raw.inputs.get("url")
        if kind == StepKind.http and isinstance(url, str) and url.startswith("http") and "{{" not in url:
            url_fp, path_fp = address_fingerprints(url)
            target = Address(url=url_fp, path=path_fp)
        steps.append(Step(
            id=raw.id, name=title, app=raw.app, operation=raw.operation, kind=kind,
            access=None if kind in (StepKind.condition, StepKind.router, StepKind.code) else
            (Access.read if raw.type_of in ("read", "read_bulk", "search") else Access.write),
            credential=f"zapier:{raw.auth}" if raw.auth else None, disabled=raw.disabled, version=raw.version,
            target=target, inputs=summarise_inputs(raw.inputs, numbers, keep_literals),
            data_fields=field_names(raw.inputs),
        ))
        if raw.parent is not None and raw.parent in known:
            siblings = [s.id for s in raw_steps if s.parent == raw.parent]
            label = None
            if len(siblings) > 1 or known[raw.parent].action == "branch":  # one edge per path
                label = title if kind == StepKind.condition else f"path {siblings.index(raw.id) + 1}"
            edges.append(Edge(source=raw.parent, target=raw.id, label=label))
    name = info.title
    first = raw_steps[0] if raw_steps else None
    return Workflow(
        platform=PLATFORM, id=info.id, name=name, active=info.active, updated=info.updated, created=info.created,
        source_url=info.source_url,
        trigger=_trigger(steps[0] if steps else None, first.inputs if first else {}, first.instant if first else None),
        steps=steps, edges=edges,
        secrets=info.secrets,
    )
