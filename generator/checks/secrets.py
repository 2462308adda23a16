"""No hardcoded secrets: keys and tokens written into workflow definitions instead of credentials."""

from __future__ import annotations

from . import Context, Hit, Severity, check


@check(
    id="SEC-001",
    title="Secret written into a workflow definition",
    area="secrets",
    severity=Severity.critical,
    rationale="A key pasted into a node or module travels with every export, copy and backup of the workflow, "
    "is visible to everyone who can open it, and is not rotated with the credential store.",
    remediation="Rotate the key at the provider now (it must be treated as exposed), then move it into the "
    "platform's credential store and reference it from the step.",
    soc2=("CC6.1", "CC6.7"),
    pdpa=("Protection obligation",),
)
def hardcoded_secrets(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        for secret in workflow.secrets:
            step = workflow.step(secret.step) if secret.step else None
            where = f"step “{step.name}”, " if step else ""
            yield Hit(workflow.ref, f"{secret.kind.replace('_', ' ')} in {where}{secret.field} "
                                    f"(fingerprint {secret.fingerprint}; the value was redacted on sync)")
