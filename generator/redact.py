"""Secret detection: is this string a credential?

Used wherever a value could carry a key: client.yml fields that must hold only an environment
variable *name*, and (with the scanner built on top of it) workflow definitions before anything is
written. Fingerprints identify a secret without revealing it.
"""

from __future__ import annotations

import hashlib
import math
import re

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
