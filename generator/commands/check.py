"""`handover check`: the security baseline for one client, for people or for tools.

Compares the client with every other client first (isolation.yml, naming no other client), then
gathers the evidence and assesses it. Loads nothing of the rendering stack.
"""

from __future__ import annotations

from generator.checks import Severity, assess, report
from generator.commands import Result
from generator.errors import EXIT_FINDINGS
from generator.evidence import gather, isolation
from generator.store import snapshot
from generator.store.workspace import Client

FORMATS = ("table", "json", "csv", "sarif")


def run(client: Client, format: str = "table", fail_on: str | None = None) -> Result:
    isolation.save(client.dir, isolation.compare(client.root, client.slug, snapshot.load(client.snapshot_dir)))
    evidence = gather(client)
    assessment = assess(evidence)
    findings, open_ = assessment.findings, assessment.open_findings
    result = Result()
    if format == "json":
        result.output = report.as_json(findings)
    elif format == "csv":
        result.output = report.as_csv(findings)
    elif format == "sarif":
        result.output = report.as_sarif(findings, client.slug, {w.ref for w in evidence.snapshot.workflows},
                                        {c.ref for c in evidence.snapshot.credentials})
    else:
        rows = [[f.check.severity.name + (" (muted)" if f.muted else ""), f"{f.check.id} {f.check.title}", f.label,
                 f.evidence] for f in findings]
        result.table(["Severity", "Check", "Where", "Evidence"], rows,
                     title=f"{evidence.config.client.name}: security baseline")
        result.say(f"{len(open_)} open, {len(findings) - len(open_)} muted")
    result.record(client, "check", "ok", f"{len(open_)} open findings, {len(findings) - len(open_)} muted")
    if fail_on and any(f.check.severity >= Severity[fail_on] for f in open_):
        result.exit_code = EXIT_FINDINGS
    return result
