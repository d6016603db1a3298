"""Port of pytest's ``testing/deprecated_test.py`` (pytest-dev/pytest, the stored pytest 3.x
version) where it applies: what pytest 3 deprecated and pytest 4 made an error is an error
in zenrun too, so these cases check the error pytest gives today.

- ``test_str_args_deprecated``: ``zenrun.main("...")`` with a string is a ``TypeError``
  (pytest's wording; zenrun's: a path is one argument, and ``zenrun.main`` stays callable
  once the module ``zenrun.main`` is imported);
- ``test_pytest_plugins_in_non_top_level_conftest_deprecated*`` (3): ``zenrun_plugins``
  in a conftest below the rootdir is an error naming it, one at the top is not;
- ``test_call_fixture_function_deprecated``: calling a fixture function directly fails.

Not applicable (removed from pytest, with no zenrun equivalent): yield tests, the
``pytest_funcarg__`` prefix, ``[pytest]`` in ``setup.cfg`` / a custom ``.cfg``,
``request.getfuncargvalue``, ``--result-log``, ``Metafunc.addcall``,
``TerminalReporter.writer``, the ``pytest-catchlog`` / ``pytest-capturelog`` plugins.
"""

from __future__ import annotations

import pytest

import zenrun

CONFTEST_PLUGINS_ERROR = "Defining 'zenrun_plugins' in a non-top-level conftest is no longer supported:"

PIPELINE = """
from zenrun import pipeline, step

@step
def check():
    pass

@pipeline
def test_func():
    check()
"""


def test_str_args_deprecated(zenrunner) -> None:
    """Passing a string to zenrun.main() is an error (pytest 4: deprecation removed)."""
    with pytest.raises(TypeError, match=r"`args` parameter expected to be a list of strings, got: '.* -x'"):
        zenrun.main(f"{zenrunner.path} -x")


def test_str_args_after_importing_the_module(zenrunner) -> None:
    """zenrun's: ``zenrun.main`` is the function also once the module ``zenrun.main`` was
    imported (which sets the package's attribute to the module)."""
    result = zenrunner.runpython_c("import zenrun.main, zenrun; zenrun.main('-x .')")
    result.stderr.fnmatch_lines(
        ["TypeError: `args` parameter expected to be a list of strings, got: '-x .'*"]
    )
    result = zenrunner.runpython_c(
        "import zenrun.main, zenrun; raise SystemExit(zenrun.main(['--co', '-q']))"
    )
    assert result.ret == zenrun.ExitCode.NO_PIPELINES_COLLECTED


def test_path_args(zenrunner) -> None:
    """zenrun's: a path is one argument (pytest: ``os.PathLike`` accepted)."""
    zenrunner.makepyfile(PIPELINE)
    result = zenrunner.runzenrun_inprocess("--co", "-q")
    result.stdout.fnmatch_lines(["*test_func*"])
    assert zenrun.main(zenrunner.path / "no-such-dir") == zenrun.ExitCode.USAGE_ERROR


def test_pytest_plugins_in_non_top_level_conftest_deprecated(zenrunner) -> None:
    subdirectory = zenrunner.path / "subdirectory"
    subdirectory.mkdir()
    (subdirectory / "conftest.py").write_text("zenrun_plugins=['zenrun.tmpdir']\n")
    zenrunner.makeconftest(
        """
        import warnings
        warnings.filterwarnings('always', category=DeprecationWarning)
        """
    )
    zenrunner.makepyfile(**{"subdirectory/pipeline_func": PIPELINE})
    res = zenrunner.runzenrun_subprocess()
    assert res.ret != 0
    res.stdout.fnmatch_lines(["*" + CONFTEST_PLUGINS_ERROR])


def test_pytest_plugins_in_non_top_level_conftest_deprecated_no_top_level_conftest(zenrunner) -> None:
    subdirectory = zenrunner.path / "subdirectory"
    subdirectory.mkdir()
    (subdirectory / "conftest.py").write_text(
        "import warnings\nwarnings.filterwarnings('always', category=DeprecationWarning)\n"
        "zenrun_plugins=['zenrun.tmpdir']\n"
    )
    zenrunner.makepyfile(**{"subdirectory/pipeline_func": PIPELINE})
    res = zenrunner.runzenrun_subprocess()
    assert res.ret != 0
    res.stdout.fnmatch_lines(["*" + CONFTEST_PLUGINS_ERROR])


def test_pytest_plugins_in_non_top_level_conftest_deprecated_no_false_positives(zenrunner) -> None:
    subdirectory = zenrunner.path / "subdirectory"
    subdirectory.mkdir()
    (subdirectory / "conftest.py").write_text("pass\n")
    zenrunner.makeconftest(
        """
        import warnings
        warnings.filterwarnings('always', category=DeprecationWarning)
        zenrun_plugins=['zenrun.tmpdir']
        """
    )
    zenrunner.makepyfile(**{"subdirectory/pipeline_func": PIPELINE})
    res = zenrunner.runzenrun_subprocess()
    assert res.ret == 0
    assert CONFTEST_PLUGINS_ERROR not in res.stdout.str() + res.stderr.str()


def test_call_fixture_function_deprecated() -> None:
    """Calling a fixture function directly is an error (pytest #3661; a deprecation in pytest 3)."""

    @zenrun.fixture
    def fix():
        return 1

    with pytest.raises(zenrun.fail.Exception, match='Fixture "fix" called directly'):
        fix()
