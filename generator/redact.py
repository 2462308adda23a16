"""Secret detection and redaction: the one boundary between a platform's raw documents and the tool.

`redact_document(raw)` takes a raw platform document (an API response or an export file) and returns
the same tree with every secret replaced by a marker — in every string value and every dict key,
whatever the field — plus the findings (JSON path, kind, fingerprint; never the value). Everything
downstream (normalisers, native exports, ids, messages) works on that tree, so the snapshot and the
exports cannot differ in what they redact.

Detection, per string:
- provider formats: detect-secrets' regex detectors (those whose repetitions are bounded) and the
  formats automation work meets that it lacks or states unboundedly (Make/Zapier/Slack webhooks,
  Shopify, HubSpot, Airtable, Notion, JWTs, OpenAI, …);
- context: a field, header, pair or query-parameter name that says "secret" (`X-Auth-Key`,
  `secretAccessKey`, `hapikey`, `?sig=`, `?code=`) makes any literal value a secret;
- credentials in URLs (`user:password@`), `Bearer …` schemes, `name = value` / `password: …`
  assignments in code and notes, PEM blocks over several lines, connection strings;
- base64- and URL-encoded values of the above;
- random-looking tokens (mixed case, digits, no words) anywhere but in id fields.
Left alone: platform expressions (`={{ … }}`, `$env.X`, `{{1.x}}`, `{{123__x}}`), placeholders,
UUIDs, hashes and commit SHAs (hex), Google/Notion/Slack/Stripe/Airtable ids, URL paths, names.

Linear time: candidates are maximal runs found in one pass (a greedy `[class]+` never backtracks),
every pattern is bounded, and each candidate is judged once.

Every value found is also registered, in memory only, for `generator.store.guard`, which refuses any
write that would contain one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

# --------------------------------------------------------------------------------------------------
# Provider formats


def _bounded(pattern: str) -> bool:
    """True when no repetition in `pattern` is unbounded (`+`, `*`, `{n,}`): such a pattern cannot
    rescan a long run of matching characters from every start position."""
    import re._parser as parser  # the stdlib's own regex parser; stable across 3.11-3.13

    def walk(items) -> bool:
        for op, arg in items:
            if op in (parser.MAX_REPEAT, parser.MIN_REPEAT):
                if arg[1] == parser.MAXREPEAT or not walk(arg[2]):
                    return False
            elif op == parser.SUBPATTERN and not walk(arg[-1]):
                return False
            elif op == parser.BRANCH and not all(walk(branch) for branch in arg[1]):
                return False
            elif op in (parser.ASSERT, parser.ASSERT_NOT) and not walk(arg[1]):
                return False
        return True

    return walk(parser.parse(pattern))


# Detectors judged by this module's own context rules instead (keywords, entropy, URLs), or too noisy
# for automation data (Artifactory's `AP…`, IBM/Cloudant/SoftLayer keyword forms).
_DS_LEFT_OUT = {"KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector",
                "BasicAuthDetector", "ArtifactoryDetector", "CloudantDetector", "IbmCloudIamDetector",
                "IbmCosHmacDetector", "SoftlayerDetector", "PrivateKeyDetector"}


def _detect_secrets_patterns() -> list[tuple[str, str]]:
    """(kind, pattern) of detect-secrets' regex detectors ('Stripe Access Key' → stripe_access_key),
    bounded ones only; the unbounded ones are restated with bounds in OWN_PATTERNS."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    found = []
    for secret_type, plugin in sorted(get_mapping_from_secret_type_to_class().items()):
        if issubclass(plugin, RegexBasedDetector) and plugin.__name__ not in _DS_LEFT_OUT:
            kind = re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
            found += [(kind, p.pattern) for p in plugin().denylist
                      if _bounded(p.pattern) and not p.pattern.startswith("aws.")]  # keyword form: see assignments
    return found


