"""Attached endpoints must prove what they are before a run trusts them; their identity is the model, not the URL.

A loopback test double answering 501 (or an HTML page) stands in for "some HTTP server at the configured
URL"; the real llama.cpp server (session fixture `llama_server`) is the endpoint that passes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.llm.device import EndpointProbeError, probe_endpoint
from secassets.llm.server import BUNDLED_MODEL_FILE, LlamaServerError
from secassets_tests.evaluation_runs import evaluation_instance, key, output
from secassets_tests.faults.test_server_crash import prepare_evaluation_inputs
from secassets_tests.http_doubles import reply

pytestmark = pytest.mark.integration

EVAL_CONFIG = {"evaluation_size": 2, "n_predict": 32, "edge_cases_per_family": 0, "curated_size": 0}


class _Answering(BaseHTTPRequestHandler):
    status, content_type, body = 501, "text/plain", b"Not Implemented"
    requests: list[str]

    def _answer(self) -> None:
        self.requests.append(f"{self.command} {self.path}")
        reply(self, self.status, self.body, self.content_type)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class ServerThatAnswers501(_Answering):
    """Test double: any HTTP server that is not an LLM server (every request: 501)."""


class ServerThatServesHtml(_Answering):
    """Test double: a web page where the LLM server should be (every request: 200 text/html)."""

    status, content_type, body = 200, "text/html", b"<html><body>welcome</body></html>"


class OpenAIModelsOnly(_Answering):
    """Test double: an OpenAI-compatible endpoint's model list (as NVIDIA or vLLM answer /v1/models)."""

    status, content_type = 200, "application/json"
    body = json.dumps({"object": "list", "data": [{"id": "nvidia/nemotron-nano", "object": "model"}]}).encode()


@contextmanager
def serving(handler: type[_Answering]) -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type(handler.__name__, (handler,), {"requests": requests}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _endpoints(monkeypatch, **urls: str) -> None:
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({name: {"base_url": url} for name, url in urls.items()}))


def _evaluate(data_dir: Path, endpoint: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="attached", endpoints=[endpoint])),
        run_config={"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}}, partition_key=key("basic", endpoint),
        raise_on_error=False, instance=evaluation_instance(endpoint),
    )


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, llama_server) -> Path:
    """A partition written through the real server, attached by name: the output an imposter must not touch."""
    data_dir = prepare_evaluation_inputs(tmp_path_factory.mktemp("attached"))
    with pytest.MonkeyPatch.context() as mp:
        _endpoints(mp, real=llama_server.base_url)
        result = _evaluate(data_dir, "real")
    assert result.success
    meta = result.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert BUNDLED_MODEL_FILE in meta["model"].value and meta["server_calls"].value == 2
    return data_dir


@pytest.mark.parametrize("imposter", [ServerThatAnswers501, ServerThatServesHtml])
def test_a_server_that_is_not_llama_cpp_fails_the_step_and_keeps_the_previous_output(
    evaluated, monkeypatch, llama_server, imposter
):
    data_dir = evaluated
    evaluated_output = output(data_dir, "basic", "real")
    before = evaluated_output.read_bytes()
    cache_before = sorted(p.name for p in (data_dir / "prompt_evaluations" / "cache").rglob("*.json"))

    with serving(imposter) as (url, requests):
        _endpoints(monkeypatch, real=llama_server.base_url, imposter=url)
        result = _evaluate(data_dir, "imposter")
    assert not result.success
    message = result.failure_data_for_node("prompt_evaluations").error.message
    assert f"endpoint imposter at {url} is not a llama.cpp or OpenAI-compatible server" in message
    assert "/props: HTTP" in message and "SECASSETS_ENDPOINTS" in message  # what was seen, and where to fix it
    assert not any(r.startswith("POST") for r in requests)  # nothing was evaluated against it
    assert evaluated_output.read_bytes() == before  # the partition's previous output is untouched
    assert not output(data_dir, "basic", "imposter").exists()
    assert sorted(p.name for p in (data_dir / "prompt_evaluations" / "cache").rglob("*.json")) == cache_before


def test_an_attached_llama_cpp_server_is_identified_by_its_model_not_its_url(monkeypatch, llama_server):
    _endpoints(monkeypatch, real=llama_server.base_url,
               alias=llama_server.base_url.replace("127.0.0.1", "localhost"))
    identity = LlamaServerResource(mode="attached", endpoints=["real"]).model_identity()
    assert BUNDLED_MODEL_FILE in identity and "ctx/slot=2048" in identity  # 8192 over 4 slots
    assert str(llama_server.port) not in identity and "127.0.0.1" not in identity
    # the same server under another name is the same model: same cache keys; replicas must agree
    assert LlamaServerResource(mode="attached", endpoints=["alias"]).model_identity() == identity
    assert LlamaServerResource(mode="attached", endpoints=["real", "alias"]).model_identity() == identity


def test_an_openai_compatible_endpoint_is_identified_by_its_model(monkeypatch):
    with serving(OpenAIModelsOnly) as (url, _):
        probe = probe_endpoint("hosted", url, {})
        assert probe.kind == "openai" and probe.identity.startswith("openai:nvidia/nemotron-nano via 127.0.0.1:")
        with pytest.raises(EndpointProbeError, match="does not serve model 'gpt-4'.*nvidia/nemotron-nano"):
            probe_endpoint("hosted", url, {}, model="gpt-4")
        _endpoints(monkeypatch, hosted=url)
        assert LlamaServerResource(mode="attached", endpoints=["hosted"]).model_identity() == probe.identity


def test_an_unreachable_or_unknown_endpoint_names_the_fix(monkeypatch):
    from secassets.llm.server import free_port

    _endpoints(monkeypatch, gone=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(LlamaServerError, match="endpoint gone at .* is not reachable .*SECASSETS_ENDPOINTS"):
        LlamaServerResource(mode="attached", endpoints=["gone"]).model_identity()
    with pytest.raises(LlamaServerError, match="names endpoint 'elsewhere'.*SECASSETS_ENDPOINTS"):
        LlamaServerResource(mode="attached", endpoints=["elsewhere"]).client()
