import pytest

from secassets.core.vocabulary import SCENARIO_TYPE
from secassets.risk.bands import (
    LEVEL_LOWER_BOUNDS,
    MAX_SCORE,
    MIN_SCORE,
    RISK_LEVELS,
    SCENARIO_TYPE_BANDS,
    RiskRange,
    level_for_score,
    level_score_ranges,
    levels_for_range,
    should_alert,
)


def test_every_scenario_type_has_a_band():
    assert set(SCENARIO_TYPE_BANDS) == set(SCENARIO_TYPE)
    assert SCENARIO_TYPE_BANDS["normal"] == RiskRange(low=0, high=25)
    assert SCENARIO_TYPE_BANDS["threat"] == RiskRange(low=70, high=100)


@pytest.mark.parametrize(
    ("score", "level"), [(0, "low"), (29, "low"), (30, "medium"), (59, "medium"), (60, "high"), (84, "high"), (85, "critical"), (100, "critical")]
)
def test_level_boundaries(score, level):
    assert level_for_score(score) == level


def test_level_rejects_out_of_scale_scores():
    with pytest.raises(ValueError, match="outside 0-100"):
        level_for_score(101)


def test_range_deviation_is_zero_inside_and_distance_outside():
    rr = RiskRange(low=30, high=55)
    assert rr.deviation(40) == 0
    assert rr.deviation(20) == 10
    assert rr.deviation(70) == 15


def test_inverted_range_is_rejected():
    with pytest.raises(ValueError, match="above high"):
        RiskRange(low=50, high=10)


def test_alert_and_levels_follow_the_bands():
    assert should_alert(SCENARIO_TYPE_BANDS["threat"])
    assert not should_alert(SCENARIO_TYPE_BANDS["normal"])
    assert levels_for_range(SCENARIO_TYPE_BANDS["normal"]) == {"low"}
    assert levels_for_range(SCENARIO_TYPE_BANDS["suspicious"]) == {"medium"}


def test_level_ranges_tile_the_scale_in_level_order():
    ranges = level_score_ranges()
    assert tuple(ranges) == RISK_LEVELS == tuple(LEVEL_LOWER_BOUNDS)
    assert [(r.low, r.high) for r in ranges.values()] == [(0, 29), (30, 59), (60, 84), (85, 100)]
    assert ranges["low"].low == MIN_SCORE and ranges["critical"].high == MAX_SCORE
    for level, r in ranges.items():
        assert {level_for_score(s) for s in range(r.low, r.high + 1)} == {level}
