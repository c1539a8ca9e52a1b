"""Partition definitions shared by assets, jobs, schedules and sensors: templates x models."""

from collections.abc import Sequence

import dagster as dg

from secassets.core.vocabulary import TEMPLATE_NAMES

TEMPLATE_PARTITIONS = dg.StaticPartitionsDefinition(list(TEMPLATE_NAMES))
# Models are added at run time (the model_partitions sensor registers the deployment's table; a person can add a
# key in the UI naming an endpoint or a GGUF in <data>/models/): secassets.llm.models.resolve_model reads a key.
MODELS_PARTITION_NAME = "models"
MODEL_PARTITIONS = dg.DynamicPartitionsDefinition(name=MODELS_PARTITION_NAME)
# Keys are "model|template" (dimensions in name order), e.g. "smollm2-135m|basic".
EVALUATION_PARTITIONS = dg.MultiPartitionsDefinition({"model": MODEL_PARTITIONS, "template": TEMPLATE_PARTITIONS})
MODEL_DIMENSION, TEMPLATE_DIMENSION = "model", "template"


def evaluation_key(model: str, template: str) -> str:
    return f"{model}|{template}"


def all_partitions_tags(models: Sequence[str]) -> dict[str, str]:
    """Run tags that make one run cover every template of these models (single-run backfill policy); the models in
    the order the instance lists them, so the range from the first key to the last holds exactly their keys."""
    return {
        "dagster/asset_partition_range_start": evaluation_key(models[0], TEMPLATE_NAMES[0]),
        "dagster/asset_partition_range_end": evaluation_key(models[-1], TEMPLATE_NAMES[-1]),
    }


def register_models(instance: dg.DagsterInstance, models: Sequence[str]) -> list[str]:
    """Add the model partitions the instance does not have yet; the ones added."""
    known = set(instance.get_dynamic_partitions(MODELS_PARTITION_NAME))
    new = [m for m in models if m not in known]
    if new:
        instance.add_dynamic_partitions(MODELS_PARTITION_NAME, new)
    return new
