"""Pinned baselines, comparability and repeats on small real runs (real llama.cpp server, real Dagster runs)."""

import json

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.defs.evaluation.test_prompt_evaluations import write_scenarios_and_edges
from secassets_tests.evaluation_runs import evaluation_instance, key, output

pytestmark = pytest.mark.integration
EVAL = {"evaluation_size": 12, "edge_cases_per_family": 0, "curated_size": 0}


def _materialize(data_dir, selection, config=None, llm=None, partition_key=None):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets(*selection),
        resources=build_resources(str(data_dir), llm=llm or LlamaServerResource(mode="off")),
        run_config={"ops": {"prompt_evaluations": {"config": config or EVAL}}} if "prompt_evaluations" in selection else None,
        partition_key=partition_key and key(partition_key), raise_on_error=False, instance=evaluation_instance(),
    )


def _regression(result):
    return next(c for c in result.get_asset_check_evaluations() if c.check_name == "template_regression")


def _promote(data_dir, name="default"):
    job = defs.resolve_job_def("promote_baseline")
    return job.execute_in_process(run_config={"ops": {"pin_current_leaderboard": {"config": {"name": name}}}},
                                  resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")))


@pytest.fixture(scope="module")
def pinned(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("baseline")
    write_scenarios_and_edges(data_dir, 30)
    assert _materialize(data_dir, ["prompt_evaluations"], llm=LlamaServerResource(parallel=2), partition_key="basic").success
    assert _materialize(data_dir, ["template_leaderboard"]).success
    assert _promote(data_dir).success
    return data_dir


def _edit_baseline(data_dir, **columns):
    path = data_dir / "baselines" / "default" / "evaluations" / "smollm2-135m" / "basic.parquet"
    df = pd.read_parquet(path)
    for column, value in columns.items():
        df[column] = value
    df.to_parquet(path)


def test_an_unchanged_run_passes_against_its_own_baseline(pinned):
    result = _materialize(pinned, ["template_leaderboard"])
    check = _regression(result)
    assert check.passed and "no regression" in check.metadata["verdicts"].value
    assert (pinned / "baselines" / "default" / "leaderboard.json").is_file()
    report = (pinned / "template_leaderboard" / "report.html").read_text()
    assert "Against the pinned baseline" in report and "only where templates disagree" in report and "<details>" in report
    meta = result.asset_materializations_for_node("template_leaderboard")[-1].metadata
    assert "| scenario | type | truth | basic | changed |" in meta["side_by_side"].value
    assert any(word in meta["leaderboard"].value for word in ("at chance", "below chance", "closes"))


def test_a_planted_regression_fails_on_two_consecutive_runs_until_re_pinned(pinned):
    _edit_baseline(pinned, in_range=True, deviation=0.0)  # the pinned run got every row right
    for _ in range(2):
        check = _regression(_materialize(pinned, ["template_leaderboard"]))
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
        assert check.metadata["regressions"].value == "smollm2-135m|basic"
    assert _promote(pinned).success  # a person accepts the new normal
    assert _regression(_materialize(pinned, ["template_leaderboard"])).passed


def test_a_run_on_another_model_is_not_comparable(pinned):
    _edit_baseline(pinned, model_id="another-model.gguf", in_range=True)
    check = _regression(_materialize(pinned, ["template_leaderboard"]))
    assert check.passed and check.metadata["not_comparable"].value == "smollm2-135m|basic"
    assert "another-model.gguf ->" in check.metadata["verdicts"].value
    assert _promote(pinned).success


def test_repeats_report_stability_and_a_rerun_makes_no_server_call(tmp_path):
    write_scenarios_and_edges(tmp_path, 20)
    config = {"evaluation_size": 4, "edge_cases_per_family": 0, "curated_size": 0, "repeats": 3, "temperature": 0.7}
    first = _materialize(tmp_path, ["prompt_evaluations"], config, LlamaServerResource(parallel=2), "basic")
    assert first.success
    df = pd.read_parquet(output(tmp_path, "basic"))
    assert len(df) == 12 and sorted(df["repeat"].unique()) == [0, 1, 2]
    assert json.loads(df["settings"].iloc[0])["repeats"] == 3
    assert _materialize(tmp_path, ["template_leaderboard"]).success
    board = json.loads((tmp_path / "template_leaderboard.json").read_text())
    basic = board["by_model"]["smollm2-135m"]["templates"]["basic"]
    assert basic["stability"]["repeats"] == 3 and basic["rows"] == 4
    assert "Stability over repeats" in (tmp_path / "template_leaderboard" / "report.html").read_text()
    again = _materialize(tmp_path, ["prompt_evaluations"], config, LlamaServerResource(parallel=2), "basic")
    meta = again.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["server_calls"].value == 0 and meta["cache_hits"].value == 12
