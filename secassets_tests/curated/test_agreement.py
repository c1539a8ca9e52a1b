"""The rubric against hand-made labels: rates, Wilson intervals, the confusion matrix and the largest misses."""

from __future__ import annotations

import pytest

from secassets.curated.agreement import agreement, agreement_markdown, rubric_columns, source_of
from secassets.curated.labels import CuratedCase, RiskLabel, label_category_of
from secassets.evaluation.statistics import wilson_interval
from secassets.risk import Observation, ObservedObject, assess

PERSON = ObservedObject(object_class="person")
COURIER = Observation(zone="front_door", time_of_day="midday", objects=[PERSON], cues={"delivering"})  # low, 5
BURGLAR = Observation(zone="side_gate", time_of_day="late_night", objects=[PERSON],
                      cues={"forcing_entry", "carrying_weapon"})  # critical, 100
LOITERER = Observation(zone="side_gate", time_of_day="night", objects=[PERSON], cues={"loitering"})  # medium, 50


def case(case_id: str, obs: Observation | None, low: int, high: int, level: str, category: str = "normal",
         source: str = "") -> CuratedCase:
    valid = obs is not None
    return CuratedCase(case_id=case_id, category=category, label_category=label_category_of(category),
                       source_file=source or f"{case_id}.json",
                       valid=valid, reason="" if valid else "broken", label=RiskLabel(min_score=low, max_score=high,
                                                                                      level=level), observation=obs)


def test_the_hand_made_observations_score_as_assumed():
    assert (assess(COURIER).level, assess(COURIER).score) == ("low", 5)
    assert (assess(BURGLAR).level, assess(BURGLAR).score) == ("critical", 100)
    assert (assess(LOITERER).level, assess(LOITERER).score) == ("medium", 50)


CASES = [
    case("agree_low", COURIER, 0, 25, "low"),
    case("courier_called_medium", COURIER, 30, 55, "medium", "suspicious"),  # no overlap, 25 points away
    case("agree_critical", BURGLAR, 80, 100, "critical", "threats"),
    case("burglar_called_high", BURGLAR, 61, 85, "high", "threats"),  # range 90-100 misses 61-85, 15 away
    case("loiterer_called_high", LOITERER, 55, 80, "high", "suspicious"),  # 45-55 touches 55-80: overlap, 5 away
    case("broken", None, 0, 25, "low"),  # invalid: counted as found, not judged
]


def test_agreement_numbers_on_a_hand_made_set():
    result = agreement(CASES, k=2)
    assert (result.cases, result.valid) == (6, 5)
    assert result.level_agreement == pytest.approx(2 / 5) and result.level_agreement_ci == wilson_interval(2, 5)
    assert result.band_overlap == pytest.approx(3 / 5) and result.band_overlap_ci == wilson_interval(3, 5)
    assert result.score_in_label_range == pytest.approx(2 / 5)
    assert result.confusion == {
        "low": {"low": 1, "medium": 0, "high": 0, "critical": 0},
        "medium": {"low": 1, "medium": 0, "high": 0, "critical": 0},
        "high": {"low": 0, "medium": 1, "high": 0, "critical": 1},
        "critical": {"low": 0, "medium": 0, "high": 0, "critical": 1},
    }
    assert list(result.confusion) == ["low", "medium", "high", "critical"]
    assert [(d.case_id, d.distance) for d in result.largest_disagreements] == [
        ("courier_called_medium", 25.0), ("burglar_called_high", 15.0)]
    top = result.largest_disagreements[0]
    assert (top.label_level, top.rubric_level, top.rubric_score, top.rubric_low, top.rubric_high) == (
        "medium", "low", 5, 0, 10)
    assert top.cues == ["delivering"] and "delivering -18" in top.drivers
    assert agreement(CASES).largest_disagreements[-1].case_id == "loiterer_called_high"
    assert result.by_category == {
        "normal": {"valid": 1, "level_agreement": 1.0, "within_one_level": 1.0, "band_overlap": 1.0},
        "suspicious": {"valid": 2, "level_agreement": 0.0, "within_one_level": 1.0, "band_overlap": 0.5},
        "threat": {"valid": 2, "level_agreement": 0.5, "within_one_level": 1.0, "band_overlap": 0.5},
    }
    assert result.within_one_level == 1.0  # every miss is one level off


