"""The viewer's compare page charts a study: optimisation history, parameter importance,
parallel coordinates (real Optuna study, real viewer process, real Chromium)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("dash")
pytest.importorskip("optuna")

STUDY = """
import zenrun
from zenrun import pipeline, step

@step
def train(lr: float, depth: int) -> float:
    zenrun.log_metadata(accuracy=1 - (lr - 0.3) ** 2 - (depth - 4) ** 2 / 100)
    return lr

@zenrun.mark.search(
    {"lr": zenrun.search.float(0.0, 1.0), "depth": zenrun.search.int(1, 8)},
    trials=6, sampler="random", seed=2,
)
@pipeline
def tune(lr, depth):
    train(lr, depth)
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_compare_page_charts_the_study_of_a_searched_pipeline(zenrunner, tmp_path):
    name = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not name or not driver_path:
        pytest.skip("chromium and chromedriver are not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    zenrunner.makepyfile(pipeline_tune=STUDY)
    assert zenrunner.run().ret == 0
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
        cwd=zenrunner.path,
        env=zenrunner.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the viewer did not start"
                time.sleep(0.1)
        options = webdriver.ChromeOptions()
        options.binary_location = name
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.get(f"{url}compare?pipeline=tune")
        WebDriverWait(driver, 60, poll_frequency=0.1).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-study .js-plotly-plot")) >= 3
        )
        text = driver.find_element(By.ID, "compare-study").text
        assert "Study tune" in text
        for title in ("optimisation history", "parameter importance", "parallel coordinates"):
            assert f"tune: {title}" in text
        # The history plots one point per trial: the study's six accuracies.
        points = driver.execute_script(
            "const g = document.querySelector('#compare-study .js-plotly-plot');"
            "return g.data.filter(t => t.mode === 'markers').map(t => t.y.length);"
        )
        assert 6 in points
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(10)
