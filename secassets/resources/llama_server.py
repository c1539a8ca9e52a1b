"""LlamaServer: the GPU resource that owns the llama.cpp server every LLM call of a run goes through.

Modes:
- managed: start llama-server (default: the bundled xllamacpp build and the bundled SmolLM2 GGUF;
  in production a compiled llama-server and a Nemotron GGUF with n_gpu_layers) on 127.0.0.1.
- attached: use servers already running (one or several base_urls, e.g. the production Nemotron
  on :8091 or an NVIDIA endpoint with api_key_env=NVIDIA_API_KEY); requests spread by free slots.
- off: no LLM; assets that can work without one say so in their metadata.

Lifecycle: the code location runs each job with the in-process executor, so Dagster builds this
resource once per run; the server starts lazily on first use, every step of the run shares it,
and teardown_after_execution stops it when the run ends (also on failure or cancellation; the
child also dies with the run process through PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from pydantic import Field, PrivateAttr

from secassets.device import gguf_info, gpu_info, model_identity
from secassets.llama_server import (
    LlamaServerError,
    ManagedLlamaServer,
    ServerSettings,
    bundled_model_path,
    missing_model_error,
)
from secassets.llm_client import LlamaClient, slot_capacity


class LlamaServerResource(dg.ConfigurableResource):
    """The llama.cpp server of a run (managed or attached) and a client for it."""

    mode: Literal["managed", "attached", "off"] = Field(default="managed", description="managed, attached or off.")
    base_urls: list[str] = Field(default_factory=list, description="attached: server base URLs (replicas).")
    api_key_env: str = Field(default="", description="attached: name of the env var holding the API key (e.g. NVIDIA_API_KEY).")
    model: str = Field(default="", description="Model name sent to OpenAI-compatible endpoints.")
    binary: str = Field(default="", description="managed: llama-server binary; empty = bundled secassets-llama-server.")
    model_path: str = Field(default="", description="managed: GGUF file; empty = bundled SmolLM2-135M-Instruct Q4_1.")
    n_gpu_layers: int = Field(default=0, description="managed: layers offloaded to the GPU (99 = all).")
    ctx_size: int = Field(
        default=16384,
        description="managed: total context across slots; each slot gets ctx_size / parallel tokens for prompt + answer.",
    )
    parallel: int = Field(default=4, description="managed: server slots (concurrent requests).")
    threads: int = Field(default=0, description="managed: CPU threads; 0 = llama.cpp default.")
    port: int = Field(default=0, description="managed: port on 127.0.0.1; 0 = pick a free one.")
    extra_args: list[str] = Field(default_factory=list, description="managed: extra llama-server flags.")
    startup_timeout_s: float = Field(default=180.0, description="managed: bound on waiting for /health.")
    request_timeout_s: float = Field(default=300.0, description="Per-request timeout.")
    max_retries: int = Field(default=3, description="Retries on connection errors and 5xx.")

    _server: ManagedLlamaServer | None = PrivateAttr(default=None)
    _client: LlamaClient | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _log: Any = PrivateAttr(default=None)

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._log = context.log
        if self.mode == "attached" and not self.base_urls:
            raise dg.Failure("LlamaServerResource mode 'attached' needs base_urls (e.g. http://127.0.0.1:8091)")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._server is not None:
                self._server.stop()
                self._server = None

    def _info(self, msg: str) -> None:
        if self._log is not None:
            self._log.info(msg)

    def resolved_model_path(self) -> Path:
        return Path(self.model_path) if self.model_path else bundled_model_path()

    def _restart(self, dead_url: str) -> str:
        server = self._server
        if server is None or server.alive():
            return dead_url  # not ours, or only a transient error: just retry
        server.restart_after_crash()
        return server.base_url

    def client(self) -> LlamaClient:
        """The run's client; starts the managed server on first use."""
        if not self.enabled:
            raise LlamaServerError("the LLM resource is off (mode: off); set mode to managed or attached")
        with self._lock:
            if self._client is not None:
                return self._client
            if self.mode == "managed":
                settings = ServerSettings(
                    model_path=self.resolved_model_path(), binary=self.binary, n_gpu_layers=self.n_gpu_layers,
                    ctx_size=self.ctx_size, parallel=self.parallel, threads=self.threads, port=self.port,
                    extra_args=list(self.extra_args), startup_timeout_s=self.startup_timeout_s,
                )
                server = ManagedLlamaServer(settings, log=self._info)
                server.start()
                self._server = server
                urls, caps = [server.base_url], [self.parallel]
            else:
                urls = list(self.base_urls)
                caps = [slot_capacity(u) for u in urls]
                self._check_attached(urls)
            self._client = LlamaClient(
                urls, capacities=caps, api_key_env=self.api_key_env or None, timeout_s=self.request_timeout_s,
                max_retries=self.max_retries, on_connection_error=self._restart,
            )
            return self._client

    def _check_attached(self, urls: list[str]) -> None:
        import httpx

        for url in urls:
            try:
                httpx.get(f"{url.rstrip('/')}/v1/models", timeout=10.0)
            except httpx.HTTPError as exc:
                raise LlamaServerError(
                    f"attached llama.cpp server {url} is not reachable ({type(exc).__name__}: {exc}); "
                    "start it or fix base_urls"
                ) from None

    @property
    def server_pid(self) -> int | None:
        """pid of the managed server of this run (None when attached or not started)."""
        return None if self._server is None else self._server.pid

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-compatible base URL of the first replica (for Data Designer's ModelProvider)."""
        return f"{self.client().base_urls[0]}/v1"

    def model_identity(self) -> str:
        """What every cache key names as the model; for a managed server, read from the GGUF file."""
        if self.mode == "managed":
            path = self.resolved_model_path()
            if not path.is_file():
                raise missing_model_error(path)
            return model_identity(path)
        return self.model or ",".join(self.base_urls)

    def device_metadata(self) -> dict[str, Any]:
        """GPU or CPU, the model file and quantization, server settings and measured tokens/s."""
        gpu = gpu_info()  # one nvidia-smi call
        meta: dict[str, Any] = {"llm_mode": self.mode, "llm_device": gpu["device"]}
        gpus = gpu.get("gpus")
        if gpus:
            meta["llm_gpus"] = "; ".join(f"{g['name']} {g['memory_used_mib']}/{g['memory_total_mib']} MiB" for g in gpus)
        if self.mode == "managed":
            meta.update({f"llm_{k}": v for k, v in gguf_info(self.resolved_model_path()).items() if v is not None})
            meta.update({"llm_n_gpu_layers": self.n_gpu_layers, "llm_ctx_size": self.ctx_size, "llm_slots": self.parallel})
        elif self.base_urls:
            meta["llm_base_urls"] = ", ".join(self.base_urls)
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
