import json
import math
from pathlib import Path

import pandas as pd
import pytest

from secassets.evaluation.experiments import (
    EXPERIMENT_METRICS,
    ExperimentSpec,
    compare,
    decide,
    experiments_markdown,
    load_experiments,
    needed_pairs,
    paired_difference_interval,
    template_diff,
)
from secassets.evaluation.file_lint import FileLintError
from secassets_tests.evaluation.eval_frames import eval_frame

SPEC = ExperimentSpec(name="zone_context", control="basic", variant="enriched", min_effect=0.10)
TEMPLATES = {"basic", "enriched", "compact"}
SHOWN = "prompts/experiments.yaml"


def pairs(both: int, control_only: int, variant_only: int, neither: int) -> tuple[list[bool], list[bool]]:
    """Paired outcomes (control, variant) from the four cells of the paired 2x2 table."""
    control = [True] * both + [True] * control_only + [False] * variant_only + [False] * neither
    variant = [True] * both + [False] * control_only + [True] * variant_only + [False] * neither
    return control, variant


def test_a_clear_win_is_adopted():
    result = decide(*pairs(both=100, control_only=5, variant_only=40, neither=55), SPEC)
    assert (result.n, result.b, result.c) == (200, 5, 40)
    assert result.decision == "adopt" and result.p < 0.05
    assert result.effect == pytest.approx(35 / 200) and result.discordance == pytest.approx(45 / 200)
    assert 0 < result.effect_ci[0] < result.effect < result.effect_ci[1]
    assert result.control_rate == pytest.approx(105 / 200) and result.variant_rate == pytest.approx(140 / 200)
    assert result.reason.startswith("variant better by 0.17") and "< 0.05" in result.reason
    assert not result.underpowered  # 200 pairs, 175 needed at this discordance


def test_a_clear_loss_is_rejected():
    result = decide(*pairs(both=100, control_only=40, variant_only=5, neither=55), SPEC)
    assert result.decision == "reject" and result.effect < 0 and result.effect_ci[1] < 0
    assert result.reason.startswith("variant worse by")


def test_all_concordant_rules_out_an_improvement_worth_having():
    result = decide(*pairs(both=40, control_only=0, variant_only=0, neither=20), SPEC)
    assert result.p == 1.0 and result.effect == 0.0
    assert result.effect_ci[1] < SPEC.min_effect  # the upper bound rules out +0.10
    assert result.decision == "reject" and "ruled out" in result.reason


def test_a_small_run_is_inconclusive_and_says_how_many_it_needs():
    result = decide(*pairs(both=4, control_only=1, variant_only=3, neither=4), SPEC)
    assert result.n == 12 and result.decision == "inconclusive"
    assert result.effect_ci[0] < 0 < SPEC.min_effect < result.effect_ci[1]
    assert result.needed_n > 12 and f"about {result.needed_n} scenarios" in result.reason
    assert not result.underpowered  # only a decision can be underpowered


def test_needed_n_against_hand_computed_connor_formula():
    # Connor (1987): n = (z_{1-a/2} sqrt(psi) + z_power sqrt(psi - d^2))^2 / d^2, z = 1.959964, z_0.80 = 0.841621.
    # psi = 1/3, d = 0.1: (1.959964 * 0.577350 + 0.841621 * 0.568624)^2 / 0.01 = 259.26 -> 260
    assert decide(*pairs(both=4, control_only=1, variant_only=3, neither=4), SPEC).needed_n == 260
    # observed discordance 0.05 is below the effect: psi = 0.1 -> (1.959964 * 0.316228 + 0.841621 * 0.3)^2 / 0.01
    # = 76.09 -> 77
    assert decide(*pairs(both=50, control_only=2, variant_only=3, neither=45), SPEC).needed_n == 77
    assert needed_pairs(0.0, SPEC) == 77
    # alpha 0.1, power 0.9: z = 1.644854, 1.281552; psi = 0.2, d = 0.1:
    # (1.644854 * 0.447214 + 1.281552 * 0.435890)^2 / 0.01 = 1.294219^2 / 0.01 = 167.50 -> 168
    strict = SPEC.model_copy(update={"alpha": 0.1, "power": 0.9})
    assert needed_pairs(0.2, strict) == 168


def test_a_decision_below_the_needed_n_is_flagged_underpowered():
    result = decide(*pairs(both=5, control_only=0, variant_only=10, neither=5), SPEC)  # p = 2 / 2**10
    assert result.decision == "adopt" and result.n == 20 < result.needed_n and result.underpowered
    assert result.as_dict()["underpowered"] is True


def test_no_pairs_is_inconclusive_with_the_minimum_needed_n():
    result = decide([], [], SPEC)
    assert result.decision == "inconclusive" and result.reason == "no paired scenarios"
    assert result.needed_n == 77  # psi = min_effect
    assert result.as_dict()["effect"] is None and result.as_dict()["control_rate"] is None


