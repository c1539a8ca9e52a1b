"""Local files under data/: where every asset's output is stored, always written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import BaseModel

from secassets.constants import default_data_dir
from secassets.schema import ARROW_SCHEMAS
from secassets.storage import CorruptOutputError, read_parquet, write_json, write_parquet


class LocalFiles(dg.ConfigurableResource):
    """The output folder (data/ by default, or SECASSETS_DATA_DIR) that assets write side files into."""

    base_dir: str = str(default_data_dir())

    def path(self, *parts: str) -> Path:
        return Path(self.base_dir).joinpath(*parts)


class LocalFilesIOManager(dg.ConfigurableIOManager):
    """DataFrames as parquet, Pydantic models and dicts as JSON, at data/<asset>[/<partition>]."""

    base_dir: str = str(default_data_dir())

    def _path(self, context: dg.OutputContext | dg.InputContext, suffix: str) -> Path:
        key = context.asset_key.path
        base = Path(self.base_dir).joinpath(*key)
        if context.has_asset_partitions:
            return base / f"{context.asset_partition_key}{suffix}"
        return base.with_suffix(suffix)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        if isinstance(obj, pd.DataFrame):
            path = write_parquet(self._path(context, ".parquet"), obj, ARROW_SCHEMAS.get(context.asset_key.path[-1]))
        elif isinstance(obj, BaseModel):
            path = write_json(self._path(context, ".json"), obj.model_dump(mode="json"))
        elif isinstance(obj, dict | list):
            path = write_json(self._path(context, ".json"), obj)
        else:
            raise TypeError(f"LocalFilesIOManager cannot store {type(obj).__name__} for {context.asset_key}")
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> Any:
        parquet = self._path(context, ".parquet")
        if parquet.exists():
            return read_parquet(parquet)
        path = self._path(context, ".json")
        if not path.exists():
            raise FileNotFoundError(
                f"no stored output for {context.asset_key.to_user_string()} at {parquet} or {path}; "
                "materialize that asset first"
            )
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise CorruptOutputError(f"{path} is not valid JSON ({exc}); re-materialize the asset") from exc
        typ = context.dagster_type.typing_type if context.dagster_type else None
        if isinstance(typ, type) and issubclass(typ, BaseModel):
            return typ.model_validate(data)
        return data
