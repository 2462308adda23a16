"""`handover serve`: a real server on 127.0.0.1 that regenerates pages when client.yml changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import copy_demo

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float, expect: str | None = None) -> str:
    while time.monotonic() < deadline:
        try:
            body = urllib.request.urlopen(url, timeout=2).read().decode()
            if expect is None or expect in body:
                return body
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never served {expect or 'a page'}")


def test_serve_regenerates_on_edit(tmp_path):
    folder = copy_demo(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "demo", "--root", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/index.html"
        assert "Harbour &amp; Pine" in fetch(url, time.monotonic() + 60)
        config = folder / "client.yml"
        config.write_text(config.read_text().replace("Fieldwork Automation connected", "Fieldwork Automation (edited) connected"))
        # The engagement summary is on the Overview (the home page is the executive summary).
        fetch(url.replace("index.html", "overview.html"), time.monotonic() + 60, expect="(edited)")
    finally:
        server.terminate()
        server.wait(timeout=10)
