"""Planted secrets and decoys for the redaction tests.

`SECRETS` are invented but format-valid values of many kinds (three of each, made from a seeded
random source so the corpus is the same on every run). `plantings()` puts each one in its own
workflow, in one of the positions where such values really end up in n8n, Make and Zapier definitions
(names, tags, notes, sticky notes, headers, query pairs, URLs, bodies, code, Set fields, filter
conditions, credential names, pinned and static data, webhook paths, step metadata…), and says at
which path of that document it must be reported. `DECOYS` look random or secret-like and must be left
alone, byte for byte.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass
from urllib.parse import quote

_R = random.Random(16)
A62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
LOW36 = string.ascii_lowercase + string.digits
UP36 = string.ascii_uppercase + string.digits


def rnd(alphabet: str, n: int) -> str:
    """Random characters; for mixed alphabets, upper and lower case and digits are all present."""
    while True:
        value = "".join(_R.choice(alphabet) for _ in range(n))
        if alphabet != A62 or (any(c.islower() for c in value) and any(c.isupper() for c in value)
                               and sum(c.isdigit() for c in value) >= 3):
            return value


def digits(n: int) -> str:
    return str(_R.randrange(1, 10)) + "".join(_R.choice(string.digits) for _ in range(n - 1))


def uid() -> str:
    return str(uuid.UUID(int=_R.getrandbits(128), version=4))


def password() -> str:
    return _R.choice(["Harbour", "Summer", "Quay", "Lantern", "Orchid"]) + digits(4) + _R.choice("!#%*") + \
        _R.choice(["Delta", "Pier", "Maple", "North"]) + rnd(string.ascii_uppercase, 2)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _jwt() -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"sub": rnd(LOW36, 8), "iat": 1700000000 + _R.randrange(10**6)})
                                       .encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{rnd(A62 + '_-', 43)}"


def _pem() -> str:
    body = "\n".join(rnd(A62 + "+/", 64) for _ in range(4))
    return f"-----BEGIN RSA PRIVATE KEY-----\nMIIEow{body}\n-----END RSA PRIVATE KEY-----"


# kind → () -> (value as planted, the part that is secret and must be reported and never written)
# "any": recognisable wherever it sits; "named": a secret only by the name of its field.
FORMATS = {
    "aws_access_key": lambda: "AKIA" + rnd(UP36, 16),
    "slack_bot_token": lambda: f"xoxb-{digits(10)}-{digits(13)}-{rnd(A62, 24)}",
    "slack_user_token": lambda: f"xoxp-{digits(10)}-{digits(10)}-{digits(10)}-{rnd(HEX, 32)}",
    "slack_webhook": lambda: f"https://hooks.slack.com/services/T{rnd(UP36, 8)}/B{rnd(UP36, 10)}/{rnd(A62, 24)}",
    "stripe_secret_key": lambda: "sk_live_" + rnd(A62, 32),
    "stripe_restricted_key": lambda: "rk_live_" + rnd(A62, 32),
    "stripe_webhook_secret": lambda: "whsec_" + rnd(A62, 32),
    "github_pat": lambda: "ghp_" + rnd(A62, 36),
    "github_fine_grained": lambda: f"github_pat_11{rnd(UP36, 20)}_{rnd(A62, 59)}",
    "gitlab_token": lambda: "glpat-" + rnd(A62, 20),
    "openai_key": lambda: "sk-proj-" + rnd(A62, 48),
    "anthropic_key": lambda: "sk-ant-api03-" + rnd(A62, 80),
    "google_api_key": lambda: "AIza" + rnd(A62, 35),
    "google_oauth_secret": lambda: "GOCSPX-" + rnd(A62, 28),
    "jwt": _jwt,
    "sendgrid_key": lambda: f"SG.{rnd(A62, 22)}.{rnd(A62, 43)}",
    "twilio_api_key": lambda: "SK" + rnd(HEX, 32),
    "shopify_token": lambda: "shpat_" + rnd(HEX, 32),
    "hubspot_token": lambda: "pat-na1-" + uid(),
    "notion_token": lambda: "ntn_" + rnd(A62, 46),
    "airtable_token": lambda: f"pat{rnd(A62, 14)}.{rnd(HEX, 64)}",
    "telegram_bot_token": lambda: f"{digits(10)}:AA{rnd(A62, 33)}",
    "discord_webhook": lambda: f"https://discord.com/api/webhooks/{digits(19)}/{rnd(A62, 68)}",
    "make_webhook": lambda: f"https://hook.eu1.make.com/{rnd(LOW36, 32)}",
    "zapier_webhook": lambda: f"https://hooks.zapier.com/hooks/catch/{digits(7)}/{rnd(LOW36, 7)}/",
    "teams_webhook": lambda: f"https://acme.webhook.office.com/webhookb2/{uid()}@{uid()}/IncomingWebhook/"
                             f"{rnd(HEX, 32)}/{uid()}",
    "mailgun_key": lambda: "key-" + rnd(HEX, 32),
    "mailchimp_key": lambda: rnd(HEX, 32) + "-us21",
    "brevo_key": lambda: f"xkeysib-{rnd(HEX, 64)}-{rnd(A62, 16)}",
    "atlassian_token": lambda: "ATATT3xFfGF0" + rnd(A62, 60),
    "linear_key": lambda: "lin_api_" + rnd(A62, 40),
    "typeform_token": lambda: "tfp_" + rnd(A62, 44),
    "huggingface_token": lambda: "hf_" + rnd(A62, 34),
    "groq_key": lambda: "gsk_" + rnd(A62, 52),
    "npm_token": lambda: "npm_" + rnd(A62, 36),
    "dropbox_token": lambda: "sl.B" + rnd(A62, 100),
    "figma_token": lambda: "figd_" + rnd(A62, 40),
    "clickup_token": lambda: f"pk_{digits(8)}_{rnd(UP36, 32)}",
    "square_token": lambda: "sq0atp-" + rnd(A62, 22),
    "pypi_token": lambda: "pypi-AgEIcHlwaS5vcmc" + rnd(A62, 80),
    "digitalocean_token": lambda: "dop_v1_" + rnd(HEX, 64),
    "postman_key": lambda: f"PMAK-{rnd(HEX, 24)}-{rnd(HEX, 34)}",
    "private_key": _pem,
    "random_token": lambda: rnd(A62, 32),
}
# Kinds whose secret is a part of what is planted.
PARTS = {
    "database_url": lambda p: (f"postgres://etl_user:{p}@db.internal.acme.io:5432/warehouse", p),
    "mongodb_url": lambda p: (f"mongodb+srv://app:{p}@cluster0.ab1cd.mongodb.net/orders", p),
    "amqp_url": lambda p: (f"amqps://worker:{p}@mq.acme.io/orders", p),
    "bearer_header": lambda p: (f"Bearer {p}", p),
    "basic_auth_header": lambda p: (f"Basic {_b64('api:' + p)}", _b64("api:" + p)),
    "base64_stripe_key": lambda p: (_b64("sk_live_" + p), _b64("sk_live_" + p)),
    "url_encoded_credentials": lambda p: (quote(f"https://api:{p}@db.acme.io/x", safe=""),
                                          quote(f"https://api:{p}@db.acme.io/x", safe="")),
    "azure_connection_string": lambda p: (f"DefaultEndpointsProtocol=https;AccountName=acmeexports;AccountKey="
                                          f"{p}{p}{p}==;EndpointSuffix=core.windows.net", f"AccountKey={p}{p}{p}=="),
    "sas_signature_url": lambda p: (f"https://acme.blob.core.windows.net/exports/o.csv?sv=2022-11-02&sp=r&sig={p}%3D",
                                    p + "%3D"),
    "azure_function_code": lambda p: (f"https://acme-fn.azurewebsites.net/api/orders?code={p}==", p + "=="),
    "query_access_key": lambda p: (f"https://api.ipstack.com/check?access_key={p.lower()}", p.lower()),
    "url_path_token": lambda p: (f"https://api.partner.io/v1/{p}/events", p),
    "password_in_text": lambda p: (f"the staging password is {p}", p),
    "connection_password": lambda p: (f"Server=tcp:erp.acme.io,1433;Database=erp;User ID=etl;Password={p};", p),
}
# (kind, header/field/pair name) of secrets known only by the name they are given.
NAMED = {
    "x_auth_key": "X-Auth-Key", "cookie": "Cookie", "ocp_apim_key": "Ocp-Apim-Subscription-Key",
    "x_api_key_uuid": "X-API-Key", "password_field": "password", "api_token_field": "apiToken",
    "aws_secret_access_key": "aws_secret_access_key", "secret_access_key": "secretAccessKey",
    "hapikey": "hapikey", "key_pair": "key", "code_param": "code", "sig_param": "sig",
    "client_secret": "client_secret", "access_key_param": "access_key",
}


def _named_value(kind: str) -> tuple[str, str]:
    if kind == "cookie":
        token = rnd(A62, 32)
        return f"session={token}; theme=dark", token
    if kind in ("x_api_key_uuid", "hapikey"):
        value = uid()
    elif kind == "password_field":
        value = password()
    elif kind in ("x_auth_key", "ocp_apim_key", "key_pair", "access_key_param"):
        value = rnd(HEX, 32)
    elif kind == "aws_secret_access_key":
        value = rnd(A62 + "/+", 40)
    else:
        value = rnd(LOW36, 28)
    return value, value


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str  # as planted
    secret: str  # the part that must be reported and never written
    name: str | None = None  # the field name it needs (named kinds)


def _after_host(url: str) -> str:
    return url.split("/", 3)[3].rstrip("/")


def _corpus() -> list[Secret]:
    secrets = []
    for _ in range(3):
        # a webhook address is secret after its host (scheme and host are public)
        secrets += [Secret(kind, *(lambda v: (v, _after_host(v) if kind.endswith("_webhook") else v))(make()))
                    for kind, make in FORMATS.items()]
        secrets += [Secret(kind, *make(password() if "password" in kind else rnd(A62, 24)))
                    for kind, make in PARTS.items()]
        secrets += [Secret(kind, *_named_value(kind), name=name) for kind, name in NAMED.items()]
    return secrets


SECRETS: list[Secret] = _corpus()

# Values that look random or secret-like and are not: each must come out byte-identical.
DECOYS: list[str] = [
    "={{ $credentials.apiKey }}", "={{ 'Bearer ' + $env.PARTNER_TOKEN }}", "Bearer {{ $json.access_token }}",
    "{{1.api_key}}", "{{289877648__token}}", "YOUR_API_KEY", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "AKIAIOSFODNN7EXAMPLE", "<your-token-here>", "changeme", "application/json", "#ff6600", "rgba(255, 102, 0, 0.5)",
    "https://api.partner.io/v1/orders?limit=100&page=2", "xoxb-your-bot-token", "ops@acme.example",
    "c8f3a1e9-57d2-4b6a-9e0f-3d2c1b0a9f8f", "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    "https://docs.google.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit#gid=0",
    "price_1NzQ8rKx7Vt2Lm9Pq4Ws6Yb3", "prod_PqR7sT2uV9wX3y", "C0123ABCD45", "U024BE7LH",
    "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "https://www.notion.so/acme/Roadmap-1f2e3d4c5b6a79881f2e3d4c5b6a7988", "1f2e3d4c5b6a79881f2e3d4c5b6a7988",
    "https://api.hubspot.com/crm/v3/objects/contacts",
    "https://docs.n8n.io/integrations/builtin/app-nodes/n8n-nodes-base.httpRequest/",
    "n8n-nodes-base.httpRequest", "@n8n/n8n-nodes-langchain.lmChatOpenAi", "$getWorkflowStaticData('global')",
    "CoinMarketCap_AI_Data_Analyst_Agent", "SendEmailWithTopResources", "getV2ResponseForUser2024",
    "appXq7LmZp2Ns8Kd4", "tblAbC123dEf456gH", "recA1b2C3d4E5f6G7", "gid://shopify/Product/7982347298347",
    "2026-12-01T21:18:42.000Z", "0 9 * * 1-5", "+4915112345678", "https://n8n-prod.eu-west-1.acme.io",
    "pk_test_TYooMQauvdEDq54NiTphI7jx", "const token = $json.token;", "const apiKey = process.env.API_KEY;",
    "Set the password in the credential, never here.", "tokenUrl: https://oauth2.googleapis.com/token",
    "=https://api.stripe.com/v1/prices/{{ $json.priceId }}", "nextPageToken", "text/html; charset=utf-8",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "WebHookCLIAPI@1.0.12",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "ORDER-2026-000123", "INV-7F3A-2291",
    "{{ $('HTTP Request').item.json.body.customerId }}", "$vars.PARTNER_BASE_URL",
    "={{ $now.minus({days: 7}).toISO() }}", "v1.2.3-beta.4", "sortKey: createdAt", "token_type: bearer",
]
# A Code node made of decoys: exported byte for byte.
DECOY_CODE = "\n".join([
    "// ids, hashes and addresses, none of them secret",
    "const SHEET_ID = '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms';",
    "const PRICE = 'price_1NzQ8rKx7Vt2Lm9Pq4Ws6Yb3';",
    "const CHANNEL = 'C0123ABCD45';",
    "const COMMIT = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';",
    "const PAGE = '1f2e3d4c5b6a79881f2e3d4c5b6a7988';",
    "const RUN = 'c8f3a1e9-57d2-4b6a-9e0f-3d2c1b0a9f8f';",
    "const URL = 'https://api.hubspot.com/crm/v3/objects/contacts';",
    "const state = $getWorkflowStaticData('global');",
    "const token = $json.token; const apiKey = process.env.API_KEY;",
    "return items.map(i => ({ json: { ...i.json, colour: '#ff6600', seen: state.lastId } }));",
])


def windows(secret: str, size: int = 12) -> list[str]:
    """The secret whole and every `size`-character window of it, without a leading public host
    (`https://hook.eu1.make.com/` is not secret; what follows is)."""
    from generator.redact import _HOST_PREFIX

    host = _HOST_PREFIX.match(secret)
    core = secret[host.end():] if host else secret
    return [secret] + [core[i:i + size] for i in range(max(0, len(core) - size + 1))]


# --------------------------------------------------------------------------------------------------
# Positions: (platform, position) → plant(value, name) → (document, path of the value in it)

def _n8n(nodes=None, connections=None, **extra) -> dict:
    start = {"id": "t", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
             "position": [0, 0], "parameters": {}}
    return {"name": "Planted", "nodes": [start, *(nodes or [])], "connections": connections or {}, "active": False,
            "settings": {"executionOrder": "v1"}, **extra}


def _http(parameters: dict, **extra) -> dict:
    return {"id": "n1", "name": "Call partner", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
            "position": [200, 0], "parameters": {"method": "POST", "url": "https://api.partner.io/v2/orders",
                                                 **parameters}, **extra}


def _node(kind: str, parameters: dict, name: str = "Step") -> dict:
    return {"id": "n1", "name": name, "type": f"n8n-nodes-base.{kind}", "typeVersion": 1, "position": [200, 0],
            "parameters": parameters}


def _make(modules=None, name="Planted", **extra) -> dict:
    hook = {"id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 5}}
    return {"name": name, "flow": [hook, *(modules or [])], "metadata": {"version": 1}, **extra}


def _module(mapper: dict, **extra) -> dict:
    return {"id": 2, "module": "http:ActionSendData", "version": 3,
            "mapper": {"url": "https://api.partner.io/v2/orders", "method": "post", **mapper}, **extra}


def _zap(nodes: dict | None = None, title: str = "Planted") -> dict:
    first = {"id": 1, "type_of": "read", "action": "hook_v2", "selected_api": "WebHookCLIAPI@1.0.12",
             "parent_id": None, "params": {}}
    return {"id": 0, "title": title, "status": "on", "nodes": {"1": first, **(nodes or {})}}


def _zstep(params: dict | None = None, **extra) -> dict:
    return {"2": {"id": 2, "type_of": "write", "action": "post", "selected_api": "WebHookCLIAPI@1.0.12",
                  "parent_id": 1, "params": params or {}, **extra}}


def _code_value(v: str) -> str:
    return f"const client = init(`{v}`);\nreturn items;"


# position → (accepts: "any" | "named" | "url" | "token", plant)
POSITIONS = {
    ("n8n", "workflow name"): ("line", lambda v, n: (_n8n(name=f"Sync {v}"), ("name",))),
    ("n8n", "description"): ("any", lambda v, n: (_n8n(description=f"Uses {v} for now"), ("description",))),
    ("n8n", "tag"): ("line", lambda v, n: (_n8n(tags=[{"id": "tg1", "name": v}]), ("tags", 0, "name"))),
    ("n8n", "node name and connections key"): ("line", lambda v, n: (_n8n(
        [_http({}, name=f"Call {v}")], {"Start": {"main": [[{"node": f"Call {v}", "type": "main", "index": 0}]]},
                               f"Call {v}": {"main": [[]]}}),
        ("nodes", 1, "name"))),
    ("n8n", "node notes"): ("any", lambda v, n: (_n8n([_http({}, notes=f"key: {v}")]), ("nodes", 1, "notes"))),
    ("n8n", "sticky note"): ("any", lambda v, n: (_n8n([_node("stickyNote", {"content": f"## Staging\nKey {v}"})]),
                                                  ("nodes", 1, "parameters", "content"))),
    ("n8n", "header"): ("named", lambda v, n: (_n8n([_http({"sendHeaders": True, "headerParameters": {
        "parameters": [{"name": n or "Authorization", "value": v}]}})]),
        ("nodes", 1, "parameters", "headerParameters", "parameters", 0, "value"))),
    ("n8n", "query parameter"): ("named", lambda v, n: (_n8n([_http({"sendQuery": True, "queryParameters": {
        "parameters": [{"name": n or "token", "value": v}]}})]),
        ("nodes", 1, "parameters", "queryParameters", "parameters", 0, "value"))),
    ("n8n", "url"): ("url", lambda v, n: (_n8n([_http({"url": v})]), ("nodes", 1, "parameters", "url"))),
    ("n8n", "json body"): ("any", lambda v, n: (_n8n([_http({"jsonBody": json.dumps({"config": v})})]),
                                                ("nodes", 1, "parameters", "jsonBody"))),
    ("n8n", "code"): ("any", lambda v, n: (_n8n([_node("code", {"jsCode": _code_value(v)})]),
                                           ("nodes", 1, "parameters", "jsCode"))),
    ("n8n", "set field"): ("named", lambda v, n: (_n8n([_node("set", {"assignments": {"assignments": [
        {"id": "a1", "name": n or "config", "value": v, "type": "string"}]}})]),
        ("nodes", 1, "parameters", "assignments", "assignments", 0, "value"))),
    ("n8n", "if condition"): ("any", lambda v, n: (_n8n([_node("if", {"conditions": {"conditions": [
        {"leftValue": "={{ $json.token }}", "rightValue": v, "operator": {"type": "string", "operation": "equals"}}]}})]),
        ("nodes", 1, "parameters", "conditions", "conditions", 0, "rightValue"))),
    ("n8n", "credential name"): ("line", lambda v, n: (_n8n([_http({}, credentials={
        "httpHeaderAuth": {"id": "c1", "name": f"Partner {v}"}})]),
        ("nodes", 1, "credentials", "httpHeaderAuth", "name"))),
    ("n8n", "pinned data"): ("any", lambda v, n: (_n8n(pinData={"Start": [{"json": {"note": v}}]}),
                                                  ("pinData", "Start", 0, "json", "note"))),
    ("n8n", "static data"): ("any", lambda v, n: (_n8n(staticData={"global": {"cursor": v}}),
                                                  ("staticData", "global", "cursor"))),
    ("n8n", "webhook path"): ("token", lambda v, n: (_n8n([_node("webhook", {"path": f"orders/{v}/in",
                                                                               "httpMethod": "POST"})]),
                                                     ("nodes", 1, "parameters", "path"))),
    ("make", "scenario name"): ("line", lambda v, n: (_make(name=f"Sync {v}"), ("name",))),
    ("make", "module label"): ("line", lambda v, n: (_make([_module({}, metadata={"designer": {"name": f"Call {v}"}})]),
                                                     ("flow", 1, "metadata", "designer", "name"))),
    ("make", "header"): ("named", lambda v, n: (_make([_module({"headers": [{"name": n or "Authorization", "value": v}]})]),
                                                ("flow", 1, "mapper", "headers", 0, "value"))),
    ("make", "query parameter"): ("named", lambda v, n: (_make([_module({"qs": [{"name": n or "token", "value": v}]})]),
                                                         ("flow", 1, "mapper", "qs", 0, "value"))),
    ("make", "url"): ("url", lambda v, n: (_make([_module({"url": v})]), ("flow", 1, "mapper", "url"))),
    ("make", "body"): ("any", lambda v, n: (_make([_module({"data": json.dumps({"config": v})})]),
                                            ("flow", 1, "mapper", "data"))),
    ("make", "filter name"): ("line", lambda v, n: (_make([_module({}, filter={"name": f"only {v}", "conditions": []})]),
                                                    ("flow", 1, "filter", "name"))),
    ("make", "filter condition"): ("any", lambda v, n: (_make([_module({}, filter={"name": "match", "conditions": [
        [{"a": "{{1.token}}", "b": v, "o": "text:equal"}]]})]), ("flow", 1, "filter", "conditions", 0, 0, "b"))),
    ("make", "set variable"): ("named", lambda v, n: (_make([{"id": 2, "module": "util:SetVariable2", "version": 1,
                                                              "mapper": {"name": n or "config", "value": v}}]),
                                                      ("flow", 1, "mapper", "value"))),
    ("zapier", "zap title"): ("line", lambda v, n: (_zap(title=f"Sync {v}"), ("title",))),
    ("zapier", "step title"): ("line", lambda v, n: (_zap(_zstep(title=f"Call {v}")), ("nodes", "2", "title"))),
    ("zapier", "header"): ("named", lambda v, n: (_zap(_zstep({"url": "https://api.partner.io/v2/orders",
                                                               "headers": {n or "Authorization": v}})),
                                                  ("nodes", "2", "params", "headers", n or "Authorization"))),
    ("zapier", "url"): ("url", lambda v, n: (_zap(_zstep({"url": v})), ("nodes", "2", "params", "url"))),
    ("zapier", "body"): ("any", lambda v, n: (_zap(_zstep({"url": "https://api.partner.io/v2/orders", "data": v})),
                                              ("nodes", "2", "params", "data"))),
    ("zapier", "code"): ("any", lambda v, n: (_zap(_zstep({"code": _code_value(v)}, action="run_javascript",
                                                          selected_api="CodeAPI")), ("nodes", "2", "params", "code"))),
    ("zapier", "step metadata"): ("any", lambda v, n: (_zap(_zstep(meta={"$editor": {"note": f"uses {v}"}})),
                                                       ("nodes", "2", "meta", "$editor", "note"))),
}


JSON_ESCAPED = {"json body", "body"}  # positions whose value is a JSON text (Make's body is one too)


def _accepts(accepts: str, secret: Secret) -> bool:
    multiline = "\n" in secret.value
    if secret.name:
        return accepts == "named"
    if accepts == "named":  # a header or field value: one token, or a token after its scheme
        return (secret.kind in FORMATS and "://" not in secret.value) or secret.kind in ("bearer_header",
                                                                                        "basic_auth_header")
    if accepts == "url":
        return secret.value.startswith(("https://", "http://", "postgres://", "mongodb", "amqp"))
    if accepts == "token":  # a path segment
        return not any(c in secret.value for c in "\n /:%?#")
    if accepts == "line":
        return not multiline
    return True


@dataclass(frozen=True)
class Planting:
    number: int
    platform: str
    position: str
    secret: Secret
    document: dict
    path: tuple  # where in `document` the secret must be reported

    @property
    def reported(self) -> str:
        """The secret as it stands in the document: JSON-escaped inside a JSON body."""
        return json.dumps(self.secret.secret)[1:-1] if self.position in JSON_ESCAPED else self.secret.secret


def plantings() -> list[Planting]:
    """Every secret in its own workflow, at the fitting position used least so far."""
    out = []
    used = dict.fromkeys(POSITIONS, 0)
    for number, secret in enumerate(SECRETS):
        key = min((k for k, (accepts, _) in POSITIONS.items() if _accepts(accepts, secret)), key=lambda k: used[k])
        used[key] += 1
        document, path = POSITIONS[key][1](secret.value, secret.name)
        out.append(Planting(number, key[0], key[1], secret, document, path))
    return out
