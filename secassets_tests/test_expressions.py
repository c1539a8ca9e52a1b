import json

from secassets.expressions import complexity_score, prompt_context, scenario_hash
from secassets.grounding import ground, row_rng
from secassets.validation import temporal_errors

SAMPLED = {"time_of_day": "night", "day_type": "weekday", "camera_location": "front_door", "detection_count": "4-6",
           "primary_object": "person", "scenario_type": "threat", "enrichment_level": "full"}


def test_hash_covers_samplers_and_narrative():
    h = scenario_hash(SAMPLED, "a narrative")
    assert len(h) == 64
    assert h == scenario_hash(dict(reversed(list(SAMPLED.items()))), "a narrative")
    assert h != scenario_hash(SAMPLED, "another narrative")
    assert h != scenario_hash({**SAMPLED, "day_type": "holiday"}, "a narrative")


def test_complexity_grows_with_content_and_stays_in_unit_interval():
    simple = {**SAMPLED, "time_of_day": "midday", "detection_count": "1", "enrichment_level": "none"}
    g_simple = ground(simple, row_rng(1, 1))
    g_rich = ground(SAMPLED, row_rng(1, 1))
    low = complexity_score(simple, g_simple.detections, g_simple.enrichment_context)
    high = complexity_score(SAMPLED, g_rich.detections, g_rich.enrichment_context)
    assert 0 <= low < high <= 1
    # a single detection, no enrichment, daytime: only the count term (0.35 * 1/10)
    assert low == 0.035


def test_prompt_context_lists_every_detection_and_says_when_enrichment_is_missing():
    g = ground({**SAMPLED, "enrichment_level": "none"}, row_rng(2, 2))
    text = prompt_context(g.detections, None)
    assert text.count("\n- t=") == len(g.detections)
    assert "Enrichment: not available" in text


def test_temporal_errors():
    ok = [{"timestamp_offset_seconds": 0.0}, {"timestamp_offset_seconds": 90.0}]
    assert temporal_errors(json.dumps(ok)) == []
    assert temporal_errors([{"timestamp_offset_seconds": 95.0}])
    assert temporal_errors("not json")
    assert temporal_errors([]) == ["no detections"]
