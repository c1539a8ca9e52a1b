"""The worker process and its channel: endpoint handshake, logs kept apart, failures with their reason."""

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from secassets.llm.server import LlamaServerError
from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.llm_passes import LLMColumnSettings
from secassets.scenarios.worker import ScenarioGenerationError, generate_scenarios
from secassets_tests.http_doubles import reply_json

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ["relevance", "risk_calibration", "context_usage", "reasoning_quality", "threat_identification", "actionability"]


@pytest.mark.integration
def test_stray_output_of_the_worker_goes_to_stderr_and_only_messages_to_stdout():
    code = (
        "import os\n"
        "from secassets.scenarios.worker_protocol import Finished, ParentChannel\n"
        "channel = ParentChannel.take_stdio()\n"
        "print('a stray print')\n"
        "os.write(1, b'a raw write\\n')\n"
        "channel.finished(Finished(generated_rows=1, duplicates_removed=0))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ('{"type":"finished","generated_rows":1,"duplicates_removed":0,"llm":null,'
                           '"content_draws_total":0,"content_draws_max":0}\n')
    assert "a stray print" in done.stderr and "a raw write" in done.stderr


@pytest.mark.integration
def test_an_llm_that_cannot_start_fails_generation_with_its_reason(tmp_path):
    """Test double: an endpoint provider whose server never comes up."""

    def dead_server_endpoint() -> tuple[str, int]:
        raise LlamaServerError("llama.cpp server exited with code 1 before /health answered")

    spec = SamplerSpec(num_scenarios=20)
    yaml_path = write_sampler_yaml(sampler_config_builder(spec), Path(tmp_path) / "s.yaml")
    settings = LLMColumnSettings(rows=2, model_id="test", cache_dir=Path(tmp_path) / "cache")
    with pytest.raises(ScenarioGenerationError, match="not available: llama.cpp server exited with code 1"):
        generate_scenarios(spec, yaml_path, Path(tmp_path) / "work", llm=settings, endpoint=dead_server_endpoint)


class _FakeOpenAI(BaseHTTPRequestHandler):
    """Test double of an OpenAI-compatible server: a judge answer for judge prompts, a line of text otherwise."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = json.dumps(body["messages"])
        if "risk_calibration" in prompt:
            content = json.dumps({r: {"reasoning": "ok", "score": 3} for r in RUBRICS})
        else:
            content = "Text " + hashlib.sha256(prompt.encode()).hexdigest()[:8]
        answer = {
            "id": "1", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        reply_json(self, answer)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def fake_openai() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.integration
def test_the_worker_asks_for_the_endpoint_only_on_a_cache_miss(tmp_path, fake_openai):
    spec = SamplerSpec(num_scenarios=40)
    yaml_path = write_sampler_yaml(sampler_config_builder(spec), tmp_path / "s.yaml")
    settings = LLMColumnSettings(rows=4, model_id="fake", cache_dir=tmp_path / "cache")
    asked: list[int] = []

    def endpoint() -> tuple[str, int]:
        asked.append(1)
        return fake_openai, 2

    logs: list[list[str]] = [[], []]
    results = [generate_scenarios(spec, yaml_path, tmp_path / "work", llm=settings, endpoint=endpoint, log=log.append)
               for log in logs]
    assert len(asked) == 1  # the second run is answered from the cache: no endpoint, so no server
    first, again = results
    assert (first.llm.attempted, first.llm.succeeded, first.llm.judge_unparsed, first.llm.cache_hits) == (4, 4, 0, 0)
    assert again.llm.cache_hits == 8  # 4 text rows + 4 judge rows
    assert (first.scenarios["generation_mode"] == "llm").sum() == 4
    assert first.scenarios.equals(again.scenarios)
    assert f"LLM endpoint {fake_openai} (2 slots)" in logs[0]
    assert "Data Designer text pass: 4 of 4 rows from the cache" in logs[1]
    assert not any(line.startswith("{") for line in logs[0] + logs[1])  # messages never reach the log
