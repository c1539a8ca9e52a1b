"""The one cached model call: an answer comes from the cache, else from the model and is stored.

Every stage that asks a model for a completion (the evaluation runner, the local pipeline's risk
analysis) goes through `CachedCompletions`, so caching, validation of cached entries and the key
are written once. The key holds everything that changes an answer (see `cache_key`); a damaged or
wrong-shaped entry is a miss and is rewritten by the next answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from secassets.llm.cache import ResponseCache, cache_key
from secassets.llm.completion import Completion


class _CachedCompletion(BaseModel):
    """A stored Completion; anything else in the file is a miss."""

    model_config = ConfigDict(extra="ignore")

    content: str
    stop_type: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    cached_tokens: int = Field(ge=0)
    latency_s: float = Field(ge=0.0, allow_inf_nan=False)
    base_url: str


_CACHED = TypeAdapter(_CachedCompletion)


class CachedCompletions:
    """Completions of one model (its identity is part of every key), cached under one folder."""

    def __init__(self, cache: ResponseCache, model_id: str) -> None:
        self.cache = cache
        self.model_id = model_id

    def key(self, prompt: str, params: dict[str, Any], schema: dict[str, Any] | None) -> str:
        return cache_key(self.model_id, prompt, params, schema)

    def lookup(self, key: str) -> Completion | None:
        """The cached answer, or None when absent or not a well-formed Completion (then it is asked again)."""
        hit = self.cache.get_as(key, _CACHED)
        return None if hit is None else Completion(**hit.model_dump())

    def store(self, key: str, completion: Completion) -> bool:
        """Store an answer the model returned; False when the disk refused (the answer is still used)."""
        try:
            self.cache.put(key, dataclasses.asdict(completion))
        except OSError:
            return False
        return True

    def complete(self, key: str, ask: Callable[[], Completion]) -> tuple[Completion, bool]:
        """(answer, came from the cache): one call for one prompt; errors of `ask` propagate."""
        hit = self.lookup(key)
        if hit is not None:
            return hit, True
        completion = ask()
        self.store(key, completion)
        return completion, False
