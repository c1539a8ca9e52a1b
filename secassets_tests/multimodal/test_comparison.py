"""Aggregating the comparison and labelling curated images, as plain Python (no Dagster, no model)."""

import json

import numpy as np
import pandas as pd
from PIL import Image

from secassets.multimodal.comparison import compare_pipeline, worst_cases_png
from secassets.multimodal.ground_truth import image_items, label_images

BOX = [0.1, 0.1, 0.5, 0.9]


def _truth(path, category, source, objects, risk):
    return {"path": path, "category": category, "source": source, "detected_objects": json.dumps(objects), "risk_score": risk}


def test_comparison_scores_truth_images_lists_the_rest_and_writes_its_summary():
    gt = pd.DataFrame([
        _truth("a.png", "threat", "render", [{"class": "person", "box": BOX}], 80),
        _truth("b.png", "normal", "render", [{"class": "cat", "box": BOX}], 10),
        _truth("c.png", "suspicious", "none", [], None),
        _truth("d.png", "suspicious", "render", [{"class": "person", "box": BOX}], 50),
    ])
    gt["risk_score"] = gt["risk_score"].astype("Int16")
    local = pd.DataFrame([
        {"path": "a.png", "detections": json.dumps([{"class": "person", "box": BOX}]), "risk_score": 70, "error": None},
        {"path": "b.png", "detections": "[]", "risk_score": None, "error": "detector found nothing; no analysis"},
        {"path": "c.png", "detections": "[]", "risk_score": None, "error": "image rejected: c.png is not an image"},
        {"path": "d.png", "detections": "[]", "risk_score": None, "error": "image rejected: d.png is too large"},
    ])
    local["risk_score"] = local["risk_score"].astype("Int16")
    result = compare_pipeline(gt, local, worst_cases=2, thresholds={"min_iou_share": 0.5, "min_risk_alignment": 0.5})
    report = result.report
    assert report["overall"]["images"] == 3 and report["overall"]["risk_scored_images"] == 1
    assert report["overall"]["risk_alignment"] == round(1 / 3, 4) and report["overall"]["mean_risk_deviation"] == 10.0
    assert report["unscored_images"] == ["c.png"]
    assert [r["path"] for r in report["rejected_images"]] == ["c.png", "d.png"]
    assert list(report["by_category"]) == ["normal", "suspicious", "threat"]
    assert [w["path"] for w in report["worst_cases"]] == [p["path"] for p in result.worst] == ["b.png", "d.png"]
    assert all("truth" not in p for p in report["per_image"]) and "truth" in result.worst[0]
    assert result.summary().startswith("3 images compared (1 without ground truth, 2 rejected).")
    assert "within 15 points" in result.summary()
    assert [r["category"] for r in result.category_rows()] == ["normal", "suspicious", "threat"]
    assert worst_cases_png(result.worst) == b""  # the files do not exist: nothing to draw, no error


def test_curated_images_are_checked_and_never_given_invented_labels(tmp_path):
    images = tmp_path / "images"
    (images / "normal").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(images / "normal" / "b.png")
    (images / "normal" / "a.png").write_bytes(b"meeting notes\n")
    (images / "normal" / "c.txt").write_text("not an image suffix")
    cars_only = pd.DataFrame({"scenario_type": ["normal"], "detections": [json.dumps([{"object_type": "car"}])]})
    items = image_items(cars_only, images, images_per_category=2, seed=0)  # no photo of a car: nothing to render
    assert [(i.kind, i.path.name) for i in items] == [("curated", "a.png"), ("curated", "b.png")]
    warnings = []
    run = label_images(items, images, None, warnings.append)
    df = run.frame
    assert run.images_rejected == 1 and run.vision_failures == 0 and len(warnings) == 1
    assert (df["source"] == "none").all() and df["risk_score"].isna().all() and str(df["risk_score"].dtype) == "Int16"
    assert df["image_format"].tolist() == [None, "PNG"] and "a.png" in df.loc[0, "image_error"]
