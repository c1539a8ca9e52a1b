"""One Data Designer LLM pass over a seed frame, answered from the per-row cache where it can.

The cache key is the model identity, the pass fingerprint (columns, prompts, rubrics, sampling)
and the seed row's content (not its position), so unchanged rows keep their exact text on every
re-run, and a fully cached run never asks for an endpoint (so no server is started).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import data_designer.config as dd
import pandas as pd
from pydantic import BaseModel

from secassets.llm.cache import ResponseCache, cache_key
from secassets.scenarios.engine import open_designer


class LLMColumnSettings(BaseModel):
    """Where and how the scenario LLM columns are generated (an OpenAI-compatible endpoint)."""

    # OpenAI-compatible base, e.g. http://127.0.0.1:PORT/v1; "" = ask the parent process for it (and
    # for max_parallel_requests) only once a row misses the cache, so a fully cached run starts no server.
    base_url: str = ""
    model: str = "secassets-writer"
    api_key_env: str | None = None  # the variable's name; the key itself never leaves the environment
    rows: int = 8
    max_parallel_requests: int = 4
    request_timeout_s: float = 300.0
    seed: int = 42
    model_id: str = ""  # the model's identity (GGUF file hash, or endpoint model name): part of every cache key
    cache_dir: Path | None = None  # per-row answers of both passes; None = no cache


# The settings completed with a live endpoint; called only when a row misses the cache.
ResolveEndpoint = Callable[[], LLMColumnSettings]
MakeBuilder = Callable[[LLMColumnSettings, pd.DataFrame], dd.DataDesignerConfigBuilder]


def pass_fingerprint(builder: dd.DataDesignerConfigBuilder) -> dict[str, Any]:
    """What decides a pass's answers besides its seed row: columns (prompts, rubrics) and sampling.

    Concurrency and timeouts are left out: they change how fast answers come, not which.
    """
    models = []
    for m in builder.model_configs:
        dumped = m.model_dump(mode="json")
        dumped["inference_parameters"] = {
            k: v for k, v in dumped["inference_parameters"].items() if k not in {"max_parallel_requests", "timeout"}
        }
        models.append(dumped)
    return {"models": models, "columns": [c.model_dump(mode="json") for c in builder.get_column_configs()]}


def designer_pass(
    settings: LLMColumnSettings, builder: dd.DataDesignerConfigBuilder, rows: int, workdir: Path, name: str
) -> pd.DataFrame:
    """One Data Designer run over a seed frame; a failure of the whole run yields no rows (all flagged)."""
    with open_designer(
        workdir, rows, artifact_prefix=f"dd-{name}-", endpoint=settings.base_url, api_key_env=settings.api_key_env
    ) as designer:
        try:
            return designer.create(builder, num_records=rows, dataset_name=name).load_dataset()
        except Exception as exc:  # noqa: BLE001 - every attempted row is flagged by the caller, none filled with constants
            print(f"WARNING: Data Designer {name} pass produced no rows: {type(exc).__name__}: {exc}", flush=True)
            return pd.DataFrame(columns=["row_id"])


def _jsonable(value: Any) -> Any:
    """A cell as plain JSON types (Data Designer hands back numpy scalars and arrays inside dicts)."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


def cached_designer_pass(
    settings: LLMColumnSettings,
    endpoint: ResolveEndpoint,
    make_builder: MakeBuilder,
    seed: pd.DataFrame,
    outputs: tuple[str, ...],
    workdir: Path,
    name: str,
) -> tuple[pd.DataFrame, int]:
    """A Data Designer pass that asks the model only for seed rows without a cached answer.

    As for the evaluations, every answer the model returned is stored, also one that then fails to
    parse (it stays a failure when replayed); a row Data Designer dropped (no answer) is asked
    again next time. Returns the rows (row_id + outputs) and how many came from the cache.
    """
    cache = ResponseCache(settings.cache_dir) if settings.cache_dir is not None else None
    fingerprint = pass_fingerprint(make_builder(settings, seed))
    keys: dict[int, str] = {}
    cached: list[dict[str, Any]] = []
    for record in seed.to_dict("records"):
        content = {k: v for k, v in record.items() if k != "row_id"}
        row_id = int(record["row_id"])
        keys[row_id] = cache_key(
            settings.model_id, json.dumps(content, sort_keys=True, default=str), {"pass": name, **fingerprint}, None
        )
        hit = cache.get(keys[row_id]) if cache is not None else None
        if hit is not None:
            cached.append({"row_id": row_id, **hit})
    hit_ids = {r["row_id"] for r in cached}
    todo = seed[~seed["row_id"].isin(hit_ids)].reset_index(drop=True)
    if cached:
        print(f"Data Designer {name} pass: {len(cached)} of {len(seed)} rows from the cache", flush=True)
    fresh = pd.DataFrame(columns=["row_id"])
    if len(todo):
        live = endpoint()
        fresh = designer_pass(live, make_builder(live, todo), len(todo), workdir, name)
    rows = list(cached)
    for r in fresh.to_dict("records"):
        answer = {c: _jsonable(r.get(c)) for c in outputs}
        rows.append({"row_id": int(r["row_id"]), **answer})
        if cache is not None:
            cache.put(keys[int(r["row_id"])], answer)
    return pd.DataFrame(rows, columns=["row_id", *outputs]), len(cached)
