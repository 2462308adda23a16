"""Hostile and careless input: data never becomes terminal markup or spreadsheet formulas, empty workflows
are workflows, files named in client.yml stay inside the client's folder, names never become HTML."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from generator.cli import app, plain
from generator.store import snapshot

from .conftest import new_client

runner = CliRunner()
ESC = "\x1b]0;pwned\x07"  # an OSC sequence: would retitle the terminal
MARKUP = "[/foo] [bold]x[/bold] [a-z0-9] :smile: line 12:3"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def n8n_file(path, name, nodes=None):
    # active: the findings that name the workflow (an open webhook) are for workflows that run
    path.write_text(json.dumps({"id": path.stem, "name": name, "nodes": nodes or [], "connections": {}, "active": True}))
    return path


def test_terminal_output_is_plain_text(tmp_path):
    c = new_client(tmp_path)
    name = f"{MARKUP} {ESC}"
    nodes = [{"id": "1", "name": f"step {MARKUP}", "type": "n8n-nodes-base.manualTrigger", "parameters": {}}]
    imported = invoke("import", "acme", "n8n", n8n_file(tmp_path / "w1.json", name, nodes), "--root", tmp_path)
    assert imported.exit_code == 0, imported.output
    checked = invoke("check", "acme", "--root", tmp_path)
    assert checked.exit_code == 0, checked.output
    listed = invoke("incident", "new", "acme", f"Orders {MARKUP}", "--severity", "high", "--root", tmp_path)
    assert listed.exit_code == 0, listed.output
    table = invoke("incident", "list", "acme", "--root", tmp_path)
    assert "[/foo]" in table.output and ":smile:" in table.output and "[a-z0-9]" in table.output
    for result in (imported, checked, listed, table):
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert snapshot.load(c.snapshot_dir).workflows[0].name == name  # kept as data, only shown escaped


def test_plain_escapes_control_characters():
    assert plain(f"a{ESC}b\tc\nd") == "a\\x1b]0;pwned\\x07b\tc\nd"


def test_csv_cells_are_never_formulas(tmp_path):
    new_client(tmp_path)
    formula = '=HYPERLINK("https://evil.example","click")'
    nodes = [{"id": "1", "name": "hook", "type": "n8n-nodes-base.webhook", "parameters": {"path": "p"}}]
    assert invoke("import", "acme", "n8n", n8n_file(tmp_path / "w2.json", formula, nodes), "--root", tmp_path
                  ).exit_code == 0
    found = invoke("check", "acme", "--root", tmp_path, "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(found.output)) for cell in row]
    assert any(formula in cell for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")], "a cell a spreadsheet would run"
    trail = invoke("audit", "acme", "--root", tmp_path, "--format", "csv")
    assert not [cell for row in csv.reader(io.StringIO(trail.output)) for cell in row if cell[:1] in "=+-@"]


def test_empty_workflows_are_workflows(tmp_path):
    c = new_client(tmp_path)
    (tmp_path / "mk.json").write_text(json.dumps({"name": "Empty scenario", "flow": [], "metadata": {}}))
    (tmp_path / "Zapfile.json").write_text(json.dumps({"zaps": [{"id": 77, "title": "Empty Zap", "nodes": {}}]}))
    notes = [{"id": "s", "name": "n", "type": "n8n-nodes-base.stickyNote", "parameters": {"content": "hello"}}]
    for platform, path in (("n8n", n8n_file(tmp_path / "e1.json", "Empty")), ("n8n", n8n_file(tmp_path / "e2.json",
                           "Only a note", notes)), ("make", tmp_path / "mk.json"), ("zapier", tmp_path / "Zapfile.json")):
        result = invoke("import", "acme", platform, path, "--root", tmp_path)
        assert result.exit_code == 0, result.output
    snap = snapshot.load(c.snapshot_dir)
    assert sorted(len(w.steps) for w in snap.workflows) == [0, 0, 0, 0]
    assert invoke("validate", "acme", "--root", tmp_path).exit_code == 0
    assert invoke("check", "acme", "--root", tmp_path).exit_code == 0
    again = invoke("import", "acme", "n8n", tmp_path / "e1.json", "--root", tmp_path)  # the snapshot still loads
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("logo,expected", [
    ("../other/client.yml", "inside the client's folder"),
    ("/etc/passwd", "inside the client's folder"),
    ("assets/logo.txt", "expected an image file"),
    ("assets/missing.svg", "no file"),
    ("assets/script.svg", "contains script"),
    ("assets/link.png", "leads outside"),
    ("assets/fake.png", "is not a PNG image"),
])
def test_logo_must_be_an_image_inside_the_client_folder(tmp_path, logo, expected):
    c = new_client(tmp_path)
    assets = c.dir / "assets"
    assets.mkdir()
    (assets / "script.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (assets / "fake.png").write_text("not a png")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret of another client")
    (assets / "link.png").symlink_to(tmp_path / "secret.png")
    text = c.config_path.read_text().replace("  slug: acme\n", f"  slug: acme\n  logo: {logo}\n")
    c.config_path.write_text(text)
    result = invoke("validate", "acme", "--root", tmp_path)
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_hostile_client_name_and_unsynced_platform_build(tmp_path):
    hostile = 'X <script>alert(1)</script> "q" [/b]'
    assert invoke("init", "acme", "--name", hostile, "--root", tmp_path).exit_code == 0
    config = tmp_path / "clients/acme/client.yml"
    config.write_text(config.read_text().replace("platforms: []", "platforms:\n  - kind: n8n\n    name: n8n prod\n"
                                                 "    base_url: https://n8n.example.com\n    api_key_env: ACME_N8N_KEY"))
    built = invoke("build", "acme", "--root", tmp_path, "--no-pdf")  # listed before its first sync
    assert built.exit_code == 0, built.output
    for page in (tmp_path / "build/acme/site").rglob("*.html"):
        assert "<script>alert" not in page.read_text(), page