# Formats detect-secrets lacks, or states without bounds; all repetitions bounded.
OWN_PATTERNS: dict[str, str] = {
    "slack_token": r"\bxox[abposr]-(?:\d{1,20}-){1,4}[0-9A-Za-z]{4,64}",
    "slack_webhook": r"hooks\.slack\.com/(?:services|workflows|triggers)/T[0-9A-Z]{6,20}/[0-9A-Za-z/]{10,120}",
    "stripe_key": r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,128}",
    "stripe_webhook_secret": r"\bwhsec_[0-9A-Za-z]{24,128}",
    "github_token": r"\b(?:gh[pousr]_[0-9A-Za-z]{30,80}|github_pat_[0-9A-Za-z_]{40,120})",
    "anthropic_key": r"\bsk-ant-[0-9A-Za-z_-]{20,200}",
    "openai_key": r"\bsk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,200}",
    "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}",
    "google_oauth_secret": r"\bGOCSPX-[0-9A-Za-z_-]{20,64}",
    "jwt": r"\beyJ[0-9A-Za-z_-]{8,4096}\.eyJ[0-9A-Za-z_-]{8,8192}\.[0-9A-Za-z_-]{8,4096}",
    "sendgrid_key": r"\bSG\.[0-9A-Za-z_-]{16,64}\.[0-9A-Za-z_-]{16,64}",
    "twilio_key": r"\b(?:SK|AC)[0-9a-f]{32}\b",
    "shopify_token": r"\bshp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}",
    "hubspot_token": r"\bpat-(?:na|eu|ap)\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "notion_token": r"\b(?:secret_|ntn_)[0-9A-Za-z]{40,64}",
    "airtable_token": r"\bpat[0-9A-Za-z]{14,17}\.[0-9a-f]{64}",
    "telegram_bot_token": r"\b\d{8,10}:AA[0-9A-Za-z_-]{30,40}",
    "discord_webhook": r"discord(?:app)?\.com/api/webhooks/\d{5,25}/[0-9A-Za-z_-]{30,100}",
    "make_webhook": r"hook\.[a-z0-9]{2,10}\.make\.(?:com|celonis\.com)/[0-9a-z]{20,64}",
    "zapier_webhook": r"hooks\.zapier\.com/hooks/catch/\d{3,12}/[0-9a-z]{4,32}",
    "teams_webhook": r"[0-9a-z-]{1,64}\.webhook\.office\.com/webhookb2/[0-9A-Za-z@/_-]{20,300}",
    "mailgun_key": r"\bkey-[0-9a-f]{32}\b",
    "brevo_key": r"\bxkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16}",
    "mailchimp_key": r"\b[0-9a-f]{32}-us\d{1,2}\b",
    "atlassian_token": r"\bATATT[0-9A-Za-z_=-]{40,250}",
    "linear_key": r"\blin_api_[0-9A-Za-z]{32,64}",
    "typeform_token": r"\btfp_[0-9A-Za-z_-]{40,80}",
    "huggingface_token": r"\bhf_[0-9A-Za-z]{30,64}",
    "groq_key": r"\bgsk_[0-9A-Za-z]{40,80}",
    "npm_token": r"\bnpm_[0-9A-Za-z]{30,64}",
    "pypi_token": r"\bpypi-AgE[0-9A-Za-z_-]{60,400}",
    "dropbox_token": r"\bsl\.[0-9A-Za-z_-]{60,300}",
    "clickup_token": r"\bpk_\d{6,12}_[0-9A-Z]{32}",
    "figma_token": r"\bfigd_[0-9A-Za-z_-]{30,80}",
    "square_token": r"\b(?:sq0atp|sq0csp|EAAA)[0-9A-Za-z_-]{22,80}",
    "facebook_token": r"\bEAA[A-Z][0-9A-Za-z]{20,300}",
    "digitalocean_token": r"\bdo[por]_v1_[0-9a-f]{64}",
    "doppler_token": r"\bdp\.(?:st|ct|sa|scim|audit)\.[0-9A-Za-z_-]{20,80}",
    "postman_key": r"\bPMAK-[0-9a-f]{24}-[0-9a-f]{34}",
    "asana_token": r"\b[0-2]/\d{10,20}/\d{10,20}:[0-9a-f]{32}",
    "pipedrive_or_hex_key": r"\bapi_token=[0-9a-f]{40}",
    "azure_connection_key": r"(?:AccountKey|SharedAccessKey)=[0-9A-Za-z+/]{20,100}={0,2}",
}

# Own patterns first: at one position the first alternative that matches wins, and they are the longer.
_PROVIDERS: list[tuple[str, str]] = list(OWN_PATTERNS.items()) + _detect_secrets_patterns()
# One pass per string: every provider is a named alternative (g0, g1, …) of one pattern.
_PROVIDER = re.compile("|".join(f"(?P<g{i}>{pattern})" for i, (_, pattern) in enumerate(_PROVIDERS)))
_PROVIDER_KIND = {f"g{i}": kind for i, (kind, _) in enumerate(_PROVIDERS)}

# --------------------------------------------------------------------------------------------------
# Names: does a field, header or parameter name say its value is a secret, or an id?

_SECRET_WORDS = {"password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "token", "apikey",
                 "signature", "sig", "cookie", "credential", "credentials", "auth", "authorization", "sas",
                 "privatekey", "secretkey", "accesskey", "hapikey", "bearer", "jwt"}
