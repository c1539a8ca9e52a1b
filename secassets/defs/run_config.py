"""Run config whose every number is bounded and finite, and whose violations read as a sentence.

Pydantic checks the bounds (Field ge/le, allow_inf_nan=False) when Dagster builds the config of a
step; this base class turns its ValidationError into a dg.Failure that names each field, its
value and the allowed range, instead of a traceback. The step fails before its body runs, so
nothing is written.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import ValidationError


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """'field: message (got value)' for each error, joined by '; '."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "config"
        got = f" (got {error['input']!r})" if "input" in error and not isinstance(error["input"], dict) else ""
        parts.append(f"{prefix}{where}: {error['msg']}{got}")
    return "; ".join(parts)


class CheckedConfig(dg.Config):
    """dg.Config that fails the step with a readable dg.Failure when a value is out of bounds."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise dg.Failure(
                description=f"Invalid run config ({type(self).__name__}): {describe_errors(exc)}. "
                "Fix these values in the launchpad's ops config; nothing was written.",
                allow_retries=False,  # the same config fails the same way: no retry policy should repeat it
            ) from None
