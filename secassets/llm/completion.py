"""One /completion answer: what an evaluation keeps of it, and how it is read from llama.cpp's body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


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


class CompletionBody(BaseModel):
    """The fields of llama.cpp's /completion answer that Completion is built from."""

    content: str
    stop_type: str | None = None
    stopped_eos: bool | None = None
    tokens_evaluated: int | None = None
    tokens_predicted: int | None = None
    tokens_cached: int | None = None
    timings: dict[str, Any] | None = None


def _as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
