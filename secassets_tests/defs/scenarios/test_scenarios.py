import hashlib

import dagster as dg
import data_designer.config as dd
import pandas as pd
import pytest
import yaml

from secassets.core.schema import SCENARIO_COLUMNS
from secassets.core.validation import bundle_from_row
from secassets.core.vocabulary import SAMPLER_COLUMNS
from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.scenarios.consistency import row_problems
from secassets_tests.conftest import SMALL_RUN, materialize_scenarios

pytestmark = pytest.mark.integration  # Data Designer and a Dagster run (the scenario_run fixture)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_materialization_succeeds_with_every_check_passing(scenario_run):
    result, data_dir = scenario_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {
        "sampler_config_marginals", "scenarios_schema", "scenarios_temporal_validity", "scenarios_hash_unique", "scenarios_sampler_distribution",
        "scenarios_label_leakage", "scenarios_ground_truth_consistency",
    }
    assert all(e.passed for e in evaluations), [(e.check_name, e.metadata) for e in evaluations if not e.passed]
    df = pd.read_parquet(data_dir / "scenarios.parquet")
    assert list(df.columns) == list(SCENARIO_COLUMNS)
    assert len(df) == SMALL_RUN
    assert df["scenario_hash"].is_unique
    assert set(df["generation_mode"]) == {"deterministic"}
    assert df["judge_relevance"].isna().all() and df["scenario_embedding"].isna().all()
    for row in df.head(50).to_dict("records"):
        bundle_from_row(row)


def test_sampler_yaml_round_trips_through_data_designer(scenario_run):
    _, data_dir = scenario_run
    path = data_dir / "sampler_config" / "data_designer_config.yaml"
    builder = dd.DataDesignerConfigBuilder.from_config(str(path))
    assert [c.name for c in builder.get_column_configs()] == list(SAMPLER_COLUMNS)
    raw = yaml.safe_load(path.read_text())
    columns = {c["name"]: c for c in raw["data_designer"]["columns"]}
    assert columns["time_of_day"]["params"]["weights"] == [0.15, 0.20, 0.25, 0.25, 0.15]


def test_sampler_metadata_marks_no_default_column_as_changed(scenario_run):
    result, _ = scenario_run
    [mat] = result.asset_materializations_for_node("sampler_config")
    table = mat.metadata["weights"].value
    assert "| scenario_type |" in table and "| yes |" not in table


def test_metadata_shows_rows_distribution_and_preview(scenario_run):
    result, _ = scenario_run
    mats = result.asset_materializations_for_node("scenarios")
    meta = mats[-1].metadata
    assert meta["dagster/row_count"].value == SMALL_RUN
    assert "| normal |" in meta["scenario_type_distribution"].value
    assert "expected_summary" in meta["preview"].value
    assert meta["path"].value.endswith("scenarios.parquet")


def test_no_scenario_contradicts_its_label(scenario_run):
    """The truth is the rubric on the row's own content, and that content holds together."""
    _, data_dir = scenario_run
    df = pd.read_parquet(data_dir / "scenarios.parquet")
    for row in df.to_dict("records"):
        assert row_problems(row) == ([], []), row["scenario_hash"]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path, scenario_run):
    _, data_dir = scenario_run
    again = materialize_scenarios(tmp_path / "again")
    assert again.success
    assert _sha(tmp_path / "again" / "scenarios.parquet") == _sha(data_dir / "scenarios.parquet")
    assert materialize_scenarios(tmp_path / "other", seed=7).success
    assert _sha(tmp_path / "other" / "scenarios.parquet") != _sha(data_dir / "scenarios.parquet")


def test_invalid_weights_fail_with_the_field_named_and_nothing_written(tmp_path):
    result = materialize_scenarios(tmp_path, weight_overrides={"day_type": {"weekday": 1, "weekend": 1, "holiday": 1, "funday": 2}})
    assert not result.success
    failure = result.failure_data_for_node("sampler_config")
    assert "weights.day_type: unknown categories ['funday']" in failure.error.message
    assert "Nothing was written" in failure.error.message
    assert not any(tmp_path.rglob("*.yaml")) and not any(tmp_path.rglob("*.parquet"))


