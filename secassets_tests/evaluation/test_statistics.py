import pandas as pd
import pytest

from secassets.evaluation.statistics import bootstrap_ci, mcnemar_p, stratified_sample, wilcoxon_p


def test_stratified_sample_keeps_every_stratum_and_is_seeded():
    df = pd.DataFrame({"t": ["a"] * 80 + ["b"] * 15 + ["c"] * 5})
    picked = stratified_sample(df, 10, "t", seed=1)
    assert len(picked) == 10
    counts = df.loc[picked, "t"].value_counts().to_dict()
    assert counts == {"a": 8, "b": 1, "c": 1} or counts == {"a": 7, "b": 2, "c": 1}
    assert list(picked) == list(stratified_sample(df, 10, "t", seed=1))
    assert list(picked) != list(stratified_sample(df, 10, "t", seed=2))


def test_bootstrap_ci_brackets_the_mean_and_is_seeded():
    values = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
    est = bootstrap_ci(values, seed=1)
    assert est.mean == pytest.approx(0.7) and est.low < 0.7 < est.high and est.n == 10
    assert est == bootstrap_ci(values, seed=1)


def test_paired_tests():
    a = [True] * 20
    b = [True] * 2 + [False] * 18
    assert mcnemar_p(a, b) < 1e-4
    assert mcnemar_p(a, a) == 1.0
    assert wilcoxon_p([0.0] * 10, [0.0] * 10) == 1.0
    assert wilcoxon_p([0.0] * 12, [float(i + 5) for i in range(12)]) < 0.01
