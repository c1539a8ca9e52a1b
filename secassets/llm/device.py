"""What the LLM runs on: GPU (nvidia-smi) or CPU, the GGUF model's identity and quantization, and what an
attached endpoint proves to be (llama.cpp or OpenAI-compatible) before a run trusts it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx


def gpu_info() -> dict[str, Any]:
    """Name and memory of each NVIDIA GPU, or {'device': 'cpu'} when there is none."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return {"device": "cpu"}
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.used,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return {"device": "cpu", "note": "nvidia-smi present but failed"}
    gpus = []
    for line in out.strip().splitlines():
        name, used, total = (p.strip() for p in line.split(","))
        gpus.append({"name": name, "memory_used_mib": int(used), "memory_total_mib": int(total)})
    if not gpus:
        return {"device": "cpu"}
    return {"device": "gpu", "gpus": gpus}


def gguf_info(path: Path) -> dict[str, Any]:
    """Model name, architecture, quantization and size read from the GGUF header."""
    from gguf import GGUFReader, LlamaFileType

    info: dict[str, Any] = {"model_file": str(path), "model_size_mib": round(path.stat().st_size / 2**20, 1)}
    try:
        reader = GGUFReader(str(path))
        fields = reader.fields
        def get(key: str) -> Any:
            return fields[key].contents() if key in fields else None
        info["model_name"] = get("general.name")
        info["architecture"] = get("general.architecture")
        file_type = get("general.file_type")
        info["quantization"] = LlamaFileType(file_type).name.removeprefix("MOSTLY_") if file_type is not None else None
    except Exception as exc:  # noqa: BLE001 - metadata is informative; a bad header must not fail the run
        info["gguf_error"] = f"{type(exc).__name__}: {exc}"
    return info


def model_identity(path: Path) -> str:
    """A cheap, stable identity of a model file: name, size and the SHA-256 of its first and last MiB."""
    size = path.stat().st_size
    h = hashlib.sha256(f"{path.name}:{size}".encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        fh.seek(max(0, size - (1 << 20)))
        h.update(fh.read(1 << 20))
    return f"{path.name}:{h.hexdigest()[:16]}"


def managed_identity(
    path: Path, *, ctx_per_slot: int, n_gpu_layers: int, build: str, extra_args: Sequence[str] = ()
) -> str:
    """Everything on a managed server's side that changes an answer: model file, context per slot, offload,
    server build and extra flags. A stable string: it goes into every cache key."""
    parts = [model_identity(path), f"ctx/slot={ctx_per_slot}", f"ngl={n_gpu_layers}", f"build={build}"]
    if extra_args:
        parts.append(f"args={hashlib.sha256(json.dumps(list(extra_args)).encode()).hexdigest()[:12]}")
    return " ".join(parts)


class EndpointProbeError(RuntimeError):
    """An attached endpoint is unreachable, or is not the kind of server it is configured as."""


@dataclass(frozen=True)
class EndpointProbe:
    """What an attached endpoint proved to be: its kind, its identity (for cache keys) and its slots."""

    kind: str  # "llama.cpp" or "openai"
    identity: str
    slots: int
    model_ids: tuple[str, ...] = ()


def _get_json(client: httpx.Client, url: str) -> tuple[str, Any]:
    """(short status, parsed JSON or None) of GET url; never raises for HTTP answers."""
    response = client.get(url)
    if response.status_code != 200:
        return f"HTTP {response.status_code}", None
    try:
        return "HTTP 200", response.json()
    except ValueError:
        return f"HTTP 200 but not JSON ({response.headers.get('content-type', '?')})", None


def probe_endpoint(
    name: str,
    base_url: str,
    headers: Mapping[str, str],
    model: str = "",
    timeout_s: float = 10.0,
    default_slots: int = 4,
) -> EndpointProbe:
    """Prove that base_url is a llama.cpp server (/health 200 and /props) or OpenAI-compatible (/v1/models)."""
    url = base_url.rstrip("/")
    seen: list[str] = []
    try:
        with httpx.Client(timeout=timeout_s, headers=dict(headers)) as client:
            health, _ = _get_json(client, f"{url}/health")
            props_status, props = _get_json(client, f"{url}/props")
            seen += [f"/health: {health}", f"/props: {props_status}"]
            models_status, models = _get_json(client, f"{url}/v1/models")
            seen.append(f"/v1/models: {models_status}")
    except httpx.HTTPError as exc:
        raise EndpointProbeError(
            f"endpoint {name} at {url} is not reachable ({type(exc).__name__}: {exc}); start the server or fix "
            "its base_url in SECASSETS_ENDPOINTS"
        ) from None
    data = models.get("data") if isinstance(models, dict) else None
    ids = tuple(str(d.get("id")) for d in data if isinstance(d, dict)) if isinstance(data, list) else ()
    if isinstance(props, dict) and ("default_generation_settings" in props or "total_slots" in props):
        if health != "HTTP 200":
            raise EndpointProbeError(
                f"llama.cpp endpoint {name} at {url} is not healthy (/health: {health}); wait until it has loaded"
            )
        slots = int(props.get("total_slots") or default_slots)
        return EndpointProbe("llama.cpp", _llama_identity(props, data), slots, ids)
    if isinstance(data, list):
        return EndpointProbe("openai", _openai_identity(name, url, model, ids), default_slots, ids)
    raise EndpointProbeError(
        f"endpoint {name} at {url} is not a llama.cpp or OpenAI-compatible server ({', '.join(seen)}); "
        "check its base_url in SECASSETS_ENDPOINTS (without /v1)"
    )


def _llama_identity(props: dict[str, Any], data: list[Any] | None) -> str:
    settings = props.get("default_generation_settings") or {}
    meta = (data[0].get("meta") or {}) if data and isinstance(data[0], dict) else {}
    model_file = Path(str(props.get("model_path") or (data[0].get("id") if data else "") or "unknown")).name
    parts = [f"llama.cpp:{model_file}"]
    parts += [f"{k}={meta[k]}" for k in ("size", "n_params", "ftype") if meta.get(k) is not None]
    parts.append(f"ctx/slot={settings.get('n_ctx', '?')}")
    parts.append(f"build={props.get('build_info', '?')}")
    template = props.get("chat_template")
    if isinstance(template, str) and template:  # the server may run the model with another template than its own
        parts.append(f"template={hashlib.sha256(template.encode()).hexdigest()[:12]}")
    return " ".join(parts)


def _openai_identity(name: str, url: str, model: str, ids: tuple[str, ...]) -> str:
    if not model:
        if len(ids) != 1:
            raise EndpointProbeError(
                f"endpoint {name} at {url} serves {len(ids)} models; set the model (endpoint's model in "
                "SECASSETS_ENDPOINTS or the llm resource's model) to one of them"
            )
        model = ids[0]
    elif ids and model not in ids:
        shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
        raise EndpointProbeError(
            f"endpoint {name} at {url} does not serve model {model!r} (model setting); it serves: {shown}"
        )
    return f"openai:{model} via {urlparse(url).netloc}"
