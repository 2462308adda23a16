"""Backups & isolation evidence: how fresh the platform data is, and what is shared with other clients."""

from __future__ import annotations

from datetime import timedelta

from generator.checks import Context, Hit, NotAssessed, Pass, Severity, check
from generator.evidence.facts import backup
from generator.formats import count


@check(
    id="BACKUP-001",
    title="Snapshot and native exports of a platform out of date",
    area="backups",
    severity=Severity.medium,
    rationale="The snapshot is the versioned record of what was built. A platform not read for weeks means "
    "the record, and the backup of its definitions, no longer matches what runs.",
    remediation="Have the consultant collect the platform again, and on a schedule, so the record stays current.",
    consultant="Sync the platform again (or re-import its export) and commit the snapshot; schedule the sync in CI.",
)
def stale_platform(ctx: Context):
    limit = timedelta(days=ctx.thresholds.freshness_days)
    for facts in ctx.snapshot.platforms:
        if facts.synced is None:
            yield Hit(f"{facts.platform.value}:{facts.name}:freshness", f"{facts.name}: no record of when it was read",
                      label=facts.name)
        elif ctx.now - facts.synced > limit:
            yield Hit(f"{facts.platform.value}:{facts.name}:freshness",
                      f"{facts.name} was last read ({facts.source}) on {facts.synced:%Y-%m-%d}, "
                      f"{(ctx.now - facts.synced).days} days before the snapshot (limit {ctx.thresholds.freshness_days})",
                      label=facts.name)
        else:
            yield Pass(f"{facts.platform.value}:{facts.name}:freshness",
                       f"{facts.name} last read ({facts.source}) on {facts.synced:%Y-%m-%d}, within "
                       f"{ctx.thresholds.freshness_days} days of the snapshot", label=facts.name)


@check(
    id="BACKUP-002",
    title="Workflows without a platform-native export",
    area="backups",
    severity=Severity.medium,
    rationale="The snapshot documents a workflow but cannot be imported back. Without the platform's own "
    "export kept with the handover records there is no backup to restore from if the platform loses it.",
    remediation="Have the consultant collect the platform again: every collection keeps each workflow's own "
    "export, version by version.",
    consultant="Sync the platform (or import its export files): every sync and import writes each workflow's native "
    "export under exports/, versioned in Git.",
    needs=("workflows",),
)
def missing_exports(ctx: Context):
    if ctx.exports is None:
        yield NotAssessed("no data: the exports folder was not looked at")
        return
    for platform in sorted({w.platform for w in ctx.snapshot.workflows}, key=lambda p: p.value):
        mine = [w for w in ctx.snapshot.workflows if w.platform == platform]
        missing = [w for w in mine if not backup(w, ctx.exports).value]
        if missing:
            names = ", ".join(f"“{w.name}”" for w in missing[:5]) + (" …" if len(missing) > 5 else "")
            yield Hit(f"{platform.value}:exports", f"{len(missing)} of {len(mine)} {platform.label} "
                      f"{platform.workflow_noun}s have no native export: {names}", label=f"{platform.label} exports")
        else:
            yield Pass(f"{platform.value}:exports", f"all {len(mine)} {platform.label} {platform.workflow_noun}s have "
                       "a native export", label=f"{platform.label} exports")


@check(
    id="ISO-001",
    title="Secret, webhook or account shared with another client",
    area="isolation",
    severity=Severity.high,
    rationale="A key, webhook or account used for two clients lets one client's workflows reach the other's "
    "data, and one client's incident become the other's.",
    remediation="Give each client its own credentials, accounts and webhooks; rotate the shared secret and "
    "re-create the shared webhook for one of them.",
)
def shared_with_another_client(ctx: Context):
    report = ctx.isolation
    if report is None:
        yield NotAssessed("no data: never compared with the consultant's other clients")
        return
    if not report.other_clients:
        yield NotAssessed("nothing to compare: this is the only client in the workspace")
        return
    for item in report.shared:
        yield Hit(item.location, item.evidence)
    if not report.shared:
        yield Pass("isolation:compared", f"no secret fingerprint, webhook address or account in common with the "
                   f"{count(report.other_clients, 'other client')}, as of {report.compared:%Y-%m-%d}", label="this client")
