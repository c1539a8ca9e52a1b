"""Scenario generation through NeMo Data Designer's own engine (no Dagster here).

The seven sampler columns come from the sampler-config YAML; grounding, text, expression and
validation columns are added here as Data Designer custom, expression and validation columns.
Data Designer 0.9.6 draws its samplers from NumPy's global RandomState and has no seed
argument, so ``generate_scenarios`` seeds (and afterwards restores) that state from the spec.
"""

from __future__ import annotations

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
    SAMPLER_COLUMNS,
    SAMPLER_VALUES,
)
from secassets.grounding import ground, row_rng
from secassets.sampling import HUMAN_ACTOR_TYPES, SamplerSpec
from secassets.schema import COLUMN_GROUPS, JUDGE_COLUMNS, SCENARIO_COLUMNS, SCENARIOS_ARROW_SCHEMA
from secassets.storage import atomic_path, write_json, write_parquet
from secassets.validation import BUNDLE_TEXT_FIELDS, schema_errors, temporal_errors

LLM_PROVIDER = "secassets-llm"
WRITER_ALIAS = "scenario-writer"
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
            condition = f"scenario_type in {list(HUMAN_ACTOR_TYPES)!r}"
            conditional[condition] = dd.CategorySamplerParams(values=values, weights=[inside[v] for v in values])
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
    before = len(df)
    df = df.drop_duplicates(subset="scenario_hash", keep="first").reset_index(drop=True)
    return df[list(SCENARIO_COLUMNS)], before - len(df)


def _generate_here(spec: SamplerSpec, sampler_yaml: Path, workdir: Path) -> GenerationResult:
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
    df, dupes = finalize(raw, GENERATION_MODE_DETERMINISTIC)
    return GenerationResult(scenarios=df, generated_rows=len(raw), duplicates_removed=dupes)


class _WorkerRequest(BaseModel):
    spec: SamplerSpec
    sampler_yaml: Path
    workdir: Path
    output: Path


def generate_scenarios(
    spec: SamplerSpec,
    sampler_yaml: Path,
    workdir: Path,
    *,
    log: Log | None = None,
    timeout_s: float = 1800.0,
) -> GenerationResult:
    """Generate spec.num_scenarios rows with Data Designer in a worker process, bounded by timeout_s.

    Data Designer 0.9.6 orders its sampler columns through a Python ``set``, so the order in which
    they draw from the seeded RNG depends on the interpreter's string-hash seed. The worker runs
    with PYTHONHASHSEED=0, which makes the same spec give the same bytes in any calling process
    (Dagster run worker, test, CLI) and keeps Data Designer's global state out of the caller.
    """
    load_sampler_builder(sampler_yaml)  # fail fast, with the fix in the message, before starting a worker
    workdir.mkdir(parents=True, exist_ok=True)
    job = Path(tempfile.mkdtemp(prefix="generate-", dir=workdir))
    request = _WorkerRequest(spec=spec, sampler_yaml=sampler_yaml, workdir=job, output=job / "scenarios.parquet")
    (job / "request.json").write_text(request.model_dump_json())
    env = {**os.environ, "PYTHONHASHSEED": "0", "DATA_DESIGNER_HOME": str(workdir / "data_designer_home")}
    env["PYTHONUNBUFFERED"] = "1"
    tail: list[str] = []
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "secassets.generation", str(job / "request.json")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                line = line.rstrip()
                tail = (tail + [line])[-20:]
                if log is not None and line:
                    log(line)
            code = proc.wait()
        finally:
            timer.cancel()
        if code != 0:
            why = f"timed out after {timeout_s:.0f} s" if code in (-9, 137) else f"exited with code {code}"
            last = "\n".join(tail)
            raise ScenarioGenerationError(f"scenario generation {why}. Last output:\n{last}")
        meta = json.loads((job / "result.json").read_text())
        df = pd.read_parquet(request.output)
        df = pd.DataFrame({c: df[c] for c in SCENARIO_COLUMNS})
        for c in JUDGE_COLUMNS:
            df[c] = df[c].astype("Int8")
        return GenerationResult(scenarios=df, generated_rows=meta["generated_rows"], duplicates_removed=meta["duplicates_removed"])
    finally:
        shutil.rmtree(job, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: python -m secassets.generation REQUEST_JSON."""
    args = argv if argv is not None else sys.argv[1:]
    request = _WorkerRequest.model_validate_json(Path(args[0]).read_text())
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s", stream=sys.stdout)
    logging.getLogger("data_designer").setLevel(logging.INFO)
    try:
        result = _generate_here(request.spec, request.sampler_yaml, request.workdir)
    except Exception as exc:  # noqa: BLE001 - the parent turns this into ScenarioGenerationError with these lines
        print(f"ERROR: {type(exc).__name__}: {exc}", flush=True)
        return 1
    write_parquet(request.output, result.scenarios, SCENARIOS_ARROW_SCHEMA)
    write_json(
        request.workdir / "result.json",
        {"generated_rows": result.generated_rows, "duplicates_removed": result.duplicates_removed},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
