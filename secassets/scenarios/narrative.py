"""Deterministic text for the LLM-text columns when no model endpoint is configured.

Composed only from the row's own content (its cues, objects, where they are in the frame, poses,
clothing, lighting, counts), so every sentence is true of the scenario and two scenarios read alike
only when their content is alike. Wording is picked by a generator seeded from the content, so the
same content always gives the same text. Rows made this way are marked generation_mode="deterministic".
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from secassets.core.content import detection_cues, person_dwell
from secassets.core.vocabulary import FRAME_HEIGHT, FRAME_WIDTH
from secassets.risk.cues import CUE_RULES
from secassets.risk.observation import object_actor

CAMERA_PHRASES = {
    "front_door": ("front door", "front porch", "doorstep"),
    "backyard": ("backyard", "back garden", "rear lawn"),
    "driveway": ("driveway", "drive", "parking apron"),
    "side_gate": ("side gate", "side passage", "gate path"),
}
TIME_PHRASES = {
    "morning": ("in the morning", "early in the day", "on a {day} morning"),
    "midday": ("around midday", "at lunchtime", "in the middle of a {day}"),
    "evening": ("in the evening", "at dusk", "on a {day} evening"),
    "night": ("at night", "after dark", "on a {day} night"),
    "late_night": ("in the small hours", "late at night", "well after midnight on a {day}"),
}
# How a vehicle or an animal does what a cue names, where it differs from a person (cue phrases are a person's).
ACTOR_PHRASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("vehicle", "forcing_entry"): ("reversing into the garage door", "ramming the gate"),
    ("vehicle", "approaching_entry"): ("pulling up to the garage", "driving up to the gate"),
    ("vehicle", "circling"): ("circling the block", "driving past again"),
    ("vehicle", "passing_by"): ("driving past", "passing along the street"),
    ("animal", "damaging_property"): ("digging under the fence", "knocking over a plant pot"),
    ("animal", "attacking"): ("lunging and snapping", "attacking"),
    ("animal", "passing_by"): ("trotting past", "crossing the frame"),
}
DAY_WORDS = {"weekday": "weekday", "weekend": "weekend", "holiday": "public holiday"}


def _rng(*parts: Any) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _where(d: dict[str, Any]) -> str:
    """Where the box sits: side of the frame, and near or far (box height)."""
    b = d["bbox"]
    centre = (b["x"] + b["w"] / 2) / FRAME_WIDTH
    side = "on the left" if centre < 0.35 else ("on the right" if centre > 0.65 else "in the middle of the frame")
    near = b["h"] / FRAME_HEIGHT
    distance = "close to the camera" if near > 0.4 else ("far from the camera" if near < 0.2 else "at mid distance")
    return f"{side}, {distance}"


def _who(d: dict[str, Any], rng: random.Random) -> str:
    cls = d["object_type"]
    words = {"person": ("a person", "someone", "an adult figure"), "car": ("a car", "a saloon car"),
             "truck": ("a truck", "a pickup truck"), "bus": ("a bus",), "motorcycle": ("a motorcycle", "a motorbike"),
             "bicycle": ("a bicycle", "a cyclist"), "dog": ("a dog",), "cat": ("a cat",)}
    who = rng.choice(words[cls])
    clothing = d["attributes"].get("clothing")
    return f"{who} in {clothing}" if clothing else who


def _detection_sentence(d: dict[str, Any], t0: float, rng: random.Random) -> str:
    cues = [c for c in detection_cues(d) if c not in ("known_resident", "known_plate", "known_pet")]
    actor = object_actor(d["object_type"])
    acts = [rng.choice(ACTOR_PHRASES.get((actor, c), CUE_RULES[c].phrases)) for c in cues]
    pose = d["attributes"].get("pose")
    when = d["timestamp_offset_seconds"] - t0
    lead = rng.choice(("At {t:.0f} s", "{t:.0f} seconds in", "By t={t:.0f} s")).format(t=when) if when >= 1 else "First"
    doing = f", {' and '.join(acts)}" if acts else ""
    posture = f" ({pose})" if pose and rng.random() < 0.7 else ""
    return f"{lead}, {_who(d, rng)}{posture} {_where(d)} at {d['confidence']:.0%} confidence{doing}."


def _context_sentences(sampled: dict[str, str], detections: list[dict[str, Any]], ctx: dict[str, Any], rng: random.Random) -> list[str]:
    out = []
    expected, n = ctx["baseline_expected_count"], len(detections)
    if n > expected:
        out.append(rng.choice(("That is more activity than usual: about {e} object(s) are normal here at this hour.",
                               "The zone normally sees about {e} object(s) at this hour; {n} is above that."))
                   .format(e=expected, n=n))
    elif n < expected:
        out.append(f"Fewer objects than the usual {expected} for this hour.")
    else:
        out.append(f"The count matches the usual {expected} for this hour.")
    matches = ctx["cross_camera_matches"]
    if matches:
        out.append(rng.choice(("{m} other camera(s) picked up the same subject.", "The subject also appears on {m} other camera(s).")).format(m=matches))
    if ctx.get("lighting"):
        out.append(f"Light: {ctx['lighting'].replace('_', ' ')}; weather: {ctx['weather'].replace('_', ' ')}; "
                   f"image quality {ctx['image_quality']:.2f}.")
    if ctx.get("known_faces"):
        out.append(rng.choice(("Face recognition matched a resident.", "The face was recognised as someone who lives here.")))
    elif ctx.get("concealed_faces"):
        out.append("Face recognition could not see a face.")
    if any(p.get("known") for p in ctx.get("plate_reads") or []):
        out.append("The plate belongs to a household vehicle.")
    elif any(p["status"] == "unreadable" for p in ctx.get("plate_reads") or []):
        out.append("The plate could not be read.")
    if ctx.get("known_pets"):
        out.append("The animal was identified as the household pet.")
    return out


def compose_narrative(sampled: dict[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> str:
    rng = _rng(sampled, detections, context)
    camera = rng.choice(CAMERA_PHRASES[sampled["camera_location"]])
    when = rng.choice(TIME_PHRASES[sampled["time_of_day"]]).format(day=DAY_WORDS[sampled["day_type"]])
    n = len(detections)
    opening = rng.choice((
        "The {camera} camera logged {what} {when}.",
        "{When_cap}, {what} registered on the {camera} camera.",
        "A {n}-detection batch from the {camera} camera {when}.",
    ))
    what = "one detection" if n == 1 else f"{n} detections"
    sentences = [opening.format(camera=camera, what=what, when=when, When_cap=when[:1].upper() + when[1:], n=n)]
    t0 = detections[0]["timestamp_offset_seconds"]
    for d in detections[:5]:
        sentences.append(_detection_sentence(d, t0, rng))
    if n > 5:
        sentences.append(f"{n - 5} more detections followed.")
    dwell = person_dwell(detections)
    if dwell >= 1:
        sentences.append(f"People were in view for {dwell:.0f} s in all.")
    if context is not None:
        sentences += _context_sentences(sampled, detections, context, rng)
    return " ".join(sentences)


def compose_expected_summary(sampled: dict[str, str], detections: list[dict[str, Any]], truth: dict[str, Any]) -> str:
    rr = truth["risk_range"]
    drivers = [d["factor"] for d in truth["drivers"] if d["points"] > 0 and d["factor"] in CUE_RULES]
    because = ", ".join(CUE_RULES[c].phrases[0] for c in drivers[:2]) or "nothing out of the ordinary"  # type: ignore[index]
    camera = CAMERA_PHRASES[sampled["camera_location"]][0]
    alert = "alert" if truth["should_trigger_alert"] else "no alert"
    return (f"{truth['level'].capitalize()} risk ({rr['low']}-{rr['high']}) at the {camera} "
            f"{TIME_PHRASES[sampled['time_of_day']][0]}: {because}; {alert}.")


def compose_key_points_text(truth: dict[str, Any]) -> str:
    return "\n".join(f"- {p['text']}" for p in truth["reasoning_key_points"])
