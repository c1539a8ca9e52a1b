"""Distribution tests of the sampled columns against the configured weights."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import chisquare


@dataclass(frozen=True)
class SamplerFit:
    """How well one sampler column's observed counts fit its configured weights."""

    column: str
    chi2: float
    p_value: float
    observed: dict[str, int]
    expected_share: dict[str, float]
    impossible: dict[str, int]  # categories with weight 0 that were observed anyway


def sampler_fit(values: pd.Series, weights: dict[str, float]) -> SamplerFit:
    """Pearson chi-square goodness of fit over the categories with a positive weight."""
    counts = values.astype(str).value_counts()
    observed = {k: int(counts.get(k, 0)) for k in weights}
    unknown = {str(k): int(v) for k, v in counts.items() if k not in weights}
    impossible = {k: observed[k] for k, w in weights.items() if w == 0 and observed[k] > 0} | unknown
    live = [k for k, w in weights.items() if w > 0]
    n = sum(observed[k] for k in live)
    total_w = sum(weights[k] for k in live)
    if len(live) < 2 or n == 0:
        chi2, p = 0.0, 1.0
    else:
        res = chisquare([observed[k] for k in live], [n * weights[k] / total_w for k in live])
        chi2, p = float(res.statistic), float(res.pvalue)
    if impossible:
        p = 0.0
    return SamplerFit(column=str(values.name), chi2=chi2, p_value=p, observed=observed, expected_share=dict(weights), impossible=impossible)
