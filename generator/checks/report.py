"""Findings for tools: JSON rows, CSV for spreadsheets, SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from generator import __version__
from generator.checks import REGISTRY, Finding, Severity
from generator.formats import csv_cell
from generator.store.snapshot import file_stem

LEVEL = {Severity.critical: "error", Severity.high: "error", Severity.medium: "warning", Severity.low: "note",
         Severity.info: "note"}
SECURITY_SEVERITY = {Severity.critical: "9.5", Severity.high: "8.0", Severity.medium: "5.5", Severity.low: "3.0",
                     Severity.info: "1.0"}
CSV_FIELDS = ("id", "check", "title", "severity", "area", "status", "location", "label", "evidence", "remediation",
              "soc2", "pdpa", "mode", "mute_reason", "mute_expires")


def row(f: Finding) -> dict:
    return {"id": f.id, "check": f.check.id, "title": f.check.title, "severity": f.check.severity.name,
            "area": f.check.area, "status": "muted" if f.muted else "open", "location": f.location, "label": f.label,
            "evidence": f.evidence, "remediation": f.check.remediation, "soc2": list(f.check.soc2),
            "pdpa": list(f.check.pdpa), "mode": f.check.mode, "muted": f.muted,
            "mute_reason": f.mute.reason if f.mute else None,
            "mute_expires": f.mute.expires.isoformat() if f.mute else None}


def as_json(findings: list[Finding]) -> str:
    return json.dumps([row(f) for f in findings], indent=2, ensure_ascii=False) + "\n"


def as_csv(findings: list[Finding]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for f in findings:
        cells = {**row(f), "soc2": " ".join(f.check.soc2), "pdpa": "; ".join(f.check.pdpa)}
        writer.writerow({key: csv_cell(value) for key, value in cells.items()})
    return out.getvalue()


def artifact(slug: str, location: str, workflows: set[str], credentials: set[str]) -> str:
    """The file in the repository that holds the evidence for a finding's location."""
    base = f"clients/{slug}"
    if location in workflows:
        platform, _, ident = location.partition(":")
        return f"{base}/snapshot/workflows/{platform}/{file_stem(ident)}.yml"
    if location in credentials:
        return f"{base}/snapshot/credentials.yml"
    kind = location.split(":", 1)[0]
    if kind in ("n8n", "make", "zapier"):
        return f"{base}/snapshot/platforms.yml"
    if kind in ("incident", "runbook"):
        return f"{base}/{kind}s/"
    return f"{base}/client.yml"


def as_sarif(findings: list[Finding], slug: str, workflow_refs: set[str] = frozenset(),
             credential_refs: set[str] = frozenset()) -> str:
    """SARIF 2.1.0: one rule per check of the baseline, one result per finding; muted findings carry an
    external suppression with the reason from client.yml."""
    checks = sorted(REGISTRY, key=lambda c: c.id)
    index = {c.id: i for i, c in enumerate(checks)}
    rules = [{
        "id": c.id,
        "name": "".join(w.capitalize() for w in c.title.replace("'", "").split() if w.isalnum()),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.rationale},
        "help": {"text": c.remediation},
        "defaultConfiguration": {"level": LEVEL[c.severity]},
        "properties": {"tags": ["security", f"area:{c.area}", f"mode:{c.mode}", *[f"soc2:{x}" for x in c.soc2],
                                *[f"pdpa:{x}" for x in c.pdpa]],
                       "security-severity": SECURITY_SEVERITY[c.severity], "precision": "high"},
    } for c in checks]
    results = []
    for f in findings:
        uri = artifact(slug, f.location, workflow_refs, credential_refs)
        result = {
            "ruleId": f.check.id, "ruleIndex": index[f.check.id], "level": LEVEL[f.check.severity],
            "message": {"text": f"{f.label}: {f.evidence}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}},
                           "logicalLocations": [{"fullyQualifiedName": f.location, "kind": "resource"}]}],
            "partialFingerprints": {"handoverFinding/v1": hashlib.sha256(f.id.encode()).hexdigest()[:32]},
        }
        if f.muted:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"{f.mute.reason} (until {f.mute.expires.isoformat()})"}]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Handover", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/handover/handover", "rules": rules}},
            "automationDetails": {"id": f"handover/{slug}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository holding clients/"}}},
            "results": results,
        }],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
