"""The scenario columns after the samplers, wired as Data Designer custom, expression and validation columns.

Grounding (detections, enrichment context, ground truth), the deterministic text, the prompt
input, complexity and content hash are computed from each row's own samplers and seed, so the
same sampler draws always give the same row. `finalize` turns Data Designer's output into the
scenarios table exactly as secassets.core.schema describes it.
"""

from __future__ import annotations

import json
from typing import Any

import data_designer.config as dd
import pandas as pd

from secassets.core.schema import COLUMN_GROUPS, JUDGE_COLUMNS, SCENARIO_COLUMNS
from secassets.core.validation import BUNDLE_TEXT_FIELDS, schema_errors, temporal_errors
from secassets.core.vocabulary import GENERATION_MODE_DETERMINISTIC, SAMPLER_COLUMNS
from secassets.scenarios import expressions, narrative
from secassets.scenarios.grounding import ground, row_rng

ROW_SEED_COLUMN = "row_seed"
CONTENT_DRAWS_COLUMN = "content_draws"  # how many content draws the row took to fit its type's band (metadata only)

Structures = tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]


def _sampled(df: pd.DataFrame) -> list[dict[str, str]]:
    return df[list(SAMPLER_COLUMNS)].astype(str).to_dict("records")


@dd.custom_column_generator(
    required_columns=[*SAMPLER_COLUMNS, ROW_SEED_COLUMN],
    side_effect_columns=["enrichment_context", "ground_truth", CONTENT_DRAWS_COLUMN],
)
def grounded_structures(df: pd.DataFrame) -> pd.DataFrame:
    """Content drawn for the row's samplers, and its ground truth from the rubric (with the draws it took)."""
    detections, contexts, truths, draws = [], [], [], []
    for sampled, seed in zip(_sampled(df), df[ROW_SEED_COLUMN].astype("int64").tolist(), strict=True):
        g = ground(sampled, row_rng(seed, 0))
        detections.append(json.dumps(g.detections, separators=(",", ":")))
        contexts.append(None if g.enrichment_context is None else json.dumps(g.enrichment_context, separators=(",", ":")))
        truths.append(json.dumps(g.ground_truth, separators=(",", ":")))
        draws.append(g.draws)
    df["detections"], df["enrichment_context"], df["ground_truth"] = detections, contexts, truths
    df[CONTENT_DRAWS_COLUMN] = draws
    return df


def _structures(df: pd.DataFrame) -> list[Structures]:
    out = []
    for sampled, det, ctx, gt in zip(
        _sampled(df), df["detections"], df["enrichment_context"], df["ground_truth"], strict=True
    ):
        ctx_obj = json.loads(ctx) if isinstance(ctx, str) else None
        out.append((sampled, json.loads(det), ctx_obj, json.loads(gt)))
    return out


@dd.custom_column_generator(required_columns=["detections", "enrichment_context"])
def prompt_context(df: pd.DataFrame) -> pd.DataFrame:
    df["prompt_context"] = [expressions.prompt_context(d, c) for _, d, c, _ in _structures(df)]
    return df


@dd.custom_column_generator(
    required_columns=[*SAMPLER_COLUMNS, "detections", "enrichment_context", "ground_truth"],
    side_effect_columns=["expected_summary", "reasoning_key_points"],
)
def deterministic_text(df: pd.DataFrame) -> pd.DataFrame:
    """The three text columns composed from the row's own content (no LLM endpoint configured)."""
    rows = _structures(df)
    df["scenario_narrative"] = [narrative.compose_narrative(s, d, c) for s, d, c, _ in rows]
    df["expected_summary"] = [narrative.compose_expected_summary(s, d, t) for s, d, _, t in rows]
    df["reasoning_key_points"] = [narrative.compose_key_points_text(t) for *_, t in rows]
    return df


@dd.custom_column_generator(required_columns=[*SAMPLER_COLUMNS, "detections", "enrichment_context"])
def complexity(df: pd.DataFrame) -> pd.DataFrame:
    df["complexity_score"] = [expressions.complexity_score(s, d, c) for s, d, c, _ in _structures(df)]
    return df


