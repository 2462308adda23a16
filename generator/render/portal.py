"""The portal's view of one client: the snapshot, client.yml and the findings, joined once.

Templates read this and nothing else, so they stay free of lookups and platform branches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from graphlib import CycleError, TopologicalSorter

from generator.checks import (
    AREAS,
    FAIL,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    PASS,
    Assessment,
    Control,
    Finding,
    Severity,
    actions,
    gaps,
    risks,
)
from generator.config import ClientConfig
from generator.evidence import Evidence, facts, runbooks
from generator.evidence.closeout import checklist
from generator.evidence.facts import Fact
from generator.evidence.run_health import Health, Trend, health, trend
from generator.formats import natural
from generator.model import Credential, RunStats, Snapshot, Workflow
from generator.render.text import anchor
from generator.store.snapshot import file_stem


@dataclass
class WorkflowView:
    workflow: Workflow
    runs: RunStats | None
    health: Health
    trend: Trend | None
    page: str
    runbook_page: str
    credentials: list[Credential] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    calls: list[Workflow] = field(default_factory=list)
    called_by: list[Workflow] = field(default_factory=list)
    error_handler: Workflow | None = None
    handles_errors_for: list[Workflow] = field(default_factory=list)
    step_calls: dict[str, str] = field(default_factory=dict)  # step id → workflow ref it starts
    incidents: list = field(default_factory=list)  # incidents that affected it, newest first
    guides: list = field(default_factory=list)  # authored runbooks that name it
    # The facts pages state about it, each from its one definition (generator.evidence.facts).
    told: Fact = None  # someone is told when it fails
    handling: Fact = None  # it reacts to its failures
    backup: Fact = None  # a restorable backup is on file
    # The runbook's judgements (generator.evidence.runbooks), from the steps.
    rerun: object = None  # runbooks.Rerun: what a repeated run does again
    paused: str = ""  # what is lost, queued or skipped while it is off
    symptoms: list[str] = field(default_factory=list)  # what the client notices when it stops
    errors: list = field(default_factory=list)  # (top error, its step or None, runbooks.Diagnosis)

    @property
    def ref(self) -> str:
        return self.workflow.ref

    @property
    def apps(self) -> list[str]:
        """The outside apps it touches: the trigger's app and every app reached with a credential
        (flow-control and code steps have none, so no per-platform list of them is needed)."""
        apps = [self.workflow.trigger.app] if self.workflow.trigger.kind in ("app_event", "webhook") else []
        apps += [s.app for s in self.workflow.steps if s.credential]
        return list(dict.fromkeys(a for a in apps if a))


class _Assessed:
    """Controls, judged together: shared by a baseline area and a compliance requirement. Met only when
    every control that applies passed; otherwise what failed and what could not be assessed."""

    controls: list[Control]

    @property
    def checks(self) -> list:
        return [c.check for c in self.controls]

    @property
    def findings(self) -> list[Finding]:
        """The failing results of its controls (info-level review lists are no findings)."""
        return [f for c in self.controls if c.check.severity > Severity.info for f in c.failures]

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if not f.muted]

    @property
    def not_assessed(self) -> list[Control]:
        return [c for c in self.controls if c.status == NOT_ASSESSED]

    @property
    def status(self) -> str:
        if self.open:
            worst = max(f.check.severity for f in self.open)
            return "action needed" if worst >= Severity.high else "attention"
        if not self.controls or self.not_assessed:
            return "not assessed"
        if self.findings:
            return "risk accepted"  # every failure muted, with its reason
        if all(c.status == NOT_APPLICABLE for c in self.controls):
            return "not applicable"
        return "met"


@dataclass
class AreaView(_Assessed):
    key: str
    title: str
    controls: list[Control]


@dataclass
class CriterionView(_Assessed):
    """One requirement of a framework and the baseline controls that give evidence for it."""

    framework: str
    criterion: str
    controls: list[Control]
    name: str = ""


def compliance_view(controls: list[Control], frameworks: list[str]) -> list[CriterionView]:
    """Each requirement of the frameworks in scope (client.yml `compliance`; every framework when none is
    named) with the controls mapped to it, in the framework file's order."""
    from generator.checks.compliance import in_scope

    by_id = {c.id: c for c in controls}
    return [CriterionView(framework.name, requirement.id, [by_id[i] for i in requirement.checks if i in by_id],
                          requirement.name)
            for framework in in_scope(frameworks) for requirement in framework.requirements]


