"""The five risk-analysis prompt templates (ChatML), their declared inputs and the JSON they ask for.

Every input is rendered from a scenario (or edge-case) row; an input the row lacks renders as an
explicit "not available" line, never as an empty or invented value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from secassets.core.content import CUE_ATTRIBUTE, detection_cues
from secassets.core.vocabulary import ANIMAL_TYPES, TEMPLATE_NAMES, VEHICLE_TYPES
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS, level_score_ranges
from secassets.risk.cues import CUE_RULES, IDENTITY_CUES
from secassets.risk.observation import ObservationField

NOT_AVAILABLE = "not available"
THINKING_DIRECTIVE = "detailed thinking on"
SUMMARY_MAX = 200
REASONING_MAX = 500
ACTION_MAX = 160
LIST_ITEMS_MAX = 5
LIST_ITEM_MAX = 60
PLAIN_TEXT = r"^[\x20-\x21\x23-\x5B\x5D-\x7E]*$"  # printable ASCII but " and \\: never escaped in JSON
# The risk scheme as the prompts state it, read from secassets.risk (the prompt text is part of every cache key).
SCORE_FIELD = f"risk_score ({MIN_SCORE}-{MAX_SCORE})"
LEVEL_FIELD = f"risk_level ({'|'.join(RISK_LEVELS)})"
LEVELS_LINE = "Risk levels: " + ", ".join(f"{lvl} {r.low}-{r.high}" for lvl, r in level_score_ranges().items()) + "."

Row = Mapping[str, Any]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _detections(row: Row) -> list[dict[str, Any]]:
    return _json(row.get("detections")) or []


def _context(row: Row) -> dict[str, Any] | None:
    return _json(row.get("enrichment_context"))


def _context_field(row: Row, key: str) -> Any:
    ctx = _context(row)
    return None if ctx is None else ctx.get(key)


# --- Inputs: name -> (label, renderer). A renderer returns None when the row lacks the input. ---
def _camera(row: Row) -> str | None:
    return str(row["camera_location"]).replace("_", " ")


def _time_window(row: Row) -> str | None:
    times = [d["timestamp_offset_seconds"] for d in _detections(row)]
    span = f"; detections between t={min(times):.0f}s and t={max(times):.0f}s of a 90 s window" if times else ""
    return f"{str(row['time_of_day']).replace('_', ' ')} on a {row['day_type']}{span}"


def _detection_list(row: Row) -> str | None:
    lines = [
        f"- t={d['timestamp_offset_seconds']:.1f}s {d['object_type']} (confidence {d['confidence']:.2f}, "
        f"box x={d['bbox']['x']} y={d['bbox']['y']} w={d['bbox']['w']} h={d['bbox']['h']})"
        for d in _detections(row)
    ]
    return "\n" + "\n".join(lines) if lines else None


def _zone(row: Row) -> str | None:
    ctx = _context(row)
    if ctx is None:
        return None
    return f"{ctx['zone_name'].replace('_', ' ')}, {'an entry point' if ctx['is_entry_point'] else 'not an entry point'}"


def _baseline(row: Row) -> str | None:
    expected = _context_field(row, "baseline_expected_count")
    return None if expected is None else f"usually {expected} object(s) here at this time; now {len(_detections(row))}"


def _deviation(row: Row) -> str | None:
    dev = _context_field(row, "baseline_deviation_score")
    return None if dev is None else f"{dev:+.2f} (scale -3 to +3)"


def _cross_camera(row: Row) -> str | None:
    matches = _context_field(row, "cross_camera_matches")
    return None if matches is None else f"same subjects seen on {matches} other camera(s)"


def _enrichment_status(row: Row) -> str | None:
    ctx = _context(row)
    if ctx is None:
        return None
    failed = ctx.get("failed_models")
    if not failed:
        return "all enrichment models ran"
    return f"failed: {', '.join(failed)}; fallback: {ctx.get('fallback') or 'none stated'}"


def _plates(row: Row) -> str | None:
    reads = _context_field(row, "plate_reads")
    if reads is None:
        return None
    if not reads:
        return "no vehicles to read"
    return "; ".join(
        (f"{r['text']} ({'household vehicle' if r.get('known') else 'not a household vehicle'})" if r["status"] == "read"
         else f"unreadable (confidence {r['confidence']:.2f})")
        for r in reads
    )


def _faces(row: Row) -> str | None:
    known, unknown = _context_field(row, "known_faces"), _context_field(row, "unknown_faces")
    if known is None or unknown is None:
        return None
    return f"{known} recognised resident(s), {unknown} unrecognised, {_context_field(row, 'concealed_faces') or 0} concealed"


def _ocr(row: Row) -> str | None:
    reads = _context_field(row, "plate_reads")
    if reads is None:
        return None
    if not reads:
        return "no plates in view"
    bad = sum(r["status"] == "unreadable" for r in reads)
    return "OCR ran on all plates" if not bad else f"OCR failed on {bad} of {len(reads)} plate(s)"


def _behaviour(d: Mapping[str, Any]) -> str | None:
    cues = [c for c in detection_cues(d) if c not in IDENTITY_CUES]
    return ", ".join(CUE_RULES[c].phrases[0] for c in cues) or None


def _attributes(row: Row) -> str | None:
    lines = []
    for d in _detections(row):
        attrs = {"action": _behaviour(d), **{k: v for k, v in d.get("attributes", {}).items() if k != CUE_ATTRIBUTE}}
        text = ", ".join(f"{k}: {v}" for k, v in sorted(attrs.items()) if v) or "no behaviour recognised"
        lines.append(f"- t={d['timestamp_offset_seconds']:.1f}s {d['object_type']}: {text}")
    return "\n" + "\n".join(lines) if lines else None


def _actions(row: Row) -> str | None:
    values = [f"{d['object_type']} {b}" for d in _detections(row) if (b := _behaviour(d))]
    return "; ".join(values) if values else "no behaviour recognised"


def _reid(row: Row) -> str | None:
    tracks = _context_field(row, "reid_tracks")
    return None if tracks is None else f"{tracks} distinct track(s) across {len(_detections(row))} detections"


def _scene(row: Row) -> str | None:
    lighting, weather = _context_field(row, "lighting"), _context_field(row, "weather")
    return None if lighting is None else f"{lighting.replace('_', ' ')}; {weather.replace('_', ' ')}"


def _weather(row: Row) -> str | None:
    weather = _context_field(row, "weather")
    return None if weather is None else weather.replace("_", " ")


def _number(key: str) -> Callable[[Row], str | None]:
    def render(row: Row) -> str | None:
        value = _context_field(row, key)
        return None if value is None else f"{value:.2f} (0-1)"
    return render


def _person_attribute(key: str) -> Callable[[Row], str | None]:
    """Pose or clothing of each person: models that run with full enrichment (unknown without it)."""
    def render(row: Row) -> str | None:
        if _context_field(row, "lighting") is None:
            return None
        values = [f"{d['object_type']} {d['attributes'][key]}" for d in _detections(row) if key in d.get("attributes", {})]
        return "; ".join(values) if values else "no people in view"
    return render


def _vehicles(row: Row) -> str | None:
    found = [d["object_type"] for d in _detections(row) if d["object_type"] in VEHICLE_TYPES]
    return ", ".join(found) if found else "no vehicles detected"


def _pets(row: Row) -> str | None:
    found = [d["object_type"] for d in _detections(row) if d["object_type"] in ANIMAL_TYPES]
    if not found:
        return "no animals detected"
    known = _context_field(row, "known_pets")
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
    "detection_attributes": Input("Per-detection attributes", _attributes, ("behaviour", "pose")),
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


@dataclass(frozen=True)
class PromptTemplate:
    """One production prompt: what it feeds the model and what JSON it asks for."""

    name: str
    inputs: tuple[str, ...]
    output_fields: tuple[str, ...]  # beyond risk_score, risk_level, summary, reasoning
    instruction: str

    @property
    def reveals(self) -> frozenset[ObservationField]:
        """The observation fields this template shows the model (what a perfect reader of it can know)."""
        return frozenset(f for name in self.inputs for f in INPUTS[name].reveals)

    def system_prompt(self, thinking: bool = False) -> str:
        fields = ", ".join((SCORE_FIELD, LEVEL_FIELD, "summary", "reasoning", *self.output_fields))
        lines = [THINKING_DIRECTIVE] if thinking else []
        lines += [
            "You are the risk-analysis model of a home-security system. " + self.instruction,
            LEVELS_LINE,
            f"Answer with one JSON object with the fields: {fields}.",
        ]
        return "\n".join(lines)

    def user_prompt(self, row: Row) -> str:
        lines = []
        for name in self.inputs:
            spec = INPUTS[name]
            value = spec.render(row)
            value = NOT_AVAILABLE if value is None else str(value)
            lines.append(f"{spec.label}:{'' if value.startswith(chr(10)) else ' '}{value}")
        return "\n".join(lines)

    def render(self, row: Row, thinking: bool = False) -> str:
        """The ChatML prompt, ending where the assistant's answer starts."""
        return (
            f"<|im_start|>system\n{self.system_prompt(thinking)}<|im_end|>\n"
            f"<|im_start|>user\n{self.user_prompt(row)}<|im_end|>\n"
            "<|im_start|>assistant\n"
        )

    def answer_schema(self) -> dict[str, Any]:
        """JSON schema of the answer: strings bounded and printable ASCII without quotes or backslashes, so no
        escape is ever needed and every token is at least one character (see answer_token_budget)."""
        def text(max_length: int) -> dict[str, Any]:
            return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": PLAIN_TEXT}

        string_list = {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": text(LIST_ITEM_MAX)}
        properties: dict[str, Any] = {
            "risk_score": {"type": "integer", "minimum": MIN_SCORE, "maximum": MAX_SCORE},
            "risk_level": {"type": "string", "enum": list(RISK_LEVELS)},
            "summary": text(SUMMARY_MAX),
            "reasoning": text(REASONING_MAX),
        }
        extra = {
            "recommended_action": text(ACTION_MAX),
            "entities": string_list,
            "flags": string_list,
            "confidence_factors": string_list,
        }
        properties.update({f: extra[f] for f in self.output_fields})
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
            # llguidance: compact JSON, so a small model cannot pad with whitespace up to the token limit
            "x-guidance": {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
        }

    def answer_token_budget(self) -> int:
        """Characters of the longest answer the schema admits (compact JSON, every string at its maximum).

        A token is at least one character of plain ASCII, so an n_predict of this never cuts an answer.
        """
        def longest(prop: dict[str, Any]) -> int:
            if "enum" in prop:
                return max(len(json.dumps(v)) for v in prop["enum"])
            if prop["type"] == "integer":
                return max(len(str(prop["minimum"])), len(str(prop["maximum"])))
            if prop["type"] == "string":
                return prop["maxLength"] + 2
            items = prop["maxItems"]
            return 2 + items * longest(prop["items"]) + max(0, items - 1)
        props = self.answer_schema()["properties"]
        return 2 + sum(len(json.dumps(k)) + 1 + longest(v) for k, v in props.items()) + len(props) - 1


TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate("basic", BASIC_INPUTS, (), "Rate the risk of this camera event from the raw detections."),
        PromptTemplate("enriched", ENRICHED_INPUTS, ("recommended_action",),
                       "Rate the risk using the detections and the zone and baseline context."),
        PromptTemplate("full_enriched", FULL_INPUTS, ("recommended_action", "entities"),
                       "Rate the risk using detections, zone, baseline, plates, faces and OCR context."),
        PromptTemplate("vision", VISION_INPUTS, ("recommended_action", "flags"),
                       "Rate the risk using detections, enrichment and per-detection visual attributes."),
        PromptTemplate("model_zoo", MODEL_ZOO_INPUTS, ("recommended_action", "flags", "confidence_factors"),
                       "Rate the risk using every model in the enrichment zoo; weigh each model's evidence."),
    )
}
assert tuple(TEMPLATES) == TEMPLATE_NAMES
