"""What a perfect reader of a template could score: the rubric applied to the fields the template shows.

A perfect reader of a template knows the rubric and the scenario population but sees only the
template's fields (secassets.evaluation.templates.PromptTemplate.reveals). It applies the rubric to
what it sees (the masked observation: hidden facts unknown, hidden cues absent), then answers the
best constant for that reading in the population: per bin of the masked score, the score inside the
most true ranges, the level agreeing with the most truths, the majority alert. One bin for all rows
is what a constant answer scores (chance); a template that shows everything reaches about 1.0.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from secassets.core.content import observation_of_row
from secassets.core.rows import GroundTruth
from secassets.evaluation.templates import PromptTemplate
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS, levels_for_range
from secassets.risk.cues import CUE_RULES
from secassets.risk.observation import (
    CHANNEL_FIELDS,
    OBSERVATION_FIELDS,
    REQUIRED_FIELDS,
    Observation,
    ObservationField,
)
from secassets.risk.rubric import assess

READING_BIN: Final = 5  # masked scores within one bin are one reading
# Observation attributes that are not cue channels and can be hidden (zone, time and object classes never are).
_MASKABLE = tuple(f for f in OBSERVATION_FIELDS if f not in REQUIRED_FIELDS | CHANNEL_FIELDS | {"confidence"})


def mask(observation: Observation, shown: frozenset[ObservationField]) -> Observation:
    """The observation as a reader shown only `shown` sees it: hidden facts unknown (None), hidden cues absent."""
    hidden = {f: None for f in _MASKABLE if f not in shown}
    cues = frozenset(c for c in observation.cues if set(CUE_RULES[c].channels) & shown)
    objects = observation.objects
    if "confidence" not in shown:
        objects = tuple(o.model_copy(update={"confidence": None}) for o in objects)
    return observation.model_copy(update={**hidden, "cues": cues, "objects": objects})


def reading(row: Mapping[str, Any], template: PromptTemplate) -> int:
    """The bin of the rubric's score on what the template shows of the row."""
    return assess(mask(observation_of_row(row), template.reveals)).score // READING_BIN


@dataclass(frozen=True)
class Answer:
    score: int
    level: str
    alert: bool


def _best(truths: list[GroundTruth]) -> Answer:
    scores = range(MIN_SCORE, MAX_SCORE + 1)
    score = max(scores, key=lambda c: (sum(t.risk_range.contains(c) for t in truths), -c))
    levels = Counter(lvl for t in truths for lvl in levels_for_range(t.risk_range))
    level = max(RISK_LEVELS, key=lambda lvl: (levels[lvl], -RISK_LEVELS.index(lvl)))
    alert = sum(t.should_trigger_alert for t in truths) * 2 > len(truths)
    return Answer(score, level, alert)


@dataclass(frozen=True)
class Calibration:
    """A template's perfect reader: the best answer per reading, and the best constant answer (chance)."""

    template: str
    per_reading: dict[int, Answer]
    constant: Answer

    def answer(self, row: Mapping[str, Any], template: PromptTemplate) -> Answer:
        return self.per_reading.get(reading(row, template), self.constant)


def _truth(row: Mapping[str, Any]) -> GroundTruth:
    return GroundTruth.model_validate(json.loads(row["ground_truth"]) if isinstance(row["ground_truth"], str) else row["ground_truth"])


def calibrate(population: pd.DataFrame, template: PromptTemplate) -> Calibration:
    """The perfect reader of `template` for rows like those of `population` (scenarios and edge cases)."""
    groups: dict[int, list[GroundTruth]] = {}
    truths = []
    for row in population.to_dict("records"):
        truth = _truth(row)
        truths.append(truth)
        groups.setdefault(reading(row, template), []).append(truth)
    return Calibration(template.name, {k: _best(v) for k, v in sorted(groups.items())}, _best(truths))


def _flags(prefix: str, truth: GroundTruth, answer: Answer) -> dict[str, Any]:
    return {
        f"{prefix}_score": answer.score,
        f"{prefix}_in_range": truth.risk_range.contains(answer.score),
        f"{prefix}_level_agreement": answer.level in levels_for_range(truth.risk_range),
        f"{prefix}_alert_agreement": answer.alert == truth.should_trigger_alert,
    }


def ceiling_flags(row: Mapping[str, Any], template: PromptTemplate, calibration: Calibration) -> dict[str, Any]:
    """The perfect reader's answer on the row and whether it is in range, at the right level, alerting right;
    and the same for the population's best constant answer (chance), so both are read on the same footing."""
    truth = _truth(row)
    return {**_flags("ceiling", truth, calibration.answer(row, template)), **_flags("chance", truth, calibration.constant)}
