"""Label leakage: how well one field a template shows predicts scenario_type on its own.

For every input of every template, each atomic field it shows (a detection's behaviour, the mean
detector confidence, the deviation, ...) is turned into a lookup classifier: fit on a seeded half
of the rows (each value -> its most common type; numbers in ten quantile bins), scored on the other
half. If any single field reaches high accuracy, the generator has built the label into the content
and a template that shows that field is ranked for reading the generator, not for judging risk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from secassets.core.content import detection_cues, person_dwell
from secassets.evaluation.inputs import context_field, row_detections
from secassets.evaluation.statistics import wilson_interval
from secassets.evaluation.template_files import load_catalog
from secassets.evaluation.templates import PromptTemplate
from secassets.risk.cues import IDENTITY_CUES

MAX_FIELD_ACCURACY: Final = 0.70
# With fewer held-out rows than this, a field fails only when its accuracy is above the limit beyond
# sampling noise (Wilson 95% lower bound); a 20-row smoke run cannot tell 0.8 from luck.
JUDGE_POINT_ESTIMATE_FROM: Final = 200
BINS: Final = 10
Row = Mapping[str, Any]


_dets = row_detections  # the rows are read exactly as the templates read them
_ctx = context_field


def _set(values: list[Any]) -> str:
    return "|".join(sorted({str(v) for v in values}))


def _attr(key: str) -> Callable[[Row], Any]:
    return lambda row: _set([d["attributes"][key] for d in _dets(row) if key in d.get("attributes", {})])


def _behaviour(row: Row) -> str:
    return _set([c for d in _dets(row) for c in detection_cues(d) if c not in IDENTITY_CUES])


def _plates(row: Row) -> Any:
    reads = _ctx(row, "plate_reads")
    return None if reads is None else _set([f"{r['status']}:{r.get('known', False)}" for r in reads])


def _faces(row: Row) -> Any:
    known = _ctx(row, "known_faces")
    return None if known is None else f"{known}/{_ctx(row, 'unknown_faces')}/{_ctx(row, 'concealed_faces')}"


def _times(row: Row) -> list[float]:
    return [d["timestamp_offset_seconds"] for d in _dets(row)]


# (field name, extractor, numeric?) per template input.
FIELDS: Final[dict[str, list[tuple[str, Callable[[Row], Any], bool]]]] = {
    "camera": [("camera", lambda r: r["camera_location"], False)],
    "time_window": [("time_of_day", lambda r: r["time_of_day"], False), ("day_type", lambda r: r["day_type"], False),
                    ("window_span_s", lambda r: max(_times(r)) - min(_times(r)), True),
                    ("window_start_s", lambda r: min(_times(r)), True)],
    "detection_list": [("object_classes", lambda r: "|".join(sorted(d["object_type"] for d in _dets(r))), False),
                       ("detections", lambda r: len(_dets(r)), False),
                       ("mean_confidence", lambda r: float(np.mean([d["confidence"] for d in _dets(r)])), True),
                       ("min_confidence", lambda r: min(d["confidence"] for d in _dets(r)), True),
                       ("person_dwell_s", lambda r: person_dwell(_dets(r)), True),
                       ("mean_box_area", lambda r: float(np.mean([d["bbox"]["w"] * d["bbox"]["h"] for d in _dets(r)])), True)],
    "zone_analysis": [("entry_point", lambda r: _ctx(r, "is_entry_point"), False)],
    "baseline_comparison": [("baseline_expected", lambda r: _ctx(r, "baseline_expected_count"), False)],
    "deviation": [("deviation", lambda r: _ctx(r, "baseline_deviation_score"), True)],
    "cross_camera": [("cross_camera_matches", lambda r: _ctx(r, "cross_camera_matches"), False)],
    "enrichment_status": [("failed_models", lambda r: _set(_ctx(r, "failed_models") or []), False)],
    "plates": [("plate_reads", _plates, False)],
    "faces": [("faces", _faces, False)],
    "ocr": [("unreadable_plates", lambda r: None if _ctx(r, "plate_reads") is None else
             sum(p["status"] == "unreadable" for p in _ctx(r, "plate_reads")), False)],
    "detection_attributes": [("behaviour", _behaviour, False), ("poses", _attr("pose"), False),
                             ("clothing", _attr("clothing"), False)],
    "reidentification": [("reid_tracks", lambda r: _ctx(r, "reid_tracks"), False)],
    "scene": [("lighting", lambda r: _ctx(r, "lighting"), False), ("weather", lambda r: _ctx(r, "weather"), False)],
    "weather": [("weather", lambda r: _ctx(r, "weather"), False)],
    "image_quality": [("image_quality", lambda r: _ctx(r, "image_quality"), True)],
    "violence": [("violence_score", lambda r: _ctx(r, "violence_score"), True)],
    "pose": [("poses", _attr("pose"), False)],
    "action": [("behaviour", _behaviour, False)],
    "vehicle": [("vehicle_classes", lambda r: _set([d["object_type"] for d in _dets(r) if d["object_type"] not in
                                                    ("person", "dog", "cat")]), False)],
    "clothing": [("clothing", _attr("clothing"), False)],
    "pet": [("pets", lambda r: f"{_set([d['object_type'] for d in _dets(r) if d['object_type'] in ('dog', 'cat')])}"
             f"/{_ctx(r, 'known_pets')}", False)],
}


@dataclass(frozen=True)
class FieldLeak:
    template: str
    input: str
    field: str
    accuracy: float
    majority_baseline: float
    held_out: int
    lower: float  # Wilson 95% lower bound of the accuracy

    @property
    def leaks(self) -> bool:
        if self.accuracy <= MAX_FIELD_ACCURACY:
            return False
        return self.held_out >= JUDGE_POINT_ESTIMATE_FROM or self.lower > MAX_FIELD_ACCURACY


def _binned(fit: pd.Series, test: pd.Series) -> tuple[pd.Series, pd.Series]:
    known = fit.dropna().astype(float)
    edges = np.unique(np.quantile(known, np.linspace(0, 1, BINS + 1)[1:-1])) if len(known) else np.array([])

    def cut(s: pd.Series) -> pd.Series:
        return s.map(lambda v: "none" if v is None or pd.isna(v) else int(np.searchsorted(edges, float(v), side="right")))
    return cut(fit), cut(test)


def lookup_accuracy(values: pd.Series, labels: pd.Series, fit_mask: np.ndarray, numeric: bool) -> float:
    """Held-out accuracy of value -> most common label (ties: first label in sorted order; unseen: majority)."""
    fit_v, test_v = values[fit_mask], values[~fit_mask]
    if numeric:
        fit_v, test_v = _binned(fit_v, test_v)
    fit_v, test_v = fit_v.map(str), test_v.map(str)
    fit_y, test_y = labels[fit_mask], labels[~fit_mask]
    majority = fit_y.value_counts().sort_index().idxmax()
    table = pd.crosstab(fit_v, fit_y)
    lookup = {v: table.loc[v].sort_index().idxmax() for v in table.index}
    predicted = test_v.map(lambda v: lookup.get(v, majority))
    return float((predicted.to_numpy() == test_y.to_numpy()).mean())


def leakage_table(rows: pd.DataFrame, seed: int = 0, templates: Iterable[PromptTemplate] | None = None,
                  ) -> tuple[list[FieldLeak], float]:
    """Per template (default: every valid template file), input and field: held-out lookup accuracy for
    scenario_type; and the majority baseline."""
    records = rows.to_dict("records")
    labels = rows["scenario_type"].astype(str).reset_index(drop=True)
    fit_mask = np.zeros(len(rows), dtype=bool)
    fit_mask[np.random.default_rng(seed).permutation(len(rows))[: len(rows) // 2]] = True
    baseline = float((labels[~fit_mask] == labels[fit_mask].value_counts().sort_index().idxmax()).mean())
    held_out = int((~fit_mask).sum())
    per_field: dict[tuple[str, str], float] = {}
    out = []
    for template in (load_catalog().templates.values() if templates is None else templates):
        for name in template.inputs:
            for field, extract, numeric in FIELDS[name]:
                if (name, field) not in per_field:
                    values = pd.Series([extract(r) for r in records], dtype=object)
                    per_field[(name, field)] = lookup_accuracy(values, labels, fit_mask, numeric)
                accuracy = per_field[(name, field)]
                lower, _ = wilson_interval(round(accuracy * held_out), held_out)
                out.append(FieldLeak(template.name, name, field, round(accuracy, 4), round(baseline, 4), held_out,
                                     round(lower, 4)))
    return out, baseline
