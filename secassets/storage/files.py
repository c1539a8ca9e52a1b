"""Atomic file output: write to a temp file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from secassets.core.errors import SecassetsError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path next to target; on success it replaces target, on error it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(target: Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return target


def write_text(target: Path, text: str) -> Path:
    return write_bytes(target, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(target: Path, obj: Any) -> Path:
    return write_text(target, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet(target: Path, df: pd.DataFrame, schema: pa.Schema | None = None) -> Path:
    """Deterministic parquet: no index, fixed schema when given, so the same frame gives the same bytes."""
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    return write_bytes(target, lambda p: pq.write_table(table, p, compression="zstd"))


class CorruptOutputError(SecassetsError, RuntimeError):
    """A stored output exists but cannot be read (retrying cannot help: it names the file and the fix)."""


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a parquet output, turning a corrupt file into an error that says what to do."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; materialize the asset that writes it first")
    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as exc:
        raise CorruptOutputError(
            f"{path} is not a readable parquet file ({exc}); delete it and re-materialize the asset that writes it"
        ) from exc


def write_npz(target: Path, **arrays: Any) -> Path:
    """A compressed .npz (np.load reads it) whose bytes depend only on the arrays.

    np.savez stamps each zip member with the current time; this writer uses a fixed one.
    """
    import io
    import zipfile

    import numpy as np

    def writer(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asanyarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, buffer.getvalue())

    return write_bytes(target, writer)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@runtime_checkable
class CompanionFiles(Protocol):
    """A stored value that names side files written with it; loading it checks they are still its own."""

    def verify_companions(self, fix: str) -> None:
        """Raise CorruptOutputError (ending with fix) when a side file is missing or not the one recorded."""
