"""Zapier: the native export of a Zap — its steps as the API or the account export gave them, step
values reduced to what configures the step (references to earlier steps kept, literals dropped unless
asked for and not secret, secrets as markers)."""

from __future__ import annotations

import re

from generator.connectors.zapier.zap import REFERENCE, export_nodes
from generator.redact import Redacted, has_marker

DROPPED = "HANDOVER-DROPPED literal value (step values can be customer data; not exported)"
# Fields whose literal values configure the step rather than carry data: kept (secrets still redacted).
CONFIG_FIELDS = re.compile(r"^(code|url|method|match|key|operator|type|frequency|time_of_day|trigger_on_weekends|"
                           r"unflatten|wrap_in_array|channel|spreadsheet|worksheet|table|base|list|board|form_id|"
                           r"folder|calendar|mailbox|event|action|mode|format|timezone)$", re.I)


def export_inputs(inputs, keep_literals: bool):
    """Step values for the native export (already redacted): references to earlier steps kept as
    written, literals dropped (or kept when asked and not secret)."""
    def walk(node, field: str):
        if isinstance(node, dict):
            return {k: walk(v, str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, field) for v in node]
        if isinstance(node, str) and REFERENCE.search(node):
            return node
        if node in (None, "", True, False) or isinstance(node, (int, float)) and keep_literals:
            return node
        if isinstance(node, str) and (CONFIG_FIELDS.match(field) or keep_literals) and \
                not (keep_literals and has_marker(node)):
            return node  # configuration (or a literal the user asked to keep); secrets are markers already
        return DROPPED
    return walk(inputs or {}, "")


def native_api(document: Redacted) -> dict:
    """A `/v2/zaps` item, redacted, as a Zap JSON document: title and steps (action, account, inputs)."""
    if not isinstance(document, Redacted):
        raise TypeError("native_api() takes redact_document(raw): nothing reads a raw Zap")
    zap = document.tree
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


def native_export(document: Redacted, keep_literals: bool) -> dict:
    """A Zap from the account export, redacted, as written there (nodes keyed by id), without volatile fields."""
    if not isinstance(document, Redacted):
        raise TypeError("native_export() takes redact_document(raw): nothing reads a raw Zap")
    zap = document.tree
    nodes = {}
    for node in export_nodes(zap):
        node = {k: v for k, v in node.items() if k not in _VOLATILE_EXPORT_KEYS}
        node["params"] = export_inputs(node.get("params"), keep_literals)
        nodes[str(node.get("id"))] = node
    return {"id": zap.get("id"), "title": zap.get("title"), "nodes": nodes}

