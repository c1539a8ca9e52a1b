"""Template files: the shipped five, the lint (file, line, fix) and the content version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR, TEMPLATE_NAMES
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.inputs import INPUTS
from secassets.evaluation.template_files import builtin_templates, find_template, load_catalog, load_template
from secassets.evaluation.templates import NOT_AVAILABLE
from secassets_tests.generated_rows import default_rows

BASIC = (SHIPPED_PROMPTS_DIR / "basic.yaml").read_text()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in TEMPLATE_NAMES:
        shutil.copy(SHIPPED_PROMPTS_DIR / f"{name}.yaml", tmp_path)
    return tmp_path


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def _problems(path: Path) -> str:
    with pytest.raises(FileLintError) as err:
        load_template(path)
    return str(err.value)


def test_the_shipped_templates_load_in_order_and_render_every_declared_input():
    catalog = load_catalog(SHIPPED_PROMPTS_DIR)
    assert catalog.problems == []
    assert tuple(catalog.templates) == TEMPLATE_NAMES
    row = default_rows(1).iloc[0].to_dict()
    for template in catalog.templates.values():
        prompt = template.user_prompt(row)
        assert "{" not in prompt and "}" not in prompt  # no placeholder reaches the model
        assert len(prompt.splitlines()) >= len(template.inputs)
        for name in template.inputs:
            assert f"{INPUTS[name].label}:" in prompt
        assert "Risk levels: low 0-" in template.system_prompt()
        assert template.system_prompt().endswith("reasoning" + "".join(f", {f}" for f in template.output_fields) + ".")


def test_a_missing_input_renders_as_not_available_and_a_list_starts_on_its_own_line():
    row = {"camera_location": "front_door", "detections": "[]"}
    prompt = builtin_templates()["basic"].user_prompt(row)
    assert prompt.splitlines() == ["Camera: front door", f"Time: {NOT_AVAILABLE}", f"Detections: {NOT_AVAILABLE}"]
    row = default_rows(1).iloc[0].to_dict()
    lines = builtin_templates()["basic"].user_prompt(row).splitlines()
    assert lines[2] == "Detections:" and lines[3].startswith("- t=")  # no trailing space before the list


def test_the_version_is_the_content_not_the_description_or_comments(folder):
    before = find_template("basic", folder).version
    _write(folder, "basic", "# a comment\n" + BASIC.replace("The raw detections only", "Only the raw detections"))
    assert find_template("basic", folder).version == before
    _write(folder, "basic", BASIC.replace("from the raw detections.", "from the raw detections alone."))
    assert find_template("basic", folder).version != before
    assert len(before) == 12


def test_a_copied_and_edited_file_is_a_new_template_listed_after_the_built_ins(folder):
    text = BASIC.replace("name: basic", "name: basic_behaviour").replace(
        "  - detection_list\n", "  - detection_list\n  - detection_attributes\n") + "  Behaviour: {{ detection_attributes }}\n"
    _write(folder, "basic_behaviour", text)
    catalog = load_catalog(folder)
    assert list(catalog.templates)[-1] == "basic_behaviour" and catalog.problems == []
    variant = catalog.templates["basic_behaviour"]
    assert "behaviour" in variant.reveals and "behaviour" not in catalog.templates["basic"].reveals
    assert "Behaviour:" in variant.user_prompt(default_rows(1).iloc[0].to_dict())


LINE_OF_USER = BASIC.splitlines().index("user: |") + 1  # the `user: |` line; its text starts on the next one


@pytest.mark.parametrize(("edit", "line", "expected"), [
    (lambda t: t.replace("  - detection_list", "  - detections"), 8,
     ["unknown input `detections` (closest: detection_list)", "use one of: camera"]),
    (lambda t: t.replace("Camera: {{ camera }}", "Camera: {{ camera }} in {{ zone_analysis }}"), LINE_OF_USER + 1,
     ["`zone_analysis` is not declared", "add zone_analysis to inputs"]),
    (lambda t: t.replace("Time: {{ time_window }}", "Time: {{ time_window }} {{ weathr }}"), LINE_OF_USER + 2,
     ["unfilled placeholder `{{ weathr }}`", "use a declared input"]),
    (lambda t: t.replace("Time: {{ time_window }}", "Time: {time_window}"), LINE_OF_USER + 2,
     ["unfilled placeholder `{time_window}`", "write {{ time_window }}"]),
    (lambda t: t.replace("Detections: {{ detection_list }}", "Detections: {{ detection_list }"), LINE_OF_USER + 3,
     ["`user` is not valid Jinja", "close every {{ }}"]),
    (lambda t: t.replace("Camera: {{ camera }}", "Camera: {{ camera | shout }}"), LINE_OF_USER + 1,
     ["`user` is not valid Jinja", "shout"]),
    (lambda t: t.replace("name: basic", "name: basic2"), 2, ["differs from the file name", "rename the file"]),
    (lambda t: t.replace("inputs:", "inptus:"), 5, ["unknown key `inptus` (closest: inputs)", "remove it"]),
    (lambda t: t.replace("answer_fields: []", "answer_fields: [recomended_action]"), 9,
     ["unknown answer field `recomended_action` (closest: recommended_action)", "use one of: recommended_action"]),
    (lambda t: t.replace("  Camera: {{ camera }}\n", ""), 6, ["declared input `camera` never appears",
                                                             "add {{ camera }} to the user message"]),
    (lambda t: t.replace("inputs:\n", "inputs:\n - oops: [\n"), 7, ["is not valid YAML", "check the indentation"]),
    (lambda t: t.replace("system: |", "sistem: |"), 10, ["unknown key `sistem` (closest: system)"]),
])
def test_every_mistake_names_the_file_the_line_and_the_fix(folder, edit, line, expected):
    path = _write(folder, "basic", edit(BASIC))
    message = _problems(path)
    first = message.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), message
    assert "Fix: " in first
    for part in expected:
        assert part in message, message


def test_a_file_that_is_not_a_mapping_or_misses_a_key_says_so(folder):
    assert "is not a mapping" in _problems(_write(folder, "basic", "- just\n- a list\n"))
    message = _problems(_write(folder, "basic", BASIC.split("user: |")[0]))
    assert "`user` is missing" in message and "add `user:`" in message


def test_a_broken_file_is_left_out_with_its_problems_and_the_others_load(folder):
    _write(folder, "enriched", BASIC.replace("name: basic", "name: enriched").replace("{{ camera }}", "{{ camra }}"))
    catalog = load_catalog(folder)
    assert "enriched" not in catalog.templates and len(catalog.templates) == len(TEMPLATE_NAMES) - 1
    assert catalog.broken_files == [str(folder / "enriched.yaml")]
    assert any("camra" in p.problem and "closest: camera" in p.problem for p in catalog.problems)


def test_an_unknown_template_name_suggests_the_closest_file(folder):
    with pytest.raises(FileLintError, match=r"no template file for `enriced` \(closest: enriched\)"):
        find_template("enriced", folder)


def test_the_experiments_file_is_not_a_template(folder):
    shutil.copy(SHIPPED_PROMPTS_DIR / "experiments.yaml", folder)
    assert "experiments" not in load_catalog(folder).templates and load_catalog(folder).problems == []
