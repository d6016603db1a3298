"""Port of pytest's ``testing/test_assertion.py`` (pytest-dev/pytest): what a failing
``assert`` explains.

``TestAssert_reprcompare``: pytest's ``callequal(left, right, verbose)`` is
:func:`callequal` here: the ``assert`` fails in a frame of its own and
``zenrun.assertion.explain`` gives it its message, as zenrun does for a step; the lines
are returned as pytest's (the summary without ``assert``, the details without their
two-space indent). ``callop`` does the same for ``not in``.

The rest of the module runs pipelines whose ``assert`` is in a step (``porting.
step_pipelines``: each ``def test_NAME()`` a step ``s_NAME`` called by a pipeline
``test_NAME``), a conftest fixture or the module body: the
``zenrun_assertrepr_compare`` hook (pytest's ``pytest_assertrepr_compare``),
``--assert=plain``, truncation (``truncation_limit_lines`` / ``_chars`` in
``zenrun.toml``, ``-vv``, ``CI``), dataclasses, attrs classes and namedtuples, set
comparisons, ``assertion_text_diff_style``, ``python -O``. pytest's ``[pytest]`` ini
keys are ``zenrun.toml`` keys.

Known divergences (strict xfail): a call in an ``assert`` is shown as written, not its
value (zenrun does not call it again); a traceback lists no function arguments; the
explanation's lines are not highlighted with pygments under ``--color=yes``.

Not ported (see the README): unit tests of pytest's private helpers
(``TestMockConfig``, ``TestFormatExplanation``'s ``_format_explanation`` cases,
``TestTruncateExplanation``'s ``_truncate_explanation`` cases,
``TestMaterializeWithTruncation``, ``TestAssertReprCompareDispatcher``,
``test_compare_eq_cls_no_comparable_fields``, ``test_exit_from_assertrepr_compare``,
``test_exception_before_first_yield_emits_summary_and_notice``), pytest's import hook
(6 ``TestImportHookInstallation`` cases, ``test_rewritten``),
``test_callbinrepr_plain_assert_mode`` (an artifact of pytest's in-process run),
``test_fine_grained_assertion_verbosity``.

PYTEST_DONT_REWRITE: pytest must leave ``callequal``'s ``assert`` as written, for
zenrun's explanation (not pytest's own) to be what is checked.
"""

from __future__ import annotations

import textwrap
from typing import Any, NamedTuple

import pytest
from porting import step_pipelines

from zenrun.assertion import explain

CALLS = "zenrun does not call a function again to explain an assert: a call is shown by its source"


def callequal(left: Any, right: Any, verbose: int = 0) -> list[str] | None:
    """The explanation of ``assert left == right`` as pytest's lines, None without one."""
    try:
        assert left == right
    except AssertionError as exc:
        explain(exc, verbose)
        lines = str(exc).splitlines()
    else:
        return None
    if len(lines) == 1:  # a summary only: pytest has no explanation to give
        return None
    return [lines[0].removeprefix("assert "), *(line[2:] for line in lines[1:])]


def test_different_types() -> None:
    assert callequal([0, 1], "foo") is None


def test_summary() -> None:
    lines = callequal([0, 1], [0, 2])
    assert lines is not None
    assert len(lines[0]) < 65


def test_text_diff() -> None:
    assert callequal("spam", "eggs") == ["'spam' == 'eggs'", "", "- eggs", "+ spam"]


def test_text_skipping() -> None:
    lines = callequal("a" * 50 + "spam", "a" * 50 + "eggs")
    assert lines is not None
    assert "Skipping" in lines[2]
    for line in lines[1:]:
        assert "a" * 50 not in line


def test_text_skipping_trailing() -> None:
    lines = callequal("a" + "x" + "z" * 50, "a" + "y" + "z" * 50)
    assert lines is not None
    assert any("identical trailing" in line for line in lines)
    for line in lines[1:]:
        assert "z" * 50 not in line


def test_text_skipping_verbose() -> None:
    lines = callequal("a" * 50 + "spam", "a" * 50 + "eggs", verbose=1)
    assert lines is not None
    assert "- " + "a" * 50 + "eggs" in lines
    assert "+ " + "a" * 50 + "spam" in lines


def test_multiline_text_diff() -> None:
    diff = callequal("foo\nspam\nbar", "foo\neggs\nbar")
    assert diff is not None
    assert "- eggs" in diff
    assert "+ spam" in diff


def test_list() -> None:
    expl = callequal([0, 1], [0, 2])
    assert expl is not None
    assert len(expl) > 1


@pytest.mark.parametrize(
    ["left", "right", "expected"],
    [
        pytest.param(
            [0, 1],
            [0, 2],
            """
            Full diff: (-: missing in left side, +: extra in left side)
              [
                  0,
            -     2,
            ?     ^
            +     1,
            ?     ^
              ]
            """,
            id="lists",
        ),
        pytest.param(
            {0: 1},
            {0: 2},
            """
            Full diff: (-: missing in left side, +: extra in left side)
              {
            -     0: 2,
            ?        ^
            +     0: 1,
            ?        ^
              }
            """,
            id="dicts",
        ),
        pytest.param(
            {0, 1},
            {0, 2},
            """
            Full diff: (-: missing in left side, +: extra in left side)
              {
                  0,
            -     2,
            ?     ^
            +     1,
            ?     ^
              }
            """,
            id="sets",
        ),
    ],
)
def test_iterable_full_diff(left: Any, right: Any, expected: str) -> None:
    expl = callequal(left, right, verbose=0)
    assert expl is not None
    assert expl[-1] == "Use -v to get more diff"
    verbose_expl = callequal(left, right, verbose=1)
    assert verbose_expl is not None
    assert "\n".join(verbose_expl).endswith(textwrap.dedent(expected).strip())


def test_iterable_quiet() -> None:
    assert callequal([1, 2], [10, 2], verbose=-1) == [
        "[1, 2] == [10, 2]",
        "",
        "At index 0 diff: 1 != 10",
        "Use -v to get more diff",
    ]


