"""Health alerts against a local webhook receiver and a local SMTP server on 127.0.0.1: each alert
kind, sent once, recovery, and a failing channel that does not stop the others."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.model import DailyBucket, Durations, RunStats, Schedule, Step, Trigger, Workflow
from generator.store import snapshot

from .real_n8n import free_port

runner = CliRunner()
SECRET_HOOK_PATH = "/services/T000/B000/secretpathXYZ"


class Receiver:
    """A Slack-compatible incoming webhook on 127.0.0.1 that records what it receives."""

    def __init__(self, status: int = 200):
        self.status, self.bodies = status, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_HOOK_PATH}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.received = received
    yield controller
    controller.stop()


@pytest.fixture
def webhook():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def stats(ref: str, taken, *, failed_days: int = 0, p95: int = 2000, last_run_days_ago: float = 0.1) -> RunStats:
    end = taken.date()
    daily = [DailyBucket(day=end - timedelta(days=i), runs=24, failed=6 if i < failed_days else 0, p95_ms=p95)
             for i in range(14, -1, -1)]
    failed = sum(b.failed for b in daily)
    return RunStats(workflow=ref, window_start=taken - timedelta(days=15), window_end=taken,
                    statuses={"success": 360 - failed, "failed": failed},
                    durations=Durations(p50_ms=p95 // 2, p95_ms=p95, max_ms=p95 * 2),
                    last_run=taken - timedelta(days=last_run_days_ago), daily=daily)


@pytest.fixture
def acme(tmp_path, webhook, mailbox, monkeypatch):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "Test")
    assert runner.invoke(app, ["init", "acme", "--root", str(tmp_path)]).exit_code == 0
    config = tmp_path / "clients/acme/client.yml"
    text = config.read_text()
    start = text.index("\nalerts:")
    end = text.index("\n\n", start + 1)
    config.write_text(text[:start] + f"""
alerts:
  - kind: slack
    target: "#automation-alerts"
    secret_env: ACME_SLACK_WEBHOOK
  - kind: email
    target: ops@acme.example
  - kind: opsgenie
    target: on-call
smtp:
  host: 127.0.0.1
  port: {mailbox.port}
  sender: handover@consultancy.example
  starttls: false
""" + text[end:])
    monkeypatch.setenv("ACME_SLACK_WEBHOOK", webhook.url)
    folder = tmp_path / "clients/acme/snapshot"
    snap = snapshot.load(folder)
    taken = snap.meta.taken
    hourly = Schedule(description="Every hour", interval_minutes=60)
    for ident, name in (("orders", "Orders"), ("stock", "Stock"), ("report", "Report")):
        snap.workflows.append(Workflow(platform="n8n", id=ident, name=name, active=True,
                                       trigger=Trigger(kind="schedule", schedule=hourly),
                                       steps=[Step(id="t", name="Every hour", app="Schedule", kind="trigger")]))
        snap.runs.append(stats(f"n8n:{ident}", taken))
    snapshot.save(snap, folder)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "previous snapshot")
    return tmp_path


def change(root, **updates):
    folder = root / "clients/acme/snapshot"
    snap = snapshot.load(folder)
    for ref, new in updates.items():
        snap.runs = [new if r.workflow == ref else r for r in snap.runs]
    snapshot.save(snap, folder)
    return snap.meta.taken


def health(root, *args):
    return runner.invoke(app, ["health", "acme", *args, "--root", str(root)])


def test_each_alert_kind_is_sent_once_then_recovers(acme, webhook, mailbox):
    taken = snapshot.load(acme / "clients/acme/snapshot").meta.taken
    change(acme, **{"n8n:orders": stats("n8n:orders", taken, failed_days=3),
                    "n8n:stock": stats("n8n:stock", taken, last_run_days_ago=5),
                    "n8n:report": stats("n8n:report", taken, p95=9000)})
    dry = health(acme)
    assert dry.exit_code == 0 and "Would send" in dry.output and "3 alerts" in dry.output
    assert not webhook.bodies and not mailbox.received and not (acme / "clients/acme/health.yml").exists()

    sent = health(acme, "--notify")
    assert sent.exit_code == 0, sent.output
    assert "✓ slack #automation-alerts" in sent.output and "✓ email ops@acme.example" in sent.output
    assert "opsgenie on-call: not used for health alerts" in sent.output
    (posted,) = webhook.bodies
    text = posted["text"]
    assert "Orders” is failing" in text and "Stock” has stopped running" in text and "Report” got slower" in text
    (mail,) = mailbox.received
    assert mail["To"] == "ops@acme.example" and "3 alerts" in mail["Subject"] and "got slower" in mail.get_payload()

    again = health(acme, "--notify")  # nothing new: nothing sent
    assert "nothing new to report (3 alerts still open)" in again.output and len(webhook.bodies) == 1

    change(acme, **{"n8n:orders": stats("n8n:orders", taken)})  # orders healthy again
    recovered = health(acme, "--notify")
    assert recovered.exit_code == 0 and len(webhook.bodies) == 2
    assert "recovered: n8n workflow “Orders” is failing" in webhook.bodies[1]["text"]
    # the same assessment as `check`: the control that failed when the alert went out now passes
    assert "✓ resolved: MON-002 Active workflow failing above the threshold" in webhook.bodies[1]["text"]
    assert "(2 earlier alerts still open)" in webhook.bodies[1]["text"]
    state = (acme / "clients/acme/health.yml").read_text()
    assert "n8n:orders:failing" not in state and "n8n:stock:stopped" in state
    assert "MON-002: pass" in state and "MON-004: fail" in state
    assert "resolved" not in health(acme, "--notify").output  # reported once


def test_a_failing_channel_is_reported_and_the_others_still_get_it(acme, webhook, mailbox, monkeypatch):
    broken = Receiver(status=500)
    monkeypatch.setenv("ACME_SLACK_WEBHOOK", broken.url)
    try:
        taken = snapshot.load(acme / "clients/acme/snapshot").meta.taken
        change(acme, **{"n8n:orders": stats("n8n:orders", taken, failed_days=2)})
        result = health(acme, "--notify")
    finally:
        broken.stop()
    assert result.exit_code == 3
    assert "✗ slack #automation-alerts: RuntimeError: answered 500" in result.output
    assert "✓ email ops@acme.example" in result.output and len(mailbox.received) == 1
    assert SECRET_HOOK_PATH not in result.output  # the webhook URL is a secret
    log = (acme / "clients/acme/audit.log").read_text()
    assert '"command": "health"' in log and SECRET_HOOK_PATH not in log


def test_nothing_delivered_is_tried_again(acme, monkeypatch, mailbox):
    monkeypatch.setenv("ACME_SLACK_WEBHOOK", "http://127.0.0.1:9/closed")
    config = acme / "clients/acme/client.yml"
    config.write_text(config.read_text().replace(f"port: {mailbox.port}", "port: 9"))
    taken = snapshot.load(acme / "clients/acme/snapshot").meta.taken
    change(acme, **{"n8n:orders": stats("n8n:orders", taken, failed_days=2)})
    assert health(acme, "--notify").exit_code == 3
    assert not (acme / "clients/acme/health.yml").exists()  # not marked as sent


def test_no_change_no_alert(acme):
    result = health(acme)
    assert result.exit_code == 0 and "nothing new to report" in result.output
    assert date.today()  # the comparison uses snapshot times, not the clock
