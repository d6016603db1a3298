"""Port of pytest's ``testing/test_python_path.py`` (pytest-dev/pytest), the whole file.

The ``pythonpath`` setting of ``[tool.zenrun]``: directories put first on
``sys.path`` for the session, relative to the config file, early enough for
``-p`` plugins and conftests, removed when the session ends. pytest's
``pytest.ini`` (``[pytest]\\npythonpath=sub``) is ``zenrun.toml``
(``pythonpath = ["sub"]``); pytest's test modules are pipeline modules
(``porting.pipelines``: the assertion runs in the ``check`` step).
"""

from __future__ import annotations

import sys
from textwrap import dedent

import pytest
from porting import pipelines

import zenrun


@pytest.fixture()
def file_structure(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_foo=pipelines(
            """
        from foo import foo

        def test_foo():
            assert foo() == 1
        """
        )
    )

    zenrunner.makepyfile(
        pipeline_bar=pipelines(
            """
        from bar import bar

        def test_bar():
            assert bar() == 2
        """
        )
    )

    foo_py = zenrunner.mkdir("sub") / "foo.py"
    content = dedent(
        """
        def foo():
            return 1
        """
    )
    foo_py.write_text(content, encoding="utf-8")

    bar_py = zenrunner.mkdir("sub2") / "bar.py"
    content = dedent(
        """
        def bar():
            return 2
        """
    )
    bar_py.write_text(content, encoding="utf-8")


def test_one_dir(zenrunner, file_structure) -> None:
    zenrunner.maketoml('pythonpath = ["sub"]\n')
    result = zenrunner.runzenrun_inprocess("pipeline_foo.py")
    assert result.ret == 0
    result.assert_outcomes(passed=1)


def test_two_dirs(zenrunner, file_structure) -> None:
    zenrunner.maketoml('pythonpath = ["sub", "sub2"]\n')
    result = zenrunner.runzenrun_inprocess("pipeline_foo.py", "pipeline_bar.py")
    assert result.ret == 0
    result.assert_outcomes(passed=2)


def test_local_plugin(zenrunner, file_structure) -> None:
    """`pythonpath` kicks early enough to load plugins via -p (#11118)."""
    localplugin_py = zenrunner.path / "sub" / "localplugin.py"
    content = dedent(
        """
        def zenrun_load_initial_conftests():
            print("local plugin load")

        def zenrun_unconfigure():
            print("local plugin unconfig")
        """
    )
    localplugin_py.write_text(content, encoding="utf-8")

    zenrunner.maketoml('pythonpath = ["sub"]\n')
    result = zenrunner.runzenrun_inprocess("-plocalplugin", "-s", "pipeline_foo.py")
    result.stdout.fnmatch_lines(["local plugin load", "local plugin unconfig"])
    assert result.ret == 0
    result.assert_outcomes(passed=1)


def test_module_not_found(zenrunner, file_structure) -> None:
    """Without the pythonpath setting, the module should not be found."""
    zenrunner.maketoml("")
    result = zenrunner.runzenrun_inprocess("pipeline_foo.py")
    assert result.ret == zenrun.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    expected_error = "E   ModuleNotFoundError: No module named 'foo'"
    result.stdout.fnmatch_lines([expected_error])


def test_no_config_file(zenrunner, file_structure) -> None:
    """If no configuration file, test should error."""
    (zenrunner.path / "zenrun.toml").unlink()
    result = zenrunner.runzenrun_inprocess("pipeline_foo.py")
    assert result.ret == zenrun.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    expected_error = "E   ModuleNotFoundError: No module named 'foo'"
    result.stdout.fnmatch_lines([expected_error])


def test_clean_up(zenrunner) -> None:
    """Test that the plugin cleans up after itself."""
    # This is tough to test behaviorally because the cleanup really runs last.
    # So the test make several implementation assumptions:
    # - Cleanup is done in zenrun_unconfigure().
    # - Not a hook wrapper.
    # So we can add a hook wrapper ourselves to test what it does.
    zenrunner.maketoml('pythonpath = ["I_SHALL_BE_REMOVED"]\n')
    zenrunner.makepyfile(pipeline_foo=pipelines("""def test_foo(): pass"""))

    before: list[str] | None = None
    after: list[str] | None = None

    class Plugin:
        @zenrun.hookimpl(tryfirst=True)
        def zenrun_unconfigure(self) -> None:
            nonlocal before
            before = sys.path.copy()

    result = zenrunner.runzenrun_inprocess(plugins=[Plugin()])
    after = sys.path.copy()
    assert result.ret == 0

    assert before is not None
    assert after is not None
    assert any("I_SHALL_BE_REMOVED" in entry for entry in before)
    assert not any("I_SHALL_BE_REMOVED" in entry for entry in after)
