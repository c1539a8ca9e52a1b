"""Dagster types that describe tables in the UI (dagster-pandas); the asset checks are the gate."""

from __future__ import annotations

import warnings

from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type

from secassets.core.schema import COLUMN_GROUPS, SCENARIO_COLUMNS
from secassets.core.vocabulary import SAMPLER_VALUES


def _scenario_columns() -> list[PandasColumn]:
    columns = []
    for name in SCENARIO_COLUMNS:
        if name in SAMPLER_VALUES:
            columns.append(PandasColumn.categorical_column(name, categories=set(SAMPLER_VALUES[name])))
        elif name in COLUMN_GROUPS["validation"]:
            columns.append(PandasColumn.boolean_column(name))
        elif name == "complexity_score":
            columns.append(PandasColumn.float_column(name, min_value=0.0, max_value=1.0))
        else:
            columns.append(PandasColumn.exists(name))
    return columns


with warnings.catch_warnings():  # dagster-pandas marks every API beta
    warnings.simplefilter("ignore")
    ScenariosDataFrame = create_dagster_pandas_dataframe_type(
        name="ScenariosDataFrame",
        description="Synthetic detection scenarios: samplers, grounded structures, text, judge scores, "
        "embeddings, expressions and validation flags (see secassets.core.schema).",
        columns=_scenario_columns(),
    )