def test_list_different_lengths() -> None:
    expl = callequal([0, 1], [0, 1, 2])
    assert expl is not None
    assert len(expl) > 1
    expl = callequal([0, 1, 2], [0, 1])
    assert expl is not None
    assert len(expl) > 1


def test_dict() -> None:
    expl = callequal({"a": 0}, {"a": 1})
    assert expl is not None
    assert len(expl) > 1


def test_dict_omitting() -> None:
    lines = callequal({"a": 0, "b": 1}, {"a": 1, "b": 1})
    assert lines is not None
    assert lines[2].startswith("Omitting 1 identical item")
    assert "Common items" not in lines
    for line in lines[1:]:
        assert "b" not in line


def test_dict_omitting_with_verbosity_1() -> None:
    lines = callequal({"a": 0, "b": 1}, {"a": 1, "b": 1}, verbose=1)
    assert lines is not None
    assert lines[1] == ""
    assert lines[2].startswith("Omitting 1 identical item")
    assert lines[3].startswith("Differing items")
    assert lines[4] == "{'a': 0} != {'a': 1}"
    assert "Common items" not in lines


def test_dict_omitting_with_verbosity_2() -> None:
    lines = callequal({"a": 0, "b": 1}, {"a": 1, "b": 1}, verbose=2)
    assert lines is not None
    assert lines[2].startswith("Common items:")
    assert "Omitting" not in lines[2]
    assert lines[3] == "{'b': 1}"


