"""The derived columns: prompt input, complexity score and scenario hash, each defined once here."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from secassets.core.vocabulary import NIGHT_TIMES, SAMPLER_COLUMNS

ENRICHMENT_WEIGHT = {"none": 0.0, "basic": 0.5, "full": 1.0}

# The Data Designer Jinja expression that renders formatted_prompt_input from the row.
PROMPT_INPUT_EXPR = (
    "Camera: {{ camera_location }} | Time: {{ time_of_day }} ({{ day_type }}) | "
    "Enrichment: {{ enrichment_level }}\n{{ prompt_context }}"
)


def complexity_score(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> float:
    """0-1: how much a model must weigh. 0.35 count + 0.15 class variety + 0.2 enrichment + 0.1 night
    + 0.1 |deviation| + 0.1 cross-camera matches (each term scaled to 0-1 first)."""
    n = min(len(detections), 10) / 10
    variety = (len({d["object_type"] for d in detections}) - 1) / 3
    score = 0.35 * n + 0.15 * min(variety, 1.0) + 0.2 * ENRICHMENT_WEIGHT[sampled["enrichment_level"]]
    score += 0.1 * (sampled["time_of_day"] in NIGHT_TIMES)
    if context is not None:
        score += 0.1 * min(abs(context["baseline_deviation_score"]), 3.0) / 3.0
        score += 0.1 * context["cross_camera_matches"] / 5
    return round(min(score, 1.0), 4)


def scenario_hash(sampled: dict[str, str], narrative: str) -> str:
    """SHA-256 of the canonical JSON of the seven sampler values and the narrative."""
    payload = {c: sampled[c] for c in SAMPLER_COLUMNS}
    payload["scenario_narrative"] = narrative
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def prompt_context(detections: list[dict[str, Any]], context: dict[str, Any] | None) -> str:
    """The detection and enrichment lines that follow the header of formatted_prompt_input."""
    lines = ["Detections:"]
    for d in detections:
        b = d["bbox"]
        attrs = ", ".join(f"{k}={v}" for k, v in sorted(d["attributes"].items()))
        lines.append(
            f"- t={d['timestamp_offset_seconds']:.1f}s {d['object_type']} conf={d['confidence']:.2f} "
            f"bbox=({b['x']},{b['y']},{b['w']},{b['h']}) {attrs}"
        )
    if context is None:
        lines.append("Enrichment: not available")
    else:
        lines.append(
            f"Zone: {context['zone_name']} (entry point: {'yes' if context['is_entry_point'] else 'no'}); "
            f"baseline {context['baseline_expected_count']}, deviation {context['baseline_deviation_score']:+.2f}; "
            f"cross-camera matches {context['cross_camera_matches']}"
        )
    return "\n".join(lines)


def format_prompt_input(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> str:
    """formatted_prompt_input outside Data Designer: the same text PROMPT_INPUT_EXPR renders."""
    return (
        f"Camera: {sampled['camera_location']} | Time: {sampled['time_of_day']} ({sampled['day_type']}) | "
        f"Enrichment: {sampled['enrichment_level']}\n{prompt_context(detections, context)}"
    )
