"""Loading curated folders and tables: every case found comes back, valid or listed with its reason."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from secassets.curated.loader import CuratedSourceError, load_cases, load_folder, load_table

RISK = {"min_score": 30, "max_score": 55, "level": "medium"}
GOOD = {"detections": [{"class": "person", "count": 1, "min_confidence": 0.7}],
        "scene": {"location": "side_yard", "time_of_day": "night"}, "action": {"action": "loitering"}, "risk": RISK}


def write_case(root: Path, category: str, case_id: str, labels: object | None = GOOD, spec: object | None = None) -> Path:
    folder = root / category / case_id
    folder.mkdir(parents=True)
    if labels is not None:
        text = labels if isinstance(labels, str) else json.dumps(labels)
        (folder / "expected_labels.json").write_text(text, encoding="utf-8")
    if spec is not None:
        (folder / "scenario_spec.json").write_text(spec if isinstance(spec, str) else json.dumps(spec), encoding="utf-8")
    return folder


def only(cases):
    assert len(cases) == 1, cases
    return cases[0]


def test_a_good_case(tmp_path):
    write_case(tmp_path, "suspicious", "s1", spec={"id": "s1", "name": "Loiterer at the side gate", "extra": [1]})
    case = only(load_folder(tmp_path))
    assert (case.case_id, case.category, case.label_category, case.source_file) == (
        "s1", "suspicious", "suspicious", "suspicious/s1/expected_labels.json")
    assert case.valid and case.reason == "" and case.name == "Loiterer at the side gate"
    assert case.label.level == "medium" and (case.label.min_score, case.label.max_score) == (30, 55)
    assert case.observation.zone == "side_gate" and case.observation.cues == {"loitering"}
    assert case.not_available == []


def test_malformed_json(tmp_path):
    write_case(tmp_path, "normal", "n1", labels='{"risk": {"min_score": 0,,}')
    case = only(load_folder(tmp_path))
    assert not case.valid and case.label is None and case.observation is None
    assert case.reason == "expected_labels.json: malformed JSON (Expecting property name enclosed in double quotes at " \
                          "line 1 column 26)"


@pytest.mark.parametrize(("labels", "reason"), [
    ({k: v for k, v in GOOD.items() if k != "risk"}, "expected_labels.json: risk: Field required"),
    ({**GOOD, "risk": {"min_score": 60, "max_score": 40, "level": "high"}},
     "expected_labels.json: risk: Value error, min_score 60 is above max_score 40"),
    ({**GOOD, "risk": {**RISK, "level": "severe"}}, ("expected_labels.json: risk.level: Input should be 'low', 'medium', "
                                                     "'high' or 'critical'")),
    ({**GOOD, "detections": [{"class": "person", "count": "a dozen or so"}]},
     ("expected_labels.json: detections[0].count: Value error, count 'a dozen or so' is not a number, a range like 2-3, "
     "N+ or a word like several")),
    ({**GOOD, "detections": [{"count": 1}]}, "expected_labels.json: detections[0].class: Field required"),
    ({**GOOD, "scene": "driveway"}, ("expected_labels.json: scene: Input should be a valid dictionary or instance of "
                                    "SceneLabel")),
    ([GOOD], "expected_labels.json: expected a JSON object, found list"),
    ({**GOOD, "detections": [{"class": "umbrella"}]},
     "no detection maps to a person, vehicle or animal (detections: 'umbrella')"),
])
def test_bad_labels_make_the_case_invalid_with_the_field(tmp_path, labels, reason):
    write_case(tmp_path, "threats", "t1", labels=labels)
    case = only(load_folder(tmp_path))
    assert not case.valid and case.reason == reason and case.observation is None


def test_the_label_is_kept_when_only_the_mapping_fails(tmp_path):
    write_case(tmp_path, "normal", "n1", labels={**GOOD, "detections": [{"class": "bench"}]})
    case = only(load_folder(tmp_path))
    assert not case.valid and case.label is not None and case.label.level == "medium"


def test_unknown_vocabulary_stays_valid_with_notes(tmp_path):
    write_case(tmp_path, "normal", "n1", labels={**GOOD, "detections": [{"class": "person"}, {"class": "hoverboard"}],
                                                 "scene": {"location": "street_view", "time_of_day": "dawn"},
                                                 "ocr": {"text": "ABC"}, "clothing": ["hood"]})
    case = only(load_folder(tmp_path))
    assert case.valid and case.observation.zone is None and case.observation.time_of_day == "morning"
    assert case.not_available == ["detections.class 'hoverboard' is not in the object class table",
                                  "scene.location 'street_view' is not a camera zone we know",
                                  "clothing.items 'hood' is not a clothing item we know",
                                  "ocr: not used by the rubric"]


def test_a_cue_no_actor_in_view_can_show_is_left_out_with_a_note(tmp_path):
    write_case(tmp_path, "threats", "t1", labels={**GOOD, "detections": [{"class": "car"}]})
    case = only(load_folder(tmp_path))
    assert case.valid and "loitering" not in case.observation.cues
    assert "cue loitering needs person in view: not used" in case.not_available


def test_nested_categories_and_folders_without_labels(tmp_path):
    write_case(tmp_path, "external/normal", "e1")
    write_case(tmp_path, "external/threat", "e2")
    write_case(tmp_path, "threats", "t1")
    write_case(tmp_path, "normal", "empty", labels=None)
    write_case(tmp_path, "external", "loose")  # a case folder right under a group: the group is its category
    write_case(tmp_path, "misc", "m1")
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / ".hidden" / "x").mkdir(parents=True)
    cases = load_folder(tmp_path)
    found = [(c.category, c.case_id, c.label_category, c.valid, c.reason) for c in cases]
    assert found == [
        ("external", "loose", None, False, "category 'external' does not end in normal, suspicious, threat, threats"),
        ("external/normal", "e1", "normal", True, ""),
        ("external/threat", "e2", "threat", True, ""),
        ("misc", "m1", None, False, "category 'misc' does not end in normal, suspicious, threat, threats"),
        ("normal", "empty", "normal", False, "no expected_labels.json in the case folder"),
        ("threats", "t1", "threat", True, ""),
    ]
    assert cases[4].source_file == "normal/empty/expected_labels.json"


def test_labels_file_in_a_category_folder_is_listed(tmp_path):
    write_case(tmp_path, "normal", "n1")
    (tmp_path / "normal" / "expected_labels.json").write_text(json.dumps(GOOD))
    stray = load_folder(tmp_path)[0]
    assert (stray.case_id, stray.source_file, stray.valid) == ("", "normal/expected_labels.json", False)
    assert "lies in the category folder itself" in stray.reason


def test_malformed_spec_makes_the_case_invalid(tmp_path):
    write_case(tmp_path, "normal", "n1", spec="{not json")
    write_case(tmp_path, "normal", "n2", spec={"name": ["a list"]})
    first, second = load_folder(tmp_path)
    assert first.reason.startswith("scenario_spec.json: malformed JSON")
    assert second.reason == "scenario_spec.json: name: Input should be a valid string"


def test_undecodable_file(tmp_path):
    write_case(tmp_path, "normal", "n1", labels=None)
    (tmp_path / "normal" / "n1" / "expected_labels.json").write_bytes(b"\xff\xfe{}")
    assert only(load_folder(tmp_path)).reason.startswith("expected_labels.json: not UTF-8 text")


def test_missing_or_file_root_is_a_source_error(tmp_path):
    with pytest.raises(CuratedSourceError, match=r"curated root .*nowhere does not exist: create it"):
        load_folder(tmp_path / "nowhere")
    (tmp_path / "cases.jsonl").write_text("")
    with pytest.raises(CuratedSourceError, match=r"is not a folder: point the curated root setting"):
        load_folder(tmp_path / "cases.jsonl")
    with pytest.raises(CuratedSourceError, match=r"is not a \.jsonl or \.parquet file"):
        load_table(tmp_path / "cases.csv")


def test_an_empty_root_has_no_cases(tmp_path):
    assert load_folder(tmp_path) == []


def test_jsonl_table_with_bad_lines(tmp_path):
    path = tmp_path / "labels.jsonl"
    lines = [json.dumps({"case_id": "b", "category": "threats", **GOOD}), "",
             json.dumps({"case_id": "a", "category": "normal", **GOOD}),
             '{"case_id": "c", "category": "normal",',
             json.dumps({"category": "normal", **GOOD}),
             json.dumps({"case_id": "d", "category": "normal", "detections": GOOD["detections"]}),
             json.dumps({"case_id": "a", "category": "normal", **GOOD}),
             "[1, 2]"]
    path.write_text("\n".join(lines) + "\n")
    cases = load_table(path)
    assert [(c.category, c.case_id, c.source_file) for c in cases] == [
        ("", "", "labels.jsonl:4"), ("", "", "labels.jsonl:8"), ("normal", "", "labels.jsonl:5"),
        ("normal", "a", "labels.jsonl:3"), ("normal", "a", "labels.jsonl:7"), ("normal", "d", "labels.jsonl:6"),
        ("threats", "b", "labels.jsonl:1")]
    reasons = {c.source_file: c.reason for c in cases}
    assert reasons == {
        "labels.jsonl:1": "", "labels.jsonl:3": "",
        "labels.jsonl:4": "line 4: malformed JSON (Expecting property name enclosed in double quotes at line 1 "
                          "column 39)",
        "labels.jsonl:5": "line 5: case_id missing or not text",
        "labels.jsonl:6": "line 6: risk: Field required",
        "labels.jsonl:7": "duplicate of labels.jsonl:3",
        "labels.jsonl:8": "line 8: expected a JSON object, found list",
    }
    assert [c.case_id for c in cases if c.valid] == ["a", "b"]


def test_parquet_table_with_json_text_and_struct_columns(tmp_path):
    rows = [
        {"case_id": "j", "category": "normal", "detections": json.dumps(GOOD["detections"]),
         "scene": json.dumps(GOOD["scene"]), "risk": json.dumps(RISK)},
        {"case_id": "bad", "category": "normal", "detections": "[{", "scene": None, "risk": json.dumps(RISK)},
        {"case_id": "norisk", "category": "threats", "detections": json.dumps(GOOD["detections"]), "scene": None,
         "risk": None},
    ]
    text_path = tmp_path / "text.parquet"
    pd.DataFrame(rows).to_parquet(text_path)
    found = {c.case_id: (c.source_file, c.valid, c.reason) for c in load_table(text_path)}
    assert found["j"] == ("text.parquet:1", True, "")
    assert found["bad"][1:] == (False, ("row 2: column 'detections': malformed JSON (Expecting property name enclosed in "
                                       "double quotes at line 1 column 3)"))
    assert found["norisk"][1:] == (False, "row 3: risk: Field required")

    structs = pa.Table.from_pylist([  # schema unification fills absent struct fields with nulls
        {"case_id": "s1", "category": "external/normal", "detections": [{"class": "dog", "count": 2}],
         "risk": {"min_score": 0, "max_score": 20, "level": "low"}, "scene": {"location": "garden"}},
        {"case_id": "s2", "category": "threat", "detections": [{"class": "person", "min_confidence": 0.4}],
         "risk": {"min_score": 70, "max_score": 100, "level": "high"}, "scene": {"time_of_day": "dusk"}},
    ])
    struct_path = tmp_path / "structs.parquet"
    pq.write_table(structs, struct_path)
    s1, s2 = load_table(struct_path)
    assert s1.valid and s1.observation.objects[0].count == 2 and s1.observation.zone == "backyard"
    assert s2.valid and s2.observation.objects[0].count == 1 and s2.observation.time_of_day == "evening"


def test_unreadable_parquet_is_a_source_error(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(CuratedSourceError, match=r"is not a readable parquet file .* leave the table setting empty"):
        load_table(path)


def test_load_cases_joins_folder_and_table(tmp_path):
    root = tmp_path / "root"
    write_case(root, "normal", "n1")
    table = tmp_path / "more.jsonl"
    table.write_text("\n".join(json.dumps({"case_id": cid, "category": "normal", **GOOD}) for cid in ("n1", "n2")))
    cases = load_cases(root, table)
    assert [(c.case_id, c.source_file, c.valid) for c in cases] == [
        ("n1", "normal/n1/expected_labels.json", True), ("n1", "more.jsonl:1", False), ("n2", "more.jsonl:2", True)]
    assert cases[1].reason == "duplicate of normal/n1/expected_labels.json"
    assert load_cases(root) == load_folder(root)


def test_300_cases_with_malformed_ones_load_fast_and_every_case_is_accounted_for(tmp_path):
    rng = random.Random(7)
    broken: set[str] = set()
    breakers = [
        lambda: "{ not json",
        lambda: {k: v for k, v in GOOD.items() if k != "risk"},
        lambda: {**GOOD, "detections": [{"class": "kite"}]},
        lambda: {**GOOD, "risk": {**RISK, "min_score": -5}},
        lambda: None,  # no expected_labels.json
    ]
    for i in range(300):
        category = rng.choice(["normal", "suspicious", "threats", "external/normal", "external/threat"])
        case_id = f"case_{i:03d}"
        if i % 7 == 0:
            write_case(tmp_path, category, case_id, labels=breakers[i % len(breakers)]())
            broken.add(case_id)
        else:
            labels = {**GOOD, "scene": {"location": rng.choice(["front_porch", "street_view", "garage", "moon"]),
                                        "time_of_day": rng.choice(["dawn", "varies", "night", "teatime"])}}
            write_case(tmp_path, category, case_id, labels=labels)
    start = time.perf_counter()
    cases = load_folder(tmp_path)
    elapsed = time.perf_counter() - start
    assert len(cases) == 300 and elapsed < 3.0
    assert {c.case_id for c in cases if not c.valid} == broken
    assert all(c.valid == (c.reason == "") for c in cases)
    assert all(c.reason for c in cases if not c.valid)
    assert cases == sorted(cases, key=lambda c: (c.category, c.case_id))
    assert load_folder(tmp_path) == cases  # deterministic
