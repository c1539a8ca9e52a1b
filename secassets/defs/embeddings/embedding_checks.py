"""Asset check on scenario_embeddings: complete, finite, unit-norm vectors of the configured dimension."""

import dagster as dg
import numpy as np
import pandas as pd

from secassets.defs.resources.embedding_model import EmbeddingModel


@dg.asset_check(
    asset="scenario_embeddings",
    additional_ins={"scenarios": dg.AssetIn()},
    description="Every scenario has both vectors, none has NaN/inf, each is unit-norm with the configured dimension.",
    blocking=True,
)
def scenario_embeddings_complete(
    scenario_embeddings: pd.DataFrame, scenarios: pd.DataFrame, embedding_model: EmbeddingModel
) -> dg.AssetCheckResult:
    problems: list[str] = []
    missing = sorted(set(scenarios["scenario_hash"]) - set(scenario_embeddings["scenario_hash"]))
    if missing:
        problems.append(f"{len(missing)} scenarios have no vectors (e.g. {missing[0][:12]})")
    for column in ("scenario_embedding", "reasoning_embedding"):
        cells = scenario_embeddings[column]
        nulls = int(cells.isna().sum())
        if nulls:
            problems.append(f"{column}: {nulls} null vectors")
        present = [np.asarray(v, dtype=np.float32) for v in cells if v is not None and not (isinstance(v, float))]
        bad_dim = sum(v.shape != (embedding_model.dimension,) for v in present)
        if bad_dim:
            problems.append(f"{column}: {bad_dim} vectors are not {embedding_model.dimension}-dimensional")
        finite = [v for v in present if v.shape == (embedding_model.dimension,)]
        non_finite = sum(not np.isfinite(v).all() for v in finite)
        if non_finite:
            problems.append(f"{column}: {non_finite} vectors contain NaN or inf")
        off_norm = sum(abs(float(np.linalg.norm(v)) - 1.0) > 1e-3 for v in finite if np.isfinite(v).all())
        if off_norm:
            problems.append(f"{column}: {off_norm} vectors are not unit-norm")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": "; ".join(problems) or "none", "vectors": len(scenario_embeddings), "dimension": embedding_model.dimension},
    )
