"""Edge cases: every family's truth is the rubric's judgment of its own content, and each keeps its trait."""

import json

import pandas as pd
import pytest

from secassets.core.content import contradictions, detection_cues, observation_of, row_content
from secassets.core.validation import schema_errors, temporal_errors
from secassets.core.vocabulary import DETECTION_COUNT_RANGE
from secassets.edge_cases import families
from secassets.edge_cases.families import (
    FAILING_MODELS,
    FALLBACK,
    FAMILIES,
    MULTI_THREAT_CUES,
    OCR_CONDITIONS,
    RARE_POSES,
    EdgeCaseCounts,
    build,
    generate_edge_cases,
)
from secassets.risk.bands import SCENARIO_TYPE_BANDS
from secassets.risk.rubric import assess
from secassets.scenarios.content import row_rng
from secassets.scenarios.grounding import ALL_ENRICHMENT_MODELS, expected_enrichment_models, truth_of

TYPE_ORDER = ("edge_case", "normal", "suspicious", "threat")
SMALL = EdgeCaseCounts(multi_threat=2, rare_pose=2, boundary_confidence=2, ocr_failure=2, vram_stress=1, circuit_breaker=1)


@pytest.fixture(scope="module")
def edges() -> pd.DataFrame:
    return generate_edge_cases(EdgeCaseCounts(), seed=42)


@pytest.fixture(scope="module")
def contested() -> pd.DataFrame:
    """40 rows each of the two families whose label must follow content, not the family."""
    counts = EdgeCaseCounts(**{f: 0 for f in FAMILIES} | {"rare_pose": 40, "boundary_confidence": 40})
    return generate_edge_cases(counts, seed=7)


def _content(row: dict) -> tuple[dict, list, dict | None, dict]:
    sampled, detections, context = row_content(row)
    return sampled, detections, context, json.loads(row["ground_truth"])


def test_counts_unique_valid_and_timely(edges):
    assert edges["family"].value_counts().to_dict() == EdgeCaseCounts().model_dump()
    assert edges["scenario_hash"].is_unique
    assert list(edges.columns) == list(families.EDGE_CASE_COLUMNS)
    for row in edges.to_dict("records"):
        assert schema_errors(row) == [], row["trait"]
        assert temporal_errors(row["detections"]) == [], row["trait"]
        assert row["detection_schema_valid"] and row["temporal_consistency"]
        lo, hi = DETECTION_COUNT_RANGE[row["detection_count"]]
        assert lo <= len(json.loads(row["detections"])) <= hi


def test_truth_is_the_rubric_of_the_content_and_content_is_coherent(edges):
    for row in edges.to_dict("records"):
        sampled, detections, context, gt = _content(row)
        assert contradictions(sampled, detections, context) == [], row["trait"]
        assessment = assess(observation_of(sampled, detections, context))
        assert gt["score"] == assessment.score
        assert gt["risk_range"] == assessment.risk_range.model_dump()
        assert gt["level"] == assessment.level
        assert gt["should_trigger_alert"] == assessment.alert
        models = sorted(ALL_ENRICHMENT_MODELS) if row["family"] == "vram_stress" else expected_enrichment_models(sampled, detections)
        # drivers and key points too (as stored, JSON): nothing is invented outside the rubric
        assert gt == json.loads(json.dumps(truth_of(assessment, models)))


def test_scenario_type_is_the_first_band_holding_the_range(edges):
    for row in edges.to_dict("records"):
        rr = json.loads(row["ground_truth"])["risk_range"]
        holding = [t for t in TYPE_ORDER if SCENARIO_TYPE_BANDS[t].low <= rr["low"] <= rr["high"] <= SCENARIO_TYPE_BANDS[t].high]
        assert holding and row["scenario_type"] == holding[0], (row["trait"], rr)


