"""Evaluating a prompt template: render, call the server (or the cache), parse, score.

Plain Python: the Dagster asset passes a `complete` function bound to the LlamaServer resource.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, Field

from secassets.llm_client import Completion, LlamaRequestError
from secassets.metrics import percentile, score_answer
from secassets.models import GroundTruth
from secassets.parsing import parse_answer
from secassets.response_cache import ResponseCache, cache_key
from secassets.statistics import stratified_sample
from secassets.templates import STOP_TOKENS, PromptTemplate

T = TypeVar("T")
R = TypeVar("R")
Complete = Callable[[str, dict[str, Any] | None, "EvaluationSettings"], Completion]
MapFn = Callable[[Callable[[T], R], Iterable[T]], Iterator[R]]

EVALUATION_COLUMNS = (
    "template", "scenario_hash", "source", "scenario_type", "enrichment_level", "raw_output", "thinking",
    "parse_ok", "risk_score", "risk_level", "in_range", "deviation", "level_agreement", "alert_agreement",
    "key_point_recall", "latency_s", "prompt_tokens", "completion_tokens", "error",
)
# Whether an answer came from the cache is a fact about a run, not about the answer: it goes into
# EvaluationStats and the run's metadata, so an unchanged re-run writes byte-identical rows.


class EvaluationSettings(BaseModel):
    """Sampling and prompting settings; part of every cache key."""

    n_predict: int = Field(default=400, ge=16, le=8192)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 42
    thinking: bool = False  # adds "detailed thinking on"; the JSON constraint is then left off

    def params(self) -> dict[str, Any]:
        return {**self.model_dump(), "stop": list(STOP_TOKENS)}


def evaluation_set(
    scenarios: pd.DataFrame, edge_cases: pd.DataFrame | None, size: int, seed: int, edge_cases_per_family: int | None = None
) -> pd.DataFrame:
    """A seeded sample of scenarios stratified by scenario_type, plus the edge cases (all of them, or a
    seeded sample of edge_cases_per_family from each family)."""
    picked = scenarios.loc[stratified_sample(scenarios, size, "scenario_type", seed)].assign(source="scenario")
    parts = [picked]
    if edge_cases is not None and len(edge_cases):
        edges = edge_cases
        if edge_cases_per_family is not None:
            edges = edge_cases.groupby("family", sort=True, group_keys=False).apply(
                lambda g: g.sample(n=min(len(g), edge_cases_per_family), random_state=seed)
            )
        parts.append(edges.drop(columns=["family", "trait"], errors="ignore").assign(source="edge_case"))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class EvaluationStats:
    rows: int
    cache_hits: int
    server_calls: int
    transport_errors: int


def _completion_from(cached: dict[str, Any]) -> Completion:
    return Completion(**cached)


def evaluate_template(
    template: PromptTemplate,
    rows: pd.DataFrame,
    *,
    complete: Complete,
    map_fn: MapFn,
    cache: ResponseCache,
    model_id: str,
    settings: EvaluationSettings,
) -> tuple[pd.DataFrame, EvaluationStats]:
    """One result row per evaluation row; server calls only for answers not in the cache."""
    records = rows.to_dict("records")
    prompts = [template.render(r, thinking=settings.thinking) for r in records]
    schema = None if settings.thinking else template.answer_schema()
    keys = [cache_key(model_id, p, settings.params(), schema) for p in prompts]
    results: dict[int, Completion | str] = {}
    missing = []
    for i, key in enumerate(keys):
        hit = cache.get(key)
        if hit is not None:
            results[i] = _completion_from(hit)
        else:
            missing.append(i)
    # Shared prefixes next to each other, so the server's prompt cache serves them.
    missing.sort(key=lambda i: prompts[i])

    def call(i: int) -> tuple[int, Completion | str]:
        try:
            completion = complete(prompts[i], schema, settings)
        except LlamaRequestError as exc:
            return i, f"transport error: {exc}"
        cache.put(keys[i], dataclasses.asdict(completion))
        return i, completion

    for i, outcome in map_fn(call, missing):
        results[i] = outcome
    out = []
    transport_errors = 0
    for i, record in enumerate(records):
        outcome = results[i]
        truth = GroundTruth.model_validate(json.loads(record["ground_truth"]))
        base = {
            "template": template.name, "scenario_hash": record["scenario_hash"], "source": record.get("source", "scenario"),
            "scenario_type": record["scenario_type"], "enrichment_level": record["enrichment_level"],
        }
        if isinstance(outcome, str):
            transport_errors += 1
            parsed = None
            base.update(raw_output=None, thinking=None, latency_s=None, prompt_tokens=None, completion_tokens=None, error=outcome)
        else:
            parsed = parse_answer(outcome.content, finished=outcome.finished)
            base.update(
                raw_output=outcome.content, thinking=parsed.thinking, latency_s=outcome.latency_s,
                prompt_tokens=outcome.prompt_tokens, completion_tokens=outcome.completion_tokens, error=parsed.error,
            )
        answer = parsed.answer if parsed is not None else None
        score = score_answer(answer, truth)
        base.update(
            parse_ok=answer is not None,
            risk_score=None if answer is None else answer.risk_score,
            risk_level=None if answer is None else answer.risk_level,
            **dataclasses.asdict(score),
        )
        out.append(base)
    df = pd.DataFrame(out, columns=list(EVALUATION_COLUMNS))
    df["risk_score"] = df["risk_score"].astype("Int16")
    for c in ("latency_s",):
        df[c] = df[c].astype("float64")
    for c in ("prompt_tokens", "completion_tokens"):
        df[c] = df[c].astype("Int32")
    stats = EvaluationStats(rows=len(df), cache_hits=len(df) - len(missing), server_calls=len(missing), transport_errors=transport_errors)
    return df, stats


def summarize(df: pd.DataFrame) -> dict[str, float]:
    """Headline figures of one template's evaluation (failures count against every rate).

    Latency and tokens/s describe the answers as they were produced (a cached answer keeps the
    latency measured when the server gave it), so they are the same on a cached re-run.
    """
    answered = df[df["latency_s"].notna()]
    latencies = answered["latency_s"].tolist()
    gen_tokens = answered["completion_tokens"].fillna(0).sum()
    gen_seconds = answered["latency_s"].sum()
    return {
        "rows": len(df),
        "parse_rate": float(df["parse_ok"].mean()) if len(df) else float("nan"),
        "in_range_rate": float(df["in_range"].mean()) if len(df) else float("nan"),
        "mean_deviation": float(df["deviation"].mean()) if len(df) else float("nan"),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p90_s": percentile(latencies, 90),
        "latency_p99_s": percentile(latencies, 99),
        "tokens_per_s_per_request": float(gen_tokens / gen_seconds) if gen_seconds > 0 else float("nan"),
    }
