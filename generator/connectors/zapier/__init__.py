"""Zapier: the Workflow API (OAuth bearer token) and the account data export.

`zap` normalises one Zap from either shape (one normaliser, two readers), `native` writes its
native export, `api` syncs an account, `files` imports the export (JSON files or its ZIP). API
facts: docs/platforms.md.
"""

from __future__ import annotations

from generator.connectors.base import PackageConnector
from generator.connectors.zapier import api, files
from generator.platforms import SPECS, Platform

connector = PackageConnector(SPECS[Platform.zapier], api, files, read=files.read_files)

__all__ = ["connector"]
