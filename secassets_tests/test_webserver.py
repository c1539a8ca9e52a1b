"""`dagster dev` with the project's workspace.yaml and dagster_home: the UI's GraphQL API shows the
pipeline as a person would see it (assets, dependencies, partitions, checks, schedule, sensor)."""

import time

import pytest

from secassets.core.vocabulary import TEMPLATE_NAMES
from secassets_tests.webserver import EXPECTED_ASSETS, graphql

pytestmark = pytest.mark.ui


QUERY = """{ assetNodes { assetKey { path } dependencyKeys { path }
    partitionKeysByDimension { name partitionKeys } assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""


def _template_keys(nodes) -> list[str]:
    dimensions = {d["name"]: d["partitionKeys"] for d in nodes["prompt_evaluations"]["partitionKeysByDimension"]}
    assert set(dimensions) == {"model", "template"}
    return dimensions["template"]


def test_asset_graph_partitions_and_checks(webserver):
    deadline = time.monotonic() + 150
    while True:  # the prompt_files sensor, run by the daemon, registers the template files as partitions
        nodes = {n["assetKey"]["path"][-1]: n for n in graphql(webserver.url, QUERY)["data"]["assetNodes"]}
        if _template_keys(nodes) or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert set(nodes) == EXPECTED_ASSETS
    deps = {k: {d["path"][-1] for d in n["dependencyKeys"]} for k, n in nodes.items()}
    assert deps["scenarios"] == {"sampler_config"}
    assert deps["prompt_evaluations"] == {"scenarios", "enrichment_edge_cases", "curated_cases", "prompt_templates"}
    assert deps["template_leaderboard"] == deps["prompt_experiments"] == {"prompt_evaluations"}
    assert _template_keys(nodes) == list(TEMPLATE_NAMES)
    checks = {c["name"] for n in nodes.values() for c in n["assetChecksOrError"]["checks"]}
    assert {"sampler_config_marginals", "scenarios_schema", "scenarios_temporal_validity", "template_regression",
            "coverage_validity", "curated_cases_valid", "rubric_agreement", "prompt_template_files",
            "prompt_experiments_powered"} <= checks


def test_nightly_schedule_and_alert_sensor_are_listed(webserver):
    selector = '{repositoryLocationName: "secassets", repositoryName: "__repository__"}'
    data = graphql(webserver.url, f"""{{ schedulesOrError(repositorySelector: {selector}) {{ ... on Schedules {{ results {{
        name cronSchedule executionTimezone scheduleState {{ status }} }} }} }}
        sensorsOrError(repositorySelector: {selector}) {{ ... on Sensors {{ results {{ name }} }} }} }}""")
    [schedule] = data["data"]["schedulesOrError"]["results"]
    assert schedule["name"] == "nightly_prompt_evaluation_schedule" and schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    assert sorted(s["name"] for s in data["data"]["sensorsOrError"]["results"]) == ["alert_on_failures", "model_partitions",
                                                                                        "prompt_files"]
