"""scenario_embeddings: real sentence vectors of each scenario's narrative and reasoning key points.

Input: scenarios. Model: the EmbeddingModel resource (all-MiniLM-L6-v2 int8 ONNX offline by
default). Output: data/scenario_embeddings.parquet (scenario_hash + both vectors, joinable to
scenarios) and data/scenario_embeddings/embeddings.npz keyed by scenario_hash; L2-normalised
float32. Vectors already computed are reused from data/scenario_embeddings/cache.npz; a damaged
cache is a miss and is rewritten. Checked by scenario_embeddings_complete.
"""

import time

import dagster as dg
import numpy as np
import pandas as pd

from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.local_files import LocalFiles
from secassets.embeddings.embedders import EmbeddingError
from secassets.embeddings.vector_cache import EmbeddingCache
from secassets.storage.files import write_npz


@dg.asset(
    description="Sentence embeddings (L2-normalised float32) of each scenario's narrative and reasoning key "
    "points, keyed by scenario_hash; also saved as embeddings.npz.",
    kinds={"parquet", "numpy"},
)
def scenario_embeddings(
    context: dg.AssetExecutionContext, scenarios: pd.DataFrame, embedding_model: EmbeddingModel, local_files: LocalFiles
) -> pd.DataFrame:
    embedder = embedding_model.embedder()
    texts = {
        "scenario_embedding": scenarios["scenario_narrative"].tolist(),
        "reasoning_embedding": scenarios["reasoning_key_points"].tolist(),
    }
    cache = EmbeddingCache(local_files.path("scenario_embeddings", "cache.npz"))
    vectors: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    try:  # one call for both columns, so the cache keeps every text of this run
        both, hits = cache.embed(embedder, texts["scenario_embedding"] + texts["reasoning_embedding"], dim=embedding_model.dimension)
    except EmbeddingError as exc:
        raise dg.Failure(description=str(exc)) from None
    seconds = time.perf_counter() - start
    vectors["scenario_embedding"], vectors["reasoning_embedding"] = both[: len(scenarios)], both[len(scenarios) :]
    embedded = 2 * len(scenarios) - hits
    context.log.info(f"Embedded {embedded} texts with {embedder.model_id}, {hits} from the cache, in {seconds:.1f} s")
    hashes = scenarios["scenario_hash"].to_numpy(dtype=str)
    npz = write_npz(
        local_files.path("scenario_embeddings", "embeddings.npz"),
        scenario_hash=hashes,
        scenario_embedding=vectors["scenario_embedding"],
        reasoning_embedding=vectors["reasoning_embedding"],
    )
    dim = int(vectors["scenario_embedding"].shape[1]) if len(scenarios) else embedding_model.dimension
    context.add_output_metadata(
        {
            "dagster/row_count": len(scenarios),
            "model": embedder.model_id,
            "dimension": dim,
            "seconds": round(seconds, 2),
            "cache_hits": hits,
            "texts_embedded": embedded,
            "texts_per_s": round(embedded / seconds, 1) if embedded and seconds > 0 else 0.0,
            "npz": dg.MetadataValue.path(str(npz)),
        }
    )
    return pd.DataFrame(
        {
            "scenario_hash": hashes,
            "scenario_embedding": list(vectors["scenario_embedding"]),
            "reasoning_embedding": list(vectors["reasoning_embedding"]),
        }
    )
