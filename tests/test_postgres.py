"""The team store: a real PostgreSQL cluster (initdb + pg_ctl on a temporary directory and
port) and the loopback S3 server; two "machines" are two checkouts with different HOMEs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from pgcluster import PASSWORD, PostgresCluster, find_bindir

from zenrun.testing import CacheTests, MetadataStoreTests, ZenrunProject

psycopg = pytest.importorskip("psycopg")

GRID = """
    import numpy as np
    import zenrun
    from zenrun import pipeline, step

    @step
    def load(n: int) -> np.ndarray:
        return np.arange(n) * 1.5

    @step
    def total(xs: np.ndarray) -> float:
        zenrun.log_metadata(total=float(xs.sum()))
        return float(xs.sum())

    @zenrun.mark.parametrize("n", [3, 5, 8])
    @pipeline
    def grid(n):
        total(load(n))
"""

# Its second step waits for a flag file, so a test can act while the run is in flight.
WAITING = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def first() -> int:
        return 20

    @step
    def second(x: int) -> int:
        flag = Path(os.environ["FLAG_DIR"]) / "go"
        Path(os.environ["FLAG_DIR"], "waiting").touch()
        while not flag.exists():
            time.sleep(0.05)
        return x + 1

    @pipeline
    def waiting():
        second(first())
"""

