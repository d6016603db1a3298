"""Faults that must end clearly: bounded in time, one line naming what failed, the run recorded.

Everything runs on loopback: a real S3 API (moto's server) behind a
fault-injecting proxy, a real ``mlflow server``, a real ``dask scheduler``.
Each fault is asserted on exit status, messages and store records; the
timeouts are generous (the machine may be loaded) and never the point.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zenrun.testing import read_store

# -- a fault-injecting TCP proxy ---------------------------------------------------------------


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream``; :meth:`set_mode` picks the fault.

    ``forward``: pass bytes both ways. ``error``: answer every HTTP request with
    ``503 Service Unavailable``. ``reset``: reset each connection as it is accepted.
    ``hang``: accept, read, never answer. ``down``: nothing listens (connections are
    refused, as when the endpoint was killed); any other mode listens again, on the
    same port. Changing the mode resets the connections already open, so a client's
    pooled connection cannot escape the new fault.
    """

    MODES = ("forward", "error", "reset", "hang", "down")

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "forward"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._listen()
        self.url = f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in self.MODES, mode
        with self._lock:
            self.mode = mode
            sockets, self._open = self._open, set()
        for sock in sockets:
            _reset(sock)
        if mode == "down":
            self._unlisten()
        elif self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._stopping.set()
        self._unlisten()
        self.set_mode("hang")  # resets what is still open; the listener stays closed
        self._unlisten()

    # -- internals
    def _listen(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()

    def _unlisten(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _serve(self, listener: socket.socket) -> None:
        while not self._stopping.is_set() and self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            with self._lock:
                mode = self.mode
                self._open.add(client)
            threading.Thread(target=self._handle, args=(client, mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        if mode == "reset":
            _reset(client)
        elif mode == "hang":
            try:
                while not self._stopping.is_set() and client.recv(65536):
                    pass
            except OSError:
                pass
            client.close()
        elif mode == "error":
            try:
                client.settimeout(10)
                method = _read_request(client)
                body = b"<Error><Code>ServiceUnavailable</Code><Message>injected fault</Message></Error>"
                head = (
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                )
                client.sendall(head if method == b"HEAD" else head + body)
            except OSError:
                pass
            client.close()
        else:
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.add(upstream)

        def pump(source: socket.socket, target: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    target.sendall(data)
            except OSError:
                pass
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)


def _read_request(sock: socket.socket) -> bytes:
    """Read one HTTP request (head and Content-Length body); returns its method."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b" ", 1)[0]


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (linger 0), as a crashed peer or a middlebox does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


# -- object storage ----------------------------------------------------------------------------


@pytest.fixture
def faulty_s3() -> Iterator[dict[str, Any]]:
    """moto's S3 server on 127.0.0.1 with a fresh bucket, reached through a :class:`FaultProxy`."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    proxy = None
    try:
        host, port = server.get_host_and_port()
        import s3fs

        bucket = f"zenrun-{uuid.uuid4().hex[:8]}"
        direct = s3fs.S3FileSystem(
            endpoint_url=f"http://{host}:{port}", key="testing", secret="testing", skip_instance_cache=True
        )
        direct.mkdir(bucket)
        proxy = FaultProxy((host, port))
        # Only what the README documents: botocore's own environment variables.
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": proxy.url,
        }
        yield {"proxy": proxy, "bucket": bucket, "env": env, "url": f"s3://{bucket}/artifacts"}
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()


GATED = """
    import os
    import time
    from pathlib import Path

    import numpy as np
    from zenrun import pipeline, step


    @step
    def make() -> np.ndarray:
        return np.arange(5)


    @step
    def total(x: np.ndarray) -> int:
        gate = os.environ.get("FAULT_GATE")
        if gate:  # the test breaks the store while this step runs, then opens the gate
            Path(gate + ".waiting").touch()
            while not Path(gate).exists():
                time.sleep(0.05)
        return int(x.sum())


    @step
    def plus_one(t: int) -> int:
        return t + 1


    @pipeline
    def remote():
        plus_one(total(make()))
"""


def _run_with_gate(zenrunner: Any, tmp_path: Path, fault: Any, *args: str, env: dict[str, str]) -> Any:
    """Run zenrun; when step ``total`` is running, call ``fault()`` and let the step return."""
    gate = tmp_path / f"gate-{uuid.uuid4().hex[:6]}"
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = zenrunner.run(*args, env={**env, "FAULT_GATE": str(gate)}, timeout=240)
        except BaseException as exc:  # reported by the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + 240
        while not Path(f"{gate}.waiting").exists() and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if thread.is_alive():
            fault()
    finally:
        gate.touch()
        thread.join(300)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _assert_one_clear_line(result: Any, *needles: str) -> str:
    output = result.stdout + result.stderr
    assert result.ret == 1, output
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("FAILED ")]
    assert len(lines) == 1, output
    for needle in needles:
        assert needle in lines[0], output
    return lines[0]


@pytest.mark.parametrize(
    ("fault", "args"),
    [
        ("error", ()),
        ("reset", ("-n", "2")),
        ("hang", ()),
        ("down", ("-n", "2", "--dist", "threads")),
    ],
)
def test_s3_fault_fails_the_step_in_bounded_time_and_the_next_run_reuses_what_completed(
    zenrunner: Any, faulty_s3: dict[str, Any], tmp_path: Path, fault: str, args: tuple[str, ...]
) -> None:
    """A store that errors, resets, never answers or is gone: the step fails, with one line."""
    zenrunner.makepyfile(pipeline_remote=GATED)
    proxy, env, url = faulty_s3["proxy"], faulty_s3["env"], faulty_s3["url"]
    env = {**env, "CI": "true"}  # the short summary keeps the whole message (as pytest on CI)
    base = ("--artifact-store", url, "--artifact-store-timeout", "2", *args)

    # 1. The store breaks while `total` runs: its output cannot be written.
    broken = _run_with_gate(zenrunner, tmp_path, lambda: proxy.set_mode(fault), *base, env=env)
    line = _assert_one_clear_line(broken, f"step 'total': artifact store {url}: could not ", url + "/")
    assert "(timeout 2s, 2 retries)" in line
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.status == "failed"
    statuses = {i: (s.status, (s.error or "").strip()) for i, s in run.steps.items()}
    assert statuses["make"] == ("completed", "")
    assert statuses["total"][0] == "failed" and statuses["total"][1].startswith(f"artifact store {url}")
    assert len(statuses["total"][1].splitlines()) == 1
    assert statuses["plus_one"][0] == "skipped"

    # 2. The store is back: what completed is reused, the rest runs.
    proxy.set_mode("forward")
    recovered = zenrunner.run(*base, "-v", env=env, timeout=240)
    assert recovered.ret == 0, recovered.stdout + recovered.stderr
    recovered.fnmatch_lines(["*Using cached version of make.*"])
    assert "Using cached version of total" not in recovered.stdout

    # 3. Every step cached, and the store fails at the first lookup: that step fails.
    proxy.set_mode(fault)
    cached = zenrunner.run(*base, env=env, timeout=240)
    _assert_one_clear_line(cached, f"step 'make': artifact store {url}: could not look up {url}/")
    statuses = {i: s.status for i, s in read_store(zenrunner.store).get_runs()[-1].steps.items()}
    assert statuses == {"make": "failed", "total": "skipped", "plus_one": "skipped"}

    # 4. Back again: all three from the cache, nothing lost.
    proxy.set_mode("forward")
    again = zenrunner.run(*base, env=env, timeout=240)
    assert again.ret == 0, again.stdout + again.stderr
    assert read_store(zenrunner.store).get_runs()[-1].n_cached == 3


def test_artifact_store_bounds_are_validated_and_shipped_to_workers(zenrunner: Any, tmp_path: Path) -> None:
    import pickle

    from zenrun.artifacts.fsspec_store import DEFAULT_RETRIES, DEFAULT_TIMEOUT, FsspecArtifactStore

    store = FsspecArtifactStore(
        "s3://bucket/prefix", {"endpoint_url": "http://127.0.0.1:9"}, timeout=3, retries=0
    )
    clone = pickle.loads(pickle.dumps(store))
    assert (clone.timeout, clone.retries) == (3.0, 0)
    options = clone._s3_options()
    assert options["config_kwargs"]["read_timeout"] == 3.0
    assert options["config_kwargs"]["retries"]["total_max_attempts"] == 1
    # A user's own botocore config wins over the defaults.
    mine = FsspecArtifactStore("s3://b/p", {"config_kwargs": {"read_timeout": 99}})
    assert mine._s3_options()["config_kwargs"]["read_timeout"] == 99
    assert (mine.timeout, mine.retries) == (DEFAULT_TIMEOUT, DEFAULT_RETRIES)

    zenrunner.makepyfile(pipeline_remote=GATED)
    url = (tmp_path / "arts").as_uri()
    bad = zenrunner.run("--artifact-store", url, "--artifact-store-timeout", "0")
    assert bad.ret == 4 and "--artifact-store-timeout" in bad.stderr, bad.stdout + bad.stderr
    bad = zenrunner.run("--artifact-store", url, env={"ZENRUN_ARTIFACT_STORE_RETRIES": "-1"})
    assert bad.ret == 4 and "ZENRUN_ARTIFACT_STORE_RETRIES" in bad.stderr, bad.stdout + bad.stderr
    zenrunner.maketoml(f'artifact_store = "{url}"\nartifact_store_timeout = "soon"')
    bad = zenrunner.run()
    assert bad.ret == 4 and "artifact_store_timeout" in bad.stderr, bad.stdout + bad.stderr


# -- MLflow ------------------------------------------------------------------------------------

TRACKED = """
    import os
    import time
    from pathlib import Path

    import zenrun
    from zenrun import pipeline, step


    @step
    def first() -> int:
        return 1


    @step
    def slow(x: int) -> int:
        gate = os.environ.get("FAULT_GATE")
        if gate:  # the test kills the tracking server while this step runs, then opens the gate
            Path(gate + ".waiting").touch()
            while not Path(gate).exists():
                time.sleep(0.05)
        zenrun.log_metadata(accuracy=0.75)
        return x + 1


    @step
    def last(x: int) -> int:
        return x * 10


    @zenrun.mark.parametrize("k", [1, 2])
    @pipeline
    def tracked(k):
        last(slow(first()))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real ``mlflow server`` on 127.0.0.1 (SQLite backend); its process group killed afterwards."""
    pytest.importorskip("mlflow")
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    port = _free_port()
    db = tmp_path / "server" / "mlflow.db"
    db.parent.mkdir()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{db}",
        "--default-artifact-root", (tmp_path / "server" / "artifacts").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    log = open(tmp_path / "server" / "log.txt", "wb")  # noqa: SIM115 - closed in finally
    # Without the job executor (its consumer processes run the server's own GenAI jobs, which
    # zenrun never submits): the tracking server starts in half the time, and as it is.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)

    def kill() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(60)

    try:
        uri = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240  # a loaded machine takes its time importing mlflow
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"mlflow server did not start:\n{(tmp_path / 'server' / 'log.txt').read_text()}"
                    )
                time.sleep(0.3)
        yield {"uri": uri, "kill": kill}
    finally:
        kill()
        log.close()


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["local", "n2"])
def test_mlflow_server_killed_mid_run_is_one_warning_and_the_pipelines_pass(
    zenrunner: Any, mlflow_server: dict[str, Any], tmp_path: Path, args: tuple[str, ...]
) -> None:
    zenrunner.makepyfile(pipeline_tracked=TRACKED)
    uri = mlflow_server["uri"]
    result = _run_with_gate(
        zenrunner, tmp_path, mlflow_server["kill"], "--mlflow-tracking-uri", uri, *args, "-k", "1", env={}
    )
    output = result.stdout + result.stderr
    assert result.ret == 0, output
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    result.assert_outcomes(passed=1, deselected=1)
    warnings = [line for line in output.splitlines() if f"MLflow tracking to {uri} failed" in line]
    assert len(warnings) == 1, output
    assert "MLflow tracking is off for the rest of this session" in warnings[0]
    run = read_store(zenrunner.store).get_runs()[-1]
    assert run.status == "completed"
    assert {i: s.status for i, s in run.steps.items()} == dict.fromkeys(
        ("first", "slow", "last"), "completed"
    )

    # The server is still gone: the next run reuses every step, with the same one warning.
    again = zenrunner.run("--mlflow-tracking-uri", uri, *args, timeout=240)
    output = again.stdout + again.stderr
    assert again.ret == 0 and "INTERNALERROR" not in output, output
    assert sum(f"MLflow tracking to {uri} failed" in line for line in output.splitlines()) == 1, output
    runs = read_store(zenrunner.store).get_runs()
    assert runs[-1].status == runs[-2].status == "completed"
    cached = next(r for r in runs[-2:] if r.item_id == run.item_id)
    assert cached.n_cached == 3


