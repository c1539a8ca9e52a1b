import json

import pytest

from secassets.defs.resources.deployment import llm_resource_from_env

ENDPOINTS = {"gpu-1": {"base_url": "http://127.0.0.1:8091"}, "gpu-2": {"base_url": "http://127.0.0.1:8092"}}


def test_deployment_env_picks_the_llm_mode(monkeypatch):
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "production")
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps(ENDPOINTS))
    monkeypatch.setenv("SECASSETS_LLM_ENDPOINTS", "gpu-1, gpu-2")
    llm = llm_resource_from_env()
    assert llm.mode == "attached" and llm.endpoints == ["gpu-1", "gpu-2"]
    assert [e.base_url for e in llm.attached_endpoints()] == ["http://127.0.0.1:8091", "http://127.0.0.1:8092"]
    assert llm.api_key_env == ""
    monkeypatch.setenv("SECASSETS_LLM_ENDPOINTS", "nvidia")
    assert llm_resource_from_env().api_key_env == "NVIDIA_API_KEY"  # the built-in endpoint pairs the key with its URL
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "off")
    assert llm_resource_from_env().mode == "off"


def test_local_deployment_reads_gpu_layers(monkeypatch):
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "local")
    monkeypatch.setenv("SECASSETS_LLM_N_GPU_LAYERS", "99")
    assert llm_resource_from_env().n_gpu_layers == 99


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SECASSETS_DEPLOYMENT", "staging", "must be one of local, gpu, attached, nvidia, off"),
    ("SECASSETS_LLM_N_GPU_LAYERS", "all", "SECASSETS_LLM_N_GPU_LAYERS must be an integer"),
    ("SECASSETS_LLM_N_GPU_LAYERS", "-5", "SECASSETS_LLM_N_GPU_LAYERS"),
    ("SECASSETS_LLM_BASE_URLS", "http://127.0.0.1:9", "SECASSETS_LLM_BASE_URLS .*no longer read.*SECASSETS_LLM_ENDPOI"),
    ("SECASSETS_LLM_API_KEY_ENV", "NVIDIA_API_KEY", "SECASSETS_LLM_API_KEY_ENV .*no longer read.*SECASSETS_ENDPOINTS"),
])
def test_bad_environment_values_name_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=expected):
        llm_resource_from_env()


def test_production_names_only_configured_endpoints(monkeypatch):
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "production")
    monkeypatch.delenv("SECASSETS_LLM_ENDPOINTS", raising=False)
    with pytest.raises(ValueError, match="needs SECASSETS_LLM_ENDPOINTS"):
        llm_resource_from_env()
    monkeypatch.setenv("SECASSETS_LLM_ENDPOINTS", "evil")
    with pytest.raises(ValueError, match="SECASSETS_LLM_ENDPOINTS names endpoint 'evil'.*SECASSETS_ENDPOINTS"):
        llm_resource_from_env()
