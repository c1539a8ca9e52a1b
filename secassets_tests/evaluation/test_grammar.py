"""The answer grammar: every bound of the schema, compact JSON, and a refusal for shapes it cannot express."""

import pytest

from secassets.evaluation.grammar import answer_grammar
from secassets.evaluation.template_files import builtin_templates
from secassets.evaluation.templates import ACTION_MAX, LIST_ITEMS_MAX, REASONING_MAX, SUMMARY_MAX


@pytest.mark.parametrize("name", list(builtin_templates()))
def test_every_property_in_order_with_its_bounds(name):
    schema = builtin_templates()[name].answer_schema()
    grammar = answer_grammar(schema)
    root = grammar.splitlines()[0]
    positions = [root.index(f'\\"{p}\\":') for p in schema["properties"]]
    assert positions == sorted(positions) and " ws" not in grammar  # fixed order, no whitespace anywhere
    assert '"100"' in grammar and '"101"' not in grammar and '"\\"critical\\""' in grammar
    assert f"{{1,{SUMMARY_MAX}}}" in grammar and f"{{1,{REASONING_MAX}}}" in grammar
    if "recommended_action" in schema["properties"]:
        assert f"{{1,{ACTION_MAX}}}" in grammar
    if "flags" in schema["properties"]:
        assert f"{{0,{LIST_ITEMS_MAX - 1}}}" in grammar


def test_unsupported_shapes_are_refused():
    with pytest.raises(ValueError, match="all required"):
        answer_grammar({"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}, "required": []})
    with pytest.raises(ValueError, match="not supported"):
        answer_grammar({"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]})
