"""Ranking templates: every score between chance and ceiling, honest intervals, corrected paired tests.

Per template and metric: the score (Wilson interval for rates, bootstrap for means), chance (the best
constant answer on the same rows), the ceiling (a perfect reader of the template's fields:
secassets.evaluation.ceilings) and the normalized score (score - chance) / (ceiling - chance), said in
words. Pairwise exact McNemar (in range) and Wilcoxon (deviation) tests are Holm-corrected; a best
template is named only when it beats the runner-up significantly. Only repeat 0 is ranked (so a run
with repeats stays comparable with one without); the repeats give each scenario's stability.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from typing import Any, Final

import pandas as pd

from secassets.evaluation.runner import COMPARABILITY_COLUMNS
from secassets.evaluation.statistics import bootstrap_ci, holm, mcnemar_p, percentile, wilcoxon_p, wilson_interval
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RISK_LEVELS, RiskRange, levels_for_range

RATE_METRICS: Final = {
    "in_range_accuracy": "in_range", "level_accuracy": "level_agreement", "alert_accuracy": "alert_agreement",
    "parse_rate": "parse_ok",
}
CEILING_COLUMNS: Final = {
    "in_range_accuracy": "ceiling_in_range", "level_accuracy": "ceiling_level_agreement",
    "alert_accuracy": "ceiling_alert_agreement",
}
BREAKDOWNS: Final = ("scenario_type", "enrichment_level")
ALPHA: Final = 0.05
CONSTANT_SHARE: Final = 0.9  # answers sharing one score (or level) above this share do not read the prompt
UNRECORDED: Final = "unrecorded"  # what a column reads as in rows from before it was recorded
DECISIVE_HALF_WIDTH: Final = 0.10  # a 95% interval wider than +/- this on in-range accuracy is a smoke-size run


def _rounded(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def ranked_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows that are ranked: repeat 0 of every scenario."""
    return df[df["repeat"] == 0] if "repeat" in df else df


def _ranges(df: pd.DataFrame) -> list[RiskRange]:
    return [RiskRange(low=int(lo), high=int(hi)) for lo, hi in zip(df["truth_low"], df["truth_high"], strict=True)]


CHANCE_COLUMNS: Final = {
    "in_range_accuracy": "chance_in_range", "level_accuracy": "chance_level_agreement",
    "alert_accuracy": "chance_alert_agreement",
}


def chance_levels(df: pd.DataFrame) -> dict[str, float]:
    """What the best constant answer scores on these rows, per metric (a constant text recalls no key point).

    The constant is the scenario population's best (the chance_* columns), like the ceiling's reader; rows
    without them fall back to the best constant for these rows themselves.
    """
    ranges = _ranges(df)
    n = len(ranges)
    if not n:
        return {}
    if "chance_score" in df:
        constant = int(df["chance_score"].iloc[0])
        return {**{m: float(df[c].astype(bool).mean()) for m, c in CHANCE_COLUMNS.items()}, "key_point_recall": 0.0,
                "mean_deviation": sum(r.deviation(constant) for r in ranges) / n}
    scores = range(MIN_SCORE, MAX_SCORE + 1)
    alerts = df["truth_alert"].astype(bool)
    return {
        "in_range_accuracy": max(sum(r.contains(c) for r in ranges) for c in scores) / n,
        "level_accuracy": max(sum(lvl in levels_for_range(r) for r in ranges) for lvl in RISK_LEVELS) / n,
        "alert_accuracy": max(alerts.mean(), 1 - alerts.mean()),
        "key_point_recall": 0.0,
        "mean_deviation": min(sum(r.deviation(c) for r in ranges) / n for c in scores),
    }


