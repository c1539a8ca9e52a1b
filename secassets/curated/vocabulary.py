"""The documented vocabulary tables: another system's words -> ours, or None (not available).

One source of truth for the mapping and for the README (`mapping_markdown()`). A value maps only
where the meaning is the same; anything else is None, and the mapping says so in a note, never a
guess. Values are looked up after `normalized()` (lower case, spaces and hyphens as underscores).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from secassets.core import vocabulary as ours
from secassets.core.vocabulary import CameraLocation, Lighting, ObjectType, Pose, TimeOfDay, Weather
from secassets.risk.cues import BEHAVIOUR_CUES, CUE_RULES, CUES, Cue

# Values that name no single value ("it varies"): not available in every table.
UNSPECIFIED: Final = frozenset({"", "varies", "various", "unknown", "mixed", "any", "n/a", "na", "none", "other",
                                "unspecified", "null"})


def _identity(names: tuple[str, ...]) -> dict[str, str]:
    return {n: n for n in names}


LOCATIONS: Final[dict[str, CameraLocation | None]] = {
    **_identity(ours.CAMERA_LOCATION),  # type: ignore[dict-item]
    **{zone_name: zone for zone, zone_name in ours.ZONE_NAMES.items()},  # the names our own logs use
    **dict.fromkeys(("front_porch", "porch", "doorstep", "front_entrance", "entrance", "front_step", "front_steps",
                     "doorway", "main_door", "main_entrance", "front_door_camera", "doorbell", "door"), "front_door"),
    **dict.fromkeys(("driveway_gate", "garage", "garage_door", "carport", "drive", "parking_pad"), "driveway"),
    **dict.fromkeys(("back_yard", "garden", "back_garden", "rear_yard", "rear_garden", "yard", "lawn", "patio",
                     "pool", "pool_area", "deck", "terrace", "back_porch", "backyard_camera"), "backyard"),
    **dict.fromkeys(("side_yard", "side_gate_path", "alley", "side_passage", "side_entrance", "side_path",
                     "passageway", "gate", "side_door"), "side_gate"),
    # Cameras that look beyond the property, or zones we do not have: no honest zone.
    **dict.fromkeys(("street_view", "street", "sidewalk", "pavement", "road", "curb", "parking_lot", "front_yard",
                     "back_door", "indoor", "living_room", "hallway", "kitchen"), None),
}

# The rubric weighs morning and midday alike (0 points), so dawn and afternoon lose nothing by the merge.
TIMES: Final[dict[str, TimeOfDay | None]] = {
    **_identity(ours.TIME_OF_DAY),  # type: ignore[dict-item]
    **dict.fromkeys(("dawn", "early_morning", "sunrise", "breakfast"), "morning"),
    **dict.fromkeys(("day", "daytime", "afternoon", "noon", "lunchtime", "late_morning", "early_afternoon",
                     "late_afternoon", "daylight"), "midday"),
    **dict.fromkeys(("dusk", "sunset", "twilight", "early_evening", "nightfall"), "evening"),
    **dict.fromkeys(("nighttime", "night_time", "late_evening", "after_dark"), "night"),
    **dict.fromkeys(("midnight", "small_hours", "early_hours", "after_midnight", "wee_hours", "pre_dawn",
                     "middle_of_the_night"), "late_night"),
    # "overnight" spans night and late night: which one is not said.
    "overnight": None,
}

# Not actors, but things the delivering and taking cues act on, and things carried (listed, no points alone).
PARCEL: Final = "parcel"
CARRIED_ITEM: Final = "carried_item"
_COCO_SCENERY = ("bench", "chair", "potted_plant", "fire_hydrant", "stop_sign", "traffic_light", "parking_meter",
                 "tv", "laptop", "mouse", "remote", "keyboard", "cell_phone", "phone", "microwave", "oven", "toaster",
                 "sink", "refrigerator", "book", "clock", "vase", "teddy_bear", "hair_drier", "toothbrush", "bottle",
                 "wine_glass", "cup", "fork", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli",
                 "carrot", "hot_dog", "pizza", "donut", "cake", "couch", "bed", "dining_table", "toilet", "frisbee",
                 "skis", "snowboard", "sports_ball", "ball", "football", "kite", "baseball_glove", "skateboard",
                 "surfboard", "tennis_racket", "tie", "scissors", "flag", "trash_can", "bin", "mailbox", "ladder")
# A detector class -> our object class (an actor), a cue it shows, a parcel or carried item, or None.
CLASSES: Final[dict[str, ObjectType | Cue | str | None]] = {
    **_identity(ours.OBJECT_TYPES),  # type: ignore[dict-item]
    **dict.fromkeys(("pedestrian", "man", "woman", "child", "kid", "boy", "girl", "people", "human", "adult",
                     "teen", "teenager", "worker", "courier", "postman", "mail_carrier", "delivery_person",
                     "delivery_driver", "jogger", "cyclist", "intruder", "visitor", "resident", "neighbour",
                     "neighbor", "face", "head"), "person"),
    **dict.fromkeys(("automobile", "suv", "sedan", "hatchback", "taxi", "cab", "estate_car", "coupe"), "car"),
    **dict.fromkeys(("pickup", "pickup_truck", "lorry", "trailer", "box_truck", "delivery_truck"), "truck"),
    **dict.fromkeys(("motorbike", "scooter", "moped", "motor_scooter"), "motorcycle"),
    **dict.fromkeys(("bike", "ebike", "e_bike", "push_bike"), "bicycle"),
    **dict.fromkeys(("minibus", "coach", "school_bus"), "bus"),
    **dict.fromkeys(("van", "minivan", "ambulance", "police_car", "tractor", "golf_cart", "atv", "quad_bike",
                     "car_or_truck", "motor_vehicle"), "vehicle"),
    **dict.fromkeys(("puppy", "hound"), "dog"),
    **dict.fromkeys(("kitten", "kitty"), "cat"),
    # Animals other than dogs and cats: an animal, which kind is not ours to model.
    **dict.fromkeys(("bird", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "deer", "fox",
                     "raccoon", "squirrel", "coyote", "rabbit", "hedgehog", "rat", "mouse_animal", "possum",
                     "opossum", "skunk", "badger", "wolf", "goat", "pigeon", "crow", "owl", "pet", "wildlife"), "animal"),
    # Vehicles our cameras do not watch.
    **dict.fromkeys(("airplane", "train", "boat", "drone"), None),
    **dict.fromkeys(("package", "parcel", "box", "carton", "delivery", "envelope", "cardboard_box"), PARCEL),
    **dict.fromkeys(("backpack", "handbag", "suitcase", "bag", "umbrella", "shopping_bag", "purse", "rucksack",
                     "duffel_bag", "briefcase"), CARRIED_ITEM),
    # Weapons and break-in tools: the cue of the person carrying them.
    **dict.fromkeys(("knife", "baseball_bat", "gun", "pistol", "handgun", "rifle", "firearm", "machete", "weapon",
                     "shotgun", "axe", "club", "bat_weapon", "sword"), "carrying_weapon"),
    **dict.fromkeys(("crowbar", "pry_bar", "prybar", "bolt_cutters", "hammer", "sledgehammer", "lock_pick",
                     "angle_grinder", "tool"), "carrying_tool"),
    # Scenery: not actors.
    **dict.fromkeys(_COCO_SCENERY, None),
}

# Generic verbs whose cue depends on a parcel in view: taking one is taking_package, leaving one is delivering.
TAKING_OBJECT: Final = "taking_object"
LEAVING_OBJECT: Final = "leaving_object"
# An action label -> a cue, one of our poses, a parcel verb, or None (an ordinary activity: no cue, no pose).
ACTIONS: Final[dict[str, Cue | Pose | str | None]] = {
    **_identity(ours.POSES),  # type: ignore[dict-item]
    **_identity(BEHAVIOUR_CUES),  # type: ignore[dict-item]
    **dict.fromkeys(("jogging", "sprinting", "fleeing", "running_away", "running_off", "jog"), "running"),
    **dict.fromkeys(("squatting", "bending_down", "hunched", "ducking"), "crouching"),
    **dict.fromkeys(("lying", "lying_down", "lying_on_ground", "on_the_ground", "fallen"), "prone"),
    **dict.fromkeys(("walk", "strolling", "walking_dog", "walking_the_dog"), "walking"),
    **dict.fromkeys(("lingering", "hanging_around", "lurking", "waiting_around", "standing_around", "loiter"),
                    "loitering"),
    **dict.fromkeys(("delivery", "package_delivery", "delivering_parcel", "delivering_package", "dropping_off_package",
                     "dropping_off_parcel", "parcel_drop_off", "leaving_parcel", "leaving_package"), "delivering"),
    **dict.fromkeys(("package_theft", "stealing_package", "stealing_parcel", "taking_package_from_porch",
                     "porch_piracy", "grabbing_parcel", "grabbing_package"), "taking_package"),
    **dict.fromkeys(("stealing", "taking", "grabbing", "snatching", "picking_up", "theft", "grabbing_box",
                     "taking_box", "carrying_off", "removing"), TAKING_OBJECT),
    **dict.fromkeys(("dropping_off", "leaving", "placing", "putting_down", "setting_down"), LEAVING_OBJECT),
    **dict.fromkeys(("breaking_in", "break_in", "forced_entry", "jimmying_the_lock", "jimmying_lock", "picking_lock",
                     "lock_picking", "picking_the_lock", "prying_door", "prying_window", "smashing_window",
                     "breaking_window", "kicking_door", "kicking_in_door", "burglary", "forcing_door"),
                    "forcing_entry"),
    **dict.fromkeys(("rattling_gate", "rattling_door", "rattling_side_gate", "shaking_gate", "trying_door", "door_handle", "trying_door_handle", "trying_car_door", "checking_car_doors",
                     "pulling_door_handle", "tampering_with_car", "testing_doors", "trying_handles_of_cars"),
                    "trying_handles"),
    **dict.fromkeys(("climbing", "climbing_fence", "climbing_wall", "climbing_over_fence", "jumping_fence",
                     "jumping_over_fence", "scaling_wall", "hopping_fence", "climbing_gate"), "climbing"),
    **dict.fromkeys(("fighting", "assault", "punching", "hitting", "assaulting", "brawling", "scuffle", "fight",
                     "attacking_person", "kicking_person", "beating"), "attacking"),
    **dict.fromkeys(("vandalism", "vandalizing", "vandalising", "spray_painting", "graffiti", "tagging",
                     "smashing", "keying_car", "kicking_gate", "breaking_things", "throwing_stones",
                     "throwing_bricks", "slashing_tyres", "slashing_tires"), "damaging_property"),
    **dict.fromkeys(("peering", "window_peeking", "peeking_through_window", "looking_in_window",
                     "looking_through_window", "peeping", "snooping", "peering_into_car"), "peering_in_windows"),
    **dict.fromkeys(("approaching_door", "ringing_doorbell", "knocking", "knocking_on_door", "walking_to_door",
                     "approaching", "approaching_house"), "approaching_entry"),
    **dict.fromkeys(("casing", "casing_the_house", "pacing", "walking_back_and_forth", "surveilling",
                     "taking_photos_of_house", "photographing_house", "circling_block", "watching_the_house",
                     "watching_house", "staking_out"), "circling"),
    **dict.fromkeys(("brandishing_knife", "waving_gun", "holding_gun", "pointing_gun", "armed", "wielding_knife",
                     "brandishing_weapon", "holding_knife", "carrying_gun"), "carrying_weapon"),
    **dict.fromkeys(("carrying_crowbar", "carrying_bolt_cutters", "holding_crowbar"), "carrying_tool"),
    **dict.fromkeys(("walking_by", "walking_past", "passing", "going_past", "cycling_past", "driving_past",
                     "driving_by"), "passing_by"),
    "idling": "vehicle_idling",
    # Ordinary activities with no cue and no pose of ours.
    **dict.fromkeys(("sitting", "talking", "playing", "gardening", "parking", "waving", "mowing_lawn", "mowing",
                     "unloading_groceries", "checking_mailbox", "collecting_mail", "reading", "smoking", "eating",
                     "shoveling_snow", "shovelling_snow", "washing_car", "cleaning", "carrying_bags",
                     "taking_out_trash", "taking_out_bins", "returning_home", "leaving_home", "unlocking_door",
                     "playing_ball", "chatting", "using_phone", "watering_plants", "raking_leaves", "sweeping",
                     "locking_bike", "locking_bicycle", "locking_car", "locking_door", "queueing", "trimming_hedge",
                     "walking_home", "waiting_for_bus", "stretching"), None),
}

WEATHER: Final[dict[str, Weather | None]] = {
    **_identity(ours.WEATHER),  # type: ignore[dict-item]
    **dict.fromkeys(("sunny", "fair", "dry", "clear_sky", "clear_skies"), "clear"),
    **dict.fromkeys(("cloudy", "grey", "gray", "dull"), "overcast"),
    **dict.fromkeys(("drizzle", "light_showers", "drizzling"), "light_rain"),
    **dict.fromkeys(("foggy", "mist", "misty", "haze", "hazy"), "fog"),
    # Our vocabulary has only light rain and no snow or wind.
    **dict.fromkeys(("rain", "rainy", "raining", "heavy_rain", "showers", "storm", "thunderstorm", "snow", "snowing",
                     "snowy", "sleet", "hail", "windy", "wind", "partly_cloudy"), None),
}

LIGHTING: Final[dict[str, Lighting | None]] = {
    **_identity(ours.LIGHTING),  # type: ignore[dict-item]
    "bright": "bright_daylight", "sunlight": "bright_daylight", "natural": "daylight", "day": "daylight",
    "ir": "infrared", "night_vision": "infrared", "security_light": "porch_light", "porch_lamp": "porch_light",
    # Dark or artificial light without saying which of porch light and infrared: not available.
    "night": None, "dark": None, "low_light": None, "artificial": None, "streetlight": None,
}

# Clothing items: only what hides a face is evidence (a hood pulled up, a mask); the rest is listed, unused.
CLOTHING: Final[dict[str, Cue | None]] = {
    **dict.fromkeys(("balaclava", "ski_mask", "mask", "hood_up", "hoodie_up", "hood_pulled_up", "face_covering",
                     "scarf_over_face", "masked", "full_face_mask"), "face_concealed"),
    **dict.fromkeys(("hoodie", "hood", "gloves", "uniform", "hi_vis", "hi_vis_vest", "high_visibility_vest", "jacket",
                     "cap", "hat", "sunglasses", "helmet", "coat", "raincoat", "backpack", "face_mask", "surgical_mask",
                     "dark_clothing", "work_clothes", "courier_uniform", "scarf", "beanie", "boots"), None),
}

# Threat annotations (type, with a severity the rubric reads apart): the cue a type is evidence of, or None.
THREATS: Final[dict[str, Cue | str | None]] = {
    **dict.fromkeys(("weapon", "armed", "armed_person", "firearm", "gun", "knife", "weapon_detected"),
                    "carrying_weapon"),
    **dict.fromkeys(("intrusion", "break_in", "burglary", "forced_entry", "home_invasion", "breaking_and_entering"),
                    "forcing_entry"),
    **dict.fromkeys(("package_theft", "porch_piracy"), "taking_package"),
    **dict.fromkeys(("theft", "stealing", "robbery"), TAKING_OBJECT),
    **dict.fromkeys(("vandalism", "property_damage", "graffiti", "damage"), "damaging_property"),
    **dict.fromkeys(("assault", "violence", "fight", "attack", "fighting"), "attacking"),
    **dict.fromkeys(("casing", "surveillance", "reconnaissance"), "circling"),
    **dict.fromkeys(("tampering", "vehicle_tampering", "car_break_in_attempt"), "trying_handles"),
    "loitering": "loitering", "climbing": "climbing",
    # Types with no cue of ours: their severity still counts (secassets.risk.rubric).
    **dict.fromkeys(("trespass", "trespassing", "suspicious_activity", "suspicious_person", "arson", "fire",
                     "car_theft", "vehicle_theft", "unknown"), None),
}

TABLES: Final[dict[str, tuple[str, Mapping[str, str | None]]]] = {
    "scene.location": ("camera zone", LOCATIONS),
    "scene.time_of_day": ("time of day", TIMES),
    "detections.class": ("object class", CLASSES),
    "action.action": ("action", ACTIONS),
    "scene.weather": ("weather", WEATHER),
    "scene.lighting": ("lighting", LIGHTING),
    "clothing.items": ("clothing item", CLOTHING),
    "threats.type": ("threat type", THREATS),
}


def normalized(value: str) -> str:
    """The lookup key of a value: lower case, trimmed, spaces and hyphens as underscores."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def lookup(field: str, value: str) -> tuple[str | None, str]:
    """(our value or None, the note when None) for a value of one labeled field, by its exact table alone."""
    what, table = TABLES[field]
    key = normalized(value)
    mapped = table.get(key)
    if mapped is not None:
        return mapped, ""
    if key in UNSPECIFIED:
        return None, f"{field} {value!r} names no single {what}"
    if key in table:
        return None, f"{field} {value!r} is not {'an' if what[0] in 'aeiou' else 'a'} {what} we know"
    return None, f"{field} {value!r} is not in the {what} table"


