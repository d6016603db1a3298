"""The zenrun_dash viewer: lineage elements from a real store, and the app in a real browser.

One generated store, one ``zenrun --view`` server and one headless Chromium
are shared by the module (browser tests are slow); every test opens the page
it needs by URL (``?run=NAME``).
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from zenrun.testing import ZenrunProject

pytest.importorskip("dash")
pytest.importorskip("dash_cytoscape")

REPO = Path(__file__).resolve().parent.parent

LINEAGE = """
    import zenrun
    from zenrun import Output, pipeline, step

    @step
    def load() -> Output(features=list, labels=list):
        return [1, 2, 3], [0, 1, 0]

    @step
    def train(features: list, labels: list) -> dict:
        print("training on", len(features), "rows")
        zenrun.log_metadata(rows=len(features))
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

FAN = """
    import os
    import zenrun
    from zenrun import pipeline, step

    FAIL = os.environ.get("FAN_FAIL")

    @step
    def source() -> int:
        return 0

    @step
    def work(x: int, i: int) -> int:
        return x + i

    @step
    def boom(x: int, i: int) -> int:
        raise ValueError(f"work {i} exploded")

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def fan():
        value = source()
        for i in range(40):
            (boom if FAIL and i == int(FAIL) else work)(value, i, id=f"work_{i}")
        total(zenrun.gather(prefix="work_"))
"""

ARRAYS = """
    import numpy as np
    from zenrun import Output, pipeline, step

    @step
    def make() -> Output(matrix=np.ndarray, numbers=list):
        return np.arange(200_000, dtype=np.float64).reshape(2000, 100), list(range(300_000))

    @pipeline
    def arrays():
        make()
"""

FOREST = """
    import zenrun
    from zenrun import StepConfig, pipeline, step

    class TrainConfig(StepConfig):
        model: str = "forest"
        max_depth: int = 4
        C: float = 1.0
        n_estimators: int = 100

    @zenrun.fixture(params=["forest", "svm"])
    def model(request):
        return request.param

    @zenrun.fixture(params=[1, 2, 3])
    def setting(request):
        return request.param

    @zenrun.fixture
    def config(model, setting):
        if model == "forest":
            return {"model": model, "max_depth": 2 * setting}
        return {"model": model, "C": 0.1 * setting}

    @step
    def train(config: TrainConfig) -> float:
        if config.model == "forest":
            accuracy = 0.8 + 0.02 * config.max_depth + 0.00001234
        else:
            accuracy = 0.85 + config.C / 10
        zenrun.log_metadata(accuracy=accuracy, fit_seconds=1.0 / (1 + config.max_depth + config.C))
        return accuracy

    @pipeline
    def forest(config):
        train(config=config)
"""

LIVE = """
    import time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def first() -> int:
        return 1

    @step
    def waits(x: int) -> int:
        # The test says go; the bound only ends a run the test left (generous: on a busy
        # machine the browser's checks before go take long).
        deadline = time.monotonic() + 600
        while not Path("go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return x + 1

    @pipeline
    def live():
        waits(first())
"""


def _runs(project):
    """(name, pipeline, status, item id) of every run, oldest first."""
    db = sqlite3.connect(project.store / "metadata.db")
    try:
        return db.execute("SELECT name, pipeline, status, item_id FROM runs ORDER BY id").fetchall()
    finally:
        db.close()


