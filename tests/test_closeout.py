"""The close-out checklist: each item's computation (done by the data, confirmed, open), client.yml's new
sections rejected with the field named, and the demo's checklist in the real site and PDF."""

from __future__ import annotations

import dataclasses
from datetime import date

import pdfplumber
import pypdf
import pytest
from typer.testing import CliRunner

from generator.checks import assess
from generator.cli import app
from generator.config import Account, Confirmation, Signatory, TeamMember
from generator.errors import InputError
from generator.evidence import gather
from generator.evidence.closeout import CONFIRMED, DONE, OPEN, checklist
from generator.model import NotCollected
from generator.store.workspace import client, load_client

from .conftest import DEMO, copy_demo


@pytest.fixture(scope="module")
def demo():
    """The bundled demo's evidence, read once (tests change copies of it)."""
    return gather(client("demo", DEMO.parent.parent))


def with_config(evidence, **changes):
    return dataclasses.replace(evidence, config=evidence.config.model_copy(update=changes))


def with_engagement(evidence, **changes):
    return with_config(evidence, engagement=evidence.config.engagement.model_copy(update=changes))


def with_snapshot(evidence, **changes):
    return dataclasses.replace(evidence, snapshot=evidence.snapshot.model_copy(update=changes))


def section(result, key):
    return next(s for s in result.sections if s.key == key)


def item(result, key):
    return next(i for i in result.items if i.key == key)


# --- consultant access -----------------------------------------------------------------------------

def test_consultant_users_still_present_are_open(demo):
    result = checklist(demo)
    users = {i.key: i for i in section(result, "access").items if i.key.startswith("user ")}
    assert users["user n8n:maya@fieldwork-automation.example"].status == OPEN
    assert users["user n8n:maya@fieldwork-automation.example"].what == \
        "Remove Maya Lindqvist (maya@fieldwork-automation.example) from n8n production"
    assert "(admin)" in users["user n8n:maya@fieldwork-automation.example"].detail
    assert users["user n8n:jonas@fieldwork-automation.example"].status == OPEN
    assert users["user make:maya@fieldwork-automation.example"].status == OPEN
    assert users["user zapier:*"].status == DONE  # only the client's own user on Zapier
    # Maya still holds Make's owner login (accounts): her user cannot go before the account is handed over
    assert "hand it over first" in users["user make:maya@fieldwork-automation.example"].detail
    assert "hand it over first" not in users["user n8n:maya@fieldwork-automation.example"].detail
    # the client's people are never listed for removal
    assert not [k for k in users if "harbourpine" in k]


def test_removed_consultant_users_are_done(demo):
    side = {"maya@fieldwork-automation.example", "jonas@fieldwork-automation.example"}
    evidence = with_snapshot(demo, users=[u for u in demo.snapshot.users if u.email not in side])
    users = [i for i in section(checklist(evidence), "access").items if i.key.startswith("user ")]
    assert {i.key for i in users} == {"user make:*", "user n8n:*", "user zapier:*"}
    assert all(i.status == DONE for i in users)
    assert "none of the 4 users read on 2026-11-27 is on Fieldwork Automation's side" in \
        next(i for i in users if i.key == "user n8n:*").detail


def test_consultant_side_is_the_domain_the_team_and_names(demo):
    users = list(demo.snapshot.users)
    intern = users[0].model_copy(update={"platform": users[4].platform, "name": "New intern",
                                         "email": "intern@Fieldwork-Automation.example"})
    freelancer = users[0].model_copy(update={"platform": users[4].platform, "name": "Sam Freelance",
                                             "email": "sam.freelance@gmail.com"})
    evidence = with_snapshot(demo, users=users + [intern, freelancer])
    keys = {i.key for i in checklist(evidence).items if i.status == OPEN}
    assert "user n8n:intern@Fieldwork-Automation.example" in keys  # the consultant's domain, any case
    assert "user n8n:sam.freelance@gmail.com" not in keys  # not on the team
    evidence = with_engagement(evidence, team=[*demo.config.engagement.team,
                                               TeamMember(name="Sam Freelance", email="sam.freelance@gmail.com")])
    assert "user n8n:sam.freelance@gmail.com" in {i.key for i in checklist(evidence).items if i.status == OPEN}


