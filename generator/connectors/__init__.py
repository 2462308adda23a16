"""Sync and import: read a platform (its API, or its export files) into the client's snapshot.

Each platform's connector (`connectors/<kind>/`, the shape in `connectors/base.py`) collects into a
`Collected` (normalised, redacted, its workflows and export files spilled to a temporary file: see
store/spill.py); this module merges that into the previous snapshot and saves it in one atomic swap.
Every platform of the client is collected before anything is written, so a failure anywhere leaves
the snapshot exactly as it was.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from generator.connectors import make, n8n, zapier
from generator.connectors.base import Collected, Connector, SyncContext, now_utc, problem
from generator.errors import InputError, PlatformError
from generator.model import Credential, Platform, RunStats, Snapshot, SnapshotMeta, StepRef, Workflow
from generator.store import exports
from generator.store import snapshot as store
from generator.store.spill import Workflows

# The connector of each platform kind: the one place that lists them.
CONNECTORS: dict[Platform, Connector] = {c.spec.kind: c for c in (n8n.connector, make.connector, zapier.connector)}


@dataclass
class Outcome:
    """One platform's part of a sync, for the summary."""

    name: str
    workflows: int = 0
    runs_read: int = 0
    requests: int = 0
    throttled: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    secrets: int = 0
    not_documented: list[str] = field(default_factory=list)  # "<ref> “name”: reason (kept …/left out)"
    rejected: list[str] = field(default_factory=list)  # import: files or workflows left out, with the reason
    renamed: list[str] = field(default_factory=list)  # import: workflows given another id than the platform's
    changed: bool = True  # False: the snapshot and exports already held exactly this; nothing was written


# --------------------------------------------------------------------------------------------------
# Keys


def api_key(client, env_name: str) -> str:
    """The key by the variable client.yml names (the environment, else a `.env`). Never logged or shown."""
    value = client.secret(env_name)
    if not value:
        raise problem(f"the environment variable {env_name}, named in client.yml, is not set",
                      f"set it (export {env_name}=…) or add it to a .env file kept out of Git")
    return value


# --------------------------------------------------------------------------------------------------
# Merging into the snapshot


def relink_usage(credentials: list[Credential], workflows: Iterable[Workflow]) -> list[Credential]:
    """Each credential's `used_by`, recomputed from the steps that name it (one pass over the workflows,
    which may be spilled: by workflow, then step order)."""
    usage: dict[str, list[tuple[str, int, StepRef]]] = {}
    for workflow in workflows:
        for index, step in enumerate(workflow.steps):
            if step.credential:
                usage.setdefault(step.credential, []).append(
                    (workflow.ref, index, StepRef(workflow=workflow.ref, step=step.id)))
    return [c.model_copy(update={"used_by": [ref for *_, ref in sorted(usage.get(c.ref, []), key=lambda u: u[:2])]})
            for c in credentials]


