"""Incident response: post-incident summaries, root causes, response times, runbooks that stay true."""

from __future__ import annotations

from datetime import timedelta

from generator.checks import Context, Hit, NotApplicable, NotAssessed, Pass, Severity, check
from generator.config import minutes
from generator.evidence.incidents import SIGNIFICANT
from generator.formats import format_span

SUMMARY_WITHIN = timedelta(hours=48)


def _hours(delta: timedelta) -> str:
    return format_span(delta)


def _target(duration: str) -> str:
    """An agreed target (client.yml's '15m', '1d') in the one duration format."""
    return format_span(timedelta(minutes=minutes(duration)))


@check(
    id="INC-001",
    title="No post-incident summary within 48 hours",
    area="incident",
    severity=Severity.high,
    rationale="The client was promised a written summary within 48 hours of resolving a critical or high "
    "incident: what happened, the impact, the root cause and what prevents a repeat.",
    remediation="Write the summary in the incident record, send it to the client, and record when it was sent.",
    consultant="Set `summary_sent` in the incident record.",
)
def late_summary(ctx: Context):
    due_ones = [i for i in ctx.incidents if i.severity in SIGNIFICANT and i.resolved]
    if not due_ones:
        yield NotApplicable("no critical or high incident has been resolved")
    for incident in due_ones:
        where, label = f"incident:{incident.id}", f"{incident.id} {incident.title}"
        due = incident.resolved + SUMMARY_WITHIN
        if incident.summary_sent and incident.summary_sent > due:
            yield Hit(where, f"summary sent {_hours(incident.summary_sent - incident.resolved)} after resolution",
                      label=label)
        elif not incident.summary_sent and ctx.now > due:
            yield Hit(where, f"resolved {ctx.time(incident.resolved)}; no summary sent "
                      f"{_hours(ctx.now - incident.resolved)} later", label=label)
        elif incident.summary_sent:
            yield Pass(where, f"summary sent {_hours(incident.summary_sent - incident.resolved)} after resolution",
                       label=label)
        else:
            yield Pass(where, f"resolved {ctx.time(incident.resolved)}; the summary is due by "
                       f"{ctx.time(due)}", label=label)


@check(
    id="INC-002",
    title="Significant incident without root cause or preventive measures",
    area="incident",
    severity=Severity.medium,
    rationale="Without a documented root cause and preventive measures the same incident tends to happen again.",
    remediation="Fill in the Root cause and Preventive measures sections of the incident record.",
)
def missing_analysis(ctx: Context):
    due_ones = [i for i in ctx.incidents if i.severity in SIGNIFICANT and i.resolved]
    if not due_ones:
        yield NotApplicable("no critical or high incident has been resolved")
    for incident in due_ones:
        missing = [name for name in ("Root cause", "Preventive measures") if not incident.section(name)]
        where, label = f"incident:{incident.id}", f"{incident.id} {incident.title}"
        if missing:
            yield Hit(where, f"{' and '.join(missing).lower()} not written", label=label)
        else:
            yield Pass(where, "root cause and preventive measures written", label=label)


def _no_incidents(ctx: Context):
    if not ctx.incidents:
        yield NotApplicable("no incident recorded")


@check(
    id="INC-003",
    title="First response slower than the agreed target",
    area="incident",
    severity=Severity.medium,
    rationale="Response targets per severity are part of the support agreement; a miss must be visible "
    "and explained, not buried.",
    remediation="Explain the delay in the incident record and review the on-call arrangement with the client.",
)
def slow_response(ctx: Context):
    yield from _no_incidents(ctx)
    targets = ctx.config.response_targets
    for incident in ctx.incidents:
        target = getattr(targets, incident.severity.value).acknowledge
        where, label = f"incident:{incident.id}", f"{incident.id} {incident.title}"
        due = incident.response_due(targets)
        if incident.acknowledged:
            evidence = (f"{incident.severity.value}: detected {ctx.time(incident.detected)}, first response "
                        f"{ctx.time(incident.acknowledged)}, after {_hours(incident.time_to_acknowledge)} (target {_target(target)})")
        else:
            evidence = f"{incident.severity.value}: detected {ctx.time(incident.detected)}, no first response yet (due {ctx.time(due)})"
        yield (Hit if incident.response_missed(targets, ctx.now) else Pass)(where, evidence, label=label)


