"""n8n: import of exported workflow JSON (one workflow per file, or a list of them)."""

from __future__ import annotations

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext, problem
from generator.connectors.n8n.native import native
from generator.connectors.n8n.workflow import PLATFORM, credentials_from_workflows, normalise
from generator.model import PlatformFacts, Workflow
from generator.redact import Redacted, redact_document


def import_documents(documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
    """Parsed export files (label, JSON) → Collected. A file holds one workflow or a list of them.
    `platform` is the client's n8n platform, if any (for the instance URL)."""
    name = platform.name if platform else "n8n"
    base_url = platform.base_url if platform else None
    raws: list[Redacted] = []
    problems: list[str] = []
    workflows: list[Workflow] = []
    for label, document in documents:
        items = document if isinstance(document, list) else [document]
        for index, raw in enumerate(items):
            where = label if len(items) == 1 else f"{label}: item {index}"
            if not isinstance(raw, dict):
                problems.append(f"{where}: expected a workflow object (with 'nodes' and 'connections')")
                continue
            redacted = redact_document(raw)  # the one boundary: nothing below sees the raw workflow
            try:
                workflows.append(normalise(redacted, base_url=base_url))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                problems.append(f"{where}: {exc}")
                continue
            raws.append(redacted)
    exports = {w.id: native(r) for w, r in zip(workflows, raws, strict=True)}
    if problems:
        raise problem("; ".join(problems), "fix or leave out these files and import again")
    facts = PlatformFacts(platform=PLATFORM, name=name, url=base_url, synced=ctx.now, source="import")
    return Collected(facts=facts, workflows=workflows, credentials=credentials_from_workflows(workflows, [r.tree for r in raws]),
                     users=None, runs=None, replace_all=False, exports=exports)
