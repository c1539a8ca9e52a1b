import json
import re
from pathlib import Path

import pytest

from secassets.generation import (
    LLMColumnSettings,
    ScenarioGenerationError,
    _judge_scores,
    generate_scenarios,
    sampler_config_builder,
    write_sampler_yaml,
)
from secassets.llama_server import LlamaServerError
from secassets.sampling import SamplerSpec
from secassets.scenario_prompts import JUDGE_REASONING_MAX_CHARS, judge_answer_grammar, judge_answer_max_chars

RUBRICS = ["relevance", "risk_calibration", "context_usage", "reasoning_quality", "threat_identification", "actionability"]


def test_judge_scores_need_all_six_rubrics_in_range():
    full = {r: {"reasoning": "ok", "score": 3} for r in RUBRICS}
    assert _judge_scores(full) == dict.fromkeys(RUBRICS, 3)
    assert _judge_scores({**full, "actionability": {"reasoning": "x", "score": 5}}) is None
    assert _judge_scores({k: v for k, v in full.items() if k != "relevance"}) is None
    assert _judge_scores("not json") is None
    assert _judge_scores(None) is None


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


def test_an_llm_that_cannot_start_fails_generation_with_its_reason(tmp_path):
    """Test double: an endpoint provider whose server never comes up."""

    def dead_server_endpoint() -> tuple[str, int]:
        raise LlamaServerError("llama.cpp server exited with code 1 before /health answered")

    spec = SamplerSpec(num_scenarios=20)
    yaml_path = write_sampler_yaml(sampler_config_builder(spec), Path(tmp_path) / "s.yaml")
    settings = LLMColumnSettings(rows=2, model_id="test", cache_dir=Path(tmp_path) / "cache")
    with pytest.raises(ScenarioGenerationError, match="not available: llama.cpp server exited with code 1"):
        generate_scenarios(spec, yaml_path, Path(tmp_path) / "work", llm=settings, endpoint=dead_server_endpoint)
