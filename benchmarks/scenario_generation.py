"""Time scenario generation (no LLM columns) for N rows pinned to one CPU core.

Usage: .venv/bin/python benchmarks/scenario_generation.py [ROWS]   (default 10000)
Prints seconds, rows/s and the ratio to the target: 10,000 rows within 60 s on one core.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.worker import generate_scenarios

BUDGET_S = 60.0


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # the worker process inherits this
    spec = SamplerSpec(num_scenarios=rows)
    with tempfile.TemporaryDirectory() as tmp:
        yaml_path = write_sampler_yaml(sampler_config_builder(spec), Path(tmp) / "sampler.yaml")
        start = time.perf_counter()
        result = generate_scenarios(spec, yaml_path, Path(tmp) / "work")
        elapsed = time.perf_counter() - start
    print(f"rows={len(result.scenarios)} cores=1 seconds={elapsed:.1f} rows_per_s={len(result.scenarios) / elapsed:.0f} "
          f"budget_ratio={elapsed / BUDGET_S:.2f} (<1 meets the {BUDGET_S:.0f} s budget)")


if __name__ == "__main__":
    main()
