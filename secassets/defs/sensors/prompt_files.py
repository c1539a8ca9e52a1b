"""prompt_files: keeps the template partitions and versions in step with the files under prompts/."""

import hashlib

import dagster as dg

from secassets.core.vocabulary import TEMPLATES_PARTITION_NAME
from secassets.defs.evaluation.partitions import TEMPLATE_PARTITIONS, checked_keys
from secassets.defs.evaluation.prompt_templates import files_check_evaluation, plan_sync


@dg.sensor(
    name="prompt_files", minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 s: registers each new valid file under prompts/ as a prompt_evaluations template partition, "
    "records each template's content version on prompt_templates (so an edit marks its partitions stale), and reports "
    "the prompt_template_files check when the lint result changes. No run is launched.",
)
def prompt_files(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    sync = plan_sync(context.instance)
    events: list[dg.AssetObservation | dg.AssetCheckEvaluation] = list(sync.observations)
    lint = "\n".join(str(p) for p in sync.catalog.problems)
    digest = hashlib.sha256(lint.encode()).hexdigest()[:16]
    if digest != context.cursor:
        for problem in sync.catalog.problems:
            context.log.warning(str(problem))
        events.append(files_check_evaluation(sync.catalog))
    if not (sync.new_partitions or events):
        return dg.SkipReason(f"nothing changed: {sync.summary()}")
    context.log.info(sync.summary())
    new = checked_keys(TEMPLATES_PARTITION_NAME, sync.new_partitions)  # load_catalog refused bad file names already
    requests = [TEMPLATE_PARTITIONS.build_add_request(new)] if new else []
    return dg.SensorResult(dynamic_partitions_requests=requests, asset_events=events, cursor=digest)
