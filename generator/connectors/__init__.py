"""Sync and import: read a platform (its API, or its export files) into the client's snapshot.

Each platform's connector (`connectors/<kind>/`, the shape in `connectors/base.py`) collects into a
`Collected` (normalised, redacted); this module merges that into the previous snapshot and saves it
in one atomic swap. Every platform of the client is collected before anything is written, so a
failure anywhere leaves the snapshot exactly as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from generator.connectors import make, n8n, zapier
from generator.connectors.base import Collected, Connector, SyncContext, now_utc, problem
from generator.errors import InputError, PlatformError
from generator.model import Credential, Platform, Snapshot, SnapshotMeta, StepRef, Workflow
from generator.store import exports
from generator.store import snapshot as store

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


def relink_usage(credentials: list[Credential], workflows: list[Workflow]) -> list[Credential]:
    """Each credential's `used_by`, recomputed from the steps that name it."""
    usage: dict[str, list[StepRef]] = {}
    for workflow in sorted(workflows, key=lambda w: w.ref):
        for step in workflow.steps:
            if step.credential:
                usage.setdefault(step.credential, []).append(StepRef(workflow=workflow.ref, step=step.id))
    return [c.model_copy(update={"used_by": usage.get(c.ref, [])}) for c in credentials]


def merge(previous: Snapshot | None, collected: Collected, now: datetime) -> Snapshot:
    """The previous snapshot with one platform's part replaced (sync) or updated (import)."""
    platform: Platform = collected.facts.platform
    before = previous or Snapshot(meta=SnapshotMeta(taken=now))
    mine = {w.id for w in collected.workflows}
    if len(mine) < len(collected.workflows):
        twice = sorted({w.id for w in collected.workflows if sum(x.id == w.id for x in collected.workflows) > 1})
        message = f"{platform.label} listed the same workflow more than once ({', '.join(twice[:5])}); nothing was written"
        hint = "sync again; if it repeats, check the files or report it"
        # A sync's list comes from the platform; an import's from the user's files.
        raise PlatformError(message, None, hint) if collected.replace_all else problem(message, hint)
    kept = [w for w in before.workflows
            if w.platform != platform or (not collected.replace_all and w.id not in mine)]
    workflows = kept + collected.workflows

    if collected.replace_all:
        credentials = [c for c in before.credentials if c.platform != platform] + collected.credentials
    else:  # an import knows only names and types; what a sync learnt about a credential stays
        known = {c.ref for c in before.credentials}
        credentials = before.credentials + [c for c in collected.credentials if c.ref not in known]
    credentials = relink_usage(credentials, workflows)

    users = before.users if collected.users is None else (
        [u for u in before.users if u.platform != platform] + collected.users)

    previous_facts = next((p for p in before.platforms if p.platform == platform), None)
    facts = collected.facts
    if collected.facts.source == "import" and previous_facts is not None:
        facts = previous_facts  # an import does not know the instance; keep what the last sync learnt
    platforms = [p for p in before.platforms if p.platform != platform] + [facts]

    old_runs = {r.workflow: r for r in before.runs}
    runs = [r for r in before.runs if not r.workflow.startswith(f"{platform.value}:")]
    for workflow in workflows:
        if workflow.platform != platform:
            continue
        if collected.runs is not None and (collected.replace_all or workflow.id in mine):
            stats = collected.runs.stats(workflow.ref, old_runs.get(workflow.ref))
            runs.append(stats.model_copy(update={"incomplete": collected.incomplete.get(workflow.ref)}))
        elif workflow.ref in old_runs:
            runs.append(old_runs[workflow.ref])

    return Snapshot(meta=SnapshotMeta(taken=now), platforms=platforms, workflows=workflows,
                    credentials=credentials, users=users, runs=runs)


def _previous(directory: Path) -> Snapshot | None:
    if not (directory / "meta.yml").exists():
        return None
    try:
        return store.load(directory)
    except InputError as exc:
        raise problem("the current snapshot cannot be read, so it cannot be updated: " + "; ".join(exc.problems),
                      "fix those files (or restore them from Git) and sync again") from None


def _outcome(name: str, collected: Collected, seconds: float) -> Outcome:
    return Outcome(
        name=name, workflows=len(collected.workflows),
        runs_read=getattr(collected.runs, "runs_read", 0) if collected.runs is not None else 0,
        requests=collected.requests, throttled=collected.throttled, seconds=seconds,
        skipped=[f"{n.section}: {n.reason}" for n in collected.facts.not_collected],
        secrets=sum(len(w.secrets) for w in collected.workflows),
    )


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
    save(client, snapshot, [c for _, c in results])
    return [outcome for outcome, _ in results]


def save(client, snapshot: Snapshot, collected: list[Collected]) -> None:
    """The snapshot and the native exports, together: every export folder is written beside the current
    one first, then the snapshot is swapped in, then the export folders; a failure before the swaps
    changes nothing."""
    staged = []
    try:
        for part in collected:
            platform = part.facts.platform.value
            staged.append((exports.prepare(client.dir, platform, part.exports, part.replace_all), platform))
        store.save(snapshot, client.snapshot_dir)
    except BaseException:
        for staging, _ in staged:
            exports.discard(staging)
        raise
    for staging, platform in staged:
        exports.commit(staging, client.dir, platform)


def import_files(client, platform: str, paths: list[Path], ctx: SyncContext | None = None, *,
                 options: dict | None = None, progress=None) -> Outcome:
    """Import export files of one platform into the snapshot (adding or updating those workflows).
    `options` are the user's import choices: {"keep_literals": True} (Zapier); `progress` replaces the
    context's progress display (one step per file)."""
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
    advance = ctx.progress(f"{kind.label} files", len(paths))
    if kind is Platform.zapier:  # its files are read together (an export ZIP, or the Zapfile with its data)
        documents = connector.read_files(paths)
        advance(len(paths))
    else:  # one file is one document: parsed as it is imported, not all of them first
        documents = _one_by_one(connector, paths, advance)
    started = time.monotonic()
    collected = connector.import_documents(documents, configured, ctx)
    snapshot = merge(_previous(client.snapshot_dir), collected, ctx.now)
    save(client, snapshot, [collected])
    return _outcome(configured.name if configured else platform, collected, time.monotonic() - started)


def _one_by_one(connector: Connector, paths: list[Path], advance):
    for path in paths:
        yield from connector.read_files([path])
        advance(1)
