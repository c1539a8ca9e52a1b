"""Models under evaluation: each model partition names one, and how to reach it is deployment configuration.

A model is a managed GGUF (the pipeline starts llama.cpp on it), an attached llama.cpp server or a
hosted OpenAI-compatible model (an endpoint of secassets.llm.endpoints, which pairs the URL with its
key variable). The table is the built-in bundled model, the deployment's own model (the llm
resource) and ``SECASSETS_MODELS`` (JSON: {"name": {"gguf": path} | {"endpoint": name, "model": id}}).
A partition key added in the UI that is not in the table may still name an endpoint or a GGUF file
in the models folder (<data>/models/<name>.gguf); anything else is refused with the known names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from secassets.core.errors import InvalidNameError, SecassetsError
from secassets.core.names import NAME_RULES, anchored, check_name
from secassets.llm.chat import PromptFormat
from secassets.llm.endpoints import configured_endpoints, json_table

MODELS_ENV: Final = "SECASSETS_MODELS"
MODEL_NAME_PATTERN: Final = anchored("model")
RESERVED_NAMES: Final = NAME_RULES["model"].reserved  # prompt_evaluations/cache/ holds the answer cache
BUNDLED_MODEL: Final = "smollm2-135m"  # the bundled SmolLM2-135M-Instruct GGUF (`local` deployment)
MODELS_DIR: Final = "models"  # <data>/models/<name>.gguf: a GGUF a partition key may name


class ModelConfigError(SecassetsError, ValueError):
    """The model table is malformed, or a model partition names no model this deployment can reach."""


class ModelSpec(BaseModel):
    """One model: a managed GGUF (gguf), or endpoints (attached llama.cpp or hosted, with the model id to ask for)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    gguf: str = Field(default="", description="managed: path of the GGUF file; empty with no endpoints = bundled.")
    n_gpu_layers: int = Field(default=0, ge=0, le=999)
    endpoints: tuple[str, ...] = Field(default=(), description="attached/hosted: endpoint names (replicas of one model).")
    model: str = Field(default="", description="the model id sent to an OpenAI-compatible endpoint.")
    prompt_format: PromptFormat | None = Field(
        default=None, description="this model's prompt format (e.g. chatml for a GGUF without a chat template); "
        "None = the run config's.")

    @model_validator(mode="after")
    def _one_kind(self) -> ModelSpec:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"model name {self.name!r} is reserved")
        if self.gguf and self.endpoints:
            raise ValueError("a model is a managed GGUF (gguf) or endpoints, not both")
        return self

    @property
    def kind(self) -> str:
        return "attached" if self.endpoints else "managed"


def model_name(text: str) -> str:
    """A partition-safe name for a file stem or model id ('nvidia/Nemotron-Nano-9B' -> 'nvidia-nemotron-nano-9b')."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")[:63] or "model"
    return name if name not in RESERVED_NAMES else f"{name}-model"


def configured_models(deployment: ModelSpec | None = None, environ: Mapping[str, str] | None = None) -> dict[str, ModelSpec]:
    """The bundled model, the deployment's model and SECASSETS_MODELS, by name (later entries win)."""
    table: dict[str, ModelSpec] = {BUNDLED_MODEL: ModelSpec(name=BUNDLED_MODEL)}
    if deployment is not None:
        table[deployment.name] = deployment
    entries = json_table(environ, MODELS_ENV, '{"name": {"gguf": path} or {"endpoint": name, "model": id}}',
                         ModelConfigError)
    for name, fields in entries.items():
        fields = dict(fields)
        if "endpoint" in fields:
            fields["endpoints"] = [fields.pop("endpoint")]
        try:
            check_name("model", name, field=f"{MODELS_ENV}[{name!r}]")
        except InvalidNameError as exc:
            raise ModelConfigError(exc.problem, field=exc.field, fix=exc.fix) from None
        try:
            table[name] = ModelSpec(name=name, **fields)
        except (ValidationError, TypeError) as exc:
            raise ModelConfigError(f"{MODELS_ENV}[{name!r}] is invalid: {exc}") from None
    return table


def resolve_model(name: str, table: Mapping[str, ModelSpec], models_dir: Path,
                  environ: Mapping[str, str] | None = None) -> ModelSpec:
    """The model a partition key names: the table, else an endpoint of that name, else <models_dir>/<name>.gguf.

    The key is checked against the model name pattern first, so it is never joined into a path unchecked."""
    try:
        check_name("model", name, field="model partition")
    except InvalidNameError as exc:
        raise ModelConfigError(exc.problem, field=exc.field, value=name, fix=exc.fix) from None
    if name in table:
        return table[name]
    if name in configured_endpoints(environ):
        return ModelSpec(name=name, endpoints=(name,))
    gguf = models_dir / f"{name}.gguf"
    if gguf.is_file():
        return ModelSpec(name=name, gguf=str(gguf))
    raise ModelConfigError(
        f"model partition {name!r} names no model this deployment can reach: not in the model table "
        f"({', '.join(sorted(table))}), not an endpoint in SECASSETS_ENDPOINTS, and no GGUF at {gguf}. Add it to "
        f"{MODELS_ENV} (JSON: {{\"{name}\": {{\"gguf\": \"/path/model.gguf\"}}}} or {{\"{name}\": {{\"endpoint\": "
        "\"nvidia\", \"model\": \"<model id>\"}}}}), put the GGUF there, or delete the partition."
    )
