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

Store plugins are checked with the conformance kit: subclass
:class:`MetadataStoreTests`, :class:`CacheTests` or :class:`ArtifactStoreTests`
(see :mod:`zenrun.conformance`).

Each ``run`` is a real ``python -m zenrun`` subprocess in a fresh project
directory with its own ``.zenrun/`` store. ``run(..., inprocess=True)`` (or
``runzenrun_inprocess``) calls ``zenrun.main`` in the test's own process
instead, isolated (project modules, ``sys.path``, cwd, environment, logging,
the Python API's configs) and many times faster; it returns the same
:class:`RunResult`. ``result.stdout`` / ``result.stderr`` are
:class:`LineMatcher` strings, as pytester's.
"""

from __future__ import annotations

import builtins
import contextlib
import fnmatch
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from zenrun.config import Config
    from zenrun.conformance import ArtifactStoreTests, CacheTests, MetadataStoreTests, make_run, make_step
    from zenrun.metadata.sqlite import SqliteMetadataStore

__all__ = [
    "ArtifactStoreTests",
    "CacheTests",
    "HookRecorder",
    "LineMatcher",
    "MetadataStoreTests",
    "ParsedCall",
    "RunResult",
    "ZenrunProject",
    "make_run",
    "make_step",
    "read_store",
    "runzenrun_inprocess",
    "zenrunner",
]

#: The store conformance kit (:mod:`zenrun.conformance`), imported on first use.
_CONFORMANCE = ("ArtifactStoreTests", "CacheTests", "MetadataStoreTests", "make_run", "make_step")


def __getattr__(name: str) -> object:
    if name in _CONFORMANCE:
        # deferred: only store authors' tests use the kit; the pytest plugin stays light.
        # Its asserts are rewritten as a test module's are, so a failing check in a
        # store's suite shows the values compared, not a bare AssertionError (pytest
        # rewrites a plugin's own modules only when installed from a wheel).
        if "zenrun.conformance" not in sys.modules:
            pytest.register_assert_rewrite("zenrun.conformance")
        import zenrun.conformance

        return getattr(zenrun.conformance, name)
    raise AttributeError(f"module 'zenrun.testing' has no attribute {name!r}")


#: Whether a line matches a pattern (``fnmatch.fnmatch``, or ``re.match`` as a bool).
Matcher = Callable[[str, str], bool]

#: A count of the closing line: any ``N noun``, as pytester's (``2 pipelines collected`` of
#: ``--collect-only`` is ``{"pipelines": 2}``, pytest's ``{"tests": 2}``).
_OUTCOME = re.compile(r"(\d+) (\w+)")
_CLOSING_DURATION = re.compile(r" in \d+\.\d\ds( \([0-9:]+\))? *=*$")


def _re_match(line: str, pattern: str) -> bool:
    return re.match(pattern, line) is not None


def _patterns(patterns: Sequence[str] | str) -> Sequence[str]:
    """pytester's reading of patterns given as one string: dedented, one a line, the blank
    lines around them dropped (a triple-quoted block indented as the test is)."""
    if isinstance(patterns, str):
        lines = textwrap.dedent(patterns).splitlines()
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return lines
    return patterns


class LineMatcher(str):
    """Captured output: a ``str`` (``"x" in result.stdout`` works) with pytester's matchers.

    Made from the text or, as pytester's, from its lines (``LineMatcher(["a", "b"])``).
    A failed match fails the test with pytester's log of what was compared (``exact
    match:`` / ``fnmatch:`` ... ``remains unmatched:``), then, for a run's output, the
    command, its exit code and both streams.
    """

    # The method ``str`` shadows the builtin in this class body: annotations say ``builtins.str``.
    _report: Callable[[], builtins.str] | None

    def __new__(
        cls, text: builtins.str | Sequence[builtins.str], report: Callable[[], builtins.str] | None = None
    ) -> LineMatcher:
        if not isinstance(text, str):
            text = "\n".join(text)
        matcher = super().__new__(cls, text)
        matcher._report = report
        return matcher

    @property
    def lines(self) -> list[builtins.str]:
        return self.splitlines()

    def str(self) -> builtins.str:
        """The whole output, as pytester's ``LineMatcher.str()``."""
        return str.__str__(self)

    def _fail(self, log: list[builtins.str]) -> None:
        __tracebackhide__ = True
        text = "\n".join(log)
        pytest.fail(f"{text}\n\n{self._report()}" if self._report is not None else text)

    def fnmatch_lines(
        self, lines2: Sequence[builtins.str] | builtins.str, *, consecutive: bool = False
    ) -> None:
        """Each glob pattern matches a line, in order (later lines for later patterns);
        ``consecutive``: on consecutive lines."""
        __tracebackhide__ = True
        self._match_lines(lines2, fnmatch.fnmatch, "fnmatch", consecutive)

    def re_match_lines(
        self, lines2: Sequence[builtins.str] | builtins.str, *, consecutive: bool = False
    ) -> None:
        """Like :meth:`fnmatch_lines` with regular expressions (``re.match``)."""
        __tracebackhide__ = True
        self._match_lines(lines2, _re_match, "re.match", consecutive)

    def _match_lines(
        self,
        patterns: Sequence[builtins.str] | builtins.str,
        match: Matcher,
        nickname: builtins.str,
        consecutive: bool,
    ) -> None:
        __tracebackhide__ = True
        # As pytester's: a set or a dict (no order) is a mistake, not patterns.
        if not isinstance(patterns, Sequence):
            raise TypeError(f"invalid type for lines2: {type(patterns).__name__}")
        patterns = _patterns(patterns)
        width = len(nickname) + 1
        remaining = self.lines
        log: list[builtins.str] = []
        started = False
        for pattern in patterns:
            nomatch_logged = False
            while remaining:
                line = remaining.pop(0)
                if line == pattern:
                    log.append(f"exact match: {pattern!r}")
                    started = True
                    break
                if match(line, pattern):
                    log += [f"{nickname}: {pattern!r}", f"{'with:':>{width}} {line!r}"]
                    started = True
                    break
                if consecutive and started:
                    log += [f"no consecutive match: {pattern!r}", f"{'with:':>{width}} {line!r}"]
                    self._fail(log)
                if not nomatch_logged:
                    log.append(f"{'nomatch:':>{width}} {pattern!r}")
                    nomatch_logged = True
                log.append(f"{'and:':>{width}} {line!r}")
            else:
                log.append(f"remains unmatched: {pattern!r}")
                self._fail(log)

    def fnmatch_lines_random(self, lines2: Sequence[builtins.str] | builtins.str) -> None:
        """Each glob pattern matches some line, in any order."""
        __tracebackhide__ = True
        self._random(lines2, fnmatch.fnmatch)

    def re_match_lines_random(self, lines2: Sequence[builtins.str] | builtins.str) -> None:
        """Each regular expression matches (``re.match``) some line, in any order."""
        __tracebackhide__ = True
        self._random(lines2, _re_match)

    def _random(self, patterns: Sequence[builtins.str] | builtins.str, match: Matcher) -> None:
        __tracebackhide__ = True
        lines = self.lines
        log: list[builtins.str] = []
        for pattern in _patterns(patterns):
            if any(line == pattern or match(line, pattern) for line in lines):
                log.append(f"matched:  {pattern!r}")
            else:
                log.append(f"line {pattern!r} not found in output")
                self._fail(log)

    def get_lines_after(self, fnline: builtins.str) -> list[builtins.str]:
        """The lines after the first one matching the glob ``fnline``."""
        lines = self.lines
        for index, line in enumerate(lines):
            if line == fnline or fnmatch.fnmatch(line, fnline):
                return lines[index + 1 :]
        raise ValueError(f"line {fnline!r} not found in output")

    def no_fnmatch_line(self, pat: builtins.str) -> None:
        """No line matches the glob ``pat``."""
        __tracebackhide__ = True
        self._no_match_line(pat, fnmatch.fnmatch, "fnmatch")

    def no_re_match_line(self, pat: builtins.str) -> None:
        """No line matches the regular expression ``pat``."""
        __tracebackhide__ = True
        self._no_match_line(pat, _re_match, "re.match")

    def _no_match_line(self, pat: builtins.str, match: Matcher, nickname: builtins.str) -> None:
        __tracebackhide__ = True
        width = len(nickname) + 1
        log: list[builtins.str] = []
        for line in self.lines:
            if match(line, pat):
                log += [f"{nickname}: {pat!r}", f"{'with:':>{width}} {line!r}"]
                self._fail(log)
            if not log:
                log.append(f"{'nomatch:':>{width}} {pat!r}")
            log.append(f"{'and:':>{width}} {line!r}")


