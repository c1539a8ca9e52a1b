"""`dagster dev` with the project's workspace.yaml and dagster_home: the UI's GraphQL API shows the
pipeline as a person would see it (assets, dependencies, partitions, checks, schedule, sensor)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from secassets.constants import TEMPLATE_NAMES
from secassets.llama_server import free_port

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_ASSETS = {
    "sampler_config", "scenarios", "scenario_embeddings", "coverage_report", "enrichment_edge_cases",
    "prompt_evaluations", "template_leaderboard", "multimodal_ground_truth", "local_pipeline_results", "multimodal_comparison",
}
# `dagster dev` started from a non-interactive shell ignores SIGINT/SIGTERM unless they are reset first.
LAUNCH = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SECASSETS_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
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
        pytest.fail("dagster dev did not answer /server_info within 180 s")
    yield url
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


def _query(url: str, query: str) -> dict:
    deadline = time.monotonic() + 120
    while True:  # the code server may still be loading the location
        body = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30).json()
        if "errors" not in body or time.monotonic() > deadline:
            return body
        time.sleep(2)


def test_asset_graph_partitions_and_checks(webserver):
    data = _query(webserver, """{ assetNodes { assetKey { path } dependencyKeys { path }
        partitionKeysByDimension { partitionKeys } assetChecksOrError { ... on AssetChecks { checks { name } } } } }""")
    nodes = {n["assetKey"]["path"][-1]: n for n in data["data"]["assetNodes"]}
    assert set(nodes) == EXPECTED_ASSETS
    deps = {k: {d["path"][-1] for d in n["dependencyKeys"]} for k, n in nodes.items()}
    assert deps["scenarios"] == {"sampler_config"}
    assert deps["prompt_evaluations"] == {"scenarios", "enrichment_edge_cases"}
    assert deps["template_leaderboard"] == {"prompt_evaluations"}
    assert nodes["prompt_evaluations"]["partitionKeysByDimension"][0]["partitionKeys"] == list(TEMPLATE_NAMES)
    checks = {c["name"] for n in nodes.values() for c in n["assetChecksOrError"]["checks"]}
    assert {"scenarios_schema", "scenarios_temporal_validity", "template_regression", "coverage_validity"} <= checks


def test_nightly_schedule_and_alert_sensor_are_listed(webserver):
    selector = '{repositoryLocationName: "secassets", repositoryName: "__repository__"}'
    data = _query(webserver, f"""{{ schedulesOrError(repositorySelector: {selector}) {{ ... on Schedules {{ results {{
        name cronSchedule executionTimezone scheduleState {{ status }} }} }} }}
        sensorsOrError(repositorySelector: {selector}) {{ ... on Sensors {{ results {{ name }} }} }} }}""")
    [schedule] = data["data"]["schedulesOrError"]["results"]
    assert schedule["name"] == "nightly_prompt_evaluation_schedule" and schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    assert [s["name"] for s in data["data"]["sensorsOrError"]["results"]] == ["alert_on_failures"]
