import json
import re

from secassets.scenarios.llm_columns import judge_scores
from secassets.scenarios.llm_prompts import JUDGE_REASONING_MAX_CHARS, judge_answer_grammar, judge_answer_max_chars

RUBRICS = ["relevance", "risk_calibration", "context_usage", "reasoning_quality", "threat_identification", "actionability"]


def test_judge_scores_need_all_six_rubrics_in_range():
    full = {r: {"reasoning": "ok", "score": 3} for r in RUBRICS}
    assert judge_scores(full) == dict.fromkeys(RUBRICS, 3)
    assert judge_scores({**full, "actionability": {"reasoning": "x", "score": 5}}) is None
    assert judge_scores({**full, "actionability": {"reasoning": "x", "score": 0}}) is None
    assert judge_scores({k: v for k, v in full.items() if k != "relevance"}) is None
    assert judge_scores("not json") is None
    assert judge_scores(None) is None


def test_judge_grammar_names_every_rubric_and_bounds_the_text():
    grammar = judge_answer_grammar()
    assert all(f'\\"{r}\\":' in grammar for r in RUBRICS)
    assert "{1,80}" in grammar and "[1-4]" in grammar


def test_longest_grammar_answer_fits_the_judge_token_budget():
    longest = json.dumps({r: {"reasoning": "x" * JUDGE_REASONING_MAX_CHARS, "score": 4} for r in RUBRICS},
                         separators=(",", ":"))
    assert len(longest.encode()) == judge_answer_max_chars()  # ASCII only: one byte, at most one token, a char
    [text_class] = re.findall(r"^text ::= (\[.*\])\{", judge_answer_grammar(), re.MULTILINE)
    allowed = {chr(c) for c in range(0x300) if re.fullmatch(text_class, chr(c))}  # GBNF \xHH reads as Python's
    assert allowed == {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}
