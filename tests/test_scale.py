"""Large estates: nav sections stay small, the PDF becomes the summary edition above its threshold,
and a large site opens and searches offline in Chromium."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from generator.render.pages import BUCKET, Page, nav_entries, sections

PROJECT = Path(__file__).resolve().parent.parent


def _lists(nav) -> list[list]:
    """Every list of entries in a mkdocs nav, nested ones included."""
    out = []
    if isinstance(nav, list):
        out.append(nav)
        for entry in nav:
            out += _lists(entry)
    elif isinstance(nav, dict):
        for value in nav.values():
            out += _lists(value)
    return out


@pytest.mark.parametrize("count,folders", [(2000, 40), (2000, 1), (2000, 500), (130, 3), (51, 1)])
def test_nav_sections_never_exceed_the_bucket(count, folders):
    items = [(["n8n", "Make", "Zapier"][i % 3], f"Folder {i % folders}" if i % 9 else "", f"Workflow {i:05d}")
             for i in range(count)]
    grouped = sections(items, [lambda i: i[0], lambda i: i[1] or "No folder"], lambda i: i[2])
    assert sorted(i for _, members in grouped for i in members) == sorted(items)  # each once
    assert all(0 < len(members) <= BUCKET for _, members in grouped)
    assert len({path for path, _ in grouped}) == len(grouped)
    chapter = Page("workflows/index.md", "Workflows", "workflows.md.j2")
    chapter.children = [Page(f"workflows/{i[2]}.md", i[2], "workflow.md.j2", group=path)
                        for path, members in grouped for i in members]
    nav = nav_entries([Page("index.md", "Overview", "overview.md.j2"), chapter])
    # A list holds pages or sections, at most BUCKET of them (+1: a chapter's own index page).
    assert all(len(entries) <= BUCKET + 1 for entries in _lists(nav[1]["Workflows"]))
    paths = re.findall(r"'(workflows/[^']+\.md)'", repr(nav))
    assert len(paths) == count + 1


def test_a_small_estate_keeps_one_level_per_platform():
    items = [(p, f"Folder {i}", f"W{i}") for i, p in enumerate(["n8n"] * 8 + ["Make"] * 4 + ["Zapier"] * 3)]
    grouped = sections(items, [lambda i: i[0], lambda i: i[1]], lambda i: i[2])
    assert [path for path, _ in grouped] == [("n8n",), ("Make",), ("Zapier",)]


def _large_client(root: Path, workflows: int, threshold: int | None = None) -> Path:
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from scale import estate

    estate(root, workflows)
    config = root / "clients" / "bench" / "client.yml"
    if threshold is not None:
        text = config.read_text()
        setting = f"\n  pdf_detail_threshold: {threshold}"
        text = text.replace("\ndocument:", "\ndocument:" + setting) if "\ndocument:" in text else (
            text + "\ndocument:" + setting + "\n")
        config.write_text(text)
    return root


@pytest.mark.slow
def test_large_estate_pdf_is_the_summary_edition(tmp_path):
    from pypdf import PdfReader

    from generator.commands.build import build
    from generator.store import snapshot
    from generator.store.workspace import client

    root = _large_client(tmp_path, 24, threshold=10)
    c = client("bench", root)
    result = build(c)
    reader = PdfReader(c.pdf_path)
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    for chapter in ("Overview", "Architecture", "Workflows", "Workflow register", "Access & scopes",
                    "Security baseline", "Incident response", "Retention policy", "Backups & recovery"):
        assert chapter in top, f"{chapter} missing from the summary edition's outline {top}"
    assert top.index("Workflow register") == top.index("Workflows") + 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    names = [w.name for w in snapshot.load(c.snapshot_dir).workflows]
    register = text[text.index("Register:"):]
    missing = [n for n in names if n not in register]
    assert not missing, f"workflows without a register entry: {missing}"
    assert "Runbook: " not in text  # the per-workflow chapters stay on the site
    assert "|---|" not in text and "| Trigger |" not in text  # each entry's table is a table, not its Markdown
    assert "on the site: workflows/" in text
    assert len(reader.pages) <= 1.5 * len(names) + 60
    # The site still has every workflow page, and no print-only page.
    assert len(list((c.site_dir / "workflows").glob("*.html"))) == len(names) + 1
    assert not (c.site_dir / "print").exists()
    assert result.pdf_parts

    # A workflow link in the PDF jumps inside the document (to its register entry), none leads outside.
    uris = [str(a.get_object()["/A"].get("/URI")) for page in reader.pages for a in page.get("/Annots") or []
            if a.get_object().get("/A") is not None and "/URI" in a.get_object()["/A"]]
    assert not [u for u in uris if ".md" in u or u.startswith("file:")]

    full = build(c, pdf_detail=True)
    assert not full.skipped
    assert "Runbook: " in "\n".join(page.extract_text() for page in PdfReader(c.pdf_path).pages)


@pytest.mark.slow
def test_large_site_opens_and_searches_offline(tmp_path):
    from generator.commands.build import build
    from generator.store.workspace import client
    from tests.test_browser import browse

    root = _large_client(tmp_path / "estate", 260)
    c = client("bench", root)
    build(c, with_pdf=False)
    pages = list((c.site_dir / "workflows").glob("*.html"))
    assert len(pages) == 261
    # The nav a page carries is its own section: fewer links than one platform has workflows (~130
    # n8n here; the nav of one section per platform carried all of them).
    for page in [p for p in pages if p.name != "index.html"][::40]:
        assert len(re.findall(r'class="md-nav__link', page.read_text())) < 100, page.name
    log = (c.site_dir / "changelog.html").read_text()  # a large import names a few of its workflows
    assert re.search(r"<li>and [\d,]+ more workflows added</li>", log) and log.count("<li>added:") < 30
    dom, requests = browse((c.site_dir / "workflows" / "index.html").as_uri() + "?q=loyalty", tmp_path / "b")
    assert requests == []
    found = re.search(r"(\d+) matching documents?", dom)
    assert found and int(found.group(1)) >= 1, "search returned nothing from file://"
    assert "Loyalty points award" in dom
    # A workflow's own page comes before its runbook, which repeats its name.
    first = re.search(r'<li class="md-search-result__item">\s*<a href="([^"]+)"', dom)
    assert first and "/workflows/" in first.group(1), first and first.group(1)


def test_import_of_many_files_reports_progress_per_file(tmp_path):
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from scale import export_files

    from generator.connectors import import_files
    from generator.store import snapshot
    from tests.conftest import new_client

    c = new_client(tmp_path)
    paths = export_files(tmp_path / "exports", 120)
    seen: list = []

    def progress(label, total):
        seen.append(total)
        return lambda n: seen.append(n)

    outcome = import_files(c, "n8n", paths, progress=progress)
    assert outcome.workflows == 120
    assert seen == [120] + [1] * 120
    assert len(snapshot.load(c.snapshot_dir).workflows) == 120
