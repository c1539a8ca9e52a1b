import pandas as pd
import pytest

from secassets.evaluation.leaderboard import (
    answer_variety,
    best_statement,
    build_leaderboard,
    chance_levels,
    evaluations_fingerprint,
    mixing_problems,
    size_note,
    verdict,
)
from secassets.evaluation.model_board import build_board
from secassets.evaluation.report import source_table
from secassets.evaluation.statistics import holm, wilson_interval
from secassets.risk.version import RUBRIC_VERSION
from secassets_tests.evaluation.eval_frames import eval_frame


def test_wilson_against_hand_computed_values():
    low, high = wilson_interval(1, 18)  # p = 1/18, z = 1.96
    assert low == pytest.approx(0.00989, abs=1e-4) and high == pytest.approx(0.2576, abs=1e-4)
    low, high = wilson_interval(18, 18)
    assert high == 1.0 and low == pytest.approx(0.8241, abs=1e-4)


def test_holm_against_hand_computed_values():
    assert holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert holm([]) == []


def test_chance_is_the_population_constant_read_on_these_rows():
    df = pd.concat([eval_frame("basic", [True] * 3, truth=(0, 10)), eval_frame("basic", [True] * 2, truth=(40, 50))])
    df["chance_in_range"] = [False, False, False, True, True]  # the population's constant is 45
    chance = chance_levels(df)
    assert chance["in_range_accuracy"] == pytest.approx(2 / 5)
    assert chance["mean_deviation"] == pytest.approx(3 * 35 / 5)  # 45 is 35 points above 0-10


def test_without_population_columns_chance_is_the_best_constant_for_these_rows():
    df = pd.concat([eval_frame("basic", [True] * 3, truth=(0, 10)), eval_frame("basic", [True] * 2, truth=(40, 50))])
    df = df.drop(columns=[c for c in df if c.startswith("chance_")])
    chance = chance_levels(df)
    assert chance["in_range_accuracy"] == pytest.approx(3 / 5)  # a constant in 0-10 hits three of five
    assert chance["alert_accuracy"] == 1.0 and chance["key_point_recall"] == 0.0
    assert chance["mean_deviation"] == pytest.approx(2 * 30 / 5)  # answering 10: two rows 30 points off


def test_verdicts_in_words():
    assert verdict(0.3, 0.1, 0.5, 0.3, 0.9) == "at chance"
    assert verdict(0.1, 0.05, 0.2, 0.5, 0.9) == "below chance"
    assert verdict(0.7, 0.6, 0.8, 0.3, 0.9) == "closes 67% of the gap from chance to the ceiling"
    assert verdict(10.0, 8.0, 12.0, 30.0, 0.0, higher_is_better=False) == "closes 67% of the gap from chance to the ceiling"


def test_board_shows_chance_ceiling_and_normalized_score_and_says_at_chance():
    constant = eval_frame("basic", [True] * 6 + [False] * 12, scores=[45] * 18, truth=(40, 50))
    board = build_leaderboard({"basic": constant})
    ir = board["templates"]["basic"]["in_range_accuracy"]
    assert ir["chance"] == 1.0 and ir["ceiling"] == 1.0  # every truth is 40-50: a constant 45 is always right
    metric = board["templates"]["basic"]["alert_accuracy"]
    assert metric["chance"] == 1.0 and metric["verdict"] == "at chance"
    assert board["constant_answers"] == ["basic"] and "smoke size" in board["size"]


def test_a_best_template_is_named_only_when_it_beats_the_runner_up_significantly():
    strong = eval_frame("vision", [True] * 20)
    weak = eval_frame("basic", [False] * 20)
    close = eval_frame("enriched", [True] * 19 + [False])
    board = build_leaderboard({"vision": strong, "basic": weak})
    assert board["best"].startswith("vision is best")
    board = build_leaderboard({"vision": strong, "enriched": close})
    assert board["best"].startswith("the data show no difference between vision and enriched")
    assert best_statement(["basic"], {}, []) == "only basic was evaluated"


def test_answers_that_do_not_vary_are_named():
    varied = eval_frame("basic", [True, False] * 5, scores=[5, 15, 35, 45, 65, 75, 90, 95, 20, 50])
    assert not answer_variety(varied)["constant"]
    assert answer_variety(eval_frame("basic", [True] * 10, scores=[45] * 10))["constant"]


def test_stability_over_repeats():
    repeats = [eval_frame("basic", [True, True, False, False], scores=[45, 45, 90, 90], repeat=0),
               eval_frame("basic", [True, False, False, True], scores=[45, 90, 90, 45], repeat=1),
               eval_frame("basic", [True, True, False, False], scores=[45, 45, 90, 90], repeat=2)]
    board = build_leaderboard({"basic": pd.concat(repeats, ignore_index=True)})
    stab = board["templates"]["basic"]["stability"]
    assert stab["repeats"] == 3 and board["templates"]["basic"]["rows"] == 4  # only repeat 0 is ranked
    assert stab["in_range_agreement"] == pytest.approx((1 + 2 / 3 + 1 + 2 / 3) / 4, abs=1e-4)
    assert stab["fully_stable_share"] == 0.5


def test_partitions_from_other_models_or_sets_are_not_mixed():
    ok = {"basic": eval_frame("basic", [True]), "vision": eval_frame("vision", [True])}
    assert mixing_problems(ok) == []
    other = {"basic": eval_frame("basic", [True]), "vision": eval_frame("vision", [True], model="other")}
    [problem] = mixing_problems(other)
    assert problem.startswith("model_id differs") and "vision: other" in problem
    budget = {"basic": eval_frame("basic", [True]), "vision": eval_frame("vision", [True], settings=(
        '{"n_predict":900,"repeats":1,"seed":42,"temperature":0.0,"thinking":false}'))}
    assert mixing_problems(budget) == []  # each template's answer budget differs by design