def test_four_first_uses_of_a_fresh_mlflow_store_at_once(zenrunner: Any) -> None:
    """The local SQLite store is created once, under a lock: no run is lost, the store stays sound."""
    pytest.importorskip("mlflow")
    import subprocess
    import sys

    zenrunner.makepyfile(pipeline_tracked=TRACKED)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--mlflow", "--no-cache"],
            cwd=zenrunner.path,
            env=zenrunner.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output
        assert "INTERNALERROR" not in output and "MLflow tracking" not in output, output
    # The store works afterwards, and holds every pipeline run of the five sessions.
    after = zenrunner.run("--mlflow", "--no-cache", timeout=240)
    assert after.ret == 0 and "MLflow tracking" not in after.stdout, after.stdout + after.stderr
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{zenrunner.store / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("tracked").experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 5 * 2
    assert all(r.info.status == "FINISHED" for r in parents)
    assert len(runs) == 5 * 2 * 4  # each parent with its three steps


# -- Dask --------------------------------------------------------------------------------------

DISTRIBUTED = """
    import os
    import time
    from pathlib import Path

    import zenrun
    from zenrun import pipeline, step


    @step
    def first() -> int:
        return 1


    @step
    def slow(x: int, k: int) -> int:
        gate = os.environ.get("FAULT_GATE")
        if gate:  # the test kills the scheduler while this step runs, then opens the gate
            Path(gate + ".waiting").touch()
            while not Path(gate).exists():
                time.sleep(0.05)
        return x + k


    @step
    def last(x: int) -> int:
        return x * 10


    @zenrun.mark.parametrize("k", [1, 2, 3])
    @pipeline
    def spread(k):
        last(slow(first(), k))
"""


class DaskCluster:
    """``dask scheduler`` and one ``dask worker`` (one thread) as subprocesses on 127.0.0.1."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        import subprocess
        import sys

        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self._logs = [open(log_dir / f"{name}.log", "ab") for name in ("scheduler", "worker")]  # noqa: SIM115
        common = {"stderr": subprocess.STDOUT, "start_new_session": True, "env": env}
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-dashboard"],
            stdout=self._logs[0], **common,
        )  # fmt: skip
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=self._logs[1], **common,
        )  # fmt: skip
        from distributed import Client

        with Client(self.address, timeout=240) as client:  # both up: the scheduler and its worker
            client.wait_for_workers(1, timeout=240)

    def kill_scheduler(self) -> None:
        import os
        import signal

        if self.scheduler.poll() is None:
            os.killpg(self.scheduler.pid, signal.SIGKILL)
            self.scheduler.wait(60)

    def close(self) -> None:
        import os
        import signal

        for proc in (self.scheduler, self.worker):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(60)
        for log in self._logs:
            log.close()


def test_dask_scheduler_killed_mid_run_fails_the_runs_with_its_address(
    zenrunner: Any, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    import os

    zenrunner.makepyfile(pipeline_spread=DISTRIBUTED)
    gate = tmp_path / "gate"
    env = {**zenrunner.env(), "FAULT_GATE": str(gate)}
    cluster = DaskCluster(tmp_path, env)
    try:
        outcome: dict[str, Any] = {}

        def run() -> None:
            outcome["result"] = zenrunner.run(
                "--orchestrator", "dask", "--dask-address", cluster.address, env=env, timeout=240
            )

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 240
        while not Path(f"{gate}.waiting").exists() and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.kill_scheduler()
        gate.touch()
        thread.join(300)
    finally:
        gate.touch()
        cluster.close()
    result = outcome["result"]
    output = result.stdout + result.stderr
    lost = f"lost the Dask scheduler at {cluster.address}"
    assert result.ret == 1, output
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert "no pipelines ran" not in output, output
    assert lost in output, output
    runs = read_store(zenrunner.store).get_runs()
    assert runs and all(r.status == "failed" for r in runs), [(r.name, r.status) for r in runs]
    failed_steps = [s for r in runs for s in r.steps.values() if s.status == "failed"]
    assert failed_steps and all((s.error or "").strip() == lost for s in failed_steps)
    assert not [s for r in runs for s in r.steps.values() if s.status == "running"]
    # Every item is accounted for: a failed report, or counted as not started.
    reported = result.parseoutcomes().get("failed", 0)
    not_started = 3 - reported
    if not_started:
        assert f"{lost}; {not_started} pipeline(s) not started" in output, output

    # A new scheduler: the next run reuses what completed (first), and runs the rest.
    os.environ.pop("FAULT_GATE", None)
    cluster = DaskCluster(tmp_path, zenrunner.env())
    try:
        again = zenrunner.run("--orchestrator", "dask", "--dask-address", cluster.address, "-v", timeout=240)
    finally:
        cluster.close()
    assert again.ret == 0, again.stdout + again.stderr
    again.assert_outcomes(passed=3)
    again.fnmatch_lines(["*Using cached version of first.*"])
