"""prompt_experiments: the A/B experiments of prompts/experiments.yaml decided on the evaluations.

Input: every partition of prompt_evaluations. Per experiment (control template, variant template,
primary metric, smallest effect worth detecting) and per model that evaluated both on the same
scenarios, settings and evaluation set: the paired effect of the variant with its interval (Newcombe),
the exact McNemar p-value, the decision (adopt / reject / inconclusive) and the number of scenarios a
decisive run needs (power analysis on the observed discordance), next to what a perfect reader of
each template could gain; the discordant scenarios side by side and the diff of the two files.
Output: data/prompt_experiments.json. Checked by prompt_experiments_powered.
"""

from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from secassets.core.vocabulary import EXPERIMENTS_FILE_NAME
from secassets.evaluation.experiments import compare, experiments_markdown, load_experiments, template_diff
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.leaderboard import template_version
from secassets.evaluation.model_board import by_model, key_of
from secassets.evaluation.template_files import TEMPLATE_SUFFIX, load_catalog
from secassets.storage.markdown import markdown_table

DISCORDANT_COLUMNS = ["scenario_hash", "scenario_type", "truth", "control_score", "control_verdict", "variant_score",
                      "variant_verdict"]


def _not_run(spec: Any, model: str, missing: list[str]) -> dict[str, Any]:
    return {"experiment": spec.name, "model": model, "control": spec.control, "variant": spec.variant,
            "metric": spec.metric, "status": "not run",
            "reason": "not evaluated: " + ", ".join(f"prompt_evaluations partition {model}|{t}" for t in missing)
            + " (materialize it, then this asset)"}


def run_experiments(evals: dict[str, pd.DataFrame]) -> tuple[list[Any], list[dict[str, Any]], dict[str, str]]:
    """Every experiment on every model's evaluations; also the specs and the diff of each experiment's files."""
    catalog = load_catalog()
    path = catalog.folder / EXPERIMENTS_FILE_NAME
    known = {*catalog.templates, *(Path(p).stem for p in catalog.broken_files)}
    specs = load_experiments(path, known, shown_as=f"{path.parent.name}/{path.name}")
    models = by_model(evals)
    results, diffs = [], {}
    for spec in specs:
        diffs[spec.name] = template_diff(_file_text(catalog.folder, spec.control), _file_text(catalog.folder, spec.variant),
                                         spec.control, spec.variant)
        for model, templates in models.items():
            missing = [t for t in (spec.control, spec.variant) if t not in templates]
            if missing:
                results.append(_not_run(spec, model, missing))
                continue
            result = compare(spec, templates[spec.control], templates[spec.variant])
            result.update({"model": model, "control_version": template_version(templates[spec.control]),
                           "variant_version": template_version(templates[spec.variant])})
            results.append(result)
    return specs, results, diffs


def _file_text(folder: Path, name: str) -> str:
    path = folder / f"{name}{TEMPLATE_SUFFIX}"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@dg.asset(
    ins={"prompt_evaluations": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    description="Each A/B experiment of prompts/experiments.yaml per model: the variant's paired effect on the "
    "primary metric with its interval, the exact McNemar p-value, the decision (adopt / reject / inconclusive), the "
    "scenarios a decisive run needs (power analysis on the observed discordance), what a perfect reader of each "
    "template could gain, the discordant scenarios side by side and the diff of the two template files.",
    kinds={"json"},
)
def prompt_experiments(context: dg.AssetExecutionContext, prompt_evaluations: dict[str, pd.DataFrame]) -> dict[str, Any]:
    if isinstance(prompt_evaluations, pd.DataFrame):  # a single stored partition loads as a frame
        prompt_evaluations = {key_of(prompt_evaluations): prompt_evaluations}
    try:
        specs, results, diffs = run_experiments({str(k): v for k, v in prompt_evaluations.items()})
    except FileLintError as exc:
        raise dg.Failure(description=f"prompts/{EXPERIMENTS_FILE_NAME} cannot be used:\n{exc}") from None
    decided = [r for r in results if r["status"] == "decided"]
    meta: dict[str, Any] = {
        "experiments": len(specs),
        "decisions": ", ".join(f"{r['experiment']} ({r['model']}): {r['decision']}" for r in decided) or "none",
        "underpowered": ", ".join(f"{r['experiment']} ({r['model']})" for r in decided if r["underpowered"]) or "none",
        "results": dg.MetadataValue.md(experiments_markdown(results) if results else "no experiment in "
                                       f"prompts/{EXPERIMENTS_FILE_NAME}"),
    }
    for r in results:
        if r["status"] != "decided":
            context.log.warning(f"{r['experiment']} on {r['model']}: {r['status']}: {r['reason']}")
            continue
        context.log.info(f"{r['experiment']} on {r['model']}: {r['decision']}: {r['reason']}; a decisive run needs "
                         f"{r['needed_n']} scenarios (this one: {r['n']})")
        meta[f"{r['experiment']}_{r['model']}_discordant"] = dg.MetadataValue.md(
            markdown_table(r["discordant"], DISCORDANT_COLUMNS) if r["discordant"] else "no discordant scenario")
    for name, diff in diffs.items():
        meta[f"{name}_diff"] = dg.MetadataValue.md(f"```diff\n{diff}\n```" if diff else "the two files are identical")
    context.add_output_metadata(meta)
    return {"experiments": [s.model_dump() for s in specs], "results": results, "diffs": diffs}
