"""Incremental builds: only what changed is rendered again, and the result is a clean build's.

The site part runs MkDocs on a handful of pages (fast); the whole-build tests use the demo (slow).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.render import site
from generator.store.workspace import BASE_MKDOCS, TEMPLATES_DIR


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


PAGES = {
    "index.md": "---\ntitle: Home\n---\n\n# Home\n\nSee [the rules](b.md#rules) and [a](a.md).\n",
    "a.md": "---\ntitle: Alpha\n---\n\n# Alpha\n\nAlpha text about invoices.\n\n## Details {#details}\n\nMore.\n",
    "b.md": "---\ntitle: Beta\n---\n\n# Beta\n\n## Rules {#rules}\n\nBeta text about refunds.\n",
}


def _project(root: Path, nav_title: str = "Alpha") -> Path:
    overrides = root / "overrides"
    if not overrides.exists():
        shutil.copytree(TEMPLATES_DIR / "overrides", overrides)
    (root / "mkdocs.yml").write_text(
        f"INHERIT: {BASE_MKDOCS}\nsite_name: Test\ndocs_dir: docs\nsite_dir: site\n"
        f"theme:\n  name: material\n  custom_dir: {overrides}\n"
        f"nav:\n  - Home: index.md\n  - {nav_title}: a.md\n  - Beta: b.md\n")
    docs = root / "docs"
    for name, text in PAGES.items():
        if not (docs / name).exists():
            (docs / name).parent.mkdir(parents=True, exist_ok=True)
            (docs / name).write_text(text)
    return root / "mkdocs.yml"


def _clean_copy(config: Path, tmp: Path) -> dict[str, bytes]:
    """The same docs and configuration built from nothing in another folder."""
    other = tmp / "clean"
    shutil.rmtree(other, ignore_errors=True)
    other.mkdir()
    shutil.copytree(config.parent / "docs", other / "docs")
    shutil.copytree(config.parent / "overrides", other / "overrides")
    (other / "mkdocs.yml").write_text(config.read_text().replace(str(config.parent / "overrides"), str(other / "overrides")))
    site.build_site(other / "mkdocs.yml", 0)
    return _tree(other / "site")


def test_site_renders_only_changed_pages_and_equals_a_clean_build(tmp_path):
    config = _project(tmp_path / "p")
    assert site.build_site(config, 0) == {"pages": 3, "rendered": 3}
    first = _tree(config.parent / "site")
    assert site.build_site(config, 0) == {"pages": 3, "rendered": 0}  # nothing changed
    assert _tree(config.parent / "site") == first

    b = config.parent / "docs" / "b.md"
    b.write_text(b.read_text().replace("refunds", "chargebacks"))
    assert site.build_site(config, 0) == {"pages": 3, "rendered": 1}
    incremental = _tree(config.parent / "site")
    assert incremental == _clean_copy(config, tmp_path)  # same files, same bytes, search index included
    index = json.loads(incremental["search/search_index.json"])
    texts = " ".join(entry["text"] for entry in index["docs"])
    assert "chargebacks" in texts and "invoices" in texts and "refunds" not in texts  # the skipped page stays indexed

    a = config.parent / "docs" / "a.md"  # another page changes next: b's record is carried on
    a.write_text(a.read_text().replace("invoices", "credit notes"))
    assert site.build_site(config, 0)["rendered"] == 1
    assert _tree(config.parent / "site") == _clean_copy(config, tmp_path)


@pytest.mark.parametrize("change", ["nav", "theme", "new file", "clean"])
def test_site_renders_every_page_when_what_they_share_changes(tmp_path, change):
    config = _project(tmp_path / "p")
    site.build_site(config, 0)
    if change == "nav":  # client.yml or the portal's plan changed the nav (every page carries it)
        _project(tmp_path / "p", nav_title="Alpha and more")
    elif change == "theme":
        footer = config.parent / "overrides" / "partials" / "footer.html"
        footer.write_text(footer.read_text() + "\n<!-- changed -->\n")
    elif change == "new file":  # links are checked against the set of files
        (config.parent / "docs" / "diagram.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert site.build_site(config, 0, clean=change == "clean")["rendered"] == 3
    assert _tree(config.parent / "site") == _clean_copy(config, tmp_path)


def test_theme_files_kept_between_builds_follow_the_overrides(tmp_path):
    """The theme's file list is kept between builds (Material's icons made listing it slow): a file
    added to the overrides still reaches the site, and the kept list is MkDocs' own."""
    config = _project(tmp_path / "p")
    site.build_site(config, 0)
    assert (config.parent / ".cache" / "theme-files.json").is_file()
    extra = config.parent / "overrides" / "assets" / "handover-extra.txt"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("added to the theme")
    site.build_site(config, 0)
    assert (config.parent / "site" / "assets" / "handover-extra.txt").read_text() == "added to the theme"
    assert _tree(config.parent / "site") == _clean_copy(config, tmp_path)
    (config.parent / ".cache" / "theme-files.json").unlink()  # listed afresh: the same site
    site.build_site(config, 0, clean=True)
    assert _tree(config.parent / "site") == _clean_copy(config, tmp_path)