def test_a_public_mail_domain_is_no_side(demo):
    """A freelancer on gmail.com: only her own address counts, not every gmail user."""
    consultant = demo.config.engagement.consultant.model_copy(update={"email": "maya.lindqvist@gmail.com"})
    client_user = demo.snapshot.users[0].model_copy(update={"email": "someone.else@gmail.com", "name": "Someone"})
    evidence = with_snapshot(with_engagement(demo, consultant=consultant), users=[*demo.snapshot.users, client_user])
    keys = {i.key for i in checklist(evidence).items}
    assert "user make:someone.else@gmail.com" not in keys
    assert "user n8n:jonas@fieldwork-automation.example" in keys  # still on the team


def test_users_not_read_are_not_assessed(demo):
    platforms = [p.model_copy(update={"not_collected": [NotCollected(section="users", reason="the token lacks "
                                                                                                 "user:read")]})
                 if p.platform.value == "make" else p for p in demo.snapshot.platforms]
    result = checklist(with_snapshot(demo, platforms=platforms))
    make = [i for i in result.items if i.key.startswith("user make:")]
    assert [(i.key, i.status) for i in make] == [("user make:*", OPEN)]
    assert "not assessed" in make[0].detail


def test_consultant_owned_credential_stays_open_though_muted(demo):
    mailgun = item(checklist(demo), "credential n8n:cred-mailgun")
    assert mailgun.status == OPEN
    assert mailgun.what.startswith("Delete the credential “Mailgun (legacy newsletter)” on n8n production")
    assert "revoke its key at Mailgun" in mailgun.what
    # the consultant muted her own key: shown, and it does not close the item
    assert "muted by Maya Lindqvist (Fieldwork Automation) until 2027-01-31" in mailgun.detail
    assert mailgun not in section(checklist(demo), "personal").items  # listed once, under access


def test_no_consultant_credential_is_done(demo):
    credentials = [c.model_copy(update={"owner": "Automation (shared credentials)", "service_account": True})
                   if c.ref == "n8n:cred-mailgun" else c for c in demo.snapshot.credentials]
    result = checklist(with_snapshot(demo, credentials=credentials))
    assert item(result, "credential *").status == DONE
    assert "credential n8n:cred-mailgun" not in {i.key for i in result.items}


# --- personal accounts -----------------------------------------------------------------------------

def test_personal_credentials_are_those_access_003_finds(demo):
    """One definition: what ACCESS-003 flags (used credentials) is open on the checklist too."""
    flagged = {f.location for f in assess(demo).findings if f.check.id == "ACCESS-003"}
    result = checklist(demo)
    personal = {i.key.removeprefix("credential ") for i in section(result, "personal").items}
    assert flagged and flagged <= personal
    assert item(result, "credential n8n:cred-zendesk").what == \
        "Re-connect “Zendesk API token” (Zendesk) on n8n production with a service account"


def test_no_personal_credential_is_done_and_unknown_is_open(demo):
    service = [c.model_copy(update={"service_account": True}) for c in demo.snapshot.credentials]
    personal = section(checklist(with_snapshot(demo, credentials=service)), "personal").items
    assert [(i.key, i.status) for i in personal] == [("credential personal", DONE)]
    unknown = [c.model_copy(update={"service_account": None}) for c in demo.snapshot.credentials]
    personal = section(checklist(with_snapshot(demo, credentials=unknown)), "personal").items
    assert [(i.key, i.status) for i in personal] == [("credential personal", OPEN)]
    assert "not assessed" in personal[0].detail


# --- accounts and billing --------------------------------------------------------------------------

