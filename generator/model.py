"""The normalised snapshot model: one shape for n8n workflows, Make scenarios and Zaps.

Connectors and importers produce these objects; everything downstream (checks, pages, PDF) reads
only these. Platform-specific detail lives in clearly named optional fields, never in branches on the
platform name in templates. `docs/snapshot-schema.md` describes the files for contributors.

Conventions:
- every timestamp is UTC and written as ISO 8601 (`2026-11-20T09:00:00Z`);
- a workflow is referred to elsewhere by its *ref*, `<platform>:<id>` (e.g. `make:4417`);
- a credential by its *ref*, `<platform>:<id>` as well;
- nothing volatile (fetch times of single objects, etags, counters that change on every read) is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, PrivateAttr

from generator.platforms import Platform  # noqa: F401  (part of the model: every object names its platform)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp needs a time zone; write it in UTC, e.g. 2026-11-20T09:00:00Z")
    return value.astimezone(UTC)


def _utc_iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# Timestamps are stored in UTC and written the same way whatever precision or zone they arrive in,
# so diffs stay quiet.
Timestamp = Annotated[
    datetime, AfterValidator(_to_utc), PlainSerializer(_utc_iso, return_type=str, when_used="json")
]


def entered_in(where: str) -> dict:
    """Field metadata for a fact no platform reports: the consultant enters it in client.yml (`where`)
    and the sync copies it into the snapshot. `tests/test_field_coverage.py` reads this marker."""
    return {"entered_in": where}


class Strict(BaseModel):
    """Base for client.yml sections and snapshot objects: unknown keys are errors, so a typo never
    passes silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------------------------------
# Workflows


class TriggerKind(StrEnum):
    schedule = "schedule"
    webhook = "webhook"
    app_event = "app_event"
    manual = "manual"
    sub_workflow = "sub_workflow"
    error = "error"  # runs when another workflow fails (n8n Error Trigger)


class Schedule(Strict):
    description: str = Field(description="Human wording, e.g. 'Every day at 02:00'.")
    cron: str | None = None
    interval_minutes: int | None = Field(default=None, ge=1)
    timezone: str | None = None


class WebhookAuth(StrEnum):
    none = "none"
    basic = "basic"
    header = "header"
    jwt = "jwt"
    signature = "signature"  # provider-signed payloads (Shopify HMAC, Stripe signatures…)
    platform = "platform"  # the platform authenticates the caller itself (e.g. Zapier app triggers)


class Address(Strict):
    """Fingerprints of an address (see `redact.address_fingerprints`): callers and webhooks are matched
    by these, so the snapshot links them without storing an address that acts as a secret."""

    url: str | None = None
    path: str | None = None

    def matches(self, other: Address | None) -> bool:
        return other is not None and (
            (self.url is not None and self.url == other.url) or (self.path is not None and self.path == other.path)
        )


class Webhook(Strict):
    path: str = Field(description="Masked path or URL: webhook addresses act as bearer secrets.")
    method: str | None = None
    auth: WebhookAuth = WebhookAuth.none
    address: Address | None = Field(default=None, description="Fingerprints of the full URL and of the path.")


class Trigger(Strict):
    kind: TriggerKind
    app: str | None = None
    event: str | None = None
    schedule: Schedule | None = None
    webhook: Webhook | None = None
    polling_minutes: int | None = Field(default=None, ge=1)


class StepKind(StrEnum):
    trigger = "trigger"
    action = "action"
    search = "search"
    router = "router"
    condition = "condition"
    transform = "transform"
    code = "code"
    http = "http"
    sub_workflow = "sub_workflow"
    wait = "wait"
    error_handler = "error_handler"
    ai = "ai"


class Access(StrEnum):
    """What a step does with its credential; the over-broad-scope check compares it with the grant."""

    read = "read"
    write = "write"
    none = "none"


