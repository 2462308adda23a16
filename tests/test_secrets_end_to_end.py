"""No secret leaves, end to end: the planted corpus (tests/secrets_corpus.py) imported from export
files and synced from the fake n8n, Make and Zapier APIs, then check, health, build (site and PDF) and
bundle (the real n8n: tests/test_n8n_real.py).
Not one planted value — whole or any 12-character window — is in any file under clients/<c>/ or
build/<c>/, the PDF's text, the bundle's members or the terminal output; each is reported by location
and fingerprint; decoys are not reported and Code nodes made of them are exported byte for byte.
And the guard: with redaction bypassed in a connector, the write is refused and the snapshot is kept."""

from __future__ import annotations

import io
import json
import zipfile

import pdfplumber
import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.redact import fingerprint, render_path
from generator.store import snapshot

from .conftest import files, new_client
from .fake_make import TOKEN as MAKE_TOKEN
from .fake_make import FakeMake
from .fake_n8n import FakeN8n
from .fake_zapier import TOKEN as ZAPIER_TOKEN
from .fake_zapier import FakeZapier, step, zap
from .secrets_corpus import DECOY_CODE, DECOYS, FORMATS, plantings, windows

pytestmark = pytest.mark.slow
runner = CliRunner()
N8N_KEY = "n8n-test-key-0123456789abcdef"
PLANTED = plantings()
# Zapier's API has no step metadata: those go through the export only.
SYNCED = [p for p in PLANTED if p.number % 2 and not (p.platform == "zapier" and p.position == "step metadata")]
IMPORTED = [p for p in PLANTED if p not in SYNCED]
# Secrets only the APIs give: credential, tag, project and variable names, connections, data stores, accounts.
API_ONLY = {name: FORMATS[kind]() for name, kind in [
    ("n8n credential", "stripe_secret_key"), ("n8n tag", "github_pat"), ("n8n project", "openai_key"),
    ("n8n variable", "slack_bot_token"), ("make connection", "sendgrid_key"), ("make data store", "groq_key"),
    ("zapier account", "huggingface_token"), ("n8n user", "notion_token")]}


def _named(planting, document: dict, key: str, default: str) -> dict:
    """Every planted workflow gets a name (and id) of its own, unless its name is the planted position."""
    if planting.path != (key,):
        document = dict(document, **{key: f"{default} {planting.number}"})
    return document


def n8n_documents(items, *, api: bool) -> list[dict]:
    out = []
    for p in items:
        document = _named(p, p.document, "name", "Planted")
        if api or p.position != "workflow name":  # an export named by its secret: its id derives from the name
            document = dict(document, id=f"p{p.number}")
        out.append(document)
    decoys = {"id": "decoys" if api else "decoys-file", "name": "Decoys " + ("api" if api else "file"), "nodes": [
        {"id": "c", "name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2, "position": [0, 0],
         "parameters": {"jsCode": DECOY_CODE}},
        {"id": "s", "name": "About", "type": "n8n-nodes-base.stickyNote", "typeVersion": 1, "position": [0, 200],
         "parameters": {"content": "\n".join(DECOYS)}}], "connections": {}}
    return out + [decoys]


def make_blueprint(p) -> dict:
    return _named(p, p.document, "name", "Planted")


def zap_export(p) -> dict:
    return dict(_named(p, p.document, "title", "Planted"), id=1000 + p.number)


def zap_api(p) -> dict:
    """The export-shaped Zap of a planting as the Workflow API gives it (steps in a list, inputs)."""
    document = _named(p, p.document, "title", "Planted")
    node = document["nodes"].get("2")
    steps = [step("uag:1", "catch_hook", "WebHookCLIAPI", "READ", "Catch Hook")]
    if node:
        steps.append(step("uag:2", "post", "WebHookCLIAPI", "WRITE", "POST", inputs=node.get("params"),
                          step_title=node.get("title")))
    return zap(5000 + p.number, document["title"], steps)


def api_path(p) -> tuple:
    """Where a Zapier planting sits in the API's shape."""
    if p.path[:2] == ("nodes", "2"):
        return ("steps", 1, *{"params": ("inputs",)}.get(p.path[2], (p.path[2],)), *p.path[3:])
    return p.path


