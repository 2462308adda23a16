"""The action register: each failed control of the baseline joined with the client's answer to it.

One entry per control that failed (not per finding): the resources it failed at listed under it, and the
owner, due date, status and management response from client.yml `actions`. A failed control without an
action is open with no owner. The status an entry shows:

- accepted: every failure of the control is muted (an accepted action that has not expired, or the
  consultant's mutes), with the reason and expiry;
- fixed: the client reports it fixed; the snapshot still shows it failing until the next sync confirms it;
- open: otherwise (an accepted action past its expiry is open again).

An action for a control that no longer fails is listed as `confirmed`: the snapshot shows it fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.checks import FAIL, PASS, REGISTRY, Assessment, Control, Finding, Severity
from generator.config import Action, ActionStatus, ClientConfig

OPEN, FIXED, ACCEPTED, CONFIRMED = "open", "fixed", "accepted", "confirmed"


@dataclass(frozen=True)
class Entry:
    control: Control
    action: Action | None
    status: str  # open, fixed, accepted, or confirmed (an action whose control passes now)
    owner: str | None  # a name (contact ids resolved)
    today: date  # the snapshot's date: what `overdue` is judged against

    @property
    def id(self) -> str:
        return self.control.id

    @property
    def resources(self) -> list[Finding]:
        """Where the control failed, each with its own evidence (muted ones included, marked by their mute)."""
        return self.control.failures

    @property
    def due(self) -> date | None:
        return self.action.due if self.action else None

    @property
    def response(self) -> str | None:
        return self.action.response if self.action else None

    @property
    def overdue(self) -> bool:
        return self.status == OPEN and self.due is not None and self.due < self.today

    @property
    def expired(self) -> bool:
        """An accepted action past its expiry: the control is open again."""
        return bool(self.action and self.action.status == ActionStatus.accepted and self.status == OPEN)

    @property
    def mutes(self) -> list:
        """The distinct mutes that hold its failures (an accepted action shows as one)."""
        return list({(m.reason, m.expires, m.by): m for m in (f.mute for f in self.resources) if m}.values())


def register(assessment: Assessment, config: ClientConfig, today: date) -> list[Entry]:
    """Every failed control (info-level review lists are no findings), open ones first, worst first;
    then the actions whose control passes now (confirmed)."""
    actions = {a.control: a for a in config.actions}
    entries = []
    for control in assessment.controls:
        action = actions.get(control.id)
        if control.status == FAIL and control.check.severity > Severity.info:
            if not control.open:
                status = ACCEPTED
            elif action and action.status == ActionStatus.fixed:
                status = FIXED
            else:
                status = OPEN
        elif control.status == PASS and action:
            status = CONFIRMED
        else:
            continue
        owner = action.owner if action else None
        if owner is None and status == ACCEPTED:  # accepted by mutes alone: whoever muted it answers for it
            owner = ", ".join(dict.fromkeys(f.mute.by for f in control.failures if f.mute and f.mute.by)) or None
        entries.append(Entry(control, action, status, config.person(owner), today))
    order = {OPEN: 0, FIXED: 1, ACCEPTED: 2, CONFIRMED: 3}
    return sorted(entries, key=lambda e: (order[e.status], -e.control.check.severity, e.id))


def counts(entries: list[Entry]) -> dict[str, int]:
    return {s: sum(e.status == s for e in entries) for s in (OPEN, FIXED, ACCEPTED, CONFIRMED)}


def references(config: ClientConfig, path: Path | None = None) -> list[str]:
    """Actions and mutes that name a control the baseline does not have, as `file:line: field: problem`
    (client.yml cannot know the baseline: it is validated here, by the commands that judge it)."""
    from generator.store.yamlio import read_yaml

    known = {c.id for c in REGISTRY}
    located = read_yaml(path) if path and path.is_file() else None
    problems = []
    for section, field, items in (("actions", "control", config.actions), ("mutes", "finding", config.mutes)):
        for index, item in enumerate(items):
            value = getattr(item, field)
            if value in known:
                continue
            line = located.line_of((section, index, field)) if located else None
            where = f"{path}:{line}" if located else "client.yml"
            close = sorted(k for k in known if k.split("-")[0] == value.split("-")[0])
            hint = f" (controls of that family: {', '.join(close)})" if close else ""
            problems.append(f"{where}: {section}[{index}].{field}: no control '{value}' in the baseline{hint}")
    return problems


def require_known(config: ClientConfig, path: Path | None = None) -> None:
    """Stop (exit 2) when actions or mutes name a control the baseline does not have."""
    from generator.errors import InputError

    problems = references(config, path)
    if problems:
        raise InputError(problems)
