import pandas as pd

from secassets.statistics import sampler_fit


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


def test_stratified_sample_keeps_every_stratum_and_is_seeded():
    from secassets.statistics import stratified_sample

    df = pd.DataFrame({"t": ["a"] * 80 + ["b"] * 15 + ["c"] * 5})
    picked = stratified_sample(df, 10, "t", seed=1)
    assert len(picked) == 10
    counts = df.loc[picked, "t"].value_counts().to_dict()
    assert counts == {"a": 8, "b": 1, "c": 1} or counts == {"a": 7, "b": 2, "c": 1}
    assert list(picked) == list(stratified_sample(df, 10, "t", seed=1))
    assert list(picked) != list(stratified_sample(df, 10, "t", seed=2))
