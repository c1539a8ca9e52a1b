"""Row validation: the checks behind the detection_schema_valid and temporal_consistency columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import ValidationError

from secassets.core.content import json_cell
from secassets.core.rows import ScenarioBundle
from secassets.core.vocabulary import DETECTION_WINDOW_SECONDS, JUDGE_RUBRICS, SAMPLER_COLUMNS

BUNDLE_TEXT_FIELDS = (
    "scenario_narrative",
    "expected_summary",
    "reasoning_key_points",
    "formatted_prompt_input",
    "complexity_score",
    "scenario_hash",
    "generation_mode",
)


def bundle_from_row(row: Mapping[str, Any]) -> ScenarioBundle:
    """Rebuild and validate a ScenarioBundle from a scenarios row (JSON columns decoded)."""
    judge = {r: row.get(f"judge_{r}") for r in JUDGE_RUBRICS}
    has_judge = all(v is not None and not pd.isna(v) for v in judge.values())
    data = {c: row[c] for c in SAMPLER_COLUMNS}
    data.update({c: row[c] for c in BUNDLE_TEXT_FIELDS if c in row})
    data["detections"] = json_cell(row["detections"])
    data["enrichment_context"] = json_cell(row["enrichment_context"])
    data["ground_truth"] = json_cell(row["ground_truth"])
    data["judge_scores"] = {k: int(v) for k, v in judge.items()} if has_judge else None
    return ScenarioBundle.model_validate(data)


def schema_errors(row: Mapping[str, Any]) -> list[str]:
    """Every reason the row is not a valid ScenarioBundle (empty when valid)."""
    try:
        bundle_from_row(row)
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return []


def temporal_errors(detections: Any) -> list[str]:
    """Why a detection batch is not temporally consistent (every timestamp in 0-90 s, span <= 90 s)."""
    try:
        items = json_cell(detections)
        times = [float(d["timestamp_offset_seconds"]) for d in items]
    except (TypeError, ValueError, KeyError) as exc:
        return [f"unreadable timestamps: {exc}"]
    if not times:
        return ["no detections"]
    errors = [f"timestamp {t} outside 0-{DETECTION_WINDOW_SECONDS:.0f} s" for t in times if not 0 <= t <= DETECTION_WINDOW_SECONDS]
    if max(times) - min(times) > DETECTION_WINDOW_SECONDS:
        errors.append(f"batch spans {max(times) - min(times):.1f} s > {DETECTION_WINDOW_SECONDS:.0f} s")
    return errors
