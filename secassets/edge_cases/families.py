"""Enrichment edge cases: six targeted families that random sampling rarely produces.

Each row is built from seeded variation of its family's defining traits, grounded by the same
rules as the scenarios (secassets.scenarios.grounding), and is a valid ScenarioBundle in the scenarios
schema plus `family` and `trait` columns, so every template can evaluate it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from secassets.core.schema import SCENARIO_COLUMNS
from secassets.core.validation import schema_errors, temporal_errors
from secassets.core.vocabulary import ENTRY_POINT_CAMERAS, GENERATION_MODE_DETERMINISTIC, JUDGE_RUBRICS, MIN_CONFIDENCE
from secassets.risk.bands import SCENARIO_TYPE_BANDS, RiskRange, should_alert
from secassets.scenarios import expressions, narrative
from secassets.scenarios.grounding import ALL_ENRICHMENT_MODELS, BOX_SIZES, ground, ground_truth_for, row_rng

FAMILIES = ("multi_threat", "rare_pose", "boundary_confidence", "ocr_failure", "vram_stress", "circuit_breaker")
RARE_POSES = ("crouching", "climbing", "crawling", "prone")
OCR_CONDITIONS = ("unreadable plate", "glare", "night", "motion blur")
FAILING_MODELS = ("face_recognition", "pose_estimation", "license_plate_ocr", "person_reid", "clothing_attributes")
FALLBACK = "fall back to detection-only analysis and flag the event for human review"
EDGE_CASE_COLUMNS = (*SCENARIO_COLUMNS, "family", "trait")
FAMILY_SEED_OFFSET = {f: i * 100_000 for i, f in enumerate(FAMILIES)}


class EdgeCaseCounts(BaseModel):
    """How many rows of each family to generate."""

    multi_threat: int = Field(default=20, ge=0, le=10_000)
    rare_pose: int = Field(default=20, ge=0, le=10_000)
    boundary_confidence: int = Field(default=20, ge=0, le=10_000)
    ocr_failure: int = Field(default=20, ge=0, le=10_000)
    vram_stress: int = Field(default=10, ge=0, le=10_000)
    circuit_breaker: int = Field(default=10, ge=0, le=10_000)


def _sampled(rng: random.Random, **fixed: str) -> dict[str, str]:
    base = {
        "time_of_day": rng.choice(["evening", "night", "late_night"]),
        "day_type": rng.choice(["weekday", "weekend", "holiday"]),
        "camera_location": rng.choice(sorted(ENTRY_POINT_CAMERAS)),
        "detection_count": "2-3",
        "primary_object": "person",
        "scenario_type": "threat",
        "enrichment_level": "full",
    }
    return {**base, **fixed}


def _person(rng: random.Random, t: float, activity: str, **attrs: str) -> dict[str, Any]:
    w_min, w_max, h_min, h_max = BOX_SIZES["person"]
    w, h = rng.randint(w_min, w_max), rng.randint(h_min, h_max)
    return {
        "object_type": "person", "confidence": round(rng.uniform(0.7, 0.97), 3),
        "bbox": {"x": rng.randint(0, 1920 - w), "y": rng.randint(0, 1080 - h), "w": w, "h": h},
        "timestamp_offset_seconds": round(t, 2), "attributes": {"activity": activity, **attrs},
    }


Built = tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None, dict[str, Any], str]


def _multi_threat(rng: random.Random) -> Built:
    n_people = rng.randint(3, 6)
    with_vehicle = rng.random() < 0.5
    n = n_people + int(with_vehicle)
    sampled = _sampled(rng, detection_count="2-3" if n <= 3 else ("4-6" if n <= 6 else "7+"))
    g = ground({**sampled, "detection_count": "1"}, rng)
    start = rng.uniform(5, 40)
    people = [_person(rng, start + i * rng.uniform(0.5, 4), rng.choice(["converging on the entrance", "forcing the door", "trying door handles"])) for i in range(n_people)]
    detections = people + ([{**g.detections[0], "object_type": "car", "bbox": {"x": 100, "y": 600, "w": 600, "h": 300},
                             "attributes": {"activity": "engine running at the curb"}}] if with_vehicle else [])
    detections.sort(key=lambda d: d["timestamp_offset_seconds"])
    ctx = g.enrichment_context
    ctx.update({"known_faces": 0, "unknown_faces": n_people, "reid_tracks": n,
                "plate_reads": [{"text": None, "confidence": 0.2, "status": "unreadable"}] if with_vehicle else []})
    trait = f"{n_people} persons converging on the {sampled['camera_location'].replace('_', ' ')}" + (" with a vehicle" if with_vehicle else "")
    truth = ground_truth_for(sampled, detections, g.enrichment_context, (f"{n_people} people acting together",))
    return sampled, detections, g.enrichment_context, truth, trait


def _rare_pose(rng: random.Random) -> Built:
    pose = rng.choice(RARE_POSES)
    sampled = _sampled(rng, detection_count="1", scenario_type=rng.choice(["suspicious", "threat"]))
    g = ground(sampled, rng)
    d = g.detections[0]
    d["attributes"].update({"pose": pose, "activity": f"{pose} near the {sampled['camera_location'].replace('_', ' ')}"})
    truth = ground_truth_for(sampled, g.detections, g.enrichment_context, (f"person {pose}",))
    return sampled, g.detections, g.enrichment_context, truth, f"pose: {pose}"


def _boundary_confidence(rng: random.Random) -> Built:
    sampled = _sampled(rng, scenario_type="edge_case", detection_count="2-3", enrichment_level=rng.choice(["basic", "full"]))
    g = ground(sampled, rng)
    floor = round(MIN_CONFIDENCE + rng.choice([0.0, 0.001, 0.005, 0.01, 0.02]), 3)
    for d in g.detections:
        d["confidence"] = floor
    band = SCENARIO_TYPE_BANDS["edge_case"]
    low = rng.randint(band.high - 12, band.high - 8)  # ends at 60: just under the alert threshold
    rr = RiskRange(low=low, high=band.high)
    truth = ground_truth_for(sampled, g.detections, g.enrichment_context, (f"detector confidence only {floor:.3f}",))
    truth["risk_range"] = {"low": rr.low, "high": rr.high}
    truth["should_trigger_alert"] = should_alert(rr)
    return sampled, g.detections, g.enrichment_context, truth, f"confidence {floor:.3f}, risk just under the alert threshold"


def _ocr_failure(rng: random.Random) -> Built:
    condition = rng.choice(OCR_CONDITIONS)
    sampled = _sampled(rng, primary_object="vehicle", camera_location="driveway", detection_count="2-3",
                       scenario_type="suspicious", time_of_day="late_night" if condition == "night" else rng.choice(["evening", "night"]))
    g = ground(sampled, rng)
    ctx = g.enrichment_context
    ctx["plate_reads"] = [
        {"text": None, "confidence": round(rng.uniform(0.05, 0.35), 2), "status": "unreadable"}
        for d in g.detections if d["object_type"] not in ("person", "dog", "cat")
    ] or [{"text": None, "confidence": 0.1, "status": "unreadable"}]
    ctx["image_quality"] = round(rng.uniform(0.2, 0.45), 2)
    truth = ground_truth_for(sampled, g.detections, ctx, (f"plate OCR failed: {condition}",))
    return sampled, g.detections, ctx, truth, f"OCR failure: {condition}"


def _vram_stress(rng: random.Random) -> Built:
    sampled = _sampled(rng, detection_count="7+", primary_object=rng.choice(["person", "vehicle"]),
                       scenario_type=rng.choice(["suspicious", "threat"]))
    g = ground(sampled, rng)
    truth = ground_truth_for(sampled, g.detections, g.enrichment_context, ("every enrichment model must run",), all_models=True)
    return sampled, g.detections, g.enrichment_context, truth, f"{len(g.detections)} detections, all {len(ALL_ENRICHMENT_MODELS)} models"


def _circuit_breaker(rng: random.Random) -> Built:
    sampled = _sampled(rng, scenario_type=rng.choice(["suspicious", "edge_case"]), enrichment_level="basic")
    g = ground(sampled, rng)
    failed = sorted(rng.sample(FAILING_MODELS, rng.randint(2, 4)))
    ctx = {**g.enrichment_context, "failed_models": failed, "fallback": FALLBACK}
    points = (f"enrichment failed repeatedly: {', '.join(failed)}", "fallback: detection-only analysis, human review")
    truth = ground_truth_for(sampled, g.detections, ctx, points)
    return sampled, g.detections, ctx, truth, f"{len(failed)} enrichment models failing"


BUILDERS: dict[str, Callable[[random.Random], Built]] = {
    "multi_threat": _multi_threat, "rare_pose": _rare_pose, "boundary_confidence": _boundary_confidence,
    "ocr_failure": _ocr_failure, "vram_stress": _vram_stress, "circuit_breaker": _circuit_breaker,
}


def _row(family: str, built: Built) -> dict[str, Any]:
    sampled, detections, context, truth, trait = built
    text = narrative.compose_narrative(sampled, detections, context) + f" Edge case ({family}): {trait}."
    row: dict[str, Any] = {
        **sampled,
        "detections": json.dumps(detections, separators=(",", ":")),
        "enrichment_context": None if context is None else json.dumps(context, separators=(",", ":")),
        "ground_truth": json.dumps(truth, separators=(",", ":")),
        "scenario_narrative": text,
        "expected_summary": narrative.compose_expected_summary(sampled, detections, truth),
        "reasoning_key_points": narrative.compose_key_points_text(truth),
        **{f"judge_{r}": None for r in JUDGE_RUBRICS},
        "scenario_embedding": None,
        "reasoning_embedding": None,
        "formatted_prompt_input": expressions.format_prompt_input(sampled, detections, context),
        "complexity_score": expressions.complexity_score(sampled, detections, context),
        "scenario_hash": expressions.scenario_hash(sampled, text),
        "generation_mode": GENERATION_MODE_DETERMINISTIC,
        "family": family,
        "trait": trait,
    }
    row["detection_schema_valid"] = not schema_errors(row)
    row["temporal_consistency"] = not temporal_errors(detections)
    return row


def generate_edge_cases(counts: EdgeCaseCounts, seed: int, taken_hashes: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """Every family's rows, each unique (also against taken_hashes); a repeat is redrawn, never kept."""
    rows, seen = [], set(taken_hashes)
    for family in FAMILIES:
        wanted, attempt = getattr(counts, family), 0
        made = 0
        while made < wanted:
            if attempt > wanted * 20:
                raise RuntimeError(f"could not make {wanted} unique {family} edge cases; lower the count")
            row = _row(family, BUILDERS[family](row_rng(seed + FAMILY_SEED_OFFSET[family], attempt)))
            attempt += 1
            if row["scenario_hash"] in seen:
                continue
            seen.add(row["scenario_hash"])
            rows.append(row)
            made += 1
    df = pd.DataFrame(rows, columns=list(EDGE_CASE_COLUMNS))
    for c in (f"judge_{r}" for r in JUDGE_RUBRICS):
        df[c] = df[c].astype("Int8")
    return df
