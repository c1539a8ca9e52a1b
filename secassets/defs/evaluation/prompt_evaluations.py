"""prompt_evaluations: each risk-analysis template run by each model against the scenarios' ground truth.

Partitioned by model x template (keys "model|template": models are dynamic partitions, see
secassets.llm.models; templates are the files under prompts/, see prompt_templates: each row records
the template's content version, and an edit marks only that template's partitions stale). For a seeded,
type-stratified sample of scenarios plus a seeded per-family sample of enrichment_edge_cases and a
category-stratified sample of the valid curated_cases (truth: the person's label): render the ChatML prompt, call the llama.cpp server through
the llm resource (/completion with a bounded JSON-schema constraint, deterministic sampling),
parse, validate and score. Answers are cached by content (data/prompt_evaluations/cache/), so a
re-run with nothing changed makes no server call and a crashed run resumes where it stopped.
A call that gets no answer is a failure row; when more than max_transport_error_share of a
template's rows are such failures the step fails and the partition's previous file is kept.
The messages reach the model in the configured prompt format (secassets.llm.chat: the model's own
chat template, OpenAI chat completions, or raw ChatML). Steps claim the LLM server's concurrency
pool and retry transient failures with backoff. Output:
data/prompt_evaluations/<model>/<template>.parquet. Feeds template_leaderboard.
"""

from typing import Any, Literal

import dagster as dg
import pandas as pd
from pydantic import Field, field_validator

from secassets.core.errors import SecassetsError
from secassets.core.vocabulary import LLM_POOL
from secassets.curated.rows import evaluation_rows
from secassets.defs.evaluation.partitions import EVALUATION_PARTITIONS, TEMPLATE_DIMENSION, evaluation_key
from secassets.defs.evaluation.prompt_templates import PROMPT_TEMPLATES
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.ceilings import calibrate
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.grammar import answer_grammar
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
from secassets.evaluation.template_files import find_template
from secassets.llm.cache import ResponseCache
from secassets.llm.chat import Message, NoChatTemplateError, PromptFormat
from secassets.llm.completion import Completion
from secassets.llm.models import MODELS_DIR, ModelConfigError, ModelSpec, configured_models, resolve_model
from secassets.llm.server import LlamaServerError
from secassets.storage.layout import partition_parts
from secassets.storage.markdown import markdown_table

THINKING_N_PREDICT = 2048  # with thinking on there is no schema to bound the answer
MIN_N_PREDICT = 16  # a shorter answer cannot hold risk_score, risk_level, summary and reasoning
PROMPT_EVALUATIONS = "prompt_evaluations"



class PromptEvaluationParams(CheckedConfig):
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
    prompt_format: Literal["auto", "model", "chat", "chatml"] = Field(
        default="auto", description="How the messages reach the model: model (the server renders them with the "
        "model's own chat template, then /completion), chat (/v1/chat/completions: llama.cpp or any OpenAI-compatible "
        "endpoint), chatml (raw ChatML to /completion); auto = the model table's choice, else model for llama.cpp "
        "and chat for OpenAI-compatible endpoints. Recorded in every row's settings.",
    )
    structured: Literal["auto", "grammar", "response_format", "nvext", "none"] = Field(
        default="auto", description="chat format only: how the endpoint is told the answer's JSON schema: grammar "
        "(llama.cpp's GBNF derived from the schema; its chat route does not enforce response_format), response_format "
        "(OpenAI json_schema), nvext (NIM's guided_json), none; auto = grammar for llama.cpp, response_format otherwise.",
    )
    max_transport_error_share: float = Field(
        default=0.25, ge=0.0, le=1.0, allow_inf_nan=False,
        description="Share of a template's rows, 0-1, that may get no answer (timeouts, dead server, malformed "
        "bodies) and become failure rows; above it the step fails and the partition's previous file is kept.",
    )

    @field_validator("n_predict")
    @classmethod
    def _n_predict(cls, value: int) -> int:
        if 0 < value < MIN_N_PREDICT:
            raise ValueError(f"must be 0 (per template) or {MIN_N_PREDICT}-8192")
        return value


RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=2.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
CHAT_BUDGET_FACTOR = 2  # hosted chat endpoints pretty-print JSON under response_format: room for the whitespace