def merge(previous: Snapshot | None, collected: Collected, now: datetime) -> Snapshot:
    """The previous snapshot with one platform's part replaced (sync) or updated (import). What the
    platform did not give this time keeps its previous values: a workflow that could not be read, and
    a section the key could not read (users, credentials, run statistics), each marked since when.
    The snapshot's workflows are spilled (store/spill.py): it is made to be saved."""
    platform: Platform = collected.facts.platform
    before = previous or Snapshot(meta=SnapshotMeta(taken=now))
    counted = Counter(ident for _, ident in collected.workflows.keys())
    mine = set(counted)
    if len(mine) < len(collected.workflows):
        twice = sorted(ident for ident, n in counted.items() if n > 1)
        message = f"{platform.label} listed the same workflow more than once ({', '.join(twice[:5])}); nothing was written"
        hint = "sync again; if it repeats, check the files or report it"
        # A sync's list comes from the platform; an import's from the user's files.
        raise PlatformError(message, None, hint) if collected.replace_all else problem(message, hint)
    previous_facts = next((p for p in before.platforms if p.platform == platform), None)
    since = (previous_facts.synced if previous_facts else None) or before.meta.taken

    # Workflows that could not be normalised stay at their previous version (new ones are left out).
    before_workflows = before.workflows if isinstance(before.workflows, Workflows) else Workflows(before.workflows)
    old = {f"{kind}:{ident}" for kind, ident in before_workflows.keys() if kind == platform.value}
    earlier = {n.workflow: n.kept_since for n in (previous_facts.not_documented if previous_facts else [])}
    undocumented = [n.model_copy(update={"kept_since": (earlier.get(n.workflow) or since) if n.workflow in old else None})
                    for n in collected.facts.not_documented]
    held = {n.workflow for n in undocumented if n.workflow in old}
    workflows = Workflows()
    workflows.take(before_workflows, lambda kind, ident: kind != platform.value or f"{kind}:{ident}" in held
                   or (not collected.replace_all and ident not in mine))
    workflows.extend(_with_history(w, before_workflows.find(w.ref) if w.ref in old else None) for w in collected.workflows)

    if collected.credentials is None:  # not read this time: the previous ones stay
        credentials = list(before.credentials)
    elif collected.replace_all and not collected.credentials_from_steps:
        credentials = [c for c in before.credentials if c.platform != platform] + collected.credentials
    else:  # an import (or a key that cannot list them) knows only names and types: what a sync learnt stays
        known = {c.ref for c in before.credentials}
        credentials = before.credentials + [c for c in collected.credentials if c.ref not in known]
    credentials = relink_usage(credentials, workflows)

    users = before.users if collected.users is None else (
        [u for u in before.users if u.platform != platform] + collected.users)

    facts = collected.facts
    if collected.facts.source == "import" and previous_facts is not None:
        facts = previous_facts  # an import does not know the instance; keep what the last sync learnt
    else:
        kept = any(c.platform == platform for c in before.credentials) and (
            collected.credentials is None or collected.credentials_from_steps)
        had = {"users": any(u.platform == platform for u in before.users) and collected.users is None,
               # the platforms' own words for the section
               "credentials": kept, "connections": kept, "authentications": kept,
               "run statistics": any(r.workflow.startswith(f"{platform.value}:") for r in before.runs)
               and collected.runs is None,
               "insights": bool(previous_facts and previous_facts.insights) and not facts.insights}
        if had["insights"] and any(n.section == "insights" for n in facts.not_collected):  # the key lost the scope
            facts = facts.model_copy(update={"insights": previous_facts.insights, "insights_unavailable": None})
        gaps = {n.section: n.kept_since for n in (previous_facts.not_collected if previous_facts else [])}
        facts = facts.model_copy(update={"not_collected": [
            n.model_copy(update={"kept_since": gaps.get(n.section) or since}) if had.get(n.section) else n
            for n in facts.not_collected]})
    # A sync's list is the whole story; an import adds to the previous one (less what it now read).
    fresh = {f"{platform.value}:{i}" for i in mine} | {n.workflow for n in undocumented}
    carried = [] if collected.replace_all or previous_facts is None else [
        n for n in previous_facts.not_documented if n.workflow not in fresh]
    facts = facts.model_copy(update={"not_documented": sorted(carried + undocumented, key=lambda n: n.workflow)})
    platforms = [p for p in before.platforms if p.platform != platform] + [facts]

    old_runs = {r.workflow: r for r in before.runs}
    runs = [r for r in before.runs if not r.workflow.startswith(f"{platform.value}:")]
    for kind, ident in workflows.keys():
        ref = f"{kind}:{ident}"
        if kind != platform.value:
            continue
        if collected.runs is not None and ident in mine:
            stats = collected.runs.stats(ref, old_runs.get(ref))
            stats = stats.model_copy(update={"incomplete": collected.incomplete.get(ref)})
            runs.append(_same_window(stats, old_runs.get(ref)))
        elif ref in old_runs:
            runs.append(old_runs[ref])

    # Not validated again (every part already is): validating would read every spilled workflow into a list.
    return Snapshot.model_construct(meta=SnapshotMeta(taken=now), platforms=platforms, workflows=workflows,
                                    credentials=credentials, users=users, runs=runs)


def entered(snapshot: Snapshot, config) -> Snapshot:
    """The facts no platform reports, copied from client.yml (fields marked `entered_in` in the model):
    how long each platform keeps run data, whether it e-mails failures itself, and how credentials are
    connected and what they grant where the platform does not say."""
    def settings_for(facts_or_workflow, name: str | None = None):
        kind = facts_or_workflow.platform
        same_kind = [p for p in config.platforms if p.kind == kind]
        return next((p for p in same_kind if p.name == name), same_kind[0] if len(same_kind) == 1 else None)

    platforms = []
    for facts in snapshot.platforms:
        chosen = settings_for(facts, facts.name)
        platforms.append(facts.model_copy(update={"run_data_keep_days": chosen.run_data_keep_days if chosen else None}))
    workflows = snapshot.workflows
    if any(p.failure_emails is not None for p in config.platforms):
        workflows = Workflows(spill=getattr(workflows, "spill", None))
        for workflow in snapshot.workflows:
            chosen = settings_for(workflow)
            if chosen is not None and chosen.failure_emails is not None:
                settings = workflow.settings.model_copy(update={"alerts_on_failure": chosen.failure_emails})
                workflow = workflow.model_copy(update={"settings": settings})
            workflows.append(workflow)
    credentials = []
    for credential in snapshot.credentials:
        if credential.ref in config.connected_as:
            credential = credential.model_copy(update={"service_account": config.connected_as[credential.ref] == "service"})
        if credential.ref in config.credential_scopes and not credential.scopes:  # what the platform says wins
            credential = credential.model_copy(update={"scopes": list(config.credential_scopes[credential.ref])})
        credentials.append(credential)
    return snapshot.model_copy(update={"platforms": platforms, "workflows": workflows, "credentials": credentials})


