"""The curated example set the project ships: about twenty cases a security analyst would sign.

In the curated folder format, written from the data below by `write_examples(root)` (sorted keys,
indent 2, a final newline: the same bytes on every run), so the set is reproducible and reviewable
here. The labels are an analyst's, not the rubric's: they were not tuned to agree with it
(secassets.curated.agreement measures how far it does). A few cases use other vocabularies
(front_porch, side_yard, driveway_gate, street_view, dawn, dusk, day, varies), one has only a
scene and detections, one sits in a nested category.

    python -m secassets.curated.examples [ROOT]    # default: data/curated_examples/
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

from secassets.core.vocabulary import CURATED_EXAMPLES_DIR
from secassets.curated.loader import LABELS_FILE, SPEC_FILE
from secassets.storage.files import write_json


def _det(cls: str, confidence: float, count: int = 1) -> dict[str, Any]:
    return {"class": cls, "count": count, "min_confidence": confidence}


def _risk(low: int, high: int, level: str) -> dict[str, Any]:
    return {"min_score": low, "max_score": high, "level": level}


def _scene(location: str, time_of_day: str, weather: str = "clear", **more: str) -> dict[str, Any]:
    return {"location": location, "time_of_day": time_of_day, "weather": weather, **more}


# (category, case_id, scenario name or None for no scenario_spec.json, expected labels)
EXAMPLES: Final[tuple[tuple[str, str, str | None, dict[str, Any]], ...]] = (
    ("normal", "normal_001_courier_front_porch_day", "Courier leaves a parcel at the front door at midday", {
        "detections": [_det("person", 0.8)], "face": {"detected": True, "visible": True},
        "action": {"action": "delivering", "is_suspicious": False}, "pose": {"is_suspicious": False},
        "clothing": {"upper": "hi-vis vest"}, "scene": _scene("front_porch", "day"), "risk": _risk(0, 25, "low")}),
    ("normal", "normal_002_resident_arrives_driveway_dusk", "Resident parks and walks to the house at dusk", {
        "detections": [_det("car", 0.85), _det("person", 0.75)], "face": {"detected": True, "known": True},
        "license_plate": {"detected": True, "known": True, "readable": True},
        "action": {"action": "walking", "is_suspicious": False}, "scene": _scene("driveway", "dusk", "overcast"),
        "risk": _risk(0, 20, "low")}),
    ("normal", "normal_003_household_cat_backyard_night", "The household cat crosses the back yard at night", {
        "detections": [_det("cat", 0.6)], "pet": {"species": "cat", "known": True},
        "scene": _scene("backyard", "night", lighting="infrared"), "risk": _risk(0, 15, "low")}),
    ("normal", "normal_004_jogger_street_view_dawn", "A jogger runs past on the street at dawn", {
        "detections": [_det("person", 0.7)], "action": {"action": "jogging", "is_suspicious": False},
        "scene": _scene("street_view", "dawn"), "risk": _risk(0, 20, "low")}),
    ("normal", "normal_005_mail_carrier_front_door_morning", "Mail carrier drops letters in the morning", {
        "detections": [_det("person", 0.9), _det("handbag", 0.6)], "face": {"detected": True, "visible": True},
        "action": {"action": "delivery"}, "scene": _scene("front_door", "morning"), "risk": _risk(0, 25, "low")}),
    ("normal", "normal_006_stray_dog_side_yard_day", "A neighbour's dog wanders through the side yard", {
        "detections": [_det("dog", 0.8)], "pet": {"species": "dog", "known": False},
        "scene": _scene("side_yard", "day"), "risk": _risk(0, 25, "low")}),
    ("normal", "normal_007_parked_car_driveway_gate_day", None, {
        "detections": [_det("car", 0.9)], "scene": {"location": "driveway_gate", "time_of_day": "day"},
        "risk": _risk(0, 25, "low")}),
    ("normal", "normal_008_gardener_garden_varies", "The weekly gardener at work in the back garden", {
        "detections": [_det("person", 0.85)], "action": {"action": "gardening", "is_suspicious": False},
        "scene": _scene("garden", "varies"), "risk": _risk(0, 30, "low")}),
    ("external/normal", "ext_normal_001_family_returns_garage_afternoon", "Family comes home by car", {
        "detections": [_det("car", 0.9), _det("person", 0.8, count=2)], "face": {"recognized": True},
        "license_plate": {"known": True}, "ocr": {"text": "plate partially read"},
        "scene": _scene("garage", "afternoon"), "risk": _risk(0, 20, "low")}),
    ("suspicious", "suspicious_001_loiterer_side_gate_night", "Unknown person lingers at the side gate at night", {
        "detections": [_det("person", 0.7)], "face": {"detected": True, "visible": False},
        "action": {"action": "loitering", "is_suspicious": True}, "pose": {"is_suspicious": True},
        "scene": _scene("side_gate", "night"), "risk": _risk(35, 60, "medium")}),
    ("suspicious", "suspicious_002_window_peeking_back_yard_dusk", "Stranger looks into the back windows", {
        "detections": [_det("person", 0.75)], "action": {"action": "window_peeking", "is_suspicious": True},
        "scene": _scene("back_yard", "dusk"), "risk": _risk(40, 60, "medium")}),
    ("suspicious", "suspicious_003_idling_car_driveway_late_night", "Unknown car idles at the driveway at 2 am", {
        "detections": [_det("car", 0.8)], "action": {"action": "idling", "is_suspicious": True},
        "license_plate": {"detected": True, "readable": False}, "scene": _scene("driveway", "late_night"),
        "risk": _risk(30, 55, "medium")}),
    ("suspicious", "suspicious_004_hooded_visitor_front_porch_dusk", "Hooded visitor walks up to the door", {
        "detections": [_det("person", 0.8)], "face": {"detected": True, "visible": False, "concealed": True},
        "action": {"action": "approaching_door", "is_suspicious": True},
        "scene": _scene("front_porch", "dusk", "light_rain"), "risk": _risk(30, 55, "medium")}),
    ("suspicious", "suspicious_005_car_casing_driveway_gate_varies", None, {
        "detections": [_det("car", 0.7)], "action": {"action": "casing", "is_suspicious": True},
        "scene": _scene("driveway_gate", "varies"), "risk": _risk(30, 55, "medium")}),
    ("suspicious", "suspicious_006_two_people_backyard_late_night", "Two strangers stand in the back yard", {
        "detections": [_det("person", 0.65, count=2)], "action": {"action": "standing", "is_suspicious": True},
        "scene": _scene("backyard", "late_night", lighting="infrared"), "risk": _risk(40, 60, "medium")}),
    ("suspicious", "suspicious_007_crouching_by_car_driveway_night", "Someone crouches beside the parked car", {
        "detections": [_det("person", 0.6), _det("car", 0.85)], "pose": {"pose": "crouching", "is_suspicious": True},
        "scene": _scene("driveway", "night"), "risk": _risk(35, 60, "medium")}),
    ("threats", "threat_001_forced_entry_side_yard_night", "Intruder pries the side door with a crowbar", {
        "detections": [_det("person", 0.8), _det("crowbar", 0.55)], "face": {"detected": True, "visible": False},
        "action": {"action": "forced_entry", "is_suspicious": True}, "scene": _scene("side_yard", "night"),
        "risk": _risk(75, 100, "critical")}),
    ("threats", "threat_002_package_theft_front_porch_day", "Passer-by takes a parcel from the porch", {
        "detections": [_det("person", 0.85)], "action": {"action": "package_theft", "is_suspicious": True},
        "scene": _scene("front_porch", "day"), "risk": _risk(60, 85, "high")}),
    ("threats", "threat_003_armed_masked_person_front_door_late_night", "Masked person with a knife at the door", {
        "detections": [_det("person", 0.8), _det("knife", 0.5)], "face": {"detected": True, "masked": True},
        "action": {"action": "approaching_door", "is_suspicious": True},
        "scene": _scene("front_door", "late_night", lighting="porch_light"), "risk": _risk(85, 100, "critical")}),
    ("threats", "threat_004_fence_climber_backyard_night", "Someone climbs the back fence at night", {
        "detections": [_det("person", 0.7)], "action": {"action": "climbing_fence", "is_suspicious": True},
        "scene": _scene("backyard", "night"), "risk": _risk(61, 85, "high")}),
    ("threats", "threat_005_fight_driveway_dusk", "Two people fight in the driveway", {
        "detections": [_det("person", 0.8, count=2)], "action": {"action": "fighting", "is_suspicious": True},
        "violence": {"score": 0.85}, "scene": _scene("driveway", "dusk"), "risk": _risk(70, 100, "high")}),
    ("threats", "threat_006_vandal_with_bat_driveway_gate_late_night", None, {
        "detections": [_det("person", 0.75), _det("car", 0.9), _det("baseball bat", 0.6)],
        "action": {"action": "vandalism", "is_suspicious": True}, "scene": _scene("driveway_gate", "late_night"),
        "risk": _risk(70, 95, "high")}),
    ("threats", "threat_007_truck_rams_garage_late_night", "A truck rams the garage door", {
        "detections": [_det("truck", 0.85)], "action": {"action": "breaking_in", "is_suspicious": True},
        "license_plate": {"detected": True, "readable": False}, "scene": _scene("garage", "late_night"),
        "risk": _risk(80, 100, "critical")}),
)


def _spec(category: str, case_id: str, name: str, labels: dict[str, Any]) -> dict[str, Any]:
    scene = labels.get("scene", {})
    return {"id": case_id, "category": category.rsplit("/", 1)[-1], "name": name,
            "scene": {k: scene[k] for k in ("location", "time_of_day") if k in scene},
            "environment": {k: scene[k] for k in ("weather", "lighting") if k in scene}}


def write_examples(root: Path) -> list[Path]:
    """Write the example set under root (existing files are replaced, others left); the paths written, sorted."""
    written = []
    for category, case_id, name, labels in EXAMPLES:
        folder = Path(root) / category / case_id
        written.append(write_json(folder / LABELS_FILE, labels))
        if name is not None:
            written.append(write_json(folder / SPEC_FILE, _spec(category, case_id, name, labels)))
    return sorted(written)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CURATED_EXAMPLES_DIR
    print(f"wrote {len(write_examples(target))} files under {target}")
