"""n8n: the native export of a workflow, what n8n's *Import from file* (and `POST /workflows`) accept."""

from __future__ import annotations

from generator.redact import Redacted

# Dates change on every save. `webhookId` is not volatile: it is part of the public address of Form,
# Chat and app triggers, and is kept so that a restore keeps those addresses.
_VOLATILE_NODE_KEYS = {"createdAt", "updatedAt"}


def native(document: Redacted) -> dict:
    """The workflow as n8n imports it: name, nodes, connections, settings. Run data (pinned and static
    data), ids, versions and dates are left out. Webhook paths and webhook ids are kept as the redaction
    boundary left them (a path that looks like a secret is already a marker), so a restore keeps the
    workflow's public addresses. Made from the redacted tree, so the export carries the same markers as
    the snapshot."""
    if not isinstance(document, Redacted):
        raise TypeError("native() takes redact_document(raw): nothing reads a raw workflow")
    raw = document.tree
    nodes = [{k: v for k, v in node.items() if k not in _VOLATILE_NODE_KEYS}
             for node in raw.get("nodes") or [] if isinstance(node, dict)]
    return {"name": raw.get("name") or "Untitled", "nodes": nodes, "connections": raw.get("connections") or {},
            "settings": raw.get("settings") or {}}
