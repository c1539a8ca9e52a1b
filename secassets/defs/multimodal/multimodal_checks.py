"""Asset checks on multimodal_comparison: detection overlap and risk alignment against their minimums (WARN)."""

from typing import Any

import dagster as dg


def _at_least(report: dict[str, Any], figure: str, threshold: str) -> dg.AssetCheckResult:
    value = report["overall"].get(figure, 0.0)
    minimum = report["thresholds"][threshold]
    return dg.AssetCheckResult(passed=value >= minimum, severity=dg.AssetCheckSeverity.WARN, metadata={figure: value, "minimum": minimum})


@dg.asset_check(asset="multimodal_comparison", description="Share of truth objects the local detector matches at IoU >= 0.5 reaches min_iou_share (WARN).")
def multimodal_iou_share(multimodal_comparison: dict[str, Any]) -> dg.AssetCheckResult:
    return _at_least(multimodal_comparison, "share_iou_over_05", "min_iou_share")


@dg.asset_check(asset="multimodal_comparison", description="Share of images whose local risk is within 15 points of ground truth reaches min_risk_alignment (WARN).")
def multimodal_risk_alignment(multimodal_comparison: dict[str, Any]) -> dg.AssetCheckResult:
    return _at_least(multimodal_comparison, "risk_alignment", "min_risk_alignment")