def verdict(score: float | None, low: float | None, high: float | None, chance: float | None, ceiling: float | None,
            higher_is_better: bool = True) -> str:
    """The score in words against chance and ceiling."""
    if score is None or chance is None or ceiling is None or low is None or high is None:
        return ""
    if low <= chance <= high:
        return "at chance"
    if (score < chance) == higher_is_better:
        return "below chance"
    gap = (ceiling - chance) if higher_is_better else (chance - ceiling)
    if gap <= 0:
        return "above chance; the ceiling is no higher than chance"
    share = ((score - chance) if higher_is_better else (chance - score)) / gap
    return f"closes {share:.0%} of the gap from chance to the ceiling"


def _metric(mean: float, low: float, high: float, n: int, chance: float | None, ceiling: float | None,
            higher_is_better: bool = True) -> dict[str, Any]:
    normalized = None
    gap = None if chance is None or ceiling is None else (ceiling - chance) * (1 if higher_is_better else -1)
    if gap is not None and gap > 1e-9:  # no room above chance: a normalized score would mean nothing
        normalized = (mean - chance) / (ceiling - chance)
    return {"mean": _rounded(mean), "ci_low": _rounded(low), "ci_high": _rounded(high), "n": n,
            "chance": _rounded(chance), "ceiling": _rounded(ceiling), "normalized": _rounded(normalized),
            "verdict": verdict(mean, low, high, chance, ceiling, higher_is_better)}


def answer_variety(df: pd.DataFrame) -> dict[str, Any]:
    """How much the answers vary: the share of the most common score and level among parsed answers."""
    answered = df[df["parse_ok"].astype(bool)]
    if answered.empty:
        return {"answers": 0, "top_score": None, "top_score_share": None, "top_level": None, "top_level_share": None,
                "constant": False}
    scores, levels = answered["risk_score"].astype(int).value_counts(), answered["risk_level"].value_counts()
    top_score_share, top_level_share = scores.iloc[0] / len(answered), levels.iloc[0] / len(answered)
    return {"answers": len(answered), "top_score": int(scores.index[0]), "top_score_share": _rounded(top_score_share),
            "top_level": str(levels.index[0]), "top_level_share": _rounded(top_level_share),
            "constant": bool(top_score_share > CONSTANT_SHARE or top_level_share > CONSTANT_SHARE)}


def stability(df: pd.DataFrame) -> dict[str, Any] | None:
    """With repeats: per scenario, the share of repeats agreeing with its most common in-range verdict and
    level; the mean over scenarios, and the mean spread (standard deviation) of the score."""
    if "repeat" not in df or df["repeat"].nunique() < 2:
        return None
    per = []
    for _, g in df.groupby("scenario_hash", sort=True):
        in_range = g["in_range"].astype(bool).value_counts(normalize=True).iloc[0]
        level = g["risk_level"].fillna("failed").value_counts(normalize=True).iloc[0]
        spread = g["risk_score"].dropna().astype(float).std(ddof=0) if g["risk_score"].notna().sum() > 1 else 0.0
        per.append((in_range, level, spread))
    frame = pd.DataFrame(per, columns=["in_range", "level", "spread"])
    return {"repeats": int(df["repeat"].nunique()), "in_range_agreement": _rounded(frame["in_range"].mean()),
            "level_agreement": _rounded(frame["level"].mean()), "score_spread": _rounded(frame["spread"].mean()),
            "fully_stable_share": _rounded(((frame["in_range"] == 1) & (frame["level"] == 1)).mean())}


