"""Viewer speed, measured by hand: page load to graph drawn, in headless Chromium.

    python benchmarks/viewer_firstpaint.py                  # 200, 1,000 and 5,000 steps
    python benchmarks/viewer_firstpaint.py --steps 1000 --repeat 5
    python benchmarks/viewer_firstpaint.py --screenshots screenshots/
    python benchmarks/viewer_firstpaint.py --only mixed fan compare --steps 1000 --against /tmp/main
        # /tmp/main: another tree, e.g. `git archive main | tar -x -C /tmp/main`

Each size is a fan-out recorded twice in a fresh store (one source, N-2
``work_i`` steps gathered by one ``total``; the second run fails ``work_7``,
so the viewer opens a failed run with a collapsed group and centres it). A
``zenrun --view`` server is started on the store and the page is loaded
``--repeat`` times; *drawn* is ``performance.now()`` (milliseconds since the
navigation started) when the layout has stopped and the failed node is
selected. *First load* is the first page load after the server started (it
reads the run from the store and the browser fetches the scripts); the
others reuse both, as a reload does. The ``chain`` figure is a 200-step chain, which has nothing to
collapse: all 400 nodes are laid out by dagre in the browser. The ``mixed``
figure is a 200-step DAG in layers of 10 whose steps read one to three
outputs of the layers before (two outputs each, ~600 nodes, nothing collapses).
*expand* is the time from a click on the group (998 or 4,998 members) to the
frame that draws the expanded graph, its members placed and the failed one centred
(a second after the page was drawn; median and best of ``--repeat``); *moved* is how far (x + y, in graph pixels) the node
that moved most among those drawn before and after moved: 0 when only the
group's members were laid out. The compare figure is the first paint of the
compare page of a 12-item grid (its table, best row and chart drawn).
The run picker's figures are its store queries on 3,000 recorded runs
(``--runs``): a page of 50, the last page, a search, the newest run. The live
figure is what the page receives per second (callback responses, headers
included) while it shows a running 500-step chain (``--live``), each step
taking 20 ms.
``--against DIR`` starts a second viewer from the source tree DIR (its modules
first on ``PYTHONPATH``) on the same store and loads both in turn, so that a busy
moment of the machine slows both: report ratios. *cytoscape.js alone* is the floor
under every figure: a new Cytoscape graph of the elements the page drew (positions,
stylesheet and viewport included), created in the same page and painted, no Dash.
Targets: 1 s at 200 steps (fan-out, chain and mixed) and for the compare page,
2 s at 1,000, 5 s at 5,000; expanding a group of 1,000 in 0.5 s, nothing else moving.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

TARGETS_MS = {200: 1000, 1000: 2000, 5000: 5000, "mixed 200": 1000, "chain 200": 1000}

FAN = """
    import os
    import time
    import zenrun
    from zenrun import pipeline, step

    N, FAIL = int(os.environ["FAN_N"]), os.environ.get("FAN_FAIL")

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

    @step
    def inc(x: int) -> int:
        return x + 1

    @pipeline
    def fan():
        value = source()
        for i in range(N - 2):
            (boom if FAIL and i == int(FAIL) else work)(value, i, id=f"work_{i}")
        total(zenrun.gather(prefix="work_"))

    @step
    def tick(x: int) -> int:
        time.sleep(0.02)
        return x + 1

    @pipeline
    def live():
        value = source()
        for _ in range(N - 1):
            value = tick(value)

    @pipeline
    def chain():
        value = source()
        for _ in range(N - 1):
            value = inc(value)

    @step
    def combine(a: int, b: int = 0, c: int = 0) -> zenrun.Output(left=int, right=int):
        return a + b, a + c

    @pipeline
    def mixed():
        # N steps in layers of 10, each reading one to three outputs of earlier layers:
        # no prefix is shared by more than 10 steps of a layer, so nothing collapses.
        import random

        rng = random.Random(7)
        made = [source()]
        pairs = []
        for k in range(N - 1):
            layer, j = divmod(k, 10)
            pool = (pairs[-30:] or [(made[0], made[0])])
            picks = [rng.choice(pool)[rng.randrange(2)] for _ in range(rng.randint(1, 3))]
            pairs.append(combine(*picks, id=f"{'abcdefghij'[j]}{'xyz'[layer % 3]}_{layer}"))
