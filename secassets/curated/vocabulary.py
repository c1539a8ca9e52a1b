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
from secassets.risk.cues import BEHAVIOUR_CUES, CUES, Cue

# Values that name no single value ("it varies"): not available in every table.
UNSPECIFIED: Final = frozenset({"", "varies", "various", "unknown", "mixed", "any", "n/a", "na", "none", "other",
                                "unspecified", "null"})


def _identity(names: tuple[str, ...]) -> dict[str, str]:
    return {n: n for n in names}


LOCATIONS: Final[dict[str, CameraLocation | None]] = {
    **_identity(ours.CAMERA_LOCATION),  # type: ignore[dict-item]
    **{zone_name: zone for zone, zone_name in ours.ZONE_NAMES.items()},  # the names our own logs use
    "front_porch": "front_door", "porch": "front_door", "front_door": "front_door", "doorstep": "front_door",
    "driveway": "driveway", "driveway_gate": "driveway", "garage": "driveway",
    "backyard": "backyard", "back_yard": "backyard", "garden": "backyard", "patio": "backyard", "pool": "backyard",
    "side_yard": "side_gate", "side_gate": "side_gate", "side_gate_path": "side_gate", "alley": "side_gate",
    # Cameras that look beyond the property, or zones we do not have: no honest zone.
    "street_view": None, "street": None, "sidewalk": None, "parking_lot": None, "front_yard": None,
    "back_door": None, "indoor": None, "living_room": None,
}

# The rubric weighs morning and midday alike (0 points), so dawn and afternoon lose nothing by the merge.
TIMES: Final[dict[str, TimeOfDay | None]] = {
    **_identity(ours.TIME_OF_DAY),  # type: ignore[dict-item]
    "dawn": "morning", "early_morning": "morning", "sunrise": "morning",
    "day": "midday", "daytime": "midday", "afternoon": "midday", "noon": "midday",
    "dusk": "evening", "sunset": "evening", "twilight": "evening",
    "nighttime": "night",
    "midnight": "late_night",
    # "overnight" spans night and late night: which one is not said.
    "overnight": None,
}

# A detector class -> our object class (an actor), a cue it shows, or None (not an actor we model).
CLASSES: Final[dict[str, ObjectType | Cue | None]] = {
    **_identity(ours.OBJECT_TYPES),  # type: ignore[dict-item]
    "motorbike": "motorcycle", "bike": "bicycle", "pickup_truck": "truck", "van": None,
    # Animals other than dogs and cats: our classes have no place for them.
    **dict.fromkeys(("bird", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "deer", "fox",
                     "raccoon", "squirrel", "coyote"), None),
    # Vehicles our cameras do not classify.
    **dict.fromkeys(("airplane", "train", "boat"), None),
    # Carried or placed things: not actors (a package is carried by a person; COCO has no package).
    **dict.fromkeys(("backpack", "handbag", "suitcase", "umbrella", "tie", "package", "parcel", "box", "bag",
                     "cell_phone", "bottle", "scissors", "frisbee", "sports_ball", "skateboard", "kite"), None),
    # Weapons and break-in tools: the cue of the person carrying them.
    **dict.fromkeys(("knife", "baseball_bat", "gun", "pistol", "handgun", "rifle", "firearm", "machete"),
                    "carrying_weapon"),
    **dict.fromkeys(("crowbar", "pry_bar", "prybar", "bolt_cutters", "hammer", "sledgehammer"), "carrying_tool"),
    # Scenery: not actors.
    **dict.fromkeys(("bench", "chair", "potted_plant", "fire_hydrant", "stop_sign", "traffic_light",
                     "parking_meter"), None),
}

# An action label -> a cue, one of our poses, or None.
ACTIONS: Final[dict[str, Cue | Pose | None]] = {
    **_identity(ours.POSES),  # type: ignore[dict-item]
    **_identity(BEHAVIOUR_CUES),  # type: ignore[dict-item]
    "jogging": "running", "squatting": "crouching", "lying": "prone", "lying_down": "prone",
    "loitering": "loitering", "lingering": "loitering",
    "delivering": "delivering", "delivery": "delivering", "package_delivery": "delivering",
    "package_theft": "taking_package", "stealing_package": "taking_package",
    "breaking_in": "forcing_entry", "break_in": "forcing_entry", "forced_entry": "forcing_entry",
    "trying_door": "trying_handles", "door_handle": "trying_handles", "trying_door_handle": "trying_handles",
    "climbing": "climbing", "climbing_fence": "climbing", "climbing_wall": "climbing",
    "fighting": "attacking", "assault": "attacking",
    "vandalism": "damaging_property",
    "peering": "peering_in_windows", "window_peeking": "peering_in_windows",
    "approaching_door": "approaching_entry",
    "casing": "circling",
    "walking_by": "passing_by", "walking_past": "passing_by",
    "idling": "vehicle_idling",
    # Ordinary activities with no cue and no pose of ours.
    "sitting": None, "talking": None, "playing": None, "gardening": None, "parking": None, "waving": None,
}

