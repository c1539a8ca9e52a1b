"""What can be observed about one detection batch: the rubric's only input.

The objects are required; everything else (zone and time of day included) is optional, so a labeled
case from another system with only a scene, object counts and a few flags can still be assessed.
Unknown optional facts are None (not "absent"): the rubric reads them as unknown, never as evidence.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from secassets.core.vocabulary import (
    ANIMAL_TYPES,
    ENTRY_POINT_CAMERAS,
    CameraLocation,
    DayType,
    Lighting,
    ObjectType,
    Pose,
    TimeOfDay,
    Weather,
)
from secassets.risk.bands import RiskLevel
from secassets.risk.cues import CUE_RULES, EXCLUSIVE_CUES, LOITER_SECONDS, PASSING_SECONDS, Cue

# The observation's fields as a reader can be shown them; a template's inputs reveal a subset of these.
ObservationField = Literal[
    "zone", "entry_point", "time_of_day", "day_type", "objects", "confidence", "dwell_seconds", "lighting",
    "weather", "behaviour", "faces", "plates", "pets", "baseline_expected_count", "cross_camera_matches",
    "unreadable_plates", "violence_score", "pose", "image_quality", "flagged_suspicious", "threat_severity",
]
OBSERVATION_FIELDS: Final[tuple[ObservationField, ...]] = get_args(ObservationField)
# Shown by every template (and never hidden from a reader); the zone and time may still be unknown (None).
REQUIRED_FIELDS: Final[frozenset[ObservationField]] = frozenset({"zone", "time_of_day", "objects"})
# Fields that are not model attributes but cue channels (secassets.risk.cues.Channel).
CHANNEL_FIELDS: Final[frozenset[ObservationField]] = frozenset({"behaviour", "faces", "plates", "pets"})


class ObservedObject(BaseModel):
    """One detected object (or, from a summary, `count` objects of one class)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object_class: ObjectType
    count: int = Field(default=1, ge=1, le=100)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)

    @property
    def actor(self) -> str:
        return object_actor(self.object_class)


class Observation(BaseModel):
    """Everything the rubric may weigh about one batch; see the README's rubric table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: CameraLocation | None = Field(default=None, description="None: the camera's zone is not known.")
    time_of_day: TimeOfDay | None = Field(default=None, description="None: the time of day is not known.")
    objects: tuple[ObservedObject, ...] = Field(min_length=1)
    entry_point: bool | None = Field(default=None, description="None: follows from the zone.")
    day_type: DayType | None = None
    lighting: Lighting | None = None
    weather: Weather | None = None
    cues: frozenset[Cue] = frozenset()
    dwell_seconds: float | None = Field(default=None, ge=0.0, le=3600.0, allow_inf_nan=False,
                                        description="How long people stayed in view (first to last sighting).")
    baseline_expected_count: int | None = Field(default=None, ge=0, le=100)
    cross_camera_matches: int | None = Field(default=None, ge=0, le=20)
    unreadable_plates: int | None = Field(default=None, ge=0, le=20)
    violence_score: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    pose: Pose | None = None
    image_quality: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    flagged_suspicious: bool | None = Field(
        default=None, description="An upstream model or the labeler flagged a pose, action or clothing as suspicious.")
    threat_severity: RiskLevel | None = Field(
        default=None, description="The gravest severity among the case's threat annotations.")

    @field_validator("cues", mode="before")
    @classmethod
    def _cue_names(cls, value: object) -> object:
        return frozenset(value) if isinstance(value, list | tuple | set) else value

    @field_serializer("cues")
    def _cues_in_order(self, cues: frozenset[Cue]) -> list[str]:
        """In the rubric's cue order: a set's order changes with every process, a stored observation must not."""
        return [c for c in CUE_RULES if c in cues]

    @model_validator(mode="after")
    def _coherent(self) -> Observation:
        if self.entry_point is not None and self.zone is not None and self.entry_point != (self.zone in ENTRY_POINT_CAMERAS):
            raise ValueError(f"entry_point={self.entry_point} contradicts zone {self.zone!r} "
                             f"(entry points: {', '.join(sorted(ENTRY_POINT_CAMERAS))})")
        actors = {o.actor for o in self.objects}
        for cue in sorted(self.cues):
            if not actors & set(CUE_RULES[cue].actors):
                who = " or ".join(CUE_RULES[cue].actors)
                raise ValueError(f"cue {cue!r} needs {'an' if who[0] in 'aeiou' else 'a'} {who} among the objects "
                                 f"(objects: {', '.join(sorted(actors))})")
        for a, b in EXCLUSIVE_CUES:
            if a in self.cues and b in self.cues:
                raise ValueError(f"cues {a!r} and {b!r} cannot both hold for one batch")
        if self.dwell_seconds is not None:
            if "loitering" in self.cues and self.dwell_seconds < LOITER_SECONDS:
                raise ValueError(f"loitering needs {LOITER_SECONDS:.0f} s in view; dwell_seconds is {self.dwell_seconds:g}")
            if "passing_by" in self.cues and self.dwell_seconds >= PASSING_SECONDS:
                raise ValueError(f"passing by means under {PASSING_SECONDS:.0f} s in view; dwell_seconds is "
                                 f"{self.dwell_seconds:g}")
        return self

    @property
    def is_entry_point(self) -> bool:
        """Whether the camera watches an entry point (False when neither the zone nor the flag is known)."""
        if self.entry_point is not None:
            return self.entry_point
        return self.zone in ENTRY_POINT_CAMERAS

    def count(self, actor: str) -> int:
        return sum(o.count for o in self.objects if o.actor == actor)

    @property
    def observed_count(self) -> int:
        return sum(o.count for o in self.objects)

    @property
    def mean_confidence(self) -> float | None:
        known = [(o.confidence, o.count) for o in self.objects if o.confidence is not None]
        if not known:
            return None
        return sum(c * n for c, n in known) / sum(n for _, n in known)


def object_actor(object_class: str) -> str:
    """person, vehicle or animal: the actor a detector class stands for."""
    if object_class == "person":
        return "person"
    return "animal" if object_class in ANIMAL_TYPES or object_class == "animal" else "vehicle"