def _kind(value: str | None, table: Mapping[str, str | None]) -> str:
    if value in CUES:
        return " (cue)"
    if value in ours.POSES and table is ACTIONS:
        return " (pose)"
    if value in (TAKING_OBJECT, LEAVING_OBJECT):
        return " (with a parcel in view: taking_package / delivering)"
    return ""


def _groups(table: Mapping[str, str | None]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for key, value in table.items():
        groups.setdefault("not available" if value is None else f"`{value}`{_kind(value, table)}", []).append(key)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "not available", kv[0]))
    return [(target, sorted(keys)) for target, keys in ordered]


def targets_of(field: str) -> frozenset[str]:
    """Every value of ours a label of `field` may be read as (what a pin in vocabulary.yaml may name)."""
    values = {v for v in TABLES[field][1].values() if v is not None}
    if field == "action.action":
        values |= set(BEHAVIOUR_CUES) | set(ours.POSES)
    return frozenset(values)


def candidate_phrases(field: str) -> dict[str, str | None]:
    """The phrases an unknown label of `field` is compared with by the embedding model, each with the value it
    stands for: every table entry in words (its None entries too: "known, not ours" is a decision), and for actions
    and threat types also every cue's phrases and meaning."""
    phrases: dict[str, str | None] = {}
    for key, value in TABLES[field][1].items():
        if key not in UNSPECIFIED:
            phrases.setdefault(key.replace("_", " "), value)
    if field in ("action.action", "threats.type"):
        for cue in BEHAVIOUR_CUES:
            rule = CUE_RULES[cue]
            for phrase in (*rule.phrases, rule.meaning):
                phrases.setdefault(phrase, cue)
    return phrases


