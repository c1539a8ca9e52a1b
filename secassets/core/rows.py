"""Pydantic models for every boundary: detections, enrichment, ground truth, judge scores, answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secassets.core.vocabulary import (
    DETECTION_COUNT_RANGE,
    DETECTION_WINDOW_SECONDS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MIN_CONFIDENCE,
    CameraLocation,
    DayType,
    DetectionCount,
    EnrichmentLevel,
    GenerationMode,
    Lighting,
    ObjectType,
    PrimaryObject,
    ScenarioType,
    TimeOfDay,
    Weather,
)
from secassets.risk.bands import MAX_SCORE, MIN_SCORE, SCENARIO_TYPE_BANDS, RiskLevel, RiskRange, level_for_score
from secassets.risk.rubric import Driver, KeyPoint
from secassets.risk.version import RUBRIC_VERSION


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoundingBox(_Strict):
    """Pixel box (top-left x, y, width, height) that must lie inside the camera frame."""

    x: int = Field(ge=0, lt=FRAME_WIDTH)
    y: int = Field(ge=0, lt=FRAME_HEIGHT)
    w: int = Field(gt=0, le=FRAME_WIDTH)
    h: int = Field(gt=0, le=FRAME_HEIGHT)

    @model_validator(mode="after")
    def _inside_frame(self) -> BoundingBox:
        if self.x + self.w > FRAME_WIDTH or self.y + self.h > FRAME_HEIGHT:
            raise ValueError(
                f"bbox ({self.x},{self.y},{self.w},{self.h}) leaves the {FRAME_WIDTH}x{FRAME_HEIGHT} frame"
            )
        return self


class Detection(_Strict):
    """One object the detector reported in the 90-second batch."""

    object_type: ObjectType
    confidence: float = Field(ge=MIN_CONFIDENCE, le=1.0)
    bbox: BoundingBox
    timestamp_offset_seconds: float = Field(ge=0.0, le=DETECTION_WINDOW_SECONDS)
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Per-detection attributes from enrichment (pose, clothing, colour, ...)."
    )


class PlateRead(_Strict):
    """A licence-plate OCR result; text is None when the plate could not be read."""

    text: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    status: Literal["read", "unreadable"]
    known: bool = Field(default=False, description="The plate is on the household's list (only a read plate can be).")

    @model_validator(mode="after")
    def _read_to_be_known(self) -> PlateRead:
        if self.known and self.status != "read":
            raise ValueError("an unreadable plate cannot be known to the household")
        return self


class EnrichmentContext(_Strict):
    """What the enrichment models add to raw detections. Fields after cross_camera_matches exist at level 'full'."""

    zone_name: str = Field(min_length=1)
    is_entry_point: bool
    baseline_expected_count: int = Field(ge=0)
    baseline_deviation_score: float = Field(ge=-3.0, le=3.0)
    cross_camera_matches: int = Field(ge=0, le=5)
    lighting: Lighting | None = None
    weather: Weather | None = None
    image_quality: float | None = Field(default=None, ge=0.0, le=1.0)
    known_faces: int | None = Field(default=None, ge=0, description="People recognised as residents.")
    unknown_faces: int | None = Field(default=None, ge=0, description="Faces seen and not recognised.")
    concealed_faces: int | None = Field(default=None, ge=0, description="People whose face was hidden.")
    known_pets: int | None = Field(default=None, ge=0, description="Animals identified as the household's pets.")
    violence_score: float | None = Field(default=None, ge=0.0, le=1.0, description="Violence model, 0-1.")
    plate_reads: list[PlateRead] | None = None
    reid_tracks: int | None = Field(default=None, ge=0, description="Distinct re-identified tracks in the batch.")
    failed_models: list[str] | None = Field(default=None, description="Enrichment models that failed for this batch.")
    fallback: str | None = Field(default=None, description="What the pipeline did instead when models failed.")


class GroundTruth(_Strict):
    """What a correct risk analysis of the scenario says: secassets.risk.assess of its observation."""

    score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    risk_range: RiskRange
    level: RiskLevel
    should_trigger_alert: bool
    drivers: list[Driver]
    reasoning_key_points: list[KeyPoint] = Field(min_length=1)
    expected_enrichment_models: list[str]
    rubric_version: str = Field(default=RUBRIC_VERSION, min_length=1, description="The rubric version the truth was "
                                "judged under (secassets.risk.version; a stored truth from before versions reads as today's).")

    @property
    def key_point_texts(self) -> list[str]:
        return [p.text for p in self.reasoning_key_points]


class JudgeScores(_Strict):
    """LLM-judge rubric scores, 1 (poor) to 4 (excellent)."""

    relevance: int = Field(ge=1, le=4)
    risk_calibration: int = Field(ge=1, le=4)
    context_usage: int = Field(ge=1, le=4)
    reasoning_quality: int = Field(ge=1, le=4)
    threat_identification: int = Field(ge=1, le=4)
    actionability: int = Field(ge=1, le=4)


class SamplerValues(_Strict):
    """The seven sampled attributes that define a scenario."""

    time_of_day: TimeOfDay
    day_type: DayType
    camera_location: CameraLocation
    detection_count: DetectionCount
    primary_object: PrimaryObject
    scenario_type: ScenarioType
    enrichment_level: EnrichmentLevel


class ScenarioBundle(SamplerValues):
    """One scenario with every group of columns except the embeddings, checked for internal consistency."""

    detections: list[Detection] = Field(min_length=1)
    enrichment_context: EnrichmentContext | None
    ground_truth: GroundTruth
    scenario_narrative: str = Field(min_length=1)
    expected_summary: str = Field(min_length=1)
    reasoning_key_points: str = Field(min_length=1)
    judge_scores: JudgeScores | None = None
    formatted_prompt_input: str = Field(min_length=1)
    complexity_score: float = Field(ge=0.0, le=1.0)
    scenario_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    generation_mode: GenerationMode

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioBundle:
        low, high = DETECTION_COUNT_RANGE[self.detection_count]
        if not low <= len(self.detections) <= high:
            raise ValueError(
                f"{len(self.detections)} detections do not fit detection_count bucket {self.detection_count!r}"
            )
        if (self.enrichment_level == "none") != (self.enrichment_context is None):
            raise ValueError(
                f"enrichment_level {self.enrichment_level!r} does not match "
                f"{'an absent' if self.enrichment_context is None else 'a present'} enrichment_context"
            )
        band = SCENARIO_TYPE_BANDS[self.scenario_type]
        rr = self.ground_truth.risk_range
        if rr.low < band.low or rr.high > band.high:
            raise ValueError(
                f"ground-truth range {rr.low}-{rr.high} leaves the {self.scenario_type} band {band.low}-{band.high}"
            )
        return self


class RiskAnalysis(BaseModel):
    """The risk-analysis answer the production prompts ask the model for."""

    model_config = ConfigDict(extra="ignore")

    risk_score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    risk_level: RiskLevel
    summary: str = Field(min_length=1, max_length=400)
    reasoning: str = Field(min_length=1, max_length=1200)
    recommended_action: str | None = Field(default=None, max_length=300)
    entities: list[str] | None = None
    flags: list[str] | None = None
    confidence_factors: list[str] | None = None

    @property
    def level_matches_score(self) -> bool:
        return level_for_score(self.risk_score) == self.risk_level
