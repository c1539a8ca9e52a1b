"""What every loopback HTTP test double needs: write one complete response (status, type, length, body);
and a recording OpenAI-compatible chat endpoint double."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def reply_json(handler: BaseHTTPRequestHandler, answer: Any, status: int = 200) -> None:
    reply(handler, status, json.dumps(answer).encode())


class RecordingChatEndpointDouble:
    """Test double: an OpenAI-compatible chat endpoint on loopback that records every request and answers
    from a script of (status, JSON body, headers), the last entry repeating.

    `requests` holds {"method", "path", "headers" (lower-case names), "json"} per request, in order.
    Use it as a context manager; `url` is its base URL (without /v1).
    """

    def __init__(self, script: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                double.requests.append({
                    "method": self.command, "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(raw) if raw else None,
                })
                status, answer, headers = double.script[min(len(double.requests), len(double.script)) - 1]
                body = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def chat_answer(content: str, finish_reason: str = "stop", **fields: Any) -> dict[str, Any]:
    """An OpenAI chat completion body with one choice (extra top-level fields, e.g. usage, as given)."""
    return {"object": "chat.completion", "choices": [
        {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}},
    ], **fields}
