import json

import numpy as np
import pandas as pd

from secassets.evaluation.leakage import FIELDS, MAX_FIELD_ACCURACY, FieldLeak, leakage_table, lookup_accuracy
from secassets.evaluation.statistics import wilson_interval
from secassets.evaluation.template_files import builtin_templates
from secassets.evaluation.templates import INPUTS
from secassets_tests.generated_rows import default_rows


def test_every_input_has_its_fields():
    assert set(FIELDS) == set(INPUTS)


def test_no_single_field_gives_the_label_away_on_default_rows():
    table, baseline = leakage_table(default_rows(), seed=0)
    assert {t.template for t in table} == set(builtin_templates())
    worst = max(table, key=lambda t: t.accuracy)
    assert worst.accuracy <= MAX_FIELD_ACCURACY, worst
    assert 0.3 < baseline < 0.5  # normal is 40% of the default weights


def test_a_planted_leak_is_caught():
    rows = default_rows().head(800).copy()
    weather = {"normal": "clear", "suspicious": "overcast", "threat": "fog", "edge_case": "light_rain"}

    def plant(row):
        ctx = json.loads(row["enrichment_context"]) if isinstance(row["enrichment_context"], str) else None
        if ctx is None:
            return None
        ctx["weather"] = weather[row["scenario_type"]]
        return json.dumps(ctx)

    rows["enrichment_context"] = rows.apply(plant, axis=1)
    table, _ = leakage_table(rows, seed=0)
    leak = max((t for t in table if t.field == "weather"), key=lambda t: t.accuracy)
    assert leak.accuracy > MAX_FIELD_ACCURACY and leak.template == "vision"


def test_lookup_accuracy_hand_computed():
    values = pd.Series(["a", "a", "b", "b", "a", "b", "c", "c"])
    labels = pd.Series(["x", "x", "y", "y", "x", "x", "y", "y"])
    fit = np.array([True, True, True, True, False, False, False, False])
    # a->x, b->y, unseen c -> majority of the fit half (x and y tie: first in order, x)
    assert lookup_accuracy(values, labels, fit, numeric=False) == 0.25  # test: a/x ok, b/x no, c/y no, c/y no


def test_a_small_set_fails_only_a_leak_beyond_sampling_noise():
    def leak(accuracy, held_out):
        lower, _ = wilson_interval(round(accuracy * held_out), held_out)
        return FieldLeak("vision", "action", "behaviour", accuracy, 0.4, held_out, lower).leaks

    assert not leak(0.8, 10)  # 8 of 10: could be luck (Wilson low 0.49)
    assert leak(1.0, 20)  # 20 of 20: low 0.84
    assert leak(0.72, 250) and not leak(0.70, 250)  # enough rows: the point estimate decides
