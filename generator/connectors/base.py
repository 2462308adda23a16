"""The shape every connector has: the `Connector` protocol, what it returns, and what it is given.

A connector is one package per platform (`generator/connectors/<kind>/`) exposing `connector`, an
object with:

- `spec`: the platform's `PlatformSpec` (generator/platforms.py): names, required settings, key
  scopes, rate limit;
- `sync(platform, key, ctx) -> Collected`: read the platform's API with the key, everything it
  gives, normalised and redacted;
- `read_files(paths) -> documents`: the export files a user gives, parsed into (label, JSON) pairs;
  an unreadable file is a `Rejected` document with the reason naming it (the others are imported);
- `import_documents(documents, platform, ctx) -> Collected`: those documents, normalised and
  redacted like a sync (`platform` is the client's settings for this kind, or None).

A connector never writes anything and never raises anything but `InputError` (the user's files or
settings) and `PlatformError` (the platform or the network): the orchestrator (`connectors/__init__.py`)
merges what it collected into the snapshot. The registry of connectors is `connectors.CONNECTORS`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from generator.config import PlatformConfig
from generator.connectors.http import AccessDenied, ApiClient, NotAvailable, RateLimiter, RetryPolicy
from generator.errors import InputError
from generator.model import Credential, NotCollected, NotDocumented, PlatformFacts, User, Workflow
from generator.platforms import PlatformSpec
from generator.redact import redact_text
from generator.store.spill import Spilled, Workflows

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
    replace: bool = False  # import: a workflow may replace a different one with the same id
    previous: Sequence[Workflow] = ()  # import: the platform's workflows already in the snapshot (spilled)


@dataclass
class Collected:
    """What one platform gave: already normalised and redacted. The workflows and export files are kept
    in a spill (store/spill.py), not in memory; a list given is spilled."""

    facts: PlatformFacts
    workflows: Workflows
    credentials: list[Credential] | None  # None: not read this time, keep the previous ones
    users: list[User] | None  # None: not read this time, keep the previous ones
    runs: object | None  # a RunAggregator; None: keep the previous run statistics
    replace_all: bool  # sync: these are all the platform's workflows; import: add or update these
    requests: int = 0
    throttled: int = 0  # 429 answers the platform gave
    incomplete: dict[str, int] = field(default_factory=dict)  # workflow ref → runs waiting (Make)
    # workflow id → its export file (store.exports.export_file): the bytes, or where they are spilled
    exports: dict[str, bytes | Spilled] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)  # import: each file or workflow left out, with the reason
    renamed: list[str] = field(default_factory=list)  # import: "<file>: <platform id> → <ref> (why)"
    # True: the platform's list of credentials could not be read, so `credentials` are only those the steps
    # name: what an earlier sync learnt about each stays, and new ones are added.
    credentials_from_steps: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.workflows, Workflows):
            self.workflows = Workflows(self.workflows)


def not_documented(ref: str, name, exc: BaseException) -> NotDocumented:
    """The record of one workflow that could not be normalised (its name redacted)."""
    shown = " ".join(redact_text(str(name or ref.split(":", 1)[1]))[0].split())[:120]
    return NotDocumented(workflow=ref, name=shown, reason=failure(exc))


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


# Bounds on what one export file or platform document may be: far above any real workflow, low enough
# that no reader or recursive walker runs out of memory or stack.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 200  # levels of nesting (real n8n workflows stay under 30)
MAX_NUMBER_DIGITS = 100


class _Unreadable:
    """A JSON value parsed but refused (NaN, Infinity, a number of thousands of digits), located later."""

    def __init__(self, what: str):
        self.what = what


def _number(text: str, convert):
    return _Unreadable(f"a number of {len(text):,} digits") if len(text) > MAX_NUMBER_DIGITS else convert(text)


def parse_json(text: str) -> object:
    """JSON text → data, with non-finite and oversized numbers kept as markers `check_document` reports
    with their place; raises json.JSONDecodeError or RecursionError."""
    return json.loads(text, parse_constant=lambda name: _Unreadable(name),
                      parse_int=lambda t: _number(t, int), parse_float=lambda t: _number(t, float))


def check_document(document: object, label: str) -> None:
    """An InputError naming `label` and the place, for what no export holds: nesting deeper than
    MAX_DEPTH, NaN or Infinity, numbers of more than MAX_NUMBER_DIGITS digits, lone surrogates (text
    that cannot be written as UTF-8). Iterative, so any depth is safe to check."""
    stack: list[tuple[object, str, int]] = [(document, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        place = where or "the top level"
        if depth > MAX_DEPTH:
            raise InputError(f"{label}: {place}: nested more than {MAX_DEPTH} levels deep; no workflow export is — "
                             "is this file an export?")
        if isinstance(node, _Unreadable) or (isinstance(node, float) and not math.isfinite(node)):
            what = node.what if isinstance(node, _Unreadable) else repr(node)
            raise InputError(f"{label}: {place}: {what} is not a number an export holds; expected a finite number")
        if isinstance(node, str):
            if _has_surrogate(node):
                raise InputError(f"{label}: {place}: text with an unpaired surrogate (\\ud800–\\udfff escape), "
                                 "which is not valid Unicode; export the file again")
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and _has_surrogate(key):
                    raise InputError(f"{label}: {place}: a key with an unpaired surrogate, which is not valid Unicode")
                stack.append((value, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node))


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_bytes(path: Path, label: str | None = None) -> bytes:
    """A file's bytes, refused when over MAX_FILE_BYTES (before reading them)."""
    label = label or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{label}: {size / 1e6:.0f} MB is more than the {MAX_FILE_BYTES // 2**20} MB an export "
                             "file may be; is this the right file?")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read it ({exc.strerror})") from None


