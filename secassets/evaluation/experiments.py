"""A/B experiments of prompt templates: a control and a variant answer the same scenarios, and a paired test says
whether the variant is worth adopting, is not, or whether the run is too small to tell (and how large it must be).

prompts/experiments.yaml names the experiments (hand-edited: every mistake reads as "file:line: problem. Fix: ...").
Only repeat 0 is compared, like the leaderboard; failed answers count as wrong, never drop out of the denominator.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from scipy.stats import norm

from secassets.core.names import anchored
from secassets.core.vocabulary import EXPERIMENTS_FILE_NAME
from secassets.evaluation.file_lint import FileLintError, FileProblem, closest, read_yaml, validation_problems
from secassets.evaluation.leaderboard import mixing_problems, ranked_rows, template_version
from secassets.evaluation.model_board import by_model
from secassets.evaluation.statistics import mcnemar_p, wilson_interval
from secassets.evaluation.template_files import TEMPLATE_SUFFIX, load_catalog
from secassets.storage.markdown import markdown_table

Metric = Literal["in_range", "level_agreement", "alert_agreement"]
Decision = Literal["adopt", "reject", "inconclusive"]
# metric -> (the row's column, the perfect reader's column: what a perfect reader of the template's inputs reaches)
EXPERIMENT_METRICS: Final[dict[str, tuple[str, str]]] = {
    "in_range": ("in_range", "ceiling_in_range"),
    "level_agreement": ("level_agreement", "ceiling_level_agreement"),
    "alert_agreement": ("alert_agreement", "ceiling_alert_agreement"),
}
RATE_Z: Final = 1.959964  # the rates' Wilson intervals are 95% whatever the experiment's alpha
DISCORDANT_SHOWN: Final = 10


class ExperimentSpec(BaseModel):
    """One experiment of prompts/experiments.yaml: does `variant` beat `control` by at least `min_effect`?"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=anchored("experiment"))
    description: str = ""
    control: str = Field(pattern=anchored("template"))
    variant: str = Field(pattern=anchored("template"))
    metric: Metric = "in_range"
    min_effect: float = Field(gt=0, lt=1)  # smallest improvement worth having: an absolute difference of rates
    alpha: float = Field(default=0.05, gt=0, le=0.2)
    power: float = Field(default=0.80, ge=0.5, lt=1)

    @field_validator("variant")
    @classmethod
    def _differs_from_control(cls, variant: str, info: ValidationInfo) -> str:
        if info.data.get("control") == variant:
            raise ValueError("the variant is the control; an experiment compares two different templates")
        return variant


def load_experiments(path: Path, templates: Collection[str], shown_as: str | None = None) -> list[ExperimentSpec]:
    """The experiments of the file (none when it does not exist); every mistake in it is reported at once."""
    if not path.exists():
        return []
    doc = read_yaml(path, shown_as)
    where = doc.path
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("experiments"), list):
        line = doc.line(("experiments",)) if isinstance(doc.data, dict) else 1
        raise FileLintError([FileProblem(where, line, "has no `experiments:` list.",
                                         "start the file with `experiments:` and list each experiment under it as "
                                         "`- name: ...` with control, variant and min_effect.")])
    problems = [FileProblem(where, doc.line((str(key),)), f"unknown key `{key}`{closest(str(key), ['experiments'])}.",
                            "remove it; the file holds only `experiments:`.") for key in doc.data if key != "experiments"]
    known = sorted(templates)
    specs: list[ExperimentSpec] = []
    first_line: dict[str, int] = {}
    for i, item in enumerate(doc.data["experiments"]):
        at = ("experiments", i)
        if not isinstance(item, dict):
            problems.append(FileProblem(where, doc.line(at), f"experiment {i + 1} is not a mapping (got {item!r}).",
                                        "write it as `- name: ...` followed by its keys, indented."))
            continue
        name = item.get("name")
        if isinstance(name, str) and name in first_line:
            problems.append(FileProblem(where, doc.line((*at, "name")),
                                        f"experiment name `{name}` is used twice (first at line {first_line[name]}).",
                                        "give each experiment its own name."))
        elif isinstance(name, str):
            first_line[name] = doc.line((*at, "name"))
        for role in ("control", "variant"):
            template = item.get(role)
            if isinstance(template, str) and template not in templates:
                problems.append(FileProblem(where, doc.line((*at, role)),
                                            f"{role} `{template}` is not a template{closest(template, known)}.",
                                            f"add prompts/{template}.yaml or use one of: {', '.join(known)}."))
        try:
            specs.append(ExperimentSpec.model_validate(item))
        except ValidationError as exc:
            problems += validation_problems(doc, exc, at, list(ExperimentSpec.model_fields))
    if problems:
        raise FileLintError(sorted(problems, key=lambda p: p.line))
    return specs


