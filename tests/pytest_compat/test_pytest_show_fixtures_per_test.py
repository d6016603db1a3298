"""Port of pytest's ``testing/python/show_fixtures_per_test.py`` (pytest-dev/pytest):
``--fixtures-per-test`` lists, for each collected pipeline, the fixtures it uses, where they
are defined and their docstrings. The test modules are pipeline modules written by hand (a
``@pipeline`` above each ``def test_*``, whose ``def`` line is the line pytest's cases name);
line numbers are those of these sources. Not ported: ``test_doctest_items`` (no doctests).
"""

from __future__ import annotations

HEAD = "import zenrun\nfrom zenrun import pipeline, step\n@step\ndef work(): pass\n"  # lines 1-4


def test_should_show_no_output_when_zero_items(zenrunner) -> None:
    result = zenrunner.run("--fixtures-per-test")
    result.stdout.no_fnmatch_line("*fixtures used by*")
    assert result.ret == 0


def test_fixtures_in_module(zenrunner) -> None:
    p = zenrunner.makepyfile(
        pipeline_fixtures_in_module=HEAD
        + '''@zenrun.fixture
def _arg0():
    """hidden arg0 fixture"""
@zenrun.fixture
def arg1():
    """arg1 docstring"""
@pipeline
def test_arg1(arg1):
    work()
'''
    )
    result = zenrunner.run("--fixtures-per-test", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            "*(pipeline_fixtures_in_module.py:12)*",
            "arg1 -- pipeline_fixtures_in_module.py:9",
            "    arg1 docstring",
        ]
    )
    result.stdout.no_fnmatch_line("*_arg0*")


def test_fixtures_in_conftest(zenrunner) -> None:
    zenrunner.makeconftest(
        '''import zenrun
@zenrun.fixture
def arg1():
    """arg1 docstring"""
@zenrun.fixture
def arg2():
    """arg2 docstring"""
@zenrun.fixture
def arg3(arg1, arg2):
    """arg3
    docstring
    """
'''
    )
    p = zenrunner.makepyfile(
        pipeline_in_conftest=HEAD
        + """@pipeline
def test_arg2(arg2):
    work()
@pipeline
def test_arg3(arg3):
    work()
"""
    )
    result = zenrunner.run("--fixtures-per-test", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg2*",
            "*(pipeline_in_conftest.py:6)*",
            "arg2 -- conftest.py:6",
            "    arg2 docstring",
            "*fixtures used by test_arg3*",
            "*(pipeline_in_conftest.py:9)*",
            "arg1 -- conftest.py:3",
            "    arg1 docstring",
            "arg2 -- conftest.py:6",
            "    arg2 docstring",
            "arg3 -- conftest.py:9",
            "    arg3",
        ]
    )


def test_should_show_fixtures_used_by_test(zenrunner) -> None:
    zenrunner.makeconftest(
        '''import zenrun
@zenrun.fixture
def arg1():
    """arg1 from conftest"""
@zenrun.fixture
def arg2():
    """arg2 from conftest"""
'''
    )
    p = zenrunner.makepyfile(
        pipeline_used=HEAD
        + '''@zenrun.fixture
def arg1():
    """arg1 from testmodule"""
@pipeline
def test_args(arg1, arg2):
    work()
'''
    )
    result = zenrunner.run("--fixtures-per-test", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_args*",
            "*(pipeline_used.py:9)*",
            "arg1 -- pipeline_used.py:6",
            "    arg1 from testmodule",
            "arg2 -- conftest.py:6",
            "    arg2 from conftest",
        ]
    )


def test_verbose_include_private_fixtures_and_loc(zenrunner) -> None:
    zenrunner.makeconftest(
        '''import zenrun
@zenrun.fixture
def _arg1():
    """_arg1 from conftest"""
@zenrun.fixture
def arg2(_arg1):
    """arg2 from conftest"""
'''
    )
    p = zenrunner.makepyfile(
        pipeline_private=HEAD
        + '''@zenrun.fixture
def arg3():
    """arg3 from testmodule"""
@pipeline
def test_args(arg2, arg3):
    work()
'''
    )
    result = zenrunner.run("--fixtures-per-test", "-v", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_args*",
            "*(pipeline_private.py:9)*",
            "_arg1 -- conftest.py:3",
            "    _arg1 from conftest",
            "arg2 -- conftest.py:6",
            "    arg2 from conftest",
            "arg3 -- pipeline_private.py:6",
            "    arg3 from testmodule",
        ]
    )


