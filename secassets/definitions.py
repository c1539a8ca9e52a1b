"""The one Definitions object of the secassets code location."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import ValidationError

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
    nightly_prompt_evaluation_job,
    nightly_prompt_evaluation_schedule,
    scenarios_job,
)
from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFiles, LocalFilesIOManager
from secassets.defs.resources.vision_model import VisionModel
from secassets.defs.sensors.alert_sensor import alert_on_failures
from secassets.llm.endpoints import ENDPOINTS_ENV, resolve_endpoint


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer (e.g. 99 = all layers on the GPU), got {raw!r}") from None


def llm_resource_from_env() -> LlamaServerResource:
    """The deployment's LLM: 'local' (default) manages llama.cpp with the bundled model; 'production'
    attaches to the endpoints named in SECASSETS_LLM_ENDPOINTS (comma-separated names from the
    SECASSETS_ENDPOINTS table, which pairs each URL with its key variable); 'off' disables LLM calls."""
    deployment = os.environ.get("SECASSETS_DEPLOYMENT", "local")
    old_names = ("SECASSETS_LLM_BASE_URLS", "SECASSETS_LLM_API_KEY_ENV")
    retired = [name for name in old_names if os.environ.get(name, "").strip()]
    if retired:
        raise ValueError(
            f"{' and '.join(retired)} are no longer read: a URL and the variable of its key are paired in "
            f"{ENDPOINTS_ENV} (JSON: {{\"name\": {{\"base_url\": ..., \"api_key_env\": ...}}}}) and the LLM names "
            "endpoints in SECASSETS_LLM_ENDPOINTS (comma-separated names); unset the old variables"
        )
    try:
        if deployment == "production":
            names = [n.strip() for n in os.environ.get("SECASSETS_LLM_ENDPOINTS", "").split(",") if n.strip()]
            if not names:
                raise ValueError(
                    "SECASSETS_DEPLOYMENT=production needs SECASSETS_LLM_ENDPOINTS: comma-separated names of "
                    f"endpoints configured in {ENDPOINTS_ENV} (or the built-in 'nvidia')"
                )
            for name in names:
                resolve_endpoint(name, "SECASSETS_LLM_ENDPOINTS")
            model = os.environ.get("SECASSETS_LLM_MODEL", "")
            return LlamaServerResource(mode="attached", endpoints=names, model=model)
        if deployment == "off":
            return LlamaServerResource(mode="off")
        if deployment != "local":
            raise ValueError(f"SECASSETS_DEPLOYMENT must be local, production or off, got {deployment!r}")
        return LlamaServerResource(
            mode="managed",
            model_path=os.environ.get("SECASSETS_LLM_MODEL_PATH", ""),
            binary=os.environ.get("SECASSETS_LLM_BINARY", ""),
            n_gpu_layers=_int_env("SECASSETS_LLM_N_GPU_LAYERS", 0),
        )
    except ValidationError as exc:
        variables = {"n_gpu_layers": "SECASSETS_LLM_N_GPU_LAYERS (0..999, 99 = all layers on the GPU)"}
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            problems.append(f"{variables.get(field, 'the llm resource')}: {error['msg']}")
        raise ValueError(f"invalid LLM settings in the environment: {'; '.join(problems)}") from None


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


defs = dg.Definitions(
    assets=_stage_assets(),
    asset_checks=_stage_checks(),
    jobs=[full_pipeline_job, scenarios_job, nightly_prompt_evaluation_job, promote_baseline],
    schedules=[nightly_prompt_evaluation_schedule],
    sensors=[alert_on_failures],
    resources=build_resources(),
    # One process per run: the run's resources (the llama.cpp server among them) are set up once,
    # shared by every step, and torn down when the run ends.
    executor=dg.in_process_executor,
)
