"""Port of pytest's ``testing/test_warnings.py`` (pytest-dev/pytest): ``-W``, the
``filterwarnings`` key and mark, and the warnings summary.

A test that warns becomes a pipeline whose step warns (the pipeline's work runs in steps),
so that a warning turned into an error fails the pipeline (``1 failed``) as it fails pytest's
test. Not ported (README.md): the hook recorder's ``pytest_warning_recorded``, pytest's own
``PytestWarning`` / ``PytestConfigWarning`` / ``PytestRemovedIn*`` classes, assertion
rewriting warnings, ``pytest_configure`` / plugin-import warnings and their stack levels,
``--max-warnings`` (no such option), the grouping examples (``copy_example``).
"""

from __future__ import annotations

import pytest

WARNINGS_SUMMARY_HEADER = "warnings summary"

PRE = """
import warnings
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


@pytest.fixture
def pyfile_with_warnings(zenrunner, request) -> str:
    module_name = request.function.__name__[len("test_") :] + "_module"
    (zenrunner.path / f"{module_name}.py").write_text(
        "import warnings\n"
        "def foo():\n"
        '    warnings.warn(UserWarning("user warning"))\n'
        '    warnings.warn(RuntimeWarning("runtime warning"))\n'
        "    return 1\n"
    )
    zenrunner.makepyfile(
        PRE
        + f"""
import {module_name}

@step
def call_foo() -> int:
    return {module_name}.foo()

@pipeline
def test_func():
    call_foo()
"""
    )
    return "."


def test_normal_flow(zenrunner, pyfile_with_warnings) -> None:
    result = zenrunner.runzenrun_inprocess(pyfile_with_warnings)
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "*::test_func",
            "*normal_flow_module.py:3: UserWarning: user warning",
            '*  warnings.warn(UserWarning("user warning"))',
            "*normal_flow_module.py:4: RuntimeWarning: runtime warning",
            '*  warnings.warn(RuntimeWarning("runtime warning"))',
            "* 1 passed, 2 warnings*",
        ]
    )


def test_setup_teardown_warnings(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def fix():
    warnings.warn(UserWarning("warning during setup"))
    yield
    warnings.warn(UserWarning("warning during teardown"))

@pipeline
def test_func(fix):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "*.py:*: UserWarning: warning during setup",
            '*warnings.warn(UserWarning("warning during setup"))',
            "*.py:*: UserWarning: warning during teardown",
            '*warnings.warn(UserWarning("warning during teardown"))',
            "* 1 passed, 2 warnings*",
        ]
    )


@pytest.mark.parametrize("method", ["cmdline", "ini"])
def test_as_errors(zenrunner, pyfile_with_warnings, method) -> None:
    args = ("-W", "error") if method == "cmdline" else ()
    if method == "ini":
        zenrunner.maketoml('filterwarnings = ["error"]')
    result = zenrunner.runzenrun_inprocess(*args, pyfile_with_warnings)
    result.stdout.fnmatch_lines(["*UserWarning: user warning", "* 1 failed in *"])


@pytest.mark.parametrize("method", ["cmdline", "ini"])
def test_ignore(zenrunner, pyfile_with_warnings, method) -> None:
    args = ("-W", "ignore") if method == "cmdline" else ()
    if method == "ini":
        zenrunner.maketoml('filterwarnings = ["ignore"]')
    result = zenrunner.runzenrun_inprocess(*args, pyfile_with_warnings)
    result.stdout.fnmatch_lines(["* 1 passed in *"])
    assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()


def test_unicode(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture
def fix():
    warnings.warn("测试")
    yield

@pipeline
def test_func(fix):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [f"*== {WARNINGS_SUMMARY_HEADER} ==*", "*.py:*: UserWarning: \u6d4b\u8bd5*", "* 1 passed, 1 warning*"]
    )


# Each pipeline gives its step its own input: a step served from the cache does not run, so it
# warns no more (the warning filters are not part of a step's cache key).
WARN_STEP = """
@step
def warn_runtime(who: str) -> None:
    warnings.warn(RuntimeWarning())
"""


@pytest.mark.parametrize("default_config", ["ini", "cmdline"])
def test_filterwarnings_mark(zenrunner, default_config) -> None:
    if default_config == "ini":
        zenrunner.maketoml('filterwarnings = ["always::RuntimeWarning"]')
    zenrunner.makepyfile(
        PRE
        + WARN_STEP
        + """
@zenrun.mark.filterwarnings('ignore::RuntimeWarning')
@pipeline
def test_ignore_runtime_warning():
    warn_runtime("ignore")

@zenrun.mark.filterwarnings('error')
@pipeline
def test_warning_error():
    warn_runtime("error")

@pipeline
def test_show_warning():
    warn_runtime("show")
