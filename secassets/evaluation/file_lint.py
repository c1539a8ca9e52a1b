"""Problems in a hand-edited YAML file, each with the file, the line and the fix.

Prompt engineers edit prompts/*.yaml and prompts/experiments.yaml by hand; a mistake must read as
"prompts/x.yaml:7: what is wrong. Fix: what to do", never as a stack trace.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from secassets.core.errors import SecassetsError
from secassets.storage.bounded_read import read_text_inside

KeyPath = tuple[str | int, ...]
MAX_YAML_BYTES = 256 * 1024  # a template or experiments file is a few KB; this bounds what the lint reads


@dataclass(frozen=True)
class FileProblem:
    """One mistake in a file: where it is (1-based line), what is wrong and how to fix it."""

    path: str
    line: int
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem} Fix: {self.fix}"

    def as_row(self) -> dict[str, Any]:
        return {"file": self.path, "line": self.line, "problem": self.problem, "fix": self.fix}


class FileLintError(ValueError):
    """A file that cannot be used; str() lists every problem found, one per line."""

    def __init__(self, problems: Sequence[FileProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def closest(name: str, choices: Iterable[str]) -> str:
    """'closest: x' when a known name is near the mistyped one, else ''."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (closest: {match[0]})" if match else ""


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and the 1-based line of every key path in it (for pointing at mistakes)."""

    path: str
    data: Any
    lines: dict[KeyPath, int]
    text_starts: dict[KeyPath, int]  # first line of a block scalar's text (the line after `key: |`)

    def line(self, key_path: KeyPath) -> int:
        """The line of the longest known prefix of key_path (line 1 when nothing matches)."""
        for end in range(len(key_path), 0, -1):
            if key_path[:end] in self.lines:
                return self.lines[key_path[:end]]
        return 1


def _index(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int], starts: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines[path] = key_node.start_mark.line + 1
            block = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">")
            starts[path] = value_node.start_mark.line + (2 if block else 1)
            _index(value_node, path, lines, starts)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*prefix, i)] = item.start_mark.line + 1
            _index(item, (*prefix, i), lines, starts)


def read_yaml(path: Path, shown_as: str | None = None) -> YamlDocument:
    """Parse a YAML file; a syntax error is a FileLintError at the line YAML names."""
    shown = shown_as or str(path)
    try:  # inside its folder, not through a link, and bounded before a byte is read
        text = read_text_inside(path.parent, path, MAX_YAML_BYTES, what="the file")
    except SecassetsError as exc:
        raise FileLintError([FileProblem(shown, 1, f"{exc.problem}.", exc.fix + ".")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileLintError([FileProblem(shown, 1, f"cannot be read ({exc}).", "save it as UTF-8 text.")]) from None
    try:
        alias = next((e for e in yaml.parse(text, Loader=yaml.SafeLoader) if isinstance(e, yaml.AliasEvent)), None)
        if alias is not None:  # a few aliases can stand for billions of nodes ("billion laughs")
            raise FileLintError([FileProblem(shown, alias.start_mark.line + 1, "uses a YAML alias (*name).",
                                             "write the value out; anchors and aliases are not read here.")])
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise FileLintError([FileProblem(
            shown, line, f"is not valid YAML: {reason}.",
            "check the indentation and quoting there; put multi-line text under `key: |`, indented.")]) from None
    lines: dict[KeyPath, int] = {}
    starts: dict[KeyPath, int] = {}
    if node is not None:
        _index(node, (), lines, starts)
    return YamlDocument(shown, data, lines, starts)


def validation_problems(doc: YamlDocument, exc: ValidationError, prefix: KeyPath = (),
                        allowed: Sequence[str] = ()) -> list[FileProblem]:
    """Pydantic's errors as file problems, each at the line of the key it is about (a misspelt key is one problem:
    the unknown key, with the name it is closest to, not also "missing")."""
    errors = exc.errors()
    misspelt = {closest(str(e["loc"][-1]), allowed).removeprefix(" (closest: ").removesuffix(")")
                for e in errors if e["type"] == "extra_forbidden"} - {""}
    problems = []
    for err in errors:
        if err["type"] == "missing" and str(err["loc"][-1]) in misspelt:
            continue
        loc = (*prefix, *err["loc"])
        field = ".".join(str(p) for p in err["loc"]) or "the file"
        if err["type"] == "missing":
            problem, fix = f"`{field}` is missing.", f"add `{err['loc'][-1]}:` with a value."
        elif err["type"] == "extra_forbidden":
            name = str(err["loc"][-1])
            problem = f"unknown key `{field}`{closest(name, allowed)}."
            fix = "remove it, or use one of: " + ", ".join(allowed) + "."
        else:
            problem, fix = f"`{field}`: {err['msg']} (got {err.get('input')!r}).", "correct the value as the message says."
        problems.append(FileProblem(doc.path, doc.line(loc), problem, fix))
    return problems
