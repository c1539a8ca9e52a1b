"""Grounding rules: detections, enrichment and ground truth that follow from a scenario's sampled values.

Every structured field is derived from the seven sampler values plus a per-row seeded RNG, so
the content can never contradict the label: the ground-truth range is placed inside the band of
the scenario type by a "pressure" computed from what the scenario contains (night, entry point,
deviation from baseline, people, cross-camera sightings), and each detection carries the
activity that makes its label true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from secassets.core.vocabulary import (
    ANIMAL_TYPES,
    DETECTION_COUNT_RANGE,
    DETECTION_WINDOW_SECONDS,
    ENTRY_POINT_CAMERAS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    NIGHT_TIMES,
    PRIMARY_OBJECT_CLASSES,
    VEHICLE_TYPES,
    ZONE_NAMES,
)
from secassets.risk.bands import SCENARIO_TYPE_BANDS, RiskRange, should_alert

# Box size ranges (w_min, w_max, h_min, h_max) in pixels per class, for a 1920x1080 frame.
BOX_SIZES: dict[str, tuple[int, int, int, int]] = {
    "person": (60, 220, 180, 560),
    "car": (300, 700, 160, 380),
    "truck": (400, 900, 220, 500),
    "bus": (600, 1100, 300, 600),
    "motorcycle": (150, 350, 120, 300),
    "bicycle": (120, 300, 100, 260),
    "dog": (80, 260, 60, 200),
    "cat": (50, 160, 40, 120),
}

# What each kind of actor is doing, by scenario type: the evidence behind the label.
ACTIVITIES: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {
        "normal": ("walking by", "ringing the doorbell", "entering with a key", "gardening", "taking out the trash"),
        "suspicious": ("loitering", "looking into windows", "checking car doors", "pacing near the entrance", "covering face"),
        "threat": ("forcing the door", "trying door handles", "climbing the fence", "carrying a crowbar", "breaking a window"),
        "edge_case": ("wearing a costume", "partially occluded", "running past", "crouching to tie a shoe", "reflected in glass"),
    },
    "package": {
        "normal": ("delivering a package",),
        "suspicious": ("picking up a package that is not theirs", "inspecting packages on the porch"),
        "threat": ("stealing a package and running",),
        "edge_case": ("returning a misdelivered package",),
    },
    "vehicle": {
        "normal": ("parking", "arriving home", "passing by", "making a delivery stop"),
        "suspicious": ("idling at the curb", "driving by slowly", "parked unfamiliar with lights off"),
        "threat": ("blocking the driveway with engine running", "circling the block repeatedly", "reversing toward the garage"),
        "edge_case": ("headlight glare", "turning around in the driveway", "partially out of frame"),
    },
    "animal": {
        "normal": ("walking across the yard", "sniffing around", "resting on the porch"),
        "suspicious": ("triggering repeated motion",),
        "threat": ("triggering repeated motion",),
        "edge_case": ("triggering motion at night", "running at the camera", "on the porch at night"),
    },
}

CONFIDENCE_RANGES: dict[str, tuple[float, float]] = {
    "normal": (0.75, 0.99),
    "suspicious": (0.6, 0.95),
    "threat": (0.7, 0.98),
    "edge_case": (0.5, 0.8),
}
DEVIATION_RANGES: dict[str, tuple[float, float]] = {
    "normal": (-1.0, 0.8),
    "suspicious": (1.0, 2.2),
    "threat": (2.0, 3.0),
    "edge_case": (-0.5, 1.8),
}
CROSS_CAMERA_RANGES: dict[str, tuple[int, int]] = {
    "normal": (0, 1),
    "suspicious": (1, 3),
    "threat": (2, 5),
    "edge_case": (0, 2),
}
# Usual number of objects per camera and time of day (what "baseline" means).
BASELINE_COUNTS: dict[str, dict[str, int]] = {
    "front_door": {"morning": 2, "midday": 3, "evening": 2, "night": 0, "late_night": 0},
    "backyard": {"morning": 1, "midday": 2, "evening": 2, "night": 0, "late_night": 0},
    "driveway": {"morning": 2, "midday": 1, "evening": 2, "night": 1, "late_night": 0},
    "side_gate": {"morning": 0, "midday": 1, "evening": 0, "night": 0, "late_night": 0},
}
LIGHTING: dict[str, str] = {
    "morning": "daylight",
    "midday": "bright daylight",
    "evening": "dusk",
    "night": "dark, porch light",
    "late_night": "dark, infrared",
}
WEATHER = ("clear", "overcast", "light rain", "fog")
CLOTHING = ("dark hoodie", "delivery uniform", "jacket and jeans", "high-visibility vest", "all black, gloves")
POSES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "normal": ("standing", "walking"),
    "suspicious": ("standing", "crouching", "walking"),
    "threat": ("crouching", "climbing", "kneeling"),
    "edge_case": ("crouching", "running", "standing"),
}
VERDICT_POINTS: dict[str, str] = {
    "normal": "consistent with routine activity",
    "suspicious": "unusual behaviour that warrants review",
    "threat": "indicators of attempted intrusion or theft",
    "edge_case": "ambiguous signal that is likely benign but needs verification",
}
ALL_ENRICHMENT_MODELS = frozenset({
    "zone_analysis", "baseline_comparison", "face_recognition", "pose_estimation", "clothing_attributes",
    "person_reid", "license_plate_ocr", "vehicle_attributes", "pet_identification", "low_light_enhancement",
})
RANGE_WIDTH_SHARE = 0.4
MIN_RANGE_WIDTH = 8


@dataclass(frozen=True)
class GroundedScenario:
    """The structured groups derived from one row's sampler values (plain dicts, JSON-ready)."""

    detections: list[dict[str, Any]]
    enrichment_context: dict[str, Any] | None
    ground_truth: dict[str, Any]


