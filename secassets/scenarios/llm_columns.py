"""The scenario LLM columns: a writer pass for the three text columns, then a judge pass that scores them.

A seeded, type-stratified subset of the deterministic scenarios gets its narrative, summary and
key points from Data Designer LLM text columns, and the rows that got text are scored by a Data
Designer LLM judge column (two passes, so a judge answer that fails to parse costs only the
scores). Every pass goes through secassets.scenarios.llm_passes, which answers from the per-row
cache where it can and asks for the endpoint only when a row misses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import data_designer.config as dd
import pandas as pd

from secassets.core.vocabulary import GENERATION_MODE_LLM, GENERATION_MODE_LLM_FAILED, JUDGE_RUBRICS, SAMPLER_COLUMNS
from secassets.evaluation.statistics import stratified_sample
from secassets.sampling.data_designer import LLM_PROVIDER, WRITER_ALIAS
from secassets.scenarios import expressions
from secassets.scenarios import llm_prompts as sp
from secassets.scenarios.columns import schema_validity
from secassets.scenarios.llm_passes import LLMColumnSettings, ResolveEndpoint, cached_designer_pass

JUDGE_ALIAS = "scenario-judge"
TEXT_COLUMNS = ("scenario_narrative", "expected_summary", "reasoning_key_points")


@dataclass(frozen=True)
class LLMOutcome:
    """What the LLM pass did, for the asset metadata."""

    attempted: int
    succeeded: int
    failed: int
    judge_unparsed: int
    cache_hits: int = 0  # answers (text rows + judge rows) reused from the cache instead of calling the model


def _llm_seed_frame(df: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    """What the prompts see of each row: its prompt input and ground truth's risk and key points."""
    seed = df.loc[rows, ["formatted_prompt_input"]].copy()
    truths = [json.loads(t) for t in df.loc[rows, "ground_truth"]]
    seed["risk_low"] = [t["risk_range"]["low"] for t in truths]
    seed["risk_high"] = [t["risk_range"]["high"] for t in truths]
    seed["risk_level"] = [t["level"] for t in truths]
    seed["truth_points"] = ["; ".join(p["text"] for p in t["reasoning_key_points"]) for t in truths]
    seed["row_id"] = [int(i) for i in rows]
    return seed.reset_index(drop=True)


def writer_builder(settings: LLMColumnSettings, seed: pd.DataFrame) -> dd.DataDesignerConfigBuilder:
    """The writer pass: one LLM text column per text column, over the seed rows."""
    writer = dd.ModelConfig(
        alias=WRITER_ALIAS, model=settings.model, provider=LLM_PROVIDER,
        inference_parameters=dd.ChatCompletionInferenceParams(
            temperature=0.3, max_tokens=160, max_parallel_requests=settings.max_parallel_requests,
            timeout=int(settings.request_timeout_s),
        ),
    )
    builder = dd.DataDesignerConfigBuilder(model_configs=[writer])
    builder.with_seed_dataset(dd.DataFrameSeedSource(df=seed))
    for name, prompt in (
        ("scenario_narrative", sp.NARRATIVE_PROMPT),
        ("expected_summary", sp.SUMMARY_PROMPT),
        ("reasoning_key_points", sp.KEY_POINTS_PROMPT),
    ):
        builder.add_column(
            dd.LLMTextColumnConfig(name=name, model_alias=WRITER_ALIAS, system_prompt=sp.WRITER_SYSTEM, prompt=prompt)
        )
    return builder