def test_accounts_transferred_or_not_and_platforms_without_a_record(demo):
    result = checklist(demo)
    assert item(result, "account n8n production").status == DONE
    make = item(result, "account Make (EU1)")
    assert make.status == OPEN and make.what.startswith("Transfer Make (EU1)")
    assert make.renews_in == 17 and "renews on 2026-12-14, 17 days after the snapshot" in make.detail
    assert item(result, "account OpenAI").status == DONE  # an app, not a synced platform
    evidence = with_config(demo, accounts=[a for a in demo.config.accounts if a.service != "Zapier (HR & sales)"])
    zapier = item(checklist(evidence), "account Zapier (HR & sales)")
    assert zapier.status == OPEN and zapier.account is None
    assert zapier.what == "Record who owns and pays for Zapier (HR & sales)"


def test_a_renewal_date_in_the_past_says_so(demo):
    old = Account(service="OpenAI", billing_owner="Harbour & Pine", renews=date(2026, 1, 1), transferred=True)
    evidence = with_config(demo, accounts=[a for a in demo.config.accounts if a.service != "OpenAI"] + [old])
    assert "had passed when the snapshot was taken" in item(checklist(evidence), "account OpenAI").detail


# --- exports and runbooks --------------------------------------------------------------------------

def test_exports_every_workflow_or_the_missing_named(demo):
    result = checklist(demo)
    assert [(i.key, i.status) for i in section(result, "exports").items] == [
        ("exports make", DONE), ("exports n8n", DONE), ("exports zapier", DONE)]
    refund = next(w for w in demo.snapshot.workflows if w.platform.value == "n8n")
    exports = {ref: info for ref, info in demo.exports.items() if ref != refund.ref}
    n8n = item(checklist(dataclasses.replace(demo, exports=exports)), "exports n8n")
    assert n8n.status == OPEN and n8n.what == f"Export 1 of 8 n8n workflows: “{refund.name}”"
    assert item(checklist(dataclasses.replace(demo, exports=None)), "exports n8n").status == OPEN


def test_runbooks_reviewed_stale_or_never(demo):
    result = checklist(demo)
    reviewed = item(result, "runbook credential-rotation")
    assert reviewed.status == DONE and "reviewed by Priya Nair on 2026-11-24" in reviewed.detail
    assert item(result, "runbook shopify-webhook-recovery").status == OPEN
    stale = [dataclasses.replace(r, changes=["the trigger of “Refund processor” changed"]) for r in demo.runbooks]
    again = item(checklist(dataclasses.replace(demo, runbooks=tuple(stale))), "runbook credential-rotation")
    assert again.status == OPEN and again.what == "Review “Quarterly credential rotation” again"
    assert "the trigger of “Refund processor” changed" in again.detail


# --- confirmations and sign-off --------------------------------------------------------------------

def test_a_confirmation_closes_an_open_item_never_a_done_one(demo):
    confirmations = [
        Confirmation(item="user  n8n:jonas@fieldwork-automation.example", by="Daniel Koh", date=date(2026, 11, 30),
                     note="Removed in n8n Settings → Users"),
        Confirmation(item="exports make", by="Maya Lindqvist", date=date(2026, 11, 30)),
        Confirmation(item="runbook no-such-runbook", by="Maya Lindqvist", date=date(2026, 11, 30)),
    ]
    closeout = demo.config.closeout.model_copy(update={"confirmations": confirmations})
    result = checklist(with_config(demo, closeout=closeout))
    jonas = item(result, "user n8n:jonas@fieldwork-automation.example")
    assert jonas.status == CONFIRMED and jonas.confirmation.by == "Daniel Koh"
    assert jonas.detail == "Removed in n8n Settings → Users"
    assert item(result, "exports make").status == DONE  # the data proves it: a confirmation changes nothing
    assert [c.item for c in result.unmatched] == ["runbook no-such-runbook"]


