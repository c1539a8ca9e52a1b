"""curated_cases: labeled cases kept by the home-security team, read beside the synthetic scenarios.

Reads `<root>/<category>/<case_id>/expected_labels.json` folders (categories nested one level
allowed) and, optionally, a JSONL or parquet table of the same fields. Each case is validated and
mapped to the rubric's Observation through secassets.curated.vocabulary; a case that cannot be read
or mapped is a row with valid false and its reason, never dropped. The root and the table are
confined to the data folder: a setting that resolves outside it ('..', an absolute path elsewhere, a
link out) is refused before anything is read. Output: data/curated_cases.parquet; a stratified
sample joins the prompt evaluations.
"""

import os
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from secassets.core.errors import UnsafePathError
from secassets.core.vocabulary import CURATED_DIR_NAME, CURATED_EXAMPLES_DIR
from secassets.curated.loader import CuratedSourceError, load_cases
from secassets.curated.open_vocabulary import (
    MAPPING_FILE,
    MATCH_THRESHOLD,
    MappingFileError,
    VocabularyMatcher,
    load_pins,
)
from secassets.curated.rows import cases_frame
from secassets.defs.resources.embedding_model import EmbeddingModel
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.storage.bounded_read import resolved_inside
from secassets.storage.markdown import markdown_table

PREVIEW_ROWS = 10


class CuratedCaseParams(CheckedConfig):
    root: str = Field(
        default="", description="Folder of labeled cases (<root>/<category>/<case_id>/expected_labels.json) inside the "
        "data folder: relative to it, or absolute but inside it; a path that resolves outside ('..', elsewhere on the "
        f"host, a link out) is refused. Empty: <data>/{CURATED_DIR_NAME}/ when it exists, else the project's shipped "
        "examples (data/curated_examples/).",
    )
    table: str = Field(default="", description="Optional JSONL or parquet table of cases (case_id, category and the "
                       "expected_labels fields), read besides the folder; inside the data folder like root (relative "
                       "to it, or absolute but inside it).")
    max_invalid_share: float = Field(
        default=0.10, ge=0.0, le=1.0, allow_inf_nan=False,
        description="Share of cases, 0-1, that may be invalid before the curated_cases_valid check fails (ERROR).",
    )
    match_threshold: float = Field(
        default=MATCH_THRESHOLD, ge=0.3, le=1.0, allow_inf_nan=False,
        description=f"Cosine, 0.3-1, at or above which a label the exact tables miss is read as its nearest candidate "
        f"under the embedding model (published default {MATCH_THRESHOLD}); below it the label matches nothing and is "
        "listed in vocabulary_report.",
    )
    min_level_agreement: float = Field(
        default=0.60, ge=0.0, le=1.0, allow_inf_nan=False,
        description="Share of valid cases, 0-1, whose rubric level must equal the human level; below it the "
        "rubric_agreement check WARNs.",
    )


def inside_data(field: str, value: str, files: LocalFiles, *, configured: bool = True) -> Path:
    """value (relative to the data folder, or absolute) as a path; a dg.Failure, before anything is read, when it
    resolves outside the data folder."""
    data = files.base_dir
    path = Path(value) if Path(value).is_absolute() else data / value
    if not resolved_inside(data, path):
        error = UnsafePathError(
            f"resolves outside the data folder {data}, to {os.path.realpath(path)}", field=field, value=value,
            fix=f"put the cases under {data / CURATED_DIR_NAME}/ or another folder inside the data folder {data}; a "
            "folder elsewhere is mounted or copied in by the deployment")
        what = "Invalid run config (CuratedCaseParams)" if configured else "Refused curated folder"
        raise dg.Failure(description=f"{what}: {error.message}. Nothing was read.",
                         allow_retries=False)  # the same config is refused the same way
    return path