"""
    )
    args = ["-W", "always::RuntimeWarning"] if default_config == "cmdline" else []
    result = zenrunner.runzenrun_inprocess(*args)
    result.stdout.fnmatch_lines(["*= 1 failed, 2 passed, 1 warning in *"])


def test_non_string_warning_argument(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@step
def warn() -> None:
    warnings.warn(UserWarning(1, 'foo'))

@pipeline
def test():
    warn()
"""
    )
    result = zenrunner.runzenrun_inprocess("-W", "always::UserWarning")
    result.stdout.fnmatch_lines(["*= 1 passed, 1 warning in *"])


def test_filterwarnings_mark_registration(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.filterwarnings('error')
@pipeline
def test_func():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("--strict-markers")
    assert result.ret == 0


def test_mark_regex_escape(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + r"""
@step
def warn() -> None:
    warnings.warn(UserWarning("some (warning)"))

@zenrun.mark.filterwarnings(r"ignore:some \(warning\)")
@pipeline
def test_foo():
    warn()
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()


@pytest.mark.parametrize("ignore_on_cmdline", [True, False])
def test_option_precedence_cmdline_over_ini(zenrunner, ignore_on_cmdline) -> None:
    zenrunner.maketoml('filterwarnings = ["error::UserWarning"]')
    zenrunner.makepyfile(
        PRE
        + """
@step
def warn() -> None:
    warnings.warn(UserWarning('hello'))

@pipeline
def test():
    warn()
"""
    )
    args = ["-W", "ignore"] if ignore_on_cmdline else []
    result = zenrunner.runzenrun_inprocess(*args)
    if ignore_on_cmdline:
        result.stdout.fnmatch_lines(["* 1 passed in*"])
    else:
        result.stdout.fnmatch_lines(["* 1 failed in*"])


def test_option_precedence_mark(zenrunner) -> None:
    zenrunner.maketoml('filterwarnings = ["ignore"]')
    zenrunner.makepyfile(
        PRE
        + """
@step
def warn() -> None:
    warnings.warn(UserWarning('hello'))

@zenrun.mark.filterwarnings('error')
@pipeline
def test():
    warn()
"""
    )
    result = zenrunner.runzenrun_inprocess("-W", "ignore")
    result.stdout.fnmatch_lines(["* 1 failed in*"])


def test_accept_unknown_category(zenrunner) -> None:
    zenrunner.maketoml(
        'filterwarnings = ["always:Failed to import filter module.*:UserWarning", "ignore::foobar.Foobar"]'
    )
    zenrunner.makepyfile(PRE + "\n@pipeline\ndef test():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess("-W", "ignore::bizbaz.Bizbaz")
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "*UserWarning: Failed to import filter module 'foobar': ignore::foobar.Foobar",
            "*UserWarning: Failed to import filter module 'bizbaz': ignore::bizbaz.Bizbaz",
            "* 1 passed, * warning*",
        ]
    )


class TestDeprecationWarningsByDefault:
    def create_file(self, zenrunner, mark: str = "") -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@step
def warn() -> None:
    warnings.warn(PendingDeprecationWarning("test run"))

{mark}
@pipeline
def test_foo():
    warnings.warn(DeprecationWarning("composition"))
    warn()
"""
        )

    def test_shown_by_default(self, zenrunner) -> None:
        self.create_file(zenrunner)
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                f"*== {WARNINGS_SUMMARY_HEADER} ==*",
                "*DeprecationWarning: composition",
                "*PendingDeprecationWarning: test run",
                "* 1 passed, 2 warnings*",
            ]
        )

    def test_hidden_by_ini(self, zenrunner) -> None:
        self.create_file(zenrunner)
        zenrunner.maketoml(
            'filterwarnings = ["ignore::DeprecationWarning", "ignore::PendingDeprecationWarning"]'
        )
        result = zenrunner.runzenrun_inprocess()
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()

    def test_hidden_by_mark(self, zenrunner) -> None:
        self.create_file(zenrunner, mark='@zenrun.mark.filterwarnings("ignore::PendingDeprecationWarning")')
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                f"*== {WARNINGS_SUMMARY_HEADER} ==*",
                "*DeprecationWarning: composition",
                "* 1 passed, 1 warning*",
            ]
        )

    def test_hidden_by_cmdline(self, zenrunner) -> None:
        self.create_file(zenrunner)
        result = zenrunner.runzenrun_inprocess(
            "-W", "ignore::DeprecationWarning", "-W", "ignore::PendingDeprecationWarning"
        )
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()

    def test_invalid_regex_in_filterwarning(self, zenrunner) -> None:
        self.create_file(zenrunner)
        zenrunner.maketoml('filterwarnings = ["ignore::DeprecationWarning:*"]')
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 4
        result.stderr.fnmatch_lines(
            [
                "ERROR: while parsing the following warning configuration:",
                "",
                "  ignore::DeprecationWarning:[*]",
                "",
                "This error occurred:",
                "",
                "Invalid regex '[*]': nothing to repeat at position 0",
            ]
        )


def test_invalid_warning_filter_on_the_command_line(zenrunner) -> None:
    zenrunner.makepyfile(PRE + "\n@pipeline\ndef test():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess("-W", "bogus")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: while parsing the following warning configuration:", "", "  bogus"])
