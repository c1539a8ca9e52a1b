import json

from secassets.core.validation import temporal_errors
from secassets.scenarios.expressions import complexity_score, prompt_context, scenario_hash
from secassets.scenarios.grounding import ground, row_rng

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


def test_the_jinja_prompt_input_and_its_python_twin_render_the_same_text():
    """PROMPT_INPUT_EXPR rendered as Data Designer's expression column renders it equals format_prompt_input."""
    import itertools

    from data_designer.engine.processing.ginja.environment import WithJinja2UserTemplateRendering
    from data_designer.engine.processing.utils import deserialize_json_values

    from secassets.core.vocabulary import CAMERA_LOCATION, ENRICHMENT_LEVEL, TIME_OF_DAY
    from secassets.scenarios.expressions import PROMPT_INPUT_EXPR, format_prompt_input

    class ExpressionRenderer(WithJinja2UserTemplateRendering):
        pass

    renderer = ExpressionRenderer()
    columns = [*SAMPLED, "prompt_context"]
    renderer.prepare_jinja2_template_renderer(PROMPT_INPUT_EXPR, columns)
    combos = itertools.product(TIME_OF_DAY, CAMERA_LOCATION, ENRICHMENT_LEVEL, ("1", "7+"))
    for i, (time_of_day, camera, enrichment, count) in enumerate(combos):
        sampled = {**SAMPLED, "time_of_day": time_of_day, "camera_location": camera, "enrichment_level": enrichment,
                   "detection_count": count}
        g = ground(sampled, row_rng(3, i))
        record = {**sampled, "prompt_context": prompt_context(g.detections, g.enrichment_context)}
        rendered = renderer.render_template(deserialize_json_values(record))
        assert rendered == format_prompt_input(sampled, g.detections, g.enrichment_context), sampled
