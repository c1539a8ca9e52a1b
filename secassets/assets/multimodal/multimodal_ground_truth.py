"""multimodal_ground_truth: one row per camera image with what is really in it.

Images: scenes rendered from a seeded sample of scenarios (data/images/rendered/<category>/,
real photo crops at the scenario's boxes) plus any curated images in data/images/<category>/
(normal, suspicious, threat, edge_case; png/jpg/jpeg/webp/bmp). Ground truth comes from the
VisionModel when it is enabled (source vision_model, cached by image hash/model/prompt);
otherwise a rendered image's truth is the renderer's record (source render) and a curated image
is reported as lacking ground truth (source none, fields null), never given invented labels.
Curated images are checked first (secassets.imaging.inspect_image: inside the images folder, size
limits, real format by content); a rejected one is a row with image_error and is never sent to
the vision model. Output: data/multimodal_ground_truth.parquet.
"""

import json
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.bands import level_for_score
from secassets.constants import SCENARIO_TYPE
from secassets.imaging import PHOTO_CROPS, ImageRejected, inspect_image, render_scene
from secassets.resources.local_files import LocalFiles
from secassets.resources.vision_model import VisionModel
from secassets.response_cache import ResponseCache
from secassets.run_config import CheckedConfig
from secassets.vision_truth import VisionError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


class GroundTruthParams(CheckedConfig):
    images_per_category: int = Field(default=2, ge=0, le=500, description="Scenes rendered per scenario type (seeded sample), 0-500.")
    seed: int = Field(default=42, ge=0, le=2**32 - 1, description="Seed of the scenario sample (0-4294967295).")


def _renderable(detections: str) -> bool:
    return any(d["object_type"] in PHOTO_CROPS for d in json.loads(detections))


@dg.asset(
    description="Per image: path, category, source (vision_model, render or none), description, detected objects "
    "(normalized [x0,y0,x1,y1]), object count, risk score/level/reasoning, concerning and mitigating factors, scene.",
    kinds={"parquet", "image"},
)
def multimodal_ground_truth(
    context: dg.AssetExecutionContext, config: GroundTruthParams, scenarios: pd.DataFrame,
    vision_model: VisionModel, local_files: LocalFiles,
) -> pd.DataFrame:
    images_dir = local_files.path("images")
    pool = scenarios[scenarios["detections"].map(_renderable)]
    items = []
    for category in SCENARIO_TYPE:
        part = pool[pool["scenario_type"] == category]
        for row in part.sample(n=min(len(part), config.images_per_category), random_state=config.seed).to_dict("records"):
            items.append(("render", category, row))
    for category in SCENARIO_TYPE:
        for path in sorted((images_dir / category).glob("*")) if (images_dir / category).is_dir() else []:
            if path.suffix.lower() in IMAGE_SUFFIXES:
                items.append(("curated", category, path))
    if not items:
        raise dg.Failure(
            f"no images to label: images_per_category is 0 and {images_dir}/<category>/ holds no curated images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))}); raise images_per_category or add images"
        )
    cache = ResponseCache(local_files.path("multimodal_ground_truth", "vision_cache"))
    client = vision_model.client(cache) if vision_model.enabled else None
    rows, failures, rejected = [], 0, 0
    for kind, category, item in items:
        image_format, image_error, mime = "PNG", None, "image/png"
        if kind == "render":
            scene = render_scene(item, images_dir / "rendered")
            path, scenario_hash = scene.path, item["scenario_hash"]
            truth = json.loads(item["ground_truth"])
            mid = (truth["risk_range"]["low"] + truth["risk_range"]["high"]) / 2
            record = {
                "source": "render", "description": item["scenario_narrative"], "detected_objects": scene.objects,
                "risk_score": round(mid), "risk_level": level_for_score(mid), "reasoning": "; ".join(truth["reasoning_key_points"]),
                "concerning_factors": [], "mitigating_factors": [], "scene": {"time_of_day": item["time_of_day"], "location": item["camera_location"],
                                                                              "not_rendered": ", ".join(scene.not_rendered)},
            }
        else:
            path, scenario_hash = item, None
            record = {"source": "none", "description": None, "detected_objects": [], "risk_score": None, "risk_level": None,
                      "reasoning": None, "concerning_factors": [], "mitigating_factors": [], "scene": {}}
            try:
                info = inspect_image(path, images_dir)
                image_format, mime = info.format, info.mime
            except ImageRejected as exc:
                image_format, image_error = None, str(exc)
                rejected += 1
                context.log.warning(f"curated image rejected: {exc}")
        if client is not None and image_error is None:
            try:
                answer, _ = client.analyse(path, mime)
                record = {
                    "source": "vision_model", "description": answer.description,
                    "detected_objects": [{"class": o.class_, "confidence": o.confidence, "box": o.box} for o in answer.detected_objects],
                    "risk_score": answer.risk_assessment.score, "risk_level": answer.risk_assessment.level,
                    "reasoning": answer.risk_assessment.reasoning, "concerning_factors": answer.risk_assessment.concerning_factors,
                    "mitigating_factors": answer.risk_assessment.mitigating_factors, "scene": answer.scene,
                }
            except VisionError as exc:
                failures += 1
                context.log.warning(f"vision model failed on {path.name}: {exc}; keeping {record['source']} ground truth")
        rows.append({
            "path": str(path), "category": category, "scenario_hash": scenario_hash, "source": record["source"],
            "image_format": image_format, "image_error": image_error,
            "description": record["description"], "detected_objects": json.dumps(record["detected_objects"]),
            "object_count": len(record["detected_objects"]), "risk_score": record["risk_score"], "risk_level": record["risk_level"],
            "reasoning": record["reasoning"], "concerning_factors": json.dumps(record["concerning_factors"]),
            "mitigating_factors": json.dumps(record["mitigating_factors"]), "scene": json.dumps(record["scene"]),
        })
    df = pd.DataFrame(rows)
    df["risk_score"] = df["risk_score"].astype("Int16")
    context.add_output_metadata({
        "dagster/row_count": len(df),
        "vision_model": f"{vision_model.model_name} at endpoint {vision_model.endpoint}" if client else "off (endpoint key not set)",
        "images_rejected": rejected,
        "sources": ", ".join(f"{k}={v}" for k, v in df["source"].value_counts().items()),
        "vision_failures": failures, "images_dir": dg.MetadataValue.path(str(Path(images_dir))),
    })
    return df
