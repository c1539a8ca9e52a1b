"""Chat messages, and the three ways they reach a model as one prompt.

A prompt template produces messages (system, user). How they become what the model reads is the
prompt format, a setting recorded with every answer:

- "model": the llama.cpp server renders them with the model's own chat template (POST /apply-template),
  and that prompt goes to POST /completion, constrained by the answer's JSON schema;
- "chat": POST /v1/chat/completions, the OpenAI-compatible route of llama.cpp, NVIDIA's API catalog and NIMs;
- "chatml": raw ChatML rendered here (`chatml`) and sent to POST /completion: the seed's production path.

A llama.cpp server whose GGUF has no chat template does not refuse "model" or "chat": it silently
falls back to its built-in ChatML template (LLAMA_CPP_FALLBACK_TEMPLATE), so a base model is then
prompted in a format it never saw. `model_chat_template` turns that case into NoChatTemplateError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["system", "user", "assistant"]
PromptFormat = Literal["model", "chat", "chatml"]
PROMPT_FORMATS: dict[PromptFormat, str] = {
    "model": "the server renders the messages with the model's own chat template (/apply-template), then /completion",
    "chat": "the messages go to /v1/chat/completions (OpenAI-compatible: llama.cpp, NVIDIA API catalog, NIM)",
    "chatml": "the messages are rendered here as raw ChatML and sent to /completion",
}
StructuredOutput = Literal["grammar", "response_format", "nvext", "none"]
STRUCTURED_OUTPUTS: dict[StructuredOutput, str] = {
    "grammar": "llama.cpp's own GBNF grammar derived from the schema (the caller sends it as `grammar`): the one "
    "constraint llama.cpp's chat route enforces",
    "response_format": 'OpenAI response_format {"type": "json_schema", ...}: llama.cpp, NVIDIA API catalog',
    "nvext": 'NIM\'s nvext {"guided_json": schema}',
    "none": "no schema is sent; the prompt alone asks for JSON",
}
SCHEMA_NAME = "answer"

# llama.cpp's built-in ChatML template (CHATML_TEMPLATE_SRC in common/chat.cpp): what /props reports as
# chat_template when the GGUF carries none (measured: gemma-3-270m base reports exactly this text).
LLAMA_CPP_FALLBACK_TEMPLATE = (
    "{%- for message in messages -%}\n"
    "  {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "  {{- '<|im_start|>assistant\n' -}}\n"
    "{%- endif -%}"
)


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str


class NoChatTemplateError(RuntimeError):
    """The model behind a llama.cpp server has no chat template of its own; the message names the setting to use."""


def to_messages(messages: Iterable[Message | Mapping[str, Any]]) -> list[Message]:
    """Messages as Message objects (dicts are validated: role system|user|assistant, content a string)."""
    return [m if isinstance(m, Message) else Message.model_validate(dict(m)) for m in messages]


def message_dicts(messages: Iterable[Message | Mapping[str, Any]]) -> list[dict[str, str]]:
    """Messages as the JSON objects every chat endpoint takes."""
    return [m.model_dump() for m in to_messages(messages)]


def chatml(messages: Iterable[Message | Mapping[str, Any]]) -> str:
    """The ChatML prompt of the messages, ending where the assistant's answer starts."""
    turns = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in to_messages(messages))
    return f"{turns}<|im_start|>assistant\n"


def structured_output_fields(json_schema: Mapping[str, Any] | None, structured: StructuredOutput) -> dict[str, Any]:
    """The request fields that tell a chat endpoint the answer's JSON schema ({} without a schema or with "none")."""
    if json_schema is None or structured in ("none", "grammar"):  # a grammar travels in the request's extra fields
        return {}
    if structured == "response_format":
        return {"response_format": {
            "type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": dict(json_schema), "strict": True},
        }}
    if structured == "nvext":
        return {"nvext": {"guided_json": dict(json_schema)}}
    raise ValueError(f"structured output must be one of {sorted(STRUCTURED_OUTPUTS)}, got {structured!r}")


def chat_template_of(props: Mapping[str, Any]) -> str | None:
    """The model's own chat template from a llama.cpp /props body; None when it has none.

    None for a missing or empty chat_template and for llama.cpp's ChatML fallback (what the server
    reports for a GGUF without tokenizer.chat_template). A GGUF that ships that exact text as its own
    template reads as None too; it is prompted identically by prompt_format "chatml".
    """
    template = props.get("chat_template") if isinstance(props, Mapping) else None
    if not isinstance(template, str) or not template.strip():
        return None
    if template.strip() == LLAMA_CPP_FALLBACK_TEMPLATE.strip():
        return None
    return template


def model_chat_template(props: Mapping[str, Any], *, base_url: str = "") -> str:
    """The model's own chat template, or NoChatTemplateError naming the settings that fix it."""
    template = chat_template_of(props)
    if template is not None:
        return template
    where = f" at {base_url}" if base_url else ""
    model = (props.get("model_path") or props.get("model_alias")) if isinstance(props, Mapping) else None
    raise NoChatTemplateError(
        f"{model or 'the model'} (llama.cpp server{where}) has no chat template of its own; llama.cpp would silently prompt it in "
        "its built-in ChatML. Set prompt_format: chatml to send ChatML knowingly, or start the server with "
        "--chat-template-file <file> (the model's real template) to use prompt_format: model or chat."
    )
