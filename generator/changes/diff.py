"""What changed between two snapshots: `handover diff`, the change log and each workflow's history.

Both sides are evidence gathered by `evidence.gather` (the working tree or a Git revision) and judged by
the whole baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta

from generator import formats
from generator.checks import FAIL, NOT_ASSESSED, PASS, assess
from generator.evidence import Evidence, facts
from generator.evidence.run_health import health
from generator.model import Workflow


@dataclass
class WorkflowChange:
    ref: str
    name: str
    changes: list[str] = field(default_factory=list)


@dataclass
class Diff:
    workflows_added: list[str] = field(default_factory=list)
    workflows_removed: list[str] = field(default_factory=list)
    workflows_changed: list[WorkflowChange] = field(default_factory=list)
    credentials: list[str] = field(default_factory=list)
    health: list[str] = field(default_factory=list)
    findings_new: list[str] = field(default_factory=list)
    findings_resolved: list[str] = field(default_factory=list)  # the control now passes at that resource
    findings_unjudged: list[str] = field(default_factory=list)  # gone because the control could not judge it
    findings_persisting: int = 0
    controls_resolved: list[str] = field(default_factory=list)  # fail → pass
    controls_changed: list[str] = field(default_factory=list)  # every other change of a control's status
    records: list[str] = field(default_factory=list)  # the hand-written records: engagement facts, incidents, runbooks

    @property
    def empty(self) -> bool:
        return not (self.workflows_added or self.workflows_removed or self.workflows_changed or self.credentials
                    or self.health or self.findings_new or self.findings_resolved or self.findings_unjudged
                    or self.controls_resolved or self.controls_changed or self.records)

    def summary(self) -> str:
        """One line: what a change-log entry says."""
        parts = []
        for count, word in ((len(self.workflows_added), "added"), (len(self.workflows_removed), "removed"),
                            (len(self.workflows_changed), "changed")):
            if count:
                parts.append(f"{count} workflow{'s' if count != 1 else ''} {word}")
        if self.credentials:
            parts.append(f"{len(self.credentials)} credential change{'s' if len(self.credentials) != 1 else ''}")
        if self.health:
            parts.append(f"health changed for {len(self.health)}")
        if self.records:
            parts.append(f"{len(self.records)} record{'s' if len(self.records) != 1 else ''} updated")
        if self.findings_new or self.findings_resolved:
            parts.append(f"findings +{len(self.findings_new)} / −{len(self.findings_resolved)}")
        if self.controls_resolved:
            parts.append(f"{len(self.controls_resolved)} control{'s' if len(self.controls_resolved) != 1 else ''} "
                         "resolved")
        if self.findings_unjudged:
            parts.append(f"{len(self.findings_unjudged)} finding{'s' if len(self.findings_unjudged) != 1 else ''} "
                         "no longer assessed")
        return "; ".join(parts) or "no change to workflows, credentials or findings"

    def as_dict(self) -> dict:
        return asdict(self) | {"summary": self.summary()}


def _steps(workflow: Workflow) -> dict[str, object]:
    return {s.id: s for s in workflow.steps}


def _fields_changed(before, after, exclude: set[str] = frozenset()) -> list[str]:
    return [name for name in type(before).model_fields if name not in exclude and getattr(before, name) != getattr(after, name)]


# Settings and fields in the words the pages use.
_WORDS = {"timeout_seconds": "timeout", "error_workflow": "error workflow", "alerts_on_failure": "failure alerts",
          "store_incomplete": "incomplete runs kept", "allow_data_loss": "data loss allowed",
          "max_errors": "errors allowed in a row", "sequential": "one run at a time", "timezone": "time zone",
          "run_data": "run data kept"}


def _describe(name: str, before, after) -> str:
    """`timeout 10 min → 15 min` for plain values, the field's name for structures."""
    plain = (str, int, float, bool, type(None))
    label = _WORDS.get(name, name.replace("_", " "))
    if isinstance(before, plain) and isinstance(after, plain):
        def show(value) -> str:
            if value is None:
                return "not set"
            if isinstance(value, bool):
                return "on" if value else "off"
            if name.endswith("_seconds") and isinstance(value, int | float):
                return formats.duration(timedelta(seconds=value))
            return formats.number(value) if isinstance(value, int) else str(getattr(value, "value", value))
        return f"{label} {show(before)} → {show(after)}"
    return label


