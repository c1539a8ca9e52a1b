"""Partition definitions shared by assets, jobs, schedules and sensors: templates x models."""

from collections.abc import Sequence

import dagster as dg

from secassets.core.names import NameKind, check_name, is_valid_name
from secassets.core.vocabulary import TEMPLATES_PARTITION_NAME

# Templates are files (prompts/<name>.yaml): the prompt_files sensor (or register_partitions before a CLI run)
# registers each valid file as a partition, so a new file appears without a code change or a reload.
TEMPLATE_PARTITIONS = dg.DynamicPartitionsDefinition(name=TEMPLATES_PARTITION_NAME)
# Models are added at run time (the model_partitions sensor registers the deployment's table; a person can add a
# key in the UI naming an endpoint or a GGUF in <data>/models/): secassets.llm.models.resolve_model reads a key.
MODELS_PARTITION_NAME = "models"
MODEL_PARTITIONS = dg.DynamicPartitionsDefinition(name=MODELS_PARTITION_NAME)
# Keys are "model|template" (dimensions in name order), e.g. "smollm2-135m|basic".
EVALUATION_PARTITIONS = dg.MultiPartitionsDefinition({"model": MODEL_PARTITIONS, "template": TEMPLATE_PARTITIONS})
MODEL_DIMENSION, TEMPLATE_DIMENSION = "model", "template"


def evaluation_key(model: str, template: str) -> str:
    return f"{model}|{template}"


def all_partitions_tags(models: Sequence[str], templates: Sequence[str]) -> dict[str, str]:
    """Run tags that make one run cover every template of these models (single-run backfill policy); models and
    templates in the order the instance lists them, so the range from the first key to the last holds exactly
    their keys."""
    return {
        "dagster/asset_partition_range_start": evaluation_key(models[0], templates[0]),
        "dagster/asset_partition_range_end": evaluation_key(models[-1], templates[-1]),
    }


def instance_partitions_tags(instance: dg.DagsterInstance) -> dict[str, str] | None:
    """all_partitions_tags for every registered model and template; None while either has none."""
    models = instance.get_dynamic_partitions(MODELS_PARTITION_NAME)
    templates = instance.get_dynamic_partitions(TEMPLATES_PARTITION_NAME)
    return all_partitions_tags(models, templates) if models and templates else None


PARTITION_NAME_KINDS: dict[str, NameKind] = {TEMPLATES_PARTITION_NAME: "template", MODELS_PARTITION_NAME: "model"}


def checked_keys(name: str, keys: Sequence[str]) -> list[str]:
    """keys, each checked against the name pattern of dynamic partitions `name` (InvalidNameError on the first bad)."""
    kind = PARTITION_NAME_KINDS[name]
    return [check_name(kind, key, field=f"{name} partition key") for key in keys]


def refused_keys(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Registered dynamic partition keys that break their name pattern (left over, or added by hand in the UI)."""
    out = {}
    for name, kind in PARTITION_NAME_KINDS.items():
        bad = [k for k in instance.get_dynamic_partitions(name) if not is_valid_name(kind, k)]
        if bad:
            out[name] = bad
    return out


def register_partitions(instance: dg.DagsterInstance, name: str, keys: Sequence[str]) -> list[str]:
    """Add the keys of dynamic partitions `name` the instance does not have yet; the ones added. A key that is no
    valid name is refused (InvalidNameError) before any is added."""
    known = set(instance.get_dynamic_partitions(name))
    new = [k for k in checked_keys(name, keys) if k not in known]
    if new:
        instance.add_dynamic_partitions(name, new)
    return new


def register_models(instance: dg.DagsterInstance, models: Sequence[str]) -> list[str]:
    return register_partitions(instance, MODELS_PARTITION_NAME, models)
