"""prompt_evaluations: each risk-analysis template run against the scenarios' ground truth.

Partitioned by template (basic, enriched, full_enriched, vision, model_zoo). For a seeded,
type-stratified sample of scenarios plus a seeded per-family sample of enrichment_edge_cases and a
category-stratified sample of the valid curated_cases (truth: the person's label): render the ChatML prompt, call the llama.cpp server through
the llm resource (/completion with a bounded JSON-schema constraint, deterministic sampling),
parse, validate and score. Answers are cached by content (data/prompt_evaluations/cache/), so a
re-run with nothing changed makes no server call and a crashed run resumes where it stopped.
A call that gets no answer is a failure row; when more than max_transport_error_share of a
template's rows are such failures the step fails and the partition's previous file is kept.
Output: data/prompt_evaluations/<template>.parquet. Feeds template_leaderboard.
"""

from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.core.vocabulary import CHATML_STOP_TOKENS
from secassets.curated.rows import evaluation_rows
from secassets.defs.evaluation.partitions import TEMPLATE_PARTITIONS
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFiles
from secassets.evaluation.ceilings import calibrate
from secassets.evaluation.runner import (
    EvaluationSettings,
    combine_stats,
    evaluate_template,
    evaluation_set,
    evaluation_set_fingerprint,
    settings_label,
    transport_error_failure,
)
from secassets.evaluation.statistics import evaluation_summary
from secassets.evaluation.templates import TEMPLATES
from secassets.llm.cache import ResponseCache
from secassets.llm.completion import Completion
from secassets.llm.server import LlamaServerError
from secassets.storage.markdown import markdown_table

THINKING_N_PREDICT = 2048  # with thinking on there is no schema to bound the answer



class PromptEvaluationParams(dg.Config):
    """Every number is bounded and finite: a value outside fails the step before any server call or write."""

    evaluation_size: int = Field(
        default=12, ge=1, le=100_000, description="Scenarios sampled (stratified by scenario_type, seeded) for every "
        "template, 1-100000; each adds one model call per template (a cached answer costs none)."
    )
    seed: int = Field(
        default=42, ge=0, le=2**32 - 1, description="Seed of the evaluation sample and of the server's sampling, 0-2^32-1."
    )
    n_predict: int = Field(
        default=0, ge=0, le=8192, description="Token limit of each answer, 16-8192; 0 = per template, the longest answer "
        f"its schema admits (so no row is cut by design); with thinking on, 0 = {THINKING_N_PREDICT}.",
    )
    repeats: int = Field(
        default=1, ge=1, le=10, description="Samples per prompt, 1-10 (seeds seed, seed+1, ...; each cached); with "
        "temperature > 0 the leaderboard reports how stable each scenario's answer is.",
    )
    temperature: float = Field(
        default=0.0, ge=0.0, le=2.0, allow_inf_nan=False, description="Sampling temperature, 0-2 (0 = deterministic)."
    )
    thinking: bool = Field(default=False, description="Prepend 'detailed thinking on' (Nemotron); no JSON constraint then.")
    edge_cases_per_family: int = Field(
        default=1, ge=-1, le=100_000, description="Edge cases evaluated per family (seeded sample); -1 = all of them."
    )
    curated_size: int = Field(
        default=24, ge=0, le=100_000, description="Valid curated cases evaluated (seeded sample stratified by their "
        "labeled category; all of them when there are fewer); 0 = none. Their truth is the person's label.",
    )
    max_transport_error_share: float = Field(
        default=0.25, ge=0.0, le=1.0, allow_inf_nan=False,
        description="Share of a template's rows, 0-1, that may get no answer (timeouts, dead server, malformed "
        "bodies) and become failure rows; above it the step fails and the partition's previous file is kept.",
    )


