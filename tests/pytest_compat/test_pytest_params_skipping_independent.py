"""pytest's ``testing/python/metafunc.py`` (its functional classes and the cases that run ids
and indirect parametrization through the command line) and ``testing/test_skipping.py``,
ported again by a porter working from zenrun's user docs alone (README, ``docs/``, the
spec), without reading the other ports of these files.

Mapping used:

- a test function -> a ``@pipeline``; an ``assert`` in its body -> a call of the ``check``
  step (``porting.pipelines``), so the assertion runs in a step as a pipeline's work does;
  a test whose body is the point (``pytest.xfail()`` / ``pytest.skip()`` in it, a
  ``request.node.add_marker``) keeps that code in the pipeline body;
- ``test_*.py`` -> ``pipeline_*.py`` (``makepyfile(src)`` names the module
  ``pipeline_<test>``, pytester's ``<test>.py``); ``pytest.`` -> ``zenrun.``;
  ``pytest_generate_tests`` / ``pytest_markeval_namespace`` / ``pytest_runtest_setup`` /
  ``pytest_make_parametrize_id`` -> the ``zenrun_*`` hooks; ``pytestconfig`` ->
  ``zenrunconfig``; ``pytestmark`` -> ``zenrunmark``;
- ``pytest.ini`` / ``makeini`` -> ``tox.ini``'s ``[zenrun]`` (``zenrunner.makeini``);
- ``pytester`` -> ``zenrunner``; ``runpytest`` / ``inline_run`` -> ``runzenrun_inprocess`` /
  ``inline_run`` (in this process); ``-p no:results`` leaves zenrun's results table out so
  that pytest's patterns match pytest's lines only;
- pytest's unit checks of ``evaluate_skip_marks`` / ``evaluate_xfail_marks`` /
  ``runtestprotocol`` (``TestEvaluation``, the ``TestXFail`` report cases) -> the same mark
  run through the command line, the decision (skipped / xfailed / failed) and the reason
  checked in the ``-rsxX`` summary;
- ``inline_run``'s "skipped" for an xfail and "passed" for an xpass -> zenrun's own
  ``xfailed`` / ``xpassed``.

Left out (no pipeline analogue):

- test classes: ``test_noself_in_method``, ``test_generate_tests_in_class``,
  ``test_two_functions_not_same_instance``, ``test_issue28_setup_method_in_generate_tests``,
  ``test_parametrize_class_scenarios``, ``test_parametrize_iterator_class_multiple_tests``,
  ``test_parametrize_some_arguments_auto_scope`` (a parametrized class),
  skipping's ``TestSkip::test_skip_class`` (the class halves of ``test_attributes``,
  ``test_parametrize_multiple_times``, ``test_reordering_with_scopeless...``,
  ``test_skipif_class``, ``test_skipped_reasons_functional`` and ``test_skipped_folding``
  are dropped, their module halves ported);
- pytest internals: ``test_parametrize_module_level_test_with_class_scope`` (an item's
  ``_fixtureinfo``), ``test_xfail_not_run_does_not_format_traceback`` (a spy on
  ``ExceptionInfo.getrepr``), ``test_xfail_item`` / ``test_mark_xfail_item`` (a custom
  ``pytest.Item`` from ``pytest_collect_file``), ``test_parametrize_generator_multiple_runs``
  (``PytestRemovedIn10Warning`` of two ``pytest.main`` calls in one process),
  ``TestHiddenParam::test_multiple_hidden_param_is_forbidden_idmaker`` /
  ``test_idmaker_error_without_nodeid`` (``IdMaker``), ``xtest_dynamic_xfail_set_during_setup``
  (disabled in pytest);
- outside this port's brief: ``TestMetafunc``'s other unit cases of ``Metafunc`` / ``IdMaker``
  (scope inference, ``disable_test_id_escaping...``, the long-id strategies, hypothesis).

Where the decision is the same and the words are zenrun's (kept as such in the expected
lines): a failure's traceback is its failing step's (``def check``, not ``def test_func``),
the summary header is ``short pipeline summary info``, ``collected N pipelines``, the
exception of ``zenrun.fail`` is ``zenrun.outcomes.Failed``, HIDDEN_PARAM's error says
"pipelines' names", and an error evaluating a condition has no chained "During
handling..." traceback.
"""

from __future__ import annotations

import textwrap

import pytest
from porting import pipelines

from zenrun.testing import LineMatcher

NO_RESULTS = ("-p", "no:results")


def run(zenrunner, *args):
    return zenrunner.runzenrun_inprocess(*args, *NO_RESULTS)


def raw(src: str) -> str:
    """A pipeline module written as zenrun's docs write one (line numbers as written)."""
    return textwrap.dedent(src).lstrip("\n")


# ---------------------------------------------------------------------------------------------
# metafunc.py: TestMetafunc, the cases run through the command line
# ---------------------------------------------------------------------------------------------


def test_parametrize_request_name(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.parametrize("request", [1])
            def test_func(request):
                pass
            """
        )
    )
    result = run(zenrunner)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*'request' is a reserved name and cannot be used in @*.mark.parametrize*"])


def test_parametrize_with_wrong_number_of_ids(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.parametrize("x", [1, 2], ids=["basic"])
            def test_func(x):
                pass
            """
        )
    )
    result = run(zenrunner)
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*In test_func: 2 parameter sets specified, with different number of ids: 1*"]
    )


