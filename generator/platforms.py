"""What the tool knows about each platform, as data: one `PlatformSpec` per platform in `SPECS`.

Everything that differs by platform and is not code lives here — names, the settings a sync needs,
the key scopes, the rate limit, the how-to wording of the pages — so templates, checks and the
sync orchestrator never branch on a platform's name. The code that talks to a platform is its
connector (`generator/connectors/<kind>/`); `docs/platforms.md` has the API facts behind both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Platform(StrEnum):
    """A platform kind, as client.yml (`kind:`) and the snapshot (`platform:`) write it."""

    n8n = "n8n"
    make = "make"
    zapier = "zapier"

    @property
    def spec(self) -> PlatformSpec:
        return SPECS[self]

    @property
    def label(self) -> str:
        return SPECS[self].label

    @property
    def workflow_noun(self) -> str:
        return SPECS[self].workflow_noun


@dataclass(frozen=True)
class Guide:
    """How-to wording for the runbook and backup pages (Markdown, written for the client's staff)."""

    rerun: str
    rollback: str  # completes "restore the previous version …"
    restore: tuple[str, ...]  # steps to recreate a workflow from its native export
    # What happens to the work that arrives while a workflow is switched off, by how it is started
    # ("webhook", "app_event" for an app's instant trigger, "polling" for an app trigger that checks on a
    # timer, "schedule", "sub_workflow"); a kind not listed: not known for the platform.
    paused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimit:
    """The platform's request limit: `per_minute` requests in any minute; a 429 without `Retry-After`
    waits `cooldown` of a minute before the retry."""

    per_minute: int
    cooldown: float


@dataclass(frozen=True)
class PlatformSpec:
    kind: Platform
    label: str  # as the platform writes its own name
    workflow_noun: str  # what the platform calls a workflow
    required: tuple[str, ...]  # client.yml platform settings a sync cannot do without
    key_scopes: tuple[str, ...]  # the minimal read-only scopes, in the order sync uses them
    credential_word: str  # what the platform calls the secret a sync reads with
    rate_limit: RateLimit | None  # None: the platform sets no limit (self-hosted n8n)
    guide: Guide
    # Import: True when the export files only make sense read together (Zapier's ZIP, or its Zapfile with
    # zap_data.json); otherwise each file is one document, parsed as it is imported.
    files_together: bool = False
    # What the platform itself can tell, so the checks know what can be judged where:
    security_audit: bool = False  # a built-in security audit, which also names updates (n8n's POST /audit)
    self_hosted: bool = False  # the client applies updates; cloud platforms are updated by their vendor
    missing_credentials: bool = False  # a step can keep naming a credential deleted on the instance (n8n)
    drafts: bool = False  # a saved draft can differ from the version that runs (n8n 2.x)


SPECS: dict[Platform, PlatformSpec] = {
    Platform.n8n: PlatformSpec(
        security_audit=True, self_hosted=True, missing_credentials=True, drafts=True,
        kind=Platform.n8n, label="n8n", workflow_noun="workflow",
        required=("api_key_env", "base_url"),
        # Only workflow:list is essential; each other scope adds a section.
        key_scopes=("workflow:list", "workflow:read", "execution:list", "execution:read", "credential:list", "project:list",
                    "user:list", "tag:list", "variable:list", "securityAudit:generate", "insights:read"),
        credential_word="key",
        rate_limit=None,
        guide=Guide(
            rerun="in n8n open *Executions*, pick the failed run and choose *Retry* (with the saved or the current "
                  "version of the workflow).",
            rollback="from the workflow's version history in n8n",
            restore=(
                "In n8n choose *Create workflow → Import from file* (or run `n8n import:workflow --input=<file>`).",
                "Re-link each credential listed on the workflow's page: credentials are never part of an export.",
                "Re-attach the error workflow under *Settings*, then activate the workflow.",
            ),
            paused={
                "webhook": "n8n answers calls to its webhook with “404 Not Found” while it is off: the events are "
                           "lost unless the caller retries them later.",
                "app_event": "n8n removes its subscription in {app} while it is off: events in that time are not "
                             "delivered, and not replayed when it is switched back on.",
                "polling": "{app} is not checked while it is off; when it is switched back on n8n checks from "
                           "the time of its last check, so new items are processed late, not lost.",
                "schedule": "Runs that fall due while it is off are skipped, not caught up: run it once by hand "
                            "after switching it back on.",
                "sub_workflow": "Switching it off does not stop it: n8n runs a sub-workflow whether or not it is "
                                "active. To pause it, pause the workflows that start it.",
                "error": "While it is off, the failures of the workflows it watches tell nobody.",
            },
        ),
    ),
    Platform.make: PlatformSpec(
        kind=Platform.make, label="Make", workflow_noun="scenario",
        required=("api_key_env",),
        key_scopes=("user:read", "organizations:read", "teams:read", "scenarios:read", "connections:read",
                    "hooks:read", "datastores:read", "dlqs:read"),
        credential_word="token",
        # The organisation's plan sets the real limit (read on sync); 60 until it is known.
        rate_limit=RateLimit(per_minute=60, cooldown=0.25),
        guide=Guide(
            rerun="in Make open the scenario's *History* (or *Incomplete executions*, when they are stored) and "
                  "resolve or re-run the failed runs.",
            rollback="from the scenario's blueprint versions in Make",
            restore=(
                "In Make create a scenario and choose *Import blueprint*.",
                "Re-select each connection and webhook on the modules: connections are never part of a blueprint.",
                "Set the schedule, then switch the scenario on.",
            ),
            paused={
                "webhook": "Make keeps the calls to its webhook in the webhook's queue while it is off and "
                           "processes them when it is switched back on: nothing is lost unless the queue fills up.",
                "app_event": "Make keeps the events {app} sends in the webhook's queue while it is off and processes "
                             "them when it is switched back on: nothing is lost unless the queue fills up.",
                "polling": "Make's watch trigger remembers the last item it processed: when the scenario is switched "
                           "back on it processes what arrived meanwhile, late but not lost.",
                "schedule": "Runs that fall due while it is off are skipped, not caught up: run it once by hand "
                            "after switching it back on.",
            },
        ),
    ),
    Platform.zapier: PlatformSpec(
        files_together=True, kind=Platform.zapier, label="Zapier", workflow_noun="Zap",
        required=("api_key_env",),
        key_scopes=("profile", "zap:all", "zap:account:all", "zap:runs", "authentication"),
        credential_word="token",
        rate_limit=RateLimit(per_minute=60, cooldown=1.0),  # per IP; a 429 asks for a 60 s cooldown
        guide=Guide(
            rerun="in Zapier open *Zap history*, select the errored runs and choose *Replay*.",
            rollback="from the Zap's version history in Zapier",
            restore=(
                "Ask the Zapier account owner to restore the Zap from its version history, or rebuild it from the "
                "step list on its page.",
                "Re-connect each app account listed on the Zap's page.",
                "Test each step, then publish the Zap.",
            ),
            paused={
                "webhook": "Calls to the Zap's webhook while it is off are not processed: they are lost unless "
                           "the caller retries them later.",
                "app_event": "What {app} sends while the Zap is off is not processed, and not replayed when it "
                             "is switched back on: enter those records by hand.",
                "polling": "When the Zap is switched back on, Zapier skips what arrived in {app} while it was "
                           "off: those records are lost to this Zap and must be entered by hand.",
                "schedule": "Runs that fall due while it is off are skipped, not caught up: run it once by hand "
                            "after switching it back on.",
            },
        ),
    ),
}
