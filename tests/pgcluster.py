"""A throw-away PostgreSQL cluster: Debian's ``initdb`` + ``pg_ctl`` on a temporary directory.

Used by tests/test_postgres.py and benchmarks/bench_teamstore.py. As root (CI), the
server runs as the ``postgres`` user (initdb refuses root) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PASSWORD = "s3cret-pg-Pa55"


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb, or the one on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True
    )
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """``start()`` a cluster on a free loopback port; ``stop()`` it and delete its directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="zenrun-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "zenrun"
        self.as_root = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def _run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            self._cmd(*args), check=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = self.dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile), "-A", "scram-sha-256",
            "--no-sync", "-E", "UTF8", "--locale", "C",
        )  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 200\n"
            )
        self.pg_ctl_start()

    def pg_ctl_start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "120", "start")

    def pg_ctl_stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "120", "-m", mode, "stop")

    def restart(self) -> None:
        self.pg_ctl_stop("fast")
        self.pg_ctl_start()

    def url(self, database: str = "postgres", password: str | None = PASSWORD) -> str:
        auth = f"{self.user}:{password}" if password is not None else self.user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def createdb(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pass
        finally:
            deadline = time.monotonic() + 10
            while True:
                try:
                    shutil.rmtree(self.dir)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
