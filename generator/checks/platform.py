"""What the platforms report about themselves: their own security audits and gaps in collection."""

from __future__ import annotations

from . import Context, Hit, Severity, check


@check(
    id="PLAT-001",
    title="Finding from the platform's own security audit",
    area="patching",
    severity=Severity.medium,
    rationale="The platform's built-in audit (n8n: Settings → Security audit) knows about risky nodes, "
    "outdated versions and instance settings.",
    remediation="Follow the recommendation given with each audit finding.",
    soc2=("CC7.1", "CC8.1"),
)
def platform_audit(ctx: Context):
    for facts in ctx.snapshot.platforms:
        for item in facts.audit:
            detail = f"{item.section}: {item.title}"
            if item.locations:
                detail += f" ({item.locations} location(s))"
            yield Hit(f"{facts.platform.value}:{facts.name}:{item.title}", detail, label=facts.name)


@check(
    id="PLAT-002",
    title="Part of the platform could not be collected",
    area="monitoring",
    severity=Severity.low,
    rationale="Evidence the sync could not read cannot be assessed; the portal is silent about it.",
    remediation="Give the sync key the scope named in the evidence, then sync again.",
    soc2=("CC7.1",),
)
def not_collected(ctx: Context):
    for facts in ctx.snapshot.platforms:
        for gap in facts.not_collected:
            yield Hit(f"{facts.platform.value}:{facts.name}:{gap.section}", f"{gap.section}: {gap.reason}", label=facts.name)
