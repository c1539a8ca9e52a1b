"""template_leaderboard: the templates ranked on the same scenarios, each score between chance and ceiling.

Input: every partition of prompt_evaluations (models x templates). Per model, its templates are ranked
(refused when they come from different evaluation sets, settings or rubric versions); per template evaluated by
several models, the models are ranked on the same scenarios (or reported as not comparable). Per template and metric: score with its 95% interval, chance, ceiling, normalized
score and a verdict in words; Holm-corrected paired tests; stability over repeats; the per-scenario
side by side; the verdict against the pinned baseline (data/baselines/<baseline>/, pinned by the
promote_baseline job). Output: data/template_leaderboard.json and a self-contained HTML report with
plots at data/template_leaderboard/report.html (plots per model in data/template_leaderboard/<model>/).
"""

import base64
import json
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field, field_validator

from secassets.core.vocabulary import TEMPLATES_PARTITION_NAME
from secassets.defs.evaluation.partitions import refused_keys
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.baselines import (
    RegressionThresholds,
    check_name,
    compare_with_baseline,
    load_baseline,
    pinned_versions,
)
from secassets.evaluation.leaderboard import evaluations_fingerprint
from secassets.evaluation.model_board import as_evaluations, board_problems, build_board, by_model
from secassets.evaluation.report import (
    accuracy_plot,
    deviation_plot,
    leaderboard_table,
    model_comparison_table,
    pairwise_table,
    render_html,
    side_by_side_table,
    source_table,
)
from secassets.evaluation.side_by_side import side_by_side
from secassets.storage.files import CorruptOutputError, write_bytes, write_text

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
    evals = as_evaluations(prompt_evaluations)
    if not evals:
        raise dg.Failure("no prompt_evaluations partition is materialized; materialize them first")
    problems = board_problems(evals)
    if problems:
        raise dg.Failure(
            description="some prompt_evaluations partitions of one model are not comparable, so they are not ranked "
            "together: " + " | ".join(problems) + ". Re-materialize every template partition of that model in one run "
            "(the nightly job does).",
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))},
        )
    board = build_board(evals, seed=config.seed)
    models = by_model(evals)
    thresholds = RegressionThresholds(alpha=config.alpha, warn_rows=config.warn_rows)
    baseline_dir = local_files.path(BASELINES_DIR, config.baseline)
    damaged = ""
    try:
        baseline, versions = load_baseline(baseline_dir), pinned_versions(baseline_dir)
        rubric_pins = pinned_versions(baseline_dir, "rubric_versions")
    except CorruptOutputError as exc:  # the board is still made; the regression check fails with the message
        baseline, versions, rubric_pins, damaged = None, {}, {}, str(exc)
        context.log.error(f"baseline {config.baseline!r} cannot be read: {exc}")
    board["baseline"] = {"name": config.baseline, "pinned": baseline is not None, "thresholds": thresholds.model_dump(),
                         "verdicts": compare_with_baseline(baseline, evals, thresholds) if baseline else {}}
    board["baseline"]["template_versions"] = versions
    board["baseline"]["rubric_versions"] = rubric_pins
    if damaged:
        board["baseline"]["damaged"] = damaged
    refused = refused_keys(context.instance)  # left over or added by hand: skipped by the IO manager, said here
    registered = [t for t in context.instance.get_dynamic_partitions(TEMPLATES_PARTITION_NAME)
                  if t not in refused.get(TEMPLATES_PARTITION_NAME, [])]
    board["missing_templates"] = {m: [t for t in registered if t not in ts] for m, ts in models.items()}
    # What was ranked, not when: the same evaluations give the same bytes (the run is in Dagster's history).
    board["evaluations_fingerprint"] = evaluations_fingerprint(evals)
    pinned = by_model(baseline) if baseline else {}
    sides = {m: side_by_side(ts, pinned.get(m)) for m, ts in models.items()}
    plots = {m: {"accuracy": accuracy_plot(b), "deviation": deviation_plot(models[m], b["ranking"])}
             for m, b in board["by_model"].items()}
    for m, pngs in plots.items():
        for name, png in pngs.items():
            write_bytes(local_files.path("template_leaderboard", m, f"{name}.png"), lambda p, png=png: p.write_bytes(png))
    missing = "; ".join(f"{m}: {', '.join(t)}" for m, t in board["missing_templates"].items() if t) or "none"
    report = write_text(
        local_files.path("template_leaderboard", "report.html"),
        render_html(board, plots, {
            "models": ", ".join(f"{m} ({board['model_ids'][m]})" for m in board["models"]),
            "evaluation set": board["evaluation_set"], "evaluations fingerprint": board["evaluations_fingerprint"],
            "rubric version": board["rubric_version"], "missing templates": missing,
            "baseline": f"{config.baseline} ({'pinned' if baseline else 'none pinned: run promote_baseline'})",
        }, sides, board["baseline"]["verdicts"]),
    )
    first = board["models"][0]
    top_board = board["by_model"][first]
    top = top_board["ranking"][0]
    meta: dict[str, Any] = {
        "verdict": "; ".join(f"{m}: {b['best']}" for m, b in board["by_model"].items()),
        "size": board["size"],
        "models": ", ".join(board["models"]),
        "top_template": top,
        "top_in_range_accuracy": top_board["templates"][top]["in_range_accuracy"]["mean"],
        "top_reading": top_board["templates"][top]["in_range_accuracy"]["verdict"],
        "constant_answers": ", ".join(board["constant_answers"]) or "none",
        "evaluations": len(evals),
        "missing_templates": missing,
        "evaluation_set": board["evaluation_set"],
        "rubric_version": board["rubric_version"],
        "evaluations_fingerprint": board["evaluations_fingerprint"],
        "report": dg.MetadataValue.path(str(report)),
    }
    if refused:
        meta["refused_partition_keys"] = "; ".join(f"{n}: {', '.join(map(repr, ks))}" for n, ks in refused.items())
        context.log.warning(f"partition keys that are no valid names were skipped ({meta['refused_partition_keys']}); "
                            "delete them in the UI (Partitions)")
    for m, b in board["by_model"].items():
        suffix = "" if m == first else f"_{m}"
        meta[f"leaderboard{suffix}"] = dg.MetadataValue.md(leaderboard_table(b))
        meta[f"by_source{suffix}"] = dg.MetadataValue.md(source_table(b))
        meta[f"pairwise_tests{suffix}"] = dg.MetadataValue.md(pairwise_table(b) if b["pairwise"] else "fewer than two templates")
        meta[f"side_by_side{suffix}"] = dg.MetadataValue.md(side_by_side_table(sides[m], b["ranking"]))
    if board["by_template"]:
        meta["models_per_template"] = dg.MetadataValue.md(model_comparison_table(board))
    meta["accuracy_plot"] = dg.MetadataValue.md(
        f"![accuracy](data:image/png;base64,{base64.b64encode(plots[first]['accuracy']).decode()})")
    context.add_output_metadata(meta)
    context.log.info(f"Leaderboard: {meta['verdict']}; {board['size']}; report at {report}")
    return json.loads(json.dumps(board))
