"""Asset check on sampler_config: the YAML on disk draws exactly the validated weights."""


from pathlib import Path

import dagster as dg

from secassets.generation import ScenarioGenerationError, implied_marginals, load_sampler_builder, marginal_errors
from secassets.rendering import markdown_table
from secassets.sampling import SamplerPlan


@dg.asset_check(
    asset="sampler_config",
    description="The Data Designer YAML loads back, and the marginal distribution it implies for each of the "
    "7 sampler columns (primary_object's condition included) equals the validated weights; animals never "
    "appear as the primary object of suspicious or threat scenarios.",
    blocking=True,
)
def sampler_config_marginals(sampler_config: SamplerPlan) -> dg.AssetCheckResult:
    try:
        builder = load_sampler_builder(Path(sampler_config.data_designer_yaml))
        errors = marginal_errors(sampler_config.spec, builder)
        marginals = implied_marginals(builder)
    except ScenarioGenerationError as exc:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"problem": str(exc)})
    rows = [
        {"column": column, "value": value, "configured": f"{want:.4f}", "drawn": f"{marginals.get(column, {}).get(value, 0.0):.4f}"}
        for column, weights in sampler_config.spec.weights.items()
        for value, want in weights.items()
    ]
    metadata: dict[str, object] = {"marginals": dg.MetadataValue.md(markdown_table(rows, ["column", "value", "configured", "drawn"]))}
    if errors:
        metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {e}" for e in errors))
    return dg.AssetCheckResult(passed=not errors, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)