class RunResult:
    """The outcome of one zenrun (or python) run, subprocess or in-process."""

    def __init__(self, args: Sequence[str], ret: int, stdout: str, stderr: str, duration: float) -> None:
        self.args = list(args)
        self.ret = ret
        self.stdout = LineMatcher(stdout, self._report)
        self.stderr = LineMatcher(stderr, self._report)
        self.outlines = self.stdout.lines
        self.errlines = self.stderr.lines
        self.duration = duration

    def __repr__(self) -> str:
        from zenrun.errors import ExitCode  # here: the pytest plugin imports zenrun on first use

        ret: object = self.ret
        with contextlib.suppress(ValueError):  # an exit code zenrun does not name: the number
            ret = ExitCode(self.ret)
        return (
            f"<RunResult ret={ret!s} len(stdout.lines)={len(self.outlines)}"
            f" len(stderr.lines)={len(self.errlines)} duration={self.duration:.2f}s>"
        )

    def _report(self) -> str:
        return (
            f"command: {' '.join(map(str, self.args))}\nexit code: {self.ret}\n"
            f"--- stdout ---\n{self.stdout.str()}\n--- stderr ---\n{self.stderr.str()}"
        )

    def fnmatch_lines(self, patterns: Sequence[str], *, stderr: bool = False) -> None:
        """Each glob pattern matches a line, in order (later lines for later patterns)."""
        (self.stderr if stderr else self.stdout).fnmatch_lines(patterns)

    def no_fnmatch_line(self, pattern: str, *, stderr: bool = False) -> None:
        """No line matches the glob ``pattern``."""
        (self.stderr if stderr else self.stdout).no_fnmatch_line(pattern)

    @classmethod
    def parse_summary_nouns(cls, lines: Sequence[str]) -> dict[str, int]:
        """The counts of the closing line among ``lines`` (pytester's name)."""
        return cls(["(lines)"], 0, "\n".join(lines), "", 0.0).parseoutcomes()

    def parseoutcomes(self) -> dict[str, int]:
        """Counts from the closing line, e.g. ``{"passed": 3, "failed": 1}``: every ``N noun``
        of it, as pytester's (``--collect-only``: ``{"pipelines": 2}``).

        The closing line is the last one ending in the session's duration
        (``... in 0.12s``), between separators or, with ``-q``, plain; ``-qq``
        prints none: a ``ValueError``, as pytester's (so does a run that stopped before
        its summary, a usage error).
        """
        for line in reversed(self.outlines):
            if _CLOSING_DURATION.search(line):
                counts = {}
                for number, word in _OUTCOME.findall(line):
                    word = {"error": "errors", "warning": "warnings"}.get(word, word)
                    counts[word] = int(number)
                return counts
        raise ValueError(f"zenrun terminal summary report not found\n{self._report()}")

    def assert_outcomes(
        self,
        passed: int = 0,
        failed: int = 0,
        skipped: int = 0,
        errors: int = 0,
        deselected: int | None = None,
        xfailed: int = 0,
        xpassed: int = 0,
        pruned: int = 0,
        warnings: int | None = None,
    ) -> None:
        """The closing line reports exactly these counts; as pytest's, ``deselected`` and
        ``warnings`` are checked only when given."""
        seen = self.parseoutcomes()
        expected = {
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "errors": errors,
            "xfailed": xfailed,
            "xpassed": xpassed,
            "pruned": pruned,
        }
        if deselected is not None:
            expected["deselected"] = deselected
        if warnings is not None:
            expected["warnings"] = warnings
        actual = {k: seen.get(k, 0) for k in expected}
        if actual != expected:
            pytest.fail(f"outcomes {actual} != expected {expected}\n{self._report()}")