def test_unpaired_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        decide([True, False], [True], SPEC)


def test_newcombe_interval_against_published_example():
    # Cavo et al. (2012) complete response before/after consolidation therapy, paired table [[59, 6], [16, 80]]:
    # Newcombe's square-and-add (method 10) interval -0.0621 (95% CI -0.1186 to -0.0046), as given by Fagerland,
    # Lydersen & Laake (2014) Stat Med 33:2850 and their R package contingencytables
    # (Newcombe_square_and_add_CI_paired_2x2, tests/testthat/test-ch8.R). The first classification is the variant.
    low, high = paired_difference_interval(both=59, variant_only=6, control_only=16, neither=80)
    assert (low, high) == pytest.approx((-0.1186, -0.0046), abs=1e-4)
    result = decide(*pairs(both=59, control_only=16, variant_only=6, neither=80), SPEC)
    assert result.effect == pytest.approx(-0.0621, abs=1e-4)
    assert result.effect_ci == pytest.approx((-0.1186, -0.0046), abs=1e-4)


@pytest.mark.parametrize("cells", [(0, 0, 0, 30), (30, 0, 0, 0), (0, 0, 30, 0), (0, 30, 0, 0), (3, 1, 9, 2)])
def test_newcombe_interval_holds_the_effect_and_stays_in_bounds(cells):
    both, control_only, variant_only, neither = cells
    n = sum(cells)
    low, high = paired_difference_interval(both, variant_only, control_only, neither)
    assert -1 <= low <= (variant_only - control_only) / n <= high <= 1 and high - low > 0
    bigger = paired_difference_interval(*(10 * x for x in (both, variant_only, control_only, neither)))
    assert bigger[1] - bigger[0] < high - low  # ten times the pairs, a narrower interval


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = """\
experiments:
  - name: zone_context
    description: Does showing the zone and baseline context help?
    control: basic
    variant: enriched
    metric: level_agreement
    min_effect: 0.10
  - name: compact_answer
    control: enriched
    variant: compact
    min_effect: 0.2
    alpha: 0.1
    power: 0.9
"""


def test_load_valid_experiments_with_defaults(tmp_path):
    specs = load_experiments(write(tmp_path, VALID), TEMPLATES)
    assert [s.name for s in specs] == ["zone_context", "compact_answer"]
    assert specs[0].metric == "level_agreement" and specs[0].alpha == 0.05 and specs[0].power == 0.8
    assert specs[1].metric == "in_range" and (specs[1].alpha, specs[1].power) == (0.1, 0.9)
    assert EXPERIMENT_METRICS[specs[0].metric] == ("level_agreement", "ceiling_level_agreement")


def test_a_missing_file_has_no_experiments(tmp_path):
    assert load_experiments(tmp_path / "experiments.yaml", TEMPLATES) == []


BASE = """\
experiments:
  - name: zone_context
    control: basic
    variant: enriched
    min_effect: 0.10
"""


@pytest.mark.parametrize(("text", "line", "fragment"), [
    (BASE + "    colour: red\n", 6, "unknown key `colour`"),
    (BASE.replace("    min_effect: 0.10\n", ""), 2, "`min_effect` is missing"),
    (BASE.replace("0.10", "1.5"), 5, "`min_effect`"),
    (BASE.replace("control: basic", "control: basci"), 3, "`basci` is not a template (closest: basic)"),
    (BASE + BASE.replace("experiments:\n", ""), 6, "`zone_context` is used twice (first at line 2)"),
    (BASE.replace("variant: enriched", "variant: basic"), 4, "the variant is the control"),
    (BASE.replace("control: basic", "control: basic: x"), 3, "is not valid YAML"),
    (BASE.replace("name: zone_context", "name: Zone-Context"), 2, "`name`"),
    (BASE.replace("metric", "x") + "    metric: accuracy\n", 6, "`metric`"),
    ("- name: zone_context\n", 1, "has no `experiments:` list"),
])
def test_each_mistake_is_reported_at_its_line_with_a_fix(tmp_path, text, line, fragment):
    with pytest.raises(FileLintError) as caught:
        load_experiments(write(tmp_path, text), TEMPLATES, shown_as=SHOWN)
    message = str(caught.value)
    assert f"{SHOWN}:{line}: " in message and fragment in message and "Fix:" in message, message


def test_an_unknown_template_names_the_file_to_add_and_every_mistake_is_reported_together(tmp_path):
    text = BASE.replace("control: basic", "control: basci").replace("0.10", "1.5")
    with pytest.raises(FileLintError) as caught:
        load_experiments(write(tmp_path, text), TEMPLATES, shown_as=SHOWN)
    assert [p.line for p in caught.value.problems] == [3, 5]
    assert "Fix: add prompts/basci.yaml or use one of: basic, compact, enriched." in str(caught.value)


