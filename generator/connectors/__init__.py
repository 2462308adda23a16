"""Sync and import: read a platform (its API, or its export files) into the client's snapshot.

Each platform module collects into a `Collected` (normalised, redacted); this module merges that into
the previous snapshot and saves it in one atomic swap. Every platform of the client is collected
before anything is written, so a failure anywhere leaves the snapshot exactly as it was.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values

from generator.errors import InputError
from generator.model import (
    Credential,
    NotCollected,
    Platform,
    PlatformFacts,
    Snapshot,
    SnapshotMeta,
    StepRef,
    User,
    Workflow,
)
from generator.store import exports
from generator.store import snapshot as store


class SyncProblem(Exception):
    """A sync or import that cannot go on: what failed and what to do. `input_error` marks problems
    with the user's files or settings (exit 2) rather than with the platform (exit 3)."""

    def __init__(self, message: str, hint: str = "", *, input_error: bool = False):
        super().__init__(message)
        self.hint = hint
        self.input_error = input_error

    def __str__(self) -> str:
        return super().__str__() + (f" — {self.hint}" if self.hint else "")


@dataclass
class Collected:
    """What one platform gave: already normalised and redacted."""

    facts: PlatformFacts
    workflows: list[Workflow]
    credentials: list[Credential]
    users: list[User] | None  # None: not read this time, keep the previous ones
    runs: object | None  # a RunAggregator; None: keep the previous run statistics
    replace_all: bool  # sync: these are all the platform's workflows; import: add or update these
    requests: int = 0
    throttled: int = 0  # 429 answers the platform gave
    incomplete: dict[str, int] = field(default_factory=dict)  # workflow ref → runs waiting (Make)
    exports: dict[str, dict] = field(default_factory=dict)  # workflow id → native definition, redacted


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


