"""The close-out checklist: what ends the engagement, each item proved done by the data, confirmed by the
consultant, or open with what remains.

- Consultant access: the consultant's side (the consultant, `engagement.team`, and addresses at the
  consultant's e-mail domain) among each platform's synced users, and credentials they own.
- Credentials on personal accounts (the one definition: `facts.personal_account`, as ACCESS-003 judges).
- Accounts and billing: client.yml `accounts`, and every synced platform that has no account record.
- Exports delivered: every workflow has a restorable native export (`facts.backup`, as BACKUP-002).
- Runbooks reviewed: each authored runbook has a review date and nothing it names changed since.

A confirmation in client.yml (`closeout.confirmations`) closes an item the data cannot prove; it never
overrides the data: an item the data proves done is "done", whatever was confirmed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

from generator.config import Account, ClientConfig, Confirmation, Signatory
from generator.evidence import Evidence, facts
from generator.formats import format_day
from generator.model import Credential, PlatformFacts, User

DONE, CONFIRMED, OPEN = "done", "confirmed", "open"
# Mail services anyone can sign up to: their domain says nothing about who a user works for.
PUBLIC_MAIL = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
               "me.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "aol.com", "fastmail.com"}


@dataclass(frozen=True)
class Item:
    key: str  # how a confirmation names it (closeout.confirmations[].item)
    what: str  # the item in a line: the state reached (done) or the action that remains (open)
    status: str  # DONE (the data proves it), CONFIRMED (the consultant says so) or OPEN
    detail: str  # the evidence, or what is known about what remains
    confirmation: Confirmation | None = None
    service: str | None = None  # the accounts section: the platform or app account
    account: Account | None = None  # … and its record in client.yml (None: no record)
    renews_in: int | None = None  # days from the snapshot to the account's renewal


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: list[Item]

    @property
    def open(self) -> list[Item]:
        return [i for i in self.items if i.status == OPEN]


@dataclass(frozen=True)
class Checklist:
    sections: list[Section]
    sign_off: list[Signatory]  # who signs the handover off, with the date once they have
    unmatched: list[Confirmation] = field(default_factory=list)  # confirmations naming no item (typo, or gone)

    @property
    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def count(self, status: str) -> int:
        return sum(i.status == status for i in self.items)

    @property
    def signed(self) -> bool:
        return bool(self.sign_off) and all(s.signed for s in self.sign_off)


def _domain(email: str | None) -> str | None:
    return email.rpartition("@")[2].lower() if email and "@" in email else None


class ConsultantSide:
    """Who is on the consultant's side: by e-mail (the team's, or the consultant's domain) or by name."""

    def __init__(self, config: ClientConfig):
        consultant = config.engagement.consultant
        people = [(consultant.name, consultant.email)] + [(m.name, m.email) for m in config.engagement.team]
        self.emails = {e.lower() for _, e in people if e}
        self.names = {n.casefold() for n, _ in people if n}
        domain = _domain(consultant.email)
        self.domain = domain if domain and domain not in PUBLIC_MAIL else None
        self.company = consultant.company or consultant.name

    def has(self, who: str | None) -> bool:
        """`who` is an e-mail address or a name (platforms give either as an owner)."""
        if not who:
            return False
        text = who.strip()
        if "@" in text:
            return text.lower() in self.emails or (self.domain is not None and _domain(text) == self.domain)
        return text.casefold() in self.names

    def user(self, user: User) -> bool:
        return self.has(user.email) or (not user.email and self.has(user.name))


_day = format_day  # one date format with the pages


def _platforms(evidence: Evidence) -> list[PlatformFacts]:
    return sorted(evidence.snapshot.platforms, key=lambda f: (f.platform.value, f.name))


