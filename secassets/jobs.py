"""Jobs: the whole graph on the embedded defaults, and the scenario group alone."""

from __future__ import annotations

import dagster as dg

from secassets.constants import SCENARIOS_GROUP

full_pipeline_job = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Materialize every asset of the pipeline, with its checks.",
)
scenarios_job = dg.define_asset_job(
    "scenarios_job",
    selection=dg.AssetSelection.groups(SCENARIOS_GROUP),
    description="Regenerate the sampler config and scenarios, with their checks.",
)
