"""Reading a row's content: the Observation behind it, and every way it could contradict itself.

A scenario or edge-case row stores its content as detections (each with the cues of its actor in
attributes["cues"]), an enrichment context (what the enrichment models reported) and its sampled
zone and time. The ground truth of the row is assess(observation_of(...)); the consistency check
recomputes both from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secassets.core.vocabulary import ENTRY_POINT_CAMERAS, LIGHTING_BY_TIME, POSES
from secassets.risk.cues import CUES, LOITER_SECONDS, PASSING_SECONDS, Cue
from secassets.risk.observation import Observation, ObservedObject, object_actor
from secassets.risk.rubric import POSE_POINTS, baseline_deviation

CUE_ATTRIBUTE = "cues"


def detection_cues(detection: Mapping[str, Any]) -> list[Cue]:
    """The cue names stored on one detection (attributes["cues"], comma-separated)."""
    raw = detection.get("attributes", {}).get(CUE_ATTRIBUTE, "")
    return [c for c in raw.split(",") if c]  # type: ignore[misc]


def cue_attribute(cues: list[Cue] | tuple[Cue, ...] | set[Cue]) -> str:
    return ",".join(c for c in CUES if c in cues)


def person_dwell(detections: list[dict[str, Any]]) -> float:
    """Seconds between the first and the last sighting of a person (0 with fewer than two)."""
    times = [d["timestamp_offset_seconds"] for d in detections if d["object_type"] == "person"]
    return round(max(times) - min(times), 2) if len(times) > 1 else 0.0


def notable_pose(detections: list[dict[str, Any]]) -> str | None:
    """The pose that weighs most among the people (the first seen on a tie), None without poses."""
    poses = [d["attributes"]["pose"] for d in detections if "pose" in d.get("attributes", {})]
    if not poses:
        return None
    return max(poses, key=lambda p: (POSE_POINTS.get(p, 0), -poses.index(p)))


def observation_of(sampled: Mapping[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> Observation:
    """Everything the row's content shows, as the rubric's input (raises ValueError if it is incoherent)."""
    cues: set[Cue] = {c for d in detections for c in detection_cues(d)}
    persons = any(d["object_type"] == "person" for d in detections)
    ctx = context or {}
    plates = ctx.get("plate_reads")
    return Observation(
        zone=sampled["camera_location"],  # type: ignore[arg-type]
        time_of_day=sampled["time_of_day"],  # type: ignore[arg-type]
        day_type=sampled.get("day_type"),  # type: ignore[arg-type]
        objects=tuple(ObservedObject(object_class=d["object_type"], confidence=d["confidence"]) for d in detections),
        entry_point=ctx.get("is_entry_point"),
        lighting=ctx.get("lighting"),
        weather=ctx.get("weather"),
        cues=frozenset(cues),
        dwell_seconds=person_dwell(detections) if persons else None,
        baseline_expected_count=ctx.get("baseline_expected_count"),
        cross_camera_matches=ctx.get("cross_camera_matches"),
        unreadable_plates=None if plates is None else sum(p["status"] == "unreadable" for p in plates),
        violence_score=ctx.get("violence_score"),
        pose=notable_pose(detections),  # type: ignore[arg-type]
        image_quality=ctx.get("image_quality"),
    )


def json_cell(value: Any) -> Any:
    """A JSON column's value: decoded when stored as text, as it is otherwise."""
    return json.loads(value) if isinstance(value, str) else value


