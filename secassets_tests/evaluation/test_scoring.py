from secassets.core.rows import GroundTruth, RiskAnalysis
from secassets.evaluation.scoring import key_point_recall, score_answer
from secassets.risk.bands import RiskRange

TRUTH = GroundTruth(
    risk_range=RiskRange(low=70, high=82),
    reasoning_key_points=["activity at night", "at an entry point (front door)", "person forcing the door"],
    expected_enrichment_models=[],
    should_trigger_alert=True,
)


def _answer(score, level, text="x"):
    return RiskAnalysis(risk_score=score, risk_level=level, summary=text, reasoning=text)


def test_inside_the_range():
    s = score_answer(_answer(75, "high", "A person is forcing the door at night at the front door entry point."), TRUTH)
    assert s.in_range and s.deviation == 0 and s.level_agreement and s.alert_agreement
    assert s.key_point_recall == 1.0


def test_below_the_range_hand_computed():
    s = score_answer(_answer(40, "medium"), TRUTH)
    assert not s.in_range and s.deviation == 30 and not s.level_agreement and not s.alert_agreement
    assert s.key_point_recall == 0.0


def test_a_failure_is_wrong_everywhere_with_the_worst_deviation():
    s = score_answer(None, TRUTH)
    assert (s.in_range, s.level_agreement, s.alert_agreement, s.key_point_recall) == (False, False, False, 0.0)
    assert s.deviation == 70  # max(70 - 0, 100 - 82)


def test_key_point_recall_counts_half_covered_points():
    assert key_point_recall(["person forcing the door", "seen on 3 other cameras"], "the person was forcing it") == 0.5
