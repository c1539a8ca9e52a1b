"""Keys stay home: run config cannot pair a secret with a URL or move the output folder.

The attacker has the launchpad: they set api_key_env/base_url on the model resources and
base_dir on the file resources. Each is rejected as unknown config before the run starts, and a
loopback recorder (a test double standing in for the attacker's server) receives nothing. An
endpoint the deployment registers gets its own key and only it, and no key reaches the event log,
metadata or files.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from dagster_shared.serdes import serialize_value

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.multimodal.scenes import PHOTO_CROPS
from secassets_tests.http_doubles import reply_json

pytestmark = pytest.mark.integration

RECORDER_KEY = "recorder-key-7f3a9c"  # sentinel values, never real keys
NVIDIA_KEY = "nvidia-key-b81d22"
VISION_ANSWER = json.dumps({
    "description": "A person in the yard.", "detected_objects": [{"class": "person", "confidence": 0.9, "box": [0.1, 0.2, 0.3, 0.9]}],
    "risk_assessment": {"score": 40, "level": "medium", "reasoning": "person", "concerning_factors": [], "mitigating_factors": []},
    "scene": {"lighting": "day"},
})


class RecordingEndpoint:
    """Test double for a model endpoint: records every request and answers like an OpenAI-compatible server.

    /v1/embeddings: a unit vector per input, seeded by the text; /v1/chat/completions: a fixed vision answer.
    """

    def __init__(self, dim: int = 384) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": None})
                self.send_response(404)
                self.end_headers()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                recorder.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
                if self.path == "/v1/embeddings":
                    answer: dict[str, Any] = {"data": [{"index": i, "embedding": _vector(t, dim)} for i, t in enumerate(body["input"])]}
                elif self.path == "/v1/chat/completions":
                    answer = {"choices": [{"message": {"content": VISION_ANSWER}}]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                reply_json(self, answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _vector(text: str, dim: int) -> list[float]:
    rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
    v = rng.normal(size=dim)
    return (v / np.linalg.norm(v)).tolist()


@pytest.fixture
def recorder() -> Iterator[RecordingEndpoint]:
    endpoint = RecordingEndpoint()
    yield endpoint
    endpoint.close()


def small_data_dir(scenario_run: tuple[Any, Path], target: Path, per_type: int = 2) -> Path:
    """A data folder with a few renderable scenarios of each type (copied from the session's real run)."""
    _, data_dir = scenario_run
    scenarios = pd.read_parquet(data_dir / "scenarios.parquet")
    renderable = scenarios[scenarios["detections"].map(lambda d: any(x["object_type"] in PHOTO_CROPS for x in json.loads(d)))]
    subset = renderable.groupby("scenario_type", group_keys=False).head(per_type).reset_index(drop=True)
    target.mkdir(parents=True, exist_ok=True)
    subset.to_parquet(target / "scenarios.parquet", index=False)
    return target


ATTEMPTS = {
    "vision_model": {"api_key_env": "NVIDIA_API_KEY", "base_url": "{url}"},
    "embedding_model": {"provider": "openai", "model": "x", "api_key_env": "NVIDIA_API_KEY", "base_url": "{url}"},
    "local_files": {"base_dir": "{elsewhere}"},
    "io_manager": {"base_dir": "{elsewhere}"},
}


@pytest.mark.parametrize("resource", sorted(ATTEMPTS))
def test_launchpad_config_cannot_redirect_a_key_or_an_output_folder(resource, recorder, tmp_path, monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", NVIDIA_KEY)
    elsewhere = tmp_path / "elsewhere"
    config = {k: v.format(url=recorder.url, elsewhere=elsewhere) for k, v in ATTEMPTS[resource].items()}
    data = tmp_path / "data"
    with pytest.raises(dg.DagsterInvalidConfigError) as info:
        dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.assets("sampler_config", "scenario_embeddings", "multimodal_ground_truth"),
            resources=build_resources(str(data), llm=LlamaServerResource(mode="off")),
            run_config={"resources": {resource: {"config": config}}},
        )
    message = str(info.value)
    rejected = [k for k in ("base_dir", "api_key_env", "base_url") if k in config]
    assert "Received unexpected config entr" in message and f"resources:{resource}:config" in message
    assert all(k in message for k in rejected)
    assert recorder.requests == []  # nothing was sent, with or without a key
    assert not elsewhere.exists() and not data.exists()  # nothing was written anywhere


def test_an_unknown_endpoint_name_fails_clearly_and_sends_nothing(scenario_run, recorder, tmp_path, monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", NVIDIA_KEY)
    monkeypatch.delenv("SECASSETS_ENDPOINTS", raising=False)
    data = small_data_dir(scenario_run, tmp_path / "data", per_type=1)
    result = dg.materialize(
        [*defs.assets], selection=dg.AssetSelection.assets("multimodal_ground_truth"),
        resources=build_resources(str(data), llm=LlamaServerResource(mode="off")),
        run_config={"resources": {"vision_model": {"config": {"endpoint": recorder.url}}}},
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert "vision_model.endpoint names endpoint" in description and "SECASSETS_ENDPOINTS" in description
    assert recorder.requests == []
    assert not (data / "multimodal_ground_truth.parquet").exists()


def test_a_registered_endpoint_gets_its_own_key_and_no_key_is_stored(scenario_run, recorder, tmp_path, monkeypatch):
    table = {"recorder": {"base_url": recorder.url, "api_key_env": "SECASSETS_TEST_RECORDER_KEY", "model": "rec-model"}}
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps(table))
    monkeypatch.setenv("SECASSETS_TEST_RECORDER_KEY", RECORDER_KEY)
    monkeypatch.setenv("NVIDIA_API_KEY", NVIDIA_KEY)
    data = small_data_dir(scenario_run, tmp_path / "data")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.assets("scenario_embeddings", "multimodal_ground_truth"),
            resources=build_resources(str(data), llm=LlamaServerResource(mode="off")),
            run_config={
                "resources": {
                    "embedding_model": {"config": {"provider": "openai", "endpoint": "recorder"}},
                    "vision_model": {"config": {"endpoint": "recorder"}},
                },
                "ops": {"multimodal_ground_truth": {"config": {"images_per_category": 1}}},
            },
            instance=instance,
        )
        assert result.success
        logs = [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    paths = [r["path"] for r in recorder.requests]
    assert paths.count("/v1/chat/completions") == 4 and "/v1/embeddings" in paths
    assert {r["authorization"] for r in recorder.requests} == {f"Bearer {RECORDER_KEY}"}  # its key, never NVIDIA's
    assert {r["body"]["model"] for r in recorder.requests} == {"rec-model"}
    gt = pd.read_parquet(data / "multimodal_ground_truth.parquet")
    assert (gt["source"] == "vision_model").all()
    assert result.asset_materializations_for_node("scenario_embeddings")[-1].metadata["model"].value == "rec-model"
    stored = [p.read_bytes() for p in data.rglob("*") if p.is_file()]
    leaks = [
        where for where, blobs in (("event log", [s.encode() for s in logs]), ("files", stored))
        for key in (RECORDER_KEY, NVIDIA_KEY) for blob in blobs if key.encode() in blob
    ]
    assert logs and stored and leaks == []


def test_no_partition_key_or_part_leaves_the_output_folder(tmp_path):
    from secassets.defs.resources.local_files import LocalFilesIOManager
    from secassets.storage.layout import inside

    assert inside(tmp_path, "scenarios", "x.parquet") == tmp_path / "scenarios" / "x.parquet"
    for parts in (("..", "x"), ("/etc", "passwd"), ("a/../../x",)):
        with pytest.raises(ValueError, match="not one plain file or folder name"):
            inside(tmp_path, *parts)
    for key in ("../../../evil", "smollm2-135m|../../scenarios", "../x|basic"):
        context = dg.build_output_context(asset_key=dg.AssetKey("prompt_evaluations"), partition_key=key)
        with pytest.raises(ValueError, match="prompt_evaluations partition key.*not valid: it must be"):
            LocalFilesIOManager(tmp_path / "data").handle_output(context, {"x": 1})
    assert list(tmp_path.rglob("*")) == []
