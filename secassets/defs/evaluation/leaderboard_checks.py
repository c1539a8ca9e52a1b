"""Checks on the leaderboard (regressions against the pinned baseline, answers that do not read the prompt) and on the
A/B experiments (decided on fewer scenarios than their power analysis asks for)."""

from typing import Any

import dagster as dg

from secassets.evaluation.leaderboard import CONSTANT_SHARE
from secassets.storage.markdown import markdown_table


def regression_result(board: dict[str, Any]) -> dg.AssetCheckResult:
    """ERROR for a significant regression against the pinned baseline, WARN for a non-significant drop of a few
    rows; a template that is not comparable (model, evaluation set, settings or rubric version differ) is reported,
    never judged."""
    baseline = board.get("baseline") or {}
    if baseline.get("damaged"):  # a pin that cannot be read judges nothing: that is a failure, not a pass
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={
            "baseline": baseline.get("name", ""), "problem": baseline["damaged"]})
    if not baseline.get("pinned"):
        return dg.AssetCheckResult(passed=True, metadata={
            "note": f"no baseline pinned under data/baselines/{baseline.get('name', 'default')}/: run the "
                    "promote_baseline job to pin the current leaderboard"})
    verdicts = baseline["verdicts"]
    rows = [{"evaluation": t, "verdict": v["verdict"], "detail": v.get("detail", ""), "rows": v.get("n", ""),
             "changed_rows": v.get("changed_rows", "")} for t, v in verdicts.items()]
    severities = {v.get("severity") for v in verdicts.values()}
    not_comparable = [t for t, v in verdicts.items() if v["verdict"] == "not comparable"]
    return dg.AssetCheckResult(
        passed=not severities & {"ERROR", "WARN"},
        severity=dg.AssetCheckSeverity.ERROR if "ERROR" in severities else dg.AssetCheckSeverity.WARN,
        metadata={
            "baseline": baseline["name"],
            "verdicts": dg.MetadataValue.md(markdown_table(rows, ["evaluation", "verdict", "detail", "rows", "changed_rows"])),
            "not_comparable": ", ".join(not_comparable) or "none",
            "regressions": ", ".join(t for t, v in verdicts.items() if v.get("severity") == "ERROR") or "none",
        },
    )


@dg.asset_check(
    asset="template_leaderboard",
    description="Compares every model x template row by row with the pinned baseline (data/baselines/<baseline>/) on the same "
    "scenarios: ERROR when in-range or parse successes fall significantly (exact McNemar) or deviation rises "
    "(Wilcoxon); WARN for a non-significant net loss of warn_rows or more. Keeps failing until a new baseline is "
    "pinned (promote_baseline job). Runs on another model, evaluation set, settings or rubric version are 'not "
    "comparable', not judged.",
)
def template_regression(template_leaderboard: dict[str, Any]) -> dg.AssetCheckResult:
    return regression_result(template_leaderboard)


@dg.asset_check(
    asset="template_leaderboard",
    description=f"WARN when a model's answers to a template barely vary: more than {CONSTANT_SHARE:.0%} share one risk score or "
    "one level. The model is then not reading the prompt, and its score is what a constant answer gets.",
)
def template_constant_answers(template_leaderboard: dict[str, Any]) -> dg.AssetCheckResult:
    rows = [{"evaluation": f"{m}|{t}", **s["answers"]} for m, board in template_leaderboard["by_model"].items()
            for t, s in board["templates"].items()]
    constant = template_leaderboard.get("constant_answers", [])
    return dg.AssetCheckResult(
        passed=not constant, severity=dg.AssetCheckSeverity.WARN,
        metadata={"constant_templates": ", ".join(constant) or "none",
                  "answers": dg.MetadataValue.md(markdown_table(rows, ["evaluation", "answers", "top_score", "top_score_share",
                                                                       "top_level", "top_level_share", "constant"]))},
    )


@dg.asset_check(
    asset="prompt_experiments",
    description="WARN when an experiment is decided (adopt or reject) on fewer scenarios than its own power analysis "
    "asks for: the decision may not hold on a larger run; raise evaluation_size to the 'needed n' shown.",
)
def prompt_experiments_powered(prompt_experiments: dict[str, Any]) -> dg.AssetCheckResult:
    decided = [r for r in prompt_experiments["results"] if r["status"] == "decided"]
    rows = [{"experiment": r["experiment"], "model": r["model"], "decision": r["decision"], "n": r["n"],
             "needed_n": r["needed_n"], "underpowered": r["underpowered"]} for r in decided]
    weak = [f"{r['experiment']} ({r['model']}): {r['decision']} on {r['n']} < {r['needed_n']}"
            for r in decided if r["underpowered"]]
    return dg.AssetCheckResult(
        passed=not weak, severity=dg.AssetCheckSeverity.WARN,
        metadata={"underpowered": "; ".join(weak) or "none",
                  "experiments": dg.MetadataValue.md(markdown_table(rows, ["experiment", "model", "decision", "n",
                                                                           "needed_n", "underpowered"]))},
    )
