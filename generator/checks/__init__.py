"""The security baseline as code.

Each check is a small function with its metadata (id, area, severity, rationale, remediation, what
evidence it needs), registered with `@check`; which framework requirements it supports is data
(checks/frameworks/*.yml, see checks.compliance). Checks only read the
evidence (generator.evidence); they never call a platform or read a file. `assess()` runs them all and
applies the mutes from client.yml (a muted finding is still reported, as muted; an expired mute no longer applies).
An accepted action (client.yml `actions`) is applied as a mute of its whole control: one mechanism.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum

from generator.config import ClientConfig, Mute
from generator.formats import local_time
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
    mode: str = "automated"  # or "attested": evidence comes from client.yml
    # What the consultant changes to act on it (a client.yml key, a command): the consultant report's
    # text, never the client's pages, whose `remediation` is worded for the client.
    consultant: str = ""
    # Evidence kinds the check reads that a sync may leave incomplete (see GAP_KINDS): when one was not
    # fully collected and nothing failed, the control is not assessed.
    needs: tuple[str, ...] = ()
    run: Callable[[Context], Iterator[Hit | Skip]] = field(default=None, repr=False, compare=False)

    @property
    def frameworks(self) -> dict[str, tuple[str, ...]]:
        """Framework → the requirements this control gives evidence for (checks/frameworks/*.yml)."""
        from generator.checks.compliance import mapping

        return mapping(self.id)


PASS, FAIL, NOT_ASSESSED, NOT_APPLICABLE = "pass", "fail", "not_assessed", "not_applicable"
STATUSES = (PASS, FAIL, NOT_ASSESSED, NOT_APPLICABLE)


@dataclass(frozen=True)
class Hit:
    """One resource a check looked at, and what it found there: `fail` (the default) or `pass`. Where is a
    ref or a label; the evidence says what was looked at and what was found, never a secret value."""

    location: str
    evidence: str
    label: str | None = None
    status: str = FAIL


def Pass(location: str, evidence: str, label: str | None = None) -> Hit:  # noqa: N802 - reads like Hit(...)
    return Hit(location, evidence, label, PASS)


@dataclass(frozen=True)
class Skip:
    """Yielded by a check that cannot judge (`not_assessed`) or has nothing to judge (`not_applicable`);
    the reason starts with its kind: no data, missing scope, nothing to compare, platform does not report it."""

    status: str
    reason: str


def NotAssessed(reason: str) -> Skip:  # noqa: N802
    return Skip(NOT_ASSESSED, reason)


def NotApplicable(reason: str) -> Skip:  # noqa: N802
    return Skip(NOT_APPLICABLE, reason)


@dataclass(frozen=True)
class Finding:
    """One result of a control at one resource (a failing one, unless `status` says otherwise)."""

    check: Check
    location: str
    label: str
    evidence: str
    mute: Mute | None = None
    status: str = FAIL

    @property
    def id(self) -> str:
        return f"{self.check.id}:{self.location}"

    @property
    def muted(self) -> bool:
        return self.mute is not None


@dataclass(frozen=True)
class Control:
    """One control of the baseline, judged: its status, why when it was not judged, and every result."""

    check: Check
    status: str
    reason: str | None
    results: tuple[Finding, ...]

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def failures(self) -> list[Finding]:
        return [r for r in self.results if r.status == FAIL]

    @property
    def open(self) -> list[Finding]:
        return [r for r in self.failures if not r.muted]

    @property
    def passes(self) -> list[Finding]:
        return [r for r in self.results if r.status == PASS]


@dataclass(frozen=True)
class Context:
    config: ClientConfig
    snapshot: Snapshot
    incidents: tuple = ()  # generator.evidence.incidents.Incident, newest first
    runbooks: tuple = ()  # generator.evidence.runbooks.Runbook, with what changed since each was edited
    isolation: object = None  # generator.evidence.isolation.IsolationReport, from `handover check`
    exports: dict | None = None  # workflow ref → store.exports.ExportInfo on file (None: not looked at)

    @property
    def now(self) -> datetime:
        """The snapshot's time: checks judge the snapshot as of when it was taken (reproducible)."""
        return self.snapshot.meta.taken

    @property
    def thresholds(self):
        return self.config.thresholds

    def time(self, moment: datetime) -> str:
        """A time as the client reads it: in the client's zone, the zone named."""
        return local_time(moment, self.config.client.timezone)

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
    def register(fn: Callable[[Context], Iterator[Hit | Skip]]):
        REGISTRY.append(Check(run=fn, **metadata))
        return fn

    return register


def _mute_for(mutes: list[Mute], check_id: str, location: str, today: date) -> Mute | None:
    for mute in mutes:
        if mute.finding == check_id and mute.location in (None, location) and mute.expires >= today:
            return mute
    return None


# Collection gaps (PlatformFacts.not_collected sections) → the kind of evidence they leave incomplete.
GAP_KINDS = {
    "shared zaps": "workflows", "projects": "workflows", "teams": "workflows", "workflows": "workflows",
    "credentials": "credentials", "connections": "credentials", "authentications": "credentials",
    "run statistics": "runs", "executions": "runs", "security audit": "audit", "webhooks": "webhooks",
    "users": "users", "organisation": "settings", "settings": "settings",
}


def gaps(snapshot: Snapshot) -> dict[str, list[str]]:
    """Evidence kind → what was not collected for it ("Zapier (HR & sales): shared Zaps — reason")."""
    out: dict[str, list[str]] = {}
    for facts in snapshot.platforms:
        for gap in facts.not_collected:
            kind = GAP_KINDS.get(gap.section.lower(), gap.section.lower())
            out.setdefault(kind, []).append(f"{facts.name}: {gap.section} not read ({gap.reason})")
    return out


@dataclass(frozen=True)
class Assessment:
    """What the checks made of one client's evidence: every control with its status and results, and the
    findings (one per control and resource that failed, muted ones included, worst first)."""

    controls: list[Control]
    findings: list[Finding]

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.muted]

    @property
    def muted_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.muted]

    def control(self, check_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == check_id), None)

    def counts(self) -> dict[str, int]:
        """Controls by status, every status present (zero when none)."""
        return {s: sum(c.status == s for c in self.controls) for s in STATUSES}


def _merge(results: list[Hit]) -> list[Hit]:
    """One result per resource: evidence found twice at one place is one result with both as evidence;
    a failure at a place outweighs a pass there."""
    by_place: dict[str, list[Hit]] = {}
    for r in results:
        by_place.setdefault(r.location, []).append(r)
    merged = []
    for location, group in by_place.items():
        failing = [r for r in group if r.status == FAIL]
        chosen = failing or group
        evidence = "; ".join(dict.fromkeys(r.evidence for r in chosen))
        merged.append(Hit(location, evidence, chosen[0].label, chosen[0].status))
    return merged


def _judge(chk: Check, ctx: Context, missing: dict[str, list[str]]) -> Control:
    results, skips = [], []
    for item in chk.run(ctx):
        (skips if isinstance(item, Skip) else results).append(item)
    today, mutes = ctx.now.date(), ctx.config.applied_mutes()
    judged = tuple(
        Finding(check=chk, location=r.location, label=r.label or ctx.label(r.location), evidence=r.evidence,
                mute=_mute_for(mutes, chk.id, r.location, today) if r.status == FAIL else None,
                status=r.status)
        for r in sorted(_merge(results), key=lambda r: (r.status != FAIL, r.location))
    )
    incomplete = [note for kind in chk.needs for note in missing.get(kind, [])]
    assessed = [s for s in skips if s.status == NOT_ASSESSED]
    if any(r.status == FAIL for r in judged):
        status, reason = FAIL, None
    elif assessed or incomplete:
        status = NOT_ASSESSED
        reason = "; ".join([s.reason for s in assessed] + [f"missing scope: {n}" for n in incomplete])
    elif skips:
        status, reason = NOT_APPLICABLE, "; ".join(s.reason for s in skips)
    elif judged:
        status, reason = PASS, None
    else:
        status, reason = NOT_APPLICABLE, "nothing in the snapshot that this control applies to"
    return Control(chk, status, reason, judged)


def assess(evidence, only: list[str] | None = None) -> Assessment:
    """Run the checks of the baseline (all, or those in `only`) on `evidence` (generator.evidence.Evidence)
    and apply the mutes."""
    ctx = Context(config=evidence.config, snapshot=evidence.snapshot, incidents=tuple(evidence.incidents),
                  runbooks=tuple(evidence.runbooks), isolation=evidence.isolation,
                  exports=evidence.exports)
    missing = gaps(evidence.snapshot)
    chosen = [c for c in REGISTRY if only is None or c.id in only]
    controls = [_judge(chk, ctx, missing) for chk in sorted(chosen, key=lambda c: c.id)]
    # Info-level controls are review lists, not findings: their items stay in the control's results.
    findings = [r for c in controls if c.check.severity > Severity.info for r in c.failures]
    return Assessment(controls, sorted(findings, key=lambda f: (-f.check.severity, f.check.id, f.location)))


def checks_by_area() -> dict[str, list[Check]]:
    grouped: dict[str, list[Check]] = {area: [] for area in AREAS}
    for chk in sorted(REGISTRY, key=lambda c: c.id):
        grouped[chk.area].append(chk)
    return grouped


# The control families register their checks with @check when imported (they need the names above).
from generator.checks import access, attested, backups, data, monitoring, platform, response, secrets  # noqa: E402, F401
