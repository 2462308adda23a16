"""The personal-data map: which workflows move personal data, from which app to which, inferred.

A step is taken to carry personal data when the fields it maps are named like e-mail, phone, name,
address, date of birth, national id or payment data, when its operation handles orders, refunds,
contacts or tickets, or when it reads from an app that holds people (CRM, e-mail, forms, spreadsheets,
shops, lead ads). Every write step of such a workflow is a destination, except a write back into the app
the data came from. A workflow started by another (a sub-workflow, a webhook another workflow calls)
receives what its callers read. Apps are named as their vendors name them (`evidence.apps`). The
inference can be wrong: the page says so, and client.yml confirms or dismisses each flow.

Each flow says why it needs a closer look (AI services, ad platforms, payment data) and where it is
processed outside the client's country (the platform's region, a vendor's known default region).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.config import ClientConfig
from generator.evidence import apps
from generator.evidence.facts import starts
from generator.model import Access, Snapshot, StepKind, Workflow

CATEGORIES: dict[str, re.Pattern[str]] = {name: re.compile(pattern, re.I) for name, pattern in {
    "e-mail": r"e-?mail|mail_?address|send_?to|recipient",
    "phone": r"phone|mobile|\btel\b|telephone|whatsapp|\bsms\b",
    "name": r"(first|last|full|given|family|sur|display|customer|contact)[ _-]?name|^name$|fullname",
    "address": r"address|street|\bcity\b|post_?code|\bzip\b|postal|shipping|billing",
    "date of birth": r"birth|\bdob\b|birthday",
    "national id": r"\bnric\b|\bssn\b|national[ _-]?id|passport|tax[ _-]?id|identity",
    "payment data": r"card[ _-]?(number|no)|\biban\b|bank[ _-]?account|account[ _-]?number|\bcvv\b|swift",
}.items()}
PEOPLE_APPS = re.compile(
    r"hubspot|salesforce|pipedrive|zoho|mailchimp|klaviyo|brevo|sendinblue|activecampaign|gmail|outlook|"
    r"typeform|jotform|tally|google forms|google sheets|airtable|shopify|woocommerce|stripe|zendesk|intercom|"
    r"freshdesk|calendly|twilio|whatsapp|netsuite|xero|quickbooks|bamboohr|personio|webflow|wix|squarespace|"
    r"lead ads|lead gen|lead forms|custom audiences", re.I)
CONTACT = "contact data"  # the source app holds people; no personal field name was seen
# Where the data comes from when no app is named: who starts the workflow.
INPUT = {"webhook": "the caller of its webhook", "sub_workflow": "the workflow that starts it",
         None: "the workflow's input"}
# What a step's operation says it carries, when no field name does: an order carries the buyer's name and
# address, a refund payment data, a contact or lead a name and an e-mail address.
OPERATIONS = [
    (re.compile(r"refund|payment|charge|payout|credit memo|capture", re.I), {"payment data"}),
    (re.compile(r"order|cash sale|fulfil|invoice|shipment", re.I), {"name", "address"}),
    (re.compile(r"contact|lead|customer|member|subscriber|invitee|applica|audience|\buser", re.I), {"name", "e-mail"}),
    (re.compile(r"ticket", re.I), {"support tickets"}),
]


def categories(fields: list[str]) -> set[str]:
    return {name for name, pattern in CATEGORIES.items() if any(pattern.search(f) for f in fields)}


def _carried(step) -> set[str]:
    """Categories from the step's field names, else from what its operation (or name) says it handles."""
    found = categories(step.data_fields)
    if not found:
        words = " ".join(filter(None, (step.operation, step.name)))
        for pattern, cats in OPERATIONS:
            if pattern.search(words):
                found |= cats
                break
    return found


@dataclass(frozen=True)
class Transfer:
    """Personal data processed outside the client's country: where, in which region, and why there."""

    place: str  # the platform or app
    region: str  # ISO 3166 code or EU
    why: str  # "the workflow runs there", "the vendor processes data there by default"…

    @property
    def region_name(self) -> str:
        return apps.region_name(self.region)


@dataclass
class Flow:
    workflow: Workflow
    sources: list[str]  # apps the personal data comes from
    destination: str  # the app it goes to
    categories: list[str]
    steps: list[str] = field(default_factory=list)  # destination step names
    status: str = "found"  # found, confirmed, dismissed
    note: str | None = None
    risks: list[str] = field(default_factory=list)  # why it needs a closer look: "sent to an AI service"…
    transfers: list[Transfer] = field(default_factory=list)  # where it is processed outside the client's country

    @property
    def ref(self) -> str:
        return self.workflow.ref


def _writes(step) -> bool:
    return step.access == Access.write or (step.access is None and step.kind in (StepKind.action, StepKind.http))


def _platform(config: ClientConfig, workflow: Workflow):
    """The client.yml platform a workflow runs on: the one of its kind (None when several differ)."""
    mine = [p for p in config.platforms if p.kind == workflow.platform]
    regions = {apps.platform_region(p) for p in mine}
    return mine[0] if mine and len(regions) == 1 else None


