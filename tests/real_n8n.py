"""A real n8n on 127.0.0.1 for the connector tests (recipe: docs/platforms.md, "A real n8n for the tests").

`scripts/install-n8n.sh` installs n8n once into a cache outside the repository; each test session
starts it on free ports with a temporary user folder, creates the owner through the internal REST API
and makes API keys with the scopes a test asks for.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent
OWNER = {"email": "owner@acme.example", "firstName": "Olive", "lastName": "Owner", "password": "Handover-test-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install() -> Path:
    """The n8n home (installing first if needed: about 5 minutes, once per machine)."""
    done = subprocess.run([str(PROJECT / "scripts/install-n8n.sh")], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"installing n8n failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


class RealN8n:
    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="handover-n8n-"))
        self.log_path = self.folder / "n8n.log"
        self.process: subprocess.Popen | None = None
        self.rest = httpx.Client(base_url=self.base, timeout=60)

    def start(self, timeout: float = 180) -> None:
        env = dict(os.environ, N8N_USER_FOLDER=str(self.folder), N8N_PORT=str(self.port),
                   N8N_RUNNERS_BROKER_PORT=str(free_port()),  # defaults to 5679, which may be taken
                   N8N_LISTEN_ADDRESS="127.0.0.1", N8N_DIAGNOSTICS_ENABLED="false",
                   N8N_VERSION_NOTIFICATIONS_ENABLED="false", N8N_TEMPLATES_ENABLED="false",
                   N8N_RUNNERS_ENABLED="false", N8N_SECURE_COOKIE="false", N8N_PERSONALIZATION_ENABLED="false",
                   GENERIC_TIMEZONE="UTC", TZ="UTC",
                   # n8n caches a webhook's address for an hour; a page request during a deactivation can
                   # put the removed address back in that cache, and activating its restore then gets 409.
                   N8N_CACHE_MEMORY_TTL="1000")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen([str(self.home / "node"), "node_modules/n8n/bin/n8n", "start"],
                                        cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"n8n exited early:\n{self.log_tail()}")
            try:
                if self.rest.get("/healthz/readiness").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        else:
            raise RuntimeError(f"n8n was not ready after {timeout:.0f} s:\n{self.log_tail()}")
        self._checked(self.rest.post("/rest/owner/setup", json=OWNER))
        self._checked(self.rest.post("/rest/login", json={"emailOrLdapLoginId": OWNER["email"],
                                                          "password": OWNER["password"]}))

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.rest.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _checked(response: httpx.Response):
        if response.status_code >= 300:
            raise RuntimeError(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text[:500]}")
        return response.json()

    def api_key(self, label: str, scopes: list[str]) -> str:
        offered = set(self._checked(self.rest.get("/rest/api-keys/scopes"))["data"])
        body = {"label": label, "expiresAt": None, "scopes": [s for s in scopes if s in offered]}
        return self._checked(self.rest.post("/rest/api-keys", json=body))["data"]["rawApiKey"]

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base}/api/v1", headers={"X-N8N-API-KEY": key}, timeout=60)


# --------------------------------------------------------------------------------------------------
# The community set (tests/fixtures/community/README.md): real workflows loaded through the public API

COMMUNITY = PROJECT / "tests" / "fixtures" / "community" / "workflows.tar.xz"
# What POST /workflows takes of a workflow (the OpenAPI `workflow` and `workflowSettings` schemas of
# 2.40.7 refuse any other field); tags, pinned data and ids are not accepted on create.
SETTINGS = {"saveExecutionProgress", "saveManualExecutions", "saveDataErrorExecution", "saveDataSuccessExecution",
            "executionTimeout", "errorWorkflow", "timezone", "executionOrder", "callerPolicy", "callerIds",
            "timeSavedPerExecution", "availableInMCP"}


def write_community_files(folder: Path) -> list[str]:
    """The set's files written under `folder` as they are in the collection; their paths, in name order."""
    import json

    written = []
    for name, document in community_workflows():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        written.append(str(path))
    return written


def community_workflows() -> list[tuple[str, object]]:
    """(file name, parsed JSON or the text that does not parse) of every file in the set, in name order."""
    import json
    import tarfile

    out = []
    with tarfile.open(COMMUNITY) as archive:
        for member in sorted((m for m in archive.getmembers() if m.isfile() and m.name.endswith(".json")),
                             key=lambda m: m.name):
            text = archive.extractfile(member).read().decode("utf-8", "replace")
            try:
                out.append((member.name, json.loads(text)))
            except ValueError:
                out.append((member.name, text))
    return out


def load_community(api: httpx.Client) -> tuple[dict[str, str], dict[str, str]]:
    """Each community workflow created through `POST /workflows` with the fields n8n accepts: (workflow
    id → file name of those n8n accepted, file name → n8n's reason for those it refused)."""
    accepted, refused = {}, {}
    for name, document in community_workflows():
        if not isinstance(document, dict):
            refused[name] = "not a JSON workflow object"
            continue
        settings = document.get("settings") if isinstance(document.get("settings"), dict) else {}
        body = {"name": str(document.get("name") or name.rsplit("/", 1)[-1])[:128],
                "nodes": document.get("nodes"), "connections": document.get("connections") or {},
                "settings": {k: v for k, v in settings.items() if k in SETTINGS and v is not None}}  # null: unset
        response = api.post("/workflows", json=body)
        if response.status_code == 200:
            accepted[str(response.json()["id"])] = name
        else:
            try:
                reason = str(response.json().get("message") or response.text)
            except ValueError:
                reason = response.text
            refused[name] = f"{response.status_code} {reason[:160]}"
    return accepted, refused


# What Handover's read-only key asks for (the scopes the n8n connector documents).
READ_SCOPES = ["workflow:list", "workflow:read", "execution:list", "execution:read", "credential:list",
               "project:list", "user:list", "tag:list", "variable:list", "securityAudit:generate", "insights:read"]


def serve():
    """A module's fixture body: one real n8n for the module's tests, stopped after them."""
    if os.environ.get("HANDOVER_SKIP_N8N") and not os.environ.get("CI"):
        import pytest

        pytest.skip("HANDOVER_SKIP_N8N is set (never honoured on CI)")
    server = RealN8n(install())
    try:
        server.start()
        yield server
    finally:
        server.stop()
