"""The built site in a real headless Chromium from file://: search works and no page asks the network.

Chromium's net log records every request; requests the browser makes for itself (update checks)
carry the initiator "not an origin" and are ignored. A control page that loads an image from
127.0.0.1 proves the detector sees page requests. Needs Debian's chromium (installed by `make test`
and CI); set HANDOVER_SKIP_BROWSER=1 to skip locally — CI never sets it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browse(url: str, tmp: Path) -> tuple[str, list[str]]:
    if os.environ.get("HANDOVER_SKIP_BROWSER") == "1":
        pytest.skip("HANDOVER_SKIP_BROWSER=1")
    assert CHROMIUM, "chromium is not installed: run `make test` or `scripts/system-deps.sh --test`, which install it"
    netlog = tmp / "netlog.json"
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
         f"--log-net-log={netlog}", "--virtual-time-budget=8000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    ).stdout
    events = json.loads(netlog.read_text()).get("events", [])
    page_requests = sorted({
        e["params"]["url"] for e in events
        if "url" in e.get("params", {}) and e["params"].get("initiator", "not an origin") != "not an origin"
        and not e["params"]["url"].startswith(("file:", "data:", "blob:"))
    })
    return dom, page_requests


def test_detector_sees_page_requests(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<!doctype html><img src="http://127.0.0.1:9/pixel.png"><p>control</p>')
    _, requests = browse(page.as_uri(), tmp_path)
    assert any(r.startswith("http://127.0.0.1:9/") for r in requests)


def test_search_works_offline_and_nothing_is_requested(demo_build, tmp_path):
    c, _ = demo_build
    dom, requests = browse((c.site_dir / "index.html").as_uri() + "?q=inventory", tmp_path)
    assert requests == []
    found = re.search(r"(\d+) matching documents?", dom)
    assert found and int(found.group(1)) >= 1, "search returned nothing from file://"
    assert "Nightly inventory sync" in dom
