"""Whether a row's content holds together and its ground truth is what the rubric says of that content."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secassets.core.content import contradictions, observation_of, row_content
from secassets.risk.rubric import assess
from secassets.scenarios.grounding import truth_of

# The parts of ground_truth that the rubric decides (expected_enrichment_models is the pipeline's, not the rubric's).
RUBRIC_PARTS = ("score", "risk_range", "level", "should_trigger_alert", "drivers", "reasoning_key_points")


def row_problems(row: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(contradictions in the content, differences between the stored truth and assess(content))."""
    try:
        sampled, detections, context = row_content(row)
        found = contradictions(sampled, detections, context)
    except (KeyError, TypeError, ValueError) as exc:
        return [f"unreadable content: {exc}"], []
    if found:
        return found, []
    stored = json.loads(row["ground_truth"]) if isinstance(row["ground_truth"], str) else dict(row["ground_truth"])
    expected = truth_of(assess(observation_of(sampled, detections, context)), [])
    mismatches = [f"{part}: stored {stored.get(part)!r}, rubric {expected[part]!r}"
                  for part in RUBRIC_PARTS if stored.get(part) != expected[part]]
    return [], mismatches
