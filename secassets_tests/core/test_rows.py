import pytest
from pydantic import ValidationError

from secassets.core.rows import BoundingBox, Detection, EnrichmentContext, JudgeScores, RiskAnalysis


def _detection(**kw):
    base = {"object_type": "person", "confidence": 0.9, "bbox": {"x": 10, "y": 10, "w": 100, "h": 200}, "timestamp_offset_seconds": 5.0}
    return Detection.model_validate({**base, **kw})


def test_valid_detection():
    assert _detection().object_type == "person"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("object_type", "package", "object_type"),
        ("confidence", 0.49, "confidence"),
        ("timestamp_offset_seconds", 90.5, "timestamp_offset_seconds"),
    ],
)
def test_detection_rejects_out_of_range_values(field, value, message):
    with pytest.raises(ValidationError, match=message):
        _detection(**{field: value})


def test_bbox_must_stay_inside_frame():
    with pytest.raises(ValidationError, match="leaves the 1920x1080 frame"):
        BoundingBox(x=1900, y=0, w=100, h=10)


def test_enrichment_bounds():
    ok = EnrichmentContext(zone_name="front_porch", is_entry_point=True, baseline_expected_count=0, baseline_deviation_score=2.5, cross_camera_matches=5)
    assert ok.cross_camera_matches == 5
    with pytest.raises(ValidationError):
        EnrichmentContext(zone_name="x", is_entry_point=True, baseline_expected_count=0, baseline_deviation_score=3.5, cross_camera_matches=0)
    with pytest.raises(ValidationError):
        EnrichmentContext(zone_name="x", is_entry_point=True, baseline_expected_count=-1, baseline_deviation_score=0, cross_camera_matches=0)


def test_judge_scores_are_1_to_4():
    with pytest.raises(ValidationError):
        JudgeScores(relevance=5, risk_calibration=1, context_usage=1, reasoning_quality=1, threat_identification=1, actionability=1)


def test_risk_analysis_answer():
    a = RiskAnalysis(risk_score=72, risk_level="high", summary="s", reasoning="r")
    assert a.level_matches_score
    assert not RiskAnalysis(risk_score=10, risk_level="high", summary="s", reasoning="r").level_matches_score
    with pytest.raises(ValidationError):
        RiskAnalysis(risk_score=120, risk_level="high", summary="s", reasoning="r")
