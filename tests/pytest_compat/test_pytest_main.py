"""Port of pytest's ``testing/test_main.py`` (pytest-dev/pytest): what escapes the
session (an exception or ``SystemExit`` in ``zenrun_sessionstart``,
``zenrun.exit()`` in ``zenrun_internalerror`` / ``zenrun_sessionfinish``) and
the parsing of path arguments (``resolve_collection_argument``).

Deliberate difference kept: zenrun's INTERNALERROR report starts with a line
naming the plugin at fault (``INTERNALERROR in plugin '.../conftest.py' while
running the session:``); pytest's ``Traceback`` line is the second line.
Not ported: ``--basetemp`` (zenrun has no temporary-directory fixtures) and
the namespace-package half of ``test_pypath`` (``consider_namespace_packages``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from porting import pipelines

from zenrun.collect import CollectionArgument, resolve_collection_argument
from zenrun.config import UsageError


@pytest.mark.parametrize(
    "ret_exc",
    (pytest.param((None, ValueError)), pytest.param((42, SystemExit)), pytest.param((False, SystemExit))),
)
def test_wrap_session_notify_exception(ret_exc, zenrunner) -> None:
    returncode, exc = ret_exc
    c1 = zenrunner.makeconftest(
        f"""
import zenrun

def zenrun_sessionstart():
    raise {exc.__name__}("boom")

def zenrun_internalerror(excrepr, excinfo):
    returncode = {returncode!r}
    if returncode is not False:
        zenrun.exit("exiting after %s..." % type(excinfo).__name__, returncode={returncode!r})
"""
    )
    result = zenrunner.runzenrun_inprocess()
    if returncode:
        assert result.ret == returncode
    else:
        assert result.ret == 3
    assert result.stdout.lines[0].startswith("INTERNALERROR> INTERNALERROR in plugin ")
    assert result.stdout.lines[1] == "INTERNALERROR> Traceback (most recent call last):"

    end_lines = result.stdout.lines[-3:]
    if exc is SystemExit:
        assert end_lines == [
            f'INTERNALERROR>   File "{c1}", line 4, in zenrun_sessionstart',
            'INTERNALERROR>     raise SystemExit("boom")',
            "INTERNALERROR> SystemExit: boom",
        ]
    else:
        assert end_lines == [
            f'INTERNALERROR>   File "{c1}", line 4, in zenrun_sessionstart',
            'INTERNALERROR>     raise ValueError("boom")',
            "INTERNALERROR> ValueError: boom",
        ]
    if returncode is False:
        assert result.stderr.lines == ["mainloop: caught unexpected SystemExit!"]
    else:
        assert result.stderr.lines == [f"Exit: exiting after {exc.__name__}..."]


@pytest.mark.parametrize("returncode", (None, 42))
def test_wrap_session_exit_sessionfinish(returncode: int | None, zenrunner) -> None:
    zenrunner.makeconftest(
        f"""
import zenrun
def zenrun_sessionfinish():
    zenrun.exit(reason="exit_zenrun_sessionfinish", returncode={returncode})
