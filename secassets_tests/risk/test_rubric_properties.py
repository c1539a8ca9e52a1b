"""Properties of `assess` over a few hundred seeded random valid observations.

Monotonicity (aggravating facts never lower a score, mitigating ones never raise it), the range around the
score, level and alert, loitering read from the dwell time, the baseline deviation and the key points.
"""

from __future__ import annotations

import math
import random
from functools import cache

import pytest
from pydantic import ValidationError

from secassets.core.vocabulary import (
    CAMERA_LOCATION,
    DAY_TYPE,
    ENTRY_POINT_CAMERAS,
    LIGHTING,
    OBJECT_TYPES,
    POSES,
    TIME_OF_DAY,
    WEATHER,
)
from secassets.risk import CUE_RULES, CUES, Observation, ObservedObject, assess
from secassets.risk.bands import ALERT_THRESHOLD, level_for_score, should_alert
from secassets.risk.cues import AGGRAVATING_CUES, LOITER_SECONDS, MITIGATING_CUES
from secassets.risk.observation import OBSERVATION_FIELDS
from secassets.risk.rubric import (
    HALF_WIDTH,
    HOUSEHOLD_OBJECT_CUES,
    LOW_CONFIDENCE,
    LOW_IMAGE_QUALITY,
    MAX_DEVIATION,
    WEAK_EVIDENCE_WIDTH,
    active_cues,
    baseline_deviation,
)

SEED = 20_240_611
SAMPLES = 300


def _maybe(rng: random.Random, value):
    return value if rng.random() < 0.5 else None


def _random_fields(rng: random.Random) -> dict:
    zone = rng.choice(CAMERA_LOCATION)
    classes = ["person"] * 4 + list(OBJECT_TYPES)  # people most often: most cues need one
    objects = [
        {"object_class": rng.choice(classes), "count": rng.choice([1, 1, 1, 2, 3, 6]),
         "confidence": _maybe(rng, round(rng.uniform(0.3, 1.0), 2))}
        for _ in range(rng.choice([1, 1, 2, 3]))
    ]
    dwell = rng.choice([None, rng.uniform(0, 19.9), rng.uniform(20, 44.9), rng.uniform(45, 900)])
    return {
        "zone": zone,
        "time_of_day": rng.choice(TIME_OF_DAY),
        "objects": objects,
        "entry_point": _maybe(rng, zone in ENTRY_POINT_CAMERAS),
        "day_type": _maybe(rng, rng.choice(DAY_TYPE)),
        "lighting": _maybe(rng, rng.choice(LIGHTING)),
        "weather": _maybe(rng, rng.choice(WEATHER)),
        "cues": rng.sample(CUES, rng.choice([0, 1, 1, 2, 2, 3, 4])),
        "dwell_seconds": None if dwell is None else round(dwell, 1),
        "baseline_expected_count": _maybe(rng, rng.randint(0, 8)),
        "cross_camera_matches": _maybe(rng, rng.randint(0, 5)),
        "unreadable_plates": _maybe(rng, rng.randint(0, 2)),
        "violence_score": _maybe(rng, round(rng.random(), 2)),
        "pose": _maybe(rng, rng.choice(POSES)),
        "image_quality": _maybe(rng, round(rng.random(), 2)),
    }


@cache
def observations(seed: int = SEED, n: int = SAMPLES) -> tuple[Observation, ...]:
    """n valid observations from a seeded generator; combinations the validator rejects are skipped."""
    rng = random.Random(seed)
    found: list[Observation] = []
    for _ in range(n * 50):
        try:
            found.append(Observation(**_random_fields(rng)))
        except ValidationError:
            continue
        if len(found) == n:
            return tuple(found)
    raise AssertionError(f"only {len(found)} valid observations in {n * 50} tries")


def with_(obs: Observation, **changes) -> Observation:
    """A validated copy of obs with some fields changed (raises ValidationError if the result is incoherent)."""
    return Observation.model_validate({**obs.model_dump(), **changes})


