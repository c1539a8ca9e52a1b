"""The one Definitions object of the secassets code location."""

from __future__ import annotations

import dagster as dg

from secassets.assets import scenarios as scenario_assets
from secassets.checks import scenario_checks
from secassets.constants import SCENARIOS_GROUP, default_data_dir
from secassets.jobs import full_pipeline_job, scenarios_job
from secassets.resources.local_files import LocalFiles, LocalFilesIOManager


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    """Resources for a data folder (data/ unless given); tests pass a temp folder."""
    base = data_dir or str(default_data_dir())
    return {"io_manager": LocalFilesIOManager(base_dir=base), "local_files": LocalFiles(base_dir=base)}


scenario_group = dg.load_assets_from_package_module(scenario_assets, group_name=SCENARIOS_GROUP)

defs = dg.Definitions(
    assets=[*scenario_group],
    asset_checks=dg.load_asset_checks_from_modules([scenario_checks]),
    jobs=[full_pipeline_job, scenarios_job],
    resources=build_resources(),
    # One process per run: the run's resources (the llama.cpp server among them) are set up once,
    # shared by every step, and torn down when the run ends.
    executor=dg.in_process_executor,
)
