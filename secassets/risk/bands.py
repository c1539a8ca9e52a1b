"""The one risk-band scheme: what score range each scenario type owns and what level a score is."""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import BaseModel, Field, model_validator

RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_LEVELS: Final[tuple[RiskLevel, ...]] = get_args(RiskLevel)  # the same names, in order of rising risk
# The risk-score scale every range, answer and prompt uses.
MIN_SCORE: Final = 0
MAX_SCORE: Final = 100


class RiskRange(BaseModel):
    """An inclusive risk-score interval on the 0-100 scale."""

    model_config = {"frozen": True}

    low: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    high: int = Field(ge=MIN_SCORE, le=MAX_SCORE)

    @model_validator(mode="after")
    def _ordered(self) -> RiskRange:
        if self.low > self.high:
            raise ValueError(f"risk range low {self.low} is above high {self.high}")
        return self

    def contains(self, score: float) -> bool:
        return self.low <= score <= self.high

    def deviation(self, score: float) -> float:
        """Distance from the range in score points (0 inside)."""
        if score < self.low:
            return float(self.low - score)
        if score > self.high:
            return float(score - self.high)
        return 0.0

    @property
    def midpoint(self) -> float:
        return (self.low + self.high) / 2


# Score band each scenario type's ground truth must lie in.
SCENARIO_TYPE_BANDS: Final[dict[str, RiskRange]] = {
    "normal": RiskRange(low=0, high=25),
    "suspicious": RiskRange(low=30, high=55),
    "threat": RiskRange(low=70, high=100),
    "edge_case": RiskRange(low=20, high=60),
}

# Lower bound of each level: low [0,30), medium [30,60), high [60,85), critical [85,100].
LEVEL_LOWER_BOUNDS: Final[dict[RiskLevel, int]] = {"low": 0, "medium": 30, "high": 60, "critical": 85}

# A ground-truth range whose midpoint reaches this score should raise an alert.
ALERT_THRESHOLD: Final = 60


def level_for_score(score: float) -> RiskLevel:
    """Map a 0-100 risk score to its level."""
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError(f"risk score {score} is outside {MIN_SCORE}-{MAX_SCORE}")
    level: RiskLevel = "low"
    for name, lower in LEVEL_LOWER_BOUNDS.items():
        if score >= lower:
            level = name
    return level


def level_score_ranges() -> dict[RiskLevel, RiskRange]:
    """Each level's inclusive score range, in order of rising risk (low 0-29 ... critical 85-100)."""
    bounds = [*LEVEL_LOWER_BOUNDS.values(), MAX_SCORE + 1]
    return {level: RiskRange(low=bounds[i], high=bounds[i + 1] - 1) for i, level in enumerate(LEVEL_LOWER_BOUNDS)}


def levels_for_range(risk_range: RiskRange) -> frozenset[RiskLevel]:
    """Every level that a score inside the range can have."""
    return frozenset(level_for_score(s) for s in range(risk_range.low, risk_range.high + 1))


def should_alert(risk_range: RiskRange) -> bool:
    return risk_range.midpoint >= ALERT_THRESHOLD
