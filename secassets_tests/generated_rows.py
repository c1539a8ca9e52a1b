"""Scenario rows drawn by the real generator in pure Python (no Data Designer, no server), for unit tests.

Sampler values are drawn from the default weights, like the sampler_config's samplers; content and
truth come from secassets.scenarios.grounding exactly as in the scenarios asset.
"""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache

import pandas as pd

from secassets.core.vocabulary import DEFAULT_WEIGHTS
from secassets.scenarios.grounding import ground, row_rng


def draw_sampled(rng: random.Random) -> dict[str, str]:
    return {k: rng.choices(list(w), weights=list(w.values()))[0] for k, w in DEFAULT_WEIGHTS.items()}


def as_row(sampled: dict[str, str], g) -> dict:
    return {
        **sampled, "detections": json.dumps(g.detections),
        "enrichment_context": None if g.enrichment_context is None else json.dumps(g.enrichment_context),
        "ground_truth": json.dumps(g.ground_truth),
        "scenario_hash": hashlib.sha256(json.dumps(g.detections).encode()).hexdigest(),
    }


@cache
def default_rows(n: int = 2000, seed: int = 42) -> pd.DataFrame:
    """n rows on the default weights (cached: tests must not modify the frame)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        sampled = draw_sampled(rng)
        rows.append(as_row(sampled, ground(sampled, row_rng(rng.randrange(2**31), 0))))
    return pd.DataFrame(rows)
