"""`handover check`: the security baseline for one client, for people or for tools.

Compares the client with every other client first (isolation.yml, naming no other client), then
gathers the evidence and assesses it. Loads nothing of the rendering stack.
"""

from __future__ import annotations

from generator.checks import REGISTRY, Severity, assess, report
from generator.checks.actions import register, require_known
from generator.commands import Result
from generator.errors import EXIT_FINDINGS, InputError
from generator.evidence import gather, isolation
from generator.store import snapshot
from generator.store.workspace import Client

FORMATS = ("table", "json", "csv", "sarif")


def catalogue() -> Result:
    """`check --list`: every control of the baseline."""
    return Result().table(["Control", "Area", "Severity", "Kind", "Title", "Frameworks"], report.catalogue(),
                          title="The security baseline")


def run(client: Client, format: str = "table", fail_on: str | None = None, only: list[str] | None = None) -> Result:
    if only:
        known = {c.id for c in REGISTRY}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise InputError([f"--only {', '.join(unknown)}: no such control (see `handover check --list`)"])
    require_known(client.config, client.config_path)
    isolation.save(client.dir, isolation.compare(client.root, client.slug, snapshot.load(client.snapshot_dir)))
    evidence = gather(client)
    assessment = assess(evidence, only)
    findings, open_ = assessment.findings, assessment.open_findings
    locate = report.Locator(client.slug, evidence.snapshot)
    entries = register(assessment, evidence.config, evidence.now.date())
    result = Result()
    if format == "json":
        result.output = report.as_json(assessment, locate, entries)
    elif format == "csv":
        result.output = report.as_csv(assessment, locate, entries)
    elif format == "sarif":
        result.output = report.as_sarif(assessment, locate)
    else:
        rows = [[f.check.severity.name + (" (muted)" if f.muted else ""), f"{f.check.id} {f.check.title}", f.label,
                 f.evidence] for f in findings]
        result.table(["Severity", "Check", "Where", "Evidence"], rows,
                     title=f"{evidence.config.client.name}: security baseline")
        unjudged = [[c.id, c.status.replace("_", " "), c.reason] for c in assessment.controls if c.reason]
        if unjudged:
            result.table(["Control", "Status", "Why"], unjudged, title="Not judged")
        counts = assessment.counts()
        result.say(f"{len(assessment.controls)} controls: {counts['pass']} pass, {counts['fail']} fail, "
                   f"{counts['not_assessed']} not assessed, {counts['not_applicable']} not applicable; "
                   f"{len(open_)} open findings, {len(findings) - len(open_)} muted")
    result.record(client, "check", "ok", f"{len(open_)} open findings, {len(findings) - len(open_)} muted")
    if fail_on and any(f.check.severity >= Severity[fail_on] for f in open_):
        result.exit_code = EXIT_FINDINGS
    return result
