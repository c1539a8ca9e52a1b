"""SECASSETS_DEPLOYMENT picks where the run's LLM lives: each profile builds its resource, every bad setting fails
at definitions load naming the variable and the fix, and no message carries a key."""

from __future__ import annotations

import json
import uuid

import pytest

from secassets.defs.resources.deployment import llm_resource_from_env
from secassets.llm.endpoints import BUILTIN_ENDPOINTS

VARIABLES = (
    "SECASSETS_DEPLOYMENT", "SECASSETS_LLM_MODEL_PATH", "SECASSETS_LLM_BINARY", "SECASSETS_LLM_N_GPU_LAYERS",
    "SECASSETS_LLM_ENDPOINTS", "SECASSETS_LLM_MODEL", "SECASSETS_ENDPOINTS", "NVIDIA_API_KEY",
    "SECASSETS_LLM_BASE_URLS", "SECASSETS_LLM_API_KEY_ENV",
)
ENDPOINTS = {"gpu-1": {"base_url": "http://127.0.0.1:8091"}, "gpu-2": {"base_url": "http://127.0.0.1:8092"}}
NEMOTRON = "nvidia/nvidia-nemotron-nano-9b-v2"


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean deployment environment; returns a setter (None unsets). GGUF stands for any model file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    gguf = tmp_path / "nemotron-nano.gguf"
    gguf.write_bytes(b"GGUF")

    def setenv(**values: str | None) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value.replace("{gguf}", str(gguf)))
    return setenv


def fields(llm) -> dict:
    return {k: getattr(llm, k) for k in ("mode", "model_path", "binary", "n_gpu_layers", "endpoints", "model")}


MANAGED = {"mode": "managed", "model_path": "", "binary": "", "n_gpu_layers": 0, "endpoints": [], "model": ""}


def test_local_is_the_default_and_manages_the_bundled_model(env):
    assert fields(llm_resource_from_env()) == MANAGED
    env(SECASSETS_DEPLOYMENT="local")
    assert fields(llm_resource_from_env()) == MANAGED


def test_local_takes_a_model_file_and_gpu_layers(env, tmp_path):
    env(SECASSETS_LLM_MODEL_PATH="{gguf}", SECASSETS_LLM_N_GPU_LAYERS="20")
    assert fields(llm_resource_from_env()) == {**MANAGED, "model_path": str(tmp_path / "nemotron-nano.gguf"),
                                               "n_gpu_layers": 20}


def test_gpu_offloads_every_layer_of_the_named_model(env, tmp_path):
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    env(SECASSETS_DEPLOYMENT="gpu", SECASSETS_LLM_MODEL_PATH="{gguf}", SECASSETS_LLM_BINARY=str(binary))
    gguf = str(tmp_path / "nemotron-nano.gguf")
    assert fields(llm_resource_from_env()) == {**MANAGED, "model_path": gguf, "binary": str(binary), "n_gpu_layers": 99}
    env(SECASSETS_LLM_N_GPU_LAYERS="40", SECASSETS_LLM_BINARY=None)  # partial offload when the GPU is too small
    assert fields(llm_resource_from_env()) == {**MANAGED, "model_path": gguf, "n_gpu_layers": 40}


@pytest.mark.parametrize("name", ["attached", "production", "Attached"])
def test_attached_names_running_servers_and_production_is_its_old_name(env, name):
    env(SECASSETS_DEPLOYMENT=name, SECASSETS_ENDPOINTS=json.dumps(ENDPOINTS), SECASSETS_LLM_ENDPOINTS="gpu-1, gpu-2")
    llm = llm_resource_from_env()
    assert fields(llm) == {**MANAGED, "mode": "attached", "endpoints": ["gpu-1", "gpu-2"]}
    assert [e.base_url for e in llm.attached_endpoints()] == ["http://127.0.0.1:8091", "http://127.0.0.1:8092"]
    env(SECASSETS_LLM_ENDPOINTS="nvidia", SECASSETS_LLM_MODEL=NEMOTRON)  # a hosted endpoint works attached too
    assert fields(llm_resource_from_env()) == {**MANAGED, "mode": "attached", "endpoints": ["nvidia"], "model": NEMOTRON}


def test_nvidia_uses_the_builtin_endpoint_with_its_key(env):
    env(SECASSETS_DEPLOYMENT="nvidia", NVIDIA_API_KEY=f"nvapi-{uuid.uuid4().hex}", SECASSETS_LLM_MODEL=NEMOTRON)
    llm = llm_resource_from_env()
    assert fields(llm) == {**MANAGED, "mode": "attached", "endpoints": ["nvidia"], "model": NEMOTRON}
    assert llm.attached_endpoints() == [BUILTIN_ENDPOINTS["nvidia"]] and llm.api_key_env == "NVIDIA_API_KEY"
    # another endpoint table (for the embedding model, say) is fine as long as it leaves `nvidia` alone
    env(SECASSETS_ENDPOINTS=json.dumps(ENDPOINTS))
    assert llm_resource_from_env().attached_endpoints() == [BUILTIN_ENDPOINTS["nvidia"]]


def test_off_turns_the_llm_off_whatever_else_is_set(env):
    env(SECASSETS_DEPLOYMENT="off", SECASSETS_LLM_MODEL_PATH="/nowhere.gguf", SECASSETS_LLM_ENDPOINTS="gpu-1")
    assert llm_resource_from_env().mode == "off"


