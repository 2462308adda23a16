"""Incident records: `clients/<client>/incidents/<id>.md`, Markdown with a small YAML header.

    ---
    id: INC-2026-007
    title: Orders not reaching NetSuite
    severity: critical            # critical | high | standard (as in client.yml's response targets)
    status: resolved              # open | resolved
    workflows: ["n8n:Ord3rSync01"]
    owner: Maya Lindqvist
    detected: 2026-10-14T03:10:00Z
    acknowledged: 2026-10-14T03:18:00Z
    resolved: 2026-10-14T05:02:00Z
    summary_sent: 2026-10-15T09:00:00Z   # when the post-incident summary reached the client
    ---
    ## Timeline …  ## Impact …  ## Root cause …  ## Preventive measures …  ## Communication log …
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from generator.config import IncidentLevel, minutes
from generator.errors import InputError
from generator.model import Strict, Timestamp
from generator.store import frontmatter
from generator.store.yamlio import atomic_write, model_to_yaml, validate

SECTIONS = ("Timeline", "Impact", "Root cause", "Preventive measures", "Communication log")
PLACEHOLDER = "_To be completed._"
SIGNIFICANT = (IncidentLevel.critical, IncidentLevel.high)


class Status(StrEnum):
    open = "open"
    resolved = "resolved"


class Escalated(Strict):
    level: int = Field(ge=1, le=9, description="The escalation level (client.yml `escalation`) that was told.")
    at: Timestamp


class IncidentHeader(Strict):
    id: str = Field(pattern=r"^INC-\d{4}-\d{3,}$", description="INC-<year>-<number>, e.g. INC-2026-007.")
    title: str
    severity: IncidentLevel
    status: Status = Status.open
    workflows: list[str] = Field(default=[], description="Refs of the affected workflows, e.g. n8n:Ord3rSync01.")
    owner: str
    detected: Timestamp
    acknowledged: Timestamp | None = Field(default=None, description="First response to the client.")
    resolved: Timestamp | None = None
    summary_sent: Timestamp | None = Field(default=None, description="When the post-incident summary was sent.")
    escalated: list[Escalated] = Field(default=[], description="Each escalation step taken: level and time.")


class Incident:
    def __init__(self, header: IncidentHeader, body: str, path: Path):
        self.header, self.body, self.path = header, body, path

    def __getattr__(self, name):  # header fields read as attributes: incident.severity, incident.detected…
        if name == "header":  # not set yet (a copy being unpickled): there is no field to look in
            raise AttributeError(name)
        return getattr(self.header, name)

    def section(self, name: str) -> str:
        match = re.search(rf"^##\s+{re.escape(name)}\s*$(.*?)(?=^##\s|\Z)", self.body, re.M | re.S)
        text = match.group(1).strip() if match else ""
        return "" if text in ("", PLACEHOLDER) else text

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self.acknowledged - self.detected if self.acknowledged else None

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved - self.detected if self.resolved else None

    def response_due(self, targets) -> datetime:
        return self.detected + timedelta(minutes=minutes(getattr(targets, self.severity.value).acknowledge))

    def restore_due(self, targets) -> datetime | None:
        limit = getattr(targets, self.severity.value).resolve
        return self.detected + timedelta(minutes=minutes(limit)) if limit else None

    def response_missed(self, targets, now: datetime | None = None) -> bool:
        """Acknowledged later than the target for its severity, or (given `now`) still not acknowledged past it."""
        return _late(self.acknowledged, self.response_due(targets), now)

    def resolve_missed(self, targets, now: datetime | None = None) -> bool:
        """Restored later than the target, or (given `now`) still open past it."""
        due = self.restore_due(targets)
        return bool(due and _late(self.resolved, due, now))

    def escalations_missed(self, escalation: list, now: datetime) -> list[tuple]:
        """(level, due, when it was escalated or None) for each escalation step that came late or not at all:
        a level is due `after` its time for this severity unless the incident was restored before then."""
        missed = []
        for level in escalation:
            after = level.after.get(self.severity)
            if after is None:
                continue
            due = self.detected + timedelta(minutes=minutes(after))
            if self.resolved and self.resolved <= due:
                continue
            told = min((e.at for e in self.escalated if e.level >= level.level), default=None)
            if _late(told, due, now):
                missed.append((level, due, told))
        return missed


def _late(done: datetime | None, due: datetime, now: datetime | None) -> bool:
    return done > due if done else bool(now and now > due)


def load(directory: Path) -> list[Incident]:
    """Every incident, newest first; header problems reported as file:line: field."""
    incidents, problems, seen = [], [], {}
    for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
        try:
            document = frontmatter.parse(path)
            if document.header is None:
                problems.append(f"{path}:1: an incident starts with a YAML header between '---' lines (id, title, "
                                "severity, …)")
                continue
            header = validate(document.header, IncidentHeader)
        except InputError as exc:
            problems += exc.problems
            continue
        if header.id in seen:
            problems.append(f"{path}:2: id {header.id} is also used by {seen[header.id]}")
            continue
        seen[header.id] = path.name
        incidents.append(Incident(header, document.body, path))
    if problems:
        raise InputError(problems)
    return sorted(incidents, key=lambda i: (i.detected, i.id), reverse=True)


def next_id(incidents: list[Incident], year: int) -> str:
    numbers = [int(i.id.rsplit("-", 1)[1]) for i in incidents if i.id.startswith(f"INC-{year}-")]
    return f"INC-{year}-{max(numbers, default=0) + 1:03d}"


def create(directory: Path, title: str, severity: IncidentLevel, workflows: list[str], owner: str, detected: datetime) -> Path:
    """A new record from the template: header filled in, the sections waiting to be written."""
    existing = load(directory)
    incident_id = next_id(existing, detected.year)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "incident"
    header = IncidentHeader(id=incident_id, title=title, severity=severity, workflows=workflows, owner=owner,
                            detected=detected)

    body = "\n".join(f"## {name}\n\n{PLACEHOLDER}\n" for name in SECTIONS)
    path = directory / f"{incident_id}-{slug}.md"
    atomic_write(path, f"---\n{model_to_yaml(header)}---\n\n{body}")
    return path