def test_the_demo_confirmation_is_shown_as_confirmed(demo):
    slack = item(checklist(demo), "credential zapier:a-slack")
    assert slack.status == CONFIRMED and slack.confirmation.date == date(2026, 11, 28)


def test_sign_off_is_the_document_signatories(demo):
    result = checklist(demo)
    assert [s.name for s in result.sign_off] == ["Maya Lindqvist", "Daniel Koh"] and not result.signed
    signed = [s.model_copy(update={"signed": date(2026, 12, 1)}) for s in demo.config.document.sign_off]
    document = demo.config.document.model_copy(update={"sign_off": signed})
    assert checklist(with_config(demo, document=document)).signed
    bare = checklist(with_config(demo, document=demo.config.document.model_copy(update={"sign_off": []})))
    assert [s.role for s in bare.sign_off] == ["Prepared by", "Accepted for the client"]
    assert bare.sign_off[0] == Signatory(role="Prepared by", name="Maya Lindqvist", organisation="Fieldwork Automation")


# --- client.yml validation -------------------------------------------------------------------------

BROKEN = [
    ("renews-not-a-date", lambda t: t.replace("renews: 2026-12-14", "renews: next spring"), "accounts[1].renews",
     "date"),
    ("no-billing-owner", lambda t: t.replace("    billing_owner: Harbour & Pine (finance card)\n", ""),
     "accounts[3].billing_owner", "required but missing"),
    ("transferred-not-a-bool", lambda t: t.replace("transferred: false", "transferred: soon", 1),
     "accounts[1].transferred", "boolean"),
    ("confirmation-item-form", lambda t: t.replace("item: credential zapier:a-slack", "item: the Slack key"),
     "closeout.confirmations[0].item", "expected 'user <platform>:<e-mail>'"),
    ("confirmation-without-by", lambda t: t.replace("      by: Maya Lindqvist\n      date: 2026-11-28\n",
                                                    "      date: 2026-11-28\n"),
     "closeout.confirmations[0].by", "required but missing"),
    ("team-typo", lambda t: t.replace("      email: jonas@fieldwork-automation.example\n  start:",
                                      "      mail: jonas@fieldwork-automation.example\n  start:"),
     "engagement.team[0].mail", "did you mean 'email'"),
    ("signed-not-a-date", lambda t: t.replace("      name: Daniel Koh\n      organisation: Harbour & Pine Outfitters",
                                              "      name: Daniel Koh\n      signed: yesterday\n      organisation: "
                                              "Harbour & Pine Outfitters"),
     "document.sign_off[1].signed", "date"),
]


