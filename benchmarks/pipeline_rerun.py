"""The whole graph twice on the embedded defaults: a cold run, then a re-run with nothing changed.

Usage: .venv/bin/python benchmarks/pipeline_rerun.py
Runs `dagster job execute -j full_pipeline` (what `make pipeline` runs) into a fresh temp data
folder and Dagster instance, twice. Prints both wall times, their ratio, and how many output files
(caches excluded) are byte-identical after the second run. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_PARTS = {"cache", "llm_cache", "vision_cache", ".work"}


def outputs(data: Path) -> dict[str, str]:
    """sha256 of every output file, caches and scratch space left out."""
    found = {}
    for path in sorted(data.rglob("*")):
        rel = path.relative_to(data)
        if path.is_file() and not CACHE_PARTS & set(rel.parts) and path.name != "cache.npz":
            found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run(env: dict[str, str]) -> float:
    dagster = str(Path(sys.executable).parent / "dagster")
    start = time.perf_counter()
    subprocess.run(
        [dagster, "job", "execute", "-m", "secassets.definitions", "-j", "full_pipeline"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "dagster_home", Path(tmp) / "data"
        home.mkdir()
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(home), "SECASSETS_DATA_DIR": str(data), "NEMO_TELEMETRY_ENABLED": "false"}
        cold = run(env)
        first = outputs(data)
        warm = run(env)
        second = outputs(data)
    same = sum(1 for k, v in first.items() if second.get(k) == v)
    changed = sorted(k for k, v in first.items() if second.get(k) != v)
    added = sorted(set(second) - set(first))
    print(f"pipeline/cold run: {cold:.1f} s")
    print(f"pipeline/unchanged re-run: {warm:.1f} s")
    print(f"pipeline/cold : re-run = {cold / warm:.1f}x")
    print(f"outputs byte-identical after the re-run: {same}/{len(first)}" + (f"; changed: {changed}" if changed else ""))
    if added:
        print(f"files the re-run added: {added}")


if __name__ == "__main__":
    main()
