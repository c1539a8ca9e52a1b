"""Shape checks for the external analyst-labeled set (structure only, no scoring)."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("_external_set", Path(__file__).with_name("external_set.py"))
assert _SPEC is not None and _SPEC.loader is not None
external_set = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(external_set)

LEVELS = {"low", "medium", "high", "critical"}
SETS = {"external": external_set.EXTERNAL_CASES, "dev": external_set.DEV_CASES}


def test_external_counts_per_category() -> None:
    counts = Counter(cat for cat, _, _ in external_set.EXTERNAL_CASES)
    assert set(counts) == {"normal", "suspicious", "threats"}
    assert 32 <= counts["normal"] <= 38
    assert 27 <= counts["suspicious"] <= 33
    assert 22 <= counts["threats"] <= 28
    assert 85 <= sum(counts.values()) <= 95


def test_dev_counts_per_category() -> None:
    counts = Counter(cat for cat, _, _ in external_set.DEV_CASES)
    assert counts == {"normal": 10, "suspicious": 10, "threats": 10}


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_case_has_valid_risk(name: str) -> None:
    for _, case_id, labels in SETS[name]:
        risk = labels["risk"]
        assert risk["level"] in LEVELS, case_id
        assert isinstance(risk["min_score"], int) and isinstance(risk["max_score"], int), case_id
        assert 0 <= risk["min_score"] <= risk["max_score"] <= 100, case_id


def test_case_ids_unique_across_both_sets() -> None:
    ids = [case_id for cases in SETS.values() for _, case_id, _ in cases]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(SETS))
def test_write_cases_one_json_per_case(name: str, tmp_path: Path) -> None:
    cases = SETS[name]
    root = external_set.write_cases(tmp_path / name, cases)
    assert root == tmp_path / name
    files = sorted(root.glob("*/*/expected_labels.json"))
    assert len(files) == len(cases)
    for category, case_id, labels in cases:
        path = root / category / case_id / "expected_labels.json"
        assert json.loads(path.read_text()) == labels
