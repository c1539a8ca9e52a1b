"""Parsing model answers: <think> blocks, preambles, JSON, and validation against RiskAnalysis.

Anything that does not yield a valid RiskAnalysis is a failure with a reason; nothing is ever
defaulted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import ValidationError

from secassets.core.rows import RiskAnalysis

_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)


@dataclass(frozen=True)
class ParsedAnswer:
    """The outcome of parsing one raw answer."""

    answer: RiskAnalysis | None
    thinking: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.answer is not None


def split_thinking(raw: str) -> tuple[str, str | None, str | None]:
    """(text without think blocks, the thinking, an error for an unclosed block)."""
    thoughts = [m.strip() for m in _THINK.findall(raw)]
    rest = _THINK.sub("", raw)
    if "<think>" in rest:
        return rest, "\n".join(thoughts) or None, "unclosed <think> block (the answer never started)"
    return rest.replace("</think>", ""), "\n".join(thoughts) or None, None


def first_json_object(text: str) -> dict | None:
    """The first JSON object in text (models wrap answers in prose or code fences), or None."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def parse_answer(raw: str, *, finished: bool = True) -> ParsedAnswer:
    """Parse a completion; `finished` False (token limit reached) is itself a failure."""
    text, thinking, error = split_thinking(raw)
    if error:
        return ParsedAnswer(None, thinking, error)
    if not finished:
        return ParsedAnswer(None, thinking, "generation stopped at the token limit before the answer ended")
    obj = first_json_object(text)
    if obj is None:
        return ParsedAnswer(None, thinking, "no JSON object in the answer")
    try:
        return ParsedAnswer(RiskAnalysis.model_validate(obj), thinking, None)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return ParsedAnswer(None, thinking, f"answer does not match the schema: {problems}")
