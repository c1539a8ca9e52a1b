"""The managed llama.cpp server is SIGKILLed mid-run: one restart per crash, every row kept, no orphan left.

Faults are injected into the real server process (the bundled SmolLM2 through xllamacpp) inside a real
Dagster run of two template partitions, and at unit level into a ManagedLlamaServer with many threads
seeing the same crash. The server's model is a per-test symlink whose unique name marks every process
of the run (guard and server), so a /proc scan finds anything left behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import httpx
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.llm.cache import ResponseCache
from secassets.llm.server import LlamaServerError, ManagedLlamaServer, ServerSettings, bundled_model_path, pid_alive
from secassets_tests.conftest import materialize_scenarios
from secassets_tests.evaluation_runs import evaluation_instance, model_of, output, range_tags

pytestmark = pytest.mark.integration

EVAL_SIZE = 4
EVAL_CONFIG = {"evaluation_size": EVAL_SIZE, "n_predict": 48, "edge_cases_per_family": 0, "curated_size": 0}


def marked_processes(marker: str) -> dict[int, str]:
    """pid -> command line of every live process whose command line contains marker (guards and servers)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state not in ("Z", "X") and int(entry.name) != os.getpid():
            found[int(entry.name)] = cmdline
    return found


def wait_gone(marker: str, timeout_s: float = 10.0) -> dict[int, str]:
    deadline = time.monotonic() + timeout_s
    while (left := marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def marked_model(tmp_path: Path) -> tuple[Path, str]:
    marker = f"crash-{uuid.uuid4().hex[:12]}"
    link = tmp_path / f"{marker}.gguf"
    link.symlink_to(bundled_model_path())
    return link, marker


class ServerKiller(threading.Thread):
    """Fault injector: SIGKILLs the run's llama.cpp process (not its guard) once it is busy with requests."""

    def __init__(self, marker: str, cache: ResponseCache, after_cached: int, min_busy: int) -> None:
        super().__init__(daemon=True)
        self.marker, self.cache, self.after_cached, self.min_busy = marker, cache, after_cached, min_busy
        self.killed_pid: int | None = None
        self.in_flight_at_kill = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            marked = marked_processes(self.marker)
            servers = {pid: cmd for pid, cmd in marked.items() if "secassets.llm.lifeline" not in cmd}
            if len(servers) == 1 and len(self.cache) >= self.after_cached:
                [(pid, cmd)] = servers.items()
                port = re.search(r"--port (\d+)", cmd)
                try:
                    slots = httpx.get(f"http://127.0.0.1:{port.group(1)}/slots", timeout=1).json() if port else []
                except (httpx.HTTPError, ValueError):
                    slots = []
                busy = sum(1 for s in slots if isinstance(s, dict) and s.get("is_processing"))
                if busy >= self.min_busy:
                    os.kill(pid, signal.SIGKILL)
                    self.killed_pid, self.in_flight_at_kill = pid, busy
                    return
            time.sleep(0.05)


def prepare_evaluation_inputs(data_dir: Path) -> Path:
    """scenarios and enrichment_edge_cases, small, with no LLM: the inputs of prompt_evaluations."""
    assert materialize_scenarios(data_dir, num_scenarios=20).success
    one_each = dict.fromkeys(("multi_threat", "rare_pose", "boundary_confidence", "ocr_failure", "vram_stress",
                              "circuit_breaker"), 1)
    assert dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("enrichment_edge_cases", "curated_cases"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
        run_config={"ops": {"enrichment_edge_cases": {"config": one_each}}},
    ).success
    return data_dir


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return prepare_evaluation_inputs(tmp_path_factory.mktemp("crash_inputs"))


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_server_killed_mid_run_costs_no_row_and_leaves_no_process(prepared, tmp_path, parallel):
    data_dir = tmp_path / "data"
    shutil.copytree(prepared, data_dir)
    model, marker = marked_model(tmp_path)
    cache = ResponseCache(data_dir / "prompt_evaluations" / "cache")
    # parallel 1: kill after the first answer is cached; parallel 4: kill while several requests are in flight
    killer = ServerKiller(marker, cache, after_cached=1 if parallel == 1 else 0, min_busy=min(parallel, 2))
    killer.start()
    llm = LlamaServerResource(model_path=str(model), parallel=parallel, ctx_size=2048 * parallel)
    try:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
            resources=build_resources(str(data_dir), llm=llm),
            run_config={"ops": {"prompt_evaluations": {"config": EVAL_CONFIG}}},
            tags=range_tags("basic", "enriched", model_of(llm)), raise_on_error=False, instance=evaluation_instance(model_of(llm)),
        )
    finally:
        killer.stop.set()
        killer.join()
    assert killer.killed_pid is not None, "the fault was never injected"
    assert killer.in_flight_at_kill >= min(parallel, 2)
    assert result.success, result.all_events[-1].message
    for template in ("basic", "enriched"):
        df = pd.read_parquet(output(data_dir, template, model_of(llm)))
        assert len(df) == EVAL_SIZE, template
        errors = df["error"].dropna().astype(str)
        crash_errors = errors.str.contains("transport error|Connect|Disconnected|Protocol", case=False)
        assert not crash_errors.any(), errors.tolist()
    meta = result.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["llm_server_restarts"].value == 1  # one restart for the one crash, however many requests saw it
    assert not pid_alive(killer.killed_pid)
    assert wait_gone(marker) == {}, "a llama.cpp server or guard of the run outlived it"


