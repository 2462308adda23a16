"""Secret detection and redaction: is this string a credential, and where in a definition is one?

Used wherever a value could carry a key: client.yml fields that must hold only an environment
variable *name*, and workflow definitions before anything is written. Provider formats come from
detect-secrets (its maintained regex detectors: AWS, Stripe, Slack, GitHub, GitLab, OpenAI, Twilio,
SendGrid, JWTs, private keys, …) plus the formats automation work meets that it lacks (Make and Zapier
webhooks, Shopify, HubSpot, Airtable, Notion, Google, Anthropic, Discord webhooks, …). Field names
(`Authorization`, `X-API-Key`, `password`) and random-looking words in code catch the rest.
Platform expressions (`{{ $credentials.x }}`, `$env.X`, Make `{{1.x}}`, Zapier `{{123__x}}`) and
placeholders are not secrets. Fingerprints identify a secret without revealing it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass


def _detect_secrets_patterns() -> dict[str, list[re.Pattern[str]]]:
    """The regex detectors of detect-secrets, by a snake_case kind ('Stripe Access Key' → stripe_access_key).
    Its generic ones (keywords, entropy, public IPs) are left out: field names and code are judged here."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    generic = {"KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector",
               "BasicAuthDetector"}  # credentials in URLs are matched whole below
    patterns = {}
    for secret_type, plugin in sorted(get_mapping_from_secret_type_to_class().items()):
        if issubclass(plugin, RegexBasedDetector) and plugin.__name__ not in generic:
            kind = re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
            patterns[kind] = list(plugin().denylist)
    return patterns


# Formats detect-secrets does not know, most of them met in automation definitions.
OWN_PATTERNS: dict[str, str] = {
    "slack_webhook": r"hooks\.slack\.com/(services|workflows|triggers)/T[0-9A-Z]+/[0-9A-Za-z/]+",
    "stripe_key": r"\b[rsp]k_(live|test)_[0-9A-Za-z]{16,}",
    "stripe_webhook_secret": r"\bwhsec_[0-9A-Za-z]{24,}",
    "github_token": r"\b(gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{40,})",
    "openai_key": r"\bsk-(proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,}",
    "anthropic_key": r"\bsk-ant-[0-9A-Za-z_-]{20,}",
    "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}",
    "google_oauth_secret": r"\bGOCSPX-[0-9A-Za-z_-]{20,}",
    "jwt": r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}",
    "private_key": r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----[\s\S]*?(-----END ([A-Z ]+ )?PRIVATE KEY-----|$)",
    "sendgrid_key": r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}",
    "twilio_key": r"\bSK[0-9a-f]{32}\b",
    "shopify_token": r"\bshp(at|ca|pa|ss)_[0-9a-fA-F]{32}",
    "hubspot_token": r"\bpat-(na|eu|ap)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "notion_token": r"\b(secret_|ntn_)[0-9A-Za-z]{40,}",
    "airtable_token": r"\bpat[0-9A-Za-z]{14}\.[0-9a-f]{64}",
    "telegram_bot_token": r"\b\d{8,10}:AA[0-9A-Za-z_-]{30,}",
    "discord_webhook": r"discord(app)?\.com/api/webhooks/\d+/[0-9A-Za-z_-]{30,}",
    "make_webhook": r"hook\.[a-z0-9]+\.make\.(com|celonis\.com)/[0-9a-z]{20,}",
    "zapier_webhook": r"hooks\.zapier\.com/hooks/catch/\d+/[0-9a-z]+",
    "mailgun_key": r"\bkey-[0-9a-f]{32}\b",
    "brevo_key": r"\bxkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16}",
    "mailchimp_key": r"\b[0-9a-f]{32}-us\d{1,2}\b",
    "atlassian_token": r"\bATATT[0-9A-Za-z_=-]{40,}",
    "linear_key": r"\blin_api_[0-9A-Za-z]{32,}",
    "typeform_token": r"\btfp_[0-9A-Za-z_-]{40,}",
    "huggingface_token": r"\bhf_[0-9A-Za-z]{30,}",
    "groq_key": r"\bgsk_[0-9A-Za-z]{40,}",
    "dropbox_token": r"\bsl\.[0-9A-Za-z_-]{60,}",
    "clickup_token": r"\bpk_\d{6,}_[0-9A-Z]{32}",
    "figma_token": r"\bfigd_[0-9A-Za-z_-]{30,}",
    "url_credentials": r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
}
PROVIDER_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    **_detect_secrets_patterns(),
    **{kind: [re.compile(pattern)] for kind, pattern in OWN_PATTERNS.items()},
}

