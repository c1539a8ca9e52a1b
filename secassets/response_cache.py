"""Content-addressed cache of model responses: same model, prompt, sampling and schema -> same answer.

Only answers the server actually returned are stored (never a transport error); each entry is
written atomically as soon as it arrives, so a run that dies halfway resumes with only the
missing calls.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from secassets.storage import write_json


def cache_key(model_id: str, prompt: str, params: dict[str, Any], schema: dict[str, Any] | None) -> str:
    payload = {"model": model_id, "prompt": prompt, "params": params, "schema": schema}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class ResponseCache:
    """Files under root/<key[:2]>/<key>.json."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None  # a damaged entry is a miss; the next answer overwrites it

    def put(self, key: str, response: dict[str, Any]) -> None:
        write_json(self._path(key), response)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.exists() else 0
