"""n8n: the native export of a workflow, what n8n's *Import from file* (and `POST /workflows`) accept."""

from __future__ import annotations

from generator.connectors.n8n.workflow import split_type
from generator.redact import Redacted, fingerprint

_VOLATILE_NODE_KEYS = {"createdAt", "updatedAt", "webhookId"}


def native(document: Redacted) -> dict:
    """The workflow as n8n imports it: name, nodes, connections, settings. Run data (pinned and static
    data), ids, versions and dates are left out; webhook paths become markers. Made from the redacted
    tree, so the export carries the same markers as the snapshot."""
    if not isinstance(document, Redacted):
        raise TypeError("native() takes redact_document(raw): nothing reads a raw workflow")
    raw = document.tree
    nodes = []
    for node in raw.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        node = {k: v for k, v in node.items() if k not in _VOLATILE_NODE_KEYS}
        params = node.get("parameters")
        if split_type(str(node.get("type", "")))[1] in ("webhook", "formTrigger") and isinstance(params, dict):
            path = str(params.get("path") or raw.get("id") or node.get("name"))
            node["parameters"] = dict(params, path=f"handover-redacted-{fingerprint(path)[7:]}")
        nodes.append(node)
    exported = {"name": raw.get("name") or "Untitled", "nodes": nodes, "connections": raw.get("connections") or {},
                "settings": raw.get("settings") or {}}
    return exported


