"""Authored runbooks: Markdown files in `clients/<client>/runbooks/`, with an optional YAML header.

    ---
    title: Re-registering Shopify webhooks
    summary: After a store migration or app re-install.
    workflows: [n8n:Ord3rSync01]          # what the runbook is about…
    credentials: [n8n:cred-shopify]
    steps: ["n8n:Ord3rSync01#n1"]         # workflow ref # step id
    reviewed: 2026-11-24                  # walked through with the client (the close-out checklist)
    reviewed_by: Priya Nair
    symptoms: ["Orders missing in NetSuite"]  # listed in the runbooks' index by symptom
    ---
    # Re-registering Shopify webhooks
    …

A runbook is possibly stale when something it names changed in the snapshot after the runbook was
last edited (its last commit): a workflow renamed or removed, its trigger or credentials changed; a
credential renamed, removed or its scopes changed; a step renamed or removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from generator.errors import InputError
from generator.evidence import apps
from generator.model import Credential, Snapshot, StepKind, Workflow
from generator.platforms import SPECS
from generator.store import frontmatter
from generator.store import git as history
from generator.store.snapshot import CredentialsFile, file_stem
from generator.store.yamlio import read_yaml, validate


class RunbookHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    summary: str | None = None
    workflows: list[str] = []
    credentials: list[str] = []
    steps: list[str] = []
    reviewed: date | None = None  # when it was last walked through with the client's team
    reviewed_by: str | None = None
    symptoms: list[str] = []  # what the client notices when it is needed, e.g. "Orders missing in NetSuite"


@dataclass
class Runbook:
    path: Path
    page: str
    title: str
    summary: str | None
    header: RunbookHeader
    body: str
    changes: list[str] = field(default_factory=list)  # why it may be stale; empty when it is current


def load_authored(directory: Path) -> list[Runbook]:
    runbooks = []
    for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", path.stem):
            raise InputError([f"{path}: name runbook files with lower case letters, digits and dashes"])
        document = frontmatter.parse(path)
        header = validate(document.header, RunbookHeader) if document.header else RunbookHeader()
        text = document.body
        heading = re.search(r"^# (.+)$", text, re.M)
        title = header.title or (heading.group(1).strip() if heading else path.stem.replace("-", " ").capitalize())
        if not heading:
            text = f"# {title}\n\n{text}"
        runbooks.append(Runbook(path, f"runbooks/guide-{path.stem}.md", title, header.summary, header, text))
    return runbooks


def _old_workflow(revision: str, snapshot_dir: Path, ref: str) -> Workflow | None:
    platform, _, ident = ref.partition(":")
    path = snapshot_dir / "workflows" / platform / f"{file_stem(ident)}.yml"
    text = history.file_at(revision, path)
    try:
        return validate(read_yaml(path, text), Workflow) if text else None
    except InputError:
        return None  # written by an older schema: nothing reliable to compare


def _old_credentials(revision: str, snapshot_dir: Path) -> dict[str, Credential]:
    path = snapshot_dir / "credentials.yml"
    text = history.file_at(revision, path)
    try:
        found = validate(read_yaml(path, text), CredentialsFile).credentials if text else []
    except InputError:
        found = []
    return {c.ref: c for c in found}


def _credentials_of(workflow: Workflow) -> set[str]:
    return {s.credential for s in workflow.steps if s.credential}


def what_changed(runbook: Runbook, snapshot: Snapshot, snapshot_dir: Path, *, path: Path | None = None,
                 at: str | None = None) -> list[str]:
    """What changed since the runbook was last edited, in words; empty when nothing it names did.
    `path` is the runbook's file in the repository (when `runbook` was read from a copy) and `at` the
    revision judged (None: the working tree)."""
    revision = history.last_commit(path or runbook.path, at=at)
    if revision is None:
        return []  # not committed, or edited right now: it is as current as it gets
    changes = []
    wanted = list(dict.fromkeys(runbook.header.workflows + [s.partition("#")[0] for s in runbook.header.steps]))
    for ref in wanted:
        old, now = _old_workflow(revision, snapshot_dir, ref), snapshot.workflow(ref)
        if old is None:
            if now is None:
                changes.append(f"it names the workflow {ref}, which is not in the snapshot")
            continue
        if now is None:
            changes.append(f"the workflow “{old.name}” was removed")
            continue
        if old.name != now.name:
            changes.append(f"the workflow “{old.name}” was renamed to “{now.name}”")
        if old.trigger != now.trigger:
            changes.append(f"the trigger of “{now.name}” changed")
        if _credentials_of(old) != _credentials_of(now):
            changes.append(f"the credentials used by “{now.name}” changed")
        for step_ref in runbook.header.steps:
            if step_ref.partition("#")[0] != ref:
                continue
            step_id = step_ref.partition("#")[2]
            before, after = old.step(step_id), now.step(step_id)
            if before and not after:
                changes.append(f"the step “{before.name}” of “{now.name}” was removed")
            elif before and after and before.name != after.name:
                changes.append(f"the step “{before.name}” of “{now.name}” was renamed to “{after.name}”")
    if runbook.header.credentials:
        old_credentials = _old_credentials(revision, snapshot_dir)
        for ref in runbook.header.credentials:
            old, now = old_credentials.get(ref), snapshot.credential(ref)
            if old is None:
                if now is None:
                    changes.append(f"it names the credential {ref}, which is not in the snapshot")
                continue
            if now is None:
                changes.append(f"the credential “{old.name}” was removed")
            elif old.name != now.name:
                changes.append(f"the credential “{old.name}” was renamed to “{now.name}”")
            elif old.scopes != now.scopes:
                changes.append(f"the scopes of the credential “{now.name}” changed")
    return changes


# --------------------------------------------------------------------------------------------------
# Generated runbooks: what a re-run repeats, what a pause loses, what an error means, what it looks like
# from the client's side when a workflow stops. Judged from the steps, for the runbook pages.

_EMAIL_APPS = re.compile(r"gmail|outlook|e-?mail|smtp|mailgun|sendgrid|postmark|amazon ses|mandrill", re.I)
_READS = re.compile(r"\b(get|find|search|list|read|look ?up|select|fetch|download|run (saved )?search|run report|"
                    r"watch)\b", re.I)
# Effects that happen again when a step runs again, checked in this order on the operation, then the name.
_EFFECTS = [
    ("money", re.compile(r"refund|payment|charge|payout|capture|transfer funds|credit memo", re.I),
     "refunds or charges again: the money moves twice"),
    ("additive", re.compile(r"award|points|increment|top ?up|add credit", re.I), "adds the points or credit again"),
    ("message", re.compile(r"\bsend|e-?mail|message|notify|\balert|\bpost\b|\bsms\b|\btell\b", re.I),
     "sends the message again"),
    ("upsert", re.compile(r"upsert|create or update|create update|add update|add or update|\bset\b|update|patch|"
                          r"delete|remove|archive|\btag\b|assign", re.I), None),
    ("create", re.compile(r"create|\badd\b|insert|append|upload|\bnew\b|submit|raise|subscribe|book|\bpost\b",
                          re.I), "creates a second {object}"),
]
_OBJECT = re.compile(r"(?:create|add|insert|append|upload|raise|new|submit|subscribe|book)\s+(?:an?\s+)?(.+)", re.I)


@dataclass(frozen=True)
class Repeat:
    """A step whose effect happens again when the run is repeated."""

    step: str
    app: str
    effect: str
    kind: str  # money, additive, message, create, unknown


@dataclass(frozen=True)
class Rerun:
    """Whether repeating a run is safe: `safe` False when a step's effect happens twice."""

    safe: bool
    repeats: tuple[Repeat, ...]
    duplicates: tuple[str, ...]  # apps where an order, sale, refund or payment may be duplicated

    @property
    def money(self) -> bool:
        return any(r.kind == "money" for r in self.repeats)


