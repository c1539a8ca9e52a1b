"""Observation validation: incoherent batches are rejected with a message that says what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from secassets.risk import Observation, ObservedObject
from secassets.risk.cues import EXCLUSIVE_CUES, LOITER_SECONDS, PASSING_SECONDS
from secassets.risk.rubric import UNKNOWN_SETTING_WIDTH, assess

PERSON = ObservedObject(object_class="person")
DOG = ObservedObject(object_class="dog")
CAR = ObservedObject(object_class="car")


def observe(**fields) -> Observation:
    return Observation(**{"zone": "backyard", "time_of_day": "night", "objects": [PERSON], **fields})


def test_objects_alone_make_an_observation_everything_else_is_optional():
    obs = Observation(zone="driveway", time_of_day="midday", objects=[ObservedObject(object_class="car", count=3)])
    assert obs.cues == frozenset()
    assert obs.entry_point is None and obs.dwell_seconds is None and obs.violence_score is None
    assert not obs.is_entry_point
    assert obs.count("vehicle") == 3 and obs.observed_count == 3 and obs.mean_confidence is None


def test_objects_are_required():
    with pytest.raises(ValidationError, match=r"objects\n\s+Field required"):
        Observation(zone="backyard", time_of_day="night")


def test_unknown_zone_and_time_leave_their_terms_out_and_widen_the_range():
    known = assess(Observation(zone="side_gate", time_of_day="late_night", objects=[PERSON]))
    unknown = assess(Observation(objects=[PERSON]))
    assert {"time_of_day", "zone", "entry_point"} <= {d.factor for d in known.drivers}
    assert not {"time_of_day", "zone", "entry_point"} & {d.factor for d in unknown.drivers}
    assert unknown.score < known.score
    width = lambda a: a.risk_range.high - a.risk_range.low
    assert width(unknown) == width(known) + 2 * UNKNOWN_SETTING_WIDTH
    assert not Observation(objects=[PERSON]).is_entry_point


@pytest.mark.parametrize(("zone", "entry_point"), [("backyard", True), ("driveway", True), ("front_door", False),
                                                   ("side_gate", False)])
def test_entry_point_contradicting_the_zone_is_rejected(zone, entry_point):
    with pytest.raises(ValidationError, match=rf"entry_point={entry_point} contradicts zone '{zone}' "
                                              r"\(entry points: front_door, side_gate\)"):
        observe(zone=zone, entry_point=entry_point)


@pytest.mark.parametrize("zone", ["backyard", "driveway", "front_door", "side_gate"])
def test_entry_point_agreeing_with_the_zone_is_accepted(zone):
    agreeing = zone in {"front_door", "side_gate"}
    assert observe(zone=zone, entry_point=agreeing).is_entry_point is agreeing
    assert observe(zone=zone).is_entry_point is agreeing


def test_a_cue_without_its_actor_is_rejected():
    with pytest.raises(ValidationError, match=r"cue 'known_pet' needs an animal among the objects \(objects: person\)"):
        observe(cues={"known_pet"})
    with pytest.raises(ValidationError, match=r"cue 'vehicle_idling' needs a vehicle among the objects "
                                              r"\(objects: animal\)"):
        observe(objects=[DOG], cues={"vehicle_idling"})
    with pytest.raises(ValidationError, match=r"cue 'climbing' needs a person among the objects "
                                              r"\(objects: animal, vehicle\)"):
        observe(objects=[DOG, CAR], cues={"climbing"})


def test_a_cue_with_any_of_its_actors_is_accepted():
    assert observe(objects=[CAR], cues={"approaching_entry"}).cues == {"approaching_entry"}
    assert observe(objects=[DOG], cues={"attacking", "known_pet"}).cues == {"attacking", "known_pet"}
    assert observe(objects=[PERSON, DOG], cues={"known_pet", "loitering"}).count("animal") == 1


@pytest.mark.parametrize(("a", "b"), [("passing_by", "loitering"), ("known_resident", "face_concealed"),
                                      ("delivering", "taking_package")])
def test_exclusive_cues_are_rejected(a, b):
    with pytest.raises(ValidationError, match=rf"cues '{a}' and '{b}' cannot both hold for one batch"):
        observe(cues={a, b})


@pytest.mark.parametrize(("a", "b"), EXCLUSIVE_CUES)
def test_every_exclusive_pair_is_rejected(a, b):
    with pytest.raises(ValidationError, match="cannot both hold for one batch"):
        observe(objects=[PERSON, CAR], cues=[a, b])


def test_loitering_needs_the_dwell_of_loitering():
    with pytest.raises(ValidationError, match=r"loitering needs 45 s in view; dwell_seconds is 10"):
        observe(cues={"loitering"}, dwell_seconds=10)
    assert observe(cues={"loitering"}, dwell_seconds=LOITER_SECONDS).dwell_seconds == 45
    assert observe(cues={"loitering"}).dwell_seconds is None  # unknown dwell does not contradict the cue


def test_passing_by_needs_a_short_dwell():
    with pytest.raises(ValidationError, match=r"passing by means under 20 s in view; dwell_seconds is 30"):
        observe(cues={"passing_by"}, dwell_seconds=30)
    with pytest.raises(ValidationError, match=r"passing by means under 20 s in view; dwell_seconds is 20"):
        observe(cues={"passing_by"}, dwell_seconds=PASSING_SECONDS)
    assert observe(cues={"passing_by"}, dwell_seconds=19.5).dwell_seconds == 19.5


def test_empty_objects_are_rejected():
    with pytest.raises(ValidationError, match=r"objects\n\s+Tuple should have at least 1 item"):
        observe(objects=[])


def test_confidence_above_one_is_rejected():
    with pytest.raises(ValidationError, match=r"confidence\n\s+Input should be less than or equal to 1"):
        ObservedObject(object_class="person", confidence=1.5)
    with pytest.raises(ValidationError, match=r"confidence\n\s+Input should be less than or equal to 1"):
        observe(objects=[{"object_class": "person", "confidence": 1.5}])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("violence_score", 1.2, "less than or equal to 1"),
    ("image_quality", -0.1, "greater than or equal to 0"),
    ("dwell_seconds", float("nan"), "finite number"),
    ("cross_camera_matches", 21, "less than or equal to 20"),
    ("baseline_expected_count", -1, "greater than or equal to 0"),
])
def test_out_of_scale_numbers_are_rejected(field, value, message):
    with pytest.raises(ValidationError, match=rf"{field}\n\s+Input should be (a )?{message}"):
        observe(**{field: value})


def test_unknown_cues_and_fields_are_rejected():
    with pytest.raises(ValidationError, match=r"cues\.0\n\s+Input should be 'passing_by'"):
        observe(cues=["breaking_in"])
    with pytest.raises(ValidationError, match=r"mood\n\s+Extra inputs are not permitted"):
        observe(mood="tense")
    with pytest.raises(ValidationError, match=r"object_class\n\s+Input should be 'person'"):
        ObservedObject(object_class="package")


def test_observations_are_frozen():
    obs = observe()
    with pytest.raises(ValidationError, match="frozen"):
        obs.zone = "driveway"


def test_object_counts_and_mean_confidence_are_weighted_by_count():
    obs = observe(objects=[ObservedObject(object_class="person", count=3, confidence=0.9),
                           ObservedObject(object_class="dog", confidence=0.5),
                           ObservedObject(object_class="truck", count=2)])
    assert (obs.count("person"), obs.count("animal"), obs.count("vehicle"), obs.observed_count) == (3, 1, 2, 6)
    assert obs.mean_confidence == pytest.approx((3 * 0.9 + 0.5) / 4)


@pytest.mark.parametrize("obs", [
    Observation(zone="front_door", time_of_day="midday", objects=[PERSON]),
    Observation(zone="side_gate", time_of_day="late_night", entry_point=True, day_type="holiday", lighting="infrared",
                weather="fog", objects=[ObservedObject(object_class="person", count=2, confidence=0.71), CAR],
                cues={"loitering", "face_concealed", "approaching_entry"}, dwell_seconds=61.5,
                baseline_expected_count=0, cross_camera_matches=2, unreadable_plates=1, violence_score=0.35,
                pose="crouching", image_quality=0.25),
], ids=["minimal", "every_field"])
def test_observation_round_trips_through_json(obs):
    text = obs.model_dump_json()
    back = Observation.model_validate_json(text)
    assert back == obs
    assert back.model_dump_json() == text
    assert isinstance(back.cues, frozenset) and isinstance(back.objects, tuple)
