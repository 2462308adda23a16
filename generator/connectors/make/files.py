"""Make: import of exported blueprints (one scenario per file)."""

from __future__ import annotations

from generator.config import PlatformConfig
from generator.connectors.base import (
    NORMALISE_ERRORS,
    Collected,
    Documents,
    ImportIds,
    Rejected,
    SyncContext,
    failure,
    nothing_importable,
)
from generator.connectors.make.api import base_url
from generator.connectors.make.blueprint import PLATFORM, credentials_from_workflows, native, normalise, unwrap
from generator.model import PlatformFacts
from generator.redact import redact_document
from generator.store.exports import export_file
from generator.store.spill import Workflows


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Parsed blueprint files (label, JSON) → Collected; `platform` is the client's Make platform, if any.
    A file that cannot be read is rejected with its reason; the others are imported."""
    name = platform.name if platform else "Make"
    host = base_url(platform)[1] if platform and (platform.base_url or platform.zone) else None
    ids = ImportIds(ctx)
    rejected, workflows, exports = [], Workflows(), {}  # workflows and exports spilled as they come
    for label, document in documents:
        if isinstance(document, Rejected):
            rejected.append(document.reason)
            continue
        if not isinstance(document, dict):
            rejected.append(f"{label}: expected a blueprint object (with 'flow')")
            continue
        try:
            # A blueprint carries no scenario id: the id is derived from the file and its content.
            redacted = redact_document(document)  # the one boundary: nothing below sees the raw blueprint
            workflow = ids.assign(normalise(redacted, host=host, fallback_id="blueprint"), label,
                                  unwrap(redacted.tree), platform_id=False)
            if workflow is None:
                continue
            exports[workflow.id] = workflows.spill.put(export_file(native(redacted)))
        except NORMALISE_ERRORS as exc:
            rejected.append(f"{label}: {failure(exc)}")
            continue
        workflows.append(workflow)
    if not workflows:
        raise nothing_importable("Make blueprint", rejected)
    facts = PlatformFacts(platform=PLATFORM, name=name, url=f"https://{host}" if host else None, synced=ctx.now,
                          source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows, []),
                     users=None, runs=None, replace_all=False, exports=exports, rejected=rejected,
                     renamed=ids.renamed)
