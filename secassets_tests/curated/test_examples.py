"""The shipped curated examples: written byte-identically from examples.py, all valid, coherent labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secassets.core.vocabulary import CURATED_EXAMPLES_DIR
from secassets.curated.examples import EXAMPLES, write_examples
from secassets.curated.loader import load_folder
from secassets.risk.bands import levels_for_range


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    write_examples(root)
    return root


def test_writing_twice_gives_the_same_bytes(written, tmp_path):
    paths = write_examples(tmp_path)
    assert files_under(tmp_path) == files_under(written)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == sorted(files_under(written))
    sample = (tmp_path / "normal" / "normal_001_courier_front_porch_day" / "expected_labels.json").read_text()
    assert sample.endswith("}\n") and sample == json.dumps(json.loads(sample), indent=2, sort_keys=True) + "\n"


def test_every_example_is_valid(written):
    cases = load_folder(written)
    assert len(cases) == len(EXAMPLES) and 18 <= len(cases) <= 30
    assert [c.reason for c in cases if not c.valid] == []
    assert {c.category for c in cases} == {"normal", "suspicious", "threats", "external/normal"}
    for label_category in ("normal", "suspicious", "threat"):
        assert sum(c.label_category == label_category for c in cases) >= 5


def test_labels_are_coherent_with_their_folder(written):
    expected_levels = {"normal": {"low"}, "suspicious": {"medium"}, "threat": {"high", "critical"}}
    for case in load_folder(written):
        assert case.label.level in levels_for_range(case.label.risk_range), case.case_id
        assert case.label.level in expected_levels[case.label_category], case.case_id


def test_foreign_vocabularies_and_a_scene_only_case_are_shipped(written):
    labels = [json.loads(p.read_text()) for p in written.rglob("expected_labels.json")]
    scenes = {v for lab in labels for v in (lab.get("scene") or {}).values()}
    assert {"front_porch", "side_yard", "driveway_gate", "street_view", "dawn", "dusk", "day", "varies"} <= scenes
    assert any(set(lab) == {"scene", "detections", "risk"} for lab in labels)
    specs = list(written.rglob("scenario_spec.json"))
    assert len(labels) / 2 < len(specs) < len(labels)
    not_available = [n for c in load_folder(written) for n in c.not_available]
    assert "scene.location 'street_view' is not a camera zone we know" in not_available


def test_the_shipped_folder_is_what_write_examples_writes(written):
    if not CURATED_EXAMPLES_DIR.is_dir():
        pytest.skip(f"{CURATED_EXAMPLES_DIR} is not written yet (python -m secassets.curated.examples writes it)")
    assert files_under(CURATED_EXAMPLES_DIR) == files_under(written), (
        "data/curated_examples/ differs from secassets/curated/examples.py: run python -m secassets.curated.examples "
        "(after removing data/curated_examples/ if cases were renamed)")
