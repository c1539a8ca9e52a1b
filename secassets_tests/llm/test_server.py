"""The managed llama.cpp server and its client against a real server and the bundled GGUF model."""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from secassets.core.rows import RiskAnalysis
from secassets.llm.client import LlamaClient, LlamaRequestError
from secassets.llm.server import LlamaServerError, ManagedLlamaServer, ServerSettings, bundled_model_path, pid_alive

pytestmark = pytest.mark.integration

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
        "risk_level": {"type": "string", "enum": ["low", "medium", "high", "critical"]},
        "summary": {"type": "string", "minLength": 1, "maxLength": 120},
        "reasoning": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "required": ["risk_score", "risk_level", "summary", "reasoning"],
    "additionalProperties": False,
}


def _prompt(text: str) -> str:
    return (
        "<|im_start|>system\nYou are a home-security analyst. Answer in JSON.<|im_end|>\n"
        f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"
    )


def test_health_props_and_binding(llama_server):
    client = LlamaClient([llama_server.base_url], capacities=[4])
    assert client.health()[llama_server.base_url] == {"status": "ok"}
    assert client.props()[llama_server.base_url]["total_slots"] == 4
    assert llama_server.base_url.startswith("http://127.0.0.1:")
    # bound to loopback only: the machine's other addresses refuse
    import socket

    other = socket.gethostbyname(socket.gethostname())
    if not other.startswith("127."):
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://{other}:{llama_server.port}/health", timeout=2)


def test_completion_with_json_schema_is_schema_valid(llama_server):
    client = LlamaClient([llama_server.base_url], capacities=[4])
    result = client.complete(_prompt("A person is trying door handles at 3 am. Rate the risk."), n_predict=300,
                             json_schema=ANSWER_SCHEMA)
    assert result.finished, result
    answer = RiskAnalysis.model_validate(json.loads(result.content))
    assert 0 <= answer.risk_score <= 100
    assert result.prompt_tokens > 0 and result.completion_tokens > 0


def test_concurrency_reaches_the_slot_count(llama_server):
    client = LlamaClient([llama_server.base_url], capacities=[4])
    busy_max = 0
    done = threading.Event()

    def watch():
        nonlocal busy_max
        with httpx.Client() as http:
            while not done.is_set():
                slots = http.get(f"{llama_server.base_url}/slots", timeout=5).json()
                busy_max = max(busy_max, sum(1 for s in slots if s.get("is_processing")))
                time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        prompts = [_prompt(f"Describe camera event number {i} in detail.") for i in range(8)]
        results = list(client.map(lambda p: client.complete(p, n_predict=48, extra={"ignore_eos": True}), prompts))
    finally:
        done.set()
        watcher.join()
    assert len(results) == 8
    assert busy_max == 4


def _kill_server(server):
    """Fault injection: SIGKILL the llama.cpp process itself (not its guard) and wait until it is gone."""
    os.kill(server.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not server.alive()


def test_a_killed_server_is_restarted_per_crash_then_fails_clearly():
    settings = ServerSettings(model_path=bundled_model_path(), parallel=1, ctx_size=2048, max_restarts=1)
    server = ManagedLlamaServer(settings)
    server.start()
    client = LlamaClient(
        [server.base_url], capacities=[1], on_connection_error=lambda _url: server.restart_after_crash(), backoff_s=0.2
    )
    try:
        first_pid, first_guard = server.pid, server.guard_pid
        assert first_pid != first_guard  # the real server, behind its lifeline guard
        _kill_server(server)
        result = client.complete(_prompt("Say ok."), n_predict=8)
        assert result.completion_tokens > 0
        assert server.restarts == 1 and server.pid != first_pid
        assert not pid_alive(first_pid) and not pid_alive(first_guard)
        _kill_server(server)
        with pytest.raises(LlamaServerError, match=r"crashed again .* after 1 restart\(s\) in this run; max_restarts"):
            client.complete(_prompt("Say ok."), n_predict=8)
    finally:
        pid, guard = server.pid, server.guard_pid
        server.stop()
        client.close()
    assert pid is None or not pid_alive(pid)
    assert guard is None or not pid_alive(guard)


def test_stop_leaves_no_process():
    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), parallel=1, ctx_size=1024))
    server.start()
    pid, guard = server.pid, server.guard_pid
    server.stop()
    time.sleep(0.2)
    assert not pid_alive(pid) and not pid_alive(guard)


