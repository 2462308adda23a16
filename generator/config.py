"""`client.yml`: the hand-written engagement facts, its schema and its loading.

Each field carries its description, so this module is both the validator and the reference
(`docs/client-yml.md` is written from it). `store.workspace.load_client` reads it, reporting every
problem at once, each as `file:line: field: what was expected`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from generator.model import Strict
from generator.platforms import Platform
from generator.redact import looks_like_secret

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"  # use with re.fullmatch: `$` alone also matches before a final newline
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
DURATION = re.compile(r"^(\d+)\s*(m|min|h|d)$")
LOGO_TYPES = {".svg", ".png", ".jpg", ".jpeg"}
# ISO 3166 alpha-2 country codes: CLDR's territories less its regions, reserved and private-use codes.
COUNTRIES = frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha()) - {
    "EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ", "AC", "CP", "DG", "EA", "IC", "TA"}


def _country(value: str | None) -> str | None:
    if value is not None and value not in COUNTRIES:
        raise ValueError(f"'{value}' is not an ISO 3166 country code: give two capital letters, e.g. SG, DE, US")
    return value


def _region(value: str | None) -> str | None:
    return value if value == "EU" else _country(value)


Country = Annotated[str, AfterValidator(_country)]
Region = Annotated[str, AfterValidator(_region)]


# Addresses that are credentials by themselves: whoever knows one can post to it.
_CREDENTIAL_HOSTS = re.compile(r"(^|\.)(hooks\.slack\.com|webhook\.office\.com|outlook\.office\.com|"
                               r"discord(app)?\.com|hooks\.zapier\.com|hook\.[a-z0-9]+\.make\.com|"
                               r"events\.pagerduty\.com|api\.telegram\.org)$")


def url_credential(value: str) -> str | None:
    """Why the URL in `value` carries a credential ('contains a user and password', 'is a Slack incoming
    webhook', …), or None. Host names alone never count (`https://n8n-prod.eu-west-1.acme.io`)."""
    from urllib.parse import parse_qsl, urlsplit

    from generator.redact import find_secrets, name_context

    text = value.strip()
    if "://" not in text:
        return None
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "cannot be read as a URL"
    if parts.password:
        return "contains a user and password"
    if _CREDENTIAL_HOSTS.search(host) and parts.path.strip("/"):
        return f"is a webhook address of {host} (a credential in itself)"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if name_context(name, query=True) == "secret":
            return f"has a secret in its query (?{name}=…)"
    if find_secrets(parts.path) or find_secrets(parts.query):
        return "contains what looks like a token"
    return None


def _env_var_name(value: str) -> str:
    if looks_like_secret(value):
        raise ValueError(
            "this looks like a secret, not the name of an environment variable. Never put a key in "
            "client.yml: store it in an environment variable (or a .env file kept out of Git) and "
            "write that variable's NAME here, e.g. N8N_API_KEY"
        )
    if not ENV_NAME.match(value):
        raise ValueError(
            "expected the NAME of an environment variable: capital letters, digits and underscores, "
            "e.g. MAKE_API_TOKEN"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]


def _duration(value: str) -> str:
    if not DURATION.match(value.strip()):
        raise ValueError("expected a duration such as 15m, 4h or 2d")
    return value.strip()


Duration = Annotated[str, AfterValidator(_duration)]


def minutes(duration: str) -> int:
    number, unit = DURATION.match(duration).groups()
    return int(number) * {"m": 1, "min": 1, "h": 60, "d": 1440}[unit]


# --------------------------------------------------------------------------------------------------


class ClientInfo(Strict):
    name: str = Field(description="The client's name as it appears on the cover, e.g. 'Harbour & Pine Pte. Ltd.'.")
    slug: str = Field(pattern=SLUG, description="Folder name under clients/: lower case, digits and dashes.")
    industry: str | None = Field(default=None, description="One line, for the overview.")
    country: Country | None = Field(default=None, description="Where the client is established, as an ISO 3166 "
                                    "code (SG, DE, US…): data processed elsewhere is shown as a cross-border "
                                    "transfer on the Data handling page. Empty: transfers are not assessed.")
    logo: str | None = Field(default=None, description="Path of a logo file inside the client folder (SVG or PNG), "
                             "e.g. assets/logo.svg.")
    timezone: str = Field(default="UTC", description="The client's time zone (IANA name, e.g. Asia/Singapore): "
                          "every time on the site and in the PDF is shown in it, with the zone named.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone name, e.g. Asia/Singapore or Europe/Berlin") from None
        return value

    @field_validator("logo")
    @classmethod
    def _logo_inside_the_folder(cls, value: str | None) -> str | None:
        if value is None:
            return value
        path = PurePosixPath(value.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ValueError("give a path inside the client's folder, e.g. assets/logo.svg (no absolute path, no '..')")
        if path.suffix.lower() not in LOGO_TYPES:
            raise ValueError(f"expected an image file: {', '.join(sorted(LOGO_TYPES))}")
        return path.as_posix()


class Consultant(Strict):
    name: str
    company: str | None = None
    email: str | None = None


class TeamMember(Strict):
    """Someone on the consultant's side whose access the client revokes at close-out."""

    name: str
    email: str | None = Field(default=None, description="The address they sign in to the platforms with.")


class Engagement(Strict):
    consultant: Consultant = Field(description="Who built and hands over the automations.")
    team: list[TeamMember] = Field(
        default=[], description="The consultant's colleagues on the engagement. With the consultant (and every "
        "address at the consultant's e-mail domain, unless it is a public mail service) they are the consultant's "
        "side: the close-out checklist lists their platform users and credentials still present.")
    start: date
    end: date | None = Field(default=None, description="Empty while the engagement runs.")
    support_plan: str | None = Field(default=None, description="What support continues after hand-over.")
    scope: str | None = Field(default=None, description="What the engagement covered, in a sentence or two.")

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end and self.end < self.start:
            raise ValueError("end: the engagement ends before it starts")
        return self


class Contact(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short id used by the escalation path.")
    name: str
    role: str
    organisation: str | None = None
    email: str | None = None
    phone: str | None = None


class IncidentLevel(StrEnum):
    """How severe an incident is, as the response targets define it."""

    critical = "critical"
    high = "high"
    standard = "standard"


class EscalationLevel(Strict):
    level: int = Field(ge=1, le=9)
    name: str = Field(description="e.g. 'Service desk', 'Automation lead', 'Management'.")
    primary: str = Field(description="Contact id.")
    backup: str = Field(description="Contact id of the stand-in when the primary is unreachable.")
    channel: str = Field(description="How to reach this level: phone, Slack channel, e-mail.")
    hours: str = Field(description="When this level is reachable, e.g. 'Mon–Fri 09:00–18:00 SGT'.")
    when: str | None = Field(default=None, description="When to escalate to this level.")
    after: dict[IncidentLevel, Duration] = Field(
        default={}, description="How long an incident of each severity may stay unresolved before this level is "
        "told, e.g. {critical: 0m, high: 1d}; the missed escalation check (INC-005) reads it. Severities not "
        "named are never escalated to this level by time.")


class ResponseTarget(Strict):
    acknowledge: Duration = Field(description="Time to first response, e.g. 15m.")
    resolve: Duration | None = Field(default=None, description="Time to restore service, e.g. 4h.")
    definition: str = Field(description="What makes an incident this severe.")
    update_every: Duration | None = Field(default=None, description="How often the client hears about progress.")


class ResponseTargets(Strict):
    critical: ResponseTarget
    high: ResponseTarget
    standard: ResponseTarget
    communication: str = Field(description="Where incident communication happens, e.g. '#ops-incidents on Slack'.")


class AlertChannel(Strict):
    kind: Literal["slack", "email", "teams", "pagerduty", "opsgenie", "webhook"]
    target: str = Field(description="Where alerts go, e.g. '#automation-alerts' or 'ops@client.com' — never a "
                        "webhook address: that is a credential, named by secret_env.")
    secret_env: EnvVarName | None = Field(default=None, description="Env var holding a webhook URL or password.")

    @field_validator("target")
    @classmethod
    def _target_is_not_a_credential(cls, value: str) -> str:
        problem = url_credential(value)
        if problem or looks_like_secret(value):
            raise ValueError(f"this target {problem or 'looks like a secret'}: anyone who has it can post as you, and "
                             "the target is shown on the Operations page. Put it in an environment variable (or a "
                             ".env file kept out of Git), write that variable's NAME in secret_env, and describe the "
                             "channel here, e.g. target: '#automation-alerts'")
        return value
    used_for: str | None = None
    health_alerts: bool = Field(default=True, description="`handover health --notify` posts here (slack and "
                                "webhook kinds: a Slack-compatible incoming webhook; email: through `smtp`).")


class Smtp(Strict):
    """The mail server `handover health --notify` sends e-mail alerts through."""

    host: str
    port: int = 587
    sender: str = Field(description="The From address.")
    username: str | None = None
    password_env: EnvVarName | None = Field(default=None, description="NAME of the env var holding the password.")
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS (port 587).")


class RetentionRule(Strict):
    category: str = Field(description="A data category, e.g. 'Customer contact data'.")
    systems: list[str] = Field(default=[], description="Where this data lives.")
    keep_days: int | None = Field(default=None, ge=0, description="Days to keep; empty for 'as long as the contract'.")
    basis: str | None = Field(default=None, description="Legal or business reason.")
    disposal: str | None = Field(default=None, description="How it is deleted at the end.")


class PlatformConfig(Strict):
    kind: Platform
    name: str = Field(description="A label, e.g. 'n8n production'.")
    base_url: str | None = Field(default=None, description="n8n: the instance URL. Make: a custom host.")
    zone: str | None = Field(default=None, description="Make zone: eu1, eu2, us1, us2, …")
    region: Region | None = Field(default=None, description="Where the platform runs, as an ISO 3166 country code "
                                  "(or EU), e.g. SG for an n8n instance in a Singapore data centre. Make's zone "
                                  "and Zapier (US) say it already; a self-hosted n8n needs it for the transfers "
                                  "on the Data handling page.")
    organization_id: int | None = None
    team_ids: list[int] = []
    api_key_env: EnvVarName | None = Field(
        default=None, description="NAME of the environment variable holding the API key (never the key)."
    )
    window_days: int = Field(default=30, ge=1, le=365, description="Days of run history to read on sync.")
    # Facts about the platform that no platform API reports: entered here, copied into the snapshot on sync.
    run_data_keep_days: int | None = Field(
        default=None, ge=0, description="Days the platform keeps run data before pruning it: n8n's execution "
        "pruning (EXECUTIONS_DATA_MAX_AGE, in hours: divide by 24), Make's execution-log retention of the plan, "
        "Zapier's task history. No platform API reports it, so it is entered here; empty: not assessed.")
    failure_emails: bool | None = Field(
        default=None, description="The platform itself e-mails someone when a run fails (Zapier's Zap error "
        "notifications, Make's scenario-error e-mails): an account setting no API reports. Empty: unknown.")

    @field_validator("base_url")
    @classmethod
    def _no_credentials_in_url(cls, value: str | None) -> str | None:
        problem = url_credential(value) if value else None
        if problem:
            raise ValueError(f"the URL {problem}: client.yml is committed to Git and copied into the snapshot. "
                             "Give the plain instance URL and put the key in the env var named by api_key_env")
        return value


class Mute(Strict):
    finding: str = Field(description="Check id, e.g. ACCESS-001.")
    location: str | None = Field(default=None, description="Only mute it here (workflow or credential ref).")
    reason: str
    expires: date
    by: str | None = None


class ActionStatus(StrEnum):
    """Where the client's answer to a failed control stands."""

    open = "open"
    fixed = "fixed"
    accepted = "accepted"


CONTROL_ID = r"^[A-Z]+-\d{3}$"


class Action(Strict):
    """The client's answer to one failed control of the baseline: who fixes it by when, or why the risk is
    accepted and until when. An accepted action applies to the control as a mute does (see `mutes`)."""

    control: str = Field(pattern=CONTROL_ID, description="The control, e.g. MON-001 (one action per control).")
    status: ActionStatus = Field(default=ActionStatus.open, description="open (being worked on), fixed (done, "
                                 "confirmed by the next snapshot) or accepted (the risk is accepted, with a "
                                 "reason and an expiry).")
    owner: str | None = Field(default=None, description="Who answers for it: a contact id or a person's name.")
    due: date | None = Field(default=None, description="When it is to be fixed.")
    response: str | None = Field(default=None, description="The client's management response, in a sentence or two.")
    reason: str | None = Field(default=None, validate_default=True,
                               description="Why the risk is accepted (required when accepted).")
    expires: date | None = Field(default=None, validate_default=True,
                                 description="Until when the acceptance holds (required when accepted); the "
                                 "control counts as open again after it.")
    fixed_on: date | None = Field(default=None, description="When it was fixed (status fixed).")

    @field_validator("reason", "expires")
    @classmethod
    def _accepted_needs_reason_and_expiry(cls, value, info: ValidationInfo):
        if info.data.get("status") == ActionStatus.accepted and not value:
            what = "a reason" if info.field_name == "reason" else "an expiry date (expires: YYYY-MM-DD)"
            raise ValueError(f"an accepted risk needs {what}")
        return value

    def as_mute(self) -> Mute:
        """An accepted action is a mute of the whole control, by its owner."""
        return Mute(finding=self.control, reason=self.reason, expires=self.expires, by=self.owner)


class Attestation(Strict):
    control: str = Field(description="The control attested, e.g. 'database_backups', 'escalation_contacts'.")
    statement: str
    by: str
    date: date
    evidence: str | None = Field(default=None, description="Where the evidence is kept.")


class Narrative(Strict):
    summary: str | None = Field(default=None, description="Markdown: the engagement in a paragraph, for the overview.")
    architecture: str | None = Field(default=None, description="Markdown: how the pieces fit, for Architecture.")
    operations: str | None = Field(default=None, description="Markdown: notes for day-to-day operation.")
    backups: str | None = Field(default=None, description="Markdown: backup and restore notes.")


class FlowDecision(Strict):
    """The consultant's word on a personal-data flow the heuristic found."""

    workflow: str = Field(description="Workflow ref, e.g. n8n:Ord3rSync01.")
    app: str = Field(description="The destination app of the flow, as the Data handling page names it.")
    status: Literal["confirmed", "dismissed"]
    note: str | None = None


class ChangeProcess(Strict):
    """How changes and platform updates reach production, for the Patching page."""

    testing: str = Field(description="How an update or change is tested before production, e.g. 'on the staging "
                                     "instance for a week'.")
    rollback: str = Field(description="How a bad update or change is undone.")
    approval: str | None = Field(default=None, description="Who approves a change.")
    window: str | None = Field(default=None, description="When updates are applied, e.g. 'first Tuesday, 20:00 SGT'.")


class Thresholds(Strict):
    failure_rate: float = Field(default=0.05, ge=0, le=1, description="Share of failed runs that is unhealthy.")
    degrading_factor: float = Field(default=2.0, gt=1, description="Recent failure rate this many times the earlier one.")
    idle_days: int = Field(default=3, ge=1, description="An active scheduled workflow silent this long is a finding.")
    expiry_days: int = Field(default=30, ge=1, description="Credentials expiring within this many days.")
    attestation_days: int = Field(default=180, ge=1, description="Attestations older than this are stale.")
    duration_factor: float = Field(default=1.5, gt=1, description="p95 run time grown by this factor since the "
                                   "previous snapshot is a slowdown alert.")
    freshness_days: int = Field(default=14, ge=1, description="A platform read longer ago than this is stale evidence.")


class Revision(Strict):
    revision: str = Field(description="The document's revision label, e.g. '1.0' or 'draft 2'.")
    date: date
    author: str = Field(description="Who made this revision.")
    summary: str = Field(description="What changed, in a line.")


class Signatory(Strict):
    role: str = Field(description="Why this person signs, e.g. 'Prepared by', 'Accepted for the client'.")
    name: str | None = Field(default=None, description="Empty leaves a line to write the name on.")
    organisation: str | None = None
    signed: date | None = Field(default=None, description="When they signed the handover off, once they have; "
                                "empty leaves a line for the date.")


class Document(Strict):
    """How the handover document presents itself (PDF cover, footer and document control)."""

    confidentiality: str | None = Field(
        default=None, description="The marking printed on every PDF page and the cover; empty for "
        "'Confidential — prepared for <client name>'.")
    revisions: list[Revision] = Field(
        default=[], description="The version table, oldest first; empty lists the current build alone.")
    sign_off: list[Signatory] = Field(
        default=[], description="Who signs the handover off; empty for the consultant and a client representative.")
    keywords: list[str] = Field(default=[], description="Extra PDF keywords (the platforms are always listed).")
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="The document's language (BCP 47), for the PDF metadata.")
    primary_colour: str | None = Field(
        default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="The client's brand colour for the site's header and the PDF's headings, e.g. '#0f3d3e'.")
    pdf_detail_threshold: int = Field(
        default=60, ge=0, description="Above this many workflows the PDF is the summary edition: the overview "
        "chapters and one short register entry per workflow, the full per-workflow chapters staying on the site "
        "(`handover build --pdf-detail` prints them anyway).")


class Account(Strict):
    """A platform or app account the automations depend on, and who owns and pays for it."""

    service: str = Field(description="The platform or app, e.g. 'n8n production' (a name from `platforms`), "
                         "'Make (EU1)', 'OpenAI'.")
    plan: str | None = Field(default=None, description="The plan or edition, e.g. 'Pro, 40,000 operations a month'.")
    owner: str | None = Field(default=None, description="Who holds the account's owner login, e.g. "
                              "'daniel.koh@harbourpine.example'.")
    billing_owner: str = Field(description="Who is billed, e.g. 'Harbour & Pine (finance card)' or "
                               "'Fieldwork Automation, re-invoiced monthly'.")
    renews: date | None = Field(default=None, description="The next renewal or billing date; empty when it "
                                "does not renew (self-hosted, pay as you go).")
    transferred: bool = Field(description="The account (owner login and billing) belongs to the client now.")
    note: str | None = Field(default=None, description="What remains, or anything the client should know, in a "
                             "sentence.")


CLOSEOUT_ITEM = re.compile(r"^(user|credential|account|exports|runbook) \S.*$")


class Confirmation(Strict):
    """The consultant's word that a close-out item the data cannot prove is done."""

    item: str = Field(description="The item confirmed: `user <platform>:<e-mail or name>` (e.g. "
                      "`user n8n:jonas@fieldwork-automation.example`), `credential <ref>` (e.g. "
                      "`credential n8n:cred-mailgun`), `account <service>` (as in `accounts`), `exports <platform>` "
                      "(e.g. `exports make`) or `runbook <file name without .md>`; where the data could not be read, "
                      "`user <platform>:*` (the platform's users) or `credential personal` (the account kinds).")
    by: str = Field(description="Who confirms it.")
    date: date
    note: str | None = Field(default=None, description="How it was done, e.g. 'removed in the Make admin panel'.")

    @field_validator("item")
    @classmethod
    def _item_form(cls, value: str) -> str:
        value = " ".join(value.split())  # as the checklist names it: one space between words
        if not CLOSEOUT_ITEM.match(value):
            raise ValueError("expected 'user <platform>:<e-mail>', 'credential <platform>:<id>', "
                             "'account <service>', 'exports <platform>' or 'runbook <name>'")
        return value


class Closeout(Strict):
    """What closes the engagement, beyond what the snapshot proves."""

    confirmations: list[Confirmation] = Field(default=[], description="Items of the close-out checklist done "
                                              "where the data cannot show it (a user removed after the last "
                                              "sync, a key revoked at the provider).")


class RotationRule(Strict):
    credentials: list[str] = Field(min_length=1, description="Credential refs (platform:id, as on the Access "
                                   "page), e.g. n8n:cred-stripe.")
    every: Duration = Field(description="Rotate these at least this often, e.g. 90d for quarterly.")
    reason: str | None = Field(default=None, description="Where the stricter rule comes from, e.g. a runbook.")


class RotationPolicy(Strict):
    every: Duration = Field(default="365d", description="Every credential in use is rotated at least this often; "
                            "the default, a year, is the longest period common security policies allow.")
    stricter: list[RotationRule] = Field(default=[], description="Shorter periods for named credentials (keys "
                                         "the client rotates quarterly, say).")

    def period_for(self, credential_ref: str) -> timedelta:
        """The shortest period that applies to this credential."""
        periods = [self.every] + [r.every for r in self.stricter if credential_ref in r.credentials]
        return min(timedelta(minutes=minutes(p)) for p in periods)


class ClientConfig(Strict):
    client: ClientInfo
    engagement: Engagement
    contacts: list[Contact] = Field(min_length=1)
    escalation: list[EscalationLevel] = Field(min_length=1)
    response_targets: ResponseTargets
    alerts: list[AlertChannel] = []
    smtp: Smtp | None = None
    change_process: ChangeProcess | None = None
    processors: list[str] = Field(default=[], description="Apps approved to receive personal data (data "
                                  "processors), e.g. HubSpot, Mailchimp.")
    personal_data: list[FlowDecision] = Field(default=[], description="Personal-data flows confirmed or dismissed.")
    retention: list[RetentionRule] = []
    compliance: list[str] = Field(default=[], description="Frameworks in scope, e.g. 'SOC 2', 'PDPA', 'ISO/IEC 27001' "
                            "(as named in generator/checks/frameworks/*.yml); all of them when empty.")
    platforms: list[PlatformConfig] = []
    connected_as: dict[str, Literal["personal", "service"]] = Field(
        default={}, description="Credential ref → the kind of account it is connected with, where the platform "
        "does not say (n8n does: a credential in a person's own project is personal): `personal` (someone's own "
        "login) or `service` (an integration or service account). Applied on sync.")
    credential_scopes: dict[str, list[str]] = Field(
        default={}, description="Credential ref → what it grants, where the platform does not say (n8n and Zapier "
        "do not report a credential's scopes; Make does): the OAuth scopes granted, or e.g. 'full access (standard "
        "secret key)'. Applied on sync to credentials the platform reported no scopes for.")
    mutes: list[Mute] = Field(default=[], description="The consultant's exceptions for single findings (a "
                              "control at one resource, or everywhere), each with a reason and an expiry.")
    actions: list[Action] = Field(default=[], description="The action register: the client's answer to each failed "
                                  "control (owner, due date, status, management response). An accepted action "
                                  "mutes its control like a mute; a failed control without one is open, with no owner.")
    attestations: list[Attestation] = []
    rotation: RotationPolicy = Field(default=RotationPolicy(), description="How often credentials must be "
                                     "rotated by the client's own policy (ACCESS-007, judged at the snapshot's time).")
    thresholds: Thresholds = Thresholds()
    narrative: Narrative = Narrative()
    document: Document = Document()
    accounts: list[Account] = Field(default=[], description="The platform and app accounts, their plans, "
                                    "billing owners and renewal dates, for the close-out checklist.")
    closeout: Closeout = Closeout()

    @field_validator("escalation")
    @classmethod
    def _escalation_names_contacts(cls, levels: list[EscalationLevel], info: ValidationInfo):
        ids = {c.id for c in info.data.get("contacts", [])}
        if not ids:
            return levels  # contacts failed on their own; that error is reported already
        for index, level in enumerate(levels):
            for role in ("primary", "backup"):
                if getattr(level, role) not in ids:
                    raise ValueError(
                        f"item {index} (level {level.level}): {role} '{getattr(level, role)}' is not a "
                        f"contact id; known ids: {', '.join(sorted(ids))}"
                    )
        return levels

    @field_validator("actions")
    @classmethod
    def _one_action_per_control(cls, actions: list[Action]):
        first: dict[str, int] = {}
        for index, action in enumerate(actions):
            if action.control in first:
                raise ValueError(f"item {index}: {action.control} has an action already (item {first[action.control]}); "
                                 "keep one per control")
            first[action.control] = index
        return actions

    def applied_mutes(self) -> list[Mute]:
        """What `assess` mutes findings by: the mutes, and every accepted action as a mute of its control."""
        return self.mutes + [a.as_mute() for a in self.actions if a.status == ActionStatus.accepted]

    def person(self, who: str | None) -> str | None:
        """A contact id as the contact's name; anything else as written."""
        found = next((c for c in self.contacts if c.id == who), None)
        return found.name if found else who

    def contact(self, contact_id: str) -> Contact:
        return next(c for c in self.contacts if c.id == contact_id)

    def signatories(self) -> list[Signatory]:
        """Who signs the handover off: `document.sign_off`, or the consultant and a client representative."""
        consultant = self.engagement.consultant
        return list(self.document.sign_off) or [
            Signatory(role="Prepared by", name=consultant.name, organisation=consultant.company),
            Signatory(role="Accepted for the client", organisation=self.client.name)]

