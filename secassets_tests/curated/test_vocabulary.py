"""The vocabulary tables and the labels -> Observation mapping: honest mappings, notes for the rest, refusals."""

from __future__ import annotations

import pytest

from secassets.core.vocabulary import CAMERA_LOCATION, DAY_TYPE, LIGHTING, OBJECT_TYPES, POSES, TIME_OF_DAY, WEATHER
from secassets.curated import vocabulary as table
from secassets.curated.labels import ExpectedLabels
from secassets.curated.mapping import observation_of_labels
from secassets.risk.cues import CUES

RISK = {"min_score": 0, "max_score": 25, "level": "low"}
PERSON = {"class": "person"}


SCENE = {"location": "front_door", "time_of_day": "night"}


def labels(**blocks) -> ExpectedLabels:
    return ExpectedLabels.model_validate({"detections": [PERSON], "scene": SCENE, "risk": RISK, **blocks})


@pytest.mark.parametrize(("field", "value", "ours"), [
    ("scene.location", "front_porch", "front_door"), ("scene.location", "porch", "front_door"),
    ("scene.location", "doorstep", "front_door"), ("scene.location", "driveway_gate", "driveway"),
    ("scene.location", "garage", "driveway"), ("scene.location", "back_yard", "backyard"),
    ("scene.location", "patio", "backyard"), ("scene.location", "side_yard", "side_gate"),
    ("scene.location", "side_gate_path", "side_gate"), ("scene.location", "alley", "side_gate"),
    ("scene.location", "street_view", None), ("scene.location", "parking_lot", None),
    ("scene.time_of_day", "dawn", "morning"), ("scene.time_of_day", "early_morning", "morning"),
    ("scene.time_of_day", "day", "midday"), ("scene.time_of_day", "afternoon", "midday"),
    ("scene.time_of_day", "dusk", "evening"), ("scene.time_of_day", "night", "night"),
    ("scene.time_of_day", "midnight", "late_night"), ("scene.time_of_day", "varies", None),
    ("detections.class", "motorbike", "motorcycle"), ("detections.class", "bicycle", "bicycle"),
    ("detections.class", "knife", "carrying_weapon"), ("detections.class", "baseball bat", "carrying_weapon"),
    ("detections.class", "crowbar", "carrying_tool"), ("detections.class", "backpack", table.CARRIED_ITEM),
    ("detections.class", "umbrella", table.CARRIED_ITEM), ("detections.class", "horse", "animal"),
    ("detections.class", "scissors", None), ("detections.class", "parcel", table.PARCEL),
    ("detections.class", "lorry", "truck"), ("detections.class", "pedestrian", "person"),
    ("detections.class", "van", "vehicle"), ("action.action", "stealing", table.TAKING_OBJECT),
    ("clothing.items", "balaclava", "face_concealed"), ("clothing.items", "gloves", None),
    ("threats.type", "intrusion", "forcing_entry"), ("threats.type", "trespass", None),
    ("action.action", "walking", "walking"), ("action.action", "crouching", "crouching"),
    ("action.action", "loitering", "loitering"), ("action.action", "delivery", "delivering"),
    ("action.action", "package_theft", "taking_package"), ("action.action", "forced_entry", "forcing_entry"),
    ("action.action", "door_handle", "trying_handles"), ("action.action", "climbing_fence", "climbing"),
    ("action.action", "assault", "attacking"), ("action.action", "vandalism", "damaging_property"),
    ("action.action", "window_peeking", "peering_in_windows"), ("action.action", "approaching_door", "approaching_entry"),
    ("action.action", "casing", "circling"), ("action.action", "sitting", None),
    ("scene.weather", "sunny", "clear"), ("scene.weather", "rain", None), ("scene.lighting", "ir", "infrared"),
    ("scene.lighting", "night", None),
])
def test_table_entries(field, value, ours):
    mapped, note = table.lookup(field, value)
    assert mapped == ours
    assert (note == "") == (ours is not None)


@pytest.mark.parametrize("value", ["Front Porch", "front-porch", "  FRONT_PORCH "])
def test_values_are_matched_after_normalizing(value):
    assert table.lookup("scene.location", value) == ("front_door", "")


@pytest.mark.parametrize(("field", "value", "note"), [
    ("scene.time_of_day", "varies", "scene.time_of_day 'varies' names no single time of day"),
    ("scene.location", "", "scene.location '' names no single camera zone"),
    ("scene.location", "street_view", "scene.location 'street_view' is not a camera zone we know"),
    ("scene.location", "rooftop", "scene.location 'rooftop' is not in the camera zone table"),
    ("action.action", "sitting", "action.action 'sitting' is not an action we know"),
])
def test_not_available_values_say_why(field, value, note):
    assert table.lookup(field, value) == (None, note)