def _run(project, pipeline, status=None):
    """The newest run of ``pipeline`` (with ``status``) in the module's store."""
    return [name for name, p, s, _ in project.runs if p == pipeline and status in (None, s)][-1]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """forest (a grid, then an override), lineage (failed, then completed), fan (completed,
    then work_7 failed), hpo and digits."""
    project = ZenrunProject(tmp_path_factory.mktemp("viewer"))
    project.makepyfile(
        pipeline_lineage=LINEAGE, pipeline_fan=FAN, pipeline_arrays=ARRAYS, pipeline_forest=FOREST
    )
    # A grid whose hyperparameters only exist in a fixture-built config; then a one-off override.
    assert project.run("pipeline_forest.py", "-q").ret == 0
    assert (
        project.run("pipeline_forest.py", "-q", "-k", "svm and 1", "--set", "train.n_estimators=10").ret == 0
    )
    assert project.run("pipeline_arrays.py", "-q").ret == 0
    assert project.run("pipeline_lineage.py", "-q").ret == 1
    project.makepyfile(
        pipeline_lineage=LINEAGE.replace('raise ValueError("exploded on purpose")', "return 7")
    )
    assert project.run("pipeline_lineage.py", "-q").ret == 0  # load and train cached
    assert project.run("pipeline_fan.py", "-q").ret == 0
    assert project.run("pipeline_fan.py", "-q", env={"FAN_FAIL": "7"}).ret == 1
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        pytest.importorskip("sklearn")
        for name in ("pipeline_hpo.py", "pipeline_digits.py", "conftest.py"):
            shutil.copy(REPO / ("pipelines" if name != "conftest.py" else "") / name, project.path / name)
        assert project.run("pipeline_hpo.py", "pipeline_digits.py", "-q").ret == 0
    project.runs = _runs(project)
    project.maketoml('objective = "accuracy"')  # the viewer's compare page defaults to it
    return project


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _view(project, port):
    """A ``zenrun --view`` server on ``project``'s store (stop it in a ``finally``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
        cwd=project.path,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                assert response.status == 200
                return
        except OSError:
            assert proc.poll() is None, "viewer exited"
            assert time.monotonic() < deadline, "viewer did not start"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def server(project, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("viewer-log") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
            cwd=project.path,
            env=project.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
    # Request logs are off without -v: the output names the address, and no request.
    text = log.read_text()
    assert "zenrun viewer on" in text and "GET /" not in text and "POST /" not in text, text


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    name = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not name or not driver_path:
        pytest.skip("chromium and chromedriver are not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = name
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1300,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.downloads = tmp_path_factory.mktemp("downloads")
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(driver.downloads)}
        )
        yield driver
    finally:
        driver.quit()


def _wait(driver, predicate, timeout=120):  # generous: only a failure waits this long
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: predicate())


def _js(driver, body, *args):
    return driver.execute_script("const cy = window.cy; const viewer = window.zenrunViewer;" + body, *args)


def _open(driver, url):
    """Load ``url`` and wait until its graph is laid out."""
    driver.get(url)
    _wait(driver, lambda: _js(driver, "return !!(cy && viewer && viewer.laidOut && cy.nodes().length);"))
    return _js(driver, "return viewer.laidOut;")


def _relaid(driver, before):
    _wait(driver, lambda: _js(driver, "return viewer.laidOut;") not in (None, before))


def _retype(field, text):
    """Replace an input's text the way a user does (``clear()`` bypasses React's events)."""
    from selenium.webdriver.common.keys import Keys

    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    if text:
        field.send_keys(text)


def _classes(driver):
    return _js(
        driver, "const out = {}; cy.nodes().forEach(n => out[n.id()] = n.classes().join(' '));return out;"
    )


# -- the elements, without a browser ----------------------------------------------


def test_run_elements_draw_steps_artifacts_groups_and_lineage(project):
    script = """
        import json
        from zenrun import get_pipeline
        from zenrun_dash.lineage import build_model, model_elements, run_elements
        from zenrun_dash.layout import layered_positions
        lineage = run_elements(get_pipeline("lineage").runs[0])
        fan = run_elements(get_pipeline("fan").last_run, expanded=[])
        expanded = run_elements(get_pipeline("fan").last_run)
        # a big group (over ``crowd`` members): its steps without their outputs
        crowded = model_elements(build_model(get_pipeline("fan").last_run), ["group:work"], crowd=10)
        print(json.dumps([lineage, fan, layered_positions(expanded), expanded, crowded]))
    """
    lineage, fan, positions, expanded, crowded = json.loads(project.runpython(script).outlines[-1])
    nodes = {e["data"]["id"]: e for e in lineage if "source" not in e["data"]}
    edges = {(e["data"]["source"], e["data"]["target"]) for e in lineage if "source" in e["data"]}
    assert nodes["step:load"]["classes"] == "step completed"
    assert nodes["step:explode"]["classes"] == "step failed"
    assert nodes["step:report"]["classes"] == "step skipped"
    # Artifacts are named by output; single outputs ("output") by their producer too.
    assert nodes["artifact:load:features"]["data"]["label"] == "features"
    assert nodes["artifact:train:output"]["data"]["label"] == "train.output"
    assert nodes["artifact:train:output"]["data"]["type"] == "builtins.dict"
    assert ("step:load", "artifact:load:labels") in edges
    assert ("artifact:load:labels", "step:train") in edges
    # report was skipped: it read nothing; it runs after train and explode (order edges
    # from the steps, not from every output they made).
    assert ("artifact:train:output", "step:report") not in edges
    order = {e["data"]["id"] for e in lineage if e.get("classes") == "order"}
    assert order == {"step:train->step:report", "step:explode->step:report"}
    assert {s for s, t in edges if t == "step:report"} == {"step:train", "step:explode"}

    # 40 steps work_0 … work_39 are one group node with per-state counts.
    group = next(e for e in fan if e["data"]["id"] == "group:work")
    assert group["classes"] == "group failed"
    assert "work ×40" in group["data"]["label"] and "1 failed, 39 cached" in group["data"]["label"]
    assert group["data"]["failed"] == "work_7"
    assert not any(e["data"]["id"].startswith("step:work_") for e in fan)
    outputs = next(e for e in fan if e["data"]["id"] == "artifact:group:work:output")
    assert outputs["data"]["label"] == "work.output ×39"  # the failed member has none
    # Expanded, the server-side layered layout puts every edge left to right.
    assert "step:work_7" in positions
    backward = [
        e["data"]["id"]
        for e in expanded
        if "source" in e["data"]
        and positions[e["data"]["source"]]["x"] >= positions[e["data"]["target"]]["x"]
    ]
    assert backward == []
    # A big expanded group: every member drawn, none of their outputs; what they read and
    # what reads them is linked once to the group's box; the rest unchanged.
    ids = {e["data"]["id"]: e for e in crowded}
    assert {i for i in ids if i.startswith("step:work_") and "->" not in i} == {
        f"step:work_{i}" for i in range(40)
    }
    assert not any(i.startswith("artifact:work_") for i in ids)
    assert "artifact:source:output" in ids and "artifact:step:source:output" not in ids
    into_total = {e["data"]["source"] for e in crowded if e["data"].get("target") == "step:total"}
    assert into_total == {"box:group:work"}  # (total, skipped, runs after each member)
    assert ids["box:group:work->step:total"]["classes"] == "order"
    members = {"step:work_" + str(i) for i in range(40)}
    touching = {
        e["data"]["id"] for e in crowded if {e["data"].get("source"), e["data"].get("target")} & members
    }
    assert touching == set()
    assert ids["artifact:source:output->box:group:work"]["classes"] == "data"
    assert "step:source->artifact:source:output" in ids
    assert "outputs: in each step's details" in ids["box:group:work"]["data"]["label"]


def test_store_pages_runs_newest_first_and_searches(project):
    script = """
        import json
        from zenrun.config import api_config
        from zenrun_dash.source import RunSource, option_label
        source = RunSource(api_config())
        newest = source.page(limit=2)
        iris = source.page("iris")
        older = source.page(offset=1, limit=1)

        class ProtocolOnly:  # a store plugin with only the MetadataStore protocol's reads
            def __init__(self, store):
                self.get_runs, self.get_run = store.get_runs, store.get_run

        from zenrun.protocols import MetadataStore, fill_defaults

        class Config:  # as zenrun makes a plugin's store: the protocol's defaults filled in
            metadata_store = ProtocolOnly(api_config().metadata_store)
            fill_defaults(metadata_store, MetadataStore)

        plain = RunSource(Config())
        same = [r["name"] for r in plain.page(limit=2)] == [r["name"] for r in newest]
        same = same and [option_label(r) for r in plain.page("iris")] == [option_label(r) for r in iris]
        same = same and plain.pipeline_names() == source.pipeline_names()
        print(json.dumps([newest, [option_label(r) for r in iris], older, same]))
    """
    newest, iris, older, same = json.loads(project.runpython(script).outlines[-1])
    assert same  # a store without find_runs/pipeline_names gives the same pages
    runs = [name for name, _, _, _ in project.runs]
    assert [r["name"] for r in newest] == runs[::-1][:2]
    assert older[0]["name"] == runs[-2]
    assert len(iris) == 1 and iris[0].startswith("hpo[iris]  ✓ completed  20")


def test_previews_read_only_what_they_show(project):
    script = """
        from zenrun import get_pipeline
        from zenrun.config import api_config
        from zenrun_dash import preview
        preview.MAX_LOAD_BYTES = 100_000  # both artifacts are bigger
        step = get_pipeline("arrays").last_run.steps["make"]
        previewer = preview.Previewer(api_config())
        print(previewer.preview(step.outputs["matrix"]))
        print("---")
        print(previewer.preview(step.outputs["numbers"]))
        print("---")
        print(previewer.location(step.outputs["matrix"]))
        previewer.close()
    """
    matrix, numbers, location = project.runpython(script).stdout.split("---\n")
    # Memory mapped: the head is read, not the 1.6 MB.
    assert matrix.startswith("shape=(2000, 100) dtype=float64, first 5 of 2000 rows\nmemmap([[")
    assert numbers.startswith("<not loaded: ") and "preview limit" in numbers
    assert Path(location.strip()).is_file()


def test_previews_describe_frames_images_and_scalars():
    from zenrun_dash.preview import describe

    pandas = pytest.importorskip("pandas")
    image = pytest.importorskip("PIL.Image")
    frame = describe(pandas.DataFrame({"a": range(100), "b": ["x"] * 100}))
    assert frame.startswith("DataFrame shape=(100, 2)") and "99" not in frame  # the head only
    assert describe(image.new("RGB", (4, 3))) == "image 4×3 mode=RGB"
    assert describe(0.5) == "0.5" and describe({"k": [1]}) == '{\n  "k": [\n    1\n  ]\n}'
    assert describe("x" * 5000).endswith(" …") and len(describe("x" * 5000)) < 2100


# -- safety ---------------------------------------------------------------------


def test_host_header_other_than_the_served_address_is_refused(server):
    port = server.rsplit(":", 1)[1].strip("/")

    def status(host):
        request = urllib.request.Request(server, headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status(f"127.0.0.1:{port}") == 200
    assert status(f"localhost:{port}") == 200
    assert status(f"attacker.example:{port}") == 403  # DNS rebinding
    assert status("127.0.0.1:1") == 403


def test_every_response_is_gzipped(server, project):
    import gzip
    import re

    def get(path, packed, data=None):
        request = urllib.request.Request(
            server.rstrip("/") + path,
            data=json.dumps(data).encode() if data is not None else None,
            headers={
                "Accept-Encoding": "gzip" if packed else "identity",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read(), response.headers

    page, _ = get("/", False)
    scripts = re.findall(r'src="(/[^"]+)"', page.decode())
    assert any("dash_cytoscape" in s for s in scripts) and any("zenrun_viewer.js" in s for s in scripts)
    callback = {  # the compare page picks its pipeline
        "output": "..compare-pipeline.options...compare-pipeline.value..",
        "outputs": [
            {"id": "compare-pipeline", "property": "options"},
            {"id": "compare-pipeline", "property": "value"},
        ],
        "inputs": [{"id": "url", "property": "pathname", "value": "/compare"}],
        "changedPropIds": ["url.pathname"],
        "state": [{"id": "url", "property": "search", "value": "?pipeline=forest"}],
    }
    sizes = {}
    for path, data in [
        ("/", None),
        (f"/?run={_run(project, 'fan')}", None),
        ("/compare", None),
        ("/_dash-layout", None),
        ("/_dash-dependencies", None),
        ("/_dash-update-component", callback),
        *((script, None) for script in scripts),
    ]:
        plain, plain_headers = get(path, False, data)
        packed, headers = get(path, True, data)
        assert "Content-Encoding" not in plain_headers, path  # only for clients that ask
        if len(plain) < 500:
            continue  # too small to gain
        assert headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in headers["Vary"], path
        assert int(headers["Content-Length"]) == len(packed) < len(plain), path
        if path.startswith(("/?", "/compare")) or path == "/":  # a page: its nonces differ
            assert gzip.decompress(packed).startswith(b"<!DOCTYPE html>"), path
        else:
            assert gzip.decompress(packed) == plain, path
        sizes[path] = (len(plain), len(packed))
    answer = json.loads(get("/_dash-update-component", False, callback)[0])
    assert answer["response"]["compare-pipeline"]["value"] == "forest"
    total = sum(p for p, _ in sizes.values()), sum(g for _, g in sizes.values())
    assert total[1] * 3 < total[0], total  # scripts and JSON compress at least threefold


def test_view_port_out_of_range_is_a_usage_error_and_all_interfaces_warn(project, tmp_path):
    result = project.run("--view", "--view-port", "70000")
    assert result.ret == 4
    assert "--view-port 70000 is out of range" in result.stderr + result.stdout

    log = tmp_path / "viewer.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--view", "--view-host", "0.0.0.0", "--view-port", "0"],
            cwd=project.path,
            env=project.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts zenrun slowly
        while "zenrun viewer on" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)
    assert "has no authentication" in log.read_text()


@pytest.mark.parametrize("damage", ["garbage", "folder"])
def test_a_damaged_store_stops_view_before_it_serves(zenrunner, damage):
    # The viewer started serving on a metadata.db that is not a database (or a folder), which
    # every other command (--view-build too) refuses with exit code 4 naming the file.
    zenrunner.makepyfile(
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def make() -> int:
            return 1

        @pipeline
        def one():
            make()
        """
    )
    assert zenrunner.run("-q").ret == 0
    db = zenrunner.store / "metadata.db"
    db.unlink()
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db.mkdir()
    result = zenrunner.run("--view", "--view-port", "0", timeout=120)
    assert result.ret == 4, result.stdout + result.stderr
    assert "zenrun viewer on" not in result.stdout
    assert f"{db} is " in result.stderr


# -- in the browser -------------------------------------------------------------------


THROUGH = """
    const hits = [], nodes = cy.nodes().filter(n => !n.isParent() && !n.hasClass('bend'));
    function crosses(p, q, b) {  // Liang-Barsky: does segment p-q enter box b (less 2 px)?
      let t0 = 0, t1 = 1;
      const dx = q.x - p.x, dy = q.y - p.y;
      for (const [d, r] of [[-dx, p.x - b.x1 - 2], [dx, b.x2 - 2 - p.x], [-dy, p.y - b.y1 - 2], [dy, b.y2 - 2 - p.y]]) {
        if (d === 0) { if (r < 0) return false; continue; }
        const t = r / d;
        if (d < 0) { if (t > t1) return false; t0 = Math.max(t0, t); } else { if (t < t0) return false; t1 = Math.min(t1, t); }
      }
      return t0 <= t1;
    }
    cy.edges().forEach(e => nodes.forEach(n => {
      if (!n.same(e.source()) && !n.same(e.target())
          && crosses(e.sourceEndpoint(), e.targetEndpoint(), n.boundingBox({includeLabels: false})))
        hits.push(e.id() + ' through ' + n.id());
    }));
    return hits;
"""


def test_layout_points_every_edge_forward_without_overlapping_labels(server, browser, project):
    names = [
        _run(project, "lineage", "failed"),
        _run(project, "fan", "failed"),
        *[name for name, pipeline, _, _ in project.runs if pipeline in ("hpo", "pipeline_digits")],
    ]
    for name in names:
        _open(browser, f"{server}?run={name}")
        edges, backward = _js(
            browser,
            """
            const back = cy.edges().filter(e => e.source().position('x') >= e.target().position('x'));
            return [cy.edges().length, back.map(e => e.id())];""",
        )
        assert edges > 3 and backward == [], name
        overlaps = _js(
            browser,
            """
            const boxes = cy.nodes().filter(n => !n.hasClass('group-box')).map(n => [n.id(), n.boundingBox({includeLabels: true})]);
            const hits = [];
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
              const [a, p] = boxes[i], [b, q] = boxes[j];
              if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) hits.push(a + ' / ' + b);
            }
            return hits;""",
        )
        assert overlaps == [], name
        through = _js(browser, THROUGH)  # long edges bend around the nodes in between
        assert through == [], name
        if os.environ.get("ZENRUN_SCREENSHOTS"):  # to look at them: ZENRUN_SCREENSHOTS=screenshots
            browser.save_screenshot(str(Path(os.environ["ZENRUN_SCREENSHOTS"]) / f"{name}.png"))


