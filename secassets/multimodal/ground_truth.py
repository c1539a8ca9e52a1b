"""Multimodal ground truth: one row per camera image with what is really in it.

Images: scenes rendered from a seeded sample of scenarios (images/rendered/<category>/, real photo
crops at the scenario's boxes) plus any curated images in images/<category>/ (one folder per
scenario type; png/jpg/jpeg/webp/bmp). Truth comes from the vision model when one is given
(source vision_model); otherwise a rendered image's truth is the rubric applied to what was actually
rendered (source render: zone, time and the pasted objects; secassets.risk.assess)
and a curated image is reported as lacking ground truth (source none, fields null), never given
invented labels. Curated images are checked first (secassets.multimodal.scenes.inspect_image); a
rejected one is a row with image_error and is never sent to the vision model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from secassets.core.vocabulary import SCENARIO_TYPE
from secassets.multimodal.scenes import PHOTO_CROPS, ImageRejected, inspect_image, render_scene
from secassets.multimodal.vision import VisionAnswer, VisionClient, VisionError
from secassets.risk import Observation, ObservedObject, RiskAssessment, assess

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
# The record of an image nobody labelled: null fields, never invented labels.
NO_TRUTH: dict[str, Any] = {
    "source": "none", "description": None, "detected_objects": [], "risk_score": None, "risk_level": None,
    "reasoning": None, "concerning_factors": [], "mitigating_factors": [], "scene": {},
}


@dataclass(frozen=True)
class ImageItem:
    """One image to label: a scenario to render, or a curated file."""

    kind: Literal["render", "curated"]
    category: str
    scenario: dict[str, Any] | None = None
    path: Path | None = None


@dataclass(frozen=True)
class GroundTruthRun:
    frame: pd.DataFrame
    images_rejected: int
    vision_failures: int


def renderable(detections: str) -> bool:
    """Whether at least one of the scenario's objects has a real photo the renderer can paste."""
    return any(d["object_type"] in PHOTO_CROPS for d in json.loads(detections))


def image_items(scenarios: pd.DataFrame, images_dir: Path, images_per_category: int, seed: int) -> list[ImageItem]:
    """The seeded render sample of each scenario type, then the curated images of each type (sorted by name)."""
    pool = scenarios[scenarios["detections"].map(renderable)]
    items = []
    for category in SCENARIO_TYPE:
        part = pool[pool["scenario_type"] == category]
        for row in part.sample(n=min(len(part), images_per_category), random_state=seed).to_dict("records"):
            items.append(ImageItem("render", category, scenario=row))
    for category in SCENARIO_TYPE:
        for path in sorted((images_dir / category).glob("*")) if (images_dir / category).is_dir() else []:
            if path.suffix.lower() in IMAGE_SUFFIXES:
                items.append(ImageItem("curated", category, path=path))
    return items


def rendered_truth(row: dict[str, Any], objects: list[dict[str, Any]]) -> RiskAssessment:
    """The rubric on what the image really shows: the zone, the time and the objects pasted into it.

    A still made of pasted photos shows no behaviour, faces or plates, so none of those count.
    """
    return assess(Observation(
        zone=row["camera_location"], time_of_day=row["time_of_day"],
        objects=tuple(ObservedObject(object_class=o["class"]) for o in objects),
    ))


def _rendered_record(row: dict[str, Any], images_dir: Path) -> tuple[Path, dict[str, Any]]:
    scene = render_scene(row, images_dir / "rendered")
    truth = rendered_truth(row, scene.objects)
    classes = ", ".join(sorted({o["class"] for o in scene.objects}))
    return scene.path, {
        "source": "render", "description": f"Rendered still of the {row['camera_location'].replace('_', ' ')} at "
                                           f"{row['time_of_day'].replace('_', ' ')} showing {classes}.",
        "detected_objects": scene.objects, "risk_score": truth.score, "risk_level": truth.level,
        "reasoning": "; ".join(p.text for p in truth.key_points),
        "concerning_factors": [d.factor for d in truth.drivers if d.points > 0 and d.factor != "base"],
        "mitigating_factors": [d.factor for d in truth.drivers if d.points < 0],
        "scene": {"time_of_day": row["time_of_day"], "location": row["camera_location"], "not_rendered": ", ".join(scene.not_rendered)},
    }


def _vision_record(answer: VisionAnswer) -> dict[str, Any]:
    risk = answer.risk_assessment
    return {
        "source": "vision_model", "description": answer.description,
        "detected_objects": [{"class": o.class_, "confidence": o.confidence, "box": o.box} for o in answer.detected_objects],
        "risk_score": risk.score, "risk_level": risk.level, "reasoning": risk.reasoning,
        "concerning_factors": risk.concerning_factors, "mitigating_factors": risk.mitigating_factors, "scene": answer.scene,
    }


def _row(path: Path, category: str, scenario_hash: str | None, image_format: str | None, image_error: str | None,
         record: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": str(path), "category": category, "scenario_hash": scenario_hash, "source": record["source"],
        "image_format": image_format, "image_error": image_error,
        "description": record["description"], "detected_objects": json.dumps(record["detected_objects"]),
        "object_count": len(record["detected_objects"]), "risk_score": record["risk_score"], "risk_level": record["risk_level"],
        "reasoning": record["reasoning"], "concerning_factors": json.dumps(record["concerning_factors"]),
        "mitigating_factors": json.dumps(record["mitigating_factors"]), "scene": json.dumps(record["scene"]),
    }


def label_images(
    items: list[ImageItem], images_dir: Path, vision: VisionClient | None, warn: Callable[[str], None]
) -> GroundTruthRun:
    """One row per item, in order; a vision failure keeps the render (or none) truth and is counted and warned."""
    rows, failures, rejected = [], 0, 0
    for item in items:
        image_format, image_error, mime = "PNG", None, "image/png"
        if item.kind == "render":
            assert item.scenario is not None
            path, record = _rendered_record(item.scenario, images_dir)
            scenario_hash = item.scenario["scenario_hash"]
        else:
            assert item.path is not None
            path, scenario_hash, record = item.path, None, dict(NO_TRUTH)
            try:
                info = inspect_image(path, images_dir)
                image_format, mime = info.format, info.mime
            except ImageRejected as exc:
                image_format, image_error = None, str(exc)
                rejected += 1
                warn(f"curated image rejected: {exc}")
        if vision is not None and image_error is None:
            try:
                answer, _ = vision.analyse(path, mime)
                record = _vision_record(answer)
            except VisionError as exc:
                failures += 1
                warn(f"vision model failed on {path.name}: {exc}; keeping {record['source']} ground truth")
        rows.append(_row(path, item.category, scenario_hash, image_format, image_error, record))
    df = pd.DataFrame(rows)
    df["risk_score"] = df["risk_score"].astype("Int16")
    return GroundTruthRun(df, rejected, failures)