def _users(evidence: Evidence, side: ConsultantSide) -> list[Item]:
    items = []
    for platform in _platforms(evidence):
        kind = platform.platform.value
        if any(g.section.lower() == "users" for g in platform.not_collected):
            items.append(Item(f"user {kind}:*", f"Check that no consultant user is left on {platform.name}", OPEN,
                              f"the users of {platform.name} could not be read, so this is not assessed"))
            continue
        users = [u for u in evidence.snapshot.users if u.platform == platform.platform]
        theirs = [u for u in users if side.user(u)]
        owners = {a.owner.lower() for a in evidence.config.accounts
                  if a.owner and not a.transferred and a.service.casefold() == platform.name.casefold()}
        for user in theirs:
            who = user.email or user.name
            label = f"{user.name} ({user.email})" if user.email and user.name != user.email else who
            first = ("; the account's owner login is still theirs: hand it over first (see Platform accounts and "
                     "billing)" if user.email and user.email.lower() in owners else "")
            items.append(Item(f"user {kind}:{who}", f"Remove {label} from {platform.name}", OPEN,
                              f"still a user ({user.role}) when {platform.name} was read"
                              + (f" on {_day(platform.synced)}" if platform.synced else "") + first))
        if not theirs:
            when = f" on {_day(platform.synced)}" if platform.synced else ""
            read = (f"the one user read{when} is not" if len(users) == 1
                    else f"none of the {len(users)} users read{when} is")
            items.append(Item(f"user {kind}:*", f"No consultant user left on {platform.name}", DONE,
                              f"{read} on {side.company}'s side"))
    return items


def _mutes(config: ClientConfig, credential: Credential) -> list:
    return [m for m in config.mutes if m.location == credential.ref]


def _platform_label(evidence: Evidence, credential: Credential) -> str:
    names = [p.name for p in evidence.snapshot.platforms if p.platform == credential.platform]
    return names[0] if len(names) == 1 else credential.platform.label


def _consultant_credentials(evidence: Evidence, side: ConsultantSide) -> list[Item]:
    items = []
    for credential in sorted(evidence.snapshot.credentials, key=lambda c: c.ref):
        if not side.has(credential.owner):
            continue
        where = _platform_label(evidence, credential)
        use = (f"used by {len({u.workflow for u in credential.used_by})} workflow(s)" if credential.used_by
               else "used by no workflow")
        detail = f"owned by {credential.owner}; {use}"
        for mute in _mutes(evidence.config, credential):
            # A finding muted by the consultant's own side is no hand-over: the item stays open, and says so.
            by = (f" by {mute.by}" + (f" ({side.company})" if side.has(mute.by) else "")) if mute.by else ""
            detail += f"; its finding {mute.finding} is muted{by} until {_day(mute.expires)}: “{mute.reason}”"
        action = (f"Delete the credential “{credential.name}” on {where}" if not credential.used_by else
                  f"Re-connect the credential “{credential.name}” on {where} with a client-owned account")
        items.append(Item(f"credential {credential.ref}", f"{action} and revoke its key at {credential.app}", OPEN,
                          detail))
    if not items:
        items.append(Item("credential *", f"No credential is owned by {side.company}", DONE,
                          f"none of the {len(evidence.snapshot.credentials)} credentials read names an owner on the "
                          "consultant's side"))
    return items


def _personal(evidence: Evidence, side: ConsultantSide) -> list[Item]:
    items, judged = [], 0
    for credential in sorted(evidence.snapshot.credentials, key=lambda c: c.ref):
        fact = facts.personal_account(credential)
        if fact.value is None:
            continue
        judged += 1
        if fact and not side.has(credential.owner):  # the consultant's own are listed under access
            items.append(Item(f"credential {credential.ref}",
                              f"Re-connect “{credential.name}” ({credential.app}) on "
                              f"{_platform_label(evidence, credential)} with a service account", OPEN,
                              fact.how + ("" if credential.used_by else "; used by no workflow")))
    if not items and judged:
        items.append(Item("credential personal", "No credential of the client's is on a personal account", DONE,
                          f"all {judged} credentials whose account kind is known are service accounts"
                          + (" or the consultant's (listed above)" if any(side.has(c.owner) for c in
                                                                          evidence.snapshot.credentials) else "")))
    elif not judged:
        items.append(Item("credential personal", "Check that no credential is on a personal account", OPEN,
                          "no platform says which accounts the credentials are connected with, so this is not "
                          "assessed"))
    return items


def _renewal(renews: date | None, today: date) -> str:
    if renews is None:
        return "does not renew"
    days = (renews - today).days
    if days < 0:
        return f"renewal date {_day(renews)} had passed when the snapshot was taken: update it"
    return f"renews on {_day(renews)}, {days} day{'s' if days != 1 else ''} after the snapshot"


