"""Make (make.com): the API v2 (`Authorization: Token …`) and exported blueprints.

`blueprint` normalises one scenario blueprint (sync and import share it) and writes the native
export, `api` syncs an organisation, `files` imports blueprint files. API facts: docs/platforms.md.
"""

from __future__ import annotations

from pathlib import Path

from generator.config import PlatformConfig
from generator.connectors.base import Collected, Documents, SyncContext, read_json_files
from generator.connectors.make import api, files
from generator.connectors.make.blueprint import normalise
from generator.platforms import SPECS, Platform


class Make:
    spec = SPECS[Platform.make]

    def sync(self, platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
        return api.sync(platform, key, ctx)

    def read_files(self, paths: list[Path]) -> Documents:
        return read_json_files(paths)

    def import_documents(self, documents: Documents, platform: PlatformConfig | None, ctx: SyncContext) -> Collected:
        return files.import_documents(documents, platform, ctx)


connector = Make()

__all__ = ["connector", "normalise"]