@check(
    id="INC-004",
    title="Service restored later than the agreed target",
    area="incident",
    severity=Severity.high,
    rationale="The restore target is what the client plans around; an incident open past it needs the next "
    "escalation level and the client told, not only the first responder working on it.",
    remediation="Escalate as the escalation path says, agree a workaround with the client, and explain the delay "
    "in the incident record.",
)
def slow_restore(ctx: Context):
    yield from _no_incidents(ctx)
    targets = ctx.config.response_targets
    for incident in ctx.incidents:
        target, due = getattr(targets, incident.severity.value).resolve, incident.restore_due(targets)
        where, label = f"incident:{incident.id}", f"{incident.id} {incident.title}"
        if due is None:
            continue
        if incident.resolved:
            evidence = (f"{incident.severity.value}: detected {ctx.time(incident.detected)}, restored {ctx.time(incident.resolved)}"
                        f", after {_hours(incident.time_to_resolve)} (target {_target(target)})")
        else:
            evidence = (f"{incident.severity.value}: detected {ctx.time(incident.detected)}, still open at the snapshot "
                        f"({ctx.time(ctx.now)}), {_hours(ctx.now - incident.detected)} later (target {_target(target)}, due {ctx.time(due)})")
        yield (Hit if incident.resolve_missed(targets, ctx.now) else Pass)(where, evidence, label=label)


@check(
    id="INC-005",
    title="Escalation step missed",
    area="incident",
    severity=Severity.high,
    rationale="The escalation path says who must be told when an incident runs long; a level not told cannot "
    "help, and the client learns of it from the outage instead.",
    remediation="Tell the level now, record in the incident record which level was told and when, and review "
    "why it was missed.",
)
def missed_escalation(ctx: Context):
    yield from _no_incidents(ctx)
    levels = [lvl for lvl in ctx.config.escalation if lvl.after]
    if ctx.incidents and not levels:
        yield NotAssessed("nothing to compare: no escalation level says after how long it is due")
        return
    for incident in ctx.incidents:
        where, label = f"incident:{incident.id}", f"{incident.id} {incident.title}"
        missed = incident.escalations_missed(levels, ctx.now)
        for level, due, told in missed:
            when = f"escalated {ctx.time(told)}" if told else "not escalated"
            yield Hit(where, f"{incident.severity.value}: level {level.level} ({level.name}) due {ctx.time(due)}, {when}",
                      label=label)
        if not missed:
            told = ", ".join(f"level {e.level} at {ctx.time(e.at)}" for e in incident.escalated)
            yield Pass(where, f"{incident.severity.value}: every escalation step due was taken"
                       f"{' (' + told + ')' if told else ' (none was due)'}", label=label)


@check(
    id="RUN-001",
    title="Runbook possibly out of date",
    area="incident",
    severity=Severity.medium,
    rationale="A runbook written for a workflow that has since been renamed, re-triggered or re-credentialed "
    "sends the client's team down the wrong path in an incident.",
    remediation="Read the runbook against the current workflow page and have the consultant update it.",
    consultant="Edit the guide under runbooks/ and commit it; its edit date then postdates the workflow's change.",
)
def stale_runbook(ctx: Context):
    if not ctx.runbooks:
        yield NotApplicable("no authored runbook")
    for runbook in ctx.runbooks:
        where, label = f"runbook:{runbook.path.stem}", f"runbook “{runbook.title}”"
        if runbook.changes:
            yield Hit(where, "; ".join(runbook.changes), label=label)
        else:
            yield Pass(where, "nothing it names changed since it was last edited", label=label)
