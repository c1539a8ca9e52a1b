"""What a real prompt_evaluations run needs in a test: an instance with the model and template partitions, and
partition keys."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.defs.evaluation.partitions import all_partitions_tags as _all_partitions_tags
from secassets.defs.evaluation.partitions import evaluation_key, register_models
from secassets.defs.evaluation.prompt_templates import sync_templates
from secassets.llm.models import BUNDLED_MODEL


def evaluation_instance(*models: str) -> dg.DagsterInstance:
    """An ephemeral instance on which the model partitions (default: the bundled model) and the template files'
    partitions (prompts_dir(): SECASSETS_PROMPTS_DIR or the shipped ones) exist, their versions recorded."""
    instance = dg.DagsterInstance.ephemeral()
    register_models(instance, list(models) or [BUNDLED_MODEL])
    sync_templates(instance)
    return instance


def all_partitions_tags(models: Sequence[str], templates: Sequence[str] = TEMPLATE_NAMES) -> dict[str, str]:
    return _all_partitions_tags(models, templates)


def key(template: str, model: str = BUNDLED_MODEL) -> str:
    return evaluation_key(model, template)


def output(data_dir: Path, template: str, model: str = BUNDLED_MODEL) -> Path:
    """Where prompt_evaluations stores one model x template partition."""
    return Path(data_dir) / "prompt_evaluations" / model / f"{template}.parquet"


def range_tags(first: str, last: str, model: str = BUNDLED_MODEL) -> dict[str, str]:
    """Run tags covering templates first..last of one model in one run."""
    return {"dagster/asset_partition_range_start": key(first, model), "dagster/asset_partition_range_end": key(last, model)}


__all__ = ["all_partitions_tags", "evaluation_instance", "key", "model_of", "output", "range_tags"]


def model_of(llm) -> str:
    """The model partition a deployment's llm resource evaluates as (its own model's name)."""
    spec = llm.model_spec()
    return spec.name if spec is not None else BUNDLED_MODEL