POSITIONS = (
    "const out = {}; cy.nodes().filter(n => !n.hasClass('group-box') && !n.hasClass('bend'))"
    ".forEach(n => { const p = n.position(); out[n.id()] = [Math.round(p.x), Math.round(p.y)]; });"
    "return out;"
)


def test_failed_run_centres_its_failure_and_groups_expand_and_collapse(server, browser, project):
    laid = _open(browser, f"{server}?run={_run(project, 'fan', 'failed')}")
    classes = _classes(browser)
    assert classes["group:work"] == "group failed" and "step:work_7" not in classes
    assert _js(browser, "return cy.$(':selected').map(n => n.id());") == ["group:work"]

    before = _js(browser, POSITIONS)
    _js(browser, "cy.$id('group:work').emit('tap');")  # expand: the failure is centred
    _relaid(browser, laid)
    laid = _js(browser, "return viewer.laidOut;")
    # Laid out in place: the members around the group's place, nothing else moved.
    after = _js(browser, POSITIONS)
    kept = set(before) & set(after)
    assert {"step:source", "step:total"} <= kept
    assert all(before[n] == after[n] for n in kept), {n: (before[n], after[n]) for n in kept}
    members = _js(browser, "return cy.nodes('.step[box = \"box:group:work\"]').map(n => n.position());")
    assert len(members) == 40 and len({(m["x"], m["y"]) for m in members}) == 40  # none on another
    # The group's box is drawn around all its members (and its members' outputs), under them.
    outside = _js(
        browser,
        """const b = cy.$id('box:group:work').boundingBox({includeLabels: false});
        return cy.nodes('[box = "box:group:work"]').filter(n => {
          const p = n.position(); return p.x < b.x1 || p.x > b.x2 || p.y < b.y1 || p.y > b.y2;
        }).map(n => n.id());""",
    )
    assert outside == []
    assert (
        _js(browser, "return cy.nodes('[box = \"box:group:work\"]').length;") == 40 + 39
    )  # steps, outputs (none of the failed one)
    assert _classes(browser)["step:work_7"].split() == ["step", "failed"]
    assert _js(browser, "return cy.$(':selected').map(n => n.id());") == ["step:work_7"]
    position = _js(
        browser,
        """const p = cy.$id('step:work_7').renderedPosition();
                               return [p.x / cy.width(), p.y / cy.height()];""",
    )
    assert 0.45 < position[0] < 0.55 and 0.45 < position[1] < 0.55  # (a scrollbar may move it)
    assert _js(browser, "return cy.$id('step:work_7').data('box');") == "box:group:work"
    assert _js(browser, "return document.getElementById('minimap').style.display;") == "block"  # 80+ nodes
    assert _js(browser, "return cy.zoom();") >= 1  # big enough to see it

    _js(browser, "cy.$id('box:group:work').emit('tap');")  # collapse again
    _relaid(browser, laid)
    assert "step:work_7" not in _classes(browser) and "group:work" in _classes(browser)
    assert _js(browser, "return cy.nodes('[box]').length + cy.$('.group-box').length;") == 0
    again = _js(browser, POSITIONS)
    assert again["group:work"] == before["group:work"]  # back where it was
    assert all(again[n] == before[n] for n in kept), {n: (before[n], again[n]) for n in kept}