def judge_builder(settings: LLMColumnSettings, seed: pd.DataFrame) -> dd.DataDesignerConfigBuilder:
    """The judge pass: one LLM judge column scoring the six rubrics, its answer bound by a grammar."""
    judge = dd.ModelConfig(
        alias=JUDGE_ALIAS, model=settings.model, provider=LLM_PROVIDER,
        inference_parameters=dd.ChatCompletionInferenceParams(
            # room for the longest answer the grammar admits (+ end of turn): a judge answer is never cut
            temperature=0.0, max_tokens=sp.judge_answer_max_chars() + 16,
            max_parallel_requests=settings.max_parallel_requests,
            timeout=int(settings.request_timeout_s), extra_body={"grammar": sp.judge_answer_grammar()},
        ),
    )
    builder = dd.DataDesignerConfigBuilder(model_configs=[judge])
    builder.with_seed_dataset(dd.DataFrameSeedSource(df=seed))
    builder.add_column(
        dd.LLMJudgeColumnConfig(
            name="judge", model_alias=JUDGE_ALIAS, prompt=sp.JUDGE_PROMPT,
            scores=[
                dd.Score(name=r, description=sp.RUBRIC_DESCRIPTIONS[r], options=sp.SCORE_OPTIONS) for r in JUDGE_RUBRICS
            ],
        )
    )
    return builder


def judge_scores(value: Any) -> dict[str, int] | None:
    """The six rubric scores from a judge cell, or None when any is missing or not one of the score options."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    scores: dict[str, int] = {}
    for rubric in JUDGE_RUBRICS:
        cell = value.get(rubric)
        score = cell.get("score") if isinstance(cell, dict) else None
        try:
            score = int(score)
        except (TypeError, ValueError):
            return None
        if score not in sp.SCORE_OPTIONS:
            return None
        scores[rubric] = score
    return scores


def run_llm_columns(
    df: pd.DataFrame, settings: LLMColumnSettings, endpoint: ResolveEndpoint, workdir: Path
) -> tuple[pd.DataFrame, LLMOutcome]:
    """Replace the text columns of a seeded, type-stratified subset with LLM columns, then judge those rows.

    A row whose text pass gave no usable text keeps its deterministic text and is flagged
    generation_mode=llm_failed; nothing is ever filled with constants.
    """
    rows = stratified_sample(df, min(settings.rows, len(df)), "scenario_type", settings.seed)
    print(f"LLM columns for {len(rows)} of {len(df)} scenarios", flush=True)
    written, text_hits = cached_designer_pass(
        settings, endpoint, writer_builder, _llm_seed_frame(df, rows), TEXT_COLUMNS, workdir, "text"
    )
    df = df.copy()
    by_id = {int(r["row_id"]): r for r in written.to_dict("records")}
    ok: list[int] = []
    for row_id in (int(i) for i in rows):
        got = by_id.get(row_id)
        texts = [got.get(c) for c in TEXT_COLUMNS] if got else []
        if not got or not all(isinstance(t, str) and t.strip() for t in texts):
            df.at[row_id, "generation_mode"] = GENERATION_MODE_LLM_FAILED
            continue
        ok.append(row_id)
        for column, text in zip(TEXT_COLUMNS, texts, strict=True):
            df.at[row_id, column] = text.strip()
        df.at[row_id, "generation_mode"] = GENERATION_MODE_LLM
        sampled = {c: str(df.at[row_id, c]) for c in SAMPLER_COLUMNS}
        df.at[row_id, "scenario_hash"] = expressions.scenario_hash(sampled, df.at[row_id, "scenario_narrative"])
    judge_unparsed = len(ok)
    judge_hits = 0
    if ok:
        seed = _llm_seed_frame(df, pd.Index(ok))
        seed["expected_summary"] = [df.at[i, "expected_summary"] for i in ok]
        seed["reasoning_key_points"] = [df.at[i, "reasoning_key_points"] for i in ok]
        judged, judge_hits = cached_designer_pass(settings, endpoint, judge_builder, seed, ("judge",), workdir, "judge")
        for r in judged.to_dict("records"):
            scores = judge_scores(r.get("judge"))
            if scores is None:
                continue
            judge_unparsed -= 1
            for rubric, score in scores.items():
                df.at[int(r["row_id"]), f"judge_{rubric}"] = score
        llm_rows = df["generation_mode"] == GENERATION_MODE_LLM
        df.loc[llm_rows, "detection_schema_valid"] = schema_validity(df[llm_rows])["is_valid"].to_numpy()
    return df, LLMOutcome(
        attempted=len(rows), succeeded=len(ok), failed=len(rows) - len(ok), judge_unparsed=judge_unparsed,
        cache_hits=text_hits + judge_hits,
    )