def test_parametrize_empty_list(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.parametrize("x", [])
            def test_func(x):
                pass
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*got empty parameter set*"])


# TestMetafunc's IdMaker cases, through the command line: the parametrize mark's arguments
# (argnames, values, ids), and the ids pytest's unit test expects.
_ID_CASES = {
    "parametrize_and_id": (
        '@zenrun.mark.parametrize("y", ["abc", "def"])\n'
        '@zenrun.mark.parametrize("x", [1, 2], ids=["basic", "advanced"])',
        "x, y",
        ["basic-abc", "basic-def", "advanced-abc", "advanced-def"],
    ),
    "parametrize_with_userobjects": (
        "class A:\n    pass\n\n"
        '@zenrun.mark.parametrize("y", list("ab"))\n'
        '@zenrun.mark.parametrize("x", [A(), A()])',
        "x, y",
        ["x0-a", "x0-b", "x1-a", "x1-b"],
    ),
    "idmaker_native_strings": (
        "import re\n"
        '@zenrun.mark.parametrize(("a", "b"), [(1.0, -1.1), (2, -202), ("three", "three hundred"), '
        "(True, False), (None, None), (re.compile('foo'), re.compile('bar')), (str, int), "
        "(list('six'), [66, 66]), ({7}, set('seven')), (tuple('eight'), (8, -8, 8)), "
        "(b'\\xc3\\xb4', b'name'), (b'\\xc3\\xb4', 'other'), (1.0j, -2.0j)])",
        "a, b",
        [
            "1.0--1.1",
            "2--202",
            "three-three hundred",
            "True-False",
            "None-None",
            "foo-bar",
            "str-int",
            "a7-b7",
            "a8-b8",
            "a9-b9",
            "\\xc3\\xb4-name",
            "\\xc3\\xb4-other",
            "1j-(-0-2j)",
        ],
    ),
    "idmaker_non_printable_characters": (
        '@zenrun.mark.parametrize(("s", "n"), [("\\x00", 1), ("\\x05", 2), (b"\\x00", 3), '
        '(b"\\x05", 4), ("\\t", 5), (b"\\t", 6)])',
        "s, n",
        ["\\x00-1", "\\x05-2", "\\x00-3", "\\x05-4", "\\t-5", "\\t-6"],
    ),
    "idmaker_manual_ids_must_be_printable": (
        '@zenrun.mark.parametrize("s", [zenrun.param("x00", id="hello \\x00"), '
        'zenrun.param("x05", id="hello \\x05")])',
        "s",
        ["hello \\x00", "hello \\x05"],
    ),
    "idmaker_enum": (
        "import enum\ne = enum.Enum('Foo', 'one, two')\n"
        '@zenrun.mark.parametrize(("a", "b"), [(e.one, e.two)])',
        "a, b",
        ["Foo.one-Foo.two"],
    ),
    "idmaker_idfn": (
        "def ids(val):\n    return repr(val) if isinstance(val, Exception) else None\n\n"
        '@zenrun.mark.parametrize(("a", "b"), [(10.0, IndexError()), (20, KeyError()), '
        '("three", [1, 2, 3])], ids=ids)',
        "a, b",
        ["10.0-IndexError()", "20-KeyError()", "three-b2"],
    ),
    "idmaker_idfn_unique_names": (
        '@zenrun.mark.parametrize(("a", "b"), [(10.0, IndexError()), (20, KeyError()), '
        '("three", [1, 2, 3])], ids=lambda val: "a")',
        "a, b",
        ["a-a0", "a-a1", "a-a2"],
    ),
    "idmaker_duplicated_empty_str": ('@zenrun.mark.parametrize("a", ["", ""])', "a", ["0", "1"]),
    "idmaker_with_ids": (
        '@zenrun.mark.parametrize(("a", "b"), [(1, 2), (3, 4)], ids=["a", None])',
        "a, b",
        ["a", "3-4"],
    ),
    "idmaker_with_paramset_id": (
        '@zenrun.mark.parametrize(("a", "b"), [zenrun.param(1, 2, id="me"), zenrun.param(3, 4, id="you")], '
        'ids=["a", None])',
        "a, b",
        ["me", "you"],
    ),
    "idmaker_with_ids_unique_names": (
        '@zenrun.mark.parametrize("a", [1, 2, 3, 4, 5], ids=["a", "a", "b", "c", "b"])',
        "a",
        ["a0", "a1", "b0", "c", "b1"],
    ),
    "bytes_idval": (
        '@zenrun.mark.parametrize("a", [b"", b"\\xc3\\xb4\\xff\\xe4", b"ascii", "αρά".encode()])',
        "a",
        ["", "\\xc3\\xb4\\xff\\xe4", "ascii", "\\xce\\xb1\\xcf\\x81\\xce\\xac"],
    ),
    "class_or_function_idval": (
        "class TestClass:\n    pass\n\ndef test_function():\n    pass\n\n"
        '@zenrun.mark.parametrize("a", [TestClass, test_function])',
        "a",
        ["TestClass", "test_function"],
    ),
}


@pytest.mark.parametrize("case", list(_ID_CASES))
def test_idmaker_ids(zenrunner, case):
    """``TestMetafunc``'s id cases (``test_parametrize_and_id``,
    ``test_parametrize_with_userobjects``, ``test_idmaker_*``, ``test_bytes_idval``,
    ``test_class_or_function_idval``) as a pipeline's ids in ``--collect-only -q`` (an
    empty id is ``p[]``, as pytest 9 names ``test[]``)."""
    marks, argnames, expected = _ID_CASES[case]
    zenrunner.makepyfile(
        pipeline_ids=f"import zenrun\n{marks}\n@zenrun.pipeline\ndef p({argnames}):\n    pass\n"
    )
    result = run(zenrunner, "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    assert [line for line in result.stdout.lines if line.startswith("pipeline_ids.py::")] == [
        f"pipeline_ids.py::p[{i}]" for i in expected
    ]


def test_parametrize_error(zenrunner):
    """``TestMetafunc::test_parametrize_error``: a name parametrized twice, and ``ids=42``."""
    zenrunner.makepyfile(
        pipeline_twice=raw(
            """
            import zenrun
            @zenrun.mark.parametrize("x", [5, 6])
            @zenrun.mark.parametrize("x", [1, 2])
            @zenrun.pipeline
            def twice(x):
                pass
            """
        ),
        pipeline_ids=raw(
            """
            import zenrun
            @zenrun.mark.parametrize("y", [5, 6], ids=42)
            @zenrun.pipeline
            def bad_ids(y):
                pass
            """
        ),
    )
    result = run(zenrunner, "--collect-only", "pipeline_twice.py")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*duplicate parametrization of 'x'*"])
    result = run(zenrunner, "--collect-only", "pipeline_ids.py")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*ids must be a callable or an iterable*"])


def test_parametrize_bad_scope(zenrunner):
    zenrunner.makepyfile(
        raw(
            """
            import zenrun
            @zenrun.mark.parametrize("x", [1], scope="doggy")
            @zenrun.pipeline
            def func(x):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*parametrize() call in func got an unexpected scope value 'doggy'*"])


def test_parametrize_indirect_wrong_type(zenrunner):
    zenrunner.makepyfile(
        raw(
            """
            import zenrun
            @zenrun.fixture
            def x(request):
                return request.param
            @zenrun.mark.parametrize("x, y", [("a", "b")], indirect={})
            @zenrun.pipeline
            def func(x, y):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*In func: expected Sequence or boolean for indirect, got dict*"])


def test_parametrize_ids_iterator_without_mark(zenrunner):
    """One iterator of ids shared by the ``parametrize`` calls of a ``zenrun_generate_tests``
    hook, for two pipelines in a row."""
    zenrunner.makepyfile(
        pipeline_it=raw(
            """
            import itertools
            import zenrun

            it = itertools.count()

            def zenrun_generate_tests(metafunc):
                metafunc.parametrize("x", [1, 2], ids=it)
                metafunc.parametrize("y", [3, 4], ids=it)

            @zenrun.pipeline
            def first(x, y):
                pass

            @zenrun.pipeline
            def second(x, y):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only", "-q")
    assert [line for line in result.stdout.lines if "::" in line] == [
        *(f"pipeline_it.py::first[{i}]" for i in ["0-2", "0-3", "1-2", "1-3"]),
        *(f"pipeline_it.py::second[{i}]" for i in ["4-6", "4-7", "5-6", "5-7"]),
    ]


def test_parametrize_ids_exception(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            def ids(arg):
                raise Exception("bad ids")

            @pytest.mark.parametrize("arg", ["a", "b"], ids=ids)
            def test_foo(arg):
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*Exception: bad ids",
            "*test_foo: error raised while trying to determine id of parameter 'arg' at position 0",
        ]
    )


def test_parametrize_ids_returns_non_string(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            def ids(d):
                return d

            @pytest.mark.parametrize("arg", ({1: 2}, {3, 4}), ids=ids)
            def test(arg):
                assert arg

            @pytest.mark.parametrize("arg", (1, 2.0, True), ids=ids)
            def test_int(arg):
                assert arg
            """
        )
    )
    result = run(zenrunner, "-vv", "-s")
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            f"{name}.py::test[arg0] PASSED",
            f"{name}.py::test[arg1] PASSED",
            f"{name}.py::test_int[1] PASSED",
            f"{name}.py::test_int[2.0] PASSED",
            f"{name}.py::test_int[True] PASSED",
        ]
    )


def test_parametrize_indirect_list_functional(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.fixture(scope='function')
            def x(request):
                return request.param * 3
            @pytest.fixture(scope='function')
            def y(request):
                return request.param * 2
            @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=['x'])
            def test_simple(x,y):
                assert len(x) == 3
                assert len(y) == 1
            """
        )
    )
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*test_simple*a-b*", "*1 passed*"])


def test_parametrize_indirect_list_error(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.fixture
            def x(request):
                return request.param
            @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=['x', 'z'])
            def test_simple(x, y):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*In test_simple: indirect fixture 'z' doesn't exist*"])


_NO_FIXTURE_CASES = {
    "indirect_false": (
        """
        import pytest

        @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=False)
        def test_simple(x):
            assert len(x) == 3
        """,
        "*uses no argument 'y'*",
    ),
    "indirect_true": (
        """
        import pytest
        @pytest.fixture(scope='function')
        def x(request):
            return request.param * 3
        @pytest.fixture(scope='function')
        def y(request):
            return request.param * 2

        @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=True)
        def test_simple(x):
            assert len(x) == 3
        """,
        "*uses no fixture 'y'*",
    ),
    "indirect_string": (
        """
        import pytest
        @pytest.fixture(scope='function')
        def x(request):
            return request.param * 3

        @pytest.mark.parametrize('x, y', [('a', 'b')], indirect='y')
        def test_simple(x):
            assert len(x) == 3
        """,
        "*uses no fixture 'y'*",
    ),
    "indirect_list": (
        """
        import pytest
        @pytest.fixture(scope='function')
        def x(request):
            return request.param * 3

        @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=['y'])
        def test_simple(x):
            assert len(x) == 3
        """,
        "*uses no fixture 'y'*",
    ),
    "argument_not_in_indirect_list": (
        """
        import pytest
        @pytest.fixture(scope='function')
        def x(request):
            return request.param * 3

        @pytest.mark.parametrize('x, y', [('a', 'b')], indirect=['x'])
        def test_simple(x):
            assert len(x) == 3
        """,
        "*uses no argument 'y'*",
    ),
    "default_argument": (
        """
        import pytest

        @pytest.mark.parametrize('x, y', [('a', 'b')])
        def test_simple(x, y=1):
            assert len(x) == 1
        """,
        "*already takes an argument 'y' with a default value",
    ),
}


@pytest.mark.parametrize("case", list(_NO_FIXTURE_CASES))
def test_parametrize_uses_no_fixture_errors(zenrunner, case):
    """``test_parametrize_uses_no_fixture_error_indirect_false`` / ``_true``,
    ``test_parametrize_indirect_uses_no_fixture_error_indirect_string`` / ``_list``,
    ``test_parametrize_argument_not_in_indirect_list`` and
    ``test_parametrize_gives_indicative_error_on_function_with_default_argument``."""
    src, line = _NO_FIXTURE_CASES[case]
    zenrunner.makepyfile(pipelines(src))
    result = run(zenrunner, "--collect-only")
    result.stdout.fnmatch_lines([line])
    assert result.ret == 2


def test_parametrize_functional(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize('x', [1,2], indirect=True)
                metafunc.parametrize('y', [2])
            @pytest.fixture
            def x(request):
                return request.param * 10

            def test_simple(x,y):
                assert x in (10,20)
                assert y == 2
            """
        )
    )
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*test_simple*1-2*", "*test_simple*2-2*", "*2 passed*"])


