"""VisionModel: the stronger vision model whose answers are multimodal ground truth.

It names an endpoint of the deployment (secassets.llm.endpoints): the built-in 'nvidia' (NVIDIA's
OpenAI-compatible API, key in NVIDIA_API_KEY) by default, or one registered in SECASSETS_ENDPOINTS
such as a local vision-language server with no key. The URL and key variable are never run
config. Enabled when the endpoint's key variable is set or the endpoint needs no key; otherwise
rendered images use the renderer's own record as ground truth and curated images are reported as
lacking it.
"""

import os

import dagster as dg
from pydantic import Field

from secassets.llm.cache import ResponseCache
from secassets.llm.endpoints import Endpoint, EndpointConfigError, resolve_endpoint
from secassets.multimodal.vision import VisionClient

DEFAULT_VISION_MODEL = "meta/llama-3.2-90b-vision-instruct"


class VisionModel(dg.ConfigurableResource):
    """Which vision model answers for the images; off (endpoint key not set) means no model truth."""

    endpoint: str = Field(
        default="nvidia", max_length=63,
        description="Name of an endpoint the deployment configures (built-in 'nvidia', or SECASSETS_ENDPOINTS); "
        "its URL and key variable are not run config.",
    )
    model: str = Field(default="", max_length=200, description=f"Vision model name; empty = the endpoint's model, else {DEFAULT_VISION_MODEL}.")

    def resolved_endpoint(self) -> Endpoint:
        try:
            return resolve_endpoint(self.endpoint, "vision_model.endpoint")
        except EndpointConfigError as exc:
            raise dg.Failure(str(exc)) from None

    @property
    def model_name(self) -> str:
        return self.model or self.resolved_endpoint().model or DEFAULT_VISION_MODEL

    @property
    def enabled(self) -> bool:
        endpoint = self.resolved_endpoint()
        return not endpoint.api_key_env or bool(os.environ.get(endpoint.api_key_env))

    def client(self, cache: ResponseCache) -> VisionClient:
        return VisionClient(self.resolved_endpoint(), self.model_name, cache)
