"""What a prompt can show: each template input, how a row renders it, and which observation fields it reveals.

Every input is rendered from a scenario, edge-case or curated row; an input the row lacks renders as
None (the template writes an explicit "not available" line), never as an empty or invented value. A
curated case states less (no timestamps, boxes or enrichment counts; sometimes no zone or time) and
may carry short summaries (face_summary, plate_summary, ocr_summary) in place of the models' output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from secassets.core.content import CUE_ATTRIBUTE, detection_cues
from secassets.risk.cues import CUE_RULES, IDENTITY_CUES
from secassets.risk.observation import ObservationField, object_actor

Row = Mapping[str, Any]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def row_detections(row: Row) -> list[dict[str, Any]]:
    return _json(row.get("detections")) or []


def _context(row: Row) -> dict[str, Any] | None:
    return _json(row.get("enrichment_context"))


def context_field(row: Row, key: str) -> Any:
    ctx = _context(row)
    return None if ctx is None else ctx.get(key)


# --- Inputs: name -> (label, renderer). A renderer returns None when the row lacks the input. ---
def _known(row: Row, key: str) -> str | None:
    """A sampled value, or None when the row does not know it (a labeled case from elsewhere)."""
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _camera(row: Row) -> str | None:
    camera = _known(row, "camera_location")
    return None if camera is None else camera.replace("_", " ")


def _time_window(row: Row) -> str | None:
    times = [d["timestamp_offset_seconds"] for d in row_detections(row) if "timestamp_offset_seconds" in d]
    span = f"; detections between t={min(times):.0f}s and t={max(times):.0f}s of a 90 s window" if times else ""
    when, day = _known(row, "time_of_day"), _known(row, "day_type")
    if when is None:
        return None
    return when.replace("_", " ") + (f" on a {day}" if day else "") + span


def _sighting(d: Mapping[str, Any]) -> str:
    """'t=12.0s person' for a timed detection; 'person' or '2 x person' for a labeled summary without times."""
    count = d.get("count", 1)
    what = f"{count} x {d['object_type']}" if count > 1 else d["object_type"]
    return f"t={d['timestamp_offset_seconds']:.1f}s {what}" if "timestamp_offset_seconds" in d else what


def _detection(d: Mapping[str, Any]) -> str:
    facts = []
    if d.get("confidence") is not None:
        facts.append(f"confidence {d['confidence']:.2f}")
    if "bbox" in d:
        facts.append(f"box x={d['bbox']['x']} y={d['bbox']['y']} w={d['bbox']['w']} h={d['bbox']['h']}")
    return f"- {_sighting(d)}" + (f" ({', '.join(facts)})" if facts else "")


def _detection_list(row: Row) -> str | None:
    lines = [_detection(d) for d in row_detections(row)]
    return "\n" + "\n".join(lines) if lines else None


def _zone(row: Row) -> str | None:
    ctx = _context(row)
    if ctx is None or ctx.get("zone_name") is None:
        return None
    return f"{ctx['zone_name'].replace('_', ' ')}, {'an entry point' if ctx['is_entry_point'] else 'not an entry point'}"


def _baseline(row: Row) -> str | None:
    expected = context_field(row, "baseline_expected_count")
    return None if expected is None else f"usually {expected} object(s) here at this time; now {len(row_detections(row))}"


def _deviation(row: Row) -> str | None:
    dev = context_field(row, "baseline_deviation_score")
    return None if dev is None else f"{dev:+.2f} (scale -3 to +3)"


def _cross_camera(row: Row) -> str | None:
    matches = context_field(row, "cross_camera_matches")
    return None if matches is None else f"same subjects seen on {matches} other camera(s)"


def _enrichment_status(row: Row) -> str | None:
    ctx = _context(row)
    if ctx is None or "baseline_expected_count" not in ctx:  # the enrichment pipeline did not report on this row
        return None
    failed = ctx.get("failed_models")
    if not failed:
        return "all enrichment models ran"
    return f"failed: {', '.join(failed)}; fallback: {ctx.get('fallback') or 'none stated'}"


def _plates(row: Row) -> str | None:
    reads = context_field(row, "plate_reads")
    if reads is None:
        return context_field(row, "plate_summary")  # a labeled case states only what it knows
    if not reads:
        return "no vehicles to read"
    return "; ".join(
        (f"{r['text']} ({'household vehicle' if r.get('known') else 'not a household vehicle'})" if r["status"] == "read"
         else f"unreadable (confidence {r['confidence']:.2f})")
        for r in reads
    )


def _faces(row: Row) -> str | None:
    known, unknown = context_field(row, "known_faces"), context_field(row, "unknown_faces")
    if known is None or unknown is None:
        return context_field(row, "face_summary")
    return f"{known} recognised resident(s), {unknown} unrecognised, {context_field(row, 'concealed_faces') or 0} concealed"


def _ocr(row: Row) -> str | None:
    reads = context_field(row, "plate_reads")
    if reads is None:
        return context_field(row, "ocr_summary")
    if not reads:
        return "no plates in view"
    bad = sum(r["status"] == "unreadable" for r in reads)
    return "OCR ran on all plates" if not bad else f"OCR failed on {bad} of {len(reads)} plate(s)"


def _behaviour(d: Mapping[str, Any]) -> str | None:
    cues = [c for c in detection_cues(d) if c not in IDENTITY_CUES]
    return ", ".join(CUE_RULES[c].phrases[0] for c in cues) or None


BEHAVIOUR_UNKNOWN = "behaviour_unknown"  # a labeled case that states no action or pose: unknown, not "none seen"


def _attributes(row: Row) -> str | None:
    if context_field(row, BEHAVIOUR_UNKNOWN):
        return None
    lines = []
    for d in row_detections(row):
        attrs = {"action": _behaviour(d), **{k: v for k, v in d.get("attributes", {}).items() if k != CUE_ATTRIBUTE}}
        text = ", ".join(f"{k}: {v}" for k, v in sorted(attrs.items()) if v) or "no behaviour recognised"
        lines.append(f"- {_sighting(d)}: {text}")
    return "\n" + "\n".join(lines) if lines else None


def _actions(row: Row) -> str | None:
    if context_field(row, BEHAVIOUR_UNKNOWN):
        return None
    values = [f"{d['object_type']} {b}" for d in row_detections(row) if (b := _behaviour(d))]
    return "; ".join(values) if values else "no behaviour recognised"


def _reid(row: Row) -> str | None:
    tracks = context_field(row, "reid_tracks")
    return None if tracks is None else f"{tracks} distinct track(s) across {len(row_detections(row))} detections"


def _scene(row: Row) -> str | None:
    known = [v.replace("_", " ") for v in (context_field(row, "lighting"), context_field(row, "weather")) if v is not None]
    return "; ".join(known) or None


def _weather(row: Row) -> str | None:
    weather = context_field(row, "weather")
    return None if weather is None else weather.replace("_", " ")


def _number(key: str) -> Callable[[Row], str | None]:
    def render(row: Row) -> str | None:
        value = context_field(row, key)
        return None if value is None else f"{value:.2f} (0-1)"
    return render


def _person_attribute(key: str) -> Callable[[Row], str | None]:
    """Pose or clothing of each person: models that run with full enrichment (unknown without it)."""
    def render(row: Row) -> str | None:
        values = [f"{d['object_type']} {d['attributes'][key]}" for d in row_detections(row) if key in d.get("attributes", {})]
        if values:
            return "; ".join(values)
        return None if context_field(row, "lighting") is None else "no people in view"
    return render


def _vehicles(row: Row) -> str | None:
    found = [d["object_type"] for d in row_detections(row) if object_actor(d["object_type"]) == "vehicle"]
    return ", ".join(found) if found else "no vehicles detected"


def _pets(row: Row) -> str | None:
    found = [d["object_type"] for d in row_detections(row) if object_actor(d["object_type"]) == "animal"]
    if not found:
        return "no animals detected"
    known = context_field(row, "known_pets")
    if known is None:
        return ", ".join(found)
    return f"{', '.join(found)} ({known} identified as the household's pet)"


@dataclass(frozen=True)
class Input:
    """One line of a prompt: its label, how a row renders it, and which observation fields it shows."""

    label: str
    render: Callable[[Row], str | None]
    reveals: tuple[ObservationField, ...]


INPUTS: dict[str, Input] = {
    "camera": Input("Camera", _camera, ("zone",)),
    "time_window": Input("Time", _time_window, ("time_of_day", "day_type", "dwell_seconds")),
    "detection_list": Input("Detections", _detection_list, ("objects", "confidence", "dwell_seconds")),
    "zone_analysis": Input("Zone", _zone, ("zone", "entry_point")),
    "baseline_comparison": Input("Baseline", _baseline, ("baseline_expected_count",)),
    "deviation": Input("Deviation from baseline", _deviation, ("baseline_expected_count",)),
    "cross_camera": Input("Cross-camera", _cross_camera, ("cross_camera_matches",)),
    "enrichment_status": Input("Enrichment status", _enrichment_status, ()),
    "plates": Input("Licence plates", _plates, ("plates", "unreadable_plates")),
    "faces": Input("Faces", _faces, ("faces",)),
    "ocr": Input("OCR", _ocr, ("unreadable_plates",)),
    "detection_attributes": Input("Per-detection attributes", _attributes,
                                  ("behaviour", "pose", "flagged_suspicious", "threat_severity")),
    "reidentification": Input("Re-identification", _reid, ()),
    "scene": Input("Scene", _scene, ("lighting", "weather")),
    "weather": Input("Weather", _weather, ("weather",)),
    "image_quality": Input("Image quality", _number("image_quality"), ("image_quality",)),
    "violence": Input("Violence model", _number("violence_score"), ("violence_score",)),
    "pose": Input("Pose", _person_attribute("pose"), ("pose",)),
    "action": Input("Action", _actions, ("behaviour",)),
    "vehicle": Input("Vehicles", _vehicles, ("objects",)),
    "clothing": Input("Clothing", _person_attribute("clothing"), ()),
    "pet": Input("Pets", _pets, ("pets",)),
}

BASIC_INPUTS = ("camera", "time_window", "detection_list")
ENRICHED_INPUTS = (*BASIC_INPUTS, "zone_analysis", "baseline_comparison", "deviation", "cross_camera", "enrichment_status")
FULL_INPUTS = (*ENRICHED_INPUTS, "plates", "faces", "ocr")
VISION_INPUTS = (*FULL_INPUTS, "detection_attributes", "reidentification", "scene")
MODEL_ZOO_INPUTS = (*VISION_INPUTS, "weather", "image_quality", "violence", "pose", "action", "vehicle", "clothing", "pet")
