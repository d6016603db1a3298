"""Independent port of pytest's ``testing/test_warnings.py`` and ``testing/test_recwarn.py``
(pytest-dev/pytest), written from zenrun's user documentation.

Mapping: a test function -> a ``@pipeline``; its asserts -> the ``check`` step;
``pytester`` -> ``zenrunner``; ``pytest.ini`` (``makeini``, ``[pytest]``) -> ``tox.ini``'s
``[zenrun]`` section (``zenrunner.makeini``); ``pytest.PytestWarning`` -> ``zenrun.ZenrunWarning``;
``test_*.py`` -> ``pipeline_*.py``. pytest's expected lines are kept where the decision is the
same.

Not ported (see the report): ``pytest.warns`` / ``deprecated_call`` / ``WarningsChecker``
cases (pytest's own objects re-exported); the ``pytest_warning_recorded`` hook cases
(no such hook in zenrun's hookspec); assertion-rewrite warnings (asserts are not rewritten).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import zenrun

WARNINGS_SUMMARY_HEADER = "warnings summary"

PRE = """\
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "assert False"):
    assert ok, message
"""


def _nlines(text: str) -> int:
    return text.count("\n")


# --------------------------------------------------------------------------- test_warnings.py


@pytest.fixture
def pyfile_with_warnings(zenrunner, request) -> str:
    """A pipeline module which calls a function in a module which generates warnings."""
    zenrunner.syspathinsert()
    test_name = request.function.__name__
    module_name = test_name.lstrip("test_") + "_module"
    test_file = zenrunner.makepyfile(
        **{
            "pipeline_" + test_name.lstrip("test_"): PRE
            + f"""
import {module_name}

@pipeline
def test_func():
    check({module_name}.foo() == 1)
""",
            module_name: """
            import warnings
            def foo():
                warnings.warn(UserWarning("user warning"))
                warnings.warn(RuntimeWarning("runtime warning"))
                return 1
            """,
        },
    )
    return str(test_file)


@pytest.mark.filterwarnings("default::UserWarning", "default::RuntimeWarning")
def test_normal_flow(zenrunner, pyfile_with_warnings) -> None:
    """Check that the warnings section is displayed."""
    result = zenrunner.runzenrun_inprocess(pyfile_with_warnings)
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "pipeline_normal_flow.py::test_func",
            "*normal_flow_module.py:3: UserWarning: user warning",
            '*  warnings.warn(UserWarning("user warning"))',
            "*normal_flow_module.py:4: RuntimeWarning: runtime warning",
            '*  warnings.warn(RuntimeWarning("runtime warning"))',
            "* 1 passed, 2 warnings*",
        ]
    )


@pytest.mark.filterwarnings("always::UserWarning")
def test_setup_teardown_warnings(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_setup_teardown_warnings="""
        import warnings
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def fix():
            warnings.warn(UserWarning("warning during setup"))
            yield
            warnings.warn(UserWarning("warning during teardown"))

        @step
        def check(ok: bool):
            assert ok

        @pipeline
        def test_func(fix):
            check(True)
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "*pipeline_setup_teardown_warnings.py:7: UserWarning: warning during setup",
            '*warnings.warn(UserWarning("warning during setup"))',
            "*pipeline_setup_teardown_warnings.py:9: UserWarning: warning during teardown",
            '*warnings.warn(UserWarning("warning during teardown"))',
            "* 1 passed, 2 warnings*",
        ]
    )


@pytest.mark.parametrize("method", ["cmdline", "ini"])
def test_as_errors(zenrunner, pyfile_with_warnings, method) -> None:
    args = ("-W", "error") if method == "cmdline" else ()
    if method == "ini":
        zenrunner.makeini(
            """
            [zenrun]
            filterwarnings=error
            """
        )
    result = zenrunner.runzenrun_subprocess(*args, pyfile_with_warnings)
    result.stdout.fnmatch_lines(
        [
            "E       UserWarning: user warning",
            "as_errors_module.py:3: UserWarning",
            "* 1 failed in *",
        ]
    )