def score(obs: Observation) -> int:
    return assess(obs).score


def test_the_sample_is_varied():
    sample = observations()
    assert len(sample) == SAMPLES
    assert {o.zone for o in sample} == set(CAMERA_LOCATION) and {o.time_of_day for o in sample} == set(TIME_OF_DAY)
    assert {c for o in sample for c in o.cues} == set(CUES)
    assert {assess(o).level for o in sample} == {"low", "medium", "high", "critical"}
    assert sum(not o.cues for o in sample) >= 20


# --- monotonicity -------------------------------------------------------------------------------------------


def test_adding_an_aggravating_cue_never_lowers_the_score():
    checked = 0
    for obs in observations():
        before = score(obs)
        for cue in AGGRAVATING_CUES:
            if cue in obs.cues:
                continue
            try:
                more = with_(obs, cues=obs.cues | {cue})
            except ValidationError:
                continue
            assert score(more) >= before, (cue, obs)
            checked += 1
    assert checked >= 1000


def test_removing_a_mitigating_cue_never_lowers_the_score():
    checked = 0
    for obs in observations():
        for cue in set(MITIGATING_CUES) & obs.cues:
            fewer = with_(obs, cues=obs.cues - {cue})  # removing a cue never makes a batch incoherent
            assert score(fewer) >= score(obs), (cue, obs)
            checked += 1
    assert checked >= 50


def _nondecreasing(obs: Observation, field: str, values: list) -> None:
    scores = [score(with_(obs, **{field: v})) for v in values]
    assert scores == sorted(scores), (field, values, scores, obs)


def test_a_higher_violence_score_never_lowers_the_score():
    for obs in observations():
        _nondecreasing(obs, "violence_score", [None, 0.0, 0.2, 0.4, 0.41, 0.55, 0.7, 0.85, 1.0])


def test_more_cross_camera_matches_never_lower_the_score():
    for obs in observations():
        _nondecreasing(obs, "cross_camera_matches", [None, 0, 1, 2, 3, 4, 20])


def test_a_larger_positive_baseline_deviation_never_lowers_the_score():
    for obs in observations():
        n = obs.observed_count
        expected = [None, *range(min(n, 100), -1, -1)]  # None, then deviation 0 rising as fewer are expected
        deviations = [baseline_deviation(e, n) for e in expected[1:]]
        assert deviations == sorted(deviations)
        _nondecreasing(obs, "baseline_expected_count", expected)


def test_fewer_objects_than_usual_is_not_evidence_either_way():
    for obs in observations():
        assert score(with_(obs, baseline_expected_count=obs.observed_count + 5)) == score(
            with_(obs, baseline_expected_count=None))


def test_later_in_the_day_never_lowers_the_score():
    for obs in observations():
        assert score(with_(obs, time_of_day="late_night")) >= score(with_(obs, time_of_day="midday"))
        _nondecreasing(obs, "time_of_day", ["midday", "morning", "evening", "night", "late_night"])


# --- range, level, alert ------------------------------------------------------------------------------------


def test_the_range_holds_the_score_within_the_scale():
    for obs in observations():
        result = assess(obs)
        assert 0 <= result.risk_range.low <= result.score <= result.risk_range.high <= 100
        assert result.risk_range.contains(result.score)


def test_the_range_is_at_least_ten_wide_away_from_the_ends_of_the_scale():
    checked = 0
    for obs in observations():
        result = assess(obs)
        if HALF_WIDTH <= result.score <= 100 - HALF_WIDTH:
            assert result.risk_range.high - result.risk_range.low >= 2 * HALF_WIDTH
            checked += 1
    assert checked >= 100


AT_THE_ENDS = {
    0: Observation(zone="front_door", time_of_day="evening", objects=[ObservedObject(object_class="person")],
                   cues={"known_resident"}),
    100: Observation(zone="front_door", time_of_day="late_night",
                     objects=[ObservedObject(object_class="person", count=2)], cues={"carrying_weapon", "attacking"}),
}


