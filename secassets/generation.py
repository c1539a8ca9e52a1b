"""Scenario generation through NeMo Data Designer's own engine (no Dagster here).

The seven sampler columns come from the sampler-config YAML; grounding, text, expression and
validation columns are added here as Data Designer custom, expression and validation columns.
Data Designer 0.9.6 draws its samplers from NumPy's global RandomState and has no seed
argument, so ``generate_scenarios`` seeds (and afterwards restores) that state from the spec.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("NEMO_TELEMETRY_ENABLED", "false")  # never phone home from a pipeline run

import data_designer.config as dd
import numpy as np
import pandas as pd
from data_designer.interface import DataDesigner
from pydantic import BaseModel

from secassets import expressions, narrative
from secassets.constants import (
    GENERATION_MODE_DETERMINISTIC,
    GENERATION_MODE_LLM,
    GENERATION_MODE_LLM_FAILED,
    JUDGE_RUBRICS,
    SAMPLER_COLUMNS,
    SAMPLER_VALUES,
)
from secassets.grounding import ground, row_rng
from secassets.lifeline import kill_group, release, spawn_guarded, stop_guarded
from secassets.response_cache import ResponseCache, cache_key
from secassets.sampling import HUMAN_ACTOR_TYPES, NON_HUMAN_PRIMARY, SamplerSpec
from secassets.schema import COLUMN_GROUPS, JUDGE_COLUMNS, SCENARIO_COLUMNS, SCENARIOS_ARROW_SCHEMA
from secassets.statistics import stratified_sample
from secassets.storage import atomic_path, write_json, write_parquet
from secassets.validation import BUNDLE_TEXT_FIELDS, schema_errors, temporal_errors
from secassets.work_folders import make_owned_dir, sweep_stale

LLM_PROVIDER = "secassets-llm"
WRITER_ALIAS = "scenario-writer"
JUDGE_ALIAS = "scenario-judge"
# Data Designer needs one provider and model config even when no LLM column exists; with no
# endpoint configured nothing is ever sent to this address.
UNCONFIGURED_ENDPOINT = "http://127.0.0.1:9/v1"
ROW_SEED_COLUMN = "row_seed"

Log = Callable[[str], None]


class ScenarioGenerationError(RuntimeError):
    """Data Designer could not produce the scenarios; the message says why and what to change."""


def _model_config() -> dd.ModelConfig:
    return dd.ModelConfig(
        alias=WRITER_ALIAS,
        model="secassets-writer",
        provider=LLM_PROVIDER,
        inference_parameters=dd.ChatCompletionInferenceParams(max_parallel_requests=1, timeout=60),
    )


def sampler_config_builder(spec: SamplerSpec) -> dd.DataDesignerConfigBuilder:
    """A Data Designer config holding exactly the seven weighted sampler columns."""
    builder = dd.DataDesignerConfigBuilder(model_configs=[_model_config()])
    inside, outside = spec.primary_object_weights()
    for column in SAMPLER_COLUMNS:
        values = list(SAMPLER_VALUES[column])
        conditional: dict[str, dd.CategorySamplerParams] = {}
        weights = spec.weights[column]
        if column == "primary_object":
            weights = outside
            conditional[primary_object_condition()] = dd.CategorySamplerParams(values=values, weights=[inside[v] for v in values])
        builder.add_column(
            dd.SamplerColumnConfig(
                name=column,
                sampler_type="category",
                params=dd.CategorySamplerParams(values=values, weights=[weights[v] for v in values]),
                conditional_params=conditional,
            )
        )
    return builder


def write_sampler_yaml(builder: dd.DataDesignerConfigBuilder, path: Path) -> Path:
    with atomic_path(path) as tmp:
        builder.write_config(tmp)
    return path


def load_sampler_builder(path: Path) -> dd.DataDesignerConfigBuilder:
    """Load the sampler-config YAML back, with an error that says how to recover."""
    try:
        builder = dd.DataDesignerConfigBuilder.from_config(str(path))
    except Exception as exc:
        raise ScenarioGenerationError(
            f"cannot load the Data Designer config {path}: {exc}. Re-materialize sampler_config to rewrite it."
        ) from exc
    names = [c.name for c in builder.get_column_configs()]
    if names != list(SAMPLER_COLUMNS):
        raise ScenarioGenerationError(
            f"{path} has columns {names}, expected the sampler columns {list(SAMPLER_COLUMNS)}; "
            "re-materialize sampler_config"
        )
    return builder


def primary_object_condition() -> str:
    """The one conditional the sampler config carries (Data Designer evaluates it as pandas query)."""
    return f"scenario_type in {list(HUMAN_ACTOR_TYPES)!r}"


def implied_marginals(builder: dd.DataDesignerConfigBuilder) -> dict[str, dict[str, float]]:
    """The marginal distribution each sampler column of a loaded config actually draws from.

    Only ``primary_object`` is conditional; its marginal mixes the two weight sets by the share of
    suspicious/threat scenarios. Reading this back from the YAML (not from the spec) is what lets a
    check catch a hand-edited or stale file.
    """
    columns = {c.name: c for c in builder.get_column_configs()}

    def normalized(params: dd.CategorySamplerParams) -> dict[str, float]:
        weights = params.weights or [1.0] * len(params.values)
        total = float(sum(weights))
        return {str(v): float(w) / total for v, w in zip(params.values, weights, strict=True)}

    marginals = {name: normalized(columns[name].params) for name in SAMPLER_COLUMNS if name in columns}
    primary = columns.get("primary_object")
    if primary is not None and primary.conditional_params:
        if set(primary.conditional_params) != {primary_object_condition()}:
            raise ScenarioGenerationError(
                f"primary_object has conditions {sorted(primary.conditional_params)}, expected only "
                f"{primary_object_condition()!r}; re-materialize sampler_config"
            )
        inside = normalized(primary.conditional_params[primary_object_condition()])
        share = sum(marginals["scenario_type"].get(t, 0.0) for t in HUMAN_ACTOR_TYPES)
        outside = marginals["primary_object"]
        marginals["primary_object"] = {k: share * inside.get(k, 0.0) + (1 - share) * outside[k] for k in outside}
    return marginals


def marginal_errors(spec: SamplerSpec, builder: dd.DataDesignerConfigBuilder, tolerance: float = 1e-9) -> list[str]:
    """Where the config's implied marginals or the animal rule differ from the validated spec."""
    errors: list[str] = []
    marginals = implied_marginals(builder)
    for column in SAMPLER_COLUMNS:
        got = marginals.get(column)
        if got is None:
            errors.append(f"{column}: missing from the config")
            continue
        for value, want in spec.weights[column].items():
            if abs(got.get(value, 0.0) - want) > tolerance:
                errors.append(f"{column}.{value}: config draws {got.get(value, 0.0):.6f}, spec says {want:.6f}")
    primary = next((c for c in builder.get_column_configs() if c.name == "primary_object"), None)
    human = primary.conditional_params.get(primary_object_condition()) if primary is not None else None
    share = sum(spec.weights["scenario_type"][t] for t in HUMAN_ACTOR_TYPES)
    if human is None and share > 0:
        errors.append("primary_object: no condition keeps animals out of suspicious/threat scenarios")
    elif human is not None and share > 0:
        weights = dict(zip(human.values, human.weights or [1.0] * len(human.values), strict=True))
        if weights.get(NON_HUMAN_PRIMARY, 0.0) > 0:
            errors.append(f"primary_object: {NON_HUMAN_PRIMARY} has weight {weights[NON_HUMAN_PRIMARY]} inside suspicious/threat scenarios")
    return errors


