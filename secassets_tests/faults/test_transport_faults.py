"""Faults injected between LlamaClient and its server: hangs, non-JSON and wrong-shaped bodies, echoed keys.

Each fault comes from a loopback test double that misbehaves in one way (named for what it does) or
from the real llama.cpp server with a timeout too short for it. The client must retry, then raise

pytestmark = pytest.mark.integration
LlamaRequestError with the reason: never a bare httpx or JSON exception.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secassets.llm.client import LlamaClient, LlamaRequestError
from secassets.llm.retry import with_retries

FAST = {"timeout_s": 0.3, "connect_timeout_s": 0.3, "max_retries": 2, "backoff_s": 0.02}


class HungServer:
    """Accepts connections, reads the request, never answers: every request ends in ReadTimeout."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(1.0)
            if conn.recv(65536).startswith(b"POST"):
                self.requests += 1
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self.sock.close()


@contextmanager
def hung_server() -> Iterator[HungServer]:
    server = HungServer()
    try:
        yield server
    finally:
        server.close()


@contextmanager
def scripted_server(bodies: list[tuple[int, str]]) -> Iterator[dict]:
    """A loopback test double answering POSTs with the given (status, body) in turn (the last repeats); counts them."""
    seen: dict = {"posts": 0, "headers": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            status, body = bodies[min(seen["posts"], len(bodies) - 1)]
            seen["posts"] += 1
            seen["headers"].append(dict(self.headers))
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


GOOD = json.dumps({"content": '{"risk_score": 10}', "stop_type": "eos", "tokens_evaluated": 12, "tokens_predicted": 5})


def test_a_hung_server_is_retried_then_reported_as_a_timeout():
    with hung_server() as server:
        client = LlamaClient([server.url], **FAST)
        start = time.monotonic()
        with pytest.raises(LlamaRequestError, match=r"failed after 3 attempts: ReadTimeout: .*request_timeout_s") as info:
            client.complete("hello", n_predict=4)
        elapsed = time.monotonic() - start
        client.close()
    assert server.requests == 3 and client.requests_sent == 3  # the retries really reached the server
    assert 3 * 0.3 <= elapsed < 5  # three timeouts plus backoff 0.02 + 0.04, no more
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no httpx exception chained


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>502 from a proxy, but with status 200</html>", "Expecting value"),
        (json.dumps({"tokens_predicted": 3, "stop_type": "eos"}), "content"),
        (json.dumps(["content", "a list, not an object"]), "valid dictionary"),
        ('{"content": "cut off', "Unterminated string"),
    ],
    ids=["non_json", "json_without_content", "json_of_wrong_shape", "truncated_json"],
)
def test_a_malformed_200_body_is_retried_then_reported(body, reason):
    with scripted_server([(200, body)]) as server:
        client = LlamaClient([server["url"]], **FAST)
        with pytest.raises(LlamaRequestError) as info:
            client.complete("hello", n_predict=4)
        client.close()
    message = str(info.value)
    assert "failed after 3 attempts" in message
    assert "returned a body that is not a llama.cpp /completion answer" in message and reason in message
    assert server["posts"] == 3


def test_one_malformed_body_then_a_good_one_gives_the_answer():
    with scripted_server([(200, "not json"), (503, "loading model"), (200, GOOD)]) as server:
        client = LlamaClient([server["url"]], **FAST)
        completion = client.complete("hello", n_predict=4)
        client.close()
    assert server["posts"] == 3
    assert completion.content == '{"risk_score": 10}' and completion.prompt_tokens == 12
    assert completion.base_url == server["url"]


def test_chat_and_embeddings_bodies_are_checked_too():
    with scripted_server([(200, json.dumps({"object": "error"}))]) as server:
        client = LlamaClient([server["url"]], **{**FAST, "max_retries": 0})
        with pytest.raises(LlamaRequestError, match="not an OpenAI chat completion"):
            client.chat([{"role": "user", "content": "hi"}])
        with pytest.raises(LlamaRequestError, match="not an OpenAI embeddings answer"):
            client.embed(["a person at the door"])
        client.close()
    with scripted_server([(200, json.dumps({"data": [{"index": 0, "embedding": [0.1, 0.2]}]}))]) as server:
        client = LlamaClient([server["url"]], **{**FAST, "max_retries": 0})
        with pytest.raises(LlamaRequestError, match="1 vectors for 2 texts"):
            client.embed(["one", "two"])
        client.close()


def test_a_rejection_is_not_retried_and_an_echoed_key_is_blanked(monkeypatch):
    monkeypatch.setenv("SECASSETS_TEST_KEY", "sk-test-4f1c9a")

    # a receiver that rejects the request and echoes the Authorization header back in its error body
    echoed = json.dumps({"error": "bad key Bearer sk-test-4f1c9a"})
    with scripted_server([(401, echoed)]) as server:
        client = LlamaClient([server["url"]], api_key_env="SECASSETS_TEST_KEY", **FAST)
        with pytest.raises(LlamaRequestError, match="rejected with HTTP 401") as info:
            client.complete("hello", n_predict=4)
        client.close()
    assert server["posts"] == 1  # a 4xx is an answer: asking again would only repeat it
    assert server["headers"][0]["Authorization"] == "Bearer sk-test-4f1c9a"  # sent to its endpoint only
    assert "sk-test-4f1c9a" not in str(info.value) and "***" in str(info.value)


def test_the_real_server_too_slow_for_the_timeout(llama_server):
    client = LlamaClient([llama_server.base_url], capacities=[1], timeout_s=0.05, max_retries=1, backoff_s=0.02)
    prompt = "<|im_start|>user\nWrite a long story about a porch camera.<|im_end|>\n<|im_start|>assistant\n"
    with pytest.raises(LlamaRequestError, match=r"failed after 2 attempts: ReadTimeout: no answer within .*0\.05 s"):
        client.complete(prompt, n_predict=32, extra={"ignore_eos": True})
    client.close()
    assert client.requests_sent == 2


def test_retry_delays_are_exponential_and_deterministic():
    delays: list[float] = []
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] < 4:
            raise TimeoutError("slow")
        return "ok"

    assert with_retries(flaky, attempts=4, backoff_s=0.1, retry_on=(TimeoutError,), sleep=delays.append) == "ok"
    assert delays == [0.1, 0.2, 0.4]
    with pytest.raises(TimeoutError):
        with_retries(lambda: (_ for _ in ()).throw(TimeoutError("x")), attempts=2, backoff_s=0.1,
                     retry_on=(TimeoutError,), sleep=delays.append)
