"""`handover health [--notify]`: alerts on run health between regenerations, each sent once.

The current snapshot is compared with the previous one (the revision before it in Git, or `--against`)
by `changes.alerts`; this module sends what is new to the client's channels (Slack-compatible webhooks,
e-mail through `smtp`) and remembers it in `health.yml`. A channel that fails is reported and does not
stop the others; alerts delivered nowhere are tried again next time. It also assesses the baseline as
`check` does: a control that failed when the last message went out and passes now is reported resolved, once.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from generator.changes import alerts
from generator.checks import assess
from generator.commands import Result
from generator.config import ClientConfig
from generator.errors import EXIT_PLATFORM, InputError
from generator.evidence import gather
from generator.formats import count
from generator.store.snapshot import previous_revision
from generator.store.workspace import Client


@dataclass
class Delivery:
    channel: str
    ok: bool
    detail: str = ""


def _post_webhook(url: str, subject: str, body: str) -> None:
    response = httpx.post(url, json={"text": f"*{subject}*\n{body}"}, timeout=10)
    if response.status_code >= 300:
        raise RuntimeError(f"answered {response.status_code}")


def _send_mail(config: ClientConfig, secret, to: str, subject: str, body: str) -> None:
    smtp = config.smtp
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = smtp.sender, to, subject
    mail.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.username:
            password = secret(smtp.password_env)
            if not password:
                raise RuntimeError(f"the SMTP password variable {smtp.password_env} is not set")
            server.login(smtp.username, password)
        server.send_message(mail)


SUPPORTED = ("slack", "webhook", "email")


def channels(config: ClientConfig) -> tuple[list, list]:
    """(channels health alerts go to, channels that asked for them but cannot take them)."""
    wanted = [c for c in config.alerts if c.health_alerts]
    return [c for c in wanted if c.kind in SUPPORTED], [c for c in wanted if c.kind not in SUPPORTED]


def deliver(config: ClientConfig, secret, subject: str, body: str) -> list[Delivery]:
    """The message to every channel that takes health alerts; each failure is caught and reported
    without its address (a webhook URL is a secret)."""
    results = []
    for channel in channels(config)[0]:
        name = f"{channel.kind} {channel.target}"
        try:
            if channel.kind in ("slack", "webhook"):
                url = secret(channel.secret_env)
                if not url:
                    raise RuntimeError(f"the webhook variable {channel.secret_env or '(secret_env not set)'} is empty")
                _post_webhook(url, subject, body)
            else:
                if config.smtp is None:
                    raise RuntimeError("no `smtp:` server in client.yml")
                _send_mail(config, secret, channel.target, subject, body)
        except (OSError, RuntimeError, httpx.HTTPError, smtplib.SMTPException) as exc:
            results.append(Delivery(name, False, f"{type(exc).__name__}: {str(exc)[:160]}" if not isinstance(
                exc, httpx.HTTPError) else f"could not post ({type(exc).__name__})"))
            continue
        results.append(Delivery(name, True))
    return results



def run(client: Client, notify: bool = False, against: str | None = None) -> Result:
    result = Result()
    current = gather(client)
    previous = None
    try:
        revision = against or previous_revision(client)
        previous = gather(client, revision).snapshot if revision else None
    except InputError as exc:
        if against:
            raise
        result.say(f"note: no previous snapshot to compare run times with ({exc.problems[0]})", "note")
    config = current.config
    state = alerts.load_state(client.dir)
    todo = alerts.plan(alerts.evaluate(config, current.snapshot, previous), state, assess(current))
    if todo.empty:
        if notify and todo.controls != state.controls:  # remember what fails now, to report it resolved later
            alerts.save_state(client.dir, alerts.apply(state, todo, current.now))
        return result.say(f"{client.slug}: nothing new to report ({count(len(todo.still_open), 'alert')} still open).")
    subject, body = alerts.message(config.client.name, todo)
    if not notify:
        return result.say(f"Would send (run with --notify to send):\n{subject}\n{body}")
    for channel in channels(config)[1]:
        result.say(f"– {channel.kind} {channel.target}: not used for health alerts (supported: "
                   f"{', '.join(SUPPORTED)})", "note")
    deliveries = deliver(config, client.secret, subject, body)
    if not deliveries:
        raise InputError(["no channel in client.yml takes health alerts (alerts: kind slack, webhook or email)"])
    for d in deliveries:
        result.say(f"{'✓' if d.ok else '✗'} {d.channel}{': ' + d.detail if d.detail else ''}",
                   "ok" if d.ok else "error")
    if any(d.ok for d in deliveries):
        alerts.save_state(client.dir, alerts.apply(state, todo, current.now))
    failed = [d for d in deliveries if not d.ok]
    result.record(client, "health", "failed" if failed else "ok", f"{subject}; " + "; ".join(
        f"{d.channel}: {'sent' if d.ok else 'failed'}" for d in deliveries))
    if failed:
        result.say(f"{len(failed)} channel(s) failed; the others were sent. Alerts not delivered anywhere are "
                   "tried again next time.", "error")
        result.exit_code = EXIT_PLATFORM
    return result
