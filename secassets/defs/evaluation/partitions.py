"""Partition definitions shared by assets, jobs and schedules."""

import dagster as dg

from secassets.core.vocabulary import TEMPLATE_NAMES

TEMPLATE_PARTITIONS = dg.StaticPartitionsDefinition(list(TEMPLATE_NAMES))
# Run tags that make one run cover every template partition (single-run backfill policy).
ALL_TEMPLATES_TAGS = {
    "dagster/asset_partition_range_start": TEMPLATE_NAMES[0],
    "dagster/asset_partition_range_end": TEMPLATE_NAMES[-1],
}