def test_high_scoped_parametrize_reordering(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize("arg2", [3, 4])
            @pytest.mark.parametrize("arg1", [0, 1, 2], scope='module')
            def test1(arg1, arg2):
                pass

            def test2():
                pass

            @pytest.mark.parametrize("arg1", [0, 1, 2], scope='module')
            def test3(arg1):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    result.stdout.re_match_lines(
        [
            r"    <Pipeline test1\[0-3\]>",
            r"    <Pipeline test1\[0-4\]>",
            r"    <Pipeline test3\[0\]>",
            r"    <Pipeline test1\[1-3\]>",
            r"    <Pipeline test1\[1-4\]>",
            r"    <Pipeline test3\[1\]>",
            r"    <Pipeline test1\[2-3\]>",
            r"    <Pipeline test1\[2-4\]>",
            r"    <Pipeline test3\[2\]>",
            r"    <Pipeline test2>",
        ]
    )


def test_parametrize_multiple_times(zenrunner):
    """The module half (the class half: test classes)."""
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            zenrunmark = pytest.mark.parametrize("x", [1,2])
            def test_func(x):
                assert 0, x
            """
        )
    )
    result = run(zenrunner)
    assert result.ret == 1
    result.assert_outcomes(failed=2)


def test_parametrize_CSV(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.parametrize("x, y,", [(1,2), (2,3)])
            def test_func(x, y):
                assert x+1 == y
            """
        )
    )
    reprec = zenrunner.inline_run()
    reprec.assertoutcome(passed=2)


# ---------------------------------------------------------------------------------------------
# metafunc.py: TestMetafuncFunctional
# ---------------------------------------------------------------------------------------------


def test_attributes(zenrunner):
    """The module function half (the class half: test classes)."""
    p = zenrunner.makepyfile(
        pipelines(
            """
            import sys, pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize('metafunc', [metafunc])

            @pytest.fixture
            def metafunc(request):
                return request.param

            def test_function(metafunc, zenrunconfig):
                assert metafunc.config == zenrunconfig
                assert metafunc.module.__name__ == __name__
                assert metafunc.function == test_function
                assert metafunc.cls is None
            """
        )
    )
    result = run(zenrunner, p, "-v")
    result.assert_outcomes(passed=1)


def test_two_functions(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize('arg1', [10, 20], ids=['0', '1'])

            def test_func1(arg1):
                assert arg1 == 10

            def test_func2(arg1):
                assert arg1 in (10, 20)
            """
        )
    )
    result = run(zenrunner, "-v", p)
    result.stdout.fnmatch_lines(
        [
            "*test_func1*0*PASS*",
            "*test_func1*1*FAIL*",
            "*test_func2*PASS*",
            "*test_func2*PASS*",
            "*1 failed, 3 passed*",
        ]
    )


def test_parametrize_functional2(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize("arg1", [1,2])
                metafunc.parametrize("arg2", [4,5])
            def test_hello(arg1, arg2):
                assert 0, (arg1, arg2)
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*(1, 4)*", "*(1, 5)*", "*(2, 4)*", "*(2, 5)*", "*4 failed*"])


def test_parametrize_single_arg_trailing_comma_functional(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            scenarios = [('a',), ('b',)]

            @pytest.mark.parametrize(("arg",), scenarios)
            def test_tuple_form(arg):
                assert arg in ('a', 'b')
                assert isinstance(arg, str)

            @pytest.mark.parametrize("arg,", scenarios)
            def test_string_trailing_comma(arg):
                assert arg in ('a', 'b')
                assert isinstance(arg, str)

            @pytest.mark.parametrize("arg", scenarios)
            def test_string_no_comma(arg):
                assert arg in (('a',), ('b',))
                assert isinstance(arg, tuple)
            """
        )
    )
    result = run(zenrunner, "-v")
    result.assert_outcomes(passed=6)


def test_parametrize_and_inner_getfixturevalue(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize("arg1", [1], indirect=True)
                metafunc.parametrize("arg2", [10], indirect=True)

            import pytest
            @pytest.fixture
            def arg1(request):
                x = request.getfixturevalue("arg2")
                return x + request.param

            @pytest.fixture
            def arg2(request):
                return request.param

            def test_func1(arg1, arg2):
                assert arg1 == 11
            """
        )
    )
    result = run(zenrunner, "-v", p)
    result.stdout.fnmatch_lines(["*test_func1*1*PASS*", "*1 passed*"])


def test_parametrize_on_setup_arg(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            def zenrun_generate_tests(metafunc):
                assert "arg1" in metafunc.fixturenames
                metafunc.parametrize("arg1", [1], indirect=True)

            import pytest
            @pytest.fixture
            def arg1(request):
                return request.param

            @pytest.fixture
            def arg2(request, arg1):
                return 10 * arg1

            def test_func(arg2):
                assert arg2 == 10
            """
        )
    )
    result = run(zenrunner, "-v", p)
    result.stdout.fnmatch_lines(["*test_func*1*PASS*", "*1 passed*"])


def test_parametrize_with_ids(zenrunner):
    zenrunner.makeini(
        """
        [zenrun]
        console_output_style=classic
        """
    )
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize(("a", "b"), [(1,1), (1,2)],
                                     ids=["basic", "advanced"])

            def test_function(a, b):
                assert a == b
            """
        )
    )
    result = run(zenrunner, "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(["*test_function*basic*PASSED", "*test_function*advanced*FAILED"])


def test_parametrize_without_ids(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize(("a", "b"),
                                     [(1,object()), (1.3,object())])

            def test_function(a, b):
                assert 1
            """
        )
    )
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(
        """
        *test_function*1-b0*
        *test_function*1.3-b1*
        """
    )


def test_parametrize_with_None_in_ids(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize(("a", "b"), [(1,1), (1,1), (1,2)],
                                     ids=["basic", None, "advanced"])

            def test_function(a, b):
                assert a == b
            """
        )
    )
    result = run(zenrunner, "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(
        [
            "*test_function*basic*PASSED*",
            "*test_function*1-1*PASSED*",
            "*test_function*advanced*FAILED*",
        ]
    )


def test_fixture_parametrized_empty_ids(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope="module", ids=[], params=[])
            def temp(request):
                return request.param

            def test_temp(temp):
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 1 skipped *"])


def test_parametrized_empty_ids(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize('temp', [], ids=list())
            def test_temp(temp):
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 1 skipped *"])


def test_parametrized_ids_invalid_type(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize("x, expected", [(1, 2), (3, 4), (5, 6)], ids=(None, 2, OSError()))
            def test_ids_numbers(x,expected):
                assert x * 2 == expected
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            f"*In {zenrunner.default_name}.py::test_ids_numbers: ids contains unsupported value "
            "OSError() (type: <class 'OSError'>) at index 2. "
            "Supported types are: str, bytes, int, float, complex, bool, enum, regex or anything with a __name__."
        ]
    )


def test_parametrize_with_identical_ids_get_unique_names(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                metafunc.parametrize(("a", "b"), [(1,1), (1,2)],
                                     ids=["a", "a"])

            def test_function(a, b):
                assert a == b
            """
        )
    )
    result = run(zenrunner, "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines_random(["*test_function*a0*PASSED*", "*test_function*a1*FAILED*"])


@pytest.mark.parametrize(("scope", "length"), [("module", 2), ("function", 4)])
def test_parametrize_scope_overrides(zenrunner, scope, length):
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest
            values = []
            def zenrun_generate_tests(metafunc):
                if "arg" in metafunc.fixturenames:
                    metafunc.parametrize("arg", [1,2], indirect=True,
                                         scope={scope!r})
            @pytest.fixture
            def arg(request):
                values.append(request.param)
                return request.param
            def test_hello(arg):
                assert arg in (1,2)
            def test_world(arg):
                assert arg in (1,2)
            def test_checklength():
                assert len(values) == {length}
            """
        )
    )
    reprec = zenrunner.inline_run()
    reprec.assertoutcome(passed=5)


def test_parametrize_issue323(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope='module', params=range(966))
            def foo(request):
                return request.param

            def test_it(foo):
                pass
            def test_it2(foo):
                pass
            """
        )
    )
    reprec = zenrunner.inline_run("--collect-only")
    assert not reprec.getcalls("zenrun_internalerror")
    assert reprec.ret == 0