# --- Custom column generators (Data Designer full_column strategy) ------------------------


def _sampled(df: pd.DataFrame) -> list[dict[str, str]]:
    return df[list(SAMPLER_COLUMNS)].astype(str).to_dict("records")


@dd.custom_column_generator(
    required_columns=[*SAMPLER_COLUMNS, ROW_SEED_COLUMN],
    side_effect_columns=["enrichment_context", "ground_truth"],
)
def grounded_structures(df: pd.DataFrame) -> pd.DataFrame:
    """Detections, enrichment context and ground truth grounded in the row's samplers."""
    detections, contexts, truths = [], [], []
    for sampled, seed in zip(_sampled(df), df[ROW_SEED_COLUMN].astype("int64").tolist(), strict=True):
        g = ground(sampled, row_rng(seed, 0))
        detections.append(json.dumps(g.detections, separators=(",", ":")))
        contexts.append(None if g.enrichment_context is None else json.dumps(g.enrichment_context, separators=(",", ":")))
        truths.append(json.dumps(g.ground_truth, separators=(",", ":")))
    df["detections"], df["enrichment_context"], df["ground_truth"] = detections, contexts, truths
    return df


def _structures(df: pd.DataFrame) -> list[tuple[dict[str, str], list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]]:
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


def _schema_validator(df: pd.DataFrame) -> pd.DataFrame:
    rows = df.to_dict("records")
    for row in rows:
        row.setdefault("generation_mode", GENERATION_MODE_DETERMINISTIC)
    errors = [schema_errors(r) for r in rows]
    return pd.DataFrame({"is_valid": [not e for e in errors], "errors": ["; ".join(e) for e in errors]})