def _with_history(workflow: Workflow, before: Workflow | None, keep: int = 200) -> Workflow:
    """The platform's version history joined with what earlier syncs kept (the platform prunes its own)."""
    if before is None or not before.history:
        return workflow
    seen = {v.version for v in workflow.history}
    joined = workflow.history + [v for v in before.history if v.version not in seen]
    joined.sort(key=lambda v: (v.saved is not None, v.saved), reverse=True)
    return workflow.model_copy(update={"history": joined[:keep]})


def _same_window(stats: RunStats, old: RunStats | None) -> RunStats:
    """The previous statistics when only the window moved (no run came or left): a sync without change
    rewrites no runs file."""
    if old is None:
        return stats
    moved = stats.model_copy(update={"window_start": old.window_start, "window_end": old.window_end})
    # compared as written: the platform's times have milliseconds the files do not keep
    return old if moved.model_dump(mode="json") == old.model_dump(mode="json") else stats


def _previous(directory: Path) -> Snapshot | None:
    if not (directory / "meta.yml").exists():
        return None
    try:
        return store.load(directory, spilled=True)  # merged into a file at a time, never held whole
    except InputError as exc:
        raise problem("the current snapshot cannot be read, so it cannot be updated: " + "; ".join(exc.problems),
                      "fix those files (or restore them from Git) and sync again") from None


def _outcome(name: str, collected: Collected, seconds: float) -> Outcome:
    return Outcome(
        name=name, workflows=len(collected.workflows),
        runs_read=getattr(collected.runs, "runs_read", 0) if collected.runs is not None else 0,
        requests=collected.requests, throttled=collected.throttled, seconds=seconds,
        secrets=sum(len(w.secrets) for w in collected.workflows),
        rejected=list(collected.rejected), renamed=list(collected.renamed),
    )


def _describe(outcome: Outcome, snapshot: Snapshot, platform: Platform) -> None:
    """What the merged snapshot says of this platform's gaps, for the summary."""
    facts = next((p for p in snapshot.platforms if p.platform == platform), None)
    if facts is None:
        return
    outcome.skipped = [f"{n.section}: {n.reason}" + (f" — previous values kept, not refreshed since {n.kept_since:%Y-%m-%d}"
                                                     if n.kept_since else "") for n in facts.not_collected]
    outcome.not_documented = [
        f"{n.workflow} “{n.name}”: {n.reason} — " + (f"kept at its version of {n.kept_since:%Y-%m-%d}" if n.kept_since
                                                    else "left out (new)") for n in facts.not_documented]


# --------------------------------------------------------------------------------------------------
# The two entry points


def sync_client(client, ctx: SyncContext | None = None, *, only: str | None = None, window_days: int | None = None,
                progress=None) -> list[Outcome]:
    """Sync every platform in client.yml (or the one named `only`), then save the snapshot once.
    `ctx` carries the clock, retries, timeouts and limits (default: now, the platforms' own);
    `progress` replaces its progress display."""
    ctx = ctx or SyncContext(now=now_utc())
    if progress is not None:
        ctx = replace(ctx, progress=progress)
    config = client.config
    chosen = [p for p in config.platforms if only in (None, p.name, p.kind.value)]
    if not chosen:
        names = ", ".join(f"'{p.name}'" for p in config.platforms) or "none"
        raise problem(f"{client.config_path}: no platform to sync matches {only!r} (platforms: {names})"
                      if only else f"{client.config_path}: no platforms are listed under `platforms:`",
                      "add the platform with its base_url and api_key_env")
    previous = _previous(client.snapshot_dir)
    results: list[tuple[Outcome, Collected]] = []
    for platform in chosen:
        connector = CONNECTORS[platform.kind]
        required = connector.spec.required
        if any(not getattr(platform, setting) for setting in required):
            raise InputError(f"{client.config_path}: platform '{platform.name}' needs {' and '.join(required)} "
                             "to be synced")
        key = api_key(client, platform.api_key_env)
        settings = platform.model_copy(update={"window_days": window_days or platform.window_days})
        started = time.monotonic()
        collected = connector.sync(settings, key, ctx)
        results.append((_outcome(platform.name, collected, time.monotonic() - started), collected))
    snapshot = previous
    for _, collected in results:
        snapshot = merge(snapshot, collected, ctx.now)
    snapshot = entered(snapshot, config)
    changed = save(client, snapshot, [c for _, c in results], previous)
    for outcome, collected in results:
        _describe(outcome, snapshot, collected.facts.platform)
        outcome.changed = changed
    return [outcome for outcome, _ in results]