class Step(Strict):
    id: str
    name: str
    app: str
    operation: str | None = None
    kind: StepKind = StepKind.action
    access: Access | None = None
    credential: str | None = Field(default=None, description="Credential ref, `<platform>:<id>`.")
    disabled: bool = False
    error_mode: str | None = Field(
        default=None,
        description="What happens when the step fails: stop, continue, retry, or a Make directive "
        "(resume, ignore, break, rollback, commit).",
    )
    calls: str | None = Field(default=None, description="Workflow ref this step starts, if any.")
    target: Address | None = Field(
        default=None, description="HTTP steps: fingerprints of the URL called, matched against webhooks."
    )
    version: str | None = Field(default=None, description="Node type or module version.")
    notes: str | None = None
    data_fields: list[str] = Field(default=[], description="Names of the data fields the step reads or fills "
                                   "(from its mappings and expressions); never values. Feeds the personal-data map.")
    inputs: dict[str, str] = Field(
        default={}, description="Input field → where its value comes from ('step 2: email'), or 'literal' "
        "(the value itself is dropped unless the import was told to keep non-secret literals).")


class Edge(Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    label: str | None = None
    error: bool = Field(default=False, description="True for an error output / error-handler route.")


class RunDataSaving(Strict):
    """What run data the platform keeps for this workflow (matters for retention and privacy)."""

    successful_runs: bool | None = None
    failed_runs: bool | None = None
    manual_runs: bool | None = None
    keep_days: int | None = Field(default=None, deprecated="no platform keeps run data per workflow for a set time: "
                                  "read PlatformFacts.run_data_keep_days", description="Not filled; kept so older "
                                  "snapshots load.")
    confidential: bool | None = Field(default=None, description="Make: run data not stored.")


class WorkflowSettings(Strict):
    error_workflow: str | None = Field(default=None, description="Workflow ref run when this one fails.")
    alerts_on_failure: bool | None = Field(
        default=None, description="The platform notifies someone on failure (Zapier error e-mails, Make alerts).",
        json_schema_extra=entered_in("platforms[].failure_emails"),
    )
    timeout_seconds: int | None = None
    timezone: str | None = None
    sequential: bool | None = None
    max_errors: int | None = None
    store_incomplete: bool | None = Field(default=None, description="Make: failed runs kept as incomplete executions "
                                          "to resolve later.")
    allow_data_loss: bool | None = Field(default=None, description="Make: go on when a bundle cannot be stored.")
    run_data: RunDataSaving | None = None


class SecretRef(Strict):
    """A secret found in a workflow definition and redacted before anything was written: where it was
    and what kind, with a fingerprint to recognise it again. Never the value."""

    step: str | None = Field(default=None, description="Step id; none for workflow-level data (pinned data…).")
    field: str = Field(description="Path inside the platform definition, e.g. parameters.url.")
    kind: str
    fingerprint: str


class AddressKind(StrEnum):
    webhook = "webhook"  # a Webhook trigger's address
    form = "form"  # a Form Trigger's page
    chat = "chat"  # a Chat Trigger's page and endpoint
    resume = "resume"  # a Wait or Form step's resume link, sent out by each waiting run
    app = "app"  # an app trigger's address, registered with the app when the workflow is activated


class PublicAddress(Strict):
    """A public address a step answers on, and what a restore from the export does to it."""

    step: str = Field(description="The step's id.")
    kind: AddressKind
    path: str = Field(description="Masked path: the unguessable part is never stored here.")
    kept: bool = Field(description="True: the export carries the same path or id, so a restore on the same host keeps "
                                   "the address; False: it changes (a run's own link, or a value redacted as a secret).")


class Draft(Strict):
    """n8n 2.x: a newer version saved in the editor but not published. The workflow documented (and
    exported) is the published one, which is what runs."""

    version: str = Field(description="The draft's version id (first 8 characters).")
    saved: Timestamp | None = None
    changes: list[str] = Field(default=[], description="What the draft changes: nodes added, removed or edited.")


class WorkflowVersion(Strict):
    """One saved version from the platform's history (n8n 2.x `GET /workflows/{id}/history`), kept across
    syncs beyond the platform's own retention."""

    version: str = Field(description="Version id (first 8 characters).")
    saved: Timestamp | None = None
    authors: str | None = None


class Workflow(Strict):
    platform: Platform
    id: str
    name: str
    description: str | None = None
    active: bool = False
    archived: bool = False
    folder: str | None = Field(default=None, description="n8n project, Make team/folder, Zapier folder.")
    tags: list[str] = []
    owner: str | None = None
    created: Timestamp | None = None
    updated: Timestamp | None = None
    version: str | None = None
    source_url: str | None = None
    draft: Draft | None = Field(default=None, description="n8n 2.x: a newer unpublished draft exists.")
    history: list[WorkflowVersion] = Field(default=[], description="Saved versions, newest first.")
    trigger: Trigger
    steps: list[Step] = Field(default=[], description="Empty for a workflow saved with no nodes yet.")
    edges: list[Edge] = []
    settings: WorkflowSettings = WorkflowSettings()
    notes: list[str] = Field(default=[], description="Sticky notes and other in-editor documentation.")
    secrets: list[SecretRef] = Field(default=[], description="Hardcoded secrets found (and redacted) on sync.")
    addresses: list[PublicAddress] = Field(default=[], description="Public addresses (webhooks, forms, chats, resume "
                                           "links) and whether a restore keeps them.")

    @property
    def ref(self) -> str:
        return f"{self.platform.value}:{self.id}"

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


# --------------------------------------------------------------------------------------------------
# Credentials, users, platform facts


class StepRef(Strict):
    workflow: str
    step: str


class Credential(Strict):
    platform: Platform
    id: str
    name: str
    app: str
    type: str | None = None
    scopes: list[str] = Field(default=[], description="What it grants. Make: from the connection; n8n and Zapier "
                              "do not report it: client.yml credential_scopes.",
                              json_schema_extra=entered_in("credential_scopes"))
    owner: str | None = None
    service_account: bool | None = Field(
        default=None, description="False: connected with a person's own account; True: a service account. n8n: "
        "from the owning project (personal or team); elsewhere entered in client.yml.",
        json_schema_extra=entered_in("connected_as"))
    shared_with: list[str] = []
    used_by: list[StepRef] = []
    created: Timestamp | None = None
    updated: Timestamp | None = None
    expires: Timestamp | None = None
    last_used: Timestamp | None = None

    @property
    def ref(self) -> str:
        return f"{self.platform.value}:{self.id}"


class User(Strict):
    platform: Platform
    name: str
    email: str | None = None
    role: str
    service_account: bool = False
    disabled: bool = Field(default=False, deprecated="no platform API reports a disabled user", description="Not "
                           "filled; kept so older snapshots load.")
    last_active: Timestamp | None = None


class AuditFinding(Strict):
    """A finding reported by the platform itself (n8n's security audit)."""

    section: str
    title: str
    description: str | None = None
    recommendation: str | None = None
    locations: int | None = None


class PlatformUpdate(Strict):
    """A newer platform version the platform says is available (n8n: the audit's "Outdated instance")."""

    version: str
    released: Timestamp | None = None
    security_fix: bool = False
    breaking_change: bool = False
    description: str | None = None


class NotCollected(Strict):
    section: str
    reason: str
    kept_since: Timestamp | None = Field(default=None, description="The section kept its values from the sync "
                                         "of this date (the key could not read it this time).")


class NotDocumented(Strict):
    """A workflow the sync or import could not normalise: kept at its previous version, or left out if new."""

    workflow: str = Field(description="Workflow ref.")
    name: str = Field(description="Its name, redacted.")
    reason: str
    kept_since: Timestamp | None = Field(default=None, description="The previous version kept, from this date; "
                                         "none when the workflow is new (left out).")


class Figure(Strict):
    value: float
    change: float | None = Field(default=None, description="Difference from the period of the same length before "
                                 "(n8n's `deviation`); None when the platform has no earlier period.")


class Insights(Strict):
    """The platform's own summary of production runs (n8n `GET /insights/summary`), over the `days` before
    the sync, with the change from the period before."""

    project: str | None = Field(default=None, description="The project it covers; None: the whole instance.")
    days: int = 7
    runs: Figure
    failed: Figure
    failure_rate: Figure = Field(description="Failed runs over runs, 0 to 1.")
    time_saved_minutes: Figure
    average_run_ms: Figure


class PlatformFacts(Strict):
    platform: Platform
    name: str
    url: str | None = None
    version: str | None = None
    synced: Timestamp | None = None
    source: str = Field(default="api", description="api or import.")
    settings: dict[str, str | int | bool] = Field(default={}, description="What the platform reports about itself, "
                                                  "for display only: checks read typed fields, never these labels.")
    run_data_keep_days: int | None = Field(default=None, description="Days the platform keeps run data before pruning it.",
                                           json_schema_extra=entered_in("platforms[].run_data_keep_days"))
    audit: list[AuditFinding] = []
    not_collected: list[NotCollected] = []
    key_scopes: list[str] = Field(default=[], description="The minimal scopes the sync key needs.")
    updates: list[PlatformUpdate] = Field(default=[], description="Newer versions available, newest first.")
    not_documented: list[NotDocumented] = Field(default=[], description="Workflows that could not be read, "
                                                "with the reason.")
    insights: list[Insights] = Field(default=[], description="The platform's own run summary: the instance first, "
                                     "then each project where licensed.")
    insights_unavailable: str | None = Field(default=None, description="Why there is no run summary, in the "
                                             "client's words (the plan or version does not offer it, or the key "
                                             "cannot read it).")


# --------------------------------------------------------------------------------------------------
# Run statistics


class Durations(Strict):
    p50_ms: int
    p95_ms: int
    max_ms: int


class ErrorGroup(Strict):
    message: str = Field(description="Normalised and redacted: numbers, ids and quoted values folded.")
    step: str | None = None
    count: int = Field(ge=1)
    last_seen: Timestamp | None = None


class DailyBucket(Strict):
    day: date
    runs: int = Field(ge=0)
    failed: int = Field(ge=0)
    p95_ms: int | None = None


class RunStats(Strict):
    workflow: str = Field(description="Workflow ref.")
    window_start: Timestamp
    window_end: Timestamp
    statuses: dict[str, int] = Field(default={}, description="Run counts by normalised status: success, failed, filtered (stopped by a filter), "
                                     "cancelled, running, unknown.")
    durations: Durations | None = None
    last_run: Timestamp | None = None
    last_success: Timestamp | None = None
    last_failure: Timestamp | None = None
    top_errors: list[ErrorGroup] = []
    daily: list[DailyBucket] = Field(default=[], description="Kept across syncs, oldest first.")
    incomplete: int | None = Field(default=None, description="Make: incomplete executions waiting to be resolved.")
    operations: int | None = Field(default=None, description="Make: operations the runs in the window consumed.")
    transfer_bytes: int | None = Field(default=None, description="Make: data the runs in the window transferred.")

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        return self.statuses.get("failed", 0)

    @property
    def success_rate(self) -> float | None:
        finished = self.statuses.get("success", 0) + self.failed
        return None if finished == 0 else self.statuses.get("success", 0) / finished


# --------------------------------------------------------------------------------------------------
# The snapshot as a whole


SCHEMA_VERSION = 1  # of the snapshot files; raise it with a migration in store/migrations.py


class SnapshotMeta(Strict):
    taken: Timestamp = Field(description="When the newest source in this snapshot was collected.")
    schema_version: int = Field(default=SCHEMA_VERSION, description="The layout of the snapshot files; older "
                                "ones are migrated when read.")


class Snapshot(Strict):
    meta: SnapshotMeta
    platforms: list[PlatformFacts] = []
    workflows: list[Workflow] = []
    credentials: list[Credential] = []
    users: list[User] = []
    runs: list[RunStats] = []

    _index: tuple | None = PrivateAttr(default=None)

    def _lookup(self) -> tuple[dict, dict, dict]:
        """Ref → object maps, built once and rebuilt only when a list is replaced or changes length
        (checks and templates look things up inside loops; a scan each time is quadratic)."""
        key = tuple((id(items), len(items)) for items in (self.workflows, self.credentials, self.runs))
        if self._index is None or self._index[0] != key:
            self._index = (
                key,
                {w.ref: w for w in self.workflows},
                {c.ref: c for c in self.credentials},
                {r.workflow: r for r in self.runs},
            )
        return self._index[1:]

    def workflow(self, workflow_ref: str) -> Workflow | None:
        return self._lookup()[0].get(workflow_ref)

    def credential(self, credential_ref: str) -> Credential | None:
        return self._lookup()[1].get(credential_ref)

    def runs_for(self, workflow_ref: str) -> RunStats | None:
        return self._lookup()[2].get(workflow_ref)

