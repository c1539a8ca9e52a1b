"""Template texts render inside a budget, and no template error escapes the lint (issue 23, finding 3).

Each bad text of the finding sits in its own file next to the shipped five: the lint names the file, the
line and a fix, within seconds, and the other templates load. A run renders a row whose prompt fails as a
failure row, never sent to the model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import jinja2
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from secassets.core.errors import SecassetsError
from secassets.core.vocabulary import SHIPPED_PROMPTS_DIR, TEMPLATE_NAMES
from secassets.evaluation.file_lint import FileLintError
from secassets.evaluation.lint_rows import lint_rows
from secassets.evaluation.render_budget import MAX_PROMPT_CHARS, TemplateRenderError
from secassets.evaluation.runner import TEMPLATE_ERROR, EvaluationSettings, evaluate_template
from secassets.evaluation.template_files import load_catalog, load_template
from secassets.evaluation.templates import PromptTemplate, _tidy, render_text
from secassets.llm.cache import ResponseCache
from secassets.llm.chat import Message, chatml
from secassets.llm.completion import Completion
from secassets_tests.generated_rows import default_rows

BASIC = (SHIPPED_PROMPTS_DIR / "basic.yaml").read_text()
USER_LINE = BASIC.splitlines().index("user: |") + 1  # the file line of `user: |`; the user text starts below it
# The jinja2 sandbox the templates rendered in before the budget: the reference every shipped prompt must equal.
PLAIN = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)

BAD_TEXTS = {
    "division_by_zero": "{{ 1/0 }}",
    "text_times_text": "{{ camera * camera }}",
    "nested_loops": "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}",
    "thirty_megabytes": "{% for i in range(100000) %}{{ 'x' * 300 }}{% endfor %}",
    "ten_gigabytes": "{{ 'x'*10**10 }}",
    "include_a_file": "{% include '/etc/passwd' %}",
    "endless_macro": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "ljust_ten_gigabytes": "{{ 'x'.ljust(10**10) }}",
    "replace_growth": "{% set ns = namespace(s=camera) %}{% for i in range(40) %}{% set ns.s = ns.s|replace('', ns.s) %}"
                      "{% endfor %}{{ ns.s }}",
    "fails_on_a_row_without_camera": "{{ 1 // (camera|length - 13) }}",  # "not available": 13 characters
}


def _with_user_line(name: str, line: str) -> str:
    return BASIC.replace("name: basic", f"name: {name}") + f"  Extra: {line}\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in TEMPLATE_NAMES:
        shutil.copy(SHIPPED_PROMPTS_DIR / f"{name}.yaml", tmp_path)
    return tmp_path


def test_the_shipped_templates_render_byte_identical_prompts_to_the_plain_sandbox():
    """Every cached answer's key holds the prompt: the budget must not change a character of it."""
    rows = [r.row for r in lint_rows()] + default_rows(40).to_dict("records")
    catalog = load_catalog(SHIPPED_PROMPTS_DIR)
    assert tuple(catalog.templates) == TEMPLATE_NAMES and catalog.problems == []
    for template in catalog.templates.values():
        system = _tidy(PLAIN.from_string(template.system).render(template.system_variables()))
        assert template.system_prompt() == system
        for row in rows:
            user = _tidy(PLAIN.from_string(template.user).render(template.user_variables(row)))
            assert template.user_prompt(row) == user
            assert template.render(row) == chatml([Message(role="system", content=system),
                                                   Message(role="user", content=user)])


