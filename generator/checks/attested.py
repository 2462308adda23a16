"""Manual controls: evidence is an attestation in client.yml (what, by whom, when)."""

from __future__ import annotations

from generator.checks import Context, Hit, Pass, Severity, check
from generator.formats import days

# control key in client.yml → (check id, area, title, what it covers)
ATTESTED = {
    "escalation_contacts": ("ATT-001", "incident", "Escalation contacts confirmed",
                            "the people on the escalation path know their role and their details are current"),
    "incident_plan": ("ATT-002", "incident", "Incident response plan agreed",
                      "severity levels, response targets and communication were agreed with the client"),
    "database_backups": ("ATT-003", "backups", "Platform database backed up and restore tested",
                         "the platform's database (or the vendor's backups for cloud plans) is backed up and a restore was tested"),
    "access_review": ("ATT-004", "access", "Access reviewed",
                      "platform users, roles and credentials were reviewed and leavers removed"),
}


def _register(control: str, check_id: str, area: str, title: str, covers: str):
    @check(
        id=check_id,
        title=title,
        area=area,
        severity=Severity.medium,
        rationale=f"This control cannot be read from the platforms; it is attested: {covers}.",
        remediation="Confirm it with the consultant, who records who confirmed it, when and on what evidence.",
        consultant=f"Record it under `attestations` in client.yml (control: {control}, statement, by, date, evidence).",
        mode="attested",
    )
    def attested(ctx: Context):
        found = [a for a in ctx.config.attestations if a.control == control]
        if not found:
            yield Hit(f"attestation:{control}", "not confirmed yet: nobody has attested it", label="attestation")
            return
        newest = max(found, key=lambda a: a.date)
        age = (ctx.now.date() - newest.date).days
        if age > ctx.thresholds.attestation_days:
            yield Hit(f"attestation:{control}",
                      f"last attested {newest.date} by {newest.by}, {age} days before the snapshot "
                      f"(limit {days(ctx.thresholds.attestation_days)})", label="attestation")
        else:
            yield Pass(f"attestation:{control}", f"attested {newest.date} by {newest.by}: {newest.statement}",
                       label="attestation")

    return attested


for _control, (_id, _area, _title, _covers) in ATTESTED.items():
    _register(_control, _id, _area, _title, _covers)
