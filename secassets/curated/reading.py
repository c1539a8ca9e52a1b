"""Reading a curated root's files: inside the root, never through a link, and bounded before a byte is read.

A team hands over a folder of cases; a link in it (to /etc, to another team's share) is never entered
or read: it becomes its case's invalid row with the reason, so nothing is dropped and nothing outside
is read. Every labels or spec file is read through secassets.storage.bounded_read (O_NOFOLLOW, the
size checked on the open file) and parsed with a depth bound; a table is size-checked the same way
and its lines and rows are counted before they become cases.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from secassets.core.errors import InputTooLargeError, UnsafePathError
from secassets.storage.bounded_read import loads_bounded, read_bytes_inside, read_text_inside, real_dir, resolved_inside

MAX_CASE_FILE_BYTES: Final = 1 << 20  # an expected_labels.json or scenario_spec.json is a few hundred bytes
MAX_TABLE_BYTES: Final = 64 << 20  # a JSONL or parquet table, checked on the open file before it is read
MAX_TABLE_UNCOMPRESSED_BYTES: Final = 256 << 20  # a parquet table's row groups as its footer states them
MAX_TABLE_LINE_CHARS: Final = MAX_CASE_FILE_BYTES  # one JSONL line is one case
MAX_TABLE_CASES: Final = 100_000  # lines or rows of one table


class CuratedSourceError(RuntimeError):
    """The curated root or table as a whole cannot be read (not one bad case)."""


class CaseInvalid(Exception):
    """One case cannot be read; the message is its reason."""


def link_reason(root: Path, path: Path, what: str) -> str:
    """The reason of a case whose folder or file is a link (never followed, wherever it points)."""
    if resolved_inside(root, path):
        return f"{what} is a link; links are not followed, even inside the root: copy the files in"
    return f"{what} is a link out of the root; copy the files in"


def entry_kind(path: Path) -> str:
    """'missing', 'link', 'dir' or 'file' (any other entry, or one that cannot be inspected: its read says why)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError:
        return "file"
    return "link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode) else "file"


def scan(root: Path, folder: Path) -> tuple[list[Path], list[Path], bool]:
    """(real subfolders, links to folders, whether anything else is there) of folder, hidden names skipped, sorted.

    A link is never entered; os.path.isdir only asks whether it points at a folder (a case or category
    folder in the making), so that it is listed as an invalid row instead of being ignored like a file.
    OSError when folder cannot be listed."""
    dirs, links, other = [], [], False
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        kind = entry_kind(path)
        if kind == "link" and os.path.isdir(path):
            links.append(path)
        elif kind == "dir" and real_dir(root, path):
            dirs.append(path)
        elif kind != "missing":
            other = True
    return dirs, links, other


def parse_json(text: str) -> Any:
    try:
        return loads_bounded(text)
    except json.JSONDecodeError as exc:
        raise CaseInvalid(f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # nested deeper than bounded_read.MAX_JSON_DEPTH, an integer of thousands of digits
        raise CaseInvalid(f"refused: {exc}") from None


def json_object(root: Path, path: Path) -> dict[str, Any]:
    """The JSON object in a case's file; CaseInvalid (the file named) when it is a link, too large, not UTF-8 ..."""
    if entry_kind(path) == "link":
        raise CaseInvalid(link_reason(root, path, path.name))
    try:
        text = read_text_inside(root, path, MAX_CASE_FILE_BYTES, what="the file")
    except UnicodeDecodeError as exc:
        raise CaseInvalid(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (InputTooLargeError, UnsafePathError) as exc:
        raise CaseInvalid(f"{path.name}: {exc.problem}; {exc.fix}") from None
    except OSError as exc:
        raise CaseInvalid(f"{path.name}: cannot be read ({exc.strerror})") from None
    try:
        value = parse_json(text)
    except CaseInvalid as exc:
        raise CaseInvalid(f"{path.name}: {exc}") from None
    if not isinstance(value, dict):
        raise CaseInvalid(f"{path.name}: expected a JSON object, found {type(value).__name__}")
    return value


def _table_bytes(path: Path) -> bytes:
    if entry_kind(path) == "link":
        raise CuratedSourceError(f"curated table {path} is a link; copy the file itself in (links are not followed)")
    try:
        return read_bytes_inside(path.parent, path, MAX_TABLE_BYTES, what="the table")
    except (InputTooLargeError, UnsafePathError) as exc:
        raise CuratedSourceError(f"curated table {path} is refused: {exc.problem}; {exc.fix}") from None
    except OSError as exc:
        raise CuratedSourceError(f"curated table {path} cannot be read ({exc.strerror})") from None


def _too_many(path: Path, count: int, what: str) -> CuratedSourceError:
    return CuratedSourceError(f"curated table {path} has {count:,} {what}, more than the {MAX_TABLE_CASES:,} allowed; "
                              "split it into several tables or case folders")


def jsonl_lines(path: Path) -> list[tuple[int, str | CaseInvalid]]:
    """(line number, text or the CaseInvalid of a line over MAX_TABLE_LINE_CHARS) of each non-blank line."""
    lines = [(n, line) for n, line in enumerate(
        _table_bytes(path).decode("utf-8", errors="replace").splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_TABLE_CASES:
        raise _too_many(path, len(lines), "lines")
    return [(n, line if len(line) <= MAX_TABLE_LINE_CHARS else CaseInvalid(
        f"{len(line):,} characters, more than the {MAX_TABLE_LINE_CHARS:,} allowed for one case")) for n, line in lines]


def parquet_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a parquet table read from the bytes checked by _table_bytes; its footer's counts checked first."""
    data = _table_bytes(path)
    try:
        table = pq.ParquetFile(pa.BufferReader(data))
        meta = table.metadata
        if meta.num_rows > MAX_TABLE_CASES:
            raise _too_many(path, meta.num_rows, "rows")
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > MAX_TABLE_UNCOMPRESSED_BYTES:
            raise CuratedSourceError(f"curated table {path} holds {size:,} bytes uncompressed, more than the "
                                     f"{MAX_TABLE_UNCOMPRESSED_BYTES:,} allowed; split it into several tables")
        return table.read().to_pylist()
    except (pa.ArrowInvalid, OSError, RecursionError) as exc:  # RecursionError: a schema nested absurdly deep
        raise CuratedSourceError(f"curated table {path} is not a readable parquet file ({exc}); fix or re-export "
                                 "it, or leave the table setting empty") from exc
