"""The model table: what a model partition key names, and a clear refusal for one it cannot reach."""

import json

import pytest

from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.llm.models import (
    BUNDLED_MODEL,
    ModelConfigError,
    ModelSpec,
    configured_models,
    model_name,
    resolve_model,
)


def test_the_table_holds_the_bundled_model_the_deployments_and_the_environments():
    own = ModelSpec(name="nemotron-nano", gguf="/models/nemotron.gguf", n_gpu_layers=99)
    env = {"SECASSETS_MODELS": json.dumps({"gemma": {"gguf": "/m/gemma.gguf", "prompt_format": "chatml"},
                                           "hosted": {"endpoint": "nvidia", "model": "nvidia/nemotron-mini-4b"}})}
    table = configured_models(own, env)
    assert list(table) == [BUNDLED_MODEL, "nemotron-nano", "gemma", "hosted"]
    assert table["gemma"].prompt_format == "chatml" and table["gemma"].kind == "managed"
    assert table["hosted"].endpoints == ("nvidia",) and table["hosted"].kind == "attached"


@pytest.mark.parametrize(("raw", "message"), [
    ("{not json", "not valid JSON"),
    ('["a"]', "must be a JSON object"),
    ('{"a": 3}', "must be an object"),
    ('{"Bad Name": {"gguf": "x"}}', "not valid: it must be a lowercase letter or digit"),
    ('{"a": {"gguf": "x", "endpoint": "nvidia"}}', "not both"),
    ('{"cache": {"gguf": "x"}}', "reserved"),
])
def test_a_malformed_table_is_refused_with_the_variable(raw, message):
    with pytest.raises(ModelConfigError, match=message):
        configured_models(None, {"SECASSETS_MODELS": raw})


def test_a_key_resolves_to_the_table_an_endpoint_or_a_gguf_in_the_models_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECASSETS_ENDPOINTS", raising=False)
    table = configured_models(None, {})
    assert resolve_model(BUNDLED_MODEL, table, tmp_path).gguf == ""
    assert resolve_model("nvidia", table, tmp_path).endpoints == ("nvidia",)
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF")
    assert resolve_model("tiny", table, tmp_path).gguf == str(tmp_path / "tiny.gguf")
    with pytest.raises(ModelConfigError, match=r"'nowhere' names no model .* SECASSETS_MODELS .* delete the partition"):
        resolve_model("nowhere", table, tmp_path)


def test_names_are_partition_safe():
    assert model_name("nvidia/NVIDIA-Nemotron-Nano-9B-v2") == "nvidia-nvidia-nemotron-nano-9b-v2"
    assert model_name("SmolLM2-135M-Instruct.Q4_1") == "smollm2-135m-instruct.q4_1"
    assert model_name("cache") == "cache-model" and "|" not in model_name("a|b")


def test_the_deployments_llm_is_its_own_model_and_another_model_gets_a_copy_with_the_same_server_settings():
    llm = LlamaServerResource(parallel=2, ctx_size=4096)
    own = llm.model_spec()
    assert own == ModelSpec(name=BUNDLED_MODEL)
    assert llm.for_model(own) is llm
    other = llm.for_model(ModelSpec(name="gemma", gguf="/m/gemma.gguf"))
    assert other is not llm and other.model_path == "/m/gemma.gguf" and other.parallel == 2 and other.ctx_size == 4096
    hosted = llm.for_model(ModelSpec(name="hosted", endpoints=("nvidia",), model="nvidia/nemotron-mini-4b"))
    assert hosted.mode == "attached" and hosted.endpoints == ["nvidia"] and hosted.model == "nvidia/nemotron-mini-4b"
    assert LlamaServerResource(mode="attached", endpoints=["prod"], model="Nemotron/Nano").model_spec().name == "nemotron-nano"