def _click_node(driver, node):
    """Click where ``node`` is drawn on the screen, as a user does (not a tap emitted on it)."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    x, y = _js(
        driver,
        "const r = cy.container().getBoundingClientRect(), p = cy.$id(arguments[0]).renderedPosition();"
        "return [Math.round(r.left + p.x), Math.round(r.top + p.y)];",
        node,
    )
    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(x, y)
    builder.pointer_action.click()
    builder.perform()


def test_the_first_click_after_a_page_load_lands(server, browser, project):
    run = _run(project, "lineage", "completed")
    size = browser.get_window_size()
    browser.set_window_size(1600, 1000)
    try:
        for settle in (False, False, True, True):
            _open(browser, f"{server}?run={run}")
            if settle:  # what settles after the layout moves and narrows the graph's box
                _js(
                    browser,
                    "const d = document.createElement('div'); d.style.height = '120px';"
                    "document.body.prepend(d);"
                    "cy.container().style.width = (cy.container().clientWidth - 400) + 'px';",
                )
            _click_node(browser, "step:train")  # at once: the page may still be settling
            _wait(
                browser, lambda: _js(browser, "return cy.$(':selected').map(n => n.id());") == ["step:train"]
            )
            _wait(browser, lambda: "train" in _text(browser, "details"))
            assert "step=train" in browser.current_url
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_a_step_clicked_inside_an_expanded_group_is_not_faded(server, browser, project):
    laid = _open(browser, f"{server}?run={_run(project, 'fan', 'failed')}")
    _js(browser, "cy.$id('group:work').emit('tap');")  # expand
    _relaid(browser, laid)
    _js(browser, "cy.$id('step:work_3').emit('tap');")
    _wait(browser, lambda: _js(browser, "return cy.$id('step:work_3').hasClass('lineage');"))
    opacity = "return cy.$id(arguments[0]).effectiveOpacity();"
    assert _js(browser, opacity, "step:work_3") == 1
    assert _js(browser, opacity, "step:source") == 1  # its upstream
    assert _js(browser, opacity, "box:group:work") == 1
    assert _js(browser, opacity, "step:work_5") < 0.5  # a sibling outside its lineage fades


def _deuteranope_lab(rgb):
    """CIELAB of an sRGB colour as a deuteranope sees it (Machado et al. 2009, severity 1)."""

    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(linear, rgb)
    seen = [
        min(1.0, max(0.0, v))
        for v in (
            0.367322 * r + 0.860646 * g - 0.227968 * b,
            0.280085 * r + 0.672501 * g + 0.047413 * b,
            -0.011820 * r + 0.042940 * g + 0.968881 * b,
        )
    ]
    x = (0.4124 * seen[0] + 0.3576 * seen[1] + 0.1805 * seen[2]) / 0.95047
    y = 0.2126 * seen[0] + 0.7152 * seen[1] + 0.0722 * seen[2]
    z = (0.0193 * seen[0] + 0.1192 * seen[1] + 0.9505 * seen[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return (116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2]))


def test_states_differ_for_colour_blind_eyes_and_by_glyph_at_every_zoom(server, browser, project):
    import math
    import re

    read = (
        "const out = {}; cy.nodes('.step').forEach(n => { const s = n.classes().find(c => c !== 'step');"
        "out[s] = [n.style('background-color'), n.style('background-image')]; }); return out;"
    )
    drawn = {}
    for pipeline in ("lineage", "fan"):  # completed, failed and skipped; cached
        laid = _open(browser, f"{server}?run={_run(project, pipeline, 'failed')}")
        if pipeline == "fan":
            _js(browser, "cy.$id('group:work').emit('tap');")  # expand the group of work steps
            _relaid(browser, laid)
        _js(browser, "cy.zoom(0.05);")  # the overview: labels are gone
        drawn.update(_js(browser, read))
    assert {"completed", "cached", "failed", "skipped"} <= set(drawn), drawn
    colours = {s: tuple(int(v) for v in re.findall(r"\d+", c)[:3]) for s, (c, _) in drawn.items()}
    seen = {s: _deuteranope_lab(c) for s, c in colours.items()}
    assert math.dist(seen["failed"], seen["cached"]) > 40  # was 7 with red and green
    assert min(math.dist(seen[a], seen[b]) for a in seen for b in seen if a < b) > 20
    # Each state has its own glyph inside the node, drawn whatever the zoom.
    glyphs = {s: image for s, (_, image) in drawn.items()}
    assert all(g.startswith("data:image/svg+xml") for g in glyphs.values())
    assert len(set(glyphs.values())) == len(glyphs)
    assert _js(browser, "return cy.$id('step:work_7').style('label');") != ""  # (labels hide by zoom only)


def test_keyboard_tab_arrows_enter_escape_and_slash(server, browser, project):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    run = _run(project, "lineage", "completed")
    _open(browser, f"{server}?run={run}")
    selected = "return cy.$(':selected').map(n => n.id());"
    on_graph = "return document.activeElement === cy.container();"

    def press(*keys):
        ActionChains(browser).send_keys(*keys).perform()

    for _ in range(40):  # Tab reaches the graph
        if _js(browser, on_graph):
            break
        press(Keys.TAB)
    assert _js(browser, on_graph)
    assert _js(browser, "return cy.container().getAttribute('aria-label');").startswith("lineage graph")
    _js(browser, "cy.$(':selected').unselect();")
    press(Keys.ARROW_RIGHT)  # nothing selected: the first node upstream of all
    assert _js(browser, selected) == ["step:load"]
    press(Keys.ARROW_RIGHT)  # downstream: one of its outputs
    (first,) = _js(browser, selected)
    assert first in ("artifact:load:features", "artifact:load:labels")
    press(Keys.ARROW_DOWN if first.endswith("features") else Keys.ARROW_UP)  # its sibling
    assert _js(browser, selected) == [
        "artifact:load:labels" if first.endswith("features") else "artifact:load:features"
    ]
    press(Keys.ARROW_LEFT)  # upstream again
    assert _js(browser, selected) == ["step:load"]
    press(Keys.ENTER)  # opens the details
    _wait(browser, lambda: "step load" in _text(browser, "details"))
    _wait(browser, lambda: "step=load" in browser.current_url)
    press(Keys.ESCAPE)  # closes them
    _wait(browser, lambda: _text(browser, "details").startswith("Click a step"))
    assert _js(browser, selected) == []
    _wait(browser, lambda: "step=" not in browser.current_url)
    assert f"run={run}" in browser.current_url
    press(Keys.TAB)  # away from the graph, then / searches
    press("/")
    assert _js(browser, "return document.activeElement.id;") == "search"
    press("load")
    _wait(browser, lambda: _text(browser, "search-status") == "1 match")


def test_search_and_state_filter_highlight_and_centre(server, browser, project):
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}?run={_run(project, 'lineage', 'failed')}")
    browser.find_element(By.ID, "search").send_keys("trai")
    _wait(browser, lambda: browser.find_element(By.ID, "search-status").text == "2 matches")
    matches = _js(browser, "return cy.nodes('.match').map(n => n.id()).sort();")
    assert matches == ["artifact:train:output", "step:train"]
    _retype(browser.find_element(By.ID, "search"), "x")
    _wait(browser, lambda: _js(browser, "return cy.nodes('.match').map(n => n.id());") == ["step:explode"])
    position = _js(
        browser,
        """const p = cy.$id('step:explode').renderedPosition();
                               return [p.x / cy.width(), p.y / cy.height()];""",
    )
    assert 0.3 < position[0] < 0.7 and 0.3 < position[1] < 0.7  # centred on the match
    _retype(browser.find_element(By.ID, "search"), "")
    _wait(browser, lambda: not _js(browser, "return cy.nodes('.match').length;"))

    failed = browser.find_element(By.CSS_SELECTOR, "#state-filter input[value='failed']")
    failed.click()
    _wait(browser, lambda: _js(browser, "return cy.$id('step:load').hasClass('dimmed');"))
    assert not _js(browser, "return cy.$id('step:explode').hasClass('dimmed');")
    assert _js(browser, "return cy.$id('step:report').hasClass('dimmed');")
    failed.click()
    _wait(browser, lambda: not _js(browser, "return cy.nodes('.dimmed').length;"))


def test_zoom_controls_lineage_highlight_hidden_artifacts_and_legend(server, browser, project):
    from selenium.webdriver.common.by import By

    laid = _open(browser, f"{server}?run={_run(project, 'lineage', 'failed')}")
    zoom = _js(browser, "return cy.zoom();")
    browser.find_element(By.ID, "zoom-in").click()
    _wait(browser, lambda: abs(_js(browser, "return cy.zoom();") - zoom * 1.25) < 1e-6)
    browser.find_element(By.ID, "zoom-out").click()
    _wait(browser, lambda: abs(_js(browser, "return cy.zoom();") - zoom) < 1e-6)
    # One wheel notch zooms a little, within bounds.
    ratio = _js(
        browser,
        """const before = cy.zoom(), box = cy.container().getBoundingClientRect();
        cy.container().querySelector('canvas:last-child').dispatchEvent(new WheelEvent('wheel',
            {deltaY: -120, clientX: box.x + 100, clientY: box.y + 100, bubbles: true}));
        return cy.zoom() / before;""",
    )
    assert 1 < ratio < 1.5
    assert _js(browser, "return [cy.minZoom(), cy.maxZoom()];") == [0.02, 3]

    _js(browser, "cy.$id('step:train').emit('tap');")  # its lineage stays, the rest fades
    _wait(browser, lambda: _js(browser, "return cy.$id('step:explode').hasClass('faded');"))
    assert _js(
        browser,
        "return ['step:load', 'artifact:load:labels', 'step:report']"
        ".map(i => cy.$id(i).hasClass('lineage'));",
    ) == [True, True, True]

    browser.find_element(By.CSS_SELECTOR, "#hide-artifacts input").click()
    _relaid(browser, laid)
    assert not _js(browser, "return cy.nodes('.artifact').length;")
    assert _js(browser, "return cy.edges().map(e => e.id()).includes('step:load->step:train');")
    browser.find_element(By.CSS_SELECTOR, "#hide-artifacts input").click()
    _wait(browser, lambda: _js(browser, "return cy.nodes('.artifact').length;"))

    legend = browser.find_element(By.ID, "legend").text
    for entry in (
        "completed",
        "cached",
        "running",
        "slow",
        "failed",
        "skipped",
        "pending",
        "artifact",
        "group",
        "data",
        "order",
    ):
        assert entry in legend
    # Cached and failed differ in more than colour: border pattern and glyph.
    cached, failed = _js(
        browser,
        """
        const probe = cy.add({data: {id: 'probe', label: '↺ probe'}, classes: 'step cached'});
        const cached = [probe.style('border-style'), probe.style('border-width')];
        probe.remove();
        const n = cy.$id('step:explode');
        return [cached, [n.style('border-style'), n.style('border-width')]];""",
    )
    assert cached[0] != failed[0]  # double vs dashed
    assert _js(browser, "return cy.$id('step:explode').data('label');").startswith("✗")


def test_details_follow_the_url_and_clear_on_a_run_switch(server, browser, project):
    from selenium.webdriver.common.by import By

    completed = _run(project, "lineage", "completed")
    _open(browser, f"{server}?run={completed}&step=train")
    details = lambda: browser.find_element(By.ID, "details").text  # noqa: E731
    _wait(browser, lambda: details().startswith("step train"))
    # A readable panel: titled sections of label/value rows, not JSON.
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#details section h4")]
    assert titles[:4] == ["Status", "Call", "Inputs and outputs", "Metadata"], titles
    assert "✓" not in details().splitlines()[0] and "cached" in details().splitlines()[0]
    status = browser.find_element(By.CSS_SELECTOR, "#details .zr-status").text
    assert "cache hit: output reused" in status and "reason" in status and '"' not in status
    assert "train(features=load.features, labels=load.labels)" in details()
    metadata = browser.find_element(By.CSS_SELECTOR, "#details .zr-metadata").text
    assert metadata.split() == ["Metadata", "rows", "3"]
    # The cache key and the output's path each have a copy button.
    copies = browser.find_elements(By.CSS_SELECTOR, "#details .zr-copy")
    assert {c.get_attribute("title") for c in copies} == {"copy cache key", "copy path"}
    # The raw JSON is one click away.
    raw = browser.find_element(By.CSS_SELECTOR, "#details .zr-raw")
    assert not raw.is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#details summary").click()
    _wait(browser, raw.is_displayed)
    assert json.loads(raw.text)["cache"]["decision"] == "hit: output reused"
    assert _js(browser, "return cy.$(':selected').map(n => n.id());") == ["step:train"]

    _js(browser, "cy.$id('artifact:load:features').emit('tap');")
    _wait(browser, lambda: "Preview" in details())
    assert "builtins.list" in details() and "location" in details()
    preview = browser.find_element(By.CSS_SELECTOR, "#details .zr-preview pre").text
    assert json.loads(preview) == [1, 2, 3]
    assert "node=artifact" in browser.current_url  # shareable

    # Switch runs in the picker: the old node's details are gone; the failure is shown.
    failed = _run(project, "lineage", "failed")
    browser.find_element(By.ID, "run-picker").click()
    _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "input.dash-dropdown-search"))
    browser.find_element(By.CSS_SELECTOR, "input.dash-dropdown-search").send_keys("lineage")
    option = f".dash-dropdown-option input[value='{failed}']"
    _wait(
        browser,
        lambda: (
            len(browser.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")) == 2
            and browser.find_elements(By.CSS_SELECTOR, option)
        ),
    )  # searched on the server
    browser.find_element(By.CSS_SELECTOR, option).find_element(By.XPATH, "./ancestor::label").click()
    _wait(browser, lambda: failed in browser.find_element(By.ID, "run-summary").text)
    _wait(browser, lambda: details().startswith("step explode"))
    assert "exploded on purpose" in details()  # the traceback
    assert f"run={failed}" in browser.current_url
    _open(browser, f"{server}?run={failed}&step=train")  # train ran in this run: its output
    _wait(browser, lambda: "Captured stdout\ntraining on 3 rows" in details())


def test_code_panel_shows_source_file_line_and_literal_arguments(server, browser, project):
    from selenium.webdriver.common.by import By

    failed = _run(project, "fan", "failed")
    _open(browser, f"{server}?run={failed}&step=work_3")
    _wait(browser, lambda: "work_3" in browser.find_element(By.ID, "details").text)
    code = lambda: browser.find_element(By.ID, "code-panel").text  # noqa: E731
    _wait(browser, lambda: "pipeline_fan.py:" in code())
    line = (
        (project.path / "pipeline_fan.py").read_text().splitlines().index("def work(x: int, i: int) -> int:")
    )
    assert f"pipeline_fan.py:{line}" in code()  # the decorated function's first line
    assert "def work(x: int, i: int) -> int:" in code() and "return x + i" in code()
    assert "def boom" not in code()  # only the step's own function
    # The call as written, with its literal argument: work(value, 3).
    assert "work(i=3, x=source.output)" in code()
    assert "work(i=3, x=source.output)" in browser.find_element(By.CSS_SELECTOR, "#details .zr-call").text

    # A skipped step read nothing: it is drawn after its upstream steps, not their outputs.
    _open(browser, f"{server}?run={_run(project, 'lineage', 'failed')}&step=report")
    # (An edge spanning columns is drawn through bend points: the last hop keeps its id.)
    into = _js(browser, "return cy.$id('step:report').incomers('edge').map(e => [e.id(), e.classes()]);")
    expected = [["step:explode->step:report", ["order"]], ["step:train->step:report", ["order"]]]
    assert sorted(into) == expected, into
    _wait(browser, lambda: "def report(model: dict, check: int) -> str:" in code())


def test_export_png_svg_and_json(server, browser, project):
    from selenium.webdriver.common.by import By

    name = _run(project, "lineage", "completed")
    _open(browser, f"{server}?run={name}")
    for button, filename, check in (
        ("export-png", f"{name}.png", lambda data: min(_png_size(data)) > 50),
        ("export-svg", f"{name}.svg", lambda data: b"<svg" in data[:500]),
        (
            "export-json",
            f"{name}.json",
            lambda data: json.loads(data)["steps"]["train"]["status"] == "cached",
        ),
    ):
        browser.find_element(By.ID, button).click()
        path = browser.downloads / filename
        _wait(browser, lambda path=path: path.exists() and path.stat().st_size > 0)
        assert check(path.read_bytes()), filename


WIDE = """
    import zenrun
    from zenrun import pipeline, step

    @step
    def source() -> int:
        return 0

    @step
    def work(x: int, i: int) -> int:
        return x + i

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def wide():
        value = source()
        for i in range(1000):
            work(value, i, id=f"work_{i}")
        total(zenrun.gather(prefix="work_"))
