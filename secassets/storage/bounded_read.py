"""Reading files that come from outside (labeled cases, template files, images): inside their root and bounded.

A team hands over a folder; a prompt engineer edits files under prompts/. Neither may make the pipeline
read outside that folder (a link to /etc, a '..') or read a huge file whole before refusing it. Every
read here resolves the path and compares it with the root, opens it with O_NOFOLLOW, checks that it is
a regular file and checks its size before reading a byte. JSON is parsed with a depth bound.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Final

from secassets.core.errors import InputTooLargeError, UnsafePathError

MAX_JSON_DEPTH: Final = 64  # labels files nest a few levels; 200k '[' is an attack, not a label


def resolved_inside(root: Path, path: Path) -> bool:
    """Whether path, with every link followed, is root or lies under it (root's own links followed too)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))
    except (OSError, ValueError):
        return False


def real_dir(root: Path, path: Path) -> bool:
    """A directory that is not itself a link and resolves inside root (a linked folder is never entered)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and resolved_inside(root, path)


def read_bytes_inside(root: Path, path: Path, max_bytes: int, *, what: str = "file") -> bytes:
    """The bytes of path; UnsafePathError when it is a link, not a regular file or outside root; InputTooLargeError
    (checked on the open file, before reading) when it has more than max_bytes."""
    shown = str(path)
    if not resolved_inside(root, path):
        raise UnsafePathError(f"{what} lies outside {root} (a link or '..' leads out)", field=shown,
                              fix=f"copy the file itself into {root}; links out of it are not followed")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        reason = "is a link" if exc.errno in (40,) else (exc.strerror or str(exc))
        raise UnsafePathError(f"{what} cannot be opened: {reason}", field=shown,
                              fix=f"put a regular file there (links are not followed inside {root})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(f"{what} is not a regular file", field=shown, fix="put a regular file there")
        if info.st_size > max_bytes:
            raise InputTooLargeError(f"{what} has {info.st_size:,} bytes, more than the {max_bytes:,} allowed",
                                     field=shown, fix=f"split or shrink it below {max_bytes:,} bytes")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew between fstat and read
        raise InputTooLargeError(f"{what} has more than the {max_bytes:,} bytes allowed", field=shown,
                                 fix=f"split or shrink it below {max_bytes:,} bytes")
    return data


def read_text_inside(root: Path, path: Path, max_bytes: int, *, what: str = "file") -> str:
    """read_bytes_inside decoded as UTF-8 (UnicodeDecodeError propagates: the caller names the file)."""
    return read_bytes_inside(root, path, max_bytes, what=what).decode("utf-8")


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_bounded(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads that refuses nesting deeper than max_depth as a ValueError (never a RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    if _depth(value) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return value
