"""multimodal_comparison: how far the local pipeline is from ground truth (secassets.multimodal.comparison).

Output: data/multimodal_comparison.json, data/multimodal_comparison/summary.txt and worst_cases.png.
"""

import base64
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.multimodal.comparison import CATEGORY_COLUMNS, compare_pipeline, worst_cases_png
from secassets.storage.files import write_bytes, write_text
from secassets.storage.markdown import markdown_table


class ComparisonParams(CheckedConfig):
    min_iou_share: float = Field(
        default=0.5, ge=0, le=1, allow_inf_nan=False, description="Check: minimum share of truth objects matched at IoU >= 0.5 (WARN), 0-1."
    )
    min_risk_alignment: float = Field(
        default=0.5, ge=0, le=1, allow_inf_nan=False, description="Check: minimum share of images whose risk is within 15 points (WARN), 0-1."
    )
    worst_cases: int = Field(default=6, ge=0, le=60, description="Worst images shown with their boxes (0-60).")


@dg.asset(
    description="Local pipeline vs ground truth per image and per category: detection precision/recall/F1, mean IoU, "
    "share matched at IoU >= 0.5, risk deviation/alignment/level agreement, worst cases with boxes drawn.",
    kinds={"json", "image"},
)
def multimodal_comparison(
    context: dg.AssetExecutionContext, config: ComparisonParams, multimodal_ground_truth: pd.DataFrame,
    local_pipeline_results: pd.DataFrame, local_files: LocalFiles,
) -> dict[str, Any]:
    comparison = compare_pipeline(
        multimodal_ground_truth, local_pipeline_results, worst_cases=config.worst_cases,
        thresholds={"min_iou_share": config.min_iou_share, "min_risk_alignment": config.min_risk_alignment},
    )
    grid = worst_cases_png(comparison.worst)
    if grid:
        write_bytes(local_files.path("multimodal_comparison", "worst_cases.png"), lambda p: p.write_bytes(grid))
    summary = comparison.summary()
    write_text(local_files.path("multimodal_comparison", "summary.txt"), summary + "\n")
    meta: dict[str, Any] = {
        "summary": summary,
        "by_category": dg.MetadataValue.md(markdown_table(comparison.category_rows(), list(CATEGORY_COLUMNS))),
    }
    if grid:
        meta["worst_cases"] = dg.MetadataValue.md(f"![worst cases](data:image/png;base64,{base64.b64encode(grid).decode()})")
    context.add_output_metadata(meta)
    context.log.info(summary)
    return comparison.report