def test_dict_different_items() -> None:
    assert callequal({"a": 0}, {"b": 1, "c": 2}, verbose=2) == [
        "{'a': 0} == {'b': 1, 'c': 2}",
        "",
        "Left contains 1 more item:",
        "{'a': 0}",
        "Right contains 2 more items:",
        "{'b': 1, 'c': 2}",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  {",
        "-     'b': 1,",
        "?      ^   ^",
        "+     'a': 0,",
        "?      ^   ^",
        "-     'c': 2,",
        "  }",
    ]


def test_set() -> None:
    expl = callequal({0, 1}, {0, 2})
    assert expl is not None
    assert len(expl) > 1


def test_frozenzet() -> None:
    expl = callequal(frozenset([0, 1]), {0, 2})
    assert expl is not None
    assert len(expl) > 1


def test_list_tuples() -> None:
    expl = callequal([], [(1, 2)])
    assert expl is not None
    assert len(expl) > 1
    expl = callequal([(1, 2)], [])
    assert expl is not None
    assert len(expl) > 1


def test_one_repr_empty() -> None:
    class A(str):
        def __repr__(self) -> str:
            return ""

    expl = callequal(A(), "")
    assert not expl


def test_unicode() -> None:
    assert callequal("£€", "£") == ["'£€' == '£'", "", "- £", "+ £€"]


# The rest of pytest's module: the hook, ``--assert``, truncation, classes, sets, runs.


def callop(op: str, left: Any, right: Any, verbose: int = 0) -> list[str] | None:
    """The explanation of ``assert left <op> right`` as pytest's lines (see ``callequal``)."""
    try:
        if op == "==":
            assert left == right
        elif op == "not in":
            assert left not in right
        else:
            raise ValueError(op)
    except AssertionError as exc:
        explain(exc, verbose)
        lines = str(exc).splitlines()
    else:
        return None
    if len(lines) == 1:
        return None
    return [lines[0].removeprefix("assert "), *(line[2:] for line in lines[1:])]


def run(zenrunner, src: str, *args: str):
    """Run pytest's test module ``src``, each test's ``assert`` in a step."""
    zenrunner.makepyfile(step_pipelines(src))
    return zenrunner.runzenrun_inprocess("-p", "no:results", *args)


CHECK_FIRST = """
    import zenrun
    @zenrun.fixture
    def check_first():
        def check(values, value):
            assert values.pop(0) == value
        return check
"""


@pytest.mark.parametrize(
    "mode",
    [
        "plain",
        pytest.param("rewrite", marks=pytest.mark.xfail(strict=True, reason=CALLS)),
    ],
)
@pytest.mark.parametrize("initial_conftest", [True, False])
def test_conftest_assertion_rewrite(zenrunner, initial_conftest: bool, mode: str) -> None:
    """``TestImportHookInstallation``: an assert of a function a conftest's fixture gives
    (#1619); the pipeline body calls it."""
    zenrunner.mkdir("foo/tests")
    zenrunner.makeconftest(CHECK_FIRST, "." if initial_conftest else "foo")
    zenrunner.makepyfile(
        **{
            "foo/tests/pipeline_foo": """
                from zenrun import pipeline
                @pipeline
                def test(check_first):
                    check_first([10, 30], 30)
            """
        }
    )
    # in a process of its own: pytest's own rewriting of conftest files stays out of it
    result = zenrunner.runzenrun_subprocess(f"--assert={mode}", "-p", "no:results")
    expected = "E       AssertionError" if mode == "plain" else "*assert 10 == 30*"
    result.stdout.fnmatch_lines([expected])


@pytest.mark.parametrize(
    "mode",
    [
        "plain",
        pytest.param("rewrite", marks=pytest.mark.xfail(strict=True, reason=CALLS)),
    ],
)
def test_pytest_plugins_rewrite(zenrunner, mode: str) -> None:
    """``TestImportHookInstallation``: the fixture in a module a conftest's
    ``zenrun_plugins`` names."""
    zenrunner.makeconftest("zenrun_plugins = ['ham']")
    zenrunner.makepyfile(
        ham=CHECK_FIRST,
        pipeline_foo="""
            from zenrun import pipeline
            @pipeline
            def test_foo(check_first):
                check_first([10, 30], 30)
        """,
    )
    # in a process of its own: pytest's own rewriting of conftest files stays out of it
    result = zenrunner.runzenrun_subprocess(f"--assert={mode}", "-p", "no:results")
    expected = "E       AssertionError" if mode == "plain" else "*assert 10 == 30*"
    result.stdout.fnmatch_lines([expected])


def test_zenrun_assertrepr_compare_called(zenrunner) -> None:
    """``TestBinReprIntegration::test_pytest_assertrepr_compare_called``."""
    zenrunner.makeconftest(
        """
        import zenrun
        values = []
        def zenrun_assertrepr_compare(op, left, right):
            values.append((op, left, right))

        @zenrun.fixture
        def list(request):
            return values
        """
    )
    zenrunner.makepyfile(
        step_pipelines(
            """
            def test_hello():
                assert 0 == 1
            """
        )
        + textwrap.dedent(
            """
            @pipeline
            def test_check(list):
                assert list == [("==", 0, 1)]
                s_ok()

            @step
            def s_ok():
                pass
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-v", "-p", "no:results")
    result.stdout.fnmatch_lines(["*test_hello*FAIL*", "*test_check*PASS*"])


def test_zenrun_assertrepr_compare_in_worker_process(zenrunner) -> None:
    """zenrun's own: with ``-n 2`` a step fails in a worker process, where the conftest's
    hook explains it too (without the session's ``config`` there); a message comes first."""
    zenrunner.makeconftest(
        """
        def zenrun_assertrepr_compare(config, op, left, right):
            return [f"custom {left!r} {op} {right!r} config={config is not None}"]
        """
    )
    result = run(
        zenrunner,
        """
        def test_one():
            x = 42
            assert x < 3, "too big"
        """,
        "-n",
        "2",
    )
    result.stdout.fnmatch_lines(
        ["E       AssertionError: too big", "E       assert custom 42 < 3 config=False"]
    )


# TestAssert_reprcompare_dataclass: pytest's example scripts, the assert in a step

DATACLASSES = """
    from dataclasses import dataclass
    from dataclasses import field

    def test_dataclasses():
        @dataclass
        class SimpleDataObject:
            field_a: int = field()
            field_b: str = field()

        left = SimpleDataObject(1, "b")
        right = SimpleDataObject(1, "c")

        assert left == right
"""

RECURSIVE_DATACLASSES = """
    from dataclasses import dataclass

    @dataclass
    class S:
        a: int
        b: str

    @dataclass
    class C:
        c: S
        d: S

    @dataclass
    class C2:
        e: C
        f: S

    @dataclass
    class C3:
        g: S
        h: C2
        i: str
        j: str

    def test_recursive_dataclasses():
        left = C3(
            S(10, "ten"),
            C2(C(S(1, "one"), S(2, "two")), S(2, "three")),
            "equal",
            "left",
        )
        right = C3(
            S(20, "xxx"),
            C2(C(S(1, "one"), S(2, "yyy")), S(3, "three")),
            "equal",
            "right",
        )

        assert left == right
"""


def test_dataclasses(zenrunner) -> None:
    result = run(zenrunner, DATACLASSES)
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.fnmatch_lines(
        [
            "E         Omitting 1 identical items, use -vv to show",
            "E         Differing attributes:",
            "E         ['field_b']",
            "E         ",
            "E         Drill down into differing attribute field_b:",
            "E           field_b: 'b' != 'c'",
            "E           - c",
            "E           + b",
        ],
        consecutive=True,
    )


def test_recursive_dataclasses(zenrunner) -> None:
    result = run(zenrunner, RECURSIVE_DATACLASSES)
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.fnmatch_lines(
        [
            "E         Omitting 1 identical items, use -vv to show",
            "E         Differing attributes:",
            "E         ['g', 'h', 'j']",
            "E         ",
            "E         Drill down into differing attribute g:",
            "E           g: S(a=10, b='ten') != S(a=20, b='xxx')...",
            "E         ",
            "E         ...Full output truncated, use '-vv' to show",
        ],
        consecutive=True,
    )


def test_recursive_dataclasses_verbose(zenrunner) -> None:
    result = run(zenrunner, RECURSIVE_DATACLASSES, "-vv")
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.fnmatch_lines(
        [
            "E         Matching attributes:",
            "E         ['i']",
            "E         Differing attributes:",
            "E         ['g', 'h', 'j']",
            "E         ",
            "E         Drill down into differing attribute g:",
            "E           g: S(a=10, b='ten') != S(a=20, b='xxx')",
            "E           ",
            "E           Differing attributes:",
            "E           ['a', 'b']",
            "E           ",
            "E           Drill down into differing attribute a:",
            "E             a: 10 != 20",
            "E           ",
            "E           Drill down into differing attribute b:",
            "E             b: 'ten' != 'xxx'",
            "E             - xxx",
            "E             + ten",
            "E         ",
            "E         Drill down into differing attribute h:",
        ],
        consecutive=True,
    )


def test_dataclasses_verbose(zenrunner) -> None:
    result = run(zenrunner, DATACLASSES, "-vv")
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.fnmatch_lines(
        ["*Matching attributes:*", "*['field_a']*", "*Differing attributes:*", "*field_b: 'b' != 'c'*"]
    )


def test_dataclasses_with_attribute_comparison_off(zenrunner) -> None:
    result = run(
        zenrunner, DATACLASSES.replace("field_b: str = field()", "field_b: str = field(compare=False)"), "-vv"
    )
    result.assert_outcomes(failed=0, passed=1)


def test_comparing_two_different_data_classes(zenrunner) -> None:
    src = """
        from dataclasses import dataclass
        from dataclasses import field

        def test_comparing_two_different_data_classes():
            @dataclass
            class SimpleDataObjectOne:
                field_a: int = field()
                field_b: str = field()

            @dataclass
            class SimpleDataObjectTwo:
                field_a: int = field()
                field_b: str = field()

            left = SimpleDataObjectOne(1, "b")
            right = SimpleDataObjectTwo(1, "c")

            assert left != right
    """
    run(zenrunner, src, "-vv").assert_outcomes(failed=0, passed=1)


def test_data_classes_with_custom_eq(zenrunner) -> None:
    src = DATACLASSES.replace(
        "field_b: str = field()\n",
        "field_b: str = field()\n\n            def __eq__(self, o: object, /) -> bool:\n"
        "                return super().__eq__(o)\n",
    )
    assert "__eq__" in src
    result = run(zenrunner, src, "-vv")  # issue 9362
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.no_re_match_line(".*Differing attributes.*")


def test_data_classes_with_initvar(zenrunner) -> None:
    src = """
        from dataclasses import dataclass
        from dataclasses import InitVar

        @dataclass
        class Foo:
            init_only: InitVar[int]
            real_attr: int

        def test_demonstrate():
            assert Foo(1, 2) == Foo(1, 3)
    """
    result = run(zenrunner, src, "-vv")  # issue 9820
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.no_re_match_line(".*AttributeError.*")


# TestAssert_reprcompare_attrsclass


def test_attrs() -> None:
    attr = pytest.importorskip("attr")

    @attr.s
    class SimpleDataObject:
        field_a = attr.ib()
        field_b = attr.ib()

    lines = callequal(SimpleDataObject(1, "b"), SimpleDataObject(1, "c"))
    assert lines is not None
    assert lines[2].startswith("Omitting 1 identical item")
    assert "Matching attributes" not in lines
    for line in lines[2:]:
        assert "field_a" not in line


def _attrs_nested() -> tuple[Any, Any]:
    attr = pytest.importorskip("attr")

    @attr.s
    class OtherDataObject:
        field_c = attr.ib()
        field_d = attr.ib()

    @attr.s
    class SimpleDataObject:
        field_a = attr.ib()
        field_b = attr.ib()

    return SimpleDataObject(OtherDataObject(1, "a"), "b"), SimpleDataObject(OtherDataObject(1, "b"), "b")


def test_attrs_recursive() -> None:
    lines = callequal(*_attrs_nested())
    assert lines is not None
    assert "Matching attributes" not in lines
    for line in lines[1:]:
        assert "field_b:" not in line
        assert "field_c:" not in line


def test_attrs_recursive_verbose() -> None:
    lines = callequal(*_attrs_nested())
    assert lines is not None
    # indentation in output because of nested object structure
    assert "    field_d: 'a' != 'b'" in lines


def test_attrs_verbose() -> None:
    attr = pytest.importorskip("attr")

    @attr.s
    class SimpleDataObject:
        field_a = attr.ib()
        field_b = attr.ib()

    lines = callequal(SimpleDataObject(1, "b"), SimpleDataObject(1, "c"), verbose=2)
    assert lines is not None
    assert lines[2].startswith("Matching attributes:")
    assert "Omitting" not in lines[2]
    assert lines[3] == "['field_a']"


def test_attrs_with_attribute_comparison_off() -> None:
    attr = pytest.importorskip("attr")

    @attr.s
    class SimpleDataObject:
        field_a = attr.ib()
        field_b = attr.ib(eq=False)

    lines = callequal(SimpleDataObject(1, "b"), SimpleDataObject(1, "b"), verbose=2)
    # zenrun explains a failing assert only: equal objects (field_b not compared) pass
    assert lines is None


def test_comparing_two_different_attrs_classes() -> None:
    attr = pytest.importorskip("attr")

    @attr.s
    class SimpleDataObjectOne:
        field_a = attr.ib()
        field_b = attr.ib()

    @attr.s
    class SimpleDataObjectTwo:
        field_a = attr.ib()
        field_b = attr.ib()

    assert callequal(SimpleDataObjectOne(1, "b"), SimpleDataObjectTwo(1, "c")) is None


def test_attrs_with_auto_detect_and_custom_eq() -> None:
    attr = pytest.importorskip("attr")

    @attr.s(auto_detect=True)  # attr.s doesn't ignore a custom eq if auto_detect=True
    class SimpleDataObject:
        field_a = attr.ib()

        def __eq__(self, other):  # pragma: no cover
            return super().__eq__(other)

    assert callequal(SimpleDataObject(1), SimpleDataObject(2), verbose=2) is None  # issue 9362


def test_attrs_with_custom_eq() -> None:
    attr = pytest.importorskip("attr")

    @attr.define(slots=False)
    class SimpleDataObject:
        field_a = attr.ib()

        def __eq__(self, other):  # pragma: no cover
            return super().__eq__(other)

    assert callequal(SimpleDataObject(1), SimpleDataObject(2), verbose=2) is None  # issue 9362


# TestAssert_reprcompare_namedtuple


def test_namedtuple() -> None:
    class NT(NamedTuple):
        a: Any
        b: Any

    assert callequal(NT(1, "b"), NT(1, "c")) == [
        "NT(a=1, b='b') == NT(a=1, b='c')",
        "",
        "Omitting 1 identical items, use -vv to show",
        "Differing attributes:",
        "['b']",
        "",
        "Drill down into differing attribute b:",
        "  b: 'b' != 'c'",
        "  - c",
        "  + b",
        "Use -v to get more diff",
    ]


def test_comparing_two_different_namedtuple() -> None:
    class NT1(NamedTuple):
        a: Any
        b: Any

    class NT2(NamedTuple):
        a: Any
        b: Any

    # Because the types are different, uses the generic sequence matcher.
    assert callequal(NT1(1, "b"), NT2(2, "b")) == [
        "NT1(a=1, b='b') == NT2(a=2, b='b')",
        "",
        "At index 0 diff: 1 != 2",
        "Use -v to get more diff",
    ]


def test_special_chars_full(zenrunner) -> None:
    """``TestFormatExplanation``: issue 453, for the bug this would raise IndexError."""
    result = run(
        zenrunner,
        """
        def test_foo():
            assert '\\n}' == ''
        """,
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*AssertionError*"])


# TestTruncateExplanation: the cases run (the others test pytest's private ``truncate``)


def test_full_output_truncated(zenrunner, monkeypatch) -> None:
    """Test against full runpytest() output."""
    line_count = 7
    line_len = 100
    src = rf"""
        def test_many_lines():
            a = list([str(i)[0] * {line_len} for i in range({line_count})])
            b = a[::2]
            a = '\n'.join(map(str, a))
            b = '\n'.join(map(str, b))
            assert a == b
    """
    monkeypatch.delenv("CI", raising=False)

    result = run(zenrunner, src)
    # without -vv, truncate the message showing a few diff lines only
    result.stdout.fnmatch_lines(["*+ 1*", "*+ 3*", "*Full output truncated*use*-vv*"])

    result = run(zenrunner, src, "-vv")
    result.stdout.fnmatch_lines(["* 6*"])

    # Setting CI to empty string is same as having it undefined
    monkeypatch.setenv("CI", "")
    result = run(zenrunner, src)
    result.stdout.fnmatch_lines(["*+ 1*", "*+ 3*", "*Full output truncated*use*-vv*"])

    monkeypatch.setenv("CI", "1")
    result = run(zenrunner, src)
    result.stdout.fnmatch_lines(["* 6*"])


TRUNCATION_SRC = """\
    string_a = "123456789\\n23456789\\n3"
    string_b = "123456789\\n23456789\\n4"

    def test():
        assert string_a == string_b
"""


@pytest.mark.parametrize(
    ["truncation_lines", "truncation_chars", "expected_lines_hidden"],
    (
        (3, None, 3),
        (4, None, 0),
        (0, None, 0),
        (None, 8, 6),
        (None, 33, 0),
        (None, 0, 0),
        (0, 0, 0),
        (0, 1000, 0),
        (1000, 0, 0),
    ),
)
def test_truncation_with_ini(
    zenrunner,
    monkeypatch,
    truncation_lines: int | None,
    truncation_chars: int | None,
    expected_lines_hidden: int,
) -> None:
    """The limits in ``zenrun.toml`` (pytest's ini file)."""
    monkeypatch.delenv("CI", raising=False)
    toml = ""
    if truncation_lines is not None:
        toml += f"truncation_limit_lines = {truncation_lines}\n"
    if truncation_chars is not None:
        toml += f"truncation_limit_chars = {truncation_chars}\n"
    zenrunner.maketoml(toml)
    result = run(zenrunner, TRUNCATION_SRC)
    if expected_lines_hidden != 0:
        result.stdout.fnmatch_lines(["*Full output truncated*"])
    else:
        result.stdout.no_fnmatch_line("*truncated*")
        result.stdout.fnmatch_lines(["*- 4*", "*+ 3*"])


@pytest.mark.parametrize(
    "config",
    [
        pytest.param("truncation_limit_lines = 3\ntruncation_limit_chars = 0\n", id="toml-int"),
        pytest.param('truncation_limit_lines = "3"\ntruncation_limit_chars = "0"\n', id="toml-string"),
    ],
)
def test_truncation_limits_accept_int_and_string(zenrunner, monkeypatch, config: str) -> None:
    """Truncation limits accept both int and string values in TOML (#14675); pytest's
    ``[tool.pytest]`` / ``[tool.pytest.ini_options]`` are zenrun's ``zenrun.toml``."""
    monkeypatch.delenv("CI", raising=False)
    zenrunner.maketoml(config)
    result = run(zenrunner, TRUNCATION_SRC)
    result.stdout.no_fnmatch_line("*TypeError*")
    result.stdout.fnmatch_lines(["*Full output truncated, use '-vv' to show*"])


def test_python25_compile_issue257(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        def test_rewritten():
            assert 1 == 2
        # some comment
        """,
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*E*assert 1 == 2*", "*1 failed*"])


def test_reprcompare_notin() -> None:
    assert callop("not in", "foo", "aaafoobbb") == [
        "'foo' not in 'aaafoobbb'",
        "",
        "'foo' is contained here:",
        "  aaafoobbb",
        "?    +++",
    ]


def test_reprcompare_notin_nontext() -> None:
    # ``not in`` with non-text operands has no specialised explanation.
    assert callop("not in", 1, [1, 2]) is None


def test_reprcompare_notin_long_text() -> None:
    lines = callop("not in", "x", "a" * 50 + "x")
    assert lines is not None
    assert not any("Skipping" in line for line in lines)


def test_reprcompare_whitespaces() -> None:
    assert callequal("\r\n", "\n") == [
        r"'\r\n' == '\n'",
        "",
        r"Strings contain only whitespace, escaping them using repr()",
        r"- '\n'",
        r"+ '\r\n'",
        r"?  ++",
    ]


# TestSetAssertions


@pytest.mark.parametrize("op", [">=", ">", "<=", "<", "=="])
def test_set_extra_item(zenrunner, op: str) -> None:
    result = run(
        zenrunner,
        f"""
        def test_hello():
            x = set("hello x")
            y = set("hello y")
            assert x {op} y
        """,
    )
    result.stdout.fnmatch_lines(["*def s_hello():*", f"*assert x {op} y*"])
    if op in [">=", ">", "=="]:
        result.stdout.fnmatch_lines(["*E*Extra items in the right set:*", "*E*'y'"])
    if op in ["<=", "<", "=="]:
        result.stdout.fnmatch_lines(["*E*Extra items in the left set:*", "*E*'x'"])


@pytest.mark.parametrize("op", [">", "<", "!="])
def test_set_proper_superset_equal(zenrunner, op: str) -> None:
    result = run(
        zenrunner,
        f"""
        def test_hello():
            x = set([1, 2, 3])
            y = x.copy()
            assert x {op} y
        """,
    )
    result.stdout.fnmatch_lines(["*def s_hello():*", f"*assert x {op} y*", "*E*Both sets are equal*"])


def test_pytest_assertrepr_compare_integration(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        def test_hello():
            x = set(range(100))
            y = x.copy()
            y.remove(50)
            assert x == y
        """,
    )
    result.stdout.fnmatch_lines(
        ["*def s_hello():*", "*assert x == y*", "*E*Extra items*left*", "*E*50*", "*= 1 failed in*"]
    )


@pytest.mark.parametrize("op", [">=", "<="])
def test_dict_items_view_subset(zenrunner, op: str) -> None:
    """dict.items() supports set-like comparisons; assert diff should show the missing items."""
    if op == ">=":
        src = """
            def test_hello():
                x = {"a": 1, "b": 2}
                y = {"a": 1, "b": 2, "c": 3}
                assert x.items() >= y.items()
        """
    else:
        src = """
            def test_hello():
                x = {"a": 1, "b": 2, "c": 3}
                y = {"a": 1, "b": 2}
                assert x.items() <= y.items()
        """
    result = run(zenrunner, src)
    side = "right" if op == ">=" else "left"
    result.stdout.fnmatch_lines(
        [
            "*def s_hello():*",
            f"*assert x.items() {op} y.items()*",
            f"*E*Extra items in the {side} set:*",
            "*E*('c', 3)*",
        ]
    )


def test_assertrepr_loaded_per_dir(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_base=step_pipelines("def test_base(): assert 1 == 2"))
    for name in ("a", "b"):
        zenrunner.mkdir(name)
        zenrunner.makepyfile(
            **{f"{name}/pipeline_{name}": step_pipelines(f"def test_{name}(): assert 1 == 2")}
        )
        zenrunner.makeconftest(f'def zenrun_assertrepr_compare(): return ["summary {name}"]', name)
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*def s_a():*",
            "*E*assert summary a*",
            "*def s_b():*",
            "*E*assert summary b*",
            "*def s_base():*",
            "*E*assert 1 == 2*",
        ]
    )


def test_assertion_options(zenrunner) -> None:
    src = """
        def test_hello():
            x = 3
            assert x == 4
    """
    result = run(zenrunner, src)
    assert "3 == 4" in result.stdout.str()
    result = run(zenrunner, src, "--assert=plain")
    result.stdout.no_fnmatch_line("*3 == 4*")


def test_triple_quoted_string_issue113(zenrunner) -> None:
    result = run(
        zenrunner,
        "def test_hello():\n    assert \"\" == '''\n'''\n",
        "--fulltrace",
    )
    result.stdout.fnmatch_lines(["*1 failed*"])
    result.stdout.no_fnmatch_line("*SyntaxError*")


@pytest.mark.xfail(strict=True, reason=CALLS)
def test_traceback_failure(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        def g():
            return 2
        def f(x):
            assert x == g()
        def test_onefails():
            f(3)
        """,
        "--tb=long",
    )
    result.stdout.fnmatch_lines(
        [">       assert x == g()", "E       assert 3 == 2", "E        +  where 2 = g()"]
    )


def test_exception_handling_no_traceback(zenrunner) -> None:
    """Handle chain exceptions in tasks submitted by the multiprocess module (#1984)."""
    result = run(
        zenrunner,
        """
        from multiprocessing import Pool

        def process_task(n):
            assert n == 10

        def multitask_job():
            tasks = [1]
            with Pool(processes=1) as pool:
                pool.map(process_task, tasks)

        def test_multitask_job():
            multitask_job()
        """,
        "--tb=long",
    )
    result.stdout.fnmatch_lines(
        [
            "*multiprocessing.pool.RemoteTraceback:*",
            "Traceback (most recent call last):",
            "*assert n == 10",
            "The above exception was the direct cause of the following exception:",
            "> * multitask_job()",
        ]
    )


def test_AssertionError_message(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        def test_hello():
            x,y = 1,2
            assert 0, (x,y)
        """,
    )
    result.stdout.fnmatch_lines(["*def s_hello*", "*assert 0, (x,y)*", "*AssertionError: (1, 2)*"])


def test_diff_newline_at_end(zenrunner) -> None:
    result = run(
        zenrunner,
        r"""
        def test_diff():
            assert 'asdf' == 'asdf\n'
        """,
    )
    result.stdout.fnmatch_lines([r"*assert 'asdf' == 'asdf\n'", "*  - asdf", "*  ?     -", "*  + asdf"])


def test_assert_tuple_warning(zenrunner) -> None:
    msg = "assertion is always true"
    result = run(
        zenrunner,
        """
        def test_tuple():
            assert(False, 'you shall not pass')
        """,
    )
    result.stdout.fnmatch_lines(
        [f"*pipeline_test_assert_tuple_warning*.py:5:*{msg}*"]
    )  # a line down: the import

    # tuples with size != 2 should not trigger the warning
    result = run(
        zenrunner,
        """
        def test_tuple():
            assert ()
        """,
    )
    assert msg not in result.stdout.str()


def test_assert_indirect_tuple_no_warning(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        def test_tuple():
            tpl = ('foo', 'bar')
            assert tpl
        """,
    )
    assert "WR1" not in result.stdout.str()


def test_assert_with_unicode(zenrunner) -> None:
    result = run(
        zenrunner,
        """\
        def test_unicode():
            assert '유니코드' == 'Unicode'
        """,
    )
    result.stdout.fnmatch_lines(["*AssertionError*"])


def test_raise_unprintable_assertion_error(zenrunner) -> None:
    result = run(
        zenrunner,
        r"""
        def test_raise_assertion_error():
            raise AssertionError('\xff')
        """,
    )
    result.stdout.fnmatch_lines([r">       raise AssertionError('\xff')", "E       AssertionError: *"])


def test_raise_assertion_error_raising_repr(zenrunner) -> None:
    result = run(
        zenrunner,
        """
        class RaisingRepr(object):
            def __repr__(self):
                raise Exception()
        def test_raising_repr():
            raise AssertionError(RaisingRepr())
        """,
    )
    result.stdout.fnmatch_lines(["E       AssertionError: <exception str() failed>"])


def test_issue_1944(zenrunner) -> None:
    zenrunner.makepyfile(
        """
        def f():
            return

        assert f() == 10
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.stdout.fnmatch_lines(["*1 error*"])
    assert "AttributeError: 'Module' object has no attribute '_obj'" not in result.stdout.str()


def test_plugin_hook_returning_none_is_skipped(zenrunner) -> None:
    """A ``zenrun_assertrepr_compare`` impl returning ``None`` is skipped so the next impl
    (or the built-in) can produce the explanation."""
    zenrunner.makeconftest(
        """
        def zenrun_assertrepr_compare(op, left, right):
            return None
        """
    )
    result = run(zenrunner, "def test_diff():\n    assert {1, 2} == {1, 3}\n")
    result.stdout.fnmatch_lines(["*Extra items in the left set:*", "*Extra items in the right set:*"])


def test_plugin_hook_returning_empty_iterator_is_skipped(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_assertrepr_compare(op, left, right):
            return iter([])
        """
    )
    result = run(zenrunner, "def test_diff():\n    assert {1, 2} == {1, 3}\n")
    result.stdout.fnmatch_lines(["*Extra items in the left set:*", "*Extra items in the right set:*"])


def test_callbinrepr_falls_through_when_all_hooks_return_none(zenrunner) -> None:
    result = run(zenrunner, "def test_trivial():\n    assert 1 == 2\n")
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])
    result.assert_outcomes(failed=1)


def test_assertion_location_with_coverage(zenrunner) -> None:
    """This used to report the wrong location when run with coverage (#5754)."""
    result = run(
        zenrunner,
        """
        def test():
            assert False, 1
            assert False, 2
        """,
    )
    result.stdout.fnmatch_lines(
        [">       assert False, 1", "E       AssertionError: 1", "E       assert False", "*= 1 failed in*"]
    )


def test_reprcompare_verbose_long() -> None:
    a = {f"v{i}": i for i in range(11)}
    b = a.copy()
    b["v2"] += 10
    lines = callop("==", a, b, verbose=2)
    assert lines is not None
    assert lines[0] == (
        "{'v0': 0, 'v1': 1, 'v2': 2, 'v3': 3, 'v4': 4, 'v5': 5, "
        "'v6': 6, 'v7': 7, 'v8': 8, 'v9': 9, 'v10': 10}"
        " == "
        "{'v0': 0, 'v1': 1, 'v2': 12, 'v3': 3, 'v4': 4, 'v5': 5, "
        "'v6': 6, 'v7': 7, 'v8': 8, 'v9': 9, 'v10': 10}"
    )


@pytest.mark.xfail(
    strict=True, reason="zenrun's tracebacks do not list a function's arguments (pytest's `m = ...` lines)"
)
def test_full_output_vvv(zenrunner) -> None:
    src = r"""
        def crash_helper(m):
            assert 1 == 2
        def test_vvv():
            crash_helper(500 * "a")
    """
    result = run(zenrunner, src)
    # without -vvv, the passed args are truncated
    expected_non_vvv_arg_line = "m = 'aaaaaaaaaaaaaaa*..aaaaaaaaaaaa*"
    result.stdout.fnmatch_lines(
        [expected_non_vvv_arg_line, "pipeline_test_full_output_vvv.py:3: AssertionError"]
    )
    expected_vvv_arg_line = "m = '{}'".format(500 * "a")
    result.stdout.no_fnmatch_line(expected_vvv_arg_line)

    # but with "-vvv" the args are not truncated
    result = run(zenrunner, src, "-vvv")
    result.stdout.fnmatch_lines([expected_vvv_arg_line, "pipeline_test_full_output_vvv.py:3: AssertionError"])
    result.stdout.no_fnmatch_line(expected_non_vvv_arg_line)


def test_dict_extra_items_preserve_insertion_order(zenrunner) -> None:
    """Assertion output of dict diff shows keys in insertion order (#13503)."""
    result = run(
        zenrunner,
        """
        def test_order():
            a = {
                "b": 2,
                "a": 1,
                "d": 4,
                "e": 5,
                "c": 3,
            }
            assert a == {}
        """,
        "-vv",
    )
    result.stdout.fnmatch_lines(
        [
            "*Left contains 5 more items:*",
            "*Full diff: (-: missing in left side, +: extra in left side)",
            "* + *'b': 2,",
            "* + *'a': 1,",
            "* + *'d': 4,",
            "* + *'e': 5,",
            "* + *'c': 3,",
            "pipeline_*.py:*: AssertionError",
        ]
    )


@pytest.mark.parametrize(
    "args",
    [pytest.param((), id="rewrite"), pytest.param(("--assert=plain",), id="plain")],
)
def test_warn_missing(zenrunner, args: tuple[str, ...]) -> None:
    """Under ``python -OO`` no ``assert`` runs: a config warning says so. zenrun rewrites no
    module, so its wording is pytest's ``--assert=plain`` one in either mode (pytest's third
    case, the warning in ``-h``'s output, is not ported: ``-h`` shows no warnings)."""
    zenrunner.makepyfile("")
    result = zenrunner.run(*args, env={"PYTHONOPTIMIZE": "2"})
    result.stdout.fnmatch_lines(
        [
            "=*= warnings summary =*=",
            "*ZenrunConfigWarning: ASSERTIONS ARE NOT EXECUTED and FAILING PIPELINES WILL PASS.  "
            "Are you using python -O?",
        ]
    )


def test_recursion_source_decode(zenrunner) -> None:
    zenrunner.makepyfile(
        step_pipelines(
            """
            def test_something():
                pass
            """
        )
    )
    zenrunner.maketoml('python_files = ["*.py"]')
    result = zenrunner.runzenrun_inprocess("--collect-only")
    result.stdout.fnmatch_lines(["  <Module*>"])


def test_assertion_text_diff_style_block_for_multiline_strings(zenrunner) -> None:
    zenrunner.makepyfile(
        step_pipelines(
            r"""
            actual = "alpha\n  beta\n"
            expected = "alpha\n    beta"

            def test_text_diff():
                assert actual == expected
            """
        )
    )
    zenrunner.maketoml('assertion_text_diff_style = "block"')
    result = zenrunner.runzenrun_inprocess("-vv", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "E         Left:",
            "E           alpha",
            "E             beta",
            "E           ",
            "E         Right:",
            "E           alpha",
            "E               beta",
        ]
    )
    result.stdout.no_fnmatch_line("*?     -*")


def test_assertion_text_diff_style_block_for_single_line_strings(zenrunner) -> None:
    zenrunner.maketoml('assertion_text_diff_style = "block"')
    result = run(zenrunner, 'def test_text_diff():\n    assert "spam" == "eggs"\n', "-vv")
    result.stdout.fnmatch_lines(
        ["E         Left:", "E           spam", "E         Right:", "E           eggs"]
    )
    result.stdout.no_fnmatch_line("*- eggs*")


def test_assertion_text_diff_style_invalid(zenrunner) -> None:
    zenrunner.maketoml('assertion_text_diff_style = "side-by-side"')
    result = run(zenrunner, "def test_ok():\n    pass\n")
    assert result.ret == 4  # pytest's ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *: config option 'assertion_text_diff_style' expects one of 'ndiff' | 'block', got 'side-by-side'"
        ]
    )


