"""No hardcoded secrets: keys and tokens written into workflow definitions instead of credentials."""

from __future__ import annotations

import re

from generator.checks import Context, Hit, Pass, Severity, check
from generator.formats import count


@check(
    id="SEC-001",
    title="Secret written into a workflow definition",
    area="secrets",
    severity=Severity.critical,
    rationale="A key pasted into a node or module travels with every export, copy and backup of the workflow, "
    "is visible to everyone who can open it, and is not rotated with the credential store.",
    remediation="Rotate the key at the provider now (it must be treated as exposed), then move it into the "
    "platform's credential store and reference it from the step.",
    needs=("workflows",),
)
def hardcoded_secrets(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        if not workflow.secrets:
            yield Pass(workflow.ref, f"the secret scanner found no key or token in its {count(len(workflow.steps), 'step')}")
        for secret in workflow.secrets:
            step = workflow.step(secret.step) if secret.step else None
            where = f"step “{step.name}”, " if step else ""
            yield Hit(workflow.ref, f"{secret.kind.replace('_', ' ')} in {where}{secret.field} "
                                    f"(fingerprint {secret.fingerprint}; the value was redacted on sync)")


RISKY_APPS = re.compile(r"^(Execute Command|SSH|FTP|Read Binary Files?|Write Binary File|Read/Write Files from Disk|"
                        r"Local File Trigger|Read PDF|Spreadsheet File)\b", re.I)


@check(
    id="SEC-002",
    title="Steps that run code or reach the host, listed for review",
    area="secrets",
    severity=Severity.info,
    rationale="Code, shell commands, SSH, FTP and file-system steps can do anything the platform can: read "
    "its environment, other workflows' files or the network. They are where secrets and shortcuts hide.",
    remediation="Review each listed step: no secrets in the code, no commands built from input, and the "
    "least file and network access it needs. Prefer an app step where one exists.",
    needs=("workflows",),
)
def risky_steps(ctx: Context):
    for workflow in ctx.snapshot.workflows:
        risky = [s for s in workflow.steps if not s.disabled and (s.kind.value == "code" or RISKY_APPS.match(s.app))]
        if risky:
            names = ", ".join(f"“{s.name}” ({s.app})" for s in risky[:6]) + (" …" if len(risky) > 6 else "")
            yield Hit(workflow.ref, f"{count(len(risky), 'step')} to review: {names}")
        else:
            yield Pass(workflow.ref, "no code, shell, SSH, FTP or file-system step")
