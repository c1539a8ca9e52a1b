"""The budget of one template render, and the error every failure to render becomes.

A render gets a wall-clock deadline (RENDER_DEADLINE_S), a step budget (MAX_RENDER_STEPS: loop iterations,
calls, filters, intercepted operators, pieces of output) and a size cap: MAX_PROMPT_CHARS characters of text
emitted (macro bodies and `{% set %}` blocks included), no value over MAX_VALUE_SIZE, no integer argument over
MAX_PROMPT_CHARS. secassets.evaluation.budgeted_sandbox's environment ticks and checks it; an overrun raises
TemplateBudgetError. render_template renders under a fresh budget and turns every failure (Jinja's or not,
MemoryError and RecursionError too) into TemplateRenderError(template, line, reason, fix), the line found in
the traceback Jinja rewrites to point at the template.
"""

from __future__ import annotations

import time
from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import jinja2
from jinja2.utils import Namespace

from secassets.core.errors import SecassetsError

MAX_PROMPT_CHARS: Final = 100_000  # characters of one rendered message (and of all the text one render emits)
MAX_VALUE_SIZE: Final = 10 * MAX_PROMPT_CHARS  # characters a value built during a render may stand for
MAX_RENDER_STEPS: Final = 200_000  # loop iterations, calls, filters, operators and outputs of one render
RENDER_DEADLINE_S: Final = 2.0  # wall-clock seconds of one render
TEMPLATE_FILENAME: Final = "<template>"  # Jinja's name for the frames of a template made from a string
RENDER_FIX: Final = "write inputs as plain {{ name }}; each is a line of text."
BUDGET_FIX: Final = (f"keep loops short and each message under {MAX_PROMPT_CHARS} characters; a prompt shows the "
                     "inputs, it computes nothing.")
RECURSION_FIX: Final = "give the macro or recursive loop a case that stops calling itself."
TEXT_TYPES: Final = (str, bytes, bytearray)
_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)


class TemplateBudgetError(jinja2.TemplateRuntimeError):
    """A render over its budget (time, steps or size): `reason` says which, `fix` what to do."""

    def __init__(self, reason: str, fix: str = BUDGET_FIX) -> None:
        self.reason, self.fix = reason, fix
        super().__init__(reason)


class TemplateRenderError(SecassetsError):
    """A template text that does not render: which template (and message), the line of the text, why."""

    def __init__(self, template: str, line: int, reason: str, fix: str = RENDER_FIX) -> None:
        self.template, self.line, self.reason = template, line, reason
        super().__init__(reason, field=f"template {template} line {line}", fix=fix)

    @property
    def summary(self) -> str:
        """'<template> line N: <reason>', what a failure row records."""
        return f"{self.template} line {self.line}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.template, self.line, self.reason, self.fix)


@dataclass
class _Budget:
    deadline: float
    steps_left: int = MAX_RENDER_STEPS
    emitted_left: int = MAX_PROMPT_CHARS


_ACTIVE: ContextVar[_Budget | None] = ContextVar("secassets_render_budget", default=None)


def tick() -> None:
    """One step of the active render (none outside a render: the size checks still hold there)."""
    budget = _ACTIVE.get()
    if budget is None:
        return
    budget.steps_left -= 1
    if budget.steps_left < 0:
        raise TemplateBudgetError(f"the render takes more than {MAX_RENDER_STEPS} steps (loop iterations, calls, "
                                  "filters)")
    if time.monotonic() > budget.deadline:
        raise TemplateBudgetError(f"the render takes more than {RENDER_DEADLINE_S:g} s")


def emit(chars: int) -> None:
    """Characters a render emits (into the message, a macro, a block): MAX_PROMPT_CHARS in all per render."""
    budget = _ACTIVE.get()
    left = (budget.emitted_left if budget is not None else MAX_PROMPT_CHARS) - chars
    if budget is not None:
        budget.emitted_left = left
    if left < 0:
        raise TemplateBudgetError(f"the text renders more than {MAX_PROMPT_CHARS} characters")


def size_of(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """About how many characters str(value) has, counted up to just past `limit` (cheap on huge values)."""
    total, stack = 0, [(value, False)]
    while stack and total <= limit:
        item, nested = stack.pop()
        if isinstance(item, TEXT_TYPES):
            total += len(item) + 2 * nested
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Namespace):
            stack.append((object.__getattribute__(item, "_Namespace__attrs"), True))
        elif isinstance(item, dict):
            total += 2 * len(item) + 2
            stack.extend((x, True) for x in (*item.keys(), *item.values()))
        elif isinstance(item, _CONTAINERS):
            total += 2 * len(item) + 2
            stack.extend((x, True) for x in item)
        else:
            total += 1
    return total


def check_size(value: Any, limit: int = MAX_VALUE_SIZE) -> None:
    if size_of(value, limit) > limit:
        raise TemplateBudgetError(f"a value of the render grows past {limit} characters")


def check_built(size: int, what: str) -> None:
    if size > MAX_VALUE_SIZE:
        raise TemplateBudgetError(f"{what} would build about {size} characters, more than {MAX_VALUE_SIZE}")


def check_ints(values: Iterable[Any]) -> None:
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_PROMPT_CHARS:
            digits = int(v.bit_length() * 0.30103) + 1
            raise TemplateBudgetError(f"an integer argument of about {digits} digits is over the limit of "
                                      f"{MAX_PROMPT_CHARS}")


def replaced_size(s: Any, old: Any, new: Any, count: Any) -> int:
    """len(s.replace(old, new, count)), computed without building it."""
    found = len(s) + 1 if len(old) == 0 else s.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(s) + found * (len(new) - len(old))


def template_line(exc: BaseException) -> int | None:
    """The template line an exception was raised at: a syntax error's, else the innermost template frame's."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_error(template: str, exc: BaseException) -> TemplateRenderError:
    """Any failure to compile or render a template's text, as a TemplateRenderError with its line and fix."""
    if isinstance(exc, TemplateRenderError):
        return exc
    if isinstance(exc, TemplateBudgetError):
        reason, fix = exc.reason, exc.fix
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        reason, fix = exc.message or type(exc).__name__, RENDER_FIX
    elif isinstance(exc, TypeError) and "no loader" in str(exc):  # the environment has none, on purpose
        reason = "{% include %}, {% import %} and {% extends %} read no other file"
        fix = "write the text into this file itself."
    else:
        text = " ".join(str(exc).split())
        reason = f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
        fix = RECURSION_FIX if isinstance(exc, RecursionError) else RENDER_FIX
    return TemplateRenderError(template, template_line(exc) or 1, reason.rstrip("."), fix)


def render_template(compiled: jinja2.Template, variables: Mapping[str, Any], template: str) -> str:
    """The text of a compiled template under a fresh budget; every failure is a TemplateRenderError."""
    token = _ACTIVE.set(_Budget(deadline=time.monotonic() + RENDER_DEADLINE_S))
    chunks = compiled.generate(dict(variables))
    try:
        parts, size = [], 0
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_PROMPT_CHARS:
                raise TemplateBudgetError(f"the text renders more than {MAX_PROMPT_CHARS} characters")
            parts.append(chunk)
        return "".join(parts)
    except Exception as exc:  # noqa: BLE001 - MemoryError and RecursionError too: a text's failure is the text's
        raise render_error(template, exc) from None
    finally:
        chunks.close()
        _ACTIVE.reset(token)
