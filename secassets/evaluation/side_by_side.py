"""One row per scenario with the ground truth and every template's answer, for reading disagreements."""

from __future__ import annotations

from typing import Any

import pandas as pd

from secassets.evaluation.leaderboard import ranked_rows


def _verdict(row: pd.Series) -> str:
    if not bool(row["parse_ok"]):
        return "failed"
    return "in range" if bool(row["in_range"]) else f"off by {row['deviation']:.0f}"


def side_by_side(evals: dict[str, pd.DataFrame], baseline: dict[str, pd.DataFrame] | None = None) -> list[dict[str, Any]]:
    """Per scenario (in hash order): truth, per template score/level/verdict/prompt/answer, whether the templates
    disagree (in-range verdict or level), and whether any template's in-range verdict changed since the baseline."""
    frames = {t: ranked_rows(df).set_index("scenario_hash") for t, df in sorted(evals.items())}
    pinned = {t: ranked_rows(df).set_index("scenario_hash") for t, df in (baseline or {}).items()}
    hashes = sorted(set().union(*(f.index for f in frames.values()))) if frames else []
    out = []
    for h in hashes:
        present = {t: f.loc[h] for t, f in frames.items() if h in f.index}
        first = next(iter(present.values()))
        answers = {
            t: {"score": None if pd.isna(r["risk_score"]) else int(r["risk_score"]), "level": r["risk_level"],
                "verdict": _verdict(r), "prompt": r.get("prompt"), "answer": r["raw_output"], "error": r["error"]}
            for t, r in present.items()
        }
        verdicts = {bool(r["in_range"]) for r in present.values()}
        levels = {r["risk_level"] for r in present.values()}
        changed = [t for t, r in present.items() if t in pinned and h in pinned[t].index
                   and bool(pinned[t].loc[h]["in_range"]) != bool(r["in_range"])]
        out.append({
            "scenario_hash": h, "scenario_type": first["scenario_type"], "source": first["source"],
            "truth": f"{int(first['truth_low'])}-{int(first['truth_high'])} {first['truth_level']}"
                     f"{', alert' if bool(first['truth_alert']) else ''}",
            "answers": answers, "disagree": len(verdicts) > 1 or len(levels) > 1, "changed_since_baseline": changed,
        })
    return out
