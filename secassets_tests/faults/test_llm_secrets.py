"""Run config cannot pair a secret with a URL, nor move the managed server off loopback.

Attacks come the way a launchpad user would send them (run config of a real materialization); loopback
receivers record whatever reaches them. The key under test is a fresh random string in a variable only
the deployment's endpoint table names, so finding it anywhere else is a leak.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import httpx
import pytest
from pydantic import ValidationError

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.evaluation_runs import evaluation_instance, key, model_of
from secassets_tests.faults.test_server_crash import marked_model, marked_processes, prepare_evaluation_inputs
from secassets_tests.http_doubles import reply

pytestmark = pytest.mark.integration

KEY_ENV = "SECASSETS_TEST_LLM_KEY"
EVAL_CONFIG = {"evaluation_size": 2, "n_predict": 32, "edge_cases_per_family": 0, "curated_size": 0}


@contextmanager
def recording(forward_to: str | None = None) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback receiver that records every request (path and headers); with forward_to, a recording proxy."""
    seen: list[dict[str, str]] = []

    class Recorder(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"method": self.command, "path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            status, ctype, out = 200, "application/json", b"{}"
            if forward_to is not None:
                r = httpx.request(self.command, f"{forward_to}{self.path}", content=body or None, timeout=120,
                                  headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
                status, ctype, out = r.status_code, r.headers.get("content-type", "text/plain"), r.content
            reply(self, status, out, ctype)

        do_GET = do_POST = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _materialize(data_dir, llm, run_config, instance=None):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(data_dir), llm=llm), run_config=run_config,
        partition_key=key("basic", model_of(llm)), instance=instance or evaluation_instance(model_of(llm)),
        raise_on_error=False,
    )


def test_launchpad_config_cannot_send_a_key_to_its_own_url(tmp_path, monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", f"nvapi-{uuid.uuid4().hex}")
    with recording() as (url, seen):
        attack = {"resources": {"llm": {"config": {"mode": "attached", "api_key_env": "NVIDIA_API_KEY",
                                                   "base_urls": [url]}}}}
        with pytest.raises(dg.DagsterInvalidConfigError, match="unexpected config entr") as info:
            _materialize(tmp_path, LlamaServerResource(mode="off"), attack)
        assert "api_key_env" in str(info.value) and "base_urls" in str(info.value)
        with pytest.raises(dg.DagsterInvalidConfigError):  # the nightly job's launchpad is no different
            nightly = defs.resolve_job_def("nightly_prompt_evaluation")
            nightly.execute_in_process(run_config=attack, partition_key=key("basic"), instance=evaluation_instance())
        # the launchpad cannot even pick which binary runs or which model file it loads
        for field, value in (("binary", "/bin/sh"), ("model_path", "/etc/passwd"), ("endpoints", ["nvidia"])):
            with pytest.raises(dg.DagsterInvalidConfigError, match=field):
                _materialize(tmp_path, LlamaServerResource(mode="off"), {"resources": {"llm": {"config": {field: value}}}})
        # a deployment naming an endpoint it does not configure fails before any request
        result = _materialize(tmp_path, LlamaServerResource(mode="attached", endpoints=["evil"]), {})
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
        assert "names endpoint 'evil', which this deployment does not configure" in str(failure.event_specific_data)
    assert seen == []


def test_extra_args_cannot_move_the_server_off_loopback(tmp_path):
    model, marker = marked_model(tmp_path)
    for flags in (["--host", "0.0.0.0"], ["--port=80"], ["-m", "/etc/passwd"], ["--api-key", "x"]):
        with pytest.raises(ValidationError, match=f"extra_args may not contain {flags[0].split('=')[0]}"):
            LlamaServerResource(model_path=str(model), extra_args=flags)
    assert marked_processes(marker) == {}  # no server was started
    # and the command line puts the resource's own flags last, so they win over anything that slipped in
    from secassets.llm.server import ServerSettings

    cmd = ServerSettings(model_path=model, extra_args=["-fa", "on"]).command(8123)
    assert cmd.index("-fa") < cmd.index("--host") and cmd[cmd.index("--host") + 1] == "127.0.0.1"


@pytest.mark.parametrize(("field", "value"), [
    ("ctx_size", 0), ("parallel", 0), ("port", 70000), ("max_retries", 99), ("request_timeout_s", float("inf")),
    ("startup_timeout_s", -1.0), ("n_gpu_layers", -1), ("threads", -2), ("max_restarts", 11),
])
def test_numeric_llm_settings_are_bounded(field, value):
    with pytest.raises(ValidationError, match=field):
        LlamaServerResource(mode="off", **{field: value})


def test_an_endpoint_key_reaches_only_its_own_url_and_is_never_recorded(tmp_path, monkeypatch, llama_server):
    key = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv(KEY_ENV, key)
    data_dir = prepare_evaluation_inputs(tmp_path / "data")
    with recording(forward_to=llama_server.base_url) as (proxy, via_proxy), recording() as (other, at_other):
        monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({
            "keyed": {"base_url": proxy, "api_key_env": KEY_ENV},
            "other": {"base_url": other},
        }))
        instance = evaluation_instance("keyed", "other")
        result = _materialize(data_dir, LlamaServerResource(mode="attached", endpoints=["keyed"]),
                              {"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}}, instance=instance)
        assert result.success
        # a deployment on another configured endpoint: the key does not follow it there
        result_other = _materialize(data_dir, LlamaServerResource(mode="attached", endpoints=["other"]),
                                    {"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}}, instance=instance)
    assert any(r["path"] == "/completion" for r in via_proxy)
    assert all(r.get("authorization") == f"Bearer {key}" for r in via_proxy)  # every request to its own URL
    assert at_other and all("authorization" not in r for r in at_other)
    assert not result_other.success  # the recorder is no LLM server: it fails verification, keyless
    leaks = 0
    for run in (result, result_other):
        for entry in instance.all_logs(run.run_id):
            leaks += key in json.dumps(entry.user_message) + repr(entry.dagster_event)
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    leaks += sum(key.encode() in p.read_bytes() for p in files)
    assert leaks == 0, "the key appeared in the event log, metadata or an output file"
