"""Damaged files and hostile images: a miss or a failed row with its reason, never a crash.

Faults injected: every kind of damaged scenario_embeddings/cache.npz, and curated images that are
truncated, not images, GIFs named .png, pixel bombs, over the byte limit, or links out of the images
folder; plus a local llama.cpp server that cannot start (a model file that is not a GGUF).
"""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from dagster_shared.serdes import serialize_value
from PIL import Image
from skimage import data as skdata

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.embeddings.embedders import MINILM_DIM, MiniLMEmbedder
from secassets.embeddings.vector_cache import EmbeddingCache
from secassets.multimodal.scenes import MAX_IMAGE_BYTES
from secassets_tests.faults.test_secret_routing import RecordingEndpoint, small_data_dir

pytestmark = pytest.mark.integration

TEXTS = ["a person at the front door at night", "a delivery van in the driveway", "a cat on the garden wall"]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _unit(rows: int, dim: int, dtype: type = np.float32) -> np.ndarray:
    v = np.random.default_rng(0).normal(size=(rows, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(dtype)


def _flip_middle(good: bytes) -> bytes:
    middle = len(good) // 2
    return good[:middle] + bytes(b ^ 0xFF for b in good[middle : middle + 64]) + good[middle + 64 :]


KEYS = np.array([EmbeddingCache.key(MiniLMEmbedder.model_id, t) for t in sorted(TEXTS)])
DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "not_a_zip": lambda good: b"this is not a zip file at all\n" * 10,
    "corrupt_member": _flip_middle,
    "bare_npy": lambda good: _npy(np.zeros(3)),
    "wrong_members": lambda good: _npz(a=np.zeros(3), b=np.ones(3)),
    "extra_member": lambda good: _npz(keys=KEYS, vectors=_unit(3, MINILM_DIM), extra=np.zeros(1)),
    "pickled_objects": lambda good: _npz(keys=KEYS.astype(object), vectors=_unit(3, MINILM_DIM)),
    "wrong_width": lambda good: _npz(keys=KEYS, vectors=_unit(3, 10)),
    "wrong_dtype": lambda good: _npz(keys=KEYS, vectors=_unit(3, MINILM_DIM, np.float64)),
    "integer_keys": lambda good: _npz(keys=np.arange(3), vectors=_unit(3, MINILM_DIM)),
    "row_mismatch": lambda good: _npz(keys=KEYS, vectors=_unit(2, MINILM_DIM)),
    "nan_vectors": lambda good: _npz(keys=KEYS, vectors=np.full((3, MINILM_DIM), np.nan, dtype=np.float32)),
    "not_unit_length": lambda good: _npz(keys=KEYS, vectors=np.full((3, MINILM_DIM), 5.0, dtype=np.float32)),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_embedding_cache_is_a_miss_and_is_rewritten(damage, embedder, tmp_path):
    path = tmp_path / "cache.npz"
    fresh, _ = EmbeddingCache(path).embed(embedder, TEXTS)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    vectors, hits = EmbeddingCache(path).embed(embedder, TEXTS)
    assert hits == 0 and np.allclose(vectors, fresh, atol=1e-5)
    with np.load(path) as stored:  # rewritten whole and valid
        assert sorted(stored.files) == ["keys", "vectors"] and stored["vectors"].shape == (3, MINILM_DIM)
    assert EmbeddingCache(path).embed(embedder, TEXTS)[1] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["cache.npz"]  # no temp file left behind


def test_the_embeddings_asset_survives_a_truncated_cache(scenario_run, tmp_path):
    data = small_data_dir(scenario_run, tmp_path / "data")
    resources = build_resources(str(data), llm=LlamaServerResource(mode="off"))
    assets = [*defs.assets, *defs.asset_checks]
    selection = dg.AssetSelection.assets("scenario_embeddings")
    assert dg.materialize(assets, selection=selection, resources=resources).success
    cache = data / "scenario_embeddings" / "cache.npz"
    good = pd.read_parquet(data / "scenario_embeddings.parquet")
    cache.write_bytes(cache.read_bytes()[:100])
    again = dg.materialize(assets, selection=selection, resources=resources)
    meta = again.asset_materializations_for_node("scenario_embeddings")[-1].metadata
    assert again.success and meta["cache_hits"].value == 0 and meta["texts_embedded"].value == 2 * len(good)
    assert all(e.passed for e in again.get_asset_check_evaluations())
    redone = pd.read_parquet(data / "scenario_embeddings.parquet")
    assert np.allclose(np.vstack(redone["scenario_embedding"]), np.vstack(good["scenario_embedding"]), atol=1e-5)
    third = dg.materialize(assets, selection=selection, resources=resources)
    assert third.asset_materializations_for_node("scenario_embeddings")[-1].metadata["cache_hits"].value == 2 * len(good)


def _png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height pixels (the data is a few bytes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _encoded(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def _hostile_images(data: Path, outside: Path) -> None:
    suspicious = data / "images" / "suspicious"
    suspicious.mkdir(parents=True)
    outside.mkdir()
    photo = _encoded(skdata.astronaut(), "JPEG")
    (suspicious / "real.png").write_bytes(photo)  # a JPEG under a .png name: decoded as JPEG
    (suspicious / "blank.png").write_bytes(_encoded(np.full((64, 64, 3), 90, dtype=np.uint8), "PNG"))
    (suspicious / "truncated.jpg").write_bytes(photo[: len(photo) // 3])
    (suspicious / "notes.png").write_bytes(b"meeting notes, not an image\n")
    (suspicious / "anim.png").write_bytes(_encoded(np.zeros((8, 8), dtype=np.uint8), "GIF"))
    (suspicious / "bomb.png").write_bytes(_png_bomb(7000, 7000))
    (suspicious / "huge.bmp").write_bytes(b"BM" + b"\0" * MAX_IMAGE_BYTES)
    (outside / "private.png").write_bytes(_encoded(np.zeros((8, 8, 3), dtype=np.uint8), "PNG"))
    (suspicious / "escape.png").symlink_to(outside / "private.png")
    (data / "images" / "threat").symlink_to(outside, target_is_directory=True)


REASONS = {
    "truncated.jpg": "does not decode as JPEG",
    "notes.png": "is not a PNG/JPEG/WEBP/BMP image",
    "anim.png": "is not a PNG/JPEG/WEBP/BMP image",
    "bomb.png": "7000x7000 pixels, over the limit",
    "huge.bmp": "bytes, over the limit",
    "escape.png": "resolves outside the images folder",
    "private.png": "resolves outside the images folder",  # images/threat -> a folder outside
}


def test_hostile_curated_images_are_failed_rows_with_their_reason(scenario_run, tmp_path, monkeypatch):
    data = small_data_dir(scenario_run, tmp_path / "data", per_type=1)
    _hostile_images(data, tmp_path / "outside")
    vlm = RecordingEndpoint()
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({"vlm": {"base_url": vlm.url}}))  # a local VLM, no key
    try:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.groups("multimodal"),
            resources=build_resources(str(data), llm=LlamaServerResource(mode="off")),
            run_config={
                "resources": {"vision_model": {"config": {"endpoint": "vlm"}}},
                "ops": {"multimodal_ground_truth": {"config": {"images_per_category": 0}}},
            },
        )
    finally:
        vlm.close()
    assert result.success
    gt = pd.read_parquet(data / "multimodal_ground_truth.parquet")
    gt.index = gt["path"].map(lambda p: Path(p).name)
    assert gt.loc["real.png", "image_format"] == "JPEG" and gt.loc["blank.png", "image_format"] == "PNG"
    assert gt.loc[["real.png", "blank.png"], "image_error"].isna().all()
    assert (gt.loc[["real.png", "blank.png"], "source"] == "vision_model").all()
    for name, reason in REASONS.items():
        assert reason in gt.loc[name, "image_error"], (name, gt.loc[name, "image_error"])
        assert gt.loc[name, "source"] == "none"
    # only the two valid images reached the vision model, each labelled with its real type
    sent = [r["body"]["messages"][0]["content"][1]["image_url"]["url"][:16] for r in vlm.requests]
    assert sorted(sent) == ["data:image/jpeg;", "data:image/png;b"]
    local = pd.read_parquet(data / "local_pipeline_results.parquet")
    local.index = local["path"].map(lambda p: Path(p).name)
    assert any(d["class"] == "person" for d in json.loads(local.loc["real.png", "detections"]))
    for name, reason in REASONS.items():
        assert not local.loc[name, "parse_ok"] and local.loc[name, "error"].startswith("image rejected:")
        assert reason in local.loc[name, "error"]
    report = json.loads((data / "multimodal_comparison.json").read_text())
    assert sorted(Path(r["path"]).name for r in report["rejected_images"]) == sorted(REASONS)
    assert report["overall"]["images"] == 2


def test_a_server_that_cannot_start_fails_the_local_pipeline_once(scenario_run, tmp_path, monkeypatch):
    monkeypatch.delenv("NVIDIA_API_KEY", raising=False)
    data = small_data_dir(scenario_run, tmp_path / "data", per_type=1)
    curated = data / "images" / "threat"
    curated.mkdir(parents=True)
    for i in range(3):  # three images the detector finds a person in: three analyses wanted
        Image.fromarray(np.roll(skdata.astronaut(), 40 * i, axis=1)).save(curated / f"person{i}.png")
    previous = data / "local_pipeline_results.parquet"
    pd.DataFrame({"path": ["kept"], "parse_ok": [True]}).to_parquet(previous)
    before = previous.read_bytes()
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"GGUF but not really" * 100)
    llm = LlamaServerResource(model_path=str(not_a_model), parallel=1, startup_timeout_s=60)
    start = time.monotonic()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*defs.assets], selection=dg.AssetSelection.assets("multimodal_ground_truth", "local_pipeline_results"),
            resources=build_resources(str(data), llm=llm),
            run_config={"ops": {"multimodal_ground_truth": {"config": {"images_per_category": 0}}}},
            raise_on_error=False, instance=instance,
        )
        logs = [serialize_value(e) for e in instance.all_logs(result.run_id)]
    elapsed = time.monotonic() - start
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "local_pipeline_results"
    description = failure.step_failure_data.user_failure_data.description
    assert "could not start" in description and str(not_a_model) in description
    assert sum("starting llama.cpp server" in line for line in logs) == 1  # tried once, not once per image
    assert previous.read_bytes() == before  # the previous output is kept
    assert elapsed < 60
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(not_a_model).encode() in _read(p)]
    assert leftovers == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
