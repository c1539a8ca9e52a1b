"""Where each asset's files live under the data folder: one function maps (asset, partition) to its own path.

Partition keys come from outside (a dynamic partition added in the UI, a backfill, a CLI tag), so every
part of a key is checked against its kind's name pattern (secassets.core.names) before it is joined
into a path, and every other part of a path must be one plain segment. No key can reach another
asset's output: `../../scenarios` as a template key is refused, not written over scenarios.parquet.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from secassets.core.errors import UnsafePathError
from secassets.core.names import NameKind, check_name

# The partitioned assets the IO manager stores, and what each part of their keys names ("model|template").
PARTITION_KINDS: Final[dict[str, tuple[NameKind, ...]]] = {
    "prompt_evaluations": ("model", "template"),
    "prompt_templates": ("template",),
}
KEY_SEPARATOR: Final = "|"


def plain_segment(part: str) -> str:
    """part, when it is one path segment: not empty, '.', '..', absolute, and without a separator or NUL."""
    if (not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part
            or (os.altsep is not None and os.altsep in part)):
        raise UnsafePathError("not one plain file or folder name", field="output path part", value=part,
                              fix="use a name without '/', '..' or NUL (outputs stay inside the data folder)")
    return part


def inside(base: Path, *parts: str) -> Path:
    """base/parts[0]/parts[1]/..., every part one plain segment; the result never leaves base."""
    path = base.joinpath(*(plain_segment(p) for p in parts))
    if not path.resolve().is_relative_to(base.resolve()):  # a link inside base pointing out
        raise UnsafePathError(f"would leave the output folder {base}", field="output path", value="/".join(parts),
                              fix=f"remove the link that leads out of {base}")
    return path


def partition_parts(asset: str, key: str) -> list[str]:
    """The checked parts of a partition key of `asset` ("model|template" -> [model, template])."""
    kinds = PARTITION_KINDS.get(asset)
    if kinds is None:
        raise ValueError(f"{asset} is partitioned but has no entry in secassets.storage.layout.PARTITION_KINDS")
    parts = str(key).split(KEY_SEPARATOR)
    if len(parts) != len(kinds):
        check_name(kinds[0], key, field=f"{asset} partition key")  # says what the key should look like
        raise UnsafePathError(f"has {len(parts)} part(s), {asset} keys have {len(kinds)}", field=f"{asset} partition key",
                              value=key, fix=f"use {KEY_SEPARATOR.join(kinds)}")
    return [check_name(kind, part, field=f"{asset} partition key {key!r}, {kind}") for kind, part in zip(kinds, parts)]


def output_path(base: Path, asset_path: Sequence[str], suffix: str, partition: str | None = None) -> Path:
    """The file of an asset (data/<asset><suffix>) or of one partition (data/<asset>/<part>/.../<last><suffix>)."""
    if partition is None:
        *parents, name = asset_path
        return inside(base, *parents, f"{name}{suffix}")
    *folders, leaf = partition_parts(asset_path[-1], partition)
    return inside(base, *asset_path, *folders, f"{leaf}{suffix}")
