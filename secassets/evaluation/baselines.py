"""Pinned baselines: a leaderboard and its per-row results frozen under data/baselines/<name>/.

A regression is judged row by row against the pinned baseline on the same scenarios (exact McNemar
on in range and on parse, Wilcoxon on deviation), so it keeps failing on every run until a person
pins a new baseline. Runs that differ in model, evaluation set, settings or rubric version (a baseline
from before rubric versions reads "unrecorded") are reported as not comparable, never judged.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel, Field

from secassets.core import names
from secassets.core.names import is_valid_name
from secassets.evaluation.leaderboard import ranked_rows, rubric_versions, template_version
from secassets.evaluation.runner import COMPARABILITY_COLUMNS
from secassets.evaluation.statistics import mcnemar_p, wilcoxon_p
from secassets.storage.files import CorruptOutputError, read_parquet, write_text
from secassets.storage.layout import partition_parts

LEADERBOARD_FILE: Final = "leaderboard.json"
PINNED_FILE: Final = "pinned.json"  # the evaluations pinned, their template versions and rubric versions
EVALUATIONS_DIR: Final = "evaluations"
_REPIN: Final = "pin the baseline again (promote_baseline job), or delete that baseline folder to judge nothing"


class RegressionThresholds(BaseModel):
    """When a change against the baseline is an ERROR (significant) or a WARN (a few rows, not significant)."""

    alpha: float = Field(default=0.05, gt=0.0, lt=1.0, allow_inf_nan=False,
                         description="Significance level of the paired tests (exact McNemar, Wilcoxon).")
    warn_rows: int = Field(default=2, ge=1, le=100_000,
                           description="Net rows lost (in range or parsed) that warn when not significant.")


def check_name(name: str) -> str:
    """A baseline name (it is a folder under data/baselines/): InvalidNameError with the rule and the fix."""
    return names.check_name("baseline", name, field="baseline")


def _evaluation_file(folder: Path, key: str) -> Path:
    """Where one "model|template" evaluation lives under a folder: <model>/<template>.parquet (key parts checked)."""
    model, template = partition_parts("prompt_evaluations", key)
    return folder / model / f"{template}.parquet"


def pin_baseline(board_path: Path, evaluations_dir: Path, keys: list[str], dest: Path) -> Path:
    """Copy the leaderboard and the ranked evaluations ("model|template" keys) to dest, atomically (all or nothing)."""
    missing = [k for k in keys if not _evaluation_file(evaluations_dir, k).is_file()]
    if not board_path.is_file() or missing:
        raise FileNotFoundError(f"nothing to pin: {board_path if not board_path.is_file() else ''} missing "
                                f"{', '.join(missing)}; materialize prompt_evaluations and template_leaderboard first")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        frames = {k: read_parquet(_evaluation_file(evaluations_dir, k)) for k in keys}
        versions = {k: template_version(df) for k, df in frames.items()}
        rubrics = {k: rubric_versions(df) for k, df in frames.items()}
        (staging / EVALUATIONS_DIR).mkdir()
        shutil.copy2(board_path, staging / LEADERBOARD_FILE)
        for k in keys:
            target = _evaluation_file(staging / EVALUATIONS_DIR, k)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(_evaluation_file(evaluations_dir, k), target)
        write_text(staging / PINNED_FILE, json.dumps({"evaluations": keys, "template_versions": versions,
                                                      "rubric_versions": rubrics}, sort_keys=True))
        old = dest.with_name(f".{dest.name}.replaced")
        if dest.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(staging, dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it became dest
    return dest


def load_baseline(dest: Path) -> dict[str, pd.DataFrame] | None:
    """The pinned per-row results by "model|template", or None when nothing is pinned under dest; a damaged file is
    a CorruptOutputError naming it (pin again, or delete the folder)."""
    folder = dest / EVALUATIONS_DIR
    if not folder.is_dir():
        return None
    out = {}
    for path in sorted(folder.glob("*/*.parquet")):
        key = f"{path.parent.name}|{path.stem}"
        if not (is_valid_name("model", path.parent.name) and is_valid_name("template", path.stem)):
            raise CorruptOutputError(f"{path} is not a pinned evaluation (its folder or file name is no model or "
                                     f"template name); {_REPIN}")
        try:
            out[key] = read_parquet(path)
        except CorruptOutputError:
            raise CorruptOutputError(f"{path} is not a readable parquet file; {_REPIN}") from None
    return out


def _identity(df: pd.DataFrame) -> dict[str, str]:
    return {c: ", ".join(sorted({str(v) for v in df[c]})) if c in df else "unrecorded" for c in COMPARABILITY_COLUMNS}


def pinned_versions(dest: Path, field: str = "template_versions") -> dict[str, str]:
    """The template versions a baseline pinned, by "model|template" (empty for a baseline from before versions);
    field "rubric_versions": the rubric versions of the pinned rows instead."""
    path = dest / PINNED_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        versions = data.get(field, {})
        if not isinstance(versions, dict):
            raise TypeError(f"{field} is not an object")
    except (ValueError, TypeError, AttributeError, OSError) as exc:  # JSONDecodeError, UnicodeDecodeError: ValueErrors
        raise CorruptOutputError(f"{path} is not a readable pin record ({type(exc).__name__}: {exc}); {_REPIN}") from None
    return {str(k): str(v) for k, v in versions.items()}


def compare_template(before: pd.DataFrame, after: pd.DataFrame, thresholds: RegressionThresholds) -> dict[str, Any]:
    """The verdict for one template: not comparable, regression (ERROR), drop (WARN) or ok.

    An edited template (another version) is compared: judging an edit is what the baseline is for."""
    was, now = _identity(before), _identity(after)
    versions = {"version_before": template_version(before), "version_after": template_version(after)}
    edited = versions["version_before"] != versions["version_after"]
    differs = [f"{c}: {was[c]} -> {now[c]}" for c in COMPARABILITY_COLUMNS if was[c] != now[c]]
    if differs:
        return {"verdict": "not comparable", "severity": None, "detail": "; ".join(differs), **versions}
    b, a = ranked_rows(before).set_index("scenario_hash"), ranked_rows(after).set_index("scenario_hash")
    common = b.index.intersection(a.index)
    b, a = b.loc[common], a.loc[common]
    out: dict[str, Any] = {"n": len(common), "detail": "", **versions}
    findings = []
    for metric, column in (("in range", "in_range"), ("parsed", "parse_ok")):
        x, y = b[column].astype(bool), a[column].astype(bool)
        lost, gained = int((x & ~y).sum()), int((~x & y).sum())
        p = mcnemar_p(x.tolist(), y.tolist())
        out[f"{column}_before"], out[f"{column}_after"], out[f"{column}_p"] = int(x.sum()), int(y.sum()), round(p, 4)
        if lost > gained and p < thresholds.alpha:
            findings.append(("ERROR", f"{metric}: {lost} rows lost, {gained} gained (exact McNemar p = {p:.3g})"))
        elif lost - gained >= thresholds.warn_rows:
            findings.append(("WARN", f"{metric}: {lost - gained} rows fewer, not significant (p = {p:.3g})"))
    dev_b, dev_a = b["deviation"].astype(float), a["deviation"].astype(float)
    p_dev = wilcoxon_p(dev_b.tolist(), dev_a.tolist())
    out["deviation_before"], out["deviation_after"], out["deviation_p"] = round(dev_b.mean(), 2), round(dev_a.mean(), 2), round(p_dev, 4)
    if dev_a.mean() > dev_b.mean() and p_dev < thresholds.alpha:
        findings.append(("ERROR", f"deviation: {dev_b.mean():.1f} -> {dev_a.mean():.1f} (Wilcoxon p = {p_dev:.3g})"))
    out["changed_rows"] = int((b["in_range"].astype(bool) != a["in_range"].astype(bool)).sum())
    severities = [s for s, _ in findings]
    out["severity"] = "ERROR" if "ERROR" in severities else ("WARN" if severities else None)
    out["verdict"] = {"ERROR": "regression", "WARN": "drop, not significant", None: "no regression"}[out["severity"]]
    edit = [f"template edited since the baseline ({versions['version_before']} -> {versions['version_after']})"]
    out["detail"] = "; ".join([d for _, d in findings] + (edit if edited else []))
    return out


def compare_with_baseline(baseline: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame],
                          thresholds: RegressionThresholds) -> dict[str, dict[str, Any]]:
    """Per "model|template" in both: its verdict against the baseline (another model is another key, never judged)."""
    return {t: compare_template(baseline[t], current[t], thresholds) for t in sorted(set(baseline) & set(current))}
