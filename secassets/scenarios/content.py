"""Drawing a scenario's content: detections with their actors' cues, and what enrichment reports.

Content comes first and the label follows from it (secassets.scenarios.grounding). The scenario type
only tilts how often each cue is proposed: every cue can be proposed under every type, and detector
confidence, boxes, timestamps, weather and image quality do not depend on the type at all.
"""

from __future__ import annotations

import random
from typing import Any, Final

from secassets.core.content import cue_attribute, detection_cues
from secassets.core.vocabulary import (
    DETECTION_COUNT_RANGE,
    DETECTION_WINDOW_SECONDS,
    ENTRY_POINT_CAMERAS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    LIGHTING_BY_TIME,
    NIGHT_TIMES,
    PRIMARY_OBJECT_CLASSES,
    WEATHER,
    ZONE_NAMES,
)
from secassets.risk.cues import CUE_RULES, EXCLUSIVE_CUES, LOITER_SECONDS, PASSING_SECONDS, Cue
from secassets.risk.observation import object_actor
from secassets.risk.rubric import baseline_deviation

# Box size ranges (w_min, w_max, h_min, h_max) in pixels per class, for a 1920x1080 frame.
BOX_SIZES: Final[dict[str, tuple[int, int, int, int]]] = {
    "person": (60, 220, 180, 560),
    "car": (300, 700, 160, 380),
    "truck": (400, 900, 220, 500),
    "bus": (600, 1100, 300, 600),
    "motorcycle": (150, 350, 120, 300),
    "bicycle": (120, 300, 100, 260),
    "dog": (80, 260, 60, 200),
    "cat": (50, 160, 40, 120),
}
# How often each detector class stands for its kind of actor (a bus in a driveway is rare).
CLASS_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "vehicle": {"car": 0.55, "truck": 0.2, "motorcycle": 0.1, "bicycle": 0.1, "bus": 0.05},
    "animal": {"dog": 0.6, "cat": 0.4},
}
# Usual number of objects per camera and time of day (what "baseline" means).
BASELINE_COUNTS: Final[dict[str, dict[str, int]]] = {
    "front_door": {"morning": 2, "midday": 3, "evening": 2, "night": 0, "late_night": 0},
    "backyard": {"morning": 1, "midday": 2, "evening": 2, "night": 0, "late_night": 0},
    "driveway": {"morning": 2, "midday": 1, "evening": 2, "night": 1, "late_night": 0},
    "side_gate": {"morning": 0, "midday": 1, "evening": 0, "night": 0, "late_night": 0},
}
CLOTHING: Final = ("dark hoodie", "delivery uniform", "jacket and jeans", "high-visibility vest", "grey coat",
                   "sports kit", "work overalls", "raincoat")
CONCEALING_CLOTHING: Final = ("balaclava", "hood pulled low, face covered", "ski mask and gloves")
# Probability that a cue is proposed, by scenario type (the rubric, not this table, decides the label).
CUE_PROPOSAL: Final[dict[str, dict[Cue, float]]] = {
    "normal": {"passing_by": 0.35, "approaching_entry": 0.3, "loitering": 0.12, "peering_in_windows": 0.05,
               "face_concealed": 0.05, "vehicle_idling": 0.1, "circling": 0.05, "damaging_property": 0.04, "trying_handles": 0.04, "climbing": 0.05,
               "carrying_tool": 0.08, "forcing_entry": 0.04, "carrying_weapon": 0.02, "attacking": 0.04},
    "suspicious": {"passing_by": 0.12, "approaching_entry": 0.45, "loitering": 0.35, "peering_in_windows": 0.25,
                   "face_concealed": 0.25, "vehicle_idling": 0.3, "circling": 0.3, "damaging_property": 0.15, "trying_handles": 0.15, "climbing": 0.12,
                   "carrying_tool": 0.1, "forcing_entry": 0.06, "carrying_weapon": 0.05, "attacking": 0.08},
    "threat": {"passing_by": 0.05, "approaching_entry": 0.5, "loitering": 0.35, "peering_in_windows": 0.3,
               "face_concealed": 0.35, "vehicle_idling": 0.3, "circling": 0.3, "damaging_property": 0.1, "trying_handles": 0.35, "climbing": 0.3,
               "carrying_tool": 0.3, "forcing_entry": 0.3, "carrying_weapon": 0.12, "attacking": 0.15},
    "edge_case": {"passing_by": 0.25, "approaching_entry": 0.4, "loitering": 0.25, "peering_in_windows": 0.15,
                  "face_concealed": 0.15, "vehicle_idling": 0.2, "circling": 0.15, "damaging_property": 0.12, "trying_handles": 0.1, "climbing": 0.1,
                  "carrying_tool": 0.12, "forcing_entry": 0.08, "carrying_weapon": 0.05, "attacking": 0.08},
}
# Probability that the actors are known to the household (resident, plate, pet), by scenario type.
KNOWN_PROPOSAL: Final[dict[str, float]] = {"normal": 0.45, "suspicious": 0.15, "threat": 0.1, "edge_case": 0.35}
PACKAGE_TAKEN: Final[dict[str, float]] = {"normal": 0.4, "suspicious": 0.6, "threat": 0.7, "edge_case": 0.5}
CROSS_CAMERA_PROPOSAL: Final[dict[str, tuple[int, ...]]] = {
    "normal": (0, 0, 0, 1, 1, 2), "suspicious": (0, 1, 1, 2, 2, 3), "threat": (0, 1, 2, 2, 3, 3), "edge_case": (0, 0, 1, 1, 2, 3),
}
CROUCHING_CUES: Final = frozenset({"trying_handles", "forcing_entry", "peering_in_windows", "taking_package"})


