"""Labels the exact tables miss, matched to the rubric's vocabulary by the shipped embedding model.

A team labels in its own words ("lorry", "prowling", "rear yard", "jimmying the lock"). Each label of a
table field is matched in this order, and the match records how it was made:

1. the team's mapping file (`<root>/vocabulary.yaml`: pins and overrides a person reviewed), then
2. the exact table (secassets.curated.vocabulary), then
3. a stated rule (clock times such as "3am" -> a time of day), then
4. the nearest candidate phrase of that field by cosine under the embedding model, when it reaches
   MATCH_THRESHOLD; below it the label matches nothing and is listed with its nearest candidates.

A candidate may stand for "known, but not ours" (None: an ordinary activity, a zone off the property):
matching it is a decision, not a miss. MATCH_THRESHOLD was chosen on a development list of labels
(secassets_tests/curated/test_open_vocabulary.py), never on the labeled sets agreement is reported on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from secassets.curated.vocabulary import TABLES, UNSPECIFIED, candidate_phrases, normalized, targets_of

MATCH_THRESHOLD: Final = 0.60  # cosine (MiniLM-L6, L2-normalized) at or above which the nearest candidate is taken
NEAREST_SHOWN: Final = 3
MAPPING_FILE: Final = "vocabulary.yaml"  # <curated root>/vocabulary.yaml: the team's reviewed pins
MAX_MAPPING_BYTES: Final = 256 * 1024
MatchKind = Literal["pinned", "table", "rule", "embedding", "none", "unspecified"]
Embed = Callable[[Sequence[str]], np.ndarray]
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?$")


@dataclass(frozen=True)
class Match:
    """How one label of one field was read: our value (None = not available), how, and how close."""

    field: str
    label: str
    target: str | None
    how: MatchKind
    similarity: float | None = None
    nearest: tuple[tuple[str, float], ...] = ()

    @property
    def matched(self) -> bool:
        """Whether the label was understood (a target, or a known 'not ours'); False for a vocabulary miss."""
        return self.how not in ("none", "unspecified")

    def note(self) -> str:
        """What a case's notes say of this label when it is not an exact table hit."""
        ours = "not available" if self.target is None else f"`{self.target}`"
        if self.how == "embedding":
            return f"{self.field} {self.label!r} read as {ours} (embedding match {self.similarity:.2f})"
        if self.how == "pinned":
            return f"{self.field} {self.label!r} read as {ours} (pinned in {MAPPING_FILE})"
        if self.how == "rule":
            return f"{self.field} {self.label!r} read as {ours} (clock time)"
        if self.how == "none":
            if not self.nearest:  # exact tables only
                return f"{self.field} {self.label!r} is not in the {TABLES[self.field][0]} table"
            near = ", ".join(f"{p!r} {s:.2f}" for p, s in self.nearest)
            return f"{self.field} {self.label!r} matches nothing in the vocabulary (nearest: {near})"
        return ""


def clock_time_of_day(label: str) -> str | None:
    """The time of day of a clock time ("3am", "23:15", "11 pm"); None when the label is not one.

    Rule: 05-09 morning, 10-15 midday, 16-19 evening, 20-23 night, 00-04 late night."""
    m = _CLOCK.match(label.strip().lower())
    if m is None:
        return None
    hour, suffix = int(m.group(1)), (m.group(3) or "").replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif hour > 23 or (m.group(2) is None and suffix != "h"):
        return None  # a bare number is not a clock time
    for upto, name in ((4, "late_night"), (9, "morning"), (15, "midday"), (19, "evening"), (23, "night")):
        if hour <= upto:
            return name
    return None  # pragma: no cover - every hour 0-23 is covered


