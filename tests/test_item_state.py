"""What fixtures set for an item reaches its steps wherever they run: local, -n workers, Dask."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def cluster():
    """One real LocalCluster for the module; closed afterwards."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield local
    finally:
        local.close()


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
