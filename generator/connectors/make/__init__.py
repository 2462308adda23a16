"""Make (make.com): the API v2 (`Authorization: Token …`) and exported blueprints.

`blueprint` normalises one scenario blueprint (sync and import share it) and writes the native
export, `api` syncs an organisation, `files` imports blueprint files. API facts: docs/platforms.md.
"""

from __future__ import annotations

from generator.connectors.base import PackageConnector
from generator.connectors.make import api, files
from generator.connectors.make.blueprint import normalise
from generator.platforms import SPECS, Platform

connector = PackageConnector(SPECS[Platform.make], api, files)

__all__ = ["connector", "normalise"]
