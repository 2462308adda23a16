"""What the platforms report about themselves: their own security audits and gaps in collection."""

from __future__ import annotations

from generator.checks import Context, Hit, NotApplicable, NotAssessed, Pass, Severity, check
from generator.formats import count, format_day


def security_fixes(facts) -> list:
    return [u for u in facts.updates if u.security_fix]


def is_outdated(item) -> bool:
    """An audit finding that says the instance is behind: the same fact as the update list (PATCH-001)."""
    return "outdated" in item.title.lower()


@check(
    id="PLAT-001",
    title="Finding from the platform's own security audit",
    area="patching",
    severity=Severity.medium,
    rationale="The platform's built-in audit (n8n: Settings → Security audit) knows about risky nodes, "
    "outdated versions and instance settings.",
    remediation="Follow the recommendation given with each audit finding.",
    needs=("audit",),
)
def platform_audit(ctx: Context):
    audited = [f for f in ctx.snapshot.platforms if f.platform.spec.security_audit]
    if not audited:
        yield NotApplicable("no platform in use has a built-in security audit")
    for facts in audited:
        items = [i for i in facts.audit if not (is_outdated(i) and security_fixes(facts))]  # PATCH-001's finding
        for item in items:
            detail = f"{item.section}: {item.title}"
            if item.locations:
                detail += f" ({count(item.locations, 'location')})"
            yield Hit(f"{facts.platform.value}:{facts.name}:{item.title}", detail, label=facts.name)
        if not items:
            yield Pass(f"{facts.platform.value}:{facts.name}:audit", f"{facts.name}: the security audit reports "
                       f"nothing{' beyond the update PATCH-001 covers' if facts.audit else ''}", label=facts.name)


@check(
    id="PLAT-002",
    title="Part of the platform could not be collected",
    area="monitoring",
    severity=Severity.low,
    rationale="What could not be collected cannot be assessed; the handover is silent about it.",
    remediation="Have the consultant's read-only access widened to what the evidence names, and the platform "
    "collected again.",
    consultant="Give the sync key the scope named in the evidence (see the keys in this report), then sync again.",
)
def not_collected(ctx: Context):
    for facts in ctx.snapshot.platforms:
        for gap in facts.not_collected:
            yield Hit(f"{facts.platform.value}:{facts.name}:{gap.section}", f"{gap.section}: {gap.reason}", label=facts.name)
        if not facts.not_collected:
            yield Pass(f"{facts.platform.value}:{facts.name}:collection",
                       f"{facts.name}: every section was read ({facts.source})", label=facts.name)


@check(
    id="PATCH-001",
    title="Platform update with a security fix available",
    area="patching",
    severity=Severity.high,
    rationale="A published security fix tells attackers what to look for in instances that have not taken it.",
    remediation="Plan the update through the change process (test, then production, with the rollback ready) "
    "and apply it within the agreed window.",
    needs=("audit",),
)
def security_update(ctx: Context):
    managed = [f for f in ctx.snapshot.platforms if f.platform.spec.self_hosted]
    if not managed:
        yield NotApplicable("the platforms in use are cloud services updated by their vendor")
    for facts in managed:
        place = f"{facts.platform.value}:{facts.name}:updates"
        fixes = security_fixes(facts)
        if fixes:
            versions = ", ".join(u.version for u in fixes[:4])
            evidence = (f"{facts.name}{' ' + facts.version if facts.version else ''}: {count(len(fixes), 'newer version')} "
                        f"with security fixes ({versions})")
            # The same fact, reported by the platform's own audit too: one finding, both sources as evidence.
            reports = [i for i in facts.audit if is_outdated(i)]
            if reports:
                evidence += f"; the platform's security audit reports it too (“{reports[0].title}”, {count(len(reports), 'time')})"
            yield Hit(place, evidence, label=facts.name)
        elif facts.version and not any(g.section.lower() == "security audit" for g in facts.not_collected):
            yield Pass(place, f"{facts.name} {facts.version}: no newer version with a security fix reported",
                       label=facts.name)
        else:
            yield NotAssessed(f"platform does not report it: {facts.name} reported no version or no update list")


