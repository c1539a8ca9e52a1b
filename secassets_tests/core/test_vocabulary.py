"""One source per vocabulary: the row models, tuples, tables and prompts all read the same names."""

import inspect
import os
from pathlib import Path
from typing import get_args

import pytest

from secassets.core import vocabulary as v
from secassets.core.rows import Detection, JudgeScores, SamplerValues, ScenarioBundle
from secassets.core.schema import JUDGE_COLUMNS
from secassets.risk.bands import SCENARIO_TYPE_BANDS


@pytest.mark.parametrize("column", v.SAMPLER_COLUMNS)
def test_every_sampler_field_validates_exactly_its_vocabulary_in_order(column):
    assert get_args(SamplerValues.model_fields[column].annotation) == v.SAMPLER_VALUES[column]


def test_sampler_fields_follow_the_column_order():
    assert tuple(SamplerValues.model_fields) == v.SAMPLER_COLUMNS
    assert tuple(ScenarioBundle.model_fields)[: len(v.SAMPLER_COLUMNS)] == v.SAMPLER_COLUMNS


def test_object_types_and_generation_modes_are_the_row_models_literals():
    assert get_args(Detection.model_fields["object_type"].annotation) == v.OBJECT_TYPES
    modes = (v.GENERATION_MODE_DETERMINISTIC, v.GENERATION_MODE_LLM, v.GENERATION_MODE_LLM_FAILED)
    assert get_args(ScenarioBundle.model_fields["generation_mode"].annotation) == modes


def test_judge_rubrics_are_the_judge_score_fields_and_columns():
    assert tuple(JudgeScores.model_fields) == v.JUDGE_RUBRICS
    assert JUDGE_COLUMNS == tuple(f"judge_{r}" for r in v.JUDGE_RUBRICS)


def test_tables_keyed_by_a_vocabulary_cover_exactly_it():
    assert set(v.DEFAULT_WEIGHTS) == set(v.SAMPLER_COLUMNS)
    for column, weights in v.DEFAULT_WEIGHTS.items():
        assert tuple(weights) == v.SAMPLER_VALUES[column]
    assert tuple(v.DETECTION_COUNT_RANGE) == v.DETECTION_COUNT
    assert tuple(v.PRIMARY_OBJECT_CLASSES) == v.PRIMARY_OBJECT
    assert tuple(v.ZONE_NAMES) == v.CAMERA_LOCATION
    assert set(SCENARIO_TYPE_BANDS) == set(v.SCENARIO_TYPE)


def test_subsets_name_only_known_values():
    assert set(v.VEHICLE_TYPES) | set(v.ANIMAL_TYPES) < set(v.OBJECT_TYPES)
    assert all(set(classes) <= set(v.OBJECT_TYPES) for classes in v.PRIMARY_OBJECT_CLASSES.values())
    assert v.NIGHT_TIMES <= set(v.TIME_OF_DAY)
    assert v.ENTRY_POINT_CAMERAS <= set(v.CAMERA_LOCATION)


def test_chatml_stop_tokens_are_defined_once_and_used_by_every_model_call():
    from secassets.evaluation.runner import EvaluationSettings
    from secassets.llm.client import LlamaClient

    assert v.CHATML_STOP_TOKENS == ("<|im_end|>", "<|im_start|>")
    assert inspect.signature(LlamaClient.complete).parameters["stop"].default is v.CHATML_STOP_TOKENS
    assert EvaluationSettings().params()["stop"] == list(v.CHATML_STOP_TOKENS)


def test_default_data_dir_is_the_repository_data_folder(monkeypatch):
    monkeypatch.delenv("SECASSETS_DATA_DIR", raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert v.default_data_dir() == repo / "data"
    monkeypatch.setenv("SECASSETS_DATA_DIR", os.fspath(repo / "elsewhere"))
    assert v.default_data_dir() == repo / "elsewhere"
