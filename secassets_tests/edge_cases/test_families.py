import json

import pytest

from secassets.core.validation import schema_errors, temporal_errors
from secassets.edge_cases.families import FAMILIES, RARE_POSES, EdgeCaseCounts, generate_edge_cases
from secassets.risk.bands import SCENARIO_TYPE_BANDS
from secassets.scenarios.grounding import ALL_ENRICHMENT_MODELS


@pytest.fixture(scope="module")
def edges():
    return generate_edge_cases(EdgeCaseCounts(), seed=42)


def test_counts_unique_and_valid(edges):
    assert edges["family"].value_counts().to_dict() == EdgeCaseCounts().model_dump()
    assert edges["scenario_hash"].is_unique
    for row in edges.to_dict("records"):
        assert schema_errors(row) == [] and temporal_errors(row["detections"]) == []
        gt = json.loads(row["ground_truth"])
        band = SCENARIO_TYPE_BANDS[row["scenario_type"]]
        assert band.low <= gt["risk_range"]["low"] <= gt["risk_range"]["high"] <= band.high


def test_variation_not_copies(edges):
    for family in FAMILIES:
        part = edges[edges["family"] == family]
        assert part["detections"].nunique() == len(part)


def test_each_family_carries_its_defining_trait(edges):
    for row in edges.to_dict("records"):
        det = json.loads(row["detections"])
        ctx = json.loads(row["enrichment_context"]) if row["enrichment_context"] else None
        gt = json.loads(row["ground_truth"])
        family = row["family"]
        if family == "multi_threat":
            assert sum(d["object_type"] == "person" for d in det) >= 3 and row["scenario_type"] == "threat"
            assert row["camera_location"] in ("front_door", "side_gate")
        elif family == "rare_pose":
            assert det[0]["attributes"]["pose"] in RARE_POSES
        elif family == "boundary_confidence":
            assert all(0.5 <= d["confidence"] <= 0.52 for d in det)
            assert gt["risk_range"]["high"] == 60 and not gt["should_trigger_alert"]
        elif family == "ocr_failure":
            assert ctx["plate_reads"] and all(p["status"] == "unreadable" for p in ctx["plate_reads"])
        elif family == "vram_stress":
            assert len(det) >= 7 and set(gt["expected_enrichment_models"]) == ALL_ENRICHMENT_MODELS
        elif family == "circuit_breaker":
            assert len(ctx["failed_models"]) >= 2 and "fall back" in ctx["fallback"]
            assert any("fallback" in p for p in gt["reasoning_key_points"])


def test_unique_against_taken_hashes_and_seeded(edges):
    small = EdgeCaseCounts(multi_threat=2, rare_pose=2, boundary_confidence=2, ocr_failure=2, vram_stress=1, circuit_breaker=1)
    first = generate_edge_cases(small, seed=42)
    again = generate_edge_cases(small, seed=42, taken_hashes=set(first["scenario_hash"][:3]))
    assert not set(again["scenario_hash"]) & set(first["scenario_hash"][:3])
    assert generate_edge_cases(small, seed=42).equals(first)
