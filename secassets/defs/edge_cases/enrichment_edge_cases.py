"""enrichment_edge_cases: targeted hard cases in the scenarios schema (+ family, trait).

Six families from seeded variation of their defining traits: multi_threat, rare_pose,
boundary_confidence, ocr_failure, vram_stress, circuit_breaker. Every scenario_hash is unique
across the edge cases and the scenarios. Output: data/enrichment_edge_cases.parquet; checked by
the edge-case checks; a per-family sample joins the prompt evaluations.
"""

import dagster as dg
import pandas as pd
from pydantic import Field, ValidationError

from secassets.defs.run_config import CheckedConfig
from secassets.edge_cases.families import FAMILIES, EdgeCaseCounts, generate_edge_cases
from secassets.storage.markdown import markdown_table

MAX_FAMILY_ROWS = 10_000


class EdgeCaseParams(CheckedConfig):
    seed: int = Field(default=42, ge=0, le=2**32 - 1, description="Seed of every edge-case variation (0-4294967295).")
    multi_threat: int = Field(default=20, ge=0, le=MAX_FAMILY_ROWS, description="Rows of several persons (and vehicles) converging on an entry point.")
    rare_pose: int = Field(default=20, ge=0, le=MAX_FAMILY_ROWS, description="Rows of a crawling, prone, kneeling or crouching person.")
    boundary_confidence: int = Field(
        default=20, ge=0, le=MAX_FAMILY_ROWS, description="Rows whose every detection is at 0.50-0.52 confidence (the rubric widens their range)."
    )
    ocr_failure: int = Field(default=20, ge=0, le=MAX_FAMILY_ROWS, description="Rows with unreadable plates (glare, night, motion blur).")
    vram_stress: int = Field(default=10, ge=0, le=MAX_FAMILY_ROWS, description="Rows with 7+ detections and every enrichment model required.")
    circuit_breaker: int = Field(
        default=10, ge=0, le=MAX_FAMILY_ROWS, description="Rows whose enrichment models fail repeatedly, with the fallback stated."
    )


@dg.asset(
    description="Targeted edge cases (multi_threat, rare_pose, boundary_confidence, ocr_failure, vram_stress, "
    "circuit_breaker) in the scenarios schema plus family and trait; every hash unique.",
    kinds={"parquet", "pandas"},
)
def enrichment_edge_cases(context: dg.AssetExecutionContext, config: EdgeCaseParams, scenarios: pd.DataFrame) -> pd.DataFrame:
    try:
        counts = EdgeCaseCounts(**{f: getattr(config, f) for f in FAMILIES})
    except ValidationError as exc:
        raise dg.Failure(description=f"Invalid edge-case counts: {exc}") from None
    df = generate_edge_cases(counts, config.seed, taken_hashes=set(scenarios["scenario_hash"]))
    per_family = [
        {"family": f, "rows": int((df["family"] == f).sum()), "example_trait": next(iter(df.loc[df["family"] == f, "trait"]), "")}
        for f in FAMILIES
    ]
    context.add_output_metadata(
        {
            "dagster/row_count": len(df),
            "families": dg.MetadataValue.md(markdown_table(per_family, ["family", "rows", "example_trait"])),
            **{f"rows_{r['family']}": r["rows"] for r in per_family},
            **{f"configured_{f}": getattr(counts, f) for f in FAMILIES},
        }
    )
    return df
