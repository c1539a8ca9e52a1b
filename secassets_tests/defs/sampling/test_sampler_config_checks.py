from pathlib import Path

import pytest
import yaml

from secassets.defs.sampling.sampler_config_checks import sampler_config_marginals
from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerPlan, SamplerSpec
from secassets.storage.files import sha256_file

pytestmark = pytest.mark.integration


def _plan(tmp_path: Path, spec: SamplerSpec) -> SamplerPlan:
    path = write_sampler_yaml(sampler_config_builder(spec), tmp_path / "data_designer_config.yaml")
    return SamplerPlan(spec=spec, data_designer_yaml=str(path), yaml_sha256=sha256_file(path))


def _edit(plan: SamplerPlan, column: str, edit) -> None:
    path = Path(plan.data_designer_yaml)
    doc = yaml.safe_load(path.read_text())
    [col] = [c for c in doc["data_designer"]["columns"] if c["name"] == column]
    edit(col)
    path.write_text(yaml.safe_dump(doc))


def test_passes_on_the_written_config_with_overrides(tmp_path):
    spec = SamplerSpec.with_overrides(100, 7, {"scenario_type": {"normal": 1, "suspicious": 1, "threat": 1, "edge_case": 1}})
    result = sampler_config_marginals(_plan(tmp_path, spec))
    assert result.passed, result.metadata
    assert "| scenario_type | threat | 0.2500 | 0.2500 |" in result.metadata["marginals"].value


def test_fails_when_the_yaml_was_edited_by_hand(tmp_path):
    plan = _plan(tmp_path, SamplerSpec())
    _edit(plan, "day_type", lambda c: c["params"].update(weights=[0.1, 0.1, 0.8]))
    result = sampler_config_marginals(plan)
    assert not result.passed
    assert "day_type.holiday" in result.metadata["problems"].value
    assert "the YAML was edited or belongs to another sampler_config run" in result.metadata["problems"].value


def test_fails_when_a_sampler_is_conditioned_on_the_label(tmp_path):
    plan = _plan(tmp_path, SamplerSpec())
    condition = {"scenario_type == 'threat'": {"values": ["person", "vehicle", "animal", "package"],
                                              "weights": [1.0, 0.0, 0.0, 0.0]}}
    _edit(plan, "primary_object", lambda c: c.update(conditional_params=condition))
    result = sampler_config_marginals(plan)
    assert not result.passed
    assert "['primary_object'] carry conditions" in result.metadata["problem"].value


def test_fails_with_the_reason_when_the_yaml_is_gone(tmp_path):
    plan = _plan(tmp_path, SamplerSpec())
    Path(plan.data_designer_yaml).unlink()
    result = sampler_config_marginals(plan)
    assert not result.passed and "Re-materialize sampler_config" in result.metadata["problem"].value


def test_a_stored_plan_that_does_not_validate_is_a_failed_check_with_the_reason(tmp_path):
    plan = _plan(tmp_path, SamplerSpec()).model_dump(mode="json")
    plan["spec"]["weights"]["day_type"]["weekday"] = float("nan")  # what an older version could store
    result = sampler_config_marginals(plan)
    assert not result.passed
    problem = result.metadata["problem"].value
    assert "weights.day_type: weights must be finite numbers" in problem and "re-materialize sampler_config" in problem
