"""The sampling plan as a NeMo Data Designer config: the seven weighted sampler columns and their YAML.

Stage 1 owns this file format: the sampler_config asset writes it, its check reads the marginals
back from it, and scenario generation loads it as the first columns of its own config. Only
``data_designer.config`` is used here (no engine, so nothing can run or phone home).
"""

from __future__ import annotations

from pathlib import Path

import data_designer.config as dd

from secassets.core.vocabulary import SAMPLER_COLUMNS, SAMPLER_VALUES
from secassets.sampling.spec import SamplerSpec
from secassets.storage.files import atomic_path

# The one model provider every scenario Data Designer config names; the scenario LLM passes point it
# at a real endpoint, the sampler config only needs it to exist.
LLM_PROVIDER = "secassets-llm"
WRITER_ALIAS = "scenario-writer"


class SamplerConfigError(RuntimeError):
    """The sampler-config YAML cannot be used; the message names the file and says to re-materialize it."""


def _placeholder_model_config() -> dd.ModelConfig:
    """Data Designer needs one model config even when no LLM column exists; none ever calls it."""
    return dd.ModelConfig(
        alias=WRITER_ALIAS,
        model="secassets-writer",
        provider=LLM_PROVIDER,
        inference_parameters=dd.ChatCompletionInferenceParams(max_parallel_requests=1, timeout=60),
    )


def sampler_config_builder(spec: SamplerSpec) -> dd.DataDesignerConfigBuilder:
    """A Data Designer config holding exactly the seven weighted sampler columns."""
    builder = dd.DataDesignerConfigBuilder(model_configs=[_placeholder_model_config()])
    for column in SAMPLER_COLUMNS:
        values = list(SAMPLER_VALUES[column])
        weights = spec.weights[column]
        builder.add_column(
            dd.SamplerColumnConfig(
                name=column,
                sampler_type="category",
                params=dd.CategorySamplerParams(values=values, weights=[weights[v] for v in values]),
            )
        )
    return builder


def write_sampler_yaml(builder: dd.DataDesignerConfigBuilder, path: Path) -> Path:
    """Write the config atomically: a reader never sees half a YAML."""
    with atomic_path(path) as tmp:
        builder.write_config(tmp)
    return path


def load_sampler_builder(path: Path) -> dd.DataDesignerConfigBuilder:
    """Load the sampler-config YAML back, with an error that says how to recover."""
    try:
        builder = dd.DataDesignerConfigBuilder.from_config(str(path))
    except Exception as exc:
        raise SamplerConfigError(
            f"cannot load the Data Designer config {path}: {exc}. Re-materialize sampler_config to rewrite it."
        ) from exc
    names = [c.name for c in builder.get_column_configs()]
    if names != list(SAMPLER_COLUMNS):
        raise SamplerConfigError(
            f"{path} has columns {names}, expected the sampler columns {list(SAMPLER_COLUMNS)}; "
            "re-materialize sampler_config"
        )
    return builder


def implied_marginals(builder: dd.DataDesignerConfigBuilder) -> dict[str, dict[str, float]]:
    """The marginal distribution each sampler column of a loaded config actually draws from.

    Every sampler is unconditional; a condition in the file (hand-edited or from an older version)
    couples a column to another and is refused. Reading this back from the YAML (not from the spec)
    is what lets a check catch a hand-edited or stale file.
    """
    columns = {c.name: c for c in builder.get_column_configs()}

    def normalized(params: dd.CategorySamplerParams) -> dict[str, float]:
        weights = params.weights or [1.0] * len(params.values)
        total = float(sum(weights))
        return {str(v): float(w) / total for v, w in zip(params.values, weights, strict=True)}

    marginals = {name: normalized(columns[name].params) for name in SAMPLER_COLUMNS if name in columns}
    conditioned = sorted(name for name, c in columns.items() if getattr(c, "conditional_params", None))
    if conditioned:
        raise SamplerConfigError(
            f"sampler column(s) {conditioned} carry conditions; secassets samples every column independently "
            "(a condition on scenario_type would let a field stand in for the label). Re-materialize sampler_config"
        )
    return marginals


def marginal_errors(spec: SamplerSpec, builder: dd.DataDesignerConfigBuilder, tolerance: float = 1e-9) -> list[str]:
    """Where the config's implied marginals differ from the validated spec."""
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
    return errors
