"""A Data Designer engine in this process, offline: the only place one is started.

Both the deterministic generation and the LLM passes open theirs with `open_designer`, so the
provider, the run settings, the artifact folder and the offline switches are written once. Engines
run in the scenario worker process (secassets.scenarios.worker), never in a Dagster process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("NEMO_TELEMETRY_ENABLED", "false")  # read when the engine is imported: never phone home

import data_designer.config as dd
from data_designer.interface import DataDesigner

from secassets.sampling.data_designer import LLM_PROVIDER

# Data Designer needs one provider even when no LLM column exists; with no endpoint configured
# nothing is ever sent to this address.
UNCONFIGURED_ENDPOINT = "http://127.0.0.1:9/v1"


def keep_offline() -> None:
    """Data Designer's profiler would download tiktoken's cl100k encoding; secassets runs offline.

    Its callers catch the error and skip token statistics, so nothing else changes.
    """
    from data_designer.engine.utils import token_counting

    def _offline() -> None:
        raise RuntimeError("token statistics skipped: secassets runs offline")

    token_counting.get_cl100k_base_tokenizer = _offline


@contextmanager
def open_designer(
    workdir: Path,
    num_records: int,
    *,
    artifact_prefix: str,
    endpoint: str = UNCONFIGURED_ENDPOINT,
    api_key_env: str | None = None,
) -> Iterator[DataDesigner]:
    """A Data Designer for one create() of num_records rows; its artifacts live in workdir only meanwhile.

    The provider's key is named by api_key_env (the variable's name, never the key itself).
    """
    artifacts = Path(tempfile.mkdtemp(prefix=artifact_prefix, dir=workdir))
    designer = DataDesigner(
        artifact_path=artifacts,
        model_providers=[
            dd.ModelProvider(name=LLM_PROVIDER, endpoint=endpoint, provider_type="openai", api_key=api_key_env)
        ],
        auto_configure_logging=False,
    )
    designer.set_run_config(dd.RunConfig(otel_metrics_port=None, buffer_size=max(1, num_records), display_tui=False))
    try:
        yield designer
    finally:
        shutil.rmtree(artifacts, ignore_errors=True)
