import re

import pandas as pd
import pytest

from secassets.constants import TEMPLATE_NAMES
from secassets.templates import NOT_AVAILABLE, TEMPLATES, THINKING_DIRECTIVE


def test_every_template_renders_every_scenario_without_holes(scenario_run):
    _, data_dir = scenario_run
    df = pd.read_parquet(data_dir / "scenarios.parquet")
    assert tuple(TEMPLATES) == TEMPLATE_NAMES
    for name, template in TEMPLATES.items():
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
    sizes = [len(TEMPLATES[n].inputs) for n in TEMPLATE_NAMES]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert TEMPLATES["basic"].inputs == ("camera", "time_window", "detection_list")
    assert "recommended_action" in TEMPLATES["enriched"].answer_schema()["required"]
    assert "confidence_factors" in TEMPLATES["model_zoo"].answer_schema()["required"]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_schema_bounds_every_string(name):
    schema = TEMPLATES[name].answer_schema()
    for prop in schema["properties"].values():
        if prop.get("type") == "string" and "enum" not in prop:
            assert "maxLength" in prop
        if prop.get("type") == "array":
            assert "maxItems" in prop and "maxLength" in prop["items"]


def test_thinking_directive_is_optional():
    assert THINKING_DIRECTIVE not in TEMPLATES["basic"].system_prompt()
    assert TEMPLATES["basic"].system_prompt(thinking=True).startswith(THINKING_DIRECTIVE)
