"""The one base of the errors secassets raises on purpose: each says what is wrong, where, the bad value and the fix.

A person reads these in the Dagster UI, in a sensor's log or on the command line; none of them should
need a traceback to act on. Subclasses name the kind of input they refuse.
"""

from __future__ import annotations

from typing import Any


def shown_value(value: Any, limit: int = 80) -> str:
    """repr() of a bad value, cut to `limit` characters (a refused input may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SecassetsError(Exception):
    """A refusal a person can act on: `field` (the setting, key or file), the bad `value`, the `problem` and the `fix`."""

    def __init__(self, problem: str, *, field: str = "", value: Any = None, fix: str = "") -> None:
        self.problem, self.field, self.value, self.fix = problem, field, value, fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.field}: " if self.field else ""
        got = f" (got {shown_value(self.value)})" if self.value is not None else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        end = "" if self.problem.endswith((".", "!", "?")) and not got else "."
        return f"{where}{self.problem}{got}{end}{fix}"


class InvalidNameError(SecassetsError, ValueError):
    """A name from outside (partition key, file name, run config value, table entry) that breaks its kind's pattern."""


class UnsafePathError(SecassetsError, ValueError):
    """A path from outside that would leave its root (a link out, '..', an absolute path) or is not a plain file."""


class InputTooLargeError(SecassetsError, ValueError):
    """A file or value from outside over its size bound; refused before it is read whole."""
