"""Coverage of a scenario set: distributions, gaps, cross-tabs, validity, complexity, diversity, advice."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from secassets.core.vocabulary import JUDGE_RUBRICS, SAMPLER_VALUES

CROSS_TABS = (("scenario_type", "enrichment_level"), ("scenario_type", "time_of_day"), ("scenario_type", "camera_location"))
COMPLEXITY_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)
OVER_REPRESENTED = 1.5  # observed share above this multiple of the configured share
Z95 = 1.959964


def sampler_coverage(df: pd.DataFrame, weights: dict[str, dict[str, float]]) -> dict[str, Any]:
    out = {}
    for column, values in SAMPLER_VALUES.items():
        counts = df[column].astype(str).value_counts()
        observed = {v: int(counts.get(v, 0)) for v in values}
        arr = np.array(list(observed.values()), dtype=float)
        out[column] = {
            "counts": observed,
            "shares": {v: round(c / max(1, len(df)), 4) for v, c in observed.items()},
            "configured": weights[column],
            "missing": [v for v, c in observed.items() if c == 0],
            "cv": round(float(arr.std() / arr.mean()), 4) if arr.mean() > 0 else None,
            "min_max_ratio": round(float(arr.min() / arr.max()), 4) if arr.max() > 0 else None,
        }
    return out


def cross_tab(df: pd.DataFrame, rows: str, cols: str) -> dict[str, Any]:
    table = pd.crosstab(df[rows], df[cols]).reindex(index=list(SAMPLER_VALUES[rows]), columns=list(SAMPLER_VALUES[cols]), fill_value=0)
    missing = [f"{r} x {c}" for r in table.index for c in table.columns if table.loc[r, c] == 0]
    return {"rows": rows, "cols": cols, "table": {r: {c: int(table.loc[r, c]) for c in table.columns} for r in table.index}, "missing_cells": missing}


def complexity_histogram(values: pd.Series) -> dict[str, int]:
    counts, edges = np.histogram(values.astype(float), bins=COMPLEXITY_BINS)
    return {f"{edges[i]:.2f}-{edges[i + 1]:.2f}": int(c) for i, c in enumerate(counts)}


def judge_distributions(df: pd.DataFrame) -> dict[str, dict[str, int]] | None:
    cols = [f"judge_{r}" for r in JUDGE_RUBRICS]
    if df[cols].isna().all().all():
        return None
    return {c: {str(k): int(v) for k, v in df[c].dropna().astype(int).value_counts().sort_index().items()} for c in cols}


def _kmeans_clusters(x: np.ndarray, k: int, seed: int, iterations: int = 25) -> int:
    """Seeded k-means (k-means++ start); returns how many of the k clusters end up non-empty."""
    rng = np.random.default_rng(seed)
    k = min(k, len(x))
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = np.min([1 - x @ c for c in centres], axis=0).clip(min=0)
        centres.append(x[rng.choice(len(x), p=d / d.sum()) if d.sum() > 0 else rng.integers(len(x))])
    c = np.array(centres)
    for _ in range(iterations):
        labels = np.argmax(x @ c.T, axis=1)
        for j in range(k):
            members = x[labels == j]
            if len(members):
                m = members.mean(axis=0)
                c[j] = m / (np.linalg.norm(m) or 1.0)
    return len(set(np.argmax(x @ c.T, axis=1).tolist()))


def semantic_diversity(hashes: list[str], vectors: np.ndarray, threshold: float, clusters: int, seed: int) -> dict[str, Any]:
    """Near-duplicate pairs (cosine above threshold), mean nearest-neighbour similarity, clusters covered."""
    if len(vectors) < 2:
        return {"near_duplicate_pairs": [], "near_duplicate_share": 0.0, "mean_nn_similarity": None, "clusters_covered": len(vectors), "clusters": clusters}
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    i, j = np.where(np.triu(sims, 1) > threshold)
    pairs = [{"a": hashes[a][:12], "b": hashes[b][:12], "cosine": round(float(sims[a, b]), 4)} for a, b in zip(i, j, strict=True)]
    involved = len(set(i.tolist()) | set(j.tolist()))
    return {
        "near_duplicate_pairs": sorted(pairs, key=lambda p: -p["cosine"]),
        "near_duplicate_share": round(involved / len(vectors), 4),
        "mean_nn_similarity": round(float(sims.max(axis=1).mean()), 4),
        "clusters_covered": _kmeans_clusters(vectors, clusters, seed),
        "clusters": clusters,
        "threshold": threshold,
    }


def rows_for_ci(half_width: float = 0.05, p: float = 0.5) -> int:
    """Evaluation rows needed for a +-half_width 95% CI on a proportion (worst case p = 0.5)."""
    return math.ceil(Z95**2 * p * (1 - p) / half_width**2)


def recommendations(report: dict[str, Any], evaluation_rows: int) -> list[str]:
    advice = []
    for column, cov in report["samplers"].items():
        for v in cov["missing"]:
            advice.append(f"Add scenarios with {column}={v}: none were generated.")
        for v, share in cov["shares"].items():
            want = cov["configured"][v]
            if want > 0 and share > OVER_REPRESENTED * want and share - want > 0.02:
                advice.append(f"{column}={v} is over-represented ({share:.0%} vs {want:.0%} configured).")
    for tab in report["cross_tabs"]:
        if tab["missing_cells"]:
            advice.append(f"Missing {tab['rows']} x {tab['cols']} combinations: {', '.join(tab['missing_cells'][:8])}.")
    needed = rows_for_ci()
    if evaluation_rows < needed:
        advice.append(
            f"The evaluation uses {evaluation_rows} rows per template; a +-5 point 95% CI on in-range accuracy needs "
            f"about {needed} (raise prompt_evaluations.evaluation_size)."
        )
    diversity = report.get("diversity")
    if diversity and diversity["near_duplicate_share"] > 0.05:
        advice.append(f"{diversity['near_duplicate_share']:.0%} of scenarios have a near-duplicate; vary the narratives or dedupe.")
    return advice or ["Coverage looks complete for the configured weights."]


def build_coverage(
    df: pd.DataFrame,
    weights: dict[str, dict[str, float]],
    *,
    hashes: list[str] | None = None,
    vectors: np.ndarray | None = None,
    near_duplicate_threshold: float = 0.95,
    clusters: int = 8,
    seed: int = 0,
    evaluation_rows: int = 0,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "rows": len(df),
        "samplers": sampler_coverage(df, weights),
        "cross_tabs": [cross_tab(df, r, c) for r, c in CROSS_TABS],
        "validity": {
            "schema_valid_share": round(float(df["detection_schema_valid"].mean()), 4) if len(df) else 0.0,
            "temporally_consistent_share": round(float(df["temporal_consistency"].mean()), 4) if len(df) else 0.0,
        },
        "complexity_histogram": complexity_histogram(df["complexity_score"]),
        "judge_distributions": judge_distributions(df),
        "diversity": None,
        "rows_for_5pt_ci": rows_for_ci(),
    }
    if vectors is not None and hashes is not None:
        report["diversity"] = semantic_diversity(hashes, vectors, near_duplicate_threshold, clusters, seed)
    report["recommendations"] = recommendations(report, evaluation_rows)
    return report