#: pytest's ``color_mapping`` fixture's codes (``testing/conftest.py``).
COLORS = {
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "light-gray": "\x1b[90m",
    "light-red": "\x1b[91m",
    "light-green": "\x1b[92m",
    "bold": "\x1b[1m",
    "reset": "\x1b[0m",
    "kw": "\x1b[94m",
    "hl-reset": "\x1b[39;49;00m",
    "function": "\x1b[92m",
    "number": "\x1b[94m",
    "str": "\x1b[33m",
    "print": "\x1b[96m",
    "endline": "\x1b[90m\x1b[39;49;00m",
}


@pytest.mark.parametrize(
    "enable_colors",
    [
        pytest.param(
            True,
            marks=pytest.mark.xfail(
                strict=True,
                reason="zenrun colours an explanation's E lines whole (bold red): it does not "
                "highlight the values and diff lines in them with pygments",
            ),
        ),
        False,
    ],
)
@pytest.mark.parametrize(
    ("test_code", "expected_lines"),
    (
        (
            """
            def test():
                assert [0, 1] == [0, 2]
            """,
            [
                "{bold}{red}E         At index 1 diff: {reset}{number}1{hl-reset}{endline} != {reset}{number}2*",
                "{bold}{red}E         {reset}{light-red}-     2,{hl-reset}{endline}{reset}",
                "{bold}{red}E         {reset}{light-green}+     1,{hl-reset}{endline}{reset}",
            ],
        ),
        (
            """
            def test():
                assert {f"number-is-{i}": i for i in range(1, 6)} == {
                    f"number-is-{i}": i for i in range(5)
                }
            """,
            [
                "{bold}{red}E         Common items:{reset}",
                "{bold}{red}E         {reset}{{{str}'{hl-reset}{str}number-is-1{hl-reset}{str}'{hl-reset}: {number}1*",
                "{bold}{red}E         Left contains 1 more item:{reset}",
                "{bold}{red}E         {reset}{{{str}'{hl-reset}{str}number-is-5{hl-reset}{str}'{hl-reset}: {number}5*",
                "{bold}{red}E         Right contains 1 more item:{reset}",
                "{bold}{red}E         {reset}{{{str}'{hl-reset}{str}number-is-0{hl-reset}{str}'{hl-reset}: {number}0*",
                "{bold}{red}E         {reset}{light-gray} {hl-reset} {{{endline}{reset}",
                "{bold}{red}E         {reset}{light-gray} {hl-reset}     'number-is-1': 1,{endline}{reset}",
                "{bold}{red}E         {reset}{light-green}+     'number-is-5': 5,{hl-reset}{endline}{reset}",
            ],
        ),
        (
            """
            def test():
                assert "abcd" == "abce"
            """,
            [
                "{bold}{red}E         {reset}{light-red}- abce{hl-reset}{endline}{reset}",
                "{bold}{red}E         {light-green}+ abcd{hl-reset}{endline}{reset}",
            ],
        ),
    ),
)
def test_comparisons_handle_colors(
    zenrunner, enable_colors: bool, test_code: str, expected_lines: list[str]
) -> None:
    result = run(zenrunner, test_code, f"--color={'yes' if enable_colors else 'no'}", "-vv")
    if enable_colors:
        lines = [line.format(**COLORS).replace("[", "[[]") for line in expected_lines]
    else:
        lines = [line.format(**dict.fromkeys(COLORS, "")) for line in expected_lines]
    result.stdout.fnmatch_lines(lines)


