"""Named model endpoints: which URL receives which API key is deployment configuration, never run config.

Run config (the launchpad) may only *name* an endpoint; the URL, and the environment variable
whose key is sent there as a Bearer token, come from code (the built-ins below) or from the
deployment's environment (``SECASSETS_ENDPOINTS``, a JSON object). So nobody with access to the
launchpad can pair ``NVIDIA_API_KEY`` with a URL of their choosing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secassets.core.errors import InvalidNameError, SecassetsError
from secassets.core.names import anchored, check_name
from secassets.llm.credentials import bearer_headers

ENDPOINTS_ENV = "SECASSETS_ENDPOINTS"
ENDPOINT_NAME_PATTERN = anchored("endpoint")


class EndpointConfigError(SecassetsError, ValueError):
    """The deployment's endpoint table is malformed, or run config named an endpoint that is not in it."""


class Endpoint(BaseModel):
    """One model endpoint: its base URL (without /v1) and the variable holding its key ('' = no key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=ENDPOINT_NAME_PATTERN)
    base_url: str
    api_key_env: str = Field(default="", pattern=r"^$|^[A-Za-z_][A-Za-z0-9_]*$")
    model: str = ""

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    def headers(self, purpose: str) -> dict[str, str]:
        """The Authorization header for this endpoint only (MissingCredentialError when the variable is unset)."""
        return bearer_headers(self.api_key_env or None, f"{purpose} (endpoint {self.name!r})")


BUILTIN_ENDPOINTS: dict[str, Endpoint] = {
    "nvidia": Endpoint(name="nvidia", base_url="https://integrate.api.nvidia.com", api_key_env="NVIDIA_API_KEY"),
}


def json_table(environ: Mapping[str, str] | None, variable: str, shape: str,
               error: type[ValueError]) -> dict[str, dict[str, Any]]:
    """A deployment table from an environment variable: {name: {field: value}} ({} when unset); `shape` is the
    example an error shows, `error` the exception it raises."""
    env = os.environ if environ is None else environ
    raw = env.get(variable, "").strip()
    if not raw:
        return {}
    try:
        table = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise error(f"{variable} is not valid JSON ({exc}); expected {shape}") from None
    if not isinstance(table, dict):
        raise error(f"{variable} must be a JSON object of name -> entry ({shape}), got {type(table).__name__}")
    for name, fields in table.items():
        if not isinstance(fields, dict):
            raise error(f"{variable}[{name!r}] must be an object: {shape}")
    return table


def configured_endpoints(environ: Mapping[str, str] | None = None) -> dict[str, Endpoint]:
    """The built-ins plus ``SECASSETS_ENDPOINTS`` = {"name": {"base_url": ..., "api_key_env": ..., "model": ...}}."""
    endpoints = dict(BUILTIN_ENDPOINTS)
    table = json_table(environ, ENDPOINTS_ENV, '{"name": {"base_url": ..., "api_key_env": ..., "model": ...}}',
                       EndpointConfigError)
    for name, fields in table.items():
        try:
            check_name("endpoint", name, field=f"{ENDPOINTS_ENV}[{name!r}]")
        except InvalidNameError as exc:
            raise EndpointConfigError(exc.problem, field=exc.field, fix=exc.fix) from None
        try:
            endpoints[name] = Endpoint(name=name, **fields)
        except (ValidationError, TypeError) as exc:
            raise EndpointConfigError(f"{ENDPOINTS_ENV}[{name!r}] is invalid: {exc}") from None
    return endpoints


def resolve_endpoint(name: str, setting: str, environ: Mapping[str, str] | None = None) -> Endpoint:
    """The configured endpoint called name; the error lists the known names and how to add one."""
    endpoints = configured_endpoints(environ)
    if name not in endpoints:
        raise EndpointConfigError(
            f"{setting} names endpoint {name!r}, which this deployment does not configure; known: {sorted(endpoints)}. "
            f"Add it to the {ENDPOINTS_ENV} environment variable of the code location (not to run config)."
        )
    return endpoints[name]
