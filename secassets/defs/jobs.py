"""Jobs, the nightly schedule and the sensor that registers the model partitions (template partitions: see
secassets.defs.sensors.prompt_files)."""

import os
from typing import Any

import dagster as dg

from secassets.core.vocabulary import SCENARIOS_GROUP
from secassets.defs.evaluation.partitions import (
    MODEL_PARTITIONS,
    MODELS_PARTITION_NAME,
    checked_keys,
    instance_partitions_tags,
)

# About 100 scenarios a template: a 95% interval of about +/-10 points on in-range accuracy.
NIGHTLY_EVALUATION_SIZE = 96
NIGHTLY = "nightly_prompt_evaluation"

scenarios_job = dg.define_asset_job(
    "scenarios_job",
    selection=dg.AssetSelection.groups(SCENARIOS_GROUP),
    description="Regenerate the sampler config, scenarios and embeddings, with their checks.",
)
# What prompt_evaluations reads besides the scenarios: cheap to rebuild (the edge cases are seeded from the
# scenarios, the curated cases are read from their folder), so a fresh deployment's first night has them and labeled
# cases added during the day are evaluated that night. The scenarios themselves (LLM text) come from scenarios_job.
NIGHTLY_INPUTS = ("curated_cases", "enrichment_edge_cases")
nightly_prompt_evaluation_job = dg.define_asset_job(
    NIGHTLY,
    selection=dg.AssetSelection.assets(*NIGHTLY_INPUTS, "prompt_evaluations", "template_leaderboard", "prompt_experiments"),
    description="Re-read the labeled cases (curated_cases) and rebuild the edge cases from the stored scenarios, then "
    f"every model x template partition of prompt_evaluations in one run ({NIGHTLY_EVALUATION_SIZE} scenarios, "
    "stratified, plus one edge case per family and the curated cases), then the leaderboard, the A/B experiments and "
    "their checks. The scenarios are not regenerated (scenarios_job).",
    config={"ops": {"prompt_evaluations": {"config": {"evaluation_size": NIGHTLY_EVALUATION_SIZE}}}},
)


def full_pipeline_job(model: str) -> dg.JobDefinition | Any:
    """Every asset; prompt_evaluations for every registered model x template partition. Its range tags come from the
    instance at launch (`make pipeline` passes those register_partitions prints)."""
    return dg.define_asset_job(
        "full_pipeline",
        selection=dg.AssetSelection.all(),
        description=f"Materialize every asset, evaluating every registered template with the registered models (the "
        f"deployment's: {model}). Launch it with the partition range of every model x template (`make pipeline`).",
    )


@dg.schedule(
    job=nightly_prompt_evaluation_job,
    cron_schedule="0 2 * * *",
    execution_timezone=os.environ.get("SECASSETS_TIMEZONE", "UTC"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 every night (timezone: SECASSETS_TIMEZONE, default UTC): re-evaluate every template with "
    "every registered model.",
)
def nightly_prompt_evaluation_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    tags = instance_partitions_tags(context.instance)
    if tags is None:
        return dg.SkipReason("no model or template partition is registered yet (the model_partitions and prompt_files "
                             "sensors add them)")
    night = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"nightly-{night}", tags={**tags, "secassets/night": night})


def model_partitions_sensor(models: list[str]) -> dg.SensorDefinition:
    """Keeps the deployment's models (the llm resource's and SECASSETS_MODELS) registered as model partitions."""

    @dg.sensor(
        name="model_partitions", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Registers the deployment's models as prompt_evaluations model partitions ({', '.join(models)}); "
        "a person can add more keys in the UI (an endpoint name or a GGUF in <data>/models/).",
    )
    def model_partitions(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        known = set(context.instance.get_dynamic_partitions(MODELS_PARTITION_NAME))
        new = checked_keys(MODELS_PARTITION_NAME, [m for m in models if m not in known])
        if not new:
            return dg.SkipReason(f"every configured model is registered ({', '.join(models)})")
        return dg.SensorResult(dynamic_partitions_requests=[MODEL_PARTITIONS.build_add_request(new)])

    return model_partitions


