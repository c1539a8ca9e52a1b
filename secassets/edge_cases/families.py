"""Enrichment edge cases: six targeted families that random sampling rarely produces.

Each family builds *content* (sampled values, detections, enrichment context) with seeded variation
of its defining trait; the ground truth is the risk rubric's judgment of that content, exactly as for
the scenarios, and the scenario type is the first band that holds the rubric's range. A family never
decides how risky its rows are: a crouching person may be harmless and a blurred plate may be a
threat. Rows are valid ScenarioBundles in the scenarios schema plus `family` and `trait`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel, Field

from secassets.core.content import contradictions, cue_attribute, detection_cues, observation_of
from secassets.core.schema import SCENARIO_COLUMNS
from secassets.core.validation import schema_errors, temporal_errors
from secassets.core.vocabulary import (
    DETECTION_COUNT_RANGE,
    DETECTION_WINDOW_SECONDS,
    ENTRY_POINT_CAMERAS,
    GENERATION_MODE_DETERMINISTIC,
    JUDGE_RUBRICS,
    MIN_CONFIDENCE,
    NIGHT_TIMES,
    SAMPLER_COLUMNS,
    SAMPLER_VALUES,
    SCENARIO_TYPE,
)
from secassets.risk.bands import RiskRange
from secassets.risk.cues import LOITER_SECONDS, Cue
from secassets.risk.observation import object_actor
from secassets.risk.rubric import HALF_WIDTH, assess
from secassets.scenarios import expressions, narrative
from secassets.scenarios.content import draw_box, draw_detections, draw_enrichment, row_rng
from secassets.scenarios.grounding import ALL_ENRICHMENT_MODELS, expected_enrichment_models, fits, truth_of

FAMILIES: Final = ("multi_threat", "rare_pose", "boundary_confidence", "ocr_failure", "vram_stress", "circuit_breaker")
RARE_POSES: Final = ("crawling", "prone", "kneeling", "crouching")
MULTI_THREAT_CUES: Final[tuple[Cue, ...]] = ("approaching_entry", "trying_handles", "forcing_entry", "face_concealed")
IDLING_CLASSES: Final = ("car", "truck", "motorcycle")
OCR_CONDITIONS: Final = ("unreadable plate", "glare", "night", "motion blur")
FAILING_MODELS: Final = ("face_recognition", "pose_estimation", "license_plate_ocr", "person_reid", "clothing_attributes")
FALLBACK: Final = "fall back to detection-only analysis and flag the event for human review"
BOUNDARY_CONFIDENCE_SPAN: Final = 0.02  # boundary confidences lie in MIN_CONFIDENCE .. MIN_CONFIDENCE + this
# Order in which a row's scenario type is chosen: the first band that holds the rubric's range.
TYPE_PREFERENCE: Final = ("edge_case", "normal", "suspicious", "threat")
MAX_DRAWS: Final = 200  # content draws per row before a family gives up
EDGE_CASE_COLUMNS: Final = (*SCENARIO_COLUMNS, "family", "trait")
FAMILY_SEED_OFFSET: Final = {f: i * 100_000 for i, f in enumerate(FAMILIES)}

Content = tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None, str]  # sampled (no type), detections, context, trait


class EdgeCaseCounts(BaseModel):
    """How many rows of each family to generate."""

    multi_threat: int = Field(default=20, ge=0, le=10_000)
    rare_pose: int = Field(default=20, ge=0, le=10_000)
    boundary_confidence: int = Field(default=20, ge=0, le=10_000)
    ocr_failure: int = Field(default=20, ge=0, le=10_000)
    vram_stress: int = Field(default=10, ge=0, le=10_000)
    circuit_breaker: int = Field(default=10, ge=0, le=10_000)


@dataclass(frozen=True)
class Built:
    """One edge case's content, its rubric truth, and the content draws it took to land in a band."""

    sampled: dict[str, str]
    detections: list[dict[str, Any]]
    context: dict[str, Any] | None
    truth: dict[str, Any]
    trait: str
    draws: int


def scenario_type_for(risk_range: RiskRange) -> str | None:
    """The first type (in TYPE_PREFERENCE) whose band holds the range; None when no band does."""
    return next((t for t in TYPE_PREFERENCE if fits(risk_range, t)), None)


def _sampled(rng: random.Random, **fixed: str) -> dict[str, str]:
    """Sampler values drawn uniformly (scenario type excluded: the rubric decides it), then the family's fixed ones."""
    drawn = {c: rng.choice(SAMPLER_VALUES[c]) for c in SAMPLER_COLUMNS if c != "scenario_type"}
    return {**drawn, **fixed}


def _drawn(rng: random.Random, **fixed: str) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None]:
    """Content drawn as the scenario generator draws it, with a random type tilting the cue proposals."""
    sampled = _sampled(rng, **fixed)
    tilt = rng.choice(SCENARIO_TYPE)
    detections = draw_detections(sampled, tilt, rng)
    return sampled, detections, draw_enrichment(sampled, tilt, detections, rng)


