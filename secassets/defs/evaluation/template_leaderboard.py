"""template_leaderboard: the templates ranked on the same scenarios, with honest uncertainty.

Input: every partition of prompt_evaluations. Per template: in-range, level and alert accuracy,
mean deviation, key-point recall and parse rate with bootstrap 95% CIs, latency percentiles,
breakdowns by scenario_type and enrichment_level; McNemar and Wilcoxon tests between templates.
Output: data/template_leaderboard.json (the previous one is kept as
data/template_leaderboard/previous.json for the regression check) and a self-contained HTML
report with plots at data/template_leaderboard/report.html.
"""

import base64
import json
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.defs.evaluation.partitions import TEMPLATE_PARTITIONS
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.leaderboard import RegressionThresholds, build_leaderboard, evaluations_fingerprint
from secassets.evaluation.report import accuracy_plot, deviation_plot, leaderboard_table, pairwise_table, render_html
from secassets.storage.files import write_bytes, write_text


class LeaderboardParams(CheckedConfig):
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of the bootstrap resampling.")
    error_margin: float = Field(
        default=0.0, ge=0, le=1, allow_inf_nan=False,
        description="Regression check: extra drop allowed beyond the previous CI (0-1).",
    )
    warn_drop: float = Field(
        default=0.02, ge=0, le=1, allow_inf_nan=False, description="Regression check: smaller drops above this warn (0-1)."
    )


@dg.asset(
    ins={"prompt_evaluations": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    description="Templates ranked by in-range accuracy (then parse rate, then deviation) with bootstrap 95% CIs, "
    "breakdowns by scenario type and enrichment level, and paired McNemar/Wilcoxon tests; JSON + HTML report.",
    kinds={"json", "html"},
)
def template_leaderboard(
    context: dg.AssetExecutionContext,
    config: LeaderboardParams,
    prompt_evaluations: dict[str, pd.DataFrame],
    local_files: LocalFiles,
) -> dict[str, Any]:
    if isinstance(prompt_evaluations, pd.DataFrame):  # a single stored partition loads as a frame
        only = str(prompt_evaluations["template"].iloc[0])
        prompt_evaluations = {only: prompt_evaluations}
    if not prompt_evaluations:
        raise dg.Failure("no prompt_evaluations partition is materialized; materialize them first")
    missing = sorted(set(TEMPLATE_PARTITIONS.get_partition_keys()) - set(prompt_evaluations))
    board = build_leaderboard(prompt_evaluations, seed=config.seed)
    board["thresholds"] = RegressionThresholds(error_margin=config.error_margin, warn_drop=config.warn_drop).model_dump()
    board["missing_templates"] = missing
    # What was ranked, not when: the same evaluations give the same bytes (the run is in Dagster's history).
    board["evaluations_fingerprint"] = evaluations_fingerprint(prompt_evaluations)
    current = local_files.path("template_leaderboard.json")
    if current.exists():
        write_text(local_files.path("template_leaderboard", "previous.json"), current.read_text())
    plots = {
        "accuracy": accuracy_plot(board),
        "deviation": deviation_plot(prompt_evaluations, board["ranking"]),
    }
    for name, png in plots.items():
        write_bytes(local_files.path("template_leaderboard", f"{name}.png"), lambda p, png=png: p.write_bytes(png))
    report = write_text(
        local_files.path("template_leaderboard", "report.html"),
        render_html(board, plots, {
            "evaluations fingerprint": board["evaluations_fingerprint"], "missing templates": missing or "none",
        }),
    )
    best = board["ranking"][0]
    context.add_output_metadata(
        {
            "best_template": best,
            "best_in_range_accuracy": board["templates"][best]["in_range_accuracy"]["mean"],
            "templates": len(board["templates"]),
            "missing_templates": ", ".join(missing) or "none",
            "evaluations_fingerprint": board["evaluations_fingerprint"],
            "leaderboard": dg.MetadataValue.md(leaderboard_table(board)),
            "pairwise_tests": dg.MetadataValue.md(pairwise_table(board) if board["pairwise"] else "fewer than two templates"),
            "accuracy_plot": dg.MetadataValue.md(f"![accuracy](data:image/png;base64,{base64.b64encode(plots['accuracy']).decode()})"),
            "report": dg.MetadataValue.path(str(report)),
        }
    )
    context.log.info(f"Leaderboard: {' > '.join(board['ranking'])}; report at {report}")
    return json.loads(json.dumps(board))
