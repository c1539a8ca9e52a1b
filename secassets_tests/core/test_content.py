"""Planted contradictions: each is found by secassets.core.content.contradictions and named."""

import copy

from secassets.core.content import contradictions, observation_of, person_dwell
from secassets.scenarios.grounding import ground, row_rng

SAMPLED = {"time_of_day": "night", "day_type": "weekday", "camera_location": "front_door", "detection_count": "4-6",
           "primary_object": "person", "scenario_type": "suspicious", "enrichment_level": "full"}


def _coherent(seed: int = 1, **overrides: str):
    sampled = {**SAMPLED, **overrides}
    g = ground(sampled, row_rng(seed, 0))
    assert contradictions(sampled, g.detections, g.enrichment_context) == []
    return sampled, copy.deepcopy(g.detections), copy.deepcopy(g.enrichment_context)


def _first_person(detections):
    return next(d for d in detections if d["object_type"] == "person")


def test_deviation_sign_must_follow_the_counts():
    sampled, dets, ctx = _coherent()
    ctx["baseline_deviation_score"] = -ctx["baseline_deviation_score"] or -1.0
    assert any("deviation" in p for p in contradictions(sampled, dets, ctx))


def test_entry_point_must_follow_the_zone():
    sampled, dets, ctx = _coherent()
    ctx["is_entry_point"] = False
    assert any("is_entry_point=False but the camera is front_door" in p for p in contradictions(sampled, dets, ctx))


def test_a_resident_cannot_be_recognised_with_a_concealed_face():
    sampled, dets, ctx = _coherent()
    person = _first_person(dets)
    person["attributes"]["cues"] = "face_concealed,known_resident"
    problems = contradictions(sampled, dets, ctx)
    assert problems, "a recognised resident with a concealed face went unnoticed"


def test_loitering_needs_the_time_in_view():
    sampled, dets, ctx = _coherent()
    for d in dets:
        d["timestamp_offset_seconds"] = 10.0
    _first_person(dets)["attributes"]["cues"] = "loitering"
    assert any("loitering but people were in view only 0 s" in p for p in contradictions(sampled, dets, ctx))


def test_a_long_stay_without_the_loitering_cue_is_a_contradiction():
    sampled, dets, _ = _coherent(primary_object="person")
    persons = [d for d in dets if d["object_type"] == "person"]
    assert len(persons) >= 2, "the fixed seed should give two person sightings"
    for d in dets:
        d["attributes"]["cues"] = ",".join(c for c in d["attributes"].get("cues", "").split(",")
                                          if c not in ("loitering", "passing_by", "known_resident"))
    persons[0]["timestamp_offset_seconds"], persons[-1]["timestamp_offset_seconds"] = 0.0, 80.0
    assert person_dwell(dets) == 80.0
    assert any("without the loitering cue" in p for p in contradictions(sampled, dets, None))


def test_a_known_plate_must_be_read_and_match_the_cue():
    sampled, dets, ctx = _coherent(primary_object="vehicle", detection_count="2-3")
    ctx["plate_reads"] = [{"text": None, "confidence": 0.2, "status": "unreadable", "known": False}
                          for d in dets if d["object_type"] not in ("person", "dog", "cat")]
    vehicle = next(d for d in dets if d["object_type"] not in ("person", "dog", "cat"))
    vehicle["attributes"]["cues"] = "known_plate"
    assert any("known plate" in p for p in contradictions(sampled, dets, ctx))


def test_package_cues_follow_the_primary_object():
    sampled, dets, ctx = _coherent(primary_object="package", detection_count="1")
    assert "taking_package" in dets[0]["attributes"]["cues"] or "delivering" in dets[0]["attributes"]["cues"]
    dets[0]["attributes"]["cues"] = ""
    assert any("primary_object package" in p for p in contradictions(sampled, dets, ctx))


def test_observation_of_reads_the_cues_counts_and_dwell():
    sampled, dets, ctx = _coherent()
    obs = observation_of(sampled, dets, ctx)
    assert obs.zone == "front_door" and obs.is_entry_point and obs.observed_count == len(dets)
    assert obs.baseline_expected_count == ctx["baseline_expected_count"]
    assert obs.dwell_seconds == person_dwell(dets)
