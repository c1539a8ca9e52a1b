"""Two runs against one LLM server never send it more requests than it has slots: the `llm_server` pool.

Every step that calls the llm resource claims the pool (secassets.core.vocabulary.LLM_POOL), and
dagster_home/dagster.yaml gives pools a limit of 1. Each such step keeps at most one request per server slot in
flight (LlamaClient), so one such step at a time keeps all runs together within the server's slots. Dagster
enforces pool limits in the in-process executor these jobs use: before a step starts, it claims a slot in the
instance's storage, and waits while the pool is full. That needs a storage with concurrency tables (SQLite,
Postgres); the in-memory storage of DagsterInstance.ephemeral(), which dg.materialize uses when given no
instance, has none and limits nothing.

The runs are two worker processes on one instance (a DAGSTER_HOME made from the shipped dagster.yaml), as two
`dagster asset materialize` commands or two runs launched by the daemon are. (dg.materialize in two threads of
one process deadlocks inside Dagster: each run's setup calls logging.config.dictConfig while the other logs.)
Both workers start together; the second run is started while the first run's step holds the server, which is
the case the pool is for. (On SQLite, two claims made in the same few milliseconds can both succeed: Dagster's
SQLite claim is a select then an unguarded update; README.md, The llama.cpp resource.)

The server is a loopback test double of a llama.cpp server with `total_slots: 2`. Its generation routes count
the requests in flight and hold them until the test has seen what the second run does: its requests arrive
too (no limit: 4 in flight, so the test can fail) or its step reports that it waits for the pool.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import dagster as dg
import pytest
import yaml

from secassets.core.vocabulary import LLM_POOL, REPO_ROOT
from secassets.definitions import build_resources, defs
from secassets.defs.evaluation.partitions import evaluation_key, register_models
from secassets.defs.evaluation.prompt_templates import sync_templates
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.faults.test_server_crash import prepare_evaluation_inputs
from secassets_tests.http_doubles import chat_answer, reply, reply_json

pytestmark = pytest.mark.integration

SLOTS = 2
ANSWER_S = 0.3
EVAL_CONFIG = {"evaluation_size": 2, "n_predict": 32, "edge_cases_per_family": 0, "curated_size": 0}
REQUESTS_PER_RUN = EVAL_CONFIG["evaluation_size"]  # one template, one repeat: one request per row
SHIPPED_YAML = REPO_ROOT / "dagster_home" / "dagster.yaml"
WORKER = "secassets_tests.faults.test_llm_pool"  # this module, run as a worker process (see the end)
RESULT = "RESULT "
ANSWER = json.dumps({"risk_score": 10, "risk_level": "low", "summary": "A resident at the door.",
                     "reasoning": "Daytime, one known person, no threat cues."})


class SlotCountingServer:
    """Test double: a llama.cpp server with SLOTS slots that records the most generation requests in flight.

    /health, /props (total_slots), /v1/models and /apply-template answer at once; /completion and
    /v1/chat/completions wait for `release` (at most 60 s), then answer after ANSWER_S.
    """

    def __init__(self) -> None:
        self.in_flight = self.max_in_flight = self.requests = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        double = self
        props = {"total_slots": SLOTS, "model_path": "/models/slot-counter.gguf", "build_info": "test-double",
                 "default_generation_settings": {"n_ctx": 2048}, "chat_template": "{{ messages }}"}
        models = {"object": "list", "data": [{"id": "slot-counter.gguf", "object": "model", "meta": {"n_params": 1}}]}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answers = {"/health": {"status": "ok"}, "/props": props, "/v1/models": models, "/slots": []}
                if self.path in answers:
                    reply_json(self, answers[self.path])
                else:
                    reply(self, 404, b'{"error": "not found"}')

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/apply-template":
                    reply_json(self, {"prompt": "<|im_start|>user\nscene<|im_end|>\n<|im_start|>assistant\n"})
                elif self.path in ("/completion", "/v1/chat/completions"):
                    reply_json(self, double.generate(self.path))
                else:
                    reply(self, 404, b'{"error": "not found"}')

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def generate(self, path: str) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.release.wait(timeout=60)
            time.sleep(ANSWER_S)
        finally:
            with self._lock:
                self.in_flight -= 1
        if path == "/completion":
            return {"content": ANSWER, "stop_type": "eos", "tokens_evaluated": 120, "tokens_predicted": 40}
        return chat_answer(ANSWER, usage={"prompt_tokens": 120, "completion_tokens": 40})

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    return prepare_evaluation_inputs(tmp_path_factory.mktemp("pool_inputs"))


@pytest.fixture
def one_gpu(monkeypatch) -> Iterator[SlotCountingServer]:
    with SlotCountingServer() as server:
        monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({"one-gpu": {"base_url": server.url}}))
        yield server


def evaluate(data_dir: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="attached", endpoints=["one-gpu"])),
        run_config={"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}},
        partition_key=evaluation_key("one-gpu", "basic"), instance=instance, raise_on_error=False,
    )


def make_home(tmp_path: Path, pool_limit: bool) -> Path:
    """A DAGSTER_HOME with the shipped dagster.yaml, or the same without its pool limit; storage created here
    (two processes creating a fresh SQLite storage at once race on its schema version)."""
    config = yaml.safe_load(SHIPPED_YAML.read_text())
    if not pool_limit:
        del config["concurrency"]["pools"]
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        register_models(instance, ["one-gpu"])
        sync_templates(instance)
    return home


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def pool_waits(instance: dg.DagsterInstance) -> dict[str, bool]:
    """run id -> whether a step of that run reported that it waits for the llm_server pool."""
    return {run.run_id: any(f"blocked by limit for pool {LLM_POOL}" in (e.user_message or "")
                            for e in instance.all_logs(run.run_id)) for run in instance.get_runs()}


def second_run_while_the_first_holds_the_server(
    prepared: Path, tmp_path: Path, home: Path, server: SlotCountingServer
) -> list[dict[str, Any]]:
    """Two worker processes, each with its own data folder (no shared answer cache), loaded together; the first
    run goes, and once its requests hold the server the second goes. The server answers when the second run's
    requests have arrived too, or when its step waits for the pool."""
    env = {**os.environ, "DAGSTER_HOME": str(home), "NEMO_TELEMETRY_ENABLED": "false"}
    workers, logs = [], []
    for i in range(2):
        data_dir = shutil.copytree(prepared, tmp_path / f"run{i}")
        logs.append(tmp_path / f"run{i}.log")
        with open(logs[-1], "w") as log:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", WORKER, str(data_dir)], cwd=REPO_ROOT, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            ))

    def go(worker: subprocess.Popen[str]) -> None:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()

    try:
        for worker in workers:  # both imported, each holding the instance
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready", logs
        go(workers[0])
        wait_until(lambda: server.in_flight == REQUESTS_PER_RUN, "the first run's requests")
        go(workers[1])
        with dg.DagsterInstance.from_config(str(home)) as instance:
            wait_until(lambda: server.in_flight > REQUESTS_PER_RUN or any(pool_waits(instance).values()),
                       "the second run's requests, or its step waiting for the pool")
        server.release.set()
        outputs = [worker.communicate(timeout=240)[0] for worker in workers]
    finally:
        server.release.set()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    results = [json.loads(line.removeprefix(RESULT)) for out in outputs for line in out.splitlines()
               if line.startswith(RESULT)]
    assert len(results) == 2, [log.read_text()[-3000:] for log in logs]
    assert all(r["success"] for r in results), [log.read_text()[-3000:] for log in logs]
    return results


def test_every_step_that_calls_the_llm_claims_the_pool_and_the_shipped_limit_is_one():
    assert yaml.safe_load(SHIPPED_YAML.read_text())["concurrency"]["pools"]["default_limit"] == 1
    callers = {a.key.to_user_string(): a.op.pool for a in defs.assets if "llm" in a.required_resource_keys}
    assert callers == dict.fromkeys(["scenarios", "prompt_evaluations", "local_pipeline_results"], LLM_POOL)


def test_a_second_run_waits_for_the_pool_and_the_server_never_exceeds_its_slots(prepared, tmp_path, one_gpu):
    home = make_home(tmp_path, pool_limit=True)
    results = second_run_while_the_first_holds_the_server(prepared, tmp_path, home, one_gpu)
    assert one_gpu.requests == 2 * REQUESTS_PER_RUN  # both runs asked the server, one after the other
    assert one_gpu.max_in_flight == SLOTS
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert [pool_waits(instance)[r["run_id"]] for r in results] == [False, True]
        assert [(p.name, p.limit) for p in instance.event_log_storage.get_pool_limits()] == [(LLM_POOL, 1)]


def test_without_the_pool_limit_the_same_two_runs_oversubscribe_the_server(prepared, tmp_path, one_gpu):
    home = make_home(tmp_path, pool_limit=False)
    second_run_while_the_first_holds_the_server(prepared, tmp_path, home, one_gpu)
    assert one_gpu.requests == 2 * REQUESTS_PER_RUN
    assert one_gpu.max_in_flight == 2 * SLOTS  # the failure the pool prevents
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert not any(pool_waits(instance).values())


def run_one_evaluation(data_dir: str) -> None:
    """A worker process: one evaluation run on the instance in DAGSTER_HOME, started when stdin says go."""
    with dg.DagsterInstance.get() as instance:
        print("ready", flush=True)
        sys.stdin.readline()
        result = evaluate(Path(data_dir), instance)
        print(RESULT + json.dumps({"run_id": result.run_id, "success": result.success}), flush=True)


if __name__ == "__main__":
    run_one_evaluation(sys.argv[1])
