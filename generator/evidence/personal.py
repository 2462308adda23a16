"""The personal-data map: which workflows move personal data, from which app to which, by heuristic.

A step is taken to carry personal data when the fields it maps are named like e-mail, phone, name,
address, date of birth, national id or payment data, or when it reads from an app that holds people
(CRM, e-mail, forms, spreadsheets, shops). Every write step of such a workflow is a destination. It is a
heuristic: the page says so, and client.yml confirms or dismisses each flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.config import ClientConfig
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
    r"freshdesk|calendly|twilio|whatsapp|netsuite|xero|quickbooks|bamboohr|personio|webflow|wix|squarespace", re.I)
CONTACT = "contact data"  # the source app holds people; no personal field name was seen


def categories(fields: list[str]) -> set[str]:
    return {name for name, pattern in CATEGORIES.items() if any(pattern.search(f) for f in fields)}


@dataclass
class Flow:
    workflow: Workflow
    sources: list[str]  # apps the personal data comes from
    destination: str  # the app it goes to
    categories: list[str]
    steps: list[str] = field(default_factory=list)  # destination step names
    status: str = "found"  # found, confirmed, dismissed
    note: str | None = None

    @property
    def ref(self) -> str:
        return self.workflow.ref


def _writes(step) -> bool:
    return step.access == Access.write or (step.access is None and step.kind in (StepKind.action, StepKind.http))


def flows(config: ClientConfig, snapshot: Snapshot) -> list[Flow]:
    decisions = {(d.workflow, d.app.lower()): d for d in config.personal_data}
    found: list[Flow] = []
    for workflow in sorted(snapshot.workflows, key=lambda w: (w.platform.value, w.name.lower())):
        live = [s for s in workflow.steps if not s.disabled]
        sources = [s for s in live if s.kind in (StepKind.trigger, StepKind.search) or s.access == Access.read]
        source_categories = set().union(*(categories(s.data_fields) for s in sources)) if sources else set()
        people = [s for s in sources if PEOPLE_APPS.search(s.app)]
        if not source_categories and not people and not any(categories(s.data_fields) for s in live if _writes(s)):
            continue
        source_apps = sorted({s.app for s in sources if categories(s.data_fields) or PEOPLE_APPS.search(s.app)}) \
            or sorted({s.app for s in sources}) or ["(the workflow's input)"]
        by_app: dict[str, list] = {}
        for step in live:
            if _writes(step) and step not in sources:
                by_app.setdefault(step.app, []).append(step)
        for app, steps in sorted(by_app.items()):
            cats = source_categories | set().union(*(categories(s.data_fields) for s in steps))
            if not cats and not people:
                continue
            decision = decisions.get((workflow.ref, app.lower()))
            found.append(Flow(workflow, source_apps, app, sorted(cats) or [CONTACT], [s.name for s in steps],
                              decision.status if decision else "found", decision.note if decision else None))
    return found


def approved(config: ClientConfig, app: str) -> bool:
    return any(p.lower() in app.lower() or app.lower() in p.lower() for p in config.processors)


def retention_for(config: ClientConfig, app: str):
    """The retention rules whose systems include this app."""
    return [r for r in config.retention if any(s.lower() in app.lower() or app.lower() in s.lower()
                                               for s in r.systems)]
