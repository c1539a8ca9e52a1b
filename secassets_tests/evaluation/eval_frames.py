"""Evaluation result frames built by hand (the runner's columns), for tests of the statistics on top of them."""

from __future__ import annotations

import pandas as pd

from secassets.evaluation.runner import EVALUATION_COLUMNS
from secassets.risk.bands import level_for_score
from secassets.risk.version import RUBRIC_VERSION


def eval_frame(template: str, in_range: list[bool], *, scores: list[int | None] | None = None, parse: list[bool] | None = None,
               truth: tuple[int, int] = (40, 50), repeat: int = 0, model: str = "m", evaluation_set: str = "s",
               settings: str = '{"n_predict":400,"repeats":1,"seed":42,"temperature":0.0,"thinking":false}',
               ceiling: bool = True, rubric_version: str = RUBRIC_VERSION) -> pd.DataFrame:
    n = len(in_range)
    parse = parse if parse is not None else [True] * n
    scores = scores if scores is not None else [45 if ok else 90 for ok in in_range]
    rows = []
    for i in range(n):
        score = scores[i] if parse[i] else None
        rows.append({
            "template": template, "model": model, "scenario_hash": f"h{i:03d}", "repeat": repeat, "source": "scenario",
            "scenario_type": "suspicious", "enrichment_level": "basic", "truth_low": truth[0], "truth_high": truth[1],
            "truth_level": "medium", "truth_alert": False, "prompt": f"prompt {i}", "raw_output": "{}", "thinking": None,
            "parse_ok": parse[i], "risk_score": score, "risk_level": None if score is None else level_for_score(score),
            "in_range": bool(in_range[i] and parse[i]), "deviation": 0.0 if in_range[i] and parse[i] else 40.0,
            "level_agreement": bool(in_range[i] and parse[i]), "alert_agreement": bool(parse[i]),
            "key_point_recall": 0.5 if parse[i] else 0.0, "ceiling_score": 45, "ceiling_in_range": ceiling,
            "ceiling_level_agreement": ceiling, "ceiling_alert_agreement": True, "chance_score": 45,
            "chance_in_range": True, "chance_level_agreement": True, "chance_alert_agreement": True, "latency_s": 1.0,
            "prompt_tokens": 100, "completion_tokens": 50, "error": None if parse[i] else "transport error: boom",
            "model_id": model, "evaluation_set": evaluation_set, "settings": settings,
            "rubric_version": rubric_version,
        })
    return pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS))
