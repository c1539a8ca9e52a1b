"""HTTP client for llama.cpp servers (one or several replicas) and OpenAI-compatible endpoints.

Pooled httpx connections, timeouts, bounded retries with exponential backoff on connection
errors and 5xx, and at most one in-flight request per server slot: a request goes to the
replica with the most free slots. A connection failure is reported to ``on_connection_error``
(the managed resource restarts a dead server there, once) before the request is retried.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy as np

from secassets.credentials import MissingCredentialError, bearer_headers

CHATML_STOPS = ("<|im_end|>", "<|im_start|>")
RETRYABLE = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, httpx.PoolTimeout)
T = TypeVar("T")
R = TypeVar("R")


class LlamaRequestError(RuntimeError):
    """A request failed after its retries, or was rejected (4xx); the message says which server and why."""


@dataclass(frozen=True)
class Completion:
    """One /completion answer with the numbers an evaluation needs."""

    content: str
    stop_type: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    latency_s: float
    base_url: str

    @property
    def finished(self) -> bool:
        """True when generation ended on EOS or a stop word, not on the token limit."""
        return self.stop_type in ("eos", "word")


class _Replica:
    def __init__(self, base_url: str, capacity: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.capacity = max(1, capacity)
        self.in_flight = 0


class LlamaClient:
    """Requests spread across replicas by free slots; thread-safe."""

    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        capacities: Sequence[int] | None = None,
        api_key_env: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        on_connection_error: Callable[[str], str] | None = None,
    ) -> None:
        if not base_urls:
            raise ValueError("at least one base URL is needed")
        caps = list(capacities) if capacities else [4] * len(base_urls)
        self._replicas = [_Replica(u, c) for u, c in zip(base_urls, caps, strict=True)]
        self._cond = threading.Condition()
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._on_connection_error = on_connection_error
        try:
            headers = bearer_headers(api_key_env, "the LLM endpoint (api_key_env setting)")
        except MissingCredentialError as exc:
            raise LlamaRequestError(str(exc)) from None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            headers=headers,
            limits=httpx.Limits(max_connections=sum(r.capacity for r in self._replicas) + 4),
        )
        self.requests_sent = 0

    @property
    def base_urls(self) -> list[str]:
        return [r.base_url for r in self._replicas]

    @property
    def total_slots(self) -> int:
        return sum(r.capacity for r in self._replicas)

    def close(self) -> None:
        self._http.close()

    # --- slot accounting -------------------------------------------------------------------
    def _acquire(self) -> _Replica:
        with self._cond:
            while True:
                best = max(self._replicas, key=lambda r: r.capacity - r.in_flight)
                if best.capacity - best.in_flight > 0:
                    best.in_flight += 1
                    return best
                self._cond.wait()

    def _release(self, replica: _Replica) -> None:
        with self._cond:
            replica.in_flight -= 1
            self._cond.notify()

    # --- transport -------------------------------------------------------------------------
    def _send(self, replica: _Replica, method: str, path: str, payload: dict[str, Any] | None) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self._max_retries + 1):
            try:
                self.requests_sent += 1
                response = self._http.request(method, f"{replica.base_url}{path}", json=payload)
            except RETRYABLE as exc:
                last = exc
                if self._on_connection_error is not None:
                    replica.base_url = self._on_connection_error(replica.base_url).rstrip("/")
            else:
                if response.status_code < 500:
                    if response.status_code >= 400:
                        raise LlamaRequestError(
                            f"{method} {replica.base_url}{path} was rejected with HTTP {response.status_code}: {response.text[:300]}"
                        )
                    return response
                last = LlamaRequestError(f"HTTP {response.status_code}: {response.text[:200]}")
            if attempt < self._max_retries:
                time.sleep(self._backoff_s * (2**attempt))
        raise LlamaRequestError(
            f"{method} {replica.base_url}{path} failed after {self._max_retries + 1} attempts: {type(last).__name__}: {last}"
        )

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> httpx.Response:
        replica = self._acquire()
        try:
            return self._send(replica, method, path, payload)
        finally:
            self._release(replica)

    # --- llama.cpp endpoints ---------------------------------------------------------------
    def complete(
        self,
        prompt: str,
        *,
        n_predict: int = 400,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        stop: Sequence[str] = CHATML_STOPS,
        temperature: float = 0.0,
        seed: int = 42,
        cache_prompt: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> Completion:
        """POST /completion (raw prompt, e.g. ChatML); constrained by a JSON schema or a GBNF grammar."""
        if json_schema is not None and grammar is not None:
            raise ValueError("llama.cpp accepts json_schema or grammar, not both")
        payload: dict[str, Any] = {
            "prompt": prompt, "n_predict": n_predict, "stop": list(stop), "temperature": temperature,
            "seed": seed, "cache_prompt": cache_prompt, **(extra or {}),
        }
        if json_schema is not None:
            payload["json_schema"] = json_schema
        if grammar is not None:
            payload["grammar"] = grammar
        start = time.perf_counter()
        replica = self._acquire()
        try:
            response = self._send(replica, "POST", "/completion", payload)
            base_url = replica.base_url
        finally:
            self._release(replica)
        body = response.json()
        timings = body.get("timings") or {}
        return Completion(
            content=body.get("content", ""),
            stop_type=str(body.get("stop_type") or ("eos" if body.get("stopped_eos") else "limit")),
            prompt_tokens=int(body.get("tokens_evaluated") or timings.get("prompt_n") or 0),
            completion_tokens=int(body.get("tokens_predicted") or timings.get("predicted_n") or 0),
            cached_tokens=int(body.get("tokens_cached") or timings.get("cache_n") or 0),
            latency_s=time.perf_counter() - start,
            base_url=base_url,
        )

    def chat(self, messages: list[dict[str, Any]], *, model: str = "", **params: Any) -> dict[str, Any]:
        """POST /v1/chat/completions (OpenAI-compatible); returns the raw JSON body."""
        payload = {"messages": messages, **({"model": model} if model else {}), **params}
        return self._call("POST", "/v1/chat/completions", payload).json()

    def embed(self, texts: Sequence[str], *, model: str = "") -> np.ndarray:
        body = self._call("POST", "/v1/embeddings", {"input": list(texts), **({"model": model} if model else {})}).json()
        return np.asarray([d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])], dtype=np.float32)

    def _each(self, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r in self._replicas:
            try:
                response = self._http.get(f"{r.base_url}{path}", timeout=5.0)
                out[r.base_url] = response.json() if "json" in response.headers.get("content-type", "") else response.text
            except httpx.HTTPError as exc:
                out[r.base_url] = {"error": f"{type(exc).__name__}: {exc}"}
        return out

    def health(self) -> dict[str, Any]:
        return self._each("/health")

    def props(self) -> dict[str, Any]:
        return self._each("/props")

    def slots(self) -> dict[str, Any]:
        return self._each("/slots")

    def metrics(self) -> dict[str, dict[str, float]]:
        """Prometheus /metrics of each replica parsed into {name: value}."""
        parsed: dict[str, dict[str, float]] = {}
        for url, text in self._each("/metrics").items():
            values: dict[str, float] = {}
            if isinstance(text, str):
                for m in re.finditer(r"^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+([-+0-9.eE]+|NaN)$", text, re.MULTILINE):
                    values[m.group(1)] = float(m.group(2))
            parsed[url] = values
        return parsed

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Apply fn concurrently, one worker per server slot, results in input order."""
        with ThreadPoolExecutor(max_workers=self.total_slots) as pool:
            yield from pool.map(fn, items)


def slot_capacity(base_url: str, default: int = 4, timeout_s: float = 5.0, headers: dict[str, str] | None = None) -> int:
    """total_slots from llama.cpp's /props, or default for servers without it (NVIDIA, vLLM)."""
    try:
        r = httpx.get(f"{base_url.rstrip('/')}/props", timeout=timeout_s, headers=headers)
        if r.status_code == 200:
            return int(r.json().get("total_slots") or default)
    except (httpx.HTTPError, ValueError):
        pass
    return default
