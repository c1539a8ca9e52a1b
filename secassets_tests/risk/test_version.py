import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

from secassets.risk import bands, cues, rubric
from secassets.risk.version import RUBRIC_VERSION, rubric_tables, rubric_version

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_twelve_hex_digits_of_the_current_tables():
    assert re.fullmatch(r"[0-9a-f]{12}", RUBRIC_VERSION)
    assert rubric_version() == RUBRIC_VERSION
    tables = rubric_tables()
    assert tables["secassets.risk.rubric"]["BASE_POINTS"] == rubric.BASE_POINTS
    assert tables["secassets.risk.cues"]["CUE_RULES"]["attacking"]["resident_waives_floor"] is False
    assert tables["secassets.risk.bands"]["LEVEL_LOWER_BOUNDS"] == dict(bands.LEVEL_LOWER_BOUNDS)
    assert tables["secassets.risk.bands"]["SCENARIO_TYPE_BANDS"]["threat"] == {"low": 70, "high": 100}
    assert tables["secassets.risk.bands"]["ALERT_THRESHOLD"] == bands.ALERT_THRESHOLD


def test_the_version_is_the_same_in_every_process():
    code = "from secassets.risk.version import RUBRIC_VERSION; print(RUBRIC_VERSION)"
    seen = set()
    for seed in ("0", "4242"):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        seen.add(out.stdout.strip())
    assert seen == {RUBRIC_VERSION}


def test_any_change_to_a_point_floor_threshold_or_cue_rule_is_a_new_version(monkeypatch):
    changes = [
        (rubric, "BASE_POINTS", rubric.BASE_POINTS + 1),
        (rubric, "POSE_POINTS", {**rubric.POSE_POINTS, "crawling": 9}),
        (rubric, "HOUSEHOLD_OBJECT_CUES", frozenset({"known_plate"})),
        (cues, "CUE_RULES", {**cues.CUE_RULES, "climbing": dataclasses.replace(cues.CUE_RULES["climbing"], floor=61)}),
        (bands, "ALERT_THRESHOLD", bands.ALERT_THRESHOLD + 1),
        (bands, "LEVEL_LOWER_BOUNDS", {**bands.LEVEL_LOWER_BOUNDS, "critical": 86}),
        (bands, "SCENARIO_TYPE_BANDS", {**bands.SCENARIO_TYPE_BANDS, "normal": bands.RiskRange(low=0, high=24)}),
    ]
    versions = set()
    for module, name, value in changes:
        with monkeypatch.context() as m:
            m.setattr(module, name, value)
            versions.add(rubric_version())
    assert len(versions) == len(changes) and RUBRIC_VERSION not in versions
    assert rubric_version() == RUBRIC_VERSION  # undone: the same version again


def test_a_new_constant_of_the_rubric_is_hashed_without_a_list_to_keep(monkeypatch):
    assert not hasattr(rubric, "TEST_ONLY_TAILGATING_POINTS")
    monkeypatch.setattr(rubric, "TEST_ONLY_TAILGATING_POINTS", {"tailgating": 6}, raising=False)
    assert rubric_tables()["secassets.risk.rubric"]["TEST_ONLY_TAILGATING_POINTS"] == {"tailgating": 6}
    assert rubric_version() != RUBRIC_VERSION
    monkeypatch.setattr(rubric, "_private_helper_table", {"x": 1}, raising=False)  # not a published table
    monkeypatch.delattr(rubric, "TEST_ONLY_TAILGATING_POINTS")
    assert rubric_version() == RUBRIC_VERSION
