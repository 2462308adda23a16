"""The top risks for the executive summary: the open entries of the action register, ranked by severity
and by the business processes (workflows) they touch. How, in words: docs/risks.md.

A risk is one failed control with open failures, or several controls failing at exactly the same
resources (an incident that was answered late, restored late and not escalated is one risk). Accepted
risks and ones the client reports fixed are not ranked: the action register lists them.

Which workflows a risk touches, from each resource it failed at:
- a workflow: itself; a credential: the workflows whose steps use it; an incident or an authored
  runbook: the workflows it names. These are touched *directly*.
- a platform (an update, a setting, the platform's own audit): every active workflow on it, touched
  *through the platform*. They count for what is at stake, not for the points below: a missing update
  does not cause a workflow's failed runs.
- an attestation or anything else: no workflow (the control is about the estate as a whole).

Points (the score), each from the same definitions the checks and pages use:
- severity of the worst control: critical 40, high 30, medium 20, low 10;
- +10 when an open incident is among its resources or affects a workflow it touches directly;
- +10 when a workflow it touches directly is failing (failure rate above the client's threshold,
  `evidence.run_health.health`);
- +5 when a workflow it touches directly lost runs in the window (any failed run);
- +5 when such a workflow tells nobody when it fails (`evidence.facts.told`).
Ties go to the higher severity, then more failed runs in the workflows touched directly, then more runs,
then the control id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.checks import Assessment, Finding, Severity
from generator.checks.actions import OPEN, Entry, register
from generator.evidence.facts import NOTIFIES, told
from generator.evidence.run_health import Health, health
from generator.model import Workflow
from generator.platforms import Platform

SEVERITY_POINTS = {Severity.critical: 40, Severity.high: 30, Severity.medium: 20, Severity.low: 10, Severity.info: 0}
OPEN_INCIDENT, FAILING, LOST_RUNS, SILENT = 10, 10, 5, 5


@dataclass(frozen=True)
class Loss:
    """Runs a touched workflow lost in the window, and where their data was going."""

    workflow: Workflow
    failed: int
    total: int
    days: int
    source: str | None  # the trigger's app, when it is an outside app
    destinations: tuple[str, ...]  # the apps its steps reach with a credential, the source left out
    failing: bool  # above the failure-rate threshold
    silent: bool  # nobody is told when it fails


@dataclass(frozen=True)
class Risk:
    entries: tuple[Entry, ...]  # worst control first
    findings: tuple[Finding, ...]  # the open failures (of the first control: the others fail at the same places)
    workflows: tuple[Workflow, ...]  # touched directly
    through_platform: tuple[Workflow, ...]  # touched through a platform-wide finding
    losses: tuple[Loss, ...]  # touched-directly workflows that lost runs, most lost first
    incidents: tuple = ()  # open incidents concerned
    points: dict[str, int] = field(default_factory=dict)  # why it scores what it does

    @property
    def score(self) -> int:
        return sum(self.points.values())

    @property
    def severity(self) -> Severity:
        return self.entries[0].control.check.severity

    @property
    def check(self):
        return self.entries[0].control.check

    @property
    def failed_runs(self) -> int:
        return sum(loss.failed for loss in self.losses)

    @property
    def silent(self) -> list[Workflow]:
        return [loss.workflow for loss in self.losses if loss.silent]

    @property
    def owner(self) -> str | None:
        return next((e.owner for e in self.entries if e.owner), None)

    @property
    def due(self):
        return min((e.due for e in self.entries if e.due), default=None)


def _platform_wide(ref: str, platform_names: set[str]) -> str | None:
    """The platform kind of a platform-level resource ('n8n:n8n production:updates'), else None."""
    kind, _, rest = ref.partition(":")
    name = rest.partition(":")[0]
    return kind if kind in {p.value for p in Platform} and name in platform_names else None


def touched(finding_refs: list[str], evidence) -> tuple[list[Workflow], list[Workflow]]:
    """(workflows touched directly, workflows touched through their platform) by these resources."""
    snapshot = evidence.snapshot
    names = {p.name for p in snapshot.platforms}
    direct: dict[str, Workflow] = {}
    platform: dict[str, Workflow] = {}
    for ref in finding_refs:
        refs: list[str] = []
        if snapshot.workflow(ref):
            refs = [ref]
        elif credential := snapshot.credential(ref):
            refs = [u.workflow for u in credential.used_by]
        elif ref.startswith("incident:"):
            refs = next((list(i.workflows) for i in evidence.incidents if i.id == ref.removeprefix("incident:")), [])
        elif ref.startswith("runbook:"):
            slug = ref.removeprefix("runbook:")
            refs = next((list(r.header.workflows) for r in evidence.runbooks if r.path.stem == slug), [])
        elif kind := _platform_wide(ref, names):
            for wf in snapshot.workflows:
                if wf.platform.value == kind and wf.active:
                    platform.setdefault(wf.ref, wf)
        for r in refs:
            if wf := snapshot.workflow(r):
                direct.setdefault(r, wf)
    return list(direct.values()), [w for r, w in platform.items() if r not in direct]


def _loss(workflow: Workflow, evidence) -> Loss | None:
    snapshot, config = evidence.snapshot, evidence.config
    runs = snapshot.runs_for(workflow.ref)
    failed = runs.failed if runs else 0
    if not failed:
        return None
    source = workflow.trigger.app if workflow.trigger.kind == "app_event" else None
    # Where the data goes: apps reached with a credential, not the trigger's own app nor a chat or e-mail
    # notification (that tells someone; it is not where the records belong).
    apps = [s.app for s in workflow.steps if s.credential and s.app and not s.disabled and not NOTIFIES.search(s.app)]
    destinations = tuple(dict.fromkeys(a for a in apps if a != source and not a.endswith(" Trigger")))
    return Loss(workflow, failed, runs.total, (runs.window_end - runs.window_start).days, source, destinations,
                health(workflow, runs, snapshot.meta.taken, config.thresholds) == Health.failing,
                not told(workflow, snapshot))


def _open_incidents(evidence) -> list:
    return [i for i in evidence.incidents if str(i.status) == "open"]


def rank(evidence, assessment: Assessment, entries: list[Entry] | None = None) -> list[Risk]:
    """Every open risk, highest score first (see the module's docstring)."""
    if entries is None:
        entries = register(assessment, evidence.config, evidence.now.date())
    groups: dict[tuple, list[Entry]] = {}
    for entry in entries:
        if entry.status == OPEN:
            places = tuple(sorted(f.location for f in entry.control.open))
            groups.setdefault(places, []).append(entry)
    incidents = _open_incidents(evidence)
    risks = []
    for places, group in groups.items():
        group.sort(key=lambda e: (-e.control.check.severity, e.id))
        direct, platform = touched(list(places), evidence)
        losses = sorted(filter(None, (_loss(w, evidence) for w in direct)), key=lambda loss: (-loss.failed, loss.workflow.name))
        refs = {w.ref for w in direct}
        concerned = [i for i in incidents if f"incident:{i.id}" in places or refs & set(i.workflows)]
        points = {"severity": SEVERITY_POINTS[group[0].control.check.severity]}
        if concerned:
            points["open incident"] = OPEN_INCIDENT
        if any(loss.failing for loss in losses):
            points["failing workflow"] = FAILING
        if losses:
            points["lost runs"] = LOST_RUNS
        if any(loss.silent for loss in losses):
            points["nobody told"] = SILENT
        risks.append(Risk(tuple(group), tuple(group[0].control.open), tuple(direct), tuple(platform),
                          tuple(losses), tuple(concerned), points))
    return sorted(risks, key=lambda r: (-r.score, -r.severity, -r.failed_runs, -_runs(r, evidence), r.check.id))


def _runs(risk: Risk, evidence) -> int:
    return sum(s.total for w in risk.workflows if (s := evidence.snapshot.runs_for(w.ref)))


def verdict(ranked: list[Risk], open_incidents: list) -> str:
    """The summary's verdict: `not ready` (a critical risk is open), `action needed` (a high one, or an open
    incident), `follow-ups` (medium or low ones only) or `ready` (nothing open)."""
    worst = max((r.severity for r in ranked), default=None)
    if worst == Severity.critical:
        return "not ready"
    if (worst is not None and worst >= Severity.high) or open_incidents:
        return "action needed"
    return "follow-ups" if ranked else "ready"
