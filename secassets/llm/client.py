"""HTTP client for llama.cpp servers (one or several replicas) and OpenAI-compatible endpoints.

Pooled httpx connections, timeouts, bounded retries with exponential backoff on connection
errors, timeouts, 5xx, 429 (waiting at least its Retry-After, capped) and malformed bodies, and at
most one in-flight request per server slot: a request goes to the replica with the most free slots.
A transport failure is reported to ``on_connection_error`` (the managed resource restarts a dead
server there) before the retry.
Whatever goes wrong, only LlamaRequestError leaves a request method (or LlamaServerError raised
by that callback): never a bare httpx or JSON exception.
"""

from __future__ import annotations

import email.utils
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import numpy as np
from pydantic import BaseModel, ValidationError

from secassets.core.vocabulary import CHATML_STOP_TOKENS
from secassets.llm.chat import (
    Message,
    NoChatTemplateError,
    PromptFormat,
    StructuredOutput,
    chatml,
    message_dicts,
    model_chat_template,
    structured_output_fields,
)
from secassets.llm.completion import ChatCompletionBody, Completion, CompletionBody
from secassets.llm.credentials import MissingCredentialError, bearer_headers
from secassets.llm.retry import MAX_DELAY_S, with_retries

# Worth another attempt: the server died, restarted, was slow, or answered half a body.
TRANSIENT: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
T = TypeVar("T")
R = TypeVar("R")
MessagesIn = Sequence[Message | Mapping[str, Any]]
NO_APPLY_TEMPLATE = (
    "prompt_format 'model' needs a llama.cpp server (POST /apply-template); for an OpenAI-compatible endpoint "
    "(NVIDIA API catalog, NIM) use prompt_format 'chat'"
)


class ServerSideError(Exception):
    """A 5xx answer, or a 2xx whose body is not what the endpoint promises: retried, then reported."""


