"""Incident response: post-incident summaries, root causes, response times, runbooks that stay true."""

from __future__ import annotations

from datetime import timedelta

from generator.checks import Context, Hit, Severity, check
from generator.evidence.incidents import SIGNIFICANT

SUMMARY_WITHIN = timedelta(hours=48)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@check(
    id="INC-001",
    title="No post-incident summary within 48 hours",
    area="incident",
    severity=Severity.high,
    rationale="The client was promised a written summary within 48 hours of resolving a critical or high "
    "incident: what happened, the impact, the root cause and what prevents a repeat.",
    remediation="Write the summary in the incident record, send it to the client, and set summary_sent.",
    soc2=("CC7.4", "CC7.5"),
    pdpa=("Data breach notification (s26A–26E)",),
)
def late_summary(ctx: Context):
    for incident in ctx.incidents:
        if incident.severity not in SIGNIFICANT or not incident.resolved:
            continue
        due = incident.resolved + SUMMARY_WITHIN
        if incident.summary_sent and incident.summary_sent > due:
            yield Hit(f"incident:{incident.id}", f"summary sent {_hours(incident.summary_sent - incident.resolved)} "
                      "after resolution", label=f"{incident.id} {incident.title}")
        elif not incident.summary_sent and ctx.now > due:
            yield Hit(f"incident:{incident.id}", f"resolved {incident.resolved:%Y-%m-%d %H:%M} UTC; no summary sent "
                      f"{_hours(ctx.now - incident.resolved)} later", label=f"{incident.id} {incident.title}")


@check(
    id="INC-002",
    title="Significant incident without root cause or preventive measures",
    area="incident",
    severity=Severity.medium,
    rationale="Without a documented root cause and preventive measures the same incident tends to happen again.",
    remediation="Fill in the Root cause and Preventive measures sections of the incident record.",
    soc2=("CC7.4", "CC7.5"),
)
def missing_analysis(ctx: Context):
    for incident in ctx.incidents:
        if incident.severity in SIGNIFICANT and incident.resolved:
            missing = [name for name in ("Root cause", "Preventive measures") if not incident.section(name)]
            if missing:
                yield Hit(f"incident:{incident.id}", f"{' and '.join(missing).lower()} not written",
                          label=f"{incident.id} {incident.title}")


@check(
    id="INC-003",
    title="Response slower than the agreed target",
    area="incident",
    severity=Severity.medium,
    rationale="Response targets per severity are part of the support agreement; a miss must be visible "
    "and explained, not buried.",
    remediation="Explain the delay in the incident record and review the on-call arrangement with the client.",
    soc2=("CC7.3", "CC7.4"),
)
def slow_response(ctx: Context):
    targets = ctx.config.response_targets
    for incident in ctx.incidents:
        target = getattr(targets, incident.severity.value)
        if incident.response_missed(targets):
            yield Hit(f"incident:{incident.id}", f"{incident.severity.value}: first response after "
                      f"{_hours(incident.time_to_acknowledge)} (target {target.acknowledge})",
                      label=f"{incident.id} {incident.title}")
        if incident.resolve_missed(targets):
            yield Hit(f"incident:{incident.id}:resolve", f"{incident.severity.value}: restored after "
                      f"{_hours(incident.time_to_resolve)} (target {target.resolve})",
                      label=f"{incident.id} {incident.title}")


@check(
    id="RUN-001",
    title="Runbook possibly out of date",
    area="incident",
    severity=Severity.medium,
    rationale="A runbook written for a workflow that has since been renamed, re-triggered or re-credentialed "
    "sends the client's team down the wrong path in an incident.",
    remediation="Read the runbook against the current workflow page, update it, and commit the change.",
    soc2=("CC7.4",),
)
def stale_runbook(ctx: Context):
    for runbook in ctx.runbooks:
        if runbook.changes:
            yield Hit(f"runbook:{runbook.path.stem}", "; ".join(runbook.changes), label=f"runbook “{runbook.title}”")
