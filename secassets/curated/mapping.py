"""expected_labels.json -> the rubric's Observation, through the vocabulary, noting what each label became.

Every label of a table field goes through a VocabularyMatcher (exact table, the team's pins, a stated
rule, the embedding model; secassets.curated.open_vocabulary); without one only the exact tables are
read. Nothing is invented: a value with no honest reading is left unknown (None) and gets a note; a
flag that needs an actor (a plate, a pet) is used only when that actor is among the detections. Every
annotation a case gives is used by a published rule (the README's vocabulary section) or listed as not
used. Labels that leave no actor, or that the Observation refuses as incoherent, raise ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from secassets.core.vocabulary import DAY_TYPE, OBJECT_TYPES, POSES
from secassets.curated.labels import ExpectedLabels
from secassets.curated.open_vocabulary import Match, VocabularyMatcher
from secassets.curated.vocabulary import (
    CARRIED_ITEM,
    LEAVING_OBJECT,
    PARCEL,
    TABLES,
    TAKING_OBJECT,
    VIOLENCE_DETECTED_SCORE,
    normalized,
)
from secassets.risk.bands import RISK_LEVELS
from secassets.risk.cues import CUES, EXCLUSIVE_CUES, Cue
from secassets.risk.observation import Observation, ObservedObject, object_actor

_EXACT = VocabularyMatcher()  # no embedding model: the exact tables, the rules and nothing else


@dataclass
class _Reading:
    """What the labels have given so far, and a note for every label that is not a plain table hit."""

    matcher: VocabularyMatcher
    notes: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    cues: set[Cue] = field(default_factory=set)

    def read(self, field_name: str, label: str) -> str | None:
        match = self.matcher.match(field_name, label)
        self.matches.append(match)
        if match.how in ("table", "unspecified") and match.target is None:
            self.notes.append(_table_note(field_name, label, match))
        elif match.how != "table":
            self.notes.append(match.note())
        return match.target


def _table_note(field_name: str, label: str, match: Match) -> str:
    what = TABLES[field_name][0]
    if match.how == "unspecified":
        return f"{field_name} {label!r} names no single {what}"
    return f"{field_name} {label!r} is not {'an' if what[0] in 'aeiou' else 'a'} {what} we know"


def _objects(labels: ExpectedLabels, r: _Reading) -> tuple[list[ObservedObject], bool]:
    """The actors, and whether a parcel is in view; weapon and tool classes become their cues."""
    objects: list[ObservedObject] = []
    parcel = False
    for i, det in enumerate(labels.detections):
        mapped = r.read("detections.class", det.object_class)
        if mapped in OBJECT_TYPES:
            if det.count > 100:
                raise ValueError(f"detections[{i}] counts {det.count} {det.object_class}; at most 100 are read")
            objects.append(ObservedObject(object_class=mapped, count=det.count,  # type: ignore[arg-type]
                                          confidence=det.min_confidence))
        elif mapped in CUES:
            r.cues.add(mapped)  # type: ignore[arg-type]
        elif mapped == PARCEL:
            parcel = True
        elif mapped == CARRIED_ITEM:
            r.notes.append(f"detections.class {det.object_class!r}: a carried item, no evidence by itself")
    return objects, parcel


def _scene(labels: ExpectedLabels, r: _Reading) -> dict[str, str | None]:
    scene = labels.scene
    fields: dict[str, str | None] = {"zone": None, "time_of_day": None, "weather": None, "lighting": None,
                                     "day_type": None}
    if scene is None:
        r.notes.append("scene is not labeled: zone and time of day not available")
        return fields
    for name, field_name, value in (("zone", "scene.location", scene.location),
                                    ("time_of_day", "scene.time_of_day", scene.time_of_day),
                                    ("weather", "scene.weather", scene.weather),
                                    ("lighting", "scene.lighting", scene.lighting)):
        if value is None:
            if name in ("zone", "time_of_day"):
                r.notes.append(f"{field_name} is not labeled")
            continue
        fields[name] = r.read(field_name, value)
    if scene.day_type is not None:
        if normalized(scene.day_type) in DAY_TYPE:
            fields["day_type"] = normalized(scene.day_type)
        else:
            r.notes.append(f"scene.day_type {scene.day_type!r} is not a day type we know")
    return fields


def _parcel_verb(verb: str | None, parcel: bool, label: str, r: _Reading) -> str | None:
    """A taking or leaving verb acts on a parcel in view; without one it names no cue."""
    if verb not in (TAKING_OBJECT, LEAVING_OBJECT):
        return verb
    if parcel:
        return "taking_package" if verb == TAKING_OBJECT else "delivering"
    r.notes.append(f"{label!r} with no parcel among the detections: no cue")
    return None


def _behaviour(labels: ExpectedLabels, parcel: bool, r: _Reading) -> str | None:
    """Cues and the pose from the action and pose blocks (pose.pose wins over an action that is a pose)."""
    pose = None
    action = labels.action
    if action is not None and action.action is not None:
        mapped = _parcel_verb(r.read("action.action", action.action), parcel, f"action.action {action.action}", r)
        if mapped in CUES:
            r.cues.add(mapped)  # type: ignore[arg-type]
        elif mapped in POSES:
            pose = mapped
    if labels.pose is not None and labels.pose.pose is not None:
        labeled = r.read("action.action", labels.pose.pose)
        if labeled not in POSES:
            r.notes.append(f"pose.pose {labels.pose.pose!r} is not a pose we know")
        else:
            if pose is not None and pose != labeled:
                r.notes.append(f"action {pose!r} and pose.pose {labeled!r} differ: pose.pose kept")
            pose = labeled
    return pose


def _threats(labels: ExpectedLabels, parcel: bool, r: _Reading) -> str | None:
    """Each threat type's cue, and the gravest severity."""
    severities = []
    for threat in labels.threats:
        if threat.type is not None:
            mapped = _parcel_verb(r.read("threats.type", threat.type), parcel, f"threats.type {threat.type}", r)
            if mapped in CUES:
                r.cues.add(mapped)  # type: ignore[arg-type]
        if threat.severity is not None:
            severities.append(threat.severity)
    return max(severities, key=RISK_LEVELS.index) if severities else None