def test_scores_at_the_ends_of_the_scale_have_ranges_on_the_scale():
    for expected, obs in AT_THE_ENDS.items():
        result = assess(obs)
        assert result.score == expected
        assert 0 <= result.risk_range.low <= result.risk_range.high <= 100


@pytest.mark.parametrize("expected", list(AT_THE_ENDS), ids=["score_0", "score_100"])
def test_the_range_is_at_least_ten_wide_at_the_ends_of_the_scale(expected):
    result = assess(AT_THE_ENDS[expected])
    assert result.risk_range.high - result.risk_range.low >= 2 * HALF_WIDTH


def _confidences(obs: Observation, confidence: float) -> list[dict]:
    return [{**o.model_dump(), "confidence": confidence} for o in obs.objects]


def test_weak_evidence_widens_the_range_and_leaves_the_score():
    for obs in observations():
        sure = with_(obs, objects=_confidences(obs, 0.9), image_quality=0.9)
        variants = {
            "low_confidence": with_(sure, objects=_confidences(obs, LOW_CONFIDENCE - 0.01)),
            "poor_image": with_(sure, image_quality=LOW_IMAGE_QUALITY - 0.01),
        }
        variants["both"] = with_(variants["low_confidence"], image_quality=LOW_IMAGE_QUALITY - 0.01)
        base = assess(sure)
        for name, weak in variants.items():
            result = assess(weak)
            assert result.score == base.score, name
            assert result.risk_range.low <= base.risk_range.low and result.risk_range.high >= base.risk_range.high
            assert result.risk_range.high - result.risk_range.low > base.risk_range.high - base.risk_range.low, name
        both, one = assess(variants["both"]).risk_range, assess(variants["poor_image"]).risk_range
        assert both.high - both.low > one.high - one.low


@pytest.mark.parametrize(("confidence", "quality", "half_width"), [
    (None, None, HALF_WIDTH),
    (LOW_CONFIDENCE, LOW_IMAGE_QUALITY, HALF_WIDTH),  # the thresholds themselves are not weak
    (0.59, None, HALF_WIDTH + WEAK_EVIDENCE_WIDTH),
    (None, 0.39, HALF_WIDTH + WEAK_EVIDENCE_WIDTH),
    (0.3, 0.1, HALF_WIDTH + 2 * WEAK_EVIDENCE_WIDTH),
])
def test_range_half_width_in_the_middle_of_the_scale(confidence, quality, half_width):
    obs = Observation(zone="backyard", time_of_day="night", objects=[ObservedObject(object_class="person",
                                                                                    confidence=confidence)],
                      cues={"peering_in_windows"}, image_quality=quality)
    result = assess(obs)
    assert (result.risk_range.low, result.risk_range.high) == (result.score - half_width, result.score + half_width)


def test_mean_confidence_is_weighted_by_count_and_ignores_unknown_confidences():
    objects = [ObservedObject(object_class="person", count=3, confidence=0.9),
               ObservedObject(object_class="dog", confidence=0.1), ObservedObject(object_class="car")]
    obs = Observation(zone="backyard", time_of_day="night", objects=objects)  # mean (2.7 + 0.1) / 4 = 0.7
    result = assess(obs)
    assert result.risk_range.high - result.risk_range.low == 2 * HALF_WIDTH


def test_level_and_alert_follow_the_score():
    for obs in observations():
        result = assess(obs)
        assert result.level == level_for_score(result.score)
        assert result.alert == (result.score >= ALERT_THRESHOLD) == (result.score >= 60)
        assert should_alert(result.risk_range) == result.alert


def test_drivers_add_up_to_the_score_before_clipping():
    for obs in observations():
        result = assess(obs)
        assert all(d.points for d in result.drivers)
        assert result.score == max(0, min(100, sum(d.points for d in result.drivers)))


# --- loitering from dwell -----------------------------------------------------------------------------------


PERSON = ObservedObject(object_class="person")


