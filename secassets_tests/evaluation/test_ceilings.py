import json

import pandas as pd
import pytest

from secassets.core.content import observation_of_row
from secassets.evaluation.ceilings import calibrate, ceiling_flags, mask
from secassets.evaluation.template_files import builtin_templates
from secassets.risk import Observation, ObservedObject
from secassets_tests.generated_rows import default_rows


def _rates(template_name: str, population: pd.DataFrame) -> tuple[float, float]:
    """(ceiling, chance) in-range rates on the population the perfect reader was calibrated on (as in the asset)."""
    template = builtin_templates()[template_name]
    cal = calibrate(population, template)
    flags = pd.DataFrame([ceiling_flags(r, template, cal) for r in population.to_dict("records")])
    ranges = [json.loads(t)["risk_range"] for t in population["ground_truth"]]
    chance = sum(r["low"] <= cal.constant.score <= r["high"] for r in ranges) / len(population)
    return float(flags["ceiling_in_range"].mean()), chance


def test_a_template_that_shows_everything_reaches_the_truth_and_none_is_below_chance():
    population = default_rows().iloc[:1000]
    ceilings = {name: _rates(name, population) for name in builtin_templates()}
    assert ceilings["model_zoo"][0] >= 0.95
    assert ceilings["vision"][0] > ceilings["full_enriched"][0] > ceilings["basic"][0]
    for name, (ceiling, chance) in ceilings.items():
        assert ceiling >= chance, (name, ceiling, chance)
    assert ceilings["basic"][1] < 0.5  # a constant answer is in range for under half the rows


def test_mask_hides_cues_by_channel_and_facts_by_field():
    obs = Observation(zone="side_gate", time_of_day="night", objects=[ObservedObject(object_class="person", confidence=0.9)],
                      cues={"known_resident", "approaching_entry"}, cross_camera_matches=2, dwell_seconds=10)
    basic = mask(obs, builtin_templates()["basic"].reveals)
    assert basic.cues == frozenset() and basic.cross_camera_matches is None and basic.dwell_seconds == 10
    full = mask(obs, builtin_templates()["full_enriched"].reveals)
    assert full.cues == {"known_resident"} and full.cross_camera_matches == 2
    assert mask(obs, builtin_templates()["model_zoo"].reveals) == obs


@pytest.mark.parametrize("name", list(builtin_templates()))
def test_masking_keeps_what_every_template_shows(name):
    row = default_rows().iloc[0].to_dict()
    masked = mask(observation_of_row(row), builtin_templates()[name].reveals)
    assert masked.zone == row["camera_location"] and masked.time_of_day == row["time_of_day"]