def _bucket(n: int) -> str:
    return next(b for b, (lo, hi) in DETECTION_COUNT_RANGE.items() if lo <= n <= hi)


def _detection(cls: str, t: float, cues: list[Cue], rng: random.Random) -> dict[str, Any]:
    return {"object_type": cls, "confidence": round(rng.triangular(0.5, 0.99, 0.9), 3), "bbox": draw_box(cls, rng),
            "timestamp_offset_seconds": t, "attributes": {"cues": cue_attribute(cues)} if cues else {}}


def _multi_threat(rng: random.Random) -> Content:
    """3-6 people at an entry point after dark, several approaching, trying handles, forcing or masked."""
    n_people, idling = rng.randint(3, 6), rng.random() < 0.5
    sampled = _sampled(rng, camera_location=rng.choice(sorted(ENTRY_POINT_CAMERAS)), primary_object="person",
                       time_of_day=rng.choice(("evening", "night", "late_night")), enrichment_level="full",
                       detection_count=_bucket(n_people + idling))
    loiter = rng.random() < 0.5  # the people's dwell decides loitering, so the cue follows the span
    span = rng.uniform(LOITER_SECONDS + 1, 80.0) if loiter else rng.uniform(5.0, LOITER_SECONDS - 2)
    start = rng.uniform(0.0, DETECTION_WINDOW_SECONDS - span)
    times = [start, start + span, *(rng.uniform(start, start + span) for _ in range(n_people - 2))]
    acting = set(rng.sample(range(n_people), rng.randint(2, n_people)))
    people = []
    for i, t in enumerate(times):
        cues: list[Cue] = rng.sample(MULTI_THREAT_CUES, rng.randint(1, 2)) if i in acting else []
        people.append(_detection("person", round(t, 2), [*cues, "loitering"] if loiter and i == 0 else cues, rng))
    vehicle = [_detection(rng.choice(IDLING_CLASSES), round(rng.uniform(start, start + span), 2), ["vehicle_idling"], rng)]
    detections = sorted(people + (vehicle if idling else []), key=lambda d: d["timestamp_offset_seconds"])
    context = draw_enrichment(sampled, "threat", detections, rng)
    assert context is not None  # enrichment full
    concealed = sum("face_concealed" in detection_cues(d) for d in people)  # every masked person, not just one
    context.update({"unknown_faces": n_people - concealed, "concealed_faces": concealed})
    shown = sorted({c for d in people for c in detection_cues(d) if c in MULTI_THREAT_CUES}, key=MULTI_THREAT_CUES.index)
    trait = (f"{n_people} persons at the {sampled['camera_location'].replace('_', ' ')}, {len(acting)} acting "
             f"({', '.join(c.replace('_', ' ') for c in shown)})" + (f", a {vehicle[0]['object_type']} idling" if idling else ""))
    return sampled, detections, context, trait


def _rare_pose(rng: random.Random) -> Content:
    """One person in a pose detectors rarely see; the cues beside it are drawn broadly, often harmless."""
    sampled, detections, context = _drawn(rng, detection_count="1", enrichment_level="full",
                                          primary_object=rng.choice(("person", "package")))
    person = detections[0]
    cues = detection_cues(person)
    pose = "crawling" if "passing_by" in cues else rng.choice(RARE_POSES)  # nobody passes by prone or kneeling
    person["attributes"]["pose"] = pose
    doing = ", ".join(c.replace("_", " ") for c in cues) or "no cue"
    return sampled, detections, context, f"pose: {pose} ({doing})"


def _boundary_confidence(rng: random.Random) -> Content:
    """Usual content seen by a detector barely above its threshold: the rubric widens the range itself."""
    sampled, detections, context = _drawn(rng)
    for d in detections:
        d["confidence"] = round(MIN_CONFIDENCE + rng.uniform(0.0, BOUNDARY_CONFIDENCE_SPAN), 3)
    lo, hi = min(d["confidence"] for d in detections), max(d["confidence"] for d in detections)
    return sampled, detections, context, f"detector confidence {lo:.3f}-{hi:.3f} on {len(detections)} detection(s)"


def _ocr_failure(rng: random.Random) -> Content:
    """A vehicle in the driveway after dark whose plates cannot be read, in a poor image."""
    condition = rng.choice(OCR_CONDITIONS)
    tod = rng.choice(sorted(NIGHT_TIMES) if condition == "night" else ("evening", "night", "late_night"))
    sampled, detections, context = _drawn(rng, primary_object="vehicle", camera_location="driveway", time_of_day=tod,
                                          detection_count="2-3", enrichment_level="full")
    assert context is not None  # enrichment full
    for d in detections:  # no read plate, so no plate can be recognised as the household's
        kept = [c for c in detection_cues(d) if c != "known_plate"]
        d["attributes"].pop("cues", None)
        if kept:
            d["attributes"]["cues"] = cue_attribute(kept)
    context["plate_reads"] = [{"text": None, "confidence": round(rng.uniform(0.05, 0.35), 2), "status": "unreadable",
                               "known": False} for d in detections if object_actor(d["object_type"]) == "vehicle"]
    context["image_quality"] = round(rng.uniform(0.2, 0.45), 2)
    if condition in ("glare", "night") and tod in NIGHT_TIMES:
        context["lighting"] = "porch_light" if condition == "glare" else "infrared"
    n = len(context["plate_reads"])
    return sampled, detections, context, f"OCR failure ({condition}): {n} unreadable plate(s), image quality {context['image_quality']:.2f}"