@pytest.mark.parametrize("method", ["cmdline", "ini"])
def test_as_errors_in_step(zenrunner, method) -> None:
    """zenrun's own (docs: "-W error turns a step's warning into its failure"): the same
    module, its function called in a step rather than in the body."""
    zenrunner.syspathinsert()
    zenrunner.makepyfile(
        as_errors_in_step_module="""
        import warnings
        def foo():
            warnings.warn(UserWarning("user warning"))
            warnings.warn(RuntimeWarning("runtime warning"))
            return 1
        """,
        pipeline_as_errors_in_step=PRE
        + """
import as_errors_in_step_module

@step
def call_foo():
    return as_errors_in_step_module.foo()

@pipeline
def test_func():
    call_foo()
""",
    )
    args = ("-W", "error") if method == "cmdline" else ()
    if method == "ini":
        zenrunner.makeini("[zenrun]\nfilterwarnings=error\n")
    result = zenrunner.runzenrun_subprocess(*args)
    result.stdout.fnmatch_lines(
        ["E       UserWarning: user warning", "as_errors_in_step_module.py:3: UserWarning", "* 1 failed in *"]
    )


@pytest.mark.parametrize("method", ["cmdline", "ini"])
def test_ignore(zenrunner, pyfile_with_warnings, method) -> None:
    args = ("-W", "ignore") if method == "cmdline" else ()
    if method == "ini":
        zenrunner.makeini(
            """
        [zenrun]
        filterwarnings= ignore
        """
        )
    result = zenrunner.runzenrun_inprocess(*args, pyfile_with_warnings)
    result.stdout.fnmatch_lines(["* 1 passed in *"])
    assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()


