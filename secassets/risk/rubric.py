"""The risk rubric: `assess(observation)` is the ground truth of every scenario, edge case and image.

Additive and reviewable: a base, points for the setting (time, zone, who is there, how unusual the
count is, other cameras), points per cue (secassets.risk.cues; the household's car or pet lowers the
score only when no stranger is in view), then the floor of the gravest cue unless a known resident
(an attack excepted) or, with no people in view, a household pet explains it, clipped to 0-100. Every aggravating term is >= 0 and
floors only raise, so adding an aggravating cue never lowers the score. The range around the score
widens when the evidence is weak (low detector confidence, poor image).
"""

from __future__ import annotations

import math
from typing import Final

from pydantic import BaseModel, ConfigDict

from secassets.risk.bands import (
    ALERT_THRESHOLD,
    LEVEL_LOWER_BOUNDS,
    MAX_SCORE,
    MIN_SCORE,
    RiskLevel,
    RiskRange,
    level_for_score,
)
from secassets.risk.cues import CUE_RULES, CUES, LOITER_SECONDS, Cue
from secassets.risk.observation import Observation, ObservationField

BASE_POINTS: Final = 10
TIME_POINTS: Final[dict[str, int]] = {"morning": 0, "midday": 0, "evening": 4, "night": 10, "late_night": 14}
ZONE_POINTS: Final[dict[str, int]] = {"front_door": 0, "backyard": 2, "driveway": 0, "side_gate": 3}
ENTRY_POINT_POINTS: Final = 5
UNKNOWN_PERSON_POINTS: Final = 8  # someone in view who is not a recognised resident
EXTRA_PERSON_POINTS: Final = 3  # each further unknown person, up to MAX_EXTRA_PERSONS
MAX_EXTRA_PERSONS: Final = 3
ANIMALS_ONLY_POINTS: Final = -8
UNKNOWN_VEHICLE_POINTS: Final = 2
DEVIATION_POINTS: Final = 4  # per unit of positive baseline deviation (more objects than usual)
MAX_DEVIATION: Final = 3.0
CROSS_CAMERA_POINTS: Final = 3  # per other camera that saw an unknown person, vehicle or animal, up to MAX_CROSS_CAMERA
MAX_CROSS_CAMERA: Final = 3
UNREADABLE_PLATE_POINTS: Final = 4
POSE_POINTS: Final[dict[str, int]] = {"running": 2, "crouching": 4, "kneeling": 4, "crawling": 8}
VIOLENCE_FROM: Final = 0.4  # violence-model scores above this add up to VIOLENCE_POINTS (at 1.0)
VIOLENCE_POINTS: Final = 30
FLAG_POINTS: Final = 10  # flagged suspicious upstream, when no aggravating behaviour is named (else that counts)
FLAG_FLOOR: Final = LEVEL_LOWER_BOUNDS["medium"]  # someone who looked judged it suspicious: at least medium
# An annotated threat of a severity: the score is at least that level's lower bound.
SEVERITY_FLOORS: Final[dict[str, int]] = {lvl: b for lvl, b in LEVEL_LOWER_BOUNDS.items() if b > MIN_SCORE}
HALF_WIDTH: Final = 5
HOUSEHOLD_OBJECT_CUES: Final = frozenset({"known_plate", "known_pet"})  # mitigate only with no stranger in view
LOW_CONFIDENCE: Final = 0.6  # mean detector confidence below this widens the range by WEAK_EVIDENCE_WIDTH
LOW_IMAGE_QUALITY: Final = 0.4  # image quality below this widens it too
WEAK_EVIDENCE_WIDTH: Final = 3
UNKNOWN_SETTING_WIDTH: Final = 3  # an unknown zone or time of day widens the range too