class ParsedCall:
    """One recorded hook call: its arguments as attributes, its hook's name as ``_name``."""

    def __init__(self, name: str, kwargs: dict[str, object]) -> None:
        self.__dict__.update(kwargs)
        self._name = name

    def __repr__(self) -> str:
        arguments = {k: v for k, v in self.__dict__.items() if k != "_name"}
        return f"<ParsedCall {self._name!r}(**{arguments!r})>"


_REPORT_HOOKS = ("zenrun_collectreport", "zenrun_item_report")

#: ``popen(stdin=CLOSE_STDIN)``: the child's stdin is closed at once (pytester's default).
CLOSE_STDIN = object()


class HookRecorder:
    """The hook calls of an in-process run, as pytester's ``inline_run`` returns them:
    ``getcalls``, ``getreports``, ``listoutcomes``, ``assertoutcome`` and ``ret``."""

    def __init__(self, pluginmanager: Any = None) -> None:
        self.calls: list[ParsedCall] = []
        #: The run's exit code (set by :meth:`ZenrunProject.inline_run`).
        self.ret: int | None = None
        self._undo: Callable[[], None] | None = None
        if pluginmanager is not None:

            def before(hook_name: str, hook_impls: object, kwargs: dict[str, object]) -> None:
                self.calls.append(ParsedCall(hook_name, kwargs))

            def after(outcome: object, hook_name: str, hook_impls: object, kwargs: object) -> None:
                pass

            self._undo = pluginmanager.add_hookcall_monitoring(before, after)

    def finish_recording(self) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None

    def getcalls(self, names: str | Sequence[str]) -> list[ParsedCall]:
        """The calls of the hooks ``names`` (a list, or names separated by spaces)."""
        wanted = set(names.split() if isinstance(names, str) else names)
        return [call for call in self.calls if call._name in wanted]

    def popcall(self, name: str) -> ParsedCall:
        """The first recorded call of hook ``name``, taken out of the record (the test
        fails if there is none), as pytester's."""
        __tracebackhide__ = True
        for index, call in enumerate(self.calls):
            if call._name == name:
                del self.calls[index]
                return call
        pytest.fail("\n".join([f"could not find call {name!r}, in:", *(f"  {c!r}" for c in self.calls)]))

    def getcall(self, name: str) -> ParsedCall:
        """The one call of hook ``name``."""
        calls = self.getcalls(name)
        if len(calls) != 1:
            raise ValueError(f"hook {name} was called {len(calls)} times, not once")
        return calls[0]

    def getreports(self, names: str | Sequence[str] = _REPORT_HOOKS) -> list[Any]:
        """The reports of pipeline items (and of collection errors), in order."""
        return [call.__dict__["report"] for call in self.getcalls(names)]

    def matchreport(self, inamepart: str = "", names: str | Sequence[str] = _REPORT_HOOKS) -> Any:
        """The one report whose node id has ``inamepart`` as one of its ``::`` parts (or ends
        with it after a ``[``-parameter), as pytester's."""
        found = [
            report
            for report in self.getreports(names)
            if not inamepart
            or inamepart in report.nodeid.split("::")
            or report.nodeid.split("::")[-1].split("[")[0] == inamepart
        ]
        if not found:
            raise ValueError(f"could not find report matching {inamepart!r}: {self.getreports(names)!r}")
        if len(found) > 1:
            raise ValueError(f"found 2 or more reports matching {inamepart!r}: {found!r}")
        return found[0]

    def getfailures(self, names: str | Sequence[str] = _REPORT_HOOKS) -> list[Any]:
        return [report for report in self.getreports(names) if _failed(report)]

    def getfailedcollections(self) -> list[Any]:
        return self.getfailures("zenrun_collectreport")

    def listoutcomes(self) -> tuple[list[Any], list[Any], list[Any]]:
        """``(passed, skipped, failed)`` reports, as pytest counts them: an xfail is
        skipped, a (non-strict) xpass passed, an error failed."""
        passed, skipped, failed = [], [], []
        for report in self.getreports():
            outcome = report.outcome
            if outcome in ("passed", "xpassed"):
                passed.append(report)
            elif outcome in ("skipped", "xfailed"):
                skipped.append(report)
            elif _failed(report):
                failed.append(report)
        return passed, skipped, failed

    def countoutcomes(self) -> list[int]:
        return [len(reports) for reports in self.listoutcomes()]

    def assertoutcome(self, passed: int = 0, skipped: int = 0, failed: int = 0) -> None:
        """Exactly these numbers of passed, skipped and failed reports."""
        found = dict(zip(("passed", "skipped", "failed"), self.countoutcomes(), strict=True))
        expected = {"passed": passed, "skipped": skipped, "failed": failed}
        if found != expected:
            pytest.fail(f"outcomes {found} != expected {expected}: {self.getreports()!r}")

    def clear(self) -> None:
        self.calls.clear()