READ_GRID = """
    import json
    from zenrun import get_pipeline
    runs = get_pipeline("grid").latest_items()
    print(json.dumps({r.short_item_id: [r.status, r.steps["total"].output.read(),
                      r.steps["load"].output.read().tolist()] for r in runs}))
"""


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's initdb is missing: .ci/run installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh database of the session's cluster."""
    return pg_cluster.createdb(f"t_{uuid.uuid4().hex[:12]}")


def machine(tmp_path: Path, name: str, source: str = GRID) -> ZenrunProject:
    """A checkout of the project on "machine" ``name``: its own directory and HOME."""
    (tmp_path / name / "home").mkdir(parents=True)
    (tmp_path / name / "project").mkdir()
    project = ZenrunProject(tmp_path / name / "project")
    project.makepyfile(pipeline_grid=source)
    return project


def home(project: ZenrunProject) -> dict[str, str]:
    return {"HOME": str(project.path.parent / "home")}


def query(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(sql, args)
        return cursor.fetchall() if cursor.description else []


def test_team_store_records_runs_and_serves_cache_hits(tmp_path, pg_url):
    a = machine(tmp_path, "a")
    result = a.run("--store", pg_url, env=home(a))
    assert result.ret == 0, result.stdout + result.stderr
    assert "store: postgresql://zenrun:***@127.0.0.1" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    again = a.run("--store", pg_url, "-v", env=home(a))
    assert again.ret == 0, again.stdout + again.stderr
    assert again.stdout.count("Using cached version of") == 6
    rows = query(pg_url, "SELECT item_id, status, n_steps, n_cached, metrics FROM runs ORDER BY id")
    assert [(r[1], r[2], r[3]) for r in rows] == [("completed", 2, 0)] * 3 + [("completed", 2, 2)] * 3
    # A cache hit shows what its producer logged.
    assert {json.loads(r[4])["total"] for r in rows[3:]} == {4.5, 15.0, 42.0}
    listed = a.run("--store", pg_url, "--runs", env=home(a))
    assert listed.ret == 0 and listed.stdout.count("completed") == 6, listed.stdout
    assert PASSWORD not in listed.stdout + listed.stderr
    shown = a.run("--store", pg_url, "--show", "grid[5]", env=home(a))
    assert shown.ret == 0 and "15.0" in shown.stdout, shown.stdout + shown.stderr
    read = a.runpython(READ_GRID, env={**home(a), "ZENRUN_STORE": pg_url})
    assert read.ret == 0, read.stderr
    values = json.loads(read.stdout.splitlines()[-1])
    assert values["grid[5]"] == ["completed", 15.0, [0.0, 1.5, 3.0, 4.5, 6.0]]
    assert values["grid[8]"][1] == 42.0


def test_store_from_ini_and_sqlite_url(tmp_path, pg_url):
    a = machine(tmp_path, "a")
    a.maketoml(f'store = "{pg_url}"\n')
    result = a.run(env=home(a))
    assert result.ret == 0, result.stdout + result.stderr
    assert query(pg_url, "SELECT count(*) FROM runs")[0][0] == 3
    assert not (a.path / ".zenrun" / "metadata.db").exists()
    a.maketoml("")
    local = a.run("--store", f"sqlite:///{tmp_path / 'elsewhere'}", env=home(a))
    assert local.ret == 0, local.stdout + local.stderr
    assert (tmp_path / "elsewhere" / "metadata.db").exists()


def test_two_machines_share_the_cache_and_the_bucket(tmp_path, pg_url, s3_server):
    bucket = f"s3://{s3_server['bucket']}/team"
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    first = a.run("--store", pg_url, "--artifact-store", bucket, env=home(a))
    assert first.ret == 0, first.stdout + first.stderr
    assert "cached" in first.stdout and "0/2" in first.stdout
    second = b.run("--store", pg_url, "--artifact-store", bucket, "-v", env=home(b))
    assert second.ret == 0, second.stdout + second.stderr
    assert second.stdout.count("Using cached version of") == 6, second.stdout
    assert second.stdout.count("2/2") == 3
    # B reads A's values (from the bucket), through the Python API.
    read = b.runpython(READ_GRID, env={**home(b), "ZENRUN_STORE": pg_url})
    assert read.ret == 0, read.stderr
    values = json.loads(read.stdout.splitlines()[-1])
    assert values == {
        "grid[3]": ["completed", 4.5, [0.0, 1.5, 3.0]],
        "grid[5]": ["completed", 15.0, [0.0, 1.5, 3.0, 4.5, 6.0]],
        "grid[8]": ["completed", 42.0, [i * 1.5 for i in range(8)]],
    }
    stores = {r[0] for r in query(pg_url, "SELECT artifact_store FROM runs")}
    assert stores == {bucket}
    # Nothing machine-specific in the keys: both machines made the same ones.
    keys = query(pg_url, "SELECT r.host, s.cache_key FROM steps s JOIN runs r ON r.id = s.run_id")
    assert len({k for _h, k in keys}) == 6


def test_artifacts_on_another_machines_disk_are_named(tmp_path, pg_url):
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    first = a.run("--store", pg_url, env=home(a))
    assert first.ret == 0, first.stdout + first.stderr
    assert "artifacts stay on this machine's disk" in first.stdout
    (a.path / ".zenrun").rename(a.path / "gone")  # as seen from another machine
    read = b.runpython(READ_GRID, env={**home(b), "ZENRUN_STORE": pg_url})
    assert read.ret != 0
    assert "is on the local disk of machine" in read.stderr, read.stderr
    assert str(a.path / ".zenrun" / "artifacts") in read.stderr


def _start(project: ZenrunProject, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "zenrun", *args],
        cwd=project.path,
        env={**project.env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"zenrun ended early: {proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path} never appeared")
        time.sleep(0.05)


def test_a_killed_owner_is_seen_failed_on_another_machine(tmp_path, pg_url):
    a, b = machine(tmp_path, "a", WAITING), machine(tmp_path, "b", WAITING)
    flags = tmp_path / "flags"
    flags.mkdir()
    proc = _start(a, "--store", pg_url, env={**home(a), "FLAG_DIR": str(flags), "ZENRUN_STORE_LEASE": "1"})
    try:
        _wait_for(flags / "waiting", proc)
        deadline = time.monotonic() + 120
        # Killed once its first step's record is committed (by the flush thread: on a busy
        # machine, later than the second step starts).
        while not query(pg_url, "SELECT 1 FROM steps WHERE step_id='first' AND status='completed'"):
            assert time.monotonic() < deadline, "the first step was never committed"
            time.sleep(0.05)
        listed = b.run("--store", pg_url, "--runs", env=home(b))
        assert "running" in listed.stdout, listed.stdout
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 120
    while True:  # the lease (1 s) runs out
        listed = b.run("--store", pg_url, "--runs", env=home(b))
        if "failed" in listed.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "failed" in listed.stdout and "running" not in listed.stdout, listed.stdout
    # The next writer marks it failed in the store, with its running step.
    (flags / "go").touch()
    rerun = b.run("--store", pg_url, env={**home(b), "FLAG_DIR": str(flags)})
    assert rerun.ret == 0, rerun.stdout + rerun.stderr
    rows = query(pg_url, "SELECT status, error FROM runs ORDER BY id")
    assert rows[0][0] == "failed" and "lease" in rows[0][1]
    assert rows[1][0] == "completed"
    steps = query(pg_url, "SELECT step_id, status FROM steps WHERE run_id = (SELECT min(id) FROM runs)")
    assert dict(steps) == {"first": "completed", "second": "failed"}


def test_server_restarted_mid_run_ends_the_run_and_keeps_what_was_committed(tmp_path, pg_cluster, pg_url):
    a = machine(tmp_path, "a", WAITING)
    flags = tmp_path / "flags"
    flags.mkdir()
    proc = _start(a, "--store", pg_url, env={**home(a), "FLAG_DIR": str(flags)})
    try:
        _wait_for(flags / "waiting", proc)
        deadline = time.monotonic() + 120
        while not query(pg_url, "SELECT 1 FROM steps WHERE step_id='first' AND status='completed'"):
            assert time.monotonic() < deadline, "the first step was never committed"
            time.sleep(0.05)
        pg_cluster.restart()
        (flags / "go").touch()
        out, _ = proc.communicate(timeout=300)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1, out
    assert "lost the connection to the team store postgresql://zenrun:***@127.0.0.1" in out, out
    assert PASSWORD not in out
    rows = query(pg_url, "SELECT status, error FROM runs")
    assert rows[0][0] == "failed" and "lost the connection" in rows[0][1]
    again = a.run("--store", pg_url, "-v", env={**home(a), "FLAG_DIR": str(flags)})
    assert again.ret == 0, again.stdout + again.stderr
    assert "Using cached version of first." in again.stdout
    read = a.runpython(
        "from zenrun import get_run\nrun = get_run('latest')\n"
        "print(run.status, run.steps['first'].output.read(), run.steps['second'].output.read())",
        env={**home(a), "ZENRUN_STORE": pg_url},
    )
    assert read.stdout.split() == ["completed", "20", "21"], read.stdout + read.stderr


def test_server_stopped_mid_run_ends_the_session_at_once(tmp_path, pg_cluster, pg_url):
    # The server stays down: the run fails, and the session's remaining uses of the store (its
    # records, the cache index, the lease, the summary's reads) fail at once, not after the
    # pool's 30 s wait each (the session took a minute and a half more).
    a = machine(tmp_path, "a", WAITING)
    flags = tmp_path / "flags"
    flags.mkdir()
    proc = _start(a, "--store", pg_url, env={**home(a), "FLAG_DIR": str(flags)})
    try:
        _wait_for(flags / "waiting", proc)
        deadline = time.monotonic() + 120
        while not query(pg_url, "SELECT 1 FROM steps WHERE step_id='first' AND status='completed'"):
            assert time.monotonic() < deadline, "the first step was never committed"
            time.sleep(0.05)
        pg_cluster.pg_ctl_stop("fast")
        try:
            stopped = time.monotonic()
            (flags / "go").touch()
            out, _ = proc.communicate(timeout=300)
            elapsed = time.monotonic() - stopped
        finally:
            pg_cluster.pg_ctl_start()
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1, out
    assert "lost the connection to the team store postgresql://zenrun:***@127.0.0.1" in out, out
    assert PASSWORD not in out
    assert elapsed < 25, f"the session ended {elapsed:.0f}s after the server stopped:\n{out}"
    again = a.run("--store", pg_url, "-v", env={**home(a), "FLAG_DIR": str(flags)})
    assert again.ret == 0, again.stdout + again.stderr
    assert "Using cached version of first." in again.stdout


def test_store_repair_of_a_team_store_is_a_usage_error_not_the_local_stores(tmp_path, pg_url):
    # It repaired the project's .zenrun/ and said "store .../.zenrun: nothing to repair".
    a = machine(tmp_path, "a")
    result = a.run("--store", pg_url, "--store-repair", env=home(a))
    assert result.ret == 4, result.stdout + result.stderr
    assert "nothing to repair" not in result.stdout
    local = a.path / ".zenrun"
    assert (
        "--store-repair rebuilds the files of a store on this disk; postgresql://zenrun:***@127.0.0.1"
        in result.stderr
    )
    assert f"this project's local store: zenrun --store {local} --store-repair" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    check = a.run("--store", pg_url, "--store-check", env=home(a))
    assert check.ret == 0, check.stdout + check.stderr


def test_connection_problems_are_usage_errors_naming_the_server(tmp_path, pg_cluster, pg_url):
    a = machine(tmp_path, "a")
    wrong = pg_url.replace(PASSWORD, "not-the-Pa55word")
    result = a.run("--store", wrong, env=home(a))
    assert result.ret == 4, result.stdout + result.stderr
    assert "cannot open the team store postgresql://zenrun:***@127.0.0.1" in result.stderr
    assert "password authentication failed" in result.stderr
    assert "not-the-Pa55word" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    missing = a.run("--store", pg_cluster.url("no_such_db"), env=home(a))
    assert missing.ret == 4 and 'database "no_such_db" does not exist' in missing.stderr, missing.stderr
    unreachable = a.run("--store", f"postgresql://zenrun:{PASSWORD}@127.0.0.1:1/db", env=home(a))
    assert unreachable.ret == 4 and "127.0.0.1:1/db" in unreachable.stderr, unreachable.stderr
    assert PASSWORD not in unreachable.stdout + unreachable.stderr
    # TLS options reach libpq: this server has no TLS, so requiring it is refused, by name.
    tls = a.run("--store", pg_url + "?sslmode=require&connect_timeout=20", env=home(a))
    assert tls.ret == 4 and "SSL" in tls.stderr, tls.stderr
    assert PASSWORD not in tls.stdout + tls.stderr
    # nothing half-written
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename='runs'")[0][0] == 0


def test_a_newer_schema_is_refused(tmp_path, pg_url):
    a = machine(tmp_path, "a")
    listed = a.run("--store", pg_url, "--runs", env=home(a))  # creates the schema
    assert listed.ret == 0, listed.stdout + listed.stderr
    query(pg_url, "UPDATE zenrun_schema SET version = 999")
    result = a.run("--store", pg_url, env=home(a))
    assert result.ret == 4, result.stdout + result.stderr
    assert "has schema version 999, written by a newer zenrun" in result.stderr
    assert query(pg_url, "SELECT count(*) FROM runs")[0][0] == 0


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path, pg_url):
    projects = [machine(tmp_path, f"m{i}") for i in range(4)]
    procs = [_start(p, "--store", pg_url, env=home(p)) for p in projects]
    try:
        outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert [proc.returncode for proc in procs] == [0] * 4, outputs
    runs = query(pg_url, "SELECT id, status FROM runs")
    assert len(runs) == 12 and {s for _i, s in runs} == {"completed"}
    per_run = query(pg_url, "SELECT run_id, count(*) FROM steps GROUP BY run_id")
    assert sorted(c for _r, c in per_run) == [2] * 12
    assert query(pg_url, "SELECT count(*) FROM cache")[0][0] == 6
    io = query(pg_url, "SELECT run_id, step_id, kind, name, count(*) FROM step_io GROUP BY 1, 2, 3, 4")
    assert {row[-1] for row in io} == {1}


VERSIONED = """
    import teampkg
    from zenrun import pipeline, step

    @step
    def compute() -> int:
        return teampkg.answer()

    @pipeline
    def versioned():
        compute()