def _scores(rows: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Every accuracy and deviation metric of these rows, each against its chance and ceiling on the same rows."""
    chance = chance_levels(rows)
    out: dict[str, Any] = {"rows": len(rows)}
    for name, column in RATE_METRICS.items():
        hits, n = int(rows[column].astype(bool).sum()), len(rows)
        low, high = wilson_interval(hits, n)
        ceiling = 1.0 if name == "parse_rate" else (rows[CEILING_COLUMNS[name]].astype(bool).mean() if n else None)
        out[name] = _metric(hits / n if n else float("nan"), low, high, n, chance.get(name), ceiling)
    recall = bootstrap_ci(rows["key_point_recall"].astype(float).tolist(), seed=seed)
    out["key_point_recall"] = _metric(recall.mean, recall.low, recall.high, recall.n, chance.get("key_point_recall"), 1.0)
    dev = bootstrap_ci(rows["deviation"].astype(float).tolist(), seed=seed)
    best = [RiskRange(low=int(lo), high=int(hi)).deviation(c) for lo, hi, c in
            zip(rows["truth_low"], rows["truth_high"], rows["ceiling_score"], strict=True)]
    out["mean_deviation"] = _metric(dev.mean, dev.low, dev.high, dev.n, chance.get("mean_deviation"),
                                    sum(best) / len(best) if best else None, higher_is_better=False)
    return out


def template_version(df: pd.DataFrame) -> str:
    """The template file version the rows were answered with ("unrecorded" for rows from before versions)."""
    versions = sorted({str(v) for v in df["template_version"].dropna()}) if "template_version" in df else []
    return ", ".join(versions) or UNRECORDED


def rubric_versions(*frames: pd.DataFrame) -> str:
    """The rubric version(s) the rows' ground truth was judged under ("unrecorded" for rows from before versions)."""
    versions = sorted({str(v) for df in frames if "rubric_version" in df for v in df["rubric_version"].dropna()})
    return ", ".join(versions) or UNRECORDED


def template_summary(df: pd.DataFrame, seed: int) -> dict[str, Any]:
    rows = ranked_rows(df)
    out = _scores(rows, seed)
    out["version"] = template_version(df)
    out["rubric_version"] = rubric_versions(rows)
    # Per source (scenario, edge_case, curated): every figure with that source's own chance and ceiling, so a
    # template that only reads the generator's habits shows it on the cases a person labeled.
    out["by_source"] = {str(k): _scores(g, seed) for k, g in rows.groupby("source", sort=True)} if "source" in rows else {}
    latencies = rows["latency_s"].dropna().tolist()
    out["latency_s"] = {f"p{q}": _rounded(percentile(latencies, q)) for q in (50, 90, 99)}
    out["breakdowns"] = {
        by: {str(k): {"n": len(g), "in_range_accuracy": _rounded(g["in_range"].mean()),
                      "mean_deviation": _rounded(g["deviation"].mean())} for k, g in rows.groupby(by, sort=True)}
        for by in BREAKDOWNS
    }
    out["answers"] = answer_variety(rows)
    out["stability"] = stability(df)
    return out


def pairwise_tests(evals: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Exact McNemar (in range) and Wilcoxon (deviation) per pair on the scenarios both evaluated, Holm-corrected."""
    tests = []
    for a, b in itertools.combinations(sorted(evals), 2):
        left, right = ranked_rows(evals[a]).set_index("scenario_hash"), ranked_rows(evals[b]).set_index("scenario_hash")
        common = left.index.intersection(right.index)
        if common.empty:
            continue
        la, rb = left.loc[common], right.loc[common]
        tests.append({
            "a": a, "b": b, "n": len(common),
            "in_range_a": _rounded(la["in_range"].mean()), "in_range_b": _rounded(rb["in_range"].mean()),
            "mcnemar_p": mcnemar_p(la["in_range"].tolist(), rb["in_range"].tolist()),
            "wilcoxon_p": wilcoxon_p(la["deviation"].tolist(), rb["deviation"].tolist()),
        })
    for key in ("mcnemar_p", "wilcoxon_p"):
        for test, adjusted in zip(tests, holm([t[key] for t in tests]), strict=True):
            test[f"{key}_holm"] = _rounded(adjusted)
            test[key] = _rounded(test[key])
    return tests


def best_statement(ranking: list[str], templates: dict[str, Any], pairwise: list[dict[str, Any]]) -> str:
    """Name a best template only when it beats the runner-up significantly (Holm-adjusted McNemar)."""
    if len(ranking) < 2:
        return f"only {ranking[0]} was evaluated" if ranking else "nothing was evaluated"
    top, second = ranking[0], ranking[1]
    test = next((t for t in pairwise if {t["a"], t["b"]} == {top, second}), None)
    p = None if test is None else test["mcnemar_p_holm"]
    if p is not None and p < ALPHA and templates[top]["in_range_accuracy"]["mean"] > templates[second]["in_range_accuracy"]["mean"]:
        return f"{top} is best: it beats {second} on in-range accuracy (Holm-adjusted McNemar p = {p:.3g})"
    return (f"the data show no difference between {top} and {second} on in-range accuracy "
            f"(Holm-adjusted McNemar p = {p if p is None else f'{p:.3g}'}); no template is named best")


def size_note(n: int) -> str:
    """Whether the evaluation is large enough to tell templates apart (95% interval at 50%)."""
    low, high = wilson_interval(n // 2, n)
    half = (high - low) / 2
    if half <= DECISIVE_HALF_WIDTH:
        return f"{n} scenarios per template: a 95% interval on in-range accuracy is about ±{half:.0%}"
    return (f"smoke size: {n} scenarios per template, a 95% interval on in-range accuracy is about ±{half:.0%}; "
            "the nightly job evaluates about 100 (±10 points)")


def settings_without_budget(label: str) -> str:
    settings = json.loads(label)
    settings.pop("n_predict", None)  # each template has its own answer budget by design
    return json.dumps(settings, sort_keys=True)


def mixing_problems(evals: dict[str, pd.DataFrame]) -> list[str]:
    """Why these partitions cannot be ranked together (different models, evaluation sets, settings or rubric versions;
    a partition from before a column was recorded reads "unrecorded" there when another records it)."""
    problems = []
    for column in COMPARABILITY_COLUMNS:
        if not any(column in df for df in evals.values()):
            continue
        values = {t: sorted({(settings_without_budget(v) if column == "settings" else str(v)) for v in df[column]})
                  if column in df else [UNRECORDED] for t, df in evals.items()}
        distinct = {v for vs in values.values() for v in vs}
        if len(distinct) > 1:
            problems.append(f"{column} differs: " + "; ".join(f"{t}: {', '.join(v)}" for t, v in sorted(values.items())))
    return problems


def evaluations_fingerprint(evals: dict[str, pd.DataFrame]) -> str:
    """A short content hash of the ranked evaluations: two leaderboards with the same one ranked the same rows."""
    digest = hashlib.sha256()
    for template in sorted(evals):
        digest.update(template.encode())
        digest.update(pd.util.hash_pandas_object(evals[template], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def build_leaderboard(evals: dict[str, pd.DataFrame], *, seed: int = 0) -> dict[str, Any]:
    """The leaderboard document (JSON-ready), ranked by in-range accuracy, then parse rate, then deviation."""
    templates = {name: template_summary(df, seed) for name, df in sorted(evals.items())}
    ranking = sorted(templates, key=lambda t: (
        -(templates[t]["in_range_accuracy"]["mean"] or 0.0), -(templates[t]["parse_rate"]["mean"] or 0.0),
        templates[t]["mean_deviation"]["mean"] if templates[t]["mean_deviation"]["mean"] is not None else 1e9,
    ))
    for rank, name in enumerate(ranking, start=1):
        templates[name]["rank"] = rank
    pairwise = pairwise_tests(evals)
    first = next(iter(evals.values()))
    return {
        "templates": templates, "ranking": ranking, "pairwise": pairwise,
        "best": best_statement(ranking, templates, pairwise),
        "size": size_note(templates[ranking[0]]["rows"]) if ranking else "",
        "constant_answers": [t for t in ranking if templates[t]["answers"]["constant"]],
        "model_id": str(first["model_id"].iloc[0]) if "model_id" in first and len(first) else "",
        "evaluation_set": str(first["evaluation_set"].iloc[0]) if "evaluation_set" in first and len(first) else "",
        "rubric_version": rubric_versions(*(ranked_rows(df) for df in evals.values())),
    }
