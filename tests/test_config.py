"""client.yml validation: every broken file gives file:line: field and what was expected, exit code 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.errors import InputError
from generator.store.workspace import load_client

from .conftest import copy_demo

runner = CliRunner()

SECRET = "sk_live_51HqLyjWDarjtT1zdp7dc"  # a Stripe-format live key: must never be echoed back
SLACK_HOOK = "https://hooks.slack.com/services/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"
TEAMS_HOOK = "https://acme.webhook.office.com/webhookb2/1f2e3d4c-5b6a-4988-9f2e-3d4c5b6a7988@x/IncomingWebhook/ab12"
DISCORD_HOOK = "https://discord.com/api/webhooks/1183920471029384756/Xq7LmZp2Ns8Kd4Vb6Wc9Yt1RaGf7Ds2Ka8Lq4Mw6Nz"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# (name, edit to the demo client.yml, expected field, expected message fragment, line marker)
CASES = [
    ("typo", lambda t: t.replace("\nescalation:", "\nescalaton:"), "escalaton", "did you mean 'escalation'", "escalaton:"),
    ("nested-typo", lambda t: t.replace("    acknowledge: 15m", "    acknowledge: 15m\n    acknowlege: 10m"),
     "response_targets.critical.acknowlege", "did you mean 'acknowledge'", "acknowlege:"),
    ("missing", lambda t: re.sub(r"\nresponse_targets:.*?\n(?=alerts:)", "\n", t, flags=re.S), "response_targets",
     "required but missing", None),
    ("wrong-type", lambda t: t.replace("keep_days: 1825", "keep_days: five years"), "retention[0].keep_days",
     "valid integer", "keep_days: five years"),
    ("secret-as-env-name", lambda t: t.replace("api_key_env: HP_N8N_API_KEY", f"api_key_env: {SECRET}"),
     "platforms[0].api_key_env", "looks like a secret", "api_key_env: sk_live"),
    ("lower-case-env-name", lambda t: t.replace("api_key_env: HP_MAKE_API_TOKEN", "api_key_env: make token"),
     "platforms[1].api_key_env", "NAME of an environment variable", "api_key_env: make token"),
    ("bad-duration", lambda t: t.replace("acknowledge: 15m", "acknowledge: soon"), "response_targets.critical.acknowledge",
     "duration such as 15m", "acknowledge: soon"),
    ("unknown-contact", lambda t: t.replace("primary: maya", "primary: mya"), "escalation", "'mya' is not a contact id",
     "- level: 1"),
    ("bad-date", lambda t: t.replace("start: 2026-06-02", "start: 2026-13-40"), "engagement.start", "date",
     "start: 2026-13-40"),
    ("bad-kind", lambda t: t.replace("kind: zapier", "kind: zappier"), "platforms[2].kind", "'n8n', 'make' or 'zapier'",
     "kind: zappier"),
    ("url-with-password", lambda t: t.replace("base_url: https://n8n.harbourpine.example",
                                              "base_url: https://admin:hunter2@n8n.harbourpine.example"),
     "platforms[0].base_url", "user and password", "base_url: https://admin"),
    ("url-with-key-in-query", lambda t: t.replace("base_url: https://n8n.harbourpine.example",
                                                  f"base_url: https://n8n.harbourpine.example/?api_key={SECRET}"),
     "platforms[0].base_url", "secret in its query (?api_key=", "base_url: https://n8n.harbourpine.example/?"),
    ("url-with-token-in-path", lambda t: t.replace("base_url: https://n8n.harbourpine.example",
                                                   f"base_url: https://n8n.harbourpine.example/{SECRET}"),
     "platforms[0].base_url", "looks like a token", f"/{SECRET}"),
    ("slack-webhook-as-target", lambda t: t.replace('target: "#automation-alerts"', f'target: "{SLACK_HOOK}"'),
     "alerts[0].target", "webhook address of hooks.slack.com", "target: \"https://hooks"),
    ("teams-webhook-as-target", lambda t: t.replace('target: "#automation-alerts"', f'target: "{TEAMS_HOOK}"'),
     "alerts[0].target", "secret_env", "target: \"https://acme.webhook"),
    ("discord-webhook-as-target", lambda t: t.replace('target: "#automation-alerts"', f'target: "{DISCORD_HOOK}"'),
     "alerts[0].target", "discord.com", "target: \"https://discord"),
    ("url-with-token-as-target", lambda t: t.replace('target: "#automation-alerts"',
                                                     'target: "https://alerts.acme.io/in?token=Q7lmZp2Ns8Kd4Vb6"'),
     "alerts[0].target", "secret in its query (?token=", "target: \"https://alerts"),
    ("unknown-time-zone", lambda t: t.replace("timezone: Asia/Singapore", "timezone: Mars/Olympus"), "client.timezone",
     "IANA time zone", "timezone: Mars/Olympus"),
]


@pytest.mark.parametrize("name,edit,field,fragment,marker", CASES, ids=[c[0] for c in CASES])
def test_broken_client_yml(tmp_path, name, edit, field, fragment, marker):
    folder = copy_demo(tmp_path)
    path = folder / "client.yml"
    text = edit(path.read_text())
    path.write_text(text)

    with pytest.raises(InputError) as caught:
        load_client(path)
    problems = caught.value.problems
    hit = [p for p in problems if f": {field}:" in p]
    assert hit, problems
    assert fragment in hit[0]
    if marker:
        assert hit[0].startswith(f"{path}:{_line_of(text, marker)}:")

    result = CliRunner().invoke(app, ["validate", "demo", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(path) in result.output.replace("\n", "")
    assert SECRET not in result.output and "hunter2" not in result.output
    for hook in (SLACK_HOOK, TEAMS_HOOK, DISCORD_HOOK):
        assert hook.rsplit("/", 1)[-1] not in result.output


@pytest.mark.parametrize("url", ["https://n8n-prod.eu-west-1.acme.io", "https://n8n.acme.io:5678/",
                                 "https://automation.acme-corp.com/n8n", "http://10.0.4.12:5678",
                                 "https://eu1.make.com", "https://n8n.harbourpine.example/api/v1?limit=100"])
def test_ordinary_addresses_are_accepted(url):
    from generator.config import AlertChannel, PlatformConfig

    assert PlatformConfig(kind="n8n", name="x", base_url=url).base_url == url
    assert AlertChannel(kind="webhook", target=url, secret_env="HOOK_URL").target == url


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = copy_demo(tmp_path) / "client.yml"
    lines = path.read_text().splitlines()
    lines[20] = "  broken: [unclosed"
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as caught:
        load_client(path)
    # PyYAML reports where it noticed the problem: the unclosed list, a few lines on at most.
    match = re.match(rf"{re.escape(str(path))}:(\d+): YAML syntax", caught.value.problems[0])
    assert match and 21 <= int(match.group(1)) <= 25


def test_duplicate_key_is_an_error(tmp_path):
    path = copy_demo(tmp_path) / "client.yml"
    path.write_text(path.read_text() + "\ncompliance: [SOC 2]\n")
    with pytest.raises(InputError) as caught:
        load_client(path)
    assert "key 'compliance' appears twice" in caught.value.problems[0]


def test_slug_must_match_folder(tmp_path):
    copy_demo(tmp_path, "other")
    text = (tmp_path / "clients/other/client.yml").read_text().replace("slug: other", "slug: demo")
    (tmp_path / "clients/other/client.yml").write_text(text)
    result = CliRunner().invoke(app, ["validate", "other", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "must match" in result.output


def test_demo_is_valid():
    config = load_client(Path(__file__).parent.parent / "clients/demo/client.yml")
    assert len(config.escalation) == 3 and config.platforms


def test_unknown_client_is_a_clear_error(tmp_path):
    (tmp_path / "clients").mkdir()
    result = CliRunner().invoke(app, ["build", "nope", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "no client 'nope'" in result.output


def test_reference_pages_are_current():
    """docs/client-yml.md and docs/snapshot-schema.md are written from the models: stale ones fail here
    (`python -m generator.commands.schema_doc` rewrites them)."""
    from generator.commands import schema_doc

    assert schema_doc.main(["--check"]) == 0


def test_a_secret_pasted_into_client_yml_is_refused_without_showing_it(tmp_path):
    """client.yml is committed and its text reaches the client's pages: a key in a free-text field (here
    the management response of an action) stops validate and build, located, and the key is not echoed."""
    path = copy_demo(tmp_path) / "client.yml"
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    text = path.read_text()
    assert "\nactions:\n" in text
    path.write_text(text.replace("\nactions:\n", f"\nactions:\n  - control: ACCESS-002\n    response: Use {key} for now\n", 1))
    line = path.read_text().splitlines().index(f"    response: Use {key} for now") + 1
    for command in (["validate", "demo"], ["build", "demo", "--no-pdf"]):
        result = runner.invoke(app, [*command, "--root", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert f"client.yml:{line}: actions[0].response: looks like a secret" in result.output
        assert key not in result.output and key[8:20] not in result.output
    assert not (tmp_path / "build" / "demo" / "site").exists()


def test_a_secret_in_a_field_of_the_wrong_type_is_not_echoed(tmp_path):
    """A key pasted where a number belongs: the error names the field, not the key."""
    path = copy_demo(tmp_path) / "client.yml"
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    path.write_text(path.read_text().replace("    api_key_env: HP_N8N_API_KEY",
                                             f"    api_key_env: HP_N8N_API_KEY\n    window_days: {key}", 1))
    with pytest.raises(InputError) as caught:
        load_client(path)
    (problem,) = [p for p in caught.value.problems if "window_days" in p]
    assert "looks like a secret" in problem and key not in str(caught.value.problems)
