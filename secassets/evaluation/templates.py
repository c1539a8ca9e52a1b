"""The five risk-analysis prompt templates (chat messages), their declared inputs and the JSON they ask for.

Every input is rendered from a scenario (or edge-case) row; an input the row lacks renders as an
explicit "not available" line, never as an empty or invented value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.evaluation.inputs import (
    BASIC_INPUTS,
    ENRICHED_INPUTS,
    FULL_INPUTS,
    INPUTS,
    MODEL_ZOO_INPUTS,
    VISION_INPUTS,
    Row,
)
from secassets.llm.chat import Message, chatml
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS, level_score_ranges
from secassets.risk.observation import ObservationField

NOT_AVAILABLE = "not available"
THINKING_DIRECTIVE = "detailed thinking on"
SUMMARY_MAX = 200
REASONING_MAX = 500
ACTION_MAX = 160
LIST_ITEMS_MAX = 5
LIST_ITEM_MAX = 60
PLAIN_TEXT = r"^[\x20-\x21\x23-\x5B\x5D-\x7E]*$"  # printable ASCII but " and \\: never escaped in JSON
# The risk scheme as the prompts state it, read from secassets.risk (the prompt text is part of every cache key).
SCORE_FIELD = f"risk_score ({MIN_SCORE}-{MAX_SCORE})"
LEVEL_FIELD = f"risk_level ({'|'.join(RISK_LEVELS)})"
LEVELS_LINE = "Risk levels: " + ", ".join(f"{lvl} {r.low}-{r.high}" for lvl, r in level_score_ranges().items()) + "."

@dataclass(frozen=True)
class PromptTemplate:
    """One production prompt: what it feeds the model and what JSON it asks for."""

    name: str
    inputs: tuple[str, ...]
    output_fields: tuple[str, ...]  # beyond risk_score, risk_level, summary, reasoning
    instruction: str

    @property
    def reveals(self) -> frozenset[ObservationField]:
        """The observation fields this template shows the model (what a perfect reader of it can know)."""
        return frozenset(f for name in self.inputs for f in INPUTS[name].reveals)

    def system_prompt(self, thinking: bool = False) -> str:
        fields = ", ".join((SCORE_FIELD, LEVEL_FIELD, "summary", "reasoning", *self.output_fields))
        lines = [THINKING_DIRECTIVE] if thinking else []
        lines += [
            "You are the risk-analysis model of a home-security system. " + self.instruction,
            LEVELS_LINE,
            f"Answer with one JSON object with the fields: {fields}.",
        ]
        return "\n".join(lines)

    def user_prompt(self, row: Row) -> str:
        lines = []
        for name in self.inputs:
            spec = INPUTS[name]
            value = spec.render(row)
            value = NOT_AVAILABLE if value is None else str(value)
            lines.append(f"{spec.label}:{'' if value.startswith(chr(10)) else ' '}{value}")
        return "\n".join(lines)

    def messages(self, row: Row, thinking: bool = False) -> list[Message]:
        """The chat messages (system, user): what every prompt format starts from."""
        return [Message(role="system", content=self.system_prompt(thinking)),
                Message(role="user", content=self.user_prompt(row))]

    def render(self, row: Row, thinking: bool = False) -> str:
        """The raw ChatML prompt (prompt_format chatml), ending where the assistant's answer starts."""
        return chatml(self.messages(row, thinking))

    def answer_schema(self) -> dict[str, Any]:
        """JSON schema of the answer: strings bounded and printable ASCII without quotes or backslashes, so no
        escape is ever needed and every token is at least one character (see answer_token_budget)."""
        def text(max_length: int) -> dict[str, Any]:
            return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": PLAIN_TEXT}

        string_list = {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": text(LIST_ITEM_MAX)}
        properties: dict[str, Any] = {
            "risk_score": {"type": "integer", "minimum": MIN_SCORE, "maximum": MAX_SCORE},
            "risk_level": {"type": "string", "enum": list(RISK_LEVELS)},
            "summary": text(SUMMARY_MAX),
            "reasoning": text(REASONING_MAX),
        }
        extra = {
            "recommended_action": text(ACTION_MAX),
            "entities": string_list,
            "flags": string_list,
            "confidence_factors": string_list,
        }
        properties.update({f: extra[f] for f in self.output_fields})
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
            # llguidance: compact JSON, so a small model cannot pad with whitespace up to the token limit
            "x-guidance": {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
        }

    def answer_token_budget(self) -> int:
        """Characters of the longest answer the schema admits (compact JSON, every string at its maximum).

        A token is at least one character of plain ASCII, so an n_predict of this never cuts an answer.
        """
        def longest(prop: dict[str, Any]) -> int:
            if "enum" in prop:
                return max(len(json.dumps(v)) for v in prop["enum"])
            if prop["type"] == "integer":
                return max(len(str(prop["minimum"])), len(str(prop["maximum"])))
            if prop["type"] == "string":
                return prop["maxLength"] + 2
            items = prop["maxItems"]
            return 2 + items * longest(prop["items"]) + max(0, items - 1)
        props = self.answer_schema()["properties"]
        return 2 + sum(len(json.dumps(k)) + 1 + longest(v) for k, v in props.items()) + len(props) - 1


TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate("basic", BASIC_INPUTS, (), "Rate the risk of this camera event from the raw detections."),
        PromptTemplate("enriched", ENRICHED_INPUTS, ("recommended_action",),
                       "Rate the risk using the detections and the zone and baseline context."),
        PromptTemplate("full_enriched", FULL_INPUTS, ("recommended_action", "entities"),
                       "Rate the risk using detections, zone, baseline, plates, faces and OCR context."),
        PromptTemplate("vision", VISION_INPUTS, ("recommended_action", "flags"),
                       "Rate the risk using detections, enrichment and per-detection visual attributes."),
        PromptTemplate("model_zoo", MODEL_ZOO_INPUTS, ("recommended_action", "flags", "confidence_factors"),
                       "Rate the risk using every model in the enrichment zoo; weigh each model's evidence."),
    )
}
assert tuple(TEMPLATES) == TEMPLATE_NAMES
