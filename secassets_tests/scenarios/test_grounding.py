import itertools
import json
import random

import pytest

from secassets.core.content import contradictions, detection_cues, observation_of
from secassets.core.rows import Detection, EnrichmentContext, GroundTruth
from secassets.core.vocabulary import DETECTION_COUNT_RANGE, SAMPLER_VALUES, SCENARIO_TYPE
from secassets.risk.bands import SCENARIO_TYPE_BANDS
from secassets.risk.cues import CUES
from secassets.risk.rubric import assess
from secassets.scenarios.grounding import GroundingError, ground, row_rng, truth_of
from secassets_tests.generated_rows import default_rows


def _combos(limit: int, seed: int = 7) -> list[dict[str, str]]:
    combos = [dict(zip(SAMPLER_VALUES, v, strict=True)) for v in itertools.product(*SAMPLER_VALUES.values())]
    random.Random(seed).shuffle(combos)
    return combos[:limit]


def test_every_ground_truth_records_the_rubric_version_that_judged_it():
    from secassets.risk.version import RUBRIC_VERSION

    g = ground(_combos(1)[0], row_rng(42, 1))
    assert g.ground_truth["rubric_version"] == RUBRIC_VERSION
    assert GroundTruth.model_validate(g.ground_truth).rubric_version == RUBRIC_VERSION
    stored = {k: v for k, v in g.ground_truth.items() if k != "rubric_version"}  # a truth stored before versions
    assert GroundTruth.model_validate(stored).rubric_version == RUBRIC_VERSION


@pytest.mark.parametrize("sampled", _combos(400), ids=lambda s: "-".join(s.values()))
def test_truth_is_the_rubric_on_coherent_content_inside_the_band(sampled):
    g = ground(sampled, row_rng(42, 1))
    band = SCENARIO_TYPE_BANDS[sampled["scenario_type"]]
    truth = GroundTruth.model_validate(g.ground_truth)
    assert band.low <= truth.risk_range.low <= truth.risk_range.high <= band.high
    assert contradictions(sampled, g.detections, g.enrichment_context) == []
    assessment = assess(observation_of(sampled, g.detections, g.enrichment_context))
    assert g.ground_truth == truth_of(assessment, g.ground_truth["expected_enrichment_models"])
    lo, hi = DETECTION_COUNT_RANGE[sampled["detection_count"]]
    assert lo <= len(g.detections) <= hi
    for d in g.detections:
        Detection.model_validate(d)
    assert (g.enrichment_context is None) == (sampled["enrichment_level"] == "none")
    if g.enrichment_context is not None:
        EnrichmentContext.model_validate(g.enrichment_context)


def test_every_single_detection_combination_can_be_grounded():
    """The hardest rows (one detection) exist for every camera, time, object, type and enrichment level."""
    hard = [s for s in (dict(zip(SAMPLER_VALUES, v, strict=True)) for v in itertools.product(*SAMPLER_VALUES.values()))
            if s["detection_count"] == "1" and s["day_type"] == "weekday"]
    assert len(hard) == 5 * 4 * 4 * 4 * 3
    draws = [ground(s, row_rng(3, i)).draws for i, s in enumerate(hard)]
    assert max(draws) < 5_000


def test_an_impossible_budget_is_a_clear_error():
    sampled = {"time_of_day": "midday", "day_type": "weekday", "camera_location": "driveway", "detection_count": "1",
               "primary_object": "animal", "scenario_type": "threat", "enrichment_level": "none"}
    with pytest.raises(GroundingError, match="fits the threat band for .*primary_object=animal"):
        ground(sampled, row_rng(1, 1), max_draws=1)


def test_every_cue_occurs_under_at_least_two_scenario_types():
    types_of: dict[str, set[str]] = {c: set() for c in CUES}
    for row in default_rows().to_dict("records"):
        for d in json.loads(row["detections"]):
            for cue in detection_cues(d):
                types_of[cue].add(row["scenario_type"])
    assert {c: t for c, t in types_of.items() if len(t) < 2} == {}


def test_detector_confidence_does_not_depend_on_the_type():
    df = default_rows()
    means = {t: df[df.scenario_type == t]["detections"].map(lambda s: sum(d["confidence"] for d in json.loads(s)) /
                                                           len(json.loads(s))).mean() for t in SCENARIO_TYPE}
    assert max(means.values()) - min(means.values()) < 0.02, means


def test_same_seed_same_content_other_seed_differs():
    sampled = _combos(1)[0]
    assert ground(sampled, row_rng(5, 1)) == ground(sampled, row_rng(5, 1))
    assert ground(sampled, row_rng(5, 1)) != ground(sampled, row_rng(6, 1))
