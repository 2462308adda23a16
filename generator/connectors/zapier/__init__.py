"""Zapier: the Workflow API (OAuth bearer token) and the account data export.

`zap` normalises one Zap from either shape (one normaliser, two readers), `native` writes its
native export, `api` syncs an account, `files` imports the export (JSON files or its ZIP). API
facts: docs/platforms.md.
"""

from __future__ import annotations

from pathlib import Path

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext
from generator.connectors.zapier import api, files
from generator.platforms import SPECS, Platform


class Zapier:
    spec = SPECS[Platform.zapier]

    def sync(self, platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
        return api.sync(platform, key, ctx)

    def read_files(self, paths: list[Path]) -> Documents:
        return files.read_files(paths)

    def import_documents(self, documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
        return files.import_documents(documents, platform, ctx)


connector = Zapier()

__all__ = ["connector"]
