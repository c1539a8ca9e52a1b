"""expected_labels.json -> the rubric's Observation, through the vocabulary tables, noting what is not available.

Nothing is invented: a value with no honest mapping is left unknown (None) and gets a note; a flag
that needs an actor (a plate, a pet) is used only when that actor is among the detections. Labels
that leave no actor, or that the Observation refuses as incoherent, raise ValueError.
"""

from __future__ import annotations

from pydantic import ValidationError

from secassets.core.vocabulary import DAY_TYPE, OBJECT_TYPES
from secassets.curated.labels import ExpectedLabels
from secassets.curated.vocabulary import CLASSES, lookup, normalized, pose_of
from secassets.risk.cues import CUES, Cue
from secassets.risk.observation import Observation, ObservedObject, object_actor


def _objects(labels: ExpectedLabels, notes: list[str]) -> tuple[list[ObservedObject], set[Cue]]:
    objects: list[ObservedObject] = []
    cues: set[Cue] = set()
    for i, det in enumerate(labels.detections):
        mapped = CLASSES.get(normalized(det.object_class))
        if mapped in OBJECT_TYPES:
            if det.count > 100:
                raise ValueError(f"detections[{i}] counts {det.count} {det.object_class}; at most 100 are read")
            objects.append(ObservedObject(object_class=mapped, count=det.count,  # type: ignore[arg-type]
                                          confidence=det.min_confidence))
        elif mapped in CUES:
            cues.add(mapped)  # type: ignore[arg-type]
        else:
            _, note = lookup("detections.class", det.object_class)
            notes.append(note if normalized(det.object_class) not in CLASSES
                         else f"detections.class {det.object_class!r} is not an actor we model")
    return objects, cues


def _scene(labels: ExpectedLabels, notes: list[str]) -> dict[str, str | None]:
    scene = labels.scene
    fields: dict[str, str | None] = {"zone": None, "time_of_day": None, "weather": None, "lighting": None,
                                     "day_type": None}
    if scene is None:
        notes.append("scene is not labeled: zone and time of day not available")
        return fields
    for name, field, value in (("zone", "scene.location", scene.location),
                               ("time_of_day", "scene.time_of_day", scene.time_of_day),
                               ("weather", "scene.weather", scene.weather),
                               ("lighting", "scene.lighting", scene.lighting)):
        if value is None:
            if name in ("zone", "time_of_day"):
                notes.append(f"{field} is not labeled")
            continue
        fields[name], note = lookup(field, value)
        if note:
            notes.append(note)
    if scene.day_type is not None:
        if normalized(scene.day_type) in DAY_TYPE:
            fields["day_type"] = normalized(scene.day_type)
        else:
            notes.append(f"scene.day_type {scene.day_type!r} is not a day type we know")
    return fields


def _behaviour(labels: ExpectedLabels, notes: list[str]) -> tuple[set[Cue], str | None]:
    """Cues and the pose from the action and pose blocks (pose.pose wins over an action that is a pose)."""
    cues: set[Cue] = set()
    pose = None
    if labels.action is not None and labels.action.action is not None:
        mapped, note = lookup("action.action", labels.action.action)
        if mapped in CUES:
            cues.add(mapped)  # type: ignore[arg-type]
        elif mapped is not None:
            pose = mapped
        else:
            notes.append(note)
    if labels.pose is not None and labels.pose.pose is not None:
        labeled = pose_of(labels.pose.pose)
        if labeled is None:
            notes.append(f"pose.pose {labels.pose.pose!r} is not a pose we know")
        else:
            if pose is not None and pose != labeled:
                notes.append(f"action {pose!r} and pose.pose {labeled!r} differ: pose.pose kept")
            pose = labeled
    return cues, pose  # is_suspicious is a person's verdict, not an observation: never read


def _identities(labels: ExpectedLabels, actors: set[str], notes: list[str]) -> tuple[set[Cue], int | None]:
    """Face, plate and pet flags -> cues (and unreadable plates); plate and pet flags need their actor."""
    cues: set[Cue] = set()
    face = labels.face
    if face is not None:
        if face.concealed or face.masked:
            cues.add("face_concealed")
        if face.known or face.recognized:
            cues.add("known_resident")
        if face.visible is False and not (face.concealed or face.masked):
            notes.append("face.visible false is not concealment: face concealment not available")
    unreadable = None
    plate = labels.license_plate
    if plate is not None and (plate.known or plate.readable is False):
        if "vehicle" not in actors:
            notes.append("license_plate is labeled but no vehicle is among the detections: not used")
        else:
            if plate.known:
                cues.add("known_plate")
            if plate.readable is False:
                unreadable = 1
    pet = labels.pet
    if pet is not None and (pet.known or pet.household):
        if "animal" not in actors:
            notes.append("pet is labeled known but no animal is among the detections: not used")
        else:
            cues.add("known_pet")
    return cues, unreadable


def _refusal(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def observation_of_labels(labels: ExpectedLabels) -> tuple[Observation, list[str]]:
    """The Observation the labels support, and one note per labeled value that became not available."""
    notes: list[str] = []
    objects, object_cues = _objects(labels, notes)
    if not objects:
        classes = ", ".join(repr(d.object_class) for d in labels.detections) or "none"
        raise ValueError(f"no detection maps to a person, vehicle or animal (detections: {classes})")
    actors = {object_actor(o.object_class) for o in objects}
    scene = _scene(labels, notes)
    behaviour_cues, pose = _behaviour(labels, notes)
    identity_cues, unreadable = _identities(labels, actors, notes)
    violence = labels.violence.score if labels.violence is not None else None
    try:
        observation = Observation(
            zone=scene["zone"], time_of_day=scene["time_of_day"],  # type: ignore[arg-type]
            objects=tuple(objects), day_type=scene["day_type"],  # type: ignore[arg-type]
            weather=scene["weather"], lighting=scene["lighting"],  # type: ignore[arg-type]
            cues=frozenset(object_cues | behaviour_cues | identity_cues),
            unreadable_plates=unreadable, violence_score=violence, pose=pose,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        raise ValueError(f"the rubric cannot read these labels: {_refusal(exc)}") from exc
    return observation, notes
