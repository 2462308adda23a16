"""The plumbing every fake platform API shares: a threaded HTTP server on 127.0.0.1, a request log,
and faults queued per route ("GET /path") and used once each.

Fault kinds: `status` (any HTTP status, with `headers` such as Retry-After and a `body`), `timeout`
(answer after `seconds`), `reset` (drop the connection), `truncated` (half a JSON body). Other kinds
are passed to the fake's `answer()` to shape a real answer (bad or looping page cursors).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class FakeApi:
    def __init__(self):
        self.faults: dict[str, list[dict]] = {}  # "GET /api/v1/workflows" → faults, used in order
        self.log: list[tuple[float, str, str, int]] = []  # (time, method, path, status; -1 for a fault)
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, method: str, path: str, query: dict, headers, fault: dict | None) -> tuple[int, object, dict]:
        raise NotImplementedError

    # -- control ------------------------------------------------------------------------------------

    def fault(self, route: str, **spec) -> None:
        self.faults.setdefault(route, []).append(spec)

    def start(self, port: int = 0) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                fake.handle(self)

            def do_POST(self):
                fake.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def requests_to(self, path: str) -> list[tuple[float, str, str, int]]:
        return [entry for entry in self.log if entry[2] == path]

    # -- serving ------------------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query_text = request.path.partition("?")
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        route = f"{request.command} {path}"
        with self.lock:
            pending = self.faults.get(route)
            fault = pending.pop(0) if pending else None
        if fault:
            if self._inject(request, route, fault):
                return
        with self.lock:  # fakes keep counters (rate limits); one answer at a time keeps them simple
            status, body, headers = self.answer(request.command, path, query, request.headers, fault)
        self.send(request, status, body, headers)

    def _inject(self, request, route: str, fault: dict) -> bool:
        """Faults that replace the answer; returns False for faults applied to a real answer."""
        kind = fault.get("kind", "status")
        self.log.append((time.monotonic(), request.command, route.split(" ", 1)[1], -1))  # -1: a fault
        if kind == "status":
            self.send(request, fault["status"], fault.get("body", {"message": "fault injected"}),
                      fault.get("headers", {}), record=False)
            return True
        if kind == "timeout":
            time.sleep(fault.get("seconds", 2.0))
            self.send(request, 200, {"data": [], "nextCursor": None}, {}, record=False)  # too late
            return True
        if kind == "reset":
            request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            request.connection.close()
            request.close_connection = True
            return True
        if kind == "truncated":
            text = json.dumps({"data": [{"id": "x", "name": "cut"}], "items": [1, 2, 3]})
            raw = text[: len(text) // 2].encode()
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(raw)))
            request.end_headers()
            request.wfile.write(raw)
            return True
        self.log.pop()
        return False  # cursor faults shape a real answer

    def send(self, request, status: int, body, headers: dict, record: bool = True) -> None:
        raw = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(raw)))
        for key, value in headers.items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(raw)
        if record:
            self.log.append((time.monotonic(), request.command, request.path.partition("?")[0], status))