def _failed(report: Any) -> bool:
    return report.outcome in ("failed", "error")


#: What :meth:`ZenrunProject.env` leaves out of a run's environment outside the ``zenrunner``
#: fixture: the caller's store, pytest's options, colours a CI forces.
_OUTSIDE_ENV = ("ZENRUN_STORE", "PYTEST_ADDOPTS", "PY_COLORS", "FORCE_COLOR")


class ZenrunProject:
    """A temporary zenrun project: write files into it, run zenrun in it."""

    #: What a run that outlives its ``timeout`` raises (as pytester's ``TimeoutExpired``).
    TimeoutExpired = subprocess.TimeoutExpired
    #: :meth:`popen`'s default ``stdin``: a stdin closed at once, as pytester's.
    CLOSE_STDIN = CLOSE_STDIN

    def __init__(self, path: Path, example_dir: Path | None = None, name: str | None = None) -> None:
        self.path = path
        self.example_dir = example_dir or Path.cwd()
        #: The file positional sources make, without its extension: ``pipeline_<name>``, the
        #: test function's name (as pytester names it after the test, without its parameters).
        self.default_name = "pipeline_" + re.sub(r"\W", "_", name if name is not None else path.name)
        #: Made by the zenrunner fixture: PY_COLORS=0 is the test's own setting, and runs start
        #: where the test is (it starts in the project), as pytester's.
        self._made_by_fixture = False
        #: Plugins (objects or modules) that in-process runs and :meth:`parseconfig` register.
        self.plugins: list[object] = []
        self._syspath: list[str] = []
        self._cleanups: list[Callable[[], object]] = []
        (path / "zenrun.toml").write_text("")  # pins the rootdir here

    @property
    def store(self) -> Path:
        return self.path / ".zenrun"

    def makefile(self, ext: str, *args: str | bytes, **files: str | bytes) -> Path:
        """Write files named by keyword (``name=source``) with extension ``ext`` (``".py"``);
        positional sources, joined by newlines, make one file named after the test
        (``pipeline_<test>``). Returns the first file written."""
        if ext and not ext.startswith("."):  # as pytester: ".txt", not "txt"
            raise ValueError(f"zenrunner.makefile expects a file extension, try .{ext} instead of {ext}")
        named: list[tuple[str, str | bytes]] = []
        if args:  # as pytester's: positional sources are the lines of one file
            joined = b"\n".join(a if isinstance(a, bytes) else a.encode() for a in args)
            text = joined if any(isinstance(a, bytes) for a in args) else joined.decode()
            named.append((self.default_name, text))
        named += list(files.items())
        written: list[Path] = []
        for name, source in named:
            # pytester gives a name its suffix once: ``makepyfile(**{"pkg/test_a.py": src})``
            # writes ``pkg/test_a.py`` (a port of pytester's tests names files so), not ``.py.py``.
            path = self.path / (name if ext and name.endswith(ext) else f"{name}{ext}")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, bytes):
                path.write_bytes(source)
            else:
                path.write_text(textwrap.dedent(str(source)).lstrip("\n"))
            written.append(path)
        return written[0] if written else self.path

    def maketxtfile(self, *args: str | bytes, **files: str | bytes) -> Path:
        """Write ``.txt`` files, as :meth:`makefile`."""
        return self.makefile(".txt", *args, **files)

    def makepyprojecttoml(self, source: str) -> Path:
        """Write ``pyproject.toml``: its ``[tool.zenrun]`` table configures zenrun, unless
        :meth:`maketoml` wrote a ``zenrun.toml`` (that one comes first)."""
        self._unpin()
        return self.makefile(".toml", pyproject=source)

    def _unpin(self) -> None:
        """Remove the empty ``zenrun.toml`` the project starts with (it pins the rootdir), which
        would configure zenrun before a config file a test writes."""
        pin = self.path / "zenrun.toml"
        if pin.is_file() and pin.stat().st_size == 0:
            pin.unlink()

    def mkdir(self, name: str | os.PathLike[str]) -> Path:
        """Make a folder in the project; returns it."""
        path = self.path / name
        path.mkdir(parents=True)
        return path

    def mkpydir(self, name: str | os.PathLike[str]) -> Path:
        """Make a package folder (with an empty ``__init__.py``); returns it."""
        path = self.mkdir(name)
        (path / "__init__.py").touch()
        return path

    def chdir(self) -> None:
        """Make the project the current directory (the fixture does it; restored after the test)."""
        os.chdir(self.path)

    def syspathinsert(self, path: str | os.PathLike[str] | None = None) -> None:
        """Put ``path`` (default: the project) first on ``sys.path`` for the rest of the test,
        and on ``PYTHONPATH`` of the runs it starts."""
        entry = str(self.path if path is None else path)
        sys.path.insert(0, entry)
        self._syspath.insert(0, entry)
        self._cleanups.append(lambda: sys.path.remove(entry) if entry in sys.path else None)

    def makepyfile(self, *args: str, **files: str) -> Path:
        """Write Python files: ``makepyfile(pipeline_x="...")`` or ``makepyfile("...")``."""
        return self.makefile(".py", *args, **files)

    def makeconftest(self, source: str, directory: str = ".") -> Path:
        path = self.path / directory / "conftest.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        return path

    def makeini(self, source: str) -> Path:
        """Write ``tox.ini`` (as pytester's ``makeini``): its ``[zenrun]`` section configures
        zenrun, unless :meth:`maketoml` wrote a ``zenrun.toml`` (that one comes first)."""
        self._unpin()
        return self.makefile(".ini", tox=source)

    def getinicfg(self, source: str) -> dict[str, str]:
        """Write ``tox.ini`` from ``source`` and return its ``[zenrun]`` section."""
        from zenrun.config.findpaths import load_config_file

        return load_config_file(self.makeini(source)) or {}

    def maketoml(self, source: str) -> Path:
        """Replace ``zenrun.toml`` (the ``[tool.zenrun]`` keys, without the header)."""
        path = self.path / "zenrun.toml"
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        return path

    def _default_cwd(self) -> Path:
        """Where a run starts: where the test is, for the fixture's project (as pytester's);
        else the project."""
        return Path.cwd() if self._made_by_fixture else self.path

    def env(self, **extra: str) -> dict[str, str]:
        # (the zenrunner fixture sets PY_COLORS=0 as the test starts, as pytester: a CI forcing
        # colours does not colour the output a test reads, and the test may set them itself)
        dropped = ("ZENRUN_STORE", "PYTEST_ADDOPTS") if self._made_by_fixture else _OUTSIDE_ENV
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if self._syspath:
            env["PYTHONPATH"] = os.pathsep.join([*self._syspath, *filter(None, [env.get("PYTHONPATH")])])
        env.update(extra)
        return env

    def runzenrun(self, *args: str | os.PathLike[str], **kwargs: Any) -> RunResult:
        """Run zenrun in the project (pytester's ``runpytest``): as :meth:`run`."""
        return self.run(*map(str, args), **kwargs)

    def runzenrun_subprocess(
        self, *args: str | os.PathLike[str], timeout: float | None = None, stdin: str | None = None
    ) -> RunResult:
        """Run ``python -m zenrun ARGS`` in a subprocess (pytester's ``runpytest_subprocess``);
        ``stdin``: what it reads on its standard input (default: nothing, as a closed one),
        e.g. the commands of a debugger."""
        return self.run(*map(str, args), timeout=300 if timeout is None else timeout, stdin=stdin)

    def _plugin_args(self) -> list[str]:
        """:attr:`plugins` as ``-p NAME`` options of a subprocess; an object cannot cross."""
        args: list[str] = []
        for plugin in self.plugins:
            if not isinstance(plugin, str):
                raise ValueError(
                    f"plugins as objects is not supported in a subprocess run ({plugin!r}): "
                    "name a module, or run in-process"
                )
            args += ["-p", plugin]
        return args

    def parseconfig(self, *args: str | os.PathLike[str]) -> Config:
        """The session's :class:`~zenrun.config.Config` for ``args`` in the project, plugins and
        conftests loaded, nothing run (pytester's ``parseconfig``); unconfigured after the test."""
        from zenrun.config import create_config

        with _isolated(self.path, self.path, self.env(), keep_modules=True):
            config = create_config([str(a) for a in args], self.plugins)
        self._cleanups.append(config._ensure_unconfigure)
        return config

    def parseconfigure(self, *args: str | os.PathLike[str]) -> Config:
        """:meth:`parseconfig`, then the ``zenrun_configure`` hooks called."""
        config = self.parseconfig(*args)
        config.hook.zenrun_configure.call_historic(kwargs=dict(config=config))
        return config

    def _finish(self) -> None:
        for cleanup in reversed(self._cleanups):
            cleanup()
        self._cleanups.clear()

    def run(
        self,
        *args: str,
        timeout: float = 300,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        inprocess: bool = False,
        stdin: str | None = None,
    ) -> RunResult:
        """Run ``python -m zenrun ARGS`` in the current directory (the project, unless the test
        moved: as pytester's), or ``cwd``; returns its :class:`RunResult`.

        ``inprocess=True`` runs it in this process instead (see :meth:`runzenrun_inprocess`).
        ``stdin``: the subprocess's standard input (default: none, as pytester's).
        """
        if inprocess:
            if stdin is not None:
                raise ValueError("stdin= needs a subprocess: pass it without inprocess=True")
            return self.runzenrun_inprocess(*args, env=env, cwd=cwd)
        command = [sys.executable, "-m", "zenrun", *self._plugin_args(), *map(str, args)]
        return self._run(command, timeout, env, cwd, stdin)

    def runzenrun_inprocess(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        plugins: Sequence[object] = (),
    ) -> RunResult:
        """Call ``zenrun.main(args)`` in this process, isolated, capturing its output
        (``plugins`` registered after :attr:`plugins`).

        Project modules are imported afresh and removed afterwards; ``sys.path``,
        the cwd, the environment, the ``zenrun`` and root loggers, warning
        filters and the Python API's cached configs are restored. A
        ``SystemExit`` or ``KeyboardInterrupt`` escaping ``main`` becomes the exit code (2 for
        an interrupt), as the subprocess would report it.
        """
        # Imported here: pytest loads this plugin in every session of an environment with
        # zenrun installed, and only tests that run zenrun should pay for importing it.
        from zenrun import config as config_module
        from zenrun.main import main

        argv = [str(a) for a in args]
        stdout, stderr = _CaptureIO(), _CaptureIO()
        started = time.perf_counter()
        with (
            _isolated(self.path, cwd or self._default_cwd(), {**self.env(), **(env or {})}),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            saved_api = dict(config_module.api_configs())
            try:
                ret = int(main(argv, [*self.plugins, *plugins]))
            except SystemExit as exc:
                ret = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=sys.stderr)
            except KeyboardInterrupt:
                ret = 2
            finally:
                for key in set(config_module.api_configs()) - set(saved_api):
                    config_module.api_configs().pop(key)._ensure_unconfigure()
        return RunResult(
            ["zenrun(inprocess)", *argv],
            ret,
            stdout.getvalue(),
            stderr.getvalue(),
            time.perf_counter() - started,
        )

    def inline_run(self, *args: str | os.PathLike[str], plugins: Sequence[object] = ()) -> HookRecorder:
        """Run zenrun in this process (as :meth:`runzenrun_inprocess`) and return the
        :class:`HookRecorder` of its hook calls, as pytester's ``inline_run``."""
        from zenrun.hookspec import hookimpl

        recorders: list[HookRecorder] = []

        class Recording:
            @hookimpl(tryfirst=True)
            def zenrun_configure(self, config: Any) -> None:
                recorders.append(HookRecorder(config.pluginmanager))

        try:
            result = self.runzenrun_inprocess(*map(str, args), plugins=[*plugins, Recording()])
        finally:
            for recorder in recorders:
                recorder.finish_recording()
        recorder = recorders[-1] if recorders else HookRecorder()  # a usage error: nothing recorded
        recorder.ret = result.ret
        return recorder

    def getitems(self, source: str | os.PathLike[str]) -> list[Any]:
        """The pipeline items of a module, collected in this process (pytester's
        ``getitems``): ``source`` is the module's source (written as the test's pipeline
        module) or the path of a module in the project."""
        __tracebackhide__ = True
        path = self.path / source if isinstance(source, os.PathLike) else self.makepyfile(source)
        recorder = self.inline_run("--collect-only", "-p", "no:results", path)
        calls = recorder.getcalls("zenrun_collection_finish")
        if not calls:
            pytest.fail(f"zenrun could not collect {path} (exit code {recorder.ret})")
        session: Any = calls[-1].__dict__["session"]
        return list(session.items)

    def getitem(self, source: str | os.PathLike[str], funcname: str = "test_func") -> Any:
        """The item named ``funcname`` among :meth:`getitems` of ``source``."""
        __tracebackhide__ = True
        items = self.getitems(source)
        for item in items:
            if item.name == funcname:
                return item
        pytest.fail(f"{funcname!r} item not found in module {source!r}: items {items!r}")

    def inline_runsource(self, source: str, *args: str | os.PathLike[str]) -> HookRecorder:
        """Write ``source`` as the test's pipeline module and :meth:`inline_run` it."""
        path = self.makepyfile(source)
        return self.inline_run(path, *args)

    def copy_example(self, name: str | os.PathLike[str]) -> Path:
        """Copy an example file or directory (a path, or relative to ``zenrunner_example_dir``)
        into the project; returns where it landed. A directory's content is copied into the
        project root, as pytester does."""
        source = Path(name)
        if not source.is_absolute():
            source = self.example_dir / source
        if not source.exists():
            raise LookupError(f"example {name!s} not found (looked at {source})")
        if source.is_dir():
            shutil.copytree(source, self.path, dirs_exist_ok=True)
            return self.path
        target = self.path / source.name
        shutil.copy2(source, target)
        return target

    def runpython(
        self, script: str | Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> RunResult:
        """Run a Python script (a path, or source text written to a file) in the project."""
        path = Path(script) if isinstance(script, Path) else self.makepyfile(_script_=script)
        return self._run([sys.executable, str(path), *args], timeout, env, None)

    def runpython_c(self, command: str, timeout: float = 300, stdin: int | bytes | None = None) -> RunResult:
        """Run ``python -c COMMAND`` in the project; ``stdin``: bytes to read, or
        ``subprocess.PIPE`` (an empty, open stdin), as pytester's ``run``; none by default."""
        return self._run([sys.executable, "-c", command], timeout, None, None, stdin)

    def popen(
        self,
        cmdargs: Sequence[str | os.PathLike[str]],
        stdout: int | IO[Any] | None = subprocess.PIPE,
        stderr: int | IO[Any] | None = subprocess.PIPE,
        stdin: object = CLOSE_STDIN,
        **kw: Any,
    ) -> subprocess.Popen[bytes]:
        """Start ``cmdargs`` in the project with the runs' environment, as pytester's
        ``popen``: stdin closed by default (:attr:`CLOSE_STDIN`), ``bytes`` written to it,
        else passed on (``None``: left open for ``communicate(input)``)."""
        kw.setdefault("cwd", self._default_cwd())
        kw.setdefault("env", self.env())
        pipe = stdin is CLOSE_STDIN or isinstance(stdin, bytes)
        kw["stdin"] = subprocess.PIPE if pipe else stdin
        proc: subprocess.Popen[bytes] = subprocess.Popen(
            [os.fspath(a) for a in cmdargs], stdout=stdout, stderr=stderr, **kw
        )
        if proc.stdin is not None and stdin is CLOSE_STDIN:
            proc.stdin.close()
        elif proc.stdin is not None and isinstance(stdin, bytes):
            proc.stdin.write(stdin)
        return proc

    def _run(
        self,
        command: list[str],
        timeout: float,
        env: dict[str, str] | None,
        cwd: Path | None,
        stdin: str | int | bytes | None = None,
    ) -> RunResult:
        started = time.perf_counter()
        proc = subprocess.run(
            command,
            cwd=cwd or self._default_cwd(),
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            # text or bytes: what the command reads; else a stdin (subprocess.PIPE), none by default
            input=stdin.decode() if isinstance(stdin, bytes) else stdin if isinstance(stdin, str) else None,
            stdin=subprocess.DEVNULL if stdin is None else stdin if isinstance(stdin, int) else None,
        )
        return RunResult(command, proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)


class _CaptureIO(io.StringIO):
    """A text stream like a pipe's: not a terminal, with an ``encoding``."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return False


def _project_module(module: object, roots: tuple[str, ...]) -> bool:
    namespace = getattr(module, "__dict__", {})  # not getattr(): a module __getattr__ may raise
    files = [namespace.get("__file__") or "", *list(namespace.get("__path__") or [])]
    return any(isinstance(f, str) and f.startswith(roots) for f in files if f)


@contextlib.contextmanager
def _isolated(
    project: Path, cwd: Path, environ: dict[str, str], keep_modules: bool = False
) -> Iterator[None]:
    """Process state an in-process run may change, restored afterwards (``keep_modules``:
    but the project's modules it imported, which a config kept for the test still uses)."""
    # Modules the run imports from the test's temporary area (the project, and what else the
    # test made beside it under the same base: ``tmp_path_factory.mktemp("site")`` put on
    # sys.path) are the test's: left loaded, a later test's ``foo`` would be this one's.
    roots = tuple({str(p) for base in (project, project.parent) for p in (base, base.resolve())})
    saved_modules = dict(sys.modules)
    # The project's conftests must be imported afresh: hide same-named modules (the host
    # suite's conftest). A project module the test imported itself stays, as pytester's:
    # the run's code and the test share it.
    for name in saved_modules:
        if name == "conftest" or name.startswith("conftest."):
            del sys.modules[name]
    saved_path, saved_meta_path = list(sys.path), list(sys.meta_path)
    saved_cwd, saved_env = os.getcwd(), dict(os.environ)
    saved_argv = list(sys.argv)
    # As PYTHONDONTWRITEBYTECODE=1 in a subprocess's environment: a project file the test
    # rewrites within the same second and at the same size must not be imported again from
    # the .pyc its first run wrote (Python checks the source's mtime in whole seconds).
    saved_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    loggers = [logging.getLogger(), logging.getLogger("zenrun")]
    saved_logging = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    sys.argv = ["zenrun"]
    # As in a subprocess: pytest's own import hook (it rewrites the asserts of every file
    # named conftest.py) does not import the project's conftests, which would otherwise fail
    # with pytest's explanations and show its frame in an import error's traceback.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "_pytest.assertion.rewrite"]
    try:
        with warnings.catch_warnings():
            yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        sys.dont_write_bytecode = saved_bytecode
        sys.path[:] = saved_path
        sys.meta_path[:] = saved_meta_path
        for logger, handlers, level, propagate, disabled in saved_logging:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
        for name in [
            n
            for n, m in sys.modules.items()
            if n not in saved_modules
            and not keep_modules
            and (_project_module(m, roots) or n == "conftest" or n.startswith("conftest."))
        ]:
            del sys.modules[name]
        sys.modules.update(saved_modules)
        import importlib

        importlib.invalidate_caches()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "zenrunner_example_dir",
        "directory zenrunner.copy_example copies from (relative to the rootdir)",
        default=None,
    )


@pytest.fixture
def zenrunner(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ZenrunProject]:
    """A fresh zenrun project in ``tmp_path``, the current directory while the test runs (as
    pytester's); ``.run(*args)`` runs the real CLI there."""
    # As pytester: the caller's $ZENRUN_ADDOPTS must not reach the project's runs, nor its
    # colours (the test may set them: PY_COLORS=1, FORCE_COLOR).
    monkeypatch.delenv("ZENRUN_ADDOPTS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("PY_COLORS", "0")
    # As pytester: the project is $HOME while the test runs, so no user-level configuration
    # (~/.gitconfig, a library's ~/.config or ~/.cache) reaches its runs, nor do they write
    # there; the test may set it again.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    configured = request.config.getini("zenrunner_example_dir")
    example_dir = request.config.rootpath / configured if configured else request.path.parent
    function = getattr(request, "function", None)  # as pytester: the test function's name
    project = ZenrunProject(tmp_path, example_dir, name=function.__name__ if function else request.node.name)
    project._made_by_fixture = True
    monkeypatch.chdir(tmp_path)
    try:
        yield project
    finally:
        project._finish()


@pytest.fixture
def runzenrun_inprocess(zenrunner: ZenrunProject) -> Callable[..., RunResult]:
    """``runzenrun_inprocess(*args)``: run zenrun in this process in the ``zenrunner`` project."""
    return zenrunner.runzenrun_inprocess


def read_store(path: Path) -> SqliteMetadataStore:
    """Open the SQLite metadata store of a project (for assertions on records); the outputs
    of its records read their values (``.output.read()``) through the Python API."""
    # here: see runzenrun_inprocess; the Python API registers how records read artifacts
    import zenrun.metadata.api  # noqa: F401
    from zenrun.metadata.sqlite import SqliteMetadataStore

    return SqliteMetadataStore(Path(path) / "metadata.db")