"""


def _png_size(data):
    """(width, height) from a PNG's header."""
    import struct

    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def wide_run(project):
    """A 1,000-step fan-out recorded in the served store (the server reads it live)."""
    project.makepyfile(pipeline_wide=WIDE)
    assert project.run("pipeline_wide.py", "-q").ret == 0
    project.runs = _runs(project)  # (tests find the runs they start by what is new)
    return [name for name, p, _, _ in project.runs if p == "wide"][-1]


def test_png_export_of_a_1000_step_graph_is_an_image(server, browser, project, wide_run):
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}?run={wide_run}&step=work_500")  # a member: its group is expanded
    assert _js(browser, "return cy.nodes().filter(n => !n.hasClass('bend')).length;") > 1000
    for old in browser.downloads.glob(f"{wide_run}*"):
        old.unlink()
    browser.find_element(By.ID, "export-png").click()
    path = browser.downloads / f"{wide_run}.png"
    _wait(browser, lambda: path.exists() and path.stat().st_size > 0, timeout=120)
    data = path.read_bytes()
    width, height = _png_size(data)
    assert width * height >= 400_000 and min(width, height) >= 50 and max(width, height) <= 16384, (
        width,
        height,
    )
    assert len(data) > 20_000  # drawn nodes, not a blank canvas (a blank one is a few KB)


def test_a_big_group_expands_in_a_box_linked_once_and_collapses(server, browser, project, wide_run):
    laid = _open(browser, f"{server}?run={wide_run}")
    before = _js(browser, POSITIONS)
    assert "group:work" in before and "step:work_500" not in before
    _js(browser, "cy.$id('group:work').emit('tap');")  # expand its 1,000 members
    _relaid(browser, laid)
    laid = _js(browser, "return viewer.laidOut;")
    after = _js(browser, POSITIONS)
    kept = set(before) & set(after)
    assert {"step:source", "step:total"} <= kept
    assert all(before[n] == after[n] for n in kept), {n: (before[n], after[n]) for n in kept}
    members = {n: p for n, p in after.items() if n.startswith("step:work_")}
    assert len(members) == 1000 and len({tuple(p) for p in members.values()}) == 1000
    # No member's output is drawn; what they read and what reads them is linked to the box.
    assert not [n for n in after if n.startswith("artifact:work_")]
    box = "box:group:work"
    assert _js(browser, "return cy.$id(arguments[0]).incomers('node').map(n => n.id());", box) == [
        "artifact:source:output"
    ]
    assert _js(browser, "return cy.$id(arguments[0]).outgoers('node').map(n => n.id());", box) == [
        "step:total"
    ]
    assert _js(browser, "return cy.nodes('.step[box]').connectedEdges().length;") == 0
    outside = _js(
        browser,
        """const b = cy.$id(arguments[0]).boundingBox({includeLabels: false});
        return cy.nodes('.step[box]').filter(n => {
          const p = n.position(); return p.x < b.x1 || p.x > b.x2 || p.y < b.y1 || p.y > b.y2;
        }).length;""",
        box,
    )
    assert outside == 0
    # A member's lineage goes through its box: the source and the gather stay opaque.
    _js(browser, "cy.$id('step:work_500').emit('tap');")
    _wait(browser, lambda: _js(browser, "return cy.$id('step:work_500').hasClass('lineage');"))
    opacity = "return cy.$id(arguments[0]).effectiveOpacity();"
    assert [_js(browser, opacity, n) for n in ("step:source", "step:total", box)] == [1, 1, 1]

    _js(browser, "cy.$id(arguments[0]).emit('tap');", box)  # collapse again
    _relaid(browser, laid)
    again = _js(browser, POSITIONS)
    assert set(again) == set(before) and again["group:work"] == before["group:work"]  # back where it was
    assert all(again[n] == before[n] for n in kept), {n: (before[n], again[n]) for n in kept}
    assert _js(browser, "return cy.nodes('[box]').length + cy.$('.group-box').length;") == 0


def test_arrow_keys_walk_the_members_of_an_expanded_big_group(server, browser, project, wide_run):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _open(browser, f"{server}?run={wide_run}&step=work_500")  # a member: its group is expanded
    _wait(browser, lambda: _js(browser, "return cy.nodes('.step[box]').length;") == 1000)
    # The members in the box's reading order (rows of its grid, left to right), and where each is.
    members = _js(
        browser,
        "return cy.nodes('.step[box]').sort((a, b) => a.position('y') - b.position('y')"
        " || a.position('x') - b.position('x')).map(n => [n.id(), n.position('x'), n.position('y')]);",
    )
    order = [m[0] for m in members]
    at = {m[0]: (m[1], m[2]) for m in members}
    selected = "return cy.$(':selected').map(n => n.id());"

    def start(node):
        _js(
            browser,
            "cy.$(':selected').unselect(); cy.$id(arguments[0]).select(); cy.container().focus();",
            node,
        )

    def press(key):
        ActionChains(browser).send_keys(key).perform()
        return _js(browser, selected)

    k = order.index("step:work_500")
    start("step:work_500")
    assert press(Keys.ARROW_RIGHT) == [order[k + 1]]  # the next member
    assert press(Keys.ARROW_LEFT) == ["step:work_500"]
    assert press(Keys.ARROW_LEFT) == [order[k - 1]]  # the previous one
    start("step:work_500")
    (below,) = press(Keys.ARROW_DOWN)  # the member under it: the next row, the same column
    x, y = at["step:work_500"]
    assert at[below][0] == x and at[below][1] == min(p[1] for p in at.values() if p[1] > y)
    assert press(Keys.ARROW_UP) == ["step:work_500"]
    # Past the ends: what the group reads, what reads it; and back in from them.
    start(order[0])
    assert press(Keys.ARROW_LEFT) == ["artifact:source:output"]
    assert press(Keys.ARROW_RIGHT) == [order[0]]
    start(order[-1])
    assert press(Keys.ARROW_RIGHT) == ["step:total"]
    assert press(Keys.ARROW_LEFT) == [order[-1]]


def test_live_refresh_patches_states_and_keeps_zoom_pan_and_selection(server, browser, project):
    from selenium.webdriver.common.by import By

    project.makepyfile(pipeline_live=LIVE)
    before = {r[0] for r in project.runs}
    run = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "pipeline_live.py"],
        cwd=project.path,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts zenrun slowly
        while not ({r[0] for r in _runs(project)} - before):
            assert time.monotonic() < deadline and run.poll() is None, "the live run did not start"
            time.sleep(0.05)
        name = ({r[0] for r in _runs(project)} - before).pop()
        laid = _open(browser, f"{server}?run={name}")

        def state(node):  # without the highlight classes a tap adds
            return _js(
                browser,
                "const n = cy.$id(arguments[0]); return n.length ? "
                "n.classes().filter(c => !['lineage', 'faded'].includes(c)).join(' ') : null;",
                node,
            )

        # (running for more than 5 s on a busy machine, it is drawn "slow")
        _wait(browser, lambda: state("step:waits") in ("step running", "step slow"))
        details = lambda: browser.find_element(By.ID, "details").text  # noqa: E731
        _js(browser, "cy.$id('step:waits').emit('tap');")  # a running step's details refresh
        _wait(browser, lambda: "s so far" in details())
        first = details()
        _wait(browser, lambda: "s so far" in details() and details() != first)
        _js(
            browser,
            "cy.zoom(0.77); cy.pan({x: 123, y: 45}); cy.$(':selected').unselect();"
            "cy.$id('step:first').select();",
        )
        (project.path / "go").touch()
        _wait(browser, lambda: state("step:waits") == "step completed")
        _wait(browser, lambda: details().splitlines()[0].endswith("✓ completed"))
        _wait(browser, lambda: state("artifact:waits:output") is not None)  # its output appears
        assert _js(browser, "return [cy.zoom(), cy.pan()];") == [0.77, {"x": 123, "y": 45}]
        assert _js(browser, "return cy.$(':selected').map(n => n.id());") == ["step:first"]
        assert _js(browser, "return viewer.laidOut;") == laid  # no new layout
        assert "completed" in _js(browser, "return document.getElementById('run-summary').innerText;")
        assert run.wait(120) == 0
    finally:
        run.kill()
        run.wait(10)


def test_the_run_picker_says_how_a_watched_run_ended(server, browser, project):
    failing = (
        LIVE.replace('"go"', '"go_fail"')
        .replace("return x + 1", "raise ValueError('failed on purpose')")
        .replace("def live", "def live_fail")
    )
    project.makepyfile(pipeline_live_fail=failing)
    before = {r[0] for r in _runs(project)}
    run = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "pipeline_live_fail.py"],
        cwd=project.path,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts zenrun slowly
        while not ({r[0] for r in _runs(project)} - before):
            assert time.monotonic() < deadline and run.poll() is None, "the run did not start"
            time.sleep(0.05)
        name = ({r[0] for r in _runs(project)} - before).pop()
        _open(browser, f"{server}?run={name}")
        _wait(browser, lambda: "▶ running" in _text(browser, "run-picker"))
        (project.path / "go_fail").touch()
        _wait(browser, lambda: "✗ failed" in _text(browser, "run-picker"))
        assert "running" not in _text(browser, "run-picker")
        assert "failed" in _text(browser, "run-summary")
        assert run.wait(120) == 1
    finally:
        run.kill()
        run.wait(10)


