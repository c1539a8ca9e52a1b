"""One model answer: what an evaluation keeps of it, and how it is read from llama.cpp's /completion body
or from an OpenAI-compatible /v1/chat/completions body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

# OpenAI finish_reason -> llama.cpp stop_type, so `finished` means the same for both routes.
FINISH_REASONS = {"stop": "eos", "length": "limit"}


@dataclass(frozen=True)
class Completion:
    """One answer with the numbers an evaluation needs (thinking: a thinking model's reasoning, when returned)."""

    content: str
    stop_type: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    latency_s: float
    base_url: str
    thinking: str | None = None

    @property
    def finished(self) -> bool:
        """True when generation ended on EOS or a stop word, not on the token limit."""
        return self.stop_type in ("eos", "word")

    @classmethod
    def from_body(cls, body: CompletionBody, *, latency_s: float, base_url: str) -> Completion:
        """Token counts from the body's top-level fields, else its timings (servers differ), else 0."""
        timings = body.timings or {}
        return cls(
            content=body.content,
            stop_type=str(body.stop_type or ("eos" if body.stopped_eos else "limit")),
            prompt_tokens=_as_int(body.tokens_evaluated or timings.get("prompt_n")),
            completion_tokens=_as_int(body.tokens_predicted or timings.get("predicted_n")),
            cached_tokens=_as_int(body.tokens_cached or timings.get("cache_n")),
            latency_s=latency_s,
            base_url=base_url,
        )

    @classmethod
    def from_chat_body(cls, body: ChatCompletionBody, *, latency_s: float, base_url: str) -> Completion:
        """The first choice; finish_reason "stop" -> "eos", "length" -> "limit" (others kept: not finished);
        tokens from `usage` (prompt_tokens counts cached ones too, as on /completion), else llama.cpp's timings."""
        choice = body.choices[0]
        usage = body.usage or ChatUsage()
        timings = body.timings or {}
        details = usage.prompt_tokens_details or {}
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        reason = choice.finish_reason or "limit"
        return cls(
            content=choice.message.content or "",
            stop_type=FINISH_REASONS.get(reason, reason),
            prompt_tokens=_as_int(usage.prompt_tokens or _sum(timings.get("prompt_n"), timings.get("cache_n"))),
            completion_tokens=_as_int(usage.completion_tokens or timings.get("predicted_n")),
            cached_tokens=_as_int(cached if cached is not None else timings.get("cache_n")),
            latency_s=latency_s,
            base_url=base_url,
            thinking=choice.message.reasoning_content or None,
        )


class CompletionBody(BaseModel):
    """The fields of llama.cpp's /completion answer that Completion is built from."""

    content: str
    stop_type: str | None = None
    stopped_eos: bool | None = None
    tokens_evaluated: int | None = None
    tokens_predicted: int | None = None
    tokens_cached: int | None = None
    timings: dict[str, Any] | None = None


class ChatMessageBody(BaseModel):
    """The assistant message of a chat choice (content is null when a model only thought or called a tool)."""

    content: str | None = None
    reasoning_content: str | None = None


class ChatChoice(BaseModel):
    message: ChatMessageBody
    finish_reason: str | None = None


class ChatUsage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: dict[str, Any] | None = None


class ChatCompletionBody(BaseModel):
    """The fields of an OpenAI-compatible chat completion that Completion is built from."""

    choices: list[ChatChoice] = Field(min_length=1)
    usage: ChatUsage | None = None
    timings: dict[str, Any] | None = None  # llama.cpp only


def _sum(*values: Any) -> int | None:
    if all(v is None for v in values):
        return None
    return sum(_as_int(v) for v in values)


def _as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