def load_json_bytes(raw: bytes, label: str) -> object:
    """Bytes of a JSON export → data, checked (`check_document`), with a located error for anything else."""
    try:
        text = raw.decode("utf-8-sig")  # editors on Windows add a byte-order mark
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text; expected a JSON export") from None
    try:
        document = parse_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}) — export the workflow "
                         "again from the editor") from None
    except RecursionError:
        raise InputError(f"{label}: nested too deeply to read (more than {MAX_DEPTH} levels); no workflow export "
                         "is") from None
    check_document(document, label)
    return document


def read_json(path: Path) -> object:
    """A JSON export file, with a located error for anything unreadable."""
    return load_json_bytes(read_bytes(path), str(path))


def failure(exc: BaseException) -> str:
    """Why one workflow could not be normalised, in a line that carries no value from it (pydantic's own
    messages quote the input: only the field and the rule are kept)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))
    if isinstance(exc, RecursionError):
        return f"nested too deeply (more than {MAX_DEPTH} levels)"
    if isinstance(exc, InputError):
        return "; ".join(exc.problems)
    if isinstance(exc, (TypeError, AttributeError, KeyError, IndexError)) or _PYTHON_WORDS.search(str(exc)):
        # Python's own words ("'int' object has no attribute…") mean nothing to a consultant.
        return "its structure is not what a platform export holds (a value of an unexpected kind); export it again"
    text = redact_text(str(exc) or type(exc).__name__)[0]
    return " ".join(text.split())[:200]


_PYTHON_WORDS = re.compile(r"invalid literal for|could not convert|object has no attribute|not subscriptable|"
                           r"unhashable type|object is not|takes \d+ positional", re.I)


# What normalising one workflow may raise on data it does not expect (besides InputError from the
# checks): caught per workflow so one never stops the rest.
NORMALISE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, InputError)


@dataclass(frozen=True)
class Rejected:
    """In place of a document: a file that could not be read, and why (the import goes on without it)."""

    reason: str


def read_json_files(paths: list[Path]) -> Documents:
    """Each file as one JSON document: what n8n and Make exports are; an unreadable one as `Rejected`."""
    documents: Documents = []
    for path in paths:
        try:
            documents.append((str(path), read_json(path)))
        except InputError as exc:
            documents.append((str(path), Rejected("; ".join(exc.problems))))
    return documents


class ImportIds:
    """Ids for imported workflows, stable and distinct: the platform's id when the file has one and it
    is not taken by a *different* workflow (in this batch, or in the snapshot unless `replace`);
    otherwise one derived from the file and the workflow's content (`<file name>-<hash>`) — never from
    the workflow's name, which may hold a secret. The same file imported again gets the same ids, so
    it updates. Of the batch, only what tells two workflows apart is kept (`identity`), not the
    workflows: a large import holds them in a spill."""

    def __init__(self, ctx: SyncContext):
        self.previous = {w.id: self.identity(w) for w in ctx.previous}
        self.replace = ctx.replace
        self.batch: dict[str, tuple[str, frozenset[str]]] = {}
        self.renamed: list[str] = []

    @staticmethod
    def identity(workflow: Workflow) -> tuple[str, frozenset[str]]:
        return workflow.name, frozenset(s.id for s in workflow.steps)

    @staticmethod
    def same(a: tuple[str, frozenset[str]], b: tuple[str, frozenset[str]]) -> bool:
        """Two versions of one workflow (by `identity`): the same name, or most node ids in common (a
        renamed workflow keeps its nodes; two unrelated exports that both say id "1" share none of
        their UUIDs)."""
        (name, mine), (other, theirs) = a, b
        return name == other or (bool(mine) and 2 * len(mine & theirs) >= max(len(mine), len(theirs)))

    def assign(self, workflow: Workflow, label: str, document, platform_id: bool) -> Workflow | None:
        """`workflow` with the id it is stored under (None: an exact repeat of one already in the batch)."""
        ident, identity = workflow.id, self.identity(workflow)
        if platform_id and ident in self.batch and self.same(self.batch[ident], identity):
            self.renamed.append(f"{label}: {workflow.ref} is also in an earlier file of this import; that one is kept")
            return None
        if platform_id and not self._taken(ident, identity):
            self.batch[ident] = identity
            return workflow
        content = json.dumps(document, sort_keys=True, ensure_ascii=True, default=str)
        digest = hashlib.sha256(f"{Path(label.split('!')[0]).name}\0{label.partition('!')[2]}\0{content}".encode())
        stem = Path(label.split(": item ")[0].split("!")[-1]).stem
        derived = f"{re.sub(r'[^a-z0-9]+', '-', stem.lower()).strip('-')[:40] or 'import'}-{digest.hexdigest()[:8]}"
        if derived in self.batch:
            return None  # the same workflow twice in one file or archive
        why = (f"id {ident!r} is already used by another workflow" if platform_id else "the file gives no id")
        self.renamed.append(f"{label}: {workflow.platform.value}:{derived} ({why})")
        self.batch[derived] = identity
        return workflow.model_copy(update={"id": derived, "source_url": None})

    def _taken(self, ident: str, identity: tuple[str, frozenset[str]]) -> bool:
        if ident in self.batch:
            return True  # the first of a batch keeps an id; a second with it is another workflow (or a repeat)
        before = self.previous.get(ident)
        return before is not None and not self.replace and not self.same(before, identity)


def nothing_importable(noun: str, rejected: list[str]) -> InputError:
    """The error of an import that found nothing to import: every file's reason, or that none held one."""
    return InputError(rejected or [f"the files hold no {noun}"],
                      "give the platform's export files (nothing was written)")