def _effect(step) -> tuple[str, str] | None:
    """(kind, what happens again) when the step's effect is not the same on a second run; None when it is
    (reads, updates, upserts) or it does nothing outside the platform."""
    if not step.disabled and step.access != "read" and step.kind in (StepKind.action, StepKind.http, StepKind.ai):
        if _EFFECTS[1][1].search(step.name):  # "Add points" is an update that adds up when repeated
            return "additive", _EFFECTS[1][2]
        # An HTTP step's operation is its method (POST…), which says nothing of what it does.
        for text in filter(None, (step.operation if step.kind != StepKind.http else None, step.name)):
            if step.kind == StepKind.ai:
                return None  # a model's answer is not stored where it goes; the steps after it are judged
            if _READS.search(text) and not re.search(r"create|add|send|post", text, re.I):
                return None
            for kind_, pattern, effect in _EFFECTS:
                if pattern.search(text):
                    if effect is None:
                        return None
                    thing = _OBJECT.search(step.operation or step.name or "")
                    obj = thing.group(1).lower() if thing else "record"
                    verb = (step.operation or step.name).lower()
                    return kind_, effect.format(verb=verb, object=obj)
            if step.kind != StepKind.http and step.operation:
                return None  # a named operation that neither creates, sends nor moves money
        if step.kind == StepKind.http:
            return "unknown", "repeats its call (what the receiving end does with a second call is not known)"
        return "unknown", "repeats its change (its operation is not known)"
    return None


