"""A planted better variant: basic plus the per-detection behaviour it cannot see. Answered by the perfect reader of
each template (the rubric applied to what the template shows: secassets.evaluation.ceilings), the experiment adopts
the variant at a sufficient size and says how many scenarios are needed when the run is too small."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR
from secassets.evaluation.ceilings import calibrate, ceiling_flags
from secassets.evaluation.experiments import ExperimentSpec, compare
from secassets.evaluation.template_files import load_template
from secassets.evaluation.templates import PromptTemplate
from secassets_tests.generated_rows import default_rows

SPEC = ExperimentSpec(name="behaviour", control="basic", variant="basic_behaviour", min_effect=0.10)


def planted_variant(folder: Path) -> PromptTemplate:
    text = (SHIPPED_PROMPTS_DIR / "basic.yaml").read_text().replace("name: basic", "name: basic_behaviour").replace(
        "  - detection_list\n", "  - detection_list\n  - detection_attributes\n")
    path = folder / "basic_behaviour.yaml"
    path.write_text(text + "  Behaviour: {{ detection_attributes }}\n")
    return load_template(path)


def perfect_reader_rows(rows: pd.DataFrame, template: PromptTemplate, population: pd.DataFrame) -> pd.DataFrame:
    """Evaluation rows whose answers are the perfect reader's of this template (what reading every field it shows,
    and nothing else, scores)."""
    calibration = calibrate(population, template)
    out = []
    for row in rows.to_dict("records"):
        flags = ceiling_flags(row, template, calibration)
        truth = json.loads(row["ground_truth"])
        out.append({
            "scenario_hash": row["scenario_hash"], "repeat": 0, "scenario_type": row["scenario_type"],
            "truth_low": truth["risk_range"]["low"], "truth_high": truth["risk_range"]["high"],
            "truth_level": truth["level"], "parse_ok": True, "risk_score": flags["ceiling_score"],
            "in_range": flags["ceiling_in_range"], "level_agreement": flags["ceiling_level_agreement"],
            "alert_agreement": flags["ceiling_alert_agreement"], **flags,
            "model_id": "perfect reader", "evaluation_set": "planted", "settings": json.dumps({"n_predict": 1}),
        })
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    population = default_rows(1000)
    control = load_template(SHIPPED_PROMPTS_DIR / "basic.yaml")
    variant = planted_variant(tmp_path_factory.mktemp("prompts"))
    assert "behaviour" in variant.reveals - control.reveals  # it sees a field the control cannot
    rows = population.iloc[:600]
    return perfect_reader_rows(rows, control, population), perfect_reader_rows(rows, variant, population)


def test_the_planted_variant_is_adopted_at_a_sufficient_size(outcomes):
    control, variant = outcomes
    result = compare(SPEC, control, variant)
    assert result["status"] == "decided" and result["n"] == 600
    assert result["decision"] == "adopt", result["reason"]
    assert result["effect"] >= SPEC.min_effect and result["effect_ci_low"] > 0 and result["p"] < 0.001
    assert not result["underpowered"] and result["n"] >= result["needed_n"]


def test_on_a_small_run_it_is_inconclusive_and_says_how_many_scenarios_a_decisive_run_needs(outcomes):
    control, variant = outcomes
    small = compare(SPEC, control.iloc[:8], variant.iloc[:8])
    assert small["decision"] == "inconclusive", small["reason"]
    assert small["needed_n"] > 8
    advised = min(small["needed_n"], len(control))
    rerun = compare(SPEC, control.iloc[:advised], variant.iloc[:advised])
    assert rerun["decision"] == "adopt"  # the advised size decides it


def test_the_same_template_against_itself_is_rejected_not_adopted(outcomes):
    control, _ = outcomes
    result = compare(SPEC, control, control)
    assert result["effect"] == 0 and result["decision"] == "reject"  # the interval rules out a gain of min_effect