_PLACEHOLDER = re.compile(r"^(x+|\*+|<[^>]+>|\{\{.*\}\}|\$\{?[A-Za-z_]+\}?|your[_-].*|changeme|example.*)$", re.I)


# Names made of short words joined by underscores or dots (N8N_API_KEY, make.api.token) are names.
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,11}([_.][A-Za-z0-9]{1,12})*$")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def provider_matches(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every provider-format secret in `text`, placeholders left out."""
    found = []
    for kind, patterns in PROVIDER_PATTERNS.items():
        for pattern in patterns:
            for match in pattern.finditer(text):
                if not is_placeholder(match.group(0)):
                    found.append((kind, match.group(0)))
    return found


def is_placeholder(value: str) -> bool:
    """Documentation values and fillers: 'YOUR_API_KEY', 'sk_live_xxxxxxxx…', AWS's '…EXAMPLE' keys."""
    value = value.strip()
    lowered = value.lower()
    if _PLACEHOLDER.match(value) or "example" in lowered or "placeholder" in lowered or \
            re.search(r"(^|[-_ <])your[-_ ]", lowered):
        return True
    tail = re.split(r"[_\-.:]", value)[-1]
    return len(tail) >= 6 and len(set(tail.lower())) <= 2  # xxxxxxxx, 00000000, ********


def secret_kind(value: str) -> str | None:
    """The kind of secret `value` contains, or None."""
    found = provider_matches(value)
    return found[0][0] if found else None


def looks_like_secret(value: str) -> bool:
    """True for provider-format keys and for long, random-looking tokens without spaces."""
    value = value.strip()
    if not value or _PLACEHOLDER.match(value):
        return False
    if secret_kind(value):
        return True
    if _IDENTIFIER.match(value):
        return False
    token = len(value) >= 20 and " " not in value and re.fullmatch(r"[A-Za-z0-9_\-+/=.:]+", value)
    has_mixture = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d")) >= 2
    return bool(token and has_mixture and entropy(value) >= 3.5)


def fingerprint(value: str) -> str:
    """A short, stable identifier of a secret that reveals nothing about it."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def address_fingerprints(url: str) -> tuple[str, str]:
    """Fingerprints of a URL and of its path, normalised so that a caller's URL and the webhook's own
    address agree: scheme and host lower-cased, default port, query, fragment and trailing slash
    dropped. The path alone matches when the caller reaches the webhook through another host name."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip() if "://" in url else "https://placeholder" + "/" + url.strip().lstrip("/"))
        host = (parts.hostname or "").lower()
        if parts.port and parts.port not in (80, 443):
            host += f":{parts.port}"
    except ValueError:  # not a URL urlsplit reads (a placeholder host such as https://[YOUR-SITE.com]/…)
        text = url.strip()
        return fingerprint(text), fingerprint("/" + text.split("://", 1)[-1].partition("/")[2].strip("/"))
    path = "/" + parts.path.strip("/")
    return fingerprint(f"{parts.scheme.lower()}://{host}{path}"), fingerprint(path)


# --------------------------------------------------------------------------------------------------
# Scanning platform data: find secrets, replace them by markers, report where they were.

