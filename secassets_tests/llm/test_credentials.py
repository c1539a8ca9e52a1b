import pytest

from secassets.llm.client import LlamaClient, LlamaRequestError
from secassets.llm.credentials import MissingCredentialError, bearer_headers


def test_key_comes_from_the_named_variable(monkeypatch):
    monkeypatch.setenv("SECASSETS_TEST_KEY", "sk-secret-123456")
    assert bearer_headers("SECASSETS_TEST_KEY", "x") == {"Authorization": "Bearer sk-secret-123456"}
    assert bearer_headers(None, "x") == {}


def test_missing_variable_is_named_and_no_key_leaks(monkeypatch):
    monkeypatch.delenv("SECASSETS_TEST_KEY", raising=False)
    with pytest.raises(MissingCredentialError, match="SECASSETS_TEST_KEY is not set"):
        bearer_headers("SECASSETS_TEST_KEY", "x")
    with pytest.raises(LlamaRequestError, match="SECASSETS_TEST_KEY is not set"):
        LlamaClient(["http://127.0.0.1:9"], api_key_env="SECASSETS_TEST_KEY")
