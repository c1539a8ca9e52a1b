import json

import pytest

from secassets.core.errors import InvalidNameError
from secassets.evaluation.baselines import (
    RegressionThresholds,
    check_name,
    compare_template,
    load_baseline,
    pin_baseline,
    pinned_versions,
)
from secassets.risk.version import RUBRIC_VERSION
from secassets_tests.evaluation.eval_frames import eval_frame

T = RegressionThresholds()


def test_a_planted_regression_is_an_error():
    before = eval_frame("basic", [True] * 18)
    after = eval_frame("basic", [True] * 10 + [False] * 8)
    v = compare_template(before, after, T)
    assert v["verdict"] == "regression" and v["severity"] == "ERROR"
    assert v["in_range_p"] == pytest.approx(2 / 2**8, abs=1e-4) and v["changed_rows"] == 8


def test_one_transport_error_on_a_perfect_parse_rate_is_not_an_error():
    before = eval_frame("basic", [True] * 18)
    after = eval_frame("basic", [True] * 18, parse=[True] * 17 + [False])
    v = compare_template(before, after, T)
    assert v["severity"] is None and v["verdict"] == "no regression"  # 1 row: neither significant nor >= warn_rows


def test_a_small_drop_warns():
    v = compare_template(eval_frame("basic", [True] * 18), eval_frame("basic", [True] * 15 + [False] * 3), T)
    assert v["severity"] == "WARN" and "3 rows fewer" in v["detail"]


@pytest.mark.parametrize("change", [{"model": "other-model"}, {"evaluation_set": "other-set"},
                                    {"settings": '{"n_predict":400,"repeats":1,"seed":7,"temperature":0.0,"thinking":false}'}])
def test_other_model_set_or_settings_are_not_comparable(change):
    v = compare_template(eval_frame("basic", [True] * 18), eval_frame("basic", [False] * 18, **change), T)
    assert v["verdict"] == "not comparable" and v["severity"] is None and "->" in v["detail"]


def test_pin_is_atomic_and_replaces_the_old_baseline(tmp_path):
    evals = tmp_path / "prompt_evaluations"
    (evals / "m").mkdir(parents=True)
    eval_frame("basic", [True] * 3).to_parquet(evals / "m" / "basic.parquet")
    board = tmp_path / "template_leaderboard.json"
    board.write_text('{"evaluated": ["m|basic"]}')
    dest = pin_baseline(board, evals, ["m|basic"], tmp_path / "baselines" / "default")
    assert set(load_baseline(dest)) == {"m|basic"}
    eval_frame("basic", [False] * 3).to_parquet(evals / "m" / "basic.parquet")
    pin_baseline(board, evals, ["m|basic"], dest)
    assert not load_baseline(dest)["m|basic"]["in_range"].any()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["default"]  # no staging or old folder left
    with pytest.raises(FileNotFoundError, match="missing m|vision"):
        pin_baseline(board, evals, ["m|basic", "m|vision"], dest)
    assert load_baseline(tmp_path / "baselines" / "none") is None


def test_baseline_names_are_checked():
    assert check_name("nightly-2026_11") == "nightly-2026_11"
    for bad in ("../x", "default\n", "Default", "", "a" * 41, "x/y"):
        with pytest.raises(InvalidNameError, match=r"baseline: not valid: it must be .* \(got") as exc:
            check_name(bad)
        assert exc.value.value == bad and "Fix: choose such a baseline name" in str(exc.value)


def test_the_baseline_pins_template_versions_and_an_edited_template_is_judged_and_named(tmp_path):
    evals = tmp_path / "prompt_evaluations"
    (evals / "m").mkdir(parents=True)
    before = eval_frame("basic", [True] * 18).assign(template_version="aaaaaaaaaaaa")
    before.to_parquet(evals / "m" / "basic.parquet")
    board = tmp_path / "template_leaderboard.json"
    board.write_text('{"evaluated": ["m|basic"]}')
    dest = pin_baseline(board, evals, ["m|basic"], tmp_path / "baselines" / "default")
    assert pinned_versions(dest) == {"m|basic": "aaaaaaaaaaaa"}
    after = eval_frame("basic", [True] * 10 + [False] * 8).assign(template_version="bbbbbbbbbbbb")
    v = compare_template(before, after, T)
    assert v["verdict"] == "regression"  # an edit is what the baseline judges, not "not comparable"
    assert "template edited since the baseline (aaaaaaaaaaaa -> bbbbbbbbbbbb)" in v["detail"]
    assert (v["version_before"], v["version_after"]) == ("aaaaaaaaaaaa", "bbbbbbbbbbbb")
    same = compare_template(before, before, T)
    assert "edited" not in same["detail"] and pinned_versions(tmp_path / "nothing") == {}


def test_a_baseline_under_another_rubric_version_or_before_versions_is_not_comparable(tmp_path):
    after = eval_frame("basic", [True] * 10 + [False] * 8)  # a planted regression, under today's rubric
    assert set(after["rubric_version"]) == {RUBRIC_VERSION}
    assert compare_template(eval_frame("basic", [True] * 18), after, T)["verdict"] == "regression"
    older = compare_template(eval_frame("basic", [True] * 18, rubric_version="0123456789ab"), after, T)
    assert older["verdict"] == "not comparable" and older["severity"] is None
    assert older["detail"] == f"rubric_version: 0123456789ab -> {RUBRIC_VERSION}"
    unversioned = compare_template(eval_frame("basic", [True] * 18).drop(columns=["rubric_version"]), after, T)
    assert unversioned["verdict"] == "not comparable" and unversioned["severity"] is None
    assert unversioned["detail"] == f"rubric_version: unrecorded -> {RUBRIC_VERSION}"
    # the pin records the rubric version of each pinned evaluation
    evals = tmp_path / "prompt_evaluations"
    (evals / "m").mkdir(parents=True)
    after.to_parquet(evals / "m" / "basic.parquet")
    board = tmp_path / "template_leaderboard.json"
    board.write_text('{"evaluated": ["m|basic"]}')
    dest = pin_baseline(board, evals, ["m|basic"], tmp_path / "baselines" / "default")
    assert json.loads((dest / "pinned.json").read_text())["rubric_versions"] == {"m|basic": RUBRIC_VERSION}
    assert pinned_versions(dest, "rubric_versions") == {"m|basic": RUBRIC_VERSION}
