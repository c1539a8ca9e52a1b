"""Asset checks on scenarios: schema, temporal validity, hash uniqueness, sampler distribution."""


import dagster as dg
import pandas as pd
import pyarrow as pa

from secassets.core.schema import SCENARIO_COLUMNS, SCENARIOS_ARROW_SCHEMA
from secassets.core.validation import schema_errors, temporal_errors
from secassets.core.vocabulary import SAMPLER_COLUMNS
from secassets.coverage.distribution import sampler_fit
from secassets.sampling.spec import SamplerPlan
from secassets.storage.markdown import markdown_table

MAX_LISTED = 20
CHI_SQUARE_ALPHA = 1e-3


def _failures_md(failures: list[dict[str, str]]) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(failures[:MAX_LISTED], ["row", "scenario_hash", "problem"]))


@dg.asset_check(
    asset="scenarios",
    description="Every row validates against the Pydantic models, its detection_schema_valid flag is true, and "
    "the columns and Arrow types are exactly the documented schema.",
    blocking=True,
)
def scenarios_schema(scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    column_problem = ""
    if list(scenarios.columns) != list(SCENARIO_COLUMNS):
        missing = [c for c in SCENARIO_COLUMNS if c not in scenarios.columns]
        extra = [c for c in scenarios.columns if c not in SCENARIO_COLUMNS]
        column_problem = f"columns differ: missing {missing}, unexpected {extra}, or out of order"
    else:
        try:
            pa.Table.from_pandas(scenarios, schema=SCENARIOS_ARROW_SCHEMA, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            column_problem = f"types differ from the schema: {exc}"
    failures = []
    if not column_problem:
        for i, row in enumerate(scenarios.to_dict("records")):
            errors = schema_errors(row)
            if not row["detection_schema_valid"]:
                errors = errors or ["detection_schema_valid flag is false"]
            if errors:
                failures.append({"row": str(i), "scenario_hash": str(row["scenario_hash"])[:12], "problem": "; ".join(errors)})
    metadata: dict[str, object] = {"rows": len(scenarios), "failing_rows": len(failures)}
    if column_problem:
        metadata["column_problem"] = column_problem
    if failures:
        metadata["failures"] = _failures_md(failures)
    return dg.AssetCheckResult(passed=not column_problem and not failures, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


@dg.asset_check(
    asset="scenarios",
    description="Every detection timestamp lies in 0-90 s and each batch spans at most 90 s "
    "(recomputed, and the temporal_consistency flag agrees).",
    blocking=True,
)
def scenarios_temporal_validity(scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    failures = []
    for i, (det, flag, h) in enumerate(zip(scenarios["detections"], scenarios["temporal_consistency"], scenarios["scenario_hash"], strict=True)):
        errors = temporal_errors(det) or ([] if flag else ["temporal_consistency flag is false"])
        if errors:
            failures.append({"row": str(i), "scenario_hash": str(h)[:12], "problem": "; ".join(errors)})
    metadata: dict[str, object] = {"rows": len(scenarios), "failing_rows": len(failures)}
    if failures:
        metadata["failures"] = _failures_md(failures)
    return dg.AssetCheckResult(passed=not failures, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


@dg.asset_check(asset="scenarios", description="scenario_hash is unique across rows.", blocking=True)
def scenarios_hash_unique(scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    dupes = scenarios["scenario_hash"][scenarios["scenario_hash"].duplicated(keep=False)]
    return dg.AssetCheckResult(
        passed=dupes.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"duplicate_rows": len(dupes), "duplicate_hashes": sorted(set(dupes))[:MAX_LISTED]},
    )


@dg.asset_check(
    asset="scenarios",
    additional_ins={"sampler_config": dg.AssetIn()},
    description=f"Observed sampler proportions match the configured weights (chi-square; WARN when p < {CHI_SQUARE_ALPHA}).",
)
def scenarios_sampler_distribution(scenarios: pd.DataFrame, sampler_config: SamplerPlan) -> dg.AssetCheckResult:
    fits = [sampler_fit(scenarios[c], sampler_config.spec.weights[c]) for c in SAMPLER_COLUMNS]
    rows = [
        {"column": f.column, "chi2": round(f.chi2, 3), "p_value": f.p_value,
         "unexpected": ", ".join(f"{k}={v}" for k, v in f.impossible.items())}
        for f in fits
    ]
    worst = min(fits, key=lambda f: f.p_value)
    return dg.AssetCheckResult(
        passed=all(f.p_value >= CHI_SQUARE_ALPHA for f in fits),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "fits": dg.MetadataValue.md(markdown_table(rows, ["column", "chi2", "p_value", "unexpected"])),
            "lowest_p_value": worst.p_value,
            "lowest_p_column": worst.column,
        },
    )
