"""The example rows the template lint renders every template's text on: two of each source, built in plain Python.

A text that fails on some rows only (`{{ 1 // (camera|length - 10) }}`) passes a lint that renders every
input as "x"; rendered on real rows of every source (a scenario with full enrichment and one with none, two
edge cases, two curated cases that state no enrichment and one of them no camera), more such texts fail in the
lint instead of in a run (not all: the lint cannot know every row). The rows come from the same generators as the assets' (secassets.scenarios.grounding,
secassets.edge_cases.families, secassets.curated), seeded, so they are the same on every run; they are built
once per process (a few milliseconds) and are only ever read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from secassets.curated.examples import EXAMPLES
from secassets.curated.labels import CuratedCase, ExpectedLabels, label_category_of
from secassets.curated.mapping import observation_of_labels
from secassets.curated.rows import cases_frame, evaluation_rows
from secassets.edge_cases.families import EdgeCaseCounts, generate_edge_cases
from secassets.evaluation.inputs import Row
from secassets.scenarios.grounding import ground, row_rng

LINT_SEED: Final = 7
# Sampled values of the scenario examples: every input present, then every enrichment input missing.
SCENARIO_EXAMPLES: Final = (
    {"time_of_day": "night", "day_type": "weekday", "camera_location": "front_door", "detection_count": "2-3",
     "primary_object": "person", "scenario_type": "suspicious", "enrichment_level": "full"},
    {"time_of_day": "midday", "day_type": "weekend", "camera_location": "driveway", "detection_count": "1",
     "primary_object": "vehicle", "scenario_type": "normal", "enrichment_level": "none"},
)
EDGE_CASE_EXAMPLES: Final = ("ocr_failure", "circuit_breaker")
# A threat with a zone, a face and an action; a jogger on the street: no zone (the camera is "not available").
CURATED_EXAMPLES: Final = ("threat_003_armed_masked_person_front_door_late_night", "normal_004_jogger_street_view_dawn")


@dataclass(frozen=True)
class LintRow:
    """One example row and what it is ("curated normal_007_...") for the lint's message."""

    label: str
    row: Row


def _scenario_rows() -> list[LintRow]:
    out = []
    for i, sampled in enumerate(SCENARIO_EXAMPLES):
        g = ground(sampled, row_rng(LINT_SEED, i))
        row: dict[str, Any] = {
            **sampled, "detections": json.dumps(g.detections), "ground_truth": json.dumps(g.ground_truth),
            "enrichment_context": None if g.enrichment_context is None else json.dumps(g.enrichment_context),
        }
        out.append(LintRow(f"scenario example {i + 1} (enrichment {sampled['enrichment_level']})", row))
    return out


def _edge_case_rows() -> list[LintRow]:
    counts = EdgeCaseCounts(**{f: int(f in EDGE_CASE_EXAMPLES) for f in EdgeCaseCounts.model_fields})
    rows = generate_edge_cases(counts, LINT_SEED).to_dict("records")
    return [LintRow(f"edge case example ({r['family']})", r) for r in rows]


def _curated_rows() -> list[LintRow]:
    cases = []
    for category, case_id, _, labels in EXAMPLES:
        if case_id not in CURATED_EXAMPLES:
            continue
        expected = ExpectedLabels.model_validate(labels)
        observation, notes = observation_of_labels(expected)
        cases.append(CuratedCase(case_id=case_id, category=category, label_category=label_category_of(category),
                                 source_file=f"{category}/{case_id}", valid=True, label=expected.risk,
                                 observation=observation, not_available=notes))
    rows = evaluation_rows(cases_frame(cases)).to_dict("records")
    return [LintRow(f"curated example {r['case_id']}", r) for r in rows]


@cache
def lint_rows() -> tuple[LintRow, ...]:
    """The example rows, scenarios first, then edge cases, then curated cases (built once; never modify them)."""
    return (*_scenario_rows(), *_edge_case_rows(), *_curated_rows())
