"""Asset checks on coverage_report: every combination present, validity, near-duplicates."""

from typing import Any

import dagster as dg

MIN_VALID_SHARE = 0.95
MAX_NEAR_DUPLICATE_SHARE = 0.05


@dg.asset_check(asset="coverage_report", description="Every scenario_type x enrichment_level combination appears (WARN).")
def coverage_type_x_enrichment(coverage_report: dict[str, Any]) -> dg.AssetCheckResult:
    missing = coverage_report["cross_tabs"][0]["missing_cells"]
    return dg.AssetCheckResult(passed=not missing, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"missing_cells": ", ".join(missing) or "none"})


@dg.asset_check(asset="coverage_report", description=f"At least {MIN_VALID_SHARE:.0%} of rows are schema-valid and temporally consistent (ERROR).")
def coverage_validity(coverage_report: dict[str, Any]) -> dg.AssetCheckResult:
    v = coverage_report["validity"]
    ok = v["schema_valid_share"] >= MIN_VALID_SHARE and v["temporally_consistent_share"] >= MIN_VALID_SHARE
    return dg.AssetCheckResult(passed=ok, severity=dg.AssetCheckSeverity.ERROR, metadata=v)


@dg.asset_check(asset="coverage_report", description=f"Under {MAX_NEAR_DUPLICATE_SHARE:.0%} of scenarios have a near-duplicate narrative (WARN).")
def coverage_near_duplicates(coverage_report: dict[str, Any]) -> dg.AssetCheckResult:
    d = coverage_report.get("diversity") or {"near_duplicate_share": 0.0, "near_duplicate_pairs": []}
    return dg.AssetCheckResult(
        passed=d["near_duplicate_share"] < MAX_NEAR_DUPLICATE_SHARE, severity=dg.AssetCheckSeverity.WARN,
        metadata={"near_duplicate_share": d["near_duplicate_share"], "pairs": len(d["near_duplicate_pairs"]),
                  "threshold": d.get("threshold", 0.0), "top_pairs": str(d["near_duplicate_pairs"][:5])},
    )
