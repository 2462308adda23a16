"""The shape every connector has: the `Connector` protocol, what it returns, and what it is given.

A connector is one package per platform (`generator/connectors/<kind>/`) exposing `connector`, an
object with:

- `spec`: the platform's `PlatformSpec` (generator/platforms.py): names, required settings, key
  scopes, rate limit;
- `sync(platform, key, ctx) -> Collected`: read the platform's API with the key, everything it
  gives, normalised and redacted;
- `read_files(paths) -> documents`: the export files a user gives, parsed into (label, JSON) pairs;
  every unreadable file is an `InputError` naming it;
- `import_documents(documents, platform, ctx) -> Collected`: those documents, normalised and
  redacted like a sync (`platform` is the client's settings for this kind, or None).

A connector never writes anything and never raises anything but `InputError` (the user's files or
settings) and `PlatformError` (the platform or the network): the orchestrator (`connectors/__init__.py`)
merges what it collected into the snapshot. The registry of connectors is `connectors.CONNECTORS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from generator.config import PlatformConfig
from generator.connectors.http import AccessDenied, ApiClient, NotAvailable, RateLimiter, RetryPolicy
from generator.errors import InputError
from generator.model import Credential, NotCollected, PlatformFacts, User, Workflow
from generator.platforms import PlatformSpec
from generator.redact import redact_text

Documents = list[tuple[str, object]]  # (label for messages — a path, or path!member —, parsed JSON)
Progress = Callable[[str, int | None], Callable[[int], None]]  # (label, total) → advance(n)


def no_progress(label: str, total: int | None) -> Callable[[int], None]:
    return lambda n: None


@dataclass(frozen=True)
class SyncContext:
    """What a sync or an import is given besides the platform's settings: the clock, the progress
    display, and the limits a test shortens. The orchestrator builds it; tests build their own."""

    now: datetime
    progress: Progress = no_progress
    retry: RetryPolicy | None = None  # None: the platform's default (with its 429 cooldown)
    timeout: float = 30.0  # seconds per request
    rate_window: float = 60.0  # seconds in the platform's "per minute" rate limit
    max_pages: int = 100_000  # per list, against a server that never ends one
    keep_literals: bool = False  # import: keep non-secret literal step values where a platform drops them


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


class Connector(Protocol):
    spec: PlatformSpec

    def sync(self, platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected: ...

    def read_files(self, paths: list[Path]) -> Documents: ...

    def import_documents(self, documents: Documents, platform: PlatformConfig | None,
                         ctx: SyncContext) -> Collected: ...


# --------------------------------------------------------------------------------------------------
# Helpers the connectors share


def api_client(spec: PlatformSpec, base_url: str, headers: dict[str, str], platform: PlatformConfig,
               ctx: SyncContext) -> ApiClient:
    """A client for one sync: the context's timeout, retries and page limit; paced under the
    platform's rate limit, if it has one (`client.limiter.limit` can be raised once the plan is known)."""
    limit = spec.rate_limit
    retry = ctx.retry or (RetryPolicy(cooldown_429=ctx.rate_window * limit.cooldown) if limit else RetryPolicy())
    return ApiClient(base_url, headers, platform=spec.kind.value, key_env=platform.api_key_env, retry=retry,
                     timeout=ctx.timeout, max_pages=ctx.max_pages,
                     limiter=RateLimiter(limit.per_minute, window=ctx.rate_window) if limit else None)


def optional(skipped: list, section: str, scope: str, fetch, *, spec: PlatformSpec,
             generic: tuple[str, ...] = ("forbidden",), unavailable: str = "not available", default=None):
    """`fetch()`, or — when the platform refuses — `default` and a note in `skipped`, so one section the
    key cannot read never fails the whole sync. A generic refusal means the key lacks `scope`; any other
    text is the platform's own reason (a licence, a plan), quoted."""
    try:
        return fetch()
    except AccessDenied as exc:
        detail = exc.detail.strip()
        plain = not detail or any(word in detail.lower() for word in generic)
        skipped.append(NotCollected(section=section, reason=f"the {spec.credential_word} lacks {scope}" if plain
                                    else f"refused by {spec.label}: {redact_text(detail)[0]}"))
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


def read_json(path: Path) -> object:
    """A JSON export file, with a located error for anything unreadable."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # editors on Windows add a byte-order mark
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; expected a JSON export") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}) — export the workflow "
                         "again from the editor") from None


def read_json_files(paths: list[Path]) -> Documents:
    """Each file as one JSON document: what n8n and Make exports are."""
    return [(str(path), read_json(path)) for path in paths]


def problem(message: str, hint: str = "") -> InputError:
    """An input error shown as one line with what to do, as the CLI prints it."""
    return InputError(message + (f" — {hint}" if hint else ""))
