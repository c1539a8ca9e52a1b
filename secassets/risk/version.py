"""RUBRIC_VERSION: a content hash of the rubric's published tables, so results judged under another rubric show it.

The tables are every UPPER_CASE constant (numbers, strings, dicts, tuples, sets, and the dataclass and
Pydantic rows they hold) of secassets.risk.rubric (its points, floors, widths and the thresholds it
imports), secassets.risk.cues (CUE_RULES and the cue lists) and secassets.risk.bands (level bounds,
alert threshold, scenario-type bands). The modules' globals are read, so a new constant is hashed
without a list to keep; any change to a point, floor, threshold or cue rule gives a new version and
nothing needs a hand bump. Keys are sorted and sets ordered, so the version is the same in every process.
The code of `assess` is not hashed: a change to how the tables are applied needs a table change too.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from types import ModuleType
from typing import Any, Final

from pydantic import BaseModel

from secassets.risk import bands, cues, rubric

HASHED_MODULES: Final[tuple[ModuleType, ...]] = (rubric, cues, bands)
_TABLE_TYPES: Final = (bool, int, float, str, dict, tuple, list, frozenset, set)


def _plain(value: Any) -> Any:
    """The value as JSON-ready data with a fixed order (dataclass and Pydantic rows by field, sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    raise TypeError(f"rubric table value of type {type(value).__name__} cannot be hashed")


def is_table(name: str, value: Any) -> bool:
    """Whether a module global is a published table: an UPPER_CASE constant holding data."""
    return name.isupper() and not name.startswith("_") and isinstance(value, _TABLE_TYPES)


def rubric_tables(modules: tuple[ModuleType, ...] = HASHED_MODULES) -> dict[str, dict[str, Any]]:
    """{module: {constant: value}} of every published table, JSON-ready."""
    return {m.__name__: {name: _plain(v) for name, v in sorted(vars(m).items()) if is_table(name, v)} for m in modules}


def rubric_version(tables: dict[str, dict[str, Any]] | None = None) -> str:
    """12 hex digits of the SHA-256 of the tables' canonical JSON (the current tables by default)."""
    payload = json.dumps(rubric_tables() if tables is None else tables, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


RUBRIC_VERSION: Final = rubric_version()
