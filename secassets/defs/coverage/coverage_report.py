"""coverage_report: does the scenario set test what it should?

Inputs: scenarios, scenario_embeddings, sampler_config (the configured weights). Per sampler
column the counts against the weights (CV, min/max ratio, missing values); cross-tabs of
scenario_type with enrichment_level, time_of_day and camera_location; validity shares;
complexity and judge-score distributions; near-duplicates, nearest-neighbour similarity and
k-means clusters from the real embeddings; plain-word recommendations. Output:
data/coverage_report.json plus plots in data/coverage_report/.
"""

import base64
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from secassets.coverage.plots import coverage_heatmap, sampler_plot
from secassets.coverage.report import build_coverage
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.sampling.spec import SamplerPlan
from secassets.storage.files import write_bytes
from secassets.storage.markdown import markdown_table


class CoverageParams(CheckedConfig):
    near_duplicate_threshold: float = Field(
        default=0.95, ge=0, le=1, allow_inf_nan=False, description="Cosine similarity above which two scenarios are near-duplicates (0-1)."
    )
    clusters: int = Field(default=8, ge=1, le=256, description="k of the seeded k-means over the narrative embeddings (1-256).")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of the k-means initialisation (0-4294967295).")
    evaluation_rows: int = Field(default=12, ge=1, le=100_000, description="Rows per template the evaluation uses (for the CI advice).")


@dg.asset(
    description="Coverage of the scenario set: sampler distributions against weights, missing values and "
    "combinations, validity, complexity and judge distributions, semantic diversity, recommendations.",
    kinds={"json"},
)
def coverage_report(
    context: dg.AssetExecutionContext,
    config: CoverageParams,
    scenarios: pd.DataFrame,
    scenario_embeddings: pd.DataFrame,
    sampler_config: SamplerPlan,
    local_files: LocalFiles,
) -> dict[str, Any]:
    vectors = np.vstack(scenario_embeddings["scenario_embedding"].to_numpy()) if len(scenario_embeddings) else None
    report = build_coverage(
        scenarios, sampler_config.spec.weights, hashes=scenario_embeddings["scenario_hash"].tolist(), vectors=vectors,
        near_duplicate_threshold=config.near_duplicate_threshold, clusters=config.clusters, seed=config.seed,
        evaluation_rows=config.evaluation_rows,
    )
    plots = {"samplers": sampler_plot(report), "type_x_enrichment": coverage_heatmap(report["cross_tabs"][0])}
    for name, png in plots.items():
        write_bytes(local_files.path("coverage_report", f"{name}.png"), lambda p, png=png: p.write_bytes(png))
    sampler_rows = [
        {"column": c, "missing": ", ".join(v["missing"]) or "none", "cv": v["cv"], "min_max_ratio": v["min_max_ratio"]}
        for c, v in report["samplers"].items()
    ]
    tab = report["cross_tabs"][0]
    heat_rows = [{"scenario_type": r, **cells} for r, cells in tab["table"].items()]
    diversity = report["diversity"] or {}
    context.add_output_metadata(
        {
            "rows": report["rows"],
            "schema_valid_share": report["validity"]["schema_valid_share"],
            "temporally_consistent_share": report["validity"]["temporally_consistent_share"],
            "near_duplicate_share": diversity.get("near_duplicate_share", 0.0),
            "mean_nn_similarity": diversity.get("mean_nn_similarity") or 0.0,
            "clusters_covered": f"{diversity.get('clusters_covered', 0)} of {diversity.get('clusters', 0)}",
            "samplers": dg.MetadataValue.md(markdown_table(sampler_rows, ["column", "missing", "cv", "min_max_ratio"])),
            "type_x_enrichment": dg.MetadataValue.md(markdown_table(heat_rows, ["scenario_type", *next(iter(tab["table"].values()))])),
            "recommendations": dg.MetadataValue.md("\n".join(f"- {r}" for r in report["recommendations"])),
            "plot": dg.MetadataValue.md(f"![samplers](data:image/png;base64,{base64.b64encode(plots['samplers']).decode()})"),
        }
    )
    return report
