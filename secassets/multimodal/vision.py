"""Ground truth from a stronger vision model (an NVIDIA or llama.cpp vision chat endpoint), cached.

Only real model answers that parse are cached (key: image hash, endpoint URL, model, prompt); errors and
fallbacks never enter the cache. Retries with backoff on transport errors (timeouts included), 429,
5xx and bodies that are not a chat completion.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from secassets.evaluation.parsing import first_json_object
from secassets.llm.cache import ResponseCache
from secassets.llm.credentials import MissingCredentialError
from secassets.llm.endpoints import Endpoint
from secassets.llm.retry import with_retries
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS, RiskLevel

# Part of every cache key: the scale and levels come from secassets.risk, the text must not drift.
VISION_PROMPT = (
    "You are a home-security vision analyst. Describe the image and answer with one JSON object: "
    '{"description": str, "detected_objects": [{"class": str, "confidence": 0-1, "box": [x0, y0, x1, y1] normalized 0-1}], '
    f'"risk_assessment": {{"score": {MIN_SCORE}-{MAX_SCORE}, "level": "{"|".join(RISK_LEVELS)}", "reasoning": str, '
    '"concerning_factors": [str], "mitigating_factors": [str]}, '
    '"scene": {"lighting": str, "weather": str, "activity": str, "location": str}}'
)


class VisionObject(BaseModel):
    class_: str = Field(alias="class")
    confidence: float = Field(ge=0, le=1)
    box: list[float] = Field(min_length=4, max_length=4)


class VisionRisk(BaseModel):
    score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    level: RiskLevel
    reasoning: str
    concerning_factors: list[str] = Field(default_factory=list)
    mitigating_factors: list[str] = Field(default_factory=list)


class VisionAnswer(BaseModel):
    description: str
    detected_objects: list[VisionObject]
    risk_assessment: VisionRisk
    scene: dict[str, str] = Field(default_factory=dict)


_ANSWER = TypeAdapter(VisionAnswer)


class VisionError(RuntimeError):
    """The vision model could not give an answer; nothing is cached."""


class _NoAnswer(Exception):
    """One request got no usable body: a transport error, a non-200 status, or a 200 that is not a chat
    completion; `retryable` says whether another attempt can help (transport, 429, 5xx, malformed body)."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, _NoAnswer) and exc.retryable


class VisionClient:
    """OpenAI-compatible chat completions with an image (base64 data URL of its real format).

    The endpoint comes from the deployment's table: its key is sent to its URL only.
    """

    def __init__(self, endpoint: Endpoint, model: str, cache: ResponseCache,
                 retries: int = 3, backoff_s: float = 1.0, timeout_s: float = 120.0,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.endpoint, self.base_url, self.model = endpoint, endpoint.base_url, model
        self.cache, self.retries, self.backoff_s, self.timeout_s = cache, retries, backoff_s, timeout_s
        self.sleep = sleep  # None: time.sleep between retries

    def _headers(self) -> dict[str, str]:
        try:
            return self.endpoint.headers("the vision model")
        except MissingCredentialError as exc:
            raise VisionError(str(exc)) from None

    def key(self, image: bytes) -> str:
        digest = hashlib.sha256(image).hexdigest()
        return hashlib.sha256(json.dumps([digest, self.base_url, self.model, VISION_PROMPT]).encode()).hexdigest()

    def _content(self, response: httpx.Response) -> str:
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _NoAnswer(f"the body is not a chat completion ({type(exc).__name__})") from None
        if not isinstance(content, str):
            raise _NoAnswer("the answer content is not text")
        return content

    def _ask(self, payload: dict, headers: dict[str, str]) -> VisionAnswer:
        """One request; VisionError for an answer that is there but unusable (not retried)."""
        try:
            r = httpx.post(f"{self.base_url}/v1/chat/completions", json=payload, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise _NoAnswer(f"{type(exc).__name__}: {exc}") from None
        if r.status_code != 200:
            raise _NoAnswer(f"HTTP {r.status_code}", retryable=r.status_code == 429 or r.status_code >= 500)
        obj = first_json_object(self._content(r))
        if obj is None:
            raise VisionError("the vision model's answer has no JSON object")
        try:
            return VisionAnswer.model_validate(obj)
        except ValidationError as exc:
            raise VisionError(f"the vision model's answer does not match the schema: {exc.errors()[0]['msg']}") from None

    def analyse(self, image_path: Path, mime: str = "image/png") -> tuple[VisionAnswer, bool]:
        """(answer, from_cache); mime is the image's real type (see secassets.multimodal.scenes.inspect_image)."""
        image = image_path.read_bytes()
        key = self.key(image)
        hit = self.cache.get_as(key, _ANSWER)  # a damaged entry is a miss
        if hit is not None:
            return hit, True
        headers = self._headers()
        payload = {
            "model": self.model, "temperature": 0.0, "max_tokens": 800,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": VISION_PROMPT},
                {"type": "image_url", "image_url": {"url": f"data:{mime};base64," + base64.b64encode(image).decode()}},
            ]}],
        }
        try:
            answer = with_retries(
                lambda: self._ask(payload, headers), attempts=self.retries + 1, backoff_s=self.backoff_s,
                retry_on=(_NoAnswer,), retryable=_worth_retrying, sleep=self.sleep,
            )
        except _NoAnswer as exc:
            raise VisionError(f"vision request to {self.base_url} failed: {exc}") from None
        self.cache.put(key, answer.model_dump(by_alias=True))
        return answer, False
