import pandas as pd

from secassets.coverage.distribution import sampler_fit


def test_fit_passes_on_matching_counts_and_fails_on_skew():
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    good = pd.Series(["a"] * 500 + ["b"] * 300 + ["c"] * 200, name="x")
    bad = pd.Series(["a"] * 900 + ["b"] * 50 + ["c"] * 50, name="x")
    assert sampler_fit(good, weights).p_value > 0.99
    assert sampler_fit(bad, weights).p_value < 1e-6


def test_zero_weight_or_unknown_category_observed_fails():
    fit = sampler_fit(pd.Series(["a", "b", "z"], name="x"), {"a": 0.5, "b": 0.5, "c": 0.0})
    assert fit.impossible == {"z": 1}
    assert fit.p_value == 0.0
