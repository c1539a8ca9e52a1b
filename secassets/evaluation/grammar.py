"""The answer schema as a llama.cpp GBNF grammar: compact JSON, every bound enforced, on every route.

llama.cpp's /v1/chat/completions (measured on this project's server) does not enforce a
response_format JSON schema: string lengths are not bounded and small models repeat a phrase until
the token limit. A GBNF `grammar` is honoured on every route, so for a llama.cpp server the answer
is constrained by this grammar, derived from the same schema (secassets.evaluation.templates), and
written compact (no whitespace), which also keeps PromptTemplate.answer_token_budget an upper bound.
Only the schema shapes the templates use are supported; anything else is a ValueError.
"""

from __future__ import annotations

import json
from typing import Any

# The characters PLAIN_TEXT admits: printable ASCII but the double quote and the backslash.
_CHAR = r'[ !#-\[\]-~]'


def _literal(text: str) -> str:
    return json.dumps(text)  # a GBNF string literal is JSON-escaped


def _string(prop: dict[str, Any]) -> str:
    low, high = int(prop.get("minLength", 0)), int(prop["maxLength"])
    return f'"\\"" {_CHAR}{{{low},{high}}} "\\""'


def _value(name: str, prop: dict[str, Any], rules: dict[str, str]) -> str:
    if "enum" in prop:
        return "(" + " | ".join(_literal(json.dumps(v)) for v in prop["enum"]) + ")"
    if prop["type"] == "integer":
        values = range(int(prop["minimum"]), int(prop["maximum"]) + 1)
        if len(values) > 1000:
            raise ValueError(f"{name}: integer range too wide for an enumerated grammar")
        return "(" + " | ".join(_literal(str(v)) for v in values) + ")"
    if prop["type"] == "string":
        return _string(prop)
    if prop["type"] == "array" and prop["items"].get("type") == "string":
        item = f"{name}-item"
        rules[item] = _string(prop["items"])
        most = int(prop["maxItems"])
        return f'"[" ({item} ("," {item}){{0,{most - 1}}})? "]"' if most > 0 else '"[]"'
    raise ValueError(f"{name}: schema shape {prop} is not supported by the answer grammar")


def answer_grammar(schema: dict[str, Any]) -> str:
    """A GBNF grammar of compact JSON objects with exactly the schema's properties, in order."""
    if schema.get("type") != "object" or set(schema.get("required", [])) != set(schema["properties"]):
        raise ValueError("the answer grammar needs an object schema whose properties are all required")
    rules: dict[str, str] = {}
    parts = []
    for i, (name, prop) in enumerate(schema["properties"].items()):
        rule = name.replace("_", "-")
        rules[rule] = _value(rule, prop, rules)
        parts.append(("" if i == 0 else '"," ') + _literal(f'"{name}":') + f" {rule}")
    root = '"{" ' + " ".join(parts) + ' "}"'
    return "\n".join([f"root ::= {root}", *(f"{k} ::= {v}" for k, v in rules.items())])
