"""Comparing the local pipeline with ground truth: class-aware greedy IoU matching and risk alignment.

Boxes are normalized [x0, y0, x1, y1] (secassets.multimodal.scenes's convention) on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secassets.risk.bands import level_for_score

IOU_MATCH = 0.5
RISK_ALIGNMENT_POINTS = 15


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(truth: list[dict[str, Any]], predicted: list[dict[str, Any]], min_iou: float = 0.0) -> list[tuple[int, int, float]]:
    """Greedy matching by descending IoU; a pair only counts when the classes agree."""
    pairs = sorted(
        ((iou(t["box"], p["box"]), i, j) for i, t in enumerate(truth) for j, p in enumerate(predicted) if t["class"] == p["class"]),
        reverse=True,
    )
    used_t, used_p, out = set(), set(), []
    for score, i, j in pairs:
        if score <= min_iou or i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        out.append((i, j, score))
    return out


def compare_image(truth: list[dict[str, Any]], predicted: list[dict[str, Any]], truth_risk: float | None, local_risk: float | None) -> dict[str, Any]:
    matches = match(truth, predicted)
    good = [m for m in matches if m[2] >= IOU_MATCH]
    tp = len(good)
    precision = tp / len(predicted) if predicted else (1.0 if not truth else 0.0)
    recall = tp / len(truth) if truth else (1.0 if not predicted else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out: dict[str, Any] = {
        "true_positives": tp, "truth_objects": len(truth), "predicted_objects": len(predicted),
        "precision": precision, "recall": recall, "f1": f1,
        "mean_iou": sum(m[2] for m in matches) / len(matches) if matches else 0.0,
        "share_iou_over_05": tp / len(truth) if truth else 1.0,
        "risk_deviation": None, "risk_aligned": False, "level_agreement": False,
    }
    if truth_risk is not None and local_risk is not None:
        out["risk_deviation"] = abs(truth_risk - local_risk)
        out["risk_aligned"] = out["risk_deviation"] <= RISK_ALIGNMENT_POINTS
        out["level_agreement"] = level_for_score(truth_risk) == level_for_score(local_risk)
    return out