@pytest.mark.parametrize("text", [
    "{% for i in l if i > 1 %}{{ loop.index }}:{{ i }}{% else %}none{% endfor %}",
    "{{ x ~ 'y' ~ 3 }} {{ 'ab' * 3 }} {{ 2 ** 10 }} {{ [1] + [2] }} {{ 7 % 3 }} {{ x|replace('a', 'zz') }}",
    "{% macro m(a) %}<{{ a }}>{% endmacro %}{% set y %}in {{ m(x) }}{% endset %}{{ y }}{{ y|length }}",
    "{% for row in tree recursive %}[{{ row.n }}{% if row.c %}{{ loop(row.c) }}{% endif %}]{% endfor %}",
    "{{ l|map('string')|join('-') }} {{ ', '.join([x, x]) }} {{ x|indent(2, true) }} {{ x|center(9) }}|",
    "{% autoescape true %}{{ '<b>' ~ x }}{% endautoescape %}{% filter upper %}{{ x }}{% endfilter %}",
])
def test_jinja_renders_as_in_the_plain_sandbox(text):
    values = {"x": "abcab", "l": [1, 2, 3], "tree": [{"n": 1, "c": [{"n": 2, "c": []}]}, {"n": 3, "c": []}]}
    assert render_text(text, values, "t user") == PLAIN.from_string(text).render(values)


@pytest.mark.parametrize("bad", sorted(BAD_TEXTS))
def test_each_bad_text_is_a_problem_of_its_file_with_a_line_and_a_fix(folder, bad):
    path = folder / f"{bad}.yaml"
    path.write_text(_with_user_line(bad, BAD_TEXTS[bad]))
    start = time.monotonic()
    with pytest.raises(FileLintError) as err:
        load_template(path)
    elapsed = time.monotonic() - start
    assert elapsed < 10, f"the lint of {bad} took {elapsed:.1f} s"
    [problem] = err.value.problems
    assert problem.path == str(path)
    assert problem.line == USER_LINE + 4, problem  # the Extra line: the fourth of the user text
    assert "`user` fails to render" in problem.problem and problem.fix, problem


def test_a_row_dependent_error_is_refused_on_the_example_row_it_fails_on(folder):
    path = folder / "no_camera.yaml"
    path.write_text(_with_user_line("no_camera", BAD_TEXTS["fails_on_a_row_without_camera"]))
    message = str(pytest.raises(FileLintError, load_template, path).value)
    assert "on the curated example normal_004" in message and "ZeroDivisionError" in message, message


def test_an_input_in_the_system_message_is_refused_it_would_fail_on_every_row(folder):
    path = folder / "basic.yaml"
    path.write_text(BASIC.replace("Rate the risk of this camera event", "Rate the risk at {{ camera }}"))
    message = str(pytest.raises(FileLintError, load_template, path).value)
    assert f"{path}:{USER_LINE - 3}: input `{{{{ camera }}}}` is used in the system message" in message, message
    assert "move {{ camera }} to the user message" in message


def test_the_catalog_keeps_every_good_template_next_to_every_bad_file_and_stays_fast(folder):
    for bad, text in BAD_TEXTS.items():
        (folder / f"{bad}.yaml").write_text(_with_user_line(bad, text))
    (folder / "good_extra.yaml").write_text(_with_user_line("good_extra", "{{ camera|upper }}"))
    start = time.monotonic()
    catalog = load_catalog(folder)
    elapsed = time.monotonic() - start
    assert list(catalog.templates) == [*TEMPLATE_NAMES, "good_extra"]
    assert catalog.broken_files == sorted(str(folder / f"{bad}.yaml") for bad in BAD_TEXTS)
    assert all(p.line > 1 and p.fix for p in catalog.problems)
    assert elapsed < 10, f"load_catalog with {len(BAD_TEXTS)} bad files took {elapsed:.1f} s"


def test_budget_messages_say_what_ran_over():
    cases = {"nested_loops": "steps", "thirty_megabytes": f"more than {MAX_PROMPT_CHARS} characters",
             "ten_gigabytes": "would build", "ljust_ten_gigabytes": "over the limit", "replace_growth": "replace filter",
             "endless_macro": "RecursionError", "include_a_file": "read no other file"}
    for bad, expected in cases.items():
        with pytest.raises(TemplateRenderError) as err:
            PromptTemplate(name=bad, inputs=("camera",), output_fields=(), system="s",
                           user=f"a\n{BAD_TEXTS[bad]}").user_prompt({"camera_location": "front_door"})
        assert isinstance(err.value, SecassetsError)
        assert err.value.line == 2 and expected in err.value.reason, (bad, err.value.summary)


