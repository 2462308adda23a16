"""How-to wording that differs by platform, in one place, so templates never branch on a platform."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import Platform


@dataclass(frozen=True)
class Guide:
    rerun: str
    rollback: str
    restore: tuple[str, ...]


GUIDES: dict[Platform, Guide] = {
    Platform.n8n: Guide(
        rerun="in n8n open *Executions*, pick the failed run and choose *Retry* (with the saved or the current version of the workflow).",
        rollback="from the workflow's version history in n8n",
        restore=(
            "In n8n choose *Create workflow → Import from file* (or run `n8n import:workflow --input=<file>`).",
            "Re-link each credential listed on the workflow's page: credentials are never part of an export.",
            "Re-attach the error workflow under *Settings*, then activate the workflow.",
        ),
    ),
    Platform.make: Guide(
        rerun="in Make open the scenario's *History* (or *Incomplete executions*, when they are stored) and resolve or re-run the failed runs.",
        rollback="from the scenario's blueprint versions in Make",
        restore=(
            "In Make create a scenario and choose *Import blueprint*.",
            "Re-select each connection and webhook on the modules: connections are never part of a blueprint.",
            "Set the schedule, then switch the scenario on.",
        ),
    ),
    Platform.zapier: Guide(
        rerun="in Zapier open *Zap history*, select the errored runs and choose *Replay*.",
        rollback="from the Zap's version history in Zapier",
        restore=(
            "Ask the Zapier account owner to restore the Zap from its version history, or rebuild it from the step list on its page.",
            "Re-connect each app account listed on the Zap's page.",
            "Test each step, then publish the Zap.",
        ),
    ),
}