def test_a_drawing_written_again_is_copied_only_when_its_bytes_changed(tmp_path):
    config = _project(tmp_path / "p")
    drawing = config.parent / "docs" / "diagram.svg"
    drawing.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.build_site(config, 0)
    copied = config.parent / "site" / "diagram.svg"
    before = copied.stat().st_mtime_ns
    drawing.write_text(drawing.read_text())  # the docs are written afresh every build: same bytes, newer file
    site.build_site(config, 0)
    assert copied.stat().st_mtime_ns == before
    drawing.write_text("<svg xmlns='http://www.w3.org/2000/svg'><rect width='1' height='1'/></svg>")
    site.build_site(config, 0)
    assert "rect" in copied.read_text()
    assert _tree(config.parent / "site") == _clean_copy(config, tmp_path)


def test_a_configuration_mkdocs_reads_with_its_own_tags_still_loads(tmp_path, monkeypatch):
    """The nav is read with libyaml; a mkdocs.yml with one of MkDocs' own tags is read by MkDocs whole."""
    config = _project(tmp_path / "p")
    monkeypatch.setenv("HANDOVER_TEST_SITE_NAME", "From the environment")
    config.write_text(config.read_text().replace("site_name: Test", "site_name: !ENV HANDOVER_TEST_SITE_NAME"))
    loaded = site.load(config)
    assert loaded.site_name == "From the environment"
    plain = site.load(_project(tmp_path / "q"))
    assert plain["nav"] == [{"Home": "index.md"}, {"Alpha": "a.md"}, {"Beta": "b.md"}] == loaded["nav"]


def test_strict_anchor_checks_still_see_skipped_pages(tmp_path):
    config = _project(tmp_path / "p")
    site.build_site(config, 0)
    # The unchanged home page links to b.md#rules: removing the anchor from b must still fail…
    b = config.parent / "docs" / "b.md"
    b.write_text(b.read_text().replace("## Rules {#rules}", "## Policies {#policies}"))
    with pytest.raises(site.SiteError, match="rules"):
        site.build_site(config, 0)
    b.write_text(PAGES["b.md"])
    # …and so must a changed page linking to an anchor the unchanged page a.md does not have.
    assert site.build_site(config, 0)["rendered"] == 3  # the failed build left no record: a clean one
    home = config.parent / "docs" / "index.md"
    home.write_text(home.read_text() + "\n[x](a.md#nowhere)\n")
    with pytest.raises(site.SiteError, match="nowhere"):
        site.build_site(config, 0)
    home.write_text(PAGES["index.md"] + "\n[x](a.md#details)\n")
    assert site.build_site(config, 0)["rendered"] == 3


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.mark.slow
def test_one_change_builds_what_it_touches_and_equals_a_clean_build(tmp_path):
    from generator.commands.build import build
    from generator.store import snapshot
    from generator.store.workspace import client

    from .conftest import copy_demo

    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    first = build(c)
    pages = first.site_pages["pages"]
    assert first.site_pages["rendered"] == pages

    def change(ref: str, text: str) -> None:
        snap = snapshot.load(c.snapshot_dir)
        snap.workflow(ref).description = text
        snapshot.save(snap, c.snapshot_dir)

    def clean_build() -> tuple[dict, list[str]]:
        other = tmp_path / "clean"
        shutil.rmtree(other, ignore_errors=True)
        shutil.copytree(tmp_path / "clients", other / "clients")
        fresh = client("demo", other)
        build(fresh)
        return _tree(fresh.site_dir), _pdf_text(fresh.pdf_path)

    for ref in ("n8n:Tri4geAI03", "make:4417"):  # one workflow, then another: the first's record carries on
        change(ref, f"Changed description of {ref}.")
        again = build(c)
        assert 0 < again.site_pages["rendered"] <= 3, again.site_pages  # its page, and pages listing its purpose
        # its workflow's and its runbook's parts, the workflow list's, the front (contents) and the footer layer
        assert again.pdf_parts["laid_out"] <= 5, again.pdf_parts
        site_files, pdf_text = clean_build()
        assert _tree(c.site_dir) == site_files
        assert _pdf_text(c.pdf_path) == pdf_text

    config = c.config_path  # client.yml is in every page (site name, footer): every page again
    config.write_text(config.read_text().replace("name: Harbour & Pine", "name: Harbour and Pine", 1))
    c = client("demo", tmp_path)  # read client.yml again
    assert build(c).site_pages["rendered"] == pages
    site_files, pdf_text = clean_build()
    assert _tree(c.site_dir) == site_files and _pdf_text(c.pdf_path) == pdf_text


