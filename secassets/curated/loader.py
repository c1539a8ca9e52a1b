"""Find and read curated cases: a folder per case, or one JSONL / parquet table of the same fields.

Every case found comes back, valid or not: a bad file, a missing risk or a vocabulary with no actor
makes that one case invalid with its reason (the field named), never the whole load. Only a root or
table that cannot be read at all raises CuratedSourceError. Cases are sorted by category, then case id.

    <root>/<category>/<case_id>/expected_labels.json      (and, optionally, scenario_spec.json)
    <root>/<group>/<category>/<case_id>/expected_labels.json   (one level of nesting, e.g. external/normal)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from secassets.curated.labels import (
    CATEGORY_FOLDERS,
    CuratedCase,
    ExpectedLabels,
    ScenarioSpec,
    label_category_of,
)
from secassets.curated.mapping import observation_of_labels

LABELS_FILE = "expected_labels.json"
SPEC_FILE = "scenario_spec.json"
TABLE_SUFFIXES = (".jsonl", ".parquet")
_TABLE_KEYS = ("case_id", "category")


class CuratedSourceError(RuntimeError):
    """The curated root or table as a whole cannot be read (not one bad case)."""


class _Invalid(Exception):
    """One case cannot be read; the message is its reason."""


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
    return "; ".join(parts)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc


def _json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise _Invalid(f"{path.name}: cannot be read ({exc.strerror})") from exc
    try:
        value = _parse_json(text)
    except _Invalid as exc:
        raise _Invalid(f"{path.name}: {exc}") from exc
    if not isinstance(value, dict):
        raise _Invalid(f"{path.name}: expected a JSON object, found {type(value).__name__}")
    return value


def _validated(model: type[BaseModel], data: Mapping[str, Any], what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _Invalid(f"{what}: {_validation_reason(exc)}") from exc


def _case(case_id: str, category: str, source: str,
          read: Callable[[], tuple[dict[str, Any], dict[str, Any] | None, str]]) -> CuratedCase:
    """One case from a reader of (labels dict, spec dict or None); every failure becomes the case's reason."""
    label_category = label_category_of(category)
    problems = [] if label_category or not category else [  # no category at all: the reader's reason says so
        f"category {category!r} does not end in {', '.join(CATEGORY_FOLDERS)}"]
    label = observation = None
    notes: list[str] = []
    name = ""
    try:
        data, spec_data, where = read()
        labels: ExpectedLabels = _validated(ExpectedLabels, data, where)
        label = labels.risk
        if spec_data is not None:
            name = _validated(ScenarioSpec, spec_data, SPEC_FILE).name or ""
        try:
            observation, notes = observation_of_labels(labels)
        except ValueError as exc:
            raise _Invalid(str(exc)) from exc
    except _Invalid as exc:
        problems.append(str(exc))
    return CuratedCase(
        case_id=case_id, category=category, label_category=label_category, source_file=source,
        valid=not problems, reason="; ".join(problems), name=name, label=label,
        observation=None if problems else observation, not_available=notes,
    )


def _visible(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if not p.name.startswith("."))


def _subdirs(folder: Path) -> list[Path]:
    return [p for p in _visible(folder.iterdir()) if p.is_dir()]


def _has_files(folder: Path) -> bool:
    return any(p.is_file() for p in _visible(folder.iterdir()))


def _case_folders(root: Path) -> list[tuple[str, Path, bool]]:
    """(category, folder, stray) of every case folder; stray: a category folder holding a labels file itself."""
    found: list[tuple[str, Path, bool]] = []

    def category(name: str, folder: Path) -> None:
        if (folder / LABELS_FILE).is_file():
            found.append((name, folder, True))
        found.extend((name, d, False) for d in _subdirs(folder))

    for top in _subdirs(root):
        if top.name.lower() in CATEGORY_FOLDERS:
            category(top.name, top)
            continue
        for sub in _subdirs(top):
            if _has_files(sub) or not _subdirs(sub):
                found.append((top.name, sub, False))  # a case folder right under a group: the group is its category
            else:
                category(f"{top.name}/{sub.name}", sub)
    return found


def _folder_reader(folder: Path) -> Callable[[], tuple[dict[str, Any], dict[str, Any] | None, str]]:
    def read() -> tuple[dict[str, Any], dict[str, Any] | None, str]:
        if not (folder / LABELS_FILE).is_file():
            raise _Invalid(f"no {LABELS_FILE} in the case folder")
        spec = _json_object(folder / SPEC_FILE) if (folder / SPEC_FILE).is_file() else None
        return _json_object(folder / LABELS_FILE), spec, LABELS_FILE

    return read