# Platform expressions and references name a value held elsewhere; they are not secrets.
EXPRESSION = re.compile(r"\{\{.*?\}\}|\$(env|vars|secrets)\.[A-Za-z_][A-Za-z0-9_]*|\$credentials\b[\w.\[\]'\"]*", re.S)
# Field (or header) names whose literal value is a secret whatever it looks like.
SECRET_NAME = re.compile(
    r"(^|[-_ .])(authorization|api[-_ ]?key|apikey|x-api-key|access[-_ ]?token|auth[-_ ]?token|token|secret|"
    r"client[-_ ]?secret|password|passwd|pwd|private[-_ ]?key|signing[-_ ]?key)$",
    re.I,
)
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{12,})")
_QUERY_PARAM = re.compile(r"[?&]([A-Za-z0-9_.-]+)=([^&#\s]{4,})")
_WORD = re.compile(r"[A-Za-z0-9_\-+/=]{20,}")  # no '.' or ':' : addresses and dotted names are not one word
_NOT_A_SECRET = re.compile(r"^(#[0-9a-f]{3,8}|[a-z]+/[a-z0-9.+-]+|https?://[^@\s]+|[a-z]+(-[a-z]+)*)$", re.I)


# Kinds judged from context rather than format; a provider format found for the same value wins.
GENERIC_KINDS = {"authorization_header", "url_query_secret", "high_entropy_string", "secret_field", "secret_keyword"}


_GENERIC: list | None = None


def _generic_matches(text: str) -> list[tuple[str, str]]:
    """detect-secrets' generic detectors, line by line, as in code: a value assigned to a name like
    `apiKey` or `password`, and quoted strings random enough to be keys (base64 or hex)."""
    global _GENERIC
    if _GENERIC is None:
        from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
        from detect_secrets.plugins.keyword import KeywordDetector

        _GENERIC = [("secret_keyword", KeywordDetector()), ("high_entropy_string", Base64HighEntropyString()),
                    ("high_entropy_string", HexHighEntropyString())]
    found = []
    for line in text.splitlines()[:2000]:
        if len(line) > 2000:
            line = line[:2000]
        for kind, plugin in _GENERIC:
            for secret in plugin.analyze_line(filename="definition.js", line=line, line_number=0):
                value = secret.secret_value
                if value and len(value) >= 6 and not is_placeholder(value):
                    found.append((kind, value))
    return found


@dataclass(frozen=True)
class Found:
    kind: str
    value: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    @property
    def marker(self) -> str:
        return f"[redacted {self.kind} {self.fingerprint}]"


def find_secrets(text: str, *, named: bool = False, free_text: bool = True) -> list[Found]:
    """Secrets in one string. `named`: the field's name says it holds a secret, so any literal value
    counts. `free_text`: also flag random-looking words (off for fields that hold resource ids)."""
    literal = EXPRESSION.sub(" ", text)
    if literal.startswith("="):  # n8n marks expressions with a leading '='
        literal = literal[1:]
    found = [Found(kind, value) for kind, value in provider_matches(literal)]
    found += [Found("authorization_header", m.group(2)) for m in _AUTH_SCHEME.finditer(literal)
              if not is_placeholder(m.group(2))]
    found += [Found("url_query_secret", m.group(2)) for m in _QUERY_PARAM.finditer(literal)
              if SECRET_NAME.search(m.group(1)) and not is_placeholder(m.group(2))]
    if free_text:
        found += [Found(kind, value) for kind, value in _generic_matches(literal)]
        found += [Found("high_entropy_string", w) for w in _WORD.findall(literal)
                  if looks_like_secret(w) and not is_placeholder(w)]
    value = re.sub(r"^(Bearer|Basic|Token)\b\s*", "", literal.strip(), flags=re.I)
    if (named and not found and len(value) >= 6 and " " not in value and not is_placeholder(value)
            and not _NOT_A_SECRET.match(value)):  # a colour, a MIME type, a plain URL or word
        found.append(Found("secret_field", value))
    # The same value found by two detectors is one secret; a value inside another is the larger one.
    unique: list[Found] = []
    for item in sorted(found, key=lambda f: (-len(f.value), f.kind in GENERIC_KINDS, f.kind not in OWN_PATTERNS,
                                             f.kind)):
        if not any(item.value in kept.value for kept in unique):
            unique.append(item)
    return unique