_ORDERS = re.compile(r"order|cash sale|\bsale\b|refund|payment|charge|credit memo|invoice", re.I)


def rerun(workflow: Workflow, started: dict | None = None, _seen: frozenset = frozenset()) -> Rerun:
    """What a repeated run does again, judged from its steps and, given `started` (`facts.starts` of the
    snapshot), from the workflows its steps start (a sub-workflow, another scenario's webhook)."""
    repeats, duplicates = [], []
    for step in workflow.steps:
        target = started.get((workflow.ref, step.id)) if started and not step.disabled else None
        if target is not None and target.ref not in _seen | {workflow.ref}:
            inner = rerun(target, started, _seen | {workflow.ref})
            if not inner.safe:
                worst = next((r for r in inner.repeats if r.kind == "money"), inner.repeats[0])
                repeats.append(Repeat(step.name, target.platform.label, f"starts “{target.name}” again, which "
                                      f"{worst.effect.split(':')[0]} (“{worst.step}”)", worst.kind))
                duplicates += inner.duplicates
            continue
        found = _effect(step)
        if found:
            app = apps.app_name(step.app) if apps.is_app(step.app) and step.kind != StepKind.http else "an outside service"
            repeats.append(Repeat(step.name, app, found[1], found[0]))
            if found[0] in ("money", "create", "unknown") and _ORDERS.search(f"{step.operation or ''} {step.name}"):
                duplicates.append(app)
    return Rerun(not repeats, tuple(repeats), tuple(dict.fromkeys(duplicates)))


def _trigger_kind(workflow: Workflow) -> str:
    kind_ = workflow.trigger.kind.value
    if kind_ == "app_event" and workflow.trigger.polling_minutes:
        return "polling"
    return kind_


def while_paused(workflow: Workflow) -> str:
    """What is lost, queued or skipped while the workflow is switched off (plain text)."""
    kind_ = _trigger_kind(workflow)
    if kind_ == "manual":
        return "Nothing is lost: it runs only when started by hand."
    wording = SPECS[workflow.platform].guide.paused.get(kind_)
    if wording is None:
        return (f"What arrives while it is off is not known for {workflow.platform.label}: check its run history "
                "after switching it back on.")
    return wording.format(app=apps.app_name(workflow.trigger.app) if workflow.trigger.app else "the source app")