@pytest.mark.filterwarnings("always::UserWarning")
def test_unicode(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_unicode="""
        import warnings
        import zenrun
        from zenrun import pipeline, step


        @zenrun.fixture
        def fix():
            warnings.warn("测试")
            yield

        @step
        def check(ok: bool):
            assert ok

        @pipeline
        def test_func(fix):
            check(True)
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "*pipeline_unicode.py:8: UserWarning: \u6d4b\u8bd5*",
            "* 1 passed, 1 warning*",
        ]
    )


def test_works_with_filterwarnings(zenrunner) -> None:
    """Ensure our warnings capture does not mess with pre-installed filters (#2430)."""
    zenrunner.makepyfile(
        pipeline_works_with_filterwarnings=PRE
        + """
import warnings

class MyWarning(Warning):
    pass

warnings.filterwarnings("error", category=MyWarning)

@pipeline
def test_my_warning():
    try:
        warnings.warn(MyWarning("warn!"))
        check(False)
    except MyWarning:
        check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*== 1 passed in *"])


@pytest.mark.parametrize("default_config", ["ini", "cmdline"])
def test_filterwarnings_mark(zenrunner, default_config) -> None:
    """``filterwarnings`` mark works and takes precedence over command line and ini options."""
    if default_config == "ini":
        zenrunner.makeini(
            """
            [zenrun]
            filterwarnings = always::RuntimeWarning
        """
        )
    zenrunner.makepyfile(
        pipeline_filterwarnings_mark=PRE
        + """
import warnings

@zenrun.mark.filterwarnings('ignore::RuntimeWarning')
@pipeline
def test_ignore_runtime_warning():
    warnings.warn(RuntimeWarning())
    check(True)

@zenrun.mark.filterwarnings('error')
@pipeline
def test_warning_error():
    warnings.warn(RuntimeWarning())
    check(True)

@pipeline
def test_show_warning():
    warnings.warn(RuntimeWarning())
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-W always::RuntimeWarning" if default_config == "cmdline" else "")
    result.stdout.fnmatch_lines(["*= 1 failed, 2 passed, 1 warning in *"])


@pytest.mark.parametrize("default_config", ["ini", "cmdline"])
def test_filterwarnings_mark_in_steps(zenrunner, default_config) -> None:
    """zenrun's own: test_filterwarnings_mark with the warnings given by steps."""
    if default_config == "ini":
        zenrunner.makeini("[zenrun]\nfilterwarnings = always::RuntimeWarning\n")
    zenrunner.makepyfile(
        pipeline_filterwarnings_mark_in_steps=PRE
        + """
import warnings

@step
def warn():
    warnings.warn(RuntimeWarning())

@zenrun.mark.filterwarnings('ignore::RuntimeWarning')
@pipeline
def test_ignore_runtime_warning():
    warn(id="w1")

@zenrun.mark.filterwarnings('error')
@pipeline
def test_warning_error():
    warn(id="w2")

@pipeline
def test_show_warning():
    warn(id="w3")
"""
    )
    args = ["--no-cache"] + (["-W", "always::RuntimeWarning"] if default_config == "cmdline" else [])
    result = zenrunner.runzenrun_inprocess(*args)
    result.stdout.fnmatch_lines(["*= 1 failed, 2 passed, 1 warning in *"])


def test_non_string_warning_argument(zenrunner) -> None:
    """Non-str argument passed to warning breaks pytest (#2956)"""
    zenrunner.makepyfile(
        pipeline_non_string_warning_argument=PRE
        + """
import warnings

@pipeline
def test():
    warnings.warn(UserWarning(1, 'foo'))
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-W", "always::UserWarning")
    result.stdout.fnmatch_lines(["*= 1 passed, 1 warning in *"])


def test_filterwarnings_mark_registration(zenrunner) -> None:
    """Ensure filterwarnings mark is registered"""
    zenrunner.makepyfile(
        pipeline_filterwarnings_mark_registration=PRE
        + """
@zenrun.mark.filterwarnings('error')
@pipeline
def test_func():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("--strict-markers")
    assert result.ret == 0


@pytest.mark.filterwarnings("always::UserWarning")
def test_collection_warnings(zenrunner) -> None:
    """Check that we also capture warnings issued during collection (#3251)."""
    zenrunner.makepyfile(
        pipeline_collection_warnings="""
        import warnings

        warnings.warn(UserWarning("collection warning"))

        from zenrun import pipeline, step

        @step
        def check(ok: bool):
            assert ok

        @pipeline
        def test_foo():
            check(True)
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "  *collection_warnings.py:3: UserWarning: collection warning",
            '    warnings.warn(UserWarning("collection warning"))',
            "* 1 passed, 1 warning*",
        ]
    )


@pytest.mark.filterwarnings("always::UserWarning")
def test_mark_regex_escape(zenrunner) -> None:
    """@filterwarnings should not try to escape regex characters (#3936)"""
    zenrunner.makepyfile(
        pipeline_mark_regex_escape=PRE
        + r"""
import warnings

@zenrun.mark.filterwarnings(r"ignore:some \(warning\)")
@pipeline
def test_foo():
    warnings.warn(UserWarning("some (warning)"))
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()


@pytest.mark.filterwarnings("default::zenrun.ZenrunWarning")
@pytest.mark.parametrize("ignore_pytest_warnings", ["no", "ini", "cmdline"])
def test_hide_pytest_internal_warnings(zenrunner, ignore_pytest_warnings) -> None:
    """Make sure we can ignore internal zenrun warnings using a warnings filter."""
    zenrunner.makepyfile(
        pipeline_hide_pytest_internal_warnings="""
        import zenrun
        import warnings

        warnings.warn(zenrun.ZenrunWarning("some internal warning"))

        from zenrun import pipeline, step

        @step
        def check(ok: bool):
            assert ok

        @pipeline
        def test_bar():
            check(True)
        """
    )
    if ignore_pytest_warnings == "ini":
        zenrunner.makeini(
            """
            [zenrun]
            filterwarnings = ignore::zenrun.ZenrunWarning
        """
        )
    args = ["-W", "ignore::zenrun.ZenrunWarning"] if ignore_pytest_warnings == "cmdline" else []
    result = zenrunner.runzenrun_inprocess(*args)
    if ignore_pytest_warnings != "no":
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()
    else:
        result.stdout.fnmatch_lines(
            [
                f"*== {WARNINGS_SUMMARY_HEADER} ==*",
                "*pipeline_hide_pytest_internal_warnings.py:4: ZenrunWarning: some internal warning",
                "* 1 passed, 1 warning *",
            ]
        )


@pytest.mark.parametrize("ignore_on_cmdline", [True, False])
def test_option_precedence_cmdline_over_ini(zenrunner, ignore_on_cmdline) -> None:
    """Filters defined in the command-line take precedence over filters in ini files (#3946)."""
    zenrunner.makeini(
        """
        [zenrun]
        filterwarnings = error::UserWarning
    """
    )
    zenrunner.makepyfile(
        pipeline_option_precedence=PRE
        + """
import warnings

@pipeline
def test():
    warnings.warn(UserWarning('hello'))
    check(True)
"""
    )
    args = ["-W", "ignore"] if ignore_on_cmdline else []
    result = zenrunner.runzenrun_inprocess(*args)
    if ignore_on_cmdline:
        result.stdout.fnmatch_lines(["* 1 passed in*"])
    else:
        result.stdout.fnmatch_lines(["* 1 failed in*"])


def test_option_precedence_mark(zenrunner) -> None:
    """Filters defined by marks should always take precedence (#3946)."""
    zenrunner.makeini(
        """
        [zenrun]
        filterwarnings = ignore
    """
    )
    zenrunner.makepyfile(
        pipeline_option_precedence_mark=PRE
        + """
import warnings

@zenrun.mark.filterwarnings('error')
@pipeline
def test():
    warnings.warn(UserWarning('hello'))
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-W", "ignore")
    result.stdout.fnmatch_lines(["* 1 failed in*"])


class TestDeprecationWarningsByDefault:
    """All runs are executed in a subprocess so we don't inherit warning filters."""

    def create_file(self, zenrunner, name, mark="") -> None:
        zenrunner.makepyfile(
            **{
                name: f"""
            import zenrun, warnings

            warnings.warn(DeprecationWarning("collection"))

            {mark}
            @zenrun.pipeline
            def test_foo():
                warnings.warn(PendingDeprecationWarning("test run"))
                check(True)

            @zenrun.step
            def check(ok: bool):
                assert ok
        """
            }
        )

    @pytest.mark.parametrize("customize_filters", [True, False])
    def test_shown_by_default(self, zenrunner, customize_filters) -> None:
        """Show deprecation warnings by default, even if user customized the filters (#4013)."""
        self.create_file(zenrunner, "pipeline_shown_by_default")
        if customize_filters:
            zenrunner.makeini(
                """
                [zenrun]
                filterwarnings =
                    once::UserWarning
            """
            )
        result = zenrunner.runzenrun_subprocess()
        result.stdout.fnmatch_lines(
            [
                f"*== {WARNINGS_SUMMARY_HEADER} ==*",
                "*pipeline_shown_by_default.py:3: DeprecationWarning: collection",
                "*pipeline_shown_by_default.py:8: PendingDeprecationWarning: test run",
                "* 1 passed, 2 warnings*",
            ]
        )

    def test_hidden_by_ini(self, zenrunner) -> None:
        self.create_file(zenrunner, "pipeline_hidden_by_ini")
        zenrunner.makeini(
            """
            [zenrun]
            filterwarnings =
                ignore::DeprecationWarning
                ignore::PendingDeprecationWarning
        """
        )
        result = zenrunner.runzenrun_subprocess()
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()

    def test_hidden_by_mark(self, zenrunner) -> None:
        """Hide the deprecation warning from the function; the one during collection shows."""
        self.create_file(
            zenrunner,
            "pipeline_hidden_by_mark",
            mark='@zenrun.mark.filterwarnings("ignore::PendingDeprecationWarning")',
        )
        result = zenrunner.runzenrun_subprocess()
        result.stdout.fnmatch_lines(
            [
                f"*== {WARNINGS_SUMMARY_HEADER} ==*",
                "*pipeline_hidden_by_mark.py:3: DeprecationWarning: collection",
                "* 1 passed, 1 warning*",
            ]
        )

    def test_hidden_by_cmdline(self, zenrunner) -> None:
        self.create_file(zenrunner, "pipeline_hidden_by_cmdline")
        result = zenrunner.runzenrun_subprocess(
            "-W",
            "ignore::DeprecationWarning",
            "-W",
            "ignore::PendingDeprecationWarning",
        )
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()

    def test_hidden_by_system(self, zenrunner, monkeypatch) -> None:
        self.create_file(zenrunner, "pipeline_hidden_by_system")
        monkeypatch.setenv("PYTHONWARNINGS", "once::UserWarning")
        result = zenrunner.runzenrun_subprocess()
        assert WARNINGS_SUMMARY_HEADER not in result.stdout.str()


GROUP_EXAMPLE = (
    PRE
    + """
import warnings


def func(msg):
    warnings.warn(UserWarning(msg))


@zenrun.mark.parametrize("i", range({n}))
@pipeline
def test_foo(i):
    func("foo")
    check(True)


@pipeline
def test_foo_1():
    func("foo")
    check(True)


@zenrun.mark.parametrize("i", range({n}))
@pipeline
def test_bar(i):
    func("bar")
    check(True)
"""
)


@pytest.mark.xfail(
    strict=True, reason="divergence: no '-- Docs: URL' line (zenrun's docs have no address to give)"
)
@pytest.mark.filterwarnings("always::UserWarning")
def test_group_warnings_by_message(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_group_warnings_by_message=GROUP_EXAMPLE.format(n=5))
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "pipeline_group_warnings_by_message.py::test_foo[[]0[]]",
            "pipeline_group_warnings_by_message.py::test_foo[[]1[]]",
            "pipeline_group_warnings_by_message.py::test_foo[[]2[]]",
            "pipeline_group_warnings_by_message.py::test_foo[[]3[]]",
            "pipeline_group_warnings_by_message.py::test_foo[[]4[]]",
            "pipeline_group_warnings_by_message.py::test_foo_1",
            "  *pipeline_group_warnings_by_message.py:*: UserWarning: foo",
            "    warnings.warn(UserWarning(msg))",
            "",
            "pipeline_group_warnings_by_message.py::test_bar[[]0[]]",
            "pipeline_group_warnings_by_message.py::test_bar[[]1[]]",
            "pipeline_group_warnings_by_message.py::test_bar[[]2[]]",
            "pipeline_group_warnings_by_message.py::test_bar[[]3[]]",
            "pipeline_group_warnings_by_message.py::test_bar[[]4[]]",
            "  *pipeline_group_warnings_by_message.py:*: UserWarning: bar",
            "    warnings.warn(UserWarning(msg))",
            "",
            "-- Docs: *",
            "*= 11 passed, 11 warnings *",
        ],
        consecutive=True,
    )


@pytest.mark.xfail(
    strict=True, reason="divergence: no '-- Docs: URL' line (zenrun's docs have no address to give)"
)
@pytest.mark.filterwarnings("always::UserWarning")
def test_group_warnings_by_message_summary(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_1=GROUP_EXAMPLE.format(n=20),
        pipeline_2=PRE
        + "\nfrom pipeline_1 import func\n\n@pipeline\ndef test_2():\n    func('foo')\n    check(True)\n",
    )
    zenrunner.syspathinsert()
    line = GROUP_EXAMPLE.splitlines().index("    warnings.warn(UserWarning(msg))") + 1
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            f"*== {WARNINGS_SUMMARY_HEADER} ==*",
            "pipeline_1.py: 21 warnings",
            "pipeline_2.py: 1 warning",
            f"  */pipeline_1.py:{line}: UserWarning: foo",
            "    warnings.warn(UserWarning(msg))",
            "",
            "pipeline_1.py: 20 warnings",
            f"  */pipeline_1.py:{line}: UserWarning: bar",
            "    warnings.warn(UserWarning(msg))",
            "",
            "-- Docs: *",
            "*= 42 passed, 42 warnings *",
        ],
        consecutive=True,
    )


def test_pytest_configure_warning(zenrunner, recwarn) -> None:
    """Issue 5115."""
    zenrunner.makeconftest(
        """
        def zenrun_configure():
            import warnings

            warnings.warn("from zenrun_configure")
        """
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5
    assert "INTERNALERROR" not in result.stderr.str()
    warning = recwarn.pop()
    assert str(warning.message) == "from zenrun_configure"


class TestStackLevel:
    def test_issue4445_preparse(self, zenrunner) -> None:
        """A conftest that fails to import: ``-h`` still works and a warning follows the help
        (docs: pytest-habits.md). pytest checks its location through the
        ``pytest_warning_recorded`` hook (none in zenrun): here the output is checked."""
        zenrunner.makeconftest(
            """
            import nothing
            """
        )
        result = zenrunner.runzenrun_inprocess("--help")
        out = result.stdout.str() + result.stderr.str()
        assert "could not load initial conftests" in out, out[-2000:]

    @pytest.mark.filterwarnings("default")
    def test_conftest_warning_captured(self, zenrunner) -> None:
        """Warnings raised during importing of conftest.py files is captured (#2891)."""
        zenrunner.makeconftest(
            """
            import warnings
            warnings.warn(UserWarning("my custom warning"))
            """
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["conftest.py:2", "*UserWarning: my custom warning*"])

    def test_issue4445_import_plugin(self, zenrunner) -> None:
        """A plugin that skips at module level: pytest warns ``skipped plugin
        'some_plugin': thing`` (checked via the hook in pytest; here via the output)."""
        zenrunner.makepyfile(
            some_plugin="""
            import zenrun
            zenrun.skip("thing", allow_module_level=True)
            """
        )
        zenrunner.syspathinsert()
        result = zenrunner.runzenrun_inprocess("-p", "some_plugin")
        out = result.stdout.str() + result.stderr.str()
        assert "skipped plugin 'some_plugin': thing" in out, out[-3000:]

    def test_issue4445_issue5928_mark_generator(self, zenrunner) -> None:
        """The warning from an unknown mark points to the pipeline file where it is used."""
        testfile = zenrunner.makepyfile(
            pipeline_mark_generator="""
            import zenrun

            @zenrun.mark.unknown
            @zenrun.pipeline
            def test_it():
                pass
            """
        )
        result = zenrunner.runzenrun_subprocess()
        result.stdout.fnmatch_lines_random(
            [
                f"*{testfile.name}:3*",
                "*Unknown zenrun.mark.unknown*",
            ]
        )


def test_resource_warning(zenrunner, monkeypatch) -> None:
    zenrunner.makepyfile(
        pipeline_resource_warning=PRE
        + """
def open_file(p):
    f = p.open("r")
    assert p.read_text() == "hello"

@pipeline
def test_resource_warning(tmp_path):
    p = tmp_path.joinpath("foo.txt")
    p.write_text("hello")
    open_file(p)
    check(True)
"""
    )

    def run():
        proc = subprocess.run(
            [sys.executable, "-Xdev", "-m", "zenrun", "-p", "no:results"],
            capture_output=True,
            text=True,
            env=zenrunner.env(),
            cwd=zenrunner.path,
            timeout=300,
        )
        from zenrun.testing import LineMatcher

        return LineMatcher(proc.stdout)

    out = run()
    out.fnmatch_lines(
        [
            "*ResourceWarning* unclosed file*",
            "*Enable tracemalloc to get traceback where the object was allocated*",
            "*See https* for more info.",
            "*1 passed*",
        ]
    )
    monkeypatch.setenv("PYTHONTRACEMALLOC", "20")
    out = run()
    out.fnmatch_lines(["*ResourceWarning* unclosed file*", "*Object allocated at*", "*1 passed*"])


# --------------------------------------------------------------------------- test_recwarn.py


def test_recwarn_stacklevel(zenrunner) -> None:
    """pytest's test uses recwarn directly: here inside a pipeline."""
    path = zenrunner.makepyfile(
        pipeline_recwarn_stacklevel=PRE
        + """
import warnings

@pipeline
def test_recwarn_stacklevel(recwarn):
    warnings.warn("hello")
    warn = recwarn.pop()
    check(warn.filename == __file__, repr(warn.filename))
"""
    )
    result = zenrunner.runzenrun_inprocess(path)
    result.assert_outcomes(passed=1)


def test_recwarn_stacklevel_in_step(zenrunner) -> None:
    """zenrun's own: the same, the warning given by a step that takes ``recwarn``."""
    zenrunner.makepyfile(
        pipeline_recwarn_stacklevel_in_step=PRE
        + """
import warnings

@step
def warn_and_check(recwarn):
    warnings.warn("hello")
    warn = recwarn.pop()
    assert warn.filename == __file__, warn.filename

@pipeline
def test_recwarn_stacklevel(recwarn):
    warn_and_check(recwarn)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)


def test_recwarn_functional(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
import warnings

@pipeline
def test_method(recwarn):
    warnings.warn("hello")
    warn = recwarn.pop()
    check(isinstance(warn.message, UserWarning))
"""
    )
    reprec = zenrunner.inline_run()
    reprec.assertoutcome(passed=1)


def test_recwarn_captures_deprecation_warning(zenrunner) -> None:
    """recwarn captures DeprecationWarning by default without custom filterwarnings (#8666)."""
    zenrunner.makepyfile(
        PRE
        + """
import warnings

@zenrun.mark.filterwarnings("")
@pipeline
def test_recwarn_captures_deprecation_warning(recwarn):
    warnings.warn(DeprecationWarning("some deprecation"))
    check(len(recwarn) == 1, repr(recwarn.list))
    check(bool(recwarn.pop(DeprecationWarning)))
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)


SUBCLASS_PRE = (
    PRE
    + """
import warnings

class ParentWarning(Warning):
    pass

class ChildWarning(ParentWarning):
    pass

class ChildOfChildWarning(ChildWarning):
    pass

def raise_warnings_from_list(_warnings):
    for warn in _warnings:
        warnings.warn(f"Warning {warn().__repr__()}", warn)
"""
)


class TestSubclassWarningPop:
    """pytest runs these on ``pytest.warns``'s record; zenrun's own ``pop`` is ``recwarn``'s
    (``zenrun.WarningsRecorder``), so they are ported onto the ``recwarn`` fixture."""

    def test_pop_finds_exact_match(self, zenrunner):
        zenrunner.makepyfile(
            SUBCLASS_PRE
            + """
@pipeline
def test_pop(recwarn):
    raise_warnings_from_list([ChildWarning, ParentWarning, ChildOfChildWarning])
    check(len(recwarn) == 3)
    _warn = recwarn.pop(ParentWarning)
    check(_warn.category is ParentWarning)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_pop_raises_if_no_match(self, zenrunner):
        zenrunner.makepyfile(
            SUBCLASS_PRE
            + """
@pipeline
def test_pop(recwarn):
    raise_warnings_from_list([ParentWarning])
    with zenrun.raises(AssertionError):
        recwarn.pop(ChildOfChildWarning)
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_pop_finds_best_inexact_match(self, zenrunner):
        zenrunner.makepyfile(
            SUBCLASS_PRE
            + """
@pipeline
def test_pop(recwarn):
    raise_warnings_from_list([ChildOfChildWarning, ChildWarning, ChildOfChildWarning])
    _warn = recwarn.pop(ParentWarning)
    check(_warn.category is ChildWarning)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


class TestWarningsRecorderChecker:
    def test_recording(self) -> None:
        rec = zenrun.WarningsRecorder()
        with rec:
            assert not rec.list
            warnings.warn_explicit("hello", UserWarning, "xyz", 13)
            assert len(rec.list) == 1
            warnings.warn(DeprecationWarning("hello"))
            assert len(rec.list) == 2
            warn = rec.pop()
            assert str(warn.message) == "hello"
            values = rec.list
            rec.clear()
            assert len(rec.list) == 0
            assert values is rec.list
            pytest.raises(AssertionError, rec.pop)

    def test_warn_stacklevel(self) -> None:
        """#4243"""
        rec = zenrun.WarningsRecorder()
        with rec:
            warnings.warn("test", DeprecationWarning, 2)

    def test_invalid_enter_exit(self) -> None:
        # wrap this test in WarningsRecorder to ensure warning state gets reset
        with zenrun.WarningsRecorder():
            with pytest.raises(RuntimeError):
                rec = zenrun.WarningsRecorder()
                rec.__exit__(None, None, None)  # can't exit before entering

            with pytest.raises(RuntimeError):
                rec = zenrun.WarningsRecorder()
                with rec:
                    with rec:
                        pass  # can't enter twice

    def test_recording_in_pipeline(self, zenrunner) -> None:
        """test_recording as a pipeline body (zenrun.WarningsRecorder where a user has it)."""
        zenrunner.makepyfile(
            PRE
            + """
import warnings

@pipeline
def test_recording():
    rec = zenrun.WarningsRecorder()
    with rec:
        check(not rec.list, "1")
        warnings.warn_explicit("hello", UserWarning, "xyz", 13)
        check(len(rec.list) == 1, "2")
        warnings.warn(DeprecationWarning("hello"))
        check(len(rec.list) == 2, "3")
        warn = rec.pop()
        check(str(warn.message) == "hello", "4")
        values = rec.list
        rec.clear()
        check(len(rec.list) == 0, "5")
        check(values is rec.list, "6")
        zenrun.raises(AssertionError, rec.pop)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_double_test(zenrunner) -> None:
    """TestWarns.test_double_test: if a pipeline is run again, the warning is still raised."""
    zenrunner.makepyfile(
        PRE
        + """
import warnings

@zenrun.mark.parametrize('run', [1, 2])
@pipeline
def test(run):
    with zenrun.warns(RuntimeWarning):
        warnings.warn("runtime", RuntimeWarning)
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*2 passed in*"])


def test_double_test_in_step(zenrunner) -> None:
    """zenrun's own: test_double_test with ``zenrun.warns`` in a step (run twice, not cached:
    the step takes the parameter)."""
    zenrunner.makepyfile(
        PRE
        + """
import warnings

@step
def warn(run):
    with zenrun.warns(RuntimeWarning):
        warnings.warn("runtime", RuntimeWarning)

@zenrun.mark.parametrize('run', [1, 2])
@pipeline
def test(run):
    warn(run)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*2 passed in*"])


class TestAssertionWarnings:
    """pytest's ``PytestAssertRewriteWarning`` is not zenrun's (asserts are not rewritten), but
    Python's own compiler gives the same advice as a ``SyntaxWarning`` when it compiles the
    pipeline module: a pytest user expects to see it."""

    def test_tuple_warning(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_tuple_warning="""\
            from zenrun import pipeline, step

            @step
            def s():
                assert (1,2)

            @pipeline
            def test_foo():
                s()
            """
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            ["*SyntaxWarning: assertion is always true, perhaps remove parentheses?*"]
        )