def test_usefixtures_seen_in_generate_tests(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def zenrun_generate_tests(metafunc):
                assert "abc" in metafunc.fixturenames
                metafunc.parametrize("abc", [1])

            @pytest.mark.usefixtures("abc")
            def test_function():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(passed=1)


def test_generate_tests_only_done_in_subdir(zenrunner):
    sub1 = zenrunner.mkpydir("sub1")
    sub2 = zenrunner.mkpydir("sub2")
    sub1.joinpath("conftest.py").write_text(
        raw(
            """
            def zenrun_generate_tests(metafunc):
                assert metafunc.function.__name__ == "test_1"
            """
        )
    )
    sub2.joinpath("conftest.py").write_text(
        raw(
            """
            def zenrun_generate_tests(metafunc):
                assert metafunc.function.__name__ == "test_2"
            """
        )
    )
    sub1.joinpath("pipeline_in_sub1.py").write_text(pipelines("def test_1(): pass"))
    sub2.joinpath("pipeline_in_sub2.py").write_text(pipelines("def test_2(): pass"))
    result = run(zenrunner, "--keep-duplicates", "-v", "-s", sub1, sub2, sub1)
    result.assert_outcomes(passed=3)


def test_generate_same_function_names_issue403(zenrunner):
    zenrunner.makepyfile(
        raw(
            """
            import zenrun
            from zenrun import pipeline, step

            @step
            def check(ok: bool):
                assert ok

            def make_tests():
                @zenrun.mark.parametrize("x", range(2))
                @pipeline
                def test_foo(x):
                    check(True)
                return test_foo

            test_x = make_tests()
            test_y = make_tests()
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(passed=4)


def test_parametrize_misspelling(zenrunner):
    zenrunner.makepyfile(
        raw(
            """
            import zenrun

            @zenrun.mark.parametrise("x", range(2))
            @zenrun.pipeline
            def test_foo(x):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            "",
            "*= ERRORS =*",
            f"*_ ERROR collecting {name}.py _*",
            f"{name}.py:3: in <module>",
            '    @zenrun.mark.parametrise("x", range(2))',
            "E   *Failed: Unknown 'parametrise' mark, did you mean 'parametrize'?",  # zenrun.outcomes.Failed
            "*! Interrupted: 1 error during collection !*",
            "*= no pipelines collected, 1 error in *",
        ]
    )


@pytest.mark.parametrize("scope", ["class", "package"])
def test_parametrize_missing_scope_doesnt_crash(zenrunner, scope):
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest

            @pytest.mark.parametrize("x", [0], scope="{scope}")
            def test_it(x): pass
            """
        )
    )
    result = run(zenrunner)
    assert result.ret == 0


def test_reordering_with_scopeless_and_just_indirect_parametrization(zenrunner):
    """The module half (``Test::test_3``: a test class)."""
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.fixture(scope="package")
        def fixture1():
            pass
        """
    )
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope="module")
            def fixture0():
                pass

            @pytest.fixture(scope="module")
            def fixture1(fixture0):
                pass

            @pytest.mark.parametrize("fixture1", [0], indirect=True)
            def test_0(fixture1):
                pass

            @pytest.fixture(scope="module")
            def fixture():
                pass

            @pytest.mark.parametrize("fixture", [0], indirect=True)
            def test_1(fixture):
                pass

            def test_2():
                pass
            """
        )
    )
    result = run(zenrunner, "-v")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*test_0*", "*test_1*", "*test_2*"])


# ---------------------------------------------------------------------------------------------
# metafunc.py: TestMetafuncFunctionalAuto
# ---------------------------------------------------------------------------------------------


def test_parametrize_auto_scope(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope='session', autouse=True)
            def fixture():
                return 1

            @pytest.mark.parametrize('animal', ["dog", "cat"])
            def test_1(animal):
                assert animal in ('dog', 'cat')

            @pytest.mark.parametrize('animal', ['fish'])
            def test_2(animal):
                assert animal == 'fish'
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 3 passed *"])


def test_parametrize_auto_scope_indirect(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope='session')
            def echo(request):
                return request.param

            @pytest.mark.parametrize('animal, echo', [("dog", 1), ("cat", 2)], indirect=['echo'])
            def test_1(animal, echo):
                assert animal in ('dog', 'cat')
                assert echo in (1, 2, 3)

            @pytest.mark.parametrize('animal, echo', [('fish', 3)], indirect=['echo'])
            def test_2(animal, echo):
                assert animal == 'fish'
                assert echo in (1, 2, 3)
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 3 passed *"])


def test_parametrize_auto_scope_override_fixture(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope='session', autouse=True)
            def animal():
                return 'fox'

            @pytest.mark.parametrize('animal', ["dog", "cat"])
            def test_1(animal):
                assert animal in ('dog', 'cat')
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 2 passed *"])


def test_parametrize_all_indirects(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture()
            def animal(request):
                return request.param

            @pytest.fixture(scope='session')
            def echo(request):
                return request.param

            @pytest.mark.parametrize('animal, echo', [("dog", 1), ("cat", 2)], indirect=True)
            def test_1(animal, echo):
                assert animal in ('dog', 'cat')
                assert echo in (1, 2, 3)

            @pytest.mark.parametrize('animal, echo', [("fish", 3)], indirect=True)
            def test_2(animal, echo):
                assert animal == 'fish'
                assert echo in (1, 2, 3)
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["* 3 passed *"])


def test_parametrize_issue634(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture(scope='module')
            def foo(request):
                print('preparing foo-%d' % request.param)
                return 'foo-%d' % request.param

            def test_one(foo):
                pass

            def test_two(foo):
                pass

            test_two.test_with = (2, 3)

            def zenrun_generate_tests(metafunc):
                params = (1, 2, 3, 4)
                if not 'foo' in metafunc.fixturenames:
                    return

                test_with = getattr(metafunc.function, 'test_with', None)
                if test_with:
                    params = test_with
                metafunc.parametrize('foo', params, indirect=True)
            """
        )
    )
    result = run(zenrunner, "-s")
    result.assert_outcomes(passed=6)  # test_one: foo 1..4, test_two: the function's own (2, 3)
    output = result.stdout.str()
    assert output.count("preparing foo-2") == 1
    assert output.count("preparing foo-3") == 1


# ---------------------------------------------------------------------------------------------
# metafunc.py: TestMarkersWithParametrization
# ---------------------------------------------------------------------------------------------


def test_simple_mark(zenrunner):
    items = zenrunner.getitems(
        pipelines(
            """
            import pytest

            @pytest.mark.foo
            @pytest.mark.parametrize(("n", "expected"), [
                (1, 2),
                pytest.param(1, 3, marks=pytest.mark.bar),
                (2, 3),
            ])
            def test_increment(n, expected):
                assert n + 1 == expected
            """
        )
    )
    assert len(items) == 3
    for item in items:
        assert "foo" in item.keywords
    assert "bar" not in items[0].keywords
    assert "bar" in items[1].keywords
    assert "bar" not in items[2].keywords


def test_select_based_on_mark(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize(("n", "expected"), [
                (1, 2),
                pytest.param(2, 3, marks=pytest.mark.foo),
                (3, 4),
            ])
            def test_increment(n, expected):
                assert n + 1 == expected
            """
        )
    )
    rec = zenrunner.inline_run("-m", "foo")
    passed, skipped, fail = rec.listoutcomes()
    assert len(passed) == 1
    assert len(skipped) == 0
    assert len(fail) == 0


_XFAIL_PARAM_CASES = {
    "simple_xfail": """
        import pytest

        @pytest.mark.parametrize(("n", "expected"), [
            (1, 2),
            pytest.param(1, 3, marks=pytest.mark.xfail),
            (2, 3),
        ])
        def test_increment(n, expected):
            assert n + 1 == expected
        """,
    "simple_xfail_single_argname": """
        import pytest

        @pytest.mark.parametrize("n", [
            2,
            pytest.param(3, marks=pytest.mark.xfail),
            4,
        ])
        def test_isEven(n):
            assert n % 2 == 0
        """,
    "xfail_with_arg": """
        import pytest

        @pytest.mark.parametrize(("n", "expected"), [
            (1, 2),
            pytest.param(1, 3, marks=pytest.mark.xfail("True")),
            (2, 3),
        ])
        def test_increment(n, expected):
            assert n + 1 == expected
        """,
    "xfail_with_kwarg": """
        import pytest

        @pytest.mark.parametrize(("n", "expected"), [
            (1, 2),
            pytest.param(1, 3, marks=pytest.mark.xfail(reason="some bug")),
            (2, 3),
        ])
        def test_increment(n, expected):
            assert n + 1 == expected
        """,
    "xfail_with_arg_and_kwarg": """
        import pytest

        @pytest.mark.parametrize(("n", "expected"), [
            (1, 2),
            pytest.param(1, 3, marks=pytest.mark.xfail("True", reason="some bug")),
            (2, 3),
        ])
        def test_increment(n, expected):
            assert n + 1 == expected
        """,
}


@pytest.mark.parametrize("case", list(_XFAIL_PARAM_CASES))
def test_xfail_param_marks(zenrunner, case):
    """``test_simple_xfail``, ``test_simple_xfail_single_argname``, ``test_xfail_with_arg``,
    ``test_xfail_with_kwarg``, ``test_xfail_with_arg_and_kwarg``: 2 passed, 1 xfailed (which
    pytest's ``inline_run`` counts as skipped)."""
    zenrunner.makepyfile(pipelines(_XFAIL_PARAM_CASES[case]))
    result = run(zenrunner)
    result.assert_outcomes(passed=2, xfailed=1)


@pytest.mark.parametrize("strict", [True, False])
def test_xfail_passing_is_xpass(zenrunner, strict):
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest

            m = pytest.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug", strict={strict})

            @pytest.mark.parametrize(("n", "expected"), [
                (1, 2),
                pytest.param(2, 3, marks=m),
                (3, 4),
            ])
            def test_increment(n, expected):
                assert n + 1 == expected
            """
        )
    )
    result = run(zenrunner)
    if strict:
        result.assert_outcomes(passed=2, failed=1)
    else:
        result.assert_outcomes(passed=2, xpassed=1)


def test_parametrize_called_in_generate_tests(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest


            def zenrun_generate_tests(metafunc):
                passingTestData = [(1, 2),
                                   (2, 3)]
                failingTestData = [(1, 3),
                                   (2, 2)]

                testData = passingTestData + [pytest.param(*d, marks=pytest.mark.xfail)
                                  for d in failingTestData]
                metafunc.parametrize(("n", "expected"), testData)


            def test_increment(n, expected):
                assert n + 1 == expected
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(passed=2, xfailed=2)


def test_parametrize_ID_generation_string_int_works(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture
            def myfixture():
                return 'example'
            @pytest.mark.parametrize(
                'limit', (0, '0'))
            def test_limit(limit, myfixture):
                return
            """
        )
    )
    reprec = zenrunner.inline_run()
    reprec.assertoutcome(passed=2)


