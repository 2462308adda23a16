"""Secret detection: is this string a credential?

Used wherever a value could carry a key: client.yml fields that must hold only an environment
variable *name*, and (with the scanner built on top of it) workflow definitions before anything is
written. Fingerprints identify a secret without revealing it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

# Provider formats that are unmistakable on their own.
PROVIDER_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "aws_access_key": r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
        "slack_token": r"\bxox[abposr]-[0-9A-Za-z-]{10,}",
        "slack_webhook": r"hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+",
        "stripe_key": r"\b[rsp]k_(live|test)_[0-9A-Za-z]{16,}",
        "github_token": r"\b(gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{40,})",
        "openai_key": r"\bsk-(proj-|svcacct-)?[0-9A-Za-z_-]{20,}",
        "anthropic_key": r"\bsk-ant-[0-9A-Za-z_-]{20,}",
        "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}",
        "jwt": r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}",
        "private_key": r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----",
        "sendgrid_key": r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}",
        "twilio_key": r"\bSK[0-9a-f]{32}\b",
        "shopify_token": r"\bshp(at|ca|pa|ss)_[0-9a-fA-F]{32}",
        "hubspot_token": r"\bpat-(na|eu)1-[0-9a-f-]{36}",
        "notion_token": r"\b(secret_|ntn_)[0-9A-Za-z]{40,}",
        "airtable_token": r"\bpat[0-9A-Za-z]{14}\.[0-9a-f]{64}",
        "telegram_bot": r"\b\d{8,10}:AA[0-9A-Za-z_-]{33}",
        "url_credentials": r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
    }.items()
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


def secret_kind(value: str) -> str | None:
    """The kind of secret `value` contains, or None."""
    for name, pattern in PROVIDER_PATTERNS.items():
        if pattern.search(value):
            return name
    return None


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

    parts = urlsplit(url.strip() if "://" in url else "https://placeholder" + "/" + url.strip().lstrip("/"))
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host += f":{parts.port}"
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
_WORD = re.compile(r"[A-Za-z0-9_\-+/=.:]{20,}")


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
    found: list[Found] = []
    for kind, pattern in PROVIDER_PATTERNS.items():
        found += [Found(kind, m.group(0)) for m in pattern.finditer(literal)]
    found += [Found("authorization_header", m.group(2)) for m in _AUTH_SCHEME.finditer(literal)
              if not _PLACEHOLDER.match(m.group(2))]
    found += [Found("url_query_secret", m.group(2)) for m in _QUERY_PARAM.finditer(literal)
              if SECRET_NAME.search(m.group(1)) and not _PLACEHOLDER.match(m.group(2))]
    if free_text:
        found += [Found("high_entropy_string", w) for w in _WORD.findall(literal) if looks_like_secret(w)]
    value = literal.strip()
    if named and not found and len(value) >= 6 and not _PLACEHOLDER.match(value) and not value.isspace():
        found.append(Found("secret_field", value))
    # The same value found by two detectors is one secret; a value inside another is the larger one.
    unique: list[Found] = []
    for item in sorted(found, key=lambda f: -len(f.value)):
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