def _call(ref: str | None, names: dict[str, str]) -> str:
    return f"“{names[ref]}”" if ref in names else (ref or "none")


def _workflow_changes(old: Workflow, new: Workflow, calls: tuple[dict, dict] = ({}, {}),
                      names: tuple[dict, dict] = ({}, {})) -> list[str]:
    """What changed in one workflow. `calls` are the workflows each step starts on either side (step id →
    ref, `Snapshot.calls`) and `names` the workflow names: a call is compared by what it resolves to, not
    by how the snapshot recorded it (a ref then, a webhook's fingerprints now)."""
    changes = []
    if old.name != new.name:
        changes.append(f"renamed from “{old.name}”")
    if old.active != new.active:
        changes.append("activated" if new.active else "deactivated")
    if old.trigger != new.trigger:
        before, after = old.trigger, new.trigger
        if before.schedule != after.schedule:
            changes.append(f"schedule changed: {before.schedule.description if before.schedule else 'none'} → "
                           f"{after.schedule.description if after.schedule else 'none'}")
        if before.webhook and after.webhook and before.webhook.auth != after.webhook.auth:
            changes.append(f"webhook authentication: {before.webhook.auth.value} → {after.webhook.auth.value}")
        other = _fields_changed(before, after, exclude={"schedule"})
        if before.webhook and after.webhook and before.webhook.auth != after.webhook.auth:
            other = [f for f in other if f != "webhook"] + (
                ["webhook"] if _fields_changed(before.webhook, after.webhook, exclude={"auth"}) else [])
        if other:
            changes.append("trigger changed: " + ", ".join(_describe(f, getattr(before, f), getattr(after, f)) for f in other))
    old_steps, new_steps = _steps(old), _steps(new)
    for step_id in new_steps.keys() - old_steps.keys():
        changes.append(f"step added: “{new_steps[step_id].name}”")
    for step_id in old_steps.keys() - new_steps.keys():
        changes.append(f"step removed: “{old_steps[step_id].name}”")
    for step_id in sorted(old_steps.keys() & new_steps.keys()):
        before, after = old_steps[step_id], new_steps[step_id]
        what = [_describe(name, getattr(before, name), getattr(after, name))
                for name in _fields_changed(before, after, exclude={"calls", "target"})]
        was, now = calls[0].get(step_id), calls[1].get(step_id)
        if was != now:
            what.append(f"starts {_call(was, names[0])} → {_call(now, names[1])}")
        elif before.target and after.target and before.target != after.target:
            what.append("address called changed")
        if what:
            changes.append(f"step “{after.name}” changed: {', '.join(what)}")
    if old.edges != new.edges:
        changes.append("flow between steps changed")
    if old.settings != new.settings:
        what = [_describe(name, getattr(old.settings, name), getattr(new.settings, name))
                for name in _fields_changed(old.settings, new.settings)]
        changes.append(f"settings changed: {', '.join(what)}")
    # What a reader looks for first: the workflow itself, then its steps, then the rest
    order = (("renamed", "activated", "deactivated", "trigger", "schedule"), ("step added", "step removed"), ("step ",))
    return sorted(changes, key=lambda c: (next((i for i, starts in enumerate(order) if c.startswith(starts)), 3), c))


# client.yml's sections as the client would name them; any other section by its own name
SECTIONS = {
    "client": "client details", "engagement": "engagement", "contacts": "contacts", "escalation": "escalation path",
    "response_targets": "response targets", "alerts": "alert channels", "retention": "retention policy",
    "compliance": "compliance frameworks", "processors": "approved processors", "personal_data": "personal data",
    "change_process": "change process", "platforms": "platforms", "connected_as": "how connections are made",
    "credential_scopes": "what credentials grant", "mutes": "accepted risks", "attestations": "attestations",
    "rotation": "credential rotation policy", "thresholds": "monitoring thresholds",
    "narrative": "architecture notes", "document": "document details", "actions": "action register",
}