# '<word> key' is secret for these words (X-Auth-Key, Ocp-Apim-Subscription-Key, aws_secret_access_key).
_KEY_QUALIFIERS = {"api", "access", "secret", "private", "auth", "subscription", "signing", "session", "master",
                   "encryption", "client", "app", "license", "licence", "consumer", "account", "shared", "service",
                   "webhook", "hmac", "integration", "admin", "rest", "live", "test", "x", "user", "server",
                   "developer", "partner", "merchant", "sas", "storage", "ssh", "deploy", "hapi", "write", "read"}
# Words that, first, make a name ordinary ('page token', 'public key', 'sort key', 'token type').
_ORDINARY_FIRST = {"public", "primary", "partition", "sort", "object", "file", "row", "lookup", "cache",
                   "idempotency", "dedupe", "dedup", "group", "foreign", "unique", "hash", "range", "column",
                   "field", "map", "item", "record", "message", "routing", "bucket", "page", "next", "continuation",
                   "sync", "pagination", "event", "order", "product", "property", "meta", "metadata", "label",
                   "json", "schema", "dimension", "entity", "template", "type", "name", "title", "s3", "sheet",
                   "cursor", "max", "min", "num", "count", "use", "send", "has", "is", "show", "include", "require",
                   "requires", "enable", "enabled", "reset", "forgot", "change", "new", "expires", "expiry"}
_ORDINARY_LAST = {"id", "ids", "type", "types", "url", "uri", "endpoint", "name", "names", "length", "expiry",
                  "expires", "expiration", "field", "mode", "method", "format", "policy", "hint", "label",
                  "count", "header", "location", "path", "file", "enabled", "required", "ttl", "version"}
_ID_WORDS = {"id", "ids", "uuid", "guid", "sha", "hash", "commit", "etag", "checksum", "digest", "revision",
             "sheet", "spreadsheet", "document", "channel", "page", "database", "folder", "price", "sku"}
# Query parameters that carry credentials although their names are short or generic.
_QUERY_SECRET = {"code", "sig", "key", "apikey", "hapikey", "auth", "token", "signature", "access_key", "sv_sig",
                 "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
                 "x-goog-credential", "private_token", "client_secret", "pass", "pw", "secret", "session", "sid"}


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name[:80])
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


@lru_cache(maxsize=8192)
def name_context(name: str, *, query: bool = False) -> str:
    """What a name says about its value: 'secret', 'cookie', 'id' or '' (nothing)."""
    words = _words(str(name))
    if not words:
        return ""
    joined, last = "".join(words), words[-1]
    if query and (str(name).lower() in _QUERY_SECRET or joined in _QUERY_SECRET):
        return "secret"
    if last == "cookie" or joined == "setcookie":
        return "cookie"
    if last in _ID_WORDS or joined.endswith("uuid") or (len(last) > 2 and last.endswith("id") and last[:-2] in
                                                          {"client", "app", "user", "account", "tenant"}):
        return "id"
    if last in _ORDINARY_LAST or (len(words) > 1 and words[0] in _ORDINARY_FIRST):
        return ""
    if last in _SECRET_WORDS or joined.endswith(("apikey", "password", "secret", "accesstoken", "authtoken")):
        return "secret"
    if last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return "secret"
    return ""


# --------------------------------------------------------------------------------------------------
# What is not a secret

# Platform expressions and references name a value held elsewhere. Bounded: an unclosed `{{` ends the
# expression at the end of the line.
EXPRESSION = re.compile(r"\{\{[^{}]{0,2000}\}\}|\$(?:env|vars|secrets)\.[A-Za-z_][A-Za-z0-9_]{0,100}|"
                        r"\$credentials\b[\w.\[\]'\"]{0,200}|\$\(\s*'[^']{0,200}'\s*\)|\$[A-Za-z_]{1,40}\([^()]{0,200}\)")
_PLACEHOLDER = re.compile(r"^(x+|\*+|•+|<[^>]{1,100}>|\{\{.{0,2000}\}\}|\$\{?[A-Za-z_]{1,100}\}?|your[_-].*|changeme|"
                          r"example.*|redacted.*|\[redacted.*|none|null|true|false|undefined|test|demo)$", re.I | re.S)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Ids that look random: Google Drive/Sheets, Stripe objects (not keys), Airtable, Slack, Shopify gids.
