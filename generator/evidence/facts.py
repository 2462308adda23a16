"""The facts that checks and pages both state, each defined once.

A page that says "nothing alerts anyone when this fails" and a check that says the same workflow has an
alert path cannot both be right; so the checks (generator.checks) and the templates (through the portal)
ask these functions and nothing else:

- `told(workflow, snapshot)`: is someone told when it fails (an error workflow or error route that
  notifies, the platform's own failure e-mails, a monitoring step)?
- `error_handling(workflow)`: does it react to its failures (error workflow, error route, a step that
  retries or continues)? Handling is not telling: a retry that gives up tells nobody.
- `backup(workflow, exports)`: is there a restorable backup (its platform-native export on file)?
- `rotation(credential, period, now)`: was the key changed within the client's rotation policy?
- `personal_account(credential)`: is it connected with a person's own account rather than a service account?

Each returns a `Fact`: `value` True, False or None (not known: the platform does not report it, or it was
not looked at) and `how`, the evidence in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator.formats import count, days
from generator.model import Credential, Snapshot, Workflow

# Apps that tell a person: chat, e-mail, paging and incident tools.
NOTIFIES = re.compile(r"slack|gmail|e-?mail|smtp|outlook|microsoft teams|\bteams\b|mattermost|google chat|discord|"
                      r"telegram|twilio|\bsms\b|opsgenie|pagerduty|victorops|splunk on-call|incident\.io", re.I)
# Steps that report to a monitor (heartbeats, paging), which alerts when a run fails or stops arriving.
MONITORS = re.compile(r"opsgenie|pagerduty|healthchecks|cronitor|better ?(uptime|stack)|dead ?man|uptime ?kuma|"
                      r"sentry|datadog", re.I)
HANDLED = {"continue", "retry", "resume", "ignore", "break", "rollback", "commit"}


@dataclass(frozen=True)
class Fact:
    value: bool | None
    how: str

    def __bool__(self) -> bool:
        return bool(self.value)


def _notifying_steps(workflow: Workflow) -> list:
    return [s for s in workflow.steps if not s.disabled and NOTIFIES.search(s.app or "")]


def _reached_by_error_routes(workflow: Workflow) -> list:
    """Steps downstream of an error route (the route's target and everything after it)."""
    after: dict[str, list[str]] = {}
    for edge in workflow.edges:
        after.setdefault(edge.source, []).append(edge.target)
    todo = [e.target for e in workflow.edges if e.error]
    seen: set[str] = set()
    while todo:
        step_id = todo.pop()
        if step_id not in seen:
            seen.add(step_id)
            todo += after.get(step_id, [])
    return [s for s in workflow.steps if s.id in seen]


def starts(snapshot: Snapshot) -> dict[tuple[str, str], Workflow]:
    """(workflow ref, step id) → the workflow that step starts: explicitly (a sub-workflow, "run a
    scenario"), or by calling its webhook, matched by fingerprints of the URL or path, never by the
    address itself. Computed once for the whole snapshot (large estates call it per page)."""
    by_url, by_path = {}, {}
    for w in snapshot.workflows:
        address = w.trigger.webhook.address if w.trigger.webhook else None
        if address and address.url:
            by_url.setdefault(address.url, w)
        if address and address.path:
            by_path.setdefault(address.path, w)
    found = {}
    for w in snapshot.workflows:
        for step in w.steps:
            if step.calls:
                target = snapshot.workflow(step.calls)
            elif step.target:
                target = by_url.get(step.target.url) or by_path.get(step.target.path)
            else:
                continue
            if target is not None and target.ref != w.ref:
                found[(w.ref, step.id)] = target
    return found


def called(step, workflow: Workflow, snapshot: Snapshot) -> Workflow | None:
    """The workflow one step starts (see `starts`; for many steps, call `starts` once instead)."""
    return starts(snapshot).get((workflow.ref, step.id))


def told(workflow: Workflow, snapshot: Snapshot) -> Fact:
    """Someone is told when this workflow fails, and how."""
    ways = []
    handler_ref = workflow.settings.error_workflow
    if handler_ref:
        handler = snapshot.workflow(handler_ref)
        tells = _notifying_steps(handler) if handler and handler.active else []
        if tells:
            ways.append(f"its error workflow “{handler.name}” notifies ({', '.join(dict.fromkeys(s.app for s in tells))})")
    if workflow.settings.alerts_on_failure:
        ways.append(f"{workflow.platform.label}'s own failure notifications are on")
    routed = [s for s in _reached_by_error_routes(workflow) if not s.disabled and NOTIFIES.search(s.app or "")]
    if routed:
        ways.append(f"an error route notifies ({', '.join(dict.fromkeys(s.app for s in routed))})")
    monitors = [s for s in workflow.steps if not s.disabled and MONITORS.search(s.app or "") and s not in routed]
    if monitors and workflow.trigger.kind != "error":
        ways.append(f"a monitoring step reports to {', '.join(dict.fromkeys(s.app for s in monitors))}")
    if ways:
        return Fact(True, "; ".join(ways))
    if handler_ref:
        handler = snapshot.workflow(handler_ref)
        why = ("is not in the snapshot" if handler is None else "is inactive" if not handler.active
               else "has no step that notifies anyone")
        return Fact(False, f"its error workflow {handler.name if handler else handler_ref} {why}")
    return Fact(False, "no error workflow that notifies, no error route that notifies, no platform failure "
                       "notification and no monitoring step")


def error_handling(workflow: Workflow) -> Fact:
    """The workflow reacts to its own failures, and how."""
    ways = []
    if workflow.settings.error_workflow:
        ways.append("an error workflow runs when it fails")
    routes = [e for e in workflow.edges if e.error]
    if routes:
        ways.append(count(len(routes), "error route"))
    handled = [s for s in workflow.steps if (s.error_mode or "") in HANDLED]
    if handled:
        ways.append(", ".join(f"“{s.name}” {s.error_mode}s on failure" if s.error_mode != "continue"
                              else f"“{s.name}” continues on failure" for s in handled))
    return Fact(bool(ways), "; ".join(ways) if ways else "no error workflow, no error route and no step that "
                                                         "handles its failure")


def backup(workflow: Workflow, exports: dict | None) -> Fact:
    """A restorable backup: the workflow's platform-native export on file (exports: ref → ExportInfo)."""
    if exports is None:
        return Fact(None, "the exports were not looked at")
    if workflow.ref not in exports:
        return Fact(False, f"no native {workflow.platform.label} export on file")
    info = exports[workflow.ref]
    if info is None:  # known to exist, file not described (evidence made by hand)
        return Fact(True, f"native {workflow.platform.label} export on file")
    committed = f", committed in {info.revision[:7]}" if info.revision else ", not committed yet"
    return Fact(True, f"native {workflow.platform.label} export {info.path.name}{committed}")


def rotation(credential: Credential, period: timedelta, now: datetime) -> Fact:
    """The key was changed within the rotation policy (judged at `now`, the snapshot's time)."""
    changed = credential.updated or credential.created
    if changed is None:
        return Fact(None, "the platform reports no date for this credential")
    age = (now - changed).days
    verdict = "within" if now - changed <= period else "outside"
    return Fact(now - changed <= period, f"unchanged since {changed:%Y-%m-%d}, {count(age, 'day')} before the snapshot: "
                                         f"{verdict} the rotation policy of {days(period.days)}")


def personal_account(credential: Credential) -> Fact:
    """Connected with a person's own account (True), a service account (False), or not reported (None)."""
    if credential.service_account is None:
        return Fact(None, "the platform does not say whether its account is personal or a service account")
    if credential.service_account:
        return Fact(False, f"connected as the service account {credential.owner or ''}".strip())
    return Fact(True, f"connected as {credential.owner or 'a personal account'}")