def records(earlier: Evidence, later: Evidence) -> list[str]:
    """What changed in the hand-written records, in the client's words: the engagement facts (by
    section), incidents (recorded, resolved, updated) and runbooks (written, updated, withdrawn)."""
    out = []
    before, after = earlier.config, later.config
    sections = [SECTIONS.get(name, name.replace("_", " ")) for name in type(after).model_fields
                if getattr(before, name) != getattr(after, name)]
    if sections:
        out.append("engagement facts updated: " + ", ".join(sections))
    old = {i.id: i for i in earlier.incidents}
    for incident in sorted(later.incidents, key=lambda i: i.id):
        was = old.get(incident.id)
        if was is None:
            out.append(f"incident {incident.id} recorded: {incident.title} ({incident.status.value})")
        elif was.status != incident.status:
            out.append(f"incident {incident.id} {incident.status.value}: {incident.title}")
        elif (was.header, was.body) != (incident.header, incident.body):
            out.append(f"incident {incident.id} updated: {incident.title}")
    out += [f"incident {i} withdrawn" for i in sorted(old.keys() - {i.id for i in later.incidents})]
    old_books = {r.path.name: r for r in earlier.runbooks}
    new_books = {r.path.name: r for r in later.runbooks}
    for name in sorted(new_books):
        book, was = new_books[name], old_books.get(name)
        if was is None:
            out.append(f"runbook written: “{book.title}”")
        elif (was.header, was.body) != (book.header, book.body):
            out.append(f"runbook updated: “{book.title}”")
    out += [f"runbook withdrawn: “{old_books[name].title}”" for name in sorted(old_books.keys() - new_books.keys())]
    return out


def _grouped(items: list[str], noun: str, one) -> list[str]:
    """One item each, or '3 workflows added' for several (their names are listed under the heading)."""
    return [one(i) for i in items] if len(items) < 2 else [f"{len(items)} {noun}"]


def headline(diff: Diff, limit: int = 2) -> str:
    """The change in a few words, for a change-log heading: the first changes by weight (workflows,
    credentials, records, controls, health), then how many more."""
    name = lambda w: w.rsplit(" (", 1)[0]  # noqa: E731  "Name (ref)" → "Name"
    items = _grouped(diff.workflows_added, "workflows added", lambda w: f"{name(w)} added")
    items += _grouped(diff.workflows_removed, "workflows removed", lambda w: f"{name(w)} removed")
    for change in diff.workflows_changed:
        more = len(change.changes) - 1
        items.append(f"{change.name}: {change.changes[0]}" + (f" (and {more} more)" if more else ""))
    added = [c for c in diff.credentials if c.endswith(")") and "” added (" in c]
    items += _grouped(added, "credentials added", lambda c: c.rsplit(" (", 1)[0])
    items += [c.split(": ", 1)[0] for c in diff.credentials if c not in added]
    items += diff.records + [f"{c.split(' ', 1)[0]} resolved" for c in diff.controls_resolved] + diff.health
    if not items:
        return "No change to workflows, credentials or records"
    text = "; ".join(items[:limit])
    if len(items) > limit:
        rest = len(items) - limit
        text += f"; {rest} more change{'s' if rest != 1 else ''}"
    return text[:1].upper() + text[1:]


def _calls(snapshot) -> dict[str, dict[str, str]]:
    """Workflow ref → {step id → ref of the workflow it starts}, compared by what a call resolves to."""
    found: dict[str, dict[str, str]] = {}
    for (ref, step_id), target in facts.starts(snapshot).items():
        found.setdefault(ref, {})[step_id] = target.ref
    return found