def test_a_run_whose_process_died_is_shown_failed(server, browser, project):
    project.makepyfile(pipeline_hang=LIVE.replace('"go"', '"never"').replace("def live", "def hang"))
    before = {r[0] for r in _runs(project)}
    run = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "pipeline_hang.py"],
        cwd=project.path,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts zenrun slowly
        while True:  # wait until `waits` is recorded running, then kill the run's process
            with sqlite3.connect(project.store / "metadata.db") as db:
                row = db.execute(
                    "SELECT r.name FROM steps s JOIN runs r ON r.id = s.run_id "
                    "WHERE s.step_id='waits' AND s.status='running' AND r.pipeline='hang'"
                ).fetchone()
            db.close()
            if row and row[0] not in before:
                break
            assert time.monotonic() < deadline and run.poll() is None, "the run did not start"
            time.sleep(0.05)
    finally:
        run.kill()
        run.wait(10)
    _open(browser, f"{server}?run={row[0]}")
    assert _classes(browser)["step:waits"] == "step failed"
    assert f"{row[0]}: failed" in _js(browser, "return document.getElementById('run-summary').innerText;")


def test_compare_page_lists_items_charts_a_metric_and_diffs_two_runs(server, browser, project):
    from selenium.webdriver.common.by import By

    iris, cancer = (name for name, pipeline, _, _ in project.runs if pipeline == "hpo")
    _open(browser, server)  # the lineage page does not load the comparison's table and plotly.js
    assert not _js(
        browser,
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => /plotly|async-graph|async-table/.test(n));",
    )
    browser.find_element(By.ID, "nav-compare").click()  # the link fills the page in
    _wait(browser, lambda: "hpo[breast_cancer]" in browser.find_element(By.ID, "compare-table").text)
    browser.get(f"{server}compare")  # the newest parametrized pipeline
    _wait(browser, lambda: "hpo[breast_cancer]" in browser.find_element(By.ID, "compare-table").text)
    assert browser.find_element(By.ID, "compare-pipeline").text == "hpo"
    # Another pipeline, then another metric, picked in the menus: the table and charts follow.
    _choose(browser, "compare-pipeline", "forest")
    _wait(browser, lambda: "forest[svm-3]" in browser.find_element(By.ID, "compare-table").text)
    _wait(browser, lambda: "best: forest[forest-3]" in _text(browser, "compare-ranking"))
    _choose(browser, "compare-metric", "fit_seconds")
    _wait(browser, lambda: _text(browser, "compare-ranking").startswith("fit_seconds per item"))
    assert _text(browser, "compare-graph").startswith("fit_seconds by ")
    # (the best line and the charts come from two callbacks; a frame being redrawn reads None)
    _wait(
        browser,
        lambda: _text(browser, "compare-best-item") == (_chart(browser, "compare-ranking", _ITEMS) or [0])[0],
    )
    browser.get(f"{server}compare?pipeline=hpo&a={iris}&b={cancer}")
    _wait(browser, lambda: "steps changed" in browser.find_element(By.ID, "compare-page").text)
    table = browser.find_element(By.ID, "compare-table").text
    assert "hpo[iris]" in table and "hpo[breast_cancer]" in table and "accuracy" in table
    assert browser.find_element(By.ID, "lineage-page").get_attribute("style") == "display: none;"
    _wait(browser, lambda: _chart(browser, "compare-graph", "return !!doc.querySelector('svg');"))
    assert "accuracy by dataset" in browser.find_element(By.ID, "compare-graph").text
    # One point per dataset against its name: the scatter of the one parameter.
    assert sorted(_chart(browser, "compare-graph", _ITEMS)) == ["hpo[breast_cancer]", "hpo[iris]"]
    diff = browser.find_element(By.ID, "diff-view").text
    assert "dataset iris breast_cancer" in diff  # the parameter that differs
    db = sqlite3.connect(project.store / "metadata.db")
    try:
        steps = db.execute(
            "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.name=?", (iris,)
        ).fetchone()[0]
    finally:
        db.close()
    # Another data set changes every step's inputs, so every step's cache key.
    assert browser.find_element(By.ID, "diff-summary").text.startswith(f"{steps} of {steps} steps changed")
    # Click-through to the item's lineage.
    browser.find_element(By.LINK_TEXT, "hpo[iris]").click()
    _wait(browser, lambda: iris in browser.find_element(By.ID, "run-summary").text)
    assert f"?run={iris}" in browser.current_url


def _text(driver, element_id):
    """An element's text read in one step (a re-rendered element is never stale)."""
    return _js(
        driver, "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';", element_id
    )


def _choose(driver, dropdown, text):
    """Pick ``text`` in the menu ``dropdown`` as a user does: open it, type, Enter."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.wait import WebDriverWait

    search = "input.dash-dropdown-search"
    # The menu of the last pick closes (its search field leaves the page) before this one opens:
    # else the field found could be that one's, on a busy machine.
    _wait(driver, lambda: not driver.find_elements(By.CSS_SELECTOR, search))
    driver.find_element(By.ID, dropdown).click()
    field = _wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, search))[0]
    field.send_keys(text)

    def option():  # the option reading ``text``, once the typing has filtered the menu
        try:
            for element in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
                if element.text.strip() == text:
                    return element
        except StaleElementReferenceException:
            pass
        return None

    try:
        WebDriverWait(driver, 10, poll_frequency=0.05).until(lambda d: option()).click()  # closes it
    except (StaleElementReferenceException, TimeoutException):
        field.send_keys(Keys.ENTER)  # picks the first option shown
    _wait(driver, lambda: text in driver.find_element(By.ID, dropdown).text)


def _four(items):
    """``items`` once there are four of them (a chart or table still being drawn: None)."""
    return items if items and len(items) == 4 else None


def _chart(driver, element_id, body):
    """``body`` run on the document of a compare chart's frame (``doc``; null until drawn)."""
    return _js(
        driver,
        "const frame = document.querySelector(`#${arguments[0]} iframe`);"
        "const doc = frame && frame.contentDocument;"
        "if (!doc || !doc.querySelector('svg')) { return null; }"
        f"{body}",
        element_id,
    )


#: A chart's items (each point or line drawn), by their labels.
_ITEMS = "return [...doc.querySelectorAll('g.item')].map(g => g.dataset.item);"
#: Each item's tooltip (its <title>), by label.
_TOOLTIPS = (
    "return Object.fromEntries([...doc.querySelectorAll('g.item')]"
    ".map(g => [g.dataset.item, g.querySelector('title').textContent]));"
)
#: How many points, and how many stars, a chart draws.
_MARKS = "return [doc.querySelectorAll('g.item').length, doc.querySelectorAll('.best-item .best').length];"


def _column(driver, column):
    """The texts of a compare-table column by its id, in the table's order."""
    return _js(
        driver,
        "return [...document.querySelectorAll(`#compare-table td[data-dash-column='${arguments[0]}']`)]"
        ".map(td => td.innerText.trim());",
        column,
    )


def test_compare_page_shows_the_params_of_a_fixture_built_config(server, browser, project):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}compare?pipeline=forest")
    _wait(browser, lambda: "forest[svm-3]" in browser.find_element(By.ID, "compare-table").text)
    items = _column(browser, "item")
    assert sorted(items) == sorted(f"forest[{m}-{s}]" for m in ("forest", "svm") for s in (1, 2, 3))
    depth = dict(zip(items, _column(browser, "param:train.max_depth"), strict=True))
    c = dict(zip(items, _column(browser, "param:train.C"), strict=True))
    assert (depth["forest[forest-3]"], depth["forest[svm-2]"]) == ("6", "4")
    assert (c["forest[forest-3]"], c["forest[svm-2]"]) == ("1", "0.2")
    assert _column(browser, "param:train.n_estimators")[items.index("forest[svm-1]")] == "10"
    overrides = dict(zip(items, _column(browser, "overrides"), strict=True))
    assert overrides["forest[svm-1]"] == "train.n_estimators"
    assert overrides["forest[forest-1]"] == ""
    headers = browser.find_element(By.ID, "compare-table").text
    assert "train.max_depth" in headers and "model" in headers and "setting" in headers


