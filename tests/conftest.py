"""Shared test setup: the ``zenrunner`` fixture comes from ``zenrun.testing`` (a pytest11 plugin)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the zenrun processes the tests start, however the suite was started.

    A shell starts a background command (``cmd &`` in a script, ``nohup``) with SIGINT
    ignored, every process inherits that, and Python installs no KeyboardInterrupt handler
    where SIGINT was ignored at start-up: the tests that press Ctrl-C would see a zenrun that
    rightly ignores it. A handler of our own is reset to the default in the processes we start.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not hasattr(config, "workerinput"):  # once, in pytest-xdist's controller (or -n 0)
        _compile_zenrun()


def _compile_zenrun() -> None:
    """zenrun's own modules and the shipped plugins' compiled to ``__pycache__`` once.

    The zenrun processes the tests start run with ``PYTHONDONTWRITEBYTECODE=1`` (zenrunner's
    environment: a project edited within a second must not be imported from a stale .pyc),
    and so may the suite itself: then no process writes zenrun's bytecode, and every zenrun
    process a test starts compiled the modules it imports from source again (about a second
    of each run on a loaded 2-core machine: 0.3 s instead of 1.3 s for ``zenrun --help``).
    This writes what Python itself writes when it may: the same code runs, and a module
    edited later is compiled again as always (its .pyc records the source's mtime and
    size). A read-only checkout is left as it is.
    """
    import compileall
    import importlib.util

    for name in ("zenrun", "zenrun_dask", "zenrun_dash", "zenrun_mlflow", "zenrun_postgres"):
        spec = importlib.util.find_spec(name)  # found, not imported (zenrun_dash imports dash)
        for directory in (spec.submodule_search_locations or []) if spec else []:
            try:
                compileall.compile_dir(directory, quiet=2)
            except OSError:
                pass


@pytest.fixture(autouse=True)
def _not_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs the same on a developer's machine and under CI: zenrun, like pytest,
    prints whole short-summary messages when ``$CI`` or ``$BUILD_NUMBER`` is set, so a test
    that wants that sets it itself."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)


@pytest.fixture
def run_on_a_terminal(zenrunner: Any) -> Callable[..., tuple[int, str, float]]:
    """``run_on_a_terminal(*args)``: zenrun with a pseudo-terminal as stdout and stderr,
    returning ``(exit code, output, seconds)``; the process is killed if it outlives the test.
    Colours are off (``NO_COLOR``) unless ``colors=True``: the tests read the text."""

    def run(*args: str, colors: bool = False) -> tuple[int, str, float]:
        leader, follower = pty.openpty()
        started = time.perf_counter()
        env = zenrunner.env()
        for name in ("NO_COLOR", "PY_COLORS", "FORCE_COLOR"):
            env.pop(name, None)
        if not colors:
            env["NO_COLOR"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", *args],
            cwd=zenrunner.path,
            env=env,
            stdout=follower,
            stderr=follower,
            stdin=subprocess.DEVNULL,
        )
        os.close(follower)
        chunks = []
        try:
            while True:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal closed: the process ended
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(leader)
        return proc.returncode, b"".join(chunks).decode(), time.perf_counter() - started

    return run


@pytest.fixture(scope="module")
def cluster():
    """One real LocalCluster for the module (starting one costs seconds); closed afterwards."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield local
    finally:
        local.close()


@pytest.fixture
def s3_server(monkeypatch):
    """A real S3 API (moto's server) on 127.0.0.1 with a fresh bucket; stopped afterwards."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "FSSPEC_S3_ENDPOINT_URL": endpoint,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="testing", secret="testing")
        bucket = f"zenrun-{uuid.uuid4().hex[:8]}"
        fs.mkdir(bucket)
        yield {"endpoint": endpoint, "bucket": bucket, "env": env, "fs": fs}
    finally:
        server.stop()