FRAGMENTS = st.sampled_from([
    "{{ camera }}", "{{ time_window }}", "{{ detection_list }}", "{{ risk_levels }}", "text ", "\n", "{{", "}}", "{%",
    "%}", "{% for i in range(100000) %}", "{% endfor %}", "{% if camera %}", "{% endif %}", "{{ 1/0 }}", "|upper",
    "|replace('', camera)", "{% set ns = namespace(s=camera) %}", "{% set ns.s = ns.s ~ ns.s %}", "{{ ns.s }}",
    "{% macro m() %}", "{% endmacro %}", "{{ m() }}", "'x' * 10**10", "{{ camera * 3 }}", "{{ camera.ljust(99) }}",
    "{# c #}", "{% raw %}", "{% endraw %}", "{{ 'a' ~ camera }}", "{{ camera[0] }}", "{{ camera.__class__ }}",
    "{% include 'x' %}", "{{ (", ")) }}", "{{ 9 ** 9 ** 9 }}", "{{ '%s' % camera }}", "{{ camera|length - 13 }}",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, min_size=1, max_size=12).map("".join))
def test_load_template_returns_a_template_or_raises_file_lint_error_only(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzed.yaml"
        path.write_text(yaml.safe_dump({"name": "fuzzed", "inputs": ["camera", "time_window", "detection_list"],
                                        "system": "{{ risk_levels }}", "user": text}))
        try:
            template = load_template(path)
        except FileLintError as exc:
            assert exc.problems and all(p.line >= 1 and p.fix for p in exc.problems)
        else:
            assert isinstance(template, PromptTemplate)


def _completion(text: str = '{"risk_score": 40}') -> Completion:
    return Completion(content=text, stop_type="eos", prompt_tokens=10, completion_tokens=5, cached_tokens=0,
                      latency_s=0.1, base_url="test")


def test_a_row_whose_prompt_does_not_render_is_a_failure_row_never_sent(tmp_path):
    rows = default_rows(6).head(6).assign(source="scenario").reset_index(drop=True)
    bad_camera = rows.loc[2, "camera_location"]
    assert (rows["camera_location"] == bad_camera).sum() < len(rows)
    template = PromptTemplate(name="picky", inputs=("camera",), output_fields=(), system="{{ risk_levels }}",
                              user=f"Camera: {{{{ camera }}}}\n{{% if camera == '{bad_camera.replace('_', ' ')}' %}}"
                                   "{{ 1 // 0 }}{% endif %}")
    sent: list[str] = []

    def complete(messages: list[Message], schema: dict | None, s: EvaluationSettings) -> Completion:
        sent.append(messages[1].content)
        return _completion(json.dumps({"risk_score": 40, "risk_level": "medium", "summary": "s", "reasoning": "r"}))

    df, stats = evaluate_template(template, rows, complete=complete, map_fn=map, cache=ResponseCache(tmp_path),
                                  model_id="m", settings=EvaluationSettings())
    failing = rows["camera_location"] == bad_camera
    assert stats.render_errors == failing.sum() and stats.transport_errors == 0
    assert stats.server_calls == len(sent) == (~failing).sum()
    assert all(bad_camera.replace("_", " ") not in prompt for prompt in sent)
    bad = df[failing.to_numpy()]
    assert (bad["prompt"] == "").all() and (~bad["parse_ok"]).all() and (~bad["in_range"]).all()
    assert bad["error"].str.startswith(f"{TEMPLATE_ERROR}picky user line 2: ZeroDivisionError").all(), bad["error"]
    assert bad["raw_output"].isna().all()
    good = df[(~failing).to_numpy()]
    assert good["parse_ok"].all() and good["error"].isna().all() and (good["prompt"] != "").all()
    again, stats = evaluate_template(template, rows, complete=complete, map_fn=map, cache=ResponseCache(tmp_path),
                                     model_id="m", settings=EvaluationSettings())
    assert stats.cache_hits == (~failing).sum() and stats.server_calls == 0 and stats.render_errors == failing.sum()
    pd.testing.assert_frame_equal(df, again)
    from secassets.risk.version import RUBRIC_VERSION

    assert set(df["rubric_version"]) == {RUBRIC_VERSION}  # every row, failures too: the version its truth was judged under