def test_compare_page_charts_the_objective_marks_the_winner_and_follows_the_filter(server, browser, project):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{server}compare?pipeline=forest")
    _wait(browser, lambda: browser.find_elements(By.ID, "compare-best-item"))
    # The dropdown's value is filled by its own callback: waited for (on a busy machine
    # it comes after the table).
    _wait(browser, lambda: _text(browser, "compare-metric"))
    # The objective ([tool.zenrun] objective = "accuracy"), not the first metric that varies.
    assert _text(browser, "compare-metric") == "accuracy"
    assert _text(browser, "compare-best-item") == "forest[forest-3]"
    assert "(objective)" in _text(browser, "compare-best")
    items = _column(browser, "item")
    assert items[0] == "forest[forest-3]"  # best first
    accuracy = dict(zip(items, _column(browser, "metric:accuracy"), strict=True))
    assert accuracy["forest[forest-3]"] == "0.92"  # 0.92001234 to 4 significant digits
    assert accuracy["forest[svm-3]"] == "0.88"  # 0.85 + 0.30000000000000004 / 10
    first_cell = "#compare-table td[data-dash-column='metric:accuracy']"
    weight = f"return getComputedStyle(document.querySelector(`{first_cell}`)).fontWeight;"
    _wait(browser, lambda: _js(browser, weight) in ("700", "bold"))  # the best row stands out
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, first_cell)).perform()
    tooltips = "return [...document.querySelectorAll('.dash-tooltip')].map(e => e.innerText).join(' ');"
    _wait(browser, lambda: "0.92001234" in _js(browser, tooltips))  # the full value on hover
    _wait(browser, lambda: "best: forest[forest-3]" in _text(browser, "compare-ranking"))
    assert "best: forest[forest-3]" in _text(browser, "compare-graph")  # params chart
    _wait(browser, lambda: _chart(browser, "compare-ranking", _MARKS) == [6, 1])  # every item, one star
    ranked = _chart(browser, "compare-ranking", _ITEMS)
    assert ranked == items  # best first, as the table
    # Labels to 4 significant digits, the full value on hover (the item's tooltip).
    labels = "return [...doc.querySelectorAll('.best-item text')].map(t => t.textContent);"
    assert _chart(browser, "compare-ranking", labels) == ["forest[forest-3]", "0.92 ★ best"]
    tips = _chart(browser, "compare-ranking", _TOOLTIPS)
    assert tips["forest[forest-3]"].splitlines() == [
        "best: forest[forest-3]",
        f"accuracy = {0.8 + 0.02 * 6 + 0.00001234!r}",
    ]
    # The params chart: parallel coordinates, a line per item, the winner's starred.
    assert _chart(browser, "compare-graph", _MARKS) == [6, 1]
    lines = _chart(browser, "compare-graph", _TOOLTIPS)
    assert "train.max_depth = 6" in lines["forest[forest-3]"] and lines["forest[forest-3]"].startswith(
        "best:"
    )
    assert "train.C = 0.2" in lines["forest[svm-2]"]
    axes = _chart(
        browser,
        "compare-graph",
        "return [...doc.querySelectorAll('text[font-weight=bold]')].map(t => t.textContent);",
    )
    assert axes[-1] == "accuracy" and "train.max_depth" in axes and "model" in axes
    # The charts and the winner follow the table's filter.
    field = browser.find_element(By.CSS_SELECTOR, "th.dash-filter[data-dash-column='param:model'] input")
    field.send_keys("svm", Keys.ENTER)
    _wait(browser, lambda: _text(browser, "compare-best-item") == "forest[svm-3]")
    _wait(browser, lambda: "best: forest[svm-3]" in _text(browser, "compare-ranking"))
    assert sorted(_column(browser, "item")) == ["forest[svm-1]", "forest[svm-2]", "forest[svm-3]"]
    _wait(browser, lambda: _chart(browser, "compare-ranking", _MARKS) == [3, 1])
    assert _chart(browser, "compare-ranking", _ITEMS)[0] == "forest[svm-3]"
    assert "best: forest[svm-3]" in _text(browser, "compare-graph")
    _wait(
        browser,
        lambda: sorted(_chart(browser, "compare-graph", _ITEMS) or []) == sorted(_column(browser, "item")),
    )
    assert (
        _chart(browser, "compare-graph", "return doc.querySelector('.best-item').dataset.item;")
        == "forest[svm-3]"
    )
    # The diff of two runs is headed by their item ids.
    newest = {
        item.rsplit("::", 1)[-1]: name for name, pipeline, _, item in project.runs if pipeline == "forest"
    }
    a, b = newest["forest[forest-1]"], newest["forest[svm-2]"]
    browser.get(f"{server}compare?pipeline=forest&a={a}&b={b}")

    def diff_heads() -> list[str]:
        from selenium.common.exceptions import StaleElementReferenceException

        try:
            tables = browser.find_elements(By.CSS_SELECTOR, "#diff-view table")
            return [th.text for th in tables[0].find_elements(By.TAG_NAME, "th")] if tables else []
        except StaleElementReferenceException:  # re-rendered while read
            return []

    # the page's callbacks fill the diff in turn: wait until it shows the two runs asked for
    _wait(browser, lambda: a in "".join(diff_heads()) and b in "".join(diff_heads()))
    heads = diff_heads()
    assert heads[1].splitlines() == ["forest[forest-1]", a] and heads[2].splitlines() == ["forest[svm-2]", b]
    diff = _text(browser, "diff-view")
    assert "train.max_depth\t2\t4" in diff and "train.C\t1\t0.2" in diff, diff
    assert "accuracy\t0.84\t0.87" in diff  # 0.8400123400000001 on hover
    cell = browser.find_elements(By.XPATH, "//div[@id='diff-view']//td[text()='0.84']")
    assert cell and cell[0].get_attribute("title") == "0.8400123400000001"


def test_compare_page_loads_no_plotly_and_its_charts_follow_the_theme(server, browser, project):
    from selenium.webdriver.common.by import By

    drawn = "return doc.querySelectorAll('g.item').length;"
    try:
        browser.get(f"{server}compare?pipeline=forest")  # the page itself, loaded afresh
        _wait(
            browser,
            lambda: _chart(browser, "compare-ranking", drawn) and _chart(browser, "compare-graph", drawn),
        )
        resources = _js(browser, "return performance.getEntriesByType('resource').map(e => e.name);")
        assert any("dash_table" in r or "async-table" in r for r in resources), resources  # what it did load
        assert [r for r in resources if "plotly" in r.lower() or "async-graph" in r] == []
        assert _js(browser, "return typeof window.Plotly;") == "undefined"

        # The charts' colours follow the viewer's theme, picked with its button.
        looks = (
            "return [getComputedStyle(doc.body).backgroundColor, "
            "getComputedStyle(doc.querySelector('svg text:not(.zc-muted)')).fill, doc.documentElement.dataset.theme || ''];"
        )
        dark, light = ["rgb(22, 24, 29)", "rgb(230, 230, 230)"], ["rgb(255, 255, 255)", "rgb(29, 29, 29)"]
        before = _chart(browser, "compare-ranking", looks)[:2]
        assert before in (dark, light), before
        browser.find_element(By.ID, "theme-toggle").click()
        after = light if before == dark else dark
        for chart in ("compare-ranking", "compare-graph"):
            _wait(browser, lambda chart=chart: _chart(browser, chart, looks)[:2] == after)
        # So do the table's cells, its best row (first) marked in the theme's own colour.
        cells = _js(
            browser,
            "return [...document.querySelectorAll(\"#compare-table td[data-dash-column='run']\")]"
            ".map(td => [getComputedStyle(td).backgroundColor, getComputedStyle(td).color]);",
        )
        best = "rgb(77, 67, 0)" if after == dark else "rgb(255, 242, 204)"
        assert cells[0][0] == best and cells[-1] == after, cells
        browser.find_element(By.ID, "theme-toggle").click()
        _wait(browser, lambda: _chart(browser, "compare-ranking", looks)[:2] == before)
    finally:
        browser.execute_script(
            "try { localStorage.removeItem('zenrun-theme'); } catch (e) {}"
            "delete document.documentElement.dataset.theme;"
        )


def test_an_empty_store_follows_the_first_run_recorded(browser, tmp_path):
    from selenium.webdriver.common.by import By

    project = ZenrunProject(tmp_path)
    project.makepyfile(pipeline_lineage=LINEAGE)
    port = _free_port()
    view = _view(project, port)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", view)
        browser.get(f"http://127.0.0.1:{port}/")
        summary = lambda: browser.find_element(By.ID, "run-summary").text  # noqa: E731
        _wait(browser, lambda: summary() == "no runs recorded yet")
        assert project.run("-q").ret == 1
        _wait(browser, lambda: "lineage" in summary() and "failed" in summary())
        assert "?run=lineage-" in browser.current_url
    finally:
        view.terminate()
        view.wait(10)


def test_view_build_writes_a_static_site_that_opens_from_file_urls(browser, project, tmp_path):
    from selenium.webdriver.common.by import By

    site = tmp_path / "site"
    result = project.run("--view-build", str(site))
    assert result.ret == 0, result.stdout
    # Each item's latest run, as the run picker labels them.
    latest = {}
    for name, _pipeline, status, item in _runs(project):  # (other tests add runs)
        latest[item or name] = (name, status)
    assert f"{len(latest)} runs" in result.stdout
    browser.get((site / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "table.runs tr[data-run]")
    shown = {r.get_attribute("data-run"): r.text for r in rows}
    assert set(shown) == {name for name, _ in latest.values()}
    for name, status in latest.values():
        assert status in shown[name]
    # No server: nothing but the files themselves is loaded.
    resources = _js(browser, "return performance.getEntriesByType('resource').map(r => r.name);")
    assert resources == []

    # A run's lineage page: every step drawn in its state, with its details below.
    failed = _run(project, "fan", "failed")
    browser.find_element(By.CSS_SELECTOR, f"tr[data-run='{failed}'] a").click()
    _wait(browser, lambda: browser.current_url.startswith("file://") and "run-" in browser.current_url)
    steps = browser.find_elements(By.CSS_SELECTOR, "svg.lineage g.node.step")
    assert len(steps) == 42  # source, work_0 … work_39, total
    assert "failed" in browser.find_element(By.CSS_SELECTOR, "p.summary").text
    section = browser.find_element(By.ID, "step:work_7").text
    assert "failed" in section and "work 7 exploded" in section
    assert "cache hit" in browser.find_element(By.ID, "step:work_8").text

    # The compare page: the fixture-built params, the objective's best row marked.
    browser.get((site / "compare-forest.html").as_uri())
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.compare th")]
    assert "params.train.max_depth" in header and "metrics.accuracy" in header
    best = browser.find_element(By.CSS_SELECTOR, "tr.best")
    assert "forest-3" in best.text and "★ best" in best.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.compare tr[data-run]")) == 6
    cell = best.find_elements(By.TAG_NAME, "td")[header.index("metrics.accuracy")]
    assert cell.text == "0.9200" or cell.text == "0.92", cell.text
    # The viewer's charts, inline: the ranking best first, a line per item, the winner starred.
    ranking, params = browser.find_elements(By.CSS_SELECTOR, "svg.zc")
    items = "return [...arguments[0].querySelectorAll('g.item')].map(g => g.dataset.item);"
    ranked = _js(browser, items, ranking)
    assert len(ranked) == 6 and ranked[0] == "forest[forest-3]"
    assert sorted(_js(browser, items, params)) == sorted(ranked)
    tip = "return arguments[0].querySelector('.best-item title').textContent;"
    assert _js(browser, tip, ranking) == f"best: forest[forest-3]\naccuracy = {0.8 + 0.02 * 6 + 0.00001234!r}"
    assert "best: forest[forest-3]" in browser.find_element(By.CSS_SELECTOR, "h3.chart").text
    assert _js(browser, "return performance.getEntriesByType('resource').length;") == 0


def test_dark_and_light_themes_follow_the_browser_and_the_toggle(server, browser, project):
    from selenium.webdriver.common.by import By

    def emulate(scheme):
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
        )

    def looks():
        return _js(
            browser,
            "return [getComputedStyle(document.body).backgroundColor, "
            "cy.nodes('.step')[0].style('color'), viewer.theme];",
        )

    run = _run(project, "lineage", "completed")
    try:
        emulate("dark")
        _open(browser, f"{server}?run={run}")
        _js(
            browser, "localStorage.removeItem('zenrun-theme'); delete document.documentElement.dataset.theme;"
        )
        _open(browser, f"{server}?run={run}")
        _wait(browser, lambda: looks()[2] == "dark")
        background, label, _ = looks()
        assert background == "rgb(22, 24, 29)" and label == "rgb(230,230,230)", looks()

        browser.find_element(By.ID, "theme-toggle").click()  # picked: light, kept on reload
        _wait(browser, lambda: looks()[2] == "light")
        assert looks()[:2] == ["rgb(255, 255, 255)", "rgb(29,29,29)"]
        _open(browser, f"{server}?run={run}")
        _wait(browser, lambda: looks()[2] == "light")

        browser.find_element(By.ID, "theme-toggle").click()
        _wait(browser, lambda: looks()[2] == "dark")
        _js(browser, "localStorage.removeItem('zenrun-theme');")
        emulate("light")  # no pick: the browser's light theme
        _open(browser, f"{server}?run={run}")
        _wait(browser, lambda: looks()[2] == "light")
        assert looks()[0] == "rgb(255, 255, 255)"
    finally:
        emulate("")
        browser.execute_script("try { localStorage.removeItem('zenrun-theme'); } catch (e) {}")