def _accounts(evidence: Evidence) -> list[Item]:
    config, items = evidence.config, []
    for account in config.accounts:
        parts = [account.plan, f"billed to {account.billing_owner}",
                 f"owner login: {account.owner}" if account.owner else None,
                 _renewal(account.renews, evidence.now.date()),
                 account.note]
        detail = "; ".join(p for p in parts if p)
        days = (account.renews - evidence.now.date()).days if account.renews else None
        what = (f"{account.service} belongs to {config.client.name}" if account.transferred
                else f"Transfer {account.service} (owner login and billing) to {config.client.name}")
        items.append(Item(f"account {account.service}", what, DONE if account.transferred else OPEN, detail,
                          service=account.service, account=account, renews_in=days))
    named = {a.service.casefold() for a in config.accounts}
    for platform in _platforms(evidence):
        if platform.name.casefold() not in named:
            items.append(Item(f"account {platform.name}", f"Record who owns and pays for {platform.name}", OPEN,
                              "no account record: its plan, billing owner and renewal date are not known",
                              service=platform.name))
    return items


def _exports(evidence: Evidence) -> list[Item]:
    items = []
    workflows = evidence.snapshot.workflows
    for platform in sorted({w.platform for w in workflows}, key=lambda p: p.value):
        mine = sorted((w for w in workflows if w.platform == platform), key=lambda w: w.name.lower())
        noun = platform.workflow_noun + ("s" if len(mine) != 1 else "")
        if evidence.exports is None:
            items.append(Item(f"exports {platform.value}", f"Deliver the {platform.label} exports", OPEN,
                              "the exports were not looked at"))
            continue
        missing = [w for w in mine if not facts.backup(w, evidence.exports)]
        if missing:
            names = ", ".join(f"“{w.name}”" for w in missing)
            items.append(Item(f"exports {platform.value}", f"Export {len(missing)} of {len(mine)} {platform.label} "
                              f"{noun}: {names}", OPEN, "no native export on file to restore them from"))
        else:
            items.append(Item(f"exports {platform.value}", f"Every {platform.label} {platform.workflow_noun} has a "
                              "restorable export", DONE, f"the native export of all {len(mine)} {noun} is on file"))
    return items


def _runbooks(evidence: Evidence) -> list[Item]:
    items = []
    for runbook in evidence.runbooks:
        key, header = f"runbook {runbook.path.stem}", runbook.header
        by = f" by {header.reviewed_by}" if header.reviewed_by else ""
        if header.reviewed and not runbook.changes:
            items.append(Item(key, f"“{runbook.title}” reviewed", DONE,
                              f"reviewed{by} on {_day(header.reviewed)}; nothing it names changed since it was edited"))
        elif header.reviewed:
            items.append(Item(key, f"Review “{runbook.title}” again", OPEN,
                              f"reviewed{by} on {_day(header.reviewed)}, but since then " + "; ".join(runbook.changes)))
        else:
            items.append(Item(key, f"Review “{runbook.title}” with the client's team", OPEN, "no review recorded"))
    return items


def _confirmed(item: Item, confirmations: dict[str, Confirmation]) -> Item:
    confirmation = confirmations.get(item.key)
    if item.status != OPEN or confirmation is None:
        return item
    return dataclasses.replace(item, status=CONFIRMED, detail=confirmation.note or item.detail,
                               confirmation=confirmation)


def checklist(evidence: Evidence) -> Checklist:
    config = evidence.config
    side = ConsultantSide(config)
    sections = [
        Section("access", "Consultant access", _users(evidence, side) + _consultant_credentials(evidence, side)),
        Section("personal", "Credentials on personal accounts", _personal(evidence, side)),
        Section("accounts", "Platform accounts and billing", _accounts(evidence)),
        Section("exports", "Exports delivered", _exports(evidence)),
        Section("runbooks", "Runbooks reviewed", _runbooks(evidence)),
    ]
    confirmations = {c.item: c for c in config.closeout.confirmations}
    sections = [Section(s.key, s.title, [_confirmed(i, confirmations) for i in s.items]) for s in sections if s.items]
    keys = {i.key for s in sections for i in s.items}
    return Checklist(sections, config.signatories(), [c for c in config.closeout.confirmations if c.item not in keys])
