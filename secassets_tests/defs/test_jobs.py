from datetime import UTC, datetime

import dagster as dg
import pytest

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.definitions import defs
from secassets.defs.evaluation.partitions import EVALUATION_PARTITIONS, register_models
from secassets.defs.evaluation.prompt_templates import sync_templates
from secassets.defs.jobs import model_partitions_sensor, nightly_prompt_evaluation_schedule


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
    assert keys == {"prompt_evaluations", "template_leaderboard", "prompt_experiments"}


def test_every_asset_and_check_has_a_description():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
    for checks in defs.asset_checks:
        for spec in checks.check_specs:
            assert spec.description, spec.name
