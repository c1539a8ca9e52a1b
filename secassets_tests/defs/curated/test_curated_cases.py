"""curated_cases and its checks in real materializations: shipped examples, a team's folder, bad input."""

from __future__ import annotations

import hashlib
import json
import os

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.curated.test_loader import GOOD, write_case
from secassets_tests.curated.test_loader_bounds import MARKER, _outside, build_hostile_root

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


def _digests(folder):
    """sha256 of every regular file under folder (links not followed), by relative path."""
    out = {}
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    out[os.path.relpath(path, folder)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def test_links_out_and_deep_json_in_the_team_folder_are_invalid_rows_and_nothing_outside_is_read(tmp_path):
    data = tmp_path / "data"
    build_hostile_root(data / "curated", _outside(tmp_path))
    result = _materialize(data, {"max_invalid_share": 0.9})  # 7 of 8 invalid: the blocking check may pass
    assert result.success and _checks(result)["curated_cases_valid"].passed
    df = pd.read_parquet(data / "curated_cases.parquet")
    reasons = dict(zip(df["source_file"], df["reason"], strict=True))
    assert len(df) == 8 and df["valid"].sum() == 1 and reasons["normal/good/expected_labels.json"] == ""
    assert reasons["normal/linked_case"].endswith("is a link out of the root; copy the files in")
    assert reasons["threats"] == "category folder threats is a link out of the root; copy the files in"
    assert reasons["suspicious/deep/expected_labels.json"].endswith("JSON nested deeper than 64 levels")
    assert "more than the 1,048,576 allowed" in reasons["suspicious/huge/expected_labels.json"]
    assert MARKER.encode() not in (data / "curated_cases.parquet").read_bytes()
    assert MARKER not in df.to_json()
    # with the default share the same folder fails the blocking check, each bad case listed with its reason
    listed = _checks(_materialize(data))["curated_cases_valid"].metadata["invalid"].value
    assert "normal/linked_labels/expected_labels.json" in listed and "is a link out of the root" in listed


@pytest.mark.parametrize("setting", ["root", "table"])
@pytest.mark.parametrize("where", ["absolute", "dotdot"])
def test_a_root_or_table_outside_the_data_folder_is_refused_and_nothing_changes(tmp_path, setting, where):
    data = tmp_path / "data"
    write_case(data / "curated", "normal", "mine")
    outside = _outside(tmp_path)
    (outside / "cases.jsonl").write_text(json.dumps({"case_id": MARKER, "category": "normal", **GOOD}))
    target = outside if setting == "root" else outside / "cases.jsonl"
    value = str(target) if where == "absolute" else os.path.relpath(target, data)
    assert where == "absolute" or value.startswith("../")
    before = _digests(data)
    result = _materialize(data, {setting: value})
    assert not result.success
    failure = result.failure_data_for_node("curated_cases").error
    assert failure.message.startswith(f"dagster._core.definitions.events.Failure: Invalid run config "
                                      f"(CuratedCaseParams): {setting}: resolves outside the data folder {data}")
    assert f"(got {repr(value)[:77]}" in failure.message  # the value, cut to 80 characters
    assert (f"Fix: put the cases under {data}/curated/ or another folder inside the data folder {data}; a folder "
            "elsewhere is mounted or copied in by the deployment. Nothing was read.") in failure.message
    assert MARKER not in failure.message
    assert _digests(data) == before  # no parquet written, nothing touched
    assert not (data / "curated_cases.parquet").exists()


def test_a_team_folder_that_is_a_link_out_of_the_data_folder_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "curated").symlink_to(_outside(tmp_path), target_is_directory=True)
    result = _materialize(data)
    message = result.failure_data_for_node("curated_cases").error.message
    assert not result.success and "Refused curated folder: <data>/curated/ (the default root): resolves outside the data folder" in message
    assert not (data / "curated_cases.parquet").exists()


def test_a_root_inside_the_data_folder_given_as_an_absolute_path_or_with_dotdot_inside_is_read(tmp_path):
    data = tmp_path / "data"
    write_case(data / "teams" / "a", "normal", "n1")
    for value in (str(data / "teams" / "a"), "teams/../teams/a"):
        result = _materialize(data, {"root": value})
        assert result.success, value
        assert pd.read_parquet(data / "curated_cases.parquet")["valid"].tolist() == [True]


def test_another_teams_vocabulary_is_read_with_a_report_and_pins_in_the_root(tmp_path):
    from secassets_tests.curated.external_set import EXTERNAL_CASES, write_cases

    root = write_cases(tmp_path / "curated", EXTERNAL_CASES[:30] + EXTERNAL_CASES[-10:])
    write_case(root, "suspicious", "prowler", labels={**GOOD, "action": {"action": "prowling"}})
    (root / "vocabulary.yaml").write_text("action.action:\n  prowling: loitering\n")
    result = _materialize(tmp_path)
    assert result.success
    meta = result.asset_materializations_for_node("curated_cases")[0].metadata
    report = meta["vocabulary_report"].value
    assert "| action.action | prowling |" in report and "| loitering | pinned |" in report
    assert meta["labels_read_by_embedding"].value > 0 and meta["match_threshold"].value == 0.6
    df = pd.read_parquet(tmp_path / "curated_cases.parquet")
    assert df["valid"].mean() >= 0.95
    assert df["not_available"].str.contains("embedding match").any()

    (root / "vocabulary.yaml").write_text("action.action:\n  prowling: sneaking\n")
    before = _digests(tmp_path)
    result = _materialize(tmp_path)
    [failure] = result.get_step_failure_events()
    assert "'sneaking' is not a value of ours" in failure.step_failure_data.user_failure_data.description
    assert _digests(tmp_path) == before
