"""Scoring answers against ground truth, and the statistics that rank templates honestly.

A failed call or an unparseable answer is a failure in every metric: not in range, no level or
alert agreement, zero key-point recall, and the worst deviation the ground truth allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest, wilcoxon

from secassets.bands import ALERT_THRESHOLD, levels_for_range
from secassets.models import GroundTruth, RiskAnalysis

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


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS}


def key_point_recall(points: Sequence[str], answer_text: str) -> float:
    """Share of key points whose content words are at least half present in the answer."""
    if not points:
        return 1.0
    said = _words(answer_text)
    covered = 0
    for point in points:
        words = _words(point)
        if words and len(words & said) / len(words) >= KEY_POINT_COVERAGE:
            covered += 1
    return covered / len(points)


def worst_deviation(truth: GroundTruth) -> float:
    rr = truth.risk_range
    return float(max(rr.low, 100 - rr.high))


def score_answer(answer: RiskAnalysis | None, truth: GroundTruth) -> RowScore:
    if answer is None:
        return RowScore(False, worst_deviation(truth), False, False, 0.0)
    rr = truth.risk_range
    return RowScore(
        in_range=rr.contains(answer.risk_score),
        deviation=rr.deviation(answer.risk_score),
        level_agreement=answer.risk_level in levels_for_range(rr),
        alert_agreement=(answer.risk_score >= ALERT_THRESHOLD) == truth.should_trigger_alert,
        key_point_recall=key_point_recall(truth.reasoning_key_points, f"{answer.summary} {answer.reasoning}"),
    )


@dataclass(frozen=True)
class Estimate:
    """A mean with its bootstrap 95% confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "n": self.n}


def bootstrap_ci(values: Sequence[float], *, seed: int = 0, resamples: int = 2000, level: float = 0.95) -> Estimate:
    """Percentile bootstrap of the mean; seeded so the same data gives the same interval."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return Estimate(float(x.mean()), float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)), int(x.size))


def mcnemar_p(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Exact McNemar test on paired successes (two-sided binomial test of the discordant pairs)."""
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    if a_only + b_only == 0:
        return 1.0
    return float(binomtest(a_only, a_only + b_only, 0.5).pvalue)


def wilcoxon_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Wilcoxon signed-rank test on paired deviations; 1.0 when the pairs never differ."""
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if not np.any(diffs != 0):
        return 1.0
    return float(wilcoxon(diffs, zero_method="zsplit").pvalue)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")
