"""A rendered still's truth is the rubric on what the still shows, never the scenario's label."""

import json

from secassets.multimodal.ground_truth import rendered_truth
from secassets.risk import Observation, ObservedObject, assess
from secassets_tests.generated_rows import default_rows


def test_rendered_truth_counts_only_the_pasted_objects_and_no_behaviour():
    row = next(r for r in default_rows().to_dict("records")
               if any("cues" in d["attributes"] for d in json.loads(r["detections"])))
    placed = [{"class": "person", "box": [0.1, 0.1, 0.2, 0.5]}]
    truth = rendered_truth(row, placed)
    expected = assess(Observation(zone=row["camera_location"], time_of_day=row["time_of_day"],
                                  objects=[ObservedObject(object_class="person")]))
    assert truth == expected
    assert not {d.factor for d in truth.drivers} & {"forcing_entry", "loitering", "known_resident"}


def test_a_threat_scenario_rendered_as_a_cat_is_low_risk():
    row = next(r for r in default_rows().to_dict("records") if r["scenario_type"] == "threat")
    truth = rendered_truth(row, [{"class": "cat", "box": [0.4, 0.6, 0.5, 0.7]}])
    assert truth.level == "low" and not truth.alert
