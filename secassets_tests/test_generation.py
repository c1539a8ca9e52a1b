from secassets.generation import _judge_scores
from secassets.scenario_prompts import judge_answer_grammar

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
