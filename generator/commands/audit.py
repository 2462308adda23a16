"""`handover audit`: the audit trail (`clients/<client>/audit.log`) as CSV or JSON."""

from __future__ import annotations

from generator.commands import Result
from generator.store import audit
from generator.store.workspace import Client


def run(client: Client, format: str = "csv") -> Result:
    return Result(output=audit.export(audit.read(client), format))