def row_rng(seed: int, row_index: int) -> random.Random:
    """A per-row generator, so a row's content depends only on the seed and its position."""
    return random.Random(seed * 1_000_003 + row_index)


def _choose_class(kind: str, rng: random.Random) -> str:
    if kind not in CLASS_WEIGHTS:
        return PRIMARY_OBJECT_CLASSES[kind][0]
    classes = CLASS_WEIGHTS[kind]
    return rng.choices(list(classes), weights=list(classes.values()))[0]


def _classes(primary: str, n: int, rng: random.Random) -> list[str]:
    """Detector class per detection (the first is the primary object); independent of the scenario type."""
    picks = [_choose_class(primary, rng)]
    for _ in range(1, n):
        if primary in ("person", "package"):
            kind = "person" if rng.random() < 0.8 else "vehicle"
        elif primary == "vehicle":
            kind = "vehicle" if rng.random() < 0.5 else "person"
        else:
            kind = "animal" if rng.random() < 0.6 else "person"
        picks.append(_choose_class(kind, rng))
    return picks


def _propose_cues(stype: str, primary: str, actors: set[str], persons: int, rng: random.Random) -> set[Cue]:
    cues: set[Cue] = set()
    for cue, p in CUE_PROPOSAL[stype].items():
        if rng.random() < p and actors & set(CUE_RULES[cue].actors):
            cues.add(cue)
    if primary == "package":
        cues.add("taking_package" if rng.random() < PACKAGE_TAKEN[stype] else "delivering")
    else:
        cues.discard("taking_package")
    if persons < 2:
        cues.discard("loitering")  # dwell needs two sightings
    known = KNOWN_PROPOSAL[stype]
    for cue, actor in (("known_resident", "person"), ("known_plate", "vehicle"), ("known_pet", "animal")):
        if actor in actors and rng.random() < known:
            cues.add(cue)  # type: ignore[arg-type]
    for a, b in EXCLUSIVE_CUES:  # the first of a pair yields: the rarer, more specific cue stays
        if a in cues and b in cues:
            cues.discard(a)
    return cues


def _timestamps(classes: list[str], cues: set[Cue], rng: random.Random) -> list[float]:
    """Sorted timestamps; the people's span agrees with loitering or passing by, and otherwise stays short of both."""
    if "loitering" in cues:
        span = rng.uniform(LOITER_SECONDS + 1, 80.0)
    elif "passing_by" in cues:
        span = rng.uniform(2.0, PASSING_SECONDS - 2)
    else:
        span = rng.uniform(5.0, LOITER_SECONDS - 2)
    start = rng.uniform(0.0, DETECTION_WINDOW_SECONDS - span)
    inner = sorted(round(rng.uniform(start, start + span), 2) for _ in classes)
    persons = [i for i, c in enumerate(classes) if c == "person"]
    if len(persons) > 1:  # the first and last person sightings mark the span exactly
        inner[persons[0]], inner[persons[-1]] = round(start, 2), round(start + span, 2)
    return sorted(inner) if not persons else inner


def draw_box(cls: str, rng: random.Random) -> dict[str, int]:
    """A box of the class's size range, anywhere inside the frame."""
    w_min, w_max, h_min, h_max = BOX_SIZES[cls]
    w, h = rng.randint(w_min, w_max), rng.randint(h_min, h_max)
    return {"x": rng.randint(0, FRAME_WIDTH - w), "y": rng.randint(0, FRAME_HEIGHT - h), "w": w, "h": h}


def _actor_cues(cues: set[Cue], actor: str) -> list[Cue]:
    return [c for c in cues if actor in CUE_RULES[c].actors]