_ID_SHAPE = re.compile(r"1[A-Za-z0-9_-]{32}|1[A-Za-z0-9_-]{43}|"
                       r"(price|prod|cus|sub|pi|pm|in|ch|evt|acct|plan|txn|src|card|seti|cs|po|tr|ba|ii|il|re|si|"
                       r"prc|inv|file|tok|cn|dp|ipi|li|py|pyr|sku|txr|ic|ich)_[0-9A-Za-z]{8,64}|"
                       r"pk_(?:live|test)_[0-9A-Za-z]{16,128}|"  # publishable keys are public
                       r"(app|tbl|rec|fld|viw|sel|att|usr|wsp|ent)[0-9A-Za-z]{14}|[CDGUW][0-9A-Z]{8,12}")
_NOT_A_SECRET = re.compile(r"#[0-9a-f]{3,8}|[a-z]{1,30}/[a-z0-9.+-]{1,80}|https?://[^@\s]{1,2048}|"
                           r"[a-z]{1,40}(-[a-z]{1,40}){0,8}|[A-Za-z]{1,40}|\d{1,6}|[\w$]{1,60}(\.[\w$]{1,60}){1,8}(\(\))?",
                           re.I)


def is_placeholder(value: str) -> bool:
    """Documentation values and fillers: 'YOUR_API_KEY', 'sk_live_xxxxxxxx…', AWS's '…EXAMPLE' keys."""
    value = value.strip()
    lowered = value.lower()
    if _PLACEHOLDER.match(value) or "example" in lowered or "placeholder" in lowered or \
            re.search(r"(^|[-_ <])your[-_ ]", lowered):
        return True
    tail = re.split(r"[_\-.:]", value)[-1]
    return len(tail) >= 6 and len(set(tail.lower())) <= 2  # xxxxxxxx, 00000000, ********


def is_known_id(value: str) -> bool:
    """UUIDs, hex digests and commit SHAs, and the id shapes of common apps: random-looking, not secret."""
    return bool(_UUID.fullmatch(value) or _HEX.fullmatch(value) or _ID_SHAPE.fullmatch(value))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_WORDY = re.compile(r"[a-z]{4,}|[A-Z][a-z]{3,}|[A-Z]{5,}")


def random_token(token: str) -> bool:
    """A token that reads as random: 20-1024 characters, upper and lower case and digits, frequent
    changes between them, few word-like runs, high entropy; not a known id shape. Names such as
    `CoinMarketCap_AI_Data_Analyst_Agent` or `getV2ResponseForUser2024` are not random."""
    core = token.strip("-_=+")
    n = len(core)
    if n < 20 or n > 1024 or is_known_id(core) or re.fullmatch(r"[A-Za-z0-9-]{0,200}-[0-9a-f]{32}", core):
        return False  # an id, or a page slug ending in one (Notion: Roadmap-1f2e…)
    if not (_LOWER.search(core) and _UPPER.search(core) and len(_DIGIT.findall(core)) >= 2):
        return False
    if len(_CLASS_RUNS.findall(core)) - 1 < n * 0.3:  # changes between lower case, upper case and digits
        return False
    if sum(len(m) for m in _WORDY.findall(core)) > n * 0.4:
        return False
    return entropy(core) >= 3.5


_LOWER, _UPPER, _DIGIT = re.compile("[a-z]"), re.compile("[A-Z]"), re.compile("[0-9]")
_CLASS_RUNS = re.compile(r"[a-z]+|[A-Z]+|[0-9]+|[^A-Za-z0-9]+")


# --------------------------------------------------------------------------------------------------
# One string


@dataclass(frozen=True)
class Found:
    """A secret in one string: its kind and the exact text that is secret."""

    kind: str
    value: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    @property
    def marker(self) -> str:
        return marker(self.kind, self.value)


