import pytest

from secassets.defs.evaluation.leaderboard_checks import regression_result

pytestmark = pytest.mark.integration


def _board(in_range, ci_low, parse=1.0):
    rate = lambda m, lo: {"mean": m, "ci_low": lo, "ci_high": min(1.0, m + (m - lo)), "n": 40}
    return {
        "evaluations_fingerprint": "f",
        "thresholds": {"error_margin": 0.0, "warn_drop": 0.02},
        "templates": {"basic": {"in_range_accuracy": rate(in_range, ci_low), "parse_rate": rate(parse, parse - 0.02)}},
    }


def test_no_previous_leaderboard_passes():
    assert regression_result(_board(0.5, 0.4), None).passed


def test_unchanged_or_better_passes():
    assert regression_result(_board(0.62, 0.5), _board(0.6, 0.45)).passed


def test_planted_large_drop_is_an_error():
    result = regression_result(_board(0.3, 0.2), _board(0.6, 0.45))
    assert not result.passed and result.severity.value == "ERROR"
    assert "in_range_accuracy" in result.metadata["regressions"].value
    assert "0.6" in result.metadata["before_after"].value


def test_small_drop_within_the_ci_warns():
    result = regression_result(_board(0.55, 0.45), _board(0.6, 0.45))
    assert not result.passed and result.severity.value == "WARN"


def test_parse_rate_drop_is_caught():
    result = regression_result(_board(0.6, 0.45, parse=0.7), _board(0.6, 0.45, parse=1.0))
    assert not result.passed and "parse_rate" in result.metadata["regressions"].value
