import json
import shutil
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import pytest

from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR, TEMPLATE_NAMES
from secassets.definitions import build_resources, defs
from secassets.defs.evaluation.partitions import EVALUATION_PARTITIONS, register_models
from secassets.defs.evaluation.prompt_templates import sync_templates
from secassets.defs.jobs import model_partitions_sensor, nightly_prompt_evaluation_schedule
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.risk.version import RUBRIC_VERSION
from secassets_tests.conftest import materialize_scenarios
from secassets_tests.evaluation_runs import evaluation_instance, key, output


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_nightly_schedule_requests_every_model_x_template_partition_once_a_night(instance):
    register_models(instance, ["smollm2-135m", "nemotron-nano"])
    sync_templates(instance)  # the shipped template files
    context = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    request = nightly_prompt_evaluation_schedule(context)
    assert request.run_key == "nightly-2026-11-22"
    assert request.tags["dagster/asset_partition_range_start"] == f"smollm2-135m|{TEMPLATE_NAMES[0]}"
    assert request.tags["dagster/asset_partition_range_end"] == f"nemotron-nano|{TEMPLATE_NAMES[-1]}"
    keys = EVALUATION_PARTITIONS.get_partition_keys_in_range(
        dg.PartitionKeyRange(request.tags["dagster/asset_partition_range_start"],
                             request.tags["dagster/asset_partition_range_end"]), dynamic_partitions_store=instance)
    assert len(keys) == 2 * len(TEMPLATE_NAMES)  # the range holds exactly every model x template


def test_nightly_schedule_skips_without_a_model_and_the_sensor_registers_the_deployments(instance):
    context = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    assert isinstance(nightly_prompt_evaluation_schedule(context), dg.SkipReason)
    register_models(instance, ["smollm2-135m"])
    assert isinstance(nightly_prompt_evaluation_schedule(context), dg.SkipReason)  # no template registered yet
    instance.delete_dynamic_partition("models", "smollm2-135m")
    sensor = model_partitions_sensor(["smollm2-135m", "nemotron-nano"])
    result = sensor(dg.build_sensor_context(instance=instance))
    [request] = result.dynamic_partitions_requests
    assert request.partitions_def_name == "models" and list(request.partition_keys) == ["smollm2-135m", "nemotron-nano"]
    register_models(instance, ["smollm2-135m", "nemotron-nano"])
    assert isinstance(sensor(dg.build_sensor_context(instance=instance)), dg.SkipReason)
    assert nightly_prompt_evaluation_schedule.cron_schedule == "0 2 * * *"
    assert nightly_prompt_evaluation_schedule.job_name == "nightly_prompt_evaluation"


def test_nightly_job_selects_the_evaluations_and_the_leaderboard():
    job = defs.get_job_def("nightly_prompt_evaluation")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert keys == {"curated_cases", "enrichment_edge_cases", "prompt_evaluations", "template_leaderboard",
                    "prompt_experiments"}  # every input of the evaluations but the scenarios


def test_every_asset_and_check_has_a_description():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
    for checks in defs.asset_checks:
        for spec in checks.check_specs:
            assert spec.description, spec.name


@pytest.mark.integration
def test_the_nightly_job_on_a_fresh_deployment_reads_the_labeled_cases_and_builds_the_edge_cases(tmp_path, llama_server,
                                                                                                 monkeypatch):
    data_dir = tmp_path / "data"
    assert materialize_scenarios(data_dir, num_scenarios=20).success  # what scenarios_job leaves: nothing else
    assert not (data_dir / "curated_cases.parquet").exists() and not (data_dir / "enrichment_edge_cases.parquet").exists()
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    shutil.copy(SHIPPED_PROMPTS_DIR / "basic.yaml", prompts)
    monkeypatch.setenv("SECASSETS_PROMPTS_DIR", str(prompts))
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({"smol": {"base_url": llama_server.base_url}}))
    instance = evaluation_instance("smol")  # a fresh instance: no materialization of curated_cases or the edge cases
    assert instance.get_dynamic_partitions("templates") == ["basic"]
    run_config = {"ops": {
        "prompt_evaluations": {"config": {"evaluation_size": 2, "edge_cases_per_family": 0, "curated_size": 2}},
        "enrichment_edge_cases": {"config": {"multi_threat": 1, "rare_pose": 1, "boundary_confidence": 1,
                                             "ocr_failure": 1, "vram_stress": 1, "circuit_breaker": 1}},
    }}
    result = defs.resolve_job_def("nightly_prompt_evaluation").execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False,
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="attached", endpoints=["smol"])),
        tags={"dagster/asset_partition_range_start": key("basic", "smol"),
              "dagster/asset_partition_range_end": key("basic", "smol")})
    assert result.success, [str(e.step_failure_data.error) for e in result.get_step_failure_events()]
    written = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"curated_cases", "enrichment_edge_cases", "prompt_evaluations", "template_leaderboard"} <= written
    curated = pd.read_parquet(data_dir / "curated_cases.parquet")  # written by the nightly run itself
    assert len(curated) and curated["valid"].any()
    assert len(pd.read_parquet(data_dir / "enrichment_edge_cases.parquet")) == 6
    rows = pd.read_parquet(output(data_dir, "basic", "smol"))
    assert rows["source"].value_counts().to_dict() == {"scenario": 2, "curated": 2}
    assert set(rows["rubric_version"]) == {RUBRIC_VERSION}
    board = json.loads((data_dir / "template_leaderboard.json").read_text())
    assert board["rubric_version"] == RUBRIC_VERSION and board["evaluated"] == ["smol|basic"]