def fingerprint(value: str) -> str:
    """A short, stable identifier of a secret that reveals nothing about it."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def marker(kind: str, value: str) -> str:
    """What a secret becomes, everywhere (snapshot and native exports alike): plain text that fails
    loudly where it is used (an API answers 401, a code step throws) and names the secret to put back."""
    return f"[redacted {kind} {fingerprint(value)}]"


_HOST_PREFIX = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]{0,20}://)?[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}(?::\d{1,5})?/")
_PUBLIC_PATH = re.compile(r"(?:hooks/catch|services|workflows|triggers|api/webhooks|webhookb2)/")
_MARKER = re.compile(r"\[redacted [a-z0-9_]{1,60} sha256:[0-9a-f]{12}\]")
_RUN = re.compile(r"[A-Za-z0-9_+-]+={0,2}")  # token characters: random tokens are judged per run (no '/', '.')
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_ENCODED_RUN = re.compile(r"[^\s\"'`<>()\[\]{}\\|^,;=&?/]+")
_AUTH_SCHEME = re.compile(r"\b(?:Bearer|Basic|Token|Bot|SSWS|OAuth|Digest)[ \t]{1,4}([A-Za-z0-9._~+/=:-]{8,2048})")
# `name = value`, `name: value`, `"name": "value"`, `name => value`; the name is judged by name_context.
_ASSIGNMENT = re.compile(r"(?<![\w$.-])([A-Za-z_][A-Za-z0-9_-]{0,63})[\"'\]]{0,2}[ \t]{0,3}(?:=>|:=|[:=])[ \t]{0,3}"
                         r"[\"'`]?((?:Bearer|Basic|Token)[ \t]{1,3})?([^\s\"'`<>,;&)}\]]{1,512})")
_PASSWORD_IS = re.compile(r"(?i)\b(?:password|passwort|passcode|pwd|pin|token|api key|secret)[ \t]{1,3}(?:is|was|=|:)"
                          r"?[ \t]{1,3}[\"'`]?([^\s\"'`<>,;]{6,128})")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-[23]")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_URL_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,20}$")
_URL_BODY = re.compile(r"[^\s\"'`<>\\]{1,4096}")


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with the matches of `pattern` turned into spaces: offsets stay valid."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _plausible(value: str) -> bool:
    """Could this literal, given where it sits, be a secret? Not a placeholder, word, number, colour,
    MIME type, plain URL, dotted reference (process.env.X, $json.token) or marker."""
    value = value.strip()
    if len(value) < 6 or value.startswith(("[redacted", "={{", "{{", "$")) or is_placeholder(value):
        return False
    return not _NOT_A_SECRET.fullmatch(value)


def _scan(text: str, context: str = "") -> list[tuple[int, int, str]]:
    """Spans (start, end, kind) of the secrets in `text`. `context` is what the field's name says:
    'secret' (any literal is one), 'cookie', 'id' (random-looking values are ids) or ''."""
    if len(text) > 4096:  # long values are not worth caching
        return _scan_uncached(text, context)
    return _scan_cached(text, context)


@lru_cache(maxsize=65536)
def _scan_cached(text: str, context: str) -> list[tuple[int, int, str]]:
    return _scan_uncached(text, context)


def _scan_uncached(text: str, context: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    if len(text) < 6:
        return spans
    for match in _PROVIDER.finditer(text):
        if not is_placeholder(match.group(0)):
            host = _HOST_PREFIX.match(match.group(0))  # a webhook's host and fixed path are public, the rest secret
            start = match.start() + (host.end() if host else 0)
            public = _PUBLIC_PATH.match(text, start) if host else None
            spans.append((public.end() if public else start, match.end(), _PROVIDER_KIND[match.lastgroup]))
    if "PRIVATE KEY" in text or "PuTTY" in text:
        for match in _PEM.finditer(text):
            end = _PEM_END.search(text, match.end())
            spans.append((match.start(), end.end() if end else len(text), "private_key"))
    literal = _blank(text, EXPRESSION) if ("{{" in text or "$" in text) else text
    if "://" in literal:
        spans += _url_spans(literal)
    if "=" in literal or ":" in literal:
        for match in _ASSIGNMENT.finditer(literal):
            kind = name_context(match.group(1))
            value = match.group(3)
            if kind in ("secret", "cookie") and _plausible(value) and (match.group(2) or not _word_like(value)):
                spans.append((match.start(3), match.end(3), "secret_assignment"))
    if " " in literal:
        for match in _AUTH_SCHEME.finditer(literal):
            # "the OAuth pattern." in prose is a word after a scheme's name, not a credential
            if _plausible(match.group(1)) and not re.fullmatch(r"[a-z]+[.,;:!?]?", match.group(1)):
                spans.append((match.start(1), match.end(1), "authorization_header"))
        for match in _PASSWORD_IS.finditer(literal):
            if _plausible(match.group(1)) and not _word_like(match.group(1)):
                spans.append((match.start(1), match.end(1), "secret_in_text"))
    if "%" in literal:
        spans += _url_encoded(literal)
    for match in _B64_RUN.finditer(literal):
        if 16 <= len(match.group(0)) <= 4096:
            kind = _base64_secret(match.group(0))
            if kind:
                spans.append((match.start(), match.end(), kind))
    if context != "id":
        for match in _RUN.finditer(literal):
            if len(match.group(0)) >= 20 and random_token(match.group(0)):
                spans.append((match.start(), match.end(), "high_entropy_string"))
    if context in ("secret", "cookie"):  # the whole literal, over any part found above
        spans += _named_value(literal, context)
    return _merge(spans)


def _word_like(value: str) -> bool:
    """Letters only, or an identifier: `getToken`, `credentials`, `process.env.KEY`."""
    return bool(re.fullmatch(r"[A-Za-z_]{1,40}|[\w$]{1,60}(\.[\w$]{1,60}){1,8}(\(\))?", value))


def _named_value(literal: str, context: str) -> list[tuple[int, int, str]]:
    """The value of a field whose name says it is secret: the literal (after any `Bearer `), unless it
    is an expression, a placeholder or plainly not one (a colour, a MIME type, a word)."""
    if context == "cookie":
        return [(m.start(2), m.end(2), "cookie") for m in re.finditer(r"([^=;\s]{1,100})=([^;\s]{6,4096})", literal)
                if _plausible(m.group(2))]
    start = len(literal) - len(literal.lstrip())
    body = literal.strip()
    if body.startswith("="):
        body, start = body[1:], start + 1
    scheme = re.match(r"(?:Bearer|Basic|Token|Bot|SSWS|OAuth)\s+", body, re.I)
    if scheme:
        body, start = body[scheme.end():], start + scheme.end()
    body = body.rstrip()
    if not body or re.search(r"\s", body) or not _plausible(body):
        return []
    return [(start, start + len(body), "secret_field")]


def _url_spans(text: str) -> list[tuple[int, int, str]]:
    """Credentials in URLs: `user:password@`, a token as the user, secret query parameters."""
    spans = []
    for sep in re.finditer(r"://", text):
        head = _URL_HEAD.search(text, max(0, sep.start() - 21), sep.start())
        if not head:
            continue
        body = _URL_BODY.match(text, sep.end())
        if not body:
            continue
        url, base = body.group(0), body.start()
        authority_end = min([i for i in (url.find("/"), url.find("?"), url.find("#")) if i >= 0] or [len(url)])
        at = url.rfind("@", 0, authority_end)
        if at > 0:
            user, _, password = url[:at].partition(":")
            if password and _plausible(password) or (password and len(password) >= 4 and not is_placeholder(password)
                                                      and not password.startswith(("{{", "$"))):
                offset = base + len(user) + 1
                spans.append((offset, offset + len(password), "url_password"))
            elif not password and (random_token(user) or len(user) >= 20 and _PROVIDER.search(user)):
                spans.append((base, base + at, "url_token"))
        query = url.find("?")
        if query >= 0:
            for pair in re.finditer(r"([^&;=#?]{1,80})=([^&;#]{1,2048})", url[query + 1:]):
                name, value = unquote(pair.group(1)), pair.group(2)
                if name_context(name, query=True) == "secret" and len(value) >= 4 and not is_placeholder(unquote(value)) \
                        and not value.startswith(("{{", "$", "[redacted")):
                    offset = base + query + 1 + pair.start(2)
                    spans.append((offset, offset + len(value), "url_query_secret"))
    return spans


def _url_encoded(text: str) -> list[tuple[int, int, str]]:
    """Secrets written URL-encoded (`https%3A%2F%2Fuser%3Apass%40host`, `sk_live_…%3D`)."""
    spans = []
    for run in _ENCODED_RUN.finditer(text):
        encoded = run.group(0)
        if "%" not in encoded or not re.search(r"%[0-9A-Fa-f]{2}", encoded):
            continue
        decoded = unquote(encoded)
        if decoded != encoded and _scan(decoded, ""):
            spans.append((run.start(), run.end(), "url_encoded_secret"))
    return spans


def _base64_secret(token: str) -> str | None:
    """The kind of secret a base64 token decodes to (a provider key, `user:password`), else None."""
    if _HEX.fullmatch(token) or len(token.rstrip("=")) < 16:
        return None
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if ("-" in token or "_" in token) else None, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not text.isprintable() or len(text) < 8:
        return None
    if re.fullmatch(r"[^:\s]{1,64}:[^\s]{6,256}", text) and _plausible(text.partition(":")[2]):
        return "base64_credentials"
    inner = _scan(text, "")
    return f"base64_{inner[0][2]}"[:60] if inner else None


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans become one: the longest wins its kind; provider kinds before generic ones."""
    generic = {"high_entropy_string", "secret_field", "secret_assignment", "secret_in_text", "url_encoded_secret"}
    spans = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]), s[2] in generic))
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            s, e, k = merged[-1]
            merged[-1] = (s, max(e, end), k if k not in generic or kind in generic else kind)
            continue
        merged.append((start, end, kind))
    return merged