VIOLENCE_DETECTED_SCORE: Final = 0.8  # violence detected, no score given: a clear but not certain detection
_OTHER_BLOCKS = (
    ("`face.concealed` or `face.masked` true", "cue `face_concealed`"),
    ("`face.known` or `face.recognized` true", "cue `known_resident`"),
    ("`face.visible` false", ("used: the person cannot be recognised, so no `known_resident`; not concealment (a "
                               "face out of view is not a hidden one)")),
    ("`clothing.items` that hide a face (table above)", ("cue `face_concealed`, unless `clothing.is_suspicious` is "
                                                         "false or every face is a recognised resident's")),
    ("`pose`, `action` or `clothing` `is_suspicious` true", ("`flagged_suspicious` (rubric: points and a floor when no "
                                                            "aggravating behaviour is named)")),
    ("`threats[].type`", "the cue of the threat type table; `threat`, one object, is read as a list of one"),
    ("`threats[].severity` low/medium/high/critical", "`threat_severity`, the gravest one (rubric: a floor)"),
    ("`violence.score`", "`violence_score`"),
    ("`violence.detected` true without a score", f"`violence_score` = {VIOLENCE_DETECTED_SCORE}"),
    ("`license_plate.known` true", "cue `known_plate` (with a vehicle)"),
    ("`license_plate.readable` false", "`unreadable_plates` = 1 (with a vehicle)"),
    ("`pet.known` or `pet.household` true", "cue `known_pet` (with an animal)"),
    ("`pose.pose`", "`pose` (through the action table's poses)"),
    ("`detections[].count` `3`, `2-3`, `4+`, `several`", ("a whole number: a number as written, a range or `N+` its "
                                                           "lower bound (what surely was seen), `several`/`a few`/"
                                                           "`multiple`/`group` 2")),
    ("`detections[].min_confidence`", "the object's confidence (a lower bound)"),
    ("a `parcel` among the detections", ("a taking verb (`stealing`, `grabbing`, ...) is `taking_package`, a leaving "
                                        "verb (`dropping off`, ...) `delivering`; without a parcel they name no cue")),
    ("any other key (`depth`, `caption`, `ocr`, ...)", "listed on the case as not used by the rubric"),
)


def mapping_markdown() -> str:
    """The tables as markdown, one row per value of ours (the README's curated-vocabulary section)."""
    unspecified = ", ".join(f"`{v}`" for v in sorted(UNSPECIFIED - {""}))
    parts = ["Values are matched after lower-casing and turning spaces and hyphens into underscores. "
             + f"{unspecified} and empty values name no single value: not available in every table. "
             + "A value in no table is matched by the embedding model (secassets.curated.open_vocabulary), else "
             + "it is not available, with a note on the case."]
    for field, (what, table) in TABLES.items():
        parts.append(f"\n**{field}** ({what})\n\n| ours | labeled values |\n|---|---|")
        parts += [f"| {target} | {', '.join(keys)} |" for target, keys in _groups(table)]
    parts.append("\n**other blocks**\n\n| labeled | ours |\n|---|---|\n"
                 + "\n".join(f"| {labeled} | {mine} |" for labeled, mine in _OTHER_BLOCKS))
    return "\n".join(parts) + "\n"
