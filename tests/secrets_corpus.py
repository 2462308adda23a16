"""Planted secrets for the scanner tests: realistic-looking but invented values of many kinds, and
look-alikes that must not fire. Each secret is put in its own field of an n8n workflow, a Make
blueprint or a Zapier export, where such values really end up."""

from __future__ import annotations

import base64

# (kind family, value, the part that must never be written). The family is what a reviewer would call
# it; detectors may name it more precisely, the test checks location and absence, not the name.
SECRETS: list[tuple[str, str]] = [
    ("aws_access_key", "AKIA4QWERTYU7PLMNB3Z"),
    ("aws_secret", "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"),
    ("slack_bot_token", "xoxb-2384920213-5830594810293-Kd8sLq2PzX0vB7nM4cR1tYwE"),
    ("slack_user_token", "xoxp-1029384756-1029384756-1029384756-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"),
    ("slack_webhook", "https://hooks.slack.com/services/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"),
    ("stripe_live_key", "sk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gc"),
    ("stripe_restricted_key", "rk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gd"),
    ("stripe_webhook_secret", "whsec_9fKq2Lm8Np4Rs7Tv1Wx3Yz6Bc0Dg5Hj"),
    ("github_pat", "ghp_Zq8Lm2Np4Rs7Tv1Wx3Yz6Bc0Dg5Hj9Kk2Ma"),
    ("github_fine_grained", "github_pat_11ABCD2EFG0hIjKlMnOpQr_StUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwXy"),
    ("gitlab_token", "glpat-Xq7LmZp2Ns8Kd4Vb6Wc9"),
    ("openai_key", "sk-proj-Qm3Lx9Zp2Ns8Kd4Vb6Wc9Yt1RaT3BlbkFJh5Gf7Ds2Ka8Lq4Mw6Nz0Pe"),
    ("anthropic_key", "sk-ant-api03-Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3Rt5Uy"),
    ("google_api_key", "AIzaSyD4qL8mZ2nP7rS1tV5wX9yB3cF6hJ0kM2oQ"),
    ("google_oauth_secret", "GOCSPX-Xq7LmZp2Ns8Kd4Vb6Wc9Yt1Ra"),
    ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJuOG4tYXBpIiwiaWF0IjoxNzAwMDAwMDAwfQ."
            "Kd8sLq2PzX0vB7nM4cR1tYwEa9Gf3Hs5Jq7Lm2Np4Rs"),
    ("n8n_api_key", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2YjQ5LWFiYyIsImlzcyI6Im44biJ9."
                    "Zx9Wv7Ut5Sr3Qp1On9Ml7Kj5Ih3Gf1Ed9Cb7Az5Yx3"),
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu8Lq2PzX0vB7nM4cR1tYwEa9Gf3Hs5Jq7Lm2Np4Rs\n"
                    "-----END RSA PRIVATE KEY-----"),
    ("sendgrid_key", "SG.Xq7LmZp2Ns8Kd4Vb6Wc9Yt.1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3Rt5Uy9Io2Pa4Sd"),
    ("twilio_api_key", "SK9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("shopify_token", "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"),
    ("shopify_shared_secret", "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"),
    ("hubspot_token", "pat-na1-7c2e9f4a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"),
    ("notion_token", "ntn_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ"),
    ("airtable_token", "patXq7LmZp2Ns8Kd4V.9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("telegram_bot_token", "6183920471:AAHq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka"),
    ("discord_webhook", "https://discord.com/api/webhooks/1183920471029384756/Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz"),
    ("make_webhook", "https://hook.eu1.make.com/x7lmzp2ns8kd4vb6wc9yt1ragf7ds2ka"),
    ("zapier_webhook", "https://hooks.zapier.com/hooks/catch/1029384/3kq9zpx/"),
    ("mailgun_key", "key-9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("mailchimp_key", "0a1b2c3d4e5f60718293a4b5c6d7e8f9-us21"),
    ("brevo_key", "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"),
    ("atlassian_token", "ATATT3xFfGF0Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3Rt5Uy9Io"),
    ("linear_key", "lin_api_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw"),
    ("typeform_token", "tfp_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3"),
    ("huggingface_token", "hf_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8"),
    ("groq_key", "gsk_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3"),
    ("npm_token", "npm_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8L"),
    ("dropbox_token", "sl.BXq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3Rt5Uy9Io2Pa4SdXq7LmZp2"),
    ("figma_token", "figd_Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8"),
    ("clickup_token", "pk_8401923_XQ7LMZP2NS8KD4VB6WC9YT1RAGF7DS2K"),
    ("database_url", "postgres://etl_user:Vb6Wc9Yt1RaGf7@db.internal.acme.io:5432/warehouse"),
    ("mongodb_url", "mongodb+srv://app:Kd4Vb6Wc9Yt1@cluster0.ab1cd.mongodb.net/orders"),
    ("ftp_url", "ftp://backup:Np4Rs7Tv1Wx3@files.acme.io/exports"),
    ("basic_auth_header", "Basic " + base64.b64encode(b"api:Tv1Wx3Yz6Bc0Dg5H").decode()),
    ("bearer_header", "Bearer 7Lm2Np4Rs9Tv1Wx3Yz6Bc0Dg5Hj8Kq2Za"),
    ("token_header", "Token 4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"),
    ("x_api_key", "c8f3a1e9-57d2-4b6a-9e0f-3d2c1b0a9f8e"),
    ("password_field", "Summer2026!Harbour"),
    ("client_secret_field", "qK7mZ2nP8rS4tV6wX1yB9cF3hJ5"),
    ("query_api_key", "9c1b7e2f4a6d8c0e1f2a3b4c"),
    ("query_access_token", "EAAGm0PX4ZCpsBAKq7LmZp2Ns8Kd4"),
    ("code_high_entropy", "Zp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq"),
    ("code_stripe", "sk_live_51QrT8sLx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gz"),
    ("sticky_note_key", "sk-proj-Lx9Zp2Ns8Kd4Vb6Wc9Yt1RaT3BlbkFJQm3h5Gf7Ds2Ka8Lq4Mw6Nz0Pe"),
    ("pinned_data_token", "xoxp-5029384756-5029384756-5029384756-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"),
    ("azure_storage", "DefaultEndpointsProtocol=https;AccountName=acmeexports;AccountKey="
                      "Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz0PeQ3Rt5Uy9Io2Pa4SdXq7LmZp2Ns8Kd4Vb6Wc9Yt1Ra==;"),
    ("square_token", "sq0atp-Xq7LmZp2Ns8Kd4Vb6Wc9Yt"),
    ("pypi_token", "pypi-AgEIcHlwaS5vcmcCJDk5ZjhlN2Q2LWM1YjQtYTM5Mi04MTcwLTZmNWU0ZDNjMmIxYTAAAixbMSwiaGFuZG92ZXIiXQ"),
    ("signing_secret_field", "8f2b1c9d7e6a5f4b3c2d1e0f9a8b7c6d"),
    ("private_key_field", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),
]

# Values that look like secrets at a glance and must not be reported.
LOOK_ALIKES: list[str] = [
    "={{ $credentials.apiKey }}",
    "={{ 'Bearer ' + $env.PARTNER_TOKEN }}",
    "Bearer {{ $json.access_token }}",
    "{{1.api_key}}",
    "{{289877648__token}}",
    "YOUR_API_KEY",
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "AKIAIOSFODNN7EXAMPLE",
    "<your-token-here>",
    "changeme",
    "application/json",
    "https://api.partner.io/v1/orders?limit=100&page=2",
    "xoxb-your-bot-token",
    "ops@acme.example",
    "#ff6600",
]
# Fields that hold long random-looking ids, not secrets (judged by their names, not flagged).
ID_FIELDS: dict[str, str] = {
    "documentId": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    "workflowId": "c8f3a1e9-57d2-4b6a-9e0f-3d2c1b0a9f8f",
    "baseId": "appXq7LmZp2Ns8Kd4",
    "commit": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
}


def must_not_appear(value: str) -> list[str]:
    """The parts of a planted value that must appear nowhere: the whole value, and for addresses
    with a password the password itself."""
    import re

    parts = [value]
    credential = re.search(r"://[^:/@]+:([^@]+)@", value)
    if credential:
        parts.append(credential.group(1))
    if value.startswith("Basic "):
        parts.append(value.split(" ", 1)[1])
    if value.startswith(("Bearer ", "Token ")):
        parts.append(value.split(" ", 1)[1])
    if "AccountKey=" in value:
        parts.append(value.split("AccountKey=")[1].rstrip(";"))
    if value.startswith("-----BEGIN"):
        parts.append(value.splitlines()[1])
    return parts
