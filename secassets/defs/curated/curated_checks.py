"""Checks on curated_cases: few enough unreadable cases, and the rubric measured against the people's labels."""


from typing import Any

import dagster as dg
import pandas as pd

from secassets.curated.agreement import GROUP_COLUMNS, agreement, agreement_markdown, group_rows
from secassets.curated.rows import cases_of_frame
from secassets.storage.markdown import markdown_table

MAX_LISTED = 20


def _configured(context: dg.AssetCheckExecutionContext, key: str, default: float) -> float:
    """A threshold from the run config of the materialization being checked (recorded in its metadata)."""
    record = context.instance.get_latest_materialization_event(dg.AssetKey("curated_cases"))
    meta = record.asset_materialization.metadata if record and record.asset_materialization else {}
    return float(meta[key].value) if key in meta else default


@dg.asset_check(
    asset="curated_cases",
    description="At most max_invalid_share (asset config, default 0.10) of the curated cases found are invalid "
    "(ERROR): every invalid case is listed with its file and reason, none is dropped silently.",
    blocking=True,
)
def curated_cases_valid(context: dg.AssetCheckExecutionContext, curated_cases: pd.DataFrame) -> dg.AssetCheckResult:
    limit = _configured(context, "max_invalid_share", 0.10)
    invalid = curated_cases[~curated_cases["valid"].astype(bool)]
    share = len(invalid) / len(curated_cases) if len(curated_cases) else 0.0
    metadata: dict[str, Any] = {
        "cases": len(curated_cases), "invalid_cases": len(invalid), "invalid_share": round(share, 4),
        "max_invalid_share": limit,
    }
    if len(invalid):
        metadata["invalid"] = dg.MetadataValue.md(markdown_table(invalid.head(MAX_LISTED).to_dict("records"),
                                                                 ["source_file", "reason"]))
    return dg.AssetCheckResult(passed=bool(len(curated_cases)) and share <= limit,
                               severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
                               description=None if len(curated_cases) else "no curated case was found")


@dg.asset_check(
    asset="curated_cases",
    description="The rubric's assessment of each valid curated case against its human label: level agreement and "
    "agreement within one level (Wilson 95% intervals), band overlap, each per label category and per source (group "
    "folder, table file or root), a label x rubric confusion matrix and the largest disagreements with the cues that "
    "drove the rubric. WARN below min_level_agreement (asset config, default 0.60).",
)
def rubric_agreement(context: dg.AssetCheckExecutionContext, curated_cases: pd.DataFrame) -> dg.AssetCheckResult:
    minimum = _configured(context, "min_level_agreement", 0.60)
    result = agreement(cases_of_frame(curated_cases))
    rate = result.level_agreement
    metadata: dict[str, Any] = {
        "valid_cases": result.valid, "min_level_agreement": minimum,
        "level_agreement": rate if rate is None else round(rate, 4),
        "level_agreement_ci_low": round(result.level_agreement_ci[0], 4),
        "level_agreement_ci_high": round(result.level_agreement_ci[1], 4),
        "within_one_level": result.within_one_level if result.within_one_level is None else round(result.within_one_level, 4),
        "within_one_level_ci_low": round(result.within_one_level_ci[0], 4),
        "within_one_level_ci_high": round(result.within_one_level_ci[1], 4),
        "band_overlap": result.band_overlap if result.band_overlap is None else round(result.band_overlap, 4),
        "by_source": dg.MetadataValue.md(markdown_table(group_rows(result.by_source, "source"), ["source", *GROUP_COLUMNS])),
        "by_category": dg.MetadataValue.md(markdown_table(group_rows(result.by_category, "category"),
                                                          ["category", *GROUP_COLUMNS])),
        "report": dg.MetadataValue.md(agreement_markdown(result)),
    }
    return dg.AssetCheckResult(
        passed=rate is not None and rate >= minimum, severity=dg.AssetCheckSeverity.WARN,
        metadata={k: v for k, v in metadata.items() if v is not None},
        description=None if rate is not None else "no valid curated case: nothing to compare the rubric with",
    )
