"""Two audiences: the client's site and PDF name no tool internals; the consultant report has them.

The internals test reads what a reader of the real demo build sees (every HTML page's visible text, the
search index, the PDF's text) against a list of phrases that belong to the consultant. A new page that
lets one through fails here, naming the page and the phrase.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pypdf
import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.commands.build import build_report
from generator.config import ClientConfig
from generator.store import snapshot
from generator.store.workspace import client, load_client

from .conftest import DEMO, copy_demo


def _config_fields(model, seen=None) -> set[str]:
    """Every field name of client.yml's schema, recursively."""
    import typing

    from pydantic import BaseModel

    seen = set() if seen is None else seen
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for arg in [info.annotation, *typing.get_args(info.annotation)] + [
                a for t in typing.get_args(info.annotation) for a in typing.get_args(t)]:
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                seen.add(arg)
                names |= _config_fields(arg, seen)
    return names


def internals() -> dict[str, re.Pattern]:
    """What the client must never read: phrase label → pattern."""
    config = load_client(DEMO / "client.yml")
    env_names = sorted({p.api_key_env for p in config.platforms if p.api_key_env}
                       | {a.secret_env for a in config.alerts if a.secret_env})
    verbs = sorted({(c.name or c.callback.__name__).replace("_", "-") for c in app.registered_commands}
                   | {g.name for g in app.registered_groups})
    fields = sorted(f for f in _config_fields(ClientConfig) if "_" in f)  # keys a reader would not know
    return {
        "client.yml": re.compile(r"client\.ya?ml", re.I),
        "a CLI command": re.compile(r"\bhandover (?:" + "|".join(map(re.escape, verbs)) + r")\b"),
        "a key's environment variable": re.compile("|".join(map(re.escape, env_names))),
        "a repository path": re.compile(r"\bclients/|\bbuild/[a-z0-9-]+/"),
        "the repository": re.compile(r"\brepositor(?:y|ies)\b", re.I),
        "the heuristic": re.compile(r"\bheuristic", re.I),
        "a visible backtick": re.compile("`"),
        "a client.yml field": re.compile(r"\b(?:" + "|".join(map(re.escape, [*fields, "mutes"])) + r")\b"),
        "True/False as a value": re.compile(r"(?<![\w-])(?:True|False)(?![\w-])"),
        "a mechanical plural": re.compile(r"\w\(s\)"),
        "days instead of a period": re.compile(r"\b\d{1,3}(?:,?\d{3})+ days\b"),  # 1825 days: 5 years
        "an environment variable": re.compile(r"environment variable", re.I),
    }


