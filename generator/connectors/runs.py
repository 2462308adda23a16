"""Run statistics built while execution records stream past: one shared aggregator for every platform.

Nothing about a run is kept but its status, its day and its duration (a 4-byte integer in an array),
so 200,000 runs cost under a megabyte and no run payload is ever held. Error messages are redacted and
folded (numbers, ids, quoted values, addresses) so the same failure groups under one message.

Daily buckets outlive the platform's own pruning: a sync merges its buckets with the ones already in
the snapshot, keeping for each day whichever saw more runs.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from generator.model import DailyBucket, Durations, ErrorGroup, RunStats
from generator.redact import find_secrets

STATUSES = ("success", "failed", "filtered", "cancelled", "running", "unknown")  # filtered: stopped by a filter
TOP_ERRORS = 5
KEEP_DAYS = 400  # daily history kept in the snapshot, about thirteen months

# --------------------------------------------------------------------------------------------------
# Error messages

_HTTP_STATUS = re.compile(r"\b((?i:status(?: code)?|code|HTTP(?:/[\d.]+)?)\s*[:=]?\s*)([1-5]\d\d)\b"
                          r"|\b([1-5]\d\d)(?=\s+[A-Z][a-z]|\s*[-–:]\s*[A-Z])|\(([1-5]\d\d)\)")
_FOLDS = [
    (re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I), "<url>"),
    (re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"), "<email>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?\b"), "<time>"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|“[^”]*”"), "'…'"),
    (re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{10,}\b"), "<id>"),
    (re.compile(r"\b0x[0-9a-f]+\b|(?<![A-Za-z])\d+([.,]\d+)*", re.I), "<n>"),
]


def find_secrets_folded(message: str) -> str:
    """Secrets replaced by their kind alone: a fingerprint would keep two runs' errors apart."""
    for item in find_secrets(message):
        message = message.replace(item.value, f"<redacted {item.kind}>")
    return message


def normalise_error(message: str) -> str:
    """One line, redacted, variable parts folded; HTTP status codes kept, they tell errors apart."""
    text = " ".join(find_secrets_folded(str(message)).split())[:500]
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return chr(0xE000 + len(kept) - 1)  # a private-use character no fold touches

    text = _HTTP_STATUS.sub(keep, text)
    for pattern, marker in _FOLDS:
        text = pattern.sub(marker, text)
    text = re.sub("[\uE000-\uE0FF]", lambda m: kept[ord(m.group(0)) - 0xE000], text)
    return text[:300] or "(no message)"


# --------------------------------------------------------------------------------------------------
# Aggregation


@dataclass
class _Day:
    runs: int = 0
    failed: int = 0
    durations: array = field(default_factory=lambda: array("L"))


@dataclass
class _Workflow:
    statuses: Counter = field(default_factory=Counter)
    days: dict[date, _Day] = field(default_factory=dict)
    last_run: datetime | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    errors: Counter = field(default_factory=Counter)
    error_seen: dict[tuple[str, str | None], datetime] = field(default_factory=dict)
    operations: int | None = None  # Make: operations (credits) and data transferred, summed
    transfer: int | None = None


def _percentile(ordered: list[int], share: float) -> int:
    """Nearest-rank percentile of a sorted list: the value at rank ⌈share × n⌉. (The tolerance keeps
    float error — 0.95 × 20 is not quite 19 — from moving it one rank up.)"""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered) - 1e-9) - 1))]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


class RunAggregator:
    """Feed it runs (any order); ask it for RunStats per workflow."""

    def __init__(self, window_start: datetime, window_end: datetime):
        self.window_start = window_start
        self.window_end = window_end
        self.runs_read = 0
        self._workflows: dict[str, _Workflow] = {}

    def _get(self, workflow: str) -> _Workflow:
        found = self._workflows.get(workflow)
        if found is None:
            found = self._workflows[workflow] = _Workflow()
        return found

    def add(self, workflow: str, status: str, started: datetime | None, stopped: datetime | None = None,
            operations: int | None = None, transfer: int | None = None) -> None:
        """One run. `status` is one of STATUSES; runs that started before the window are ignored.
        `operations` and `transfer` (bytes): what the run consumed, where the platform says (Make)."""
        if started is not None and started < self.window_start:
            return
        self.runs_read += 1
        acc = self._get(workflow)
        if operations is not None:
            acc.operations = (acc.operations or 0) + operations
        if transfer is not None:
            acc.transfer = (acc.transfer or 0) + transfer
        acc.statuses[status] += 1
        if started is None:
            return
        acc.last_run = _later(acc.last_run, started)
        if status == "success":
            acc.last_success = _later(acc.last_success, started)
        elif status == "failed":
            acc.last_failure = _later(acc.last_failure, started)
        day = acc.days.get(started.date())
        if day is None:
            day = acc.days[started.date()] = _Day()
        day.runs += 1
        day.failed += status == "failed"
        if stopped is not None and status in ("success", "failed"):
            day.durations.append(max(0, int((stopped - started).total_seconds() * 1000)))

    def add_error(self, workflow: str, message: str, step: str | None, when: datetime | None) -> None:
        """The error of one failed run (its step name as the platform reports it)."""
        acc = self._get(workflow)
        key = (normalise_error(message), step)
        acc.errors[key] += 1
        if when is not None:
            acc.error_seen[key] = _later(acc.error_seen.get(key), when)

    def stats(self, workflow: str, previous: RunStats | None = None) -> RunStats:
        """Statistics for one workflow, daily history merged with `previous`."""
        acc = self._workflows.get(workflow) or _Workflow()
        everything = sorted(d for day in acc.days.values() for d in day.durations)
        durations = None
        if everything:
            durations = Durations(p50_ms=_percentile(everything, 0.50), p95_ms=_percentile(everything, 0.95),
                                  max_ms=everything[-1])
        fresh = [
            DailyBucket(day=day, runs=b.runs, failed=b.failed,
                        p95_ms=_percentile(sorted(b.durations), 0.95) if b.durations else None)
            for day, b in sorted(acc.days.items())
        ]
        errors = sorted(acc.errors.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or ""))
        top = [ErrorGroup(message=message, step=step, count=count, last_seen=acc.error_seen.get((message, step)))
               for (message, step), count in errors[:TOP_ERRORS]]
        old = previous
        return RunStats(
            workflow=workflow,
            window_start=self.window_start,
            window_end=self.window_end,
            statuses={s: acc.statuses[s] for s in STATUSES if acc.statuses[s]},
            durations=durations,
            # A workflow quiet in this window still ran before it: keep what the last sync knew.
            last_run=_later(acc.last_run, old.last_run if old else None),
            last_success=_later(acc.last_success, old.last_success if old else None),
            last_failure=_later(acc.last_failure, old.last_failure if old else None),
            top_errors=top, operations=acc.operations, transfer_bytes=acc.transfer,
            daily=merge_daily(old.daily if old else [], fresh, keep_from=self.window_end.date()
                              - timedelta(days=KEEP_DAYS)),
        )


def merge_daily(old: list[DailyBucket], new: list[DailyBucket], keep_from: date) -> list[DailyBucket]:
    """Both histories, one bucket a day: for a day in both, the one that saw more runs (the platform
    may have pruned runs the earlier sync still saw; the window's first day is only partly read)."""
    merged = {b.day: b for b in old}
    for bucket in new:
        if bucket.day not in merged or bucket.runs >= merged[bucket.day].runs:
            merged[bucket.day] = bucket
    return [merged[day] for day in sorted(merged) if day >= keep_from]
