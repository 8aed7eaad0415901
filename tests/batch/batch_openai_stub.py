"""A real loopback HTTP server that answers like OpenAI's chat-completions endpoint.

Replies are built from recorded payloads (``payloads/*.json``): ``answer(text)`` decides the reply
content for an ad; ``faults`` (status, headers, payload name) are served first, one per request.
"""
from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


class OpenAIStub:
    def __init__(self, answer: Callable[[str], str]):
        self.answer = answer
        self.faults: list[tuple[int, dict, str]] = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with stub._lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    fault = stub.faults.pop(0) if stub.faults else None
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"Unknown path {self.path}"}})
                if fault:
                    status, headers, name = fault
                    return self._send(status, payload(name), headers)
                reply = copy.deepcopy(payload("chat_completion"))
                reply["model"] = body["model"]
                reply["choices"][0]["message"]["content"] = stub.answer(body["messages"][-1]["content"])
                self._send(200, reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "OpenAIStub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
