"""The local pipeline without Dagster or a server: cached answers, failure rows, a server that cannot start."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from secassets.evaluation.runner import EvaluationSettings
from secassets.evaluation.template_files import builtin_templates
from secassets.llm.cache import ResponseCache
from secassets.llm.cached_model import CachedCompletions
from secassets.llm.client import Completion, LlamaRequestError
from secassets.llm.server import LlamaServerError
from secassets.multimodal.local_pipeline import LocalPipeline, template_row

PERSON = [{"class": "person", "confidence": 0.9, "box": [0.1, 0.2, 0.3, 0.9]}]
ANSWER = Completion(
    content=json.dumps({"risk_score": 72, "risk_level": "high", "summary": "person", "reasoning": "a person at night"}), stop_type="eos",
    prompt_tokens=10, completion_tokens=5, cached_tokens=0, latency_s=0.1, base_url="http://127.0.0.1:1",
)


class FixedDetector:
    def __init__(self, found):
        self.found = found

    def detect(self, rgb):
        return self.found


class FakeClient:
    def __init__(self, error: Exception | None = None):
        self.error, self.prompts = error, []

    def complete(self, prompt, **kwargs):
        self.prompts.append(prompt)
        if self.error is not None:
            raise self.error
        return ANSWER


def _images(tmp_path, names=("a.png", "b.png")):
    images = tmp_path / "images" / "threat"
    images.mkdir(parents=True)
    for name in names:
        Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(images / name)
    gt = pd.DataFrame({"path": [str(images / n) for n in names], "category": "threat", "scenario_hash": None,
                       "image_error": None})
    return tmp_path / "images", gt


def _pipeline(tmp_path, images_dir, found, connect, model_id="m"):
    completions = CachedCompletions(ResponseCache(tmp_path / "cache"), model_id)
    return LocalPipeline(FixedDetector(found), builtin_templates()["basic"], completions, connect, images_dir, EvaluationSettings())


def test_template_row_maps_normalized_boxes_to_frame_pixels_and_an_unknown_scene():
    row = template_row(PERSON, None)
    assert row["camera_location"] == "unknown camera" and row["enrichment_context"] is None
    [d] = json.loads(row["detections"])
    assert d["object_type"] == "person" and d["bbox"] == {"x": 192, "y": 216, "w": 384, "h": 756}


def test_one_server_call_per_new_prompt_then_every_answer_from_the_cache(tmp_path):
    images_dir, gt = _images(tmp_path)
    client = FakeClient()
    df, stats = _pipeline(tmp_path, images_dir, PERSON, lambda: client).run(gt, pd.DataFrame({"scenario_hash": []}))
    assert df["parse_ok"].all() and df["risk_score"].tolist() == [72, 72] and str(df["risk_score"].dtype) == "Int16"
    assert stats.server_calls == 1 and len(client.prompts) == 1  # two images, one prompt: the second is a cache hit

    def no_server():
        raise AssertionError("a cached run must not start the server")

    again, stats = _pipeline(tmp_path, images_dir, PERSON, no_server).run(gt, pd.DataFrame({"scenario_hash": []}))
    assert stats.server_calls == 0 and again.equals(df)


def test_rows_without_an_analysis_say_why(tmp_path):
    images_dir, gt = _images(tmp_path)
    gt.loc[0, "image_error"] = "a.png is not a PNG/JPEG/WEBP/BMP image"
    off, _ = _pipeline(tmp_path, images_dir, PERSON, None).run(gt, pd.DataFrame({"scenario_hash": []}))
    assert off["error"].tolist() == ["image rejected: a.png is not a PNG/JPEG/WEBP/BMP image",
                                     "no analysis: the llm resource is off"]
    nothing, _ = _pipeline(tmp_path, images_dir, [], None).run(gt.iloc[1:], pd.DataFrame({"scenario_hash": []}))
    assert nothing["error"].tolist() == ["detector found nothing; no analysis"] and not nothing["parse_ok"].any()


def test_a_failed_request_is_a_row_but_a_server_that_cannot_start_ends_the_run(tmp_path):
    images_dir, gt = _images(tmp_path)
    failing = FakeClient(LlamaRequestError("timed out after 3 retries"))
    df, stats = _pipeline(tmp_path, images_dir, PERSON, lambda: failing).run(gt, pd.DataFrame({"scenario_hash": []}))
    assert df["error"].tolist() == ["transport error: timed out after 3 retries"] * 2 and stats.server_calls == 2
    assert df["raw_output"].isna().all() and not list((tmp_path / "cache").glob("*/*.json"))

    def cannot_start():
        raise LlamaServerError("not a GGUF")

    with pytest.raises(LlamaServerError, match="not a GGUF"):
        _pipeline(tmp_path, images_dir, PERSON, cannot_start).run(gt, pd.DataFrame({"scenario_hash": []}))
