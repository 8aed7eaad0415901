"""Producer test kit (helpers shared by tests/producers): a REAL loopback HTTP server that serves recorded payloads and injects faults.

``LoopbackApi`` runs ``http.server.ThreadingHTTPServer`` on port 0 in a thread. Each request
takes the next scripted fault from ``api.faults`` (``"429"``, ``"500"``, ``"timeout"``,
``"badjson"``; nothing left = answer normally) and is recorded in ``api.requests``.
"""
from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


FIXTURES = Path(__file__).parent / "fixtures"

# fast, deterministic retry options for every CLI call (backoff in milliseconds, short timeout)
FAST = ["--retries", "5", "--backoff", "0.001", "--max-wait", "0.01", "--timeout", "0.5", "--page-delay", "0"]

# (path, query params, lower-cased headers) -> (status, JSON body[, extra response headers])
Responder = Callable[[str, dict[str, list[str]], dict[str, str]], tuple]


class LoopbackApi:
    def __init__(self, responder: Responder, retry_after: str = "1", slow_s: float = 1.5):
        self.responder = responder
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.faults: collections.deque[str] = collections.deque()
        self.requests: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                fault = api.faults.popleft() if api.faults else "ok"
                api.requests.append({"path": parts.path, "params": params, "headers": headers, "fault": fault})
                if fault == "429":
                    self._send(429, b'{"message":"You have exceeded the rate limit per second for your plan"}',
                               headers={"Retry-After": api.retry_after})
                elif fault == "500":
                    self._send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
                elif fault == "503":
                    self._send(503, b'{"message":"Service Unavailable"}')
                elif fault == "badjson":
                    self._send(200, b'{"total": {"value": 7}, "hits": [{"id": "2891')
                elif fault == "timeout":
                    time.sleep(api.slow_s)
                    self._send(200, b"[]")
                else:
                    status, body, *extra = api.responder(parts.path, params, headers)
                    self._send(status, json.dumps(body, ensure_ascii=False).encode(),
                               headers=extra[0] if extra else None)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackApi":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ok_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["fault"] == "ok"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


