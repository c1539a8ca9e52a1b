"""What the LLM runs on: GPU (nvidia-smi) or CPU, and the GGUF model's identity and quantization."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any


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