def _rounded(x: float | None, places: int = 4) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), places)


@dataclass(frozen=True)
class ExperimentResult:
    """The paired comparison of one metric: rates, the variant's effect with its interval, the test and the verdict."""

    n: int
    control_rate: float | None
    control_ci: tuple[float, float]
    variant_rate: float | None
    variant_ci: tuple[float, float]
    b: int  # control right, variant wrong
    c: int  # variant right, control wrong
    discordance: float | None
    effect: float | None  # variant rate minus control rate
    effect_ci: tuple[float, float]
    confidence: float  # of effect_ci: 1 - alpha
    p: float
    decision: Decision
    reason: str
    needed_n: int
    underpowered: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: floats to 4 places (p to 4 significant digits, so a tiny p never reads as 0), no NaN."""
        return {
            "n": self.n, "control_rate": _rounded(self.control_rate), "control_ci_low": _rounded(self.control_ci[0]),
            "control_ci_high": _rounded(self.control_ci[1]), "variant_rate": _rounded(self.variant_rate),
            "variant_ci_low": _rounded(self.variant_ci[0]), "variant_ci_high": _rounded(self.variant_ci[1]),
            "b": self.b, "c": self.c, "discordance": _rounded(self.discordance), "effect": _rounded(self.effect),
            "effect_ci_low": _rounded(self.effect_ci[0]), "effect_ci_high": _rounded(self.effect_ci[1]),
            "confidence": _rounded(self.confidence), "p": float(f"{self.p:.4g}"), "decision": self.decision,
            "reason": self.reason, "needed_n": self.needed_n, "underpowered": self.underpowered,
        }


def paired_difference_interval(both: int, variant_only: int, control_only: int, neither: int,
                               z: float = RATE_Z) -> tuple[float, float]:
    """Newcombe's (1998) method 10 for variant rate minus control rate on paired outcomes: the two Wilson intervals
    squared and added, less their correlation phi (corrected towards 0 by n/2 when positive; 0 with an empty margin).

    Better than Wald for small n and rates near 0 or 1: it never leaves [-1, 1] and is never zero-width."""
    n = both + variant_only + control_only + neither
    if n == 0:
        return -1.0, 1.0
    v_right, c_right = both + variant_only, both + control_only
    pv, pc = v_right / n, c_right / n
    lv, uv = wilson_interval(v_right, n, z)
    lc, uc = wilson_interval(c_right, n, z)
    margins = v_right * (n - v_right) * c_right * (n - c_right)
    cross = both * neither - variant_only * control_only
    if margins == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    else:
        phi = (cross - n / 2 if cross > 0 else cross) / math.sqrt(margins)
    d = pv - pc
    low = d - math.sqrt(max(0.0, (pv - lv) ** 2 + (uc - pc) ** 2 - 2 * phi * (pv - lv) * (uc - pc)))
    high = d + math.sqrt(max(0.0, (pc - lc) ** 2 + (uv - pv) ** 2 - 2 * phi * (pc - lc) * (uv - pv)))
    return max(-1.0, low), min(1.0, high)


def needed_pairs(discordance: float, spec: ExperimentSpec) -> int:
    """Scenarios a run needs to detect min_effect with the spec's power (Connor 1987, McNemar's test); the
    discordance can never be below the effect, so the observed one is raised to min_effect when smaller."""
    delta = spec.min_effect
    psi = max(discordance, delta)
    z_alpha, z_power = norm.ppf(1 - spec.alpha / 2), norm.ppf(spec.power)
    n = (z_alpha * math.sqrt(psi) + z_power * math.sqrt(psi - delta * delta)) ** 2 / (delta * delta)
    return math.ceil(n - 1e-9)


def decide(control: Sequence[bool], variant: Sequence[bool], spec: ExperimentSpec) -> ExperimentResult:
    """Adopt, reject or inconclusive, from paired outcomes (the same scenarios in the same order)."""
    if len(control) != len(variant):
        raise ValueError(f"paired outcomes differ in length: control {len(control)}, variant {len(variant)}")
    n = len(control)
    both = sum(1 for x, y in zip(control, variant, strict=True) if x and y)
    b = sum(1 for x, y in zip(control, variant, strict=True) if x and not y)
    c = sum(1 for x, y in zip(control, variant, strict=True) if y and not x)
    level = 1 - spec.alpha
    if n == 0:
        return ExperimentResult(0, None, (0.0, 1.0), None, (0.0, 1.0), 0, 0, None, None, (-1.0, 1.0), level, 1.0,
                                "inconclusive", "no paired scenarios", needed_pairs(0.0, spec), False)
    c_right, v_right = both + b, both + c
    effect, discordance = (c - b) / n, (b + c) / n
    low, high = paired_difference_interval(both, c, b, n - both - b - c, float(norm.ppf(1 - spec.alpha / 2)))
    p = mcnemar_p(list(control), list(variant))
    needed = needed_pairs(discordance, spec)
    ci = f"({level:.0%} CI {low:+.2f} to {high:+.2f}), p = {p:.3g}"
    decision: Decision
    if effect > 0 and p < spec.alpha:
        decision, reason = "adopt", f"variant better by {effect:.2f} {ci} < {spec.alpha:g}"
    elif effect < 0 and p < spec.alpha:
        decision, reason = "reject", f"variant worse by {-effect:.2f} {ci} < {spec.alpha:g}"
    elif high < spec.min_effect:
        decision = "reject"
        reason = f"an improvement of {spec.min_effect:g} or more is ruled out: effect {effect:+.2f} {ci}"
    else:
        decision = "inconclusive"
        reason = (f"no decision: effect {effect:+.2f} {ci} >= {spec.alpha:g}, and an improvement of "
                  f"{spec.min_effect:g} is not ruled out; about {needed} scenarios are needed")
    return ExperimentResult(n, c_right / n, wilson_interval(c_right, n, RATE_Z), v_right / n,
                            wilson_interval(v_right, n, RATE_Z), b, c, discordance, effect, (low, high), level, p,
                            decision, reason, needed, decision != "inconclusive" and n < needed)


def _truthy(value: Any) -> bool:
    """A metric cell as a boolean; a missing value (no answer) is wrong."""
    return bool(value) if pd.notna(value) else False


def _outcomes(series: pd.Series) -> list[bool]:
    return [_truthy(v) for v in series]


def _answer(row: pd.Series, side: str, column: str) -> dict[str, Any]:
    score = row[f"risk_score_{side}"]
    return {f"{side}_score": None if pd.isna(score) else int(score),
            f"{side}_verdict": ("right" if _truthy(row[f"{column}_{side}"]) else "wrong")
            + ("" if bool(row[f"parse_ok_{side}"]) else " (no parsed answer)")}


def compare(spec: ExperimentSpec, control_rows: pd.DataFrame, variant_rows: pd.DataFrame) -> dict[str, Any]:
    """The experiment on one model's evaluations of the two templates (repeat 0, paired on scenario_hash)."""
    control, variant = ranked_rows(control_rows), ranked_rows(variant_rows)
    models = sorted({str(m) for df in (control, variant) if "model_id" in df for m in df["model_id"]})
    head = {"experiment": spec.name, "model": ", ".join(models), "control": spec.control, "variant": spec.variant,
            "metric": spec.metric}
    problems = mixing_problems({"control": control, "variant": variant})  # the leaderboard's comparability rule
    if problems:
        return {**head, "status": "not comparable", "reason": "; ".join(problems)}
    column, ceiling = EXPERIMENT_METRICS[spec.metric]
    pairs = control.drop_duplicates("scenario_hash").merge(
        variant.drop_duplicates("scenario_hash"), on="scenario_hash", how="inner", suffixes=("_control", "_variant"),
    ).sort_values("scenario_hash", kind="stable")
    before, after = _outcomes(pairs[f"{column}_control"]), _outcomes(pairs[f"{column}_variant"])
    reader = decide(_outcomes(pairs[f"{ceiling}_control"]), _outcomes(pairs[f"{ceiling}_variant"]), spec)
    differs = pairs[[x != y for x, y in zip(before, after, strict=True)]]
    discordant = [{"scenario_hash": row["scenario_hash"], "scenario_type": row["scenario_type_control"],
                   "truth": f"{int(row['truth_low_control'])}-{int(row['truth_high_control'])} "
                            f"{row['truth_level_control']}",
                   **_answer(row, "control", column), **_answer(row, "variant", column)}
                  for _, row in differs.head(DISCORDANT_SHOWN).iterrows()]
    return {**head, "status": "decided", **decide(before, after, spec).as_dict(), "perfect_reader": reader.as_dict(),
            "discordant": discordant}


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _effect_text(r: dict[str, Any]) -> str:
    return "" if r.get("effect") is None else f"{r['effect']:+.3f} [{r['effect_ci_low']:+.3f}, {r['effect_ci_high']:+.3f}]"


