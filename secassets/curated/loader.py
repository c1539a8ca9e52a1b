"""Find and read curated cases: a folder per case, or one JSONL / parquet table of the same fields.

Every case found comes back, valid or not: a bad file, a missing risk or a vocabulary with no actor
makes that one case invalid with its reason (the field named), never the whole load. A linked folder
or file is never entered or read (its case is invalid: "... is a link out of the root; copy the files
in"), and every file is size- and depth-bounded (secassets.curated.reading). Only a root or table that
cannot be read at all raises CuratedSourceError. Cases are sorted by category, then case id.

    <root>/<category>/<case_id>/expected_labels.json      (and, optionally, scenario_spec.json)
    <root>/<group>/<category>/<case_id>/expected_labels.json   (one level of nesting, e.g. external/normal)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from secassets.curated.labels import (
    CATEGORY_FOLDERS,
    CuratedCase,
    ExpectedLabels,
    ScenarioSpec,
    label_category_of,
)
from secassets.curated.mapping import observation_of_labels
from secassets.curated.open_vocabulary import VocabularyMatcher
from secassets.curated.reading import (
    CaseInvalid,
    CuratedSourceError,
    entry_kind,
    json_object,
    jsonl_lines,
    link_reason,
    parquet_rows,
    parse_json,
    scan,
)

LABELS_FILE = "expected_labels.json"
SPEC_FILE = "scenario_spec.json"
TABLE_SUFFIXES = (".jsonl", ".parquet")
_TABLE_KEYS = ("case_id", "category")
_STRAY = f"{LABELS_FILE} lies in the category folder itself; put each case in its own folder <category>/<case_id>/"


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
    return "; ".join(parts)


def _validated(model: type[BaseModel], data: Mapping[str, Any], what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CaseInvalid(f"{what}: {_validation_reason(exc)}") from exc


def _case(case_id: str, category: str, source: str,
          read: Callable[[], tuple[dict[str, Any], dict[str, Any] | None, str]],
          matcher: VocabularyMatcher | None) -> CuratedCase:
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
            observation, notes = observation_of_labels(labels, matcher)
        except ValueError as exc:
            raise CaseInvalid(str(exc)) from exc
    except CaseInvalid as exc:
        problems.append(str(exc))
    return CuratedCase(
        case_id=case_id, category=category, label_category=label_category, source_file=source,
        valid=not problems, reason="; ".join(problems), name=name, label=label,
        observation=None if problems else observation, not_available=notes,
    )


_Found = tuple[str, str, Path, str]  # (category, case id, path, problem: "" for a case folder to read)


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _case_folders(root: Path) -> list[_Found]:
    """Every case folder under root, and an entry with its problem for each labels file lying in a category folder
    itself, each link where a folder would be (never entered, wherever it points) and each folder that cannot be listed."""
    found: list[_Found] = []

    def listing(category: str, case_id: str, folder: Path) -> tuple[list[Path], list[Path], bool] | None:
        try:
            return scan(root, folder)
        except OSError as exc:
            found.append((category, case_id, folder, f"{_rel(root, folder)} cannot be listed ({exc.strerror})"))
            return None

    def linked(category: str, links: list[Path], what: str, case_ids: bool = True) -> None:
        found.extend((category, link.name if case_ids else "", link,
                      link_reason(root, link, f"{what} {_rel(root, link)}")) for link in links)

    def category(name: str, folder: Path) -> None:
        if entry_kind(folder / LABELS_FILE) in ("file", "link"):
            found.append((name, "", folder / LABELS_FILE, _STRAY))
        if (listed := listing(name, "", folder)) is not None:
            found.extend((name, d.name, d, "") for d in listed[0])
            linked(name, listed[1], "case folder")

    try:
        tops, top_links, _ = scan(root, root)
    except OSError as exc:
        raise CuratedSourceError(f"curated root {root} cannot be listed ({exc.strerror}): make it readable, or point "
                                 "the curated root setting at a folder that is") from None
    for top in top_links:
        linked(top.name, [top], "category folder", case_ids=False)
    for top in tops:
        if top.name.lower() in CATEGORY_FOLDERS:
            category(top.name, top)
            continue
        if (listed := listing(top.name, "", top)) is None:
            continue
        for sub in listed[0]:
            if (inner := listing(top.name, sub.name, sub)) is None:
                continue
            if inner[2] or not (inner[0] or inner[1]):
                found.append((top.name, sub.name, sub, ""))  # a case folder right under a group: the group is its category
            else:
                category(f"{top.name}/{sub.name}", sub)
        linked(top.name, listed[1], "folder")
    return found


def _folder_reader(root: Path, folder: Path) -> Callable[[], tuple[dict[str, Any], dict[str, Any] | None, str]]:
    def read() -> tuple[dict[str, Any], dict[str, Any] | None, str]:
        if entry_kind(folder / LABELS_FILE) in ("missing", "dir"):
            raise CaseInvalid(f"no {LABELS_FILE} in the case folder")
        spec = None if entry_kind(folder / SPEC_FILE) in ("missing", "dir") else json_object(root, folder / SPEC_FILE)
        return json_object(root, folder / LABELS_FILE), spec, LABELS_FILE

    return read


def _folder_cases(root: Path, matcher: VocabularyMatcher | None = None) -> list[CuratedCase]:
    root = Path(root)
    if not root.exists():
        raise CuratedSourceError(f"curated root {root} does not exist: create it with normal/, suspicious/ and "
                                 "threats/ case folders, or point the curated root setting at the folder that has them")
    if not root.is_dir():
        raise CuratedSourceError(f"curated root {root} is not a folder: point the curated root setting at the folder "
                                 "that holds normal/, suspicious/ and threats/ (a JSONL or parquet file goes in the "
                                 "table setting)")
    cases = []
    for category, case_id, path, problem in _case_folders(root):
        if problem:
            cases.append(CuratedCase(case_id=case_id, category=category, label_category=label_category_of(category),
                                     source_file=_rel(root, path), valid=False, reason=problem))
        else:
            cases.append(_case(case_id, category, _rel(root, path / LABELS_FILE), _folder_reader(root, path), matcher))
    return cases


def load_folder(root: Path, matcher: VocabularyMatcher | None = None) -> list[CuratedCase]:
    """Every case under root, valid or with its reason, sorted by category then case id (matcher: how labels the
    exact tables miss are read; default the exact tables alone)."""
    return sorted(_folder_cases(root, matcher), key=_order)


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
                value = parse_json(value)
            except CaseInvalid as exc:
                raise CaseInvalid(f"column {key!r}: {exc}") from exc
        if value is not None:
            out[key] = _without_nulls(value)
    return out


def _table_records(path: Path) -> list[tuple[str, Any, Any]]:
    """(where, the raw record, the record as a JSON object or the CaseInvalid met reading it) per line or row."""
    out: list[tuple[str, Any, Any]] = []
    if path.suffix == ".jsonl":
        for n, line in jsonl_lines(path):
            try:
                if isinstance(line, CaseInvalid):
                    raise line
                record = parse_json(line)
                out.append((f"line {n}", record, record))
            except CaseInvalid as exc:
                out.append((f"line {n}", None, exc))
        return out
    for n, row in enumerate(parquet_rows(path), start=1):
        try:
            out.append((f"row {n}", row, _parquet_record(row)))
        except CaseInvalid as exc:
            out.append((f"row {n}", row, exc))
    return out


def _table_cases(path: Path, matcher: VocabularyMatcher | None = None) -> list[CuratedCase]:
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
            if isinstance(record, CaseInvalid):
                raise CaseInvalid(f"{where}: {record}")
            if not isinstance(record, dict):
                raise CaseInvalid(f"{where}: expected a JSON object, found {type(record).__name__}")
            missing = [k for k in _TABLE_KEYS if not isinstance(record.get(k), str) or not record[k]]
            if missing:
                raise CaseInvalid(f"{where}: {' and '.join(missing)} missing or not text")
            return {k: v for k, v in record.items() if k not in _TABLE_KEYS}, None, where

        cases.append(_case(case_id, category, source, read, matcher))
    return cases


def load_table(path: Path, matcher: VocabularyMatcher | None = None) -> list[CuratedCase]:
    """Every line (JSONL) or row (parquet) as a case, valid or with its reason, sorted like load_folder."""
    return sorted(_mark_duplicates(_table_cases(path, matcher)), key=_order)


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


def load_cases(root: Path, table: Path | None = None, matcher: VocabularyMatcher | None = None) -> list[CuratedCase]:
    """The root's cases and the table's (when given) together; a case id repeated in a category is invalid."""
    cases = sorted(_folder_cases(root, matcher), key=_order) + (_table_cases(table, matcher) if table is not None else [])
    return sorted(_mark_duplicates(cases), key=_order)