WEATHER: Final[dict[str, Weather | None]] = {
    **_identity(ours.WEATHER),  # type: ignore[dict-item]
    "sunny": "clear", "fair": "clear", "cloudy": "overcast", "drizzle": "light_rain", "foggy": "fog",
    "mist": "fog", "misty": "fog",
    # Our vocabulary has only light rain and no snow or wind.
    "rain": None, "rainy": None, "heavy_rain": None, "snow": None, "windy": None, "partly_cloudy": None,
}

LIGHTING: Final[dict[str, Lighting | None]] = {
    **_identity(ours.LIGHTING),  # type: ignore[dict-item]
    "bright": "bright_daylight", "sunlight": "bright_daylight", "natural": "daylight", "day": "daylight",
    "ir": "infrared", "night_vision": "infrared",
    # Dark or artificial light without saying which of porch light and infrared: not available.
    "night": None, "dark": None, "low_light": None, "artificial": None, "streetlight": None,
}

TABLES: Final[dict[str, tuple[str, Mapping[str, str | None]]]] = {
    "scene.location": ("camera zone", LOCATIONS),
    "scene.time_of_day": ("time of day", TIMES),
    "detections.class": ("object class", CLASSES),
    "action.action": ("action", ACTIONS),
    "scene.weather": ("weather", WEATHER),
    "scene.lighting": ("lighting", LIGHTING),
}


def normalized(value: str) -> str:
    """The lookup key of a value: lower case, trimmed, spaces and hyphens as underscores."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def lookup(field: str, value: str) -> tuple[str | None, str]:
    """(our value or None, the note when None) for a value of one labeled field, by its table."""
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


def pose_of(value: str) -> Pose | None:
    """Our pose for a labeled pose or action word, None when it names none."""
    mapped = ACTIONS.get(normalized(value))
    return mapped if mapped in ours.POSES else None  # type: ignore[return-value]


def _groups(table: Mapping[str, str | None]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for key, value in table.items():
        kind = " (cue)" if value in CUES else " (pose)" if value in ours.POSES and table is ACTIONS else ""
        groups.setdefault("not available" if value is None else f"`{value}`{kind}", []).append(key)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "not available", kv[0]))
    return [(target, sorted(keys)) for target, keys in ordered]


def mapping_markdown() -> str:
    """The tables as markdown, one row per value of ours (the README's curated-vocabulary section)."""
    unspecified = ", ".join(f"`{v}`" for v in sorted(UNSPECIFIED - {""}))
    parts = ["Values are matched after lower-casing and turning spaces and hyphens into underscores. "
             + f"{unspecified} and empty values name no single value: not available in every table. "
             + "A value in no table is not available too, with a note on the case."]
    for field, (what, table) in TABLES.items():
        parts.append(f"\n**{field}** ({what})\n\n| ours | labeled values |\n|---|---|")
        parts += [f"| {target} | {', '.join(keys)} |" for target, keys in _groups(table)]
    parts.append("\n**other blocks**\n\n| labeled | ours |\n|---|---|\n"
                 "| `face.concealed` or `face.masked` true | cue `face_concealed` |\n"
                 "| `face.known` or `face.recognized` true | cue `known_resident` |\n"
                 "| `face.visible` false alone | not available (a face out of view is not a concealed one) |\n"
                 "| `license_plate.known` true | cue `known_plate` (with a vehicle) |\n"
                 "| `license_plate.readable` false | `unreadable_plates` = 1 (with a vehicle) |\n"
                 "| `pet.known` or `pet.household` true | cue `known_pet` (with an animal) |\n"
                 "| `violence.score` | `violence_score` |\n"
                 "| `pose.pose` | `pose` (through the action table's poses) |\n"
                 "| `detections[].min_confidence` | the object's confidence (a lower bound) |\n"
                 "| `pose.is_suspicious`, `action.is_suspicious` | not used: a verdict, not an observation |")
    return "\n".join(parts) + "\n"