@pytest.mark.parametrize("strict", [True, False])
def test_parametrize_marked_value(zenrunner, strict):
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest

            @pytest.mark.parametrize(("n", "expected"), [
                pytest.param(
                    2,3,
                    marks=pytest.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug", strict={strict}),
                ),
                pytest.param(
                    2,3,
                    marks=[pytest.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug", strict={strict})],
                ),
            ])
            def test_increment(n, expected):
                assert n + 1 == expected
            """
        )
    )
    result = run(zenrunner)
    if strict:
        result.assert_outcomes(failed=2)
    else:
        result.assert_outcomes(xpassed=2)


def test_make_parametrize_id(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_make_parametrize_id(config, val):
            return str(val * 2)
        """
    )
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize("x", range(2))
            def test_func(x):
                pass
            """
        )
    )
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*test_func*0*PASS*", "*test_func*2*PASS*"])


def test_make_parametrize_id_with_argname(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_make_parametrize_id(config, val, argname):
            return str(val * 2 if argname == 'x' else val * 10)
        """
    )
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize("x", range(2))
            def test_func_a(x):
                pass

            @pytest.mark.parametrize("y", [1])
            def test_func_b(y):
                pass
            """
        )
    )
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines(["*test_func_a*0*PASS*", "*test_func_a*2*PASS*", "*test_func_b*10*PASS*"])


def test_parametrize_positional_args(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize("a", [1], False)
            def test_foo(a):
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*TypeError*positional argument*"])
    result.assert_outcomes(errors=1)


def test_parametrize_iterator(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import itertools
            import pytest

            id_parametrize = pytest.mark.parametrize(
                ids=("param%d" % i for i in itertools.count())
            )

            @id_parametrize('y', ['a', 'b'])
            def test1(y):
                pass

            @id_parametrize('y', ['a', 'b'])
            def test2(y):
                pass

            @pytest.mark.parametrize("a, b", [(1, 2), (3, 4)], ids=itertools.count())
            def test_converted_to_str(a, b):
                pass
            """
        )
    )
    result = run(zenrunner, "-vv", "-s")
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            f"{name}.py::test1[param0] PASSED",
            f"{name}.py::test1[param1] PASSED",
            f"{name}.py::test2[param0] PASSED",
            f"{name}.py::test2[param1] PASSED",
            f"{name}.py::test_converted_to_str[0] PASSED",
            f"{name}.py::test_converted_to_str[1] PASSED",
            "*= 6 passed in *",
        ]
    )


# ---------------------------------------------------------------------------------------------
# metafunc.py: TestHiddenParam (ids through collection)
# ---------------------------------------------------------------------------------------------


def test_hidden_param_ids(zenrunner):
    items = zenrunner.getitems(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize(
                ("foo", "bar"),
                [
                    ("a", "x"),
                    ("b", "y"),
                    ("c", "z"),
                ],
                ids=["paramset1", pytest.HIDDEN_PARAM, "paramset3"],
            )
            def test_func(foo, bar):
                pass
            """
        )
    )
    assert [item.name for item in items] == ["test_func[paramset1]", "test_func", "test_func[paramset3]"]


def test_hidden_param_id(zenrunner):
    items = zenrunner.getitems(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize(
                ("foo", "bar"),
                [
                    pytest.param("a", "x", id="paramset1"),
                    pytest.param("b", "y", id=pytest.HIDDEN_PARAM),
                    ("c", "z"),
                ],
            )
            def test_func(foo, bar):
                pass
            """
        )
    )
    assert [item.name for item in items] == ["test_func[paramset1]", "test_func", "test_func[c-z]"]


def test_multiple_hidden_param_is_forbidden(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize(
                ("foo", "bar"),
                [
                    ("a", "x"),
                    ("b", "y"),
                ],
                ids=[pytest.HIDDEN_PARAM, pytest.HIDDEN_PARAM],
            )
            def test_func(foo, bar):
                pass
            """
        )
    )
    result = run(zenrunner, "--collect-only")
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            "",
            "*= ERRORS =*",
            f"*_ ERROR collecting {name}.py _*",
            f"*In {name}.py::test_func: multiple instances of "
            "HIDDEN_PARAM cannot be used in the same parametrize call, because the * names need to be unique.",
            "*! Interrupted: 1 error during collection !*",
            "*= no pipelines collected, 1 error in *",
        ]
    )


def test_hidden_param_multiple_parametrize(zenrunner):
    items = zenrunner.getitems(
        pipelines(
            """
            import pytest

            @pytest.mark.parametrize(
                "bar",
                ["x", "y"],
            )
            @pytest.mark.parametrize(
                "foo",
                ["a", "b"],
                ids=["a", pytest.HIDDEN_PARAM],
            )
            def test_func(foo, bar):
                pass
            """
        )
    )
    assert [item.name for item in items] == [
        "test_func[a-x]",
        "test_func[a-y]",
        "test_func[x]",
        "test_func[y]",
    ]


# ---------------------------------------------------------------------------------------------
# test_skipping.py: TestEvaluation (the evaluated mark through the command line)
# ---------------------------------------------------------------------------------------------


def test_no_marker(zenrunner):
    zenrunner.makepyfile(pipelines("def test_func(): pass"))
    run(zenrunner).assert_outcomes(passed=1)


def test_marked_xfail_no_args(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines([f"XFAIL {zenrunner.default_name}.py::test_func"])


def test_marked_skipif_no_args(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *.py:9: Skipped"])


@pytest.mark.parametrize(
    ("marks", "reason"),
    [
        pytest.param(
            ["@pytest.mark.skipif(\"hasattr(os, 'sep')\")"], "condition: hasattr(os, 'sep')", id="one_arg"
        ),
        pytest.param(
            ['@pytest.mark.skipif("hasattr(os, \'sep\')", attr=2, reason="hello world")'],
            "hello world",
            id="one_arg_with_reason",
        ),
        pytest.param(
            [
                "@pytest.mark.skipif(\"not hasattr(os, 'murks')\")",
                "@pytest.mark.skipif(condition=\"hasattr(os, 'murks')\")",
            ],
            "condition: not hasattr(os, 'murks')",
            id="one_arg_twice-0",
        ),
        pytest.param(
            [
                "@pytest.mark.skipif(condition=\"hasattr(os, 'murks')\")",
                "@pytest.mark.skipif(\"not hasattr(os, 'murks')\")",
            ],
            "condition: not hasattr(os, 'murks')",
            id="one_arg_twice-1",
        ),
        pytest.param(
            [
                "@pytest.mark.skipif(\"hasattr(os, 'murks')\")",
                "@pytest.mark.skipif(\"not hasattr(os, 'murks')\")",
            ],
            "condition: not hasattr(os, 'murks')",
            id="one_arg_twice2",
        ),
    ],
)
def test_marked_skipif_reason(zenrunner, marks, reason):
    """``test_marked_one_arg``, ``test_marked_one_arg_with_reason``,
    ``test_marked_one_arg_twice`` (both orders), ``test_marked_one_arg_twice2``,
    and ``TestSkipif::test_skipif_conditional``: the reason the skip reports."""
    src = "import pytest\n" + "\n".join(marks) + "\ndef test_func():\n    pass\n"
    zenrunner.makepyfile(pipelines(src))
    result = run(zenrunner, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] *: {reason}"])


def test_marked_skipif_with_boolean_without_reason(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif(False)
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Error evaluating 'skipif': you need to specify reason=STRING when using booleans as conditions.*"]
    )


def test_marked_skipif_with_invalid_boolean(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            class InvalidBool:
                def __bool__(self):
                    raise TypeError("INVALID")

            @pytest.mark.skipif(InvalidBool(), reason="xxx")
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Error evaluating 'skipif' condition as a boolean*"])
    result.stdout.fnmatch_lines(["*INVALID*"])


def test_skipif_config_attribute(zenrunner):
    """``TestEvaluation::test_skipif_class``, on a module's mark (test classes are left out):
    ``config`` in a condition is the session's config."""
    zenrunner.makeconftest(
        """
        def zenrun_configure(config):
            config._hackxyz = 3
        """
    )
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            zenrunmark = pytest.mark.skipif("config._hackxyz")
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: condition: config._hackxyz"])


def test_skipif_markeval_namespace(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_markeval_namespace():
            return {"color": "green"}
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.skipif("color == 'green'")
            def test_1():
                assert True

            @pytest.mark.skipif("color == 'red'")
            def test_2():
                assert True
            """
        )
    )
    res = run(zenrunner, p)
    assert res.ret == 0
    res.stdout.fnmatch_lines(["*1 skipped*"])
    res.stdout.fnmatch_lines(["*1 passed*"])


def test_skipif_markeval_namespace_multiple(zenrunner):
    root = zenrunner.mkpydir("root")
    root.joinpath("conftest.py").write_text(
        raw(
            """
            def zenrun_markeval_namespace():
                return {"arg": "root"}
            """
        )
    )
    root.joinpath("pipeline_root.py").write_text(
        pipelines(
            """
            import pytest

            @pytest.mark.skipif("arg == 'root'")
            def test_root():
                assert False
            """
        )
    )
    for sub in ("foo", "bar"):
        d = root / sub
        d.mkdir()
        d.joinpath("__init__.py").touch()
        d.joinpath("conftest.py").write_text(
            f"def zenrun_markeval_namespace():\n    return {{'arg': {sub!r}}}\n"
        )
        d.joinpath(f"pipeline_{sub}.py").write_text(
            pipelines(
                f"""
                import pytest

                @pytest.mark.skipif("arg == {sub!r}")
                def test_{sub}():
                    assert False
                """
            )
        )
    reprec = zenrunner.inline_run("-vs", "--capture=no")
    reprec.assertoutcome(skipped=3)


def test_skipif_markeval_namespace_ValueError(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_markeval_namespace():
            return True
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.skipif("color == 'green'")
            def test_1():
                assert True
            """
        )
    )
    res = run(zenrunner, p)
    assert res.ret == 1
    res.stdout.fnmatch_lines(["*ValueError: zenrun_markeval_namespace() needs to return a dict, got True*"])


