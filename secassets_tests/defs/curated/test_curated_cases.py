"""curated_cases and its checks in real materializations: shipped examples, a team's folder, bad input."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.curated.test_loader import GOOD, write_case

pytestmark = pytest.mark.integration


def _materialize(data_dir, config=None):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("curated_cases"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
        run_config={"ops": {"curated_cases": {"config": config}}} if config else None, raise_on_error=False,
    )


def _checks(result):
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def test_the_shipped_examples_are_read_when_the_data_folder_has_no_curated_cases(tmp_path):
    result = _materialize(tmp_path)
    assert result.success
    meta = result.asset_materializations_for_node("curated_cases")[-1].metadata
    assert meta["root_chosen_as"].value.startswith("shipped examples") and meta["invalid_cases"].value == 0
    df = pd.read_parquet(tmp_path / "curated_cases.parquet")
    assert len(df) >= 20 and df["valid"].all() and set(df["label_category"]) == {"normal", "suspicious", "threat"}
    checks = _checks(result)
    assert checks["curated_cases_valid"].passed
    agreement = checks["rubric_agreement"]
    assert agreement.severity == dg.AssetCheckSeverity.WARN
    assert 0 <= agreement.metadata["level_agreement"].value <= 1 and "| label" in agreement.metadata["report"].value


def test_a_team_folder_with_too_many_invalid_cases_fails_the_error_check_and_lists_each(tmp_path):
    root = tmp_path / "curated"
    write_case(root, "suspicious", "good", labels=GOOD)
    write_case(root, "external/normal", "no_risk", labels={k: v for k, v in GOOD.items() if k != "risk"})
    write_case(root, "threats", "broken", labels="{not json")
    result = _materialize(tmp_path)
    df = pd.read_parquet(tmp_path / "curated_cases.parquet")
    assert len(df) == 3 and df["valid"].sum() == 1  # nothing dropped
    check = _checks(result)["curated_cases_valid"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    listed = check.metadata["invalid"].value
    assert "external/normal/no_risk/expected_labels.json" in listed and "risk" in listed and "malformed JSON" in listed
    # a looser configured share passes the same folder
    assert _checks(_materialize(tmp_path, {"max_invalid_share": 0.7}))["curated_cases_valid"].passed


def test_rubric_agreement_warns_below_the_configured_level(tmp_path):
    root = tmp_path / "curated"
    write_case(root, "normal", "calm_label_for_a_break_in", labels={
        "detections": [{"class": "person"}], "action": {"action": "breaking_in"},
        "scene": {"location": "front_porch", "time_of_day": "night"}, "risk": {"min_score": 0, "max_score": 20, "level": "low"}})
    check = _checks(_materialize(tmp_path))["rubric_agreement"]
    assert not check.passed and check.metadata["level_agreement"].value == 0.0
    assert "calm_label_for_a_break_in" in check.metadata["report"].value


def test_a_missing_root_fails_with_the_path_and_the_fix(tmp_path):
    result = _materialize(tmp_path, {"root": str(tmp_path / "nowhere")})
    assert not result.success
    message = result.failure_data_for_node("curated_cases").error.message
    assert str(tmp_path / "nowhere") in message
    assert not (tmp_path / "curated_cases.parquet").exists()
