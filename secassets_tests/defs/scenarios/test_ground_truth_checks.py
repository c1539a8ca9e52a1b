"""The ground-truth checks on real Data Designer output (scenario_run) and on planted faults."""

import json

import pandas as pd
import pytest

from secassets.defs.scenarios.ground_truth_checks import scenarios_ground_truth_consistency, scenarios_label_leakage
from secassets_tests.generated_rows import default_rows


def _frame(scenario_run):
    _, data_dir = scenario_run
    return pd.read_parquet(data_dir / "scenarios.parquet")


@pytest.mark.integration
def test_both_checks_pass_on_the_generated_scenarios(scenario_run):
    df = _frame(scenario_run)
    consistency = scenarios_ground_truth_consistency(df)
    assert consistency.passed, consistency.metadata
    assert consistency.metadata["truth_equals_rubric_share"].value == 1.0
    leakage = scenarios_label_leakage(df)
    assert leakage.passed, leakage.metadata
    assert "| vision |" in leakage.metadata["per_template"].value


def test_a_planted_leak_fails_the_leakage_check_and_names_the_field():
    rows = default_rows().head(600).copy()
    rows["detections"] = [json.dumps([{**d, "confidence": {"normal": 0.91, "suspicious": 0.81, "threat": 0.71,
                                                           "edge_case": 0.61}[t]} for d in json.loads(s)])
                          for s, t in zip(rows["detections"], rows["scenario_type"], strict=True)]
    result = scenarios_label_leakage(rows)
    assert not result.passed
    assert result.metadata["max_field"].value in ("detection_list.mean_confidence", "detection_list.min_confidence")
    assert result.metadata["max_field_accuracy"].value > 0.9


def test_a_planted_contradiction_fails_the_consistency_check():
    rows = default_rows().head(200).copy()
    i = next(i for i, c in enumerate(rows["enrichment_context"]) if isinstance(c, str))
    ctx = json.loads(rows.iloc[i]["enrichment_context"])
    ctx["baseline_deviation_score"] = -ctx["baseline_deviation_score"] if ctx["baseline_deviation_score"] else -2.0
    rows.iloc[i, rows.columns.get_loc("enrichment_context")] = json.dumps(ctx)
    result = scenarios_ground_truth_consistency(rows)
    assert not result.passed
    assert result.metadata["contradictory_rows"].value == 1
    assert "deviation" in result.metadata["failures"].value


def test_a_truth_that_is_not_the_rubric_fails_the_consistency_check():
    rows = default_rows().head(200).copy()
    truth = json.loads(rows.iloc[3]["ground_truth"])
    truth["score"] = min(100, truth["score"] + 1)
    rows.iloc[3, rows.columns.get_loc("ground_truth")] = json.dumps(truth)
    result = scenarios_ground_truth_consistency(rows)
    assert not result.passed
    assert result.metadata["truth_mismatch_rows"].value == 1 and result.metadata["contradictory_rows"].value == 0
    assert "score: stored" in result.metadata["failures"].value
