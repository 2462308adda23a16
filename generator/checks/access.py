"""Least-privilege access: scopes, sharing, ownership, unused and expiring credentials, webhooks."""

from __future__ import annotations

import re
from datetime import timedelta

from generator.checks import Context, Hit, NotAssessed, Pass, Severity, check
from generator.formats import count
from generator.model import Access, TriggerKind, WebhookAuth

# Scopes that grant more than one resource's read access: admin, full, wildcard or write/manage.
BROAD = re.compile(r"(admin|full|manage|owner|(^|[._:/-])all($|[._:/-])|_all\b|^\*$|:\*$|auth/drive$|auth/gmail\.modify)", re.I)
WRITE = re.compile(r"(write|create|update|delete|edit|send|manage|modify|admin|full|^\*$)", re.I)


def _steps_using(ctx: Context, credential):
    for use in credential.used_by:
        workflow = ctx.snapshot.workflow(use.workflow)
        step = workflow.step(use.step) if workflow else None
        if step:
            yield workflow, step


@check(
    id="ACCESS-001",
    title="Credential scopes wider than its workflows need",
    area="access",
    severity=Severity.high,
    rationale="A leaked or misused credential can do everything its scopes allow, not only what the "
    "workflows do. Admin, full-access or write scopes on a credential that is only read from widen the "
    "blast radius for nothing.",
    remediation="Re-create the credential with read-only (or narrower) scopes and re-link it in the listed "
    "workflows; for Google, prefer per-file or read-only scopes.",
    needs=("credentials", "workflows"),
)
def over_broad_scopes(ctx: Context):
    for credential in ctx.snapshot.credentials:
        uses = list(_steps_using(ctx, credential))
        if not uses:
            continue  # an unused credential is ACCESS-004's finding
        if not credential.scopes:
            yield Pass(credential.ref, "the platform reports no scopes for this credential: nothing wider than "
                                       "its steps need was found")
            continue
        broad = [s for s in credential.scopes if BROAD.search(s)]
        read_only = all(step.access in (Access.read, Access.none) for _, step in uses)
        writes = [s for s in credential.scopes if WRITE.search(s)] if read_only else []
        flagged = sorted(set(broad) | set(writes))
        if flagged:
            one = len(uses) == 1
            need = ("only reads" if one else "only read") if read_only else ("uses it" if one else "use it")
            yield Hit(
                credential.ref,
                f"grants {', '.join(flagged)}; the {count(len(uses), 'step')} that {need} "
                f"{'does' if one else 'do'} not need "
                f"{'write or admin' if read_only else 'admin or full'} access",
            )
        else:
            yield Pass(credential.ref, f"scopes {', '.join(credential.scopes)}: none admin, full or wildcard"
                                       f"{' and none write for read-only use' if read_only else ''}")


@check(
    id="ACCESS-002",
    title="One credential shared by many workflows",
    area="access",
    severity=Severity.medium,
    rationale="When one credential serves many workflows, rotating or revoking it stops all of them at "
    "once, and its logs cannot tell which workflow did what.",
    remediation="Split it into one credential per workflow group, each with the scopes that group needs.",
    needs=("credentials", "workflows"),
)
def shared_credentials(ctx: Context):
    for credential in ctx.snapshot.credentials:
        workflows = sorted({use.workflow for use in credential.used_by})
        if len(workflows) >= 4:
            yield Hit(credential.ref, f"used by {len(workflows)} workflows")
        elif workflows:
            yield Pass(credential.ref, f"used by {count(len(workflows), 'workflow')} (limit 3)")


@check(
    id="ACCESS-003",
    title="Credential owned by a personal account",
    area="access",
    severity=Severity.medium,
    rationale="A credential tied to a person's account breaks when that person leaves or changes their "
    "password, and acts with all of that person's rights.",
    remediation="Re-connect it with a dedicated service account or integration user owned by the client.",
    needs=("credentials",),
)
def personal_owner(ctx: Context):
    from generator.evidence.facts import personal_account

    judged = False
    for credential in ctx.snapshot.credentials:
        fact = personal_account(credential)
        if fact.value is None or not credential.used_by:
            continue
        judged = True
        yield (Hit if fact else Pass)(credential.ref, fact.how)
    if not judged and any(c.used_by for c in ctx.snapshot.credentials):
        yield NotAssessed("platform does not report it: no platform says whether a credential's account is "
                          "personal or a service account")


