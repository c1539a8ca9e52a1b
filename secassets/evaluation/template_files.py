"""Template files: prompts/<name>.yaml read, linted and turned into PromptTemplates.

A file holds the template's name (= the file's stem: it is the Dagster partition key), a description,
the inputs it declares (secassets.evaluation.inputs.INPUTS), the extra answer fields it asks for, and
Jinja text for the system and user messages. Linting finds every mistake a prompt engineer can make
in such a file (YAML, unknown keys and inputs, Jinja syntax, placeholders nothing fills, declared
inputs the text never shows, a text that fails to render or runs over its budget on the example rows of
secassets.evaluation.lint_rows) and says each with the file, the line and the fix. A bad file is left
out of the catalog with its problems; the other templates are unaffected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import jinja2
from jinja2 import meta
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from secassets.core.errors import InvalidNameError
from secassets.core.names import anchored, check_name, is_valid_name
from secassets.core.vocabulary import EXPERIMENTS_FILE_NAME, SHIPPED_PROMPTS_DIR, TEMPLATE_NAMES, prompts_dir
from secassets.evaluation.file_lint import FileLintError, FileProblem, YamlDocument, closest, read_yaml
from secassets.evaluation.file_lint import validation_problems as _validation_problems
from secassets.evaluation.inputs import INPUTS
from secassets.evaluation.lint_rows import lint_rows
from secassets.evaluation.render_budget import TemplateRenderError, render_error
from secassets.evaluation.templates import (
    BUILTIN_VARIABLES,
    EXTRA_ANSWER_FIELDS,
    TEXT_ENVIRONMENT,
    PromptTemplate,
    compile_text,
    render_text,
)

TEMPLATE_SUFFIX: Final = ".yaml"
NAME_PATTERN: Final = anchored("template")
_TEXT_KEYS: Final = ("system", "user")
_PYTHON_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")


class TemplateFile(BaseModel):
    """What a template file holds (the schema the lint checks first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, description="The template's name; the file must be <name>.yaml.")
    description: str = Field(default="", max_length=500)
    inputs: list[str] = Field(min_length=1, description="What the prompt shows, from the input table.")
    answer_fields: list[str] = Field(default_factory=list, description="Extra JSON fields the answer must have.")
    system: str = Field(min_length=1, description="Jinja text of the system message.")
    user: str = Field(min_length=1, description="Jinja text of the user message.")


@dataclass(frozen=True)
class TemplateCatalog:
    """Every template file of a folder: the valid templates (built-ins first) and every problem found."""

    folder: Path
    templates: dict[str, PromptTemplate]
    problems: list[FileProblem]

    @property
    def broken_files(self) -> list[str]:
        return sorted({p.path for p in self.problems})


def _shown(path: Path) -> str:
    """prompts/x.yaml for the shipped folder, the full path for another one."""
    try:
        return str(path.relative_to(SHIPPED_PROMPTS_DIR.parent))
    except ValueError:
        return str(path)


def _text_line(doc: YamlDocument, key: str, offset: int) -> int:
    """The file line of line `offset` (1-based) of a text block."""
    return doc.text_starts.get((key,), doc.line((key,))) + offset - 1


