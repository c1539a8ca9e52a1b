"""A risk-analysis prompt template: chat messages rendered from a row, and the JSON answer it asks for.

Templates are files (prompts/<name>.yaml, read and linted by secassets.evaluation.template_files): Jinja
text for the system and user messages over the template's declared inputs. Every input is rendered from
a scenario, edge-case or curated row; an input the row lacks renders as an explicit "not available",
never as an empty or invented value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import jinja2

from secassets.evaluation.budgeted_sandbox import BudgetedEnvironment
from secassets.evaluation.inputs import INPUTS, Row
from secassets.evaluation.render_budget import render_error, render_template
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
BASE_ANSWER_FIELDS: Final = ("risk_score", "risk_level", "summary", "reasoning")
# The extra answer fields a template may ask for (beyond BASE_ANSWER_FIELDS): name -> what it holds.
EXTRA_ANSWER_FIELDS: Final = {
    "recommended_action": "one action for the household, up to 160 characters",
    "entities": "up to 5 people, vehicles or objects that matter",
    "flags": "up to 5 short warning flags",
    "confidence_factors": "up to 5 reasons the evidence is strong or weak",
}
# What every template's text may use besides its declared inputs.
BUILTIN_VARIABLES: Final = {
    "risk_levels": "the risk levels and their score ranges, one sentence",
    "answer_fields": "the JSON fields the answer must have, with their ranges",
}
# The sandbox every template text is compiled in, with a budget per render (secassets.evaluation.budgeted_sandbox).
TEXT_ENVIRONMENT = BudgetedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=256)
def compile_text(text: str) -> jinja2.Template:
    return TEXT_ENVIRONMENT.from_string(text)


def render_text(text: str, variables: dict[str, str], template: str) -> str:
    """A template text rendered under the budget; any failure (compile or render) is a TemplateRenderError."""
    try:
        compiled = compile_text(text)
    except Exception as exc:  # noqa: BLE001 - a syntax error, or a text too deeply nested to parse
        raise render_error(template, exc) from None
    return render_template(compiled, variables, template)


def _tidy(text: str) -> str:
    """Trailing spaces dropped on every line ("Detections: " before a list that starts on the next line)."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def content_version(inputs: tuple[str, ...], output_fields: tuple[str, ...], system: str, user: str) -> str:
    """A template's version: the hash of what reaches the model (not its description or comments)."""
    canonical = json.dumps({"inputs": inputs, "answer_fields": output_fields, "system": system, "user": user},
                           sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt: what it feeds the model (declared inputs, message text) and what JSON it asks for."""

    name: str
    inputs: tuple[str, ...]
    output_fields: tuple[str, ...]  # beyond risk_score, risk_level, summary, reasoning
    system: str  # Jinja text of the system message
    user: str  # Jinja text of the user message
    description: str = ""
    source: str = ""  # the file it was read from
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", content_version(self.inputs, self.output_fields, self.system, self.user))

    @property
    def reveals(self) -> frozenset[ObservationField]:
        """The observation fields this template shows the model (what a perfect reader of it can know)."""
        return frozenset(f for name in self.inputs for f in INPUTS[name].reveals)

    def _builtins(self) -> dict[str, str]:
        return {"risk_levels": LEVELS_LINE,
                "answer_fields": ", ".join((SCORE_FIELD, LEVEL_FIELD, "summary", "reasoning", *self.output_fields))}

    def system_variables(self) -> dict[str, str]:
        """What the system message's text is rendered with: the built-ins only (it is the same for every row)."""
        return self._builtins()

    def system_prompt(self, thinking: bool = False) -> str:
        """The system message (TemplateRenderError when its text does not render)."""
        text = _tidy(render_text(self.system, self.system_variables(), f"{self.name} system"))
        return f"{THINKING_DIRECTIVE}\n{text}" if thinking else text

    def input_values(self, row: Row) -> dict[str, str]:
        values = {name: INPUTS[name].render(row) for name in self.inputs}
        return {name: NOT_AVAILABLE if v is None else str(v) for name, v in values.items()}

    def user_variables(self, row: Row) -> dict[str, str]:
        """What the user message's text is rendered with: the built-ins and the declared inputs of the row."""
        return {**self._builtins(), **self.input_values(row)}

    def user_prompt(self, row: Row) -> str:
        """The user message of a row (TemplateRenderError when its text does not render on that row)."""
        return _tidy(render_text(self.user, self.user_variables(row), f"{self.name} user"))

    def messages(self, row: Row, thinking: bool = False) -> list[Message]:
        """The chat messages (system, user): what every prompt format starts from (TemplateRenderError when a
        text does not render on the row)."""
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


