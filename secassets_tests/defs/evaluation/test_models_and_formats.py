"""Any model, any endpoint, in real runs: three prompt formats, a model swapped behind a URL, templates x models."""

from __future__ import annotations

import json

import dagster as dg
import pandas as pd
import pytest

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.llm.models import BUNDLED_MODEL
from secassets_tests.defs.evaluation.test_prompt_evaluations import write_scenarios_and_edges
from secassets_tests.evaluation_runs import all_partitions_tags, evaluation_instance, key, output

pytestmark = pytest.mark.integration

SMALL = {"evaluation_size": 2, "edge_cases_per_family": 0, "curated_size": 0}


def _run(data_dir, selection, llm, instance, config=None, **kwargs):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets(*selection),
        resources=build_resources(str(data_dir), llm=llm), instance=instance, raise_on_error=False,
        run_config={"ops": {"prompt_evaluations": {"config": {**SMALL, **(config or {})}}}}
        if "prompt_evaluations" in selection else None, **kwargs,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("models")
    write_scenarios_and_edges(data_dir, 20)
    return data_dir


def _endpoints(monkeypatch, **urls):
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({n: {"base_url": u} for n, u in urls.items()}))


def test_the_same_evaluation_through_the_models_template_the_chat_route_and_raw_chatml(inputs, llama_server, monkeypatch):
    _endpoints(monkeypatch, smol=llama_server.base_url)
    llm, instance = LlamaServerResource(mode="attached", endpoints=["smol"]), evaluation_instance("smol")
    seen = {}
    for prompt_format in ("model", "chat", "chatml"):
        result = _run(inputs, ["prompt_evaluations"], llm, instance, {"prompt_format": prompt_format},
                      partition_key=key("basic", "smol"))
        assert result.success, prompt_format
        df = pd.read_parquet(output(inputs, "basic", "smol"))
        settings = json.loads(df["settings"].iloc[0])
        assert settings["prompt_format"] == prompt_format
        assert df["parse_ok"].all(), (prompt_format, df["error"].tolist())  # the rows parse in every format
        seen[prompt_format] = df
    assert len({df["settings"].iloc[0] for df in seen.values()}) == 3  # three different settings, never mixed
    assert seen["chatml"]["prompt"].iloc[0].startswith("<|im_start|>system")
    assert seen["model"]["prompt"].iloc[0].startswith("[system]")
    meta = result.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert "template=" in meta["model"].value  # the attached server's identity holds its chat template


def test_a_model_swapped_behind_an_attached_url_is_a_cache_miss_and_not_comparable(inputs, llama_server, gemma_model,
                                                                                   tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    __import__("shutil").copytree(inputs, data_dir)
    instance = evaluation_instance("prod")
    llm = LlamaServerResource(mode="attached", endpoints=["prod"])
    chatml = {"prompt_format": "chatml", "n_predict": 48}  # gemma has no chat template: prompted in ChatML knowingly
    _endpoints(monkeypatch, prod=llama_server.base_url)
    first = _run(data_dir, ["prompt_evaluations"], llm, instance, chatml, partition_key=key("basic", "prod"))
    assert first.success
    assert _run(data_dir, ["template_leaderboard"], LlamaServerResource(mode="off"), instance).success
    promote = defs.resolve_job_def("promote_baseline").execute_in_process(
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")), instance=instance)
    assert promote.success

    gemma = LlamaServerResource(model_path=str(gemma_model), parallel=2, ctx_size=4096)
    try:
        _endpoints(monkeypatch, prod=gemma.client().base_urls[0])  # same endpoint name, another model behind it
        swapped = _run(data_dir, ["prompt_evaluations"], llm, instance, chatml, partition_key=key("basic", "prod"))
    finally:
        gemma.shutdown()
    assert swapped.success
    meta = swapped.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["cache_hits"].value == 0 and meta["server_calls"].value == 2  # nothing answered by the old model
    assert "gemma" in meta["model"].value
    board = _run(data_dir, ["template_leaderboard"], LlamaServerResource(mode="off"), instance)
    check = next(c for c in board.get_asset_check_evaluations() if c.check_name == "template_regression")
    assert check.passed and check.metadata["not_comparable"].value == "prod|basic"
    assert "model_id:" in check.metadata["verdicts"].value


def test_two_models_by_five_templates_in_one_run_and_the_board_shows_both_axes(inputs, gemma_model, tmp_path,
                                                                               monkeypatch):
    data_dir = tmp_path / "data"
    __import__("shutil").copytree(inputs, data_dir)
    monkeypatch.setenv("SECASSETS_MODELS", json.dumps({"gemma": {"gguf": str(gemma_model), "prompt_format": "chatml"}}))
    models = [BUNDLED_MODEL, "gemma"]
    instance = evaluation_instance(*models)
    llm = LlamaServerResource(parallel=2, ctx_size=4096)
    result = _run(data_dir, ["prompt_evaluations", "template_leaderboard"], llm, instance, {"n_predict": 48},
                  tags=all_partitions_tags(models))
    assert result.success
    for model in models:
        for template in TEMPLATE_NAMES:
            assert len(pd.read_parquet(output(data_dir, template, model))) == 2, (model, template)
    board = json.loads((data_dir / "template_leaderboard.json").read_text())
    assert board["models"] == sorted(models)
    assert all(set(board["by_model"][m]["ranking"]) == set(TEMPLATE_NAMES) for m in models)  # templates within a model
    assert set(board["by_template"]) == set(TEMPLATE_NAMES)  # models within a template, paired on the same scenarios
    assert all(set(c["ranking"]) == set(models) and c["pairwise"][0]["n"] == 2 for c in board["by_template"].values())
    assert board["prompt_formats"][f"{BUNDLED_MODEL}|basic"] == ["model"] and board["prompt_formats"]["gemma|basic"] == ["chatml"]
    meta = result.asset_materializations_for_node("template_leaderboard")[-1].metadata
    assert "gemma" in meta["models_per_template"].value and f"leaderboard_{BUNDLED_MODEL}" in meta

    # the same model without its ChatML setting: refused before any request, naming the setting
    monkeypatch.setenv("SECASSETS_MODELS", json.dumps({"gemma": {"gguf": str(gemma_model)}}))
    refused = _run(data_dir, ["prompt_evaluations"], llm, instance, {"n_predict": 48, "evaluation_size": 3},
                   partition_key=key("basic", "gemma"))
    assert not refused.success
    message = refused.failure_data_for_node("prompt_evaluations").user_failure_data.description
    assert "has no chat template" in message and "prompt_format: chatml" in message
