"""Local files under data/: where every asset's output is stored, always written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import BaseModel, Field

from secassets.constants import default_data_dir
from secassets.schema import ARROW_SCHEMAS
from secassets.storage import CorruptOutputError, read_parquet, write_json, write_parquet


class LocalFiles(dg.ConfigurableResource):
    """The output folder (data/ by default, or SECASSETS_DATA_DIR) that assets write side files into."""

    base_dir: str = Field(default=str(default_data_dir()), description="Folder of side files (reports, plots, caches).")

    def path(self, *parts: str) -> Path:
        return Path(self.base_dir).joinpath(*parts)


class LocalFilesIOManager(dg.ConfigurableIOManager):
    """DataFrames as parquet, Pydantic models and dicts as JSON, at data/<asset>[/<partition>]."""

    base_dir: str = Field(default=str(default_data_dir()), description="Folder of asset outputs (data/ by default).")

    def _path(self, context: dg.OutputContext | dg.InputContext, suffix: str, partition: str | None = None) -> Path:
        key = context.asset_key.path
        base = Path(self.base_dir).joinpath(*key)
        if context.has_asset_partitions:
            return base / f"{partition or context.asset_partition_key}{suffix}"
        return base.with_suffix(suffix)

    def _write(self, path_for: Any, obj: Any, name: str) -> Path:
        if isinstance(obj, pd.DataFrame):
            return write_parquet(path_for(".parquet"), obj, ARROW_SCHEMAS.get(name))
        if isinstance(obj, BaseModel):
            return write_json(path_for(".json"), obj.model_dump(mode="json"))
        if isinstance(obj, dict | list):
            return write_json(path_for(".json"), obj)
        raise TypeError(f"LocalFilesIOManager cannot store {type(obj).__name__} for {name}")

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        name = context.asset_key.path[-1]
        if context.has_asset_partitions and len(context.asset_partition_keys) > 1:
            # One run over several partitions (single-run backfill): the asset returns {partition: value}.
            if not isinstance(obj, dict) or set(obj) != set(context.asset_partition_keys):
                raise TypeError(f"{name}: a multi-partition run must return a dict keyed by partition")
            paths = [self._write(lambda sfx, k=k: self._path(context, sfx, k), v, name) for k, v in sorted(obj.items())]
            context.add_output_metadata({"paths": ", ".join(str(p) for p in paths)})
            return
        path = self._write(lambda sfx: self._path(context, sfx), obj, name)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> Any:
        if context.has_asset_partitions and len(context.asset_partition_keys) > 1:
            # Every stored partition, {partition: value}; absent partitions are skipped and logged.
            loaded = {}
            for key in sorted(context.asset_partition_keys):
                path = self._path(context, ".parquet", key)
                if path.exists():
                    loaded[key] = read_parquet(path)
                else:
                    context.log.warning(f"{context.asset_key.to_user_string()} partition {key} is not materialized; skipped")
            return loaded
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
