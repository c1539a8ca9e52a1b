"""EmbeddingModel: the sentence-embedding model the embeddings asset uses.

provider 'minilm' (default): all-MiniLM-L6-v2 int8 ONNX on the CPU, installed from the registries.
provider 'openai': an OpenAI-compatible /v1/embeddings endpoint (llama-server --embeddings,
NVIDIA nv-embed) named by ``endpoint``. Which URL that is, and which environment variable holds
its key, is deployment configuration (secassets.llm.endpoints, SECASSETS_ENDPOINTS), never run
config: the launchpad can pick an endpoint, not pair a key with a URL.
"""

from __future__ import annotations

from typing import Literal

import dagster as dg
from pydantic import Field

from secassets.embeddings.embedders import MINILM_DIM, Embedder, EmbeddingError, MiniLMEmbedder, OpenAIEmbedder
from secassets.llm.endpoints import EndpointConfigError, resolve_endpoint


class EmbeddingModel(dg.ConfigurableResource):
    """Which embedding model turns scenario text into vectors."""

    provider: Literal["minilm", "openai"] = Field(default="minilm", description="minilm (offline) or openai (endpoint).")
    endpoint: str = Field(
        default="", max_length=63,
        description="openai: name of an endpoint the deployment configures (built-in 'nvidia', or SECASSETS_ENDPOINTS); "
        "its URL and key variable are not run config.",
    )
    model: str = Field(default="", max_length=200, description="openai: model name; empty = the endpoint's model.")
    dimension: int = Field(default=MINILM_DIM, ge=1, le=16384, description="Expected vector dimension (checked), 1-16384.")
    threads: int = Field(default=1, ge=1, le=64, description="minilm: onnxruntime threads (1-64).")
    batch_size: int = Field(default=16, ge=1, le=2048, description="Texts per model call (1-2048).")
    timeout_s: float = Field(default=60.0, gt=0, le=3600, allow_inf_nan=False, description="openai: per-request timeout (s).")

    def embedder(self) -> Embedder:
        """The configured model; dg.Failure naming the setting when the endpoint is missing or unknown."""
        if self.provider == "minilm":
            return MiniLMEmbedder(threads=self.threads, batch_size=self.batch_size)
        if not self.endpoint:
            raise dg.Failure("embedding_model provider 'openai' needs endpoint: the name of a configured endpoint")
        try:
            endpoint = resolve_endpoint(self.endpoint, "embedding_model.endpoint")
            return OpenAIEmbedder(endpoint, self.model, timeout_s=self.timeout_s, batch_size=self.batch_size)
        except (EndpointConfigError, EmbeddingError) as exc:
            raise dg.Failure(str(exc)) from None
