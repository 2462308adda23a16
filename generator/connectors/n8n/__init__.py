"""n8n: the public API (`/api/v1`, key in `X-N8N-API-KEY`) and exported workflow JSON.

`workflow` normalises one workflow (sync and import share it), `native` writes the export n8n
imports back, `api` syncs an instance, `files` imports export files. API facts: docs/platforms.md.
"""

from __future__ import annotations

from generator.connectors.base import PackageConnector
from generator.connectors.n8n import api, files
from generator.connectors.n8n.workflow import normalise
from generator.platforms import SPECS, Platform

connector = PackageConnector(SPECS[Platform.n8n], api, files)

__all__ = ["connector", "normalise"]