"""


def _install_fake_dist(where: Path, version: str) -> dict[str, str]:
    """A distribution ``teampkg`` of ``version`` on PYTHONPATH (same code, other version)."""
    (where / "teampkg").mkdir(parents=True)
    (where / "teampkg" / "__init__.py").write_text("def answer():\n    return 42\n")
    info = where / f"teampkg-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: teampkg\nVersion: {version}\n")
    (info / "top_level.txt").write_text("teampkg\n")
    (info / "RECORD").write_text("")
    return {"PYTHONPATH": str(where)}


def test_a_hit_from_other_package_versions_is_a_miss_with_the_reason(tmp_path, pg_url, s3_server):
    bucket = f"s3://{s3_server['bucket']}/versions"
    a, b = machine(tmp_path, "a", VERSIONED), machine(tmp_path, "b", VERSIONED)
    env_a = {**home(a), **_install_fake_dist(tmp_path / "a" / "site", "1.0")}
    env_b = {**home(b), **_install_fake_dist(tmp_path / "b" / "site", "2.0")}
    first = a.run("--store", pg_url, "--artifact-store", bucket, env=env_a)
    assert first.ret == 0, first.stdout + first.stderr
    second = b.run("--store", pg_url, "--artifact-store", bucket, "-v", env=env_b)
    assert second.ret == 0, second.stdout + second.stderr
    assert "computed under teampkg 1.0, this machine has 2.0" in second.stdout, second.stdout
    # Opting out serves the entry anyway.
    (b.path / "zenrun.toml").write_text("cache_check_versions = false\n")
    query(pg_url, "DELETE FROM cache")
    assert a.run("--store", pg_url, "--artifact-store", bucket, "--cache-clear", env=env_a).ret == 0
    third = b.run("--store", pg_url, "--artifact-store", bucket, "-v", env=env_b)
    assert third.ret == 0 and "Using cached version of compute." in third.stdout, third.stdout


def test_push_and_pull_copy_runs_cache_and_artifacts_idempotently(tmp_path, pg_url, s3_server):
    bucket = f"s3://{s3_server['bucket']}/pushed"
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    offline = a.run(env=home(a))  # the local store, offline
    assert offline.ret == 0, offline.stdout + offline.stderr
    push = a.run("--store-push", pg_url, "--artifact-store", bucket, env=home(a))
    assert push.ret == 0, push.stdout + push.stderr
    assert "pushed 3 runs (0 already there), 6 cache entries and 6 artifacts" in push.stdout, push.stdout
    assert PASSWORD not in push.stdout and "postgresql://zenrun:***@" in push.stdout
    again = a.run("--store-push", pg_url, "--artifact-store", bucket, env=home(a))
    assert "pushed 0 runs (3 already there)" in again.stdout and "0 artifacts" in again.stdout, again.stdout
    assert query(pg_url, "SELECT count(*) FROM runs")[0][0] == 3
    assert {r[0] for r in query(pg_url, "SELECT artifact_store FROM runs")} == {bucket}
    # B, on the team store and the bucket, hits A's offline work and reads its values.
    team = b.run("--store", pg_url, "--artifact-store", bucket, "-v", env=home(b))
    assert team.ret == 0 and team.stdout.count("Using cached version of") == 6, team.stdout + team.stderr
    read = b.runpython(READ_GRID, env={**home(b), "ZENRUN_STORE": pg_url})
    assert json.loads(read.stdout.splitlines()[-1])["grid[8]"][1] == 42.0, read.stdout + read.stderr
    # B pulls the team's history into its own local store, then works offline.
    pull = b.run("--store-pull", pg_url, env=home(b))
    assert pull.ret == 0, pull.stdout + pull.stderr
    assert "pulled 6 runs (0 already there), 6 cache entries and 6 artifacts" in pull.stdout, pull.stdout
    assert "0 runs (6 already there)" in b.run("--store-pull", pg_url, env=home(b)).stdout
    local = b.run("-v", env=home(b))
    assert local.ret == 0 and local.stdout.count("Using cached version of") == 6, local.stdout
    read = b.runpython(READ_GRID, env=home(b))
    assert json.loads(read.stdout.splitlines()[-1])["grid[5]"][1] == 15.0, read.stdout + read.stderr


def test_a_read_only_role_lists_runs_and_cannot_record(tmp_path, pg_cluster, pg_url):
    a = machine(tmp_path, "a")
    assert a.run("--store", pg_url, env=home(a)).ret == 0
    role = f"viewer_{uuid.uuid4().hex[:8]}"
    query(pg_url, f"CREATE ROLE {role} LOGIN PASSWORD 'view-Pa55'")
    query(pg_url, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    reader = pg_url.replace(f"zenrun:{PASSWORD}", f"{role}:view-Pa55")
    listed = a.run("--store", reader, "--runs", env=home(a))
    assert listed.ret == 0 and listed.stdout.count("completed") == 3, listed.stdout + listed.stderr
    assert "view-Pa55" not in listed.stdout + listed.stderr
    refused = a.run("--store", reader, env=home(a))
    assert refused.ret == 4 and "is read-only" in refused.stderr, refused.stdout + refused.stderr
    # Read-only transactions asked for in the URL (libpq options pass through).
    session = pg_url + "?options=-c%20default_transaction_read_only%3Don"
    assert a.run("--store", session, "--runs", env=home(a)).stdout.count("completed") == 3
    assert a.run("--store", session, env=home(a)).ret == 4
    assert query(pg_url, "SELECT count(*) FROM runs")[0][0] == 3


def test_gc_on_a_team_store_keeps_a_live_run_of_another_machine(tmp_path, pg_url):
    a, b = machine(tmp_path, "a", WAITING), machine(tmp_path, "b", WAITING)
    flags = tmp_path / "flags"
    flags.mkdir()
    (flags / "go").touch()
    assert b.run("--store", pg_url, env={**home(b), "FLAG_DIR": str(flags)}).ret == 0  # a finished run
    (flags / "go").unlink()
    (flags / "waiting").unlink()
    proc = _start(a, "--store", pg_url, env={**home(a), "FLAG_DIR": str(flags)})
    try:
        _wait_for(flags / "waiting", proc)
        gc = b.run("--store", pg_url, "--gc", "--keep", "0", env=home(b))
        assert gc.ret == 0, gc.stdout + gc.stderr
        assert "removed 1 run(s)" in gc.stdout, gc.stdout
        (flags / "go").touch()
        out, _ = proc.communicate(timeout=300)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, out
    rows = query(pg_url, "SELECT status, n_steps FROM runs")
    assert rows == [("completed", 2)]
    read = a.runpython(
        "from zenrun import get_run\nrun = get_run('latest')\nprint(run.steps['second'].output.read())",
        env={**home(a), "ZENRUN_STORE": pg_url},
    )
    assert read.stdout.strip() == "21", read.stdout + read.stderr


def test_a_store_url_no_plugin_knows_is_a_usage_error(tmp_path):
    a = machine(tmp_path, "a")
    result = a.run("--store", "mysql://bob:hunter2-Pa55@db.example/ml", env=home(a))
    assert result.ret == 4, result.stdout + result.stderr
    assert "no plugin keeps a store at mysql://bob:***@db.example/ml" in result.stderr
    assert "postgresql://" in result.stderr  # the schemes known here
    assert "hunter2-Pa55" not in result.stdout + result.stderr


# -- the store conformance kit, on the PostgreSQL store --------------------------------


class _OwnedMetadataStore:
    """Opens a store with its own pool (as another zenrun process would) and closes both."""

    @staticmethod
    def open(url: str, lease: float = 1.0):
        from zenrun_postgres.store import PostgresMetadataStore, TeamStore

        team = TeamStore(url, lease=lease)
        store = PostgresMetadataStore(team)
        close = store.close

        def close_both() -> None:
            try:
                close()
            finally:
                team.close()

        store.close = close_both  # type: ignore[method-assign]
        return store

    @staticmethod
    def open_cache(url: str):
        from zenrun_postgres.store import PostgresCache, TeamStore

        team = TeamStore(url)
        cache = PostgresCache(team)
        close = cache.close

        def close_both() -> None:
            try:
                close()
            finally:
                team.close()

        cache.close = close_both  # type: ignore[method-assign]
        return cache


class TestPostgresMetadataStore(MetadataStoreTests):
    dead_owner_timeout = 60.0

    @pytest.fixture
    def open_store(self, pg_url):
        return lambda: _OwnedMetadataStore.open(pg_url)


class TestPostgresCache(CacheTests):
    @pytest.fixture
    def open_store(self, pg_url):
        return lambda: _OwnedMetadataStore.open_cache(pg_url)


def test_a_run_whose_name_another_run_took_takes_the_next_microsecond_s(pg_url):
    """Machines starting runs of one pipeline in the same microsecond make the same name: the
    later insert takes the next name instead of failing on the runs' unique name."""
    from zenrun import PipelineRun

    store = _OwnedMetadataStore.open(pg_url)
    try:
        name = f"clash{uuid.uuid4().hex[:8]}-05_Dec_26-14_30_12_999999"
        first = PipelineRun(name=name, pipeline_name="clash")
        store.create_run(first)
        second = PipelineRun(name=name, pipeline_name="clash")
        store.create_run(second)
        assert first.name == name
        assert second.name == name.replace("14_30_12_999999", "14_30_13_000000")
        assert second.id != first.id
        found = {r.name for r in store.recent_runs(pipeline="clash")}
        assert {first.name, second.name} <= found
    finally:
        store.close()