def compare(earlier: Evidence, later: Evidence) -> Diff:
    """What changed from `earlier` to `later`, both judged by the whole baseline (incidents, runbooks,
    isolation and exports included), so a finding is new or resolved here exactly as on the Security page."""
    old, new, config = earlier.snapshot, later.snapshot, later.config
    diff = Diff()
    old_by, new_by = {w.ref: w for w in old.workflows}, {w.ref: w for w in new.workflows}
    diff.workflows_added = [f"{new_by[r].name} ({r})" for r in sorted(new_by.keys() - old_by.keys())]
    diff.workflows_removed = [f"{old_by[r].name} ({r})" for r in sorted(old_by.keys() - new_by.keys())]
    names = ({w.ref: w.name for w in old.workflows}, {w.ref: w.name for w in new.workflows})
    old_starts, new_starts = _calls(old), _calls(new)
    for ref in sorted(old_by.keys() & new_by.keys()):
        changes = _workflow_changes(old_by[ref], new_by[ref], (old_starts.get(ref, {}), new_starts.get(ref, {})), names)
        if changes:
            diff.workflows_changed.append(WorkflowChange(ref, new_by[ref].name, changes))

    old_creds, new_creds = {c.ref: c for c in old.credentials}, {c.ref: c for c in new.credentials}
    for ref in sorted(new_creds.keys() - old_creds.keys()):
        diff.credentials.append(f"credential “{new_creds[ref].name}” added ({', '.join(new_creds[ref].scopes) or 'no scopes'})")
    for ref in sorted(old_creds.keys() - new_creds.keys()):
        diff.credentials.append(f"credential “{old_creds[ref].name}” removed")
    for ref in sorted(old_creds.keys() & new_creds.keys()):
        before, after = old_creds[ref], new_creds[ref]
        if before.scopes != after.scopes:
            gained, lost = sorted(set(after.scopes) - set(before.scopes)), sorted(set(before.scopes) - set(after.scopes))
            detail = "; ".join(x for x in (f"+{', '.join(gained)}" if gained else "", f"−{', '.join(lost)}" if lost else "") if x)
            how = "narrowed" if not gained else "widened" if not lost else "changed"
            diff.credentials.append(f"credential “{after.name}” scopes {how}: {detail}")
        elif before.name != after.name:
            diff.credentials.append(f"credential “{before.name}” renamed to “{after.name}”")
        elif before.expires != after.expires:
            diff.credentials.append(f"credential “{after.name}” expiry changed")

    for ref in sorted(old_by.keys() & new_by.keys()):
        was = health(old_by[ref], old.runs_for(ref), old.meta.taken, config.thresholds)
        now = health(new_by[ref], new.runs_for(ref), new.meta.taken, config.thresholds)
        if was != now:
            diff.health.append(f"{new_by[ref].name}: {was.value} → {now.value}")

    diff.records = records(earlier, later)
    before, after = assess(earlier), assess(later)
    old_findings = {f.id: f for f in before.findings}
    new_findings = {f.id: f for f in after.findings}
    diff.findings_new = [f"{new_findings[i].check.id} {new_findings[i].label}: {new_findings[i].evidence}"
                         for i in sorted(new_findings.keys() - old_findings.keys())]
    for i in sorted(old_findings.keys() - new_findings.keys()):
        # Resolved only when the same control now judges that resource and it passes, or judges the estate
        # and it is gone from it; a finding that vanished because the control could not judge is not resolved.
        finding = old_findings[i]
        control = after.control(finding.check.id)
        now = next((r for r in control.results if r.location == finding.location), None) if control else None
        line = f"{finding.check.id} {finding.label}"
        if control is None or (now is None and control.status == NOT_ASSESSED):
            reason = control.reason if control else "not run"
            diff.findings_unjudged.append(f"{line} (no longer assessed: {reason})")
        elif now is not None and now.status == PASS:
            diff.findings_resolved.append(f"{line}: {now.evidence}")
        else:
            diff.findings_resolved.append(f"{line} (no longer in the snapshot)")
    diff.findings_persisting = len(old_findings.keys() & new_findings.keys())
    was = {c.id: c for c in before.controls}
    for control in after.controls:
        old_control = was.get(control.id)
        if old_control is None or old_control.status == control.status:
            continue
        change = f"{control.id} {control.check.title}: {old_control.status} → {control.status}"
        if old_control.status == FAIL and control.status == PASS:
            diff.controls_resolved.append(change)
        else:
            diff.controls_changed.append(change + (f" ({control.reason})" if control.reason else ""))
    return diff


def as_text(diff: Diff, title: str) -> str:
    lines = [title, "=" * len(title), diff.summary(), ""]
    sections = [("Workflows added", diff.workflows_added), ("Workflows removed", diff.workflows_removed)]
    for heading, items in sections:
        if items:
            lines += [f"{heading}:"] + [f"  + {i}" if "added" in heading else f"  - {i}" for i in items] + [""]
    if diff.workflows_changed:
        lines.append("Workflows changed:")
        for change in diff.workflows_changed:
            lines.append(f"  ~ {change.name} ({change.ref})")
            lines += [f"      {c}" for c in change.changes]
        lines.append("")
    for heading, items in (("Credentials", diff.credentials), ("Run health", diff.health), ("Records", diff.records),
                           ("Controls resolved", diff.controls_resolved), ("Controls changed", diff.controls_changed),
                           ("New findings", diff.findings_new), ("Resolved findings", diff.findings_resolved),
                           ("Findings no longer assessed", diff.findings_unjudged)):
        if items:
            lines += [f"{heading}:"] + [f"  {i}" for i in items] + [""]
    lines.append(f"Findings persisting: {diff.findings_persisting}")
    return "\n".join(lines) + "\n"
