"""Regression check: each template's in-range accuracy and parse rate against the previous leaderboard."""

import json
from typing import Any

import dagster as dg

from secassets.defs.resources.local_files import LocalFiles
from secassets.evaluation.leaderboard import RegressionThresholds, find_regressions
from secassets.storage.markdown import markdown_table


def regression_result(current: dict[str, Any], previous: dict[str, Any] | None) -> dg.AssetCheckResult:
    """ERROR when a drop exceeds what the previous CI allows, WARN for smaller drops above warn_drop."""
    if previous is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no previous leaderboard to compare with"})
    thresholds = RegressionThresholds.model_validate(current.get("thresholds", {}))
    findings = find_regressions(previous, current, thresholds)
    rows = []
    for template, now in current["templates"].items():
        before = previous.get("templates", {}).get(template)
        for metric in ("in_range_accuracy", "parse_rate"):
            rows.append({"template": template, "metric": metric,
                         "before": None if before is None else before[metric]["mean"], "after": now[metric]["mean"]})
    errors = [f for f in findings if f["severity"] == "ERROR"]
    return dg.AssetCheckResult(
        passed=not findings,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "before_after": dg.MetadataValue.md(markdown_table(rows, ["template", "metric", "before", "after"])),
            "regressions": dg.MetadataValue.md(
                markdown_table(findings, ["template", "metric", "before", "after", "drop", "allowed", "severity"]) if findings else "none"
            ),
            "previous_evaluations_fingerprint": str(previous.get("evaluations_fingerprint", "")),
        },
    )


@dg.asset_check(
    asset="template_leaderboard",
    description="Fails (ERROR) when a template's in-range accuracy or parse rate fell by more than the previous "
    "leaderboard's 95% CI allows (+ error_margin); WARN for smaller drops above warn_drop.",
)
def template_regression(template_leaderboard: dict[str, Any], local_files: LocalFiles) -> dg.AssetCheckResult:
    path = local_files.path("template_leaderboard", "previous.json")
    previous = json.loads(path.read_text()) if path.exists() else None
    return regression_result(template_leaderboard, previous)