@dg.asset(
    partitions_def=TEMPLATE_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Per template: one row per evaluated scenario with the raw answer, parse result, risk score and "
    "level, in-range flag, deviation from the ground-truth range, level/alert agreement, key-point recall, "
    "latency and tokens. Failures are rows with parse_ok false and count as wrong in every metric.",
    kinds={"parquet", "llama.cpp"},
)
def prompt_evaluations(
    context: dg.AssetExecutionContext,
    config: PromptEvaluationParams,
    scenarios: pd.DataFrame,
    enrichment_edge_cases: pd.DataFrame,
    curated_cases: pd.DataFrame,
    llm: LlamaServerResource,
    local_files: LocalFiles,
) -> Any:
    per_family = None if config.edge_cases_per_family < 0 else config.edge_cases_per_family
    rows = evaluation_set(scenarios, enrichment_edge_cases, config.evaluation_size, config.seed, per_family,
                          curated=evaluation_rows(curated_cases), curated_size=config.curated_size)
    fingerprint = evaluation_set_fingerprint(rows)
    cache = ResponseCache(local_files.path("prompt_evaluations", "cache"))
    model_id = llm.model_identity_or_failure()

    def complete(prompt: str, schema: dict | None, s: EvaluationSettings) -> Completion:
        return llm.client().complete(
            prompt, n_predict=s.n_predict, json_schema=schema, stop=CHATML_STOP_TOKENS, temperature=s.temperature, seed=s.seed
        )

    def map_fn(fn, items):
        items = list(items)
        if not items:
            return iter(())
        return llm.client().map(fn, items)

    outputs: dict[str, pd.DataFrame] = {}
    summaries = []
    population = pd.concat([scenarios, enrichment_edge_cases], ignore_index=True)  # what the perfect readers know
    for key in context.partition_keys:
        template = TEMPLATES[key]
        n_predict = config.n_predict or (THINKING_N_PREDICT if config.thinking else template.answer_token_budget())
        settings = EvaluationSettings(n_predict=max(16, n_predict), temperature=config.temperature, seed=config.seed,
                                      thinking=config.thinking)
        labels = {"evaluation_set": fingerprint, "settings": settings_label(settings, config.repeats)}
        calibration = calibrate(population, template)
        context.log.info(f"Evaluating template {key} on {len(rows)} scenarios x {config.repeats} repeat(s), "
                         f"n_predict {settings.n_predict}")
        try:
            parts = [evaluate_template(template, rows, complete=complete, map_fn=map_fn, cache=cache, model_id=model_id,
                                       settings=settings, calibration=calibration, repeat=r, labels=labels)
                     for r in range(config.repeats)]
        except LlamaServerError as exc:
            raise dg.Failure(description=str(exc)) from None
        df = pd.concat([d for d, _ in parts], ignore_index=True)
        stats = combine_stats([st for _, st in parts])
        failure = transport_error_failure(key, stats, config.max_transport_error_share)
        if failure is not None:  # raised before returning: the IO manager writes nothing, earlier files stay
            raise dg.Failure(description=failure, metadata={
                "template": key, "transport_errors": stats.transport_errors, "rows": stats.rows,
                "transport_error_share": round(stats.transport_error_share, 4),
                "max_transport_error_share": config.max_transport_error_share,
                "first_transport_error": stats.first_transport_error or "",
            })
        outputs[key] = df
        summary = evaluation_summary(df)
        summaries.append({
            "template": key, **summary, "cache_hits": stats.cache_hits, "server_calls": stats.server_calls,
            "transport_errors": stats.transport_errors,
        })
        context.log.info(
            f"{key}: parse {summary['parse_rate']:.2f}, in-range {summary['in_range_rate']:.2f} "
            f"(ceiling {summary['ceiling_in_range_rate']:.2f}), "
            f"{stats.cache_hits} cache hits, {stats.server_calls} server calls, {stats.transport_errors} without an answer"
        )
        if stats.cache_write_errors:
            context.log.warning(f"{key}: {stats.cache_write_errors} answers could not be written to the cache {cache.root}")
    meta: dict[str, Any] = {
        "dagster/row_count": sum(len(d) for d in outputs.values()),
        "model": model_id,
        "summary": dg.MetadataValue.md(markdown_table(summaries, [
            "template", "rows", "parse_rate", "in_range_rate", "ceiling_in_range_rate", "mean_deviation",
            "latency_p50_s", "latency_p90_s",
            "latency_p99_s", "tokens_per_s_per_request", "cache_hits", "server_calls", "transport_errors",
        ])),
    }
    if len(summaries) == 1:
        meta.update({k: v for k, v in summaries[0].items() if k != "template" and not pd.isna(v)})
    if llm.server_pid is not None or llm.mode == "attached":
        meta.update(llm.device_metadata())
    context.add_output_metadata(meta)
    return outputs if len(outputs) > 1 else next(iter(outputs.values()))