def row_rng(seed: int, row_index: int) -> random.Random:
    """A per-row generator, so a row's content depends only on the seed and its position."""
    return random.Random(seed * 1_000_003 + row_index)


# How often each detector class stands for its kind of actor (a bus in a driveway is rare).
CLASS_WEIGHTS: dict[str, dict[str, float]] = {
    "vehicle": {"car": 0.55, "truck": 0.2, "motorcycle": 0.1, "bicycle": 0.1, "bus": 0.05},
    "animal": {"dog": 0.6, "cat": 0.4},
}


def _choose_class(kind: str, rng: random.Random) -> str:
    if kind not in CLASS_WEIGHTS:
        return PRIMARY_OBJECT_CLASSES[kind][0]
    classes = CLASS_WEIGHTS[kind]
    return rng.choices(list(classes), weights=list(classes.values()))[0]


def _pick_classes(sampled: dict[str, str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(detector class, actor kind) per detection; the first is the primary object."""
    primary = sampled["primary_object"]
    stype = sampled["scenario_type"]
    first_class = _choose_class(primary, rng)
    picks = [(first_class, primary)]
    for i in range(1, n):
        needs_person = stype in ("suspicious", "threat") and i == 1 and primary == "vehicle"
        if needs_person or primary in ("person", "package"):
            kind = "person" if rng.random() < 0.8 or needs_person else "vehicle"
        elif primary == "vehicle":
            kind = "vehicle" if rng.random() < 0.6 else "person"
        else:  # animal
            kind = "animal" if rng.random() < 0.7 else "person"
        cls = _choose_class(kind, rng)
        picks.append((cls, kind))
    return picks


def _detections(sampled: dict[str, str], rng: random.Random) -> list[dict[str, Any]]:
    lo, hi = DETECTION_COUNT_RANGE[sampled["detection_count"]]
    n = rng.randint(lo, hi)
    stype = sampled["scenario_type"]
    start = rng.uniform(0.0, 30.0)
    end = min(DETECTION_WINDOW_SECONDS, start + rng.uniform(10.0, 60.0))
    times = sorted(round(rng.uniform(start, end), 2) for _ in range(n))
    c_lo, c_hi = CONFIDENCE_RANGES[stype]
    detections = []
    for (cls, kind), ts in zip(_pick_classes(sampled, n, rng), times, strict=True):
        w_min, w_max, h_min, h_max = BOX_SIZES[cls]
        w, h = rng.randint(w_min, w_max), rng.randint(h_min, h_max)
        detections.append(
            {
                "object_type": cls,
                "confidence": round(rng.uniform(c_lo, c_hi), 3),
                "bbox": {"x": rng.randint(0, FRAME_WIDTH - w), "y": rng.randint(0, FRAME_HEIGHT - h), "w": w, "h": h},
                "timestamp_offset_seconds": ts,
                "attributes": {"activity": rng.choice(ACTIVITIES[kind][stype])},
            }
        )
    return detections


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{rng.randint(1, 9)}{''.join(rng.choice(letters) for _ in range(3))}{rng.randint(100, 999)}"


def _enrichment(sampled: dict[str, str], detections: list[dict[str, Any]], rng: random.Random) -> dict[str, Any] | None:
    level = sampled["enrichment_level"]
    if level == "none":
        return None
    stype, camera, tod = sampled["scenario_type"], sampled["camera_location"], sampled["time_of_day"]
    baseline = BASELINE_COUNTS[camera][tod] + (1 if sampled["day_type"] == "holiday" and camera == "front_door" else 0)
    d_lo, d_hi = DEVIATION_RANGES[stype]
    m_lo, m_hi = CROSS_CAMERA_RANGES[stype]
    context: dict[str, Any] = {
        "zone_name": ZONE_NAMES[camera],
        "is_entry_point": camera in ENTRY_POINT_CAMERAS,
        "baseline_expected_count": baseline,
        "baseline_deviation_score": round(rng.uniform(d_lo, d_hi), 2),
        "cross_camera_matches": rng.randint(m_lo, m_hi),
    }
    if level == "full":
        night = tod in NIGHT_TIMES
        persons = [d for d in detections if d["object_type"] == "person"]
        vehicles = [d for d in detections if d["object_type"] in VEHICLE_TYPES]
        known = 0
        if persons and stype == "normal":
            known = rng.randint(0, len(persons))
        context.update(
            {
                "lighting": LIGHTING[tod],
                "weather": rng.choice(WEATHER),
                "image_quality": round(rng.uniform(0.35, 0.7) if night else rng.uniform(0.7, 0.98), 2),
                "known_faces": known,
                "unknown_faces": len(persons) - known,
                "plate_reads": [
                    {"text": None, "confidence": round(rng.uniform(0.1, 0.4), 2), "status": "unreadable"}
                    if night and rng.random() < 0.5
                    else {"text": _plate(rng), "confidence": round(rng.uniform(0.75, 0.99), 2), "status": "read"}
                    for _ in vehicles
                ],
                "reid_tracks": rng.randint(1, len(detections)),
            }
        )
        for d in persons:
            d["attributes"]["pose"] = rng.choice(POSES_BY_TYPE[stype])
            d["attributes"]["clothing"] = rng.choice(CLOTHING)
    return context


def risk_pressure(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> float:
    """How alarming the content is, 0-1; places the ground truth inside its type's band."""
    persons = sum(d["object_type"] == "person" for d in detections)
    pressure = 0.25 * (sampled["time_of_day"] in NIGHT_TIMES)
    pressure += 0.15 * (sampled["camera_location"] in ENTRY_POINT_CAMERAS)
    pressure += 0.2 * (persons / len(detections))
    if context is not None:
        pressure += 0.25 * (context["baseline_deviation_score"] + 3.0) / 6.0
        pressure += 0.15 * context["cross_camera_matches"] / 5.0
    else:
        pressure += 0.2 * min(len(detections), 10) / 10.0
    return round(min(1.0, max(0.0, pressure)), 6)


def risk_range_for(scenario_type: str, pressure: float) -> RiskRange:
    """A sub-range of the type's band centred by pressure."""
    band = SCENARIO_TYPE_BANDS[scenario_type]
    span = band.high - band.low
    width = max(MIN_RANGE_WIDTH, round(RANGE_WIDTH_SHARE * span))
    centre = band.low + pressure * span
    low = round(centre - width / 2)
    low = min(max(low, band.low), band.high - width)
    return RiskRange(low=low, high=low + width)


def _object_summary(detections: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for d in detections:
        counts[d["object_type"]] = counts.get(d["object_type"], 0) + 1
    return ", ".join(f"{c} {k}{'s' if c > 1 and k != 'bus' else ('es' if c > 1 else '')}" for k, c in counts.items())


def key_points(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> list[str]:
    """Short facts a correct analysis should mention; the basis of key-point recall."""
    points = [f"{len(detections)} detection{'s' if len(detections) > 1 else ''}: {_object_summary(detections)}"]
    tod = sampled["time_of_day"]
    points.append(f"activity at {tod.replace('_', ' ')}" if tod in NIGHT_TIMES else f"daytime activity ({tod})")
    if sampled["camera_location"] in ENTRY_POINT_CAMERAS:
        points.append(f"at an entry point ({sampled['camera_location'].replace('_', ' ')})")
    primary = detections[0]
    points.append(f"{primary['object_type']} {primary['attributes']['activity']}")
    if sampled["primary_object"] == "package":
        points.append("package involved")
    if context is not None:
        dev = context["baseline_deviation_score"]
        points.append(f"deviation {dev:+.1f} from a baseline of {context['baseline_expected_count']}")
        if context["cross_camera_matches"]:
            points.append(f"seen on {context['cross_camera_matches']} other camera(s)")
        if context.get("unknown_faces"):
            points.append(f"{context['unknown_faces']} unknown face(s)")
        if any(p["status"] == "unreadable" for p in context.get("plate_reads") or []):
            points.append("licence plate unreadable")
    points.append(VERDICT_POINTS[sampled["scenario_type"]])
    return points


def expected_enrichment_models(sampled: dict[str, str], detections: list[dict[str, Any]]) -> list[str]:
    """Enrichment models a full pipeline should run for this content."""
    models = {"zone_analysis", "baseline_comparison"}
    classes = {d["object_type"] for d in detections}
    if "person" in classes:
        models |= {"face_recognition", "pose_estimation", "clothing_attributes", "person_reid"}
    if classes & set(VEHICLE_TYPES):
        models |= {"license_plate_ocr", "vehicle_attributes"}
    if classes & set(ANIMAL_TYPES):
        models.add("pet_identification")
    if sampled["time_of_day"] in NIGHT_TIMES:
        models.add("low_light_enhancement")
    return sorted(models)


def ground_truth_for(
    sampled: dict[str, str],
    detections: list[dict[str, Any]],
    context: dict[str, Any] | None,
    extra_points: tuple[str, ...] = (),
    all_models: bool = False,
) -> dict[str, Any]:
    """Ground truth that follows from the content: range inside the type's band, key points, alert, models."""
    rr = risk_range_for(sampled["scenario_type"], risk_pressure(sampled, detections, context))
    points = key_points(sampled, detections, context)
    points[-1:-1] = list(extra_points)  # the verdict stays last
    return {
        "risk_range": {"low": rr.low, "high": rr.high},
        "reasoning_key_points": points,
        "expected_enrichment_models": sorted(ALL_ENRICHMENT_MODELS) if all_models else expected_enrichment_models(sampled, detections),
        "should_trigger_alert": should_alert(rr),
    }


def ground(sampled: dict[str, str], rng: random.Random) -> GroundedScenario:
    """Derive detections, enrichment context and ground truth for one sampled row."""
    detections = _detections(sampled, rng)
    context = _enrichment(sampled, detections, rng)
    return GroundedScenario(detections, context, ground_truth_for(sampled, detections, context))
