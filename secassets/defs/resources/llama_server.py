"""LlamaServer: the GPU resource that owns the llama.cpp server every LLM call of a run goes through.

Modes:
- managed: start llama-server (default: the bundled xllamacpp build and the bundled SmolLM2 GGUF;
  in production a compiled llama-server and a Nemotron GGUF with n_gpu_layers) on 127.0.0.1.
- attached: use endpoints already running, by *name* (e.g. the production Nemotron on :8091, or the
  built-in `nvidia`); the URL and the variable whose key is sent there come from the deployment's
  endpoint table (secassets.llm.endpoints), never from run config. Each endpoint must prove it is a
  llama.cpp or OpenAI-compatible server before use; requests spread by free slots.
- off: no LLM; assets that can work without one say so in their metadata.

Lifecycle: the code location runs each job with the in-process executor, so Dagster builds this
resource once per run; the server starts lazily on first use, every step of the run shares it,
a crash is answered by one restart (however many requests saw it), and teardown_after_execution
stops it when the run ends. The server also dies with the run process through its lifeline guard.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from pydantic import Field, PrivateAttr, field_validator, model_validator

from secassets.llm.client import LlamaClient
from secassets.llm.credentials import MissingCredentialError
from secassets.llm.device import (
    EndpointProbe,
    EndpointProbeError,
    gguf_info,
    gpu_info,
    managed_identity,
    probe_endpoint,
)
from secassets.llm.endpoints import Endpoint, EndpointConfigError, resolve_endpoint
from secassets.llm.models import BUNDLED_MODEL, ModelSpec, model_name
from secassets.llm.server import (
    LlamaServerError,
    ManagedLlamaServer,
    ServerSettings,
    bundled_model_path,
    check_extra_args,
    missing_model_error,
    server_build,
)

MIN_CTX_PER_SLOT = 256


class LlamaServerResource(dg.ConfigurableResource):
    """The llama.cpp server of a run (managed or attached) and a client for it."""

    mode: Literal["managed", "attached", "off"] = Field(default="managed", description="managed, attached or off.")
    endpoints: list[str] = Field(
        default_factory=list,
        description="attached: names of endpoints the deployment configures (SECASSETS_ENDPOINTS, or built-in "
        "'nvidia'); several names = replicas of one model. URLs and key variables are not run config.",
    )
    model: str = Field(
        default="", description="Model name sent to OpenAI-compatible endpoints; empty = the endpoint's own."
    )
    binary: str = Field(default="", description="managed: llama-server binary; empty = bundled secassets-llama-server.")
    model_path: str = Field(default="", description="managed: GGUF file; empty = bundled SmolLM2-135M-Instruct Q4_1.")
    n_gpu_layers: int = Field(default=0, ge=0, le=999, description="managed: layers offloaded to the GPU (99 = all).")
    ctx_size: int = Field(
        default=16384, ge=MIN_CTX_PER_SLOT, le=1_048_576,
        description="managed: total context across slots; each slot gets ctx_size / parallel tokens for prompt "
        "+ answer (at least 256).",
    )
    parallel: int = Field(default=4, ge=1, le=64, description="managed: server slots (concurrent requests).")
    threads: int = Field(default=0, ge=0, le=512, description="managed: CPU threads; 0 = llama.cpp default.")
    port: int = Field(default=0, ge=0, le=65535, description="managed: port on 127.0.0.1; 0 = pick a free one.")
    extra_args: list[str] = Field(
        default_factory=list,
        description="managed: extra llama-server flags (e.g. -fa on); host, port, model, keys and file or network "
        "flags are refused.",
    )
    startup_timeout_s: float = Field(
        default=180.0, gt=0, le=3600, allow_inf_nan=False, description="managed: bound on waiting for /health."
    )
    request_timeout_s: float = Field(
        default=300.0, gt=0, le=3600, allow_inf_nan=False, description="Per-request timeout."
    )
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries on connection errors and 5xx.")
    max_restarts: int = Field(default=3, ge=0, le=10, description="managed: restarts after crashes allowed in one run.")

    _server: ManagedLlamaServer | None = PrivateAttr(default=None)
    _client: LlamaClient | None = PrivateAttr(default=None)
    _probes: list[EndpointProbe] | None = PrivateAttr(default=None)
    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)
    _log: Any = PrivateAttr(default=None)
    _closed: bool = PrivateAttr(default=False)
    _start_error: LlamaServerError | None = PrivateAttr(default=None)

    @field_validator("extra_args")
    @classmethod
    def _no_reserved_flags(cls, value: list[str]) -> list[str]:
        return check_extra_args(value)

    @model_validator(mode="after")
    def _room_per_slot(self) -> LlamaServerResource:
        if self.ctx_size // self.parallel < MIN_CTX_PER_SLOT:
            raise ValueError(
                f"ctx_size {self.ctx_size} over parallel {self.parallel} slots leaves under {MIN_CTX_PER_SLOT} "
                "tokens a slot; raise ctx_size or lower parallel"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._log = context.log
        if self.mode == "attached":
            try:
                self.attached_endpoints()
            except LlamaServerError as exc:
                raise dg.Failure(description=str(exc)) from None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.shutdown()

    def for_deployment(self) -> dg.ResourceDefinition:
        """This resource with an empty config schema: the launchpad can change nothing about the LLM.

        Which binary runs, which model file it loads and which URL receives which key are deployment
        settings (environment or code); a run config that names any llm field is rejected before the
        run starts. Each run gets its own copy, so a server and its restart budget never outlive a run.
        """
        fields = {name: getattr(self, name) for name in type(self).model_fields}

        def per_run(context: dg.InitResourceContext) -> Iterator[LlamaServerResource]:
            run_copy = type(self)(**fields)
            run_copy.setup_for_execution(context)
            try:
                yield run_copy
            finally:
                run_copy.teardown_after_execution(context)

        return dg.ResourceDefinition(resource_fn=per_run, config_schema={}, description=(
            f"The run's LLM ({self.mode}); set by the deployment (SECASSETS_DEPLOYMENT and the SECASSETS_LLM_* "
            "variables), not by run config."
        ))

    def shutdown(self) -> None:
        """Close the client and stop the server for good: a request still retrying cannot start a new one."""
        with self._lock:
            self._closed = True
            if self._client is not None:
                self._client.close()
            if self._server is not None:
                self._server.close()  # kept: a late retry asks it to restart and is told the run is over

    def _info(self, msg: str) -> None:
        if self._log is not None:
            self._log.info(msg)

    def resolved_model_path(self) -> Path:
        return Path(self.model_path) if self.model_path else bundled_model_path()

    # --- attached endpoints ---------------------------------------------------------------
    def attached_endpoints(self) -> list[Endpoint]:
        """The named endpoints from the deployment's table; they must share one key variable."""
        if not self.endpoints:
            raise LlamaServerError(
                "LlamaServerResource mode 'attached' needs endpoints: names of endpoints configured in the "
                "SECASSETS_ENDPOINTS environment variable of the code location (or the built-in 'nvidia')"
            )
        try:
            resolved = [resolve_endpoint(name, "llm.endpoints") for name in self.endpoints]
        except EndpointConfigError as exc:
            raise LlamaServerError(str(exc)) from None
        if len({e.api_key_env for e in resolved}) > 1:
            raise LlamaServerError(
                f"llm.endpoints {self.endpoints} use different api_key_env variables; one LLM resource sends one key, "
                "so list only replicas that share it"
            )
        return resolved

    @property
    def api_key_env(self) -> str:
        """The variable whose key goes to the attached endpoints ('' when managed or off); set by the deployment."""
        return self.attached_endpoints()[0].api_key_env if self.mode == "attached" else ""

    def _probe_attached(self) -> list[EndpointProbe]:
        """Each endpoint proves what it is (once per run, before any request); replicas must be one model."""
        with self._lock:
            if self._start_error is not None:
                raise self._start_error
            if self._probes is None:
                try:
                    self._probes = self._probe_each()
                except LlamaServerError as exc:
                    self._start_error = exc
                    raise
            return self._probes

    def _probe_each(self) -> list[EndpointProbe]:
        probes = []
        for endpoint in self.attached_endpoints():
            try:
                headers = endpoint.headers("the LLM resource")  # the key goes to this endpoint's own URL only
                probes.append(probe_endpoint(endpoint.name, endpoint.base_url, headers, self.model or endpoint.model))
            except (EndpointProbeError, MissingCredentialError) as exc:
                raise LlamaServerError(str(exc)) from None
        if len({p.identity for p in probes}) > 1:
            raise LlamaServerError(
                f"llm.endpoints {self.endpoints} serve different models or settings "
                f"({'; '.join(p.identity for p in probes)}); list replicas of one model only"
            )
        return probes

    # --- the client ---------------------------------------------------------------------
    def _restart(self, dead_url: str) -> str:
        """The client's connection-error callback: restart a dead managed server (once per crash)."""
        server = self._server
        if server is None:
            return dead_url  # attached: nothing to restart, the client just retries
        return server.restart_after_crash()

    def client(self) -> LlamaClient:
        """The run's client; starts the managed server on first use."""
        if not self.enabled:
            raise LlamaServerError("the LLM resource is off (mode: off); set mode to managed or attached")
        with self._lock:
            if self._closed:
                raise LlamaServerError(
                    "the LLM resource of this run was shut down (the run is ending); no new requests"
                )
            if self._client is not None:
                return self._client
            if self._start_error is not None:
                raise self._start_error  # a server that would not start fails every later call at once, not again
            if self.mode == "managed":
                settings = ServerSettings(
                    model_path=self.resolved_model_path(), binary=self.binary, n_gpu_layers=self.n_gpu_layers,
                    ctx_size=self.ctx_size, parallel=self.parallel, threads=self.threads, port=self.port,
                    extra_args=list(self.extra_args), startup_timeout_s=self.startup_timeout_s,
                    max_restarts=self.max_restarts,
                )
                server = ManagedLlamaServer(settings, log=self._info)
                try:
                    server.start()
                except LlamaServerError as exc:
                    self._start_error = exc
                    raise
                self._server = server
                urls, caps, key_env = [server.base_url], [self.parallel], ""
            else:
                probes = self._probe_attached()
                urls, caps = [e.base_url for e in self.attached_endpoints()], [p.slots for p in probes]
                key_env = self.api_key_env
            self._client = LlamaClient(
                urls, capacities=caps, api_key_env=key_env or None, timeout_s=self.request_timeout_s,
                max_retries=self.max_retries, on_connection_error=self._restart,
            )
            return self._client

    @property
    def server_pid(self) -> int | None:
        """pid of the managed llama.cpp server of this run (None when attached or not started)."""
        return None if self._server is None else self._server.pid

    @property
    def server_restarts(self) -> int:
        return 0 if self._server is None else self._server.restarts

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-compatible base URL of the first replica (for Data Designer's ModelProvider)."""
        return f"{self.client().base_urls[0]}/v1"

    def model_identity(self) -> str:
        """What every cache key names as the model: everything on the server's side that changes an answer.

        managed: the GGUF file, context per slot, GPU offload, server build and extra flags (no server start);
        attached: what the verified endpoint reports (model file, size, context per slot, build), never its URL.
        """
        if self.mode == "managed":
            path = self.resolved_model_path()
            if not path.is_file():
                raise missing_model_error(path)
            return managed_identity(
                path, ctx_per_slot=self.ctx_size // self.parallel, n_gpu_layers=self.n_gpu_layers,
                build=server_build(self.binary), extra_args=self.extra_args,
            )
        if self.mode == "off":
            raise LlamaServerError("the LLM resource is off (mode: off); set mode to managed or attached")
        return self._probe_attached()[0].identity

    # --- the models under evaluation -------------------------------------------------------
    def model_spec(self) -> ModelSpec | None:
        """The deployment's own model as a model partition (None when off)."""
        if self.mode == "managed":
            name = model_name(Path(self.model_path).stem) if self.model_path else BUNDLED_MODEL
            return ModelSpec(name=name, gguf=self.model_path, n_gpu_layers=self.n_gpu_layers)
        if self.mode == "attached" and self.endpoints:
            return ModelSpec(name=model_name(self.model or self.endpoints[0]), endpoints=tuple(self.endpoints),
                             model=self.model)
        return None

    def for_model(self, spec: ModelSpec) -> LlamaServerResource:
        """This resource for another model (same server settings); itself for its own. The caller shuts a copy down."""
        own = self.model_spec()
        if own is not None and spec.model_dump(exclude={"name", "prompt_format"}) == own.model_dump(exclude={"name", "prompt_format"}):
            return self
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        if spec.endpoints:
            fields.update(mode="attached", endpoints=list(spec.endpoints), model=spec.model)
        else:
            fields.update(mode="managed", model_path=spec.gguf, n_gpu_layers=spec.n_gpu_layers)
        other = type(self)(**fields)
        other._log = self._log
        return other

    def server_kind(self) -> str:
        """'llama.cpp' (managed, or an attached llama.cpp server) or 'openai' (an OpenAI-compatible endpoint)."""
        return "llama.cpp" if self.mode == "managed" else self._probe_attached()[0].kind

    def model_identity_or_failure(self) -> str:
        """model_identity() for an asset: a missing model file or an unverified endpoint fails the step with why."""
        try:
            return self.model_identity()
        except LlamaServerError as exc:
            raise dg.Failure(description=str(exc)) from None

    def device_metadata(self) -> dict[str, Any]:
        """GPU or CPU, the model file and quantization, server settings and measured tokens/s (never a key)."""
        gpu = gpu_info()  # one nvidia-smi call
        meta: dict[str, Any] = {"llm_mode": self.mode, "llm_device": gpu["device"]}
        gpus = gpu.get("gpus")
        if gpus:
            meta["llm_gpus"] = "; ".join(
                f"{g['name']} {g['memory_used_mib']}/{g['memory_total_mib']} MiB" for g in gpus
            )
        if self.mode == "managed":
            meta.update({f"llm_{k}": v for k, v in gguf_info(self.resolved_model_path()).items() if v is not None})
            meta.update(
                {"llm_n_gpu_layers": self.n_gpu_layers, "llm_ctx_size": self.ctx_size, "llm_slots": self.parallel}
            )
            if self.server_restarts:
                meta["llm_server_restarts"] = self.server_restarts
        elif self.mode == "attached":
            meta["llm_endpoints"] = ", ".join(f"{e.name} ({e.base_url})" for e in self.attached_endpoints())
            if self._probes:
                meta["llm_server"] = self._probes[0].identity
        if self._client is not None:
            for values in self._client.metrics().values():
                tps = values.get("llamacpp:predicted_tokens_seconds")
                if tps is not None:
                    meta["llm_generated_tokens_per_s"] = round(tps, 1)
                pps = values.get("llamacpp:prompt_tokens_seconds")
                if pps is not None:
                    meta["llm_prompt_tokens_per_s"] = round(pps, 1)
                break
        return meta
