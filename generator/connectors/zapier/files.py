"""Zapier: the account data export — `Zapfile.json`, `zap_data.json`, task-history JSON, or the ZIP
holding them."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path

from generator.config import PlatformConfig
from generator.connectors.base import (
    MAX_FILE_BYTES,
    NORMALISE_ERRORS,
    NUMBER,
    SCALAR,
    TEXT,
    Collected,
    Documents,
    ImportIds,
    Rejected,
    SyncContext,
    check_document,
    check_shape,
    failure,
    load_json_bytes,
    nothing_importable,
    parse_time,
    read_json,
)
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
from generator.store.exports import export_file
from generator.store.spill import Workflows


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
    placed: set[int] = set()
    stack = list(reversed(children.get(None, [])))
    while stack:  # depth first, iterative: a chain of thousands of steps is one long path
        node = stack.pop()
        if id(node) in placed:
            continue
        placed.add(id(node))
        order.append(node)
        stack.extend(reversed(children.get(str(node.get("id")), [])))
    order += [n for n in nodes if id(n) not in placed]  # a node whose parent is missing (or a loop) still shows

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


# What the step builder reads of an export node, by type (connectors.base.check_shape).
NODE_SHAPE = {"id": SCALAR, "parent_id": SCALAR, "title": TEXT, "selected_api": TEXT, "action": TEXT,
              "type_of": TEXT, "params": {}, "meta": {}, "authentication_id": SCALAR, "sort_order": NUMBER}


def zap_from_export(document: Redacted, details: dict | None, keep_literals: bool) -> Workflow:
    """One Zap of `Zapfile.json`, redacted, with its (redacted) `zap_data.json` entry → Workflow."""
    if not isinstance(document, Redacted):
        raise TypeError("zap_from_export() takes redact_document(raw): nothing reads a raw Zap")
    zap = document.tree
    check_shape(zap, {"title": TEXT})
    nodes = export_nodes(zap)
    steps = "nodes" if zap.get("nodes") else "steps"
    for index, node in enumerate(nodes):
        check_shape(node, NODE_SHAPE, f"{steps}[{node.get('id', index)}]")
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
    return [z for z in document if isinstance(z, dict)] if isinstance(document, list) else []


def _is_history(document) -> bool:
    items = document if isinstance(document, list) else (
        (document.get("data") or document.get("results")) if isinstance(document, dict) else None)
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "zap_id" in items[0]


# What one export archive may expand to: Zapier's account export is a few megabytes.
MAX_MEMBERS = 10_000
MAX_EXPANDED = 512 * 1024 * 1024  # bytes, all JSON members together
MAX_RATIO = 200  # expanded size over compressed size, per member (a "ZIP bomb" is thousands)


def _archive(path: Path) -> Documents:
    """The JSON members of a ZIP, each checked against the limits before it is expanded."""
    documents: Documents = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".json") and not m.is_dir()]
            if len(archive.infolist()) > MAX_MEMBERS:
                raise InputError(f"{path}: {len(archive.infolist()):,} members; an export archive has at most "
                                 f"{MAX_MEMBERS:,}")
            total = 0
            for member in sorted(members, key=lambda m: m.filename):
                label = f"{path}!{member.filename}"
                total += member.file_size
                if member.file_size > MAX_FILE_BYTES or total > MAX_EXPANDED:
                    raise InputError(f"{label}: expands to more than the archive may hold "
                                     f"({MAX_FILE_BYTES // 2**20} MB a file, {MAX_EXPANDED // 2**20} MB in all)")
                if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                    raise InputError(f"{label}: compressed {member.file_size // max(member.compress_size, 1):,} to 1, "
                                     f"more than the {MAX_RATIO} to 1 an export is; refused as a possible ZIP bomb")
                with archive.open(member) as handle:
                    raw = handle.read(MAX_FILE_BYTES + 1)  # the header's size may lie: never read past the cap
                if len(raw) > MAX_FILE_BYTES:
                    raise InputError(f"{label}: larger than its archive entry says; refused")
                try:
                    documents.append((label, load_json_bytes(raw, label)))
                except InputError as exc:
                    documents.append((label, Rejected("; ".join(exc.problems))))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a ZIP archive that can be read ({exc})") from None
    if not members:
        raise InputError(f"{path}: the archive holds no JSON file; expected Zapier's account export")
    return documents


def read_files(paths: list[Path]) -> Documents:
    """The JSON documents in the files given: JSON files as they are, ZIPs opened (every .json inside)."""
    documents: Documents = []
    for path in paths:
        try:
            documents += _archive(path) if zipfile.is_zipfile(path) else [(str(path), read_json(path))]
        except InputError as exc:
            documents.append((str(path), Rejected("; ".join(exc.problems))))
    return documents


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Export documents → Collected: Zapfile.json and zap_data.json joined by Zap id, history files
    (runs with `zap_id`) aggregated into run statistics."""
    zapfile: list[tuple[str, dict]] = []  # (file it came from, Zap)
    details: dict[str, dict] = {}
    history: list[dict] = []
    problems: list[str] = []
    for label, raw in documents:
        document = redact_document(raw).tree if _is_history(raw) else raw  # Zaps are redacted one by one below
        base = Path(label.split("!")[-1]).name.lower()
        if isinstance(document, Rejected):
            problems.append(document.reason)
        elif _is_history(document):
            items = document if isinstance(document, list) else document.get("data") or document.get("results")
            history += items
        elif base.startswith("zap_data"):
            details.update({str(z.get("id")): redact_document(z).tree for z in _zaps(document)})
        elif _zaps(document):
            zapfile += [(label, zap) for zap in _zaps(document)]
        else:
            what = "the top level is not an object or a list" if not isinstance(document, (dict, list)) else \
                "no 'zaps' found"
            problems.append(f"{label}: expected Zapfile.json, zap_data.json or a task-history file ({what})")
    if not zapfile and details:  # only zap_data.json given: it describes the same Zaps
        zapfile = [("zap_data.json", zap) for zap in details.values()]
    ids = ImportIds(ctx)
    workflows, exports, origin = Workflows(), {}, {}  # workflows and exports spilled as they come
    for label, zap in zapfile:
        where = f"{label}: Zap {str(zap.get('id'))[:40]}"
        try:
            check_document(zap, where)
            redacted = redact_document(zap)  # the one boundary: nothing below sees the raw Zap
            workflow = ids.assign(zap_from_export(redacted, details.get(str(redacted.tree.get("id"))),
                                                  ctx.keep_literals), where, redacted.tree,
                                  platform_id=zap.get("id") not in (None, ""))
            if workflow is None:
                continue
            exports[workflow.id] = workflows.spill.put(export_file(native_export(redacted, ctx.keep_literals)))
        except NORMALISE_ERRORS as exc:
            problems.append(f"{where}: {failure(exc)}")
            continue
        workflows.append(workflow)
        origin.setdefault(str(zap.get("id")), workflow.ref)
    if not workflows:
        raise nothing_importable("Zap", problems)
    runs = None
    if history:
        window = (platform.window_days if platform else 30)
        runs = RunAggregator(ctx.now - timedelta(days=window), ctx.now)
        for item in history:
            ref = origin.get(str(item.get("zap_id"))) if isinstance(item, dict) else None
            if ref is None:
                continue
            status = RUN_STATUS.get(str(item.get("status")).lower(), "unknown")
            runs.add(ref, status, parse_time(item.get("start_time") or item.get("date")),
                     parse_time(item.get("end_time")))
    facts = PlatformFacts(platform=PLATFORM, name=platform.name if platform else "Zapier", url="https://zapier.com",
                          synced=ctx.now, source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows, []),
                     users=None, runs=runs, replace_all=False, exports=exports, rejected=problems,
                     renamed=ids.renamed)
