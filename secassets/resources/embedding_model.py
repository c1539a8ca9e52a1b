"""EmbeddingModel: the sentence-embedding model the embeddings asset uses.

provider 'minilm' (default): all-MiniLM-L6-v2 int8 ONNX on the CPU, installed from the registries.
provider 'openai': an OpenAI-compatible /v1/embeddings endpoint (llama-server --embeddings,
NVIDIA nv-embed), with the key read from the environment variable named by api_key_env.
"""

from __future__ import annotations

from typing import Literal

import dagster as dg
from pydantic import Field

from secassets.embedding import MINILM_DIM, Embedder, MiniLMEmbedder, OpenAIEmbedder


class EmbeddingModel(dg.ConfigurableResource):
    """Which embedding model turns scenario text into vectors."""

    provider: Literal["minilm", "openai"] = Field(default="minilm", description="minilm (offline) or openai (endpoint).")
    base_url: str = Field(default="", description="openai: endpoint base URL (without /v1).")
    model: str = Field(default="", description="openai: model name.")
    api_key_env: str = Field(default="", description="openai: env var holding the API key (e.g. NVIDIA_API_KEY).")
    dimension: int = Field(default=MINILM_DIM, description="Expected vector dimension (checked).")
    threads: int = Field(default=1, description="minilm: onnxruntime threads.")
    batch_size: int = Field(default=16, description="Texts per model call.")

    def embedder(self) -> Embedder:
        if self.provider == "minilm":
            return MiniLMEmbedder(threads=self.threads, batch_size=self.batch_size)
        if not self.base_url or not self.model:
            raise dg.Failure("EmbeddingModel provider 'openai' needs base_url and model")
        return OpenAIEmbedder(self.base_url, self.model, api_key_env=self.api_key_env or None, batch_size=self.batch_size)