def _vram_stress(rng: random.Random) -> Content:
    """A crowded batch (7-10 detections) at full enrichment: every model has to run at once."""
    sampled, detections, context = _drawn(rng, detection_count="7+", enrichment_level="full")
    classes = len({d["object_type"] for d in detections})
    return sampled, detections, context, f"{len(detections)} detections of {classes} class(es), all {len(ALL_ENRICHMENT_MODELS)} models"


def _circuit_breaker(rng: random.Random) -> Content:
    """Basic enrichment with several models failing; failures hide evidence but do not change what happened."""
    sampled, detections, context = _drawn(rng, enrichment_level="basic")
    assert context is not None  # enrichment basic
    failed = sorted(rng.sample(FAILING_MODELS, rng.randint(2, 4)))
    context.update({"failed_models": failed, "fallback": FALLBACK})
    return sampled, detections, context, f"{len(failed)} enrichment models failing: {', '.join(failed)}"


BUILDERS: Final[dict[str, Callable[[random.Random], Content]]] = {
    "multi_threat": _multi_threat, "rare_pose": _rare_pose, "boundary_confidence": _boundary_confidence,
    "ocr_failure": _ocr_failure, "vram_stress": _vram_stress, "circuit_breaker": _circuit_breaker,
}


def _keeps(family: str, risk_range: RiskRange) -> bool:
    """Family-specific content filter: a boundary case clipped at 0 or 100 no longer shows its widened range."""
    return family != "boundary_confidence" or risk_range.high - risk_range.low > 2 * HALF_WIDTH


def build(family: str, rng: random.Random) -> Built:
    """Draw the family's content until the rubric's range lies in some type's band (the truth is the rubric's)."""
    for draw in range(1, MAX_DRAWS + 1):
        sampled, detections, context, trait = BUILDERS[family](rng)
        problems = contradictions(sampled, detections, context)
        if problems:
            raise RuntimeError(f"{family} built self-contradicting content: {'; '.join(problems)}")
        assessment = assess(observation_of(sampled, detections, context))
        stype = scenario_type_for(assessment.risk_range)
        if stype is None or not _keeps(family, assessment.risk_range):
            continue
        models = sorted(ALL_ENRICHMENT_MODELS) if family == "vram_stress" else expected_enrichment_models(sampled, detections)
        return Built({**sampled, "scenario_type": stype}, detections, context, truth_of(assessment, models), trait, draw)
    raise RuntimeError(f"{family}: no content in {MAX_DRAWS} draws has a risk range inside any scenario type's band")


def _row(family: str, built: Built) -> dict[str, Any]:
    sampled, detections, context = built.sampled, built.detections, built.context
    text = narrative.compose_narrative(sampled, detections, context) + f" Edge case ({family}): {built.trait}."
    row: dict[str, Any] = {
        **sampled,
        "detections": json.dumps(detections, separators=(",", ":")),
        "enrichment_context": None if context is None else json.dumps(context, separators=(",", ":")),
        "ground_truth": json.dumps(built.truth, separators=(",", ":")),
        "scenario_narrative": text,
        "expected_summary": narrative.compose_expected_summary(sampled, detections, built.truth),
        "reasoning_key_points": narrative.compose_key_points_text(built.truth),
        **{f"judge_{r}": None for r in JUDGE_RUBRICS},
        "scenario_embedding": None,
        "reasoning_embedding": None,
        "formatted_prompt_input": expressions.format_prompt_input(sampled, detections, context),
        "complexity_score": expressions.complexity_score(sampled, detections, context),
        "scenario_hash": expressions.scenario_hash(sampled, text),
        "generation_mode": GENERATION_MODE_DETERMINISTIC,
        "family": family,
        "trait": built.trait,
    }
    row["detection_schema_valid"] = not schema_errors(row)
    row["temporal_consistency"] = not temporal_errors(detections)
    return row


def generate_edge_cases(counts: EdgeCaseCounts, seed: int, taken_hashes: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """Every family's rows, each unique (also against taken_hashes); a repeat is redrawn, never kept."""
    rows, seen = [], set(taken_hashes)
    for family in FAMILIES:
        wanted, made, attempt = getattr(counts, family), 0, 0
        while made < wanted:
            if attempt > wanted * 20:
                raise RuntimeError(f"could not make {wanted} unique {family} edge cases in {attempt} rows; lower the count")
            row = _row(family, build(family, row_rng(seed + FAMILY_SEED_OFFSET[family], attempt)))
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
