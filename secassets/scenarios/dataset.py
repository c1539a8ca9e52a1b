"""The scenarios table built in this process: samplers, the generated columns, LLM columns, one row per hash.

This is the worker side of secassets.scenarios.worker.generate_scenarios; calling it in a Dagster
process would leave Data Designer's global state (and its NumPy seeding) in that process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secassets.core.vocabulary import GENERATION_MODE_DETERMINISTIC
from secassets.sampling.data_designer import load_sampler_builder
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.columns import CONTENT_DRAWS_COLUMN, add_generation_columns, finalize
from secassets.scenarios.engine import open_designer
from secassets.scenarios.llm_columns import LLMOutcome, run_llm_columns
from secassets.scenarios.llm_passes import LLMColumnSettings, ResolveEndpoint


@dataclass(frozen=True)
class GenerationResult:
    """The finished scenarios table plus what happened on the way."""

    scenarios: pd.DataFrame
    generated_rows: int
    duplicates_removed: int
    llm: LLMOutcome | None = None
    content_draws_total: int = 0  # content draws over all rows (rows + redraws)
    content_draws_max: int = 0


def build_scenarios(
    spec: SamplerSpec,
    sampler_yaml: Path,
    workdir: Path,
    llm: LLMColumnSettings | None = None,
    endpoint: ResolveEndpoint | None = None,
) -> GenerationResult:
    """spec.num_scenarios rows from the sampler YAML; endpoint completes llm's settings when a row misses the cache.

    Without an endpoint resolver, llm's own base_url is used as it is.
    """
    builder = add_generation_columns(load_sampler_builder(sampler_yaml), spec.num_scenarios)
    workdir.mkdir(parents=True, exist_ok=True)
    with open_designer(workdir, spec.num_scenarios, artifact_prefix="dd-") as designer:
        np.random.seed(spec.seed)  # Data Designer 0.9.6 samples from NumPy's global state and takes no seed
        raw = designer.create(builder, num_records=spec.num_scenarios, dataset_name="scenarios").load_dataset()
    df = finalize(raw, GENERATION_MODE_DETERMINISTIC)
    outcome = None
    if llm is not None and llm.rows > 0:
        settings = llm
        df, outcome = run_llm_columns(df, settings, endpoint or (lambda: settings), workdir)
    before = len(df)
    df = df.drop_duplicates(subset="scenario_hash", keep="first").reset_index(drop=True)
    draws = raw[CONTENT_DRAWS_COLUMN].astype("int64")
    return GenerationResult(
        scenarios=df, generated_rows=len(raw), duplicates_removed=before - len(df), llm=outcome,
        content_draws_total=int(draws.sum()), content_draws_max=int(draws.max()) if len(draws) else 0,
    )
