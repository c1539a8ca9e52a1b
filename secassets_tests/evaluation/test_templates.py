import itertools
import re

import pandas as pd
import pytest

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets.evaluation.template_files import builtin_templates
from secassets.evaluation.templates import NOT_AVAILABLE, THINKING_DIRECTIVE
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS


def test_every_template_renders_every_scenario_without_holes(scenario_run):
    _, data_dir = scenario_run
    df = pd.read_parquet(data_dir / "scenarios.parquet")
    assert tuple(builtin_templates()) == TEMPLATE_NAMES
    for name, template in builtin_templates().items():
        for row in df.to_dict("records"):
            prompt = template.render(row)
            assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
            assert prompt.count("<|im_end|>") == 2
            assert not re.search(r"\{\{|\}\}|\{[a-z_]+\}|None|nan\b", prompt), (name, prompt)
            user = template.user_prompt(row)
            assert len(user.splitlines()) >= len(template.inputs)
            if row["enrichment_level"] == "none" and "zone_analysis" in template.inputs:
                assert f"Zone: {NOT_AVAILABLE}" in user


def test_richer_templates_declare_more_inputs_and_fields():
    sizes = [len(builtin_templates()[n].inputs) for n in TEMPLATE_NAMES]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert builtin_templates()["basic"].inputs == ("camera", "time_window", "detection_list")
    assert "recommended_action" in builtin_templates()["enriched"].answer_schema()["required"]
    assert "confidence_factors" in builtin_templates()["model_zoo"].answer_schema()["required"]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_schema_bounds_every_string(name):
    schema = builtin_templates()[name].answer_schema()
    for prop in schema["properties"].values():
        if prop.get("type") == "string" and "enum" not in prop:
            assert "maxLength" in prop
        if prop.get("type") == "array":
            assert "maxItems" in prop and "maxLength" in prop["items"]


def test_thinking_directive_is_optional():
    assert THINKING_DIRECTIVE not in builtin_templates()["basic"].system_prompt()
    assert builtin_templates()["basic"].system_prompt(thinking=True).startswith(THINKING_DIRECTIVE)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_prompt_and_schema_state_the_risk_scheme_of_secassets_risk(name):
    template = builtin_templates()[name]
    # The exact text is part of every cached answer's key: a change here re-asks every prompt.
    assert "Risk levels: low 0-29, medium 30-59, high 60-84, critical 85-100." in template.system_prompt()
    assert "risk_score (0-100), risk_level (low|medium|high|critical), summary, reasoning" in template.system_prompt()
    props = template.answer_schema()["properties"]
    assert props["risk_level"]["enum"] == list(RISK_LEVELS)
    assert (props["risk_score"]["minimum"], props["risk_score"]["maximum"]) == (MIN_SCORE, MAX_SCORE)


def test_every_input_a_template_shows_is_produced_by_the_generator():
    """On fully enriched rows no template line says "not available": nothing shown is an input nobody makes."""
    from secassets_tests.generated_rows import default_rows

    full = default_rows()[lambda d: d.enrichment_level == "full"].head(200)
    assert len(full) > 50
    for name, template in builtin_templates().items():
        for row in full.to_dict("records"):
            lines = template.user_prompt(row).splitlines()
            assert not [line for line in lines if line.endswith(f": {NOT_AVAILABLE}")], (name, lines)


def test_templates_reveal_more_as_they_grow_and_only_known_fields():
    from secassets.risk.observation import OBSERVATION_FIELDS

    reveals = [builtin_templates()[n].reveals for n in TEMPLATE_NAMES]
    assert all(a <= b for a, b in itertools.pairwise(reveals))
    assert set().union(*reveals) <= set(OBSERVATION_FIELDS)
    assert "behaviour" not in builtin_templates()["full_enriched"].reveals and "behaviour" in builtin_templates()["vision"].reveals
    assert builtin_templates()["model_zoo"].reveals == frozenset(OBSERVATION_FIELDS)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_the_answer_budget_is_the_longest_answer_the_schema_admits(name):
    """n_predict 0 gives each template this budget: no answer the schema admits is cut at the token limit."""
    import json

    template = builtin_templates()[name]
    schema = template.answer_schema()

    def longest(prop):
        if "enum" in prop:
            return max(prop["enum"], key=len)
        if prop["type"] == "integer":
            return prop["maximum"]
        if prop["type"] == "string":
            return "x" * prop["maxLength"]
        return [longest(prop["items"])] * prop["maxItems"]

    answer = json.dumps({k: longest(v) for k, v in schema["properties"].items()}, separators=(",", ":"))
    assert len(answer) == template.answer_token_budget()
    plain = re.compile(schema["properties"]["summary"]["pattern"])
    assert plain.match("Person at the door at 02:00; alert!") and not plain.match('a "quote"') and not plain.match("a\\b")
