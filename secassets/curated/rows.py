"""Curated cases as table rows: the curated_cases output, and the rows they join the evaluation set as.

A curated case's ground truth is its human label (range and level); its content is the mapped
Observation, rendered into the same columns a scenario row has with only what the case states:
no timestamps, boxes, day type or enrichment output it does not give (those inputs then render as
"not available"). The Observation itself travels in the `observation` column, so the ceilings'
perfect reader reads exactly the mapped facts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import pandas as pd

from secassets.core.content import OBSERVATION_COLUMN, cue_attribute
from secassets.core.rows import GroundTruth
from secassets.core.vocabulary import ENTRY_POINT_CAMERAS, ZONE_NAMES
from secassets.curated.agreement import rubric_columns
from secassets.curated.labels import CuratedCase, RiskLabel
from secassets.evaluation.inputs import BEHAVIOUR_UNKNOWN
from secassets.risk.bands import RiskRange, should_alert
from secassets.risk.cues import CUE_RULES, IDENTITY_CUES
from secassets.risk.observation import Observation
from secassets.risk.rubric import assess

CURATED_SOURCE: Final = "curated"
CURATED_ENRICHMENT: Final = "curated"  # the enrichment_level breakdown's key for labeled cases
CASE_COLUMNS: Final = (
    "case_id", "name", "category", "label_category", "source_file", "valid", "reason", "label_level", "label_min", "label_max",
    "rubric_score", "rubric_level", "rubric_low", "rubric_high", "rubric_drivers", OBSERVATION_COLUMN, "not_available",
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def cases_frame(cases: list[CuratedCase]) -> pd.DataFrame:
    """One row per case found, valid or not (the curated_cases output)."""
    out = []
    for case in cases:
        row: dict[str, Any] = {
            "case_id": case.case_id, "name": case.name, "category": case.category, "label_category": case.label_category,
            "source_file": case.source_file, "valid": case.valid, "reason": case.reason,
            "label_level": case.label.level if case.label else None,
            "label_min": case.label.min_score if case.label else None,
            "label_max": case.label.max_score if case.label else None,
            OBSERVATION_COLUMN: None if case.observation is None else _canonical(case.observation.model_dump(mode="json")),
            "not_available": _canonical(list(case.not_available)),
        }
        row.update(rubric_columns(case) if case.valid and case.observation is not None else
                   {"rubric_score": None, "rubric_level": None, "rubric_low": None, "rubric_high": None, "rubric_drivers": None})
        out.append(row)
    df = pd.DataFrame(out, columns=list(CASE_COLUMNS))
    for c in ("label_min", "label_max", "rubric_score", "rubric_low", "rubric_high"):
        df[c] = df[c].astype("Int16")
    df["valid"] = df["valid"].astype(bool)
    return df


def _optional(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def cases_of_frame(df: pd.DataFrame) -> list[CuratedCase]:
    """The curated_cases output read back as cases (what the checks recompute the rubric's agreement from)."""
    out = []
    for r in df.to_dict("records"):
        valid = bool(r["valid"])
        out.append(CuratedCase(
            case_id=r["case_id"], category=r["category"], label_category=_optional(r["label_category"]),
            source_file=r["source_file"], valid=valid, reason=_optional(r["reason"]) or "", name=_optional(r["name"]) or "",
            label=RiskLabel(level=r["label_level"], min_score=int(r["label_min"]), max_score=int(r["label_max"]))
            if valid else None,
            observation=Observation.model_validate_json(r[OBSERVATION_COLUMN]) if valid else None,
            not_available=json.loads(r["not_available"] or "[]"),
        ))
    return out


def _detections(obs: Observation) -> list[dict[str, Any]]:
    """One entry per labeled object class; each cue on the first object whose actor it needs, the pose on the first person."""
    entries = [{"object_type": o.object_class, "count": o.count, "confidence": o.confidence, "attributes": {}}
               for o in obs.objects]
    placed: dict[int, list[str]] = {}
    for cue in sorted(obs.cues):
        i = next(i for i, o in enumerate(obs.objects) if o.actor in CUE_RULES[cue].actors)
        placed.setdefault(i, []).append(cue)
    for i, cues in placed.items():
        entries[i]["attributes"]["cues"] = cue_attribute(cues)  # type: ignore[index]
    if obs.pose is not None:
        person = next(i for i, o in enumerate(obs.objects) if o.object_class == "person")
        entries[person]["attributes"]["pose"] = obs.pose  # type: ignore[index]
    # What annotations say beside the behaviour: shown with the per-detection attributes (detection_attributes).
    if obs.flagged_suspicious:
        entries[0]["attributes"]["flagged"] = "suspicious"  # type: ignore[index]
    if obs.threat_severity is not None:
        entries[0]["attributes"]["threat_annotation"] = f"{obs.threat_severity} severity"  # type: ignore[index]
    for e in entries:
        if e["confidence"] is None:
            del e["confidence"]
    return entries


def _context(obs: Observation) -> dict[str, Any] | None:
    """What the label states that the enrichment inputs show; None when it states none of it."""
    ctx: dict[str, Any] = {}
    if obs.zone is not None:
        ctx.update(zone_name=ZONE_NAMES[obs.zone], is_entry_point=obs.zone in ENTRY_POINT_CAMERAS)
    for key in ("lighting", "weather", "violence_score", "image_quality", "cross_camera_matches"):
        if getattr(obs, key) is not None:
            ctx[key] = getattr(obs, key)
    if "known_resident" in obs.cues:
        ctx["face_summary"] = "a recognised resident"
    elif "face_concealed" in obs.cues:
        ctx["face_summary"] = "a concealed face"
    if "known_plate" in obs.cues:
        ctx["plate_summary"] = "a household vehicle's plate"
    elif obs.unreadable_plates:
        ctx["plate_summary"] = ctx["ocr_summary"] = f"{obs.unreadable_plates} unreadable plate(s)"
    if "known_pet" in obs.cues:
        ctx["known_pets"] = obs.count("animal")
    if not obs.cues - set(IDENTITY_CUES) and obs.pose is None and not obs.flagged_suspicious \
            and obs.threat_severity is None:
        ctx[BEHAVIOUR_UNKNOWN] = True
    return ctx or None


def _truth(label_level: str, low: int, high: int, obs: Observation) -> GroundTruth:
    """The human label as ground truth; its key points are the facts the case states, worded by the rubric (whose
    version it records: GroundTruth.rubric_version)."""
    risk_range = RiskRange(low=low, high=high)
    return GroundTruth.model_validate({
        "score": round(risk_range.midpoint), "risk_range": risk_range.model_dump(), "level": label_level,
        "should_trigger_alert": should_alert(risk_range), "drivers": [],
        "reasoning_key_points": [p.model_dump(mode="json") for p in assess(obs).key_points],
        "expected_enrichment_models": [],
    })


def evaluation_rows(cases: pd.DataFrame) -> pd.DataFrame:
    """The valid curated cases as evaluation rows (same columns as a scenario row, plus the observation)."""
    out = []
    for r in cases[cases["valid"].astype(bool)].to_dict("records"):
        obs = Observation.model_validate_json(r[OBSERVATION_COLUMN])
        truth = _truth(r["label_level"], int(r["label_min"]), int(r["label_max"]), obs)
        context = _context(obs)
        out.append({
            "scenario_hash": hashlib.sha256(_canonical(["curated", r["source_file"], r[OBSERVATION_COLUMN], truth.model_dump(
                mode="json", exclude={"rubric_version"})]).encode()).hexdigest(),  # the case, not the rubric judging it
            "scenario_type": r["label_category"], "enrichment_level": CURATED_ENRICHMENT, "case_id": r["case_id"],
            "camera_location": obs.zone, "time_of_day": obs.time_of_day, "day_type": obs.day_type,
            "detections": _canonical(_detections(obs)), "enrichment_context": None if context is None else _canonical(context),
            "ground_truth": _canonical(truth.model_dump(mode="json")), OBSERVATION_COLUMN: r[OBSERVATION_COLUMN],
            "source": CURATED_SOURCE,
        })
    return pd.DataFrame(out)
