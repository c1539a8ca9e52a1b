"""Templates as files in real runs: a new file is a partition that evaluates without a code change, an edit marks only
its partitions stale and its re-run is the only one that calls the server, a broken file is named with its line and
fix while the code location loads, and an experiment is decided on the evaluations."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import dagster as dg
import pandas as pd
import pytest
from dagster._utils.test.data_versions import get_stale_status_resolver

from secassets.core.vocabulary import REPO_ROOT, SHIPPED_PROMPTS_DIR
from secassets.definitions import build_resources, defs
from secassets.defs.evaluation.prompt_templates import FILES_CHECK, sync_templates
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.sensors.prompt_files import prompt_files
from secassets_tests.defs.evaluation.test_prompt_evaluations import write_scenarios_and_edges
from secassets_tests.evaluation_runs import evaluation_instance, key, output

SMALL = {"evaluation_size": 2, "edge_cases_per_family": 0, "curated_size": 0}
VARIANT = "basic_behaviour"
EXPERIMENT = f"""experiments:
  - name: behaviour
    control: basic
    variant: {VARIANT}
    min_effect: 0.10
"""


def _prompts(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SHIPPED_PROMPTS_DIR / f"{name}.yaml", folder)
    return folder


def _variant_text() -> str:
    return (SHIPPED_PROMPTS_DIR / "basic.yaml").read_text().replace("name: basic", f"name: {VARIANT}").replace(
        "  - detection_list\n", "  - detection_list\n  - detection_attributes\n") + "  Behaviour: {{ detection_attributes }}\n"


def test_the_sensor_registers_files_records_versions_once_and_names_a_broken_file(tmp_path, monkeypatch):
    folder = _prompts(tmp_path / "prompts", "basic", "enriched")
    (folder / "vision.yaml").write_text((SHIPPED_PROMPTS_DIR / "vision.yaml").read_text().replace("{{ scene }}", "{{ scen }}"))
    monkeypatch.setenv("SECASSETS_PROMPTS_DIR", str(folder))
    with dg.instance_for_test() as instance:
        result = prompt_files(dg.build_sensor_context(instance=instance))
        [request] = result.dynamic_partitions_requests
        assert request.partitions_def_name == "templates" and list(request.partition_keys) == ["basic", "enriched"]
        observed = {e.partition: e.tags["dagster/data_version"] for e in result.asset_events if isinstance(e, dg.AssetObservation)}
        assert set(observed) == {"basic", "enriched"}
        [check] = [e for e in result.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
        assert check.check_name == FILES_CHECK and not check.passed
        problems = check.metadata["problems"].value
        assert "vision.yaml" in problems and "unfilled placeholder `{{ scen }}`" in problems and "closest: scene" in problems

        sync_templates(instance)  # what the daemon does with the result
        assert isinstance(prompt_files(dg.build_sensor_context(instance=instance, cursor=result.cursor)), dg.SkipReason)
        (folder / "enriched.yaml").write_text((folder / "enriched.yaml").read_text().replace("baseline context", "baseline"))
        edited = prompt_files(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert [(e.partition, e.tags["dagster/data_version"] != observed["enriched"]) for e in edited.asset_events] == [
            ("enriched", True)]  # only the edited template gets a new version, and no check re-report
        assert not edited.dynamic_partitions_requests


def test_the_code_location_loads_with_a_broken_template_file(tmp_path):
    folder = _prompts(tmp_path / "prompts", "basic")
    (folder / "enriched.yaml").write_text("name: enriched\ninputs: [camera\n")
    env = {**os.environ, "SECASSETS_PROMPTS_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-m", "secassets.definitions"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    with dg.instance_for_test() as instance:
        os.environ["SECASSETS_PROMPTS_DIR"] = str(folder)
        try:
            sync = sync_templates(instance)
        finally:
            del os.environ["SECASSETS_PROMPTS_DIR"]
        assert list(sync.catalog.templates) == ["basic"]
        assert str(sync.catalog.problems[0]).startswith(f"{folder / 'enriched.yaml'}:")
        assert "Fix:" in str(sync.catalog.problems[0])


def _server_calls(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """server_calls per template from the run's summary table."""
    summary = result.asset_materializations_for_node("prompt_evaluations")[-1].metadata["summary"].value
    header, _, *rows = summary.splitlines()
    columns = [c.strip() for c in header.strip("|").split("|")]
    cells = [dict(zip(columns, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in rows]
    return {c["template"]: int(c["server_calls"]) for c in cells}


def _stale(instance: dg.DagsterInstance, templates: list[str]) -> dict[str, str]:
    resolver = get_stale_status_resolver(instance, [*defs.assets])
    return {t: resolver.get_status(dg.AssetKey("prompt_evaluations"), key(t, "smol")).value for t in templates}


@pytest.mark.integration
def test_a_new_file_evaluates_an_edit_reruns_only_its_template_and_an_experiment_is_decided(tmp_path, llama_server,
                                                                                          monkeypatch):
    data_dir = tmp_path / "data"
    write_scenarios_and_edges(data_dir, 20)
    folder = _prompts(tmp_path / "prompts", "basic", "enriched")
    (folder / f"{VARIANT}.yaml").write_text(_variant_text())  # a new template: a file, no code
    (folder / "experiments.yaml").write_text(EXPERIMENT)
    monkeypatch.setenv("SECASSETS_PROMPTS_DIR", str(folder))
    monkeypatch.setenv("SECASSETS_ENDPOINTS", json.dumps({"smol": {"base_url": llama_server.base_url}}))
    instance = evaluation_instance("smol")
    templates = ["basic", "enriched", VARIANT]
    assert instance.get_dynamic_partitions("templates") == templates
    llm = LlamaServerResource(mode="attached", endpoints=["smol"])

    def run(*selection, **kwargs):
        return dg.materialize(
            [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.assets(*selection),
            resources=build_resources(str(data_dir), llm=llm), instance=instance, raise_on_error=False,
            run_config={"ops": {"prompt_evaluations": {"config": SMALL}}} if "prompt_evaluations" in selection else None,
            **kwargs)

    tags = {"dagster/asset_partition_range_start": key("basic", "smol"),
            "dagster/asset_partition_range_end": key(VARIANT, "smol")}
    first = run("prompt_evaluations", tags=tags)
    assert first.success
    assert _server_calls(first) == {t: 2 for t in templates}
    rows = pd.read_parquet(output(data_dir, VARIANT, "smol"))
    assert len(rows) == 2 and (rows["template_version"] == sync_templates(instance).catalog.templates[VARIANT].version).all()
    assert rows["prompt"].str.contains("Behaviour:").all()
    assert set(_stale(instance, templates).values()) == {"FRESH"}

    enriched = folder / "enriched.yaml"
    enriched.write_text(enriched.read_text().replace("zone and baseline context", "zone, entry point and baseline"))
    assert [o.partition for o in sync_templates(instance).observations] == ["enriched"]
    assert _stale(instance, templates) == {"basic": "FRESH", "enriched": "STALE", VARIANT: "FRESH"}

    second = run("prompt_evaluations", tags=tags)
    assert second.success
    assert _server_calls(second) == {"basic": 0, "enriched": 2, VARIANT: 0}  # the rest from the cache
    assert set(_stale(instance, templates).values()) == {"FRESH"}

    board = run("template_leaderboard", "prompt_experiments")
    assert board.success
    leaderboard = json.loads((data_dir / "template_leaderboard.json").read_text())
    versions = {t: s["version"] for t, s in leaderboard["by_model"]["smol"]["templates"].items()}
    assert versions == {t: sync_templates(instance).catalog.templates[t].version for t in templates}
    experiments = json.loads((data_dir / "prompt_experiments.json").read_text())
    [result] = experiments["results"]
    assert result["status"] == "decided" and result["n"] == 2
    assert result["decision"] in ("adopt", "reject", "inconclusive") and result["needed_n"] >= 1
    assert 0 <= result["p"] <= 1 and result["effect_ci_low"] <= result["effect"] <= result["effect_ci_high"]
    assert "+  Behaviour: {{ detection_attributes }}" in experiments["diffs"]["behaviour"]
    [check] = [c for c in board.get_asset_check_evaluations() if c.check_name == "prompt_experiments_powered"]
    assert check.passed == (result["decision"] == "inconclusive" or result["n"] >= result["needed_n"])

    (folder / "experiments.yaml").write_text(EXPERIMENT.replace("variant: basic_behaviour", "variant: basic_behavior"))
    broken = run("prompt_experiments")
    assert not broken.success
    [failure] = [e for e in broken.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message if failure.step_failure_data.error else ""
    message += failure.step_failure_data.user_failure_data.description if failure.step_failure_data.user_failure_data else ""
    assert "experiments.yaml:4: variant `basic_behavior` is not a template (closest: basic_behaviour)" in message, message