@dataclass
class VocabularyMatcher:
    """Matches labels to the vocabulary; embeds each field's candidates once and each new label once."""

    embed: Embed | None = None
    pins: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    threshold: float = MATCH_THRESHOLD
    _candidates: dict[str, tuple[list[str], list[str | None], np.ndarray]] = field(default_factory=dict, repr=False)
    _seen: dict[tuple[str, str], Match] = field(default_factory=dict, repr=False)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False)  # how often each label was met

    def _field_candidates(self, field_name: str) -> tuple[list[str], list[str | None], np.ndarray]:
        if field_name not in self._candidates:
            phrases = candidate_phrases(field_name)
            texts, targets = list(phrases), list(phrases.values())
            assert self.embed is not None
            self._candidates[field_name] = (texts, targets, np.asarray(self.embed(texts), dtype=np.float32))
        return self._candidates[field_name]

    def match(self, field_name: str, label: str) -> Match:
        key = (field_name, label)
        self.counts[key] += 1
        if key not in self._seen:
            self._seen[key] = self._match(field_name, label)
        return self._seen[key]

    def _match(self, field_name: str, label: str) -> Match:
        _, table = TABLES[field_name]
        norm = normalized(label)
        pins = self.pins.get(field_name, {})
        if norm in pins:
            return Match(field_name, label, pins[norm], "pinned")
        if norm in table:
            return Match(field_name, label, table[norm], "table")
        if norm in UNSPECIFIED:
            return Match(field_name, label, None, "unspecified")
        if field_name == "scene.time_of_day" and (clock := clock_time_of_day(label)) is not None:
            return Match(field_name, label, clock, "rule")
        if self.embed is None:
            return Match(field_name, label, None, "none")
        texts, targets, vectors = self._field_candidates(field_name)
        query = np.asarray(self.embed([norm.replace("_", " ")]), dtype=np.float32)[0]
        sims = vectors @ query
        order = np.argsort(-sims, kind="stable")
        nearest = tuple((texts[i], round(float(sims[i]), 3)) for i in order[:NEAREST_SHOWN])
        best = int(order[0])
        if float(sims[best]) >= self.threshold:
            return Match(field_name, label, targets[best], "embedding", round(float(sims[best]), 3), nearest)
        return Match(field_name, label, None, "none", None, nearest)

    def matches(self) -> list[Match]:
        """Every distinct label met so far, in the order first met."""
        return list(self._seen.values())

    def report(self) -> list[dict[str, Any]]:
        """One row per distinct label that was not a plain table hit: what it was read as, how, how often, how close
        (the misses with their nearest candidates), most frequent first."""
        rows = []
        for (field_name, label), m in self._seen.items():
            if m.how == "table":
                continue
            rows.append({"field": field_name, "label": label, "cases": self.counts[(field_name, label)],
                         "read_as": "not available" if m.target is None else m.target, "how": m.how,
                         "similarity": "" if m.similarity is None else m.similarity,
                         "nearest": ", ".join(f"{p} {s:.2f}" for p, s in m.nearest)})
        return sorted(rows, key=lambda r: (r["how"] != "none", -r["cases"], r["field"], r["label"]))


class MappingFileError(ValueError):
    """The team's vocabulary.yaml is malformed: which entry and how to fix it."""


def read_pins(data: Any, where: str = MAPPING_FILE) -> dict[str, dict[str, str | None]]:
    """The pins of a parsed vocabulary.yaml: {field: {label: our value or null}}, every value checked."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingFileError(f"{where}: expected a mapping of field -> {{label: value}}; fields: {', '.join(TABLES)}")
    pins: dict[str, dict[str, str | None]] = {}
    for field_name, entries in data.items():
        if field_name not in TABLES:
            raise MappingFileError(f"{where}: unknown field {field_name!r}; use one of: {', '.join(TABLES)}")
        if not isinstance(entries, dict):
            raise MappingFileError(f"{where}: {field_name} must map labels to values")
        allowed = targets_of(field_name)
        pins[field_name] = {}
        for label, target in entries.items():
            if target is not None and target not in allowed:
                raise MappingFileError(f"{where}: {field_name}[{label!r}] = {target!r} is not a value of ours; use "
                                       f"one of: {', '.join(sorted(allowed))}, or null for not available")
            pins[field_name][normalized(str(label))] = target
    return pins


def load_pins(root: Path) -> dict[str, dict[str, str | None]]:
    """<root>/vocabulary.yaml when there is one (read inside root, bounded), else no pins."""
    import yaml

    from secassets.storage.bounded_read import read_text_inside

    path = root / MAPPING_FILE
    if not path.is_file() and not path.is_symlink():
        return {}
    try:
        text = read_text_inside(root, path, MAX_MAPPING_BYTES, what=MAPPING_FILE)
        return read_pins(yaml.safe_load(text), str(path))
    except (ValueError, OSError, yaml.YAMLError) as exc:  # SecassetsError and UnicodeDecodeError are ValueErrors
        raise MappingFileError(f"{path}: {exc}") from None