def test_every_target_is_in_our_vocabulary():
    targets = {
        "LOCATIONS": (table.LOCATIONS, set(CAMERA_LOCATION)), "TIMES": (table.TIMES, set(TIME_OF_DAY)),
        "CLASSES": (table.CLASSES, set(OBJECT_TYPES) | set(CUES) | {table.PARCEL, table.CARRIED_ITEM}),
        "ACTIONS": (table.ACTIONS, set(POSES) | set(CUES) | {table.TAKING_OBJECT, table.LEAVING_OBJECT}),
        "WEATHER": (table.WEATHER, set(WEATHER)), "LIGHTING": (table.LIGHTING, set(LIGHTING)),
        "CLOTHING": (table.CLOTHING, set(CUES)), "THREATS": (table.THREATS, set(CUES) | {table.TAKING_OBJECT}),
    }
    for name, (mapping, allowed) in targets.items():
        assert {v for v in mapping.values() if v is not None} <= allowed, name
        assert all(table.normalized(k) == k for k in mapping), f"{name} has a key that lookups never match"
        assert not set(mapping) & {k for k in table.UNSPECIFIED if mapping.get(k) is not None}, name


def test_our_own_names_map_to_themselves():
    for ours, mapping in ((CAMERA_LOCATION, table.LOCATIONS), (TIME_OF_DAY, table.TIMES), (OBJECT_TYPES, table.CLASSES),
                          (POSES, table.ACTIONS), (WEATHER, table.WEATHER), (LIGHTING, table.LIGHTING)):
        assert all(mapping[v] == v for v in ours)


def test_markdown_lists_every_value_of_every_table():
    md = table.mapping_markdown()
    for _, mapping in table.TABLES.values():
        for key in mapping:
            assert key in md
    assert "| `carrying_weapon` (cue) |" in md and "| `crouching` (pose) |" in md


def test_full_labels_map_to_the_observation():
    obs, notes = observation_of_labels(ExpectedLabels.model_validate({
        "detections": [{"class": "person", "count": 2, "min_confidence": 0.7}, {"class": "Car"},
                       {"class": "knife"}, {"class": "backpack"}],
        "face": {"detected": True, "masked": True}, "pose": {"pose": "kneeling", "is_suspicious": True},
        "action": {"action": "Climbing Fence"}, "license_plate": {"readable": False}, "violence": {"score": 0.5},
        "scene": {"location": "side_yard", "time_of_day": "dusk", "weather": "foggy", "lighting": "dusk",
                  "day_type": "weekend"},
        "risk": {"min_score": 70, "max_score": 100, "level": "critical"},
    }))
    assert (obs.zone, obs.time_of_day, obs.weather, obs.lighting, obs.day_type) == (
        "side_gate", "evening", "fog", "dusk", "weekend")
    assert [(o.object_class, o.count, o.confidence) for o in obs.objects] == [("person", 2, 0.7), ("car", 1, None)]
    assert obs.cues == {"carrying_weapon", "face_concealed", "climbing"}
    assert (obs.pose, obs.unreadable_plates, obs.violence_score, obs.flagged_suspicious) == ("kneeling", 1, 0.5, True)
    assert notes == ["detections.class 'backpack': a carried item, no evidence by itself"]


def test_only_scene_and_detections_is_enough():
    obs, notes = observation_of_labels(labels(scene={"location": "driveway_gate", "time_of_day": "day"}))
    assert (obs.zone, obs.time_of_day, obs.cues, obs.pose) == ("driveway", "midday", frozenset(), None)
    assert notes == []


def test_unknown_location_and_time_are_not_available_with_notes():
    obs, notes = observation_of_labels(labels(scene={"location": "street_view", "time_of_day": "varies"}))
    assert obs.zone is None and obs.time_of_day is None
    assert notes == ["scene.location 'street_view' is not a camera zone we know",
                     "scene.time_of_day 'varies' names no single time of day"]


def test_missing_scene_is_noted():
    obs, notes = observation_of_labels(ExpectedLabels.model_validate({"detections": [PERSON], "risk": RISK}))
    assert obs.zone is None and obs.time_of_day is None
    assert notes == ["scene is not labeled: zone and time of day not available"]


def test_unknown_class_beside_a_person_is_a_note():
    obs, notes = observation_of_labels(labels(detections=[PERSON, {"class": "hoverboard"}]))
    assert [o.object_class for o in obs.objects] == ["person"]
    assert "detections.class 'hoverboard' is not in the object class table" in notes


def test_face_not_visible_is_not_concealment():
    obs, notes = observation_of_labels(labels(face={"detected": True, "visible": False}))
    assert "face_concealed" not in obs.cues
    assert "face.visible false: the person cannot be recognised (no resident); not concealment" in notes
    assert "known_resident" not in obs.cues


@pytest.mark.parametrize(("face", "cue"), [({"concealed": True}, "face_concealed"), ({"masked": True}, "face_concealed"),
                                           ({"known": True}, "known_resident"), ({"recognized": True}, "known_resident")])
