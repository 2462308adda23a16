"""Data handling & retention: how long the platforms keep run data, against the client's policy."""

from __future__ import annotations

import re

from generator.checks import Context, Hit, NotApplicable, NotAssessed, Pass, Severity, check

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


# A sentence of the architecture notes that says data stays somewhere.
_STAYS = re.compile(r"never leaves?|(does|do) not leave|doesn't leave|don't leave|stays? (on|in|within|inside)|"
                    r"remains? (on|in|within|inside)|(is|are) kept (on|in|within|inside)|never (sent|shared|"
                    r"transferred)|not (sent|shared|transferred) (abroad|outside)|only (in|within) ", re.I)
_ABOUT_DATA = re.compile(r"data|records?|information|orders?|payments?|customers?|personal", re.I)


def _claims(text: str) -> list[str]:
    """Sentences of `text` (Markdown) that say data stays in one place."""
    plain = re.sub(r"[*_`]", "", text)
    sentences = re.split(r"(?<=[.!?])\s+|\n\s*\n", plain)
    return [" ".join(s.split()) for s in sentences if _STAYS.search(s) and _ABOUT_DATA.search(s)]


def _abroad(ctx: Context) -> list:
    from generator.evidence.personal import flows

    return [f for f in flows(ctx.config, ctx.snapshot) if f.status != "dismissed" and f.transfers]


def _named_in(sentence: str, flow) -> bool:
    """The sentence names the flow's platform or one of its apps."""
    return any(n.lower() in sentence.lower() for n in [flow.workflow.platform.label, flow.destination, *flow.sources])


def _describe(flow) -> str:
    places = ", ".join(dict.fromkeys(f"{t.place} ({t.region_name})" for t in flow.transfers))
    return f"{', '.join(flow.sources)} → {flow.destination} in “{flow.workflow.name}”, processed by {places}"


@check(
    id="DATA-004",
    title="Architecture notes say data stays where the flows show it does not",
    area="data",
    severity=Severity.low,
    rationale="The architecture notes are what the client's team, auditors and data-protection officer read "
    "about where data goes. A statement that personal data stays in one place, while workflows send it to "
    "platforms or services abroad, misleads them about the transfers they are accountable for.",
    remediation="The consultant corrects the architecture notes so they say which personal data leaves the "
    "country and where it goes, or the workflows are changed so it does not.",
    needs=("workflows",),
)
def narrative_contradicted(ctx: Context):
    from generator.evidence.apps import region_name

    claims = _claims(ctx.config.narrative.architecture or "")
    if not claims:
        yield NotApplicable("the architecture notes say nothing about data staying in one place")
        return
    country = ctx.config.client.country
    if country is None:
        yield NotAssessed("nothing to compare: the client's country is not recorded")
        return
    abroad = _abroad(ctx)
    for number, claim in enumerate(claims, start=1):
        where = f"narrative:architecture:{number}"
        quote = claim if len(claim) <= 240 else claim[:237] + "…"
        # The flows of the platform or apps the sentence names first: those contradict it most directly.
        found = sorted(abroad, key=lambda f: not _named_in(claim, f))
        if found:
            shown = "; ".join(_describe(f) for f in found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
            yield Hit(where, f"The architecture notes say “{quote}”, while the workflows show {len(found)} "
                      f"personal-data flow{'s' if len(found) != 1 else ''} processed outside "
                      f"{region_name(country)}: {shown}.", label="Architecture notes")
        else:
            yield Pass(where, f"“{quote}”: no personal-data flow found leaves {region_name(country)}",
                       label="Architecture notes")


@check(
    id="DATA-005",
    title="Personal data processed outside the client's country",
    area="data",
    severity=Severity.info,
    rationale="Transfer rules (PDPA section 26, GDPR chapter V) require that personal data sent abroad is "
    "protected to a comparable standard, usually by contract. Each flow processed in another country, by "
    "the platform that runs it or the service it is sent to, is a transfer to account for.",
    remediation="For each transfer, confirm the agreement with the platform or service that covers it (or "
    "move the workflow to a region in the client's country), then confirm the flow on the Data handling page.",
    needs=("workflows",),
)
def transferred_abroad(ctx: Context):
    country = ctx.config.client.country
    if country is None:
        yield NotAssessed("nothing to compare: the client's country is not recorded")
        return
    for flow in _abroad(ctx):
        yield Hit(flow.ref, f"{', '.join(flow.categories)}: {_describe(flow)}",
                  label=f"{flow.workflow.name} → {flow.destination}")
