"""The rubric against a labeled set written outside the project, in another team's vocabulary (issue 24).

secassets_tests/curated/external_set.py was written by an analyst who did not read the rubric or its vocabulary;
the labels are that analyst's judgment. Nothing here tunes anything: the vocabulary and the rubric's annotation rules
were settled on DEV_CASES (and test_open_vocabulary's DEV_LABELS), and these figures are measured on EXTERNAL_CASES
as they come. The real embedding model reads the labels the exact tables miss.
"""

from __future__ import annotations

import pytest

from secassets.curated.agreement import agreement
from secassets.curated.loader import load_folder
from secassets.curated.open_vocabulary import VocabularyMatcher
from secassets.embeddings.embedders import MiniLMEmbedder
from secassets.risk.bands import RISK_LEVELS
from secassets.risk.rubric import assess
from secassets_tests.curated.external_set import DEV_CASES, EXTERNAL_CASES, write_cases


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    matcher = VocabularyMatcher(embed=MiniLMEmbedder().embed)
    cases = load_folder(write_cases(tmp_path_factory.mktemp("external"), EXTERNAL_CASES), matcher)
    return cases, matcher


def _within_one(cases) -> float:
    valid = [c for c in cases if c.valid]
    near = sum(abs(RISK_LEVELS.index(assess(c.observation).level) - RISK_LEVELS.index(c.label.level)) <= 1
               for c in valid)
    return near / len(valid)


def test_another_teams_set_loads_and_every_refusal_has_nothing_to_judge(external):
    cases, _ = external
    assert len(cases) == len(EXTERNAL_CASES)
    valid = [c for c in cases if c.valid]
    assert len(valid) / len(cases) >= 0.95
    for case in cases:
        if not case.valid:  # a refusal is a case with no actor to judge, never a vocabulary miss
            assert case.reason.startswith("no detection maps to a person, vehicle or animal"), case.reason


def test_the_rubric_agrees_with_the_people_on_the_held_out_set(external):
    cases, _ = external
    result = agreement(cases)
    assert result.level_agreement >= 0.70
    assert _within_one(cases) >= 0.90
    assert result.by_category["threat"]["level_agreement"] >= 0.60
    assert result.by_category["suspicious"]["level_agreement"] >= 0.60
    assert result.by_category["normal"]["level_agreement"] >= 0.60


def test_the_mapping_report_shows_what_mapped_to_what(external):
    _, matcher = external
    rows = {(r["field"], r["label"]): r for r in matcher.report()}
    reads = {k: (r["read_as"], r["how"]) for k, r in rows.items()}
    assert reads[("scene.time_of_day", "3am")] == ("late_night", "rule")
    assert all(r["how"] in ("embedding", "rule", "pinned", "none", "unspecified") for r in rows.values())
    embedded = [r for r in rows.values() if r["how"] == "embedding"]
    assert embedded and all(float(r["similarity"]) >= matcher.threshold for r in embedded)
    misses = [r for r in rows.values() if r["how"] == "none"]
    assert all(r["nearest"] and r["read_as"] == "not available" for r in misses)  # listed with candidates


def test_the_development_set_the_rules_were_settled_on_is_a_separate_set():
    ext_ids = {case_id for _, case_id, _ in EXTERNAL_CASES}
    assert not ext_ids & {case_id for _, case_id, _ in DEV_CASES}