def _by_model(keys: list[str]) -> dict[str, list[str]]:
    """{model: [template, ...]} of the run's partition keys, each part checked before anything is read or written."""
    out: dict[str, list[str]] = {}
    for key in keys:
        try:
            model, template = partition_parts(PROMPT_EVALUATIONS, key)
        except SecassetsError as exc:
            raise dg.Failure(description=f"{exc} Nothing was read or written.", allow_retries=False) from None
        out.setdefault(model, []).append(template)
    return out


def _format(requested: str, spec: ModelSpec, server: LlamaServerResource) -> PromptFormat:
    if requested != "auto":
        return requested  # type: ignore[return-value]
    if spec.prompt_format is not None:
        return spec.prompt_format
    return "model" if server.server_kind() == "llama.cpp" else "chat"


@dg.asset(
    partitions_def=EVALUATION_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Per model and template: one row per evaluated scenario with the raw answer, parse result, risk score "
    "and level, in-range flag, deviation from the ground-truth range, level/alert agreement, key-point recall, "
    "latency and tokens. Failures are rows with parse_ok false and count as wrong in every metric.",
    kinds={"parquet", "llama.cpp"},
    pool=LLM_POOL,
    retry_policy=RETRY_POLICY,
    deps=[dg.AssetDep(PROMPT_TEMPLATES, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(TEMPLATE_DIMENSION))],
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
    by_model = _by_model(list(context.partition_keys))  # every key checked before anything is read
    per_family = None if config.edge_cases_per_family < 0 else config.edge_cases_per_family
    rows = evaluation_set(scenarios, enrichment_edge_cases, config.evaluation_size, config.seed, per_family,
                          curated=evaluation_rows(curated_cases), curated_size=config.curated_size)
    fingerprint = evaluation_set_fingerprint(rows)
    cache = ResponseCache(local_files.path("prompt_evaluations", "cache"))
    population = pd.concat([scenarios, enrichment_edge_cases], ignore_index=True)  # what the perfect readers know
    try:
        table = configured_models(llm.model_spec())
    except ModelConfigError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    outputs: dict[str, pd.DataFrame] = {}
    summaries: list[dict[str, Any]] = []
    models_meta: dict[str, str] = {}
    for model, templates in by_model.items():
        try:
            spec = resolve_model(model, table, local_files.path(MODELS_DIR))
        except ModelConfigError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        server = llm.for_model(spec)
        try:
            try:  # a missing model file or an endpoint that is not what it should be: said once, not retried
                models_meta[model] = server.model_identity()
                prompt_format = _format(config.prompt_format, spec, server)
            except LlamaServerError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            for template in templates:
                df, summary = _evaluate(context, config, template, model, spec, server, prompt_format, rows,
                                        population, cache, models_meta[model], fingerprint)
                outputs[evaluation_key(model, template)] = df
                summaries.append(summary)
        finally:
            if server is not llm:
                server.shutdown()
    meta: dict[str, Any] = {
        "dagster/row_count": sum(len(d) for d in outputs.values()),
        "models": dg.MetadataValue.md(markdown_table([{"model": m, "identity": i} for m, i in models_meta.items()],
                                                     ["model", "identity"])),
        "summary": dg.MetadataValue.md(markdown_table(summaries, [
            "model", "template", "template_version", "prompt_format", "rows", "parse_rate", "in_range_rate", "ceiling_in_range_rate",
            "mean_deviation", "latency_p50_s", "latency_p90_s", "latency_p99_s", "tokens_per_s_per_request",
            "cache_hits", "server_calls", "transport_errors", "render_errors",
        ])),
    }
    if len(summaries) == 1:
        meta.update({k: v for k, v in summaries[0].items() if k not in ("template", "model") and not pd.isna(v)})
        meta["model"] = next(iter(models_meta.values()))
    if llm.server_pid is not None or llm.mode == "attached":
        meta.update(llm.device_metadata())
    context.add_output_metadata(meta)
    return outputs if len(outputs) > 1 else next(iter(outputs.values()))


def _evaluate(context: dg.AssetExecutionContext, config: PromptEvaluationParams, name: str, model: str, spec: ModelSpec,
              server: LlamaServerResource, prompt_format: PromptFormat, rows: pd.DataFrame, population: pd.DataFrame,
              cache: ResponseCache, model_id: str, fingerprint: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One template on one model: its rows (all repeats) and the summary line of the run's metadata."""
    try:  # read now: the file as it is, linted (an edit is used without a reload)
        template = find_template(name)
    except (FileLintError, SecassetsError) as exc:
        raise dg.Failure(description=f"template {name}: {exc}", allow_retries=False) from None
    structured = config.structured
    if structured == "auto":
        structured = "grammar" if server.server_kind() == "llama.cpp" else "response_format"
    budget = THINKING_N_PREDICT if config.thinking else template.answer_token_budget()
    if prompt_format == "chat" and structured != "grammar" and not config.thinking:
        budget *= CHAT_BUDGET_FACTOR
    settings = EvaluationSettings(n_predict=max(MIN_N_PREDICT, config.n_predict or budget), temperature=config.temperature,
                                  seed=config.seed, thinking=config.thinking, prompt_format=prompt_format,
                                  structured=structured if prompt_format == "chat" else "none")
    grammar = {"grammar": answer_grammar(template.answer_schema())} if settings.structured == "grammar" else None
    labels = {"evaluation_set": fingerprint, "settings": settings_label(settings, config.repeats)}
    template_checked: list[str] = []

    def complete(messages: list[Message], schema: dict | None, s: EvaluationSettings) -> Completion:
        client = server.client()
        if s.prompt_format in ("model", "chat") and server.server_kind() == "llama.cpp" and not template_checked:
            try:  # once, before the first real call: a GGUF without a chat template would be prompted in ChatML silently
                template_checked.append(client.chat_template())
            except NoChatTemplateError as exc:
                raise LlamaServerError(f"model {model}: {exc}") from None
        return client.complete_messages(
            messages, prompt_format=s.prompt_format, n_predict=s.n_predict, json_schema=None if grammar else schema,
            structured=s.structured, temperature=s.temperature, seed=s.seed, model=spec.model or server.model,
            extra=grammar if schema is not None else None,
        )

    def map_fn(fn, items):
        items = list(items)
        return server.client().map(fn, items) if items else iter(())

    context.log.info(f"Evaluating {model} x {name} (version {template.version}) on {len(rows)} rows x {config.repeats} repeat(s), "
                     f"{prompt_format} format, n_predict {settings.n_predict}")
    try:
        parts = [evaluate_template(template, rows, complete=complete, map_fn=map_fn, cache=cache, model_id=model_id,
                                   settings=settings, calibration=calibrate(population, template), repeat=r,
                                   labels=labels, model=model)
                 for r in range(config.repeats)]
    except LlamaServerError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    df = pd.concat([d for d, _ in parts], ignore_index=True)
    stats = combine_stats([st for _, st in parts])
    failure = transport_error_failure(f"{model} x {name}", stats, config.max_transport_error_share)
    if failure is not None:  # raised before returning: the IO manager writes nothing, earlier files stay
        raise dg.Failure(description=failure, metadata={
            "model": model, "template": name, "transport_errors": stats.transport_errors, "rows": stats.rows,
            "transport_error_share": round(stats.transport_error_share, 4),
            "max_transport_error_share": config.max_transport_error_share,
            "first_transport_error": stats.first_transport_error or "",
        })
    summary = evaluation_summary(df)
    context.log.info(
        f"{model} x {name}: parse {summary['parse_rate']:.2f}, in-range {summary['in_range_rate']:.2f} "
        f"(ceiling {summary['ceiling_in_range_rate']:.2f}), {stats.cache_hits} cache hits, {stats.server_calls} server "
        f"calls, {stats.transport_errors} without an answer, {stats.render_errors} whose prompt did not render"
    )
    if stats.render_errors:
        context.log.warning(f"{model} x {name}: {stats.render_errors} row(s) failed to render: {stats.first_render_error}")
    if stats.cache_write_errors:
        context.log.warning(f"{name}: {stats.cache_write_errors} answers could not be written to the cache {cache.root}")
    return df, {"model": model, "template": name, "template_version": template.version, "prompt_format": prompt_format, **summary,
                "cache_hits": stats.cache_hits, "server_calls": stats.server_calls,
                "transport_errors": stats.transport_errors, "render_errors": stats.render_errors}