@pytest.mark.parametrize(("settings", "expected"), [
    ({"SECASSETS_DEPLOYMENT": "staging"},
     r"SECASSETS_DEPLOYMENT must be one of local, gpu, attached, nvidia, off \(production = attached\), got 'staging'"),
    # gpu
    ({"SECASSETS_DEPLOYMENT": "gpu"}, "SECASSETS_DEPLOYMENT=gpu needs SECASSETS_LLM_MODEL_PATH: the GGUF file"),
    ({"SECASSETS_DEPLOYMENT": "gpu", "SECASSETS_LLM_MODEL_PATH": "/models/missing.gguf"},
     "SECASSETS_LLM_MODEL_PATH names /models/missing.gguf, which is not a file; point it at a GGUF file$"),
    ({"SECASSETS_DEPLOYMENT": "gpu", "SECASSETS_LLM_MODEL_PATH": "{gguf}", "SECASSETS_LLM_N_GPU_LAYERS": "0"},
     "SECASSETS_LLM_N_GPU_LAYERS=0 keeps them all on the CPU; unset SECASSETS_LLM_N_GPU_LAYERS .*SECASSETS_DEPLOYMENT=local"),
    ({"SECASSETS_DEPLOYMENT": "gpu", "SECASSETS_LLM_MODEL_PATH": "{gguf}", "SECASSETS_LLM_N_GPU_LAYERS": "all"},
     "SECASSETS_LLM_N_GPU_LAYERS must be an integer"),
    ({"SECASSETS_DEPLOYMENT": "gpu", "SECASSETS_LLM_MODEL_PATH": "{gguf}", "SECASSETS_LLM_N_GPU_LAYERS": "-5"},
     r"SECASSETS_LLM_N_GPU_LAYERS \(0..999"),
    ({"SECASSETS_DEPLOYMENT": "gpu", "SECASSETS_LLM_MODEL_PATH": "{gguf}", "SECASSETS_LLM_ENDPOINTS": "gpu-1"},
     "SECASSETS_LLM_ENDPOINTS is set but SECASSETS_DEPLOYMENT=gpu does not read it .*set SECASSETS_DEPLOYMENT to attached"),
    # local
    ({"SECASSETS_LLM_MODEL_PATH": "/models/missing.gguf"}, "not a file; .*or unset it for the bundled SmolLM2"),
    ({"SECASSETS_LLM_BINARY": "/opt/llama.cpp/no-such-llama-server"},
     "SECASSETS_LLM_BINARY names '/opt/llama.cpp/no-such-llama-server', which is not an executable"),
    ({"SECASSETS_LLM_MODEL": NEMOTRON},
     "SECASSETS_LLM_MODEL is set but SECASSETS_DEPLOYMENT=local does not read it .*attached and nvidia.*attached or nvidia"),
    # attached
    ({"SECASSETS_DEPLOYMENT": "attached"}, "SECASSETS_DEPLOYMENT=attached needs SECASSETS_LLM_ENDPOINTS"),
    ({"SECASSETS_DEPLOYMENT": "attached", "SECASSETS_LLM_ENDPOINTS": "evil"},
     "SECASSETS_LLM_ENDPOINTS names endpoint 'evil', which this deployment does not configure.*SECASSETS_ENDPOINTS"),
    ({"SECASSETS_DEPLOYMENT": "production", "SECASSETS_LLM_ENDPOINTS": "nvidia", "SECASSETS_LLM_N_GPU_LAYERS": "99"},
     "SECASSETS_LLM_N_GPU_LAYERS is set but SECASSETS_DEPLOYMENT=attached does not read it .*local or gpu"),
    # nvidia
    ({"SECASSETS_DEPLOYMENT": "nvidia", "SECASSETS_LLM_MODEL": NEMOTRON}, "SECASSETS_DEPLOYMENT=nvidia needs NVIDIA_API_KEY"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "SECASSETS_LLM_MODEL": NEMOTRON, "NVIDIA_API_KEY": "  "}, "needs NVIDIA_API_KEY"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "NVIDIA_API_KEY": "{key}"},
     "SECASSETS_DEPLOYMENT=nvidia needs SECASSETS_LLM_MODEL: .*nvidia/nvidia-nemotron-nano-9b-v2"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "NVIDIA_API_KEY": "{key}", "SECASSETS_LLM_MODEL": NEMOTRON,
      "SECASSETS_ENDPOINTS": json.dumps({"nvidia": {"base_url": "http://127.0.0.1:9", "api_key_env": "NVIDIA_API_KEY"}})},
     "SECASSETS_ENDPOINTS redefines the endpoint 'nvidia'.*rename your entry and use SECASSETS_DEPLOYMENT=attached"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "NVIDIA_API_KEY": "{key}", "SECASSETS_LLM_MODEL": NEMOTRON,
      "SECASSETS_LLM_ENDPOINTS": "gpu-1"}, "SECASSETS_LLM_ENDPOINTS is set but SECASSETS_DEPLOYMENT=nvidia"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "NVIDIA_API_KEY": "{key}", "SECASSETS_ENDPOINTS": "{not json"},
     "SECASSETS_ENDPOINTS is not valid JSON"),
    # retired variables, whatever the profile
    ({"SECASSETS_LLM_BASE_URLS": "http://127.0.0.1:9"}, "SECASSETS_LLM_BASE_URLS .*no longer read.*SECASSETS_LLM_ENDPOI"),
    ({"SECASSETS_DEPLOYMENT": "nvidia", "SECASSETS_LLM_API_KEY_ENV": "NVIDIA_API_KEY"},
     "SECASSETS_LLM_API_KEY_ENV .*no longer read.*SECASSETS_ENDPOINTS"),
])
def test_a_bad_setting_fails_loading_and_names_the_variable_and_the_fix(env, settings, expected):
    key = f"nvapi-{uuid.uuid4().hex}"
    env(**{name: value.replace("{key}", key) for name, value in settings.items()})
    with pytest.raises(ValueError, match=expected) as info:
        llm_resource_from_env()
    assert key not in str(info.value)
