"""Faults injected into prompt evaluation: requests with no answer, a failing share, damaged caches, bad config.

The answers come from the real llama.cpp server (bundled SmolLM2); a fault is injected by a
transport test double (named for what it does) that stands in for the client's request on chosen rows,
or by damaging the real cache files on disk.
"""

from __future__ import annotations

import dataclasses
import json
import os

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.evaluation.prompt_evaluations import PromptEvaluationParams
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.evaluation.runner import (
    EvaluationSettings,
    evaluate_template,
    evaluation_set,
    transport_error_failure,
)
from secassets.evaluation.statistics import evaluation_summary
from secassets.evaluation.template_files import builtin_templates
from secassets.llm.cache import ResponseCache, cache_key
from secassets.llm.cached_model import CachedCompletions
from secassets.llm.chat import Message, chatml
from secassets.llm.client import LlamaClient, LlamaRequestError
from secassets.llm.completion import Completion
from secassets.llm.server import LlamaServerError
from secassets_tests.defs.evaluation.test_prompt_evaluations import write_scenarios_and_edges
from secassets_tests.evaluation_runs import evaluation_instance
from secassets_tests.evaluation_runs import key as partition
from secassets_tests.evaluation_runs import output as evaluation_output

pytestmark = pytest.mark.integration

SETTINGS = EvaluationSettings(n_predict=16)
INJECTED = "POST http://127.0.0.1:1/completion failed after 4 attempts: ReadTimeout: injected by the test double"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval_faults")
    write_scenarios_and_edges(path, 20)
    return path


@pytest.fixture(scope="module")
def scenarios(data_dir):
    return pd.read_parquet(data_dir / "scenarios.parquet")


@pytest.fixture
def client(llama_server):
    c = LlamaClient([llama_server.base_url], capacities=[4])
    yield c
    c.close()


class TransportThatFailsOn:
    """Test double of the transport: chosen prompts raise what the client raises after its retries, the rest go
    to the real server."""

    def __init__(self, client: LlamaClient, failures: dict[str, BaseException]) -> None:
        self.client, self.failures, self.calls = client, failures, 0

    def __call__(self, messages: list[Message], schema: dict | None, s: EvaluationSettings) -> Completion:
        self.calls += 1
        prompt = chatml(messages)
        if prompt in self.failures:
            raise self.failures[prompt]
        return self.client.complete(prompt, n_predict=s.n_predict, json_schema=schema, temperature=s.temperature, seed=s.seed)


def test_requests_without_an_answer_become_failure_rows_in_every_denominator(client, scenarios, tmp_path):
    template = builtin_templates()["basic"]
    rows = evaluation_set(scenarios, None, 4, 42)
    prompts = [template.render(r) for r in rows.to_dict("records")]
    transport = TransportThatFailsOn(client, {
        prompts[0]: LlamaRequestError(INJECTED),
        prompts[2]: LlamaRequestError("POST http://127.0.0.1:1/completion returned a body that is not a llama.cpp "
                                      "/completion answer: content: Field required"),
        prompts[3]: KeyError("a surprise inside the transport"),
    })
    cache = ResponseCache(tmp_path / "cache")
    df, stats = evaluate_template(template, rows, complete=transport, map_fn=client.map, cache=cache,
                                  model_id="smollm2", settings=SETTINGS)

    assert len(df) == 4 and transport.calls == 4
    failed = df.iloc[[0, 2, 3]]
    assert failed["error"].str.startswith("transport error: ").all()
    assert "ReadTimeout" in failed["error"].iloc[0] and "not a llama.cpp /completion answer" in failed["error"].iloc[1]
    assert "KeyError" in failed["error"].iloc[2]
    assert (~failed["parse_ok"]).all() and (~failed["in_range"]).all() and failed["raw_output"].isna().all()
    assert df["raw_output"].iloc[1] is not None  # the real server answered the other row
    assert stats.transport_errors == 3 and stats.transport_error_share == 0.75 and stats.first_transport_error == INJECTED
    summary = evaluation_summary(df)
    assert summary["rows"] == 4 and summary["parse_rate"] == df["parse_ok"].sum() / 4  # failures stay in the denominator
    assert len(cache) == 1  # only the real answer is cached, never a failure

    message = transport_error_failure("basic", stats, 0.25)
    assert "3 of 4 rows (75%)" in message and "max_transport_error_share=0.25" in message and INJECTED in message
    assert transport_error_failure("basic", stats, 0.75) is None


def test_a_server_that_cannot_start_still_ends_the_step(scenarios, tmp_path):
    def transport_without_a_server(messages, schema, s):
        raise LlamaServerError("llama-server did not become healthy; check the model_path setting")

    with pytest.raises(LlamaServerError, match="model_path setting"):
        evaluate_template(builtin_templates()["basic"], evaluation_set(scenarios, None, 2, 42), complete=transport_without_a_server,
                          map_fn=map, cache=ResponseCache(tmp_path), model_id="m", settings=SETTINGS)