def curated_root(config: CuratedCaseParams, files: LocalFiles) -> tuple[Path, str]:
    """The folder to read and why it was chosen; a root outside the data folder is a dg.Failure."""
    if config.root:
        return inside_data("root", config.root, files), "configured root"
    team = files.base_dir / CURATED_DIR_NAME
    if team.is_dir():  # a <data>/curated that is a link out of the data folder is refused like a configured root
        return (inside_data(f"<data>/{CURATED_DIR_NAME}/ (the default root)", str(team), files, configured=False),
                f"<data>/{CURATED_DIR_NAME}/")
    return CURATED_EXAMPLES_DIR, f"shipped examples (no <data>/{CURATED_DIR_NAME}/ folder)"


@dg.asset(
    description="Labeled cases from the team's own folders (and optional JSONL/parquet table): one row per case found "
    "with case_id, category, source_file, valid and reason, the human label (label_level, label_min, label_max), the "
    "rubric's assessment (rubric_level, rubric_low, rubric_high, rubric_drivers) and the mapped observation (JSON). "
    "Labels the exact vocabulary tables miss are read by the embedding model (nearest candidate at or above "
    "match_threshold) or pinned in <root>/vocabulary.yaml; every such reading and every label matching nothing is in "
    "vocabulary_report. Values with no honest reading become 'not available' (listed per case), never guesses.",
    kinds={"parquet", "pandas"},
)
def curated_cases(context: dg.AssetExecutionContext, config: CuratedCaseParams, local_files: LocalFiles,
                  embedding_model: EmbeddingModel) -> pd.DataFrame:
    root, why = curated_root(config, local_files)
    table = inside_data("table", config.table, local_files) if config.table else None
    try:
        matcher = VocabularyMatcher(embed=embedding_model.embedder().embed, pins=load_pins(root),
                                    threshold=config.match_threshold)
        cases = load_cases(root, table, matcher)
    except MappingFileError as exc:
        raise dg.Failure(description=f"{exc}. Fix the file (fields and values: the README's vocabulary section); "
                         "nothing was read.", allow_retries=False) from None
    except CuratedSourceError as exc:
        raise dg.Failure(description=str(exc)) from None
    report = matcher.report()
    misses = [r for r in report if r["how"] == "none"]
    if misses:
        context.log.warning(f"{len(misses)} label(s) match nothing in the vocabulary (see vocabulary_report); pin them "
                            f"in {root / MAPPING_FILE}")
    df = cases_frame(cases)
    invalid = df[~df["valid"]]
    context.log.info(f"curated_cases: {len(df)} cases from {root} ({why}), {len(invalid)} invalid")
    per_category = df.groupby(["label_category", "valid"], dropna=False).size().reset_index(name="cases")
    context.add_output_metadata({
        "dagster/row_count": len(df),
        "root": str(root), "root_chosen_as": why, "table": str(table or ""),
        "valid_cases": int(df["valid"].sum()), "invalid_cases": len(invalid),
        "invalid_share": round(len(invalid) / len(df), 4) if len(df) else 0.0,
        "max_invalid_share": config.max_invalid_share, "min_level_agreement": config.min_level_agreement,
        "per_category": dg.MetadataValue.md(markdown_table(
            per_category.astype(str).to_dict("records"), ["label_category", "valid", "cases"])),
        "invalid": dg.MetadataValue.md(markdown_table(invalid.to_dict("records"), ["source_file", "reason"])
                                       if len(invalid) else "none"),
        "match_threshold": config.match_threshold, "embedding_model": embedding_model.provider,
        "labels_read_by_embedding": sum(r["how"] == "embedding" for r in report),
        "labels_matching_nothing": len(misses),
        "vocabulary_report": dg.MetadataValue.md(markdown_table(report, [
            "field", "label", "cases", "read_as", "how", "similarity", "nearest"]) if report else
            "every label is in the exact tables"),
        "preview": dg.MetadataValue.md(markdown_table(df.head(PREVIEW_ROWS).to_dict("records"), [
            "case_id", "label_category", "label_level", "label_min", "label_max", "rubric_level", "rubric_low",
            "rubric_high", "not_available"])),
    })
    return df