def _timeless(snapshot: Snapshot, like: Snapshot) -> Snapshot:
    """The snapshot with the collection times of `like` (meta.taken, each platform's synced): its files
    against `like`'s decide whether a sync changed anything."""
    synced = {p.platform: p.synced for p in like.platforms}
    return snapshot.model_copy(update={
        "meta": like.meta,
        "platforms": [p.model_copy(update={"synced": synced.get(p.platform, p.synced)}) for p in snapshot.platforms]})


def save(client, snapshot: Snapshot, collected: list[Collected], previous: Snapshot | None = None) -> bool:
    """The snapshot and the native exports, together: every export folder is written beside the current
    one first, then the snapshot is swapped in, then the export folders; a failure before the swaps
    changes nothing. When neither differs from what is there (but for the collection times), nothing
    is written and False is returned: an unchanged sync leaves every file as it was."""
    planned = []
    for part in collected:
        platform = part.facts.platform
        facts = next((p for p in snapshot.platforms if p.platform == platform), None)
        keep = frozenset(n.workflow.split(":", 1)[1] for n in (facts.not_documented if facts else []) if n.kept_since)
        planned.append((exports.planned(client.dir, platform.value, part.exports, part.replace_all, keep),
                        platform.value))
    if previous is not None and store.same_files(_timeless(snapshot, previous), previous) and all(
            exports.unchanged(client.dir, platform, files) for files, platform in planned):
        return False
    staged = []
    try:
        for files, platform in planned:
            staged.append((exports.prepare(client.dir, files, platform), platform))
        store.save(snapshot, client.snapshot_dir)
    except BaseException:
        for staging, _ in staged:
            exports.discard(staging)
        raise
    for staging, platform in staged:
        exports.commit(staging, client.dir, platform)
    return True


def import_files(client, platform: str, paths: list[Path], ctx: SyncContext | None = None, *,
                 options: dict | None = None, progress=None) -> Outcome:
    """Import export files of one platform into the snapshot (adding or updating those workflows).
    `options` are the user's import choices: {"keep_literals": True} (Zapier), {"replace": True};
    `progress` replaces the context's progress display (one step per file). A file or workflow that
    cannot be read is rejected (`Outcome.rejected`) and the others imported; nothing importable at all
    is an InputError and nothing is written."""
    try:
        kind = Platform(platform)
    except ValueError:
        raise InputError(f"importing {platform} files is not available yet (available: "
                         f"{', '.join(p.value for p in CONNECTORS)})") from None
    ctx = ctx or SyncContext(now=now_utc())
    if options:
        ctx = replace(ctx, **options)
    if progress is not None:
        ctx = replace(ctx, progress=progress)
    connector = CONNECTORS[kind]
    configured = next((p for p in client.config.platforms if p.kind == kind), None)
    previous = _previous(client.snapshot_dir)
    if previous is not None:
        mine = Workflows(spill=previous.workflows.spill)
        mine.take(previous.workflows, lambda platform, ident: platform == kind.value)
        ctx = replace(ctx, previous=mine)
    advance = ctx.progress(f"{kind.label} files", len(paths))
    if connector.spec.files_together:  # an export ZIP, or a Zapfile with its zap_data.json
        documents = connector.read_files(paths)
        advance(len(paths))
    else:  # one file is one document: parsed as it is imported, not all of them first
        documents = _one_by_one(connector, paths, advance)
    started = time.monotonic()
    collected = connector.import_documents(documents, configured, ctx)
    snapshot = entered(merge(previous, collected, ctx.now), client.config)
    outcome = _outcome(configured.name if configured else platform, collected, time.monotonic() - started)
    outcome.changed = save(client, snapshot, [collected], previous)
    _describe(outcome, snapshot, kind)
    return outcome


def _one_by_one(connector: Connector, paths: list[Path], advance):
    for path in paths:
        yield from connector.read_files([path])
        advance(1)