EXPERIMENT_TABLE_COLUMNS: Final = ("experiment", "model", "n", "control rate", "variant rate", "effect [CI]", "p",
                                   "decision", "needed n", "perfect-reader effect")


def experiments_markdown(results: list[dict[str, Any]]) -> str:
    """One line per (experiment, model); an experiment that could not be compared says why in its decision."""
    rows = []
    for r in results:
        if r.get("status") != "decided":
            rows.append({"experiment": r.get("experiment", ""), "model": r.get("model", ""),
                         "decision": f"not comparable: {r.get('reason', '')}"})
            continue
        rows.append({"experiment": r["experiment"], "model": r["model"], "n": r["n"],
                     "control rate": _number(r["control_rate"]), "variant rate": _number(r["variant_rate"]),
                     "effect [CI]": _effect_text(r), "p": f"{r['p']:.3g}",
                     "decision": r["decision"] + (" (underpowered)" if r["underpowered"] else ""),
                     "needed n": r["needed_n"], "perfect-reader effect": _effect_text(r["perfect_reader"])})
    return markdown_table(rows, EXPERIMENT_TABLE_COLUMNS)


def template_diff(control_text: str, variant_text: str, control_name: str, variant_name: str) -> str:
    """What the variant changes in the control's file, as a unified diff (empty when the files are the same)."""
    return "\n".join(difflib.unified_diff(control_text.splitlines(), variant_text.splitlines(),
                                          fromfile=f"prompts/{control_name}.yaml", tofile=f"prompts/{variant_name}.yaml",
                                          lineterm=""))


