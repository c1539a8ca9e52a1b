"""Aggregate statistics: confidence intervals, paired tests and percentiles over many rows, and the
seeded stratified sample the evaluation set (and the scenario LLM passes) draw.

Per-row scoring is in secassets.evaluation.scoring; rendering in secassets.evaluation.report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest, wilcoxon


def stratified_sample(df: pd.DataFrame, n: int, by: str, seed: int) -> pd.Index:
    """A seeded sample of n rows whose strata (values of `by`) keep their shares, each stratum at least once."""
    if n >= len(df):
        return df.index
    groups = df.groupby(by, sort=True)
    shares = groups.size() / len(df)
    quotas = (shares * n).round().astype(int).clip(lower=1)
    while quotas.sum() > n:
        quotas[quotas.idxmax()] -= 1
    while quotas.sum() < n:
        quotas[(shares * n - quotas).idxmax()] += 1
    picked = [g.sample(n=min(len(g), int(quotas[k])), random_state=seed).index for k, g in groups]
    return pd.Index(sorted(i for idx in picked for i in idx))


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


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given (step-down, monotone, capped at 1)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a rate (95% by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def evaluation_summary(df: pd.DataFrame) -> dict[str, float]:
    """Headline figures of one template's evaluation (failures count against every rate).

    Latency and tokens/s describe the answers as they were produced (a cached answer keeps the
    latency measured when the server gave it), so they are the same on a cached re-run.
    """
    answered = df[df["latency_s"].notna()]
    latencies = answered["latency_s"].tolist()
    gen_tokens = answered["completion_tokens"].fillna(0).sum()
    gen_seconds = answered["latency_s"].sum()
    return {
        "rows": len(df),
        "parse_rate": float(df["parse_ok"].mean()) if len(df) else float("nan"),
        "in_range_rate": float(df["in_range"].mean()) if len(df) else float("nan"),
        # what a perfect reader of the template's inputs would reach (secassets.evaluation.ceilings)
        "ceiling_in_range_rate": float(df["ceiling_in_range"].mean()) if len(df) else float("nan"),
        "mean_deviation": float(df["deviation"].mean()) if len(df) else float("nan"),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p90_s": percentile(latencies, 90),
        "latency_p99_s": percentile(latencies, 99),
        "tokens_per_s_per_request": float(gen_tokens / gen_seconds) if gen_seconds > 0 else float("nan"),
    }
