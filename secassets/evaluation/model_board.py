"""The leaderboard on both axes: templates ranked within each model, models ranked within each template.

Evaluations are keyed "model|template" (the partition key). Within a model every template is ranked on
the same scenarios (secassets.evaluation.leaderboard.build_leaderboard); within a template the models
are ranked the same way, paired on the same scenarios, when they were evaluated on the same set with
the same settings under the same rubric version; otherwise that comparison is reported as not comparable, never
computed.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from secassets.evaluation.leaderboard import (
    UNRECORDED,
    build_leaderboard,
    mixing_problems,
    ranked_rows,
    rubric_versions,
    settings_without_budget,
    size_note,
)


def split_key(key: str) -> tuple[str, str]:
    """(model, template) of a "model|template" key."""
    model, template = str(key).split("|")
    return model, template


def key_of(df: pd.DataFrame) -> str:
    """The key of one evaluation frame, read from its rows."""
    return f"{df['model'].iloc[0]}|{df['template'].iloc[0]}"


def as_evaluations(loaded: dict[str, pd.DataFrame] | pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What an all-partitions input holds, by "model|template" key (a single stored partition loads as a frame)."""
    if isinstance(loaded, pd.DataFrame):
        return {key_of(loaded): loaded}
    return {str(k): v for k, v in loaded.items()}


def by_model(evals: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """{model: {template: frame}} in model order of first appearance, templates sorted."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for key, frame in evals.items():
        model, template = split_key(key)
        out.setdefault(model, {})[template] = frame
    return {m: dict(sorted(t.items())) for m, t in out.items()}


def _prompt_formats(df: pd.DataFrame) -> set[str]:
    return {json.loads(s).get("prompt_format", "chatml") for s in df["settings"]}


def model_problems(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Why models cannot be compared on one template: another evaluation set, other settings (the prompt format
    aside: each model may be prompted in its own chat format, which is the fair comparison) or another rubric version."""
    problems = []
    sets = {m: sorted(set(df["evaluation_set"].astype(str))) for m, df in frames.items()}
    if len({tuple(v) for v in sets.values()}) > 1:
        problems.append("evaluation_set differs: " + "; ".join(f"{m}: {', '.join(v)}" for m, v in sets.items()))
    rubrics = {m: sorted(set(df["rubric_version"].astype(str))) if "rubric_version" in df else [UNRECORDED]
               for m, df in frames.items()}
    if len({tuple(v) for v in rubrics.values()}) > 1:
        problems.append("rubric_version differs: " + "; ".join(f"{m}: {', '.join(v)}" for m, v in rubrics.items()))
    settings = {}
    for m, df in frames.items():
        values = set()
        for label in df["settings"]:
            s = json.loads(settings_without_budget(label))
            s.pop("prompt_format", None)
            values.add(json.dumps(s, sort_keys=True))
        settings[m] = sorted(values)
    if len({tuple(v) for v in settings.values()}) > 1:
        problems.append("settings differ: " + "; ".join(f"{m}: {', '.join(v)}" for m, v in settings.items()))
    return problems


def board_problems(evals: dict[str, pd.DataFrame]) -> list[str]:
    """Why the templates of some model cannot be ranked together (its partitions come from different runs)."""
    return [f"model {m}: {p}" for m, templates in by_model(evals).items() for p in mixing_problems(templates)]


def build_board(evals: dict[str, pd.DataFrame], *, seed: int = 0) -> dict[str, Any]:
    """The whole leaderboard document (JSON-ready): per model, per template, and what could not be compared."""
    models = by_model(evals)
    per_model = {m: build_leaderboard(templates, seed=seed) for m, templates in models.items()}
    templates = sorted({t for ts in models.values() for t in ts})
    per_template: dict[str, Any] = {}
    for t in templates:
        frames = {m: ts[t] for m, ts in models.items() if t in ts}
        if len(frames) < 2:
            continue
        problems = model_problems(frames)
        per_template[t] = {"not_comparable": problems} if problems else build_leaderboard(frames, seed=seed)
    first = next(iter(per_model.values()), {})
    return {
        "models": list(models),
        "by_model": per_model,
        "by_template": per_template,
        "model_ids": {m: b.get("model_id", "") for m, b in per_model.items()},
        "prompt_formats": {f"{m}|{t}": sorted(_prompt_formats(df)) for m, ts in models.items() for t, df in ts.items()},
        "constant_answers": [f"{m}|{t}" for m, b in per_model.items() for t in b["constant_answers"]],
        "evaluation_set": first.get("evaluation_set", ""),
        "rubric_version": rubric_versions(*(ranked_rows(df) for ts in models.values() for df in ts.values())),
        "size": size_note(max((s["rows"] for b in per_model.values() for s in b["templates"].values()), default=0)),
        "evaluated": [f"{m}|{t}" for m, b in per_model.items() for t in b["ranking"]],
    }