def frames(control: list[bool], variant: list[bool], **variant_kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    return eval_frame("basic", control), eval_frame("enriched", variant, **variant_kwargs)


def test_compare_refuses_different_evaluation_sets():
    control, variant = frames([True] * 10, [True] * 10, evaluation_set="other")
    result = compare(SPEC, control, variant)
    assert result["status"] == "not comparable" and "evaluation_set differs" in result["reason"]
    assert "decision" not in result
    assert "not comparable: evaluation_set differs" in experiments_markdown([result])


def test_compare_ignores_the_answer_budget_but_not_other_settings():
    control, variant = frames([True] * 10, [True] * 10, settings='{"n_predict":800,"repeats":1,"seed":42,'
                                                                    '"temperature":0.0,"thinking":false}')
    assert compare(SPEC, control, variant)["status"] == "decided"
    control, variant = frames([True] * 10, [True] * 10, settings='{"n_predict":400,"repeats":1,"seed":42,'
                                                                    '"temperature":0.7,"thinking":false}')
    assert compare(SPEC, control, variant)["status"] == "not comparable"


def test_compare_pairs_on_scenario_hash_and_repeat_zero_only():
    control, variant = frames([True] * 5 + [False] * 5, [True] * 5 + [False] * 5)
    variant = variant.iloc[::-1].iloc[:-1]  # reversed, h000 left out: position no longer means scenario
    repeat = eval_frame("enriched", [False] * 10, repeat=1)  # a second repeat that would disagree everywhere
    result = compare(SPEC, control, pd.concat([variant, repeat]))
    assert result["status"] == "decided" and result["n"] == 9
    assert (result["b"], result["c"]) == (0, 0) and result["discordant"] == []
    assert result["experiment"] == "zone_context" and result["model"] == "m"


def test_compare_counts_failures_as_wrong_and_lists_discordant_scenarios():
    control, variant = frames([True] * 10, [True] * 10, parse=[True] * 6 + [False] * 4)
    result = compare(SPEC, control, variant)
    assert result["n"] == 10 and result["variant_rate"] == 0.6 and result["b"] == 4
    assert [row["scenario_hash"] for row in result["discordant"]] == ["h006", "h007", "h008", "h009"]
    row = result["discordant"][0]
    assert row["truth"] == "40-50 medium" and row["scenario_type"] == "suspicious"
    assert (row["control_score"], row["control_verdict"]) == (45, "right")
    assert row["variant_score"] is None and row["variant_verdict"] == "wrong (no parsed answer)"


def test_compare_reports_what_a_perfect_reader_could_gain():
    control, variant = eval_frame("basic", [True] * 10, ceiling=False), eval_frame("enriched", [True] * 10)
    result = compare(SPEC, control, variant)
    reader = result["perfect_reader"]
    assert reader["control_rate"] == 0.0 and reader["variant_rate"] == 1.0 and reader["decision"] == "adopt"
    assert result["effect"] == 0.0 and result["decision"] == "inconclusive"  # 10 pairs: +0.10 not ruled out


def test_discordant_rows_are_capped_and_the_result_is_json_ready():
    control, variant = frames([True] * 30, [False] * 30)
    result = compare(SPEC, control, variant)
    assert len(result["discordant"]) == 10
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in result.values())
    json.dumps(result, allow_nan=False)  # raises on NaN and on numpy scalars


def test_markdown_has_one_line_per_experiment_and_model():
    control, variant = frames([True] * 100 + [False] * 100, [True] * 140 + [False] * 60)
    table = experiments_markdown([compare(SPEC, control, variant)])
    lines = table.splitlines()
    assert lines[0].startswith("| experiment | model | n | control rate | variant rate | effect [CI] | p |")
    assert len(lines) == 3 and "| zone_context | m | 200 | 0.500 | 0.700 | +0.200 [" in lines[2]
    assert "| adopt |" in lines[2]


def test_template_diff_shows_what_the_variant_changes():
    diff = template_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n", "basic", "enriched")
    assert diff.splitlines()[:2] == ["--- prompts/basic.yaml", "+++ prompts/enriched.yaml"]
    assert "-b: 2" in diff and "+b: 3" in diff
    assert template_diff("same\n", "same\n", "basic", "enriched") == ""


def test_an_experiment_whose_variant_was_not_evaluated_is_not_run_and_names_the_partition(tmp_path):
    from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR
    from secassets.evaluation.experiments import run_experiments

    for name in ("basic", "enriched", "experiments"):
        (tmp_path / f"{name}.yaml").write_text((SHIPPED_PROMPTS_DIR / f"{name}.yaml").read_text())
    specs, results, diffs = run_experiments({"m|basic": pd.DataFrame({"model": ["m"]})}, tmp_path)
    assert [s.name for s in specs] == ["zone_context"]
    [result] = results
    assert result["status"] == "not run" and "prompt_evaluations partition m|enriched" in result["reason"]
    assert "+  - zone_analysis" in diffs["zone_context"]  # the diff of the two files