def test_rows_judged_under_another_rubric_version_are_neither_ranked_together_nor_compared():
    old = eval_frame("vision", [True], rubric_version="0123456789ab")
    [problem] = mixing_problems({"basic": eval_frame("basic", [True]), "vision": old})
    assert problem == f"rubric_version differs: basic: {RUBRIC_VERSION}; vision: 0123456789ab"
    [unrecorded] = mixing_problems({"basic": eval_frame("basic", [True]), "vision": old.drop(columns=["rubric_version"])})
    assert unrecorded == f"rubric_version differs: basic: {RUBRIC_VERSION}; vision: unrecorded"
    board = build_board({"m|basic": eval_frame("basic", [True] * 4),
                         "n|basic": eval_frame("basic", [False] * 4, model="n", rubric_version="0123456789ab")})
    assert board["by_template"]["basic"]["not_comparable"] == [
        f"rubric_version differs: m: {RUBRIC_VERSION}; n: 0123456789ab"]
    assert board["rubric_version"] == ", ".join(sorted([RUBRIC_VERSION, "0123456789ab"]))
    assert board["by_model"]["m"]["rubric_version"] == RUBRIC_VERSION
    assert board["by_model"]["m"]["templates"]["basic"]["rubric_version"] == RUBRIC_VERSION


def test_size_note():
    assert size_note(18).startswith("smoke size: 18 scenarios")
    assert size_note(96).startswith("96 scenarios per template")


def test_fingerprint_depends_on_content_only():
    a, b = eval_frame("basic", [True, False]), eval_frame("enriched", [True, False])
    assert evaluations_fingerprint({"basic": a, "enriched": b}) == evaluations_fingerprint({"enriched": b, "basic": a})
    assert evaluations_fingerprint({"basic": a}) != evaluations_fingerprint({"basic": eval_frame("basic", [True, True])})


def test_no_normalized_score_when_the_ceiling_is_not_above_chance():
    df = eval_frame("basic", [False] * 18, ceiling=False)  # ceiling 0, chance 1 (constant 45 always right)
    ir = build_leaderboard({"basic": df})["templates"]["basic"]["in_range_accuracy"]
    assert ir["ceiling"] == 0.0 and ir["chance"] == 1.0 and ir["normalized"] is None
    assert ir["verdict"] == "below chance"


def test_every_figure_is_broken_down_by_source_with_each_sources_own_chance():
    synthetic = eval_frame("basic", [True] * 10 + [False] * 10)
    curated = eval_frame("basic", [False] * 5 + [True], truth=(70, 100)).assign(
        source="curated", scenario_hash=lambda d: "c" + d["scenario_hash"], chance_in_range=False, ceiling_in_range=False)
    board = build_leaderboard({"basic": pd.concat([synthetic, curated], ignore_index=True)})
    by_source = board["templates"]["basic"]["by_source"]
    assert set(by_source) == {"scenario", "curated"}
    assert by_source["scenario"]["rows"] == 20 and by_source["curated"]["rows"] == 6
    assert by_source["scenario"]["in_range_accuracy"]["mean"] == 0.5 and by_source["scenario"]["in_range_accuracy"]["chance"] == 1.0
    assert by_source["curated"]["in_range_accuracy"]["mean"] == round(1 / 6, 4)
    assert by_source["curated"]["in_range_accuracy"]["chance"] == 0.0  # the population's constant misses every curated range
    table = source_table(board)
    assert "| basic | curated | 6 |" in table and "| basic | scenario | 20 |" in table


def test_models_on_another_set_or_other_settings_are_not_compared_but_each_keeps_its_ranking():
    evals = {"m|basic": eval_frame("basic", [True] * 10), "m|vision": eval_frame("vision", [False] * 10),
             "n|basic": eval_frame("basic", [False] * 10, model="n", evaluation_set="other")}
    board = build_board(evals)
    assert board["models"] == ["m", "n"] and board["by_model"]["m"]["ranking"] == ["basic", "vision"]
    assert "evaluation_set differs" in board["by_template"]["basic"]["not_comparable"][0]
    chatml = '{"n_predict":400,"prompt_format":"chatml","repeats":1,"seed":42,"temperature":0.0,"thinking":false}'
    own = '{"n_predict":400,"prompt_format":"model","repeats":1,"seed":42,"temperature":0.0,"thinking":false}'
    fair = build_board({"m|basic": eval_frame("basic", [True] * 10, settings=chatml),
                        "n|basic": eval_frame("basic", [False] * 10, model="n", settings=own)})
    assert "not_comparable" not in fair["by_template"]["basic"]  # each model in its own prompt format is fair
    assert fair["prompt_formats"] == {"m|basic": ["chatml"], "n|basic": ["model"]}


def test_each_template_shows_the_version_its_rows_were_answered_with():
    from secassets.evaluation.report import leaderboard_table

    evals = {"basic": eval_frame("basic", [True] * 6).assign(template_version="4f1ea3ef4ff6"),
             "enriched": eval_frame("enriched", [False] * 6)}  # rows from before versions
    board = build_leaderboard(evals)
    assert board["templates"]["basic"]["version"] == "4f1ea3ef4ff6"
    assert board["templates"]["enriched"]["version"] == "unrecorded"
    table = leaderboard_table(board)
    assert "| version |" in table.splitlines()[0] and "4f1ea3ef4ff6" in table
