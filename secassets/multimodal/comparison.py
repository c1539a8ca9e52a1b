"""How far the local pipeline is from ground truth over the whole image set.

Per image, secassets.multimodal.matching compares boxes (class-aware greedy IoU) and risk; here the
images are aggregated overall and per category (precision, recall, F1, mean IoU, share matched at
IoU >= 0.5, risk alignment and level agreement), the worst cases are picked and drawn (truth boxes
green, local red), and the one-paragraph summary is written. Images without ground truth (curated,
no vision model) are listed, not scored; images rejected before analysis are listed with their reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from secassets.multimodal.local_pipeline import IMAGE_REJECTED
from secassets.multimodal.matching import RISK_ALIGNMENT_POINTS, compare_image
from secassets.multimodal.scenes import draw_boxes, image_grid

AGGREGATES = ("precision", "recall", "f1", "mean_iou", "share_iou_over_05")
CATEGORY_COLUMNS = ("category", "images", "precision", "recall", "f1", "mean_iou", "risk_alignment")
WORST_CASE_FIELDS = ("path", "category", "f1", "mean_iou", "risk_deviation")


def aggregate(per_image: list[dict[str, Any]]) -> dict[str, Any]:
    """Means of the per-image figures; an image whose local analysis failed counts as not aligned and not agreeing."""
    if not per_image:
        return {"images": 0}
    out: dict[str, Any] = {"images": len(per_image)}
    for k in AGGREGATES:
        out[k] = round(sum(p[k] for p in per_image) / len(per_image), 4)
    with_risk = [p for p in per_image if p["risk_deviation"] is not None]
    out["risk_scored_images"] = len(with_risk)
    out["risk_alignment"] = round(sum(p["risk_aligned"] for p in per_image) / len(per_image), 4)
    out["level_agreement"] = round(sum(p["level_agreement"] for p in per_image) / len(per_image), 4)
    out["mean_risk_deviation"] = round(sum(p["risk_deviation"] for p in with_risk) / len(with_risk), 2) if with_risk else None
    return out


def _score(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class Comparison:
    """The report (the asset's JSON) and the worst images with their boxes (for drawing)."""

    report: dict[str, Any]
    worst: list[dict[str, Any]]

    def summary(self) -> str:
        o = self.report["overall"]
        unscored, rejected = len(self.report["unscored_images"]), len(self.report["rejected_images"])
        return (
            f"{o.get('images', 0)} images compared ({unscored} without ground truth, {rejected} rejected). Detection: precision "
            f"{o.get('precision', 0):.2f}, recall {o.get('recall', 0):.2f}, F1 {o.get('f1', 0):.2f}, mean IoU {o.get('mean_iou', 0):.2f}, "
            f"{o.get('share_iou_over_05', 0):.0%} of truth objects matched at IoU >= 0.5. Risk: "
            f"{o.get('risk_alignment', 0):.0%} within {RISK_ALIGNMENT_POINTS} points, level agreement {o.get('level_agreement', 0):.0%}, "
            f"mean deviation {o.get('mean_risk_deviation')}."
        )

    def category_rows(self) -> list[dict[str, Any]]:
        return [{"category": c, **{k: v.get(k) for k in CATEGORY_COLUMNS[1:]}} for c, v in self.report["by_category"].items()]


def compare_pipeline(
    ground_truth: pd.DataFrame, local_results: pd.DataFrame, *, worst_cases: int, thresholds: dict[str, float]
) -> Comparison:
    """Every ground-truth image against the local pipeline's row for it; thresholds are recorded for the checks."""
    local = local_results.set_index("path").to_dict("index")
    per_image, unscored = [], []
    rejected = [{"path": p, "reason": r["error"]} for p, r in local.items() if str(r.get("error") or "").startswith(IMAGE_REJECTED)]
    for gt in ground_truth.to_dict("records"):
        if gt["source"] == "none":
            unscored.append(gt["path"])
            continue
        mine = local.get(gt["path"], {})
        truth_objects, local_objects = json.loads(gt["detected_objects"]), json.loads(mine.get("detections", "[]"))
        result = compare_image(truth_objects, local_objects, _score(gt["risk_score"]), _score(mine.get("risk_score")))
        per_image.append({"path": gt["path"], "category": gt["category"], "source": gt["source"], **result,
                          "truth": truth_objects, "local": local_objects})
    categories = {c: aggregate([p for p in per_image if p["category"] == c]) for c in sorted({p["category"] for p in per_image})}
    worst = sorted(per_image, key=lambda p: (p["f1"], -(p["risk_deviation"] if p["risk_deviation"] is not None else 101)))[:worst_cases]
    report = {
        "overall": aggregate(per_image), "by_category": categories,
        "worst_cases": [{k: p[k] for k in WORST_CASE_FIELDS} for p in worst],
        "unscored_images": unscored,
        "rejected_images": rejected,
        "thresholds": dict(thresholds),
        "per_image": [{k: v for k, v in p.items() if k not in ("truth", "local")} for p in per_image],
    }
    return Comparison(report, worst)


def _drawn(p: dict[str, Any]) -> Image.Image | None:
    """The image with its boxes, or None when it no longer decodes (it is then left out of the grid)."""
    try:
        return draw_boxes(Path(p["path"]), p["truth"], p["local"])
    except (OSError, ValueError, SyntaxError):
        return None


def worst_cases_png(worst: list[dict[str, Any]]) -> bytes:
    """A PNG grid of the worst images with their boxes; empty bytes when none can be drawn."""
    return image_grid([img for img in map(_drawn, worst) if img is not None])