def test_missing_model_file_names_the_setting(tmp_path):
    server = ManagedLlamaServer(ServerSettings(model_path=tmp_path / "nemotron.gguf"))
    with pytest.raises(LlamaServerError, match="model_path setting"):
        server.start()


def test_missing_binary_names_the_setting():
    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), binary="no-such-llama-server"))
    with pytest.raises(LlamaServerError, match="binary setting"):
        server.start()


def test_port_in_use_names_the_setting(llama_server):
    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), port=llama_server.port))
    with pytest.raises(LlamaServerError, match="port setting"):
        server.start()


def test_a_model_that_fails_to_load_quotes_the_server_log(tmp_path):
    junk = tmp_path / "broken.gguf"
    junk.write_bytes(b"GGUF" + b"\0" * 4096)
    server = ManagedLlamaServer(ServerSettings(model_path=junk, startup_timeout_s=60))
    with pytest.raises(LlamaServerError, match="Last log lines") as info:
        server.start()
    assert server.pid is None
    assert "exited with code" in str(info.value) or "did not turn healthy" in str(info.value)


def test_a_server_that_never_turns_healthy_times_out_and_is_killed(tmp_path):
    # Test double: a "server" that accepts llama-server flags, prints a line and never listens.
    fake = tmp_path / "never-healthy-server"
    fake.write_text(f"#!{sys.executable}\nimport time\nprint('loading forever', flush=True)\ntime.sleep(600)\n")
    fake.chmod(0o755)
    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), binary=str(fake), startup_timeout_s=2))
    start = time.monotonic()
    with pytest.raises(LlamaServerError, match="did not turn healthy within 2 s") as info:
        server.start()
    assert time.monotonic() - start < 20
    assert "loading forever" in str(info.value)
    assert server.pid is None


def test_dead_attached_url_fails_after_bounded_retries():
    from secassets.llm.server import free_port

    client = LlamaClient([f"http://127.0.0.1:{free_port()}"], max_retries=2, backoff_s=0.05)
    start = time.monotonic()
    with pytest.raises(LlamaRequestError, match="failed after 3 attempts: ConnectError"):
        client.complete("hello", n_predict=4)
    assert time.monotonic() - start < 10
    assert client.requests_sent == 3


def test_requests_spread_across_replicas_by_free_slots(llama_server):
    # two "replicas" (two names of the same real server): concurrent requests fill both
    second = llama_server.base_url.replace("127.0.0.1", "localhost")
    client = LlamaClient([llama_server.base_url, second], capacities=[2, 2])
    results = list(client.map(lambda i: client.complete(_prompt(f"Event {i}."), n_predict=16), range(8)))
    used = [r.base_url for r in results]
    assert client.total_slots == 4
    assert used.count(llama_server.base_url) >= 2 and used.count(second) >= 2


def test_bundled_model_is_the_pinned_file():
    from secassets.llm.server import BUNDLED_MODEL_SHA256
    from secassets.storage.files import sha256_file

    assert sha256_file(Path(bundled_model_path())) == BUNDLED_MODEL_SHA256


def test_model_identity_names_everything_that_changes_an_answer(tmp_path):
    from secassets.defs.resources.llama_server import LlamaServerResource

    base = LlamaServerResource(ctx_size=8192, parallel=4)
    identity = base.model_identity()
    assert identity == LlamaServerResource(ctx_size=8192, parallel=4).model_identity()  # stable: cache keys too
    assert "ctx/slot=2048" in identity and "ngl=0" in identity and "build=xllamacpp-" in identity
    others = [
        LlamaServerResource(ctx_size=4096, parallel=4),  # smaller context per slot can cut answers
        LlamaServerResource(ctx_size=8192, parallel=2),
        LlamaServerResource(ctx_size=8192, parallel=4, n_gpu_layers=99),
        LlamaServerResource(ctx_size=8192, parallel=4, extra_args=["--rope-freq-scale", "0.5"]),
    ]
    assert len({identity, *(o.model_identity() for o in others)}) == 1 + len(others)
    assert LlamaServerResource(ctx_size=8192, parallel=4, threads=2).model_identity() == identity  # speed only
    # a custom binary is identified by its own --version
    fake = tmp_path / "llama-server"
    fake.write_text(f"#!{sys.executable}\nimport sys\nprint('version: 4242 (abcdef0)', file=sys.stderr)\n")
    fake.chmod(0o755)
    custom = LlamaServerResource(ctx_size=8192, parallel=4, binary=str(fake)).model_identity()
    assert "build=version: 4242 (abcdef0)" in custom and custom != identity