def _kill_and_wait(server: ManagedLlamaServer) -> int:
    pid = server.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not server.alive()
    return pid


def test_many_threads_seeing_one_crash_cause_one_restart_and_it_outlives_the_pool(tmp_path):
    model, marker = marked_model(tmp_path)
    server = ManagedLlamaServer(ServerSettings(model_path=model, parallel=1, ctx_size=1024, max_restarts=3))
    server.start()
    try:
        first_pid, first_url = _kill_and_wait(server), server.base_url
        barrier = threading.Barrier(8)

        def saw_the_crash(_: int) -> str:
            barrier.wait()
            return server.restart_after_crash()

        with ThreadPoolExecutor(max_workers=8) as pool:  # restarts happen in pool threads, as in a run
            urls = list(pool.map(saw_the_crash, range(8)))
        assert server.restarts == 1 and server.generation == 2
        assert set(urls) == {server.base_url} and server.base_url == first_url  # same port again
        time.sleep(0.5)  # the pool's threads are gone: a thread-bound death signal would have fired by now
        assert server.alive() and httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200
        assert server.pid != first_pid and not pid_alive(first_pid)
        # a caller that saw an older generation only gets the URL, even if the server died again since
        _kill_and_wait(server)
        assert server.restart_after_crash(seen_generation=1) == server.base_url and server.restarts == 1
    finally:
        server.close()
    # teardown won: a late thread cannot start an untracked server
    with pytest.raises(LlamaServerError, match="shut down"):
        server.restart_after_crash()
    assert wait_gone(marker) == {}


def test_the_server_dies_with_the_process_whatever_thread_started_it(tmp_path):
    model, marker = marked_model(tmp_path)
    script = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "from secassets.llm.server import ManagedLlamaServer, ServerSettings\n"
        "s = ManagedLlamaServer(ServerSettings(model_path=Path(sys.argv[1]), parallel=1, ctx_size=1024))\n"
        "t = threading.Thread(target=s.start); t.start(); t.join()\n"  # started from a thread that then ends
        "print(s.pid, flush=True); time.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script, str(model)], stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(owner.stdout.readline())
        time.sleep(0.5)
        assert pid_alive(server_pid) and len(marked_processes(marker)) == 3  # owner, guard, server
        owner.kill()  # SIGKILL: no teardown, no atexit
        owner.wait()
    finally:
        if owner.poll() is None:
            owner.kill()
    assert wait_gone(marker, timeout_s=15) == {}