def _temporal_validator(df: pd.DataFrame) -> pd.DataFrame:
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
    builder.add_column(dd.CustomColumnConfig(name="prompt_context", generator_function=prompt_context, drop=True, **custom))
    builder.add_column(dd.ExpressionColumnConfig(name="formatted_prompt_input", expr=expressions.PROMPT_INPUT_EXPR))
    builder.add_column(dd.CustomColumnConfig(name="scenario_narrative", generator_function=deterministic_text, **custom))
    builder.add_column(dd.CustomColumnConfig(name="complexity_score", generator_function=complexity, **custom))
    builder.add_column(dd.CustomColumnConfig(name="scenario_hash", generator_function=content_hash, **custom))
    bundle_columns = [*SAMPLER_COLUMNS, "detections", "enrichment_context", "ground_truth"]
    bundle_columns += [c for c in BUNDLE_TEXT_FIELDS if c != "generation_mode"]
    for name, fn, targets in (
        ("detection_schema_valid", _schema_validator, bundle_columns),
        ("temporal_consistency", _temporal_validator, ["detections"]),
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


@dataclass(frozen=True)
class GenerationResult:
    """The finished scenarios table plus what happened on the way."""

    scenarios: pd.DataFrame
    generated_rows: int
    duplicates_removed: int
    llm: LLMOutcome | None = None


def _flag(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value.get("is_valid"))
    return bool(value)


def finalize(raw: pd.DataFrame, generation_mode: str) -> tuple[pd.DataFrame, int]:
    """Order and type the columns exactly as the schema says and drop duplicate hashes."""
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
    return df[list(SCENARIO_COLUMNS)], 0


class LLMColumnSettings(BaseModel):
    """Where and how the scenario LLM columns are generated (an OpenAI-compatible endpoint)."""

    # OpenAI-compatible base, e.g. http://127.0.0.1:PORT/v1; "" = ask the parent process for it (and
    # for max_parallel_requests) only once a row misses the cache, so a fully cached run starts no server.
    base_url: str = ""
    model: str = "secassets-writer"
    api_key_env: str | None = None  # the variable's name; the key itself never leaves the environment
    rows: int = 8
    max_parallel_requests: int = 4
    request_timeout_s: float = 300.0
    seed: int = 42
    model_id: str = ""  # the model's identity (GGUF file hash, or endpoint model name): part of every cache key
    cache_dir: Path | None = None  # per-row answers of both passes; None = no cache


@dataclass(frozen=True)
class LLMOutcome:
    """What the LLM pass did, for the asset metadata."""

    attempted: int
    succeeded: int
    failed: int
    judge_unparsed: int
    cache_hits: int = 0  # answers (text rows + judge rows) reused from the cache instead of calling the model


def _keep_offline() -> None:
    """Data Designer's profiler would download tiktoken's cl100k encoding; secassets runs offline.

    Its callers catch the error and skip token statistics, so nothing else changes.
    """
    from data_designer.engine.utils import token_counting

    def _offline() -> None:
        raise RuntimeError("token statistics skipped: secassets runs offline")

    token_counting.get_cl100k_base_tokenizer = _offline


def _llm_seed_frame(df: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    from secassets.bands import level_for_score

    seed = df.loc[rows, ["scenario_type", "formatted_prompt_input"]].copy()
    truths = [json.loads(t) for t in df.loc[rows, "ground_truth"]]
    seed["risk_low"] = [t["risk_range"]["low"] for t in truths]
    seed["risk_high"] = [t["risk_range"]["high"] for t in truths]
    seed["risk_level"] = [level_for_score((t["risk_range"]["low"] + t["risk_range"]["high"]) / 2) for t in truths]
    seed["truth_points"] = ["; ".join(t["reasoning_key_points"]) for t in truths]
    seed["row_id"] = [int(i) for i in rows]
    return seed.reset_index(drop=True)


def _writer_builder(settings: LLMColumnSettings, seed: pd.DataFrame) -> dd.DataDesignerConfigBuilder:
    from secassets import scenario_prompts as sp

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


def _judge_builder(settings: LLMColumnSettings, seed: pd.DataFrame) -> dd.DataDesignerConfigBuilder:
    from secassets import scenario_prompts as sp

    judge = dd.ModelConfig(
        alias=JUDGE_ALIAS, model=settings.model, provider=LLM_PROVIDER,
        inference_parameters=dd.ChatCompletionInferenceParams(
            # room for the longest answer the grammar admits (+ end of turn): a judge answer is never cut
            temperature=0.0, max_tokens=sp.judge_answer_max_chars() + 16, max_parallel_requests=settings.max_parallel_requests,
            timeout=int(settings.request_timeout_s), extra_body={"grammar": sp.judge_answer_grammar()},
        ),
    )
    builder = dd.DataDesignerConfigBuilder(model_configs=[judge])
    builder.with_seed_dataset(dd.DataFrameSeedSource(df=seed))
    builder.add_column(
        dd.LLMJudgeColumnConfig(
            name="judge", model_alias=JUDGE_ALIAS, prompt=sp.JUDGE_PROMPT,
            scores=[dd.Score(name=r, description=sp.RUBRIC_DESCRIPTIONS[r], options=sp.SCORE_OPTIONS) for r in JUDGE_RUBRICS],
        )
    )
    return builder


def _designer_pass(
    settings: LLMColumnSettings, builder: dd.DataDesignerConfigBuilder, rows: int, workdir: Path, name: str
) -> pd.DataFrame:
    """One Data Designer run over a seed frame; a failure of the whole run yields no rows (all flagged)."""
    artifacts = Path(tempfile.mkdtemp(prefix=f"dd-{name}-", dir=workdir))
    designer = DataDesigner(
        artifact_path=artifacts,
        model_providers=[
            dd.ModelProvider(name=LLM_PROVIDER, endpoint=settings.base_url, provider_type="openai", api_key=settings.api_key_env)
        ],
        auto_configure_logging=False,
    )
    designer.set_run_config(dd.RunConfig(otel_metrics_port=None, display_tui=False, buffer_size=max(1, rows)))
    try:
        return designer.create(builder, num_records=rows, dataset_name=name).load_dataset()
    except Exception as exc:  # noqa: BLE001 - every attempted row is flagged by the caller, none is filled with constants
        print(f"WARNING: Data Designer {name} pass produced no rows: {type(exc).__name__}: {exc}", flush=True)
        return pd.DataFrame(columns=["row_id"])
    finally:
        shutil.rmtree(artifacts, ignore_errors=True)


def pass_fingerprint(builder: dd.DataDesignerConfigBuilder) -> dict[str, Any]:
    """What decides a pass's answers besides its seed row: columns (prompts, rubrics) and sampling.

    Concurrency and timeouts are left out: they change how fast answers come, not which.
    """
    models = []
    for m in builder.model_configs:
        dumped = m.model_dump(mode="json")
        dumped["inference_parameters"] = {
            k: v for k, v in dumped["inference_parameters"].items() if k not in {"max_parallel_requests", "timeout"}
        }
        models.append(dumped)
    return {"models": models, "columns": [c.model_dump(mode="json") for c in builder.get_column_configs()]}


ENDPOINT_REQUEST = "@@secassets: llm endpoint?"
Endpoint = Callable[[], tuple[str, int]]  # -> (OpenAI-compatible base URL, concurrent request slots)


class _LazyEndpoint:
    """The worker's settings, completed with an endpoint from the parent on first need."""

    def __init__(self, settings: LLMColumnSettings) -> None:
        self._settings = settings

    def __call__(self) -> LLMColumnSettings:
        if not self._settings.base_url:
            print(ENDPOINT_REQUEST, flush=True)
            answer = sys.stdin.readline().strip()
            if not answer:
                raise ScenarioGenerationError("no LLM endpoint: the parent process could not provide one")
            reply = json.loads(answer)
            self._settings = self._settings.model_copy(
                update={"base_url": reply["base_url"], "max_parallel_requests": reply["max_parallel_requests"]}
            )
            print(f"LLM endpoint {self._settings.base_url} ({self._settings.max_parallel_requests} slots)", flush=True)
        return self._settings


def _cached_designer_pass(
    settings: LLMColumnSettings,
    endpoint: Callable[[], LLMColumnSettings],
    make_builder: Callable[[LLMColumnSettings, pd.DataFrame], dd.DataDesignerConfigBuilder],
    seed: pd.DataFrame,
    outputs: tuple[str, ...],
    workdir: Path,
    name: str,
) -> tuple[pd.DataFrame, int]:
    """A Data Designer pass that asks the model only for seed rows without a cached answer.

    The key is the model identity, the pass fingerprint and the seed row's content (not its
    position), so unchanged rows keep their exact text on every re-run. As for the evaluations,
    every answer the model returned is stored, also one that then fails to parse (it stays a
    failure when replayed); a row Data Designer dropped (no answer) is asked again next time.
    """
    cache = ResponseCache(settings.cache_dir) if settings.cache_dir is not None else None
    fingerprint = pass_fingerprint(make_builder(settings, seed))
    keys: dict[int, str] = {}
    cached: list[dict[str, Any]] = []
    for record in seed.to_dict("records"):
        content = {k: v for k, v in record.items() if k != "row_id"}
        keys[int(record["row_id"])] = cache_key(settings.model_id, json.dumps(content, sort_keys=True, default=str),
                                                {"pass": name, **fingerprint}, None)
        hit = cache.get(keys[int(record["row_id"])]) if cache is not None else None
        if hit is not None:
            cached.append({"row_id": int(record["row_id"]), **hit})
    hit_ids = {r["row_id"] for r in cached}
    todo = seed[~seed["row_id"].isin(hit_ids)].reset_index(drop=True)
    if cached:
        print(f"Data Designer {name} pass: {len(cached)} of {len(seed)} rows from the cache", flush=True)
    fresh = pd.DataFrame(columns=["row_id"])
    if len(todo):
        live = endpoint()
        fresh = _designer_pass(live, make_builder(live, todo), len(todo), workdir, name)
    rows = list(cached)
    for r in fresh.to_dict("records"):
        answer = {c: _jsonable(r.get(c)) for c in outputs}
        rows.append({"row_id": int(r["row_id"]), **answer})
        if cache is not None:
            cache.put(keys[int(r["row_id"])], answer)
    return pd.DataFrame(rows, columns=["row_id", *outputs]), len(cached)


def _jsonable(value: Any) -> Any:
    """A cell as plain JSON types (Data Designer hands back numpy scalars and arrays inside dicts)."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


def _judge_scores(value: Any) -> dict[str, int] | None:
    """The six rubric scores from a judge cell, or None when any is missing or out of range."""
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
        if not 1 <= score <= 4:
            return None
        scores[rubric] = score
    return scores


def _run_llm_columns(
    df: pd.DataFrame, spec: SamplerSpec, settings: LLMColumnSettings, workdir: Path
) -> tuple[pd.DataFrame, LLMOutcome]:
    """Replace the text columns of a seeded, type-stratified subset with Data Designer LLM columns,
    then judge those rows. Two passes, so a judge answer that fails to parse costs only the scores."""
    text_columns = ("scenario_narrative", "expected_summary", "reasoning_key_points")
    rows = stratified_sample(df, min(settings.rows, len(df)), "scenario_type", settings.seed)
    print(f"LLM columns for {len(rows)} of {len(df)} scenarios", flush=True)
    endpoint = _LazyEndpoint(settings)
    written, text_hits = _cached_designer_pass(
        settings, endpoint, _writer_builder, _llm_seed_frame(df, rows), text_columns, workdir, "text"
    )
    df = df.copy()
    by_id = {int(r["row_id"]): r for r in written.to_dict("records")}
    ok: list[int] = []
    for row_id in (int(i) for i in rows):
        got = by_id.get(row_id)
        texts = [got.get(c) for c in text_columns] if got else []
        if not got or not all(isinstance(t, str) and t.strip() for t in texts):
            df.at[row_id, "generation_mode"] = GENERATION_MODE_LLM_FAILED
            continue
        ok.append(row_id)
        for column, text in zip(text_columns, texts, strict=True):
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
        judged, judge_hits = _cached_designer_pass(
            settings, endpoint, _judge_builder, seed, ("judge",), workdir, "judge"
        )
        for r in judged.to_dict("records"):
            scores = _judge_scores(r.get("judge"))
            if scores is None:
                continue
            judge_unparsed -= 1
            for rubric, score in scores.items():
                df.at[int(r["row_id"]), f"judge_{rubric}"] = score
        llm_rows = df["generation_mode"] == GENERATION_MODE_LLM
        df.loc[llm_rows, "detection_schema_valid"] = _schema_validator(df[llm_rows])["is_valid"].to_numpy()
    return df, LLMOutcome(
        attempted=len(rows), succeeded=len(ok), failed=len(rows) - len(ok), judge_unparsed=judge_unparsed,
        cache_hits=text_hits + judge_hits,
    )


def _generate_here(
    spec: SamplerSpec, sampler_yaml: Path, workdir: Path, llm: LLMColumnSettings | None = None
) -> GenerationResult:
    """Run Data Designer in this process (the worker side of generate_scenarios)."""
    builder = add_generation_columns(load_sampler_builder(sampler_yaml), spec.num_scenarios)
    workdir.mkdir(parents=True, exist_ok=True)
    artifacts = Path(tempfile.mkdtemp(prefix="dd-", dir=workdir))
    designer = DataDesigner(
        artifact_path=artifacts,
        model_providers=[
            dd.ModelProvider(name=LLM_PROVIDER, endpoint=UNCONFIGURED_ENDPOINT, provider_type="openai", api_key=None)
        ],
        auto_configure_logging=False,
    )
    designer.set_run_config(dd.RunConfig(otel_metrics_port=None, buffer_size=spec.num_scenarios, display_tui=False))
    np.random.seed(spec.seed)
    try:
        raw = designer.create(builder, num_records=spec.num_scenarios, dataset_name="scenarios").load_dataset()
    finally:
        shutil.rmtree(artifacts, ignore_errors=True)
    df, _ = finalize(raw, GENERATION_MODE_DETERMINISTIC)
    outcome = None
    if llm is not None and llm.rows > 0:
        df, outcome = _run_llm_columns(df, spec, llm, workdir)
    before = len(df)
    df = df.drop_duplicates(subset="scenario_hash", keep="first").reset_index(drop=True)
    return GenerationResult(scenarios=df, generated_rows=len(raw), duplicates_removed=before - len(df), llm=outcome)


class _WorkerRequest(BaseModel):
    spec: SamplerSpec
    sampler_yaml: Path
    workdir: Path
    output: Path
    llm: LLMColumnSettings | None = None


def generate_scenarios(
    spec: SamplerSpec,
    sampler_yaml: Path,
    workdir: Path,
    *,
    log: Log | None = None,
    timeout_s: float = 1800.0,
    llm: LLMColumnSettings | None = None,
    endpoint: Endpoint | None = None,
) -> GenerationResult:
    """Generate spec.num_scenarios rows with Data Designer in a worker process, bounded by timeout_s.

    Data Designer 0.9.6 orders its sampler columns through a Python ``set``, so the order in which
    they draw from the seeded RNG depends on the interpreter's string-hash seed. The worker runs
    with PYTHONHASHSEED=0, which makes the same spec give the same bytes in any calling process
    (Dagster run worker, test, CLI) and keeps Data Designer's global state out of the caller.

    The worker lives and dies with this call: it is stopped and its folder removed on every way out
    (result, error, timeout, interrupt from a run's Terminate), and it dies with this process when
    that is killed outright; the folder such a death leaves behind is removed by the next call.
    """
    load_sampler_builder(sampler_yaml)  # fail fast, with the fix in the message, before starting a worker
    for stale in sweep_stale(workdir, STALE_WORK_PREFIXES):
        if log is not None:
            log(f"removed {stale}: left behind by a generation whose process is gone")
    job = make_owned_dir(workdir, "generate-")
    try:
        request = _WorkerRequest(
            spec=spec, sampler_yaml=sampler_yaml, workdir=job, output=job / "scenarios.parquet", llm=llm
        )
        (job / "request.json").write_text(request.model_dump_json())
        env = {**os.environ, "PYTHONHASHSEED": "0", "DATA_DESIGNER_HOME": str(workdir / "data_designer_home")}
        env["PYTHONUNBUFFERED"] = "1"
        run = _run_worker(job / "request.json", env, timeout_s, log, endpoint)
        if run.endpoint_error is not None:
            raise ScenarioGenerationError(f"the LLM for the scenario LLM columns is not available: {run.endpoint_error}")
        if run.code != 0:
            if run.timed_out:
                why = f"timed out after {timeout_s:.0f} s (raise generation_timeout_s or lower num_scenarios)"
            elif run.code > 128 or run.code < 0:  # the guard reports a child's signal as 128 + N
                why = f"was killed by signal {run.code - 128 if run.code > 128 else -run.code}"
            else:
                why = f"exited with code {run.code}"
            last = "\n".join(run.tail)
            raise ScenarioGenerationError(f"scenario generation {why}. Last output:\n{last}")
        meta = json.loads((job / "result.json").read_text())
        df = pd.read_parquet(request.output)
        df = pd.DataFrame({c: df[c] for c in SCENARIO_COLUMNS})
        for c in JUDGE_COLUMNS:
            df[c] = df[c].astype("Int8")
        outcome = LLMOutcome(**meta["llm"]) if meta.get("llm") else None
        return GenerationResult(
            scenarios=df, generated_rows=meta["generated_rows"], duplicates_removed=meta["duplicates_removed"], llm=outcome
        )
    finally:
        shutil.rmtree(job, ignore_errors=True)


# generate-* of generate_scenarios; dd-* of an older layout that put Data Designer artifacts here.
STALE_WORK_PREFIXES = ("generate-", "dd-")


@dataclass
class _WorkerExit:
    code: int
    timed_out: bool
    tail: list[str]
    endpoint_error: Exception | None


def _run_worker(request_path: Path, env: dict[str, str], timeout_s: float, log: Log | None,
                endpoint: Endpoint | None) -> _WorkerExit:
    """Run the worker behind a lifeline guard, pass its output to log, and stop it before returning.

    The guard (secassets.lifeline) kills the worker when this process dies by any means; the pipes
    given to it are inherited by the worker, so the endpoint handshake goes straight through.
    """
    proc = spawn_guarded(
        [sys.executable, "-m", "secassets.generation", str(request_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        kill_group(proc.pid)  # the guard and the worker: the guard started its own process group

    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    tail: list[str] = []
    endpoint_error: Exception | None = None
    try:
        timer.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line == ENDPOINT_REQUEST:  # a row missed the cache: now the server is needed
                endpoint_error = _answer_endpoint_request(proc, endpoint)
                continue
            tail = (tail + [line])[-20:]
            if log is not None and line:
                log(line)
        code = proc.wait()
    finally:
        timer.cancel()
        _stop_worker(proc)
    return _WorkerExit(code=code, timed_out=timed_out.is_set(), tail=tail, endpoint_error=endpoint_error)


def _stop_worker(proc: subprocess.Popen[str]) -> None:
    """Stop the guard and worker (a no-op when both have exited) and close the pipes, even if interrupted again."""
    try:
        stop_guarded(proc, timeout_s=5.0)
    except BaseException:
        kill_group(proc.pid)  # a second interrupt while waiting: no more waiting, but nothing survives
        release(proc)
        raise
    finally:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass  # the worker died with unread input (BrokenPipe on flush)


def _answer_endpoint_request(proc: subprocess.Popen[str], endpoint: Endpoint | None) -> Exception | None:
    """Reply to the worker's endpoint request: JSON with the URL and slots, or an empty line on error."""
    assert proc.stdin is not None
    error: Exception | None = None
    reply = ""
    if endpoint is None:
        error = RuntimeError("generate_scenarios was given no endpoint and the settings have no base_url")
    else:
        try:
            base_url, slots = endpoint()
            reply = json.dumps({"base_url": base_url, "max_parallel_requests": slots})
        except Exception as exc:  # noqa: BLE001 - reported to the caller with its own message
            error = exc
    try:
        proc.stdin.write(reply + "\n")
        proc.stdin.flush()
    except BrokenPipeError:
        pass  # the worker is gone; its exit code and last output say why
    return error


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: python -m secassets.generation REQUEST_JSON."""
    args = argv if argv is not None else sys.argv[1:]
    request = _WorkerRequest.model_validate_json(Path(args[0]).read_text())
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s", stream=sys.stdout)
    logging.getLogger("data_designer").setLevel(logging.INFO)
    _keep_offline()
    try:
        result = _generate_here(request.spec, request.sampler_yaml, request.workdir, request.llm)
    except Exception as exc:  # noqa: BLE001 - the parent turns this into ScenarioGenerationError with these lines
        print(f"ERROR: {type(exc).__name__}: {exc}", flush=True)
        return 1
    write_parquet(request.output, result.scenarios, SCENARIOS_ARROW_SCHEMA)
    write_json(
        request.workdir / "result.json",
        {
            "generated_rows": result.generated_rows,
            "duplicates_removed": result.duplicates_removed,
            "llm": None if result.llm is None else dataclasses.asdict(result.llm),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
