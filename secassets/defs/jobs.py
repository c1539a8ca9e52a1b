"""Jobs and schedules: the whole graph, the scenario group, and the nightly prompt evaluation."""

import os

import dagster as dg

from secassets.core.vocabulary import SCENARIOS_GROUP
from secassets.defs.evaluation.partitions import ALL_TEMPLATES_TAGS

full_pipeline_job = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Materialize every asset (run it with the all-templates partition range tags; `make pipeline` does).",
    tags=ALL_TEMPLATES_TAGS,
)
scenarios_job = dg.define_asset_job(
    "scenarios_job",
    selection=dg.AssetSelection.groups(SCENARIOS_GROUP),
    description="Regenerate the sampler config, scenarios and embeddings, with their checks.",
)
# About 100 scenarios a template: a 95% interval of about +/-10 points on in-range accuracy.
NIGHTLY_EVALUATION_SIZE = 96
nightly_prompt_evaluation_job = dg.define_asset_job(
    "nightly_prompt_evaluation",
    selection=dg.AssetSelection.assets("prompt_evaluations", "template_leaderboard"),
    description=f"Every template partition of prompt_evaluations in one run ({NIGHTLY_EVALUATION_SIZE} scenarios, "
    "stratified, plus one edge case per family), then the leaderboard and its checks.",
    tags=ALL_TEMPLATES_TAGS,
    config={"ops": {"prompt_evaluations": {"config": {"evaluation_size": NIGHTLY_EVALUATION_SIZE}}}},
)


@dg.schedule(
    job=nightly_prompt_evaluation_job,
    cron_schedule="0 2 * * *",
    execution_timezone=os.environ.get("SECASSETS_TIMEZONE", "UTC"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 every night (timezone: SECASSETS_TIMEZONE, default UTC): re-evaluate every template.",
)
def nightly_prompt_evaluation_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    night = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"nightly-{night}", tags={**ALL_TEMPLATES_TAGS, "secassets/night": night})
