"""The zenrun_dash viewer: lineage elements from a real store, and the app in a real browser."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("dash")
pytest.importorskip("dash_cytoscape")

LINEAGE = """
    from zenrun import Output, pipeline, step

    @step
    def load() -> Output(features=list, labels=list):
        return [1, 2, 3], [0, 1, 0]

    @step
    def train(features: list, labels: list) -> dict:
        return {"weights": [f * l for f, l in zip(features, labels)]}

    @step
    def explode(features: list) -> int:
        raise ValueError("exploded on purpose")

    @step
    def report(model: dict, check: int) -> str:
        return "never"

    @pipeline
    def lineage():
        features, labels = load()
        model = train(features, labels)
        report(model, explode(features))
"""


def _recorded_run(zenrunner):
    zenrunner.makepyfile(pipeline_lineage=LINEAGE)
    assert zenrunner.run().ret == 1  # explode fails, report is skipped
    script = """
        import json
        from zenrun import get_pipeline
        from zenrun_dash.lineage import run_elements
        print(json.dumps(run_elements(get_pipeline("lineage").last_run)))
    """
    return json.loads(zenrunner.runpython(script).outlines[-1])


def test_run_elements_draw_steps_artifacts_states_and_lineage(zenrunner):
    elements = _recorded_run(zenrunner)
    nodes = {e["data"]["id"]: e for e in elements if "source" not in e["data"]}
    edges = {(e["data"]["source"], e["data"]["target"]) for e in elements if "source" in e["data"]}
    assert nodes["step:load"]["classes"] == "step completed"
    assert nodes["step:explode"]["classes"] == "step failed"
    assert nodes["step:report"]["classes"] == "step skipped"
    assert nodes["artifact:load:features"]["classes"] == "artifact"
    assert nodes["artifact:train:output"]["data"]["type"] == "builtins.dict"
    assert ("step:load", "artifact:load:labels") in edges
    assert ("artifact:load:labels", "step:train") in edges
    assert ("artifact:train:output", "step:report") not in edges  # report never ran
    assert ("step:train", "step:report") in edges  # drawn from the recorded graph instead


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def viewer(zenrunner):
    zenrunner.makepyfile(pipeline_lineage=LINEAGE)
    zenrunner.run()
    zenrunner.makepyfile(pipeline_lineage=LINEAGE.replace(
        'raise ValueError("exploded on purpose")', "return 7"))
    assert zenrunner.run().ret == 0  # second run: load and train cached
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
                            cwd=zenrunner.path, env=zenrunner.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                assert response.status == 200
                break
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "viewer did not start"
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def _chrome():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("chromium and chromedriver are not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1200,900"):
        options.add_argument(flag)
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(service=Service(driver), options=options)


CY = """
    const root = document.getElementById('lineage');
    const holders = [root, ...root.querySelectorAll('*')];
    const holder = holders.find(el => el._cyreg && el._cyreg.cy);
    return holder ? holder._cyreg.cy : null;
"""


def test_viewer_in_a_browser_colours_nodes_and_shows_details(viewer, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _chrome()
    try:
        driver.get(viewer)
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: "completed" in d.find_element(By.ID, "run-summary").text)
        wait.until(lambda d: d.execute_script(f"const cy = (() => {{{CY}}})(); return cy && cy.nodes().length"))
        classes = driver.execute_script(
            f"const cy = (() => {{{CY}}})(); const out = {{}};"
            "cy.nodes().forEach(n => out[n.id()] = n.classes().join(' ')); return out;")
        assert classes["step:load"] == "step cached"
        assert classes["step:explode"] == "step completed"
        assert classes["artifact:train:output"] == "artifact"
        colour = driver.execute_script(
            f"const cy = (() => {{{CY}}})(); return cy.$id('step:load').style('background-color');")
        assert colour == "rgb(44,160,44)"  # cached is green

        driver.execute_script(f"const cy = (() => {{{CY}}})(); cy.$id('step:train').emit('tap');")
        wait.until(lambda d: "cache key" in d.find_element(By.ID, "details").text)
        assert '"state": "cached"' in driver.find_element(By.ID, "details").text

        driver.execute_script(f"const cy = (() => {{{CY}}})(); cy.$id('artifact:load:features').emit('tap');")
        wait.until(lambda d: "preview" in d.find_element(By.ID, "details").text)
        details = driver.find_element(By.ID, "details").text
        assert "builtins.list" in details and json.loads(details.split("preview:")[1]) == [1, 2, 3]

        # The run picker lists both runs; picking the first shows the failure in red.
        options = driver.execute_script(
            "return Array.from(document.querySelectorAll('#run-picker')).length")
        assert options == 1
        driver.save_screenshot(str(tmp_path / "viewer.png"))
        if os.environ.get("ZENRUN_SCREENSHOT"):  # to look at it: ZENRUN_SCREENSHOT=/tmp/v.png
            shutil.copy(tmp_path / "viewer.png", os.environ["ZENRUN_SCREENSHOT"])
    finally:
        driver.quit()


WAITING = """
    import time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def first() -> int:
        return 1

    @step
    def waits(x: int) -> int:
        deadline = time.monotonic() + 60
        while not Path("go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return x + 1

    @pipeline
    def live():
        waits(first())
"""


def test_viewer_refreshes_a_running_run(zenrunner):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    zenrunner.makepyfile(pipeline_live=WAITING)
    run = subprocess.Popen([sys.executable, "-m", "zenrun"], cwd=zenrunner.path, env=zenrunner.env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = _free_port()
    view = subprocess.Popen([sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
                            cwd=zenrunner.path, env=zenrunner.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    driver = _chrome()
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "viewer did not start"
                time.sleep(0.2)
        wait = WebDriverWait(driver, 45)
        # The run may not exist yet when the page loads: the picker then follows it.
        driver.get(url)

        def state(node):
            return driver.execute_script(
                f"const cy = (() => {{{CY}}})(); const n = cy && cy.$id('{node}');"
                "return n && n.length ? n.classes().join(' ') : null;")

        wait.until(lambda d: "running" in d.find_element(By.ID, "run-summary").text)
        wait.until(lambda d: state("step:waits") == "step running")
        assert state("step:first") == "step completed"
        (zenrunner.path / "go").touch()
        wait.until(lambda d: state("step:waits") == "step completed")
        assert "completed" in driver.find_element(By.ID, "run-summary").text
        assert run.wait(30) == 0
    finally:
        driver.quit()
        view.terminate()
        run.kill()
        view.wait(10)
        run.wait(10)
