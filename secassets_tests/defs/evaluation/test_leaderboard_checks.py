from secassets.defs.evaluation.leaderboard_checks import regression_result, template_constant_answers
from secassets.evaluation.baselines import RegressionThresholds, compare_with_baseline
from secassets.evaluation.leaderboard import build_leaderboard
from secassets.evaluation.model_board import build_board
from secassets_tests.evaluation.eval_frames import eval_frame


def _board(current, baseline):
    board = build_leaderboard(current)
    board["baseline"] = {"name": "default", "pinned": baseline is not None, "verdicts":
                         compare_with_baseline(baseline, current, RegressionThresholds()) if baseline else {}}
    return board


def test_no_pinned_baseline_passes_and_says_how_to_pin_one():
    result = regression_result(_board({"basic": eval_frame("basic", [True] * 18)}, None))
    assert result.passed and "promote_baseline" in result.metadata["note"].value


def test_a_regression_against_the_baseline_is_an_error_on_every_run():
    baseline = {"basic": eval_frame("basic", [True] * 18)}
    current = {"basic": eval_frame("basic", [True] * 9 + [False] * 9)}
    for _ in range(2):  # the baseline is pinned, not overwritten: the regression stays caught
        result = regression_result(_board(current, baseline))
        assert not result.passed and result.severity.value == "ERROR"
        assert result.metadata["regressions"].value == "basic"


def test_not_comparable_is_reported_never_judged():
    baseline = {"basic": eval_frame("basic", [True] * 18, model="nemotron-a")}
    current = {"basic": eval_frame("basic", [False] * 18, model="nemotron-b")}
    result = regression_result(_board(current, baseline))
    assert result.passed and result.metadata["not_comparable"].value == "basic"
    assert "model_id: nemotron-a -> nemotron-b" in result.metadata["verdicts"].value


def test_constant_answers_warn():
    board = build_board({"m|basic": eval_frame("basic", [True] * 10, scores=[45] * 10),
                         "m|enriched": eval_frame("enriched", [True] * 5 + [False] * 5, scores=[5, 15, 35, 45, 65, 75, 90, 95, 25, 55])})
    result = template_constant_answers(board)
    assert not result.passed and result.severity.value == "WARN" and result.metadata["constant_templates"].value == "m|basic"
