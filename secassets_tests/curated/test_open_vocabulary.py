"""The open vocabulary: labels the exact tables miss, read by the real embedding model, pinned by the team.

DEV_LABELS is the development list MATCH_THRESHOLD was chosen on (at 0.60 every one below reads as written; at
0.55 'rooftop' is read as a front door, at 0.65 three right readings are lost). It is not the set agreement is
reported on (secassets_tests/curated/test_external_agreement.py).
"""

from __future__ import annotations

import pytest

from secassets.curated.open_vocabulary import (
    MATCH_THRESHOLD,
    MappingFileError,
    VocabularyMatcher,
    clock_time_of_day,
    load_pins,
    read_pins,
)
from secassets.embeddings.embedders import MiniLMEmbedder

MISS = "no match"
DEV_LABELS = [
    ("action.action", "snooping around cars", "peering_in_windows"), ("action.action", "breaking a window", "forcing_entry"),
    ("action.action", "kicking the front door", "forcing_entry"), ("action.action", "jumping over the wall", "climbing"),
    ("action.action", "wielding a machete", "carrying_weapon"), ("action.action", "hitting someone", "attacking"),
    ("action.action", "hiding face", "face_concealed"), ("action.action", "trying the car handle", "trying_handles"),
    ("action.action", "watering the garden", None), ("action.action", "chatting with neighbour", None),
    ("action.action", "taking pictures of windows", "circling"), ("action.action", "breakdancing", MISS),
    ("action.action", "tying shoelaces", MISS),
    ("detections.class", "hatchback car", "car"), ("detections.class", "german shepherd", "dog"),
    ("detections.class", "tabby cat", "cat"), ("detections.class", "handgun pistol", "carrying_weapon"),
    ("detections.class", "cardboard parcel", "parcel"), ("detections.class", "garden gnome", MISS),
    ("detections.class", "hoverboard", MISS),
    ("scene.location", "front entryway", "front_door"), ("scene.location", "back lawn", "backyard"),
    ("scene.location", "garage entrance", "driveway"), ("scene.location", "side alleyway", "side_gate"),
    ("scene.location", "rooftop", MISS),
    ("scene.weather", "light drizzle", "light_rain"), ("scene.weather", "heavy fog", "fog"),
    ("scene.weather", "blizzard", MISS),
    ("clothing.items", "ski balaclava", "face_concealed"), ("clothing.items", "baseball cap", None),
    ("threats.type", "armed intruder", "carrying_weapon"), ("threats.type", "burglary attempt", "forcing_entry"),
    ("threats.type", "graffiti tagging", "damaging_property"), ("threats.type", "physical assault", "attacking"),
]


@pytest.fixture(scope="module")
def matcher() -> VocabularyMatcher:
    return VocabularyMatcher(embed=MiniLMEmbedder().embed)


@pytest.mark.parametrize(("field", "label", "expected"), DEV_LABELS)
def test_the_development_labels_read_as_an_analyst_reads_them(matcher, field, label, expected):
    match = matcher.match(field, label)
    if expected == MISS:
        assert match.how == "none" and match.target is None and len(match.nearest) == 3
        assert "matches nothing in the vocabulary (nearest:" in match.note()
    else:
        assert (match.how, match.target) == ("embedding", expected), match
        assert match.similarity is not None and match.similarity >= MATCH_THRESHOLD


def test_table_first_then_pins_override_both(matcher):
    assert matcher.match("detections.class", "lorry").how == "table"
    pinned = VocabularyMatcher(embed=matcher.embed, pins=read_pins({"detections.class": {"Lorry": "bus", "gnome": None},
                                                                   "action.action": {"prowling": "loitering"}}))
    assert pinned.match("detections.class", "lorry").target == "bus"
    assert (pinned.match("detections.class", "garden gnome").how, pinned.match("detections.class", "gnome").how) == (
        "none", "pinned")
    assert pinned.match("action.action", "Prowling").target == "loitering"
    report = pinned.report()
    assert report[0]["how"] == "none" and {r["label"] for r in report} == {"lorry", "garden gnome", "gnome", "Prowling"}


@pytest.mark.parametrize(("data", "message"), [
    ({"detections.colour": {}}, "unknown field 'detections.colour'"),
    ({"action.action": {"prowling": "sneaking"}}, r"action.action\['prowling'\] = 'sneaking' is not a value of ours"),
    ({"action.action": ["prowling"]}, "must map labels to values"),
    (["x"], "expected a mapping"),
])
def test_a_bad_pin_is_refused_with_the_entry(data, message):
    with pytest.raises(MappingFileError, match=message):
        read_pins(data)


def test_the_pins_file_is_read_inside_the_root_and_bounded(tmp_path):
    (tmp_path / "vocabulary.yaml").write_text("scene.location:\n  roof: null\n")
    assert load_pins(tmp_path) == {"scene.location": {"roof": None}}
    (tmp_path / "vocabulary.yaml").unlink()
    (tmp_path / "vocabulary.yaml").symlink_to("/etc/hostname")
    with pytest.raises(MappingFileError, match="outside|link"):
        load_pins(tmp_path)
    assert load_pins(tmp_path / "nowhere") == {}


@pytest.mark.parametrize(("label", "time"), [("3am", "late_night"), ("23:15", "night"), ("11 pm", "night"),
                                             ("07:30", "morning"), ("12pm", "midday"), ("12am", "late_night"),
                                             ("6 p.m.", "evening"), ("17h", "evening"), ("3", None), ("25:00", None),
                                             ("13am", None)])
def test_clock_times_are_read_by_the_stated_rule(label, time):
    assert clock_time_of_day(label) == time
