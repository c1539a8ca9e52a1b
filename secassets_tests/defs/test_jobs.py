from datetime import UTC, datetime

import dagster as dg

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.definitions import defs
from secassets.defs.jobs import nightly_prompt_evaluation_schedule


def test_nightly_schedule_requests_every_template_partition_once_a_night():
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    request = nightly_prompt_evaluation_schedule(context)
    assert request.run_key == "nightly-2026-11-22"
    assert request.tags["dagster/asset_partition_range_start"] == TEMPLATE_NAMES[0]
    assert request.tags["dagster/asset_partition_range_end"] == TEMPLATE_NAMES[-1]
    assert nightly_prompt_evaluation_schedule.cron_schedule == "0 2 * * *"
    assert nightly_prompt_evaluation_schedule.job_name == "nightly_prompt_evaluation"


def test_nightly_job_selects_the_evaluations_and_the_leaderboard():
    job = defs.get_job_def("nightly_prompt_evaluation")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert keys == {"prompt_evaluations", "template_leaderboard"}


def test_every_asset_and_check_has_a_description():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
    for checks in defs.asset_checks:
        for spec in checks.check_specs:
            assert spec.description, spec.name
