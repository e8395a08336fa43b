"""The dashboard in a real browser against a real `lsat up` (one worker and Streamlit, on the
embedded SQLite store and filesystem broker): launch a small comparison through the form with the
tiny model as backbone, watch the Run monitor show its first result without a reload, then replay
the stream it built and read the other pages. Screenshots of every page land in
test-artifacts/browser/ (ignored by git), with the log of `lsat up`.

Needs Debian's chromium (`apt-get install chromium chromium-driver`, as .ci/run does): Playwright's
own browser download cannot reach its servers from the project's machines.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from served_dashboard import wait_until_served

from lsat_core.engine.presets import preset_strategies

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIRST_RESULT_S = 150
"""From the click on Launch to the first AUC on the monitor: stream load, two tiny LoRAs, a test."""
FINISHED_S = 150

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lsat-up") / "data"


@pytest.fixture(scope="module")
def dashboard(data_dir: Path, ml1m_cache: Path) -> Iterator[str]:
    """The URL of `lsat up` on a fresh data folder whose cache links the test cache's stream."""
    (data_dir / "cache").mkdir(parents=True)
    for name in ("wheels", "streams", "datasets"):
        if (ml1m_cache / name).exists():
            (data_dir / "cache" / name).symlink_to(ml1m_cache / name)
    env = {k: v for k, v in os.environ.items() if k not in ("LSAT_DATABASE_URL", "LSAT_BROKER_URL")}
    # One thread per process on 2 cores; no usage statistics sent from the page (no network).
    env |= {
        "LSAT_DATA_DIR": str(data_dir),
        "OMP_NUM_THREADS": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "lsat-up.log", "w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("lsat")), "up", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its worker and Streamlit share its process group
            preexec_fn=listen_to_ctrl_c,
        )
        try:
            wait_until_served(
                f"http://127.0.0.1:{port}", process, name="lsat up", log=ARTIFACTS / "lsat-up.log"
            )
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def listen_to_ctrl_c() -> None:
    """SIGINT as in a terminal: a test runner started in the background may ignore it, and a
    Python child would then keep ignoring it (no KeyboardInterrupt for `lsat up` to stop on)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as a person stops `lsat up`; its whole group is killed if that takes too long."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    # Pages update through reruns on a 2-core machine that the worker keeps busy: Playwright's
    # 5 s default for a page to show something was once too short.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Tall: Streamlit scrolls its main block inside the window, so a screenshot shows the window.
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.set_default_timeout(30_000)
    yield page
    page.screenshot(path=ARTIFACTS / "last-page.png")  # where the test ended, passed or not
    page.close()


def screenshot(page: Page, name: str) -> None:
    page.wait_for_timeout(1000)  # let the charts finish drawing
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(has_text=label)


def open_page(page: Page, link: str, header: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=header)).to_be_visible()


def fill_launch_form(page: Page, backbone: Path) -> None:
    """Two of the quick preset's strategies (full retraining and LSAT-EN), smallest budgets."""
    for strategy in preset_strategies("quick"):
        if strategy not in ("full_retrain", "lsat_en"):
            page.get_by_role("button", name=f"Remove {strategy}").first.click()
    page.get_by_role("textbox", name="Backbone").fill(str(backbone))
    page.get_by_role("textbox", name="Backbone").press("Enter")
    for part in ("Train", "Validation", "Test"):
        field = page.get_by_role("spinbutton", name=f"{part} samples per period")
        field.fill("8")
        field.press("Enter")
    page.get_by_role("textbox", name="Name").fill("browser test")
    page.get_by_role("textbox", name="Name").press("Enter")


def test_launch_a_comparison_and_follow_it_through_every_page(
    dashboard: str, page: Page, tiny_model_dir: Path, data_dir: Path
) -> None:
    # A backbone typed in the dashboard must lie inside the data folder.
    backbone = shutil.copytree(tiny_model_dir, data_dir / "models" / "tiny")
    page.goto(dashboard)
    expect(page.get_by_role("heading", name="Stream replay")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("No stream in the store yet")).to_be_visible()

    open_page(page, "Launch", "Launch a comparison")
    fill_launch_form(page, backbone)
    # The quick preset updates at t = 2 with m = 1. Models: full@2 (train_1, train_2 and val_1:
    # 24 samples), LSAT's long-term LoRA full@1 (8) and the short-term LoRA short@2 (8).
    expect(metric(page, "LoRA adapters to train")).to_have_text(re.compile(r"train\s*3$"))
    expect(metric(page, "Samples to train on")).to_have_text(re.compile(r"on\s*40$"))
    screenshot(page, "1-launch")
    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_text("Experiment #1 is queued.")).to_be_visible()

    page.get_by_role("link", name="Follow experiment #1 on the Run monitor").click()
    expect(page.get_by_role("heading", name="Run monitor")).to_be_visible()
    assert "experiment=1" in page.url
    # The worker needs seconds to load the stream and train before any result (the page takes
    # one): the panel shows none yet, and then fills in by itself, with no reload from here on.
    expect(page.get_by_text("No result yet.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Events of")).to_have_value("all runs")
    screenshot(page, "2-monitor-queued")
    page.evaluate("window.notReloaded = true")
    auc_chart = page.get_by_test_id("stVegaLiteChart")
    expect(auc_chart.first).to_be_visible(timeout=FIRST_RESULT_S * 1000)
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "3-monitor-first-result")
    # Counted, not read: a locator that matches two panels for a moment would fail at once.
    finished = metric(page, "Status").filter(has_text="succeeded")
    expect(finished).to_have_count(1, timeout=FINISHED_S * 1000)
    expect(metric(page, "Status")).to_have_count(1)
    expect(page.get_by_role("button", name="Cancel experiment")).to_have_count(0)
    screenshot(page, "4-monitor-finished")

    open_page(page, "Stream replay", "Stream replay")
    slider = page.get_by_role("slider")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    expect(page.get_by_text("D_5: ")).to_be_visible()
    assert "period=5" in page.url
    screenshot(page, "5-replay-period-5")

    open_page(page, "Compare", "Compare strategies")
    expect(page.get_by_role("heading", name="Accuracy against cost")).to_be_visible()
    screenshot(page, "6-compare")

    open_page(page, "Cold and warm items", "Cold and warm items")
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    screenshot(page, "7-cold-warm")
