import json

import pandas as pd
import pytest

from secassets.defs.scenarios.scenario_checks import (
    scenarios_hash_unique,
    scenarios_sampler_distribution,
    scenarios_schema,
    scenarios_temporal_validity,
)
from secassets.sampling.spec import SamplerPlan, SamplerSpec

pytestmark = pytest.mark.integration  # Data Designer and a Dagster run (the scenario_run fixture)


def _frame(scenario_run):
    _, data_dir = scenario_run
    return pd.read_parquet(data_dir / "scenarios.parquet")


def test_schema_check_fails_on_an_out_of_band_ground_truth(scenario_run):
    df = _frame(scenario_run)
    assert scenarios_schema(df).passed
    gt = json.loads(df.loc[0, "ground_truth"])
    gt["risk_range"] = {"low": 99, "high": 100} if df.loc[0, "scenario_type"] != "threat" else {"low": 0, "high": 5}
    df.loc[0, "ground_truth"] = json.dumps(gt)
    result = scenarios_schema(df)
    assert not result.passed
    assert result.metadata["failing_rows"].value == 1
    assert "band" in result.metadata["failures"].value


def test_schema_check_fails_on_a_missing_column(scenario_run):
    result = scenarios_schema(_frame(scenario_run).drop(columns=["complexity_score"]))
    assert not result.passed
    assert "complexity_score" in result.metadata["column_problem"].value


def test_temporal_check_fails_on_a_late_timestamp(scenario_run):
    df = _frame(scenario_run)
    det = json.loads(df.loc[3, "detections"])
    det[0]["timestamp_offset_seconds"] = 120.0
    df.loc[3, "detections"] = json.dumps(det)
    result = scenarios_temporal_validity(df)
    assert not result.passed and result.metadata["failing_rows"].value == 1


def test_uniqueness_check_fails_on_a_duplicate(scenario_run):
    df = _frame(scenario_run)
    df = pd.concat([df, df.head(1)], ignore_index=True)
    result = scenarios_hash_unique(df)
    assert not result.passed and result.metadata["duplicate_rows"].value == 2


def test_distribution_check_warns_on_skewed_samples(scenario_run):
    df = _frame(scenario_run)
    plan = SamplerPlan(spec=SamplerSpec(num_scenarios=len(df)), data_designer_yaml="unused.yaml")
    assert scenarios_sampler_distribution(df, plan).passed
    skewed = df.copy()
    skewed["time_of_day"] = "night"
    result = scenarios_sampler_distribution(skewed, plan)
    assert not result.passed
    assert result.metadata["lowest_p_column"].value == "time_of_day"
