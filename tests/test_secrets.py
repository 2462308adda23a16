"""Redaction at the boundary: the planted-secret corpus (tests/secrets_corpus.py) against
`redact_document`, decoys left alone byte for byte, linear time, and the write guard."""

from __future__ import annotations

import json

import pytest

from generator.redact import find_secrets, fingerprint, redact_document, redact_text

from .secrets_corpus import DECOY_CODE, DECOYS, POSITIONS, SECRETS, _accepts, plantings, windows

PLANTINGS = plantings()


def test_the_corpus_is_big_enough():
    assert len(SECRETS) >= 150 and len({s.kind for s in SECRETS}) >= 40
    used = {(p.platform, p.position) for p in PLANTINGS}
    assert len(used) >= 25 and used == set(POSITIONS), set(POSITIONS) - used
    assert {p.platform for p in PLANTINGS} == {"n8n", "make", "zapier"}
    assert len(DECOYS) >= 50
    assert len({s.value for s in SECRETS}) == len(SECRETS)  # every one distinct


@pytest.mark.parametrize("planting", PLANTINGS, ids=lambda p: f"{p.number}-{p.platform}-{p.position}-{p.secret.kind}")
def test_every_planted_secret_is_found_where_it_is_and_replaced(planting):
    result = redact_document(planting.document)
    at = [f for f in result.findings if f.path == planting.path]
    assert fingerprint(planting.reported) in {f.fingerprint for f in at}, (planting.path, result.findings)
    written = json.dumps(result.tree, ensure_ascii=False)
    assert [w for w in windows(planting.secret.secret) + windows(planting.reported) if w in written] == []


def test_findings_name_the_place_never_the_value():
    planting = next(p for p in PLANTINGS if p.position == "node name and connections key")
    result = redact_document(planting.document)
    for finding in result.findings:
        assert planting.secret.secret not in finding.where and finding.fingerprint.startswith("sha256:")
    key = next(f for f in result.findings if f.in_key)
    assert key.path[0] == "connections" and key.path[1].startswith("Call ") and "[redacted " in key.path[1]
    name = result.tree["nodes"][1]["name"]  # node, key and target still agree
    assert name in result.tree["connections"] and result.tree["connections"]["Start"]["main"][0][0]["node"] == name


_DECOY_POSITIONS = [(key, plant) for key, (accepts, plant) in POSITIONS.items() if accepts in ("any", "line")]


@pytest.mark.parametrize("decoy", DECOYS)
def test_decoys_are_left_alone_everywhere(decoy):
    for key, plant in _DECOY_POSITIONS:
        document, _ = plant(decoy, None)
        result = redact_document(document)
        assert result.findings == [] and result.tree == document, (key, result.findings)


def test_code_made_of_decoys_is_byte_identical():
    document = {"nodes": [{"name": "Code", "type": "n8n-nodes-base.code", "parameters": {"jsCode": DECOY_CODE}}]}
    result = redact_document(document)
    assert result.findings == [] and result.tree["nodes"][0]["parameters"]["jsCode"] == DECOY_CODE


def test_ordinary_names_are_not_secrets():
    for name in ("CoinMarketCap_AI_Data_Analyst_Agent", "SendEmailWithTopResources", "HTTP Request1",
                 "Get row(s) in sheet", "OpenAI Chat Model2", "Merge1"):
        assert redact_text(name) == (name, [])


def test_named_fields_and_their_variants():
    for name in ("X-Auth-Key", "Ocp-Apim-Subscription-Key", "apiToken", "aws_secret_access_key", "secretAccessKey",
                 "hapikey", "client_secret", "X-N8N-API-KEY", "Proxy-Authorization", "privateKey"):
        tree = redact_document({"headers": [{"name": name, "value": "9c1b7e2f4a6d8c0e1f2a3b4c"}]})
        assert len(tree.findings) == 1, name
    for name in ("sortKey", "publicKey", "nextPageToken", "tokenType", "primaryKey", "documentId", "passwordResetUrl"):
        tree = redact_document({name: "9c1b7e2fa6d8c0e1f2a3b4c"})
        assert tree.findings == [], name


def test_expressions_are_not_secrets_but_literals_inside_them_are():
    assert find_secrets("={{ $credentials.token }}", named=True) == []
    found = find_secrets("={{ 'Bearer ' + 'sk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gc' }}")
    assert [f.value for f in found] == ["sk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gc"]


def test_url_paths_stay_whole():
    url = "https://api.hubspot.com/crm/v3/objects/contacts?limit=100&archived=false"
    assert redact_text(url) == (url, [])
    text, found = redact_text("https://api.hubspot.com/crm/v3/objects/contacts?hapikey=c8f3a1e9-57d2-4b6a-9e0f-3d2c1b0a9f8e")
    assert text.startswith("https://api.hubspot.com/crm/v3/objects/contacts?hapikey=[redacted ") and len(found) == 1


def test_accepts_every_secret_somewhere():
    for secret in SECRETS:
        assert any(_accepts(accepts, secret) for accepts, _ in POSITIONS.values()), secret.kind


def test_a_word_after_an_auth_scheme_name_is_prose():
    """Found in the community set: "the OAuth pattern." in an AI prompt was taken for a credential, and
    the word then refused an unrelated workflow's export (the guard). A token after a scheme still is one."""
    assert find_secrets("follow the standard representations of the OAuth pattern. Then") == []
    assert find_secrets("send it with Token refresh, then Bearer tokens") == []
    assert [f.kind for f in find_secrets("Authorization: Bearer sk9Xq2LmP7vR4tZ8")] == ["authorization_header"]