class _Visible(HTMLParser):
    """The text a reader sees (and a screen reader reads): everything but scripts and styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        title = dict(attrs).get("title") or dict(attrs).get("alt")
        if title and not self._hidden:
            self.parts.append(title)

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(page_html: str) -> str:
    parser = _Visible()
    parser.feed(page_html)
    return " ".join(" ".join(parser.parts).split())


def readings(c) -> dict[str, str]:
    """Where → text, for every place the client reads: site pages, search index entries, PDF pages."""
    out = {}
    for path in sorted(c.site_dir.rglob("*.html")):
        out[f"site page {path.relative_to(c.site_dir)}"] = visible_text(path.read_text())
    index = json.loads((c.site_dir / "search" / "search_index.json").read_text())
    for doc in index["docs"]:
        text = html.unescape(re.sub(r"<[^>]+>", " ", doc["title"] + " " + doc["text"]))
        out[f"search index entry {doc['location'] or 'index'}"] = " ".join(text.split())
    for number, page in enumerate(pypdf.PdfReader(c.pdf_path).pages, start=1):
        text = " ".join((page.extract_text() or "").split())
        out[f"PDF page {number} ({text[:40]}…)"] = text
    return out


def offences(texts: dict[str, str]) -> list[str]:
    found = []
    for where, text in texts.items():
        for label, pattern in internals().items():
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60):match.end() + 60]
                found.append(f"{where}: {label} “{match.group(0)}”: …{context}…")
    return found


def test_the_patterns_catch_what_they_are_for():
    """Each pattern of the list finds its phrase (a pattern that matches nothing protects nothing)."""
    samples = {
        "client.yml": "record it in client.yml", "a CLI command": "run handover check demo",
        "a key's environment variable": "the key in HP_N8N_API_KEY", "a repository path": "see clients/demo/exports/",
        "the repository": "kept in this repository", "the heuristic": "if the heuristic is wrong",
        "a visible backtick": "set `rotation`", "a client.yml field": "under personal_data and mutes",
        "True/False as a value": "executions pruning: True", "a mechanical plural": "1 step(s)",
        "days instead of a period": "kept for 1825 days", "an environment variable": "held in an environment variable",
    }
    patterns = internals()
    assert set(samples) == set(patterns)
    for label, sample in samples.items():
        assert patterns[label].search(sample), label
    # and none of them finds the client's ordinary words
    ordinary = ("the automation handover of Harbour & Pine; 30 days; 5 years; true branch; step 1 of 2 steps; "
                "the consultant's configuration; the handover archive")
    assert not [label for label, p in patterns.items() if p.search(ordinary)]


@pytest.mark.slow
def test_the_clients_site_and_pdf_name_no_internals(demo_build):
    c, _ = demo_build
    texts = readings(c)
    assert sum(w.startswith("site page") for w in texts) > 30 and sum(w.startswith("PDF page") for w in texts) > 30
    found = offences(texts)
    assert not found, f"{len(found)} tool internals on the client's pages:\n" + "\n".join(found[:60])


@pytest.mark.slow
def test_times_are_in_the_clients_zone(demo_build):
    """A run's time on its workflow page is the client's local time (Singapore, UTC+8), the zone named."""
    c, _ = demo_build
    snap = snapshot.load(c.snapshot_dir)
    stats = snap.runs_for("n8n:Ord3rSync01")
    local = stats.last_run + timedelta(hours=8)
    page = visible_text((c.site_dir / "workflows" / "n8n-Ord3rSync01.html").read_text())
    assert f"Last run {local:%Y-%m-%d %H:%M} (UTC+8)" in page
    assert f"{stats.last_run:%Y-%m-%d %H:%M} UTC" not in page
    pdf = " ".join("".join(p.extract_text() or "" for p in pypdf.PdfReader(c.pdf_path).pages[:3]).split())
    assert f"{snap.meta.taken + timedelta(hours=8):%Y-%m-%d %H:%M} (UTC+8)" in pdf  # the cover's snapshot time


def test_the_consultant_report_has_what_the_client_pages_leave_out(tmp_path):
    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    result = CliRunner().invoke(app, ["build", "demo", "--audience", "consultant", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = (c.build_dir / "consultant" / "report.html").read_text()
    for needed in ("HP_N8N_API_KEY", "HP_MAKE_API_TOKEN", "HP_ZAPIER_TOKEN", "HP_SLACK_ALERT_WEBHOOK",  # keys read
                   "clients/demo/client.yml", "handover sync demo", "handover build demo",  # files, how to regenerate
                   "attestations", "personal_data", "SEC-001", "in force",  # settings to change, mutes
                   "workflow:read", "shared Zaps: the token lacks zap:account:all"):  # scopes, what was not collected
        assert needed in report, needed
    assert "Record it under <code>attestations</code> in client.yml" in report  # the setting to change
    assert not (c.site_dir).exists() and not c.pdf_path.exists()  # the report alone: no client site or PDF
    assert build_report(c).report == c.build_dir / "consultant" / "report.html"


def test_the_glossary_lists_only_the_terms_the_pages_use():
    from generator.render.pages import glossary_terms

    assert [t["term"] for t in glossary_terms("A webhook starts it; p95 of 3 s.")] == ["p50, p95 (run duration)",
                                                                                     "Webhook"]
    assert glossary_terms("nothing technical here") == []
    assert not glossary_terms("the purpose of it")  # 'RPO' inside a word is no term


@pytest.mark.slow
def test_the_glossary_is_in_the_site_and_the_pdf(demo_build):
    c, _ = demo_build
    page = visible_text((c.site_dir / "glossary.html").read_text())
    for term in ("p50, p95 (run duration)", "Scope", "Webhook", "Error workflow, error handler", "Credential, connection",
                 "Execution, run, task", "Trigger", "Incident severity (critical, high, standard)"):
        assert term in page, term
    reader = pypdf.PdfReader(c.pdf_path)
    outline = [o.title for o in reader.outline if not isinstance(o, list)]
    assert outline[-1] == "Glossary"  # near the end: the last chapter
    last = " ".join(" ".join((p.extract_text() or "") for p in reader.pages[-3:]).split())
    assert "p50, p95 (run duration)" in last and "The median run duration" in last