def _line_of(text: str, pattern: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return i
    return 1


def _placeholder_problems(doc: YamlDocument, key: str, text: str, names: set[str], spec: TemplateFile) -> list[FileProblem]:
    problems = []
    for name in sorted(names - set(spec.inputs) - set(BUILTIN_VARIABLES)):
        line = _text_line(doc, key, _line_of(text, rf"\b{re.escape(name)}\b"))
        if name in INPUTS:
            problems.append(FileProblem(doc.path, line, f"`{{{{ {name} }}}}` is used but `{name}` is not declared.",
                                        f"add {name} to inputs (the ceiling counts only declared inputs)."))
        else:
            problems.append(FileProblem(
                doc.path, line, f"unfilled placeholder `{{{{ {name} }}}}`: no input or built-in of that name"
                f"{closest(name, [*INPUTS, *BUILTIN_VARIABLES])}.",
                "use a declared input or one of: " + ", ".join(BUILTIN_VARIABLES) + "."))
    if key == "system":  # the system message is the same for every row: it is rendered with the built-ins only
        for name in sorted(names & set(spec.inputs)):
            problems.append(FileProblem(
                doc.path, _text_line(doc, key, _line_of(text, rf"\b{re.escape(name)}\b")),
                f"input `{{{{ {name} }}}}` is used in the system message, which shows only "
                + ", ".join(BUILTIN_VARIABLES) + ".", f"move {{{{ {name} }}}} to the user message."))
    for m in _PYTHON_PLACEHOLDER.finditer(text):
        line = _text_line(doc, key, text.count("\n", 0, m.start()) + 1)
        problems.append(FileProblem(doc.path, line, f"unfilled placeholder `{m.group(0)}` (single braces are sent "
                                    "to the model as they are).", f"write {{{{ {m.group(1)} }}}}."))
    return problems


def _render_problem(doc: YamlDocument, key: str, spec: TemplateFile) -> FileProblem | None:
    """The first failure of a text as a run renders it (budget included): with every value "x" (an attribute or
    filter that fails on text fails on every row), then with the real built-ins and, for the user message, on
    every example row of secassets.evaluation.lint_rows (a failure on some rows only)."""
    probe = PromptTemplate(name=spec.name, inputs=tuple(n for n in dict.fromkeys(spec.inputs) if n in INPUTS),
                           output_fields=tuple(f for f in dict.fromkeys(spec.answer_fields) if f in EXTRA_ANSWER_FIELDS),
                           system=spec.system, user=spec.user)
    as_x = {n: "x" for n in (*(spec.inputs if key == "user" else ()), *BUILTIN_VARIABLES)}
    cases = [("", as_x), ("", probe.system_variables())] if key == "system" else [
        ("", as_x), *((f" on the {r.label}", {**as_x, **probe.user_variables(r.row)}) for r in lint_rows())]
    for where, variables in cases:
        try:
            render_text(getattr(spec, key), variables, f"{spec.name} {key}")
        except TemplateRenderError as err:
            return FileProblem(doc.path, _text_line(doc, key, err.line), f"`{key}` fails to render{where}: "
                               f"{err.reason}.", err.fix)
    return None


def _text_problems(doc: YamlDocument, spec: TemplateFile) -> list[FileProblem]:
    problems: list[FileProblem] = []
    used: set[str] = set()
    for key in _TEXT_KEYS:
        text: str = getattr(spec, key)
        try:
            names = meta.find_undeclared_variables(TEXT_ENVIRONMENT.parse(text))
            compile_text(text)  # unknown filters and tests fail here
        except jinja2.TemplateSyntaxError as exc:
            problems.append(FileProblem(doc.path, _text_line(doc, key, exc.lineno or 1), f"`{key}` is not valid Jinja: "
                                        f"{exc.message}.", "close every {{ }} and {% %}; write a value as {{ name }}."))
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. RecursionError: a text nested too deeply to parse
            err = render_error(f"{spec.name} {key}", exc)
            problems.append(FileProblem(doc.path, _text_line(doc, key, err.line), f"`{key}` cannot be compiled: "
                                        f"{err.reason}.", "write the text plainly: a prompt shows inputs, it computes "
                                        "nothing."))
            continue
        used |= names
        found = _placeholder_problems(doc, key, text, names, spec)
        problems += found
        if found:
            continue
        failure = _render_problem(doc, key, spec)
        if failure is not None:
            problems.append(failure)
    for name in spec.inputs:
        if name in INPUTS and name not in used:
            problems.append(FileProblem(doc.path, doc.line(("inputs", spec.inputs.index(name))),
                                        f"declared input `{name}` never appears in the messages.",
                                        f"add {{{{ {name} }}}} to the user message, or remove it from inputs."))
    return problems


def _spec_problems(doc: YamlDocument, spec: TemplateFile, stem: str) -> list[FileProblem]:
    problems = []
    if spec.name != stem:
        problems.append(FileProblem(doc.path, doc.line(("name",)), f"name `{spec.name}` differs from the file name.",
                                    f"rename the file to {spec.name}{TEMPLATE_SUFFIX}, or set name: {stem}."))
    for i, name in enumerate(spec.inputs):
        if name not in INPUTS:
            problems.append(FileProblem(doc.path, doc.line(("inputs", i)), f"unknown input `{name}`"
                                        f"{closest(name, INPUTS)}.", "use one of: " + ", ".join(INPUTS) + "."))
        elif spec.inputs.index(name) != i:
            problems.append(FileProblem(doc.path, doc.line(("inputs", i)), f"input `{name}` is declared twice.",
                                        "remove the repeat."))
    for i, name in enumerate(spec.answer_fields):
        if name not in EXTRA_ANSWER_FIELDS:
            problems.append(FileProblem(doc.path, doc.line(("answer_fields", i)), f"unknown answer field `{name}`"
                                        f"{closest(name, EXTRA_ANSWER_FIELDS)}.",
                                        "use one of: " + ", ".join(EXTRA_ANSWER_FIELDS) + " (risk_score, risk_level, "
                                        "summary and reasoning are always asked for)."))
        elif spec.answer_fields.index(name) != i:
            problems.append(FileProblem(doc.path, doc.line(("answer_fields", i)), f"answer field `{name}` is listed "
                                        "twice.", "remove the repeat."))
    return problems + _text_problems(doc, spec)


def load_template(path: Path) -> PromptTemplate:
    """One template file, linted; FileLintError lists every problem with its line and fix. Nothing else is raised
    for a file's content: an error the lint did not foresee is a problem of the file too."""
    try:
        return _load_template(path)
    except FileLintError:
        raise
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not take the catalog down
        text = " ".join(str(exc).split())[:200]
        raise FileLintError([FileProblem(_shown(path), 1, f"cannot be checked as a template ({type(exc).__name__}"
                                         f"{': ' + text if text else ''}).", "start from a copy of prompts/basic.yaml "
                                         "and change one thing at a time.")]) from None


def _load_template(path: Path) -> PromptTemplate:
    doc = read_yaml(path, _shown(path))
    if not isinstance(doc.data, dict):
        raise FileLintError([FileProblem(doc.path, 1, "is not a mapping of keys to values.",
                                         "start from a copy of prompts/basic.yaml.")])
    try:
        spec = TemplateFile.model_validate(doc.data)
    except ValidationError as exc:
        raise FileLintError(_validation_problems(doc, exc, allowed=list(TemplateFile.model_fields))) from None
    problems = _spec_problems(doc, spec, path.stem)
    if problems:
        raise FileLintError(problems)
    return PromptTemplate(name=spec.name, inputs=tuple(spec.inputs), output_fields=tuple(spec.answer_fields),
                          system=spec.system, user=spec.user, description=spec.description.strip(), source=doc.path)


def template_files(folder: Path) -> list[Path]:
    """The template files of a folder: built-ins first in their order, then the others by name (any *.yaml but the
    experiments file, whatever its name: load_catalog refuses a name that is not a template name)."""
    files = [p for p in folder.glob(f"*{TEMPLATE_SUFFIX}") if p.name != EXPERIMENTS_FILE_NAME] if folder.is_dir() else []
    order = {name: i for i, name in enumerate(TEMPLATE_NAMES)}
    return sorted(files, key=lambda p: (order.get(p.stem, len(order)), p.stem))


def _name_problem(path: Path) -> FileProblem | None:
    """A file whose stem is no template name (it would be a partition key and a file name): refused, never loaded."""
    if is_valid_name("template", path.stem):
        return None
    try:
        check_name("template", path.stem, field="file name")
    except InvalidNameError as exc:
        return FileProblem(_shown(path), 1, f"`{path.name}` is not a template name: {exc.problem}.",
                           "rename the file to <name>.yaml with such a name (the stem is the template's partition key).")
    return None  # pragma: no cover - is_valid_name said it is invalid


def load_catalog(folder: Path | None = None) -> TemplateCatalog:
    """Every template file of the folder (default: prompts_dir()); a bad file is reported, never raised."""
    folder = folder or prompts_dir()
    templates: dict[str, PromptTemplate] = {}
    problems: list[FileProblem] = []
    for path in template_files(folder):
        bad_name = _name_problem(path)
        if bad_name is not None:
            problems.append(bad_name)
            continue
        try:
            templates[path.stem] = load_template(path)
        except FileLintError as exc:
            problems.extend(exc.problems)
    return TemplateCatalog(folder, templates, problems)


def find_template(name: str, folder: Path | None = None) -> PromptTemplate:
    """The template of that name, read now (an edit is used without restarting anything); the name is checked
    against the template pattern before it is joined into a path (InvalidNameError)."""
    check_name("template", name, field="template")
    folder = folder or prompts_dir()
    path = folder / f"{name}{TEMPLATE_SUFFIX}"
    if not path.is_file():
        known = [p.stem for p in template_files(folder) if is_valid_name("template", p.stem)]
        raise FileLintError([FileProblem(_shown(path), 1, f"no template file for `{name}`{closest(name, known)}.",
                                         f"add {_shown(path)} (copy prompts/basic.yaml), or use one of: "
                                         + ", ".join(known) + ".")])
    return load_template(path)


def builtin_templates(names: Sequence[str] = TEMPLATE_NAMES) -> dict[str, PromptTemplate]:
    """The templates the project ships (prompts/ in the repository), whatever SECASSETS_PROMPTS_DIR says."""
    return {name: find_template(name, SHIPPED_PROMPTS_DIR) for name in names}
