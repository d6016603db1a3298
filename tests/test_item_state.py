"""What fixtures set for an item reaches its steps wherever they run: local, -n workers, Dask."""

from __future__ import annotations

import contextlib
import sys

import pytest

from zenrun.testing import read_store

MODULE = """
import os
import zenrun
from zenrun import pipeline, step

@zenrun.fixture(scope="module", autouse=True)
def mode():
    os.environ["MODE"] = "{mode}"
    os.environ.pop("ZENRUN_TEST_UNSET", None)
    yield
    os.environ.pop("MODE", None)

@step(enable_cache=False)
def read_mode(tag: str) -> str:
    return tag + ":" + os.environ.get("MODE", "?") + ":" + os.environ.get("ZENRUN_TEST_UNSET", "unset")

@pipeline
def p_{mode}():
    read_mode("{mode}")
"""


@contextlib.contextmanager
def _project_importable_on_dask_workers(cluster, path):
    """As on a real cluster where workers have the project's code: its modules import there."""
    from distributed import Client

    def add(p):
        sys.path.insert(0, p)

    def remove(p):
        while p in sys.path:
            sys.path.remove(p)

    with Client(cluster) as client:
        client.run(add, str(path))
        add(str(path))  # the scheduler, in this process, unpickles task graphs too
        try:
            yield
        finally:
            remove(str(path))
            client.run(remove, str(path))


def _values(zenrunner, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))  # where output.read() looks
    runs = read_store(zenrunner.store).get_runs()
    return {run.pipeline_name: run.steps["read_mode"].output.read() for run in runs}


@pytest.mark.parametrize("where", ["local", "workers", "dask"])
def test_environment_set_by_module_fixtures_reaches_each_items_steps(zenrunner, monkeypatch, where, request):
    for mode in ("a", "b", "c"):
        zenrunner.makepyfile(**{f"pipeline_{mode}": MODULE.replace("{mode}", mode)})
    args = {"local": [], "workers": ["-n", "2"]}.get(where)
    if args is None:
        args = [
            "--orchestrator",
            "dask",
            "--dask-address",
            request.getfixturevalue("cluster").scheduler_address,
        ]
    result = zenrunner.run(*args, env={"ZENRUN_TEST_UNSET": "set-at-start"})
    assert result.ret == 0, result.stdout + result.stderr
    assert _values(zenrunner, monkeypatch) == {"p_a": "a:a:unset", "p_b": "b:b:unset", "p_c": "c:c:unset"}


GLOBAL_SET_BY_FIXTURE = {
    "hglob.py": "FACTOR = 2\n",
    "conftest.py": """
import zenrun
import hglob

@zenrun.fixture(scope="session", autouse=True)
def factor():
    hglob.FACTOR = 7
""",
    "pipeline_scaled.py": """
import hglob
from zenrun import pipeline, step

@step
def scale(x: int) -> int:
    return x * hglob.FACTOR

@pipeline
def scaled():
    scale(10)
""",
}


@pytest.mark.parametrize("where", ["local", "workers", "dask"])
def test_a_module_constant_set_by_a_fixture_never_gives_a_value_under_another_key(
    zenrunner, monkeypatch, where, request
):
    for name, source in GLOBAL_SET_BY_FIXTURE.items():
        (zenrunner.path / name).write_text(source)
    args = {"local": [], "workers": ["-n", "2"]}.get(where)
    if args is None:
        args = [
            "--orchestrator",
            "dask",
            "--dask-address",
            request.getfixturevalue("cluster").scheduler_address,
        ]
        with _project_importable_on_dask_workers(request.getfixturevalue("cluster"), zenrunner.path):
            result = zenrunner.run(*args)
    else:
        result = zenrunner.run(*args)
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    run = read_store(zenrunner.store).get_runs()[-1]
    step = run.steps["scale"]
    if step.status == "completed":  # the step saw the fixture's value (the code travelled by value)
        assert result.ret == 0
        assert step.output.read() == 70
    else:  # or it refused to compute under a key made from a value it does not see
        assert result.ret == 1
        assert step.status == "failed"
        assert "reads hglob.FACTOR, whose value in this worker process" in step.error
        result.fnmatch_lines(["*reads hglob.FACTOR, whose value in this worker process*"])
    # whatever happened there, a local run never serves a value computed with FACTOR = 2
    again = zenrunner.run()
    assert again.ret == 0
    assert read_store(zenrunner.store).get_runs()[-1].steps["scale"].output.read() == 70


