"""A real `dagster dev` (webserver, daemon, code server) on a free loopback port, for the UI tests.

Started once per test session with the project's workspace.yaml and a copy of dagster_home's
dagster.yaml in a temp instance, writing to a temp data folder; stopped the way the README says
(SIGTERM, then Ctrl-C) and the test fails if any child process survives.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from secassets.llm.server import free_port

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_ASSETS = frozenset({
    "sampler_config", "scenarios", "scenario_embeddings", "coverage_report", "enrichment_edge_cases",
    "curated_cases", "prompt_templates", "prompt_evaluations", "template_leaderboard", "prompt_experiments",
    "multimodal_ground_truth", "local_pipeline_results", "multimodal_comparison",
})
# `dagster dev` started from a non-interactive shell ignores SIGINT/SIGTERM unless they are reset first.
LAUNCH = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)


@dataclass(frozen=True)
class Webserver:
    url: str
    data_dir: Path
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def run_webserver(home: Path, data_dir: Path) -> Iterator[Webserver]:
    """Generator behind the session fixture: start, wait for /server_info, yield, stop and verify."""
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SECASSETS_DATA_DIR": str(data_dir)}
    dagster = str(Path(sys.executable).parent / "dagster")
    log = home / "dagster_dev.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"dagster dev did not answer /server_info within 180 s; log tail:\n{log.read_text()[-4000:]}")
    yield Webserver(url=url, data_dir=data_dir, log=log)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("dagster dev did not stop within 30 s of SIGTERM")
    left = _wait_for_group_exit(proc.pid, 30)
    if left:  # a code server busy loading can miss the first signal; Ctrl-C (SIGINT) is the documented stop
        os.killpg(proc.pid, signal.SIGINT)
        left = _wait_for_group_exit(proc.pid, 30)
    if left:
        ps = subprocess.run(["ps", "-o", "pid,args", "-p", ",".join(left)], capture_output=True, text=True, check=False).stdout
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"processes left behind after SIGTERM and SIGINT:\n{ps}")


def _wait_for_group_exit(pgid: int, seconds: float) -> list[str]:
    """pids still in the process group after waiting up to `seconds` for it to empty."""
    deadline = time.monotonic() + seconds
    while True:
        left = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True, check=False).stdout.split()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def graphql(url: str, query: str, timeout: float = 120) -> dict:
    """POST a GraphQL query, retrying while the code server is still loading the location."""
    deadline = time.monotonic() + timeout
    while True:
        body = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30).json()
        if "errors" not in body or time.monotonic() > deadline:
            return body
        time.sleep(2)
