"""The curated folder format as Pydantic models, and the one result per case that the loader returns.

Only `risk` is required in expected_labels.json; every other block may be missing, and keys we do not
read (depth, caption, ocr, ...) are kept aside and listed on the case as not used, so a team's richer
labels load as they are and nothing they wrote is dropped silently. Wrong types in the blocks we read
make the case invalid, with the field named.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from secassets.risk.bands import MAX_SCORE, MIN_SCORE, RiskLevel, RiskRange
from secassets.risk.observation import Observation

LabelCategory = Literal["normal", "suspicious", "threat"]
# The last part of a category folder's path -> the label category it stands for.
CATEGORY_FOLDERS: Final[dict[str, LabelCategory]] = {
    "normal": "normal", "suspicious": "suspicious", "threat": "threat", "threats": "threat",
}

_LENIENT = ConfigDict(extra="ignore", frozen=True)


GROUP_WORDS: Final = frozenset({"several", "a_few", "few", "multiple", "group", "some", "many", "crowd", "couple",
                                 "a_couple"})  # at least two, how many is not said
NUMBER_WORDS: Final = {w: i for i, w in enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight",
                                                    "nine", "ten"), start=1)}
_COUNT = re.compile(r"^\s*(\d{1,4})\s*(?:(?:-|–|to)\s*\d{1,4}|\+)?\s*$")


def count_of(value: object) -> int:
    """A labeled count as a whole number: an int as written, "3" or "three", a range "2-3" or "4+" as its lower bound
    (what surely was seen), an integral float, and the group words (several, a few, multiple, ...) as 2."""
    if isinstance(value, bool):
        raise ValueError("count must be a number, not true/false")  # noqa: TRY004 - pydantic reads ValueErrors
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        m = _COUNT.match(value)
        if m is not None:
            return int(m.group(1))
        word = "_".join(value.strip().lower().split())
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word]
        if word in GROUP_WORDS:
            return 2
    raise ValueError(f"count {value!r} is not a number, a range like 2-3, N+ or a word like several")


class DetectionLabel(BaseModel):
    """One expected detection: a class (any vocabulary), how many, and the least confidence expected."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    object_class: str = Field(alias="class", min_length=1, max_length=200)
    count: int = Field(default=1, ge=1)
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, value: object) -> int:
        return count_of(value)


class FaceLabel(BaseModel):
    model_config = _LENIENT

    detected: bool | None = None
    visible: bool | None = None
    concealed: bool | None = None
    masked: bool | None = None
    known: bool | None = None
    recognized: bool | None = None


class PoseLabel(BaseModel):
    model_config = _LENIENT

    pose: str | None = None
    is_suspicious: bool | None = None


class ActionLabel(BaseModel):
    model_config = _LENIENT

    action: str | None = None
    is_suspicious: bool | None = None


class SceneLabel(BaseModel):
    model_config = _LENIENT

    location: str | None = None
    time_of_day: str | None = None
    weather: str | None = None
    lighting: str | None = None
    day_type: str | None = None


class LicensePlateLabel(BaseModel):
    model_config = _LENIENT

    known: bool | None = None
    readable: bool | None = None


class PetLabel(BaseModel):
    model_config = _LENIENT

    known: bool | None = None
    household: bool | None = None


class ViolenceLabel(BaseModel):
    model_config = _LENIENT

    detected: bool | None = None
    score: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)


class ClothingLabel(BaseModel):
    model_config = _LENIENT

    items: list[str] = Field(default_factory=list, max_length=50)
    is_suspicious: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _items_alone(cls, data: object) -> object:
        """`clothing: ["hood", ...]` or `clothing: "hood"` is the items list alone."""
        return {"items": data} if isinstance(data, list | str) else data

    @field_validator("items", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class ThreatLabel(BaseModel):
    """One threat annotation: a type (any vocabulary) and how grave the annotator or model judged it."""

    model_config = _LENIENT

    type: str | None = Field(default=None, max_length=200)
    severity: RiskLevel | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class RiskLabel(BaseModel):
    """The person's verdict: a level and the score range they would accept."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    min_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    max_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    level: RiskLevel

    @model_validator(mode="after")
    def _ordered(self) -> RiskLabel:
        if self.min_score > self.max_score:
            raise ValueError(f"min_score {self.min_score} is above max_score {self.max_score}")
        return self

    @property
    def risk_range(self) -> RiskRange:
        return RiskRange(low=self.min_score, high=self.max_score)


class ExpectedLabels(BaseModel):
    """expected_labels.json: risk is required, the rest optional; unknown keys are kept aside (unread_keys)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    detections: list[DetectionLabel] = Field(default_factory=list)
    face: FaceLabel | None = None
    pose: PoseLabel | None = None
    action: ActionLabel | None = None
    scene: SceneLabel | None = None
    license_plate: LicensePlateLabel | None = None
    pet: PetLabel | None = None
    violence: ViolenceLabel | None = None
    clothing: ClothingLabel | None = None
    threats: list[ThreatLabel] = Field(default_factory=list, max_length=50)
    risk: RiskLabel

    @model_validator(mode="before")
    @classmethod
    def _one_threat(cls, data: object) -> object:
        """`threat: {...}` (one object) is read as `threats: [{...}]`."""
        if isinstance(data, dict) and "threat" in data and "threats" not in data:
            data = {**data, "threats": [data["threat"]] if isinstance(data["threat"], dict) else data["threat"]}
            data.pop("threat")
        return data

    def unread_keys(self) -> list[str]:
        """The top-level keys given that the rubric does not read (listed on the case, never dropped silently)."""
        return sorted(self.model_extra or {})


class ScenarioSpec(BaseModel):
    """scenario_spec.json (optional): what the case was meant to show; only read for its name."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str | None = None
    category: str | None = None
    name: str | None = None
    scene: dict | None = None
    environment: dict | None = None


class CuratedCase(BaseModel):
    """One case found (valid or not): where it came from, the human label, and what the rubric can read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    category: str  # as found, e.g. "external/normal"
    label_category: LabelCategory | None  # None: the category's last part is none of CATEGORY_FOLDERS
    source_file: str  # posix, relative to the root (a table's cases: "<file name>:<line or row>")
    valid: bool
    reason: str = ""  # why not valid ("" when valid)
    name: str = ""  # the scenario spec's name, when there is one
    label: RiskLabel | None = None
    observation: Observation | None = None
    not_available: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reasoned(self) -> CuratedCase:
        if self.valid != (not self.reason):
            raise ValueError("a case is valid exactly when it has no reason")
        if self.valid and (self.label is None or self.observation is None or self.label_category is None):
            raise ValueError("a valid case needs a label category, a label and an observation")
        return self


def label_category_of(category: str) -> LabelCategory | None:
    """The label category a category path stands for (its last part), None when it names none."""
    return CATEGORY_FOLDERS.get(category.rsplit("/", 1)[-1].strip().lower())
