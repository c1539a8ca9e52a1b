import pytest

from secassets.definitions import llm_resource_from_env


def test_deployment_env_picks_the_llm_mode(monkeypatch):
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "production")
    monkeypatch.setenv("SECASSETS_LLM_BASE_URLS", "http://127.0.0.1:8091, http://127.0.0.1:8092")
    monkeypatch.setenv("SECASSETS_LLM_API_KEY_ENV", "NVIDIA_API_KEY")
    llm = llm_resource_from_env()
    assert llm.mode == "attached" and llm.base_urls == ["http://127.0.0.1:8091", "http://127.0.0.1:8092"]
    assert llm.api_key_env == "NVIDIA_API_KEY"
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "off")
    assert llm_resource_from_env().mode == "off"


def test_local_deployment_reads_gpu_layers(monkeypatch):
    monkeypatch.setenv("SECASSETS_DEPLOYMENT", "local")
    monkeypatch.setenv("SECASSETS_LLM_N_GPU_LAYERS", "99")
    assert llm_resource_from_env().n_gpu_layers == 99


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SECASSETS_DEPLOYMENT", "staging", "must be local, production or off"),
    ("SECASSETS_LLM_N_GPU_LAYERS", "all", "SECASSETS_LLM_N_GPU_LAYERS must be an integer"),
])
def test_bad_environment_values_name_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=expected):
        llm_resource_from_env()