def redact_text(text: str, **options) -> tuple[str, list[Found]]:
    """`text` with every secret replaced by a marker (kind and fingerprint), and what was found."""
    found = find_secrets(text, **options)
    for item in found:
        text = text.replace(item.value, item.marker)
    return text, found


def scan_tree(data, path: str = "", *, code_keys=frozenset()) -> list[tuple[str, Found]]:
    """Every secret in nested JSON-like data, with the path it sits at (`parameters.url`,
    `headers[0].value`). `{name, value}` pairs are judged by their name (HTTP headers, query and body
    parameters). Random-looking words are flagged only in code and in named pairs, since elsewhere
    long random strings are usually resource ids."""
    hits: list[tuple[str, Found]] = []

    def walk(node, where: str, named: bool, key: str) -> None:
        if isinstance(node, dict):
            pair_name = node.get("name") if isinstance(node.get("name"), str) else None
            for k, v in node.items():
                child = f"{where}.{k}" if where else str(k)
                walk(v, child, bool(SECRET_NAME.search(str(k))) or (k == "value" and bool(
                    pair_name and SECRET_NAME.search(pair_name))), str(k))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]", named, key)
        elif isinstance(node, str):
            for item in find_secrets(node, named=named, free_text=named or key in code_keys):
                hits.append((where, item))

    walk(data, path, False, "")
    return hits


def marker(found: Found) -> str:
    """What a redacted value becomes in a native export: plain text that fails loudly where it is used
    (an API answers 401, a code step throws) and says what to put back."""
    return f"HANDOVER-REDACTED {found.kind} {found.fingerprint}: put this secret in a credential"


def redact_tree(data, *, code_keys=frozenset()):
    """A copy of JSON-like data with every secret `scan_tree` would report replaced by its marker."""
    def walk(node, named: bool, key: str):
        if isinstance(node, dict):
            pair_name = node.get("name") if isinstance(node.get("name"), str) else None
            return {k: walk(v, bool(SECRET_NAME.search(str(k))) or (k == "value" and bool(
                pair_name and SECRET_NAME.search(pair_name))), str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item, named, key) for item in node]
        if isinstance(node, str):
            for found in find_secrets(node, named=named, free_text=named or key in code_keys):
                node = node.replace(found.value, marker(found))
            return node
        return node

    return walk(data, False, "")


# --------------------------------------------------------------------------------------------------
# Field names a step works with (for the personal-data map): names only, never values.

_REFERENCES = [
    # n8n: $json.customer.email, $json["e-mail"], $('Node').item.json.body.phone (the last name counts)
    re.compile(r"\.?json(?:\.[A-Za-z_]\w*)*(?:\.([A-Za-z_]\w*)|\[\s*[\"']([^\"']+)[\"']\s*\])(?![\w.\[])"),
    re.compile(r"\{\{\s*\d+\.(?:[\w]+\.)*([\w]+)\s*\}\}"),  # Make {{1.customer.email}}
    re.compile(r"\{\{\s*\w+?__([\w.\-]+)\s*\}\}"),  # Zapier {{123__email}}
]
_GENERIC_KEYS = re.compile(r"^(operation|resource|url|method|options|authentication|mode|type|value|values|"
                           r"parameters|json|body|headers|query|text|content|data|__\w+|\d+)$", re.I)


def field_names(data, limit: int = 40) -> list[str]:
    """Field names a definition maps: dict keys that hold a value, and fields referenced in expressions."""
    found: set[str] = set()

    def walk(node, key: str | None):
        if isinstance(node, dict):
            label = node.get("name") if isinstance(node.get("name"), str) and "value" in node else None
            if label:
                found.add(label)
            for k, v in node.items():
                walk(v, None if label and k in ("name", "value") else str(k))  # a {name, value} pair is one field
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, str):
            if key and not _GENERIC_KEYS.match(key) and node.strip():
                found.add(key)
            for pattern in _REFERENCES:
                for match in pattern.finditer(node):
                    found.add(next(g for g in match.groups() if g))

    walk(data, None)
    return sorted(f for f in found if len(f) <= 60)[:limit]
