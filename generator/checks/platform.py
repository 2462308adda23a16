"""What the platforms report about themselves: their own security audits and gaps in collection."""

from __future__ import annotations

from generator.checks import Context, Hit, Severity, check


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


@check(
    id="PATCH-001",
    title="Platform update with a security fix available",
    area="patching",
    severity=Severity.high,
    rationale="A published security fix tells attackers what to look for in instances that have not taken it.",
    remediation="Plan the update through the change process (test, then production, with the rollback ready) "
    "and apply it within the agreed window.",
    soc2=("CC7.1", "CC8.1"),
    pdpa=("Protection (s24)",),
)
def security_update(ctx: Context):
    for facts in ctx.snapshot.platforms:
        fixes = [u for u in facts.updates if u.security_fix]
        if fixes:
            versions = ", ".join(u.version for u in fixes[:4])
            yield Hit(f"{facts.platform.value}:{facts.name}:updates",
                      f"{facts.name}{' ' + facts.version if facts.version else ''}: {len(fixes)} newer version(s) "
                      f"with security fixes ({versions})", label=facts.name)


@check(
    id="PATCH-002",
    title="Steps on an older node or module version than the client uses elsewhere",
    area="patching",
    severity=Severity.low,
    rationale="Older node and module versions miss fixes and behave differently from the same app elsewhere in "
    "the estate; they are often deprecated first.",
    remediation="Replace the step with the current version of the node or module (n8n: add the node again; Make: "
    "upgrade the module), test, and re-map its fields.",
    soc2=("CC8.1",),
)
def older_versions(ctx: Context):
    from generator.evidence.patching import behind

    by_workflow: dict[str, list] = {}
    for item in behind(ctx.snapshot):
        by_workflow.setdefault(item.workflow.ref, []).append(item)
    for ref, items in sorted(by_workflow.items()):
        listed = ", ".join(f"“{i.step.name}” ({i.step.app} v{i.step.version}, newest in use v{i.newest})"
                           for i in items[:4]) + (" …" if len(items) > 4 else "")
        yield Hit(ref, listed)
