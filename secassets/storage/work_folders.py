"""Work folders stamped with the process that owns them, so a later run can remove a dead run's leftovers.

A run killed with SIGKILL (or a host crash) runs no cleanup and its folder stays behind. Each folder
records its owner's pid and that pid's start time (field 22 of /proc/<pid>/stat), so a pid the kernel
has since given to another process is not mistaken for the owner. A folder whose owner still lives is
never removed: another run may be using it at this moment.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from secassets.storage.files import write_json

OWNER_FILE = ".owner.json"
# A folder without an owner file is either being created this instant or a leftover of a layout that
# wrote none; only the second is ever this old.
UNOWNED_GRACE_S = 300.0


def process_start_time(pid: int) -> int | None:
    """The pid's start time in clock ticks since boot; None when no such live process (zombies are gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def owner_alive(pid: int, start_time: int | None) -> bool:
    """Whether the process that wrote an owner record still runs (the same process, not a reused pid)."""
    if Path("/proc/self/stat").exists():
        now = process_start_time(pid)
        return now is not None and (start_time is None or now == start_time)
    try:  # no /proc (not Linux): existence only
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_owned_dir(parent: Path, prefix: str) -> Path:
    """A new folder under parent, owned by this process."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    pid = os.getpid()
    write_json(path / OWNER_FILE, {"pid": pid, "start_time": process_start_time(pid)})
    return path


def is_stale(path: Path, grace_s: float = UNOWNED_GRACE_S) -> bool:
    """True when the folder's owner is gone (or, with no readable owner record, it is older than grace_s)."""
    try:
        owner = json.loads((path / OWNER_FILE).read_text())
        pid, start_time = int(owner["pid"]), owner.get("start_time")
    except (OSError, ValueError, KeyError, TypeError):
        try:
            return time.time() - path.stat().st_mtime > grace_s
        except OSError:
            return False  # already gone
    return not owner_alive(pid, None if start_time is None else int(start_time))


def sweep_stale(parent: Path, prefixes: tuple[str, ...], grace_s: float = UNOWNED_GRACE_S) -> list[Path]:
    """Remove the folders under parent named with one of prefixes whose owner is gone; returns them."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in sorted(parent.iterdir()):
        if entry.name.startswith(prefixes) and entry.is_dir() and not entry.is_symlink() and is_stale(entry, grace_s):
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed
