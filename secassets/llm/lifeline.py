"""Child processes that die with the run process, whichever thread started them and however it ends.

PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so a server restarted from a
thread pool died with the pool. Instead every child is started behind a small guard process
(``python -m secassets.llm.lifeline FD -- CMD...``) that holds the read end of a pipe whose write end
only this process holds. The kernel closes that end when this process dies (SIGKILL included), the
guard reads EOF, stops its child (SIGTERM, then SIGKILL) and exits. The guard also passes SIGTERM and
SIGINT on to its child, and the child gets PR_SET_PDEATHSIG from the guard's only thread as a backstop.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1
_lifelines: dict[int, int] = {}  # guard pid -> write end of its lifeline pipe
_lock = threading.Lock()


def spawn_guarded(cmd: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen:
    """Popen(cmd) behind a guard; the returned process is the guard (signal it to stop the child).

    The guard starts a new session, so os.killpg(proc.pid, ...) reaches the guard and its child.
    Release the lifeline with `release(proc)` once the guard has exited.
    """
    read_fd, write_fd = os.pipe()  # both ends non-inheritable; only read_fd is passed on
    pass_fds = tuple(popen_kwargs.pop("pass_fds", ())) + (read_fd,)
    guard = [sys.executable, "-m", "secassets.llm.lifeline", str(read_fd), "--", *cmd]
    try:
        proc = subprocess.Popen(guard, pass_fds=pass_fds, start_new_session=True, **popen_kwargs)
    except BaseException:
        os.close(write_fd)
        raise
    finally:
        os.close(read_fd)
    with _lock:
        _lifelines[proc.pid] = write_fd
    return proc


def release(proc: subprocess.Popen) -> None:
    """Close the lifeline of an exited (or stopping) guard; closing it also tells the guard to stop."""
    with _lock:
        fd = _lifelines.pop(proc.pid, None)
    if fd is not None:
        os.close(fd)


def stop_guarded(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM the guard (it stops its child first), SIGKILL the whole group if it lingers."""
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.wait(timeout=timeout_s)
        kill_group(proc.pid)  # a child that ignored its guard's SIGTERM
    finally:
        release(proc)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _die_with_guard() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the lifeline alone still stops the child


def _guard(read_fd: int, cmd: list[str]) -> int:
    child = subprocess.Popen(cmd, preexec_fn=_die_with_guard)  # noqa: PLW1509 - prctl only

    def stop_child(*_: Any) -> None:
        # Also runs as a signal handler while the main thread waits on the child: never wait here.
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            timer = threading.Timer(10.0, child.kill)
            timer.daemon = True  # the guard exits as soon as its child has
            timer.start()

    def watch() -> None:
        while os.read(read_fd, 1):
            pass  # nothing is ever written; EOF means the owner is gone or released us
        stop_child()

    signal.signal(signal.SIGTERM, stop_child)
    signal.signal(signal.SIGINT, stop_child)
    threading.Thread(target=watch, daemon=True).start()
    code = child.wait()
    return code if code >= 0 else 128 - code


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m secassets.llm.lifeline FD -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return _guard(int(args[0]), args[2:])


if __name__ == "__main__":
    sys.exit(main())
