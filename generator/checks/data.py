"""Data handling & retention: how long the platforms keep run data, against the client's policy."""

from __future__ import annotations

import re

from generator.checks import Context, Hit, NotAssessed, Pass, Severity, check

_RUN_DATA = re.compile(r"run data|execution|run history|run logs?|task history|workflow logs?", re.I)


def platform_keep_days(facts) -> int | None:
    """Days the platform keeps run data (entered in client.yml: no platform API reports it)."""
    return facts.run_data_keep_days


def policy_for(ctx: Context, facts):
    """The retention rule that governs this platform's run data: one naming run data (executions, run
    history, logs) and listing the platform among its systems, else one naming run data alone."""
    rules = [r for r in ctx.config.retention if r.keep_days is not None and _RUN_DATA.search(r.category)]
    named = [r for r in rules if any(facts.platform.label.lower() in s.lower() or facts.name.lower() in s.lower()
                                     for s in r.systems)]
    return (named or [r for r in rules if not r.systems] or [None])[0]


@check(
    id="DATA-001",
    title="Platform keeps run data longer than the retention policy",
    area="data",
    severity=Severity.medium,
    rationale="Run data holds the records each run processed (often personal data). Keeping it longer than "
    "the agreed policy breaks the retention limitation the client committed to.",
    remediation="Shorten the platform's execution pruning (n8n: EXECUTIONS_DATA_MAX_AGE; Make: the "
    "organisation's log retention; per workflow: do not save successful runs), or change the policy.",
)
def kept_too_long(ctx: Context):
    for facts in ctx.snapshot.platforms:
        rule = policy_for(ctx, facts)
        if rule is None:
            yield NotAssessed(f"nothing to compare: no retention rule for run data covers {facts.name}")
            continue
        kept = platform_keep_days(facts)
        place = f"{facts.platform.value}:{facts.name}:retention"
        if kept is None:
            yield NotAssessed(f"platform does not report it: how long {facts.name} keeps run data")
        elif kept > rule.keep_days:
            yield Hit(place, f"{facts.name} keeps run data {kept:g} days; “{rule.category}” allows {rule.keep_days}",
                      label=facts.name)
        else:
            yield Pass(place, f"{facts.name} keeps run data {kept:g} days; “{rule.category}” allows {rule.keep_days}",
                       label=facts.name)


@check(
    id="DATA-002",
    title="Platform keeps run data shorter than the policy requires",
    area="data",
    severity=Severity.low,
    rationale="When the policy asks for run history (for audits or disputes) and the platform prunes it "
    "sooner, the evidence is gone when it is needed. The daily run counts in the snapshot outlive pruning; "
    "the run data itself does not.",
    remediation="Lengthen the platform's execution retention, or export run history before it is pruned, or "
    "shorten the policy.",
)
def kept_too_short(ctx: Context):
    for facts in ctx.snapshot.platforms:
        rule = policy_for(ctx, facts)
        kept = platform_keep_days(facts)
        if rule is None or kept is None:
            continue  # DATA-001 says which platform could not be compared
        place = f"{facts.platform.value}:{facts.name}:retention-short"
        evidence = f"{facts.name} keeps run data {kept:g} days; “{rule.category}” expects {rule.keep_days}"
        yield Hit(place, evidence, label=facts.name) if kept < rule.keep_days else Pass(place, evidence, label=facts.name)


@check(
    id="DATA-003",
    title="Personal data sent to an app that is not an approved processor",
    area="data",
    severity=Severity.high,
    rationale="Personal data may only go to processors the client has approved and has an agreement with; an "
    "automation can quietly add a new one.",
    remediation="Approve the app as a processor (with an agreement in place) and tell the consultant, change the "
    "workflow, or have the consultant dismiss the flow if it carries no personal data.",
    consultant="Add the app to `processors` in client.yml once the client approves it, or dismiss the flow under "
    "`personal_data` (workflow, app, status: dismissed, note) if the inference is wrong.",
    needs=("workflows",),
)
def unapproved_processor(ctx: Context):
    from generator.evidence.personal import approved, flows

    found = [f for f in flows(ctx.config, ctx.snapshot) if f.status != "dismissed"]
    if not ctx.config.processors:
        if found:
            yield NotAssessed("nothing to compare: no approved processors have been agreed with the consultant")
        return
    for flow in found:
        what = f"{', '.join(flow.categories)} from {', '.join(flow.sources)} to {flow.destination}"
        if approved(ctx.config, flow.destination):
            yield Pass(flow.ref, f"{what}, an approved processor")
        else:
            yield Hit(flow.ref, f"{what}, which is not in the approved processors")
