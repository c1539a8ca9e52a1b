import numpy as np
import pytest

from secassets.embedding import MINILM_DIM, EmbeddingError, MiniLMEmbedder, OpenAIEmbedder, l2_normalize
from secassets.endpoints import Endpoint


@pytest.fixture(scope="module")
def embedder():
    return MiniLMEmbedder()


def test_paraphrase_is_closer_than_an_unrelated_sentence(embedder):
    v = embedder.embed([
        "A man is crouching by the front door at night trying the handle.",
        "At night someone squats at the front entrance and tries to open the door.",
        "A cat is sleeping in the sun on the garden wall.",
    ])
    assert v.shape == (3, MINILM_DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_order_is_kept_when_batches_are_length_sorted(embedder):
    texts = ["short", "a much longer sentence about a delivery van in the driveway", "mid length text here"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_zero_vectors_are_refused():
    with pytest.raises(EmbeddingError, match="all-zero"):
        l2_normalize(np.zeros((1, 4), dtype=np.float32))


def test_endpoint_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("SECASSETS_TEST_KEY", raising=False)
    with pytest.raises(EmbeddingError, match="SECASSETS_TEST_KEY is not set"):
        endpoint = Endpoint(name="embed", base_url="http://127.0.0.1:9", api_key_env="SECASSETS_TEST_KEY")
        OpenAIEmbedder(endpoint, "nv-embed").embed(["x"])


def test_dead_endpoint_is_a_clear_error():
    from secassets.llama_server import free_port

    with pytest.raises(EmbeddingError, match="embedding request to http://127.0.0.1:.* failed"):
        OpenAIEmbedder(Endpoint(name="dead", base_url=f"http://127.0.0.1:{free_port()}"), "m").embed(["x"])


class CountingEmbedder:
    """The real model, counting which texts reach it."""

    def __init__(self, inner):
        self.inner, self.model_id, self.seen = inner, inner.model_id, []

    def embed(self, texts):
        self.seen.extend(texts)
        return self.inner.embed(texts)


def test_cache_sends_only_new_texts_and_returns_the_same_vectors(embedder, tmp_path):
    from secassets.embedding import EmbeddingCache

    cache, counting = EmbeddingCache(tmp_path / "cache.npz"), CountingEmbedder(embedder)
    texts = ["a van in the driveway", "a person at the door", "a van in the driveway"]
    first, hits = cache.embed(counting, texts)
    assert hits == 0 and sorted(counting.seen) == ["a person at the door", "a van in the driveway"]
    assert np.allclose(first, embedder.embed(texts), atol=1e-4)
    counting.seen.clear()
    again, hits = cache.embed(counting, texts)
    assert hits == 3 and counting.seen == [] and again.tobytes() == first.tobytes()
    changed, hits = cache.embed(counting, ["a van in the driveway", "a cat on the wall"])
    assert hits == 1 and counting.seen == ["a cat on the wall"]
    assert changed[0].tobytes() == first[0].tobytes()


def test_a_damaged_cache_is_a_miss_not_an_error(embedder, tmp_path):
    from secassets.embedding import EmbeddingCache

    (tmp_path / "cache.npz").write_bytes(b"not a zip")
    vectors, hits = EmbeddingCache(tmp_path / "cache.npz").embed(embedder, ["a person at the door"])
    assert hits == 0 and vectors.shape == (1, MINILM_DIM)