@pytest.mark.parametrize("name,edit,field,fragment", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_closeout_sections_name_the_field(tmp_path, name, edit, field, fragment):
    path = copy_demo(tmp_path) / "client.yml"
    text = edit(path.read_text())
    assert text != path.read_text(), "the edit did not apply"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_client(path)
    hit = [p for p in caught.value.problems if f": {field}:" in p]
    assert hit, caught.value.problems
    assert fragment in hit[0]
    result = CliRunner().invoke(app, ["validate", "demo", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert field in result.output.replace("\n", "")


def test_platform_data_in_the_checklist_renders_as_text(demo):
    from generator.render.pages import Page, environment, render_page
    from generator.render.portal import build_portal

    hostile = "<script>alert(1)</script> | **x**"
    credentials = [c.model_copy(update={"name": hostile}) if c.ref == "n8n:cred-mailgun" else c
                   for c in demo.snapshot.credentials]
    users = [u.model_copy(update={"name": hostile}) if u.email == "jonas@fieldwork-automation.example" else u
             for u in demo.snapshot.users]
    evidence = with_snapshot(demo, credentials=credentials, users=users)
    page = render_page(environment(), build_portal(evidence, assess(evidence)),
                       Page("closeout.md", "Close-out checklist", "closeout.md.j2"))
    assert "<script>" not in page and "| **x**" not in page
    assert page.count("&lt;script&gt;") == 2


def test_validate_warns_of_a_confirmation_naming_no_item(tmp_path):
    path = copy_demo(tmp_path) / "client.yml"
    path.write_text(path.read_text().replace("item: credential zapier:a-slack", "item: credential zapier:a-slak"))
    result = CliRunner().invoke(app, ["validate", "demo", "--root", str(tmp_path)])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "'credential zapier:a-slak' names no item of the close-out checklist" in output
    assert "'user make:maya@fieldwork-automation.example'" in output  # what could be meant
    clean = CliRunner().invoke(app, ["validate", "demo", "--root", str(copy_demo(tmp_path / "other").parent.parent)])
    assert clean.exit_code == 0 and "names no item" not in clean.output


# --- the real build --------------------------------------------------------------------------------

def squeeze(text: str) -> str:
    return "".join(text.split())


def column(page, header: str, next_header: str | None) -> str:
    """The text of one table column on a PDF page (its cells wrap, so whole-page text interleaves them)."""
    words = page.extract_words()
    texts = []
    for head in [w for w in words if w["text"] == header]:
        row = [w for w in words if abs(w["top"] - head["top"]) < 2]
        after = [w["x0"] for w in row if next_header and w["text"] == next_header and w["x0"] > head["x0"]]
        right = min(after) - 1 if after else page.width
        texts.append(page.crop((head["x0"] - 1, head["top"], right, page.height)).extract_text() or "")
    return " ".join(texts)


@pytest.mark.slow
def test_demo_checklist_in_site_and_pdf(demo_build):
    c, _ = demo_build
    page = (c.site_dir / "closeout.html").read_text()
    assert "Close-out checklist" in page
    assert "Remove Maya Lindqvist (maya@fieldwork-automation.example) from n8n production" in page
    assert "Remove Jonas Weber (jonas@fieldwork-automation.example) from n8n production" in page
    assert page.count('class="ho-check ho-check-open"') >= 5 and 'class="ho-check ho-check-done"' in page
    assert 'class="ho-check ho-check-confirmed"' in page and "confirmed by Maya Lindqvist on 2026-11-28" in page
    assert "<svg" in page  # the tick is drawn: the shipped fonts have no tick glyph
    assert "closeout.html" in (c.site_dir / "index.html").read_text()  # in the nav

    reader = pypdf.PdfReader(c.pdf_path)
    texts = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    starts = [n for n, t in enumerate(texts) if "Close-out checklist What ends the engagement" in t]
    assert len(starts) == 1, "the chapter is in the PDF once"
    with pdfplumber.open(c.pdf_path) as pdf:
        pages = pdf.pages[starts[0]:starts[0] + 3]
        items = squeeze(" ".join(column(p, "Item", "Evidence,") for p in pages))
        evidence = squeeze(" ".join(column(p, "Evidence,", None) for p in pages))
        whole = squeeze(" ".join(p.extract_text() or "" for p in pages))
    for wanted in ["Remove Jonas Weber (jonas@fieldwork-automation.example) from n8n production",
                   "Remove Maya Lindqvist (maya@fieldwork-automation.example) from n8n production",
                   "Remove Maya Lindqvist (maya@fieldwork-automation.example) from Make (EU1)",
                   "Delete the credential “Mailgun (legacy newsletter)” on n8n production"]:
        assert squeeze(wanted) in items, wanted
    assert squeeze("confirmed by Maya Lindqvist on 2026-11-28") in evidence
    for wanted in ["Platform accounts and billing", "2026-12-14", "Sign-off", "not yet signed"]:
        assert squeeze(wanted) in whole, wanted
    assert whole.count("open") >= 10 and whole.count("done") >= 6
    # near the end: after the chapters, before the change log
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles.index("Close-out checklist") > titles.index("Backups & recovery")
    assert titles.index("Close-out checklist") < titles.index("Change log")
