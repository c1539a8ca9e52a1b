"""Loading a team's labeled cases: a few hundred folders (with malformed ones) and the same cases as one JSONL table.

Usage: .venv/bin/python benchmarks/curated_loading.py [N]
Writes N cases (default 300; every seventh one malformed, the others the shipped examples under new ids) into a temp
folder and a JSONL table, loads both with secassets.curated.loader, and prints the wall times, cases per second,
the folder/table ratio, and how many cases came back valid and invalid (every one of them, none dropped).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from secassets.curated.examples import EXAMPLES
from secassets.curated.loader import load_folder, load_table


def main(n: int) -> None:
    examples = list(EXAMPLES)
    with tempfile.TemporaryDirectory() as tmp:
        root, table = Path(tmp) / "cases", Path(tmp) / "cases.jsonl"
        lines = []
        for i in range(n):
            category, _, _, labels = examples[i % len(examples)]
            folder = root / category / f"case_{i:04d}"
            folder.mkdir(parents=True)
            text = "{broken" if i % 7 == 6 else json.dumps(labels)
            (folder / "expected_labels.json").write_text(text)
            lines.append(text if i % 7 == 6 else json.dumps({"case_id": f"case_{i:04d}", "category": category, **labels}))
        table.write_text("\n".join(lines) + "\n")
        start = time.perf_counter()
        from_folder = load_folder(root)
        folder_s = time.perf_counter() - start
        start = time.perf_counter()
        from_table = load_table(table)
        table_s = time.perf_counter() - start
    for name, cases, seconds in (("folder", from_folder, folder_s), ("jsonl table", from_table, table_s)):
        valid = sum(c.valid for c in cases)
        print(f"{name}: {len(cases)} cases in {seconds:.2f} s ({len(cases) / seconds:.0f} cases/s): "
              f"{valid} valid, {len(cases) - valid} invalid with a reason")
    print(f"folder / table time ratio: {folder_s / table_s:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