def test_flowcharts_are_drawn_again_only_for_a_changed_workflow(tmp_path, monkeypatch):
    from generator.commands.build import portal_for
    from generator.render import pages
    from generator.store import cache, snapshot
    from generator.store.workspace import client

    from .conftest import copy_demo

    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    drawn: list[str] = []
    real = pages.flowcharts
    monkeypatch.setattr(pages, "flowcharts", lambda workflow, *a: drawn.append(workflow.ref) or real(workflow, *a))

    def svgs(portal) -> dict[str, list[str]]:
        entries = cache.Entries(tmp_path / "drawings")
        out = {p.path: p.extra["figure_svgs"] for p in pages.flatten(pages.plan(portal, entries)) if "figure_svgs" in p.extra}
        entries.prune()
        return out

    first = svgs(portal_for(c, with_history=False))
    assert len(set(drawn)) == len(first)
    drawn.clear()
    assert svgs(portal_for(c, with_history=False)) == first and drawn == []  # all from the cache

    snap = snapshot.load(c.snapshot_dir)
    snap.workflow("n8n:Tri4geAI03").step("t2").name = "Summarise the ticket"
    snapshot.save(snap, c.snapshot_dir)
    again = svgs(portal_for(client("demo", tmp_path), with_history=False))
    assert set(drawn) == {"n8n:Tri4geAI03"}
    assert [p for p in first if again[p] != first[p]] == ["workflows/n8n-Tri4geAI03.md"]
    kept = sorted(p.name for p in (tmp_path / "drawings").iterdir())
    assert len([k for k in kept if not k.startswith("maps-")]) == len(first)  # the old drawing was pruned
    assert len([k for k in kept if k.startswith("maps-")]) == 1  # the integration maps: unchanged, kept once


_MARKER: list[Path] = []  # where the second rendering process writes its process id


def _render_other_marked(indexes):
    import os

    from generator.render import pages

    _MARKER[0].write_text(str(os.getpid()))
    return pages._render_some(*pages._SHARED[:2], [pages._SHARED[2][i] for i in indexes], pages._SHARED[3])


def _render_other_failing(indexes):
    return None


def test_pages_rendered_on_two_cores_are_those_of_one(tmp_path, monkeypatch):
    """A large estate's pages are rendered by two processes: the docs are byte for byte those of one,
    and when the second process fails its pages are rendered again (and its error reported) by the first."""
    import os

    from generator.commands.build import portal_for
    from generator.render import pages
    from generator.store.workspace import client

    from .conftest import copy_demo

    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    portal = portal_for(c)
    pages.write_docs(c, portal)
    one = _tree(c.docs_dir)

    monkeypatch.setattr(pages, "PARALLEL_PAGES", 1)
    _MARKER[:] = [tmp_path / "rendered-by"]
    monkeypatch.setattr(pages, "_render_other", _render_other_marked)
    pages.write_docs(c, portal)
    assert _MARKER[0].read_text() != str(os.getpid())  # another process did render
    assert _tree(c.docs_dir) == one

    monkeypatch.setattr(pages, "_render_other", _render_other_failing)
    pages.write_docs(c, portal)
    assert _tree(c.docs_dir) == one
    _MARKER.clear()
