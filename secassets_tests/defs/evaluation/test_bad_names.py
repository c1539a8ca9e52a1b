"""Names and files from outside in real Dagster runs (issue 23): each finding reproduced through its real entry point
(a dynamic partition key, run config, a damaged pin, a corrupt input) and refused with a clear message, not retried,
with every file under the data folder byte-identical before and after."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.evaluation.prompt_evaluations import PromptEvaluationParams
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.sensors.prompt_files import prompt_files
from secassets_tests.defs.evaluation.test_prompt_evaluations import write_scenarios_and_edges
from secassets_tests.evaluation_runs import evaluation_instance, key

pytestmark = pytest.mark.integration
SMALL = {"evaluation_size": 2, "edge_cases_per_family": 0, "curated_size": 0}
BAD_TEMPLATES = ["../../scenarios", "/tmp/secassets-outside/evil", "basic\n"]
BAD_MODELS = ["../models/x"]
MARKER = "MARKER-FROM-OUTSIDE-THE-PROMPTS-FOLDER"


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder (the caches and every output included)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    parts = []
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        parts += [data.error.message if data.error else "", data.user_failure_data.description
                  if data.user_failure_data else ""]
    return "\n".join(parts)


def retried(result: dg.ExecuteInProcessResult) -> bool:
    return any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("names")
    write_scenarios_and_edges(data, 20)
    outside = Path("/tmp/secassets-outside")
    outside.mkdir(exist_ok=True)
    (outside / "evil.yaml").write_text(f"name: evil\nsystem: {MARKER}\n")
    return data


def _instance(llama_server=None, monkeypatch=None) -> dg.DagsterInstance:
    instance = evaluation_instance("smol") if llama_server else evaluation_instance()
    instance.add_dynamic_partitions("templates", BAD_TEMPLATES)  # what a person with launchpad access can add
    instance.add_dynamic_partitions("models", BAD_MODELS)
    return instance


def _evaluate(data_dir, instance, partition, llm=None, config=None):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(data_dir), llm=llm or LlamaServerResource(mode="off")), instance=instance,
        run_config={"ops": {"prompt_evaluations": {"config": config or SMALL}}}, partition_key=partition,
        raise_on_error=False)


@pytest.mark.parametrize("partition", [key(t) for t in BAD_TEMPLATES] + [f"{BAD_MODELS[0]}|basic"])
def test_a_partition_key_that_is_a_path_is_refused_before_anything_is_read_or_written(data_dir, partition):
    before = tree_digest(data_dir)
    result = _evaluate(data_dir, _instance(), partition)
    text = failure_text(result)
    assert not result.success and "not valid: it must be" in text and "Fix:" in text, text
    assert "ValidationError" not in text and MARKER not in text
    assert not any(MARKER in (e.message or "") for e in result.all_events)  # nothing outside was read
    assert not retried(result)  # a bad name fails the same way every time
    assert tree_digest(data_dir) == before  # scenarios.parquet and every other output untouched


def test_a_corrupt_input_fails_once_naming_the_file(data_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    (copy / "scenarios.parquet").write_bytes(b"not a parquet file")
    before = tree_digest(copy)
    result = _evaluate(copy, _instance(), key("basic"))
    text = failure_text(result)
    assert not result.success and "scenarios.parquet is not a readable parquet file" in text, text
    assert not retried(result)
    assert tree_digest(copy) == before


def test_a_too_small_answer_budget_is_refused_with_the_range():
    with pytest.raises(dg.Failure, match=r"n_predict: Value error, must be 0 \(per template\) or 16-8192 \(got 5\)"):
        PromptEvaluationParams(n_predict=5)


def test_bad_file_names_are_not_registered_by_the_sensor_and_are_named(tmp_path, monkeypatch):
    from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR

    folder = tmp_path / "prompts"
    folder.mkdir()
    shutil.copy(SHIPPED_PROMPTS_DIR / "basic.yaml", folder)
    for bad in ("Basic2", "two words", "x.y"):
        (folder / f"{bad}.yaml").write_text((SHIPPED_PROMPTS_DIR / "basic.yaml").read_text())
    monkeypatch.setenv("SECASSETS_PROMPTS_DIR", str(folder))
    instance = dg.DagsterInstance.ephemeral()
    result = prompt_files(dg.build_sensor_context(instance=instance))
    [request] = result.dynamic_partitions_requests
    assert list(request.partition_keys) == ["basic"]
    [check] = [e for e in result.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
    problems = check.metadata["problems"].value
    assert not check.passed and all(f"{bad}.yaml" in problems for bad in ("Basic2", "two words", "x.y"))


def test_a_leftover_bad_key_is_skipped_and_reported_by_the_leaderboard_and_damaged_pins_fail_the_check(
        data_dir, tmp_path, llama_server, monkeypatch):
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({"smol": {"base_url": llama_server.base_url}}))
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    instance = _instance(llama_server)
    llm = LlamaServerResource(mode="attached", endpoints=["smol"])
    assert _evaluate(data, instance, key("basic", "smol"), llm=llm).success

    def board(config=None):
        return dg.materialize(
            [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("template_leaderboard"),
            resources=build_resources(str(data), llm=LlamaServerResource(mode="off")), instance=instance,
            run_config={"ops": {"template_leaderboard": {"config": config}}} if config else None, raise_on_error=False)

    result = board()
    assert result.success, failure_text(result)
    [materialization] = result.asset_materializations_for_node("template_leaderboard")
    refused = materialization.metadata["refused_partition_keys"].value
    assert all(repr(bad) in refused for bad in [*BAD_TEMPLATES, *BAD_MODELS])

    # A baseline name with a newline: refused as a sentence, in the leaderboard's and the promote job's config.
    result = board({"baseline": "default\n"})
    text = failure_text(result)
    assert not result.success and "baseline: not valid: it must be" in text and "Traceback" not in text
    job = defs.resolve_job_def("promote_baseline")
    resources = build_resources(str(data), llm=LlamaServerResource(mode="off"))
    promote = job.execute_in_process(run_config={"ops": {"pin_current_leaderboard": {"config": {"name": "default\n"}}}},
                                     resources=resources, raise_on_error=False)
    assert not promote.success and "baseline: not valid" in failure_text(promote)
    assert not (data / "baselines").exists()

    # A pin, then damage to each of its files: the leaderboard is still made, the regression check fails naming it.
    assert job.execute_in_process(run_config={"ops": {"pin_current_leaderboard": {"config": {"name": "default"}}}},
                                  resources=resources).success
    pinned = data / "baselines" / "default"
    for damaged in (pinned / "evaluations" / "smol" / "basic.parquet", pinned / "pinned.json"):
        good = damaged.read_bytes()
        damaged.write_bytes(b"\x00garbage{")
        result = board()
        assert result.success, failure_text(result)
        [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "template_regression"]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
        assert str(damaged) in check.metadata["problem"].value and "pin the baseline again" in check.metadata["problem"].value
        damaged.write_bytes(good)
    (data / "template_leaderboard.json").write_text("{not json")
    before = tree_digest(pinned)
    promote = job.execute_in_process(run_config={"ops": {"pin_current_leaderboard": {"config": {"name": "default"}}}},
                                     resources=resources, raise_on_error=False)
    assert not promote.success and "template_leaderboard.json is not readable JSON" in failure_text(promote)
    assert tree_digest(pinned) == before  # the old pin is kept whole