"""

GRID = """
    import zenrun
    from zenrun import pipeline, step

    @step
    def train(k: int) -> float:
        score = 0.5 + 0.03 * k - 0.002 * k * k
        zenrun.log_metadata(accuracy=score, fit_seconds=0.1 * k)
        return score

    @zenrun.mark.parametrize("k", list(range(12)))
    @pipeline
    def grid(k):
        train(k)
"""


def _zenrun(project: Path, *args: str, **env: str) -> int:
    return subprocess.run(
        [sys.executable, "-m", "zenrun", *args],
        cwd=project,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).returncode


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_script_timeout(300)
    return driver


def _serve(project: Path, checkout: Path | None = None) -> tuple[subprocess.Popen, str]:
    """A viewer on ``project``'s store, of this tree or of ``checkout`` (another tree's source)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    if checkout is not None:  # its modules first on the path: they shadow this editable install's
        env["PYTHONPATH"] = os.pathsep.join([str(checkout), str(checkout / "plugins")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the viewer did not start") from None
            time.sleep(0.1)


def _drawn_ms(driver, url: str) -> float:
    driver.get(url)
    deadline = time.monotonic() + 300
    while True:
        drawn = driver.execute_script("const v = window.zenrunViewer; return v && v.drawnAt;")
        if drawn:
            return drawn
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}: graph not drawn")
        time.sleep(0.02)


EXPAND = """
    const done = arguments[arguments.length - 1];
    const before = window.zenrunViewer.laidOut, started = performance.now();
    window.cy.$id('group:work').emit('tap');
    const poll = setInterval(() => {
      if (window.zenrunViewer.laidOut !== before) {
        clearInterval(poll);
        const placed = performance.now() - started;  // the members placed, the view centred
        const v = window.zenrunViewer;
        // ... and the frame that draws them.
        requestAnimationFrame(() => setTimeout(() => done([placed, performance.now() - started,
          v.changeAt - started, v.changedAt - started, v.drawnAt - v.afterLayoutMs - started]), 0));
      }
    }, 5);
"""


FLOOR = """
    // Cytoscape.js alone, no Dash: a new graph of the drawn elements (positions included) in a
    // container of the same size, the same stylesheet, preset positions: created, then painted.
    const done = arguments[arguments.length - 1];
    const cy = window.cy, box = document.createElement('div');
    box.style.width = cy.width() + 'px'; box.style.height = cy.height() + 'px';
    document.body.appendChild(box);
    const elements = cy.elements().jsons(), style = cy.style().json();
    const zoom = cy.zoom(), pan = cy.pan();
    setTimeout(() => {
      const started = performance.now();
      const fresh = new cy.constructor({container: box, elements: elements, style: style,
        layout: {name: 'preset'}, zoom: zoom, pan: pan});
      requestAnimationFrame(() => setTimeout(() => {
        const ms = performance.now() - started;
        fresh.destroy(); box.remove();
        done([ms, elements.length]);
      }, 0));
    }, 200);
"""


MOVED = """
    const nodes = window.cy.nodes().filter(n => !n.isParent() && !n.hasClass('bend'));
    const out = {};
    nodes.forEach(n => { out[n.id()] = n.position(); });
    return out;
"""


def _moved(before: dict, after: dict) -> float:
    """The largest distance a node drawn before and after an expansion moved."""
    shared = [k for k in before if k in after]
    return max(
        (abs(before[k]["x"] - after[k]["x"]) + abs(before[k]["y"] - after[k]["y"]) for k in shared), default=0
    )


def _sides(against: Path | None) -> list[tuple[str, Path | None]]:
    return [("this", None)] + ([("against", against)] if against else [])


def _figures(values: list[float]) -> dict:
    return {"best_ms": min(values), "median_ms": statistics.median(values)}


COMPARE_DRAWN = """
    const done = arguments[arguments.length - 1];
    const poll = () => {
      const rows = document.querySelectorAll('#compare-table tr td').length;
      // plotly's drawing (before), or the SVG in the chart's frame
      const frame = document.querySelector('#compare-graph iframe');
      const chart = document.querySelector('#compare-graph .main-svg')
        || (frame && frame.contentDocument && frame.contentDocument.querySelector('svg'));
      if (rows && chart && document.querySelector('#compare-best')?.textContent) {
        done(performance.now());
      } else { requestAnimationFrame(poll); }
    };
    poll();"""


def compare_page(repeat: int, driver, against: Path | None = None) -> dict:
    """First paint of the compare page of a 12-item grid: its table filled and its chart drawn."""
    with tempfile.TemporaryDirectory(prefix="zenrun-viewer-compare-") as tmp:
        project = Path(tmp)
        (project / "zenrun.toml").write_text('[tool.zenrun]\nobjective = "accuracy"\n')
        (project / "pipeline_grid.py").write_text(textwrap.dedent(GRID))
        assert _zenrun(project, "-q") == 0
        servers = {side: _serve(project, checkout) for side, checkout in _sides(against)}
        try:
            figures: dict[str, list[float]] = {side: [] for side in servers}
            cold = {}
            for k in range(repeat + 1):  # interleaved: a busy moment slows both
                for side, (_, url) in servers.items():
                    driver.get(url + "compare?pipeline=grid")
                    ms = driver.execute_async_script(COMPARE_DRAWN)
                    if k == 0:
                        cold[side] = ms
                    else:
                        figures[side].append(ms)
            return {side: {"cold_ms": cold[side], **_figures(figures[side])} for side in servers}
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(10)


def measure(
    steps: int,
    repeat: int,
    driver,
    screenshots: Path | None,
    chain: bool = False,
    mixed: bool = False,
    against: Path | None = None,
) -> dict:
    """First paint (and, for a fan-out, expanding its group) by each side, interleaved."""
    with tempfile.TemporaryDirectory(prefix="zenrun-viewer-bench-") as tmp:
        project = Path(tmp)
        (project / "zenrun.toml").write_text("")
        (project / "pipeline_bench.py").write_text(textwrap.dedent(FAN))
        env = {"FAN_N": str(steps)}
        if chain or mixed:
            assert _zenrun(project, "-q", "-k", "chain" if chain else "mixed", **env) == 0
        else:
            assert _zenrun(project, "-q", "-k", "fan", **env) == 0
            assert _zenrun(project, "-q", "-k", "fan", FAN_FAIL="7", **env) == 1
        servers = {side: _serve(project, checkout) for side, checkout in _sides(against)}
        try:
            results: dict[str, dict] = {}
            drawn: dict[str, list[float]] = {side: [] for side in servers}
            expand: dict[str, list[tuple[float, float]]] = {side: [] for side in servers}
            moved: dict[str, float] = dict.fromkeys(servers, 0.0)
            floor: list[float] = []  # cytoscape.js alone painting what the page drew
            floor_expanded: list[float] = []
            for side, (_, url) in servers.items():
                # The server reads the run; the browser caches the scripts.
                results[side] = {"steps": steps, "cold_ms": _drawn_ms(driver, url)}
            for _ in range(repeat):
                for side, (_, url) in servers.items():
                    drawn[side].append(_drawn_ms(driver, url))
                    results[side]["nodes"] = driver.execute_script("return window.cy.nodes().length;")
                    if side == "this":
                        floor.append(driver.execute_async_script(FLOOR)[0])
                    if chain or mixed:
                        continue
                    time.sleep(1.0)  # what follows the first paint (the sidebar tree) is done
                    before = driver.execute_script(MOVED)
                    expand[side].append(tuple(driver.execute_async_script(EXPAND)))
                    if side == "this":
                        floor_expanded.append(driver.execute_async_script(FLOOR)[0])
                    moved[side] = max(moved[side], _moved(before, driver.execute_script(MOVED)))
                    results[side]["expanded_nodes"] = driver.execute_script(
                        "return window.cy.nodes().length;"
                    )
                    if screenshots and side == "this" and steps == 1000:
                        time.sleep(0.3)
                        driver.save_screenshot(str(screenshots / "fanout-1000-expanded.png"))
            results["this"]["floor_ms"] = statistics.median(floor)
            if floor_expanded:
                results["this"]["floor_expanded_ms"] = statistics.median(floor_expanded)
            for side in servers:
                results[side].update(_figures(drawn[side]))
                if expand[side]:
                    placed = [e[0] for e in expand[side]]
                    painted = [e[1] for e in expand[side]]
                    results[side].update(
                        expand_ms=statistics.median(painted),
                        expand_best_ms=min(painted),
                        expand_placed_ms=statistics.median(placed),
                        # where the time goes (medians, ms since the click): the server's
                        # answer, placing it, the graph component and cytoscape adding it
                        expand_phases=[
                            round(statistics.median(e[k] for e in expand[side]))
                            for k in range(2, 5)
                            if all(len(e) > k and e[k] is not None for e in expand[side])
                        ],
                        moved_px=moved[side],
                    )
            return results
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(10)


def live_traffic(steps: int, driver) -> dict:
    """Bytes the browser receives per second while it shows a running ``steps``-step chain."""
    with tempfile.TemporaryDirectory(prefix="zenrun-viewer-live-") as tmp:
        project = Path(tmp)
        (project / "zenrun.toml").write_text("")
        (project / "pipeline_bench.py").write_text(textwrap.dedent(FAN))
        assert _zenrun(project, "-q", "-k", "chain", FAN_N="2") == 0  # an empty page is not measured
        proc, url = _serve(project)
        run = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "-q", "-k", "live"],
            cwd=project,
            env={**os.environ, "FAN_N": str(steps)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)  # the run is recorded
            driver.get(url)
            while not driver.execute_script("const v = window.zenrunViewer; return v && v.drawnAt;"):
                time.sleep(0.05)
            driver.execute_script("performance.clearResourceTimings(); window.zenrunT0 = performance.now();")
            run.wait(600)
            time.sleep(2.5)  # the last refresh
            sent, seconds, requests = driver.execute_script("""
                const updates = performance.getEntriesByType('resource')
                    .filter(e => e.name.includes('_dash-update-component'));
                return [updates.reduce((n, e) => n + e.transferSize, 0),
                        (performance.now() - window.zenrunT0) / 1000, updates.length];""")
            return {"steps": steps, "bytes_per_s": sent / seconds, "seconds": seconds, "requests": requests}
        finally:
            run.kill()
            run.wait(10)
            proc.terminate()
            proc.wait(10)


