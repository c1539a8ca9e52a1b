"""Local files under data/: where every asset's output is stored, always written atomically.

The folder is deployment configuration (SECASSETS_DATA_DIR, or the data dir given to
build_resources), never run config: both resources are built with ``fixed_at`` and have an empty
config schema, so a launchpad config that names a ``base_dir`` is rejected before the run starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import BaseModel, PrivateAttr, ValidationError

from secassets.core.errors import SecassetsError
from secassets.core.schema import ARROW_SCHEMAS
from secassets.core.vocabulary import default_data_dir
from secassets.storage.files import CompanionFiles, CorruptOutputError, read_parquet, write_json, write_parquet
from secassets.storage.layout import inside, output_path

FIXED_FOLDER = "Output folder fixed by the deployment (SECASSETS_DATA_DIR, else <repo>/data); not run-configurable."


class LocalFiles(dg.ConfigurableResource):
    """The output folder that assets write side files into (reports, plots, caches).

    No config fields on purpose: build it with ``LocalFiles.fixed_at(base_dir)``.
    """

    _base_dir: Path = PrivateAttr(default_factory=default_data_dir)

    @classmethod
    def fixed_at(cls, base_dir: str | Path) -> dg.ResourceDefinition:
        """A resource definition whose folder no run config can change (its config schema is empty)."""
        files = cls()
        files._base_dir = Path(base_dir)
        return dg.ResourceDefinition(resource_fn=lambda _ctx: files, config_schema={}, description=f"{FIXED_FOLDER} {base_dir}")

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def path(self, *parts: str) -> Path:
        return inside(self._base_dir, *parts)


class LocalFilesIOManager(dg.IOManager):
    """DataFrames as parquet, Pydantic models and dicts as JSON, at data/<asset>[/<partition>]."""

    def __init__(self, base_dir: str | Path) -> None:
        self.base_dir = Path(base_dir)

    @classmethod
    def fixed_at(cls, base_dir: str | Path) -> dg.IOManagerDefinition:
        """An IO manager definition whose folder no run config can change (its config schema is empty)."""
        manager = cls(base_dir)
        return dg.IOManagerDefinition(resource_fn=lambda _ctx: manager, config_schema={}, description=f"{FIXED_FOLDER} {base_dir}")

    def _path(self, context: dg.OutputContext | dg.InputContext, suffix: str, partition: str | None = None) -> Path:
        """secassets.storage.layout.output_path: each partition key's parts checked, never another asset's file."""
        key = context.asset_key.path
        if context.has_asset_partitions:
            return output_path(self.base_dir, key, suffix, str(partition or context.asset_partition_key))
        return output_path(self.base_dir, key, suffix)

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
        """The stored value; a missing, damaged or misnamed input fails the step at once (a retry reads the same)."""
        try:
            return self._load(context)
        except (SecassetsError, FileNotFoundError) as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    def _load(self, context: dg.InputContext) -> Any:
        if context.has_asset_partitions and (len(context.asset_partition_keys) > 1 or not context.has_partition_key):
            # Every stored partition, {partition: value} (also when one partition exists: an unpartitioned consumer
            # of a partitioned asset always reads the dict); absent partitions are skipped and logged.
            loaded = {}
            for key in sorted(context.asset_partition_keys):
                try:
                    path = self._path(context, ".parquet", key)
                except SecassetsError as exc:  # a leftover bad key (added by hand): reported, never fatal
                    context.log.warning(f"{context.asset_key.to_user_string()} partition {key!r} skipped: {exc}")
                    continue
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
        if not (isinstance(typ, type) and issubclass(typ, BaseModel)):
            return data
        asset = context.asset_key.to_user_string()
        try:
            value = typ.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:5])
            raise CorruptOutputError(f"{path} is not a valid {typ.__name__} ({problems}); re-materialize {asset}") from None
        if isinstance(value, CompanionFiles):
            value.verify_companions(f"re-materialize {asset}")  # e.g. the sampler YAML written with this JSON
        return value
