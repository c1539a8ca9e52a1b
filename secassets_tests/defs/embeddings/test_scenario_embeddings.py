import dagster as dg
import numpy as np
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.embeddings.embedding_checks import scenario_embeddings_complete
from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.llama_server import LlamaServerResource

pytestmark = pytest.mark.integration


def test_embeddings_materialize_with_their_check(scenario_run):
    _, data_dir = scenario_run
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("scenario_embeddings"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
    )
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed, check.metadata
    meta = result.asset_materializations_for_node("scenario_embeddings")[-1].metadata
    assert meta["dimension"].value == 384 and meta["model"].value == "all-MiniLM-L6-v2-onnx-int8"
    table = pd.read_parquet(data_dir / "scenario_embeddings.parquet")
    scenarios = pd.read_parquet(data_dir / "scenarios.parquet")
    assert list(table["scenario_hash"]) == list(scenarios["scenario_hash"])
    npz = np.load(data_dir / "scenario_embeddings" / "embeddings.npz")
    assert npz["scenario_embedding"].shape == (len(scenarios), 384)
    assert np.allclose(npz["reasoning_embedding"][3], table.loc[3, "reasoning_embedding"])
    assert meta["texts_embedded"].value + meta["cache_hits"].value == 2 * len(scenarios)

    outputs = [data_dir / "scenario_embeddings.parquet", data_dir / "scenario_embeddings" / "embeddings.npz"]
    before = [p.read_bytes() for p in outputs]
    again = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("scenario_embeddings"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
    )
    meta = again.asset_materializations_for_node("scenario_embeddings")[-1].metadata
    assert meta["texts_embedded"].value == 0 and meta["cache_hits"].value == 2 * len(scenarios)
    assert [p.read_bytes() for p in outputs] == before  # an unchanged re-run writes the same bytes


def test_check_fails_on_nan_missing_rows_and_wrong_dimension(scenario_run):
    _, data_dir = scenario_run
    scenarios = pd.read_parquet(data_dir / "scenarios.parquet")
    rng = np.random.default_rng(0)
    good = rng.normal(size=(len(scenarios), 384)).astype(np.float32)
    good /= np.linalg.norm(good, axis=1, keepdims=True)
    table = pd.DataFrame({"scenario_hash": scenarios["scenario_hash"], "scenario_embedding": list(good), "reasoning_embedding": list(good)})
    model = EmbeddingModel()
    assert scenario_embeddings_complete(table, scenarios, model).passed
    bad = table.copy()
    bad.at[0, "scenario_embedding"] = np.full(384, np.nan, dtype=np.float32)
    result = scenario_embeddings_complete(bad, scenarios, model)
    assert not result.passed and "NaN" in result.metadata["problems"].value
    result = scenario_embeddings_complete(table.iloc[1:], scenarios, model)
    assert not result.passed and "1 scenarios have no vectors" in result.metadata["problems"].value
    result = scenario_embeddings_complete(table, scenarios, EmbeddingModel(dimension=512))
    assert not result.passed and "not 512-dimensional" in result.metadata["problems"].value