@dataclass
class Symptom:
    text: str
    views: list[WorkflowView] = field(default_factory=list)
    guides: list = field(default_factory=list)  # authored runbooks naming it


@dataclass
class Portal:
    config: ClientConfig
    snapshot: Snapshot
    revision: str
    findings: list[Finding]
    workflows: list[WorkflowView]
    areas: list[AreaView]
    controls: list[Control]
    authored_runbooks: list
    incidents: list
    changelog: list = field(default_factory=list)  # generator.changes.changelog.Entry, newest first
    audit: list = field(default_factory=list)  # audit records shown in the portal, newest first
    isolation: object = None  # the last comparison with the other clients (generator.evidence.isolation)
    exports: dict = field(default_factory=dict)  # workflow ref → generator.store.exports.ExportInfo
    closeout: object = None  # generator.evidence.closeout.Checklist
    actions: list = field(default_factory=list)  # generator.checks.actions.Entry: the action register
    risks: list = field(default_factory=list)  # generator.checks.risks.Risk, highest first

    @cached_property
    def personal_flows(self) -> list:
        from generator.evidence.personal import flows
        return flows(self.config, self.snapshot)

    def run_data_with_personal_data(self) -> list[dict]:
        """Workflows moving personal data whose runs the platform stores, with how long against the policy."""
        from generator.checks import Context
        from generator.checks.data import platform_keep_days, policy_for

        ctx = Context(config=self.config, snapshot=self.snapshot)
        rows, seen = [], set()
        for flow in self.personal_flows:
            wf = flow.workflow
            if flow.status == "dismissed" or wf.ref in seen:
                continue
            seen.add(wf.ref)
            data = wf.settings.run_data
            if data and data.confidential:
                continue
            if data and data.successful_runs is False and data.failed_runs is False:
                continue
            facts = next((p for p in self.snapshot.platforms if p.platform == wf.platform), None)
            kept = platform_keep_days(facts) if facts else None
            rule = policy_for(ctx, facts) if facts else None
            saves = "successful and failed runs" if not data or data.successful_runs is not False else "failed runs"
            rows.append({"workflow": wf, "saves": saves, "kept": kept, "policy": rule,
                         "longer": bool(kept and rule and kept > rule.keep_days)})
        return rows

    @cached_property
    def behind(self) -> list:
        from generator.evidence.patching import behind
        return behind(self.snapshot)

    @cached_property
    def compliance(self) -> list[CriterionView]:
        return compliance_view(self.controls, self.config.compliance)

    def rotation(self, credential: Credential) -> Fact:
        """Whether the credential was rotated within the client's policy (the same fact ACCESS-007 judges)."""
        return facts.rotation(credential, self.config.rotation.period_for(credential.ref), self.now)

    def compliance_by_framework(self) -> list[tuple[str, list[CriterionView]]]:
        """(framework, its requirements) in the order of client.yml `compliance`."""
        grouped: dict[str, list[CriterionView]] = {}
        for row in self.compliance:
            grouped.setdefault(row.framework, []).append(row)
        return list(grouped.items())

    def control_counts(self) -> dict[str, int]:
        """Controls by status, in the order the pages show them."""
        return {s: sum(c.status == s for c in self.controls) for s in (PASS, FAIL, NOT_ASSESSED, NOT_APPLICABLE)}

    @cached_property
    def incomplete(self) -> dict[str, list[str]]:
        """What a sync could not read, by the kind of evidence it leaves incomplete (workflows, credentials…)."""
        return gaps(self.snapshot)
    by_ref: dict[str, WorkflowView] = field(default_factory=dict)

    @cached_property
    def symptom_index(self) -> list[Symptom]:
        """What the client notices, each with the runbooks to open: the workflows whose steps would cause
        it (and those that start them), and the authored runbooks that name it; by symptom."""
        found: dict[str, Symptom] = {}

        def entry(text: str) -> Symptom:
            return found.setdefault(text.casefold(), Symptom(text))

        for view in self.workflows:
            for text in dict.fromkeys(view.symptoms):
                entry(text).views.append(view)  # once per symptom: symptoms are unique per view
        for guide in self.authored_runbooks:
            for text in guide.header.symptoms:
                entry(text).guides.append(guide)
        return sorted(found.values(), key=lambda s: s.text.casefold())

    def __post_init__(self):
        self.by_ref = {v.ref: v for v in self.workflows}

    @property
    def now(self) -> datetime:
        return self.snapshot.meta.taken

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.muted]

    @property
    def open_incidents(self) -> list:
        return [i for i in self.incidents if str(i.status) == "open"]

    @property
    def verdict(self) -> str:
        return risks.verdict(self.risks, self.open_incidents)

    def action_counts(self) -> dict[str, int]:
        return actions.counts(self.actions)

    def not_assessed_by_reason(self) -> list[tuple[str, list[Control]]]:
        """Controls that could not be judged, grouped by why (one missing scope often stops several)."""
        grouped: dict[str, list[Control]] = {}
        for control in self.controls:
            if control.status == NOT_ASSESSED:
                for reason in (control.reason or "no reason recorded").split("; "):
                    grouped.setdefault(reason, []).append(control)
        return list(grouped.items())

    def unread_platforms(self) -> list:
        """Platforms client.yml names that no sync or import has read yet."""
        read = {p.name for p in self.snapshot.platforms}
        return [p for p in self.config.platforms if p.name not in read]

    def run_totals(self) -> tuple[int, int, int]:
        """(runs, failed runs, days) over the run windows of the snapshot."""
        runs = self.snapshot.runs
        days = max(((r.window_end - r.window_start).days for r in runs), default=0)
        return sum(r.total for r in runs), sum(r.failed for r in runs), days

    def history(self, workflow_ref: str) -> list[tuple]:
        """(entry, what changed) for each change-log entry that touched this workflow, newest first."""
        out = []
        for entry in self.changelog:
            if workflow_ref in entry.added:
                out.append((entry, ["in the first snapshot" if entry.first else "added"]))
            elif workflow_ref in entry.workflows:
                out.append((entry, entry.workflows[workflow_ref]))
        return out

    def facts(self, name: str | None = None, platform=None):
        """What the snapshot knows of a platform, by its name in client.yml or its kind; None before its
        first sync or import."""
        return next((p for p in self.snapshot.platforms if (name is None or p.name == name)
                     and (platform is None or p.platform == platform)), None)

    def view(self, workflow_ref: str) -> WorkflowView | None:
        return self.by_ref.get(workflow_ref)

    def platforms_in_use(self) -> list[str]:
        return sorted({v.workflow.platform.label for v in self.workflows})

    def by_platform(self) -> dict[str, list[WorkflowView]]:
        grouped: dict[str, list[WorkflowView]] = defaultdict(list)
        for v in self.workflows:
            grouped[v.workflow.platform.label].append(v)
        return dict(grouped)

    def restore_order(self, views: list[WorkflowView]) -> list[WorkflowView]:
        """`views` ordered so that what a workflow calls (sub-workflows, error handlers) comes first."""
        refs = {v.ref for v in views}
        graph = {
            v.ref: {w.ref for w in v.calls if w.ref in refs}
            | ({v.error_handler.ref} if v.error_handler and v.error_handler.ref in refs else set())
            for v in views
        }
        order = list(TopologicalSorter(graph).static_order()) if _acyclic(graph) else sorted(graph)
        by_ref = {v.ref: v for v in views}
        return [by_ref[r] for r in order]

    def health_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for v in self.workflows:
            counts[v.health.value] += 1
        return dict(counts)