def problem(message: str, hint: str = "") -> InputError:
    """An input error shown as one line with what to do, as the CLI prints it."""
    return InputError(message + (f" — {hint}" if hint else ""))


# --------------------------------------------------------------------------------------------------
# Shapes: what the normalisers read, checked first, so a file of the wrong shape is refused in words
# that name the field (`nodes[2].type: expected text, got a number`), never in Python's.

TEXT, NUMBER, FLAG = (str,), (int, float), (bool,)
SCALAR = (str, int, float, bool)
_KIND_WORDS = {str: "text", int: "a number", float: "a number", bool: "true or false", dict: "an object",
               list: "a list"}


def _kind_of(value) -> str:
    return "nothing (null)" if value is None else _KIND_WORDS.get(type(value), type(value).__name__)


def check_shape(value, shape, where: str = "") -> None:
    """Raise InputError naming the first place where `value` does not have `shape`. A shape is a tuple of
    accepted types, `{key: shape}` for an object (absent or null keys are fine), or `[shape]` for a list
    of such items. Only what the normalisers rely on is described; everything else passes."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise InputError([f"{where or 'the document'}: expected an object, got {_kind_of(value)}"])
        for key, inner in shape.items():
            if value.get(key) is not None:
                check_shape(value[key], inner, f"{where}.{key}" if where else key)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise InputError([f"{where}: expected a list, got {_kind_of(value)}"])
        for index, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{index}]")
    elif not isinstance(value, shape) or (shape in (NUMBER,) and isinstance(value, bool)):
        wanted = " or ".join(dict.fromkeys(_KIND_WORDS.get(t, t.__name__) for t in shape))
        raise InputError([f"{where}: expected {wanted}, got {_kind_of(value)}"])


@dataclass(frozen=True)
class PackageConnector:
    """The Connector of a platform package: its spec, its `api` module (`sync`) and its `files` module
    (`import_documents`); export files are read as JSON unless the platform reads them its own way."""

    spec: PlatformSpec
    api: object
    files: object
    read: Callable[[list[Path]], Documents] = read_json_files

    def sync(self, platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
        return self.api.sync(platform, key, ctx)

    def read_files(self, paths: list[Path]) -> Documents:
        return self.read(paths)

    def import_documents(self, documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
        return self.files.import_documents(documents, platform, ctx)
