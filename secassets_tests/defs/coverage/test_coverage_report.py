import json

import dagster as dg
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.coverage.coverage_checks import (
    coverage_near_duplicates,
    coverage_type_x_enrichment,
    coverage_validity,
)
from secassets.defs.resources.llama_server import LlamaServerResource

pytestmark = pytest.mark.integration


def test_coverage_and_edge_cases_materialize_with_their_checks(scenario_run):
    _, data_dir = scenario_run
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("scenario_embeddings", "coverage_report", "enrichment_edge_cases"),
        resources=build_resources(str(data_dir), llm=LlamaServerResource(mode="off")),
        run_config={"ops": {"enrichment_edge_cases": {"config": {"vram_stress": 3}}}},
    )
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in ("coverage_validity", "edge_cases_valid_and_unique", "edge_cases_family_counts", "coverage_type_x_enrichment"):
        assert checks[name].passed, (name, checks[name].metadata)
    assert "coverage_near_duplicates" in checks  # WARN; deterministic narratives are formulaic, so it may fail
    report = json.loads((data_dir / "coverage_report.json").read_text())
    assert report["rows"] == 200 and report["diversity"]["clusters_covered"] >= 1
    assert (data_dir / "coverage_report" / "type_x_enrichment.png").stat().st_size > 1000
    meta = result.asset_materializations_for_node("enrichment_edge_cases")[-1].metadata
    assert meta["rows_vram_stress"].value == 3 and meta["dagster/row_count"].value == 93


def test_coverage_checks_fail_on_planted_problems():
    report = {
        "cross_tabs": [{"missing_cells": ["threat x none"]}],
        "validity": {"schema_valid_share": 0.9, "temporally_consistent_share": 1.0},
        "diversity": {"near_duplicate_share": 0.2, "near_duplicate_pairs": [{"a": "x", "b": "y", "cosine": 0.99}], "threshold": 0.95},
    }
    assert not coverage_type_x_enrichment(report).passed
    result = coverage_validity(report)
    assert not result.passed and result.severity.value == "ERROR"
    assert not coverage_near_duplicates(report).passed
