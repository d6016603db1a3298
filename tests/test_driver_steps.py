"""-n: steps the store has seen finish quickly run in the driver; a step never seen, or
known to be slow, goes to a worker; --driver-budget 0 sends every step to a worker."""

from __future__ import annotations

import json
import textwrap

PIPELINE = """
    import os, time
    import relayed_pkg  # an installed package: the zygote imports it only for a worker

    with open(os.environ["IMPORT_LOG"], "a") as fh:  # who imported the project module
        fh.write(f"project {os.getpid()}\\n")

    from zenrun import pipeline, step

    @step(enable_cache=False)
    def where(n: int) -> list:
        time.sleep(float(os.environ.get("NAP", "0")))
        return [os.getpid(), n * 2]

    @pipeline
    def places():
        where(21)
"""

PACKAGE = """
    import os
    with open(os.environ["IMPORT_LOG"], "a") as fh:
        fh.write(f"relayed_pkg {os.getpid()}\\n")
"""

READ = """
    import json
    from zenrun import get_pipeline
    print(json.dumps(get_pipeline("places").last_run.steps["where"].output.read()))
"""


def _project(zenrunner, tmp_path):
    site = tmp_path / "libs" / "site-packages"
    (site / "relayed_pkg").mkdir(parents=True)
    (site / "relayed_pkg" / "__init__.py").write_text(textwrap.dedent(PACKAGE))
    log = tmp_path / "imports.log"
    log.write_text("")
    zenrunner.makepyfile(pipeline_places=PIPELINE)
    return log, {"IMPORT_LOG": str(log), "PYTHONPATH": str(site)}


def _session(zenrunner, log, env, *args):
    """Run ``-n 2 *args``; returns (the step's pid and value, who imported what in it)."""
    before = len(log.read_text().splitlines())
    result = zenrunner.run("-n", "2", *args, env=env)
    assert result.ret == 0, result.stdout + result.stderr
    imports = [line.split() for line in log.read_text().splitlines()[before:]]
    pid, value = json.loads(zenrunner.runpython(READ, env=env).outlines[-1])
    return pid, value, imports


def test_a_step_seen_finishing_quickly_runs_in_the_driver(zenrunner, tmp_path):
    log, env = _project(zenrunner, tmp_path)
    # Never seen: a worker runs it, forked from a zygote forked after collection, which has
    # the installed package already; the project's module the worker imports itself.
    pid, value, imports = _session(zenrunner, log, env)
    assert value == 42
    importers = {p for name, p in imports if name == "project"}
    assert len(importers) == 2 and str(pid) in importers  # the driver and the worker
    assert [p for name, p in imports if name == "relayed_pkg"] == list(importers - {str(pid)})
    # Seen finishing in a few milliseconds: the driver runs it; no worker, no import.
    pid, value, imports = _session(zenrunner, log, env)
    assert value == 42
    assert imports == [["relayed_pkg", str(pid)], ["project", str(pid)]]
    # --driver-budget 0: every step in a worker again.
    pid, value, imports = _session(zenrunner, log, env, "--driver-budget", "0")
    assert value == 42
    driver = next(p for name, p in imports if name == "project")
    assert str(pid) != driver
    assert [p for name, p in imports if name == "relayed_pkg"] == [driver]


def test_a_step_known_to_take_longer_than_the_budget_goes_to_a_worker(zenrunner, tmp_path):
    log, env = _project(zenrunner, tmp_path)
    env["NAP"] = "0.3"
    for _ in range(2):  # the second session knows the step takes 0.3 s, over the budget
        pid, value, imports = _session(zenrunner, log, env, "--driver-budget", "0.1")
        assert value == 42
        driver = next(p for name, p in imports if name == "project")
        assert str(pid) != driver
    # Within the budget, it runs in the driver.
    pid, value, imports = _session(zenrunner, log, env, "--driver-budget", "5")
    assert imports[-1] == ["project", str(pid)] and len(imports) == 2


def test_the_driver_budget_must_be_a_number_of_seconds(zenrunner):
    zenrunner.makepyfile(pipeline_x="from zenrun import pipeline\n@pipeline\ndef x():\n    pass\n")
    result = zenrunner.run("-n", "2", "--driver-budget", "soon")
    assert result.ret != 0
    assert "--driver-budget: expects a number of seconds, not 'soon'" in result.stderr


GRID = """
    import os, time
    import zenrun
    from zenrun import pipeline, step

    with open(os.environ["IMPORT_LOG"], "a") as fh:
        fh.write(f"project {os.getpid()}\\n")

    @step(enable_cache=False)
    def cell(c: int) -> list:
        time.sleep(0.3)
        return [os.getpid(), c * c]

    @zenrun.mark.parametrize("c", [1, 2, 3, 4])
    @pipeline
    def grid(c):
        cell(c)
"""

GRID_READ = """
    import json
    from zenrun.testing import read_store
    runs = read_store(".zenrun").get_runs()[-4:]
    print(json.dumps([r.steps["cell"].output.read() for r in runs]))
"""


def test_the_cells_of_a_grid_of_known_steps_still_go_to_workers(zenrunner, tmp_path):
    """Two 0.3 s cells ready at once: over half the budget (1 s), so workers run them."""
    log = tmp_path / "imports.log"
    log.write_text("")
    env = {"IMPORT_LOG": str(log)}
    zenrunner.makepyfile(pipeline_grid=GRID)
    for _ in range(2):  # the second session knows the cells take 0.3 s each
        before = len(log.read_text().splitlines())
        result = zenrunner.run("-n", "2", "--driver-budget", "1", env=env)
        assert result.ret == 0, result.stdout + result.stderr
        driver = log.read_text().splitlines()[before].split()[1]
        cells = json.loads(zenrunner.runpython(GRID_READ, env=env).outlines[-1])
        assert sorted(v for _, v in cells) == [1, 4, 9, 16]
        assert driver not in {str(pid) for pid, _ in cells}