def has_marker(text: str) -> bool:
    """Whether `text` holds a redaction marker: a secret was here."""
    return bool(_MARKER.search(text))


def find_secrets(text: str, *, named: bool = False, context: str | None = None) -> list[Found]:
    """The secrets in one string. `named` (or `context='secret'`): the field's name says it holds one."""
    context = context if context is not None else ("secret" if named else "")
    seen: dict[str, Found] = {}
    for start, end, kind in _scan(text, context):
        seen.setdefault(text[start:end], Found(kind, text[start:end]))
        REGISTRY.add(text[start:end])  # found is found: the write guard knows it too
    return list(seen.values())


def redact_text(text: str, *, named: bool = False, context: str | None = None) -> tuple[str, list[Found]]:
    """`text` with every secret replaced by its marker, and what was found (each value registered)."""
    context = context if context is not None else ("secret" if named else "")
    spans = _scan(text, context)
    if not spans:
        return text, []
    found, out, last = [], [], 0
    for start, end, kind in spans:
        item = Found(kind, text[start:end])
        REGISTRY.add(item.value)
        found.append(item)
        out += [text[last:start], item.marker]
        last = end
    out.append(text[last:])
    return "".join(out), found


def looks_like_secret(value: str) -> bool:
    """True for provider-format keys, credentials in URLs and long random-looking tokens."""
    value = value.strip()
    return bool(value) and not _PLACEHOLDER.match(value) and bool(_scan(value, ""))


