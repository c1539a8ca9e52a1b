"""The whole graph twice on the embedded defaults: a cold run, then a re-run with nothing changed.

Usage: .venv/bin/python benchmarks/pipeline_rerun.py
Runs `dagster job execute -j full_pipeline` (what `make pipeline` runs) into a fresh temp data
folder and Dagster instance, twice. Prints both wall times, their ratio, and how many output files
(caches excluded) are byte-identical after the second run. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import os
import re
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


def run(env: dict[str, str]) -> tuple[float, str]:
    """Wall time and the run's log."""
    dagster = str(Path(sys.executable).parent / "dagster")
    start = time.perf_counter()
    done = subprocess.run(
        [dagster, "job", "execute", "-m", "secassets.definitions", "-j", "full_pipeline"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    return time.perf_counter() - start, done.stdout + done.stderr


UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def slowest_steps(log: str, n: int = 3) -> str:
    """The n longest steps from Dagster's 'Finished execution of step "X" in 2m33s.' lines."""
    seconds = []
    for step, duration in re.findall(r'Finished execution of step "([^"]+)" in ([0-9hms.]+?)\.?\s', log):
        total = sum(float(v) * UNIT_SECONDS[u] for v, u in re.findall(r"([0-9.]+)(ms|h|m|s)", duration))
        seconds.append((total, step))
    return ", ".join(f"{step} {s:.1f} s" for s, step in sorted(seconds, reverse=True)[:n])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "dagster_home", Path(tmp) / "data"
        home.mkdir()
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(home), "SECASSETS_DATA_DIR": str(data), "NEMO_TELEMETRY_ENABLED": "false"}
        cold, cold_log = run(env)
        first = outputs(data)
        warm, warm_log = run(env)
        second = outputs(data)
        asked = re.findall(r"(Data Designer \w+ pass: \d+ of \d+ rows from the cache|LLM endpoint [^\n]*)", warm_log)
    same = sum(1 for k, v in first.items() if second.get(k) == v)
    changed = sorted(k for k, v in first.items() if second.get(k) != v)
    added = sorted(set(second) - set(first))
    print(f"pipeline/cold run: {cold:.1f} s (slowest steps: {slowest_steps(cold_log)})")
    print(f"pipeline/unchanged re-run: {warm:.1f} s (slowest steps: {slowest_steps(warm_log)})")
    print(f"re-run scenario LLM passes: {'; '.join(asked) or 'none'}")
    print(f"pipeline/cold : re-run = {cold / warm:.1f}x")
    print(f"outputs byte-identical after the re-run: {same}/{len(first)}" + (f"; changed: {changed}" if changed else ""))
    if added:
        print(f"files the re-run added: {added}")


if __name__ == "__main__":
    main()