def _not_run(spec: ExperimentSpec, model: str, missing: list[str]) -> dict[str, Any]:
    return {"experiment": spec.name, "model": model, "control": spec.control, "variant": spec.variant,
            "metric": spec.metric, "status": "not run",
            "reason": "not evaluated: " + ", ".join(f"prompt_evaluations partition {model}|{t}" for t in missing)
            + " (materialize it, then this asset)"}


def run_experiments(evals: dict[str, pd.DataFrame], folder: Path | None = None,
                    ) -> tuple[list[ExperimentSpec], list[dict[str, Any]], dict[str, str]]:
    """Every experiment of <folder>/experiments.yaml (default: prompts_dir()) on every model's evaluations ("model|template"
    keys); also the specs and the diff of each experiment's two files. FileLintError for a bad experiments file."""
    catalog = load_catalog(folder)
    path = catalog.folder / EXPERIMENTS_FILE_NAME
    known = {*catalog.templates, *(Path(p).stem for p in catalog.broken_files)}
    specs = load_experiments(path, known, shown_as=f"{path.parent.name}/{path.name}")
    models = by_model(evals)
    results, diffs = [], {}
    for spec in specs:
        diffs[spec.name] = template_diff(_file_text(catalog.folder, spec.control), _file_text(catalog.folder, spec.variant),
                                         spec.control, spec.variant)
        for model, templates in models.items():
            missing = [t for t in (spec.control, spec.variant) if t not in templates]
            if missing:
                results.append(_not_run(spec, model, missing))
                continue
            result = compare(spec, templates[spec.control], templates[spec.variant])
            result.update({"model": model, "control_version": template_version(templates[spec.control]),
                           "variant_version": template_version(templates[spec.variant])})
            results.append(result)
    return specs, results, diffs


def _file_text(folder: Path, name: str) -> str:
    path = folder / f"{name}{TEMPLATE_SUFFIX}"
    return path.read_text(encoding="utf-8") if path.is_file() else ""
