"""VisionModel: the stronger vision model whose answers are multimodal ground truth.

Enabled when its API key variable is set (default NVIDIA_API_KEY, NVIDIA's OpenAI-compatible
endpoint) or when local=True with base_url at a local vision-language server; otherwise rendered images
use the renderer's own record as ground truth and curated images are reported as lacking it.
"""

import os

import dagster as dg
from pydantic import Field

from secassets.response_cache import ResponseCache
from secassets.vision_truth import VisionClient


class VisionModel(dg.ConfigurableResource):
    """Which vision model answers for the images; off (no key, not local) means no model truth."""

    base_url: str = Field(default="https://integrate.api.nvidia.com", description="OpenAI-compatible base URL (without /v1).")
    model: str = Field(default="meta/llama-3.2-90b-vision-instruct", description="Vision model name.")
    api_key_env: str = Field(default="NVIDIA_API_KEY", description="Env var with the key; empty for a local server.")
    local: bool = Field(default=False, description="True when base_url is a local server that needs no key.")

    @property
    def enabled(self) -> bool:
        return self.local or bool(self.api_key_env and os.environ.get(self.api_key_env))

    def client(self, cache: ResponseCache) -> VisionClient:
        return VisionClient(self.base_url, self.model, None if self.local else self.api_key_env, cache)
