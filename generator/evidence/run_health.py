"""Run health derived from run statistics: rates, trends and a plain label for the portal.

Everything is measured against the snapshot's own time (`meta.taken`), never the clock, so the same
snapshot always reads the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from generator.config import Thresholds
from generator.model import RunStats, TriggerKind, Workflow


class Health(StrEnum):
    healthy = "healthy"
    degrading = "degrading"
    failing = "failing"
    idle = "idle"
    inactive = "inactive"
    no_data = "no data"


@dataclass(frozen=True)
class Trend:
    recent_failure_rate: float | None  # last 7 days
    earlier_failure_rate: float | None  # the rest of the window
    recent_p95_ms: int | None
    earlier_p95_ms: int | None


def _rate(runs: int, failed: int) -> float | None:
    return failed / runs if runs else None


def trend(stats: RunStats, days: int = 7) -> Trend:
    if not stats.daily:
        return Trend(None, None, None, None)
    cutoff = stats.daily[-1].day - timedelta(days=days - 1)
    recent = [b for b in stats.daily if b.day >= cutoff]
    earlier = [b for b in stats.daily if b.day < cutoff]

    def p95(buckets):
        values = [b.p95_ms for b in buckets if b.p95_ms is not None]
        return sorted(values)[len(values) // 2] if values else None

    return Trend(
        _rate(sum(b.runs for b in recent), sum(b.failed for b in recent)),
        _rate(sum(b.runs for b in earlier), sum(b.failed for b in earlier)),
        p95(recent),
        p95(earlier),
    )


def is_degrading(stats: RunStats, thresholds: Thresholds) -> bool:
    t = trend(stats)
    if t.recent_failure_rate is not None and t.earlier_failure_rate is not None:
        floor = max(t.earlier_failure_rate, 0.01)
        if t.recent_failure_rate >= floor * thresholds.degrading_factor and t.recent_failure_rate >= 0.02:
            return True
    if t.recent_p95_ms and t.earlier_p95_ms:
        return t.recent_p95_ms >= t.earlier_p95_ms * thresholds.degrading_factor
    return False


def expected_interval(workflow: Workflow) -> timedelta | None:
    """How often a scheduled or polling workflow should run; None when runs depend on outside events."""
    trigger = workflow.trigger
    if trigger.polling_minutes:
        return timedelta(minutes=trigger.polling_minutes)
    schedule = trigger.schedule
    if trigger.kind != TriggerKind.schedule or schedule is None:
        return None
    if schedule.interval_minutes:
        return timedelta(minutes=schedule.interval_minutes)
    fields = (schedule.cron or "").split()
    if len(fields) >= 5:
        day_of_month, _, day_of_week = fields[-3], fields[-2], fields[-1]
        if day_of_month not in ("*", "?") and not day_of_month.startswith("*/"):
            return timedelta(days=31)
        if day_of_week not in ("*", "?"):
            return timedelta(days=7)
    return timedelta(days=1)


def silence_allowed(workflow: Workflow, thresholds: Thresholds) -> timedelta:
    interval = expected_interval(workflow) or timedelta(0)
    return max(timedelta(days=thresholds.idle_days), interval * 1.5)


def is_idle(workflow: Workflow, stats: RunStats | None, now: datetime, thresholds: Thresholds) -> bool:
    """An active workflow on a schedule (or polling) that has been silent for longer than expected."""
    if not workflow.active or expected_interval(workflow) is None:
        return False
    last = stats.last_run if stats else None
    return last is None or now - last > silence_allowed(workflow, thresholds)


def health(workflow: Workflow, stats: RunStats | None, now: datetime, thresholds: Thresholds) -> Health:
    if not workflow.active:
        return Health.inactive
    if is_idle(workflow, stats, now, thresholds):
        return Health.idle
    if stats is None or stats.total == 0:
        return Health.no_data
    rate = stats.success_rate
    if rate is not None and 1 - rate > thresholds.failure_rate:
        return Health.failing
    if is_degrading(stats, thresholds):
        return Health.degrading
    return Health.healthy
