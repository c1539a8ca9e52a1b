"""Names from outside, checked once where they enter, before any is joined into a path.

A template, model, endpoint, baseline or experiment name reaches the code as a dynamic partition key,
a file name, a run config value or a table entry. Each kind has one strict pattern, matched in full
(``re.fullmatch``: no trailing newline, no separator, no '.' or '..'), so a checked name is always one
plain path segment and can never reach another asset's files. The pydantic fields that hold such
names use ``anchored(kind)``, the same pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

from secassets.core.errors import InvalidNameError

NameKind = Literal["template", "model", "endpoint", "baseline", "experiment"]
NAME_KINDS: Final[tuple[NameKind, ...]] = get_args(NameKind)


@dataclass(frozen=True)
class NameRule:
    """One kind of name: its pattern (unanchored), the rule in words, where such a name comes from and how to rename."""

    pattern: str
    says: str
    fix: str
    reserved: frozenset[str] = frozenset()


_SEGMENT = "a lowercase letter or digit, then up to {n} of a-z, 0-9, _, . or -"
NAME_RULES: Final[dict[NameKind, NameRule]] = {
    "template": NameRule(
        r"[a-z][a-z0-9_]{0,39}", "a lowercase letter, then up to 39 lowercase letters, digits or _",
        "rename the template file to prompts/<name>.yaml with such a name (its stem is the partition key), or "
        "delete the bad partition key in the UI (Partitions > templates)"),
    "model": NameRule(
        r"[a-z0-9][a-z0-9_.-]{0,62}", _SEGMENT.format(n=62),
        "name the model so in SECASSETS_MODELS (or <data>/models/<name>.gguf), or delete the bad partition key in the "
        "UI (Partitions > models)", reserved=frozenset({"cache"})),
    "endpoint": NameRule(
        r"[a-z0-9][a-z0-9_.-]{0,62}", _SEGMENT.format(n=62), "rename the entry in SECASSETS_ENDPOINTS"),
    "baseline": NameRule(
        r"[a-z0-9][a-z0-9_-]{0,39}", "a lowercase letter or digit, then up to 39 of a-z, 0-9, _ or -",
        "choose such a baseline name in the run config (default: default)"),
    "experiment": NameRule(
        r"[a-z][a-z0-9_]{0,39}", "a lowercase letter, then up to 39 lowercase letters, digits or _",
        "rename the experiment in prompts/experiments.yaml"),
}
_COMPILED: Final = {kind: re.compile(rule.pattern) for kind, rule in NAME_RULES.items()}


def anchored(kind: NameKind) -> str:
    """The kind's pattern for a pydantic Field (pydantic's regex '$' is the end of the text)."""
    return f"^{NAME_RULES[kind].pattern}$"


def is_valid_name(kind: NameKind, value: object) -> bool:
    rule = NAME_RULES[kind]
    return isinstance(value, str) and _COMPILED[kind].fullmatch(value) is not None and value not in rule.reserved


def check_name(kind: NameKind, value: object, *, field: str = "") -> str:
    """The name itself when it is a valid `kind` name; else InvalidNameError naming the value, the rule and the fix."""
    if is_valid_name(kind, value):
        return value  # type: ignore[return-value]
    rule = NAME_RULES[kind]
    reserved = isinstance(value, str) and value in rule.reserved
    problem = (f"{kind} name is reserved" if reserved else
               f"not valid: it must be {rule.says} (pattern {rule.pattern})")
    raise InvalidNameError(problem, field=field or f"{kind} name", value=value, fix=rule.fix)
