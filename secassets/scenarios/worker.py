"""Scenario generation in a worker process: `generate_scenarios` in the caller, `main` in the worker.

Data Designer 0.9.6 orders its sampler columns through a Python ``set`` and samples from NumPy's
global state, so the worker runs with PYTHONHASHSEED=0: the same spec gives the same bytes in any
calling process (Dagster run worker, test, CLI), and Data Designer's global state stays out of the
caller. The worker lives and dies with the call (secassets.llm.lifeline guards it) and talks to
its caller over the channel of secassets.scenarios.worker_protocol; its logs come on stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from secassets.core.schema import JUDGE_COLUMNS, SCENARIO_COLUMNS, SCENARIOS_ARROW_SCHEMA
from secassets.llm.lifeline import kill_group, release, spawn_guarded, stop_guarded
from secassets.sampling.data_designer import SamplerConfigError, load_sampler_builder
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.dataset import GenerationResult, build_scenarios
from secassets.scenarios.engine import keep_offline
from secassets.scenarios.llm_passes import LLMColumnSettings
from secassets.scenarios.worker_protocol import (
    EndpointReply,
    EndpointRequest,
    Finished,
    ParentChannel,
    WorkerRequest,
    read_worker_message,
    send,
)
from secassets.storage.files import write_parquet
from secassets.storage.work_folders import make_owned_dir, sweep_stale

WORKER_MODULE = "secassets.scenarios.worker"
# generate-* of generate_scenarios; dd-* of an older layout that put Data Designer artifacts here.
STALE_WORK_PREFIXES = ("generate-", "dd-")
TAIL_LINES = 20

Log = Callable[[str], None]
Endpoint = Callable[[], tuple[str, int]]  # -> (OpenAI-compatible base URL, concurrent request slots)


class ScenarioGenerationError(RuntimeError):
    """Data Designer could not produce the scenarios; the message says why and what to change."""


def generate_scenarios(
    spec: SamplerSpec,
    sampler_yaml: Path,
    workdir: Path,
    *,
    log: Log | None = None,
    timeout_s: float = 1800.0,
    llm: LLMColumnSettings | None = None,
    endpoint: Endpoint | None = None,
) -> GenerationResult:
    """Generate spec.num_scenarios rows with Data Designer in a worker process, bounded by timeout_s.

    endpoint is called (in this thread) only when the worker asks for it: a row missed the cache.
    The worker is stopped and its folder removed on every way out (result, error, timeout,
    interrupt from a run's Terminate), and it dies with this process when that is killed outright;
    the folder such a death leaves behind is removed by the next call.
    """
    try:
        load_sampler_builder(sampler_yaml)  # fail fast, with the fix in the message, before starting a worker
    except SamplerConfigError as exc:
        raise ScenarioGenerationError(str(exc)) from exc
    for stale in sweep_stale(workdir, STALE_WORK_PREFIXES):
        if log is not None:
            log(f"removed {stale}: left behind by a generation whose process is gone")
    job = make_owned_dir(workdir, "generate-")
    try:
        request = WorkerRequest(
            spec=spec, sampler_yaml=sampler_yaml, workdir=job, output=job / "scenarios.parquet", llm=llm
        )
        (job / "request.json").write_text(request.model_dump_json())
        env = {**os.environ, "PYTHONHASHSEED": "0", "DATA_DESIGNER_HOME": str(workdir / "data_designer_home")}
        env["PYTHONUNBUFFERED"] = "1"
        run = _run_worker(job / "request.json", env, timeout_s, log, endpoint)
        if run.endpoint_error is not None:
            raise ScenarioGenerationError(f"the LLM for the scenario LLM columns is not available: {run.endpoint_error}")
        last = "\n".join(run.tail)
        if run.code != 0:
            if run.timed_out:
                why = f"timed out after {timeout_s:.0f} s (raise generation_timeout_s or lower num_scenarios)"
            elif run.code > 128 or run.code < 0:  # the guard reports a child's signal as 128 + N
                why = f"was killed by signal {run.code - 128 if run.code > 128 else -run.code}"
            else:
                why = f"exited with code {run.code}"
            raise ScenarioGenerationError(f"scenario generation {why}. Last output:\n{last}")
        if run.finished is None:
            raise ScenarioGenerationError(f"scenario generation ended without reporting its result. Last output:\n{last}")
        df = pd.read_parquet(request.output)
        df = pd.DataFrame({c: df[c] for c in SCENARIO_COLUMNS})
        for c in JUDGE_COLUMNS:
            df[c] = df[c].astype("Int8")
        return GenerationResult(
            scenarios=df, generated_rows=run.finished.generated_rows,
            duplicates_removed=run.finished.duplicates_removed, llm=run.finished.llm,
            content_draws_total=run.finished.content_draws_total, content_draws_max=run.finished.content_draws_max,
        )
    finally:
        shutil.rmtree(job, ignore_errors=True)


@dataclasses.dataclass
class _WorkerExit:
    code: int
    timed_out: bool
    tail: list[str]
    endpoint_error: Exception | None
    finished: Finished | None


def _read_lines(stream: IO[str], kind: str, events: queue.Queue[tuple[str, str | None]]) -> threading.Thread:
    """A thread that hands every line of stream to the calling thread, then None at the end."""

    def pump() -> None:
        try:
            for line in stream:
                events.put((kind, line))
        except (OSError, ValueError):
            pass  # the pipe broke or was closed: the end of the stream all the same
        finally:
            events.put((kind, None))

    thread = threading.Thread(target=pump, name=f"scenario-worker-{kind}", daemon=True)
    thread.start()
    return thread


def _run_worker(request_path: Path, env: dict[str, str], timeout_s: float, log: Log | None,
                endpoint: Endpoint | None) -> _WorkerExit:
    """Run the worker behind a lifeline guard, answer its messages, pass its logs to log, stop it before returning.

    The guard (secassets.llm.lifeline) kills the worker when this process dies by any means; the pipes
    given to it are inherited by the worker. Two threads read the worker's stdout (messages) and
    stderr (logs); this thread handles both, so log and endpoint are only ever called from here.
    """
    proc = spawn_guarded(
        [sys.executable, "-m", WORKER_MODULE, str(request_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        encoding="utf-8", errors="replace", env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        kill_group(proc.pid)  # the guard and the worker: the guard started its own process group

    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    events: queue.Queue[tuple[str, str | None]] = queue.Queue()
    readers = [(_read_lines(proc.stdout, "message", events), proc.stdout),
               (_read_lines(proc.stderr, "log", events), proc.stderr)]
    tail: list[str] = []
    endpoint_error: Exception | None = None
    finished: Finished | None = None
    try:
        timer.start()
        open_streams = len(readers)
        with _noticed_interrupts() as interrupted:
            while open_streams:
                try:
                    kind, line = events.get(timeout=INTERRUPT_POLL_S)
                except queue.Empty:
                    kind, line = "", ""
                interrupted()  # an interrupt its handler raised where Python swallowed it: raised again here
                if not kind:
                    continue
                if line is None:
                    open_streams -= 1
                    continue
                if kind == "message":
                    try:
                        message = read_worker_message(line)
                    except ValueError:
                        line = f"unreadable message from the scenario worker: {line}"
                    else:
                        if isinstance(message, EndpointRequest):  # a row missed the cache: now the server is needed
                            endpoint_error = _answer_endpoint_request(proc, endpoint)
                        else:
                            finished = message
                        continue
                line = line.rstrip()
                tail = (tail + [line])[-TAIL_LINES:]
                if log is not None and line:
                    log(line)
        code = proc.wait()
    finally:
        timer.cancel()
        _stop_worker(proc, readers)
    return _WorkerExit(code=code, timed_out=timed_out.is_set(), tail=tail, endpoint_error=endpoint_error,
                       finished=finished)


INTERRUPT_POLL_S = 0.5  # how often the wait checks for an interrupt that was swallowed


@contextlib.contextmanager
def _noticed_interrupts() -> Iterator[Callable[[], None]]:
    """Remember every SIGINT/SIGTERM while waiting for the worker, and yield a function that re-raises one.

    Dagster's Terminate is a SIGTERM whose handler raises DagsterExecutionInterruptedError; when it fires while
    Python runs a garbage-collection callback, the exception is printed ("Exception ignored in ...") and lost,
    and the run would go on. The handler here records the signal before the one it wraps raises, so the wait loop
    calls that handler again from ordinary code. Outside the main thread signals cannot be handled: nothing then.
    """
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        seen.append(signum)
        wrapped = previous[signum]
        if callable(wrapped):
            wrapped(signum, frame)
        elif wrapped == signal.SIG_DFL:
            raise KeyboardInterrupt

    def raise_swallowed() -> None:
        if seen:
            signum = seen.pop()
            seen.clear()
            handler_of = previous[signum]
            if callable(handler_of):
                handler_of(signum, None)
            raise KeyboardInterrupt

    for signum in previous:
        signal.signal(signum, handler)
    try:
        yield raise_swallowed
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _close(pipe: IO[str] | None) -> None:
    if pipe is not None:
        try:
            pipe.close()
        except OSError:
            pass  # the worker died with unread input (BrokenPipe on flush)


def _stop_worker(proc: subprocess.Popen[str], readers: list[tuple[threading.Thread, IO[str]]]) -> None:
    """Stop the guard and worker (a no-op when both have exited) and close the pipes, even if interrupted again."""
    try:
        stop_guarded(proc, timeout_s=5.0)
    except BaseException:
        kill_group(proc.pid)  # a second interrupt while waiting: no more waiting, but nothing survives
        release(proc)
        raise
    finally:
        _close(proc.stdin)
        for thread, pipe in readers:
            thread.join(timeout=5.0)  # the worker is gone, so its pipes are at their end
            if not thread.is_alive():  # closing a pipe another thread still reads would wait for that read
                _close(pipe)


def _answer_endpoint_request(proc: subprocess.Popen[str], endpoint: Endpoint | None) -> Exception | None:
    """Reply to the worker's endpoint request with the URL and slots, or the error; returns the error."""
    assert proc.stdin is not None
    error: Exception | None = None
    if endpoint is None:
        error = RuntimeError("generate_scenarios was given no endpoint and the settings have no base_url")
        reply = EndpointReply(error=str(error))
    else:
        try:
            base_url, slots = endpoint()
            reply = EndpointReply(base_url=base_url, max_parallel_requests=slots)
        except Exception as exc:  # noqa: BLE001 - reported to the caller with its own message
            error = exc
            reply = EndpointReply(error=f"{type(exc).__name__}: {exc}")
    try:
        send(proc.stdin, reply)
    except BrokenPipeError:
        pass  # the worker is gone; its exit code and last output say why
    return error


class _EndpointFromParent:
    """The worker's settings, completed with an endpoint from the parent on first need."""

    def __init__(self, settings: LLMColumnSettings, channel: ParentChannel) -> None:
        self._settings = settings
        self._channel = channel

    def __call__(self) -> LLMColumnSettings:
        if not self._settings.base_url:
            reply = self._channel.ask_endpoint()
            if reply.error is not None:
                raise ScenarioGenerationError(f"no LLM endpoint: the parent process could not provide one ({reply.error})")
            self._settings = self._settings.model_copy(
                update={"base_url": reply.base_url, "max_parallel_requests": reply.max_parallel_requests}
            )
            print(f"LLM endpoint {self._settings.base_url} ({self._settings.max_parallel_requests} slots)", flush=True)
        return self._settings


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: python -m secassets.scenarios.worker REQUEST_JSON (messages on stdout, logs on stderr)."""
    args = argv if argv is not None else sys.argv[1:]
    channel = ParentChannel.take_stdio()  # from here on print() and every library write to stderr
    request = WorkerRequest.model_validate_json(Path(args[0]).read_text())
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("data_designer").setLevel(logging.INFO)
    keep_offline()
    endpoint = None if request.llm is None else _EndpointFromParent(request.llm, channel)
    try:
        result = build_scenarios(request.spec, request.sampler_yaml, request.workdir, request.llm, endpoint)
    except Exception as exc:  # noqa: BLE001 - the parent turns this into ScenarioGenerationError with these lines
        print(f"ERROR: {type(exc).__name__}: {exc}", flush=True)
        return 1
    write_parquet(request.output, result.scenarios, SCENARIOS_ARROW_SCHEMA)
    channel.finished(
        Finished(generated_rows=result.generated_rows, duplicates_removed=result.duplicates_removed, llm=result.llm,
                 content_draws_total=result.content_draws_total, content_draws_max=result.content_draws_max)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
