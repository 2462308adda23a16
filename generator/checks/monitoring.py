"""Monitoring & alerting: error handling, failure rates, degradation, silence."""

from __future__ import annotations

from generator.checks import Context, Hit, Pass, Severity, check
from generator.evidence.facts import told
from generator.evidence.run_health import expected_interval, is_degrading, is_idle, silence_allowed, trend
from generator.formats import count, format_rate


@check(
    id="MON-001",
    title="Active workflow that tells nobody when it fails",
    area="monitoring",
    severity=Severity.high,
    rationale="Without an error workflow or error route that notifies, the platform's own failure e-mails or a "
    "monitoring step, a failure is only seen by whoever opens the platform's run history: nobody is told. "
    "Retrying or continuing on error handles a failure but tells nobody when it still fails.",
    remediation="Attach the client's error-handler workflow (n8n: Settings → Error workflow; Make: an error "
    "handler route; Zapier: error notifications or a Paths fallback) that alerts the support channel.",
    needs=("workflows",),
)
def no_error_handling(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        if not workflow.active or workflow.trigger.kind == "error":
            continue
        fact = told(workflow, ctx.snapshot)
        yield (Pass if fact else Hit)(workflow.ref, ("told: " if fact else "nobody is told: ") + fact.how)


@check(
    id="MON-002",
    title="Active workflow failing above the threshold",
    area="monitoring",
    severity=Severity.high,
    rationale="A workflow that fails often loses or delays business data and erodes trust in automation.",
    remediation="Read the top errors on the workflow page, fix the cause, and re-run the failed executions "
    "following its runbook.",
    needs=("workflows", "runs"),
)
def failing(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if workflow.active and stats and stats.success_rate is not None:
            failure = 1 - stats.success_rate
            evidence = (f"{stats.failed} of {stats.total} runs failed ({format_rate(failure)}; threshold "
                        f"{format_rate(ctx.thresholds.failure_rate)})")
            yield Hit(workflow.ref, evidence) if failure > ctx.thresholds.failure_rate else Pass(workflow.ref, evidence)


@check(
    id="MON-003",
    title="Workflow health degrading",
    area="monitoring",
    severity=Severity.medium,
    rationale="A rising failure rate or duration usually precedes an outage: an expiring token, a growing "
    "data set, an upstream API change.",
    remediation="Compare the recent errors with the earlier ones on the workflow page and act before it fails outright.",
    needs=("workflows", "runs"),
)
def degrading(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if workflow.active and stats and stats.daily and not is_degrading(stats, ctx.thresholds):
            yield Pass(workflow.ref, "failure rate and p95 duration of the last 7 days within the thresholds of "
                                     "the earlier days")
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
    needs=("workflows", "runs"),
)
def idle(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        stats = ctx.snapshot.runs_for(workflow.ref)
        if not workflow.active or expected_interval(workflow) is None:
            continue  # runs depend on outside events: silence is not a symptom
        allowed = silence_allowed(workflow, ctx.thresholds)
        last = f"last run {ctx.time(stats.last_run)}" if stats and stats.last_run else "no run recorded"
        if is_idle(workflow, stats, ctx.now, ctx.thresholds):
            yield Hit(workflow.ref, f"{last}; silent for more than {count(allowed.days, 'day')} is not expected")
        else:
            yield Pass(workflow.ref, f"{last}; within the {count(allowed.days, 'day')} of silence expected")
