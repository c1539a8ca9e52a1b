"""Sampling rules: the seven weighted sampler columns, each drawn independently of the others.

No sampler is conditioned on scenario_type: a coupling (say, no animal ever leads a threat) would let
a field the model sees stand in for the label. The content drawn for a row, judged by the risk
rubric, is what makes its type true (secassets.scenarios.grounding).
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from secassets.core.vocabulary import DEFAULT_WEIGHTS, SAMPLER_COLUMNS, SAMPLER_VALUES
from secassets.storage.files import CorruptOutputError, sha256_file

# Weights are relative; the bound keeps every column's sum finite (1e308 * 3 would overflow to inf).
MAX_WEIGHT = 1e9


class SamplerSpec(BaseModel):
    """The validated sampling plan: row count, seed and one weight per category of each sampler."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_scenarios: int = Field(default=500, ge=1, le=100_000)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    weights: dict[str, dict[str, float]] = Field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_WEIGHTS.items()})

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, weights: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        unknown = sorted(set(weights) - set(SAMPLER_COLUMNS))
        if unknown:
            raise ValueError(f"unknown sampler column(s) {unknown}; known: {list(SAMPLER_COLUMNS)}")
        missing = [c for c in SAMPLER_COLUMNS if c not in weights]
        if missing:
            raise ValueError(f"weights missing for sampler column(s) {missing}")
        ordered: dict[str, dict[str, float]] = {}
        for column in SAMPLER_COLUMNS:
            given = weights[column]
            allowed = SAMPLER_VALUES[column]
            bad = sorted(set(given) - set(allowed))
            if bad:
                raise ValueError(f"weights.{column}: unknown categories {bad}; allowed: {list(allowed)}")
            absent = [v for v in allowed if v not in given]
            if absent:
                raise ValueError(f"weights.{column}: every category needs a weight (0 is allowed); missing {absent}")
            not_finite = {k: v for k, v in given.items() if not math.isfinite(v)}
            if not_finite:
                raise ValueError(f"weights.{column}: weights must be finite numbers, got {not_finite}")
            too_large = {k: v for k, v in given.items() if v > MAX_WEIGHT}
            if too_large:
                raise ValueError(f"weights.{column}: weights are relative and at most {MAX_WEIGHT:g}, got {too_large}")
            negative = {k: v for k, v in given.items() if v < 0}
            if negative:
                raise ValueError(f"weights.{column}: weights must not be negative, got {negative}")
            total = sum(given.values())
            if not total > 0:
                raise ValueError(f"weights.{column}: weights must sum to a positive value, got {total}")
            ordered[column] = {v: float(given[v]) / total for v in allowed}
        return ordered

    @classmethod
    def with_overrides(
        cls, num_scenarios: int, seed: int, weight_overrides: dict[str, dict[str, float]] | None
    ) -> SamplerSpec:
        """Defaults with whole sampler columns replaced by the given weights."""
        weights = {k: dict(v) for k, v in DEFAULT_WEIGHTS.items()}
        for column, values in (weight_overrides or {}).items():
            weights[column] = dict(values)
        return cls(num_scenarios=num_scenarios, seed=seed, weights=weights)


class SamplerPlan(BaseModel):
    """What the sampler_config asset hands on: the validated spec and where its Data Designer YAML is.

    The YAML and this plan (stored as JSON) are one pair: the plan records the YAML's SHA-256, and
    loading the plan checks it, so a YAML left from another config is never used with this spec.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: SamplerSpec
    data_designer_yaml: str
    yaml_sha256: str = Field(default="", pattern=r"^$|^[0-9a-f]{64}$")

    def pair_problem(self) -> str | None:
        """Why the YAML on disk is not the one written with this plan; None when it is."""
        path = Path(self.data_designer_yaml)
        if not path.is_file():
            return f"the Data Designer YAML {path} is missing"
        if not self.yaml_sha256:
            return "the stored plan records no checksum of its YAML (written by an older version)"
        actual = sha256_file(path)
        if actual != self.yaml_sha256:
            return (
                f"{path} has sha256 {actual[:12]}..., not {self.yaml_sha256[:12]}... recorded with this plan: "
                "the YAML was edited or belongs to another sampler_config run"
            )
        return None

    def verify_companions(self, fix: str) -> None:
        problem = self.pair_problem()
        if problem is not None:
            raise CorruptOutputError(f"{problem}; {fix}")
