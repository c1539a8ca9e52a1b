"""multimodal_ground_truth: one row per camera image with what is really in it (secassets.multimodal.ground_truth).

Rendered scenes from a seeded sample of scenarios plus curated images in data/images/<category>/;
truth from the VisionModel resource when it is enabled (cached by image hash/model/prompt), else the
renderer's record, else none. Output: data/multimodal_ground_truth.parquet.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.resources.vision_model import VisionModel
from secassets.defs.run_config import CheckedConfig
from secassets.llm.cache import ResponseCache
from secassets.multimodal.ground_truth import IMAGE_SUFFIXES, image_items, label_images


class GroundTruthParams(CheckedConfig):
    images_per_category: int = Field(default=2, ge=0, le=500, description="Scenes rendered per scenario type (seeded sample), 0-500.")
    seed: int = Field(default=42, ge=0, le=2**32 - 1, description="Seed of the scenario sample (0-4294967295).")


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
    items = image_items(scenarios, images_dir, config.images_per_category, config.seed)
    if not items:
        raise dg.Failure(
            f"no images to label: images_per_category is 0 and {images_dir}/<category>/ holds no curated images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))}); raise images_per_category or add images"
        )
    cache = ResponseCache(local_files.path("multimodal_ground_truth", "vision_cache"))
    client = vision_model.client(cache) if vision_model.enabled else None
    run = label_images(items, images_dir, client, context.log.warning)
    df = run.frame
    context.add_output_metadata({
        "dagster/row_count": len(df),
        "vision_model": f"{vision_model.model_name} at endpoint {vision_model.endpoint}" if client else "off (endpoint key not set)",
        "images_rejected": run.images_rejected,
        "sources": ", ".join(f"{k}={v}" for k, v in df["source"].value_counts().items()),
        "vision_failures": run.vision_failures, "images_dir": dg.MetadataValue.path(str(Path(images_dir))),
    })
    return df
