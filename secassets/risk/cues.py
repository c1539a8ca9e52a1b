"""The published cue vocabulary: what can be observed about a detection batch and what it is worth.

One row per cue: its meaning (for the README and the prompts), its points on the 0-100 scale,
the floor it sets when the actor is not a known resident or pet, which actors can show it, and
which observation channel reveals it (so a template that does not show that channel cannot know
it). Aggravating cues have points > 0; adding one never lowers a score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

Cue = Literal[
    "passing_by", "delivering", "approaching_entry", "loitering", "peering_in_windows", "face_concealed",
    "vehicle_idling", "circling", "damaging_property", "taking_package", "trying_handles", "climbing", "carrying_tool", "forcing_entry",
    "carrying_weapon", "attacking", "known_resident", "known_plate", "known_pet",
]
CUES: Final[tuple[Cue, ...]] = get_args(Cue)

# The channels through which a cue reaches a reader: per-detection behaviour (action recognition or a
# vision model), face recognition, plate reading, pet identification.
Channel = Literal["behaviour", "faces", "plates", "pets"]
Actor = Literal["person", "vehicle", "animal"]


@dataclass(frozen=True)
class CueRule:
    """One row of the rubric's cue table."""

    meaning: str
    points: int
    floor: int | None  # minimum score while no known resident or pet explains the actor
    actors: tuple[Actor, ...]
    channels: tuple[Channel, ...]
    phrases: tuple[str, ...]  # how a camera log or a narrative says it (first: the canonical phrase)
    resident_waives_floor: bool = True  # False: being a resident does not excuse it (an attack)

    @property
    def aggravating(self) -> bool:
        return self.points > 0


CUE_RULES: Final[dict[Cue, CueRule]] = {
    "passing_by": CueRule("moves through the view without stopping (under 20 s in view)", -10, None,
                          ("person", "vehicle", "animal"), ("behaviour",),
                          ("passing by", "going past without stopping", "crossing the frame without stopping")),
    "delivering": CueRule("leaves a parcel at the door, in a carrier's manner", -18, None, ("person",), ("behaviour",),
                          ("delivering a package", "dropping off a parcel", "leaving a parcel on the step")),
    "approaching_entry": CueRule("walks or drives up to a door, gate or garage", 6, None, ("person", "vehicle"),
                                 ("behaviour",), ("approaching the entrance", "coming up to the door", "heading for the gate")),
    "loitering": CueRule("stays in the zone 45 s or more without purpose (dwell from timestamps)", 14, None,
                         ("person",), ("behaviour",), ("loitering", "lingering in the zone", "hanging around the entrance")),
    "peering_in_windows": CueRule("looks into windows or a parked car", 14, None, ("person",), ("behaviour",),
                                  ("looking into windows", "peering through the glass", "cupping hands to a window")),
    "face_concealed": CueRule("face hidden by a mask, balaclava or raised hood", 12, None, ("person",),
                              ("faces", "behaviour"), ("face concealed", "wearing a balaclava", "hood pulled over the face")),
    "vehicle_idling": CueRule("an unfamiliar vehicle waits with its engine running", 6, None, ("vehicle",), ("behaviour",),
                              ("idling at the curb", "waiting with the engine running", "parked with lights off, engine on")),
    "circling": CueRule("passes the property again and again, or circles the block", 12, None, ("person", "vehicle"),
                        ("behaviour",), ("circling the property", "passing the house again and again", "going back and forth past the house")),
    "damaging_property": CueRule("damages property: kicks a gate, smashes a pot, digs under the fence", 22, None,
                                 ("person", "animal"), ("behaviour",),
                                 ("damaging property", "knocking things over", "breaking the fence")),
    "taking_package": CueRule("picks up a parcel from the porch", 22, 40, ("person",), ("behaviour",),
                              ("taking a package", "picking up the parcel", "walking off with a parcel")),
    "trying_handles": CueRule("tries door, window or car handles", 22, 60, ("person",), ("behaviour",),
                              ("trying door handles", "testing the handle", "pulling at a car door")),
    "climbing": CueRule("climbs a fence, gate, wall or onto a roof", 22, 60, ("person",), ("behaviour",),
                        ("climbing the fence", "scaling the gate", "climbing onto the shed roof")),
    "carrying_tool": CueRule("carries a pry bar, bolt cutters or a similar break-in tool", 30, 65, ("person",),
                             ("behaviour",), ("carrying a crowbar", "holding bolt cutters", "carrying a pry bar")),
    "forcing_entry": CueRule("forces a door, window, lock or garage (a vehicle ramming counts)", 40, 75,
                             ("person", "vehicle"), ("behaviour",),
                             ("forcing entry", "forcing the door", "prying at the window")),
    "carrying_weapon": CueRule("carries a knife, firearm or club", 45, 78, ("person",), ("behaviour",),
                               ("carrying a weapon", "holding a knife", "carrying a bat")),
    "attacking": CueRule("attacks a person, an animal or property", 45, 78, ("person", "animal"), ("behaviour",),
                         ("attacking", "lunging aggressively", "striking out"), resident_waives_floor=False),
    "known_resident": CueRule("every person in view is recognised as a resident", -30, None, ("person",), ("faces",),
                              ("recognised as a resident",)),
    "known_plate": CueRule("the vehicle's plate is on the household's list", -12, None, ("vehicle",), ("plates",),
                           ("household vehicle",)),
    "known_pet": CueRule("the animal is identified as the household's pet", -8, None, ("animal",), ("pets",),
                         ("household pet",)),
}
assert tuple(CUE_RULES) == CUES

AGGRAVATING_CUES: Final = tuple(c for c in CUES if CUE_RULES[c].aggravating)
MITIGATING_CUES: Final = tuple(c for c in CUES if not CUE_RULES[c].aggravating)
IDENTITY_CUES: Final[tuple[Cue, ...]] = ("known_resident", "known_plate", "known_pet")
BEHAVIOUR_CUES: Final = tuple(c for c in CUES if c not in IDENTITY_CUES)
# Cues that cannot be true of the same batch together (the generator never pairs them; the check flags them).
EXCLUSIVE_CUES: Final[tuple[tuple[Cue, Cue], ...]] = (
    ("passing_by", "loitering"), ("passing_by", "approaching_entry"), ("passing_by", "trying_handles"),
    ("passing_by", "forcing_entry"), ("passing_by", "climbing"), ("passing_by", "peering_in_windows"),
    ("passing_by", "taking_package"), ("passing_by", "delivering"), ("passing_by", "circling"), ("passing_by", "damaging_property"), ("delivering", "taking_package"),
    ("known_resident", "face_concealed"), ("loitering", "delivering"),
)
LOITER_SECONDS: Final = 45.0  # dwell at or above this is loitering (for a person not known to the household)
PASSING_SECONDS: Final = 20.0  # passing by means in view for less than this
