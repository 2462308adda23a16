"""The executive summary's sentences: the ranked risks (generator.checks.risks) and the verdict, in words.

Plain text only (the page template escapes it): this module formats what the assessment found and
judges nothing itself.
"""

from __future__ import annotations

from generator.checks.risks import Risk
from generator.formats import count, format_day, format_rate


def listing(items: list[str], most: int = 3, more: str | None = None) -> str:
    """'a', 'a and b', 'a, b and c', 'a, b, c and 2 more' (`more`: a noun in the singular, counted:
    'and 1 more workflow', 'and 2 more workflows')."""
    items = list(items)
    if len(items) > most:
        rest = len(items) - most
        return ", ".join(items[:most]) + " and " + (count(rest, more) if more else f"{rest:,} more")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _name(workflow) -> str:
    return f"“{workflow.name}”"


def headline(risk: Risk) -> str:
    """What is wrong, where: the control's title and the places (or the one place) it failed at."""
    titles = [e.control.check.title for e in risk.entries]
    places = [f.label for f in risk.findings]
    title = titles[0] + "".join(f"; {t[0].lower() + t[1:]}" for t in titles[1:])
    return f"{title}: {listing(places)}"


def sentences(risk: Risk) -> list[str]:
    """The risk in business terms: what the workflows it touches lost, whether anyone is told, what is at
    stake through the platform, the open incident, and what to do."""
    out = []
    failing = [loss for loss in risk.losses if loss.failing]
    if len(risk.findings) == 1 and risk.findings[0].location not in {loss.workflow.ref for loss in failing}:
        out.append(_sentence(risk.findings[0].evidence))
    for loss in failing:
        where = (f"what they carried from {loss.source} may be missing in {listing(list(loss.destinations))}"
                 if loss.source and loss.destinations else
                 f"what they carried may not have reached {listing(list(loss.destinations))}" if loss.destinations
                 else "their work was not done unless someone re-ran them")
        out.append(f"{loss.failed:,} of the {loss.total:,} runs of {_name(loss.workflow)} in the last {loss.days} "
                   f"days failed ({format_rate(loss.failed / loss.total)}): {where}.")
    others = [loss for loss in risk.losses if not loss.failing]
    if others:
        first, *rest = others
        lost = listing([f"{_name(first.workflow)} failed {count(first.failed, 'run')}"]
                       + [f"{_name(loss.workflow)} {loss.failed:,}" for loss in rest], more="more workflow")
        out.append(f"In the last {first.days} days {lost}.")
    if risk.silent and len(risk.silent) == len(risk.losses):  # the workflows just named: no second list
        out.append("Nobody is told when they fail." if len(risk.losses) > 1 else "Nobody is told when it fails.")
    elif risk.silent:
        verb = "fails" if len(risk.silent) == 1 else "fail"
        out.append(f"Of these, nobody is told when {listing([_name(w) for w in risk.silent], 5)} {verb}.")
    elif risk.losses:
        out.append("Someone is alerted when these runs fail." if len(risk.losses) > 1 else
                   "Someone is alerted when it fails.")
    if risk.through_platform:
        names = [_name(w) for w in risk.through_platform]
        out.append(f"It concerns every active workflow on the platform: {count(len(names), 'workflow')}, "
                   f"among them {listing(names, 2)}.")
    for incident in risk.incidents:
        out.append(f"Incident {incident.id} “{incident.title}” is still open.")
    return out


def action(risk: Risk) -> str:
    owner, due = risk.owner, risk.due
    if owner and due:
        return f"Owner: {owner}, due {format_day(due)}."
    if owner:
        return f"Owner: {owner}, no due date yet."
    return "No owner yet."


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else text + "."


VERDICTS = {
    "not ready": "Not ready to rely on: a critical weakness is open.",
    "action needed": "The automations work, but some risks need action now.",
    "follow-ups": "In good shape, with follow-ups.",
    "ready": "Ready: every control that was assessed passed, or its risk is accepted.",
}
