"""Deterministic text for the LLM-text columns when no model endpoint is configured.

Composed only from the row's own content, so every sentence is true of the scenario; rows made
this way are marked generation_mode="deterministic".
"""

from __future__ import annotations

from typing import Any

from secassets.risk.bands import level_for_score

CAMERA_PHRASES = {
    "front_door": "front door",
    "backyard": "backyard",
    "driveway": "driveway",
    "side_gate": "side gate",
}


def _window(detections: list[dict[str, Any]]) -> float:
    times = [d["timestamp_offset_seconds"] for d in detections]
    return max(times) - min(times)


def compose_narrative(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> str:
    camera = CAMERA_PHRASES[sampled["camera_location"]]
    when = f"{sampled['day_type']} {sampled['time_of_day'].replace('_', ' ')}"
    if len(detections) == 1:
        opening = f"On a {when}, the {camera} camera recorded a single detection."
    else:
        opening = f"On a {when}, the {camera} camera recorded {len(detections)} detections over {_window(detections):.0f} seconds."
    sentences = [opening]
    for i, d in enumerate(detections[:4]):
        lead = "First" if i == 0 else "Then"
        sentences.append(
            f"{lead}, a {d['object_type']} ({d['confidence']:.0%} confidence) was seen {d['attributes']['activity']} "
            f"at t={d['timestamp_offset_seconds']:.0f}s."
        )
    if len(detections) > 4:
        sentences.append(f"{len(detections) - 4} more detections followed.")
    if sampled["primary_object"] == "package":
        sentences.append("A package on the porch is part of the scene.")
    if context is not None:
        sentences.append(
            f"The {context['zone_name'].replace('_', ' ')} zone usually sees {context['baseline_expected_count']} "
            f"object(s) at this time (deviation {context['baseline_deviation_score']:+.1f}); "
            f"{context['cross_camera_matches']} other camera(s) saw the same subjects."
        )
        if context.get("lighting"):
            sentences.append(f"Lighting: {context['lighting']}; weather: {context['weather']}.")
    return " ".join(sentences)


def compose_expected_summary(sampled: dict[str, str], detections: list[dict[str, Any]], truth: dict[str, Any]) -> str:
    rr = truth["risk_range"]
    level = level_for_score((rr["low"] + rr["high"]) / 2)
    primary = detections[0]
    camera = CAMERA_PHRASES[sampled["camera_location"]]
    alert = "alert" if truth["should_trigger_alert"] else "no alert"
    return (
        f"{level.capitalize()} risk ({rr['low']}-{rr['high']}): {primary['object_type']} "
        f"{primary['attributes']['activity']} at the {camera} during the "
        f"{sampled['time_of_day'].replace('_', ' ')}; {alert}."
    )


def compose_key_points_text(truth: dict[str, Any]) -> str:
    return "\n".join(f"- {p}" for p in truth["reasoning_key_points"])