"""
    )
    result = zenrunner.runzenrun_inprocess()
    if returncode:
        assert result.ret == returncode
    else:
        assert result.ret == 5
    # no summary follows (zenrun ends the "collected" line with a blank line at once)
    assert [line for line in result.stdout.lines if line][-1] == "collected 0 pipelines"
    assert result.stderr.lines == ["Exit: exit_zenrun_sessionfinish"]


class TestResolveCollectionArgument:
    @pytest.fixture
    def invocation_path(self, tmp_path, monkeypatch) -> Path:
        monkeypatch.syspath_prepend(tmp_path / "src")
        monkeypatch.chdir(tmp_path)
        for name in ("pkg", "pkg.test"):  # found afresh here (--pyargs imports the package)
            monkeypatch.delitem(sys.modules, name, raising=False)
        pkg = tmp_path.joinpath("src/pkg")
        pkg.mkdir(parents=True)
        pkg.joinpath("__init__.py").touch()
        pkg.joinpath("test.py").touch()
        return tmp_path

    @staticmethod
    def arg(path, parts, parametrization, index, text):
        return CollectionArgument(Path(path), tuple(parts), parametrization, index, text)

    def test_file(self, invocation_path: Path) -> None:
        """File and parts."""
        file = invocation_path / "src/pkg/test.py"
        assert resolve_collection_argument(invocation_path, "src/pkg/test.py", 0) == self.arg(
            file, [], None, 0, "src/pkg/test.py"
        )
        assert resolve_collection_argument(invocation_path, "src/pkg/test.py::", 10) == self.arg(
            file, [""], None, 10, "src/pkg/test.py::"
        )
        assert resolve_collection_argument(invocation_path, "src/pkg/test.py::foo::bar", 20) == self.arg(
            file, ["foo", "bar"], None, 20, "src/pkg/test.py::foo::bar"
        )
        assert resolve_collection_argument(invocation_path, "src/pkg/test.py::foo::bar::", 30) == self.arg(
            file, ["foo", "bar", ""], None, 30, "src/pkg/test.py::foo::bar::"
        )
        assert resolve_collection_argument(
            invocation_path, "src/pkg/test.py::foo::bar[a,b,c]", 40
        ) == self.arg(file, ["foo", "bar"], "[a,b,c]", 40, "src/pkg/test.py::foo::bar[a,b,c]")

    def test_dir(self, invocation_path: Path) -> None:
        """Directory and parts."""
        assert resolve_collection_argument(invocation_path, "src/pkg", 0) == self.arg(
            invocation_path / "src/pkg", [], None, 0, "src/pkg"
        )
        with pytest.raises(UsageError, match=r"directory argument cannot contain :: selection parts"):
            resolve_collection_argument(invocation_path, "src/pkg::", 0)
        with pytest.raises(UsageError, match=r"directory argument cannot contain :: selection parts"):
            resolve_collection_argument(invocation_path, "src/pkg::foo::bar", 0)

    def test_parametrized_name_with_colons(self, invocation_path: Path) -> None:
        assert resolve_collection_argument(invocation_path, "src/pkg/test.py::test[a::b]", 0) == self.arg(
            invocation_path / "src/pkg/test.py", ["test"], "[a::b]", 0, "src/pkg/test.py::test[a::b]"
        )

    @pytest.mark.parametrize("arg", ["x.py[a]", "x.py[a]::foo", "x/y.py[a]::foo::bar", "x.py[a]::foo[b]"])
    def test_path_parametrization_not_allowed(self, invocation_path: Path, arg: str) -> None:
        with pytest.raises(UsageError, match=r"path cannot contain \[\] parametrization"):
            resolve_collection_argument(invocation_path, arg, 0)

    def test_pypath(self, invocation_path: Path) -> None:
        """Dotted name and parts (``--pyargs``; pytest's namespace-package variant needs its
        ``consider_namespace_packages`` option, which zenrun does not have)."""
        file = invocation_path / "src/pkg/test.py"
        assert resolve_collection_argument(invocation_path, "pkg.test", 0, as_pypath=True) == self.arg(
            file, [], None, 0, "pkg.test"
        )
        assert resolve_collection_argument(
            invocation_path, "pkg.test::foo::bar", 0, as_pypath=True
        ) == self.arg(file, ["foo", "bar"], None, 0, "pkg.test::foo::bar")
        assert resolve_collection_argument(invocation_path, "pkg", 0, as_pypath=True) == self.arg(
            invocation_path / "src/pkg", [], None, 0, "pkg"
        )
        with pytest.raises(UsageError, match=r"package argument cannot contain :: selection parts"):
            resolve_collection_argument(invocation_path, "pkg::foo::bar", 0, as_pypath=True)

    def test_does_not_exist(self, invocation_path: Path) -> None:
        """A file or directory that does not exist is a usage error."""
        with pytest.raises(UsageError, match=re.escape("file or directory not found: foobar")):
            resolve_collection_argument(invocation_path, "foobar", 0)
        with pytest.raises(
            UsageError, match=re.escape("module or package not found: foobar (missing __init__.py?)")
        ):
            resolve_collection_argument(invocation_path, "foobar", 0, as_pypath=True)

    def test_absolute_paths_are_resolved_correctly(self, invocation_path: Path) -> None:
        """Absolute paths resolve back to absolute paths."""
        full_path = str(invocation_path / "src")
        assert resolve_collection_argument(invocation_path, full_path, 0) == self.arg(
            Path(os.path.abspath("src")), [], None, 0, full_path
        )
        _drive, full_path_without_drive = os.path.splitdrive(full_path)
        assert resolve_collection_argument(invocation_path, full_path_without_drive, 0) == self.arg(
            Path(os.path.abspath("src")), [], None, 0, full_path_without_drive
        )


def test_module_full_path_without_drive(zenrunner) -> None:
    """Collect and run a pipeline given by its full path without the drive letter (#7628)."""
    zenrunner.makepyfile(
        **{
            "project/conftest": """
                import zenrun
                @zenrun.fixture
                def fix(): return 1
            """,
        }
    )
    zenrunner.makepyfile(
        **{"project/pipelines/dummy_test": pipelines("def test(fix):\n    assert fix == 1\n")}
    )
    fn = zenrunner.path.joinpath("project/pipelines/dummy_test.py")
    assert fn.is_file()
    _drive, path = os.path.splitdrive(str(fn))
    result = zenrunner.runzenrun_inprocess(path, "-v")
    result.stdout.fnmatch_lines(
        [os.path.join("project", "pipelines", "dummy_test.py") + "::test PASSED *", "* 1 passed in *"]
    )


def test_very_long_cmdline_arg(zenrunner) -> None:
    """A very long option value (#11394)."""
    zenrunner.makeconftest(
        """
        import zenrun

        def zenrun_addoption(parser):
            parser.addoption("--long-list", dest="long_list", action="store", default="all", help="List of things")

        @zenrun.fixture(scope="module")
        def specified_feeds(request):
            list_string = request.config.getoption("--long-list")
            return list_string.split(',')
        """
    )
    zenrunner.makepyfile(
        pipelines("def test_foo(specified_feeds):\n    assert len(specified_feeds) == 100_000\n")
    )
    result = zenrunner.runzenrun_inprocess("--long-list", ",".join(["helloworld"] * 100_000))
    result.stdout.fnmatch_lines("* 1 passed *")
