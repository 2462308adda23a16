"""n8n: the public API (`/api/v1`, key in `X-N8N-API-KEY`) and exported workflow JSON.

`workflow` normalises one workflow (sync and import share it), `native` writes the export n8n
imports back, `api` syncs an instance, `files` imports export files. API facts: docs/platforms.md.
"""

from __future__ import annotations

from pathlib import Path

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext, read_json_files
from generator.connectors.n8n import api, files
from generator.connectors.n8n.workflow import normalise
from generator.platforms import SPECS, Platform


class N8n:
    spec = SPECS[Platform.n8n]

    def sync(self, platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
        return api.sync(platform, key, ctx)

    def read_files(self, paths: list[Path]) -> Documents:
        return read_json_files(paths)

    def import_documents(self, documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
        return files.import_documents(documents, platform, ctx)


connector = N8n()

__all__ = ["connector", "normalise"]