# --------------------------------------------------------------------------------------------------
# The boundary: a whole raw document


@dataclass(frozen=True)
class Finding:
    """A secret found in a raw document: where (a path of keys and indexes, from the redacted tree, so
    it never holds a secret), what kind, and its fingerprint. Never the value."""

    path: tuple[str | int, ...]
    kind: str
    fingerprint: str
    in_key: bool = False  # the secret was in a dict key (the path ends with the redacted key)

    @property
    def where(self) -> str:
        return render_path(self.path)


@dataclass
class Redacted:
    tree: object
    findings: list[Finding] = field(default_factory=list)

    def under(self, *prefix: str | int) -> list[Finding]:
        """Findings below `prefix`, their paths made relative to it."""
        n = len(prefix)
        return [Finding(f.path[n:], f.kind, f.fingerprint, f.in_key) for f in self.findings if f.path[:n] == prefix]


def render_path(path: tuple[str | int, ...]) -> str:
    """('nodes', 3, 'parameters', 'url') → 'nodes[3].parameters.url'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_PARAMETER_MAPS = {"headers", "header", "qs", "query", "querystring", "queryparameters", "query_params", "queryparams",
                   "searchparams", "cookies", "form", "formdata"}
_PAIR_NAMES = ("name", "key", "header", "parameter", "parameterName", "field", "fieldName")


def redact_document(raw) -> Redacted:
    """Every dict key and every string value of a raw platform document, whatever its field, with the
    secrets replaced by markers; and the findings. The one redaction function of the tool."""
    findings: list[Finding] = []

    def redact(text: str, path: tuple, context: str, in_key: bool = False) -> str:
        spans = _scan(text, context)
        if not spans:
            return text
        out, last = [], 0
        for start, end, kind in spans:
            value = text[start:end]
            REGISTRY.add(value)
            out += [text[last:start], marker(kind, value)]
            last = end
        out.append(text[last:])
        redacted = "".join(out)
        for start, end, kind in spans:
            findings.append(Finding(path + ((redacted,) if in_key else ()), kind, fingerprint(text[start:end]), in_key))
        return redacted

    def walk(node, path: tuple, context: str):
        if isinstance(node, dict):
            # {"X-Auth-Key": …} under `headers`, {"code": …} under `qs`: keys named like parameters
            names_are_parameters = bool(path) and str(path[-1]).lower() in _PARAMETER_MAPS
            pair = next((k for k in _PAIR_NAMES if isinstance(node.get(k), str)), None) if "value" in node else None
            pair_context = name_context(node[pair], query=True) if pair else ""
            out = {}
            for key, value in node.items():
                new_key = redact(key, path, "", in_key=True) if isinstance(key, str) and len(key) >= 6 else key
                if pair and key == "value":
                    child = pair_context
                elif pair and key == pair:
                    child = ""
                else:
                    child = name_context(key, query=names_are_parameters) if isinstance(key, str) else ""
                out[new_key] = walk(value, path + (new_key,), child)
            return out
        if isinstance(node, list):
            return [walk(item, path + (index,), context) for index, item in enumerate(node)]
        if isinstance(node, str):
            return redact(node, path, context)
        return node

    tree = walk(raw, (), "")
    return Redacted(tree, findings)


# --------------------------------------------------------------------------------------------------
# What this process has found, for the write guard (values in memory only, never written)




_CLASSES = str.maketrans({**{c: "l" for c in "abcdefghijklmnopqrstuvwxyz"},
                          **{c: "u" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **{c: "d" for c in "0123456789"}})


class Registry:
    """The secrets found during this run: each value's hash, and its 12-character windows (those with
    at least two of lower case, upper case and digits, so that 'hooks.slack.' alone is not one),
    indexed by their 6-character blocks so that a text is checked in one pass."""

    WINDOW = 12

    def __init__(self):
        self._lock = threading.Lock()
        self.values: dict[str, str] = {}  # value → fingerprint (short values are checked whole)
        self.windows: dict[str, str] = {}  # 12-character window → fingerprint
        self.blocks: set[str] = set()  # 6-character blocks of the windows

    def add(self, value: str) -> None:
        if len(value) < 8 or value in self.values:
            return
        with self._lock:
            fp = fingerprint(value)
            self.values[value] = fp
            host = _HOST_PREFIX.match(value)  # 'hook.eu1.make.com/' is public: only the rest is secret
            core = value[host.end():] if host else value
            classes = core.translate(_CLASSES)  # l, u, d or . per character
            size = self.WINDOW
            for i in range(len(core) - size + 1):
                shape = classes[i:i + size]
                if ("l" in shape) + ("u" in shape) + ("d" in shape) >= 2:
                    self.windows.setdefault(core[i:i + size], fp)
            self.blocks.update(core[k:k + 6] for k in range(len(core) - 5))  # candidates; windows decide

    def clear(self) -> None:
        with self._lock:
            self.values.clear()
            self.windows.clear()
            self.blocks.clear()

    def __len__(self) -> int:
        return len(self.values)

    def find(self, text: str) -> str | None:
        """The fingerprint of a registered secret that `text` contains (whole, or any registered
        12-character window of it), else None. Every 12-character window of `text` contains a block
        starting at a multiple of 6, so only those are looked up."""
        if not self.values:
            return None
        for value, fp in self.values.items():
            if len(value) < self.WINDOW and value in text:
                return fp
        blocks, windows, size = self.blocks, self.windows, self.WINDOW
        for k in range(0, len(text) - 5, 6):
            if text[k:k + 6] in blocks:
                for a in range(max(0, k - 6), k + 1):
                    fp = windows.get(text[a:a + size])
                    if fp:
                        return fp
        return None


REGISTRY = Registry()


# --------------------------------------------------------------------------------------------------
# Addresses


def address_fingerprints(url: str) -> tuple[str, str]:
    """Fingerprints of a URL and of its path, normalised so that a caller's URL and the webhook's own
    address agree: scheme and host lower-cased, default port, query, fragment and trailing slash
    dropped. The path alone matches when the caller reaches the webhook through another host name."""
    from urllib.parse import urlsplit

    url = _MARKER.sub(lambda m: "redacted-" + m.group(0)[-13:-1], url.strip())  # a marker for a host or path
    try:
        parts = urlsplit(url if "://" in url else "https://placeholder" + "/" + url.lstrip("/"))
    except ValueError:  # not a URL urlsplit reads (a placeholder host such as https://[YOUR-SITE.com]/…)
        return fingerprint(url), fingerprint("/" + url.split("://", 1)[-1].partition("/")[2].strip("/"))
    try:
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        host, port = parts.netloc.lower(), None
    if port and port not in (80, 443):
        host += f":{port}"
    path = "/" + parts.path.strip("/")
    return fingerprint(f"{parts.scheme.lower()}://{host}{path}"), fingerprint(path)


# --------------------------------------------------------------------------------------------------
# Field names a step works with (for the personal-data map): names only, never values.

_REFERENCES = [
    # n8n: $json.customer.email, $json["e-mail"], $('Node').item.json.body.phone (the last name counts)
    re.compile(r"\.?json(?:\.[A-Za-z_]\w{0,100}){0,10}(?:\.([A-Za-z_]\w{0,100})|\[\s*[\"']([^\"']{1,100})[\"']\s*\])"
               r"(?![\w.\[])"),
    re.compile(r"\{\{\s*\d+\.(?:\w{1,100}\.){0,10}(\w{1,100})\s*\}\}"),  # Make {{1.customer.email}}
    re.compile(r"\{\{\s*\w{1,40}?__([\w.\-]{1,100})\s*\}\}"),  # Zapier {{123__email}}
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
    return sorted(f for f in found if len(f) <= 60 and not _MARKER.search(f))[:limit]
