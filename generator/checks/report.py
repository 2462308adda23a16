"""The assessment for tools: JSON (the contract), CSV for spreadsheets, SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from generator import __version__
from generator.checks import FAIL, NOT_APPLICABLE, REGISTRY, Assessment, Check, Control, Finding, Severity
from generator.checks.actions import Entry
from generator.formats import csv_cell
from generator.platforms import Platform
from generator.store.snapshot import file_stem

LEVEL = {Severity.critical: "error", Severity.high: "error", Severity.medium: "warning", Severity.low: "note",
         Severity.info: "note"}
SECURITY_SEVERITY = {Severity.critical: "9.5", Severity.high: "8.0", Severity.medium: "5.5", Severity.low: "3.0",
                     Severity.info: "1.0"}
CSV_FIELDS = ("control", "title", "area", "severity", "mode", "control_status", "reason", "status", "resource", "label",
              "evidence", "location", "muted", "mute_reason", "mute_expires", "frameworks", "remediation",
              "owner", "due", "action_status", "response")


class Locator:
    """The file in the repository that holds the evidence at a resource (workflows and credentials by ref)."""

    def __init__(self, slug: str, snapshot=None):
        self.slug = slug
        self.workflows = {w.ref for w in snapshot.workflows} if snapshot else set()
        self.credentials = {c.ref for c in snapshot.credentials} if snapshot else set()

    def __call__(self, resource: str) -> str:
        return artifact(self.slug, resource, self.workflows, self.credentials)


def frameworks(chk: Check) -> dict[str, list[str]]:
    return {name: list(ids) for name, ids in chk.frameworks.items()}


def finding_row(f: Finding, locate: Locator) -> dict:
    return {"id": f.id, "check": f.check.id, "title": f.check.title, "severity": f.check.severity.name,
            "area": f.check.area, "status": "muted" if f.muted else "open", "location": locate(f.location),
            "resource": f.location, "label": f.label, "evidence": f.evidence, "remediation": f.check.remediation,
            "frameworks": frameworks(f.check), "mode": f.check.mode, "muted": f.muted,
            "mute_reason": f.mute.reason if f.mute else None,
            "mute_expires": f.mute.expires.isoformat() if f.mute else None}


def result_row(r: Finding, locate: Locator) -> dict:
    return {"status": r.status, "resource": r.location, "label": r.label, "evidence": r.evidence,
            "location": locate(r.location), "muted": r.muted,
            **({"mute_reason": r.mute.reason, "mute_expires": r.mute.expires.isoformat()} if r.mute else {})}


def action_row(entry: Entry | None) -> dict:
    """The action register's columns for a control (empty for a control not in the register)."""
    if entry is None:
        return {"owner": None, "due": None, "action_status": None, "response": None}
    return {"owner": entry.owner, "due": entry.due.isoformat() if entry.due else None, "action_status": entry.status,
            "response": entry.response}


def control_row(c: Control, locate: Locator, entry: Entry | None = None) -> dict:
    chk = c.check
    return {"id": chk.id, "title": chk.title, "area": chk.area, "severity": chk.severity.name, "mode": chk.mode,
            "status": c.status, "reason": c.reason, "frameworks": frameworks(chk),
            "results": [result_row(r, locate) for r in c.results], "action": action_row(entry)}