def test_sidebar_tree_lists_modules_pipelines_items_steps_and_filters(server, browser, project):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, f"{server}?run={_run(project, 'lineage', 'completed')}")

    # Read in one script: the tree is redrawn as filters change (no stale elements).
    def modules():
        return _js(
            browser,
            "return [...document.querySelectorAll('#tree [data-module]')].map(m => m.dataset.module);",
        )

    def runs():
        return set(
            _js(browser, "return [...document.querySelectorAll('#tree [data-run]')].map(m => m.dataset.run);")
        )

    def pick(dropdown, text):
        browser.find_element(By.ID, dropdown).click()
        field = _wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "input.dash-dropdown-search"))[
            0
        ]
        field.send_keys(text)
        field.send_keys(Keys.ENTER)
        field.send_keys(Keys.ESCAPE)

    _wait(browser, lambda: "pipeline_forest.py" in modules())
    assert {"pipeline_lineage.py", "pipeline_fan.py", "pipeline_forest.py", "pipeline_hpo.py"} <= set(
        modules()
    )
    # One entry per item, its latest run: forest's six items, the override is svm-1's latest.
    latest = {}
    for name, _pipeline, _status, item in _runs(project):
        latest[item or name] = name
    assert runs() == set(latest.values())
    forest = browser.find_element(By.CSS_SELECTOR, "#tree [data-module='pipeline_forest.py']").text
    assert "forest (6)" in forest

    pick("tree-state", "failed")  # the items with a failed step, and only those steps
    failed_fan = _run(project, "fan", "failed")
    _wait(browser, lambda: "pipeline_forest.py" not in modules())
    assert "pipeline_fan.py" in modules() and "pipeline_lineage.py" not in modules()  # it passed at last
    assert failed_fan in runs()
    fan = browser.find_element(By.CSS_SELECTOR, f"#tree [data-run='{failed_fan}']")
    steps = [a.text for a in fan.find_elements(By.CSS_SELECTOR, ".zr-tree-step")]
    assert steps == ["✗ work_7"]
    fan.find_element(By.CSS_SELECTOR, ".zr-tree-step").click()  # opens it in the graph
    _wait(
        browser, lambda: "step=work_7" in browser.current_url and f"run={failed_fan}" in browser.current_url
    )
    _wait(browser, lambda: browser.find_element(By.ID, "details").text.startswith("step work_7"))

    _open(browser, f"{server}?run={_run(project, 'lineage', 'completed')}")
    _wait(browser, lambda: "pipeline_forest.py" in modules())
    pick("tree-mark", "sklearn")  # @zenrun.mark.sklearn on hpo and digits
    _wait(browser, lambda: set(modules()) == {"pipeline_hpo.py", "pipeline_digits.py"})
    pick("tree-module", "pipeline_digits.py")
    _wait(browser, lambda: modules() == ["pipeline_digits.py"])


def test_the_viewer_serves_a_team_store_read_only(browser, tmp_path):
    """Runs recorded into a PostgreSQL team store are listed and drawn; the viewer, on a
    read-only connection, writes nothing (every table reads the same afterwards)."""
    psycopg = pytest.importorskip("psycopg")
    from pgcluster import PASSWORD, PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    cluster = PostgresCluster(bindir)
    view = None
    tables = ("runs", "steps", "artifacts", "step_io", "cache", "zenrun_schema")

    def snapshot(url):
        with psycopg.connect(url, autocommit=True) as db:
            return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}

    try:
        cluster.start()
        url = cluster.createdb("viewer")
        project = ZenrunProject(tmp_path)
        project.makepyfile(pipeline_lineage=LINEAGE)
        assert project.run("--store", url, "-q").ret == 1  # explode fails, load and train complete
        assert project.run("--store", url, "-q").ret == 1  # load and train cached
        before = snapshot(url)
        assert len(before["runs"]) == 2 and len(before["cache"]) == 2
        port = _free_port()
        read_only = f"{url}?options=-c%20default_transaction_read_only%3Don"
        view = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port), "--store", read_only],
            cwd=project.path,
            env=project.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        served = f"http://127.0.0.1:{port}/"
        _wait_for(served, view)
        with psycopg.connect(url, autocommit=True) as db:
            newest, oldest = [r[0] for r in db.execute("SELECT name FROM runs ORDER BY id DESC")]
        _open(browser, served)
        summary = _js(browser, "return document.getElementById('run-summary').innerText;")
        assert newest in summary and "failed" in summary, summary  # the newest run is drawn first
        assert _js(browser, "return cy.$id('step:train').length;") == 1
        assert _js(browser, "return cy.$id('step:explode').data('label');").startswith("✗")
        _open(browser, f"{served}?run={oldest}")  # an older run of the store, by name
        assert oldest in _js(browser, "return document.getElementById('run-summary').innerText;")
        assert _js(browser, "return cy.$id('step:load').length;") == 1
        assert PASSWORD not in browser.page_source
        assert snapshot(url) == before
    finally:
        if view is not None:
            view.terminate()
            view.wait(10)
        cluster.stop()


HOSTILE = """
    import zenrun
    from zenrun import pipeline, step

    EVIL = "<img src=x onerror='window.parent.zrXss=1'><script>window.zrXss=1</script>\\"&amp;é✓"
    VALUES = {EVIL: 1.7e308, "b&'\\"": 0.5, "nan": float("nan"), "inf": float("inf"), "none": None,
              "bool": True, "text": "text", "low": -1.7e308, "huge": 10**400, "tiny": 5e-324, "silent": "logs nothing"}

    @zenrun.fixture(params=list(VALUES))
    def which(request):
        return request.param

    @step
    def score(which: str) -> float:
        if which == "silent":  # a run without the metric
            raise ValueError("failed before logging")
        zenrun.log_metadata(**{EVIL: VALUES[which]})
        return 1.0

    @pipeline
    def evil(which):
        score(which)
"""


def test_compare_charts_of_hostile_names_and_values_in_the_viewer_and_the_static_site(browser, tmp_path):
    """Markup in item ids and metric names is text; values at the float's limits, NaN, inf,
    None, bools, text, ints beyond a float and a run without the metric are drawn or left
    out, never a crash."""
    from selenium.webdriver.common.by import By

    (tmp_path / "project").mkdir()
    project = ZenrunProject(tmp_path / "project")
    project.makepyfile(pipeline_evil=HOSTILE)
    assert project.run("-q").ret == 1  # evil[silent] failed
    site = tmp_path / "site"
    result = project.run("--view-build", str(site))
    assert result.ret == 0, result.stdout + result.stderr
    # The finite values, best (highest) first: 1.7e308, 0.5, 5e-324, -1.7e308.
    expected = ["evil[<img src=x", "evil[b&'\"]", "evil[tiny]", "evil[low]"]

    def check(items):
        assert len(items) == 4 and [i[: len(e)] for i, e in zip(items, expected, strict=True)] == expected

    browser.get((site / "compare-evil.html").as_uri())
    ranking, params = browser.find_elements(By.CSS_SELECTOR, "svg.zc")
    items = "return [...arguments[0].querySelectorAll('g.item')].map(g => g.dataset.item);"
    check(_js(browser, items, ranking))
    assert len(_js(browser, items, params)) == 4
    assert "left out" in browser.find_element(By.CSS_SELECTOR, "h3.chart:nth-of-type(2)").text
    # The table marks the charts' best: the best finite number (not inf, nor an int beyond a float).
    assert browser.find_element(By.CSS_SELECTOR, "tr.best").text.startswith("evil[<img src=x")
    assert _js(browser, "return window.zrXss;") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "img, table script, svg script")

    port = _free_port()
    proc = _view(project, port)
    try:
        served = f"http://127.0.0.1:{port}/"
        _wait_for(served, proc)
        browser.get(f"{served}compare?pipeline=evil")
        # (each read waits for the four: the charts' callback redraws the frames the page
        # opened with, which a loaded machine may show first with fewer items)
        check(_wait(browser, lambda: _four(_chart(browser, "compare-ranking", _ITEMS))))
        # the table best first, as the ranking (NaN, inf: last); it may come after the charts
        check(_wait(browser, lambda: _four(_column(browser, "item")[:4])))
        _wait(browser, lambda: _chart(browser, "compare-ranking", _MARKS) == [4, 1])
        _wait(browser, lambda: len(_chart(browser, "compare-graph", _ITEMS) or []) == 4)
        assert "7 without a numeric" in _text(browser, "compare-graph")
        _wait(browser, lambda: _text(browser, "compare-best-item").startswith("evil[<img src=x onerror="))
        frames = "return [...document.querySelectorAll('iframe')].map(f => f.contentWindow && f.contentWindow.zrXss);"
        assert _js(browser, "return window.zrXss;") is None and _js(browser, frames) == [None, None]
    finally:
        proc.terminate()
        proc.wait(10)
