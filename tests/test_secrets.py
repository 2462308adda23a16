"""The secret scanner end to end: over 60 planted secrets of more than 20 kinds in n8n, Make and Zapier
definitions, and look-alikes. Every secret is reported by location and fingerprint; none of them
appears in any byte of the snapshot, the built site (pages, search index, sitemap) or the PDF text."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.redact import find_secrets, fingerprint, redact_text, scan_tree
from generator.store import snapshot

from .secrets_corpus import ID_FIELDS, LOOK_ALIKES, SECRETS, must_not_appear

runner = CliRunner()
NAMED = {"aws_secret": "aws_secret_access_key", "x_api_key": "X-API-Key", "password_field": "password",
         "client_secret_field": "client_secret", "signing_secret_field": "signing_secret",
         "private_key_field": "private_key"}
HEADERS = {"basic_auth_header", "bearer_header", "token_header"}
QUERY = {"query_api_key": "api_key", "query_access_token": "access_token"}


def placement(family: str, value: str) -> tuple[str, object, str]:
    """(field, value as stored, the field path where it must be reported) for one secret."""
    if family in NAMED:
        return "headers", [{"name": NAMED[family], "value": value}], "headers[0].value"
    if family in HEADERS:
        return "headers", [{"name": "Authorization", "value": value}], "headers[0].value"
    if family in QUERY:
        return "url", f"https://api.partner.io/v2/orders?{QUERY[family]}={value}&limit=50", "url"
    if family.startswith("code_"):
        return "code", f"const client = init('{value}');\nreturn items;", "code"
    return "body", json.dumps({"note": "sync", "config": value}), "body"


def n8n_workflow(items: list[tuple[int, str, str]], look_alikes: list[str]) -> dict:
    nodes = [{"id": "t", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1, "position": [0, 0],
              "parameters": {}}]
    pin = {}
    for number, family, value in items:
        if family == "sticky_note_key":
            nodes.append({"id": f"s{number}", "name": f"Note {number}", "type": "n8n-nodes-base.stickyNote",
                          "typeVersion": 1, "position": [0, 0], "parameters": {"content": f"Key for staging: {value}"}})
            continue
        if family == "pinned_data_token":
            pin[f"Step {number}"] = [{"json": {"token_used": value}}]
        field, stored, _ = placement(family, value)
        parameters = {"method": "POST", "url": "https://api.partner.io/v2/orders", "options": {}}
        if field == "headers":
            parameters["headerParameters"] = {"parameters": stored}
        elif field == "url":
            parameters["url"] = stored
        elif field == "code":
            parameters = {"jsCode": stored}
        else:
            parameters["jsonBody"] = stored
        nodes.append({"id": f"n{number}", "name": f"Step {number}", "type": "n8n-nodes-base.code" if field == "code"
                      else "n8n-nodes-base.httpRequest", "typeVersion": 4.2, "position": [0, 0], "parameters": parameters})
    nodes.append({"id": "look", "name": "Look-alikes", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
                  "position": [0, 0], "parameters": {
                      "url": "https://api.partner.io/v1/orders?limit=100&page=2",
                      "headerParameters": {"parameters": [{"name": "Authorization", "value": v} for v in look_alikes]},
                      **ID_FIELDS}})
    return {"id": "planted", "name": "Planted secrets (n8n)", "nodes": nodes, "connections": {}, "pinData": pin,
            "active": True}


def make_blueprint(items: list[tuple[int, str, str]], look_alikes: list[str]) -> dict:
    flow = [{"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 5}}]
    for number, family, value in items:
        field, stored, _ = placement(family, value)
        mapper = {"url": "https://api.partner.io/v2/orders", "method": "post"}
        mapper["data" if field == "body" else field] = stored
        flow.append({"id": number, "module": "http:ActionSendData", "version": 3, "mapper": mapper})
    flow.append({"id": 999, "module": "http:ActionSendData", "version": 3,
                 "mapper": {"url": "{{1.callback}}", "headers": [{"name": "Authorization", "value": v}
                                                                 for v in look_alikes], **ID_FIELDS}})
    return {"name": "Planted secrets (Make)", "flow": flow, "metadata": {"version": 1}}


def zapier_export(items: list[tuple[int, str, str]], look_alikes: list[str]) -> dict:
    nodes = {"1": {"id": 1, "type_of": "read", "action": "hook_v2", "selected_api": "WebHookCLIAPI@1.0.12",
                   "parent_id": None, "params": {}}}
    parent = 1
    for number, family, value in items:
        field, stored, _ = placement(family, value)
        params = {"url": "https://api.partner.io/v2/orders", "data": stored} if field == "body" else {field: stored}
        if field == "headers":  # Zapier's Webhooks step keeps headers as a name → value map
            params = {"url": "https://api.partner.io/v2/orders", "headers": {stored[0]["name"]: stored[0]["value"]}}
        nodes[str(number)] = {"id": number, "type_of": "write", "action": "run_javascript" if field == "code" else "post",
                              "selected_api": "CodeAPI" if field == "code" else "WebHookCLIAPI@1.0.12",
                              "parent_id": parent, "params": params}
        parent = number
    nodes["999"] = {"id": 999, "type_of": "write", "action": "post", "selected_api": "WebHookCLIAPI@1.0.12",
                    "parent_id": parent, "params": {"headers": {f"H{i}": v for i, v in enumerate(look_alikes)},
                                                    **ID_FIELDS}}
    return {"metadata": {"version": "2"}, "zaps": [{"id": 424242, "title": "Planted secrets (Zapier)", "status": "on",
                                                    "nodes": nodes}]}


def expected_field(platform: str, family: str, value: str, number: int) -> tuple[str, str]:
    """(step id, field path) where the scanner must report this secret."""
    field, _, path = placement(family, value)
    if platform == "n8n":
        if family == "sticky_note_key":
            return "", f"nodes[Note {number}].parameters.content"
        prefix = {"headers": "parameters.headerParameters.parameters", "url": "parameters", "code": "parameters",
                  "body": "parameters"}[field]
        path = {"headers": prefix + "[0].value", "url": "parameters.url", "code": "parameters.jsCode",
                "body": "parameters.jsonBody"}[field]
        return f"n{number}", path
    if platform == "make":
        return str(number), "mapper." + ("data" if field == "body" else path)
    if field == "headers":
        return str(number), f"params.headers.{NAMED.get(family, 'Authorization')}"
    return str(number), "params." + ("data" if field == "body" else path)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    assert runner.invoke(app, ["init", "acme", "--root", str(root)]).exit_code == 0
    by_platform: dict[str, list] = {"n8n": [], "make": [], "zapier": []}
    for index, (family, value) in enumerate(SECRETS):
        platform = ("n8n", "make", "zapier")[index % 3]
        if family in ("sticky_note_key", "pinned_data_token"):
            platform = "n8n"
        by_platform[platform].append((100 + index, family, value))
    (root / "n8n.json").write_text(json.dumps(n8n_workflow(by_platform["n8n"], LOOK_ALIKES)))
    (root / "make.json").write_text(json.dumps(make_blueprint(by_platform["make"], LOOK_ALIKES)))
    with zipfile.ZipFile(root / "zapier.zip", "w") as archive:
        archive.writestr("Zapfile.json", json.dumps(zapier_export(by_platform["zapier"], LOOK_ALIKES)))
    for platform, path in (("n8n", "n8n.json"), ("make", "make.json"), ("zapier", "zapier.zip")):
        result = runner.invoke(app, ["import", "acme", platform, str(root / path), "--root", str(root)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["build", "acme", "--root", str(root)])
    assert result.exit_code == 0, result.output
    return root, by_platform, snapshot.load(root / "clients/acme/snapshot")


def test_the_corpus_is_big_enough():
    assert len(SECRETS) >= 60 and len({family for family, _ in SECRETS}) >= 20


def test_every_planted_secret_is_reported_where_it_is(planted):
    _, by_platform, snap = planted
    missing = []
    for platform, items in by_platform.items():
        workflow = next(w for w in snap.workflows if w.platform.value == platform)
        reported = {(s.step or "", s.field) for s in workflow.secrets}
        for number, family, value in items:
            if family == "pinned_data_token":
                where = ("", f"pinData.Step {number}[0].json.token_used")
            else:
                where = expected_field(platform, family, value, number)
            if where not in reported:
                missing.append((platform, family, where))
    assert missing == []


def test_look_alikes_do_not_fire(planted):
    _, _, snap = planted
    for workflow in snap.workflows:
        noisy = [s for s in workflow.secrets if s.step in ("look", "999")]
        assert noisy == [], (workflow.platform, noisy)
    for value in LOOK_ALIKES:
        assert find_secrets(value, named=True) == [] or value.startswith("application"), value


def test_fingerprints_identify_without_revealing(planted):
    _, _, snap = planted
    for workflow in snap.workflows:
        for secret in workflow.secrets:
            assert secret.fingerprint.startswith("sha256:") and len(secret.fingerprint) == 19
    # the same value found twice has the same fingerprint
    assert redact_text("x AKIA4QWERTYU7PLMNB3Z y")[1][0].fingerprint == fingerprint("AKIA4QWERTYU7PLMNB3Z")


def test_no_planted_value_is_written_anywhere(planted):
    root, _, _ = planted
    forbidden = [part for _, value in SECRETS for part in must_not_appear(value)]
    written = {}
    for folder in (root / "clients/acme", root / "build/acme"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix != ".pdf":
                written[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    import pdfplumber
    with pdfplumber.open(root / "build/acme/acme-handover.pdf") as pdf:
        written["pdf text"] = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert (root / "build/acme/site/search/search_index.json").is_file() and (root / "build/acme/site/sitemap.xml").is_file()
    leaks = [(part[:12], where) for where, text in written.items() for part in forbidden if part in text]
    assert leaks == []


def test_the_security_page_lists_them_by_location(planted):
    root, _, snap = planted
    page = (root / "build/acme/site/security.html").read_text()
    total = sum(len(w.secrets) for w in snap.workflows)
    assert total >= len(SECRETS) and page.count("SEC-001") >= 3
    assert "fingerprint sha256:" in page


def test_scan_tree_skips_expressions_and_id_fields():
    data = {"parameters": {"authentication": "={{ $credentials.token }}", **ID_FIELDS,
                           "headers": [{"name": "Authorization", "value": "={{ $json.token }}"}]}}
    assert scan_tree(data) == []