@check(
    id="PATCH-002",
    title="Steps on an older node or module version than the client uses elsewhere",
    area="patching",
    severity=Severity.low,
    rationale="Older node and module versions miss fixes and behave differently from the same app elsewhere in "
    "the estate; they are often deprecated first.",
    remediation="Replace the step with the current version of the node or module (n8n: add the node again; Make: "
    "upgrade the module), test, and re-map its fields.",
    needs=("workflows",),
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
    for workflow in ctx.snapshot.workflows:
        if workflow.ref not in by_workflow and any(s.version for s in workflow.steps):
            yield Pass(workflow.ref, "every versioned step on the newest version the client uses")


@check(
    id="PLAT-003",
    title="Workflow not documented",
    area="monitoring",
    severity=Severity.medium,
    rationale="A workflow the sync could not read is shown at its last readable version, or not at all: its "
    "pages and checks may not match what runs.",
    remediation="Open the workflow in the platform's editor, correct or re-save what the evidence names, then have "
    "the consultant collect it again.",
    consultant="If the workflow is valid in the platform, report it so the tool learns to read it.",
)
def not_documented(ctx: Context):
    for facts in ctx.snapshot.platforms:
        for item in facts.not_documented:
            kept = (f"; its version of {format_day(item.kept_since)} is shown" if item.kept_since
                    else "; it is not in the documentation")
            yield Hit(item.workflow, f"not documented: “{item.name}” ({item.reason}){kept}", label=item.name)
        if not facts.not_documented:
            yield Pass(f"{facts.platform.value}:{facts.name}", "every workflow was read and documented",
                       label=facts.name)


@check(
    id="PLAT-004",
    title="Workflow uses a credential that does not exist",
    area="access",
    severity=Severity.medium,
    rationale="A step naming a credential the platform does not have fails when it runs, or was imported from "
    "another instance and will pick up whatever credential is given the same name.",
    remediation="Select an existing credential on the step (or create the one it needs), then have the consultant "
    "collect the platform again.",
)
def missing_credentials(ctx: Context):
    snapshot = ctx.snapshot
    # Only where the platform's credential list was read this time: otherwise absence proves nothing.
    listed = {f.platform for f in snapshot.platforms
              if f.source == "api" and not any(n.section == "credentials" for n in f.not_collected)}
    for workflow in snapshot.workflows:
        if workflow.platform not in listed or not workflow.platform.spec.missing_credentials:
            continue
        missing = [s for s in workflow.steps if s.credential and snapshot.credential(s.credential) is None]
        if missing:
            steps = ", ".join(f"“{s.name}” ({s.credential.split(':', 1)[1]})" for s in missing[:4])
            yield Hit(workflow.ref, f"workflow uses a credential that does not exist: {steps}"
                      + (" …" if len(missing) > 4 else ""))
        elif any(s.credential for s in workflow.steps):
            yield Pass(workflow.ref, "every credential its steps name exists on the instance")


@check(
    id="PLAT-005",
    title="Workflow has unpublished changes",
    area="backups",
    severity=Severity.low,
    rationale="What runs is the published version; a draft saved in the editor is neither running nor in the "
    "export a restore would use, and is easily published by accident or lost.",
    remediation="Publish the draft through the change process, or discard it in the editor.",
)
def unpublished_draft(ctx: Context):
    synced = {f.platform for f in ctx.snapshot.platforms if f.source == "api"}  # an export file cannot tell
    for workflow in ctx.snapshot.workflows:
        if workflow.draft:
            changes = "; ".join(workflow.draft.changes[:4]) or "no node changed"
            yield Hit(workflow.ref, f"a newer draft ({workflow.draft.version}) is not published: {changes}")
        elif workflow.platform.spec.drafts and workflow.platform in synced:
            yield Pass(workflow.ref, "what runs is the latest saved version (no unpublished draft)")