def _folder_cases(root: Path) -> list[CuratedCase]:
    root = Path(root)
    if not root.exists():
        raise CuratedSourceError(f"curated root {root} does not exist: create it with normal/, suspicious/ and "
                                 "threats/ case folders, or point the curated root setting at the folder that has them")
    if not root.is_dir():
        raise CuratedSourceError(f"curated root {root} is not a folder: point the curated root setting at the folder "
                                 "that holds normal/, suspicious/ and threats/ (a JSONL or parquet file goes in the "
                                 "table setting)")
    cases = []
    for category, folder, stray in _case_folders(root):
        source = (folder / LABELS_FILE).relative_to(root).as_posix()
        if stray:
            cases.append(CuratedCase(case_id="", category=category, label_category=label_category_of(category),
                                     source_file=source, valid=False,
                                     reason=f"{LABELS_FILE} lies in the category folder itself; put each case in "
                                            "its own folder <category>/<case_id>/"))
        else:
            cases.append(_case(folder.name, category, source, _folder_reader(folder)))
    return cases


def load_folder(root: Path) -> list[CuratedCase]:
    """Every case under root, valid or with its reason, sorted by category then case id."""
    return sorted(_folder_cases(root), key=_order)


def _order(case: CuratedCase) -> tuple[str, str]:
    """Sort key; sorting is stable, so a repeated case id keeps the order it was found in (folder, then lines)."""
    return case.category, case.case_id


def _without_nulls(value: Any) -> Any:
    """A parquet cell without the nulls that schema unification adds to structs (null means not labeled)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _parquet_record(record: dict[str, Any]) -> dict[str, Any]:
    """A parquet row as the JSON object it stands for: nested fields stored as JSON text are decoded."""
    out = {}
    for key, value in record.items():
        if isinstance(value, str) and key not in _TABLE_KEYS and value.lstrip()[:1] in ("{", "["):
            try:
                value = _parse_json(value)
            except _Invalid as exc:
                raise _Invalid(f"column {key!r}: {exc}") from exc
        if value is not None:
            out[key] = _without_nulls(value)
    return out


def _table_records(path: Path) -> list[tuple[str, Any, Any]]:
    """(where, the raw record, the record as a JSON object or the _Invalid met reading it) per line or row."""
    if path.suffix == ".jsonl":
        out: list[tuple[str, Any, Any]] = []
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if line.strip():
                try:
                    record = _parse_json(line)
                    out.append((f"line {n}", record, record))
                except _Invalid as exc:
                    out.append((f"line {n}", None, exc))
        return out
    try:
        rows = pq.read_table(path).to_pylist()
    except (pa.ArrowInvalid, OSError) as exc:
        raise CuratedSourceError(f"curated table {path} is not a readable parquet file ({exc}); fix or re-export "
                                 "it, or leave the table setting empty") from exc
    records: list[tuple[str, Any, Any]] = []
    for n, row in enumerate(rows, start=1):
        try:
            records.append((f"row {n}", row, _parquet_record(row)))
        except _Invalid as exc:
            records.append((f"row {n}", row, exc))
    return records


def _table_cases(path: Path) -> list[CuratedCase]:
    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES or not path.is_file():
        raise CuratedSourceError(f"curated table {path} is not a {' or '.join(TABLE_SUFFIXES)} file: point the "
                                 "table setting at one, or leave it empty to read only the root folder")
    cases = []
    for where, raw, record in _table_records(path):
        source = f"{path.name}:{where.split()[1]}"
        ids = raw if isinstance(raw, dict) else {}
        case_id, category = (ids.get(k) if isinstance(ids.get(k), str) else "" for k in _TABLE_KEYS)

        def read(record: Any = record, where: str = where) -> tuple[dict[str, Any], None, str]:
            if isinstance(record, _Invalid):
                raise _Invalid(f"{where}: {record}")
            if not isinstance(record, dict):
                raise _Invalid(f"{where}: expected a JSON object, found {type(record).__name__}")
            missing = [k for k in _TABLE_KEYS if not isinstance(record.get(k), str) or not record[k]]
            if missing:
                raise _Invalid(f"{where}: {' and '.join(missing)} missing or not text")
            return {k: v for k, v in record.items() if k not in _TABLE_KEYS}, None, where

        cases.append(_case(case_id, category, source, read))
    return cases


def load_table(path: Path) -> list[CuratedCase]:
    """Every line (JSONL) or row (parquet) as a case, valid or with its reason, sorted like load_folder."""
    return sorted(_mark_duplicates(_table_cases(path)), key=_order)


def _mark_duplicates(cases: list[CuratedCase]) -> list[CuratedCase]:
    """Invalidate every case after the first with the same category and case id (listed, not dropped)."""
    first: dict[tuple[str, str], str] = {}
    out = []
    for case in cases:
        key = (case.category, case.case_id)
        if case.case_id and key in first:
            reason = f"duplicate of {first[key]}"
            case = case.model_copy(update={"valid": False, "observation": None,
                                           "reason": f"{case.reason}; {reason}" if case.reason else reason})
        elif case.case_id:
            first[key] = case.source_file
        out.append(case)
    return out


def load_cases(root: Path, table: Path | None = None) -> list[CuratedCase]:
    """The root's cases and the table's (when given) together; a case id repeated in a category is invalid."""
    cases = sorted(_folder_cases(root), key=_order) + (_table_cases(table) if table is not None else [])
    return sorted(_mark_duplicates(cases), key=_order)
