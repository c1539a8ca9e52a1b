"""Bad values never slip through: every number of run config is bounded and finite, and invalid
config never touches earlier outputs (the sampler YAML and its JSON plan are one pair)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import dagster as dg
import pytest
from pydantic import BaseModel

from secassets.definitions import build_resources, defs
from secassets.defs.coverage.coverage_report import CoverageParams
from secassets.defs.edge_cases.enrichment_edge_cases import EdgeCaseParams
from secassets.defs.multimodal.local_pipeline_results import LocalPipelineParams
from secassets.defs.multimodal.multimodal_comparison import ComparisonParams
from secassets.defs.multimodal.multimodal_ground_truth import GroundTruthParams
from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFilesIOManager
from secassets.defs.resources.vision_model import VisionModel
from secassets.defs.sampling.sampler_config import SamplerConfigParams
from secassets.sampling.data_designer import sampler_config_builder
from secassets.sampling.spec import SamplerPlan, SamplerSpec

pytestmark = pytest.mark.integration


def _all_config_classes() -> list[type[BaseModel]]:
    """Every run-config and resource class the package defines, found by walking it (none can be missed)."""
    import importlib
    import inspect
    import pkgutil

    import secassets

    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.walk_packages(secassets.__path__, "secassets."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == info.name and issubclass(obj, dg.Config | dg.ConfigurableResource) and obj.model_fields:
                found[f"{obj.__module__}.{obj.__name__}"] = obj
    return [found[k] for k in sorted(found)]


CONFIGS: list[type[BaseModel]] = _all_config_classes()


def test_the_walk_finds_every_known_config():
    for cls in (SamplerConfigParams, CoverageParams, EdgeCaseParams, GroundTruthParams, LocalPipelineParams,
                ComparisonParams, EmbeddingModel, VisionModel, LlamaServerResource):
        assert cls in CONFIGS


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_every_number_of_run_config_is_bounded_and_finite(cls):
    for name, field in cls.model_fields.items():
        if field.annotation not in (int, float):
            continue
        bounds = {type(m).__name__ for m in field.metadata}
        assert bounds & {"Ge", "Gt"} and bounds & {"Le", "Lt"}, f"{cls.__name__}.{name} has no lower and upper bound"
        if field.annotation is float:
            assert any(getattr(m, "allow_inf_nan", None) is False for m in field.metadata), f"{cls.__name__}.{name} allows inf/nan"


@pytest.mark.parametrize(
    ("cls", "values", "field"),
    [
        (CoverageParams, {"near_duplicate_threshold": math.inf}, "near_duplicate_threshold"),
        (CoverageParams, {"clusters": 0}, "clusters"),
        (EdgeCaseParams, {"rare_pose": -1}, "rare_pose"),
        (GroundTruthParams, {"images_per_category": -2}, "images_per_category"),
        (LocalPipelineParams, {"min_confidence": math.nan}, "min_confidence"),
        (ComparisonParams, {"min_iou_share": 1.5}, "min_iou_share"),
        (SamplerConfigParams, {"seed": -1}, "seed"),
    ],
)
def test_an_out_of_range_value_is_a_failure_naming_the_field(cls, values, field):
    with pytest.raises(dg.Failure) as info:
        cls(**values)
    assert f"{field}: Input should be" in info.value.description and "nothing was written" in info.value.description


def _materialize_sampler(data: Path, **config: object) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("sampler_config"),
        resources=build_resources(str(data), llm=LlamaServerResource(mode="off")),
        run_config={"ops": {"sampler_config": {"config": config}}}, raise_on_error=False,
    )


def _failure(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.user_failure_data.description


@pytest.fixture
def sampler_data(tmp_path: Path) -> tuple[Path, Path, Path, bytes, bytes]:
    data = tmp_path / "data"
    assert _materialize_sampler(data, num_scenarios=50, seed=3).success
    yaml_path, plan_path = data / "sampler_config" / "data_designer_config.yaml", data / "sampler_config.json"
    return data, yaml_path, plan_path, yaml_path.read_bytes(), plan_path.read_bytes()


BAD_WEIGHTS = {"time_of_day": {"morning": 1, "midday": 1, "evening": 1, "night": 1, "late_night": 1}}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"weight_overrides": {"day_type": {"weekday": math.inf, "weekend": 1, "holiday": 1}}}, "weights.day_type: weights must be finite"),
        ({"weight_overrides": {**BAD_WEIGHTS, "day_type": {"weekday": math.nan, "weekend": 1, "holiday": 1}}}, "weights.day_type: weights must be finite"),
        ({"num_scenarios": -5}, "num_scenarios: Input should be greater than or equal to 1"),
        ({"num_scenarios": 10**9}, "num_scenarios: Input should be less than or equal to 100000"),
    ],
    ids=["inf", "nan", "negative", "huge"],
)
def test_invalid_sampler_config_fails_clearly_and_keeps_both_files(sampler_data, config, expected):
    data, yaml_path, plan_path, yaml_before, plan_before = sampler_data
    result = _materialize_sampler(data, **config)
    assert not result.success and expected in _failure(result)
    assert yaml_path.read_bytes() == yaml_before and plan_path.read_bytes() == plan_before
    assert sorted(p.name for p in yaml_path.parent.iterdir()) == ["data_designer_config.yaml"]  # no temp file left


def _load_plan(data: Path) -> SamplerPlan:
    context = dg.build_input_context(asset_key=dg.AssetKey("sampler_config"), dagster_type=dg.DagsterType(
        type_check_fn=lambda _c, _v: True, name="SamplerPlan", typing_type=SamplerPlan))
    return LocalFilesIOManager(data).load_input(context)


def _check_only(data: Path) -> dg.AssetCheckEvaluation:
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.checks_for_assets("sampler_config"),
        resources=build_resources(str(data), llm=LlamaServerResource(mode="off")), raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_a_yaml_from_another_config_is_caught_on_load_and_by_the_check(sampler_data):
    data, yaml_path, _, _, _ = sampler_data
    assert _load_plan(data).spec.seed == 3  # the pair as written loads
    other = SamplerSpec.with_overrides(50, 3, {"day_type": {"weekday": 1, "weekend": 1, "holiday": 1}})
    sampler_config_builder(other).write_config(yaml_path)  # a valid YAML, but not this plan's
    with pytest.raises(dg.Failure, match="belongs to another sampler_config run; re-materialize sampler_config") as exc:
        _load_plan(data)
    assert not exc.value.allow_retries  # the same file fails the same way: no retry policy repeats it
    evaluation = _check_only(data)
    assert not evaluation.passed and "belongs to another sampler_config run" in evaluation.metadata["problems"].value


def test_a_stored_plan_with_non_finite_weights_fails_the_check_with_the_reason(sampler_data):
    data, _, plan_path, _, _ = sampler_data
    plan = json.loads(plan_path.read_text())
    plan["spec"]["weights"]["day_type"]["weekday"] = math.inf  # what the old asset wrote for `.inf`
    plan_path.write_text(json.dumps(plan))  # json writes Infinity, which json.loads reads back
    evaluation = _check_only(data)
    assert not evaluation.passed
    assert "weights.day_type: weights must be finite numbers" in evaluation.metadata["problem"].value
    with pytest.raises(dg.Failure, match="is not a valid SamplerPlan .*weights must be finite"):
        _load_plan(data)