# ---------------------------------------------------------------------------------------------
# test_skipping.py: TestXFail
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [True, False])
def test_xfail_simple(zenrunner, strict):
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest
            @pytest.mark.xfail(strict={strict})
            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-rx")
    result.assert_outcomes(xfailed=1)
    assert result.ret == 0


def test_xfail_xpassed(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail(reason="this is an xfail")
            def test_func():
                assert 1
            """
        )
    )
    result = run(zenrunner, "-rX")
    result.assert_outcomes(xpassed=1)
    result.stdout.fnmatch_lines(["XPASS *test_func - this is an xfail"])
    assert result.ret == 0


def test_xfail_using_platform(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail("platform.platform() == platform.platform()")
            def test_func():
                assert 0
            """
        )
    )
    run(zenrunner).assert_outcomes(xfailed=1)


def test_xfail_xpassed_strict(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail(strict=True, reason="nope")
            def test_func():
                assert 1
            """
        )
    )
    result = run(zenrunner, "-rfX")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] nope*"])


def test_xfail_run_anyway(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_func():
                assert 0
            def test_func2():
                pytest.xfail("hello")
            """
        )
    )
    result = run(zenrunner, "--runxfail")
    result.stdout.fnmatch_lines(["*def check(*", "*assert 0*", "*1 failed*1 pass*"])


@pytest.mark.parametrize("args", [["-rs"], ["-rs", "--runxfail"]])
def test_xfail_run_with_skip_mark(zenrunner, args):
    zenrunner.makepyfile(
        pipeline_sample=raw(
            """
            import zenrun
            @zenrun.mark.skip
            @zenrun.pipeline
            def test_skip_location() -> None:
                assert 0
            """
        )
    )
    result = run(zenrunner, *args)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] pipeline_sample.py:2: unconditional skip", "*1 skipped*"])


def test_xfail_evalfalse_but_fails(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail('False')
            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner)
    result.assert_outcomes(failed=1)


def test_xfail_not_report_default(zenrunner):
    p = zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_this():
                assert 0
            """
        )
    )
    result = run(zenrunner, p, "-v")
    result.assert_outcomes(xfailed=1)
    result.stdout.no_fnmatch_line("XFAIL *")


def test_xfail_not_run_xfail_reporting(zenrunner):
    p = zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            @pytest.mark.xfail(run=False, reason="noway")
            def test_this():
                assert 0
            @pytest.mark.xfail("True", run=False)
            def test_this_true():
                assert 0
            @pytest.mark.xfail("False", run=False, reason="huh")
            def test_this_false():
                assert 1
            """
        )
    )
    result = run(zenrunner, p, "-rx")
    result.stdout.fnmatch_lines(
        [
            "*pipeline_one*test_this - *NOTRUN* noway",
            "*pipeline_one*test_this_true - *NOTRUN* condition: True",
            "*1 passed*",
        ]
    )


def test_xfail_not_run_no_setup_run(zenrunner):
    p = zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            @pytest.mark.xfail(run=False, reason="hello")
            def test_this():
                assert 0
            def setup_module(mod):
                raise ValueError(42)
            """
        )
    )
    result = run(zenrunner, p, "-rx")
    result.stdout.fnmatch_lines(["*pipeline_one*test_this*NOTRUN*hello", "*1 xfailed*"])


def test_xfail_xpass(zenrunner):
    p = zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_that():
                assert 1
            """
        )
    )
    result = run(zenrunner, p, "-rX")
    result.stdout.fnmatch_lines(["*XPASS*test_that*", "*1 xpassed*"])
    assert result.ret == 0


def test_xfail_imperative(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def test_this():
                pytest.xfail("hello")
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(["*1 xfailed*"])
    result = run(zenrunner, p, "-rx")
    result.stdout.fnmatch_lines(["*XFAIL*test_this*hello*"])
    result = run(zenrunner, p, "--runxfail")
    result.stdout.fnmatch_lines(["*1 pass*"])


def test_xfail_imperative_in_setup_function(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def setup_function(function):
                pytest.xfail("hello")

            def test_this():
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(["*1 xfailed*"])
    result = run(zenrunner, p, "-rx")
    result.stdout.fnmatch_lines(["*XFAIL*test_this*hello*"])
    result = run(zenrunner, p, "--runxfail")
    result.stdout.fnmatch_lines(
        """
        *def check*
        *1 fail*
        """
    )


def test_dynamic_xfail_no_run(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.fixture
            def arg(request):
                request.applymarker(pytest.mark.xfail(run=False))
            def test_this(arg):
                assert 0
            """
        )
    )
    result = run(zenrunner, p, "-rxX")
    result.stdout.fnmatch_lines(["*XFAIL*test_this*NOTRUN*"])


def test_dynamic_xfail_set_during_funcarg_setup(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.fixture
            def arg(request):
                request.applymarker(pytest.mark.xfail)
            def test_this2(arg):
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(["*1 xfailed*"])


def test_dynamic_xfail_set_during_runtest_failed(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def test_this(request):
                request.node.add_marker(pytest.mark.xfail(reason="xfail"))
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    result.assert_outcomes(xfailed=1)


def test_dynamic_xfail_set_during_runtest_passed_strict(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def test_this(request):
                request.node.add_marker(pytest.mark.xfail(reason="xfail", strict=True))
            """
        )
    )
    result = run(zenrunner, p)
    result.assert_outcomes(failed=1)


@pytest.mark.parametrize(
    "expected, actual, matchline",
    [
        ("TypeError", "TypeError", "*1 xfailed*"),
        ("(AttributeError, TypeError)", "TypeError", "*1 xfailed*"),
        ("TypeError", "IndexError", "*1 failed*"),
        ("(AttributeError, TypeError)", "IndexError", "*1 failed*"),
    ],
)
def test_xfail_raises(zenrunner, expected, actual, matchline):
    """The exception is raised in a step, a pipeline's work."""
    p = zenrunner.makepyfile(
        raw(
            f"""
            import zenrun
            from zenrun import pipeline, step

            @step
            def raises():
                raise {actual}()

            @zenrun.mark.xfail(raises={expected})
            @pipeline
            def test_raises():
                raises()
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines([matchline])


def test_xfail_raises_in_body(zenrunner):
    """``test_xfail_raises``'s first case with the exception raised by the pipeline body (the
    item's own code, as a test function's)."""
    p = zenrunner.makepyfile(
        raw(
            """
            import zenrun

            @zenrun.mark.xfail(raises=TypeError)
            @zenrun.pipeline
            def test_raises():
                raise TypeError()

            @zenrun.mark.xfail(raises=TypeError)
            @zenrun.pipeline
            def test_raises_other():
                raise IndexError()
            """
        )
    )
    result = run(zenrunner, p)
    result.assert_outcomes(xfailed=1, failed=1)


def test_strict_sanity(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail(reason='unsupported feature', strict=True)
            def test_foo():
                assert 0
            """
        )
    )
    result = run(zenrunner, p, "-rxX")
    result.stdout.fnmatch_lines(["*XFAIL*unsupported feature*"])
    assert result.ret == 0


