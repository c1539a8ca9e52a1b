"""Curated cases as evaluation rows: what the case states and nothing more, in every template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from secassets.core.content import observation_of_row
from secassets.core.vocabulary import CURATED_EXAMPLES_DIR
from secassets.curated.loader import load_folder
from secassets.curated.rows import CASE_COLUMNS, cases_frame, cases_of_frame, evaluation_rows
from secassets.evaluation.ceilings import calibrate, ceiling_flags
from secassets.evaluation.runner import evaluation_set
from secassets.evaluation.template_files import builtin_templates
from secassets.evaluation.templates import NOT_AVAILABLE
from secassets_tests.curated.test_loader import write_case
from secassets_tests.generated_rows import default_rows

SCENE_AND_DETECTIONS = {
    "detections": [{"class": "person", "count": 2}, {"class": "car"}],
    "scene": {"location": "driveway_gate", "time_of_day": "dusk"},
    "risk": {"min_score": 20, "max_score": 45, "level": "medium"},
}


def _frame(root: Path) -> pd.DataFrame:
    return cases_frame(load_folder(root))


def test_a_case_with_only_scene_and_detections_renders_in_every_template_without_a_placeholder(tmp_path):
    write_case(tmp_path, "suspicious", "only_scene", labels=SCENE_AND_DETECTIONS)
    [row] = evaluation_rows(_frame(tmp_path)).to_dict("records")
    for template in builtin_templates().values():
        prompt = template.render(row)
        for invented in ("None", "nan", "t=", "box x=", "confidence", "{", "weekday", "baseline of"):
            assert invented not in template.user_prompt(row), (template.name, invented)
        assert "2 x person" in prompt and "driveway" in prompt and "evening" in prompt
        assert "Zone: driveway, not an entry point" in prompt or "Zone" not in prompt
        if "detection_attributes" in template.inputs:
            assert f"Per-detection attributes: {NOT_AVAILABLE}" in prompt  # no action stated: unknown, not "none seen"


def test_unknown_zone_and_time_render_not_available(tmp_path):
    labels = {**SCENE_AND_DETECTIONS, "scene": {"location": "street_view", "time_of_day": "varies"}}
    write_case(tmp_path, "normal", "street", labels=labels)
    [row] = evaluation_rows(_frame(tmp_path)).to_dict("records")
    prompt = builtin_templates()["basic"].user_prompt(row)
    assert f"Camera: {NOT_AVAILABLE}" in prompt and f"Time: {NOT_AVAILABLE}" in prompt
    assert observation_of_row(row).zone is None and observation_of_row(row).time_of_day is None


def test_truth_is_the_human_label_and_the_row_reads_its_observation(tmp_path):
    write_case(tmp_path, "threats", "t1", labels={
        "detections": [{"class": "person"}], "action": {"action": "breaking_in"},
        "scene": {"location": "front_porch", "time_of_day": "night"}, "risk": {"min_score": 70, "max_score": 100, "level": "high"}})
    frame = _frame(tmp_path)
    [row] = evaluation_rows(frame).to_dict("records")
    truth = json.loads(row["ground_truth"])
    assert truth["risk_range"] == {"low": 70, "high": 100} and truth["level"] == "high" and truth["should_trigger_alert"]
    assert row["source"] == "curated" and row["scenario_type"] == "threat"
    assert observation_of_row(row).cues == {"forcing_entry"}
    assert "forcing" in builtin_templates()["vision"].user_prompt(row)  # the labeled action reaches the templates that show actions
    assert "forcing" not in builtin_templates()["basic"].user_prompt(row)


def test_a_curated_truth_records_the_rubric_version_and_its_hash_does_not_depend_on_it(tmp_path, monkeypatch):
    from secassets.curated import rows
    from secassets.risk.version import RUBRIC_VERSION

    write_case(tmp_path, "normal", "good", labels=SCENE_AND_DETECTIONS)
    frame = _frame(tmp_path)
    [row] = evaluation_rows(frame).to_dict("records")
    assert json.loads(row["ground_truth"])["rubric_version"] == RUBRIC_VERSION
    truth = rows._truth
    monkeypatch.setattr(rows, "_truth", lambda *a: truth(*a).model_copy(update={"rubric_version": "0123456789ab"}))
    [again] = evaluation_rows(frame).to_dict("records")
    assert json.loads(again["ground_truth"])["rubric_version"] == "0123456789ab"
    assert again["scenario_hash"] == row["scenario_hash"]  # the case is the same case under another rubric


def test_the_output_reads_back_as_the_same_cases(tmp_path):
    write_case(tmp_path, "normal", "good", labels=SCENE_AND_DETECTIONS)
    write_case(tmp_path, "normal", "bad", labels='{"risk": ')
    cases = load_folder(tmp_path)
    frame = cases_frame(cases)
    assert list(frame.columns) == list(CASE_COLUMNS) and frame["valid"].tolist() == [False, True]
    assert cases_of_frame(frame) == cases


def test_curated_rows_join_the_evaluation_set_stratified_and_get_ceiling_and_chance():
    scenarios = default_rows()
    curated = evaluation_rows(cases_frame(load_folder(CURATED_EXAMPLES_DIR)))
    rows = evaluation_set(scenarios, None, 10, seed=3, curated=curated, curated_size=6)
    picked = rows[rows["source"] == "curated"]
    assert len(picked) == 6 and picked["scenario_type"].value_counts().to_dict() == {"normal": 2, "suspicious": 2, "threat": 2}
    assert len(rows[rows["source"] == "scenario"]) == 10
    template = builtin_templates()["model_zoo"]
    calibration = calibrate(scenarios, template)
    for row in picked.to_dict("records"):
        flags = ceiling_flags(row, template, calibration)
        assert set(flags) >= {"ceiling_in_range", "chance_in_range"}
    with pytest.raises(ValueError, match="curated_size"):
        evaluation_set(scenarios, None, 10, seed=3, curated=curated, curated_size=-1)


def test_the_output_does_not_depend_on_the_process_hash_seed():
    """Cues are a set: stored observations must list them in one order whatever the process's hash seed."""
    code = ("import hashlib; from secassets.core.vocabulary import CURATED_EXAMPLES_DIR; "
            "from secassets.curated.loader import load_folder; from secassets.curated.rows import cases_frame; "
            "print(hashlib.sha256(cases_frame(load_folder(CURATED_EXAMPLES_DIR)).to_json().encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(digests) == 1