def _flagged(labels: ExpectedLabels) -> bool | None:
    flags = [b.is_suspicious for b in (labels.pose, labels.action, labels.clothing)
             if b is not None and b.is_suspicious is not None]
    return True if any(flags) else (False if flags else None)


def _clothing(labels: ExpectedLabels, r: _Reading) -> None:
    clothing = labels.clothing
    if clothing is None:
        return
    for item in clothing.items:
        if r.read("clothing.items", item) == "face_concealed":
            if clothing.is_suspicious is False:
                r.notes.append(f"clothing {item!r} is marked not suspicious: not read as concealment")
            else:
                r.cues.add("face_concealed")


def _identities(labels: ExpectedLabels, actors: set[str], r: _Reading) -> int | None:
    """Face, plate and pet flags -> cues (and unreadable plates); plate and pet flags need their actor."""
    face = labels.face
    if face is not None:
        if face.concealed or face.masked:
            r.cues.add("face_concealed")
        if face.known or face.recognized:
            r.cues.add("known_resident")
        if face.visible is False:
            r.notes.append("face.visible false: the person cannot be recognised (no resident); not concealment")
    unreadable = None
    plate = labels.license_plate
    if plate is not None and (plate.known or plate.readable is False):
        if "vehicle" not in actors:
            r.notes.append("license_plate is labeled but no vehicle is among the detections: not used")
        else:
            if plate.known:
                r.cues.add("known_plate")
            if plate.readable is False:
                unreadable = 1
    pet = labels.pet
    if pet is not None and (pet.known or pet.household):
        if "animal" not in actors:
            r.notes.append("pet is labeled known but no animal is among the detections: not used")
        else:
            r.cues.add("known_pet")
    return unreadable


def _coherent_cues(r: _Reading, actors: set[str]) -> frozenset[Cue]:
    """Drop what the rubric cannot hold together, each with a note: a cue with no actor that can show it, and
    the first cue of an exclusive pair (a recognised resident's face is not a concealed one)."""
    from secassets.risk.cues import CUE_RULES

    cues = set(r.cues)
    for cue in sorted(cues):
        if not actors & set(CUE_RULES[cue].actors):
            cues.discard(cue)
            r.notes.append(f"cue {cue} needs {' or '.join(CUE_RULES[cue].actors)} in view: not used")
    for a, b in EXCLUSIVE_CUES:
        if a in cues and b in cues:
            drop = b if a == "known_resident" else a  # a recognised resident's mask conceals nothing
            cues.discard(drop)
            r.notes.append(f"{a} and {b} cannot both hold: {drop} not used")
    return frozenset(cues)


def _refusal(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def read_labels(labels: ExpectedLabels, matcher: VocabularyMatcher | None = None) -> tuple[Observation, list[str],
                                                                                         list[Match]]:
    """The Observation the labels support, one note per label that is not a plain table hit or is not used, and
    every match made (what the mapping report counts)."""
    r = _Reading(matcher or _EXACT)
    objects, parcel = _objects(labels, r)
    if not objects:
        classes = ", ".join(repr(d.object_class) for d in labels.detections) or "none"
        raise ValueError(f"no detection maps to a person, vehicle or animal (detections: {classes})")
    actors = {object_actor(o.object_class) for o in objects}
    scene = _scene(labels, r)
    pose = _behaviour(labels, parcel, r)
    severity = _threats(labels, parcel, r)
    _clothing(labels, r)
    unreadable = _identities(labels, actors, r)
    violence = labels.violence.score if labels.violence is not None else None
    if violence is None and labels.violence is not None and labels.violence.detected:
        violence = VIOLENCE_DETECTED_SCORE
    if pose is not None and "person" not in actors:
        r.notes.append(f"pose {pose!r} with no person in view: not used")
        pose = None
    r.notes += [f"{key}: not used by the rubric" for key in labels.unread_keys()]
    try:
        observation = Observation(
            zone=scene["zone"], time_of_day=scene["time_of_day"],  # type: ignore[arg-type]
            objects=tuple(objects), day_type=scene["day_type"],  # type: ignore[arg-type]
            weather=scene["weather"], lighting=scene["lighting"],  # type: ignore[arg-type]
            cues=_coherent_cues(r, actors), unreadable_plates=unreadable, violence_score=violence,
            pose=pose, flagged_suspicious=_flagged(labels), threat_severity=severity,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        raise ValueError(f"the rubric cannot read these labels: {_refusal(exc)}") from exc
    return observation, r.notes, r.matches


def observation_of_labels(labels: ExpectedLabels, matcher: VocabularyMatcher | None = None
                          ) -> tuple[Observation, list[str]]:
    """The Observation the labels support, and one note per labeled value that became not available."""
    observation, notes, _ = read_labels(labels, matcher)
    return observation, notes
