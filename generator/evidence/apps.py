"""Apps as the client knows them: one name per app, what kind of service it is, and where data goes.

Platforms name the same app differently ("HubSpot CRM" in Make, "HubSpot" in Zapier, "Netsuite" in n8n)
and name trigger nodes after the app ("Zendesk Trigger"); the data map and the runbooks use `app_name`
so an app appears once, under the name its vendor uses. Steps that move data inside the platform
(webhooks, schedules, flow control) are no app at all (`is_app`).

Regions are ISO 3166 alpha-2 country codes, or "EU" for a vendor hosting in the European Union without
saying which country. Only what is known is given: a platform's region from its zone or host (client.yml
`platforms`), and the vendor's default processing region for the AI services and ad platforms below;
every other app's hosting is not known (its account may be hosted anywhere) and is not judged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from babel import Locale

# Vendor spellings: a platform's name for an app → the vendor's own.
_CANONICAL = {"hubspot crm": "HubSpot", "hubspot": "HubSpot", "netsuite": "NetSuite", "openai": "OpenAI",
              "facebook lead ads": "Facebook Lead Ads", "google analytics 4": "Google Analytics",
              "postgres": "PostgreSQL", "postgresql": "PostgreSQL"}
# Trigger node names that carry the app's name ("Zendesk Trigger", "Shopify Trigger").
_TRIGGER_SUFFIX = re.compile(r"\s+(trigger|instant trigger|watch)$", re.I)
# Names of steps that are the platform itself, not an outside app.
_NOT_APPS = re.compile(
    r"^(webhooks?|webhooks by zapier|catch hook|schedule( trigger)?|schedule by zapier|cron|interval|"
    r"manual trigger|when clicking.*|execute workflow( trigger)?|error trigger|n8n form trigger|"
    r"flow control|router|switch|if|merge|filter( by zapier)?|paths( by zapier)?|formatter( by zapier)?|"
    r"code|code by zapier|function|json|set|edit fields.*|loop over items|split in batches|wait|delay( by zapier)?|"
    r"respond to webhook|no ?op|sticky note|tools|iterator|aggregator|text aggregator|array aggregator|"
    r"data store|storage by zapier|digest by zapier|looping by zapier|sub-?zap.*|http request|http)$", re.I)

# Services that do something with what they are sent, beyond storing it.
AI_SERVICES = re.compile(r"openai|chatgpt|anthropic|claude|gemini|vertex ai|google ai|mistral|cohere|"
                         r"hugging ?face|azure openai|perplexity|groq|deepseek|replicate|ollama", re.I)
AD_PLATFORMS = re.compile(r"facebook (lead ads|ads|custom audiences|conversions)|meta (ads|lead|business|"
                          r"conversions)|instagram ads|google ads|adwords|linkedin( lead gen| ads|$)|tiktok|"
                          r"snapchat ads|pinterest ads|microsoft advertising|bing ads|x ads|twitter ads", re.I)
# Where the vendor processes data by default (its terms; an enterprise account may choose otherwise).
_VENDOR_REGIONS = [
    (re.compile(r"azure openai", re.I), None),  # the customer picks the Azure region
    (re.compile(r"openai|chatgpt|anthropic|claude|perplexity|groq", re.I), "US"),
    (re.compile(r"mistral", re.I), "EU"),
    (re.compile(r"facebook|meta |instagram|google ads|adwords|linkedin|snapchat|pinterest|microsoft advertising|"
                r"bing ads", re.I), "US"),
]
EU = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
      "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
# Make's zones and where they are hosted.
MAKE_ZONES = {"eu1": "EU", "eu2": "EU", "us1": "US", "us2": "US"}
_NAMES = Locale("en").territories


def app_name(raw: str | None) -> str:
    """The app's name as its vendor writes it, without a trigger suffix."""
    name = _TRIGGER_SUFFIX.sub("", (raw or "").strip())
    return _CANONICAL.get(name.lower(), name)


def is_app(raw: str | None) -> bool:
    """Whether a step's app is an outside app (not a webhook, schedule, flow-control or code step)."""
    return bool(raw) and not _NOT_APPS.match(raw.strip())


def kind(app: str) -> str | None:
    """"AI service", "ad platform" or None."""
    if AI_SERVICES.search(app):
        return "AI service"
    if AD_PLATFORMS.search(app):
        return "ad platform"
    return None


def vendor_region(app: str) -> str | None:
    """Where the vendor processes data by default; None when not known."""
    return next((region for pattern, region in _VENDOR_REGIONS if pattern.search(app)), None)


def region_name(code: str | None) -> str:
    if code is None:
        return "not known"
    if code == "EU":
        return "the European Union"
    return _NAMES.get(code, code)


def abroad(region: str | None, country: str | None) -> bool | None:
    """Whether data in `region` is outside the client's `country` (None: one of them is not known)."""
    if region is None or country is None:
        return None
    if region == "EU":
        return country not in EU
    return region != country


def platform_region(platform) -> str | None:
    """Where a platform (client.yml `platforms` entry) runs: its `region` when given, else Make's zone,
    Zapier's hosting (US), or n8n Cloud's (EU); a self-hosted n8n is not known without `region`."""
    if platform.region:
        return platform.region
    kind_ = platform.kind.value
    if kind_ == "make":
        return MAKE_ZONES.get((platform.zone or "").lower())
    if kind_ == "zapier":
        return "US"
    if kind_ == "n8n" and platform.base_url:
        host = (urlsplit(platform.base_url).hostname or "").lower()
        return "EU" if host.endswith(".n8n.cloud") else None
    return None
