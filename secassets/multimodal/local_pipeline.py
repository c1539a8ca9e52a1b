"""The local pipeline: what the on-device detector sees in each image, and the risk analysis of it.

The detector's objects go through the risk analysis of one prompt template on the run's LLM,
JSON-schema constrained and cached through the one cached model call (same keys as the
evaluations: model identity, prompt, sampling, schema). Every image is one row; a failure is a
row with parse_ok false and its reason, never a default score: an image that was rejected or does
not decode, no detections, no LLM, a request that got no answer. Only a server that cannot start
ends the analysis (its LlamaServerError propagates from `connect`), so no partial output is written.
Whether an answer came from the cache is a fact of the run (LocalRunStats), not of the rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secassets.core.vocabulary import FRAME_HEIGHT, FRAME_WIDTH
from secassets.evaluation.parsing import parse_answer
from secassets.evaluation.render_budget import TemplateRenderError
from secassets.evaluation.runner import TEMPLATE_ERROR, EvaluationSettings
from secassets.evaluation.templates import PromptTemplate
from secassets.llm.cached_model import CachedCompletions
from secassets.llm.client import LlamaClient, LlamaRequestError
from secassets.llm.server import LlamaServerError
from secassets.multimodal.detector import ObjectDetector
from secassets.multimodal.scenes import ImageRejected, load_rgb

IMAGE_REJECTED = "image rejected"  # the error prefix of an image that was never analysed
# The camera context of an image that comes from no scenario (a curated image).
UNKNOWN_SCENE = {"camera_location": "unknown camera", "time_of_day": "unknown", "day_type": "day"}


@dataclass(frozen=True)
class LocalRunStats:
    """Facts about one run (metadata), kept out of the rows so an unchanged re-run writes the same bytes."""

    server_calls: int
    detector_seconds: tuple[float, ...]
    cache_write_errors: int = 0

    @property
    def mean_detector_seconds(self) -> float:
        return round(float(np.mean(self.detector_seconds)), 3) if self.detector_seconds else 0.0


def template_row(found: list[dict[str, Any]], scenario: dict[str, Any] | None) -> dict[str, Any]:
    """An evaluation-shaped row from detections (normalized boxes -> the frame's pixel boxes) and the scene."""
    detections = []
    for d in found:
        x0, y0, x1, y1 = d["box"]
        detections.append({
            "object_type": d["class"], "confidence": d["confidence"], "timestamp_offset_seconds": 0.0, "attributes": {},
            "bbox": {"x": round(x0 * FRAME_WIDTH), "y": round(y0 * FRAME_HEIGHT), "w": max(1, round((x1 - x0) * FRAME_WIDTH)),
                     "h": max(1, round((y1 - y0) * FRAME_HEIGHT))},
        })
    base = dict(UNKNOWN_SCENE)
    if scenario is not None:
        base = {k: scenario[k] for k in base}
    return {**base, "detections": json.dumps(detections), "enrichment_context": None}


def _failed(row: dict[str, Any], error: str) -> dict[str, Any]:
    return {**row, "parse_ok": False, "risk_score": None, "risk_level": None, "error": error, "raw_output": None}


class LocalPipeline:
    """Detector plus cached risk analysis over the ground-truth images; `connect` is None when there is no LLM."""

    def __init__(
        self, detector: ObjectDetector, template: PromptTemplate, completions: CachedCompletions,
        connect: Callable[[], LlamaClient] | None, images_dir: Path, settings: EvaluationSettings,
    ) -> None:
        self.detector, self.template, self.completions = detector, template, completions
        self.connect, self.images_dir, self.settings = connect, images_dir, settings
        self._client: LlamaClient | None = None
        self._calls = 0
        self._write_errors = 0

    def _client_or_start(self) -> LlamaClient:
        """The run's client, started on the first miss; LlamaServerError here means the server could not start."""
        if self._client is None:
            assert self.connect is not None
            self._client = self.connect()
        return self._client

    def _analyse(self, row: dict[str, Any], found: list[dict[str, Any]], scenario: dict[str, Any] | None) -> dict[str, Any]:
        try:
            prompt = self.template.render(template_row(found, scenario))
        except TemplateRenderError as exc:  # this row's failure, never the run's
            return _failed(row, f"{TEMPLATE_ERROR}{exc.summary}")
        schema = self.template.answer_schema()
        key = self.completions.key(prompt, self.settings.params(), schema)
        completion = self.completions.lookup(key)  # a damaged entry is a miss
        if completion is None:
            self._calls += 1
            client = self._client_or_start()  # outside the per-row except: a start failure ends the run
            try:
                completion = client.complete(
                    prompt, n_predict=self.settings.n_predict, json_schema=schema, temperature=0.0,
                    seed=self.settings.seed,
                )
            except (LlamaRequestError, LlamaServerError) as exc:
                return _failed(row, f"transport error: {exc}")
            if not self.completions.store(key, completion):
                self._write_errors += 1
        parsed = parse_answer(completion.content, finished=completion.finished)
        return {**row, "parse_ok": parsed.ok, "risk_score": parsed.answer.risk_score if parsed.ok else None,
                "risk_level": parsed.answer.risk_level if parsed.ok else None, "error": parsed.error,
                "raw_output": completion.content}

    def run(self, ground_truth: pd.DataFrame, scenarios: pd.DataFrame) -> tuple[pd.DataFrame, LocalRunStats]:
        """One row per ground-truth image, in its order."""
        by_hash = scenarios.set_index("scenario_hash").to_dict("index")
        self._calls, self._write_errors = 0, 0
        rows, detect_times = [], []
        for gt in ground_truth.to_dict("records"):
            row = {"path": gt["path"], "category": gt["category"], "detections": "[]"}
            try:
                if gt.get("image_error"):
                    raise ImageRejected(gt["image_error"])
                start = time.perf_counter()
                found = self.detector.detect(load_rgb(Path(gt["path"]), self.images_dir))
                detect_times.append(time.perf_counter() - start)
            except ImageRejected as exc:
                rows.append(_failed(row, f"{IMAGE_REJECTED}: {exc}"))
                continue
            scenario = by_hash.get(gt["scenario_hash"]) if gt["scenario_hash"] else None
            if scenario is not None:
                scenario = {**scenario, "scenario_hash": gt["scenario_hash"]}
            row["detections"] = json.dumps(found)
            if not found:
                rows.append(_failed(row, "detector found nothing; no analysis"))
            elif self.connect is None:
                rows.append(_failed(row, "no analysis: the llm resource is off"))
            else:
                rows.append(self._analyse(row, found, scenario))
        df = pd.DataFrame(rows)
        df["risk_score"] = df["risk_score"].astype("Int16")
        return df, LocalRunStats(self._calls, tuple(detect_times), self._write_errors)
