"""multimodal_comparison: how far the local pipeline is from ground truth, measured per image.

Class-aware greedy IoU matching in one box convention; precision, recall, F1, mean IoU, share
of truth objects matched at IoU >= 0.5; risk deviation, alignment (within 15 points) and level
agreement; per category; the worst cases with their images (truth boxes green, local red).
Images without ground truth (curated, no vision model) are listed, not scored; images rejected
before analysis (outside their folder, too large, corrupt) are listed with their reason.
Output: data/multimodal_comparison.json, data/multimodal_comparison/summary.txt and worst_cases.png.
"""

import base64
import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from PIL import Image
from pydantic import Field

from secassets.comparison import compare_image
from secassets.imaging import draw_boxes, image_grid
from secassets.rendering import markdown_table
from secassets.resources.local_files import LocalFiles
from secassets.run_config import CheckedConfig
from secassets.storage import write_bytes, write_text

AGGREGATES = ("precision", "recall", "f1", "mean_iou", "share_iou_over_05")


class ComparisonParams(CheckedConfig):
    min_iou_share: float = Field(
        default=0.5, ge=0, le=1, allow_inf_nan=False, description="Check: minimum share of truth objects matched at IoU >= 0.5 (WARN), 0-1."
    )
    min_risk_alignment: float = Field(
        default=0.5, ge=0, le=1, allow_inf_nan=False, description="Check: minimum share of images whose risk is within 15 points (WARN), 0-1."
    )
    worst_cases: int = Field(default=6, ge=0, le=60, description="Worst images shown with their boxes (0-60).")


def _drawn(p: dict[str, Any]) -> Image.Image | None:
    """The image with its boxes, or None when it no longer decodes (it is then left out of the grid)."""
    try:
        return draw_boxes(Path(p["path"]), p["truth"], p["local"])
    except (OSError, ValueError, SyntaxError):
        return None


def _aggregate(per_image: list[dict[str, Any]]) -> dict[str, Any]:
    if not per_image:
        return {"images": 0}
    out: dict[str, Any] = {"images": len(per_image)}
    for k in AGGREGATES:
        out[k] = round(sum(p[k] for p in per_image) / len(per_image), 4)
    with_risk = [p for p in per_image if p["risk_deviation"] is not None]
    out["risk_scored_images"] = len(with_risk)
    # an image whose local analysis failed counts as not aligned and not agreeing
    out["risk_alignment"] = round(sum(p["risk_aligned"] for p in per_image) / len(per_image), 4)
    out["level_agreement"] = round(sum(p["level_agreement"] for p in per_image) / len(per_image), 4)
    out["mean_risk_deviation"] = round(sum(p["risk_deviation"] for p in with_risk) / len(with_risk), 2) if with_risk else None
    return out


@dg.asset(
    description="Local pipeline vs ground truth per image and per category: detection precision/recall/F1, mean IoU, "
    "share matched at IoU >= 0.5, risk deviation/alignment/level agreement, worst cases with boxes drawn.",
    kinds={"json", "image"},
)
def multimodal_comparison(
    context: dg.AssetExecutionContext, config: ComparisonParams, multimodal_ground_truth: pd.DataFrame,
    local_pipeline_results: pd.DataFrame, local_files: LocalFiles,
) -> dict[str, Any]:
    local = local_pipeline_results.set_index("path").to_dict("index")
    per_image, unscored = [], []
    rejected = [{"path": p, "reason": r["error"]} for p, r in local.items() if str(r.get("error") or "").startswith("image rejected")]
    for gt in multimodal_ground_truth.to_dict("records"):
        if gt["source"] == "none":
            unscored.append(gt["path"])
            continue
        mine = local.get(gt["path"], {})
        truth_objects, local_objects = json.loads(gt["detected_objects"]), json.loads(mine.get("detections", "[]"))
        local_risk = mine.get("risk_score")
        local_risk = None if local_risk is None or pd.isna(local_risk) else float(local_risk)
        truth_risk = None if pd.isna(gt["risk_score"]) else float(gt["risk_score"])
        result = compare_image(truth_objects, local_objects, truth_risk, local_risk)
        per_image.append({"path": gt["path"], "category": gt["category"], "source": gt["source"], **result,
                          "truth": truth_objects, "local": local_objects})
    categories = {c: _aggregate([p for p in per_image if p["category"] == c]) for c in sorted({p["category"] for p in per_image})}
    worst = sorted(per_image, key=lambda p: (p["f1"], -(p["risk_deviation"] if p["risk_deviation"] is not None else 101)))[: config.worst_cases]
    report = {
        "overall": _aggregate(per_image), "by_category": categories,
        "worst_cases": [{k: p[k] for k in ("path", "category", "f1", "mean_iou", "risk_deviation")} for p in worst],
        "unscored_images": unscored,
        "rejected_images": rejected,
        "thresholds": {"min_iou_share": config.min_iou_share, "min_risk_alignment": config.min_risk_alignment},
        "per_image": [{k: v for k, v in p.items() if k not in ("truth", "local")} for p in per_image],
    }
    grid = image_grid([img for img in map(_drawn, worst) if img is not None])
    if grid:
        write_bytes(local_files.path("multimodal_comparison", "worst_cases.png"), lambda p: p.write_bytes(grid))
    o = report["overall"]
    summary = (
        f"{o.get('images', 0)} images compared ({len(unscored)} without ground truth, {len(rejected)} rejected). Detection: precision "
        f"{o.get('precision', 0):.2f}, recall {o.get('recall', 0):.2f}, F1 {o.get('f1', 0):.2f}, mean IoU {o.get('mean_iou', 0):.2f}, "
        f"{o.get('share_iou_over_05', 0):.0%} of truth objects matched at IoU >= 0.5. Risk: "
        f"{o.get('risk_alignment', 0):.0%} within 15 points, level agreement {o.get('level_agreement', 0):.0%}, "
        f"mean deviation {o.get('mean_risk_deviation')}."
    )
    write_text(local_files.path("multimodal_comparison", "summary.txt"), summary + "\n")
    rows = [{"category": c, **{k: v.get(k) for k in ("images", "precision", "recall", "f1", "mean_iou", "risk_alignment")}} for c, v in categories.items()]
    meta: dict[str, Any] = {
        "summary": summary,
        "by_category": dg.MetadataValue.md(markdown_table(rows, ["category", "images", "precision", "recall", "f1", "mean_iou", "risk_alignment"])),
    }
    if grid:
        meta["worst_cases"] = dg.MetadataValue.md(f"![worst cases](data:image/png;base64,{base64.b64encode(grid).decode()})")
    context.add_output_metadata(meta)
    context.log.info(summary)
    return report
