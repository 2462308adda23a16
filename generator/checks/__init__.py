"""The security baseline as code.

Each check is a small function with its metadata (id, area, severity, rationale, remediation, the
SOC 2 criteria and PDPA obligations it supports), registered with `@check`. Checks only read the
evidence (generator.evidence); they never call a platform or read a file. `assess()` runs them all and
applies the mutes from client.yml (a muted finding is still reported, as muted; an expired mute no longer applies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum

from generator.config import ClientConfig, Mute
from generator.model import Snapshot


class Severity(IntEnum):
    info = 0
    low = 1
    medium = 2
    high = 3
    critical = 4


AREAS: dict[str, str] = {
    "access": "Least-privilege access",
    "secrets": "No hardcoded secrets",
    "isolation": "Data isolation",
    "patching": "Patching & updates",
    "backups": "Backups & recovery",
    "monitoring": "Monitoring & alerting",
    "data": "Data handling & retention",
    "incident": "Incident response",
}


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    area: str
    severity: Severity
    rationale: str
    remediation: str
    soc2: tuple[str, ...] = ()
    pdpa: tuple[str, ...] = ()
    mode: str = "automated"  # or "attested": evidence comes from client.yml
    run: Callable[[Context], Iterator[Hit]] = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Hit:
    """One place a check fails: where (a ref or a label) and the evidence, never a secret value."""

    location: str
    evidence: str
    label: str | None = None


@dataclass(frozen=True)
class Finding:
    check: Check
    location: str
    label: str
    evidence: str
    mute: Mute | None = None

    @property
    def id(self) -> str:
        return f"{self.check.id}:{self.location}"

    @property
    def muted(self) -> bool:
        return self.mute is not None


@dataclass(frozen=True)
class Context:
    config: ClientConfig
    snapshot: Snapshot
    incidents: tuple = ()  # generator.evidence.incidents.Incident, newest first
    runbooks: tuple = ()  # generator.evidence.runbooks.Runbook, with what changed since each was edited
    isolation: object = None  # generator.evidence.isolation.IsolationReport, from `handover check`
    exported: object = None  # workflow refs with a native export on file (None: not looked at)

    @property
    def now(self) -> datetime:
        """The snapshot's time: checks judge the snapshot as of when it was taken (reproducible)."""
        return self.snapshot.meta.taken

    @property
    def thresholds(self):
        return self.config.thresholds

    def label(self, location_ref: str) -> str:
        workflow = self.snapshot.workflow(location_ref)
        if workflow:
            return f"{workflow.platform.label} {workflow.platform.workflow_noun} “{workflow.name}”"
        credential = self.snapshot.credential(location_ref)
        if credential:
            return f"{credential.platform.label} credential “{credential.name}”"
        return location_ref


REGISTRY: list[Check] = []


def check(**metadata) -> Callable:
    def register(fn: Callable[[Context], Iterator[Hit]]):
        REGISTRY.append(Check(run=fn, **metadata))
        return fn

    return register


def _mute_for(mutes: list[Mute], check_id: str, location: str, today: date) -> Mute | None:
    for mute in mutes:
        if mute.finding == check_id and mute.location in (None, location) and mute.expires >= today:
            return mute
    return None


@dataclass(frozen=True)
class Assessment:
    """What the checks made of one client's evidence: every finding, muted ones included, worst first."""

    findings: list[Finding]

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.muted]

    @property
    def muted_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.muted]


def assess(evidence) -> Assessment:
    """Run every check of the baseline on `evidence` (generator.evidence.Evidence) and apply the mutes."""
    ctx = Context(config=evidence.config, snapshot=evidence.snapshot, incidents=tuple(evidence.incidents),
                  runbooks=tuple(evidence.runbooks), isolation=evidence.isolation,
                  exported=None if evidence.exports is None else frozenset(evidence.exports))
    config = evidence.config
    findings = []
    for chk in REGISTRY:
        for hit in chk.run(ctx):
            findings.append(
                Finding(
                    check=chk,
                    location=hit.location,
                    label=hit.label or ctx.label(hit.location),
                    evidence=hit.evidence,
                    mute=_mute_for(config.mutes, chk.id, hit.location, ctx.now.date()),
                )
            )
    return Assessment(sorted(findings, key=lambda f: (-f.check.severity, f.check.id, f.location)))


def checks_by_area() -> dict[str, list[Check]]:
    grouped: dict[str, list[Check]] = {area: [] for area in AREAS}
    for chk in sorted(REGISTRY, key=lambda c: c.id):
        grouped[chk.area].append(chk)
    return grouped


# The control families register their checks with @check when imported (they need the names above).
from generator.checks import access, attested, backups, data, monitoring, platform, response, secrets  # noqa: E402, F401
