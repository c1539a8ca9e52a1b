"""Plain-text renderings for people: markdown tables and previews shown in the Dagster UI."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value).replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= 120 else text[:117] + "..."


def markdown_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def distribution_table(counts: Mapping[str, int], expected: Mapping[str, float] | None = None) -> str:
    """Counts and shares per category, with the configured share when given."""
    total = sum(counts.values()) or 1
    keys = list(expected) if expected is not None else list(counts)
    rows = []
    for k in keys:
        row: dict[str, Any] = {"value": k, "count": counts.get(k, 0), "share": round(counts.get(k, 0) / total, 4)}
        if expected is not None:
            row["configured"] = round(expected[k], 4)
        rows.append(row)
    return markdown_table(rows, ["value", "count", "share"] + (["configured"] if expected is not None else []))