def test_zero_weights_and_negative_counts_fail(tmp_path):
    result = materialize_scenarios(tmp_path, num_scenarios=-3)
    assert not result.success
    assert "num_scenarios" in result.failure_data_for_node("sampler_config").error.message
    result = materialize_scenarios(tmp_path, weight_overrides={"enrichment_level": {"none": 0, "basic": 0, "full": 0}})
    assert "must sum to a positive value" in result.failure_data_for_node("sampler_config").error.message


def test_unreadable_config_yaml_names_the_file_and_the_fix(tmp_path, scenario_run):
    assert materialize_scenarios(tmp_path, num_scenarios=20).success
    yaml_path = tmp_path / "sampler_config" / "data_designer_config.yaml"
    yaml_path.write_text("data_designer: [this is not: a config")
    before = _sha(tmp_path / "scenarios.parquet")
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("scenarios"),
        resources=build_resources(str(tmp_path), llm=LlamaServerResource(mode="off")),
        raise_on_error=False,
    )
    assert not result.success
    error, messages = result.failure_data_for_node("scenarios").error, []
    while error is not None:  # caught when the plan is loaded (its YAML checksum) or when the YAML is read
        messages.append(error.message)
        error = error.cause
    message = "\n".join(messages)
    assert str(yaml_path) in message and "re-materialize sampler_config" in message.lower(), message
    assert _sha(tmp_path / "scenarios.parquet") == before  # the previous output is untouched


LLM_ROWS = 2  # each LLM row is a writer and a judge call on the 2-core CI machine


def test_llm_columns_through_the_managed_server(tmp_path):
    from secassets.llm.server import pid_alive

    result = materialize_scenarios(tmp_path, num_scenarios=12, llm_rows=LLM_ROWS)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations() if e.severity.value == "ERROR")
    meta = result.asset_materializations_for_node("scenarios")[-1].metadata
    assert meta["llm_rows_attempted"].value == LLM_ROWS
    assert meta["llm_rows_succeeded"].value + meta["llm_rows_failed"].value == LLM_ROWS
    assert meta["llm_quantization"].value == "Q4_1" and meta["llm_device"].value in ("cpu", "gpu")
    df = pd.read_parquet(tmp_path / "scenarios.parquet")
    modes = df["generation_mode"].value_counts().to_dict()
    assert modes.get("llm", 0) + modes.get("llm_failed", 0) == LLM_ROWS
    assert modes.get("llm", 0) == meta["llm_rows_succeeded"].value
    llm_rows = df[df["generation_mode"] == "llm"]
    judged = llm_rows["judge_relevance"].notna().sum()
    assert judged == meta["llm_rows_succeeded"].value - meta["judge_unparsed"].value
    assert judged >= 1  # the judge grammar is accepted by llama.cpp and its answers parse
    assert df.loc[df["generation_mode"] == "deterministic", "judge_relevance"].isna().all()
    # the run's server is gone once the run has ended
    pid = meta["llm_server_pid"].value
    assert pid > 0 and not pid_alive(pid)
    assert meta["llm_cache_hits"].value == 0

    # nothing changed: every answer comes from the cache (no model call) and the file is the same
    first = _sha(tmp_path / "scenarios.parquet")
    again = materialize_scenarios(tmp_path, num_scenarios=12, llm_rows=LLM_ROWS)
    assert again.success
    meta2 = again.asset_materializations_for_node("scenarios")[-1].metadata
    assert meta2["llm_cache_hits"].value == LLM_ROWS + meta["llm_rows_succeeded"].value  # text pass + judge pass
    assert meta2["llm_server_pid"].value == 0  # no row missed the cache, so no server was started
    assert _sha(tmp_path / "scenarios.parquet") == first


def test_a_missing_model_file_fails_with_the_fix_and_writes_nothing(tmp_path):
    missing = tmp_path / "models" / "nemotron.gguf"
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("sampler_config", "scenarios"),
        resources=build_resources(str(tmp_path), llm=LlamaServerResource(mode="managed", model_path=str(missing))),
        run_config={"ops": {"scenarios": {"config": {"llm_rows": 2}}}},
        raise_on_error=False,
    )
    assert not result.success
    message = result.failure_data_for_node("scenarios").error.message
    assert str(missing) in message and "point model_path at a GGUF file" in message
    assert not (tmp_path / "scenarios.parquet").exists()