def row_content(row: Mapping[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None]:
    """(sampled values, detections, enrichment context) of a scenarios or edge-case row."""
    sampled = {k: str(row[k]) for k in ("time_of_day", "day_type", "camera_location", "primary_object", "enrichment_level")}
    return sampled, json_cell(row["detections"]), json_cell(row.get("enrichment_context"))


OBSERVATION_COLUMN = "observation"  # a labeled case from elsewhere carries its Observation itself


def observation_of_row(row: Mapping[str, Any]) -> Observation:
    """The observation behind a row: read from its content, or the one a labeled case carries."""
    stored = row.get(OBSERVATION_COLUMN)
    if isinstance(stored, str | dict):
        return Observation.model_validate(json_cell(stored))
    return observation_of(*row_content(row))


def _context_contradictions(sampled: Mapping[str, str], detections: list[dict[str, Any]], ctx: dict[str, Any], cues: set[str]) -> list[str]:
    problems = []
    if ctx["is_entry_point"] != (sampled["camera_location"] in ENTRY_POINT_CAMERAS):
        problems.append(f"is_entry_point={ctx['is_entry_point']} but the camera is {sampled['camera_location']}")
    expected = baseline_deviation(ctx["baseline_expected_count"], len(detections))
    if ctx["baseline_deviation_score"] != expected:
        problems.append(f"deviation {ctx['baseline_deviation_score']:+.2f} but {len(detections)} objects against a "
                        f"baseline of {ctx['baseline_expected_count']} give {expected:+.2f}")
    if ctx.get("lighting") is not None and ctx["lighting"] not in LIGHTING_BY_TIME[sampled["time_of_day"]]:
        problems.append(f"lighting {ctx['lighting']} at {sampled['time_of_day']}")
    if ctx.get("known_faces") is not None:
        persons = sum(d["object_type"] == "person" for d in detections)
        faces = ctx["known_faces"] + ctx["unknown_faces"] + (ctx.get("concealed_faces") or 0)
        if faces != persons:
            problems.append(f"{faces} faces reported for {persons} person detection(s)")
        if bool(ctx["known_faces"]) != ("known_resident" in cues):
            problems.append(f"known_faces={ctx['known_faces']} but known_resident is {'' if 'known_resident' in cues else 'not '}a cue")
        if ctx["known_faces"] and (ctx.get("concealed_faces") or ctx["unknown_faces"]):
            problems.append("residents recognised alongside unrecognised or concealed faces")
        if bool(ctx.get("concealed_faces")) != ("face_concealed" in cues):
            problems.append(f"concealed_faces={ctx.get('concealed_faces')} but face_concealed is "
                            f"{'' if 'face_concealed' in cues else 'not '}a cue")
    if ctx.get("plate_reads") is not None:
        vehicles = sum(object_actor(d["object_type"]) == "vehicle" for d in detections)
        if len(ctx["plate_reads"]) != vehicles:
            problems.append(f"{len(ctx['plate_reads'])} plate reads for {vehicles} vehicle(s)")
        if any(p.get("known") for p in ctx["plate_reads"]) != ("known_plate" in cues):
            problems.append("a known plate read and the known_plate cue disagree")
    if ctx.get("known_pets") is not None and bool(ctx["known_pets"]) != ("known_pet" in cues):
        problems.append(f"known_pets={ctx['known_pets']} but known_pet is {'' if 'known_pet' in cues else 'not '}a cue")
    return problems


def contradictions(sampled: Mapping[str, str], detections: list[dict[str, Any]], context: dict[str, Any] | None) -> list[str]:
    """Every way the content contradicts itself (empty when coherent)."""
    cues = {c for d in detections for c in detection_cues(d)}
    problems = [f"unknown cue {c!r}" for c in sorted(cues - set(CUES))]
    dwell = person_dwell(detections)
    if "loitering" in cues and dwell < LOITER_SECONDS:
        problems.append(f"loitering but people were in view only {dwell:.0f} s")
    if "passing_by" in cues and dwell >= PASSING_SECONDS:
        problems.append(f"passing by but people were in view {dwell:.0f} s")
    unknown_people = any(d["object_type"] == "person" for d in detections) and not cues & {"known_resident", "delivering"}
    if unknown_people and dwell >= LOITER_SECONDS and "loitering" not in cues:
        problems.append(f"people in view {dwell:.0f} s without the loitering cue")
    if (sampled["primary_object"] == "package") != bool(cues & {"delivering", "taking_package"}):
        problems.append(f"primary_object {sampled['primary_object']} with package cues {sorted(cues & {'delivering', 'taking_package'})}")
    for d in detections:
        pose = d.get("attributes", {}).get("pose")
        if pose is not None and (d["object_type"] != "person" or pose not in POSES):
            problems.append(f"pose {pose!r} on a {d['object_type']}")
    if context is not None:
        problems += _context_contradictions(sampled, detections, context, cues)
    if not problems:
        try:
            observation_of(sampled, detections, context)
        except ValueError as exc:
            problems.append(str(exc).splitlines()[-1] if "\n" in str(exc) else str(exc))
    return problems