class Driver(BaseModel):
    """One term of the score: what it is, its points, and the fields that show its evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: str
    points: int
    evidence: tuple[ObservationField, ...]


class KeyPoint(BaseModel):
    """A fact a good answer mentions, and the fields that show it (a reader shown none cannot know it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    evidence: tuple[ObservationField, ...]


class RiskAssessment(BaseModel):
    """The rubric's judgment of one observation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: int
    risk_range: RiskRange
    level: RiskLevel
    alert: bool
    drivers: tuple[Driver, ...]
    key_points: tuple[KeyPoint, ...]


def baseline_deviation(expected: int, observed: int) -> float:
    """Signed surprise of the count, -3..3: (observed - expected) / sqrt(expected + 1), rounded to 0.01."""
    value = (observed - expected) / math.sqrt(expected + 1)
    return round(max(-MAX_DEVIATION, min(MAX_DEVIATION, value)), 2)


def active_cues(obs: Observation) -> frozenset[Cue]:
    """The cues that hold: the listed ones, plus loitering read from the dwell time of unknown people."""
    cues = set(obs.cues)
    unknown_people = obs.count("person") and "known_resident" not in cues
    purposeful = "delivering" in cues  # a courier waiting for a signature is not loitering
    if unknown_people and not purposeful and obs.dwell_seconds is not None and obs.dwell_seconds >= LOITER_SECONDS:
        cues.add("loitering")
    return frozenset(cues)


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {'people' if word == 'person' else word + ('es' if word.endswith('s') else 's')}"


def _objects_text(obs: Observation) -> str:
    counts: dict[str, int] = {}
    for o in obs.objects:
        counts[o.object_class] = counts.get(o.object_class, 0) + o.count
    return ", ".join(_plural(n, cls) for cls, n in counts.items())


def _setting(obs: Observation, cues: frozenset[Cue]) -> list[tuple[Driver, str]]:
    """The setting's terms, each with its key-point text ("" for terms that are not worth mentioning)."""
    terms: list[tuple[Driver, str]] = [(Driver(factor="base", points=BASE_POINTS, evidence=()), "")]
    if obs.time_of_day is not None:
        when = obs.time_of_day.replace("_", " ")
        terms.append((Driver(factor="time_of_day", points=TIME_POINTS[obs.time_of_day], evidence=("time_of_day",)),
                      f"at {when}" if TIME_POINTS[obs.time_of_day] else
                      ("at midday, in daylight" if obs.time_of_day == "midday" else f"in the {when}, in daylight")))
    zone = (obs.zone or "camera").replace("_", " ")
    if obs.zone is not None:
        terms.append((Driver(factor="zone", points=ZONE_POINTS[obs.zone], evidence=("zone",)), ""))
    if obs.is_entry_point:
        terms.append((Driver(factor="entry_point", points=ENTRY_POINT_POINTS, evidence=("zone", "entry_point")),
                      f"at an entry point ({zone})"))
    people, vehicles = obs.count("person"), obs.count("vehicle")
    unknown_people = people if "known_resident" not in cues else 0
    terms.append((Driver(factor="objects", points=0, evidence=("objects",)), _objects_text(obs)))
    if unknown_people:
        terms.append((Driver(factor="unknown_person", points=UNKNOWN_PERSON_POINTS, evidence=("objects", "faces")),
                      "a person not recognised as a resident" if unknown_people == 1 else "people not recognised as residents"))
        extra = min(unknown_people - 1, MAX_EXTRA_PERSONS)
        if extra:
            terms.append((Driver(factor="more_people", points=extra * EXTRA_PERSON_POINTS, evidence=("objects",)),
                          f"{unknown_people} people together"))
    if not people and not vehicles:
        terms.append((Driver(factor="animals_only", points=ANIMALS_ONLY_POINTS, evidence=("objects",)), "only animals"))
    unknown_vehicle = vehicles and "known_plate" not in cues
    if unknown_vehicle:
        terms.append((Driver(factor="unknown_vehicle", points=UNKNOWN_VEHICLE_POINTS, evidence=("objects", "plates")), ""))
    if obs.baseline_expected_count is not None:
        dev = baseline_deviation(obs.baseline_expected_count, obs.observed_count)
        if dev > 0:
            terms.append((Driver(factor="baseline_deviation", points=round(DEVIATION_POINTS * dev),
                                 evidence=("baseline_expected_count",)),
                          f"{obs.observed_count} objects where about {obs.baseline_expected_count} are usual"))
    stray = obs.count("animal") and "known_pet" not in cues
    if obs.cross_camera_matches and (unknown_people or unknown_vehicle or stray):
        n = min(obs.cross_camera_matches, MAX_CROSS_CAMERA)
        terms.append((Driver(factor="cross_camera", points=n * CROSS_CAMERA_POINTS, evidence=("cross_camera_matches",)),
                      f"the same subject seen on {obs.cross_camera_matches} other camera(s)"))
    if obs.unreadable_plates and unknown_vehicle:
        terms.append((Driver(factor="unreadable_plate", points=UNREADABLE_PLATE_POINTS, evidence=("unreadable_plates",)),
                      "licence plate unreadable"))
    if obs.pose in POSE_POINTS:
        terms.append((Driver(factor="pose", points=POSE_POINTS[obs.pose], evidence=("pose",)), f"person {obs.pose}"))
    if obs.threat_severity is not None:
        terms.append((Driver(factor="threat_annotation", points=0, evidence=("threat_severity",)),
                      f"a threat annotated as {obs.threat_severity} severity"))
    named = any(CUE_RULES[c].aggravating for c in cues)
    if obs.flagged_suspicious and not named and "known_resident" not in cues:
        terms.append((Driver(factor="flagged_suspicious", points=FLAG_POINTS, evidence=("flagged_suspicious",)),
                      "flagged as suspicious"))
    if obs.violence_score is not None and obs.violence_score > VIOLENCE_FROM:
        points = round(VIOLENCE_POINTS * (obs.violence_score - VIOLENCE_FROM) / (1 - VIOLENCE_FROM))
        terms.append((Driver(factor="violence", points=points, evidence=("violence_score",)),
                      f"violence model score {obs.violence_score:.2f}"))
    return terms


def _cue_terms(obs: Observation, cues: frozenset[Cue]) -> list[tuple[Driver, str]]:
    terms = []
    strangers = obs.count("person") and "known_resident" not in cues
    for cue in sorted(cues, key=lambda c: (-abs(CUE_RULES[c].points), CUES.index(c))):  # fixed order: same bytes
        rule = CUE_RULES[cue]
        if cue in HOUSEHOLD_OBJECT_CUES and strangers:
            continue  # the household's car or dog does not make a stranger beside it safer
        evidence: tuple[ObservationField, ...] = rule.channels
        if cue == "loitering":
            evidence = (*evidence, "dwell_seconds")
        terms.append((Driver(factor=cue, points=rule.points, evidence=evidence), rule.phrases[0]))
    return terms


def _half_width(obs: Observation) -> int:
    width = HALF_WIDTH
    confidence = obs.mean_confidence
    if confidence is not None and confidence < LOW_CONFIDENCE:
        width += WEAK_EVIDENCE_WIDTH
    if obs.image_quality is not None and obs.image_quality < LOW_IMAGE_QUALITY:
        width += WEAK_EVIDENCE_WIDTH
    if obs.zone is None or obs.time_of_day is None:  # an unknown setting: its points could be missing
        width += UNKNOWN_SETTING_WIDTH
    return width


def _annotation_floors(obs: Observation, explained: bool) -> list[tuple[int, str, tuple[ObservationField, ...]]]:
    """Floors from annotations: a suspicious flag (medium) and a threat's severity (its level), unless a recognised
    resident or, with no people, a household pet explains them."""
    if explained:
        return []
    floors: list[tuple[int, str, tuple[ObservationField, ...]]] = []
    if obs.flagged_suspicious:
        floors.append((FLAG_FLOOR, "flagged_suspicious", ("flagged_suspicious",)))
    if obs.threat_severity in SEVERITY_FLOORS:
        floors.append((SEVERITY_FLOORS[obs.threat_severity], "threat_severity", ("threat_severity",)))
    return floors


def assess(observation: Observation) -> RiskAssessment:
    """Score, range, level, alert, the terms that drove the score and the key points a good answer mentions."""
    cues = active_cues(observation)
    terms = _setting(observation, cues) + _cue_terms(observation, cues)
    total = sum(d.points for d, _ in terms)
    drivers = [d for d, _ in terms]
    # A recognised resident explains what people do; a household pet explains only a scene without people.
    resident = "known_resident" in cues
    pet_only = "known_pet" in cues and not observation.count("person")
    floors = [(CUE_RULES[c].floor, c, CUE_RULES[c].channels) for c in cues if CUE_RULES[c].floor is not None
              and not pet_only and not (resident and CUE_RULES[c].resident_waives_floor)]
    floors += _annotation_floors(observation, resident or pet_only)
    if floors:
        floor, cue, evidence = max(floors)
        if floor > total:  # type: ignore[operator]
            drivers.append(Driver(factor=f"floor:{cue}", points=floor - total, evidence=evidence))  # type: ignore[operator]
            total = floor  # type: ignore[assignment]
    score = max(MIN_SCORE, min(MAX_SCORE, int(total)))
    width = _half_width(observation)
    low = max(MIN_SCORE, min(score - width, MAX_SCORE - 2 * width))  # shifted inward at the ends: always 2*width wide
    risk_range = RiskRange(low=low, high=low + 2 * width)
    points = tuple(KeyPoint(text=text, evidence=d.evidence) for d, text in terms if text)
    return RiskAssessment(
        score=score, risk_range=risk_range, level=level_for_score(score), alert=score >= ALERT_THRESHOLD,
        drivers=tuple(d for d in drivers if d.points), key_points=points,
    )
