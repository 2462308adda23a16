"""Health alerts between regenerations: `handover health <client> [--notify]`.

The latest run statistics are compared with the previous snapshot and the client's thresholds:
a workflow failing above the failure rate, a scheduled workflow that stopped running, a run time that
grew by `duration_factor`. Each alert is sent once: what was sent is kept in
`clients/<client>/health.yml`, and when a workflow is healthy again a recovery message goes out. Sending is
`commands/health.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import Field

from generator.checks import FAIL, PASS
from generator.config import ClientConfig
from generator.evidence.run_health import is_idle, trend
from generator.formats import count, format_duration, format_rate
from generator.model import Snapshot, Strict, Timestamp
from generator.store.yamlio import atomic_write, load_model, model_to_yaml

MIN_FAILURES = 2  # one failed run is not yet an alert
MIN_P95_MS = 1000  # sub-second run times move for no reason


@dataclass(frozen=True)
class Alert:
    key: str  # workflow ref and kind: what is sent once
    workflow: str
    kind: str  # failing, stopped, slower
    text: str


def evaluate(config: ClientConfig, current: Snapshot, previous: Snapshot | None) -> list[Alert]:
    thresholds = config.thresholds
    alerts = []
    for workflow in sorted(current.workflows, key=lambda w: w.ref):
        if not workflow.active:
            continue
        stats = current.runs_for(workflow.ref)
        label = f"{workflow.platform.label} {workflow.platform.workflow_noun} “{workflow.name}”"
        if stats:
            recent = trend(stats)
            failed = sum(b.failed for b in stats.daily[-7:])
            if recent.recent_failure_rate is not None and recent.recent_failure_rate > thresholds.failure_rate and failed >= MIN_FAILURES:
                alerts.append(Alert(f"{workflow.ref}:failing", workflow.ref, "failing",
                                    f"{label} is failing: {format_rate(recent.recent_failure_rate)} of runs in the last 7 days "
                                    f"({failed} failed; threshold {format_rate(thresholds.failure_rate)})"))
        if is_idle(workflow, stats, current.meta.taken, thresholds):
            last = stats.last_run if stats else None
            alerts.append(Alert(f"{workflow.ref}:stopped", workflow.ref, "stopped",
                                f"{label} has stopped running: last run {last:%Y-%m-%d %H:%M} UTC" if last
                                else f"{label} has no recorded run"))
        before = previous.runs_for(workflow.ref) if previous else None
        if stats and stats.durations and before and before.durations:
            now_p95, was_p95 = stats.durations.p95_ms, before.durations.p95_ms
            if now_p95 >= MIN_P95_MS and was_p95 > 0 and now_p95 > was_p95 * thresholds.duration_factor:
                alerts.append(Alert(f"{workflow.ref}:slower", workflow.ref, "slower",
                                    f"{label} got slower: 95% of runs now take up to {format_duration(now_p95)}, "
                                    f"was {format_duration(was_p95)}"))
    return alerts


# --------------------------------------------------------------------------------------------------
# What was sent


class Sent(Strict):
    kind: str
    workflow: str
    text: str
    since: Timestamp


class HealthState(Strict):
    open: dict[str, Sent] = Field(default={}, description="Alerts sent and not yet recovered, by key.")
    controls: dict[str, str] = Field(default={}, description="Each baseline control's status when the last "
                                     "message went out: a control that was fail and now passes is reported "
                                     "resolved, once.")


def state_path(client_dir: Path) -> Path:
    return client_dir / "health.yml"


def load_state(client_dir: Path) -> HealthState:
    path = state_path(client_dir)
    return load_model(path, HealthState) if path.exists() else HealthState()


def save_state(client_dir: Path, state: HealthState) -> None:
    atomic_write(state_path(client_dir), model_to_yaml(state))


@dataclass
class Plan:
    new: list[Alert]
    recovered: list[Sent]
    still_open: list[Sent]
    resolved: list[str] = field(default_factory=list)  # controls that turned from fail to pass
    controls: dict[str, str] = field(default_factory=dict)  # every control's status now

    @property
    def empty(self) -> bool:
        return not self.new and not self.recovered and not self.resolved


def plan(alerts: list[Alert], state: HealthState, assessment=None) -> Plan:
    """What to send: new alerts, recoveries, and (given the assessment, the same `check` makes) the controls
    that failed when the last message went out and pass now."""
    active = {a.key for a in alerts}
    controls = {c.id: c.status for c in assessment.controls} if assessment else {}
    resolved = [f"{c.id} {c.check.title}: {c.passes[0].evidence if len(c.passes) == 1 else 'passes'}"
                for c in (assessment.controls if assessment else [])
                if state.controls.get(c.id) == FAIL and c.status == PASS]
    return Plan(new=[a for a in alerts if a.key not in state.open],
                recovered=[s for k, s in sorted(state.open.items()) if k not in active],
                still_open=[s for k, s in sorted(state.open.items()) if k in active],
                resolved=resolved, controls=controls)


def message(client_name: str, todo: Plan) -> tuple[str, str]:
    """(subject, body) of the one message each channel gets."""
    parts = []
    if todo.new:
        parts.append(f"{len(todo.new)} alert{'s' if len(todo.new) != 1 else ''}")
    if todo.recovered:
        parts.append(f"{len(todo.recovered)} recover{'ies' if len(todo.recovered) != 1 else 'y'}")
    if todo.resolved:
        parts.append(f"{len(todo.resolved)} control{'s' if len(todo.resolved) != 1 else ''} resolved")
    subject = f"[Handover] {client_name}: {', '.join(parts)}"
    lines = [f"⚠ {a.text}" for a in todo.new] + [f"✓ recovered: {s.text}" for s in todo.recovered]
    lines += [f"✓ resolved: {r}" for r in todo.resolved]
    if todo.still_open:
        lines.append(f"({count(len(todo.still_open), 'earlier alert')} still open)")
    return subject, "\n".join(lines)


def apply(state: HealthState, todo: Plan, now: datetime) -> HealthState:
    """The state after the plan was sent: new alerts open, recovered ones closed."""
    open_ = {k: v for k, v in state.open.items() if k not in {s.workflow + ":" + s.kind for s in todo.recovered}}
    for alert in todo.new:
        open_[alert.key] = Sent(kind=alert.kind, workflow=alert.workflow, text=alert.text, since=now)
    return HealthState(open=dict(sorted(open_.items())), controls=dict(sorted((todo.controls or state.controls).items())))