@dataclass(frozen=True)
class Diagnosis:
    """What an error message means for the step it came from, and what to do (plain text)."""

    cause: str
    actions: tuple[str, ...]


_RATE = re.compile(r"\b429\b|rate.?limit|limit (reached|exceeded)|request_limit|too many requests|quota", re.I)
_RUN_LIMIT = re.compile(r"(workflow|execution|scenario|run|zap)\b.*(timed out|time ?out|exceeded.*(time|duration))|"
                        r"maximum execution time|execution time limit", re.I)
_TIMEOUT = re.compile(r"timed? ?out|timeout|etimedout|esockettimedout|deadline exceeded|\b504\b|\b408\b", re.I)
_AUTH = re.compile(r"\b401\b|\b403\b|unauthori[sz]ed|forbidden|invalid.?grant|token|expired|permission|"
                   r"credentials? (are )?invalid|access denied|not authori[sz]ed", re.I)
_DUPLICATE = re.compile(r"already (exists|fulfilled|been|processed)|duplicate|\b409\b", re.I)
_REJECTED = re.compile(r"\b(400|404|422)\b|invalid|must (enter|be|have)|does not exist|not found|inactive|"
                       r"required|cannot be|is closed|missing", re.I)
_GENERIC = re.compile(r"^error at step <n>$|^error$|^unknown error$", re.I)


def error_step(workflow: Workflow, where: str | None):
    """The step an error was recorded at: by id, by name, or by Make's "App — operation" label."""
    if not where:
        return None
    found = workflow.step(where) or next((s for s in workflow.steps if s.name == where), None)
    if found is None and " — " in where:
        app, _, operation = where.partition(" — ")
        found = next((s for s in workflow.steps if s.app == app and s.operation == operation), None)
    return found


def diagnose(message: str, step=None, workflow: Workflow | None = None, called: Workflow | None = None,
             credential: str | None = None) -> Diagnosis:
    """The cause of an error, from its text and the step it came from. `called` is the workflow the step
    starts (a webhook call to another scenario), `credential` the name of the step's credential."""
    app = apps.app_name(step.app) if step and apps.is_app(step.app) and step.kind != StepKind.http else None
    where = app or "the target app"
    target = (f"the {called.platform.label} {called.platform.workflow_noun} “{called.name}”" if called
              else app or "the address it calls")
    text = message or ""
    if _RATE.search(text):
        return Diagnosis(f"{where} refused the request: its rate limit was reached.",
                         ("Usually transient: re-run the failed run after a few minutes.",
                          "If it repeats every day, spread the load (smaller batches, a wait step) or ask the "
                          f"vendor of {where} for a higher limit."))
    call = re.search(r"request|call|webhook|socket|connect", text, re.I)
    if (_RUN_LIMIT.search(text) and not call) or (step is None and _TIMEOUT.search(text)):
        noun = workflow.platform.workflow_noun if workflow else "workflow"
        limit = f" ({workflow.settings.timeout_seconds} s)" if workflow and workflow.settings.timeout_seconds else ""
        return Diagnosis(f"The run took longer than the {noun} is allowed to run{limit}.",
                         ("Check whether the data volume grew or an app it calls became slow, then re-run.",
                          "If it keeps happening, raise the time limit or process in smaller batches."))
    if _TIMEOUT.search(text):
        step_name = f"“{step.name}”"
        return Diagnosis(f"The call from step {step_name} to {target} got no answer in time: the step's own "
                         "request timed out, not the run.",
                         (f"{target[0].upper() + target[1:]} may have done its work even though no answer came "
                          "back: check there before re-running, or the work is done twice.",
                          f"If it happens often, find out why {target} answers slowly, or raise the step's "
                          "request timeout."))
    if _DUPLICATE.search(text):
        return Diagnosis(f"A duplicate: {where} already has this record (often created by an earlier run or a retry).",
                         (f"Check the record in {where}; usually nothing needs to be done, and re-running will "
                          "fail the same way.",))
    if _AUTH.search(text):
        cred = f"“{credential}”" if credential else "of the step"
        return Diagnosis(f"The credential {cred} was refused by {where}: it expired, was revoked or lacks a permission.",
                         (f"Re-authorise the credential {cred}, then re-run the failed runs.",))
    if _REJECTED.search(text):
        return Diagnosis(f"{where} rejected the data the step sent (a missing, invalid or inactive value).",
                         (f"Open the failed run and read the input of “{step.name if step else 'the failing step'}”; "
                          f"fix the record in {where} or the source data, then re-run.",))
    if _GENERIC.search(text.strip()):
        return Diagnosis("The platform recorded no detail for this error.",
                         (f"Open the failed run in {workflow.platform.label if workflow else 'the platform'} to read "
                          f"the error of “{step.name if step else 'the failing step'}”, fix the cause, then re-run.",))
    return Diagnosis("The error text does not say more than the message above.",
                     (f"Open the failed run, read the input of “{step.name if step else 'the failing step'}”, fix the "
                      "data or the mapping, then re-run.",))


