"""Sentences per second of the default embedding model on one CPU core.

Usage: .venv/bin/python benchmarks/embedding_throughput.py [N_SENTENCES]   (default 2000)
The sentences are those of generated scenario narratives (deterministic text, seed 42).
Prints sentences/s and the ratio to the target: at least 100 sentences/s on one core.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from secassets.embeddings.embedders import MiniLMEmbedder
from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.worker import generate_scenarios

TARGET = 100.0


def sentences(n: int) -> list[str]:
    spec = SamplerSpec(num_scenarios=max(200, n // 4))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sampler_yaml(sampler_config_builder(spec), Path(tmp) / "s.yaml")
        df = generate_scenarios(spec, path, Path(tmp) / "w").scenarios
    out = [s for text in df["scenario_narrative"] for s in re.split(r"(?<=[.!?])\s+", text) if s]
    return (out * (n // max(1, len(out)) + 1))[:n]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    texts = sentences(n)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    model = MiniLMEmbedder(threads=1)
    model.embed(texts[:16])  # load and warm up
    start = time.perf_counter()
    model.embed(texts)
    elapsed = time.perf_counter() - start
    rate = len(texts) / elapsed
    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"sentences={len(texts)} mean_chars={mean_chars:.0f} cores=1 seconds={elapsed:.1f} "
          f"sentences_per_s={rate:.0f} ratio_to_target={rate / TARGET:.2f} (>=1 meets {TARGET:.0f}/s)")


if __name__ == "__main__":
    main()