def _source_steps(workflow: Workflow) -> list:
    return [s for s in workflow.steps if not s.disabled and apps.is_app(s.app)
            and (s.kind in (StepKind.trigger, StepKind.search) or s.access == Access.read)]


def _own_sources(workflow: Workflow) -> tuple[list[str], set[str], bool]:
    """(source apps, categories they carry, whether one holds people) from the workflow's own steps; a
    generic webhook trigger counts as the app its name starts with ("Shopify: order paid")."""
    steps = _source_steps(workflow)
    names = [apps.app_name(s.app) for s in steps]
    cats = set().union(*(_carried(s) for s in steps)) if steps else set()
    trigger = next((s for s in workflow.steps if s.kind == StepKind.trigger), None)
    if trigger and not apps.is_app(trigger.app) and (named := PEOPLE_APPS.search(trigger.name)):
        names.insert(0, apps.app_name(named.group(0)))
    names = list(dict.fromkeys(names))
    return names, cats, any(PEOPLE_APPS.search(n) for n in names)


def _destination(step, workflow: Workflow, config: ClientConfig, started: dict) -> tuple[str, str | None, str]:
    """The app a write step sends to (an automation platform when it starts a workflow there), where
    that is processed if known, and why there. `started` is `facts.starts` of the snapshot."""
    target = started.get((workflow.ref, step.id)) if step.kind == StepKind.http else None
    if target is not None and target.platform != workflow.platform:
        platform = _platform(config, target)
        return ((platform.name if platform else target.platform.label),
                apps.platform_region(platform) if platform else None,
                f"its {target.platform.workflow_noun} “{target.name}” runs there")
    name = apps.app_name(step.app)
    return name, apps.vendor_region(name), "the vendor processes data there by default"


def flows(config: ClientConfig, snapshot: Snapshot) -> list[Flow]:
    decisions = {(d.workflow, apps.app_name(d.app).lower()): d for d in config.personal_data}
    country = config.client.country
    started = starts(snapshot)
    callers: dict[str, list[Workflow]] = {}
    for (ref, step_id), target in started.items():
        caller = snapshot.workflow(ref)
        step = caller.step(step_id) if caller else None
        if step and not step.disabled and all(c.ref != ref for c in callers.setdefault(target.ref, [])):
            callers[target.ref].append(caller)
    found: list[Flow] = []
    for workflow in sorted(snapshot.workflows, key=lambda w: (w.platform.value, w.name.lower())):
        live = [s for s in workflow.steps if not s.disabled]
        source_apps, source_categories, people = _own_sources(workflow)
        if workflow.trigger.kind in ("sub_workflow", "webhook"):  # its input is what its callers read
            for caller in callers.get(workflow.ref, []):
                names, cats, holds = _own_sources(caller)
                source_apps += [n for n in names if n not in source_apps]
                source_categories |= cats
                people = people or holds
        sources = [id(s) for s in _source_steps(workflow)]
        by_app: dict[tuple[str, str | None], list] = {}
        for step in live:
            if _writes(step) and id(step) not in sources and (apps.is_app(step.app) or step.kind == StepKind.http):
                by_app.setdefault(_destination(step, workflow, config, started), []).append(step)
        platform = _platform(config, workflow)
        runs_in = apps.platform_region(platform) if platform else None
        for (app, region, why), steps in sorted(by_app.items()):
            origins = [a for a in source_apps if a.lower() != app.lower()]
            if source_apps and not origins:
                continue  # it writes back into the app it read from: no flow between apps
            cats = source_categories | set().union(*(_carried(s) for s in steps))
            if not cats and not people:
                continue
            risks = [f"sent to an {apps.kind(app)}"] if apps.kind(app) else []
            risks += [f"comes from an {k}" for k in dict.fromkeys(map(apps.kind, origins)) if k]
            if "payment data" in cats:
                risks.append("payment data")
            transfers = []
            if apps.abroad(runs_in, country):
                transfers.append(Transfer(platform.name, runs_in, f"{workflow.platform.label} runs the "
                                          f"{workflow.platform.workflow_noun} there"))
            if apps.abroad(region, country) and app != (platform.name if platform else None):
                transfers.append(Transfer(app, region, why))
            decision = decisions.get((workflow.ref, app.lower()))
            found.append(Flow(workflow, origins or [INPUT.get(workflow.trigger.kind, INPUT[None])], app, sorted(cats) or [CONTACT],
                              [s.name for s in steps], decision.status if decision else "found",
                              decision.note if decision else None, risks, transfers))
    return found


def approved(config: ClientConfig, app: str) -> bool:
    return any(p.lower() in app.lower() or app.lower() in p.lower() for p in config.processors)


def retention_for(config: ClientConfig, app: str):
    """The retention rules whose systems include this app."""
    return [r for r in config.retention if any(s.lower() in app.lower() or app.lower() in s.lower()
                                               for s in r.systems)]
