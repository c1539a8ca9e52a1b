"""External labeled evaluation set of home-camera events.

This set was written by a home-security analyst outside the project, working for another
company, in that team's own vocabulary (detector class names, camera zones, times, weather,
action phrases and clothing words are the team's words, deliberately varied, and not the
project's). Every label, and in particular every ``risk`` verdict, comes from the analyst's
judgment of the event as a whole, as they would sign it off in a review; none of it was
derived from the project's scoring rubric or from any numeric formula.

Risk bands are on a 0-100 scale (low 0-29, medium 30-59, high 60-84, critical 85-100); the
``min_score``/``max_score`` pair is the band the analyst would accept for that event.

``EXTERNAL_CASES`` is the held-out set; ``DEV_CASES`` is a separate, smaller set of distinct
scenes in the same style, for development. Each entry is ``(category, case_id, labels)`` where
category is one of the folder names ``normal``, ``suspicious`` or ``threats``.
``write_cases`` lays a set out as ``<root>/<category>/<case_id>/expected_labels.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATEGORIES = ("normal", "suspicious", "threats")


def _case(
    risk: tuple[str, int, int],
    *,
    det: list[tuple[Any, ...]] | None = None,
    scene: tuple[str, ...] | None = None,
    face: dict[str, bool] | None = None,
    pose: tuple[str, bool] | None = None,
    action: tuple[str, bool] | None = None,
    clothing: tuple[list[str], bool] | None = None,
    threats: list[tuple[str, str]] | None = None,
    violence: tuple[bool, float | None] | None = None,
    distance: float | None = None,
    caption: str | None = None,
    plate: tuple[bool, bool] | None = None,
    pet: bool | None = None,
) -> dict[str, Any]:
    """Build one expected_labels dict from compact analyst notes."""
    level, lo, hi = risk
    labels: dict[str, Any] = {"risk": {"level": level, "min_score": lo, "max_score": hi}}
    if det is not None:
        detections = []
        for item in det:
            entry: dict[str, Any] = {"class": item[0], "count": item[1]}
            if len(item) > 2:
                entry["min_confidence"] = item[2]
            detections.append(entry)
        labels["detections"] = detections
    if scene is not None:
        keys = ("location", "time_of_day", "weather", "lighting")
        labels["scene"] = dict(zip(keys, scene))
    if face is not None:
        labels["face"] = dict(face)
    if pose is not None:
        labels["pose"] = {"pose": pose[0], "is_suspicious": pose[1]}
    if action is not None:
        labels["action"] = {"action": action[0], "is_suspicious": action[1]}
    if clothing is not None:
        labels["clothing"] = {"items": list(clothing[0]), "is_suspicious": clothing[1]}
    if threats is not None:
        labels["threats"] = [{"type": t, "severity": s} for t, s in threats]
    if violence is not None:
        v: dict[str, Any] = {"detected": violence[0]}
        if violence[1] is not None:
            v["score"] = violence[1]
        labels["violence"] = v
    if distance is not None:
        labels["depth"] = {"distance_m": distance}
    if caption is not None:
        labels["caption"] = caption
    if plate is not None:
        labels["license_plate"] = {"known": plate[0], "readable": plate[1]}
    if pet is not None:
        labels["pet"] = {"known": pet}
    return labels


# Face shorthands (the analyst's usual notes).
RESIDENT = {"detected": True, "visible": True, "concealed": False, "known": True}
STRANGER = {"detected": True, "visible": True, "concealed": False, "known": False}
HIDDEN = {"detected": True, "visible": False, "concealed": True, "known": False}
AWAY = {"detected": False, "visible": False}


# ---------------------------------------------------------------------------
# External (held-out) set
# ---------------------------------------------------------------------------

_EXT_NORMAL: list[tuple[str, dict[str, Any]]] = [
    ("ext_n01_postman_parcel", _case(
        ("low", 0, 20),
        det=[("pedestrian", 1, 0.8), ("parcel", 1)],
        scene=("front entrance", "morning", "clear"),
        face=STRANGER, pose=("standing", False), action=("delivering parcel", False),
        clothing=(["uniform", "cap"], False), distance=2.1,
        caption="Postman in uniform leaves a parcel at the front door and walks back to the street.")),
    ("ext_n02_groceries_drizzle", _case(
        ("low", 0, 15),
        det=[("woman", 1), ("suv", 1), ("handbag", 1)],
        scene=("driveway", "afternoon", "drizzle"),
        face=RESIDENT, action=("unloading groceries", False), plate=(True, True),
        caption="Resident unloads shopping bags from her SUV in light drizzle.")),
    ("ext_n03_jogger_fog", _case(
        ("low", 0, 15),
        det=[("man", 1)],
        scene=("street", "dawn", "fog"),
        face=AWAY, pose=("running", False), action=("jogging", False),
        clothing=(["running tights", "hi-vis vest"], False),
        caption="A jogger passes along the pavement in the early fog.")),
    ("ext_n04_dog_walker", _case(
        ("low", 0, 12),
        det=[("woman", 1), ("dog", 1)],
        scene=("street", "early evening", "clear"),
        face=STRANGER, action=("walking dog", False), pet=False,
        caption="Woman walks her dog past the house on the public pavement.")),
    ("ext_n05_fox_garden", _case(
        ("low", 0, 10),
        det=[("fox", 1, 0.6)],
        scene=("back garden", "night", "clear", "infrared"),
        action=("sniffing around lawn", False), distance=6.5,
        caption="A fox trots across the back lawn under IR.")),
    ("ext_n06_kids_playing", _case(
        ("low", 0, 10),
        det=[("child", "2-3")],
        scene=("back garden", "afternoon", "clear", "daylight"),
        face=RESIDENT, pose=("running", False), action=("playing", False),
        caption="The resident children play tag on the lawn.")),
    ("ext_n07_mowing", _case(
        ("low", 0, 10),
        det=[("man", 1)],
        scene=("rear yard", "morning", "clear"),
        face=RESIDENT, action=("mowing lawn", False),
        caption="Homeowner mows the rear lawn.")),
    ("ext_n08_gardening_kneel", _case(
        ("low", 0, 12),
        det=[("woman", 1)],
        scene=("back garden", "late morning", "overcast"),
        face=RESIDENT, pose=("kneeling", False), action=("gardening", False),
        clothing=(["gloves", "sun hat"], False),
        caption="Resident kneels at the flower bed weeding, wearing garden gloves.")),
    ("ext_n09_stray_cat_porch", _case(
        ("low", 0, 8),
        det=[("cat", 1)],
        scene=("porch", "night", "clear", "porch light"),
        pet=False,
        caption="A neighbour's cat sits on the porch step.")),
    ("ext_n10_own_dog", _case(
        ("low", 0, 8),
        det=[("dog", 1, 0.9)],
        scene=("back garden", "afternoon", "windy"),
        action=("playing", False), pet=True,
        caption="The family dog chases leaves around the garden.")),
    ("ext_n11_parking_rain", _case(
        ("low", 0, 15),
        det=[("vehicle", 1), ("man", 1)],
        scene=("garage", "late evening", "rain"),
        face=RESIDENT, action=("parking", False), plate=(True, True),
        caption="Resident reverses his car into the garage in the rain.")),
    ("ext_n12_courier_van", _case(
        ("low", 5, 22),
        det=[("van", 1), ("man", 1), ("box", 1)],
        scene=("driveway", "afternoon", "clear"),
        face=STRANGER, action=("delivering parcel", False),
        clothing=(["hi-vis vest", "uniform"], False), plate=(False, True),
        caption="Courier in hi-vis carries a box from his van up the driveway.")),
    ("ext_n13_mailbox_snow", _case(
        ("low", 0, 10),
        det=[("man", 1)],
        scene=("front entrance", "morning", "snow"),
        face=RESIDENT, action=("checking mailbox", False),
        clothing=(["winter coat", "beanie"], False),
        caption="Resident checks the mailbox in falling snow.")),
    ("ext_n14_deer_dawn", _case(
        ("low", 0, 8),
        det=[("deer", 2)],
        scene=("back garden", "dawn", "fog"),
        action=("grazing", False), distance=14.0,
        caption="Two deer graze at the far end of the garden in fog.")),
    ("ext_n15_birds_feeder", _case(
        ("low", 0, 5),
        det=[("bird", "several")],
        scene=("back garden", "afternoon", "windy"),
        caption="Several birds at the feeder.")),
    ("ext_n16_pedestrians_street", _case(
        ("low", 0, 12),
        det=[("pedestrian", "4+")],
        scene=("street", "afternoon", "clear"),
        action=("walking past", False), distance=18.0,
        caption="A steady flow of pedestrians passes on the far pavement.")),
    ("ext_n17_cyclist_rain", _case(
        ("low", 0, 10),
        det=[("bicycle", 1), ("man", 1)],
        scene=("street", "morning", "rain"),
        face=AWAY, action=("cycling past", False),
        caption="A cyclist in a rain jacket rides past.")),
    ("ext_n18_family_home", _case(
        ("low", 0, 10),
        det=[("man", 1), ("woman", 1), ("child", 2), ("suv", 1)],
        scene=("driveway", "evening", "clear", "street lights"),
        face=RESIDENT, action=("arriving home", False), plate=(True, True),
        caption="The family gets out of their SUV and walks to the door.")),
    ("ext_n19_meter_reader", _case(
        ("low", 8, 28),
        det=[("man", 1)],
        scene=("side passage", "morning", "clear"),
        face=STRANGER, pose=("standing", False), action=("reading meter", False),
        clothing=(["uniform", "hi-vis vest", "lanyard"], False),
        caption="Utility meter reader in uniform reads the meter by the side door.")),
    ("ext_n20_raccoon_bins", _case(
        ("low", 0, 12),
        det=[("raccoon", 1, 0.55)],
        scene=("rear yard", "midnight", "clear", "infrared"),
        action=("knocking over bin", False),
        caption="A raccoon tips over the recycling bin.")),
    ("ext_n21_visitor_doorbell", _case(
        ("low", 5, 22),
        det=[("woman", 1)],
        scene=("front entrance", "afternoon", "clear"),
        face=STRANGER, pose=("standing", False), action=("ringing doorbell", False),
        distance=1.2,
        caption="A woman rings the doorbell and waits facing the camera.")),
    ("ext_n22_leaving_work", _case(
        ("low", 0, 10),
        det=[("man", 1), ("backpack", 1)],
        scene=("front entrance", "dawn", "drizzle"),
        face=RESIDENT, action=("locking front door", False),
        caption="Resident locks the front door and leaves with his backpack.")),
    ("ext_n23_pool_family", _case(
        ("low", 0, 8),
        det=[("child", 2), ("woman", 1)],
        scene=("pool area", "afternoon", "clear", "bright sun"),
        face=RESIDENT, action=("swimming", False),
        caption="Mother and two children swim in the pool.")),
    ("ext_n24_scooter_passing", _case(
        ("low", 5, 20),
        det=[("scooter", 1), ("pedestrian", 1)],
        scene=("street", "late evening", "clear", "street lights"),
        face=AWAY, action=("riding past", False),
        caption="Someone rides an e-scooter past the house without slowing.")),
    ("ext_n25_pizza_night", _case(
        ("low", 10, 28),
        det=[("man", 1), ("box", 1), ("scooter", 1)],
        scene=("front entrance", "night", "rain", "porch light"),
        face=STRANGER, action=("ringing doorbell", False),
        clothing=(["branded jacket", "helmet"], False),
        caption="Food delivery rider with a pizza box rings the bell; the door opens and he hands it over.")),
    ("ext_n26_bin_lorry", _case(
        ("low", 0, 10),
        det=[("lorry", 1), ("man", 2)],
        scene=("street", "morning", "clear"),
        action=("emptying bins", False), clothing=(["hi-vis vest", "gloves"], False),
        caption="Refuse lorry crew empties the wheelie bins at the kerb.")),
    ("ext_n27_neighbour_fence", _case(
        ("low", 0, 12),
        det=[("woman", 1), ("man", 1)],
        scene=("front garden", "afternoon", "clear"),
        face={"detected": True, "visible": True, "known": True}, action=("chatting over fence", False),
        caption="Resident chats with the next-door neighbour over the low front fence.")),
    ("ext_n28_shovel_snow", _case(
        ("low", 0, 8),
        det=[("man", 1)],
        scene=("driveway", "morning", "snow"),
        face=RESIDENT, action=("shovelling snow", False),
        clothing=(["gloves", "balaclava", "winter coat"], False),
        caption="Resident in winter gear, face wrap and gloves, clears snow off the driveway.")),
    ("ext_n29_pickup_parked", _case(
        ("low", 5, 20),
        det=[("pickup", 1)],
        scene=("street", "afternoon", "clear"),
        action=("parking", False), plate=(False, True), distance=12.0,
        caption="A pickup parks across the street and the driver walks into a neighbour's house.")),
    ("ext_n30_kids_bikes", _case(
        ("low", 0, 8),
        det=[("child", 2), ("bicycle", 2)],
        scene=("driveway", "afternoon", "clear"),
        face=RESIDENT, action=("riding bikes", False),
        caption="The kids ride their bikes in circles on the driveway.")),
    ("ext_n31_bins_night", _case(
        ("low", 0, 12),
        det=[("man", 1)],
        scene=("side passage", "night", "windy", "security light"),
        face=RESIDENT, action=("taking out bins", False),
        caption="Resident wheels the bins out through the side passage.")),
    ("ext_n32_parcel_waiting", _case(
        ("low", 0, 10),
        det=[("parcel", 1, 0.7)],
        scene=("porch", "afternoon", "clear"),
        caption="A delivered parcel sits on the porch; nobody in frame.")),
    ("ext_n33_window_cleaner", _case(
        ("low", 10, 28),
        det=[("man", 1)],
        scene=("front of house", "morning", "clear"),
        face=STRANGER, action=("cleaning windows", False),
        clothing=(["hi-vis vest"], False),
        caption="The regular window cleaner works from a ladder on the front windows.")),
    ("ext_n34_headlights_turn", _case(
        ("low", 5, 18),
        det=[("vehicle", 1, 0.5)],
        scene=("driveway", "night", "rain"),
        action=("turning around", False), plate=(False, False),
        caption="A car uses the end of the driveway to turn around and drives off.")),
    ("ext_n35_late_shift", _case(
        ("low", 5, 20),
        det=[("woman", 1), ("handbag", 1)],
        scene=("front entrance", "2am", "clear", "porch light"),
        face=RESIDENT, pose=("standing", False), action=("unlocking front door", False),
        clothing=(["scrubs", "coat"], False),
        caption="Resident nurse returns from a night shift and lets herself in.")),
]

_EXT_SUSPICIOUS: list[tuple[str, dict[str, Any]]] = [
    ("ext_s01_peeking_window_night", _case(
        ("high", 60, 80),
        det=[("man", 1, 0.7)],
        scene=("back garden", "night", "clear", "infrared"),
        face=STRANGER, pose=("standing", True), action=("peeking through window", True),
        clothing=(["hoodie up", "dark clothing"], True), threats=[("trespass", "medium")],
        distance=1.5,
        caption="An unknown man in a hood stands at the back window cupping his hands to look inside.")),
    ("ext_s02_loiter_opposite", _case(
        ("medium", 30, 50),
        det=[("pedestrian", 1)],
        scene=("street", "late evening", "clear", "street lights"),
        face=STRANGER, pose=("standing", False), action=("loitering", True), distance=15.0,
        caption="A man stands on the opposite pavement for twenty minutes, repeatedly looking at the house.")),
    ("ext_s03_photos_of_house", _case(
        ("medium", 30, 50),
        det=[("woman", 1)],
        scene=("street", "afternoon", "clear"),
        face=STRANGER, action=("taking photos of house", True),
        caption="A stranger photographs the front of the house, the doors and the camera.")),
    ("ext_s04_car_doors_3am", _case(
        ("high", 65, 84),
        det=[("man", 1), ("vehicle", 1)],
        scene=("driveway", "3am", "clear", "dark"),
        face=HIDDEN, pose=("standing", True), action=("trying car door", True),
        clothing=(["hoodie up", "gloves"], True), threats=[("theft", "medium"), ("trespass", "medium")],
        caption="A hooded man in gloves walks up the driveway at 3am and pulls the car door handle.")),
    ("ext_s05_lurk_side_passage", _case(
        ("high", 60, 80),
        det=[("pedestrian", 1, 0.5)],
        scene=("side passage", "midnight", "drizzle", "infrared"),
        face=AWAY, pose=("crouching", True), action=("lurking", True),
        clothing=(["dark clothing"], False), threats=[("trespass", "medium")],
        caption="A figure crouches in the dark side passage near the gate for several minutes.")),
    ("ext_s06_van_drive_by", _case(
        ("medium", 35, 55),
        det=[("van", 1)],
        scene=("street", "afternoon", "clear"),
        action=("driving slowly past", True), plate=(False, False),
        caption="The same unmarked van drives slowly past three times in an hour, plate obscured.")),
    ("ext_s07_hang_around_door", _case(
        ("medium", 30, 48),
        det=[("man", 1)],
        scene=("front entrance", "afternoon", "clear"),
        face=STRANGER, pose=("standing", False), action=("hanging around", True),
        caption="After ringing with no answer, a man stays on the doorstep looking along the side of the house.")),
    ("ext_s08_backpack_3am", _case(
        ("high", 60, 80),
        det=[("man", 1), ("backpack", 1)],
        scene=("driveway", "3am", "clear", "security light"),
        face=HIDDEN, action=("approaching house", True), clothing=(["hoodie up", "face covering"], True),
        caption="A stranger with a backpack and hood pulled tight walks up the driveway at 3am.")),
    ("ext_s09_prowl_torch", _case(
        ("high", 65, 84),
        det=[("man", 1)],
        scene=("rear yard", "night", "clear", "torch beam"),
        face=AWAY, pose=("standing", True), action=("prowling", True),
        clothing=(["dark clothing", "gloves"], True), threats=[("trespass", "medium")],
        caption="A man sweeps a torch across the rear yard and the back doors.")),
    ("ext_s10_two_near_garage", _case(
        ("medium", 40, 59),
        det=[("pedestrian", "2")],
        scene=("garage", "late evening", "clear"),
        face=STRANGER, action=("loitering", True),
        caption="Two strangers hang about beside the garage door talking quietly.")),
    ("ext_s11_hivis_side_gate", _case(
        ("medium", 40, 59),
        det=[("man", 1)],
        scene=("front entrance", "morning", "clear"),
        face=STRANGER, action=("knocking then checking side gate", True),
        clothing=(["hi-vis vest"], False),
        caption="A man in hi-vis with no parcel or ID knocks hard, waits, then walks round to try the side gate.")),
    ("ext_s12_engine_running", _case(
        ("medium", 30, 50),
        det=[("vehicle", 1), ("man", 1, 0.4)],
        scene=("street", "night", "clear", "street lights"),
        action=("waiting in parked car", True), plate=(False, True), distance=10.0,
        caption="An unfamiliar car idles outside with its lights off and someone inside.")),
    ("ext_s13_teens_street", _case(
        ("medium", 30, 45),
        det=[("pedestrian", "several")],
        scene=("street", "night", "windy"),
        action=("hanging around", True), clothing=(["hoodie up"], False),
        caption="A group of teenagers hangs around under the street light outside.")),
    ("ext_s14_crouch_behind_car", _case(
        ("high", 60, 78),
        det=[("man", 1), ("suv", 1)],
        scene=("driveway", "dawn", "clear"),
        face=AWAY, pose=("crouching", True), action=("hiding behind car", True),
        threats=[("trespass", "medium")],
        caption="Someone crouches behind the parked SUV, out of view from the street.")),
    ("ext_s15_doorbell_midnight", _case(
        ("medium", 40, 59),
        det=[("man", 1)],
        scene=("front entrance", "midnight", "clear", "porch light"),
        face=HIDDEN, action=("ringing doorbell", True), clothing=(["hoodie up"], True),
        caption="A hooded man rings the doorbell at midnight, keeps his head down and leaves.")),
    ("ext_s16_ski_mask_snow", _case(
        ("medium", 28, 45),
        det=[("pedestrian", 1)],
        scene=("street", "night", "snow"),
        face=HIDDEN, action=("walking past", False), clothing=(["ski mask", "gloves", "winter coat"], False),
        caption="Someone in a ski mask and gloves walks past in a snowstorm without stopping.")),
    ("ext_s17_checking_cars", _case(
        ("medium", 45, 59),
        det=[("man", 1), ("vehicle", "3+")],
        scene=("street", "night", "clear"),
        face=STRANGER, action=("looking into parked cars", True),
        caption="A man walks along the street peering into each parked car.")),
    ("ext_s18_child_fence_ball", _case(
        ("low", 10, 28),
        det=[("child", 1)],
        scene=("back garden", "afternoon", "clear"),
        face=STRANGER, action=("climbing over fence", True),
        caption="A neighbour's child climbs over the garden fence to fetch a football and climbs back.")),
    ("ext_s19_garage_4am", _case(
        ("high", 60, 80),
        det=[("man", 1)],
        scene=("driveway", "4am", "clear"),
        face=HIDDEN, pose=("standing", True), action=("inspecting garage door", True),
        clothing=(["gloves", "hoodie up"], True), threats=[("trespass", "medium")],
        caption="A gloved stranger studies the garage door and its lock at 4am.")),
    ("ext_s20_pool_night", _case(
        ("high", 60, 78),
        det=[("pedestrian", 1)],
        scene=("pool area", "night", "clear", "pool lights"),
        face=STRANGER, action=("wandering around", True), threats=[("trespass", "medium")],
        caption="An unknown person wanders around the fenced pool area at night.")),
    ("ext_s21_eyeing_parcel", _case(
        ("medium", 35, 55),
        det=[("man", 1), ("parcel", 1)],
        scene=("street", "afternoon", "clear"),
        face=STRANGER, action=("walking past repeatedly", True),
        caption="A man passes the house three times, each time slowing to look at the parcel on the porch.")),
    ("ext_s22_watching_house", _case(
        ("medium", 35, 55),
        det=[("man", 1)],
        scene=("street", "morning", "clear"),
        face=STRANGER, pose=("standing", False), action=("watching the house", True),
        caption="A man sits on the wall opposite, watching the house and the car leaving.")),
    ("ext_s23_door_handle", _case(
        ("high", 60, 80),
        det=[("man", 1)],
        scene=("front entrance", "late evening", "clear", "porch light"),
        face=STRANGER, action=("trying door handle", True), threats=[("intrusion", "medium")],
        distance=0.9,
        caption="A stranger tries the front door handle, finds it locked and walks away quickly.")),
    ("ext_s24_dark_car_1am", _case(
        ("medium", 40, 59),
        det=[("vehicle", 1), ("man", 2, 0.4)],
        scene=("street", "1am", "clear"),
        action=("sitting in parked car", True), plate=(False, False),
        caption="Two people sit in a car with lights off across the road at 1am.")),
    ("ext_s25_cut_through_garden", _case(
        ("high", 60, 78),
        det=[("pedestrian", 1)],
        scene=("back garden", "dawn", "fog"),
        face=HIDDEN, pose=("running", True), action=("cutting across garden", True),
        clothing=(["hoodie up"], True), threats=[("trespass", "medium")],
        caption="A hooded figure runs across the back garden and out over the rear fence.")),
    ("ext_s26_photos_of_cars", _case(
        ("medium", 35, 55),
        det=[("man", 1), ("vehicle", 2)],
        scene=("driveway", "morning", "clear"),
        face=STRANGER, action=("taking photos of cars", True),
        caption="A stranger steps onto the driveway to photograph the parked cars and their plates.")),
    ("ext_s27_crouch_meter_night", _case(
        ("high", 62, 82),
        det=[("man", 1)],
        scene=("side of house", "night", "clear", "infrared"),
        face=AWAY, pose=("crouching", True), action=("tampering with meter box", True),
        clothing=(["dark clothing", "gloves"], True), threats=[("tampering", "medium")],
        caption="A gloved figure crouches at the electric meter box on the side wall.")),
    ("ext_s28_porch_gloves", _case(
        ("high", 60, 78),
        det=[("man", 1), ("parcel", 1)],
        scene=("porch", "night", "clear", "porch light"),
        face=HIDDEN, pose=("crouching", True), action=("rummaging in parcel box", True),
        clothing=(["gloves", "hoodie up"], True), threats=[("theft", "medium")],
        caption="A hooded man in gloves crouches at the parcel box and tries the lid.")),
    ("ext_s29_scooter_circling", _case(
        ("medium", 45, 59),
        det=[("scooter", 1), ("man", 1)],
        scene=("street", "night", "clear"),
        face=HIDDEN, action=("circling the street", True), clothing=(["balaclava"], True),
        caption="A rider in a balaclava circles the street slowly on a scooter, looking at driveways.")),
    ("ext_s30_torch_garage_2am", _case(
        ("high", 65, 84),
        det=[("pedestrian", 1)],
        scene=("garage", "2am", "clear", "torch beam"),
        face=AWAY, action=("shining torch into garage window", True),
        clothing=(["dark clothing"], False), threats=[("intrusion", "medium")],
        caption="Someone shines a torch through the garage window at 2am, checking what is inside.")),
]

_EXT_THREATS: list[tuple[str, dict[str, Any]]] = [
    ("ext_t01_smash_back_door", _case(
        ("critical", 88, 100),
        det=[("man", 1), ("crowbar", 1, 0.6)],
        scene=("back garden", "3am", "clear", "infrared"),
        face=HIDDEN, pose=("standing", True), action=("smashing window", True),
        clothing=(["balaclava", "gloves"], True),
        threats=[("intrusion", "critical"), ("vandalism", "high")],
        caption="A man in a balaclava smashes the back door glass with a crowbar at 3am.")),
    ("ext_t02_jimmy_front_lock", _case(
        ("critical", 82, 97),
        det=[("man", 1), ("crowbar", 1, 0.5)],
        scene=("front entrance", "night", "drizzle", "porch light"),
        face=HIDDEN, pose=("crouching", True), action=("jimmying the lock", True),
        clothing=(["hoodie up", "gloves"], True), threats=[("intrusion", "high")], distance=0.8,
        caption="A hooded man crouches at the front door levering at the lock.")),
    ("ext_t03_porch_pirate_day", _case(
        ("high", 60, 75),
        det=[("woman", 1), ("parcel", 1)],
        scene=("porch", "afternoon", "clear"),
        face=STRANGER, action=("stealing package", True), threats=[("theft", "medium")],
        caption="A passer-by walks up, picks up the delivered parcel and walks off with it.")),
    ("ext_t04_knife_front_door", _case(
        ("critical", 88, 100),
        det=[("man", 1), ("knife", 1, 0.7)],
        scene=("front entrance", "late evening", "clear", "porch light"),
        face=STRANGER, pose=("standing", True), action=("brandishing knife", True),
        threats=[("weapon", "critical")], distance=1.4,
        caption="A man shouting at the door holds up a large knife.")),
    ("ext_t05_gun_street", _case(
        ("critical", 90, 100),
        det=[("man", 1), ("gun", 1, 0.75)],
        scene=("street", "night", "clear", "street lights"),
        face=STRANGER, action=("waving gun", True), threats=[("weapon", "critical")],
        caption="A man waves a handgun around in the street outside the house.")),
    ("ext_t06_street_fight", _case(
        ("high", 65, 84),
        det=[("man", 2)],
        scene=("street", "night", "clear", "street lights"),
        action=("fighting", True), threats=[("assault", "high")], violence=(True, 0.8),
        caption="Two men exchange punches on the pavement in front of the house.")),
    ("ext_t07_resident_assaulted", _case(
        ("critical", 88, 100),
        det=[("man", 1), ("woman", 1)],
        scene=("driveway", "evening", "clear"),
        face=STRANGER, action=("punching", True), threats=[("assault", "critical")],
        violence=(True, 0.9),
        caption="A stranger punches the resident as she gets out of her car and grabs her bag.")),
    ("ext_t08_graffiti_garage", _case(
        ("high", 55, 72),
        det=[("pedestrian", 1)],
        scene=("garage", "midnight", "clear"),
        face=HIDDEN, action=("spray painting wall", True), clothing=(["hoodie up"], True),
        threats=[("vandalism", "medium")],
        caption="A hooded youth sprays graffiti on the garage door.")),
    ("ext_t09_kick_door_2am", _case(
        ("critical", 82, 96),
        det=[("man", 1)],
        scene=("front entrance", "2am", "clear", "porch light"),
        face=HIDDEN, action=("kicking door", True), clothing=(["hoodie up"], True),
        threats=[("intrusion", "high")], violence=(True, 0.6),
        caption="A man repeatedly kicks the front door trying to force it at 2am.")),
    ("ext_t10_car_break_in", _case(
        ("high", 70, 85),
        det=[("man", 1), ("vehicle", 1)],
        scene=("driveway", "4am", "clear"),
        face=HIDDEN, action=("smashing car window", True), clothing=(["gloves", "ski mask"], True),
        threats=[("theft", "high"), ("vandalism", "medium")],
        caption="A masked man breaks the driver-side window of the car and reaches inside.")),
    ("ext_t11_fence_climb_mask", _case(
        ("high", 70, 85),
        det=[("man", 1)],
        scene=("back garden", "night", "clear", "infrared"),
        face=HIDDEN, action=("climbing over fence", True), clothing=(["ski mask", "gloves"], True),
        threats=[("intrusion", "high")],
        caption="A man in a ski mask climbs over the rear fence into the garden.")),
    ("ext_t12_bat_windscreen", _case(
        ("high", 72, 88),
        det=[("man", 1), ("baseball bat", 1, 0.7), ("vehicle", 1)],
        scene=("street", "evening", "clear"),
        face=STRANGER, action=("smashing windscreen", True),
        threats=[("vandalism", "high"), ("weapon", "high")], violence=(True, 0.7),
        caption="A man smashes the windscreen of a car parked outside with a baseball bat.")),
    ("ext_t13_grab_box_run", _case(
        ("high", 60, 75),
        det=[("man", 1), ("box", 1)],
        scene=("front entrance", "morning", "rain"),
        face=STRANGER, pose=("running", True), action=("grabbing box", True),
        threats=[("theft", "medium")],
        caption="A man dashes up, grabs the box from the doorstep and runs to a waiting car.")),
    ("ext_t14_bat_lurking", _case(
        ("critical", 80, 95),
        det=[("man", 1), ("baseball bat", 1, 0.6)],
        scene=("side passage", "night", "clear", "infrared"),
        face=HIDDEN, pose=("standing", True), action=("lurking", True),
        clothing=(["balaclava"], True), threats=[("weapon", "high"), ("trespass", "high")],
        caption="A masked man holding a baseball bat waits in the side passage.")),
    ("ext_t15_bike_from_garage", _case(
        ("high", 60, 78),
        det=[("pedestrian", 1), ("bicycle", 1)],
        scene=("garage", "afternoon", "clear"),
        face=STRANGER, action=("stealing bicycle", True), threats=[("theft", "medium")],
        caption="A stranger walks into the open garage and wheels out a bicycle.")),
    ("ext_t16_crowbar_garage_duo", _case(
        ("critical", 88, 100),
        det=[("man", "2"), ("crowbar", 1, 0.6)],
        scene=("garage", "1am", "clear"),
        face=HIDDEN, action=("forcing garage door", True), clothing=(["balaclava", "gloves"], True),
        threats=[("intrusion", "critical")],
        caption="Two masked men lever the garage door up with a crowbar at 1am.")),
    ("ext_t17_teen_scuffle", _case(
        ("medium", 40, 59),
        det=[("child", "3+")],
        scene=("street", "afternoon", "clear"),
        action=("pushing and shoving", True), threats=[("assault", "low")], violence=(True, 0.5),
        caption="A scuffle between schoolkids on the pavement; pushing and one shove to the ground.")),
    ("ext_t18_stone_window", _case(
        ("high", 62, 80),
        det=[("pedestrian", 1)],
        scene=("front of house", "late evening", "clear"),
        face=HIDDEN, action=("throwing stone at window", True), clothing=(["hoodie up"], True),
        threats=[("vandalism", "high")],
        caption="Someone throws a stone through the front window and runs off.")),
    ("ext_t19_pool_vandal", _case(
        ("high", 60, 78),
        det=[("man", "2-3")],
        scene=("pool area", "night", "clear", "pool lights"),
        face=STRANGER, action=("throwing furniture into pool", True),
        threats=[("trespass", "medium"), ("vandalism", "medium")],
        caption="A group of young men trespass into the pool area and throw the loungers into the water.")),
    ("ext_t20_knife_courier", _case(
        ("critical", 88, 100),
        det=[("man", 2), ("knife", 1, 0.65), ("van", 1)],
        scene=("driveway", "afternoon", "clear"),
        face=HIDDEN, action=("threatening with knife", True), threats=[("weapon", "critical"), ("robbery", "high")],
        violence=(True, 0.7),
        caption="A masked man threatens the delivery driver with a knife on the driveway.")),
    ("ext_t21_package_theft_night", _case(
        ("high", 65, 80),
        det=[("man", 1), ("parcel", 2)],
        scene=("porch", "night", "clear", "porch light"),
        face=HIDDEN, action=("stealing package", True), clothing=(["hoodie up", "face covering"], True),
        threats=[("theft", "medium")],
        caption="A man with his face covered takes two parcels off the porch at night.")),
    ("ext_t22_possible_gun_day", _case(
        ("high", 60, 80),
        det=[("man", 1), ("gun", 1, 0.45)],
        scene=("street", "afternoon", "clear"),
        face=STRANGER, action=("walking past", False), threats=[("weapon", "high")],
        caption="A man walking past appears to have a handgun at his waistband; detector is unsure.")),
    ("ext_t23_crowbar_attack", _case(
        ("critical", 90, 100),
        det=[("man", 2), ("crowbar", 1, 0.7)],
        scene=("driveway", "night", "rain"),
        action=("swinging crowbar at person", True), threats=[("assault", "critical"), ("weapon", "critical")],
        violence=(True, 0.95),
        caption="One man swings a crowbar at another on the driveway; the victim falls.")),
    ("ext_t24_intruder_in_garage", _case(
        ("high", 72, 88),
        det=[("man", 1)],
        scene=("garage", "dawn", "clear"),
        face=STRANGER, pose=("crouching", True), action=("rummaging through tools", True),
        clothing=(["gloves"], True), threats=[("intrusion", "high"), ("theft", "medium")],
        caption="A stranger is inside the garage going through the tool shelves.")),
    ("ext_t25_covering_camera", _case(
        ("high", 70, 85),
        det=[("pedestrian", 1)],
        scene=("front entrance", "night", "clear"),
        face=HIDDEN, action=("covering the camera", True), clothing=(["ski mask", "gloves"], True),
        threats=[("tampering", "high"), ("intrusion", "medium")], distance=0.5,
        caption="A masked person reaches up and sprays over the doorbell camera lens.")),
]


# ---------------------------------------------------------------------------
# Development set (distinct scenes, same style)
# ---------------------------------------------------------------------------

_DEV_NORMAL: list[tuple[str, dict[str, Any]]] = [
    ("dev_n01_hedge_trimming", _case(
        ("low", 5, 20),
        det=[("man", 1)],
        scene=("front garden", "morning", "clear"),
        face=STRANGER, action=("trimming hedge", False), clothing=(["hi-vis vest", "gloves"], False),
        caption="The hired gardener trims the front hedge.")),
    ("dev_n02_washing_car", _case(
        ("low", 0, 10),
        det=[("man", 1), ("vehicle", 1)],
        scene=("driveway", "afternoon", "clear"),
        face=RESIDENT, action=("washing car", False), plate=(True, True),
        caption="Resident washes his car on the driveway.")),
    ("dev_n03_grandparents", _case(
        ("low", 0, 12),
        det=[("man", 1), ("woman", 1)],
        scene=("porch", "afternoon", "drizzle"),
        face=RESIDENT, action=("ringing doorbell", False),
        caption="Visiting grandparents, known to the system, ring the bell.")),
    ("dev_n04_school_kids", _case(
        ("low", 0, 12),
        det=[("child", "several"), ("backpack", "3+")],
        scene=("street", "morning", "clear"),
        action=("walking past", False),
        caption="Schoolchildren with backpacks walk past on the way to school.")),
    ("dev_n05_cat_fence", _case(
        ("low", 0, 8),
        det=[("cat", 1)],
        scene=("rear yard", "night", "clear", "infrared"),
        action=("walking along fence", False), pet=True,
        caption="The family cat walks along the top of the fence.")),
    ("dev_n06_dog_dawn", _case(
        ("low", 0, 10),
        det=[("woman", 1), ("dog", 1)],
        scene=("driveway", "dawn", "fog"),
        face=RESIDENT, action=("walking dog", False), pet=True,
        caption="Resident sets off to walk the family dog in the fog.")),
    ("dev_n07_grocery_van", _case(
        ("low", 5, 20),
        det=[("van", 1), ("man", 1), ("box", "2-3")],
        scene=("front entrance", "late morning", "rain"),
        face=STRANGER, action=("delivering groceries", False), clothing=(["uniform"], False),
        caption="Supermarket driver carries crates of groceries to the door.")),
    ("dev_n08_locking_bike", _case(
        ("low", 0, 10),
        det=[("woman", 1), ("bicycle", 1)],
        scene=("side passage", "evening", "clear"),
        face=RESIDENT, pose=("kneeling", False), action=("locking bicycle", False),
        caption="Resident kneels to lock her bicycle in the side passage.")),
    ("dev_n09_ice_cream_van", _case(
        ("low", 0, 10),
        det=[("van", 1), ("pedestrian", "several")],
        scene=("street", "afternoon", "clear"),
        action=("queueing", False), distance=20.0,
        caption="People queue at an ice cream van stopped in the street.")),
    ("dev_n10_collect_parcel", _case(
        ("low", 0, 10),
        det=[("man", 1), ("parcel", 1)],
        scene=("porch", "evening", "windy"),
        face=RESIDENT, action=("picking up parcel", False),
        caption="Resident comes home and takes the delivered parcel inside.")),
]

_DEV_SUSPICIOUS: list[tuple[str, dict[str, Any]]] = [
    ("dev_s01_rattle_gate", _case(
        ("high", 60, 78),
        det=[("man", 1)],
        scene=("side passage", "night", "clear", "security light"),
        face=HIDDEN, action=("rattling side gate", True), clothing=(["hoodie up"], True),
        threats=[("trespass", "medium")],
        caption="Someone rattles the locked side gate, then retreats when the light comes on.")),
    ("dev_s02_garage_linger", _case(
        ("medium", 35, 55),
        det=[("pedestrian", 1)],
        scene=("garage", "late evening", "clear"),
        face=STRANGER, action=("lingering", True),
        caption="A stranger lingers by the garage for several minutes looking at the door.")),
    ("dev_s03_torch_house_numbers", _case(
        ("medium", 40, 59),
        det=[("man", 1)],
        scene=("street", "1am", "clear"),
        face=STRANGER, action=("checking house numbers with torch", True),
        caption="A man shines a torch at door numbers along the street at 1am.")),
    ("dev_s04_sitting_wall", _case(
        ("medium", 30, 45),
        det=[("woman", 1)],
        scene=("street", "afternoon", "clear"),
        face=STRANGER, pose=("sitting", False), action=("watching the house", True),
        caption="A woman sits on the wall opposite for an hour, glancing at the house.")),
    ("dev_s05_van_circling_evening", _case(
        ("medium", 35, 55),
        det=[("van", 1), ("man", 2, 0.4)],
        scene=("street", "late evening", "rain"),
        action=("casing the house", True), plate=(False, False),
        caption="A van with two men stops outside twice, they look at the house and drive on.")),
    ("dev_s06_over_back_fence", _case(
        ("high", 60, 75),
        det=[("man", 1)],
        scene=("back garden", "dusk", "clear"),
        face=STRANGER, action=("peering over fence", True), threats=[("trespass", "low")],
        caption="A man stands on something behind the rear fence and looks into the garden.")),
    ("dev_s07_bike_lock", _case(
        ("medium", 45, 59),
        det=[("pedestrian", 1), ("bicycle", 1)],
        scene=("street", "night", "drizzle"),
        face=HIDDEN, pose=("crouching", True), action=("fiddling with bike lock", True),
        clothing=(["hoodie up", "gloves"], True),
        caption="A hooded person crouches by a bike locked to the railings outside.")),
    ("dev_s08_notes_front_door", _case(
        ("medium", 30, 50),
        det=[("man", 1)],
        scene=("front entrance", "morning", "clear"),
        face=STRANGER, action=("writing notes at door", True),
        caption="A man looks at the door, the lock and the camera and writes something down.")),
    ("dev_s09_crouch_wheel", _case(
        ("high", 62, 80),
        det=[("man", 1), ("suv", 1)],
        scene=("driveway", "3am", "clear"),
        face=AWAY, pose=("crouching", True), action=("crouching by car wheel", True),
        clothing=(["dark clothing", "gloves"], True), threats=[("theft", "medium")],
        caption="A gloved figure crouches beside the SUV's wheel at 3am.")),
    ("dev_s10_lost_dog_story", _case(
        ("medium", 35, 55),
        det=[("woman", 1)],
        scene=("back garden", "evening", "clear"),
        face=STRANGER, action=("wandering into garden", True), threats=[("trespass", "low")],
        caption="A stranger walks into the back garden calling a dog's name and looking at the windows.")),
]

_DEV_THREATS: list[tuple[str, dict[str, Any]]] = [
    ("dev_t01_catalytic_converter", _case(
        ("high", 70, 85),
        det=[("man", 2), ("vehicle", 1)],
        scene=("driveway", "3am", "clear"),
        face=AWAY, pose=("lying", True), action=("cutting under car", True),
        threats=[("theft", "high")],
        caption="One man lies under the car cutting while another keeps watch.")),
    ("dev_t02_gun_doorstep", _case(
        ("critical", 90, 100),
        det=[("man", 1), ("gun", 1, 0.7)],
        scene=("front entrance", "evening", "clear", "porch light"),
        face=HIDDEN, action=("pointing gun at door", True), clothing=(["balaclava"], True),
        threats=[("weapon", "critical"), ("robbery", "critical")],
        caption="A masked man points a gun at the resident as the door opens.")),
    ("dev_t03_keying_car", _case(
        ("high", 55, 72),
        det=[("pedestrian", 1), ("vehicle", 1)],
        scene=("street", "afternoon", "clear"),
        face=STRANGER, action=("scratching car with key", True), threats=[("vandalism", "medium")],
        caption="A passer-by drags a key along the side of the parked car.")),
    ("dev_t04_brawl", _case(
        ("high", 70, 85),
        det=[("man", "4+")],
        scene=("street", "midnight", "clear", "street lights"),
        action=("brawling", True), threats=[("assault", "high")], violence=(True, 0.85),
        caption="A brawl between several men spills onto the pavement outside.")),
    ("dev_t05_back_window_entry", _case(
        ("critical", 88, 100),
        det=[("man", 1)],
        scene=("rear yard", "night", "drizzle", "infrared"),
        face=HIDDEN, action=("climbing through window", True), clothing=(["gloves", "balaclava"], True),
        threats=[("intrusion", "critical")],
        caption="A masked intruder climbs in through a forced rear window.")),
    ("dev_t06_knife_neighbour", _case(
        ("critical", 88, 100),
        det=[("man", 2), ("knife", 1, 0.6)],
        scene=("street", "late evening", "clear"),
        face=STRANGER, action=("brandishing knife", True), threats=[("weapon", "critical"), ("assault", "high")],
        violence=(True, 0.7),
        caption="A man waves a knife at a neighbour during an argument on the pavement.")),
    ("dev_t07_van_parcel_grab", _case(
        ("high", 62, 78),
        det=[("van", 1), ("man", 1), ("parcel", 1)],
        scene=("porch", "afternoon", "clear"),
        face=STRANGER, pose=("running", True), action=("stealing package", True),
        threats=[("theft", "medium")], plate=(False, True),
        caption="A passenger jumps out of a van, takes the parcel from the porch and jumps back in.")),
    ("dev_t08_bricks_at_car", _case(
        ("high", 65, 82),
        det=[("pedestrian", "2")],
        scene=("driveway", "night", "clear"),
        face=HIDDEN, action=("throwing bricks at car", True), threats=[("vandalism", "high")],
        caption="Two hooded people throw bricks at the car on the driveway and run.")),
    ("dev_t09_driver_assault", _case(
        ("critical", 85, 100),
        det=[("man", 2), ("van", 1)],
        scene=("street", "morning", "clear"),
        face=STRANGER, action=("punching", True), threats=[("assault", "critical")], violence=(True, 0.9),
        caption="A man attacks a delivery driver outside the house, punching him repeatedly.")),
    ("dev_t10_kick_patio_door", _case(
        ("critical", 82, 96),
        det=[("man", 1)],
        scene=("back garden", "midnight", "clear", "infrared"),
        face=HIDDEN, action=("kicking door", True), clothing=(["ski mask"], True),
        threats=[("intrusion", "high")], violence=(True, 0.5),
        caption="A man in a ski mask kicks at the patio door trying to break in.")),
]


def _tag(category: str, items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(category, case_id, labels) for case_id, labels in items]


EXTERNAL_CASES: list[tuple[str, str, dict[str, Any]]] = (
    _tag("normal", _EXT_NORMAL) + _tag("suspicious", _EXT_SUSPICIOUS) + _tag("threats", _EXT_THREATS)
)

DEV_CASES: list[tuple[str, str, dict[str, Any]]] = (
    _tag("normal", _DEV_NORMAL) + _tag("suspicious", _DEV_SUSPICIOUS) + _tag("threats", _DEV_THREATS)
)


def write_cases(root: Path, cases: list[tuple[str, str, dict[str, Any]]]) -> Path:
    """Write each case to ``<root>/<category>/<case_id>/expected_labels.json`` and return root."""
    root = Path(root)
    for category, case_id, labels in cases:
        case_dir = root / category / case_id
        case_dir.mkdir(parents=True, exist_ok=True)
        (case_dir / "expected_labels.json").write_text(json.dumps(labels, indent=2, sort_keys=True) + "\n")
    return root