# -- TestAssert_reprcompare: bytes, mappings that are no dict, sets that are no set,
# -- texts alike once normalized, and the full diff on CI


def test_bytes_diff_normal() -> None:
    assert callequal(b"spam", b"eggs") == [
        "b'spam' == b'eggs'",
        "",
        "At index 0 diff: b's' != b'e'",
        "Use -v to get more diff",
    ]


def test_bytes_diff_verbose() -> None:
    assert callequal(b"spam", b"eggs", verbose=1) == [
        "b'spam' == b'eggs'",
        "",
        "At index 0 diff: b's' != b'e'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "- b'eggs'",
        "+ b'spam'",
    ]


def test_bytes_longer_than_four_are_laid_out_in_parentheses_as_pytests_pprint() -> None:
    lines = callequal(b"spamx", b"eggsy", verbose=1)
    assert lines is not None and lines[-2:] == ["- (b'eggsy')", "+ (b'spamx')"]


def test_mapping_different_items() -> None:
    from collections.abc import Iterator, Mapping

    class SimpleMapping(Mapping[str, int]):
        def __init__(self, values: dict[str, int]) -> None:
            self._values = values

        def __getitem__(self, key: str) -> int:
            return self._values[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self._values)

        def __len__(self) -> int:
            return len(self._values)

        def __repr__(self) -> str:
            return f"SimpleMapping({self._values!r})"

    lines = callequal(SimpleMapping({"a": 0, "b": 1}), SimpleMapping({"a": 1, "b": 1, "c": 2}))
    assert lines is not None
    assert lines[2:] == [
        "Omitting 1 identical items, use -vv to show",
        "Differing items:",
        "{'a': 0} != {'a': 1}",
        "Right contains 1 more item:",
        "{'c': 2}",
        "Use -v to get more diff",
    ]


def test_dict_keys_compare_as_a_set() -> None:  # (pytest's isset: any collections.abc.Set)
    lines = callequal({"a": 1}.keys(), {"a", "b"})
    assert lines is not None
    assert lines[2:4] == ["Extra items in the right set:", "'b'"]


def test_nfc_nfd_same_string() -> None:
    left = "hyv\xe4"
    right = "hyva\u0308"
    assert callequal(left, right) == [r"'hyv\xe4' == 'hyva\u0308'", "", f"- {right!s}", f"+ {left!s}"]
    assert callequal(left, right, verbose=2) == [
        r"'hyv\xe4' == 'hyva\u0308'",
        "",
        f"- {right!s}",
        f"+ {left!s}",
    ]


def test_iterable_full_diff_ci(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    lines = callequal([0, 1], [0, 2])
    assert lines is not None and "Full diff: (-: missing in left side, +: extra in left side)" in lines
    monkeypatch.delenv("CI")
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    lines = callequal([0, 1], [0, 2])
    assert lines is not None and lines[-1] == "Use -v to get more diff"
