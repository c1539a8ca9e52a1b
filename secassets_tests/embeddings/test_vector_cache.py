import numpy as np
import pytest

from secassets.embeddings.embedders import MINILM_DIM, MiniLMEmbedder
from secassets.embeddings.vector_cache import EmbeddingCache


@pytest.fixture(scope="module")
def embedder():
    return MiniLMEmbedder()


class CountingEmbedder:
    """The real model, counting which texts reach it."""

    def __init__(self, inner):
        self.inner, self.model_id, self.seen = inner, inner.model_id, []

    def embed(self, texts):
        self.seen.extend(texts)
        return self.inner.embed(texts)


def test_cache_sends_only_new_texts_and_returns_the_same_vectors(embedder, tmp_path):
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
    (tmp_path / "cache.npz").write_bytes(b"not a zip")
    vectors, hits = EmbeddingCache(tmp_path / "cache.npz").embed(embedder, ["a person at the door"])
    assert hits == 0 and vectors.shape == (1, MINILM_DIM)
