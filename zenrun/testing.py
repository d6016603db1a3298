"""A pytest plugin for testing zenrun projects and plugins, like pytest's ``pytester``.

Installed with zenrun (entry point ``pytest11``), it provides the
``zenrunner`` fixture::

    def test_caching(zenrunner):
        zenrunner.makepyfile(pipeline_demo='''
            from zenrun import step, pipeline
            @step
            def one() -> int:
                return 1
            @pipeline
            def demo():
                one()
        ''')
        result = zenrunner.run("-v")
        result.assert_outcomes(passed=1)
        result.fnmatch_lines(["*Step one has started.*"])

Each ``run`` is a real ``python -m zenrun`` subprocess in a fresh project
directory with its own ``.zenrun/`` store.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Sequence

import pytest

_OUTCOME = re.compile(r"(\d+) (passed|failed|skipped|deselected|errors?|warnings?)")


class RunResult:
    """The outcome of one zenrun (or python) subprocess."""

    def __init__(self, args: Sequence[str], ret: int, stdout: str, stderr: str, duration: float) -> None:
        self.args = list(args)
        self.ret = ret
        self.stdout = stdout
        self.stderr = stderr
        self.outlines = stdout.splitlines()
        self.errlines = stderr.splitlines()
        self.duration = duration

    def __repr__(self) -> str:
        return f"<RunResult ret={self.ret} len(stdout)={len(self.stdout)}>"

    def _report(self) -> str:
        return (f"command: {' '.join(self.args)}\nexit code: {self.ret}\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")

    def fnmatch_lines(self, patterns: Sequence[str], *, stderr: bool = False) -> None:
        """Each glob pattern matches a line, in order (later lines for later patterns)."""
        lines = self.errlines if stderr else self.outlines
        position = 0
        for pattern in patterns:
            for index in range(position, len(lines)):
                if fnmatch.fnmatch(lines[index], pattern):
                    position = index + 1
                    break
            else:
                pytest.fail(f"no line matches {pattern!r} (after line {position})\n{self._report()}")

    def no_fnmatch_line(self, pattern: str, *, stderr: bool = False) -> None:
        """No line matches the glob ``pattern``."""
        for line in self.errlines if stderr else self.outlines:
            if fnmatch.fnmatch(line, pattern):
                pytest.fail(f"line {line!r} matches {pattern!r}\n{self._report()}")

    def parseoutcomes(self) -> dict[str, int]:
        """Counts from the closing line, e.g. ``{"passed": 3, "failed": 1}``."""
        for line in reversed(self.outlines):
            if line.startswith("=") and " in " in line:
                counts = {}
                for number, word in _OUTCOME.findall(line):
                    word = {"error": "errors", "warning": "warnings"}.get(word, word)
                    counts[word] = int(number)
                return counts
        pytest.fail(f"no closing line found\n{self._report()}")

    def assert_outcomes(self, passed: int = 0, failed: int = 0, skipped: int = 0,
                        errors: int = 0, deselected: int = 0) -> None:
        """The closing line reports exactly these counts."""
        seen = self.parseoutcomes()
        expected = {"passed": passed, "failed": failed, "skipped": skipped, "errors": errors,
                    "deselected": deselected}
        actual = {k: seen.get(k, 0) for k in expected}
        if actual != expected:
            pytest.fail(f"outcomes {actual} != expected {expected}\n{self._report()}")


class ZenrunProject:
    """A temporary zenrun project: write files into it, run zenrun in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / "zenrun.toml").write_text("")  # pins the rootdir here

    @property
    def store(self) -> Path:
        return self.path / ".zenrun"

    def makefile(self, ext: str, *args: str, **files: str) -> Path:
        """Write files named by keyword (``name=source``) with extension ``ext``; returns the last."""
        if args:
            files = {"pipeline_" + self.path.name.replace("-", "_"): args[0], **files}
        written = self.path
        for name, source in files.items():
            written = self.path / f"{name}{ext}"
            written.parent.mkdir(parents=True, exist_ok=True)
            written.write_text(textwrap.dedent(source).lstrip("\n"))
        return written

    def makepyfile(self, *args: str, **files: str) -> Path:
        """Write Python files: ``makepyfile(pipeline_x="...")`` or ``makepyfile("...")``."""
        return self.makefile(".py", *args, **files)

    def makeconftest(self, source: str, directory: str = ".") -> Path:
        path = self.path / directory / "conftest.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        return path

    def maketoml(self, source: str) -> Path:
        """Replace ``zenrun.toml`` (the ``[tool.zenrun]`` keys, without the header)."""
        path = self.path / "zenrun.toml"
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        return path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("ZENRUN_STORE", "PYTEST_ADDOPTS")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> RunResult:
        """Run ``python -m zenrun ARGS`` in the project; returns its :class:`RunResult`."""
        return self._run([sys.executable, "-m", "zenrun", *map(str, args)], timeout, env, cwd)

    def runpython(self, script: str | Path, *args: str, timeout: float = 300,
                  env: dict[str, str] | None = None) -> RunResult:
        """Run a Python script (a path, or source text written to a file) in the project."""
        path = Path(script) if isinstance(script, Path) else self.makepyfile(_script_=script)
        return self._run([sys.executable, str(path), *args], timeout, env, None)

    def _run(self, command: list[str], timeout: float, env: dict[str, str] | None,
             cwd: Path | None) -> RunResult:
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=cwd or self.path, env={**self.env(), **(env or {})},
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return RunResult(command, proc.returncode, proc.stdout, proc.stderr,
                         time.perf_counter() - started)


@pytest.fixture
def zenrunner(tmp_path: Path) -> ZenrunProject:
    """A fresh zenrun project in ``tmp_path``; ``.run(*args)`` runs the real CLI there."""
    return ZenrunProject(tmp_path)


def read_store(path: Path) -> Any:
    """Open the SQLite metadata store of a project (for assertions on records)."""
    from zenrun.metadata.sqlite import SqliteMetadataStore

    return SqliteMetadataStore(Path(path) / "metadata.db")