MULTILINE = (
    HEAD
    + '''@zenrun.fixture
def arg1():
    """Docstring content that spans across multiple lines,
    through second line,
    and through third line.

    Docstring content that extends into a second paragraph.

    Docstring content that extends into a third paragraph.
    """
@pipeline
def test_arg1(arg1):
    work()
'''
)


def test_multiline_docstring_in_module(zenrunner) -> None:
    p = zenrunner.makepyfile(pipeline_multiline=MULTILINE)
    result = zenrunner.run("--fixtures-per-test", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            "*(pipeline_multiline.py:16)*",
            "arg1 -- pipeline_multiline.py:6",
            "    Docstring content that spans across multiple lines,",
            "    through second line,",
            "    and through third line.",
        ]
    )
    result.stdout.no_fnmatch_line("*second paragraph*")


def test_verbose_include_multiline_docstring(zenrunner) -> None:
    p = zenrunner.makepyfile(pipeline_multiline=MULTILINE)
    result = zenrunner.run("--fixtures-per-test", "-v", str(p))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_arg1*",
            "*(pipeline_multiline.py:16)*",
            "arg1 -- pipeline_multiline.py:6",
            "    Docstring content that spans across multiple lines,",
            "    through second line,",
            "    and through third line.",
            "    ",
            "    Docstring content that extends into a second paragraph.",
            "    ",
            "    Docstring content that extends into a third paragraph.",
        ]
    )


def test_should_not_show_direct_param_fixtures(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_direct=HEAD
        + """@zenrun.mark.parametrize("x", [1])
@pipeline
def test_pseudo_fixture(x):
    work()
"""
    )
    result = zenrunner.run("--fixtures-per-test")
    result.stdout.no_fnmatch_line("*fixtures used by*")
    assert result.ret == 0


def test_should_show_parametrized_fixtures_used_by_test(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_parametrized=HEAD
        + '''@zenrun.fixture(params=['a', 'b'])
def directly(request):
    """parametrized fixture"""
    return request.param

@zenrun.fixture
def indirectly(request):
    """indirectly parametrized fixture"""
    return request.param

@pipeline
def test_directly_parametrized_fixture(directly):
    work()

@zenrun.mark.parametrize("indirectly", ["a", "b"], indirect=True)
@pipeline
def test_indirectly_parametrized_fixture(indirectly):
    work()
'''
    )
    result = zenrunner.run("--fixtures-per-test")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures used by test_directly_parametrized_fixture*",
            "*(pipeline_parametrized.py:16)*",
            "directly -- pipeline_parametrized.py:6",
            "    parametrized fixture",
            "*fixtures used by test_directly_parametrized_fixture*",
            "*(pipeline_parametrized.py:16)*",
            "directly -- pipeline_parametrized.py:6",
            "    parametrized fixture",
            "*fixtures used by test_indirectly_parametrized_fixture*",
            "*(pipeline_parametrized.py:21)*",
            "indirectly -- pipeline_parametrized.py:11",
            "    indirectly parametrized fixture",
            "*fixtures used by test_indirectly_parametrized_fixture*",
            "*(pipeline_parametrized.py:21)*",
            "indirectly -- pipeline_parametrized.py:11",
            "    indirectly parametrized fixture",
        ]
    )


def test_the_pipeline_spelling_of_the_option(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_alias=HEAD + "@zenrun.fixture\ndef arg(): pass\n@pipeline\ndef p(arg):\n    work()\n"
    )
    result = zenrunner.run("--fixtures-per-pipeline")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*fixtures used by p*", "arg -- pipeline_alias.py:6", "    no docstring available"]
    )
