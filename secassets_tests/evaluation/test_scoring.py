from secassets.core.rows import GroundTruth, RiskAnalysis
from secassets.evaluation.scoring import key_point_recall, score_answer, shown_key_points
from secassets.risk.rubric import KeyPoint

TRUTH = GroundTruth(
    score=76, risk_range={"low": 70, "high": 82}, level="high", should_trigger_alert=True, drivers=[],
    reasoning_key_points=[
        KeyPoint(text="at night", evidence=("time_of_day",)),
        KeyPoint(text="at an entry point (front door)", evidence=("zone", "entry_point")),
        KeyPoint(text="forcing the door", evidence=("behaviour",)),
    ],
    expected_enrichment_models=[],
)


def _answer(score, level, text="x"):
    return RiskAnalysis(risk_score=score, risk_level=level, summary=text, reasoning=text)


def test_inside_the_range():
    s = score_answer(_answer(75, "high", "Someone is forcing the door at night at the front door entry point."), TRUTH)
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


def test_recall_counts_only_key_points_whose_evidence_the_template_shows():
    shown = frozenset({"zone", "time_of_day", "objects"})
    assert shown_key_points(TRUTH, shown) == ["at night", "at an entry point (front door)"]
    answer = _answer(75, "high", "At night, at the entry point by the porch.")
    assert score_answer(answer, TRUTH, shown).key_point_recall == 1.0  # the behaviour was never shown
    assert score_answer(answer, TRUTH).key_point_recall == 2 / 3