def picker(n_runs: int) -> dict:
    """The run picker's queries on a store of ``n_runs`` runs (recorded through the store API)."""
    from zenrun.metadata.records import PipelineRun
    from zenrun.metadata.sqlite import SqliteMetadataStore
    from zenrun_dash.source import RunSource

    with tempfile.TemporaryDirectory(prefix="zenrun-viewer-runs-") as tmp:
        store = SqliteMetadataStore(Path(tmp) / "metadata.db")
        graph = {f"step_{i}": [f"step_{i - 1}"] if i else [] for i in range(200)}
        for k in range(n_runs):
            run = PipelineRun(
                name=f"grid-{k:05d}",
                pipeline_name="grid",
                started=time.time(),
                item_id=f"pipeline_grid.py::grid[{k}]",
                graph=graph,
            )
            store.create_run(run)
            run.status, run.finished = ("failed" if k % 7 == 0 else "completed"), time.time()
            store.finish_run(run)

        class Config:
            metadata_store = store

        source = RunSource(Config())
        figures = {}
        for label, call in (
            ("newest page", lambda: source.page()),
            ("last page", lambda: source.page(offset=n_runs - 50)),
            ("search 'grid[123] failed'", lambda: source.page("grid[123] failed")),
            ("newest run", source.newest),
        ):
            started = time.perf_counter()
            for _ in range(10):
                call()
            figures[label] = (time.perf_counter() - started) / 10 * 1000
        store.close()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, nargs="*", default=[200, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, default=None, help="save 1,000-step screenshots here")
    parser.add_argument("--runs", type=int, default=3000, help="runs in the store of the picker figures")
    parser.add_argument("--live", type=int, default=500, help="steps of the running chain (0: skip)")
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="another source tree (e.g. `git archive main | tar -x -C DIR`) measured interleaved with this one",
    )
    parser.add_argument("--only", nargs="*", default=None, help="fan, chain, mixed, compare (default: all)")
    args = parser.parse_args()
    only = set(args.only or ["fan", "chain", "mixed", "compare", "picker"])
    if "picker" in only:
        for label, ms in picker(args.runs).items():
            print(f"run picker, {args.runs:,} runs of 200 steps: {label}: {ms:.1f} ms")
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    driver = _browser()
    rows: list[dict] = []
    grid = None
    live = None
    try:
        if "fan" in only:
            rows += [
                measure(n, args.repeat, driver, args.screenshots, against=args.against) for n in args.steps
            ]
        if "chain" in only:
            rows.append(
                {
                    side: {**r, "steps": "chain 200"}
                    for side, r in measure(
                        200, args.repeat, driver, None, chain=True, against=args.against
                    ).items()
                }
            )
        if "mixed" in only:
            rows.append(
                {
                    side: {**r, "steps": "mixed 200"}
                    for side, r in measure(
                        200, args.repeat, driver, None, mixed=True, against=args.against
                    ).items()
                }
            )
        if "compare" in only:
            grid = compare_page(args.repeat, driver, args.against)
        live = live_traffic(args.live, driver) if args.live and "fan" in only else None
    finally:
        driver.quit()
    print(
        f"{'side':>8} {'steps':>10} {'nodes':>6} {'first load':>11} {'then best':>10} {'median':>8} "
        f"{'target':>7} {'expand':>8} {'best':>7} {'moved':>6}"
    )
    for sides in rows:
        for side, row in sides.items():
            target = TARGETS_MS.get(row["steps"])
            expand = f"{row['expand_ms'] / 1000:.2f} s" if "expand_ms" in row else "-"
            best = f"{row['expand_best_ms'] / 1000:.2f} s" if "expand_best_ms" in row else "-"
            moved = f"{row['moved_px']:.0f}px" if "moved_px" in row else "-"
            print(
                f"{side:>8} {row['steps']:>10} {row['nodes']:>6} {row['cold_ms'] / 1000:>9.2f} s "
                f"{row['best_ms'] / 1000:>8.2f} s {row['median_ms'] / 1000:>6.2f} s "
                f"{(f'{target / 1000:.0f} s' if target else '-'):>7} {expand:>8} {best:>7} {moved:>6}"
            )
    for sides in rows:
        for side, row in sides.items():
            if len(row.get("expand_phases", [])) == 3:
                answer, placed, added = row["expand_phases"]
                print(
                    f"{side:>8} {row['steps']:>10} expand: the server's change in {answer} ms, placed by "
                    f"{placed} ms, added by the graph component and cytoscape by {added} ms"
                )
    for side, figures in (grid or {}).items():
        print(
            f"{side:>8} compare page, 12-item grid: first load {figures['cold_ms'] / 1000:.2f} s, then best "
            f"{figures['best_ms'] / 1000:.2f} s, median {figures['median_ms'] / 1000:.2f} s (target 1 s)"
        )
    for sides in rows:
        row = sides["this"]
        expanded = (
            f", expanded ({row['expanded_nodes']:,} nodes) {row['floor_expanded_ms'] / 1000:.2f} s"
            if "floor_expanded_ms" in row
            else ""
        )
        print(
            f"cytoscape.js alone (no Dash), {row['steps']} steps, creating and painting the same elements: "
            f"{row['floor_ms'] / 1000:.2f} s{expanded}"
        )
    if live:
        print(
            f"live refresh of a running {live['steps']}-step chain: {live['bytes_per_s'] / 1024:.1f} KB/s "
            f"received over {live['seconds']:.1f} s ({live['requests']} callback responses)"
        )


if __name__ == "__main__":
    main()
