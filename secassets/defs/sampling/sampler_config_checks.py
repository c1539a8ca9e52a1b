"""Asset check on sampler_config: the YAML on disk is the plan's own and draws exactly the validated weights."""


from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import ValidationError

from secassets.defs.run_config import describe_errors
from secassets.sampling.data_designer import (
    SamplerConfigError,
    implied_marginals,
    load_sampler_builder,
    marginal_errors,
)
from secassets.sampling.spec import SamplerPlan
from secassets.storage.markdown import markdown_table


def _failed(problem: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"problem": problem})


@dg.asset_check(
    asset="sampler_config",
    description="The stored plan is valid, the Data Designer YAML is the one written with it (SHA-256) and loads "
    "back, no sampler is conditioned on another (a condition on scenario_type would let a field stand in for the "
    "label), and the distribution of each of the 7 sampler columns equals the validated weights.",
    blocking=True,
)
def sampler_config_marginals(sampler_config: Any) -> dg.AssetCheckResult:
    # Any, not SamplerPlan: the IO manager then hands over the stored JSON as is, so a damaged plan is a
    # failed check with its reason instead of a load error.
    try:
        plan = sampler_config if isinstance(sampler_config, SamplerPlan) else SamplerPlan.model_validate(sampler_config)
    except ValidationError as exc:
        return _failed(f"the stored sampler_config plan is invalid ({describe_errors(exc)}); re-materialize sampler_config")
    try:
        builder = load_sampler_builder(Path(plan.data_designer_yaml))
        errors = marginal_errors(plan.spec, builder)
        marginals = implied_marginals(builder)
    except SamplerConfigError as exc:
        return _failed(str(exc))
    pair = plan.pair_problem()
    if pair is not None:
        errors = [f"{pair}; re-materialize sampler_config", *errors]
    rows = [
        {"column": column, "value": value, "configured": f"{want:.4f}", "drawn": f"{marginals.get(column, {}).get(value, 0.0):.4f}"}
        for column, weights in plan.spec.weights.items()
        for value, want in weights.items()
    ]
    metadata: dict[str, object] = {"marginals": dg.MetadataValue.md(markdown_table(rows, ["column", "value", "configured", "drawn"]))}
    if errors:
        metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {e}" for e in errors))
    return dg.AssetCheckResult(passed=not errors, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)
