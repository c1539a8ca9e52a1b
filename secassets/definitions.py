"""The one Definitions object of the secassets code location."""

from __future__ import annotations

import dagster as dg

from secassets.core.vocabulary import (
    COVERAGE_GROUP,
    EVALUATION_GROUP,
    MULTIMODAL_GROUP,
    SCENARIOS_GROUP,
    default_data_dir,
)
from secassets.defs import coverage, curated, edge_cases, embeddings, evaluation, multimodal, sampling, scenarios
from secassets.defs.evaluation.promote_baseline import promote_baseline
from secassets.defs.jobs import (
    full_pipeline_job,
    model_partitions_sensor,
    nightly_prompt_evaluation_job,
    nightly_prompt_evaluation_schedule,
    scenarios_job,
)
from secassets.defs.resources.deployment import deployment_models, llm_resource_from_env
from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFiles, LocalFilesIOManager
from secassets.defs.resources.vision_model import VisionModel
from secassets.defs.sensors.alert_sensor import alert_on_failures
from secassets.defs.sensors.prompt_files import prompt_files
from secassets.llm.models import BUNDLED_MODEL


def build_resources(data_dir: str | None = None, llm: LlamaServerResource | None = None) -> dict[str, object]:
    """Resources for a data folder (data/ unless given); tests pass a temp folder and their own LLM.

    The folder and the LLM are fixed here, not run config: local_files, io_manager and llm have an
    empty config schema, so a launchpad config naming a base_dir, a binary, a model file, a URL or a
    key variable is rejected before the run starts.
    """
    base = data_dir or str(default_data_dir())
    return {
        "io_manager": LocalFilesIOManager.fixed_at(base),
        "local_files": LocalFiles.fixed_at(base),
        "llm": (llm if llm is not None else llm_resource_from_env()).for_deployment(),
        "embedding_model": EmbeddingModel(),
        "vision_model": VisionModel(),
    }


# The Dagster layer has one folder per pipeline stage (secassets/defs/<stage>/: assets with their
# checks); the UI groups them as before: the scenario data, its coverage, the evaluation, multimodal.
STAGE_GROUPS = {
    SCENARIOS_GROUP: (sampling, scenarios, embeddings),
    COVERAGE_GROUP: (coverage, edge_cases),
    EVALUATION_GROUP: (curated, evaluation),
    MULTIMODAL_GROUP: (multimodal,),
}


def _stage_assets() -> list[dg.AssetsDefinition]:
    loaded = []
    for group, packages in STAGE_GROUPS.items():
        for package in packages:
            loaded += [a for a in dg.load_assets_from_package_module(package, group_name=group)
                       if not isinstance(a, dg.AssetChecksDefinition)]
    return loaded


def _stage_checks() -> list[dg.AssetChecksDefinition]:
    return [c for packages in STAGE_GROUPS.values() for p in packages for c in dg.load_asset_checks_from_package_module(p)]


_LLM = llm_resource_from_env()
_MODELS = deployment_models(_LLM) or [BUNDLED_MODEL]

defs = dg.Definitions(
    assets=_stage_assets(),
    asset_checks=_stage_checks(),
    jobs=[full_pipeline_job(_MODELS[0]), scenarios_job, nightly_prompt_evaluation_job, promote_baseline],
    schedules=[nightly_prompt_evaluation_schedule],
    sensors=[alert_on_failures, model_partitions_sensor(_MODELS), prompt_files],
    resources=build_resources(llm=_LLM),
    # One process per run: the run's resources (the llama.cpp server among them) are set up once,
    # shared by every step, and torn down when the run ends.
    executor=dg.in_process_executor,
)
