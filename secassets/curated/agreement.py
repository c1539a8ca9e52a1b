"""The rubric checked against the people's labels: how often it names their level, whether its range
meets theirs, where it lands (a confusion matrix) and the cases it misses most, with what drove it.

A disagreement is read two ways: the level (one word against one word) and the band (the rubric's
range against the range the person would accept). The band is the fairer test when a label spans two
levels (61-100 "high" accepts a critical score); the level is the one alerting depends on. Within one
level (the rubric's level next to the person's, or the same) separates near misses from real ones.
Every figure is given per label category and per source (the group folder a case sits in, e.g.
`external/`, the table file it came from, or `root` for the category folders at the root).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from secassets.curated.labels import CATEGORY_FOLDERS, CuratedCase
from secassets.evaluation.statistics import wilson_interval
from secassets.risk.bands import RISK_LEVELS, RiskLevel
from secassets.risk.rubric import RiskAssessment, active_cues, assess
from secassets.storage.markdown import markdown_table

TOP_DRIVERS: Final = 4  # drivers named per case (largest points first)
LARGEST_DISAGREEMENTS: Final = 5
ROOT_SOURCE: Final = "root"  # the source of a case in a category folder right at the root


def drivers_text(assessment: RiskAssessment, top: int = TOP_DRIVERS) -> str:
    """The terms that moved the score most, e.g. "floor:forcing_entry +15, forcing_entry +40" (base left out)."""
    terms = sorted((d for d in assessment.drivers if d.factor != "base"), key=lambda d: (-abs(d.points), d.factor))
    return ", ".join(f"{d.factor} {d.points:+d}" for d in terms[:top])


def rubric_columns(case: CuratedCase) -> dict[str, Any]:
    """The rubric's assessment of one case as table columns (None for an invalid case)."""
    if case.observation is None:
        return {"rubric_level": None, "rubric_low": None, "rubric_high": None, "rubric_score": None,
                "rubric_drivers": None}
    assessment = assess(case.observation)
    return {"rubric_level": assessment.level, "rubric_low": assessment.risk_range.low,
            "rubric_high": assessment.risk_range.high, "rubric_score": assessment.score,
            "rubric_drivers": drivers_text(assessment)}


def source_of(source_file: str) -> str:
    """Where a case came from: the group folder it sits in ("external/normal/x/expected_labels.json" -> "external"),
    the table file for a table case ("cases.jsonl:3" -> "cases.jsonl"), else "root"."""
    parts = source_file.split("/")
    if len(parts) == 1:
        table, sep, _ = source_file.rpartition(":")
        return table if sep and table else ROOT_SOURCE
    return ROOT_SOURCE if parts[0].strip().lower() in CATEGORY_FOLDERS else parts[0]


class Disagreement(BaseModel):
    """One case where the rubric's score lies outside the person's range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    category: str
    source_file: str
    label_level: RiskLevel
    label_min: int
    label_max: int
    rubric_level: RiskLevel
    rubric_score: int
    rubric_low: int
    rubric_high: int
    distance: float  # score points from the rubric's score to the label's range
    drivers: str
    cues: list[str]
    not_available: list[str]


class Agreement(BaseModel):
    """How far the rubric agrees with the labels of the valid cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cases: int  # found, valid or not
    valid: int
    level_agreement: float | None  # None without valid cases
    level_agreement_ci: tuple[float, float]  # Wilson 95%
    within_one_level: float | None  # rubric level at most one level from the label's
    within_one_level_ci: tuple[float, float]
    band_overlap: float | None
    band_overlap_ci: tuple[float, float]
    score_in_label_range: float | None
    confusion: dict[str, dict[str, int]]  # label level -> rubric level -> cases, every level in RISK_LEVELS order
    # label category -> valid, level_agreement, within_one_level, band_overlap (valid cases only)
    by_category: dict[str, dict[str, float | int | None]]
    by_source: dict[str, dict[str, float | int | None]]  # source (source_of) -> the same figures
    largest_disagreements: list[Disagreement]


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def _figures(tally: list[int]) -> dict[str, float | int | None]:
    """[valid, level hits, within-one hits, band hits] as the per-group figures."""
    n, level, near, band = tally
    return {"valid": n, "level_agreement": _rate(level, n), "within_one_level": _rate(near, n),
            "band_overlap": _rate(band, n)}


