"""Content-addressed cache of model responses: same model, prompt, sampling and schema -> same answer.

Only answers the server actually returned are stored (never a transport error); each entry is
written atomically as soon as it arrives, so a run that dies halfway resumes with only the
missing calls. A damaged entry of any kind (truncated or non-JSON text, JSON of the wrong shape,
a folder or a dangling link where the file should be, an unreadable file) is a miss, and the next
answer replaces it: a cache can cost a recompute, never a failed step or a wrong answer.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from secassets.storage.files import write_json

T = TypeVar("T")


def cache_key(model_id: str, prompt: str, params: dict[str, Any], schema: dict[str, Any] | None) -> str:
    """SHA-256 of everything that changes an answer.

    model_id is the server's identity (model file, context per slot, offload, build: the resource's
    model_identity()), params the sampling (n_predict, temperature, seed, stop, thinking), schema the
    JSON schema or grammar the answer is constrained by.
    """
    payload = {"model": model_id, "prompt": prompt, "params": params, "schema": schema}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class ResponseCache:
    """Files under root/<key[:2]>/<key>.json."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored JSON object, or None when absent or damaged."""
        path = self._path(key)
        try:
            if not path.is_file():  # absent, a folder, a FIFO (reading one would block), a dangling link
                return None
            value = json.loads(path.read_bytes())
        except (OSError, ValueError):  # missing, a folder, a link loop, unreadable, truncated, not UTF-8/JSON
            return None
        return value if isinstance(value, dict) else None

    def get_as(self, key: str, adapter: TypeAdapter[T]) -> T | None:
        """The stored entry validated strictly as adapter's type, or None (a wrong-shaped entry is a miss)."""
        value = self.get(key)
        if value is None:
            return None
        try:
            return adapter.validate_python(value, strict=True)
        except ValidationError:
            return None

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Write atomically, replacing whatever damaged thing is in the way (raises OSError if the disk refuses)."""
        path = self._path(key)
        if path.parent.is_symlink() or (path.parent.exists() and not path.parent.is_dir()):
            path.parent.unlink()
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        write_json(path, response)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.exists() else 0
