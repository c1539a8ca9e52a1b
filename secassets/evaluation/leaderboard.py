"""Ranking templates: metrics with bootstrap CIs, breakdowns, paired significance, regressions."""

from __future__ import annotations

import hashlib
import itertools
import math
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from secassets.evaluation.statistics import bootstrap_ci, mcnemar_p, percentile, wilcoxon_p

RATE_METRICS = {
    "in_range_accuracy": "in_range",
    "level_accuracy": "level_agreement",
    "alert_accuracy": "alert_agreement",
    "key_point_recall": "key_point_recall",
    "parse_rate": "parse_ok",
}
BREAKDOWNS = ("scenario_type", "enrichment_level")


def _rounded(x: float) -> float | None:
    """JSON-ready: rounded to 4 places, NaN (no data) as None."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def template_summary(df: pd.DataFrame, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(df)}
    for name, column in RATE_METRICS.items():
        out[name] = {k: _rounded(v) for k, v in bootstrap_ci(df[column].astype(float).tolist(), seed=seed).as_dict().items()}
    out["mean_deviation"] = {k: _rounded(v) for k, v in bootstrap_ci(df["deviation"].tolist(), seed=seed).as_dict().items()}
    latencies = df["latency_s"].dropna().tolist()
    out["latency_s"] = {f"p{q}": _rounded(percentile(latencies, q)) for q in (50, 90, 99)}
    out["breakdowns"] = {
        by: {
            str(k): {"n": len(g), "in_range_accuracy": _rounded(g["in_range"].mean()), "mean_deviation": _rounded(g["deviation"].mean())}
            for k, g in df.groupby(by, sort=True)
        }
        for by in BREAKDOWNS
    }
    return out


def pairwise_tests(evals: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """McNemar (in-range) and Wilcoxon (deviation) for each pair, on the scenarios both evaluated."""
    tests = []
    for a, b in itertools.combinations(sorted(evals), 2):
        left = evals[a].set_index("scenario_hash")
        right = evals[b].set_index("scenario_hash")
        common = left.index.intersection(right.index)
        if common.empty:
            continue
        la, rb = left.loc[common], right.loc[common]
        tests.append(
            {
                "a": a, "b": b, "n": len(common),
                "in_range_a": _rounded(la["in_range"].mean()), "in_range_b": _rounded(rb["in_range"].mean()),
                "mcnemar_p": _rounded(mcnemar_p(la["in_range"].tolist(), rb["in_range"].tolist())),
                "wilcoxon_p": _rounded(wilcoxon_p(la["deviation"].tolist(), rb["deviation"].tolist())),
            }
        )
    return tests


def evaluations_fingerprint(evals: dict[str, pd.DataFrame]) -> str:
    """A short content hash of the ranked evaluations: two leaderboards with the same one ranked the same rows."""
    digest = hashlib.sha256()
    for template in sorted(evals):
        digest.update(template.encode())
        digest.update(pd.util.hash_pandas_object(evals[template], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def build_leaderboard(evals: dict[str, pd.DataFrame], *, seed: int = 0) -> dict[str, Any]:
    """The leaderboard document (JSON-ready), ranked by in-range accuracy, then parse rate, then deviation."""
    templates = {name: template_summary(df, seed) for name, df in sorted(evals.items())}
    ranking = sorted(
        templates,
        key=lambda t: (
            -(templates[t]["in_range_accuracy"]["mean"] or 0.0),
            -(templates[t]["parse_rate"]["mean"] or 0.0),
            templates[t]["mean_deviation"]["mean"] if templates[t]["mean_deviation"]["mean"] is not None else 1e9,
        ),
    )
    for rank, name in enumerate(ranking, start=1):
        templates[name]["rank"] = rank
    return {"templates": templates, "ranking": ranking, "pairwise": pairwise_tests(evals)}


class RegressionThresholds(BaseModel):
    """How much a template may fall between two leaderboards before a check fails."""

    error_margin: float = Field(default=0.0, ge=0.0, le=1.0, description="Extra drop allowed beyond the previous CI half-width.")
    warn_drop: float = Field(default=0.02, ge=0.0, le=1.0, description="Drops above this (but within the CI) warn.")


def find_regressions(previous: dict[str, Any], current: dict[str, Any], thresholds: RegressionThresholds) -> list[dict[str, Any]]:
    """ERROR when in-range accuracy or parse rate falls by more than the previous CI allows (+ margin); WARN for
    smaller drops above warn_drop."""
    findings = []
    for template, now in current["templates"].items():
        before = previous.get("templates", {}).get(template)
        if before is None:
            continue
        for metric in ("in_range_accuracy", "parse_rate"):
            b, n = before[metric], now[metric]
            if b["mean"] is None or n["mean"] is None:
                continue
            drop = b["mean"] - n["mean"]
            allowance = (b["mean"] - b["ci_low"]) + thresholds.error_margin
            severity = "ERROR" if drop > allowance else ("WARN" if drop > thresholds.warn_drop else None)
            if severity:
                findings.append(
                    {"template": template, "metric": metric, "before": b["mean"], "after": n["mean"],
                     "drop": round(drop, 4), "allowed": round(allowance, 4), "severity": severity}
                )
    return findings