def _damage(path, kind: str, valid: dict) -> None:
    if kind == "shard_is_a_file":
        path.unlink()
        path.parent.rmdir()
        path.parent.write_text("not a folder")
        return
    path.unlink()
    if kind == "truncated_json":
        path.write_text(json.dumps(valid)[:40])
    elif kind == "not_utf8":
        path.write_bytes(b"\xff\xfe\x00garbage")
    elif kind == "json_list":
        path.write_text(json.dumps([valid]))
    elif kind == "missing_fields":
        path.write_text(json.dumps({"content": valid["content"]}))
    elif kind == "wrong_types":
        path.write_text(json.dumps({**valid, "prompt_tokens": "12", "latency_s": None}))
    elif kind == "a_folder":
        path.mkdir()
        (path / "inside.json").write_text("{}")
    elif kind == "link_loop":
        path.symlink_to(path)
    elif kind == "fifo":
        os.mkfifo(path)


DAMAGE = ["truncated_json", "not_utf8", "json_list", "missing_fields", "wrong_types", "a_folder", "link_loop", "fifo",
          "shard_is_a_file"]


VALID = dataclasses.asdict(Completion('{"risk_score": 5}', "eos", 120, 9, 0, 0.4, "http://127.0.0.1:1"))


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_cache_entry_of_any_kind_is_a_miss_and_is_rewritten(kind, tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    key = cache_key("smollm2", f"prompt {kind}", SETTINGS.params(), None)
    cache.put(key, VALID)
    assert CachedCompletions(cache, "smollm2").lookup(key) == Completion(**VALID)
    _damage(cache._path(key), kind, VALID)
    assert CachedCompletions(cache, "smollm2").lookup(key) is None  # a miss, not an exception
    cache.put(key, VALID)  # the next answer replaces whatever was in the way
    assert cache._path(key).is_file() and not cache._path(key).is_symlink()
    assert CachedCompletions(cache, "smollm2").lookup(key) == Completion(**VALID)


def test_a_damaged_cache_costs_one_call_not_the_step(client, scenarios, tmp_path):
    template = builtin_templates()["basic"]
    rows = evaluation_set(scenarios, None, 2, 7)
    prompts = [template.render(r) for r in rows.to_dict("records")]
    keys = [cache_key("smollm2", p, SETTINGS.params(), template.answer_schema()) for p in prompts]
    cache = ResponseCache(tmp_path / "cache")
    for key, kind in zip(keys, ["a_folder", "wrong_types"], strict=True):
        cache.put(key, VALID)
        _damage(cache._path(key), kind, VALID)
    transport = TransportThatFailsOn(client, {})  # no failure: every call reaches the real server, counted

    df, stats = evaluate_template(template, rows, complete=transport, map_fn=client.map, cache=cache, model_id="smollm2",
                                  settings=SETTINGS)
    assert transport.calls == 2 and stats.cache_hits == 0 and stats.transport_errors == 0
    assert df["raw_output"].notna().all() and (df["raw_output"] != VALID["content"]).all()  # real answers
    assert all(CachedCompletions(cache, "smollm2").lookup(k).base_url == client.base_urls[0] for k in keys)  # rewritten

    again, stats = evaluate_template(template, rows, complete=transport, map_fn=client.map, cache=cache,
                                     model_id="smollm2", settings=SETTINGS)
    assert transport.calls == 2 and stats.cache_hits == 2
    pd.testing.assert_frame_equal(again, df)


def test_the_cache_key_changes_with_everything_that_changes_an_answer():
    schema = builtin_templates()["basic"].answer_schema()
    base = cache_key("model-a ctx=4096", "prompt", SETTINGS.params(), schema)
    variants = [
        cache_key("model-a ctx=2048", "prompt", SETTINGS.params(), schema),  # identity: file, ctx per slot, build...
        cache_key("model-a ctx=4096", "prompt.", SETTINGS.params(), schema),
        cache_key("model-a ctx=4096", "prompt", SETTINGS.params(), None),
        cache_key("model-a ctx=4096", "prompt", {**SETTINGS.params(), "stop": ["</s>"]}, schema),
        *(cache_key("model-a ctx=4096", "prompt", EvaluationSettings(**{**SETTINGS.model_dump(), k: v}).params(), schema)
          for k, v in {"n_predict": 17, "temperature": 0.5, "seed": 43, "thinking": True}.items()),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert cache_key("model-a ctx=4096", "prompt", SETTINGS.params(), schema) == base


@pytest.mark.parametrize(
    ("field", "value"),
    [("evaluation_size", -3), ("evaluation_size", 0), ("seed", -1), ("seed", 2**32), ("n_predict", -1),
     ("temperature", float("inf")), ("temperature", float("nan")), ("temperature", 2.5),
     ("edge_cases_per_family", -2), ("max_transport_error_share", 1.5), ("curated_size", -1),
     ("prompt_format", "raw"), ("structured", "xml")],
)
def test_out_of_bounds_eval_config_is_rejected_with_the_field_named(field, value):
    with pytest.raises(dg.Failure, match=field) as info:
        PromptEvaluationParams(**{field: value})
    assert not info.value.allow_retries  # the same config fails the same way: never retried


def _materialize(data_dir, config, **kwargs):
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets("prompt_evaluations"),
        resources=build_resources(str(data_dir), llm=kwargs.pop("llm", LlamaServerResource(parallel=2))),
        run_config={"ops": {"prompt_evaluations": {"config": config}}}, partition_key=partition("basic"), raise_on_error=False,
        instance=evaluation_instance(),
    )


def test_too_many_rows_without_an_answer_fail_the_step_and_keep_the_previous_output(data_dir, monkeypatch):
    monkeypatch.setenv("SECASSETS_DATA_DIR", str(data_dir))  # the deployment's folder is this test's folder
    config = {"evaluation_size": 2, "n_predict": 24, "edge_cases_per_family": 0, "curated_size": 0}
    output = evaluation_output(data_dir, "basic")
    cache = ResponseCache(data_dir / "prompt_evaluations" / "cache")
    real_complete = LlamaClient.complete
    failures = {"n": 0}

    def complete_that_times_out_once(self, prompt, **kwargs):
        """Transport test double: the first request of each run gets no answer, the rest reach the real server."""
        failures["n"] += 1
        if failures["n"] == 1:
            raise LlamaRequestError(INJECTED)
        return real_complete(self, prompt, **kwargs)

    # 1. One of two rows without an answer, within an allowed share of 0.5: a failure row, written.
    monkeypatch.setattr(LlamaClient, "complete", complete_that_times_out_once)
    first = _materialize(data_dir, {**config, "max_transport_error_share": 0.5})
    assert first.success
    df = pd.read_parquet(output)
    assert len(df) == 2 and (df["error"] == f"transport error: {INJECTED}").sum() == 1 and len(cache) == 1
    previous = output.read_bytes()

    # 2. A fault that lasts over the default share (0.25): every attempt of the retry policy fails naming the share,
    #    the first error and the setting; the partition's previous file keeps its bytes.
    def complete_that_always_times_out(self, prompt, **kwargs):
        raise LlamaRequestError(INJECTED)

    monkeypatch.setattr(LlamaClient, "complete", complete_that_always_times_out)
    second = _materialize(data_dir, config)
    assert not second.success
    failures_seen = [e for e in second.all_events if e.event_type_value in ("STEP_FAILURE", "STEP_UP_FOR_RETRY")]
    assert [e.event_type_value for e in failures_seen] == ["STEP_UP_FOR_RETRY"] * 2 + ["STEP_FAILURE"]
    message = str(failures_seen[0].event_specific_data.error.cause or failures_seen[0].event_specific_data.error)
    assert "1 of 2 rows (50%)" in message and "max_transport_error_share=0.25" in message and INJECTED in message
    assert output.read_bytes() == previous

    # 3. Invalid config: the step fails naming the field before anything is asked or written.
    bad = _materialize(data_dir, {**config, "evaluation_size": -1}, llm=LlamaServerResource(mode="off"))
    assert not bad.success
    failure = bad.failure_data_for_node("prompt_evaluations").error
    assert "evaluation_size" in (failure.cause or failure).message and output.read_bytes() == previous

    # 4. The fault gone: only the missing row is asked for, the answered one comes from the cache.
    monkeypatch.setattr(LlamaClient, "complete", real_complete)
    third = _materialize(data_dir, config)
    assert third.success
    meta = third.asset_materializations_for_node("prompt_evaluations")[-1].metadata
    assert meta["server_calls"].value == 1 and meta["cache_hits"].value == 1 and meta["transport_errors"].value == 0
    assert pd.read_parquet(output)["error"].fillna("").str.startswith("transport error").sum() == 0

    # 5. A transient fault (the first request of a run, one new row): the retry policy asks again for that row only.
    failures["n"] = 0
    monkeypatch.setattr(LlamaClient, "complete", complete_that_times_out_once)
    recovered = _materialize(data_dir, {**config, "evaluation_size": 3})
    assert recovered.success and failures["n"] == 2  # the failed call, then the retried row; the rest from the cache
    assert any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in recovered.all_events)