class RateLimitedError(Exception):
    """HTTP 429: retried after the larger of the backoff and the server's Retry-After (capped at MAX_DELAY_S)."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LlamaRequestError(RuntimeError):
    """A request failed after its retries, or was rejected (4xx); the message says which server and why."""


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped at MAX_DELAY_S; None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return min(MAX_DELAY_S, max(0.0, seconds))


class _Embedding(BaseModel):
    index: int
    embedding: list[float]


class _EmbeddingsBody(BaseModel):
    data: list[_Embedding]


class _ChatBody(BaseModel):
    choices: list[dict[str, Any]]


def _problem(exc: Exception) -> str:
    """One line saying what is wrong with a body (a ValidationError lists field: message)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


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
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        on_connection_error: Callable[[str], str] | None = None,
    ) -> None:
        """headers (e.g. an Endpoint's Authorization header) are sent as given; api_key_env is read here."""
        if not base_urls:
            raise ValueError("at least one base URL is needed")
        caps = list(capacities) if capacities else [4] * len(base_urls)
        self._replicas = [_Replica(u, c) for u, c in zip(base_urls, caps, strict=True)]
        self._cond = threading.Condition()
        self._max_retries = max(0, max_retries)
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self._connect_timeout_s = min(connect_timeout_s, timeout_s)
        self._on_connection_error = on_connection_error
        try:
            all_headers = {**bearer_headers(api_key_env, "the LLM endpoint (api_key_env setting)"), **(headers or {})}
        except MissingCredentialError as exc:
            raise LlamaRequestError(str(exc)) from None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=self._connect_timeout_s),
            headers=all_headers,
            limits=httpx.Limits(max_connections=sum(r.capacity for r in self._replicas) + 4),
        )
        # Values of credential headers, blanked out of every error message (a server may echo them back).
        self._secrets = [v.split(" ", 1)[-1] for k, v in all_headers.items() if k.lower() == "authorization" and v]
        self._count_lock = threading.Lock()
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
    def _request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        parse: Callable[[httpx.Response], T],
        what: str,
        *,
        not_found_hint: str = "",
    ) -> T:
        """One request on a free slot, retried on TRANSIENT errors, 5xx, 429 and bodies that parse() rejects.

        not_found_hint is added to the error of a 404 (the endpoint lacks this route: say what to use instead).
        """
        replica = self._acquire()
        try:
            wait_at_least = [0.0]  # the last 429's Retry-After, consumed by the next sleep

            def attempt() -> T:
                url = f"{replica.base_url}{path}"
                with self._count_lock:
                    self.requests_sent += 1
                response = self._http.request(method, url, json=payload)
                if response.status_code >= 500:
                    raise ServerSideError(f"HTTP {response.status_code}: {response.text[:200]}")
                if response.status_code == 429:
                    retry_after = retry_after_seconds(response.headers.get("retry-after"))
                    asked = "" if retry_after is None else f" (Retry-After {retry_after:g} s)"
                    raise RateLimitedError(f"HTTP 429 rate limited{asked}: {response.text[:200]}", retry_after)
                if response.status_code >= 400:
                    hint = f"; {not_found_hint}" if response.status_code == 404 and not_found_hint else ""
                    raise LlamaRequestError(self._redact(
                        f"{method} {url} was rejected with HTTP {response.status_code}: {response.text[:300]}{hint}"
                    ))
                try:
                    return parse(response)
                except (ValueError, ValidationError, KeyError, TypeError) as exc:
                    detail = _problem(exc)
                    raise ServerSideError(
                        f"returned a body that is not {what}: {detail} (body starts {response.text[:120]!r})"
                    ) from None

            def before_retry(exc: BaseException) -> None:
                if isinstance(exc, RateLimitedError) and exc.retry_after_s is not None:
                    wait_at_least[0] = exc.retry_after_s
                if isinstance(exc, httpx.TransportError) and self._on_connection_error is not None:
                    replica.base_url = self._on_connection_error(replica.base_url).rstrip("/")

            def sleep(delay_s: float) -> None:
                delay_s, wait_at_least[0] = max(delay_s, wait_at_least[0]), 0.0
                time.sleep(delay_s)

            attempts = self._max_retries + 1
            retry_on = (*TRANSIENT, ServerSideError, RateLimitedError)
            try:
                return with_retries(
                    attempt, attempts=attempts, backoff_s=self._backoff_s, retry_on=retry_on,
                    before_retry=before_retry, sleep=sleep,
                )
            except retry_on as exc:
                raise LlamaRequestError(self._redact(
                    f"{method} {replica.base_url}{path} failed after {attempts} attempts: {self._reason(exc)}"
                )) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # not worth repeating (bad URL, protocol misuse)
                raise LlamaRequestError(
                    self._redact(f"{method} {replica.base_url}{path} failed: {type(exc).__name__}: {exc}")
                ) from None
        finally:
            self._release(replica)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"ConnectTimeout: no connection within {self._connect_timeout_s:g} s; is the server up and reachable?"
        if isinstance(exc, httpx.TimeoutException):
            return (
                f"{type(exc).__name__}: no answer within the request timeout ({self._timeout_s:g} s); "
                "if the server is only slow, raise the llm resource's request_timeout_s"
            )
        if isinstance(exc, ServerSideError | RateLimitedError):
            return str(exc)
        return f"{type(exc).__name__}: {exc}"

    # --- llama.cpp endpoints ---------------------------------------------------------------
    def complete(
        self,
        prompt: str,
        *,
        n_predict: int = 400,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        stop: Sequence[str] = CHATML_STOP_TOKENS,
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

        def parse(response: httpx.Response) -> tuple[CompletionBody, str]:
            return CompletionBody.model_validate(response.json()), str(response.url).removesuffix("/completion")

        body, base_url = self._request("POST", "/completion", payload, parse, "a llama.cpp /completion answer")
        return Completion.from_body(body, latency_s=time.perf_counter() - start, base_url=base_url)

    def chat(self, messages: list[dict[str, Any]], *, model: str = "", **params: Any) -> dict[str, Any]:
        """POST /v1/chat/completions (OpenAI-compatible); returns the raw JSON body (checked to have choices)."""
        payload = {"messages": messages, **({"model": model} if model else {}), **params}

        def parse(response: httpx.Response) -> dict[str, Any]:
            body = response.json()
            _ChatBody.model_validate(body)
            return body

        return self._request("POST", "/v1/chat/completions", payload, parse, "an OpenAI chat completion")

    def chat_complete(
        self,
        messages: MessagesIn,
        *,
        n_predict: int = 400,
        json_schema: dict[str, Any] | None = None,
        structured: StructuredOutput = "response_format",
        temperature: float = 0.0,
        seed: int = 42,
        model: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Completion:
        """POST /v1/chat/completions (OpenAI-compatible), the answer constrained by json_schema as `structured` says.

        finish_reason "stop"/"length" become stop_type "eos"/"limit"; tokens come from `usage`; a thinking
        model's reasoning_content lands in Completion.thinking.
        """
        payload: dict[str, Any] = {
            "messages": message_dicts(messages), **({"model": model} if model else {}), "max_tokens": n_predict,
            "temperature": temperature, "seed": seed, **structured_output_fields(json_schema, structured),
            **(extra or {}),
        }
        start = time.perf_counter()

        def parse(response: httpx.Response) -> tuple[ChatCompletionBody, str]:
            body = ChatCompletionBody.model_validate(response.json())
            return body, str(response.url).removesuffix("/v1/chat/completions")

        body, base_url = self._request("POST", "/v1/chat/completions", payload, parse, "an OpenAI chat completion")
        return Completion.from_chat_body(body, latency_s=time.perf_counter() - start, base_url=base_url)

    def apply_template(self, messages: MessagesIn) -> str:
        """POST /apply-template: the prompt the llama.cpp server renders from the messages with the model's template.

        It does not check that the model has a template of its own (llama.cpp falls back to ChatML): see chat_template.
        """
        payload = {"messages": message_dicts(messages)}

        def parse(response: httpx.Response) -> str:
            prompt = response.json()["prompt"]
            if not isinstance(prompt, str):
                raise TypeError(f"prompt is {type(prompt).__name__}, not a string")
            return prompt

        return self._request(
            "POST", "/apply-template", payload, parse, "a llama.cpp /apply-template answer", not_found_hint=NO_APPLY_TEMPLATE,
        )

    def chat_template(self) -> str:
        """The chat template of the model every replica serves, read from /props.

        NoChatTemplateError when a replica's model has none of its own (llama.cpp would silently use ChatML);
        LlamaRequestError when /props cannot be read (not a llama.cpp server).
        """
        templates = []
        for base_url, props in self.props().items():
            if not isinstance(props, dict) or "error" in props:
                detail = " ".join(str(props.get("error") if isinstance(props, dict) else props).split())[:120]
                raise LlamaRequestError(self._redact(
                    f"GET {base_url}/props gave no llama.cpp properties ({detail}); the model's chat template can only "
                    "be read from a llama.cpp server: use prompt_format 'chat' for other OpenAI-compatible endpoints"
                ))
            templates.append(model_chat_template(props, base_url=base_url))
        if len(set(templates)) > 1:
            raise NoChatTemplateError(
                f"the replicas {self.base_urls} serve models with different chat templates; give them the same model"
            )
        return templates[0]

    def complete_messages(
        self,
        messages: MessagesIn,
        *,
        prompt_format: PromptFormat,
        n_predict: int = 400,
        json_schema: dict[str, Any] | None = None,
        structured: StructuredOutput = "response_format",
        temperature: float = 0.0,
        seed: int = 42,
        model: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Completion:
        """The messages answered through one prompt format (see secassets.llm.chat.PROMPT_FORMATS).

        "model" and "chatml" go to /completion with json_schema (structured and model do not apply there);
        "chat" goes to chat_complete. Checking the model's template ("model", "chat") is the caller's, once.
        """
        if prompt_format == "chat":
            return self.chat_complete(
                messages, n_predict=n_predict, json_schema=json_schema, structured=structured,
                temperature=temperature, seed=seed, model=model, extra=extra,
            )
        if prompt_format == "model":
            prompt, stop = self.apply_template(messages), ()
        elif prompt_format == "chatml":
            prompt, stop = chatml(messages), CHATML_STOP_TOKENS
        else:
            raise ValueError(f"prompt_format must be model, chat or chatml, got {prompt_format!r}")
        return self.complete(
            prompt, n_predict=n_predict, json_schema=json_schema, stop=stop, temperature=temperature, seed=seed,
            extra=extra,
        )

    def embed(self, texts: Sequence[str], *, model: str = "") -> np.ndarray:
        """POST /v1/embeddings; one float32 row per text, in input order."""
        payload = {"input": list(texts), **({"model": model} if model else {})}

        def parse(response: httpx.Response) -> np.ndarray:
            data = sorted(_EmbeddingsBody.model_validate(response.json()).data, key=lambda d: d.index)
            if len(data) != len(texts):
                raise ValueError(f"{len(data)} vectors for {len(texts)} texts")
            return np.asarray([d.embedding for d in data], dtype=np.float32)

        return self._request("POST", "/v1/embeddings", payload, parse, "an OpenAI embeddings answer")

    def _each(self, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r in self._replicas:
            try:
                response = self._http.get(f"{r.base_url}{path}", timeout=5.0)
                out[r.base_url] = response.json() if "json" in response.headers.get("content-type", "") else response.text
            except (httpx.HTTPError, ValueError) as exc:
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
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        pass
    return default
