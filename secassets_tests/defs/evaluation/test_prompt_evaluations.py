"""prompt_evaluations and template_leaderboard against a real llama.cpp server on a few scenarios."""

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.conftest import materialize_scenarios
from secassets_tests.evaluation_runs import evaluation_instance, key, output, range_tags

pytestmark = pytest.mark.integration

EVAL_CONFIG = {"evaluation_size": 3, "n_predict": 200, "edge_cases_per_family": 0, "curated_size": 0}
SMALL_EDGES = {"multi_threat": 2, "rare_pose": 2, "boundary_confidence": 2, "ocr_failure": 2, "vram_stress": 1, "circuit_breaker": 1}


def write_scenarios_and_edges(data_dir, num_scenarios):
    """Materialize scenarios and a few edge cases per family into data_dir (the evaluation fault tests use it too)."""
    assert materialize_scenarios(data_dir, num_scenarios=num_scenarios).success
    assert dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("enrichment_edge_cases", "curated_cases"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
        run_config={"ops": {"enrichment_edge_cases": {"config": SMALL_EDGES}}},
    ).success


def _materialize(data_dir, selection, llm, tags=None, partition_key=None):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets(*selection),
        resources=build_resources(str(data_dir), llm=llm),
        run_config={"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}} if "prompt_evaluations" in selection else None,
        partition_key=partition_key and key(partition_key),
        tags=tags,
        raise_on_error=False,
        instance=evaluation_instance(),
    )


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("eval")
    write_scenarios_and_edges(data_dir, 30)
    return data_dir


def test_one_partition_against_the_real_server_then_cache_only(eval_dir):
    result = _materialize(eval_dir, ["prompt_evaluations"], LlamaServerResource(parallel=2), partition_key="basic")
    assert result.success
    df = pd.read_parquet(output(eval_dir, "basic"))
    assert len(df) == 3 and set(df["template"]) == {"basic"}
    assert df["scenario_type"].nunique() == 3  # stratified
    # every row is either a scored answer or a failure with its reason, never a default score
    assert ((df["parse_ok"] & df["risk_score"].notna()) | (~df["parse_ok"] & df["error"].notna())).all()
    assert (~df["parse_ok"] <= ~df["in_range"]).all()
    meta = result.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["server_calls"].value == 3 and meta["cache_hits"].value == 0
    assert meta["llm_quantization"].value == "Q4_1"
    first_bytes = output(eval_dir, "basic").read_bytes()

    again = _materialize(eval_dir, ["prompt_evaluations"], LlamaServerResource(parallel=2), partition_key="basic")
    assert again.success
    meta = again.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["server_calls"].value == 0 and meta["cache_hits"].value == 3
    assert "llm_server_pid" not in meta and "llm_quantization" not in meta  # the server was never started
    assert output(eval_dir, "basic").read_bytes() == first_bytes  # identical output


def test_a_crashed_run_resumes_with_only_the_missing_calls(eval_dir):
    from secassets.llm.cache import ResponseCache

    cache = ResponseCache(eval_dir / "prompt_evaluations" / "cache")
    before = len(cache)
    result = _materialize(eval_dir, ["prompt_evaluations"], LlamaServerResource(parallel=2), partition_key="enriched")
    assert result.success and len(cache) == before + 3
    # lose one answer, as if the run had died before it arrived
    victim = min(cache.root.glob("*/*.json"))
    victim.unlink()
    again = _materialize(eval_dir, ["prompt_evaluations"], LlamaServerResource(parallel=2), partition_key="enriched")
    meta = again.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["server_calls"].value + meta["cache_hits"].value == 3
    assert meta["server_calls"].value <= 1


def test_edge_cases_and_curated_cases_join_the_evaluation_set(eval_dir):
    config = {**EVAL_CONFIG, "edge_cases_per_family": 1, "evaluation_size": 1, "curated_size": 3}
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(eval_dir), llm=LlamaServerResource(parallel=2)),
        run_config={"ops": {"prompt_evaluations": {"config": config}}}, partition_key=key("model_zoo"),
        instance=evaluation_instance(),
    )
    assert result.success
    df = pd.read_parquet(output(eval_dir, "model_zoo"))
    assert (df["source"] == "edge_case").sum() == 6 and (df["source"] == "scenario").sum() == 1
    curated = df[df["source"] == "curated"]
    assert len(curated) == 3 and set(curated["scenario_type"]) == {"normal", "suspicious", "threat"}  # stratified
    assert curated["prompt"].str.contains("not available").all() and not curated["prompt"].str.contains("t=").any()
    assert curated["ceiling_score"].notna().all() and curated["chance_score"].notna().all()


def test_leaderboard_refuses_partitions_from_another_evaluation_set_and_names_them(eval_dir):
    # model_zoo was evaluated on another set (with edge cases) than basic and enriched
    result = _materialize(eval_dir, ["template_leaderboard"], LlamaServerResource(mode="off"))
    assert not result.success
    message = result.failure_data_for_node("template_leaderboard").error.message
    assert "not comparable" in message and "model smollm2-135m: evaluation_set differs" in message and "model_zoo:" in message
    output(eval_dir, "model_zoo").unlink()


def test_leaderboard_ranks_the_evaluated_templates(eval_dir):
    result = _materialize(eval_dir, ["template_leaderboard"], LlamaServerResource(mode="off"))
    assert result.success
    board = __import__("json").loads((eval_dir / "template_leaderboard.json").read_text())
    assert board["models"] == ["smollm2-135m"] and board["by_template"] == {}  # one model: nothing to compare across
    mine = board["by_model"]["smollm2-135m"]
    assert set(mine["ranking"]) >= {"basic", "enriched"}
    assert "vision" in board["missing_templates"]["smollm2-135m"]
    basic = mine["templates"]["basic"]
    assert basic["in_range_accuracy"]["ci_low"] <= basic["in_range_accuracy"]["mean"] <= basic["in_range_accuracy"]["ci_high"]
    assert {"scenario_type", "enrichment_level"} == set(basic["breakdowns"])
    assert mine["pairwise"] and mine["pairwise"][0]["n"] == 3
    html = (eval_dir / "template_leaderboard" / "report.html").read_text()
    assert "data:image/png;base64," in html and "<table>" in html
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {"template_regression", "template_constant_answers"}
    assert checks["template_regression"].passed and "promote_baseline" in checks["template_regression"].metadata["note"].text
    assert basic["in_range_accuracy"]["chance"] is not None and basic["in_range_accuracy"]["ceiling"] is not None
    assert "smoke size" in board["size"]

    outputs = [eval_dir / "template_leaderboard.json", eval_dir / "template_leaderboard" / "report.html",
               eval_dir / "template_leaderboard" / "smollm2-135m" / "accuracy.png"]
    before = [p.read_bytes() for p in outputs]
    again = _materialize(eval_dir, ["template_leaderboard"], LlamaServerResource(mode="off"))
    assert [p.read_bytes() for p in outputs] == before  # same evaluations, same bytes
    assert all(c.check_name != "template_regression" or c.passed for c in again.get_asset_check_evaluations())


def test_all_partitions_in_one_run_with_the_range_tags(tmp_path):
    # single-run backfill: one run evaluates several templates and the IO manager stores each partition
    write_scenarios_and_edges(tmp_path, 20)
    tags = range_tags("full_enriched", "vision")
    result = _materialize(tmp_path, ["prompt_evaluations"], LlamaServerResource(parallel=2), tags=tags)
    assert result.success
    assert {p.stem for p in (tmp_path / "prompt_evaluations" / "smollm2-135m").glob("*.parquet")} == {"full_enriched", "vision"}