def test_face_flags(face, cue):
    assert observation_of_labels(labels(face=face))[0].cues == {cue}


def test_plate_and_pet_flags_need_their_actor():
    obs, notes = observation_of_labels(labels(license_plate={"known": True, "readable": False}, pet={"household": True}))
    assert obs.cues == frozenset() and obs.unreadable_plates is None
    assert notes == ["license_plate is labeled but no vehicle is among the detections: not used",
                     "pet is labeled known but no animal is among the detections: not used"]
    obs, notes = observation_of_labels(labels(detections=[{"class": "truck"}, {"class": "dog"}],
                                              license_plate={"known": True}, pet={"known": True}))
    assert obs.cues == {"known_plate", "known_pet"} and notes == []


def test_action_pose_and_labeled_pose_disagree():
    obs, notes = observation_of_labels(labels(action={"action": "walking"}, pose={"pose": "crawling"}))
    assert obs.pose == "crawling"
    assert notes == ["action 'walking' and pose.pose 'crawling' differ: pose.pose kept"]


def test_a_suspicious_flag_is_evidence_and_false_or_missing_is_no_flag():
    plain = observation_of_labels(labels(action={"action": "standing"}))[0]
    flagged = observation_of_labels(labels(action={"action": "standing", "is_suspicious": True},
                                           pose={"is_suspicious": False}))[0]
    cleared = observation_of_labels(labels(clothing={"items": ["balaclava"], "is_suspicious": False}))
    assert plain.flagged_suspicious is None and flagged.flagged_suspicious is True
    assert cleared[0].flagged_suspicious is False and "face_concealed" not in cleared[0].cues
    assert "clothing 'balaclava' is marked not suspicious: not read as concealment" in cleared[1]


@pytest.mark.parametrize(("blocks", "message"), [
    ({"detections": []}, r"no detection maps to a person, vehicle or animal \(detections: none\)"),
    ({"detections": [{"class": "knife"}, {"class": "backpack"}]}, r"detections: 'knife', 'backpack'"),
])
def test_labels_the_rubric_cannot_read_raise(blocks, message):
    with pytest.raises(ValueError, match=message):
        observation_of_labels(labels(**blocks))


@pytest.mark.parametrize(("blocks", "dropped", "note"), [
    ({"detections": [{"class": "car"}], "face": {"masked": True}}, "face_concealed",
     "cue face_concealed needs person in view: not used"),
    ({"face": {"masked": True, "known": True}}, "face_concealed",
     "known_resident and face_concealed cannot both hold: face_concealed not used"),
    ({"detections": [{"class": "dog"}], "action": {"action": "loitering"}}, "loitering",
     "cue loitering needs person in view: not used"),
])
def test_a_cue_the_rubric_cannot_hold_with_the_rest_is_left_out_with_a_note(blocks, dropped, note):
    obs, notes = observation_of_labels(labels(**blocks))
    assert dropped not in obs.cues and note in notes


@pytest.mark.parametrize(("count", "read"), [(3, 3), ("3", 3), ("2-3", 2), ("4+", 4), ("several", 2), ("two", 2),
                                             (2.0, 2), ("1 to 2", 1)])
def test_counts_are_read_by_the_stated_rule(count, read):
    obs, _ = observation_of_labels(labels(detections=[{"class": "person", "count": count}]))
    assert obs.objects[0].count == read


def test_threats_give_their_cue_and_the_gravest_severity_and_parcels_give_taking_verbs_their_cue():
    obs, _ = observation_of_labels(labels(
        detections=[PERSON, {"class": "parcel"}], action={"action": "grabbing"},
        threats=[{"type": "trespass", "severity": "medium"}, {"type": "intrusion", "severity": "High"}]))
    assert obs.cues == {"taking_package", "forcing_entry"} and obs.threat_severity == "high"
    obs, notes = observation_of_labels(labels(action={"action": "grabbing"}, threat={"type": "vandalism"}))
    assert obs.cues == {"damaging_property"} and obs.threat_severity is None
    assert "'action.action grabbing' with no parcel among the detections: no cue" in notes


def test_violence_detected_without_a_score_and_unread_keys():
    obs, notes = observation_of_labels(labels(violence={"detected": True}, caption="a man", depth={"distance_m": 3}))
    assert obs.violence_score == table.VIOLENCE_DETECTED_SCORE
    assert notes[-2:] == ["caption: not used by the rubric", "depth: not used by the rubric"]


def test_day_type_outside_ours_is_noted():
    obs, notes = observation_of_labels(labels(scene={"location": "porch", "time_of_day": "night", "day_type": "payday"}))
    assert obs.day_type is None and "scene.day_type 'payday' is not a day type we know" in notes
    assert set(DAY_TYPE) == {"weekday", "weekend", "holiday"}
