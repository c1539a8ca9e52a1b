"""Asset checks on enrichment_edge_cases: valid, unique rows in the scenarios schema; the configured count per family."""

import dagster as dg
import pandas as pd

from secassets.core.schema import SCENARIO_COLUMNS
from secassets.core.validation import schema_errors, temporal_errors
from secassets.defs.scenarios.ground_truth_checks import consistency_result
from secassets.edge_cases.families import FAMILIES


@dg.asset_check(
    asset="enrichment_edge_cases",
    description="Every edge case is a valid ScenarioBundle, temporally consistent and unique (also against scenarios) (ERROR).",
    additional_ins={"scenarios": dg.AssetIn()},
    blocking=True,
)
def edge_cases_valid_and_unique(enrichment_edge_cases: pd.DataFrame, scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    df = enrichment_edge_cases
    problems = []
    if list(df.columns[: len(SCENARIO_COLUMNS)]) != list(SCENARIO_COLUMNS):
        problems.append("columns differ from the scenarios schema")
    invalid = [r["scenario_hash"][:12] for r in df.to_dict("records") if schema_errors(r) or not r["detection_schema_valid"]]
    untimely = [h[:12] for h, d in zip(df["scenario_hash"], df["detections"], strict=True) if temporal_errors(d)]
    dupes = int(df["scenario_hash"].duplicated().sum())
    clashes = int(df["scenario_hash"].isin(set(scenarios["scenario_hash"])).sum())
    if invalid:
        problems.append(f"{len(invalid)} schema-invalid")
    if untimely:
        problems.append(f"{len(untimely)} temporally inconsistent")
    if dupes or clashes:
        problems.append(f"{dupes} duplicate hashes, {clashes} shared with scenarios")
    return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"problems": "; ".join(problems) or "none", "invalid": ", ".join(invalid[:10])})


@dg.asset_check(asset="enrichment_edge_cases", description="Each family has exactly the row count its run config asked for (ERROR).")
def edge_cases_family_counts(context: dg.AssetCheckExecutionContext, enrichment_edge_cases: pd.DataFrame) -> dg.AssetCheckResult:
    counts = enrichment_edge_cases["family"].value_counts().to_dict()
    record = context.instance.get_latest_materialization_event(dg.AssetKey("enrichment_edge_cases"))
    meta = record.asset_materialization.metadata if record and record.asset_materialization else {}
    expected = {f: int(meta[f"configured_{f}"].value) for f in FAMILIES if f"configured_{f}" in meta}
    wrong = {f: (counts.get(f, 0), n) for f, n in expected.items() if counts.get(f, 0) != n}
    return dg.AssetCheckResult(passed=not wrong and bool(expected), severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"counts": str(counts), "mismatches": str(wrong) if wrong else "none"})


@dg.asset_check(
    asset="enrichment_edge_cases",
    description="Every edge case's content holds together and its ground truth equals secassets.risk.assess of that "
    "content, recomputed here (ERROR): the families get their truth from the same rubric as the scenarios.",
    blocking=True,
)
def edge_cases_ground_truth_consistency(enrichment_edge_cases: pd.DataFrame) -> dg.AssetCheckResult:
    return consistency_result(enrichment_edge_cases)
