import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image
from skimage import data

from secassets.llm.cache import ResponseCache
from secassets.llm.endpoints import Endpoint
from secassets.multimodal.detector import ObjectDetector
from secassets.multimodal.matching import compare_image, iou, match
from secassets.multimodal.scenes import RENDER_HEIGHT, RENDER_WIDTH, render_scene
from secassets.multimodal.vision import VisionClient, VisionError

ROW = {
    "scenario_type": "threat", "camera_location": "backyard", "time_of_day": "midday", "scenario_hash": "ab" * 32,
    "detections": json.dumps([
        {"object_type": "person", "confidence": 0.9, "bbox": {"x": 300, "y": 200, "w": 400, "h": 800}, "timestamp_offset_seconds": 1},
        {"object_type": "car", "confidence": 0.9, "bbox": {"x": 900, "y": 300, "w": 500, "h": 300}, "timestamp_offset_seconds": 2},
    ]),
}


def test_rendering_records_exact_boxes_and_what_it_could_not_draw(tmp_path):
    scene = render_scene(ROW, tmp_path)
    assert scene.path.exists() and scene.path.parent.name == "threat"
    # 1920x1080 scenario box (300,200,400,800) -> 960x540 pixels (150,100)-(350,500) -> normalized
    assert scene.objects == [{"class": "person", "box": [round(150 / 960, 4), round(100 / 540, 4), round(350 / 960, 4), round(500 / 540, 4)]}]
    assert scene.not_rendered == ["car"]
    img = Image.open(scene.path)
    assert img.size == (RENDER_WIDTH, RENDER_HEIGHT)
    again = render_scene(ROW, tmp_path / "again")
    assert again.image_sha256 == scene.image_sha256  # same scenario, same bytes


def test_iou_and_class_aware_matching_on_hand_made_boxes():
    assert iou([0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5]) == 1.0
    assert iou([0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5]) == pytest.approx(1 / 3)
    assert iou([0, 0, 0.1, 0.1], [0.5, 0.5, 0.6, 0.6]) == 0.0
    truth = [{"class": "person", "box": [0, 0, 0.5, 0.5]}]
    assert match(truth, [{"class": "car", "box": [0, 0, 0.5, 0.5]}]) == []  # class mismatch never matches
    result = compare_image(truth, [{"class": "person", "box": [0, 0, 0.5, 0.5]}, {"class": "dog", "box": [0.6, 0.6, 0.9, 0.9]}], 80, 70)
    assert (result["precision"], result["recall"], result["share_iou_over_05"]) == (0.5, 1.0, 1.0)
    assert result["risk_aligned"] and result["level_agreement"]
    assert not compare_image(truth, [], 80, None)["risk_aligned"]


def test_the_local_detector_finds_a_person_in_a_real_photo():
    found = ObjectDetector().detect(data.astronaut())
    people = [d for d in found if d["class"] == "person"]
    assert people and people[0]["confidence"] > 0.6
    x0, y0, x1, y1 = people[0]["box"]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


class _VisionDouble(BaseHTTPRequestHandler):
    """Test double for the remote vision API: canned answers, with a 503 and a malformed one on demand."""

    script: ClassVar[list[tuple[int, str]]] = []
    calls: ClassVar[int] = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        _VisionDouble.calls += 1
        status, content = _VisionDouble.script.pop(0)
        body = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


GOOD = json.dumps({
    "description": "A person in the backyard.", "detected_objects": [{"class": "person", "confidence": 0.9, "box": [0.1, 0.2, 0.3, 0.9]}],
    "risk_assessment": {"score": 72, "level": "high", "reasoning": "person at night", "concerning_factors": ["night"], "mitigating_factors": []},
    "scene": {"lighting": "dark", "weather": "clear", "activity": "walking", "location": "backyard"},
})


@pytest.fixture
def vision_server():
    _VisionDouble.calls = 0
    server = HTTPServer(("127.0.0.1", 0), _VisionDouble)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_vision_client_retries_parses_and_caches_only_real_answers(vision_server, tmp_path):
    image = tmp_path / "x.png"
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(image)
    cache = ResponseCache(tmp_path / "cache")
    client = VisionClient(Endpoint(name="vlm", base_url=vision_server), "vlm", cache, backoff_s=0.01)
    _VisionDouble.script = [(503, ""), (200, "not json at all")]
    with pytest.raises(VisionError, match="no JSON object"):
        client.analyse(image)
    assert len(cache) == 0  # neither the 503 nor the malformed answer was cached
    _VisionDouble.script = [(200, "Here you go: " + GOOD)]
    answer, cached = client.analyse(image)
    assert not cached and answer.risk_assessment.score == 72 and answer.detected_objects[0].class_ == "person"
    calls = _VisionDouble.calls
    answer2, cached2 = client.analyse(image)
    assert cached2 and answer2 == answer and _VisionDouble.calls == calls and len(cache) == 1


def test_multimodal_checks_fail_below_their_minimums():
    from secassets.defs.multimodal.multimodal_checks import multimodal_iou_share, multimodal_risk_alignment

    report = {"overall": {"share_iou_over_05": 0.2, "risk_alignment": 0.8}, "thresholds": {"min_iou_share": 0.5, "min_risk_alignment": 0.5}}
    assert not multimodal_iou_share(report).passed
    assert multimodal_risk_alignment(report).passed