def expected(p, synced: bool) -> tuple[str | None, str]:
    """(step, field) where the snapshot must report the planting."""
    path = api_path(p) if synced and p.platform == "zapier" else p.path
    if p.platform == "n8n" and path[:1] == ("nodes",):
        if p.position == "sticky note":
            return None, render_path((f"nodes[{p.document['nodes'][1]['name']}]", *path[2:]))
        return "n1", render_path(path[2:])
    if p.platform == "make" and path[:1] == ("flow",):
        return "2", render_path(path[2:])
    if p.platform == "zapier" and path[:1] in (("nodes",), ("steps",)):
        return "2", render_path(path[2:])
    return None, render_path(path)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    root = tmp_path_factory.mktemp("estate")
    n8n, make, zapier = FakeN8n(api_key=N8N_KEY), FakeMake(), FakeZapier()
    n8n.workflows = n8n_documents([p for p in SYNCED if p.platform == "n8n"], api=True)
    n8n.credentials = [{"id": "c9", "name": f"Partner {API_ONLY['n8n credential']}", "type": "httpHeaderAuth",
                        "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}]
    n8n.tags = [{"id": "t1", "name": API_ONLY["n8n tag"]}]
    n8n.projects = [{"id": "p1", "name": f"Team {API_ONLY['n8n project']}", "type": "team"}]
    n8n.variables = [{"id": "v1", "key": "PARTNER_TOKEN", "value": API_ONLY["n8n variable"]}]
    n8n.users = [{"id": "u1", "email": "ops@acme.example", "firstName": API_ONLY["n8n user"], "lastName": "Ops",
                  "role": "global:owner"}]
    make_synced = [p for p in SYNCED if p.platform == "make"]
    make.scenarios = [{"id": 7000 + p.number, "name": make_blueprint(p)["name"], "teamId": 1, "isActive": True,
                       "scheduling": {"type": "indefinitely", "interval": 900},
                       "lastEdit": "2026-11-01T10:00:00.000Z", "dlqCount": 0} for p in make_synced]
    make.blueprints = {7000 + p.number: make_blueprint(p) for p in make_synced}
    make.connections = [{"id": 41, "name": f"SendGrid {API_ONLY['make connection']}", "teamId": 1,
                         "accountName": "sendgrid", "accountLabel": "SendGrid", "scoped": False}]
    make.data_stores = [{"id": 51, "name": f"cache {API_ONLY['make data store']}", "teamId": 1, "records": 3,
                         "size": "100", "maxSize": "1000"}]
    zapier.zaps = [zap_api(p) for p in SYNCED if p.platform == "zapier"]
    zapier.authentications = [{"type": "authentication", "id": "a1", "app": "WebHookCLIAPI", "is_expired": False,
                               "title": f"Webhooks {API_ONLY['zapier account']}"}]
    servers = [(n8n.start(), n8n), (make.start(), make), (zapier.start(), zapier)]
    outputs: list[str] = []
    try:
        (n8n_base, _), (make_base, _), (zapier_base, _) = servers
        client = new_client(root, (
            f"  - kind: n8n\n    name: n8n\n    base_url: {n8n_base}\n    api_key_env: ACME_N8N_KEY\n"
            f"  - kind: make\n    name: Make\n    base_url: {make_base}\n    organization_id: 10\n"
            "    api_key_env: ACME_MAKE_TOKEN\n"
            f"  - kind: zapier\n    name: Zapier\n    base_url: {zapier_base}\n    api_key_env: ACME_ZAPIER_TOKEN\n"))
        env = {"ACME_N8N_KEY": N8N_KEY, "ACME_MAKE_TOKEN": MAKE_TOKEN, "ACME_ZAPIER_TOKEN": ZAPIER_TOKEN}
        folder = root / "files"
        (folder / "n8n").mkdir(parents=True)
        (folder / "make").mkdir()
        for i, document in enumerate(n8n_documents([p for p in IMPORTED if p.platform == "n8n"], api=False)):
            (folder / "n8n" / f"w{i}.json").write_text(json.dumps(document))
        for p in IMPORTED:
            if p.platform == "make":
                (folder / "make" / f"b{p.number}.json").write_text(json.dumps(make_blueprint(p)))
        zaps = [zap_export(p) for p in IMPORTED if p.platform == "zapier"]
        zaps.append({"id": 999, "title": "Decoy code", "status": "on", "nodes": {
            "1": {"id": 1, "type_of": "read", "action": "hook_v2", "selected_api": "WebHookCLIAPI@1.0.12",
                  "parent_id": None, "params": {}},
            "2": {"id": 2, "type_of": "write", "action": "run_javascript", "selected_api": "CodeAPI",
                  "parent_id": 1, "params": {"code": DECOY_CODE}}}})
        with zipfile.ZipFile(folder / "zapier.zip", "w") as archive:
            archive.writestr("Zapfile.json", json.dumps({"metadata": {"version": "2"}, "zaps": zaps}))
        commands = [["sync", "acme"],
                    ["import", "acme", "n8n", *sorted(str(p) for p in (folder / "n8n").glob("*.json"))],
                    ["import", "acme", "make", *sorted(str(p) for p in (folder / "make").glob("*.json"))],
                    ["import", "acme", "zapier", str(folder / "zapier.zip")],
                    ["check", "acme"], ["health", "acme"], ["build", "acme"],
                    ["bundle", "acme"]]  # check first: bundle rebuilds none
        for command in commands:
            result = runner.invoke(app, [*command, "--root", str(root)], env=env)
            outputs.append(result.output)
            assert result.exit_code in (0, 1), (command, result.output)  # 1: check found what it should
    finally:
        for _, server in servers:
            server.stop()
    return root, client, outputs


def _written(root, outputs) -> dict[str, str]:
    """Every text the run produced: files, bundle members, the PDF's text, the terminal."""
    texts = {f"terminal {i}": out for i, out in enumerate(outputs)}
    for base in (root / "clients/acme", root / "build/acme"):
        for name, data in files(base).items():
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                    texts.update({f"{name}!{m}": bundle.read(m).decode("utf-8", "replace")
                                  for m in bundle.namelist() if not m.endswith(".pdf")})
            elif name.endswith(".pdf") and ".cache/" in name:
                continue  # the cached parts of the PDF: laid out from the cached HTML beside them, checked
            elif name.endswith(".pdf"):
                with pdfplumber.open(io.BytesIO(data)) as pdf:
                    texts[name + " (text)"] = "\n".join(page.extract_text() or "" for page in pdf.pages)
            else:
                texts[f"{base.name}/{name}"] = data.decode("utf-8", "replace")
    return texts


def test_no_planted_secret_is_written_anywhere(estate):
    root, _, outputs = estate
    texts = _written(root, outputs)
    assert any(name.endswith(".pdf (text)") for name in texts) and any("!" in name for name in texts)
    assert any("search_index.json" in name for name in texts)
    forbidden = {w: p.secret.kind for p in PLANTED for w in windows(p.secret.secret) + windows(p.reported)}
    forbidden.update({w: kind for kind, value in API_ONLY.items() for w in windows(value)})
    leaks = sorted({(where, kind) for where, text in texts.items() for kind in _leaks(text, forbidden)})
    assert leaks == []


def _leaks(text: str, forbidden: dict[str, str]) -> set[str]:
    """Kinds of the forbidden strings (wholes of any length, 12-character windows) found in `text`, in
    one pass: each 12-character window contains a 6-character block at a multiple of 6."""
    found = {kind for w, kind in forbidden.items() if len(w) < 12 and w in text}
    windows12 = {w: kind for w, kind in forbidden.items() if len(w) >= 12}
    blocks = {w[i:i + 6] for w in windows12 for i in range(len(w) - 5)}
    for k in range(0, len(text) - 5, 6):
        if text[k:k + 6] in blocks:
            for a in range(max(0, k - 6), k + 1):
                piece = text[a:a + 12]
                if piece in windows12:
                    found.add(windows12[piece])
                else:  # a whole secret longer than 12 characters is caught by its windows
                    continue
    return found


def test_every_planted_secret_is_reported_by_location_and_fingerprint(estate):
    _, client, _ = estate
    snap = snapshot.load(client.snapshot_dir)
    reported = {(w.platform.value, s.step, s.field, s.fingerprint) for w in snap.workflows for s in w.secrets}
    missing = [(p.number, p.platform, p.position, p.secret.kind, expected(p, p in SYNCED)) for p in PLANTED
               if (p.platform, *expected(p, p in SYNCED), fingerprint(p.reported)) not in reported]
    assert missing == []
    recall = 1 - len(missing) / len(PLANTED)
    assert recall == 1.0


def test_decoys_are_not_reported_and_code_is_exported_byte_for_byte(estate):
    _, client, _ = estate
    snap = snapshot.load(client.snapshot_dir)
    decoy_workflows = [w for w in snap.workflows if w.name.startswith("Decoy")]
    assert len(decoy_workflows) == 3 and all(w.secrets == [] for w in decoy_workflows)
    for ident in ("decoys", "decoys-file"):
        exported = json.loads((client.dir / "exports/n8n" / f"{ident}.json").read_text())
        assert exported["nodes"][0]["parameters"]["jsCode"] == DECOY_CODE
    exported = json.loads((client.dir / "exports/zapier/999.json").read_text())
    assert exported["nodes"]["2"]["params"]["code"] == DECOY_CODE


def test_the_guard_refuses_when_a_connector_bypasses_redaction(estate, monkeypatch):
    """A connector bug simulated: the n8n importer normalises the redacted tree but exports the raw
    workflow. The export write is refused, the error names the file and fingerprint, never the value,
    and the snapshot stays as it was."""
    root, client, _ = estate
    from generator.connectors.n8n import files as n8n_files
    from generator.redact import Redacted

    real_native = n8n_files.native
    monkeypatch.setattr(n8n_files, "native", lambda document: real_native(Redacted(raw_of[id(document)], [])))
    raw_of: dict[int, dict] = {}
    real_redact = n8n_files.redact_document

    def remembering(raw):
        result = real_redact(raw)
        raw_of[id(result)] = raw
        return result
    monkeypatch.setattr(n8n_files, "redact_document", remembering)
    secret = "sk_live_" + "Bq7LmZp2Ns8Kd4Vb6Wc9Yt1RaT3BlbkF"
    path = root / "files" / "bypass.json"
    path.write_text(json.dumps({"id": "bypass", "name": "Bypass", "connections": {}, "nodes": [
        {"id": "c", "name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2, "position": [0, 0],
         "parameters": {"jsCode": f"const key = '{secret}';"}}]}))
    before = files(client.snapshot_dir)
    result = runner.invoke(app, ["import", "acme", "n8n", str(path), "--root", str(root)])
    assert result.exit_code != 0
    assert "refused to write" in result.output and fingerprint(secret) in result.output
    assert secret[:12] not in result.output and secret[-12:] not in result.output
    assert files(client.snapshot_dir) == before
    assert not (client.dir / "exports/n8n/bypass.json").exists()