SEEDED_BY_FIXTURES = {
    "conftest.py": """
import random

import numpy as np
import zenrun

@zenrun.fixture(scope="session", autouse=True)
def seeded():
    random.seed(1234)
    np.random.seed(1234)
""",
    "pipeline_draws.py": """
import random

import numpy as np
from zenrun import pipeline, step

@step
def first() -> list:
    return [random.random(), float(np.random.rand())]

@step
def second(before: list) -> list:
    return before + [random.randint(0, 10**9), float(np.random.normal())]

@pipeline
def draws():
    second(first())
""",
}


def _seeded_draws() -> dict[str, list]:
    """What each step draws when it starts from the fixture's seeds, as a script would."""
    import random

    import numpy as np

    py, legacy = random.Random(1234), np.random.RandomState(1234)
    first = [py.random(), float(legacy.rand())]
    py, legacy = random.Random(1234), np.random.RandomState(1234)
    return {"first": first, "second": [*first, py.randint(0, 10**9), float(legacy.normal())]}


@pytest.mark.parametrize("where", ["local", "workers", "dask"])
def test_random_generators_seeded_by_a_fixture_give_the_same_values_everywhere(
    zenrunner, monkeypatch, where, request
):
    for name, source in SEEDED_BY_FIXTURES.items():
        (zenrunner.path / name).write_text(source)
    args = {"local": [], "workers": ["-n", "2"]}.get(where)
    if args is None:
        args = [
            "--orchestrator",
            "dask",
            "--dask-address",
            request.getfixturevalue("cluster").scheduler_address,
        ]
    result = zenrunner.run(*args)
    assert result.ret == 0, result.stdout + result.stderr
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    expected = _seeded_draws()
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {name: run.steps[name].output.read() for name in expected} == expected
    assert {run.steps[name].status for name in expected} == {"completed"}
    # a local run serves what the first run cached, and it is what a local run computes
    again = zenrunner.run()
    assert again.ret == 0, again.stdout + again.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {name: run.steps[name].status for name in expected} == {"first": "cached", "second": "cached"}
    assert {name: run.steps[name].output.read() for name in expected} == expected
    # and a local run computing them afresh agrees
    fresh = zenrunner.run("--no-cache")
    assert fresh.ret == 0, fresh.stdout + fresh.stderr
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {name: run.steps[name].output.read() for name in expected} == expected


def test_a_new_seed_in_a_fixture_is_a_miss_with_the_values_of_the_new_seed(zenrunner, monkeypatch):
    """The seeded state is an input of every step: a fixture seeding 4321 instead of 1234
    is never served what 1234 drew."""
    for name, source in SEEDED_BY_FIXTURES.items():
        (zenrunner.path / name).write_text(source)
    first = zenrunner.run()
    assert first.ret == 0, first.stdout + first.stderr
    conftest = zenrunner.path / "conftest.py"
    conftest.write_text(conftest.read_text().replace("1234", "4321"))
    again = zenrunner.run("-v")
    assert again.ret == 0, again.stdout + again.stderr
    again.fnmatch_lines(["*first*cache miss*state of the random generators*"])
    monkeypatch.setenv("ZENRUN_STORE", str(zenrunner.store))
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {run.steps[name].status for name in ("first", "second")} == {"completed"}
    import random

    import numpy as np

    py, legacy = random.Random(4321), np.random.RandomState(4321)
    assert run.steps["first"].output.read() == [py.random(), float(legacy.rand())]
    # and the same seed again is a hit
    third = zenrunner.run()
    assert third.ret == 0
    run = read_store(zenrunner.store).get_runs()[-1]
    assert {run.steps[name].status for name in ("first", "second")} == {"cached"}
