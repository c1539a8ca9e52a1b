import numpy as np
import pandas as pd
import pytest

from secassets.core.vocabulary import DEFAULT_WEIGHTS, SAMPLER_VALUES
from secassets.coverage.report import build_coverage, rows_for_ci, sampler_coverage, semantic_diversity


def _frame(n=40):
    rows = []
    for i in range(n):
        rows.append({c: v[i % len(v)] for c, v in SAMPLER_VALUES.items()})
    df = pd.DataFrame(rows)
    df["detection_schema_valid"] = True
    df["temporal_consistency"] = True
    df["complexity_score"] = np.linspace(0, 1, n)
    for r in ("relevance", "risk_calibration", "context_usage", "reasoning_quality", "threat_identification", "actionability"):
        df[f"judge_{r}"] = pd.array([None] * n, dtype="Int8")
    return df


def test_a_missing_value_is_reported_with_advice():
    df = _frame()
    df.loc[df["day_type"] == "holiday", "day_type"] = "weekday"
    report = build_coverage(df, DEFAULT_WEIGHTS, evaluation_rows=10)
    assert report["samplers"]["day_type"]["missing"] == ["holiday"]
    assert any("day_type=holiday" in r for r in report["recommendations"])
    assert any("385" in r for r in report["recommendations"])


def test_cv_and_min_max_ratio_as_computed_by_hand():
    df = pd.DataFrame({c: [SAMPLER_VALUES[c][0]] * 4 for c in SAMPLER_VALUES})
    df.loc[0:2, "day_type"] = ["weekday", "weekday", "weekend"]
    df.loc[3, "day_type"] = "holiday"
    cov = sampler_coverage(df, DEFAULT_WEIGHTS)["day_type"]
    counts = np.array([2, 1, 1])
    assert cov["cv"] == pytest.approx(round(counts.std() / counts.mean(), 4))
    assert cov["min_max_ratio"] == 0.5


def test_missing_cross_tab_cells_are_listed():
    df = _frame()
    df.loc[df["scenario_type"] == "threat", "enrichment_level"] = "full"
    report = build_coverage(df, DEFAULT_WEIGHTS)
    missing = report["cross_tabs"][0]["missing_cells"]
    assert "threat x none" in missing and "threat x basic" in missing


def test_a_planted_near_duplicate_pair_is_found():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(30, 16))
    v[7] = v[3] + 0.001
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    d = semantic_diversity([f"h{i:02d}" for i in range(30)], v, threshold=0.95, clusters=4, seed=0)
    assert [(p["a"], p["b"]) for p in d["near_duplicate_pairs"]] == [("h03", "h07")]
    assert d["near_duplicate_share"] == pytest.approx(2 / 30, abs=1e-4)
    assert 1 <= d["clusters_covered"] <= 4


def test_complexity_histogram_and_rows_for_ci():
    report = build_coverage(_frame(40), DEFAULT_WEIGHTS)
    assert sum(report["complexity_histogram"].values()) == 40
    assert rows_for_ci(0.05) == 385
    assert report["judge_distributions"] is None
