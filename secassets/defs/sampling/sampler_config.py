"""sampler_config: the NeMo Data Designer config of the seven weighted sampler columns.

Inputs: Dagster run config (row count, seed, weight overrides), validated before anything is
written. Output: data/sampler_config/data_designer_config.yaml (loads back with
DataDesignerConfigBuilder.from_config) and data/sampler_config.json (the SamplerPlan), written as a
pair: the YAML replaces the old one only after it loaded back, and the plan records its SHA-256,
which every load of the plan checks.
"""


import dagster as dg
from pydantic import Field, ValidationError

from secassets.core.vocabulary import DEFAULT_WEIGHTS, SAMPLER_COLUMNS
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig, describe_errors
from secassets.sampling.data_designer import SamplerConfigError, load_sampler_builder, sampler_config_builder
from secassets.sampling.spec import SamplerPlan, SamplerSpec
from secassets.storage.files import atomic_path, sha256_file
from secassets.storage.markdown import markdown_table


class SamplerConfigParams(CheckedConfig):
    """Run config for sampler_config; omitted weights keep the defaults of secassets.core.vocabulary."""

    num_scenarios: int = Field(default=500, ge=1, le=100_000, description="Rows the scenarios asset generates (1-100000).")
    seed: int = Field(default=42, ge=0, le=2**32 - 1, description="Seed of every random choice in scenario generation (0-4294967295).")
    weight_overrides: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Per sampler column, a finite weight >= 0 for every category, replacing that column's defaults.",
    )


def _changed(weights: dict[str, float], defaults: dict[str, float]) -> bool:
    """Float noise from normalizing (0.3 vs 0.30000000000000004) is not a change."""
    total = sum(defaults.values())
    return any(abs(weights[k] - v / total) > 1e-9 for k, v in defaults.items())


@dg.asset(
    description="NeMo Data Designer config of the 7 weighted sampler columns (time_of_day, day_type, "
    "camera_location, detection_count, primary_object, scenario_type, enrichment_level), written as "
    "Data Designer YAML.",
    kinds={"yaml"},
)
def sampler_config(context: dg.AssetExecutionContext, config: SamplerConfigParams, local_files: LocalFiles) -> SamplerPlan:
    try:
        spec = SamplerSpec.with_overrides(config.num_scenarios, config.seed, config.weight_overrides)
    except ValidationError as exc:
        raise dg.Failure(
            description=f"Invalid sampler_config run config: {describe_errors(exc)}. Nothing was written; "
            "the previous YAML and plan are unchanged.",
            metadata={"known_columns": list(SAMPLER_COLUMNS)},
        ) from None
    path = local_files.path("sampler_config", "data_designer_config.yaml")
    try:
        with atomic_path(path) as tmp:  # replaces the old YAML only if this one loads back
            sampler_config_builder(spec).write_config(tmp)
            load_sampler_builder(tmp)
            digest = sha256_file(tmp)
    except SamplerConfigError as exc:
        raise dg.Failure(description=f"The Data Designer config did not load back ({exc}); nothing was replaced.") from None
    rows = [
        {"column": c, "weights": ", ".join(f"{k}={v:.3f}" for k, v in spec.weights[c].items()),
         "changed": "yes" if _changed(spec.weights[c], DEFAULT_WEIGHTS[c]) else ""}
        for c in SAMPLER_COLUMNS
    ]
    context.add_output_metadata(
        {
            "num_scenarios": spec.num_scenarios,
            "seed": spec.seed,
            "data_designer_yaml": dg.MetadataValue.path(str(path)),
            "yaml_sha256": digest,
            "weights": dg.MetadataValue.md(markdown_table(rows, ["column", "weights", "changed"])),
        }
    )
    return SamplerPlan(spec=spec, data_designer_yaml=str(path), yaml_sha256=digest)
