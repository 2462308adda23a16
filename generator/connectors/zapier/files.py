"""Zapier: the account data export — `Zapfile.json`, `zap_data.json`, task-history JSON, or the ZIP
holding them."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext, parse_time, problem, read_json
from generator.connectors.runs import RunAggregator
from generator.connectors.zapier.native import native_export
from generator.connectors.zapier.zap import (
    PLATFORM,
    RUN_STATUS,
    ZapInfo,
    ZapStep,
    app_from_api,
    export_nodes,
    humanise_action,
    normalise,
    secret_refs,
)
from generator.errors import InputError
from generator.model import Credential, PlatformFacts, Workflow
from generator.redact import Redacted, redact_document


def steps_from_export(zap: dict, details: dict | None) -> list[ZapStep]:
    """The nodes of one Zap of `Zapfile.json` (keyed by id, linked by `parent_id`), each after its
    parent and paths in their order; `details` is the same Zap from `zap_data.json` when present."""
    nodes = export_nodes(zap)
    detail_nodes = {str(n.get("id")): n for n in export_nodes(details or {})}
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

    steps = []
    for node in order:
        extra = detail_nodes.get(str(node.get("id")), {})
        app, version = app_from_api(str(node.get("selected_api") or extra.get("selected_api") or "UnknownAPI"))
        action = str(node.get("action") or extra.get("action") or "")
        type_of = str(node.get("type_of") or extra.get("type_of") or "write")
        params = node.get("params") if isinstance(node.get("params"), dict) else {}
        parent = node.get("parent_id")
        steps.append(ZapStep(
            id=str(node.get("id")), parent=str(parent) if parent is not None else None, app=app,
            title=str(node.get("title") or extra.get("title") or f"{app}: {humanise_action(action)}"),
            operation=humanise_action(action) or None, type_of=type_of, trigger=parent is None and type_of == "read",
            action=action, auth=node.get("authentication_id") or extra.get("authentication_id"), version=version,
            inputs=params, disabled=bool(node.get("paused")),
        ))
    return steps


def zap_from_export(document: Redacted, details: dict | None, keep_literals: bool) -> Workflow:
    """One Zap of `Zapfile.json`, redacted, with its (redacted) `zap_data.json` entry → Workflow."""
    if not isinstance(document, Redacted):
        raise TypeError("zap_from_export() takes redact_document(raw): nothing reads a raw Zap")
    zap = document.tree
    nodes = export_nodes(zap)
    steps = "nodes" if zap.get("nodes") else "steps"
    dates = [d for n in nodes for d in [parse_time(n.get("last_changed"))] if d]
    created = [d for n in nodes for d in [parse_time(n.get("created_at"))] if d]
    info = ZapInfo(id=str(zap.get("id")), title=str(zap.get("title") or (details or {}).get("title") or zap.get("id")),
                   active=str(zap.get("status", "")).lower() == "on" or zap.get("is_enabled") is True,
                   updated=max(dates) if dates else None, created=min(created) if created else None,
                   secrets=secret_refs(document, steps, lambda key, node: str(node.get("id", key)) if isinstance(
                       node, dict) else str(key)))
    return normalise(info, steps_from_export(zap, details), keep_literals)


def credentials_from_workflows(workflows: list[Workflow], raws: list[dict]) -> list[Credential]:
    """App accounts known only by the ids the steps name (the export lists no authentications); the
    normalised steps hold all there is, so `raws` (the Zaps) are not read."""
    credentials: dict[str, Credential] = {}
    for workflow in workflows:
        for step in workflow.steps:
            if step.credential and step.credential not in credentials:
                ident = step.credential.split(":", 1)[1]
                credentials[step.credential] = Credential(platform=PLATFORM, id=ident, app=step.app,
                                                          name=f"{step.app} account {ident}")
    return list(credentials.values())


def _zaps(document) -> list[dict]:
    if isinstance(document, dict):
        document = document.get("zaps", document.get("data", []))
    return [z for z in document or [] if isinstance(z, dict)]


def _is_history(document) -> bool:
    items = document if isinstance(document, list) else (document or {}).get("data") or (document or {}).get("results")
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "zap_id" in items[0]


def read_files(paths: list[Path]) -> Documents:
    """The JSON documents in the files given: JSON files as they are, ZIPs opened (every .json inside)."""
    documents: Documents = []
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
                            raise InputError(f"{path}!{member}: not valid JSON ({exc})") from None
        else:
            documents.append((str(path), read_json(path)))
    return documents


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Export documents → Collected: Zapfile.json and zap_data.json joined by Zap id, history files
    (runs with `zap_id`) aggregated into run statistics."""
    zapfile: list[dict] = []
    details: dict[str, dict] = {}
    history: list[dict] = []
    problems: list[str] = []
    for label, raw in documents:
        document = redact_document(raw).tree if _is_history(raw) else raw  # Zaps are redacted one by one below
        base = Path(label.split("!")[-1]).name.lower()
        if _is_history(document):
            items = document if isinstance(document, list) else document.get("data") or document.get("results")
            history += items
        elif base.startswith("zap_data"):
            details.update({str(z.get("id")): redact_document(z).tree for z in _zaps(document)})
        elif _zaps(document):
            zapfile += _zaps(document)
        else:
            problems.append(f"{label}: expected Zapfile.json, zap_data.json or a task-history file (no 'zaps' found)")
    if not zapfile and details:  # only zap_data.json given: it describes the same Zaps
        zapfile = list(details.values())
    if problems:
        raise problem("; ".join(problems), "give the files from Zapier's account export (or its ZIP)")
    workflows, exports = [], {}
    trees = []
    for zap in zapfile:
        redacted = redact_document(zap)  # the one boundary: nothing below sees the raw Zap
        trees.append(redacted.tree)
        try:
            workflows.append(zap_from_export(redacted, details.get(str(redacted.tree.get("id"))), ctx.keep_literals))
            exports[workflows[-1].id] = native_export(redacted, ctx.keep_literals)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"Zap {redacted.tree.get('id')}: {exc}")
    if problems:
        raise InputError("; ".join(problems))
    runs = None
    if history:
        window = (platform.window_days if platform else 30)
        runs = RunAggregator(ctx.now - timedelta(days=window), ctx.now)
        known = {w.id: w for w in workflows}
        for item in history:
            workflow = known.get(str(item.get("zap_id")))
            if workflow is None:
                continue
            status = RUN_STATUS.get(str(item.get("status")).lower(), "unknown")
            runs.add(workflow.ref, status, parse_time(item.get("start_time") or item.get("date")),
                     parse_time(item.get("end_time")))
    facts = PlatformFacts(platform=PLATFORM, name=platform.name if platform else "Zapier", url="https://zapier.com",
                          synced=ctx.now, source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows, trees),
                     users=None, runs=runs, replace_all=False, exports=exports)
