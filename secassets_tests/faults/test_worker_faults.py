"""The Data Designer worker lives and dies with its run: SIGKILL, a run's Terminate (SIGTERM), a timeout.

Every test runs the real worker (`python -m secassets.scenarios.worker` behind its lifeline guard) and looks
for survivors in /proc by command line: the guard and the worker both name `secassets.scenarios.worker` and
the test's own work folder, so a survivor of any other test or run is never counted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.worker import WORKER_MODULE, ScenarioGenerationError, generate_scenarios
from secassets.storage.work_folders import OWNER_FILE, process_start_time

ROOT = Path(__file__).resolve().parents[2]
BUSY_ROWS = 2000  # about 6 s of Data Designer work on 2 cores: the kill lands mid-generation
GONE_WITHIN_S = 15.0  # the guard SIGKILLs a child that ignores its SIGTERM after 10 s (secassets.llm.lifeline)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc"),
]


def worker_pids(marker: str) -> list[int]:
    """Live (not zombie) guard and worker processes whose command line holds marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        ours = WORKER_MODULE in args and any(marker in a for a in args)
        if ours and process_start_time(int(entry.name)) is not None:  # None: gone or a zombie
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], object], timeout_s: float, what: str, detail: Callable[[], str] = str) -> float:
    """Seconds until condition() is truthy; fails the test after timeout_s, with detail() in the message."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"{what}: not within {timeout_s:.0f} s\n{detail()}")
        time.sleep(0.05)
    return time.monotonic() - start


def generating(workdir: Path) -> bool:
    """The worker has started Data Designer (its artifact folder exists inside the job folder)."""
    return any(workdir.glob("generate-*/dd-*"))


def _yaml(tmp_path: Path, rows: int) -> tuple[SamplerSpec, Path]:
    spec = SamplerSpec(num_scenarios=rows)
    return spec, write_sampler_yaml(sampler_config_builder(spec), tmp_path / "sampler.yaml")


CALLER = """
import sys
from pathlib import Path
from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.scenarios.worker import generate_scenarios
from secassets.sampling.spec import SamplerSpec

