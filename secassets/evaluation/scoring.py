"""Per-row scoring: how one answer compares with its scenario's ground truth.

A failed call or an unparseable answer is a failure in every metric: not in range, no level or
alert agreement, zero key-point recall, and the worst deviation the ground truth allows.
Aggregates over many rows are in secassets.evaluation.statistics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from secassets.core.rows import GroundTruth, RiskAnalysis
from secassets.risk.bands import ALERT_THRESHOLD, MAX_SCORE, levels_for_range

STOPWORDS = frozenset(
    ["a", "an", "the", "of", "at", "on", "in", "to", "and", "or", "for", "with", "from", "by", "is", "are", "was", "were", "be", "been", "this", "that", "it", "its", "as", "than", "other", "others", "seen"]
)
KEY_POINT_COVERAGE = 0.5


@dataclass(frozen=True)
class RowScore:
    """How one answer compares with the scenario's ground truth."""

    in_range: bool
    deviation: float
    level_agreement: bool
    alert_agreement: bool
    key_point_recall: float


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS}


def key_point_recall(points: Sequence[str], answer_text: str) -> float:
    """Share of key points whose content words are at least half present in the answer."""
    if not points:
        return 1.0
    said = _content_words(answer_text)
    covered = 0
    for point in points:
        words = _content_words(point)
        if words and len(words & said) / len(words) >= KEY_POINT_COVERAGE:
            covered += 1
    return covered / len(points)


def worst_deviation(truth: GroundTruth) -> float:
    """The farthest any score on the scale can lie from the ground-truth range (what a failure scores)."""
    rr = truth.risk_range
    return float(max(rr.low, MAX_SCORE - rr.high))


def shown_key_points(truth: GroundTruth, shown: frozenset[str] | None) -> list[str]:
    """The key points whose evidence a reader shown `shown` has (all of them when shown is None)."""
    return [p.text for p in truth.reasoning_key_points if shown is None or not p.evidence or set(p.evidence) & shown]


def score_answer(answer: RiskAnalysis | None, truth: GroundTruth, shown: frozenset[str] | None = None) -> RowScore:
    """How the answer compares with the truth; key-point recall counts only points whose evidence is shown."""
    if answer is None:
        return RowScore(False, worst_deviation(truth), False, False, 0.0)
    rr = truth.risk_range
    return RowScore(
        in_range=rr.contains(answer.risk_score),
        deviation=rr.deviation(answer.risk_score),
        level_agreement=answer.risk_level in levels_for_range(rr),
        alert_agreement=(answer.risk_score >= ALERT_THRESHOLD) == truth.should_trigger_alert,
        key_point_recall=key_point_recall(shown_key_points(truth, shown), f"{answer.summary} {answer.reasoning}"),
    )
