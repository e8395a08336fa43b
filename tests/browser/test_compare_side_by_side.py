"""The Compare page in a real browser: Streamlit alone (no worker) on a planted store of two
experiments with seeds and kept predictions (tests/support/planted_comparison.py). Screenshots
land in test-artifacts/browser/ (ignored by git).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from planted_comparison import PlantedComparison, plant_comparison
from playwright.sync_api import Page, expect, sync_playwright
from served_dashboard import wait_until_served

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> PlantedComparison:
    return plant_comparison(f"sqlite:///{tmp_path_factory.mktemp('compare') / 'lsat.db'}")


@pytest.fixture(scope="module")
def dashboard(planted: PlantedComparison, tmp_path_factory: pytest.TempPathFactory):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "LSAT_DATABASE_URL": planted.url,
        "LSAT_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app" / "main.py")]
    command += ["--server.headless", "true", "--server.port", str(port)]
    with open(ARTIFACTS / "compare-streamlit.log", "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_served(f"http://127.0.0.1:{port}", process, name="streamlit", log=ARTIFACTS)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 4200})
        yield page
        page.screenshot(path=ARTIFACTS / "compare-last-page.png")
        browser.close()


def test_two_experiments_side_by_side_with_seeds_pairs_and_floors(
    dashboard: str, page: Page, planted: PlantedComparison
) -> None:
    strong, other = planted.run_ids["strong/0"], planted.run_ids["other/0"]
    ids = f"{planted.seeds_experiment},{planted.elsewhere_experiment}"
    page.goto(f"{dashboard}/compare?experiments={ids}")
    expect(page.get_by_role("heading", name="Compare strategies")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Mean AUC over D_3, D_4 (2 cells every run")).to_be_visible()
    expect(page.get_by_role("heading", name="Over seeds")).to_be_visible()
    expect(page.get_by_text("Variants paired seed with seed")).to_be_visible()
    expect(page.get_by_text("over 2 cells:")).to_be_visible()  # the default pair shares samples
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    page.wait_for_timeout(1500)  # let the charts draw
    page.screenshot(path=ARTIFACTS / "compare-side-by-side.png", full_page=True)

    page.goto(f"{dashboard}/compare?experiments={ids}&run_a={strong}&run_b={other}")
    expect(
        page.get_by_text("strong · seed 0 and other were not scored on the same test samples")
    ).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=ARTIFACTS / "compare-no-shared-samples.png", full_page=True)