spec = SamplerSpec(num_scenarios=int(sys.argv[2]))
tmp = Path(sys.argv[1])
generate_scenarios(spec, write_sampler_yaml(sampler_config_builder(spec), tmp / "sampler.yaml"), tmp / "work")
"""


def test_sigkill_of_the_caller_leaves_no_worker_and_the_next_generation_removes_its_folder(tmp_path, capsys):
    workdir = tmp_path / "work"
    caller = subprocess.Popen([sys.executable, "-c", CALLER, str(tmp_path), str(BUSY_ROWS)], cwd=ROOT)
    try:
        wait_for(lambda: generating(workdir) and worker_pids(str(workdir)), 60, "the worker to start generating")
    finally:
        caller.send_signal(signal.SIGKILL)  # no finally, no atexit: only the lifeline can stop the worker
        caller.wait()
    gone_s = wait_for(lambda: not worker_pids(str(workdir)), GONE_WITHIN_S, "the worker to die with its caller")
    [left] = workdir.glob("generate-*")  # a SIGKILL runs no cleanup: the next generation removes it
    assert json.loads((left / OWNER_FILE).read_text())["pid"] == caller.pid

    logged: list[str] = []
    spec, sampler_yaml = _yaml(tmp_path, 20)
    assert len(generate_scenarios(spec, sampler_yaml, workdir, log=logged.append).scenarios) == 20
    assert not left.exists() and not list(workdir.glob("generate-*"))
    assert any(str(left) in line and "process is gone" in line for line in logged)
    with capsys.disabled():
        print(f"\nSIGKILL of the caller: orphans 0, worker gone {gone_s:.2f} s after the kill")


def test_terminate_of_a_dagster_run_stops_the_worker_and_removes_its_folder(tmp_path, capsys):
    """SIGTERM (the UI's Terminate) to a real `dagster asset materialize` run on an on-disk instance."""
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "SECASSETS_DATA_DIR": str(data), "SECASSETS_DEPLOYMENT": "off"}
    config = {"ops": {"sampler_config": {"config": {"num_scenarios": BUSY_ROWS}}, "scenarios": {"config": {"llm_rows": 0}}}}
    dagster = Path(sys.executable).with_name("dagster")
    log_path = tmp_path / "run.log"  # a file, not a pipe: an unread pipe would block the run's logging
    with log_path.open("w") as log:
        run = subprocess.Popen(
            [str(dagster), "asset", "materialize", "-m", "secassets.definitions", "--select", "sampler_config,scenarios",
             "--config-json", json.dumps(config)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    workdir = data / ".work"
    try:
        wait_for(lambda: generating(workdir) and worker_pids(str(workdir)), 120, "the run's worker to start generating",
                 lambda: log_path.read_text()[-5000:])
        run.send_signal(signal.SIGTERM)
        gone_s = wait_for(lambda: not worker_pids(str(workdir)), GONE_WITHIN_S, "the worker to stop with its run")
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    output = log_path.read_text()
    assert run.returncode != 0, output
    assert 'STEP_FAILURE - Execution of step "scenarios" failed' in output, output[-5000:]
    assert "DagsterExecutionInterruptedError" in output
    assert not list(workdir.glob("generate-*")), "the interrupted step left its work folder"
    assert not (data / "scenarios.parquet").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [record] = instance.get_runs()
    assert record.status == dg.DagsterRunStatus.FAILURE  # not left STARTED, holding the queue
    with capsys.disabled():
        print(f"\nSIGTERM of a dagster run: orphans 0, worker gone {gone_s:.2f} s after the signal, folder removed")


def test_a_generation_that_times_out_leaves_no_worker_and_no_folder(tmp_path):
    spec, sampler_yaml = _yaml(tmp_path, BUSY_ROWS)
    workdir = tmp_path / "work"
    start = time.monotonic()
    with pytest.raises(ScenarioGenerationError, match=r"timed out after 2 s \(raise generation_timeout_s"):
        generate_scenarios(spec, sampler_yaml, workdir, timeout_s=2)
    assert time.monotonic() - start < 2 + GONE_WITHIN_S
    assert worker_pids(str(workdir)) == []
    assert not list(workdir.glob("generate-*"))


def _plant(workdir: Path, name: str, owner: dict[str, object] | None, age_s: float = 0.0) -> Path:
    folder = workdir / name
    (folder / "dd-scenarios").mkdir(parents=True)
    (folder / "dd-scenarios" / "batch_00000.parquet").write_bytes(b"partial")
    if owner is not None:
        (folder / OWNER_FILE).write_text(json.dumps(owner))
    if age_s:
        then = time.time() - age_s
        os.utime(folder, (then, then))
    return folder


def test_stale_work_folders_of_dead_owners_are_removed_and_live_ones_kept(tmp_path):
    workdir = tmp_path / "work"
    finished = subprocess.Popen(["true"])
    finished.wait()  # reaped: its pid names no process now
    me = {"pid": os.getpid(), "start_time": process_start_time(os.getpid())}
    dead = _plant(workdir, "generate-dead", {"pid": finished.pid, "start_time": 1})
    reused = _plant(workdir, "generate-reused", {**me, "start_time": me["start_time"] - 1})  # same pid, other process
    legacy = _plant(workdir, "dd-legacy", None, age_s=3600)  # an older layout wrote no owner file
    live = _plant(workdir, "generate-live", me)  # another run generating right now
    creating = _plant(workdir, "generate-creating", None)  # created this instant, owner file not yet written
    other = _plant(workdir, "unrelated", None, age_s=3600)  # not a work folder name

    spec, sampler_yaml = _yaml(tmp_path, 20)
    assert len(generate_scenarios(spec, sampler_yaml, workdir).scenarios) == 20
    assert not dead.exists() and not reused.exists() and not legacy.exists()
    assert live.exists() and creating.exists() and other.exists()
    assert (live / "dd-scenarios" / "batch_00000.parquet").read_bytes() == b"partial"
    assert sorted(p.name for p in workdir.iterdir()) == ["data_designer_home", "generate-creating", "generate-live", "unrelated"]


def test_an_interrupt_python_swallowed_is_raised_again_by_the_wait():
    """A SIGTERM whose handler raises inside a garbage-collection callback is printed and lost by Python; the worker
    wait re-raises it from ordinary code (what a Dagster Terminate needs to stop the run)."""
    import gc
    import weakref

    from secassets.scenarios.worker import _noticed_interrupts

    class Interrupted(Exception):
        pass

    def dagster_like(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGTERM, dagster_like)
    try:
        with _noticed_interrupts() as interrupted:
            class Holder:
                pass

            holder = Holder()
            weakref.finalize(holder, lambda: os.kill(os.getpid(), signal.SIGTERM))
            del holder  # the finalizer runs, the signal's exception is raised inside it and swallowed
            gc.collect()
            with pytest.raises(Interrupted):
                interrupted()
        assert signal.getsignal(signal.SIGTERM) is dagster_like  # the wrapped handler is back
    finally:
        signal.signal(signal.SIGTERM, previous)
