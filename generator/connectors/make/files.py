"""Make: import of exported blueprints (one scenario per file)."""

from __future__ import annotations

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext, problem
from generator.connectors.make.api import base_url
from generator.connectors.make.blueprint import PLATFORM, credentials_from_workflows, native, normalise
from generator.model import PlatformFacts
from generator.redact import redact_document


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Parsed blueprint files (label, JSON) → Collected; `platform` is the client's Make platform, if any."""
    name = platform.name if platform else "Make"
    host = base_url(platform)[1] if platform and (platform.base_url or platform.zone) else None
    problems, workflows, exports, raws = [], [], {}, []
    for label, document in documents:
        if not isinstance(document, dict):
            problems.append(f"{label}: expected a blueprint object (with 'flow')")
            continue
        redacted = redact_document(document)  # the one boundary: nothing below sees the raw blueprint
        try:
            workflows.append(normalise(redacted, host=host))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"{label}: {exc}")
            continue
        exports[workflows[-1].id] = native(redacted)
        raws.append(redacted.tree)
    if problems:
        raise problem("; ".join(problems), "fix or leave out these files and import again")
    facts = PlatformFacts(platform=PLATFORM, name=name, url=f"https://{host}" if host else None, synced=ctx.now,
                          source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows, raws),
                     users=None, runs=None, replace_all=False, exports=exports)