def test_the_source_of_a_case_is_its_group_folder_its_table_file_or_the_root():
    assert source_of("external/normal/x/expected_labels.json") == "external"
    assert source_of("partner_b/threats/y/expected_labels.json") == "partner_b"
    assert source_of("normal/x/expected_labels.json") == "root"
    assert source_of("Threats/x/expected_labels.json") == "root"  # category folders are matched in any case
    assert source_of("normal/expected_labels.json") == "root"  # a stray labels file in a category folder
    assert source_of("cases.jsonl:3") == "cases.jsonl"
    assert source_of("labels.parquet:12") == "labels.parquet"
    assert source_of("x.json") == "root"


SOURCED = [
    case("agree_low", COURIER, 0, 25, "low", source="normal/agree_low/expected_labels.json"),
    case("courier_called_high", COURIER, 61, 85, "high", "external/suspicious",  # low vs high: two levels off
         source="external/suspicious/courier_called_high/expected_labels.json"),
    case("burglar_called_high", BURGLAR, 61, 85, "high", "external/threats",  # critical vs high: one off, no overlap
         source="external/threats/burglar_called_high/expected_labels.json"),
    case("loiterer_called_high", LOITERER, 55, 80, "high", "suspicious", source="cases.jsonl:3"),  # one off, overlap
    case("agree_critical", BURGLAR, 80, 100, "critical", "threats", source="cases.jsonl:4"),
    case("broken", None, 0, 25, "low", "external/normal", source="external/normal/broken/expected_labels.json"),
]


def test_within_one_level_and_every_figure_per_source_and_category():
    result = agreement(SOURCED)
    assert (result.cases, result.valid) == (6, 5)
    assert result.level_agreement == pytest.approx(2 / 5)
    assert result.within_one_level == pytest.approx(4 / 5) and result.within_one_level_ci == wilson_interval(4, 5)
    assert result.band_overlap == pytest.approx(3 / 5)
    assert result.by_source == {
        "cases.jsonl": {"valid": 2, "level_agreement": 0.5, "within_one_level": 1.0, "band_overlap": 1.0},
        "external": {"valid": 2, "level_agreement": 0.0, "within_one_level": 0.5, "band_overlap": 0.0},
        "root": {"valid": 1, "level_agreement": 1.0, "within_one_level": 1.0, "band_overlap": 1.0},
    }  # the broken external case is found, not judged
    assert result.by_category == {
        "normal": {"valid": 1, "level_agreement": 1.0, "within_one_level": 1.0, "band_overlap": 1.0},
        "suspicious": {"valid": 2, "level_agreement": 0.0, "within_one_level": 0.5, "band_overlap": 0.5},
        "threat": {"valid": 2, "level_agreement": 0.5, "within_one_level": 1.0, "band_overlap": 0.5},
    }
    md = agreement_markdown(result)
    assert "- within one level (rubric level at most one level off): 80% (95% CI 38%-96%)" in md
    assert "| source | valid | level agreement | within one level | band overlap |" in md
    assert "| external | 2 | 0% | 50% | 0% |" in md and "| cases.jsonl | 2 | 50% | 100% | 100% |" in md
    assert "| suspicious | 2 | 0% | 50% | 50% |" in md


def test_no_valid_cases():
    result = agreement([CASES[-1]])
    assert (result.valid, result.level_agreement, result.band_overlap) == (0, None, None)
    assert result.level_agreement_ci == (0.0, 1.0) and result.largest_disagreements == []
    assert (result.within_one_level, result.within_one_level_ci, result.by_source) == (None, (0.0, 1.0), {})
    assert "n/a" in agreement_markdown(result)


def test_markdown_shows_the_rates_matrix_and_misses():
    md = agreement_markdown(agreement(CASES, k=2))
    assert "**5 valid cases** of 6 found." in md
    assert "level agreement (rubric level = label level): 40% (95% CI 12%-77%)" in md
    assert "| high | 0 | 1 | 0 | 1 |" in md
    assert "| suspicious/courier_called_medium | medium 30-55 | low 5 (0-10) | 25 |" in md


def test_rubric_columns():
    columns = rubric_columns(CASES[0])
    assert {k: columns[k] for k in ("rubric_level", "rubric_low", "rubric_high", "rubric_score")} == {
        "rubric_level": "low", "rubric_low": 0, "rubric_high": 10, "rubric_score": 5}
    assert columns["rubric_drivers"].startswith("delivering -18, unknown_person +8")
    assert set(rubric_columns(CASES[-1]).values()) == {None}
