import numpy as np
import pytest

from secassets.embeddings.embedders import MINILM_DIM, EmbeddingError, MiniLMEmbedder, OpenAIEmbedder, l2_normalize
from secassets.llm.endpoints import Endpoint


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
    from secassets.llm.server import free_port

    with pytest.raises(EmbeddingError, match="embedding request to http://127.0.0.1:.* failed"):
        OpenAIEmbedder(Endpoint(name="dead", base_url=f"http://127.0.0.1:{free_port()}"), "m").embed(["x"])
