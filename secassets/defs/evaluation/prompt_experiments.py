"""prompt_experiments: the A/B experiments of prompts/experiments.yaml decided on the evaluations.

Input: every partition of prompt_evaluations. Per experiment (control template, variant template,
primary metric, smallest effect worth detecting) and per model that evaluated both on the same
scenarios, settings and evaluation set: the paired effect of the variant with its interval (Newcombe),
the exact McNemar p-value, the decision (adopt / reject / inconclusive) and the number of scenarios a
decisive run needs (power analysis on the observed discordance), next to what a perfect reader of
each template could gain; the discordant scenarios side by side and the diff of the two files.
Output: data/prompt_experiments.json. Checked by prompt_experiments_powered.
"""

from typing import Any

import dagster as dg
import pandas as pd

from secassets.core.vocabulary import EXPERIMENTS_FILE_NAME
from secassets.evaluation.experiments import experiments_markdown, run_experiments
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.model_board import as_evaluations
from secassets.storage.markdown import markdown_table

DISCORDANT_COLUMNS = ["scenario_hash", "scenario_type", "truth", "control_score", "control_verdict", "variant_score",
                      "variant_verdict"]


@dg.asset(
    ins={"prompt_evaluations": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    description="Each A/B experiment of prompts/experiments.yaml per model: the variant's paired effect on the "
    "primary metric with its interval, the exact McNemar p-value, the decision (adopt / reject / inconclusive), the "
    "scenarios a decisive run needs (power analysis on the observed discordance), what a perfect reader of each "
    "template could gain, the discordant scenarios side by side and the diff of the two template files.",
    kinds={"json"},
)
def prompt_experiments(context: dg.AssetExecutionContext,
                       prompt_evaluations: dict[str, pd.DataFrame]) -> dict[str, Any]:
    try:
        specs, results, diffs = run_experiments(as_evaluations(prompt_evaluations))
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