def _acyclic(graph: dict[str, set[str]]) -> bool:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return False
    return True


def workflow_page(workflow: Workflow) -> str:
    return f"workflows/{workflow.platform.value}-{file_stem(workflow.id)}.md"


def incident_page(incident) -> str:
    return f"incidents/{incident.id}.md"


def runbook_page(workflow: Workflow) -> str:
    return f"runbooks/{workflow.platform.value}-{file_stem(workflow.id)}.md"


def build_portal(evidence: Evidence, assessment: Assessment, changelog: list = (), audit: list = ()) -> Portal:
    """The pages' view of the evidence and its assessment: joined once, judged nowhere here."""
    config, snapshot, findings = evidence.config, evidence.snapshot, assessment.findings
    incidents, authored_runbooks = evidence.incidents, evidence.runbooks
    findings_at: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        findings_at[finding.location].append(finding)

    views = []
    started = facts.starts(snapshot)
    for wf in sorted(snapshot.workflows, key=lambda w: (w.platform.value, natural(w.name), w.id)):
        runs = snapshot.runs_for(wf.ref)
        creds = sorted(
            {s.credential for s in wf.steps if s.credential and snapshot.credential(s.credential)},
        )
        views.append(
            WorkflowView(
                workflow=wf,
                runs=runs,
                health=health(wf, runs, snapshot.meta.taken, config.thresholds),
                trend=trend(runs) if runs else None,
                page=workflow_page(wf),
                runbook_page=runbook_page(wf),
                credentials=[snapshot.credential(c) for c in creds],
                findings=findings_at.get(wf.ref, []),
                told=facts.told(wf, snapshot),
                handling=facts.error_handling(wf),
                backup=facts.backup(wf, evidence.exports),
                rerun=runbooks.rerun(wf, started),
                paused=runbooks.while_paused(wf),
                symptoms=runbooks.symptoms(wf),
            )
        )
    by_ref = {v.ref: v for v in views}
    for v in views:
        for step in v.workflow.steps:
            target = started[(v.ref, step.id)].ref if (v.ref, step.id) in started else None
            if target not in by_ref:
                continue
            v.step_calls[step.id] = target
            if by_ref[target].workflow not in v.calls:
                v.calls.append(by_ref[target].workflow)
                by_ref[target].called_by.append(v.workflow)
        handler = v.workflow.settings.error_workflow
        if handler and handler in by_ref:
            v.error_handler = by_ref[handler].workflow
            by_ref[handler].handles_errors_for.append(v.workflow)

    for v in views:
        for error in v.runs.top_errors if v.runs else []:
            step = runbooks.error_step(v.workflow, error.step)
            target = by_ref[v.step_calls[step.id]].workflow if step and step.id in v.step_calls else None
            credential = snapshot.credential(step.credential) if step and step.credential else None
            v.errors.append((error, step, runbooks.diagnose(error.message, step, v.workflow, target,
                                                            credential.name if credential else None)))
        # A workflow that starts another stops what that one does too ("refunds not processed").
        for target in v.calls:
            v.symptoms += [s for s in runbooks.symptoms(target) if s not in v.symptoms]

    for incident in incidents:
        for ref in incident.workflows:
            if ref in by_ref:
                by_ref[ref].incidents.append(incident)
    for runbook in authored_runbooks:
        for ref in dict.fromkeys(runbook.header.workflows + [s.partition("#")[0] for s in runbook.header.steps]):
            if ref in by_ref:
                by_ref[ref].guides.append(runbook)

    entries = actions.register(assessment, config, snapshot.meta.taken.date())
    areas = [AreaView(key, title, [c for c in assessment.controls if c.check.area == key]) for key, title in AREAS.items()]
    return Portal(config, snapshot, evidence.revision, findings, views, areas, list(assessment.controls),
                  list(authored_runbooks), list(incidents),
                  changelog=list(changelog), audit=list(audit), isolation=evidence.isolation,
                  exports=evidence.exports or {}, closeout=checklist(evidence),
                  actions=entries, risks=risks.rank(evidence, assessment, entries))


def finding_anchor(finding: Finding) -> str:
    return anchor(finding.id)
