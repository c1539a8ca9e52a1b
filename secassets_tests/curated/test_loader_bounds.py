"""A curated root is read inside itself and bounded: links out are invalid rows, never read; huge or deep files fail one case."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secassets.curated.loader import CuratedSourceError, load_cases, load_folder, load_table
from secassets.curated.reading import MAX_CASE_FILE_BYTES, MAX_TABLE_BYTES, MAX_TABLE_LINE_CHARS
from secassets_tests.curated.test_loader import GOOD, write_case

MARKER = "OUTSIDE-MARKER-7f3a"
OUT_OF_ROOT = "is a link out of the root; copy the files in"


def _outside(tmp_path: Path) -> Path:
    """A folder beside the root holding a valid-looking case whose scene carries the marker."""
    outside = tmp_path / "outside"
    write_case(outside, "normal", "stolen", labels={**GOOD, "scene": {"location": MARKER, "time_of_day": "night"}})
    (outside / "normal" / "stolen" / "scenario_spec.json").write_text(json.dumps({"name": MARKER}))
    return outside


def build_hostile_root(root: Path, outside: Path) -> None:
    """(a) a linked case folder, (b) a linked labels file, (c) a linked category folder, (d) a labels file over the
    cap, (e) a 200k-deep JSON, (f) a good case; also a linked spec file and a linked group folder."""
    write_case(root, "normal", "good")
    (root / "normal" / "linked_case").symlink_to(outside / "normal" / "stolen", target_is_directory=True)
    write_case(root, "normal", "linked_labels", labels=None)
    (root / "normal" / "linked_labels" / "expected_labels.json").symlink_to(
        outside / "normal" / "stolen" / "expected_labels.json")
    write_case(root, "normal", "linked_spec")
    (root / "normal" / "linked_spec" / "scenario_spec.json").symlink_to(
        outside / "normal" / "stolen" / "scenario_spec.json")
    (root / "threats").symlink_to(outside / "normal", target_is_directory=True)
    (root / "external").mkdir()
    (root / "external" / "normal").symlink_to(outside / "normal", target_is_directory=True)
    huge = write_case(root, "suspicious", "huge", labels=None) / "expected_labels.json"
    with huge.open("wb") as fh:  # sparse: 1.5 GB that costs no disk and must not be read
        fh.truncate(1536 << 20)
    write_case(root, "suspicious", "deep", labels="[" * 200_000)


def _loaded_text(cases) -> str:
    return "\n".join(c.model_dump_json() for c in cases)


def test_links_out_huge_and_deep_files_are_invalid_rows_and_nothing_outside_is_read(tmp_path):
    root = tmp_path / "root"
    build_hostile_root(root, _outside(tmp_path))
    cases = load_folder(root)
    found = {(c.category, c.case_id): (c.source_file, c.valid, c.reason) for c in cases}
    assert found[("normal", "good")] == ("normal/good/expected_labels.json", True, "")
    assert found[("normal", "linked_case")] == ("normal/linked_case", False, f"case folder normal/linked_case {OUT_OF_ROOT}")
    assert found[("normal", "linked_labels")] == (
        "normal/linked_labels/expected_labels.json", False, f"expected_labels.json {OUT_OF_ROOT}")
    assert found[("normal", "linked_spec")][1:] == (False, f"scenario_spec.json {OUT_OF_ROOT}")
    assert found[("threats", "")] == ("threats", False, f"category folder threats {OUT_OF_ROOT}")
    assert found[("external", "normal")] == ("external/normal", False, f"folder external/normal {OUT_OF_ROOT}")
    huge = found[("suspicious", "huge")]
    assert not huge[1] and huge[2] == (f"expected_labels.json: the file has {1536 << 20:,} bytes, more than the "
                                       f"{MAX_CASE_FILE_BYTES:,} allowed; split or shrink it below "
                                       f"{MAX_CASE_FILE_BYTES:,} bytes")
    assert found[("suspicious", "deep")][1:] == (False, "expected_labels.json: refused: JSON nested deeper than 64 levels")
    assert len(cases) == len(found) == 8  # nothing dropped, nothing doubled
    assert [c.case_id for c in cases if c.valid] == ["good"]
    assert MARKER not in _loaded_text(cases)
    assert load_cases(root) == cases


def test_a_link_inside_the_root_is_not_followed_either(tmp_path):
    write_case(tmp_path, "normal", "n1")
    (tmp_path / "normal" / "n2").symlink_to(tmp_path / "normal" / "n1", target_is_directory=True)
    (tmp_path / "README.md").symlink_to("/etc/passwd")  # a linked file where no case file goes: ignored, not read
    n1, n2 = load_folder(tmp_path)
    assert n1.valid and (n2.case_id, n2.valid) == ("n2", False)
    assert n2.reason == "case folder normal/n2 is a link; links are not followed, even inside the root: copy the files in"


def test_a_linked_or_oversized_table_is_refused_before_it_is_read(tmp_path):
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps({"case_id": MARKER, "category": "normal", **GOOD}))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "linked.jsonl").symlink_to(outside)
    with pytest.raises(CuratedSourceError, match=r"linked\.jsonl is a link; copy the file itself in"):
        load_table(tmp_path / "data" / "linked.jsonl")
    big = tmp_path / "data" / "big.parquet"
    with big.open("wb") as fh:
        fh.truncate(MAX_TABLE_BYTES + 1)
    with pytest.raises(CuratedSourceError, match=rf"big\.parquet is refused: the table has {MAX_TABLE_BYTES + 1:,} bytes"):
        load_table(big)


def test_a_long_or_deep_jsonl_line_fails_only_its_case(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join([json.dumps({"case_id": "ok", "category": "normal", **GOOD}),
                               "[" * 200_000, " " * (MAX_TABLE_LINE_CHARS + 1) + "{}"]))
    ok, deep, long = sorted(load_table(path), key=lambda c: c.source_file)
    assert ok.valid and deep.reason == "line 2: refused: JSON nested deeper than 64 levels"
    assert long.reason == f"line 3: {MAX_TABLE_LINE_CHARS + 3:,} characters, more than the {MAX_TABLE_LINE_CHARS:,} " \
                          "allowed for one case"


_LABEL_KEYS = ["detections", "scene", "action", "risk", "face", "pose", "pet", "violence", "license_plate", "class",
               "count", "min_confidence", "min_score", "max_score", "level", "location", "time_of_day"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
        ["person", "car", "dog", "low", "medium", "high", "critical", "night", "front_porch", "loitering"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_LABEL_KEYS) | st.text(max_size=8),
                                                                inner, max_size=6),
    max_leaves=30)
_FILE_CONTENT = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={k: _JSON for k in GOOD}).map(lambda d: json.dumps({**GOOD, **d}).encode()),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=_FILE_CONTENT)
def test_any_labels_file_gives_exactly_one_case_valid_or_with_a_reason(content):
    with tempfile.TemporaryDirectory() as tmp:
        labels = write_case(Path(tmp), "normal", "any", labels=None) / "expected_labels.json"
        labels.write_bytes(content)
        cases = load_folder(Path(tmp))
    assert len(cases) == 1
    case = cases[0]
    assert case.case_id == "any" and case.valid == (case.reason == "")
    assert case.valid or (case.reason and case.observation is None)
