"""Evaluating a prompt template: render, call the server (or the cache), parse, score.

Plain Python: the Dagster asset passes a `complete` function bound to the LlamaServer resource.
A call that gets no answer (timeout, dead server, malformed body) is a failure row with its reason,
never an exception out of the step; only a server that cannot start (LlamaServerError) ends it. A row
whose prompt does not render (a template error on that row, a render over its budget) is a failure row
too, with no prompt, no cache key and no server call.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, Field

from secassets.core.rows import GroundTruth
from secassets.core.vocabulary import CHATML_STOP_TOKENS
from secassets.evaluation.ceilings import Calibration, calibrate, ceiling_flags
from secassets.evaluation.parsing import parse_answer
from secassets.evaluation.render_budget import TemplateRenderError
from secassets.evaluation.scoring import score_answer
from secassets.evaluation.statistics import stratified_sample
from secassets.evaluation.templates import PromptTemplate
from secassets.llm.cache import ResponseCache
from secassets.llm.cached_model import CachedCompletions
from secassets.llm.chat import Message, PromptFormat, StructuredOutput, chatml
from secassets.llm.client import LlamaRequestError
from secassets.llm.completion import Completion
from secassets.llm.server import LlamaServerError

T = TypeVar("T")
R = TypeVar("R")
Complete = Callable[[list[Message], dict[str, Any] | None, "EvaluationSettings"], Completion]
MapFn = Callable[[Callable[[T], R], Iterable[T]], Iterator[R]]

EVALUATION_COLUMNS = (
    "template", "template_version", "model", "scenario_hash", "repeat", "source", "scenario_type", "enrichment_level",
    "truth_low", "truth_high", "truth_level", "truth_alert", "prompt", "raw_output", "thinking",
    "parse_ok", "risk_score", "risk_level", "in_range", "deviation", "level_agreement", "alert_agreement",
    "key_point_recall", "ceiling_score", "ceiling_in_range", "ceiling_level_agreement", "ceiling_alert_agreement",
    "chance_score", "chance_in_range", "chance_level_agreement", "chance_alert_agreement", "latency_s", "prompt_tokens", "completion_tokens", "error", "model_id", "evaluation_set", "settings",
    "rubric_version",
)
# Comparability: a row records the model that answered, the evaluation set it belongs to, the sampling
# settings and the rubric version its ground truth was judged under (secassets.risk.version); rows that
# differ in any of them are never ranked or judged against each other.
COMPARABILITY_COLUMNS = ("model_id", "evaluation_set", "settings", "rubric_version")
# ceiling_*: what a perfect reader of the template's inputs scores on the row; chance_*: what the scenario
# population's best constant answer scores on it (secassets.evaluation.ceilings).
# Whether an answer came from the cache is a fact about a run, not about the answer: it goes into
# EvaluationStats and the run's metadata, so an unchanged re-run writes byte-identical rows.


class EvaluationSettings(BaseModel):
    """Sampling and prompting settings; part of every cache key and of the settings every row records."""

    n_predict: int = Field(default=400, ge=16, le=8192)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    thinking: bool = False  # adds "detailed thinking on"; the JSON constraint is then left off
    prompt_format: PromptFormat = "chatml"  # how the messages reach the model (secassets.llm.chat.PROMPT_FORMATS)
    structured: StructuredOutput = "none"  # how a chat endpoint is given the schema (prompt_format chat only)

    def params(self) -> dict[str, Any]:
        return {**self.model_dump(), "stop": list(CHATML_STOP_TOKENS) if self.prompt_format == "chatml" else []}

    def for_repeat(self, repeat: int) -> EvaluationSettings:
        """Repeat r samples with seed + r, so each repeat is its own cached answer."""
        return self.model_copy(update={"seed": (self.seed + repeat) % 2**32})


def settings_label(settings: EvaluationSettings, repeats: int) -> str:
    """The settings a row was answered under, as canonical JSON (base seed, not the repeat's)."""
    return json.dumps({**settings.model_dump(), "repeats": repeats}, sort_keys=True, separators=(",", ":"))


def evaluation_set_fingerprint(rows: pd.DataFrame) -> str:
    """Which scenarios (and edge cases) were evaluated, as a short hash of their sorted hashes."""
    return hashlib.sha256("\n".join(sorted(rows["scenario_hash"].astype(str))).encode()).hexdigest()[:16]


def evaluation_set(
    scenarios: pd.DataFrame, edge_cases: pd.DataFrame | None, size: int, seed: int, edge_cases_per_family: int | None = None,
    curated: pd.DataFrame | None = None, curated_size: int = 0,
) -> pd.DataFrame:
    """A seeded sample of scenarios stratified by scenario_type, plus the edge cases (all of them, or a
    seeded sample of edge_cases_per_family from each family), plus a seeded sample of curated_size curated
    cases stratified by their labeled category (secassets.curated.rows.evaluation_rows)."""
    if size < 1 or (edge_cases_per_family is not None and edge_cases_per_family < 0) or curated_size < 0:
        raise ValueError(f"evaluation_size must be >= 1, edge_cases_per_family and curated_size >= 0 (got {size}, "
                         f"{edge_cases_per_family}, {curated_size})")
    picked = scenarios.loc[stratified_sample(scenarios, size, "scenario_type", seed)].assign(source="scenario")
    parts = [picked]
    if edge_cases is not None and len(edge_cases):
        edges = edge_cases
        if edge_cases_per_family is not None:
            edges = edge_cases.groupby("family", sort=True, group_keys=False).apply(
                lambda g: g.sample(n=min(len(g), edge_cases_per_family), random_state=seed)
            )
        parts.append(edges.drop(columns=["family", "trait"], errors="ignore").assign(source="edge_case"))
    if curated is not None and len(curated) and curated_size:
        parts.append(curated.loc[stratified_sample(curated, curated_size, "scenario_type", seed)])
    return pd.concat(parts, ignore_index=True)


def prompt_text(messages: list[Message], prompt_format: PromptFormat) -> str:
    """What a row records as its prompt (and what its cache key hashes): the ChatML sent for chatml; the messages
    themselves for model and chat, whose final text the server renders (the model's template is in the model id)."""
    if prompt_format == "chatml":
        return chatml(messages)
    return "\n\n".join(f"[{m.role}]\n{m.content}" for m in messages)


TRANSPORT_ERROR = "transport error: "
TEMPLATE_ERROR = "template error: "


@dataclass(frozen=True)
class EvaluationStats:
    rows: int
    cache_hits: int
    server_calls: int
    transport_errors: int  # calls that got no answer at all (timeouts, dead server, malformed bodies)
    first_transport_error: str | None = None
    cache_write_errors: int = 0
    render_errors: int = 0  # rows whose prompt did not render (failure rows never sent; not transport errors)
    first_render_error: str | None = None

    @property
    def transport_error_share(self) -> float:
        return self.transport_errors / self.rows if self.rows else 0.0


def combine_stats(parts: list[EvaluationStats]) -> EvaluationStats:
    """The stats of several repeats as one run."""
    errors = [p.first_transport_error for p in parts if p.first_transport_error]
    return EvaluationStats(
        rows=sum(p.rows for p in parts), cache_hits=sum(p.cache_hits for p in parts),
        server_calls=sum(p.server_calls for p in parts), transport_errors=sum(p.transport_errors for p in parts),
        first_transport_error=errors[0] if errors else None, cache_write_errors=sum(p.cache_write_errors for p in parts),
        render_errors=sum(p.render_errors for p in parts),
        first_render_error=next((p.first_render_error for p in parts if p.first_render_error), None),
    )


def transport_error_failure(template: str, stats: EvaluationStats, max_share: float) -> str | None:
    """The message that fails the step when more than max_share of the rows got no answer, else None."""
    if stats.transport_error_share <= max_share:
        return None
    return (
        f"template {template}: {stats.transport_errors} of {stats.rows} rows "
        f"({stats.transport_error_share:.0%}) got no answer from the LLM server, more than "
        f"max_transport_error_share={max_share:g}; first: {stats.first_transport_error}. The previous output is kept "
        "and the answered rows are cached, so a re-run asks only for the missing ones. Check that the llm resource's "
        "server is up (and its request_timeout_s), or raise max_transport_error_share to accept failure rows."
    )


def evaluate_template(
    template: PromptTemplate,
    rows: pd.DataFrame,
    *,
    complete: Complete,
    map_fn: MapFn,
    cache: ResponseCache,
    model_id: str,
    settings: EvaluationSettings,
    model: str = "",
    calibration: Calibration | None = None,
    repeat: int = 0,
    labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, EvaluationStats]:
    """One result row per evaluation row; server calls only for answers not in the cache.

    model: the model partition's name (model_id is what answered: the identity every cache key holds).
    calibration: the template's perfect reader (secassets.evaluation.ceilings.calibrate over the whole
    scenario population); by default calibrated on the evaluated rows themselves.
    """
    records = rows.to_dict("records")
    calibration = calibration or calibrate(rows, template)
    settings = settings.for_repeat(repeat)
    labels = labels or {"evaluation_set": evaluation_set_fingerprint(rows), "settings": settings_label(settings, 1)}
    messages: list[list[Message]] = []
    render_errors: dict[int, str] = {}  # row -> "template error: <template> line N: <reason>"
    for i, r in enumerate(records):
        try:
            messages.append(template.messages(r, thinking=settings.thinking))
        except TemplateRenderError as exc:
            messages.append([])
            render_errors[i] = f"{TEMPLATE_ERROR}{exc.summary}"
    prompts = ["" if i in render_errors else prompt_text(m, settings.prompt_format) for i, m in enumerate(messages)]
    schema = None if settings.thinking else template.answer_schema()
    completions = CachedCompletions(cache, model_id)
    keys = {i: completions.key(p, settings.params(), schema) for i, p in enumerate(prompts) if i not in render_errors}
    results: dict[int, Completion | str] = {}
    missing = []
    for i, key in keys.items():
        hit = completions.lookup(key)  # a damaged entry is a miss, asked again
        if hit is not None:
            results[i] = hit
        else:
            missing.append(i)
    # Shared prefixes next to each other, so the server's prompt cache serves them.
    missing.sort(key=lambda i: prompts[i])

    cache_write_errors = 0

    def call(i: int) -> tuple[int, Completion | str, bool]:
        try:
            completion = complete(messages[i], schema, settings)
        except LlamaServerError:
            raise  # no server at all: the step fails with the resource's message
        except LlamaRequestError as exc:
            return i, f"{TRANSPORT_ERROR}{exc}", True
        except Exception as exc:  # noqa: BLE001 - one row's surprise must not end the step
            return i, f"{TRANSPORT_ERROR}{type(exc).__name__}: {exc}", True
        # A refused cache write leaves the answer standing; only the resume of this row is lost.
        return i, completion, completions.store(keys[i], completion)

    for i, outcome, stored in map_fn(call, missing):
        results[i] = outcome
        cache_write_errors += not stored
    out = []
    transport_errors = 0
    first_error: str | None = None
    for i, record in enumerate(records):
        outcome = results.get(i, render_errors.get(i, ""))
        truth = GroundTruth.model_validate(json.loads(record["ground_truth"]))
        base = {
            "template": template.name, "template_version": template.version, "scenario_hash": record["scenario_hash"], "repeat": repeat,
            "source": record.get("source", "scenario"), "scenario_type": record["scenario_type"],
            "enrichment_level": record["enrichment_level"], "truth_low": truth.risk_range.low,
            "truth_high": truth.risk_range.high, "truth_level": truth.level, "truth_alert": truth.should_trigger_alert,
            "prompt": prompts[i], "model": model or model_id, "model_id": model_id, "rubric_version": truth.rubric_version,
            **labels,
        }
        if isinstance(outcome, str):
            if i not in render_errors:
                transport_errors += 1
                first_error = first_error or outcome.removeprefix(TRANSPORT_ERROR)
            parsed = None
            base.update(raw_output=None, thinking=None, latency_s=None, prompt_tokens=None, completion_tokens=None, error=outcome)
        else:
            parsed = parse_answer(outcome.content, finished=outcome.finished)
            base.update(
                raw_output=outcome.content, thinking=parsed.thinking, latency_s=outcome.latency_s,
                prompt_tokens=outcome.prompt_tokens, completion_tokens=outcome.completion_tokens, error=parsed.error,
            )
        answer = parsed.answer if parsed is not None else None
        score = score_answer(answer, truth, template.reveals)
        base.update(ceiling_flags(record, template, calibration))
        base.update(
            parse_ok=answer is not None,
            risk_score=None if answer is None else answer.risk_score,
            risk_level=None if answer is None else answer.risk_level,
            **dataclasses.asdict(score),
        )
        out.append(base)
    df = pd.DataFrame(out, columns=list(EVALUATION_COLUMNS))
    df["risk_score"] = df["risk_score"].astype("Int16")
    df["ceiling_score"] = df["ceiling_score"].astype("int16")
    df["chance_score"] = df["chance_score"].astype("int16")
    for c in ("repeat", "truth_low", "truth_high"):
        df[c] = df[c].astype("int16")
    for c in ("latency_s",):
        df[c] = df[c].astype("float64")
    for c in ("prompt_tokens", "completion_tokens"):
        df[c] = df[c].astype("Int32")
    stats = EvaluationStats(
        rows=len(df), cache_hits=len(keys) - len(missing), server_calls=len(missing), transport_errors=transport_errors,
        first_transport_error=first_error, cache_write_errors=cache_write_errors, render_errors=len(render_errors),
        first_render_error=next(iter(render_errors.values()), None),
    )
    return df, stats
