"""Deployment profiles: one environment variable (SECASSETS_DEPLOYMENT) picks where the run's LLM lives.

Read when the code location loads; a wrong or missing setting fails loading with the variable and the fix,
never with a key. See README.md, "Deployment profiles".
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.llm.endpoints import BUILTIN_ENDPOINTS, ENDPOINTS_ENV, resolve_endpoint
from secassets.llm.models import BUNDLED_MODEL, configured_models
from secassets.llm.server import LlamaServerError, resolve_binary

DEPLOYMENT_ENV = "SECASSETS_DEPLOYMENT"
ALL_GPU_LAYERS = 99  # llama.cpp offloads min(n_gpu_layers, the model's layers): 99 puts every layer of these models there
# The deployment profiles, like the resources_by_deployment_name of Dagster's fully featured example: one variable
# picks where the run's LLM lives; each profile reads only its own SECASSETS_LLM_* variables (PROFILE_VARIABLES).
DEPLOYMENTS = ("local", "gpu", "attached", "nvidia", "off")
DEPLOYMENT_ALIASES = {"production": "attached"}  # the name `attached` had before the profiles; still accepted
MANAGED_VARIABLES = ("SECASSETS_LLM_MODEL_PATH", "SECASSETS_LLM_BINARY", "SECASSETS_LLM_N_GPU_LAYERS")
PROFILE_VARIABLES: dict[str, tuple[str, ...]] = {
    "local": MANAGED_VARIABLES,
    "gpu": MANAGED_VARIABLES,
    "attached": ("SECASSETS_LLM_ENDPOINTS", "SECASSETS_LLM_MODEL"),
    "nvidia": ("SECASSETS_LLM_MODEL",),
}
NVIDIA_ENDPOINT = "nvidia"  # the built-in endpoint of secassets.llm.endpoints (NVIDIA's API catalog, NVIDIA_API_KEY)
RETIRED_VARIABLES = ("SECASSETS_LLM_BASE_URLS", "SECASSETS_LLM_API_KEY_ENV")


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _int_env(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer (e.g. 99 = all layers on the GPU), got {raw!r}") from None


def deployment_from_env() -> str:
    """The profile SECASSETS_DEPLOYMENT names ('local' when unset); `production` is read as `attached`."""
    raw = _env(DEPLOYMENT_ENV)
    name = DEPLOYMENT_ALIASES.get(raw.lower(), raw.lower() or "local")
    if name not in DEPLOYMENTS:
        raise ValueError(
            f"{DEPLOYMENT_ENV} must be one of {', '.join(DEPLOYMENTS)} (production = attached), got {raw!r}; "
            "see README.md, Environment variables"
        )
    return name


def _refuse_other_profiles_variables(deployment: str) -> None:
    """A SECASSETS_LLM_* variable that the chosen profile would ignore is a mistake: say which profile reads it."""
    for name in sorted({v for names in PROFILE_VARIABLES.values() for v in names} - set(PROFILE_VARIABLES[deployment])):
        if _env(name):
            readers = [p for p, names in PROFILE_VARIABLES.items() if name in names]
            raise ValueError(
                f"{name} is set but {DEPLOYMENT_ENV}={deployment} does not read it (the {' and '.join(readers)} "
                f"profiles do); unset {name}, or set {DEPLOYMENT_ENV} to {' or '.join(readers)}"
            )


def _model_file_from_env(deployment: str, required: bool) -> str:
    path = _env("SECASSETS_LLM_MODEL_PATH")
    if not path:
        if required:
            raise ValueError(
                f"{DEPLOYMENT_ENV}={deployment} needs SECASSETS_LLM_MODEL_PATH: the GGUF file the managed llama.cpp "
                "server loads onto the GPU (e.g. a Nemotron GGUF)"
            )
        return ""
    if not Path(path).is_file():
        raise ValueError(
            f"SECASSETS_LLM_MODEL_PATH names {path}, which is not a file; point it at a GGUF file"
            + ("" if required else ", or unset it for the bundled SmolLM2 model")
        )
    return path


def _binary_from_env() -> str:
    binary = _env("SECASSETS_LLM_BINARY")
    if binary:
        try:
            resolve_binary(binary)
        except LlamaServerError:
            raise ValueError(
                f"SECASSETS_LLM_BINARY names {binary!r}, which is not an executable file or on PATH; give the full "
                "path of a llama-server, or unset it for the bundled secassets-llama-server"
            ) from None
    return binary


def _managed_from_env(deployment: str) -> LlamaServerResource:
    """local: the bundled model unless SECASSETS_LLM_MODEL_PATH says otherwise, on the CPU unless told;
    gpu: a GGUF that must be named, every layer offloaded unless SECASSETS_LLM_N_GPU_LAYERS says otherwise."""
    gpu = deployment == "gpu"
    n_gpu_layers = _int_env("SECASSETS_LLM_N_GPU_LAYERS", ALL_GPU_LAYERS if gpu else 0)
    if gpu and n_gpu_layers == 0:
        raise ValueError(
            f"{DEPLOYMENT_ENV}=gpu offloads layers to the GPU but SECASSETS_LLM_N_GPU_LAYERS=0 keeps them all on the "
            f"CPU; unset SECASSETS_LLM_N_GPU_LAYERS ({ALL_GPU_LAYERS} = all layers), or use {DEPLOYMENT_ENV}=local"
        )
    return LlamaServerResource(
        mode="managed", model_path=_model_file_from_env(deployment, required=gpu), binary=_binary_from_env(),
        n_gpu_layers=n_gpu_layers,
    )


def _attached_from_env() -> LlamaServerResource:
    names = [n.strip() for n in _env("SECASSETS_LLM_ENDPOINTS").split(",") if n.strip()]
    if not names:
        raise ValueError(
            f"{DEPLOYMENT_ENV}=attached needs SECASSETS_LLM_ENDPOINTS: comma-separated names of endpoints configured "
            f"in {ENDPOINTS_ENV} (or the built-in '{NVIDIA_ENDPOINT}')"
        )
    for name in names:
        resolve_endpoint(name, "SECASSETS_LLM_ENDPOINTS")
    return LlamaServerResource(mode="attached", endpoints=names, model=_env("SECASSETS_LLM_MODEL"))


def _nvidia_from_env() -> LlamaServerResource:
    """The built-in endpoint only: a table entry of the same name would send NVIDIA_API_KEY to another URL."""
    endpoint = resolve_endpoint(NVIDIA_ENDPOINT, DEPLOYMENT_ENV)
    builtin = BUILTIN_ENDPOINTS[NVIDIA_ENDPOINT]
    if endpoint != builtin:
        raise ValueError(
            f"{ENDPOINTS_ENV} redefines the endpoint {NVIDIA_ENDPOINT!r}, but {DEPLOYMENT_ENV}=nvidia uses the built-in "
            f"one ({builtin.base_url} with {builtin.api_key_env}); rename your entry and use {DEPLOYMENT_ENV}=attached"
        )
    if not _env(builtin.api_key_env):
        raise ValueError(
            f"{DEPLOYMENT_ENV}=nvidia needs {builtin.api_key_env}: the API key of {builtin.base_url} (set it in the "
            "code location's environment; it is read there, sent only to that URL and never logged)"
        )
    model = _env("SECASSETS_LLM_MODEL")
    if not model:
        raise ValueError(
            f"{DEPLOYMENT_ENV}=nvidia needs SECASSETS_LLM_MODEL: the hosted model to evaluate, e.g. "
            "nvidia/nvidia-nemotron-nano-9b-v2 (the catalog serves many)"
        )
    return LlamaServerResource(mode="attached", endpoints=[NVIDIA_ENDPOINT], model=model)


def llm_resource_from_env() -> LlamaServerResource:
    """The deployment's LLM, by the profile SECASSETS_DEPLOYMENT names (README.md, Environment variables):

    - local (default): managed llama.cpp, the bundled SmolLM2 GGUF unless SECASSETS_LLM_MODEL_PATH names one;
    - gpu: managed llama.cpp, SECASSETS_LLM_MODEL_PATH required, all layers offloaded (SECASSETS_LLM_N_GPU_LAYERS);
    - attached (alias production): running servers named in SECASSETS_LLM_ENDPOINTS (the SECASSETS_ENDPOINTS table
      pairs each URL with its key variable);
    - nvidia: the built-in NVIDIA endpoint, NVIDIA_API_KEY and SECASSETS_LLM_MODEL required;
    - off: no LLM calls (whatever else is set).

    Every invalid setting or combination raises ValueError here, at definitions load, naming the variable and
    the fix; no message carries a key.
    """
    retired = [name for name in RETIRED_VARIABLES if _env(name)]
    if retired:
        raise ValueError(
            f"{' and '.join(retired)} are no longer read: a URL and the variable of its key are paired in "
            f"{ENDPOINTS_ENV} (JSON: {{\"name\": {{\"base_url\": ..., \"api_key_env\": ...}}}}) and the LLM names "
            "endpoints in SECASSETS_LLM_ENDPOINTS (comma-separated names); unset the old variables"
        )
    deployment = deployment_from_env()
    if deployment == "off":
        return LlamaServerResource(mode="off")
    _refuse_other_profiles_variables(deployment)
    try:
        if deployment == "attached":
            return _attached_from_env()
        if deployment == "nvidia":
            return _nvidia_from_env()
        return _managed_from_env(deployment)
    except ValidationError as exc:
        variables = {"n_gpu_layers": "SECASSETS_LLM_N_GPU_LAYERS (0..999, 99 = all layers on the GPU)"}
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            problems.append(f"{variables.get(field, 'the llm resource')}: {error['msg']}")
        raise ValueError(f"invalid LLM settings in the environment: {'; '.join(problems)}") from None


def deployment_models(llm: LlamaServerResource) -> list[str]:
    """The model partitions this deployment registers: its own model first, then SECASSETS_MODELS (not the bundled
    model unless it is the deployment's: a GPU deployment does not evaluate the smoke model every night)."""
    own = llm.model_spec()
    table = configured_models(own)
    return ([own.name] if own else []) + [m for m in table if m != BUNDLED_MODEL and (own is None or m != own.name)]
