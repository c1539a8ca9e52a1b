"""local_pipeline_results: what the local pipeline sees in each image (secassets.multimodal.local_pipeline).

A real object detector (SSD-MobileNet-v2 COCO via OpenCV DNN) finds objects; the risk analysis of
them runs on the llm resource with one template, cached like the evaluations. A server that cannot
start fails the asset once, before any row is written, and the previous output is kept.
Output: data/local_pipeline_results.parquet.
"""

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.core.errors import SecassetsError
from secassets.core.vocabulary import LLM_POOL
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.runner import EvaluationSettings
from secassets.evaluation.template_files import find_template
from secassets.llm.cache import ResponseCache
from secassets.llm.cached_model import CachedCompletions
from secassets.llm.server import LlamaServerError
from secassets.multimodal.detector import ObjectDetector
from secassets.multimodal.local_pipeline import IMAGE_REJECTED, LocalPipeline


class LocalPipelineParams(CheckedConfig):
    min_confidence: float = Field(default=0.3, ge=0, le=1, allow_inf_nan=False, description="Detector confidence floor (0-1).")
    template: str = Field(default="basic", max_length=64, description="Template used for the risk analysis of the detections.")


@dg.asset(
    description="Per image: the detector's objects (normalized boxes) and the local risk analysis of them through "
    "the llama.cpp resource (score, level, parse result, latency).",
    kinds={"parquet", "opencv", "llama.cpp"},
    pool=LLM_POOL,
)
def local_pipeline_results(
    context: dg.AssetExecutionContext, config: LocalPipelineParams, multimodal_ground_truth: pd.DataFrame,
    scenarios: pd.DataFrame, llm: LlamaServerResource, local_files: LocalFiles,
) -> pd.DataFrame:
    try:
        template = find_template(config.template)
    except (FileLintError, SecassetsError) as exc:  # a bad name is refused before it becomes a path
        raise dg.Failure(description=f"template {config.template!r}: {exc}", allow_retries=False) from None
    model_id = llm.model_identity_or_failure() if llm.enabled else "off"
    pipeline = LocalPipeline(
        ObjectDetector(min_confidence=config.min_confidence), template,
        CachedCompletions(ResponseCache(local_files.path("local_pipeline_results", "cache")), model_id),
        connect=llm.client if llm.enabled else None, images_dir=local_files.path("images"), settings=EvaluationSettings(),
    )
    try:
        df, stats = pipeline.run(multimodal_ground_truth, scenarios)
    except LlamaServerError as exc:
        raise dg.Failure(
            description=f"The local llama.cpp server could not start, so no image was analysed: {exc}. "
            "The previous local_pipeline_results are kept.",
        ) from None
    meta = {
        "dagster/row_count": len(df), "images_with_detections": int((df["detections"] != "[]").sum()),
        "parse_rate": float(df["parse_ok"].mean()) if len(df) else 0.0, "server_calls": stats.server_calls,
        "images_rejected": int(df["error"].fillna("").str.startswith(IMAGE_REJECTED).sum()) if len(df) else 0,
        "mean_detector_seconds": stats.mean_detector_seconds,
    }
    if stats.cache_write_errors:
        meta["cache_write_errors"] = stats.cache_write_errors  # answers kept; the next run asks for them again
    context.add_output_metadata(meta)
    return df