@pytest.mark.parametrize("strict", [True, False])
def test_strict_xfail(zenrunner, strict):
    p = zenrunner.makepyfile(
        raw(
            f"""
            import zenrun
            from zenrun import pipeline, step

            @step
            def touch():
                with open('foo_executed', 'w', encoding='utf-8'):
                    pass  # make sure the step runs

            @zenrun.mark.xfail(reason='unsupported feature', strict={strict})
            @pipeline
            def test_foo():
                touch()
            """
        )
    )
    result = run(zenrunner, p, "-rxX")
    if strict:
        result.stdout.fnmatch_lines(["*test_foo*", "*XPASS(strict)*unsupported feature*"])
    else:
        result.stdout.fnmatch_lines(
            ["*test_strict_xfail*", f"XPASS {zenrunner.default_name}.py::test_foo - unsupported feature"]
        )
    assert result.ret == (1 if strict else 0)
    assert zenrunner.path.joinpath("foo_executed").exists()


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("keyword", [False, True], ids=["positional", "condition_keyword"])
def test_strict_xfail_condition(zenrunner, strict, keyword):
    """``test_strict_xfail_condition`` and ``test_xfail_condition_keyword``."""
    condition = "condition=False" if keyword else "False"
    p = zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest

            @pytest.mark.xfail({condition}, reason='unsupported feature', strict={strict})
            def test_foo():
                pass
            """
        )
    )
    result = run(zenrunner, p, "-rxX")
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert result.ret == 0


@pytest.mark.parametrize("strict_val", ["true", "false"])
@pytest.mark.parametrize("option_name", ["strict_xfail", "strict"])
def test_strict_xfail_default_from_file(zenrunner, strict_val, option_name):
    zenrunner.makeini(
        f"""
        [zenrun]
        {option_name} = {strict_val}
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail(reason='unsupported feature')
            def test_foo():
                pass
            """
        )
    )
    result = run(zenrunner, p, "-rxX")
    strict = strict_val == "true"
    result.stdout.fnmatch_lines(["*1 failed*" if strict else "*1 xpassed*"])
    assert result.ret == (1 if strict else 0)


def test_xfail_markeval_namespace(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_markeval_namespace():
            return {"color": "green"}
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.mark.xfail("color == 'green'")
            def test_1():
                assert False

            @pytest.mark.xfail("color == 'red'")
            def test_2():
                assert False
            """
        )
    )
    res = run(zenrunner, p)
    assert res.ret == 1
    res.stdout.fnmatch_lines(["*1 failed*"])
    res.stdout.fnmatch_lines(["*1 xfailed*"])


# ---------------------------------------------------------------------------------------------
# test_skipping.py: TestXFailwithSetupTeardown
# ---------------------------------------------------------------------------------------------


def test_failing_setup_issue9(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def setup_function(func):
                assert 0

            @pytest.mark.xfail
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*1 xfail*"])


def test_failing_teardown_issue9(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def teardown_function(func):
                assert 0

            @pytest.mark.xfail
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*1 xfail*"])


def test_xfail_call_and_teardown_reports_show_phase(zenrunner):
    zenrunner.makepyfile(
        pipeline_case=raw(
            """
            import zenrun

            @zenrun.fixture
            def my_fix():
                yield
                raise Exception("teardown")

            @zenrun.mark.xfail(reason="Some reason")
            @zenrun.pipeline
            def test_func(my_fix):
                raise Exception("call")
            """
        )
    )
    result = run(zenrunner, "-rx")
    result.stdout.fnmatch_lines(
        [
            "*XFAIL*pipeline_case.py::test_func*",
            "*XFAIL at teardown of*pipeline_case.py::test_func*",
        ]
    )


def test_xfail_setup_report_shows_phase(zenrunner):
    zenrunner.makepyfile(
        pipeline_case=raw(
            """
            import zenrun

            @zenrun.fixture
            def my_fix():
                raise Exception("setup")

            @zenrun.mark.xfail(reason="Some reason")
            @zenrun.pipeline
            def test_func(my_fix):
                pass
            """
        )
    )
    result = run(zenrunner, "-rx")
    result.stdout.fnmatch_lines(["*XFAIL at setup of*pipeline_case.py::test_func*"])


# ---------------------------------------------------------------------------------------------
# test_skipping.py: TestSkip, TestSkipif
# ---------------------------------------------------------------------------------------------


def test_skips_on_false_string(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skip('False')
            def test_foo():
                pass
            """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(skipped=1)


@pytest.mark.parametrize(
    ("mark", "line"),
    [
        ("@pytest.mark.skip('testing stuff')", "*testing stuff*"),
        ("@pytest.mark.skip", "*unconditional skip*"),
        ('@pytest.mark.skip(reason="for lolz")', "*for lolz*"),
    ],
    ids=["arg_as_reason", "skip_no_reason", "skip_with_reason"],
)
def test_skip_reason(zenrunner, mark, line):
    """``test_arg_as_reason``, ``test_skip_no_reason``, ``test_skip_with_reason``."""
    zenrunner.makepyfile(pipelines(f"import pytest\n{mark}\ndef test_bar():\n    pass\n"))
    result = run(zenrunner, "-rs")
    result.stdout.fnmatch_lines([line, "*1 skipped*"])


def test_only_skips_marked_test(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skip
            def test_foo():
                pass
            @pytest.mark.skip(reason="nothing in particular")
            def test_bar():
                pass
            def test_baz():
                assert True
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.stdout.fnmatch_lines(["*nothing in particular*", "*1 passed*2 skipped*"])


def test_strict_and_skip(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skip
            def test_hello():
                pass
            """
        )
    )
    result = run(zenrunner, "-rs", "--strict-markers")
    result.stdout.fnmatch_lines(["*unconditional skip*", "*1 skipped*"])


def test_wrong_skip_usage(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skip(False, reason="I thought this was skipif")
            def test_hello():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        ["*TypeError: *() got multiple values for argument 'reason' - maybe you meant zenrun.mark.skipif?"]
    )


@pytest.mark.parametrize("params", ["\"hasattr(sys, 'platform')\"", 'True, reason="invalid platform"'])
def test_skipif_reporting(zenrunner, params):
    p = zenrunner.makepyfile(
        pipeline_foo=pipelines(
            f"""
            import pytest
            @pytest.mark.skipif({params})
            def test_that():
                assert 0
            """
        )
    )
    result = run(zenrunner, p, "-s", "-rs")
    result.stdout.fnmatch_lines(["*SKIP*1*pipeline_foo.py*platform*", "*1 skipped*"])
    assert result.ret == 0


def test_skipif_using_platform(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif("platform.platform() == platform.platform()")
            def test_func():
                pass
            """
        )
    )
    run(zenrunner).assert_outcomes(skipped=1)


@pytest.mark.parametrize("marker, msg1, msg2", [("skipif", "SKIP", "skipped"), ("xfail", "XPASS", "xpassed")])
def test_skipif_reporting_multiple(zenrunner, marker, msg1, msg2):
    zenrunner.makepyfile(
        pipeline_foo=pipelines(
            f"""
            import pytest
            @pytest.mark.{marker}(False, reason='first_condition')
            @pytest.mark.{marker}(True, reason='second_condition')
            def test_foobar():
                assert 1
            """
        )
    )
    result = run(zenrunner, "-s", "-rsxX")
    result.stdout.fnmatch_lines([f"*{msg1}*pipeline_foo.py*second_condition*", f"*1 {msg2}*"])
    assert result.ret == 0


# ---------------------------------------------------------------------------------------------
# test_skipping.py: the module's functions
# ---------------------------------------------------------------------------------------------


def test_skip_not_report_default(zenrunner):
    p = zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            def test_this():
                pytest.skip("hello")
            """
        )
    )
    result = run(zenrunner, p, "-v")
    result.stdout.fnmatch_lines(["*1 skipped*"])


def test_skipif_module_mark(zenrunner):
    """``test_skipif_class`` with the mark on the module (test classes are left out)."""
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            zenrunmark = pytest.mark.skipif("True")
            def test_that():
                assert 0
            def test_though():
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(["*2 skipped*"])


