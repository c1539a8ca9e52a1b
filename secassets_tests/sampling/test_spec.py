import pytest
from pydantic import ValidationError

from secassets.core.vocabulary import DEFAULT_WEIGHTS
from secassets.sampling.spec import SamplerSpec


def test_defaults_are_the_configured_weights():
    spec = SamplerSpec()
    assert spec.num_scenarios == 500 and spec.seed == 42
    assert spec.weights["scenario_type"] == pytest.approx(DEFAULT_WEIGHTS["scenario_type"])


def test_weights_are_normalised():
    spec = SamplerSpec.with_overrides(10, 1, {"day_type": {"weekday": 6, "weekend": 3.5, "holiday": 0.5}})
    assert spec.weights["day_type"] == pytest.approx({"weekday": 0.6, "weekend": 0.35, "holiday": 0.05})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day_type": {"weekday": 0, "weekend": 0, "holiday": 0}}, "weights.day_type: weights must sum to a positive value"),
        ({"day_type": {"weekday": 1, "weekend": 1, "holiday": 1, "funday": 1}}, "weights.day_type: unknown categories \\['funday'\\]"),
        ({"day_type": {"weekday": -1, "weekend": 1, "holiday": 1}}, "weights.day_type: weights must not be negative"),
        ({"day_type": {"weekday": 1}}, "weights.day_type: every category needs a weight"),
        ({"colour": {"red": 1}}, "unknown sampler column"),
        ({"day_type": {"weekday": float("inf"), "weekend": 1, "holiday": 1}}, "weights.day_type: weights must be finite numbers"),
        ({"time_of_day": {"morning": float("nan"), "midday": 1, "evening": 1, "night": 1, "late_night": 1}},
         "weights.time_of_day: weights must be finite numbers"),
        ({"day_type": {"weekday": 1e300, "weekend": 1e300, "holiday": 1e300}}, "weights.day_type: weights are relative and at most"),
    ],
)
def test_bad_weights_name_the_field(overrides, message):
    with pytest.raises(ValidationError, match=message):
        SamplerSpec.with_overrides(10, 1, overrides)


def test_negative_counts_rejected():
    with pytest.raises(ValidationError, match="num_scenarios"):
        SamplerSpec.with_overrides(-5, 1, None)


def test_any_animal_share_is_allowed_now_that_samplers_are_independent():
    spec = SamplerSpec.with_overrides(10, 1, {"primary_object": {"person": 0.1, "vehicle": 0.1, "animal": 0.7, "package": 0.1}})
    assert spec.weights["primary_object"]["animal"] == pytest.approx(0.7)
