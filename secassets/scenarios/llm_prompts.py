"""Prompts of the Data Designer LLM columns of scenarios (narrative, summary, key points, judge).

Jinja templates over the row's columns. The shared instruction comes first so that llama.cpp's
prompt cache serves it across rows; the row's facts come last.
"""

from __future__ import annotations

from typing import Final

from secassets.core.vocabulary import JUDGE_RUBRICS

WRITER_SYSTEM: Final = (
    "You write evaluation data for a home-security risk-analysis system. Use only the facts given; "
    "never invent people, objects or events."
)
NARRATIVE_PROMPT: Final = (
    "Write a factual narrative of 2-3 sentences describing this camera event.\n\n{{ formatted_prompt_input }}"
)
SUMMARY_PROMPT: Final = (
    "Write one sentence: the risk summary a correct analyst would give, naming the risk level "
    "({{ risk_level }}, score {{ risk_low }}-{{ risk_high }}) and the main reason.\n\n{{ formatted_prompt_input }}"
)
KEY_POINTS_PROMPT: Final = (
    "List 3-5 short bullet points (each starting with '- ') with the facts a correct risk analysis must mention.\n\n"
    "Facts to cover: {{ truth_points }}\n{{ formatted_prompt_input }}"
)
JUDGE_PROMPT: Final = (
    "Grade this risk analysis of a home-security camera event.\n\n{{ formatted_prompt_input }}\n\n"
    "Analysis summary: {{ expected_summary }}\nKey points:\n{{ reasoning_key_points }}\n"
    "Correct risk range: {{ risk_low }}-{{ risk_high }}"
)
RUBRIC_DESCRIPTIONS: Final[dict[str, str]] = {
    "relevance": "Does the analysis address the detections actually in the event?",
    "risk_calibration": "Is the stated risk consistent with the correct risk range?",
    "context_usage": "Does it use time, zone, baseline and cross-camera context?",
    "reasoning_quality": "Are the key points specific, correct and logically connected?",
    "threat_identification": "Does it identify the behaviour that drives the risk (or its absence)?",
    "actionability": "Would a homeowner know what to do from it?",
}
SCORE_OPTIONS: Final[dict[int, str]] = {1: "poor", 2: "fair", 3: "good", 4: "excellent"}
JUDGE_REASONING_MAX_CHARS: Final = 80


def judge_answer_grammar() -> str:
    """GBNF for the judge's answer: compact JSON with no free whitespace, bounded reasoning, scores 1-4.

    A grammar rather than response_format: with a JSON schema the tiny default model sometimes
    emits whitespace until the token limit, which Data Designer then cannot parse. Reasoning is
    printable ASCII, one byte a character, so the answer can never need more tokens than
    judge_answer_max_chars() (a token is at least one byte): max_tokens set to that never cuts it.
    """
    rubrics = ' "," '.join(f'"\\"{r}\\":" rubric' for r in JUDGE_RUBRICS)
    return "\n".join(
        [
            f'root ::= "{{" {rubrics} "}}"',
            'rubric ::= "{\\"reasoning\\":\\"" text "\\",\\"score\\":" [1-4] "}"',
            f"text ::= [\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]{{1,{JUDGE_REASONING_MAX_CHARS}}}",
        ]
    )


def judge_answer_max_chars() -> int:
    """Length of the longest answer judge_answer_grammar() admits."""
    rubric = len('{"reasoning":"","score":1}') + JUDGE_REASONING_MAX_CHARS
    keys = sum(len(f'"{r}":') for r in JUDGE_RUBRICS)
    return 2 + keys + len(JUDGE_RUBRICS) * rubric + (len(JUDGE_RUBRICS) - 1)