def agreement(cases: Sequence[CuratedCase], k: int = LARGEST_DISAGREEMENTS) -> Agreement:
    """Level agreement and band overlap (with Wilson intervals), the confusion matrix and the k largest misses."""
    confusion = {label: dict.fromkeys(RISK_LEVELS, 0) for label in RISK_LEVELS}
    level_hits = near_hits = band_hits = inside = 0
    per_category: dict[str, list[int]] = {}
    per_source: dict[str, list[int]] = {}
    misses: list[Disagreement] = []
    valid = [c for c in cases if c.valid and c.observation is not None and c.label is not None]
    for case in valid:
        label, assessment = case.label, assess(case.observation)  # type: ignore[arg-type]
        assert label is not None
        confusion[label.level][assessment.level] += 1
        level_ok = label.level == assessment.level
        near_ok = abs(RISK_LEVELS.index(label.level) - RISK_LEVELS.index(assessment.level)) <= 1
        band_ok = assessment.risk_range.low <= label.max_score and label.min_score <= assessment.risk_range.high
        distance = label.risk_range.deviation(assessment.score)
        level_hits, near_hits, band_hits = level_hits + level_ok, near_hits + near_ok, band_hits + band_ok
        inside += distance == 0
        for groups, group in ((per_category, case.label_category or ""), (per_source, source_of(case.source_file))):
            tally = groups.setdefault(group, [0, 0, 0, 0])
            for i, hit in enumerate((True, level_ok, near_ok, band_ok)):
                tally[i] += hit
        if distance > 0:
            misses.append(Disagreement(
                case_id=case.case_id, category=case.category, source_file=case.source_file,
                label_level=label.level, label_min=label.min_score, label_max=label.max_score,
                rubric_level=assessment.level, rubric_score=assessment.score, rubric_low=assessment.risk_range.low,
                rubric_high=assessment.risk_range.high, distance=distance, drivers=drivers_text(assessment),
                cues=sorted(active_cues(case.observation)), not_available=case.not_available,  # type: ignore[arg-type]
            ))
    n = len(valid)
    misses.sort(key=lambda d: (-d.distance, d.category, d.case_id))
    return Agreement(
        cases=len(cases), valid=n,
        level_agreement=_rate(level_hits, n), level_agreement_ci=wilson_interval(level_hits, n),
        within_one_level=_rate(near_hits, n), within_one_level_ci=wilson_interval(near_hits, n),
        band_overlap=_rate(band_hits, n), band_overlap_ci=wilson_interval(band_hits, n),
        score_in_label_range=_rate(inside, n), confusion=confusion,
        by_category={cat: _figures(t) for cat, t in sorted(per_category.items())},
        by_source={source: _figures(t) for source, t in sorted(per_source.items())},
        largest_disagreements=misses[:k],
    )


def _percent(rate: float | None, ci: tuple[float, float] | None = None) -> str:
    if rate is None:
        return "n/a"
    return f"{rate:.0%}" + (f" (95% CI {ci[0]:.0%}-{ci[1]:.0%})" if ci else "")


GROUP_COLUMNS: Final = ("valid", "level agreement", "within one level", "band overlap")


def group_rows(groups: dict[str, dict[str, float | int | None]], name: str) -> list[dict[str, Any]]:
    """Per-category or per-source figures as table rows (rates in percent), the group under the column `name`."""
    return [{name: group, "valid": v["valid"], "level agreement": _percent(v["level_agreement"]),
             "within one level": _percent(v["within_one_level"]), "band overlap": _percent(v["band_overlap"])}
            for group, v in groups.items()]


def agreement_markdown(result: Agreement) -> str:
    """The agreement for people: headline rates, the confusion matrix, per category and per source, the largest
    misses."""
    lines = [
        f"**{result.valid} valid cases** of {result.cases} found.",
        "",
        f"- level agreement (rubric level = label level): {_percent(result.level_agreement, result.level_agreement_ci)}",
        "- within one level (rubric level at most one level off): "
        + _percent(result.within_one_level, result.within_one_level_ci),
        f"- band overlap (rubric range meets label range): {_percent(result.band_overlap, result.band_overlap_ci)}",
        f"- rubric score inside the label range: {_percent(result.score_in_label_range)}",
        "",
        "Confusion (rows: label level, columns: rubric level)",
        "",
        markdown_table([{"label": label, **row} for label, row in result.confusion.items()], ["label", *RISK_LEVELS]),
        "",
        "Per label category",
        "",
        markdown_table(group_rows(result.by_category, "category"), ["category", *GROUP_COLUMNS]),
        "",
        "Per source (group folder, table file, or root)",
        "",
        markdown_table(group_rows(result.by_source, "source"), ["source", *GROUP_COLUMNS]),
        "",
    ]
    if not result.largest_disagreements:
        lines.append("No rubric score lies outside its label's range.")
    else:
        lines += [f"Largest disagreements (score points outside the label range, top {len(result.largest_disagreements)})",
                  "", markdown_table([{
                      "case": f"{d.category}/{d.case_id}", "label": f"{d.label_level} {d.label_min}-{d.label_max}",
                      "rubric": f"{d.rubric_level} {d.rubric_score} ({d.rubric_low}-{d.rubric_high})",
                      "distance": d.distance, "drivers": d.drivers, "cues": ", ".join(d.cues) or "none",
                  } for d in result.largest_disagreements], ["case", "label", "rubric", "distance", "drivers", "cues"])]
    return "\n".join(lines) + "\n"