@check(
    id="ACCESS-004",
    title="Unused credential",
    area="access",
    severity=Severity.low,
    rationale="A credential no workflow uses still grants access and is easily forgotten at rotation.",
    remediation="Delete it on the platform, or document why it is kept.",
    needs=("credentials", "workflows"),
)
def unused(ctx: Context):
    for credential in ctx.snapshot.credentials:
        if not credential.used_by:
            yield Hit(credential.ref, f"no workflow step uses it; scopes: {', '.join(credential.scopes) or 'none'}")
        else:
            yield Pass(credential.ref, f"used by {count(len(credential.used_by), 'step')}")


@check(
    id="ACCESS-005",
    title="Credential expiring soon or expired",
    area="access",
    severity=Severity.high,
    rationale="An expired token stops every workflow that uses it, usually noticed only when runs fail.",
    remediation="Renew or re-authorise the credential before it expires and note the new expiry.",
    needs=("credentials",),
)
def expiring(ctx: Context):
    horizon = ctx.now + timedelta(days=ctx.thresholds.expiry_days)
    for credential in ctx.snapshot.credentials:
        if credential.expires and credential.expires <= horizon:
            days = (credential.expires - ctx.now).days
            when = f"expired {count(-days, 'day')} ago" if days < 0 else f"expires in {count(days, 'day')}"
            yield Hit(credential.ref, f"{when} ({credential.expires:%Y-%m-%d}); used by {count(len(credential.used_by), 'step')}")
        elif credential.expires:
            yield Pass(credential.ref, f"expires {credential.expires:%Y-%m-%d}, more than "
                                       f"{ctx.thresholds.expiry_days} days after the snapshot")
        else:
            yield Pass(credential.ref, "no expiry reported by the platform")


@check(
    id="ACCESS-006",
    title="Inbound webhook without authentication",
    area="access",
    severity=Severity.high,
    rationale="Anyone who learns the address of an unauthenticated webhook can start the workflow with "
    "data of their choosing.",
    remediation="Require header, basic or JWT authentication, or verify the sender's signature, on the "
    "webhook trigger.",
    needs=("workflows", "webhooks"),
)
def open_webhooks(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        hook = workflow.trigger.webhook
        # only a webhook that can be called: n8n registers it while the workflow is active, never archived
        if workflow.trigger.kind != TriggerKind.webhook or not hook or not workflow.active or workflow.archived:
            continue
        if hook.auth == WebhookAuth.none:
            yield Hit(workflow.ref, f"webhook {hook.path} accepts unauthenticated calls")
        else:
            yield Pass(workflow.ref, f"webhook {hook.path} requires {hook.auth.value} authentication")


@check(
    id="ACCESS-007",
    title="Credential not rotated within the client's rotation policy",
    area="access",
    severity=Severity.low,
    rationale="A secret that never changes has had the most time to leak: in old exports, former staff's "
    "notes, or a vendor breach.",
    remediation="Rotate the secret (or re-authorise the connection) and record the date; set a reminder for "
    "the next rotation. The rotation periods are those agreed with the consultant.",
    consultant="The periods are `rotation` in client.yml (`every`, and `stricter` rules per credential).",
    needs=("credentials",),
)
def not_rotated(ctx: Context):
    from generator.evidence.facts import rotation

    for credential in ctx.snapshot.credentials:
        if not credential.used_by:
            continue  # an unused credential is ACCESS-004's finding
        fact = rotation(credential, ctx.config.rotation.period_for(credential.ref), ctx.now)
        if fact.value is None:
            continue  # no date: nothing to judge for this one
        yield (Pass if fact else Hit)(credential.ref, fact.how)