def draw_detections(sampled: dict[str, str], stype: str, rng: random.Random) -> list[dict[str, Any]]:
    """The batch: classes, boxes, confidences and timestamps, with each actor's cues on its first detection."""
    lo, hi = DETECTION_COUNT_RANGE[sampled["detection_count"]]
    classes = _classes(sampled["primary_object"], rng.randint(lo, hi), rng)
    actors = {object_actor(c) for c in classes}
    cues = _propose_cues(stype, sampled["primary_object"], actors, classes.count("person"), rng)
    times = _timestamps(classes, cues, rng)
    detections = [
        {"object_type": cls, "confidence": round(rng.triangular(0.5, 0.99, 0.9), 3), "bbox": draw_box(cls, rng),
         "timestamp_offset_seconds": t, "attributes": {}}
        for cls, t in zip(classes, times, strict=True)
    ]
    placed: set[Cue] = set()
    for d in detections:  # each cue on the first detection of an actor that can show it
        mine = [c for c in _actor_cues(cues, object_actor(d["object_type"])) if c not in placed]
        if mine:
            d["attributes"]["cues"] = cue_attribute(mine)
            placed.update(mine)
    detections.sort(key=lambda d: d["timestamp_offset_seconds"])
    return detections


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{rng.randint(1, 9)}{''.join(rng.choice(letters) for _ in range(3))}{rng.randint(100, 999)}"


def _faces(persons: int, cues: set[str]) -> dict[str, int]:
    if "known_resident" in cues:
        return {"known_faces": persons, "unknown_faces": 0, "concealed_faces": 0}
    concealed = 1 if "face_concealed" in cues and persons else 0
    return {"known_faces": 0, "unknown_faces": persons - concealed, "concealed_faces": concealed}


def _violence(cues: set[str], rng: random.Random) -> float:
    if "attacking" in cues:
        return round(rng.uniform(0.5, 0.98), 2)
    if cues & {"forcing_entry", "carrying_weapon"}:
        return round(rng.uniform(0.3, 0.7), 2)
    return round(rng.uniform(0.0, 0.3), 2)


def draw_enrichment(sampled: dict[str, str], stype: str, detections: list[dict[str, Any]], rng: random.Random) -> dict[str, Any] | None:
    """What the enrichment models report about the batch, consistent with its content (None at level none)."""
    level = sampled["enrichment_level"]
    if level == "none":
        return None
    camera, tod = sampled["camera_location"], sampled["time_of_day"]
    baseline = BASELINE_COUNTS[camera][tod] + (1 if sampled["day_type"] == "holiday" and camera == "front_door" else 0)
    context: dict[str, Any] = {
        "zone_name": ZONE_NAMES[camera],
        "is_entry_point": camera in ENTRY_POINT_CAMERAS,
        "baseline_expected_count": baseline,
        "baseline_deviation_score": baseline_deviation(baseline, len(detections)),
        "cross_camera_matches": rng.choice(CROSS_CAMERA_PROPOSAL[stype]),
    }
    if level == "full":
        cues = {c for d in detections for c in detection_cues(d)}
        night = tod in NIGHT_TIMES
        persons = [d for d in detections if d["object_type"] == "person"]
        vehicles = [d for d in detections if object_actor(d["object_type"]) == "vehicle"]
        animals = [d for d in detections if object_actor(d["object_type"]) == "animal"]
        reads = [{"text": None, "confidence": round(rng.uniform(0.1, 0.4), 2), "status": "unreadable", "known": False}
                 if night and rng.random() < 0.4 else
                 {"text": _plate(rng), "confidence": round(rng.uniform(0.75, 0.99), 2), "status": "read", "known": False}
                 for _ in vehicles]
        if "known_plate" in cues:
            reads[0] = {"text": _plate(rng), "confidence": round(rng.uniform(0.8, 0.99), 2), "status": "read", "known": True}
        context.update({
            "lighting": rng.choice(LIGHTING_BY_TIME[tod]),
            "weather": rng.choice(WEATHER),
            "image_quality": round(rng.uniform(0.3, 0.7) if night else rng.uniform(0.65, 0.98), 2),
            **_faces(len(persons), cues),
            "known_pets": len(animals) if "known_pet" in cues else 0,
            "violence_score": _violence(cues, rng),
            "plate_reads": reads,
            "reid_tracks": rng.randint(1, len(detections)),
        })
        for d in persons:
            mine = set(detection_cues(d))
            if mine & CROUCHING_CUES and rng.random() < 0.6:
                d["attributes"]["pose"] = rng.choice(("crouching", "kneeling"))
            elif "passing_by" in mine and rng.random() < 0.3:
                d["attributes"]["pose"] = "running"
            else:
                d["attributes"]["pose"] = rng.choice(("standing", "walking", "standing", "crouching"))
            wear = CONCEALING_CLOTHING if "face_concealed" in mine else CLOTHING
            d["attributes"]["clothing"] = rng.choice(wear)
    return context