def test_skipped_reasons_functional(zenrunner):
    """The class's ``test_method`` / ``test_deco`` become module functions (same lines)."""
    zenrunner.makepyfile(
        pipeline_one=raw(
            """
            import zenrun
            from helpers import doskip

            def setup_function(func):  # LINE 4 (pytest's applies to module functions only)
                func.__name__ == "test_func" and doskip("setup function")

            @zenrun.pipeline
            def test_func():
                pass

            @zenrun.pipeline
            def test_method():
                doskip("test method")

            @zenrun.mark.skip("via_decorator")  # LINE 15
            @zenrun.pipeline
            def test_deco():
                assert 0
            """
        ),
        helpers=raw(
            """
            import zenrun, sys
            def doskip(reason):
                assert sys._getframe().f_lineno == 3
                zenrun.skip(reason)  # LINE 4
            """
        ),
    )
    result = run(zenrunner, "-rs")
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED [[]1[]] pipeline_one.py:7: setup function",
            "SKIPPED [[]1[]] helpers.py:4: test method",
            "SKIPPED [[]1[]] pipeline_one.py:15: via_decorator",
        ]
    )
    assert result.ret == 0


def test_skipped_folding(zenrunner):
    """The class's method becomes a second module function."""
    zenrunner.makepyfile(
        pipeline_one=pipelines(
            """
            import pytest
            zenrunmark = pytest.mark.skip("Folding")
            def setup_function(func):
                pass
            def test_func():
                pass
            def test_method():
                pass
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.stdout.fnmatch_lines(["*SKIP*2*pipeline_one.py: Folding"])
    assert result.ret == 0


_REPORTCHARS_SRC = """
    import pytest
    def test_1():
        assert 0
    @pytest.mark.xfail
    def test_2():
        assert 0
    @pytest.mark.xfail
    def test_3():
        pass
    def test_4():
        pytest.skip("four")
"""


def test_reportchars(zenrunner):
    zenrunner.makepyfile(pipelines(_REPORTCHARS_SRC))
    result = run(zenrunner, "-rfxXs")
    result.stdout.fnmatch_lines(["FAIL*test_1*", "XFAIL*test_2*", "XPASS*test_3*", "SKIP*four*"])


@pytest.mark.parametrize("chars", ["-rE", "-ra"], ids=["reportchars_error", "reportchars_all_error"])
def test_reportchars_error(zenrunner, chars):
    """``test_reportchars_error`` and ``test_reportchars_all_error``."""
    zenrunner.makepyfile(
        conftest=raw(
            """
            def zenrun_runtest_teardown():
                assert 0
            """
        ),
        pipeline_simple=pipelines(
            """
            def test_foo():
                pass
            """
        ),
    )
    result = run(zenrunner, chars)
    result.stdout.fnmatch_lines(["ERROR*test_foo*"])


def test_reportchars_all(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            _REPORTCHARS_SRC
            + """
    @pytest.fixture
    def fail():
        assert 0
    def test_5(fail):
        pass
"""
        )
    )
    result = run(zenrunner, "-ra")
    result.stdout.fnmatch_lines(
        ["SKIP*four*", "XFAIL*test_2*", "XPASS*test_3*", "ERROR*test_5*", "FAIL*test_1*"]
    )


def test_errors_in_xfail_skip_expressions(zenrunner):
    """pytest's chained traceback ("During handling of the above exception...") is not
    shown: the decision lines are (docs: the ports' deliberate differences)."""
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif("asd")
            def test_nameerror():
                pass
            @pytest.mark.xfail("syntax error")
            def test_syntax():
                pass

            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(
        [
            "*ERROR*test_nameerror*",
            "*evaluating*skipif*condition*",
            "*asd*",
            "*ERROR*test_syntax*",
            "*evaluating*xfail*condition*",
            "    syntax error",
            "            ^",
            "SyntaxError: invalid syntax",
            "*1 pass*2 errors*",
        ]
    )


def test_xfail_skipif_with_globals(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            x = 3
            @pytest.mark.skipif("x == 3")
            def test_skip1():
                pass
            @pytest.mark.xfail("x == 3")
            def test_boolean():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-rsx")
    result.stdout.fnmatch_lines(["*SKIP*x == 3*", "*XFAIL*test_boolean*x == 3*"])


def test_default_markers(zenrunner):
    result = run(zenrunner, "--markers")
    result.stdout.fnmatch_lines(
        [
            "*skipif(condition, ..., [*], reason=...)*skip*",
            "*xfail(condition, ..., [*], reason=..., run=True, raises=None, strict=strict_xfail)*expected failure*",
        ]
    )


def test_xfail_test_setup_exception(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_runtest_setup():
            0 / 0
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner, p)
    assert result.ret == 0
    assert "xfailed" in result.stdout.str()
    result.stdout.no_fnmatch_line("*xpassed*")


def test_imperativeskip_on_xfail_test(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail
            def test_that_fails():
                assert 0

            @pytest.mark.skipif("True")
            def test_hello():
                pass
            """
        )
    )
    zenrunner.makeconftest(
        """
        import zenrun
        def zenrun_runtest_setup(item):
            zenrun.skip("abc")
        """
    )
    result = run(zenrunner, "-rsxX")
    result.stdout.fnmatch_lines_random(
        """
        *SKIP*abc*
        *SKIP*condition: True*
        *2 skipped*
        """
    )


def test_boolean_condition_skipif(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif(True, reason="True123")
            def test_func1():
                pass
            @pytest.mark.skipif(False, reason="True123")
            def test_func2():
                pass
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*1 passed*1 skipped*"])


def test_boolean_condition_skipif_noreason(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.skipif(True)
            def test_func():
                pass
            """
        )
    )
    result = run(zenrunner, "-rs")
    result.stdout.fnmatch_lines(["*1 error*"])


def test_boolean_condition_xfail(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            @pytest.mark.xfail(True, reason="True123")
            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-rxs")
    result.stdout.fnmatch_lines(["*XFAIL*True123*", "*1 xfail*"])


def test_module_level_skip_error(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            pytest.skip("skip_module_level")

            def test_func():
                assert True
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*Using zenrun.skip outside of a *pipeline* will skip the entire module*"])


def test_module_level_skip_with_allow_module_level(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            pytest.skip("skip_module_level", allow_module_level=True)

            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-rxs")
    result.stdout.fnmatch_lines(["*SKIP*skip_module_level"])


def test_invalid_skip_keyword_parameter(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            pytest.skip("skip_module_level", unknown=1)

            def test_func():
                assert 0
            """
        )
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*TypeError:*['unknown']*"])


def test_summary_list_after_errors(zenrunner):
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest
            def test_fail():
                assert 0
            """
        )
    )
    result = run(zenrunner, "-ra")
    result.stdout.fnmatch_lines(
        [
            "=* FAILURES *=",
            "*= short * summary info =*",
            f"FAILED {zenrunner.default_name}.py::test_fail - *assert 0",
        ]
    )


def test_importorskip():
    import zenrun

    with pytest.raises(zenrun.skip.Exception, match=r"^could not import 'doesnotexist': No module named .*"):
        zenrun.importorskip("doesnotexist")


def test_relpath_rootdir(zenrunner):
    zenrunner.makepyfile(
        **{
            "tests/pipeline_1": raw(
                """
                import zenrun
                @zenrun.mark.skip()
                @zenrun.pipeline
                def test_pass():
                    pass
                """
            )
        }
    )
    result = run(zenrunner, "-rs", "tests/pipeline_1.py", "--rootdir=tests")
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] tests/pipeline_1.py:2: unconditional skip"])


def test_skip_from_fixture(zenrunner):
    zenrunner.makepyfile(
        **{
            "tests/pipeline_1": raw(
                """
                import zenrun
                @zenrun.pipeline
                def test_pass(arg):
                    pass
                @zenrun.fixture
                def arg():
                    condition = True
                    if condition:
                        zenrun.skip("Fixture conditional skip")
                """
            )
        }
    )
    result = run(zenrunner, "-rs", "tests/pipeline_1.py", "--rootdir=tests")
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] tests/pipeline_1.py:2: Fixture conditional skip"])


def test_skip_using_reason_works_ok(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            def test_skipping_reason():
                pytest.skip(reason="skippedreason")
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.no_fnmatch_line("*DeprecationWarning*")
    result.assert_outcomes(skipped=1)


def test_fail_using_reason_works_ok(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            def test_failing_reason():
                pytest.fail(reason="failedreason")
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.no_fnmatch_line("*DeprecationWarning*")
    result.assert_outcomes(failed=1)


def test_exit_with_reason_works_ok(zenrunner):
    p = zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            def test_exit_reason_only():
                pytest.exit(reason="foo")
            """
        )
    )
    result = run(zenrunner, p)
    result.stdout.fnmatch_lines(["*Exit: foo*"])


def test_linematcher_sanity():
    """The matcher the port relies on fails on a line that is not there."""
    with pytest.raises(pytest.fail.Exception):
        LineMatcher(["1 passed"]).fnmatch_lines(["*1 failed*"])
