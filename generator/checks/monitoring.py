"""Monitoring & alerting: error handling, failure rates, degradation, silence."""

from __future__ import annotations

import re

from generator.checks import Context, Hit, Severity, check
from generator.evidence.run_health import is_degrading, is_idle, silence_allowed, trend
from generator.formats import format_rate
from generator.model import Workflow

HANDLED = {"continue", "retry", "resume", "ignore", "break", "rollback", "commit"}
# Apps whose steps tell a person something (a message, a mail, a page, an incident).
_MESSAGING = re.compile(r"slack|e-?mail|gmail|outlook|teams|telegram|discord|mattermost|rocket\.?chat|google chat|"
                        r"webex|zulip|matrix|pagerduty|opsgenie|twilio|sms|pushover|ntfy|whatsapp|signal|incident",
                        re.I)


def sends_alert(workflow: Workflow) -> bool:
    """True when the workflow has an enabled step that sends a message (an error handler that only logs
    tells nobody)."""
    return any(not step.disabled and step.kind not in ("trigger", "search") and step.access != "read"
               and _MESSAGING.search(step.app) for step in workflow.steps)


def has_error_path(workflow: Workflow) -> bool:
    """An error workflow, an error route, or a step that handles its own failure."""
    return bool(
        workflow.settings.error_workflow
        or workflow.settings.alerts_on_failure
        or any(edge.error for edge in workflow.edges)
        or any((step.error_mode or "") in HANDLED for step in workflow.steps)
    )


@check(
    id="MON-001",
    title="Active workflow with no error handling or alert path",
    area="monitoring",
    severity=Severity.high,
    rationale="Without an error workflow, an error route or a handled step, a failure is only seen by "
    "whoever opens the platform's run history: nobody is told.",
    remediation="Attach the client's error-handler workflow (n8n: Settings → Error workflow; Make: an error "
    "handler route; Zapier: error notifications or a Paths fallback) that alerts the support channel.",
    soc2=("CC7.2", "CC7.3"),
)
def no_error_handling(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        if workflow.active and not has_error_path(workflow) and workflow.trigger.kind != "error":
            yield Hit(workflow.ref, "no error workflow, no error route and no step that handles its failures")


@check(
    id="MON-002",
    title="Active workflow failing above the threshold",
    area="monitoring",
    severity=Severity.high,
    rationale="A workflow that fails often loses or delays business data and erodes trust in automation.",
    remediation="Read the top errors on the workflow page, fix the cause, and re-run the failed executions "
    "following its runbook.",
    soc2=("CC7.2", "A1.2"),
)
def failing(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if workflow.active and stats and stats.success_rate is not None:
            failure = 1 - stats.success_rate
            if failure > ctx.thresholds.failure_rate:
                yield Hit(
                    workflow.ref,
                    f"{stats.failed} of {stats.total} runs failed ({format_rate(failure)}; threshold "
                    f"{format_rate(ctx.thresholds.failure_rate)})",
                )


@check(
    id="MON-003",
    title="Workflow health degrading",
    area="monitoring",
    severity=Severity.medium,
    rationale="A rising failure rate or duration usually precedes an outage: an expiring token, a growing "
    "data set, an upstream API change.",
    remediation="Compare the recent errors with the earlier ones on the workflow page and act before it fails outright.",
    soc2=("CC7.1", "A1.1"),
)
def degrading(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if workflow.active and stats and is_degrading(stats, ctx.thresholds):
            t = trend(stats)
            parts = []
            if t.recent_failure_rate is not None and t.earlier_failure_rate is not None:
                parts.append(f"failure rate {format_rate(t.earlier_failure_rate)} → {format_rate(t.recent_failure_rate)} in the last 7 days")
            if t.recent_p95_ms and t.earlier_p95_ms:
                parts.append(f"p95 duration {t.earlier_p95_ms / 1000:.1f} s → {t.recent_p95_ms / 1000:.1f} s")
            yield Hit(workflow.ref, "; ".join(parts))


@check(
    id="MON-004",
    title="Active scheduled workflow not running",
    area="monitoring",
    severity=Severity.high,
    rationale="A scheduled or polling workflow that has gone silent fails without a single error.",
    remediation="Check the trigger and the platform's scheduler; re-activate the workflow if it was paused.",
    soc2=("CC7.2",),
)
def idle(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if is_idle(workflow, stats, ctx.now, ctx.thresholds):
            last = f"last run {stats.last_run:%Y-%m-%d %H:%M} UTC" if stats and stats.last_run else "no run recorded"
            allowed = silence_allowed(workflow, ctx.thresholds)
            yield Hit(workflow.ref, f"{last}; silent for more than {allowed.days} day(s) is not expected")
