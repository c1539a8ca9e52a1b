"""The vector cache: embeddings a model already produced for exact texts, in one .npz next to the asset.

Embedding is the slow part of the stage; a re-run with the same model and texts reads every vector
back instead. The file format (members keys and vectors, unicode keys, float32 unit vectors) is
what scenario_embeddings/cache.npz has always held, so existing caches still hit.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from secassets.embeddings.embedders import Embedder
from secassets.storage.files import write_npz


class EmbeddingCache:
    """Vectors a model already produced for exact texts, in one .npz next to the asset.

    The key is sha256(model id + text), so a changed model or text is a miss. The file keeps the
    texts of the latest run only (bounded size). A damaged file (truncated, not a zip, other
    members, wrong shapes or dtypes, vectors that are not unit length) is a miss and is rewritten.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()

    def _load(self, dim: int | None) -> dict[str, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            data = np.load(self.path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):  # a bare .npy array
                return {}
            with data:
                if set(data.files) != {"keys", "vectors"}:
                    return {}
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError):
            return {}
        if keys.ndim != 1 or keys.dtype.kind != "U" or vectors.ndim != 2 or vectors.dtype != np.float32:
            return {}
        if len(keys) != len(vectors) or (dim is not None and vectors.shape[1] != dim) or not np.isfinite(vectors).all():
            return {}
        if len(vectors) and not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
            return {}
        if not all(len(k) == 64 for k in keys.tolist()):
            return {}
        return dict(zip(keys.tolist(), vectors, strict=True))

    def embed(self, embedder: Embedder, texts: Sequence[str], dim: int | None = None) -> tuple[np.ndarray, int]:
        """Vectors for texts (in order) and how many came from the cache; only misses reach the model.

        dim: the expected vector width when the embedder does not know its own (cached vectors of
        another width are a miss).
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), 0
        known = self._load(getattr(embedder, "dim", None) or dim)
        keys = [self.key(embedder.model_id, t) for t in texts]
        missing = dict(sorted((k, t) for k, t in zip(keys, texts, strict=True) if k not in known))
        if missing:
            fresh = embedder.embed(list(missing.values()))
            if known and fresh.shape[1] != next(iter(known.values())).shape[0]:
                # cached vectors of another width are damaged: drop them all and ask for every text
                known, missing = {}, dict(sorted(zip(keys, texts, strict=True)))
                fresh = embedder.embed(list(missing.values()))
            known.update(zip(missing, fresh, strict=True))
        used = sorted(set(keys))
        if missing or len(known) != len(used):
            write_npz(self.path, keys=np.array(used), vectors=np.stack([known[k] for k in used]).astype(np.float32))
        hits = sum(1 for k in keys if k not in missing)
        return np.stack([known[k] for k in keys]).astype(np.float32), hits