@pytest.mark.parametrize(("dwell", "loitering"), [(None, False), (0, False), (44.9, False), (LOITER_SECONDS, True),
                                                  (600, True)])
def test_loitering_is_read_from_the_dwell_of_unknown_people(dwell, loitering):
    obs = Observation(zone="side_gate", time_of_day="night", objects=[PERSON], dwell_seconds=dwell)
    assert ("loitering" in active_cues(obs)) is loitering
    assert any(d.factor == "loitering" for d in assess(obs).drivers) is loitering
    if loitering:
        assert score(obs) == score(obs.model_copy(update={"cues": frozenset({"loitering"})}))


def test_loitering_is_not_read_from_the_dwell_of_a_known_resident():
    obs = Observation(zone="side_gate", time_of_day="night", objects=[PERSON], cues={"known_resident"},
                      dwell_seconds=600)
    assert "loitering" not in active_cues(obs)
    assert not any(d.factor == "loitering" for d in assess(obs).drivers)


@pytest.mark.parametrize("object_class", ["dog", "car"])
def test_loitering_is_not_read_from_the_dwell_of_animals_or_vehicles(object_class):
    obs = Observation(zone="driveway", time_of_day="night", objects=[ObservedObject(object_class=object_class)],
                      dwell_seconds=600)
    assert active_cues(obs) == frozenset()


def test_active_cues_only_ever_add_loitering():
    for obs in observations():
        assert active_cues(obs) - obs.cues <= {"loitering"}
        assert obs.cues <= active_cues(obs)


# --- baseline deviation -------------------------------------------------------------------------------------


def test_baseline_deviation_sign_follows_observed_minus_expected():
    for expected in range(0, 101, 3):
        for observed in range(0, 101, 7):
            dev = baseline_deviation(expected, observed)
            assert -MAX_DEVIATION <= dev <= MAX_DEVIATION == 3.0
            assert math.copysign(1, dev) == math.copysign(1, observed - expected) or dev == observed - expected == 0


@pytest.mark.parametrize(("expected", "observed", "deviation"), [
    (0, 0, 0.0), (0, 1, 1.0), (0, 5, 3.0), (3, 1, -1.0), (8, 8, 0.0), (8, 11, 1.0), (99, 0, -3.0), (2, 3, 0.58),
])
def test_baseline_deviation_values(expected, observed, deviation):
    assert baseline_deviation(expected, observed) == deviation


# --- key points ---------------------------------------------------------------------------------------------


def test_key_points_and_drivers_name_only_observation_fields():
    fields = set(OBSERVATION_FIELDS)
    for obs in observations():
        result = assess(obs)
        for item in (*result.key_points, *result.drivers):
            assert set(item.evidence) <= fields, item


def test_each_cue_driver_has_a_key_point_with_the_cues_first_phrase():
    for obs in observations():
        result = assess(obs)
        cue_drivers = [d for d in result.drivers if d.factor in CUES]
        strangers = obs.count("person") and "known_resident" not in obs.cues
        counted = active_cues(obs) - (HOUSEHOLD_OBJECT_CUES if strangers else frozenset())
        assert {d.factor for d in cue_drivers} == counted
        for driver in cue_drivers:
            rule = CUE_RULES[driver.factor]
            assert driver.points == rule.points
            matches = [kp for kp in result.key_points if kp.text == rule.phrases[0]]
            assert len(matches) == 1, (driver.factor, result.key_points)
            assert set(rule.channels) <= set(matches[0].evidence) == set(driver.evidence)
        for driver in result.drivers:
            if driver.factor.startswith("floor:"):
                assert driver.factor.removeprefix("floor:") in active_cues(obs) and driver.points > 0


def test_every_observation_has_a_key_point_for_its_time_and_objects():
    for obs in observations():
        texts = {kp.text: kp.evidence for kp in assess(obs).key_points}
        assert any(ev == ("objects",) for ev in texts.values())
        assert any(ev == ("time_of_day",) and obs.time_of_day.replace("_", " ") in t for t, ev in texts.items())
