"""The Dagster UI in headless Chromium, used as a person would: see the asset graph, find the nightly
schedule, materialize sampler_config from its page and read its check result.

Chromium is Debian's (installed by `make test`), driven by Playwright with no browser download;
network features are off so nothing but the loopback webserver is contacted. Screenshots land in
test-output/ui/ (SECASSETS_TEST_OUTPUT overrides the folder).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from secassets_tests.webserver import EXPECTED_ASSETS, ROOT, graphql

pytestmark = pytest.mark.ui

CHROMIUM = Path(os.environ.get("SECASSETS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
GROUPS = {
    "scenarios": {"sampler_config", "scenarios", "scenario_embeddings"},
    "coverage": {"coverage_report", "enrichment_edge_cases"},
    "evaluation": {"curated_cases", "prompt_evaluations", "template_leaderboard"},
    "multimodal": {"multimodal_ground_truth", "local_pipeline_results", "multimodal_comparison"},
}
VIEWPORT = {"width": 1800, "height": 1400}


@pytest.fixture(scope="module")
def output_dir() -> Path:
    path = Path(os.environ.get("SECASSETS_TEST_OUTPUT", ROOT / "test-output")) / "ui"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install chromium) "
                    "when run as root; otherwise install it, or point SECASSETS_CHROMIUM at a Chromium binary")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:  # launch() gives every run a fresh, empty profile
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, webserver):
    # Dagster's one-time "Join the community" dialog pops up over any page and closes open menus when it is
    # skipped: tell the instance and the page it was seen, and still skip it should it appear.
    graphql(webserver.url, "mutation { setNuxSeen }")
    context = browser.new_context(viewport=VIEWPORT, base_url=webserver.url)
    context.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
    yield page
    context.close()


def _open(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")


def _tooltips(page) -> set[str]:
    return set(page.locator("[data-tooltip]").evaluate_all("els => els.map(e => e.getAttribute('data-tooltip'))"))


def _wait_for_run(webserver, seconds: float) -> str:
    """Status of the one run once it is finished (the queued run goes through the daemon)."""
    deadline = time.monotonic() + seconds
    while True:
        body = graphql(webserver.url, "{ runsOrError { ... on Runs { results { status } } } }")
        statuses = [r["status"] for r in body["data"]["runsOrError"]["results"]]
        if statuses and statuses[0] in {"SUCCESS", "FAILURE", "CANCELED"}:
            return statuses[0]
        if time.monotonic() > deadline:
            pytest.fail(f"run statuses {statuses} after {seconds} s; dagster dev log tail:\n{webserver.log_tail()}")
        time.sleep(2)


def _expand_all_groups(page, attempts: int = 4) -> None:
    """Right-click the graph and pick "Expand all groups"; a re-render that detaches the menu is retried."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        page.locator('[data-tooltip="scenarios"]').first.hover()  # an action, so a pending dialog is skipped first
        page.mouse.click(VIEWPORT["width"] // 2, 150, button="right")
        try:
            page.get_by_role("menuitem", name="Expand all groups").click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")


def test_asset_graph_shows_every_asset(page, output_dir):
    _open(page, "/asset-groups")
    _expand_all_groups(page)
    for _ in range(3):  # zoom out until the four groups and their assets are in view
        page.locator('button:has([aria-label="zoom_out"])').click()
    page.wait_for_timeout(1500)
    assert set(GROUPS) <= _tooltips(page)
    nodes = page.locator("[class*=AssetNode_assetName]")
    assert nodes.count() == len(EXPECTED_ASSETS), nodes.all_inner_texts()
    shot = output_dir / "asset_graph.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    seen: set[str] = set()
    for group, assets in GROUPS.items():  # each group's lineage is zoomed in enough to show full names
        _open(page, f"/locations/secassets/asset-groups/{group}/lineage")
        for asset in assets:
            page.locator(f'[data-tooltip="{asset}"]').first.wait_for()
        seen |= _tooltips(page) & EXPECTED_ASSETS
        page.screenshot(path=str(output_dir / f"asset_group_{group}.png"))
    assert seen == EXPECTED_ASSETS


def test_nightly_schedule_is_listed(page):
    """The schedule row renders its name first and its next tick a moment later: wait for each."""
    _open(page, "/automation")
    page.get_by_text("nightly_prompt_evaluation_schedule", exact=True).wait_for()
    page.get_by_text(re.compile(r"02:00")).first.wait_for()
    page.get_by_text("alert_on_failures", exact=True).wait_for()


def test_materialize_sampler_config_from_the_ui_and_read_its_check(page, webserver, output_dir):
    _open(page, "/assets/sampler_config")
    page.locator("button", has_text=re.compile(r"^Materialize$")).click()
    page.get_by_text(re.compile(r"^Launched run")).wait_for()
    status = _wait_for_run(webserver, 300)
    assert status == "SUCCESS", f"the run ended {status}; dagster dev log tail:\n{webserver.log_tail()}"
    _open(page, "/assets/sampler_config?view=checks")
    page.get_by_text("Passed", exact=True).first.wait_for()
    page.get_by_text("sampler_config_marginals").first.wait_for()
    page.screenshot(path=str(output_dir / "sampler_config_checks.png"))

    runs = graphql(webserver.url, "{ runsOrError { ... on Runs { results { status assetSelection { path } } } } }")
    [run] = runs["data"]["runsOrError"]["results"]
    assert run["status"] == "SUCCESS" and run["assetSelection"] == [{"path": ["sampler_config"]}]
    assert (webserver.data_dir / "sampler_config" / "data_designer_config.yaml").is_file()
    _open(page, "/assets/sampler_config")
    page.get_by_text("Latest materialization").wait_for()
    page.get_by_text("data_designer_config.yaml").first.wait_for()
