"""Ground truth from content: draw the content, let the rubric judge it, keep it if it fits the sampled type.

The scenario type is a Data Designer sampler with exactly its configured marginals. Content is drawn
(secassets.scenarios.content, tilted by the type) and judged by secassets.risk.assess; a draw whose
risk range does not lie inside the type's band is discarded and drawn again from the same row
generator, so the result depends only on the seed and the row. The number of draws is recorded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from secassets.core.content import observation_of
from secassets.core.vocabulary import ANIMAL_TYPES, NIGHT_TIMES, VEHICLE_TYPES
from secassets.risk.bands import SCENARIO_TYPE_BANDS, RiskRange
from secassets.risk.rubric import RiskAssessment, assess
from secassets.risk.version import RUBRIC_VERSION
from secassets.scenarios.content import draw_detections, draw_enrichment, row_rng

MAX_DRAWS: Final = 5_000
ALL_ENRICHMENT_MODELS: Final = frozenset({
    "zone_analysis", "baseline_comparison", "face_recognition", "pose_estimation", "clothing_attributes",
    "person_reid", "license_plate_ocr", "vehicle_attributes", "pet_identification", "low_light_enhancement",
    "violence_detection",
})

__all__ = ["ALL_ENRICHMENT_MODELS", "GroundedScenario", "GroundingError", "ground", "row_rng", "truth_of"]


class GroundingError(RuntimeError):
    """No content drawn for a row fits its scenario type's band within MAX_DRAWS."""


@dataclass(frozen=True)
class GroundedScenario:
    """One row's content and its ground truth (plain dicts, JSON-ready), and how many draws it took."""

    detections: list[dict[str, Any]]
    enrichment_context: dict[str, Any] | None
    ground_truth: dict[str, Any]
    draws: int


def expected_enrichment_models(sampled: dict[str, str], detections: list[dict[str, Any]]) -> list[str]:
    """Enrichment models a full pipeline should run for this content."""
    models = {"zone_analysis", "baseline_comparison"}
    classes = {d["object_type"] for d in detections}
    if "person" in classes:
        models |= {"face_recognition", "pose_estimation", "clothing_attributes", "person_reid", "violence_detection"}
    if classes & set(VEHICLE_TYPES):
        models |= {"license_plate_ocr", "vehicle_attributes"}
    if classes & set(ANIMAL_TYPES):
        models.add("pet_identification")
    if sampled["time_of_day"] in NIGHT_TIMES:
        models.add("low_light_enhancement")
    return sorted(models)


def truth_of(assessment: RiskAssessment, models: list[str]) -> dict[str, Any]:
    """The ground_truth of a row, JSON-ready (lists, not tuples, so it equals itself after a JSON round trip), with the
    rubric version that judged it."""
    return {
        "score": assessment.score,
        "risk_range": assessment.risk_range.model_dump(mode="json"),
        "level": assessment.level,
        "should_trigger_alert": assessment.alert,
        "drivers": [d.model_dump(mode="json") for d in assessment.drivers],
        "reasoning_key_points": [p.model_dump(mode="json") for p in assessment.key_points],
        "expected_enrichment_models": list(models),
        "rubric_version": RUBRIC_VERSION,
    }


def fits(risk_range: RiskRange, scenario_type: str) -> bool:
    band = SCENARIO_TYPE_BANDS[scenario_type]
    return band.low <= risk_range.low and risk_range.high <= band.high


def ground(sampled: dict[str, str], rng: random.Random, max_draws: int = MAX_DRAWS) -> GroundedScenario:
    """Draw content until the rubric's range lies in the sampled type's band; its truth is assess(content)."""
    stype = sampled["scenario_type"]
    for draw in range(1, max_draws + 1):
        detections = draw_detections(sampled, stype, rng)
        context = draw_enrichment(sampled, stype, detections, rng)
        assessment = assess(observation_of(sampled, detections, context))
        if fits(assessment.risk_range, stype):
            truth = truth_of(assessment, expected_enrichment_models(sampled, detections))
            return GroundedScenario(detections, context, truth, draw)
    values = ", ".join(f"{k}={v}" for k, v in sampled.items())
    raise GroundingError(f"no content drawn in {max_draws} tries fits the {stype} band for {values}")
