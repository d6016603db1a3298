"""Shared test setup: the ``zenrunner`` fixture comes from ``zenrun.testing`` (a pytest11 plugin)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def run_on_a_terminal(zenrunner: Any) -> Callable[..., tuple[int, str, float]]:
    """``run_on_a_terminal(*args)``: zenrun with a pseudo-terminal as stdout and stderr,
    returning ``(exit code, output, seconds)``; the process is killed if it outlives the test."""

    def run(*args: str) -> tuple[int, str, float]:
        leader, follower = pty.openpty()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", *args],
            cwd=zenrunner.path,
            env=zenrunner.env(),
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
