"""n8n: import of exported workflow JSON (one workflow per file, or a list of them)."""

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
from generator.connectors.n8n.native import native
from generator.connectors.n8n.workflow import PLATFORM, credentials_from_workflows, normalise
from generator.model import Credential, PlatformFacts
from generator.redact import redact_document
from generator.store.exports import export_file
from generator.store.spill import Spilled, Workflows


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Parsed export files (label, JSON) → Collected. A file holds one workflow or a list of them; each
    that cannot be read is rejected with its reason and the others are imported. `platform` is the
    client's n8n platform, if any (for the instance URL)."""
    name = platform.name if platform else "n8n"
    base_url = platform.base_url if platform else None
    ids = ImportIds(ctx)
    rejected: list[str] = []
    workflows = Workflows()  # spilled as they come: a large import holds a few bytes per workflow
    exports: dict[str, Spilled] = {}
    credentials: dict[str, Credential] = {}
    for label, document in documents:
        if isinstance(document, Rejected):
            rejected.append(document.reason)
            continue
        items = document if isinstance(document, list) else [document]
        if not items:
            rejected.append(f"{label}: an empty list; expected a workflow (with 'nodes' and 'connections')")
        for index, raw in enumerate(items):
            where = label if len(items) == 1 else f"{label}: item {index}"
            if not isinstance(raw, dict):
                rejected.append(f"{where}: expected a workflow object (with 'nodes' and 'connections')")
                continue
            try:
                redacted = redact_document(raw)  # the one boundary: nothing below sees the raw workflow
                workflow = ids.assign(normalise(redacted, base_url=base_url), where, redacted.tree,
                                      platform_id=bool(raw.get("id")))
                if workflow is not None:
                    exports[workflow.id] = workflows.spill.put(export_file(native(redacted)))
            except NORMALISE_ERRORS as exc:
                rejected.append(f"{where}: {failure(exc)}")
                continue
            if workflow is not None:
                workflows.append(workflow)
                for credential in credentials_from_workflows([workflow], [redacted.tree]):
                    credentials.setdefault(credential.id, credential)
    if not workflows:
        raise nothing_importable("n8n workflow", rejected)
    facts = PlatformFacts(platform=PLATFORM, name=name, url=base_url, synced=ctx.now, source="import")
    return Collected(facts=facts, workflows=workflows, credentials=list(credentials.values()),
                     users=None, runs=None, replace_all=False, exports=exports, rejected=rejected,
                     renamed=ids.renamed)
