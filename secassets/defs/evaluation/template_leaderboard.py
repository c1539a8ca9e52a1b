"""template_leaderboard: the templates ranked on the same scenarios, each score between chance and ceiling.

Input: every partition of prompt_evaluations (refused when they come from different models, evaluation
sets or settings). Per template and metric: score with its 95% interval, chance, ceiling, normalized
score and a verdict in words; Holm-corrected paired tests; stability over repeats; the per-scenario
side by side; the verdict against the pinned baseline (data/baselines/<baseline>/, pinned by the
promote_baseline job). Output: data/template_leaderboard.json and a self-contained HTML report with
plots at data/template_leaderboard/report.html.
"""

import base64
import json
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field, field_validator

from secassets.defs.evaluation.partitions import TEMPLATE_PARTITIONS
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.baselines import RegressionThresholds, check_name, compare_with_baseline, load_baseline
from secassets.evaluation.leaderboard import build_leaderboard, evaluations_fingerprint, mixing_problems
from secassets.evaluation.report import (
    accuracy_plot,
    deviation_plot,
    leaderboard_table,
    pairwise_table,
    render_html,
    side_by_side_table,
    source_table,
)
from secassets.evaluation.side_by_side import side_by_side
from secassets.storage.files import write_bytes, write_text

BASELINES_DIR = "baselines"


class LeaderboardParams(CheckedConfig):
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of the bootstrap resampling.")
    baseline: str = Field(default="default", description="Name of the pinned baseline the regression check compares "
                          "with (data/baselines/<name>/; pin one with the promote_baseline job).")
    alpha: float = Field(default=0.05, gt=0, lt=1, allow_inf_nan=False,
                         description="Regression check: significance level of the paired tests against the baseline.")
    warn_rows: int = Field(default=2, ge=1, le=100_000,
                           description="Regression check: net rows lost that warn when the change is not significant.")

    @field_validator("baseline")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)


@dg.asset(
    ins={"prompt_evaluations": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    description="Templates ranked by in-range accuracy with 95% intervals (Wilson for rates), each metric next to "
    "chance (the best constant answer) and the template's ceiling (a perfect reader of its inputs), normalized "
    "scores in words, Holm-corrected paired tests, stability over repeats, a per-scenario side by side and the "
    "verdict against the pinned baseline; JSON + HTML report.",
    kinds={"json", "html"},
)
def template_leaderboard(
    context: dg.AssetExecutionContext,
    config: LeaderboardParams,
    prompt_evaluations: dict[str, pd.DataFrame],
    local_files: LocalFiles,
) -> dict[str, Any]:
    if isinstance(prompt_evaluations, pd.DataFrame):  # a single stored partition loads as a frame
        prompt_evaluations = {str(prompt_evaluations["template"].iloc[0]): prompt_evaluations}
    if not prompt_evaluations:
        raise dg.Failure("no prompt_evaluations partition is materialized; materialize them first")
    problems = mixing_problems(prompt_evaluations)
    if problems:
        raise dg.Failure(
            description="the prompt_evaluations partitions are not comparable, so they are not ranked together: "
            + " | ".join(problems) + ". Re-materialize every template partition in one run (the nightly job does).",
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))},
        )
    missing = sorted(set(TEMPLATE_PARTITIONS.get_partition_keys()) - set(prompt_evaluations))
    board = build_leaderboard(prompt_evaluations, seed=config.seed)
    thresholds = RegressionThresholds(alpha=config.alpha, warn_rows=config.warn_rows)
    baseline = load_baseline(local_files.path(BASELINES_DIR, config.baseline))
    board["baseline"] = {"name": config.baseline, "pinned": baseline is not None, "thresholds": thresholds.model_dump(),
                         "verdicts": compare_with_baseline(baseline, prompt_evaluations, thresholds) if baseline else {}}
    board["missing_templates"] = missing
    # What was ranked, not when: the same evaluations give the same bytes (the run is in Dagster's history).
    board["evaluations_fingerprint"] = evaluations_fingerprint(prompt_evaluations)
    side = side_by_side(prompt_evaluations, baseline)
    plots = {"accuracy": accuracy_plot(board), "deviation": deviation_plot(prompt_evaluations, board["ranking"])}
    for name, png in plots.items():
        write_bytes(local_files.path("template_leaderboard", f"{name}.png"), lambda p, png=png: p.write_bytes(png))
    report = write_text(
        local_files.path("template_leaderboard", "report.html"),
        render_html(board, plots, {
            "model": board["model_id"], "evaluation set": board["evaluation_set"],
            "evaluations fingerprint": board["evaluations_fingerprint"], "missing templates": missing or "none",
            "baseline": f"{config.baseline} ({'pinned' if baseline else 'none pinned: run promote_baseline'})",
        }, side, board["baseline"]["verdicts"]),
    )
    top = board["ranking"][0]
    context.add_output_metadata({
        "verdict": board["best"],
        "size": board["size"],
        "top_template": top,
        "top_in_range_accuracy": board["templates"][top]["in_range_accuracy"]["mean"],
        "top_reading": board["templates"][top]["in_range_accuracy"]["verdict"],
        "constant_answers": ", ".join(board["constant_answers"]) or "none",
        "templates": len(board["templates"]),
        "missing_templates": ", ".join(missing) or "none",
        "model": board["model_id"],
        "evaluation_set": board["evaluation_set"],
        "evaluations_fingerprint": board["evaluations_fingerprint"],
        "leaderboard": dg.MetadataValue.md(leaderboard_table(board)),
        "by_source": dg.MetadataValue.md(source_table(board)),
        "pairwise_tests": dg.MetadataValue.md(pairwise_table(board) if board["pairwise"] else "fewer than two templates"),
        "side_by_side": dg.MetadataValue.md(side_by_side_table(side, board["ranking"])),
        "accuracy_plot": dg.MetadataValue.md(f"![accuracy](data:image/png;base64,{base64.b64encode(plots['accuracy']).decode()})"),
        "report": dg.MetadataValue.path(str(report)),
    })
    context.log.info(f"Leaderboard: {board['best']}; {board['size']}; report at {report}")
    return json.loads(json.dumps(board))