@dd.custom_column_generator(required_columns=[*SAMPLER_COLUMNS, "scenario_narrative"])
def content_hash(df: pd.DataFrame) -> pd.DataFrame:
    df["scenario_hash"] = [
        expressions.scenario_hash(s, n) for s, n in zip(_sampled(df), df["scenario_narrative"], strict=True)
    ]
    return df


def schema_validity(df: pd.DataFrame) -> pd.DataFrame:
    """is_valid/errors per row against the row schema (also re-run on rows whose text an LLM replaced)."""
    rows = df.to_dict("records")
    for row in rows:
        row.setdefault("generation_mode", GENERATION_MODE_DETERMINISTIC)
    errors = [schema_errors(r) for r in rows]
    return pd.DataFrame({"is_valid": [not e for e in errors], "errors": ["; ".join(e) for e in errors]})


def temporal_validity(df: pd.DataFrame) -> pd.DataFrame:
    """is_valid/errors per row: detections in time order within the 90 s batch."""
    errors = [temporal_errors(d) for d in df["detections"]]
    return pd.DataFrame({"is_valid": [not e for e in errors], "errors": ["; ".join(e) for e in errors]})


def add_generation_columns(builder: dd.DataDesignerConfigBuilder, num_rows: int) -> dd.DataDesignerConfigBuilder:
    """Everything after the samplers: grounding, text, expressions, validation."""
    builder.add_column(
        dd.SamplerColumnConfig(
            name=ROW_SEED_COLUMN,
            sampler_type="uniform",
            params=dd.UniformSamplerParams(low=0, high=2**31 - 1),
            convert_to="int",
            drop=True,
        )
    )
    custom = {"generation_strategy": "full_column"}
    builder.add_column(dd.CustomColumnConfig(name="detections", generator_function=grounded_structures, **custom))
    builder.add_column(
        dd.CustomColumnConfig(name="prompt_context", generator_function=prompt_context, drop=True, **custom)
    )
    builder.add_column(dd.ExpressionColumnConfig(name="formatted_prompt_input", expr=expressions.PROMPT_INPUT_EXPR))
    builder.add_column(dd.CustomColumnConfig(name="scenario_narrative", generator_function=deterministic_text, **custom))
    builder.add_column(dd.CustomColumnConfig(name="complexity_score", generator_function=complexity, **custom))
    builder.add_column(dd.CustomColumnConfig(name="scenario_hash", generator_function=content_hash, **custom))
    bundle_columns = [*SAMPLER_COLUMNS, "detections", "enrichment_context", "ground_truth"]
    bundle_columns += [c for c in BUNDLE_TEXT_FIELDS if c != "generation_mode"]
    for name, fn, targets in (
        ("detection_schema_valid", schema_validity, bundle_columns),
        ("temporal_consistency", temporal_validity, ["detections"]),
    ):
        builder.add_column(
            dd.ValidationColumnConfig(
                name=name,
                target_columns=targets,
                validator_type="local_callable",
                validator_params=dd.LocalCallableValidatorParams(validation_function=fn),
                batch_size=max(1, num_rows),
            )
        )
    return builder


def _flag(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value.get("is_valid"))
    return bool(value)


def finalize(raw: pd.DataFrame, generation_mode: str) -> pd.DataFrame:
    """Order and type the columns exactly as the schema says."""
    df = pd.DataFrame({c: raw[c].astype(object) for c in raw.columns if c in SCENARIO_COLUMNS})
    for c in COLUMN_GROUPS["validation"]:
        df[c] = [_flag(v) for v in raw[c]]
    for c in JUDGE_COLUMNS:
        if c not in df:
            df[c] = pd.array([None] * len(df), dtype="Int8")
    for c in COLUMN_GROUPS["embeddings"]:
        df[c] = [None] * len(df)
    df["enrichment_context"] = [v if isinstance(v, str) else None for v in df["enrichment_context"]]
    df["complexity_score"] = df["complexity_score"].astype("float64")
    df["generation_mode"] = generation_mode
    return df[list(SCENARIO_COLUMNS)]