def optional(skipped: list, section: str, scope: str, fetch, *, platform: str, credential: str = "key",
             generic: tuple[str, ...] = ("forbidden",), unavailable: str = "not available", default=None):
    """`fetch()`, or — when the platform refuses — `default` and a note in `skipped`, so one section the
    key cannot read never fails the whole sync. A generic refusal means the key lacks `scope`; any other
    text is the platform's own reason (a licence, a plan), quoted."""
    from generator.connectors.http import AccessDenied, NotAvailable
    from generator.redact import redact_text

    try:
        return fetch()
    except AccessDenied as exc:
        detail = exc.detail.strip()
        plain = not detail or any(word in detail.lower() for word in generic)
        skipped.append(NotCollected(section=section, reason=f"the {credential} lacks {scope}" if plain
                                    else f"refused by {platform}: {redact_text(detail)[0]}"))
    except NotAvailable as exc:
        skipped.append(NotCollected(section=section, reason=f"{unavailable} (HTTP {exc.status})"))
    return default


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_time(value) -> datetime | None:
    """A platform's ISO 8601 time (with `Z`, an offset, or none: then UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Keys


def api_key(env_name: str, search: list[Path]) -> str:
    """The key from the environment, else from the first `.env` that has it. Never logged or shown."""
    value = os.environ.get(env_name)
    for folder in search:
        if value:
            break
        dotenv = folder / ".env"
        if dotenv.is_file():
            value = dotenv_values(dotenv).get(env_name)
    if not value:
        raise SyncProblem(f"the environment variable {env_name}, named in client.yml, is not set",
                          f"set it (export {env_name}=…) or add it to a .env file kept out of Git", input_error=True)
    return value.strip()


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
        raise SyncProblem(f"{platform.label} listed the same workflow more than once ({', '.join(twice[:5])}); "
                          "nothing was written", "sync again; if it repeats, check the files or report it")
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
        raise SyncProblem("the current snapshot cannot be read, so it cannot be updated: " + "; ".join(exc.problems),
                          "fix those files (or restore them from Git) and sync again", input_error=True) from None


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


SUPPORTED = ("n8n", "make", "zapier")


def connector(kind: str):
    """The module for a platform: `sync(config, …)` and `import_documents(documents, …)`."""
    return importlib.import_module(f"{__package__}.{kind}")


def sync_client(client, *, only: str | None = None, window_days: int | None = None, progress=None,
                now: datetime | None = None, retry=None, timeout: float = 30.0,
                options: dict | None = None) -> list[Outcome]:
    """Sync every platform in client.yml (or the one named `only`), then save the snapshot once.
    `options` go to one kind's connector: {"make": {"rate_window": 1.0}} (tests shorten the minute)."""
    now = now or now_utc()
    config = client.config
    chosen = [p for p in config.platforms if only in (None, p.name, p.kind.value)]
    if not chosen:
        names = ", ".join(f"'{p.name}'" for p in config.platforms) or "none"
        raise SyncProblem(f"{client.config_path}: no platform to sync matches {only!r} (platforms: {names})"
                          if only else f"{client.config_path}: no platforms are listed under `platforms:`",
                          "add the platform with its base_url and api_key_env", input_error=True)
    previous = _previous(client.snapshot_dir)
    results: list[tuple[Outcome, Collected]] = []
    outcomes: list[Outcome] = []
    for platform in chosen:
        if platform.kind.value not in SUPPORTED:
            outcomes.append(Outcome(name=platform.name, skipped=[
                f"sync from the {platform.kind.value} API is not available yet; use `handover import`"]))
            continue
        needs = "base_url" if platform.kind.value == "n8n" else None
        if not platform.api_key_env or (needs and not getattr(platform, needs)):
            raise SyncProblem(f"{client.config_path}: platform '{platform.name}' needs api_key_env"
                              f"{' and ' + needs if needs else ''} to be synced", input_error=True)
        key = api_key(platform.api_key_env, [client.dir, client.root])
        config_for_run = platform.model_copy(update={"window_days": window_days or platform.window_days})
        started = time.monotonic()
        collected = connector(platform.kind.value).sync(config_for_run, api_key=key, now=now, progress=progress,
                                                        retry=retry, timeout=timeout,
                                                        **(options or {}).get(platform.kind.value, {}))
        results.append((_outcome(platform.name, collected, time.monotonic() - started), collected))
    snapshot = previous
    for outcome, collected in results:
        snapshot = merge(snapshot, collected, now)
        outcomes.append(outcome)
    if results:
        save(client, snapshot, [c for _, c in results])
    return outcomes


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


def read_export(path: Path) -> object:
    """A JSON export file, with a located error for anything unreadable."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # editors on Windows add a byte-order mark
    except OSError as exc:
        raise SyncProblem(f"{path}: cannot read it ({exc.strerror})", input_error=True) from None
    except UnicodeDecodeError:
        raise SyncProblem(f"{path}: not UTF-8 text; expected a JSON export", input_error=True) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SyncProblem(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
                          "export the workflow again from the editor", input_error=True) from None


def import_files(client, platform: str, paths: list[Path], *, now: datetime | None = None,
                 options: dict | None = None) -> Outcome:
    """Import export files of one platform into the snapshot (adding or updating those workflows).
    `options` go to the platform's importer (Zapier: keep_literals)."""
    if platform not in SUPPORTED:
        raise SyncProblem(f"importing {platform} files is not available yet (available: {', '.join(SUPPORTED)})",
                          input_error=True)
    now = now or now_utc()
    configured = next((p for p in client.config.platforms if p.kind.value == platform), None)
    module = connector(platform)
    reader = getattr(module, "read_documents", None)  # Zapier's export comes as a ZIP too
    documents = reader(paths) if reader else [(str(path), read_export(path)) for path in paths]
    started = time.monotonic()
    collected = module.import_documents(documents, config=configured, now=now, **(options or {}))
    snapshot = merge(_previous(client.snapshot_dir), collected, now)
    save(client, snapshot, [collected])
    return _outcome(configured.name if configured else platform, collected, time.monotonic() - started)