def as_json(assessment: Assessment, locate: Locator, entries: list[Entry] = ()) -> str:
    """The contract for tools: every control with its status, results and action, and the findings."""
    by_id = {e.id: e for e in entries}
    document = {"controls": [control_row(c, locate, by_id.get(c.id)) for c in assessment.controls],
                "findings": [finding_row(f, locate) for f in assessment.findings]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def as_csv(assessment: Assessment, locate: Locator, entries: list[Entry] = ()) -> str:
    """One row per result (a control without results: one row with its status and reason); each row carries
    its control's action (owner, due, action_status, response: the action register)."""
    by_id = {e.id: e for e in entries}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for c in assessment.controls:
        chk = c.check
        base = {"control": chk.id, "title": chk.title, "area": chk.area, "severity": chk.severity.name,
                "mode": chk.mode, "control_status": c.status, "reason": c.reason or "",
                "frameworks": "; ".join(f"{name}: {' '.join(ids)}" for name, ids in chk.frameworks.items()),
                "remediation": chk.remediation, **action_row(by_id.get(chk.id))}
        for r in c.results or [None]:
            row = dict(base)
            if r is not None:
                row.update(status=r.status, resource=r.location, label=r.label, evidence=r.evidence,
                           location=locate(r.location), muted=str(r.muted).lower(),
                           mute_reason=r.mute.reason if r.mute else "",
                           mute_expires=r.mute.expires.isoformat() if r.mute else "")
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
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
    if kind in {p.value for p in Platform}:
        return f"{base}/snapshot/platforms.yml"
    if kind in ("incident", "runbook"):
        return f"{base}/{kind}s/"
    return f"{base}/client.yml"


def as_sarif(assessment: Assessment, locate: Locator) -> str:
    """SARIF 2.1.0: one rule per control of the baseline; one result per resource judged (`kind` fail or
    pass; `review` for info-level review lists), and one per control not judged (`open` when it could
    not be assessed, `notApplicable`). Muted failures carry an external suppression with the reason."""
    checks = sorted((c.check for c in assessment.controls), key=lambda c: c.id)
    index = {c.id: i for i, c in enumerate(checks)}
    rules = [{
        "id": c.id,
        "name": "".join(w.capitalize() for w in c.title.replace("'", "").split() if w.isalnum()),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.rationale},
        "help": {"text": " ".join(filter(None, [c.remediation, c.consultant]))},  # SARIF is read in CI: the consultant
        "defaultConfiguration": {"level": LEVEL[c.severity]},
        "properties": {"tags": ["security", f"area:{c.area}", f"mode:{c.mode}",
                                *[f"{name}:{x}" for name, ids in c.frameworks.items() for x in ids]],
                       "security-severity": SECURITY_SEVERITY[c.severity], "precision": "high"},
    } for c in checks]
    results = []
    for control in assessment.controls:
        chk = control.check
        for r in control.results:
            failed = r.status == FAIL
            result = {
                "ruleId": chk.id, "ruleIndex": index[chk.id],
                "kind": ("review" if chk.severity == Severity.info else "fail") if failed else "pass",
                "level": LEVEL[chk.severity] if failed and chk.severity > Severity.info else "none",
                "message": {"text": f"{r.label}: {r.evidence}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": locate(r.location),
                                                                         "uriBaseId": "%SRCROOT%"}},
                               "logicalLocations": [{"fullyQualifiedName": r.location, "kind": "resource"}]}],
                "partialFingerprints": {"handoverFinding/v1": hashlib.sha256(r.id.encode()).hexdigest()[:32]},
            }
            if r.muted:
                result["suppressions"] = [{"kind": "external", "status": "accepted",
                                           "justification": f"{r.mute.reason} (until {r.mute.expires.isoformat()})"}]
            results.append(result)
        if control.reason:
            results.append({"ruleId": chk.id, "ruleIndex": index[chk.id],
                            "kind": "notApplicable" if control.status == NOT_APPLICABLE else "open", "level": "none",
                            "message": {"text": f"{control.status.replace('_', ' ')}: {control.reason}"}})
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Handover", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/handover/handover", "rules": rules}},
            "automationDetails": {"id": f"handover/{locate.slug}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository holding clients/"}}},
            "results": results,
        }],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def catalogue() -> list[list[str]]:
    """Every control of the baseline: id, area, severity, mode, title, frameworks (for `check --list`)."""
    return [[c.id, c.area, c.severity.name, c.mode, c.title,
             "; ".join(f"{name} {' '.join(ids)}" for name, ids in c.frameworks.items()) or "—"]
            for c in sorted(REGISTRY, key=lambda c: c.id)]
