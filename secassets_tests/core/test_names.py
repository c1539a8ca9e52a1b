"""Names from outside: one strict full-match rule per kind; a checked name is always one plain path segment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secassets.core.errors import InvalidNameError
from secassets.core.names import NAME_KINDS, NAME_RULES, anchored, check_name, is_valid_name

ATTACKS = ["../../scenarios", "/etc/passwd", "default\n", "basic\n", "a/b", "..", ".", "", " basic", "basic ",
           "BASIC", "a" * 64, "x\x00y", "c:\\x", "basic|model"]


@pytest.mark.parametrize("kind", NAME_KINDS)
@pytest.mark.parametrize("bad", ATTACKS)
def test_every_attack_is_refused_for_every_kind_with_the_value_the_rule_and_the_fix(kind, bad):
    with pytest.raises(InvalidNameError) as exc:
        check_name(kind, bad)
    error = exc.value
    assert error.value == bad and NAME_RULES[kind].pattern in error.problem and error.fix in str(error)
    assert "Fix:" in str(error)


@pytest.mark.parametrize(("kind", "name"), [("template", "basic"), ("template", "full_enriched"),
                                            ("model", "smollm2-135m"), ("model", "nemotron-nano-9b.q4"),
                                            ("endpoint", "nvidia"), ("baseline", "nightly-2026_11"),
                                            ("experiment", "zone_context")])
def test_the_names_the_project_uses_pass(kind, name):
    assert check_name(kind, name) == name


def test_a_reserved_model_name_is_refused():
    with pytest.raises(InvalidNameError, match="reserved"):
        check_name("model", "cache")


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(NAME_KINDS), value=st.text(max_size=80))
def test_a_name_is_valid_exactly_when_it_is_one_plain_segment_of_its_pattern(kind, value):
    import re

    valid = is_valid_name(kind, value)
    assert valid == (re.fullmatch(NAME_RULES[kind].pattern, value) is not None and value not in NAME_RULES[kind].reserved)
    if valid:
        assert check_name(kind, value) == value
        assert "/" not in value and "\n" not in value and value not in (".", "..")
    else:
        with pytest.raises(InvalidNameError):
            check_name(kind, value)


@pytest.mark.parametrize("kind", NAME_KINDS)
def test_pydantic_fields_use_the_same_rule(kind):
    from pydantic import BaseModel, Field, ValidationError

    class Holder(BaseModel):
        name: str = Field(pattern=anchored(kind))

    assert Holder(name={"template": "basic", "experiment": "zone"}.get(kind, "a1")).name
    with pytest.raises(ValidationError):
        Holder(name="basic\n")  # pydantic's '$' is the end of the text, like re.fullmatch