def test_each_family_carries_its_defining_trait(edges):
    for row in edges.to_dict("records"):
        _sampled, det, ctx, gt = _content(row)
        family, persons = row["family"], [d for d in det if d["object_type"] == "person"]
        if family == "multi_threat":
            assert len(persons) >= 3 and row["camera_location"] in ("front_door", "side_gate")
            assert row["time_of_day"] in ("evening", "night", "late_night") and row["enrichment_level"] == "full"
            assert sum(bool(set(detection_cues(d)) & set(MULTI_THREAT_CUES)) for d in persons) >= 2
            assert ctx["concealed_faces"] == sum("face_concealed" in detection_cues(d) for d in persons)
        elif family == "rare_pose":
            assert len(det) == 1 == len(persons) and row["detection_count"] == "1" and row["enrichment_level"] == "full"
            assert det[0]["attributes"]["pose"] in RARE_POSES and det[0]["attributes"]["pose"] in row["trait"]
        elif family == "boundary_confidence":
            assert all(0.5 <= d["confidence"] <= 0.52 for d in det)
            assert gt["risk_range"]["high"] - gt["risk_range"]["low"] > 10
        elif family == "ocr_failure":
            assert row["camera_location"] == "driveway" and row["primary_object"] == "vehicle"
            assert row["time_of_day"] in ("evening", "night", "late_night") and 2 <= len(det) <= 3
            assert ctx["plate_reads"] and all(p["status"] == "unreadable" and p["text"] is None and p["confidence"] < 0.5
                                              for p in ctx["plate_reads"])
            assert 0.2 <= ctx["image_quality"] <= 0.45 and any(c in row["trait"] for c in OCR_CONDITIONS)
        elif family == "vram_stress":
            assert len(det) >= 7 and row["detection_count"] == "7+" and row["enrichment_level"] == "full"
            assert set(gt["expected_enrichment_models"]) == ALL_ENRICHMENT_MODELS
        elif family == "circuit_breaker":
            assert row["enrichment_level"] == "basic" and ctx["fallback"] == FALLBACK
            assert 2 <= len(ctx["failed_models"]) <= 4 and set(ctx["failed_models"]) <= set(FAILING_MODELS)
        assert f"Edge case ({family}): {row['trait']}." in row["scenario_narrative"]


def test_variation_not_copies(edges):
    for family in FAMILIES:
        part = edges[edges["family"] == family]
        assert part["detections"].nunique() == len(part) and part["trait"].nunique() > 1, family


def test_the_rubric_decides_the_label(contested):
    for family in ("rare_pose", "boundary_confidence"):
        assert contested.loc[contested["family"] == family, "scenario_type"].nunique() >= 2, family


def test_seeded_reproducible_and_unique_against_taken_hashes():
    first = generate_edge_cases(SMALL, seed=42)
    pd.testing.assert_frame_equal(generate_edge_cases(SMALL, seed=42), first)
    assert set(generate_edge_cases(SMALL, seed=43)["scenario_hash"]).isdisjoint(first["scenario_hash"])
    taken = set(first["scenario_hash"][:3])
    again = generate_edge_cases(SMALL, seed=42, taken_hashes=taken)
    assert again["family"].value_counts().to_dict() == SMALL.model_dump()
    assert again["scenario_hash"].is_unique and not set(again["scenario_hash"]) & taken


def test_no_band_fits_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(families, "scenario_type_for", lambda _range: None)
    with pytest.raises(RuntimeError, match=rf"rare_pose: no content in {families.MAX_DRAWS} draws"):
        build("rare_pose", row_rng(1, 0))


def test_self_contradicting_content_is_refused(monkeypatch):
    def loitering_too_briefly(rng):
        sampled, det, ctx, trait = families._rare_pose(rng)
        det[0]["attributes"]["cues"] = "loitering"
        return sampled, det, ctx, trait

    monkeypatch.setitem(families.BUILDERS, "rare_pose", loitering_too_briefly)
    with pytest.raises(RuntimeError, match="rare_pose built self-contradicting content"):
        build("rare_pose", row_rng(1, 0))