def symptoms(workflow: Workflow) -> list[str]:
    """What the client notices when this workflow stops ("Orders missing in NetSuite"), from the apps it
    writes to and what its steps do there; notifications and reads are no symptom."""
    from generator.evidence.facts import MONITORS, NOTIFIES

    out = []
    trigger_app = apps.app_name(workflow.trigger.app) if workflow.trigger.app else ""
    leads = bool(apps.AD_PLATFORMS.search(trigger_app) or re.search(r"\blead", workflow.name, re.I))
    for step in workflow.steps:
        if step.disabled or step.access == "read" or step.kind not in (StepKind.action,) or not apps.is_app(step.app):
            continue
        app = apps.app_name(step.app)
        words = " ".join(filter(None, (step.operation, step.name)))
        first = step.operation or step.name
        if _EMAIL_APPS.search(app) and re.search(r"send|e-?mail|message", words, re.I):
            customer = re.search(r"customer|confirm|welcome|invitee|client|applicant", f"{words} {workflow.name}", re.I)
            out.append("Customers not e-mailed" if customer else f"Expected e-mails not sent from {app}")
            continue
        if NOTIFIES.search(app) or MONITORS.search(app) or _READS.search(words) and not re.search(r"create|add", words, re.I):
            continue
        # The operation says what it does; the step's name only when the operation does not.
        symptom = next((make(app, leads) for text in (first, words) for pattern, make in _SYMPTOMS
                        if pattern.search(text)), None)
        if symptom:
            out.append(symptom)
    return list(dict.fromkeys(out))


_SYMPTOMS = [
    (re.compile(r"refund|credit memo", re.I), lambda app, _: f"Refunds not processed in {app}"),
    (re.compile(r"payment|charge|payout", re.I), lambda app, _: f"Payments not recorded in {app}"),
    (re.compile(r"fulfil|shipment", re.I), lambda app, _: f"Orders not marked as shipped in {app}"),
    (re.compile(r"order|cash sale|\bsale\b|invoice", re.I), lambda app, _: f"Orders missing in {app}"),
    (re.compile(r"inventory|stock", re.I), lambda app, _: f"Stock levels wrong in {app}"),
    (re.compile(r"deal|opportunit", re.I), lambda app, _: f"Deals missing in {app}"),
    (re.compile(r"ticket", re.I), lambda app, _: f"Tickets not routed in {app}"),
    (re.compile(r"subscribe|member|list", re.I), lambda app, leads: f"Subscribers missing in {app}"),
    (re.compile(r"contact|lead|customer|person|people", re.I),
     lambda app, leads: f"Leads not in {app}" if leads else f"Contacts missing or out of date in {app}"),
    (re.compile(r"upload|file", re.I), lambda app, _: f"Files missing in {app}"),
    (re.compile(r"append|row|insert|add|create", re.I), lambda app, _: f"Data missing in {app}"),
]
