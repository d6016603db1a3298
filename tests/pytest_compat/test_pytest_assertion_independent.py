"""Independent port of pytest's assertion suites: what a failing ``assert`` says.

Sources (``pytest-dev/pytest``, ``testing/``, read at df87db7, 2026-08-20):
``test_assertion.py``, ``test_assertrewrite.py`` (the parts a user sees) and
``test_error_diffs.py``.

Mapping used:

- a pytest test function -> a ``@step`` holding its body (the asserts run in a
  step, as a pipeline's work does) and a ``@pipeline`` of the same name calling it
  (``porting.step_pipelines``); ``test_*.py`` -> ``pipeline_*.py`` (``makepyfile``);
- ``pytester`` -> ``zenrunner``; ``runpytest`` -> ``runzenrun_inprocess``
  (``runpytest_subprocess`` -> ``runzenrun``); ``pytest.ini`` keys -> ``-o KEY=VALUE``
  / ``zenrun.toml``; ``pytest_assertrepr_compare`` -> ``zenrun_assertrepr_compare``;
- pytest's ``callequal(left, right, verbose=N)`` / ``callop(op, ...)`` (the
  assertion plugin's explanation under a mocked config, truncation off) -> a
  step ``left = ...; right = ...; assert left OP right`` run with ``-v`` * N
  (``-q`` for -1) and ``-o truncation_limit_lines=0 -o truncation_limit_chars=0``;
  the explanation is read back from the ``E`` lines of the failure
  (``explain`` below): ``[summary, "", ...]`` as pytest's list;
- ``getmsg(f)`` of test_assertrewrite (the message of a rewritten assert) -> the
  ``E`` lines of the step's failure (``getmsgs``: several functions, one pipeline each,
  in one run; ``must_pass`` -> no failure).

Known divergences, ``xfail(strict=True)`` (each names the doc that says so): a call's
value (``+  where 2 = g()``, ``assert A() == A()`` showing ``A()``) and a name an
``assert`` assigns with ``:=`` are shown as written (docs/guide/pytest-habits.md,
"Asserts are not rewritten"); ``--assert=plain`` explains nothing
(docs/reference/cli.md; pytest's ``test_callbinrepr_plain_assert_mode`` passes only
because pytester's in-process run is rewritten by the outer pytest); a long traceback
does not show a frame's arguments (``m = '...'``; pytest-habits.md, "Not yet as in
pytest").

Adapted: ``test_one_repr_empty`` left out (its two values are equal: no assert fails);
``test_attrs_with_attribute_comparison_off`` compares objects that differ in the
compared field (pytest calls its hook on equal ones); ``test_custom_reprcompare`` uses
the hook in a conftest (pytest monkeypatches its ``_reprcompare``);
``test_assert_fixture`` matches ``<*fixt*>`` (zenrun's fixture object has its own repr);
``test_warn_missing`` matches zenrun's words (``ZenrunConfigWarning: ASSERTIONS ARE NOT
EXECUTED ...``, pytest's plain-mode message, in each mode: zenrun rewrites nothing).

Not applicable (left out, 54 of test_assertion.py's functions and most of
test_assertrewrite.py's):

- ``TestMockConfig`` (5), ``TestImportHookInstallation`` (8), ``register_assert_rewrite``,
  and the rewriting machinery of ``test_assertrewrite.py`` (``TestRewriteOnImport``,
  ``TestAssertionRewriteHookDetails``, pyc files, ``PYTEST_DONT_REWRITE``,
  ``TestEarlyRewriteBailout``, ``TestPyCacheDir``, ``TestIssue2121``, source-position
  and AST tests): zenrun does not rewrite asserts (docs/guide/pytest-habits.md,
  "Asserts are not rewritten"), it explains them from the failing frame;
- unit tests of private helpers with no user-visible counterpart (38):
  ``_compare_eq_text`` / ``_compare_eq_mapping`` and their budgets (5), ``format_explanation``
  (``test_format_nonascii_explanation`` and ``TestFormatExplanation``'s 8 ``test_fmt_*``),
  ``TestTruncateExplanation``'s 11 ``_truncate_explanation`` cases (its two run cases are
  ported), ``TestMaterializeWithTruncation`` (6), ``TestAssertReprCompareDispatcher`` (4),
  ``test_compare_eq_cls_no_comparable_fields``, ``test_exit_from_assertrepr_compare``,
  ``test_exception_before_first_yield_emits_summary_and_notice``;
- ``test_recursion_source_decode`` (``--collect-only``'s ``<Module>`` node: zenrun has
  no module nodes), ``test_assertion_location_with_coverage`` (coverage's tracer);
- not ported yet: ``test_comparisons_handle_colors`` (6: zenrun does not colour a
  diff's ``-`` / ``+`` lines and values as pytest's pygments highlighting does), and
  ``getmsg`` cases built on calls or on functions' names (``test_call``, ``test_name``,
  ``test_dont_rewrite_if_hasattr_fails``, ``test_assertrepr_compare_same_width``,
  ``test_assert_raising__bool__in_comparison``), which the call divergence above decides.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import porting
import pytest

NO_TRUNC = ("-o", "truncation_limit_lines=0", "-o", "truncation_limit_chars=0")
VERB = {-1: ("-q",), 0: (), 1: ("-v",), 2: ("-vv",), 3: ("-vvv",)}


def run_steps(zenrunner: Any, src: str, *args: str) -> Any:
    """pytest's test module (``def test_x(): ...``) as steps in pipelines, run in-process."""
    src = re.sub(r"^def (test\w*)\(\)\s*->\s*None:", r"def \1():", textwrap.dedent(src), flags=re.M)
    zenrunner.makepyfile(porting.step_pipelines(src))
    return zenrunner.runzenrun_inprocess(*args)


def e_lines(result: Any) -> list[str]:
    return [line[8:] if len(line) > 8 else "" for line in result.outlines if line.startswith("E ")]


def explain(
    zenrunner: Any,
    left: str,
    right: str,
    verbose: int = 0,
    op: str = "==",
    setup: str = "",
    args: tuple[str, ...] = NO_TRUNC,
) -> list[str] | None:
    """pytest's ``callop(op, left, right, verbose)``: the explanation of a failing
    ``assert left OP right`` as the user sees it; None when only the bare
    comparison is shown (pytest's hook returned None)."""
    body = textwrap.indent(f"{setup}\nleft = {left}\nright = {right}\nassert left {op} right\n", "    ")
    zenrunner.makepyfile(f"def test_it():\n{body}")
    src = zenrunner.path.joinpath(f"{zenrunner.default_name}.py").read_text()
    zenrunner.makepyfile(porting.step_pipelines(src))
    result = zenrunner.runzenrun_inprocess(*VERB[verbose], *args)
    assert result.ret == 1, result.stdout.str()
    lines = e_lines(result)
    assert lines, result.stdout.str()
    first = lines[0].removeprefix("AssertionError: ").removeprefix("assert ")
    rest = [line[2:] if line.startswith("  ") else line.strip() for line in lines[1:]]
    if not rest:
        return None
    return [first, *rest]


# --------------------------------------------------------------------------- TestBinReprIntegration


def test_pytest_assertrepr_compare_called(zenrunner: Any) -> None:
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
        """
        from zenrun import pipeline, step

        @step
        def hello():
            assert 0 == 1

        @step
        def check(values):
            assert values == [("==", 0, 1)]

        @pipeline
        def test_hello():
            hello()

        @pipeline
        def test_check(list):
            check(list)
        """
    )
    result = zenrunner.runzenrun_inprocess("-v")
    result.stdout.fnmatch_lines(["*test_hello*FAIL*", "*test_check*PASS*"])


# --------------------------------------------------------------------------- TestAssert_reprcompare


def test_different_types(zenrunner: Any) -> None:
    assert explain(zenrunner, "[0, 1]", "'foo'") is None


def test_summary(zenrunner: Any) -> None:
    lines = explain(zenrunner, "[0, 1]", "[0, 2]")
    assert lines is not None
    assert len("assert " + lines[0]) < 65 + 7


def test_text_diff(zenrunner: Any) -> None:
    assert explain(zenrunner, "'spam'", "'eggs'") == ["'spam' == 'eggs'", "", "- eggs", "+ spam"]


def test_text_skipping(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'a' * 50 + 'spam'", "'a' * 50 + 'eggs'")
    assert lines is not None
    assert "Skipping" in lines[2]
    for line in lines:
        assert "a" * 50 not in line


def test_text_skipping_trailing(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'a' + 'x' + 'z' * 50", "'a' + 'y' + 'z' * 50")
    assert lines is not None
    assert any("identical trailing" in line for line in lines)
    for line in lines:
        assert "z" * 50 not in line


def test_text_skipping_trailing_when_prefix_differs(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'x' + 'z' * 50", "'y' + 'z' * 50")
    assert lines is not None
    assert any("identical trailing" in line for line in lines)
    for line in lines:
        assert "z" * 50 not in line


def test_text_skipping_verbose(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'a' * 50 + 'spam'", "'a' * 50 + 'eggs'", verbose=1)
    assert lines is not None
    assert "- " + "a" * 50 + "eggs" in lines
    assert "+ " + "a" * 50 + "spam" in lines


def test_multiline_text_diff(zenrunner: Any) -> None:
    diff = explain(zenrunner, "'foo\\nspam\\nbar'", "'foo\\neggs\\nbar'")
    assert diff is not None
    assert "- eggs" in diff
    assert "+ spam" in diff


BLOCK = ("-o", "assertion_text_diff_style=block", *NO_TRUNC)


def test_multiline_text_diff_block(zenrunner: Any) -> None:
    assert explain(zenrunner, "'foo\\nspam\\nbar'", "'foo\\neggs\\nbar'", args=BLOCK) == [
        r"'foo\nspam\nbar' == 'foo\neggs\nbar'",
        "",
        "Left:",
        "  foo",
        "  spam",
        "  bar",
        "",
        "Right:",
        "  foo",
        "  eggs",
        "  bar",
    ]


def test_multiline_text_diff_block_preserves_blank_lines(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'\\nfoo\\n'", "'\\nbar'", args=BLOCK)
    # trailing spaces of an ``E`` line are the terminal's; pytest's "  " lines compare stripped
    assert lines is not None
    assert [line.rstrip() for line in lines] == [
        r"'\nfoo\n' == '\nbar'",
        "",
        "Left:",
        "",
        "  foo",
        "",
        "",
        "Right:",
        "",
        "  bar",
    ]


def test_single_line_text_diff_block(zenrunner: Any) -> None:
    assert explain(zenrunner, "'spam'", "'eggs'", args=BLOCK) == [
        "'spam' == 'eggs'",
        "",
        "Left:",
        "  spam",
        "",
        "Right:",
        "  eggs",
    ]


def test_bytes_diff_normal(zenrunner: Any) -> None:
    assert explain(zenrunner, "b'spam'", "b'eggs'") == [
        "b'spam' == b'eggs'",
        "",
        "At index 0 diff: b's' != b'e'",
        "Use -v to get more diff",
    ]


def test_bytes_diff_verbose(zenrunner: Any) -> None:
    assert explain(zenrunner, "b'spam'", "b'eggs'", verbose=1) == [
        "b'spam' == b'eggs'",
        "",
        "At index 0 diff: b's' != b'e'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "- b'eggs'",
        "+ b'spam'",
    ]


def test_list(zenrunner: Any) -> None:
    expl = explain(zenrunner, "[0, 1]", "[0, 2]")
    assert expl is not None
    assert len(expl) > 1


@pytest.mark.parametrize(
    ["left", "right", "expected"],
    [
        pytest.param(
            "[0, 1]",
            "[0, 2]",
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
            "{0: 1}",
            "{0: 2}",
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
            "{0, 1}",
            "{0, 2}",
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
def test_iterable_full_diff(zenrunner: Any, left: str, right: str, expected: str) -> None:
    expl = explain(zenrunner, left, right, verbose=0)
    assert expl is not None
    assert expl[-1] == "Use -v to get more diff"
    verbose_expl = explain(zenrunner, left, right, verbose=1)
    assert verbose_expl is not None
    assert "\n".join(verbose_expl).endswith(textwrap.dedent(expected).strip())


def test_iterable_quiet(zenrunner: Any) -> None:
    assert explain(zenrunner, "[1, 2]", "[10, 2]", verbose=-1) == [
        "[1, 2] == [10, 2]",
        "",
        "At index 0 diff: 1 != 10",
        "Use -v to get more diff",
    ]


@pytest.mark.parametrize(
    ("ci", "expected"),
    [("true", "Full diff: *"), ("", "Use -v to get more diff"), (None, "Use -v to get more diff")],
)
def test_iterable_full_diff_ci(
    zenrunner: Any, monkeypatch: pytest.MonkeyPatch, ci: str | None, expected: str
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    result = run_steps(
        zenrunner,
        """
        def test_full_diff():
            left = [0, 1]
            right = [0, 2]
            assert left == right
        """,
    )
    result.stdout.fnmatch_lines([f"E         {expected}"])


def test_list_different_lengths(zenrunner: Any) -> None:
    expl = explain(zenrunner, "[0, 1]", "[0, 1, 2]")
    assert expl is not None
    assert len(expl) > 1
    expl = explain(zenrunner, "[0, 1, 2]", "[0, 1]")
    assert expl is not None
    assert len(expl) > 1


def test_list_wrap_for_multiple_lines(zenrunner: Any) -> None:
    long_d = "d" * 80
    setup = "long_d = 'd' * 80"
    assert explain(zenrunner, "['a', 'b', 'c']", "['a', 'b', 'c', long_d]", 1, setup=setup) == [
        "['a', 'b', 'c'] == ['a', 'b', 'c...dddddddddddd']",
        "",
        "Right contains one more item: '" + long_d + "'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  [",
        "      'a',",
        "      'b',",
        "      'c',",
        "-     '" + long_d + "',",
        "  ]",
    ]
    assert explain(zenrunner, "['a', 'b', 'c', long_d]", "['a', 'b', 'c']", 1, setup=setup) == [
        "['a', 'b', 'c...dddddddddddd'] == ['a', 'b', 'c']",
        "",
        "Left contains one more item: '" + long_d + "'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  [",
        "      'a',",
        "      'b',",
        "      'c',",
        "+     '" + long_d + "',",
        "  ]",
    ]


def test_list_wrap_for_width_rewrap_same_length(zenrunner: Any) -> None:
    setup = "long_a = 'a' * 30\nlong_b = 'b' * 30\nlong_c = 'c' * 30"
    assert explain(zenrunner, "[long_a, long_b, long_c]", "[long_b, long_c, long_a]", 1, setup=setup) == [
        "['aaaaaaaaaaa...cccccccccccc'] == ['bbbbbbbbbbb...aaaaaaaaaaaa']",
        "",
        "At index 0 diff: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' != 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  [",
        "+     'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',",
        "      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',",
        "      'cccccccccccccccccccccccccccccc',",
        "-     'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',",
        "  ]",
    ]


def test_list_dont_wrap_strings(zenrunner: Any) -> None:
    setup = "long_a = 'a' * 10"
    assert explain(
        zenrunner, "['a'] + [long_a for _ in range(7)]", "['should not get wrapped']", 1, setup=setup
    ) == [
        "['a', 'aaaaaa...aaaaaaa', ...] == ['should not get wrapped']",
        "",
        "At index 0 diff: 'a' != 'should not get wrapped'",
        "Left contains 7 more items, first extra item: 'aaaaaaaaaa'",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  [",
        "-     'should not get wrapped',",
        "+     'a',",
        *["+     'aaaaaaaaaa',"] * 7,
        "  ]",
    ]


def test_dict_wrap(zenrunner: Any) -> None:
    assert explain(
        zenrunner, "{'common': 1, 'env': {'env1': 1, 'env2': 2}}", "{'common': 1, 'env': {'env1': 1}}", 1
    ) == [
        "{'common': 1,...1, 'env2': 2}} == {'common': 1,...: {'env1': 1}}",
        "",
        "Omitting 1 identical items, use -vv to show",
        "Differing items:",
        "{'env': {'env1': 1, 'env2': 2}} != {'env': {'env1': 1}}",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  {",
        "      'common': 1,",
        "      'env': {",
        "          'env1': 1,",
        "+         'env2': 2,",
        "      },",
        "  }",
    ]
    long_a = "a" * 80
    setup = (
        "long_a = 'a' * 80\nsub = {'long_a': long_a, 'sub1': {'long_a': 'substring that gets wrapped ' * 3}}"
    )
    assert explain(zenrunner, "{'env': {'sub': sub}}", "{'env': {'sub': sub}, 'new': 1}", 1, setup=setup) == [
        "{'env': {'sub... wrapped '}}}} == {'env': {'sub...}}}, 'new': 1}",
        "",
        "Omitting 1 identical items, use -vv to show",
        "Right contains 1 more item:",
        "{'new': 1}",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  {",
        "      'env': {",
        "          'sub': {",
        f"              'long_a': '{long_a}',",
        "              'sub1': {",
        "                  'long_a': 'substring that gets wrapped substring that gets wrapped '",
        "                  'substring that gets wrapped ',",
        "              },",
        "          },",
        "      },",
        "-     'new': 1,",
        "  }",
    ]


def test_dict(zenrunner: Any) -> None:
    expl = explain(zenrunner, "{'a': 0}", "{'a': 1}")
    assert expl is not None
    assert len(expl) > 1


def test_dict_omitting(zenrunner: Any) -> None:
    lines = explain(zenrunner, "{'a': 0, 'b': 1}", "{'a': 1, 'b': 1}")
    assert lines is not None
    assert lines[2].startswith("Omitting 1 identical item")
    assert "Common items" not in lines
    for line in lines[1:]:
        assert "b" not in line


def test_dict_omitting_with_verbosity_1(zenrunner: Any) -> None:
    lines = explain(zenrunner, "{'a': 0, 'b': 1}", "{'a': 1, 'b': 1}", verbose=1)
    assert lines is not None
    assert lines[1] == ""
    assert lines[2].startswith("Omitting 1 identical item")
    assert lines[3].startswith("Differing items")
    assert lines[4] == "{'a': 0} != {'a': 1}"
    assert "Common items" not in lines


def test_dict_omitting_with_verbosity_2(zenrunner: Any) -> None:
    lines = explain(zenrunner, "{'a': 0, 'b': 1}", "{'a': 1, 'b': 1}", verbose=2)
    assert lines is not None
    assert lines[2].startswith("Common items:")
    assert "Omitting" not in lines[2]
    assert lines[3] == "{'b': 1}"


def test_dict_different_items(zenrunner: Any) -> None:
    assert explain(zenrunner, "{'a': 0}", "{'b': 1, 'c': 2}", verbose=2) == [
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
    assert explain(zenrunner, "{'b': 1, 'c': 2}", "{'a': 0}", verbose=2) == [
        "{'b': 1, 'c': 2} == {'a': 0}",
        "",
        "Left contains 2 more items:",
        "{'b': 1, 'c': 2}",
        "Right contains 1 more item:",
        "{'a': 0}",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  {",
        "-     'a': 0,",
        "?      ^   ^",
        "+     'b': 1,",
        "?      ^   ^",
        "+     'c': 2,",
        "  }",
    ]


MAPPING = """
from collections.abc import Mapping
class SimpleMapping(Mapping):
    def __init__(self, values):
        self._values = values
    def __getitem__(self, key):
        return self._values[key]
    def __iter__(self):
        return iter(self._values)
    def __len__(self):
        return len(self._values)
    def __repr__(self):
        return f"SimpleMapping({self._values!r})"
"""


def test_mapping_different_items(zenrunner: Any) -> None:
    lines = explain(
        zenrunner, "SimpleMapping({'a': 0, 'b': 1})", "SimpleMapping({'a': 1, 'b': 1, 'c': 2})", setup=MAPPING
    )
    assert lines is not None
    assert lines[2:] == [
        "Omitting 1 identical items, use -vv to show",
        "Differing items:",
        "{'a': 0} != {'a': 1}",
        "Right contains 1 more item:",
        "{'c': 2}",
        "Use -v to get more diff",
    ]


def test_sequence_different_items(zenrunner: Any) -> None:
    assert explain(zenrunner, "(1, 2)", "(3, 4, 5)", verbose=2) == [
        "(1, 2) == (3, 4, 5)",
        "",
        "At index 0 diff: 1 != 3",
        "Right contains one more item: 5",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  (",
        "-     3,",
        "?     ^",
        "+     1,",
        "?     ^",
        "-     4,",
        "?     ^",
        "+     2,",
        "?     ^",
        "-     5,",
        "  )",
    ]
    assert explain(zenrunner, "(1, 2, 3)", "(4,)", verbose=2) == [
        "(1, 2, 3) == (4,)",
        "",
        "At index 0 diff: 1 != 4",
        "Left contains 2 more items, first extra item: 2",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  (",
        "-     4,",
        "?     ^",
        "+     1,",
        "?     ^",
        "+     2,",
        "+     3,",
        "  )",
    ]
    assert explain(zenrunner, "(1, 2, 3)", "(1, 20, 3)", verbose=2) == [
        "(1, 2, 3) == (1, 20, 3)",
        "",
        "At index 1 diff: 2 != 20",
        "",
        "Full diff: (-: missing in left side, +: extra in left side)",
        "  (",
        "      1,",
        "-     20,",
        "?      -",
        "+     2,",
        "      3,",
        "  )",
    ]


def test_set(zenrunner: Any) -> None:
    expl = explain(zenrunner, "{0, 1}", "{0, 2}")
    assert expl is not None
    assert len(expl) > 1


def test_frozenzet(zenrunner: Any) -> None:
    expl = explain(zenrunner, "frozenset([0, 1])", "{0, 2}")
    assert expl is not None
    assert len(expl) > 1


SEQUENCE = """
from collections.abc import MutableSequence
class TestSequence(MutableSequence):
    def __init__(self, iterable):
        self.elements = list(iterable)
    def __getitem__(self, item):
        return self.elements[item]
    def __len__(self):
        return len(self.elements)
    def __setitem__(self, item, value):
        pass
    def __delitem__(self, item):
        pass
    def insert(self, index, value):
        pass
"""


def test_Sequence(zenrunner: Any) -> None:
    expl = explain(zenrunner, "TestSequence([0, 1])", "[0, 2]", setup=SEQUENCE)
    assert expl is not None
    assert len(expl) > 1


def test_list_tuples(zenrunner: Any) -> None:
    expl = explain(zenrunner, "[]", "[(1, 2)]")
    assert expl is not None
    assert len(expl) > 1
    expl = explain(zenrunner, "[(1, 2)]", "[]")
    assert expl is not None
    assert len(expl) > 1


BAD_REPR = """
class A:
    def __repr__(self):
        raise ValueError(42)
"""


def test_list_bad_repr(zenrunner: Any) -> None:
    expl = explain(zenrunner, "[]", "[A()]", setup=BAD_REPR)
    assert expl is not None
    assert "ValueError" in "".join(expl)
    expl = explain(zenrunner, "{}", "{'1': A()}", verbose=2, setup=BAD_REPR)
    assert expl is not None
    assert expl[0].startswith("{} == <[ValueError")
    assert "raised in repr" in expl[0]


def test_repr_no_exc(zenrunner: Any) -> None:
    expl = explain(zenrunner, "'foo'", "'bar'")
    assert expl is not None
    assert "raised in repr()" not in " ".join(expl)


def test_unicode(zenrunner: Any) -> None:
    assert explain(zenrunner, "'£€'", "'£'") == ["'£€' == '£'", "", "- £", "+ £€"]


def test_nonascii_text(zenrunner: Any) -> None:
    setup = "class A(str):\n    def __repr__(self):\n        return '\\xff'"
    assert explain(zenrunner, "A()", "'1'", setup=setup) == ["ÿ == '1'", "", "- 1"]


def test_mojibake(zenrunner: Any) -> None:
    expl = explain(zenrunner, "b'e'", "b'\\xc3\\xa9'")
    assert expl is not None
    assert "\n".join(expl)


def test_nfc_nfd_same_string(zenrunner: Any) -> None:
    left = "hyv\xe4"
    right = "hyva\u0308"
    expected = [r"'hyv\xe4' == 'hyva\u0308'", "", f"- {right!s}", f"+ {left!s}"]
    assert explain(zenrunner, "'hyv\\xe4'", "'hyva\\u0308'") == expected
    assert explain(zenrunner, "'hyv\\xe4'", "'hyva\\u0308'", verbose=2) == expected


def test_reprcompare_notin(zenrunner: Any) -> None:
    assert explain(zenrunner, "'foo'", "'aaafoobbb'", op="not in") == [
        "'foo' not in 'aaafoobbb'",
        "",
        "'foo' is contained here:",
        "  aaafoobbb",
        "?    +++",
    ]


def test_reprcompare_notin_nontext(zenrunner: Any) -> None:
    assert explain(zenrunner, "1", "[1, 2]", op="not in") is None


def test_reprcompare_notin_long_text(zenrunner: Any) -> None:
    lines = explain(zenrunner, "'x'", "'a' * 50 + 'x'", op="not in")
    assert lines is not None
    assert not any("Skipping" in line for line in lines)


def test_reprcompare_whitespaces(zenrunner: Any) -> None:
    assert explain(zenrunner, "'\\r\\n'", "'\\n'") == [
        r"'\r\n' == '\n'",
        "",
        r"Strings contain only whitespace, escaping them using repr()",
        r"- '\n'",
        r"+ '\r\n'",
        r"?  ++",
    ]


def test_reprcompare_verbose_long(zenrunner: Any) -> None:
    setup = "a = {f'v{i}': i for i in range(11)}\nb = a.copy()\nb['v2'] += 10"
    lines = explain(zenrunner, "a", "b", verbose=2, setup=setup)
    assert lines is not None
    assert lines[0] == (
        "{'v0': 0, 'v1': 1, 'v2': 2, 'v3': 3, 'v4': 4, 'v5': 5, "
        "'v6': 6, 'v7': 7, 'v8': 8, 'v9': 9, 'v10': 10}"
        " == "
        "{'v0': 0, 'v1': 1, 'v2': 12, 'v3': 3, 'v4': 4, 'v5': 5, "
        "'v6': 6, 'v7': 7, 'v8': 8, 'v9': 9, 'v10': 10}"
    )


# --------------------------------------------------------------------------- dataclasses, attrs, namedtuples

DATACLASSES = """
from dataclasses import dataclass, field

def test_dataclasses() -> None:
    @dataclass
    class SimpleDataObject:
        field_a: int = field()
        field_b: str = field()

    left = SimpleDataObject(1, "b")
    right = SimpleDataObject(1, "c")
    assert left == right
"""

RECURSIVE = """
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
    left = C3(S(10, "ten"), C2(C(S(1, "one"), S(2, "two")), S(2, "three")), "equal", "left")
    right = C3(S(20, "xxx"), C2(C(S(1, "one"), S(2, "yyy")), S(3, "three")), "equal", "right")
    assert left == right
"""


def test_dataclasses(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = run_steps(zenrunner, DATACLASSES)
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


def test_recursive_dataclasses(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = run_steps(zenrunner, RECURSIVE)
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


def test_recursive_dataclasses_verbose(zenrunner: Any) -> None:
    result = run_steps(zenrunner, RECURSIVE, "-vv")
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


def test_dataclasses_verbose(zenrunner: Any) -> None:
    result = run_steps(zenrunner, DATACLASSES, "-vv")
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.fnmatch_lines(
        ["*Matching attributes:*", "*['field_a']*", "*Differing attributes:*", "*field_b: 'b' != 'c'*"]
    )


def test_dataclasses_with_attribute_comparison_off(zenrunner: Any) -> None:
    src = DATACLASSES.replace("field_b: str = field()", "field_b: str = field(compare=False)")
    result = run_steps(zenrunner, src, "-vv")
    result.assert_outcomes(failed=0, passed=1)


def test_comparing_two_different_data_classes(zenrunner: Any) -> None:
    src = """
    from dataclasses import dataclass, field

    def test_comparing_two_different_data_classes() -> None:
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
    result = run_steps(zenrunner, src, "-vv")
    result.assert_outcomes(failed=0, passed=1)


def test_data_classes_with_custom_eq(zenrunner: Any) -> None:
    src = DATACLASSES.replace(
        "field_b: str = field()\n",
        "field_b: str = field()\n\n        def __eq__(self, o, /):\n            return super().__eq__(o)\n",
    )
    assert "__eq__" in src
    result = run_steps(zenrunner, src, "-vv")
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.no_re_match_line(".*Differing attributes.*")


def test_data_classes_with_initvar(zenrunner: Any) -> None:
    src = """
    from dataclasses import dataclass, InitVar

    @dataclass
    class Foo:
        init_only: InitVar[int]
        real_attr: int

    def test_demonstrate():
        left = Foo(1, 2)
        right = Foo(1, 3)
        assert left == right
    """
    result = run_steps(zenrunner, src, "-vv")
    result.assert_outcomes(failed=1, passed=0)
    result.stdout.no_re_match_line(".*AttributeError.*")


ATTRS = """
import attr

@attr.s
class OtherDataObject:
    field_c = attr.ib()
    field_d = attr.ib()

@attr.s
class SimpleDataObject:
    field_a = attr.ib()
    field_b = attr.ib()
"""


def test_attrs(zenrunner: Any) -> None:
    lines = explain(zenrunner, "SimpleDataObject(1, 'b')", "SimpleDataObject(1, 'c')", setup=ATTRS)
    assert lines is not None
    assert lines[2].startswith("Omitting 1 identical item")
    assert "Matching attributes" not in lines
    for line in lines[2:]:
        assert "field_a" not in line


def test_attrs_recursive(zenrunner: Any) -> None:
    left, right = (
        "SimpleDataObject(OtherDataObject(1, 'a'), 'b')",
        "SimpleDataObject(OtherDataObject(1, 'b'), 'b')",
    )
    lines = explain(zenrunner, left, right, setup=ATTRS)
    assert lines is not None
    assert "Matching attributes" not in lines
    for line in lines[1:]:
        assert "field_b:" not in line
        assert "field_c:" not in line


def test_attrs_recursive_verbose(zenrunner: Any) -> None:
    left, right = (
        "SimpleDataObject(OtherDataObject(1, 'a'), 'b')",
        "SimpleDataObject(OtherDataObject(1, 'b'), 'b')",
    )
    lines = explain(zenrunner, left, right, setup=ATTRS)
    assert lines is not None
    assert "    field_d: 'a' != 'b'" in lines


def test_attrs_verbose(zenrunner: Any) -> None:
    lines = explain(zenrunner, "SimpleDataObject(1, 'b')", "SimpleDataObject(1, 'c')", verbose=2, setup=ATTRS)
    assert lines is not None
    assert lines[2].startswith("Matching attributes:")
    assert "Omitting" not in lines[2]
    assert lines[3] == "['field_a']"


def test_attrs_with_attribute_comparison_off(zenrunner: Any) -> None:
    # pytest compares two objects equal but for ``field_b`` (eq=False) through its hook; a
    # failing assert needs them unequal: field_a differs, field_b is not compared.
    setup = ATTRS + "\n@attr.s\nclass NoB:\n    field_a = attr.ib()\n    field_b = attr.ib(eq=False)\n"
    lines = explain(zenrunner, "NoB(1, 'b')", "NoB(2, 'c')", verbose=2, setup=setup)
    assert lines is not None
    assert lines[2].startswith("Differing attributes:")
    assert lines[3] == "['field_a']"
    for line in lines[3:]:
        assert "field_b" not in line


def test_comparing_two_different_attrs_classes(zenrunner: Any) -> None:
    setup = ATTRS + "\n@attr.s\nclass Two:\n    field_a = attr.ib()\n    field_b = attr.ib()\n"
    assert explain(zenrunner, "SimpleDataObject(1, 'b')", "Two(1, 'c')", setup=setup) is None


NT = """
from typing import Any, NamedTuple

class NT(NamedTuple):
    a: Any
    b: Any

class NT1(NamedTuple):
    a: Any
    b: Any

class NT2(NamedTuple):
    a: Any
    b: Any
"""


def test_namedtuple(zenrunner: Any) -> None:
    assert explain(zenrunner, "NT(1, 'b')", "NT(1, 'c')", setup=NT) == [
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


def test_comparing_two_different_namedtuple(zenrunner: Any) -> None:
    assert explain(zenrunner, "NT1(1, 'b')", "NT2(2, 'b')", setup=NT) == [
        "NT1(a=1, b='b') == NT2(a=2, b='b')",
        "",
        "At index 0 diff: 1 != 2",
        "Use -v to get more diff",
    ]


# --------------------------------------------------------------------------- TestFormatExplanation


def test_special_chars_full(zenrunner: Any) -> None:
    result = run_steps(
        zenrunner,
        """
        def test_foo():
            assert '\\n}' == ''
        """,
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*AssertionError*"])


# --------------------------------------------------------------------------- TestTruncateExplanation


MANY_LINES = r"""
def test_many_lines():
    a = list([str(i)[0] * 100 for i in range(7)])
    b = a[::2]
    a = '\n'.join(map(str, a))
    b = '\n'.join(map(str, b))
    assert a == b
"""


def test_full_output_truncated(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    zenrunner.makepyfile(porting.step_pipelines(MANY_LINES))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*+ 1*", "*+ 3*", "*Full output truncated*use*-vv*"])
    result = zenrunner.runzenrun_inprocess("-vv")
    result.stdout.fnmatch_lines(["* 6*"])
    monkeypatch.setenv("CI", "")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*+ 1*", "*+ 3*", "*Full output truncated*use*-vv*"])
    monkeypatch.setenv("CI", "1")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["* 6*"])


TWO_STRINGS = """
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
    zenrunner: Any,
    monkeypatch: pytest.MonkeyPatch,
    truncation_lines: int | None,
    truncation_chars: int | None,
    expected_lines_hidden: int,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    zenrunner.makepyfile(porting.step_pipelines(TWO_STRINGS))
    ini = "[zenrun]\n"
    if truncation_lines is not None:
        ini += f"truncation_limit_lines = {truncation_lines}\n"
    if truncation_chars is not None:
        ini += f"truncation_limit_chars = {truncation_chars}\n"
    zenrunner.makeini(ini)
    result = zenrunner.runzenrun_inprocess()
    if expected_lines_hidden != 0:
        result.stdout.fnmatch_lines(["*Full output truncated*"])
    else:
        result.stdout.no_fnmatch_line("*truncated*")
        result.stdout.fnmatch_lines(["*- 4*", "*+ 3*"])


@pytest.mark.parametrize(
    "config",
    [
        pytest.param("truncation_limit_lines = 3\ntruncation_limit_chars = 0\n", id="native-toml-int"),
        pytest.param('truncation_limit_lines = "3"\ntruncation_limit_chars = "0"\n', id="native-toml-string"),
    ],
)
def test_truncation_limits_accept_int_and_string(
    zenrunner: Any, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    zenrunner.makepyfile(porting.step_pipelines(TWO_STRINGS))
    zenrunner.makepyprojecttoml("[tool.zenrun]\n" + config)
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*TypeError*")
    result.stdout.fnmatch_lines(["*Full output truncated, use '-vv' to show*"])


# --------------------------------------------------------------------------- module-level cases


def test_rewritten(zenrunner: Any) -> None:
    result = run_steps(
        zenrunner,
        """
        def test_rewritten():
            assert "@py_builtins" in globals()
        """,
    )
    # pytest's rewritten module has ``@py_builtins``; zenrun rewrites nothing and the
    # step fails with pytest's wording of the comparison.
    result.stdout.fnmatch_lines(["E       AssertionError: assert '@py_builtins' in *"])


@pytest.mark.parametrize("op", [">=", ">", "<=", "<", "=="])
def test_set_extra_item(zenrunner: Any, op: str) -> None:
    result = run_steps(
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
def test_set_proper_superset_equal(zenrunner: Any, op: str) -> None:
    result = run_steps(
        zenrunner,
        f"""
        def test_hello():
            x = set([1, 2, 3])
            y = x.copy()
            assert x {op} y
        """,
    )
    result.stdout.fnmatch_lines(["*def s_hello():*", f"*assert x {op} y*", "*E*Both sets are equal*"])


def test_pytest_assertrepr_compare_integration(zenrunner: Any) -> None:
    result = run_steps(
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
def test_dict_items_view_subset(zenrunner: Any, op: str) -> None:
    bigger, smaller = '{"a": 1, "b": 2, "c": 3}', '{"a": 1, "b": 2}'
    x, y = (smaller, bigger) if op == ">=" else (bigger, smaller)
    result = run_steps(
        zenrunner,
        f"""
        def test_hello():
            x = {x}
            y = {y}
            assert x.items() {op} y.items()
        """,
    )
    side = "right" if op == ">=" else "left"
    result.stdout.fnmatch_lines(
        [
            "*def s_hello():*",
            f"*assert x.items() {op} y.items()*",
            f"*E*Extra items in the {side} set:*",
            "*E*('c', 3)*",
        ]
    )


def test_assertrepr_loaded_per_dir(zenrunner: Any) -> None:
    def module(name: str) -> str:
        return porting.step_pipelines(f"def test_{name}():\n    assert 1 == 2\n")

    zenrunner.makepyfile(pipeline_base=module("base"))
    for sub in "ab":
        d = zenrunner.mkdir(sub)
        d.joinpath(f"pipeline_{sub}.py").write_text(module(sub), encoding="utf-8")
        d.joinpath("conftest.py").write_text(
            f'def zenrun_assertrepr_compare(): return ["summary {sub}"]', encoding="utf-8"
        )
    result = zenrunner.runzenrun_inprocess()
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


def test_assertion_options(zenrunner: Any) -> None:
    src = """
    def test_hello():
        x = 3
        assert x == 4
    """
    result = run_steps(zenrunner, src)
    assert "3 == 4" in result.stdout.str()
    result = zenrunner.runzenrun("--assert=plain")
    result.stdout.no_fnmatch_line("*3 == 4*")


def test_triple_quoted_string_issue113(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_hello():\n    assert \"\" == '''\n'''\n", "--fulltrace")
    result.stdout.fnmatch_lines(["*1 failed*"])


TRACEBACK = """
def g():
    return 2

def f(x):
    assert x == g()

def test_onefails():
    f(3)
"""


@pytest.mark.parametrize("tb", [("--tb=long",), ()])
def test_traceback_failure(zenrunner: Any, tb: tuple[str, ...]) -> None:
    result = run_steps(zenrunner, TRACEBACK, *tb)
    result.stdout.fnmatch_lines(
        [
            "*pipeline_test_traceback_failure*.py F*",
            "====* FAILURES *====",
            "____*____",
            "*",
            "    def s_onefails():",
            ">       f(3)",
            "",
            "*pipeline_test_*.py:*: ",
            "*",
            "    def f(x):",
            ">       assert x == g()",
            "E       assert 3 == *",  # pytest: 2, a call's value (see the xfail case below)
        ]
    )


@pytest.mark.xfail(
    strict=True,
    reason="docs/guide/pytest-habits.md 'Asserts are not rewritten': what only a call returned "
    "is not known, `assert x == g()` has no `+  where 2 = g()` line",
)
def test_traceback_failure_where_line(zenrunner: Any) -> None:
    result = run_steps(zenrunner, TRACEBACK)
    result.stdout.fnmatch_lines(
        [">       assert x == g()", "E       assert 3 == 2", "E        +  where 2 = g()"]
    )


def test_AssertionError_message(zenrunner: Any) -> None:
    result = run_steps(
        zenrunner,
        """
        def test_hello():
            x,y = 1,2
            assert 0, (x,y)
        """,
    )
    result.stdout.fnmatch_lines(["*def s_hello*", "*assert 0, (x,y)*", "*AssertionError: (1, 2)*"])


def test_diff_newline_at_end(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_diff():\n    assert 'asdf' == 'asdf\\n'\n")
    result.stdout.fnmatch_lines([r"*assert 'asdf' == 'asdf\n'", "*  - asdf", "*  ?     -", "*  + asdf"])


def test_assert_tuple_warning(zenrunner: Any) -> None:
    msg = "assertion is always true"
    result = run_steps(zenrunner, "def test_tuple():\n    assert(False, 'you shall not pass')\n")
    result.stdout.fnmatch_lines([f"*pipeline_test_assert_tuple_warning.py:*{msg}*"])
    result = run_steps(zenrunner, "def test_tuple():\n    assert ()\n")
    assert msg not in result.stdout.str()


def test_assert_indirect_tuple_no_warning(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_tuple():\n    tpl = ('foo', 'bar')\n    assert tpl\n")
    assert "WR1" not in "\n".join(result.stdout.lines)
    assert "always true" not in result.stdout.str()


def test_assert_with_unicode(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_unicode():\n    assert '유니코드' == 'Unicode'\n")
    result.stdout.fnmatch_lines(["*AssertionError*"])


def test_raise_unprintable_assertion_error(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_raise_assertion_error():\n    raise AssertionError('\\xff')\n")
    result.stdout.fnmatch_lines([r">       raise AssertionError('\xff')", "E       AssertionError: *"])


def test_raise_assertion_error_raising_repr(zenrunner: Any) -> None:
    src = """
    class RaisingRepr(object):
        def __repr__(self):
            raise Exception()

    def test_raising_repr():
        raise AssertionError(RaisingRepr())
    """
    result = run_steps(zenrunner, src)
    result.stdout.fnmatch_lines(["E       AssertionError: <exception str() failed>"])


def test_issue_1944(zenrunner: Any) -> None:
    zenrunner.makepyfile(
        """
        def f():
            return
        assert f() == 10
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 error*"])
    assert "AttributeError: 'Module' object has no attribute '_obj'" not in result.stdout.str()


SETS = "def test_diff():\n    assert {1, 2} == {1, 3}\n"


@pytest.mark.parametrize("hook", ["return None", "return iter([])"])
def test_plugin_hook_returning_none_or_empty_is_skipped(zenrunner: Any, hook: str) -> None:
    zenrunner.makeconftest(f"def zenrun_assertrepr_compare(op, left, right):\n    {hook}\n")
    result = run_steps(zenrunner, SETS)
    result.stdout.fnmatch_lines(["*Extra items in the left set:*", "*Extra items in the right set:*"])


def test_callbinrepr_falls_through_when_all_hooks_return_none(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_trivial():\n    assert 1 == 2\n")
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])
    result.assert_outcomes(failed=1)


@pytest.mark.xfail(
    strict=True,
    reason="docs/reference/cli.md `--assert MODE`: `plain` leaves the bare AssertionError "
    "(pytest's case passes only because its in-process run is rewritten by the outer pytest)",
)
def test_callbinrepr_plain_assert_mode(zenrunner: Any) -> None:
    result = run_steps(zenrunner, SETS, "--assert=plain")
    result.stdout.fnmatch_lines(["*Extra items in the left set:*", "*Extra items in the right set:*"])


def test_fine_grained_assertion_verbosity(zenrunner: Any) -> None:
    long_text = "Lorem ipsum dolor sit amet " * 10
    src = f"""
    def test_ok():
        pass

    def test_words_fail():
        fruits1 = ["banana", "apple", "grapes", "melon", "kiwi"]
        fruits2 = ["banana", "apple", "orange", "melon", "kiwi"]
        assert fruits1 == fruits2

    def test_numbers_fail():
        number_to_text1 = {{str(x): x for x in range(5)}}
        number_to_text2 = {{str(x * 10): x * 10 for x in range(5)}}
        assert number_to_text1 == number_to_text2

    def test_long_text_fail():
        long_text = "{long_text}"
        assert "hello world" in long_text
    """
    zenrunner.makeini("[zenrun]\nverbosity_assertions = 2\n")
    result = run_steps(zenrunner, src)
    result.stdout.fnmatch_lines(
        [
            "pipeline_test_fine_grained_assertion_verbosity.py .FFF *[[]100%]",
            "E         At index 2 diff: 'grapes' != 'orange'",
            "E         Full diff: (-: missing in left side, +: extra in left side)",
            "E           [",
            "E               'banana',",
            "E               'apple',",
            "E         -     'orange',",
            "E         ?      ^  ^^",
            "E         +     'grapes',",
            "E         ?      ^  ^ +",
            "E               'melon',",
            "E               'kiwi',",
            "E           ]",
            "E         Full diff: (-: missing in left side, +: extra in left side)",
            "E           {",
            "E               '0': 0,",
            "E         -     '10': 10,",
            "E         ?       -    -",
            "E         +     '1': 1,",
            "E         -     '20': 20,",
            "E         ?       -    -",
            "E         +     '2': 2,",
            "E         -     '30': 30,",
            "E         ?       -    -",
            "E         +     '3': 3,",
            "E         -     '40': 40,",
            "E         ?       -    -",
            "E         +     '4': 4,",
            "E           }",
            f"E       AssertionError: assert 'hello world' in '{long_text}'",
        ]
    )


def test_assertion_text_diff_style_block_for_multiline_strings(zenrunner: Any) -> None:
    src = r"""
    actual = "alpha\n  beta\n"
    expected = "alpha\n    beta"
    def test_text_diff():
        assert actual == expected
    """
    zenrunner.makeini("[zenrun]\nassertion_text_diff_style = block\n")
    result = run_steps(zenrunner, src, "-vv")
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


def test_assertion_text_diff_style_block_for_single_line_strings(zenrunner: Any) -> None:
    zenrunner.makeini("[zenrun]\nassertion_text_diff_style = block\n")
    result = run_steps(zenrunner, 'def test_text_diff():\n    assert "spam" == "eggs"\n', "-vv")
    result.stdout.fnmatch_lines(
        ["E         Left:", "E           spam", "E         Right:", "E           eggs"]
    )
    result.stdout.no_fnmatch_line("*- eggs*")


def test_assertion_text_diff_style_invalid(zenrunner: Any) -> None:
    zenrunner.makeini("[zenrun]\nassertion_text_diff_style = side-by-side\n")
    result = run_steps(zenrunner, "def test_ok():\n    pass\n")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *: config option 'assertion_text_diff_style' expects one of 'ndiff' | 'block', got 'side-by-side'"
        ]
    )


@pytest.mark.xfail(
    strict=True,
    reason="docs/guide/pytest-habits.md 'Not yet as in pytest': a long traceback does not show "
    "a frame's arguments (pytest's `m = '...'` line, whole with -vvv)",
)
def test_full_output_vvv(zenrunner: Any) -> None:
    src = r"""
    def crash_helper(m):
        assert 1 == 2

    def test_vvv():
        crash_helper(500 * "a")
    """
    result = run_steps(zenrunner, src)
    short = "m = 'aaaaaaaaaaaaaaa*..aaaaaaaaaaaa*"
    full = "m = '{}'".format(500 * "a")
    result.stdout.fnmatch_lines([short, "pipeline_test_full_output_vvv.py:*: AssertionError"])
    result.stdout.no_fnmatch_line(full)
    result = zenrunner.runzenrun_inprocess("-vvv")
    result.stdout.fnmatch_lines([full, "pipeline_test_full_output_vvv.py:*: AssertionError"])
    result.stdout.no_fnmatch_line(short)


def test_dict_extra_items_preserve_insertion_order(zenrunner: Any) -> None:
    src = """
    def test_order():
        a = {"b": 2, "a": 1, "d": 4, "e": 5, "c": 3}
        assert a == {}
    """
    result = run_steps(zenrunner, src, "-vv")
    result.stdout.fnmatch_lines(
        [
            "*Left contains 5 more items:*",
            "*Full diff: (-: missing in left side, +: extra in left side)",
            "* + *'b': 2,",
            "* + *'a': 1,",
            "* + *'d': 4,",
            "* + *'e': 5,",
            "* + *'c': 3,",
        ]
    )


# =========================================================================== test_assertrewrite.py


def getmsgs(zenrunner: Any, functions: dict[str, str], setup: str = "") -> dict[str, str | None]:
    """pytest's ``getmsg(f)`` for several functions at once: each body a step of its own
    pipeline (one run); the message of its failing assert as pytest's ``str(exc)``
    (``AssertionError: `` before a message that does not start with ``assert``), None
    for a pipeline that passed (pytest's ``must_pass``)."""
    src = setup + "\n"
    for name, body in functions.items():
        src += f"\ndef test_{name}():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n"
    result = run_steps(zenrunner, src)
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in result.outlines:
        header = re.match(r"^_{3,} (\S+) _{3,}$", line)
        if header:
            current = sections.setdefault(header.group(1).removeprefix("test_"), [])
        elif re.match(r"^={3,}", line):
            current = None
        elif current is not None and line.startswith("E "):
            current.append(line[8:] if len(line) > 8 else "")
    out: dict[str, str | None] = {}
    for name in functions:
        text = "\n".join(sections[name]) if name in sections else None
        if text is not None and text.startswith("AssertionError: assert"):
            text = text.removeprefix("AssertionError: ")  # the terminal's spelling of str(exc)
        out[name] = text
    return out


def test_assert_already_has_message(zenrunner: Any) -> None:
    msgs = getmsgs(zenrunner, {"f": 'assert False, "something bad!"'})
    assert msgs["f"] == "AssertionError: something bad!\nassert False"


@pytest.mark.parametrize(
    ("message", "lines"),
    [
        ('"The failure message"', ["*AssertionError*The failure message*", "*assert 1 == 2*"]),
        (
            '"A multiline\\nfailure message"',
            ["*AssertionError*A multiline*", "*failure message*", "*assert 1 == 2*"],
        ),
        ("(1, 2)", [f"*AssertionError*{(1, 2)!r}*", "*assert 1 == 2*"]),
        ("1 + 2", ["*AssertionError*3*", "*assert 1 == 2*"]),
        ("'To be escaped: %'", ["*AssertionError: To be escaped: %", "*assert 1 == 2"]),
    ],
    ids=["message", "multiline", "tuple", "expr", "escape"],
)
def test_assertion_message(zenrunner: Any, message: str, lines: list[str]) -> None:
    result = run_steps(zenrunner, f"def test_foo():\n    assert 1 == 2, {message}\n")
    assert result.ret == 1
    result.stdout.fnmatch_lines(lines)


def test_assertion_messages_bytes(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_bytes_assertion():\n    assert False, b'ohai!'\n")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*AssertionError: b'ohai!'", "*assert False"])


def test_assertion_message_verbosity(zenrunner: Any) -> None:
    src = """
    class LongRepr:
        def __repr__(self):
            return "A" * 500

    def test_assertion_verbosity():
        assert False, LongRepr()
    """
    result = run_steps(zenrunner, src)
    assert result.ret == 1
    result.stdout.re_match_lines([r".*AssertionError: A+\.\.\.A+$", ".*assert False"])
    result = zenrunner.runzenrun_inprocess("-vv")
    assert result.ret == 1
    result.stdout.re_match_lines([r".*AssertionError: A+$", ".*assert False"])


def test_assertion_message_verbosity_collection(zenrunner: Any) -> None:
    result = run_steps(
        zenrunner, "def test_assertion_verbosity_collection():\n    assert False, list(range(100))\n"
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*AssertionError: [[]0, 1, 2, 3, 4, 5, ...*"])
    result = zenrunner.runzenrun_inprocess("-vv")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*AssertionError: [[]0, 1, 2,*98, 99[]]*"])
    result.stdout.no_fnmatch_line("*AssertionError: *...*")


def test_boolop(zenrunner: Any) -> None:
    msgs = getmsgs(
        zenrunner,
        {
            "f1": "f = g = False\nassert f and g",
            "f2": "f = True\ng = False\nassert f and g",
            "f3": "f = False\ng = True\nassert f and g",
            "f4": "f = g = False\nassert f or g",
            "f5": "f = g = False\nassert not f and not g",
            "f8": "assert 1 in {} and 2 in {}",
            "f9": "x = 1\ny = 2\nassert x in {1: None} and y in {}",
            "f10": "f = True\ng = False\nassert f or g",
            "f11": "f = g = h = lambda: True\nassert f() and g() and h()",
        },
    )
    assert msgs == {
        "f1": "assert (False)",
        "f2": "assert (True and False)",
        "f3": "assert (False)",
        "f4": "assert (False or False)",
        "f5": None,
        "f8": "assert (1 in {})",
        "f9": "assert (1 in {1: None} and 2 in {})",
        "f10": None,
        "f11": None,
    }


@pytest.mark.xfail(
    strict=True,
    reason="docs/guide/pytest-habits.md 'Asserts are not rewritten': a call's value is not "
    "known, so there is no `+  where False = x()` line",
)
def test_boolop_calls(zenrunner: Any) -> None:
    setup = "def x():\n    return False\n"
    msgs = getmsgs(zenrunner, {"f6": "assert x() and x()", "f7": "assert False or x()"}, setup=setup)
    assert msgs == {
        "f6": "assert (False)\n +  where False = x()",
        "f7": "assert (False or False)\n +  where False = x()",
    }


def test_short_circuit_evaluation_unary_binary_ops(zenrunner: Any) -> None:
    msgs = getmsgs(
        zenrunner,
        {
            "s1": "assert True or explode  # noqa: F821",
            "s2": "x = 1\nassert x == 1 or x == 2",
            "u1": "x = True\nassert not x",
            "u2": "x = 0\nassert ~x + 1",
            "u3": "x = 3\nassert -x + x",
            "u4": "x = 0\nassert +x + x",
            "b1": "x = 1\ny = -1\nassert x + y",
            "b2": "assert not 5 % 4",
            "p1": "assert 3 % 2 and False",
            "p2": "assert False or 4 % 2",
        },
    )
    assert msgs == {
        "s1": None,
        "s2": None,
        "u1": "assert not True",
        "u2": "assert (~0 + 1)",
        "u3": "assert (-3 + 3)",
        "u4": "assert (+0 + 0)",
        "b1": "assert (1 + -1)",
        "b2": "assert not (5 % 4)",
        "p1": "assert ((3 % 2) and False)",
        "p2": "assert (False or (4 % 2))",
    }


def test_at_operator_issue1290(zenrunner: Any) -> None:
    src = """
    class Matrix(object):
        def __init__(self, num):
            self.num = num
        def __matmul__(self, other):
            return self.num * other.num

    def test_multmat_operator():
        assert Matrix(2) @ Matrix(3) == 6
    """
    run_steps(zenrunner, src).assert_outcomes(passed=1)


def test_starred_with_side_effect(zenrunner: Any) -> None:
    src = """
    def test():
        f = lambda x: x
        x = iter([1, 2, 3])
        assert 2 * next(x) == f(*[next(x)])
    """
    run_steps(zenrunner, src).assert_outcomes(passed=1)


def test_attribute_comparisons_len_formatchar(zenrunner: Any) -> None:
    setup = "class X:\n    g = 3\n\nx = X\n"
    msgs = getmsgs(
        zenrunner,
        {
            "a1": "assert not x.g",
            "a2": "x.a = False\nassert x.a",
            "c1": "a, b = range(2)\nassert b < a",
            "c2": "a, b, c = range(3)\nassert a > b > c",
            "c3": "a, b, c = range(3)\nassert a < b > c",
            "c4": "a, b, c = range(3)\nassert a < b <= c",
            "c5": "a, b, c = range(3)\nassert a < b\nassert b < c",
            "len": "values = list(range(10))\nassert len(values) == 11",
            "fmt": 'assert "%test" == "test"',
        },
        setup=setup,
    )
    assert msgs["a1"] == "assert not 3\n +  where 3 = x.g"
    assert msgs["a2"] == "assert False\n +  where False = x.a"
    assert msgs["c1"] == "assert 1 < 0"
    assert msgs["c2"] == "assert 0 > 1"
    assert msgs["c3"] == "assert 1 > 2"
    assert msgs["c4"] is None
    assert msgs["c5"] is None
    assert msgs["len"] == "assert 10 == 11\n +  where 10 = len([0, 1, 2, 3, 4, 5, ...])"
    fmt = msgs["fmt"]
    assert fmt is not None and fmt.startswith("assert '%test' == 'test'")


def test_custom_reprcompare(zenrunner: Any) -> None:
    # pytest monkeypatches its ``_reprcompare``; a user's way is the hook in a conftest
    zenrunner.makeconftest(
        """
        def zenrun_assertrepr_compare(op, left, right):
            if left == 42:
                return ["42"]
            return [f"{left} {op} {right}"]
        """
    )
    msgs = getmsgs(zenrunner, {"f1": "assert 42 < 3", "f2": "assert 1 < 3 < 5 <= 4 < 7"})
    assert msgs == {"f1": "assert 42", "f2": "assert 5 <= 4"}


def test_custom_repr_and_non_ascii(zenrunner: Any) -> None:
    setup = """
class Foo:
    a = 1
    def __repr__(self):
        return "\\n{ \\n~ \\n}"

class A:
    name = "ä"
    def __repr__(self):
        return self.name.encode("UTF-8")
"""
    msgs = getmsgs(
        zenrunner, {"f": "f = Foo()\nassert 0 == f.a", "g": "a = A()\nassert not a.name"}, setup=setup
    )
    assert msgs["f"] == "assert 0 == 1\n +  where 1 = \\n{ \\n~ \\n}.a"
    g = msgs["g"]
    assert g is not None
    assert "UnicodeDecodeError" not in g
    assert "UnicodeEncodeError" not in g


@pytest.mark.xfail(
    strict=True,
    reason="docs/guide/pytest-habits.md 'Asserts are not rewritten': `A()` is a call, shown as written "
    "(`assert A() == A()`), not its value's repr",
)
def test_assert_handling_raise_in__iter__(zenrunner: Any) -> None:
    zenrunner.makepyfile(
        """
        class A:
            def __iter__(self):
                raise ValueError()

            def __eq__(self, o: object) -> bool:
                return self is o

            def __repr__(self):
                return "<A object>"

        assert A() == A()
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*E*assert <A object> == <A object>"])


def test_issue731(zenrunner: Any) -> None:
    src = """
    class LongReprWithBraces(object):
        def __repr__(self):
            return 'LongReprWithBraces({' + ('a' * 80) + '}' + ('a' * 120) + ')'

        def some_method(self):
            return False

    def test_long_repr():
        obj = LongReprWithBraces()
        assert obj.some_method()
    """
    result = run_steps(zenrunner, src)
    result.stdout.no_fnmatch_line("*unbalanced braces*")


@pytest.mark.parametrize(
    ("assertion", "expected"),
    [
        ("assert (False == False) == False", "*E*assert (False == False) == False"),
        ("assert False == (False == True) == True", "*E*assert (False == True) == True"),
        ("assert True == ((False == True) == True)", "*E*assert True == ((False == True) == True)"),
    ],
    ids=["simple_case", "long_case", "many_brackets"],
)
def test_issue925(zenrunner: Any, assertion: str, expected: str) -> None:
    result = run_steps(zenrunner, f"def test_ternary_display():\n    {assertion}\n")
    result.stdout.fnmatch_lines([expected])


WALRUS_PASS = {
    "walrus_operator": """
        def my_func(before, after):
            return before == after
        def change_value(value):
            return value.lower()
        def test_walrus_conversion():
            a = "Hello"
            assert not my_func(a, a := change_value(a))
            assert a == "hello"
    """,
    "inline": """
        def my_func(before, after):
            return before == after
        def test_walrus_conversion_inline():
            a = "Hello"
            assert not my_func(a, a := a.lower())
            assert a == "hello"
    """,
    "inline_reverse": """
        def my_func(before, after):
            return before == after
        def test_walrus_conversion_reverse():
            a = "Hello"
            assert my_func(a := a.lower(), a)
            assert a == 'hello'
    """,
    "true_assertion_changes_value": """
        def test_walrus_conversion_succeed():
            a = "Hello"
            assert a != (a := a.lower())
            assert a == 'hello'
    """,
    "boolean_composite": """
        def test_walrus_operator_change_boolean_value():
            a = True
            assert a and True and ((a := False) is False) and (a is False) and ((a := None) is None)
            assert a is None
    """,
}


@pytest.mark.parametrize("src", list(WALRUS_PASS.values()), ids=list(WALRUS_PASS))
def test_assertion_walrus_passes(zenrunner: Any, src: str) -> None:
    assert run_steps(zenrunner, src).ret == 0


@pytest.mark.xfail(
    strict=True,
    reason="docs/guide/pytest-habits.md 'Asserts are not rewritten': a name the assert "
    "assigns with := is shown as written",
)
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('a = "Hello"\nassert a == (b := a.lower())', "*AssertionError: assert 'Hello' == 'hello'"),
        ('a = "Hello"\nassert a == (a := a.lower())', "*AssertionError: assert 'Hello' == 'hello'"),
        ("a = True\nassert not (a and ((a := False) is False))", "*assert not (True and False is False)"),
        ("a = True\nassert not (a and ((a := None) is None))", "*assert not (True and None is None)"),
    ],
    ids=["no_variable_name_conflict", "fail_assertion", "compare_boolean_fails", "boolean_none_fails"],
)
def test_assertion_walrus_fails(zenrunner: Any, body: str, expected: str) -> None:
    result = run_steps(zenrunner, f"def test_walrus():\n{textwrap.indent(body, '    ')}\n")
    assert result.ret == 1
    result.stdout.fnmatch_lines([expected])


# =========================================================================== test_error_diffs.py

ERROR_DIFF_CASES = [
    pytest.param(
        """
        def test_this():
            result =   [1, 4, 3]
            expected = [1, 2, 3]
            assert result == expected
        """,
        """
        >       assert result == expected
        E       assert [1, 4, 3] == [1, 2, 3]
        E         At index 1 diff: 4 != 2
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           [
        E               1,
        E         -     2,
        E         ?     ^
        E         +     4,
        E         ?     ^
        E               3,
        E           ]
        """,
        id="Compare lists, one item differs",
    ),
    pytest.param(
        """
        def test_this():
            result =   [1, 2, 3]
            expected = [1, 2]
            assert result == expected
        """,
        """
        >       assert result == expected
        E       assert [1, 2, 3] == [1, 2]
        E         Left contains one more item: 3
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           [
        E               1,
        E               2,
        E         +     3,
        E           ]
        """,
        id="Compare lists, one extra item",
    ),
    pytest.param(
        """
        def test_this():
            result =   [1, 3]
            expected = [1, 2, 3]
            assert result == expected
        """,
        """
        >       assert result == expected
        E       assert [1, 3] == [1, 2, 3]
        E         At index 1 diff: 3 != 2
        E         Right contains one more item: 3
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           [
        E               1,
        E         -     2,
        E               3,
        E           ]
        """,
        id="Compare lists, one item missing",
    ),
    pytest.param(
        """
        def test_this():
            result =   (1, 4, 3)
            expected = (1, 2, 3)
            assert result == expected
        """,
        """
        >       assert result == expected
        E       assert (1, 4, 3) == (1, 2, 3)
        E         At index 1 diff: 4 != 2
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           (
        E               1,
        E         -     2,
        E         ?     ^
        E         +     4,
        E         ?     ^
        E               3,
        E           )
        """,
        id="Compare tuples",
    ),
    pytest.param(
        """
        def test_this():
            result =   {1, 3, 4}
            expected = {1, 2, 3}
            assert result == expected
        """,
        """
        >       assert result == expected
        E       assert {1, 3, 4} == {1, 2, 3}
        E         Extra items in the left set:
        E         4
        E         Extra items in the right set:
        E         2
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           {
        E               1,
        E         -     2,
        E               3,
        E         +     4,
        E           }
        """,
        id="Compare sets",
    ),
    pytest.param(
        """
        def test_this():
            result =   {1: 'spam', 3: 'eggs'}
            expected = {1: 'spam', 2: 'eggs'}
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert {1: 'spam', 3: 'eggs'} == {1: 'spam', 2: 'eggs'}
        E         Common items:
        E         {1: 'spam'}
        E         Left contains 1 more item:
        E         {3: 'eggs'}
        E         Right contains 1 more item:
        E         {2: 'eggs'}
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           {
        E               1: 'spam',
        E         -     2: 'eggs',
        E         ?     ^
        E         +     3: 'eggs',
        E         ?     ^
        E           }
        """,
        id="Compare dicts with differing keys",
    ),
    pytest.param(
        """
        def test_this():
            result =   {1: 'spam', 2: 'eggs'}
            expected = {1: 'spam', 2: 'bacon'}
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert {1: 'spam', 2: 'eggs'} == {1: 'spam', 2: 'bacon'}
        E         Common items:
        E         {1: 'spam'}
        E         Differing items:
        E         {2: 'eggs'} != {2: 'bacon'}
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           {
        E               1: 'spam',
        E         -     2: 'bacon',
        E         +     2: 'eggs',
        E           }
        """,
        id="Compare dicts with differing values",
    ),
    pytest.param(
        """
        def test_this():
            result =   {1: 'spam', 2: 'eggs'}
            expected = {1: 'spam', 3: 'bacon'}
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert {1: 'spam', 2: 'eggs'} == {1: 'spam', 3: 'bacon'}
        E         Common items:
        E         {1: 'spam'}
        E         Left contains 1 more item:
        E         {2: 'eggs'}
        E         Right contains 1 more item:
        E         {3: 'bacon'}
        E         Full diff: (-: missing in left side, +: extra in left side)
        E           {
        E               1: 'spam',
        E         -     3: 'bacon',
        E         +     2: 'eggs',
        E           }
        """,
        id="Compare dicts with differing items",
    ),
    pytest.param(
        """
        def test_this():
            result =   "spmaeggs"
            expected = "spameggs"
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert 'spmaeggs' == 'spameggs'
        E         - spameggs
        E         ?    -
        E         + spmaeggs
        E         ?   +
        """,
        id="Compare strings",
    ),
    pytest.param(
        """
        def test_this():
            result =   "spam bacon eggs"
            assert "bacon" not in result
        """,
        """
        >       assert "bacon" not in result
        E       AssertionError: assert 'bacon' not in 'spam bacon eggs'
        E         'bacon' is contained here:
        E           spam bacon eggs
        E         ?      +++++
        """,
        id='Test "not in" string',
    ),
    pytest.param(
        """
        from dataclasses import dataclass

        @dataclass
        class A:
            a: int
            b: str

        def test_this():
            result =   A(1, 'spam')
            expected = A(2, 'spam')
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert A(a=1, b='spam') == A(a=2, b='spam')
        E         Matching attributes:
        E         ['b']
        E         Differing attributes:
        E         ['a']
        E         Drill down into differing attribute a:
        E           a: 1 != 2
        """,
        id="Compare data classes",
    ),
    pytest.param(
        """
        import attr

        @attr.s(auto_attribs=True)
        class A:
            a: int
            b: str

        def test_this():
            result =   A(1, 'spam')
            expected = A(1, 'eggs')
            assert result == expected
        """,
        """
        >       assert result == expected
        E       AssertionError: assert A(a=1, b='spam') == A(a=1, b='eggs')
        E         Matching attributes:
        E         ['a']
        E         Differing attributes:
        E         ['b']
        E         Drill down into differing attribute b:
        E           b: 'spam' != 'eggs'
        E           - eggs
        E           + spam
        """,
        id="Compare attrs classes",
    ),
]


@pytest.mark.parametrize("code, expected", ERROR_DIFF_CASES)
def test_error_diff(zenrunner: Any, code: str, expected: str) -> None:
    expected_lines = [line.lstrip() for line in expected.splitlines()]
    result = run_steps(zenrunner, code, "-vv")
    result.stdout.fnmatch_lines(expected_lines)
    assert result.ret == 1


def test_python25_compile_issue257(zenrunner: Any) -> None:
    result = run_steps(zenrunner, "def test_rewritten():\n    assert 1 == 2\n# some comment\n")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*E*assert 1 == 2*", "*1 failed*"])


def test_assert_fixture(zenrunner: Any) -> None:
    src = """
    import zenrun

    @zenrun.fixture
    def fixt():
        return 42

    def test_something():  # missing "fixt" argument
        assert fixt == 42
    """
    result = run_steps(zenrunner, src)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*assert <*fixt*> == 42*"])


CUSTOM_EQ_ATTRS = """
import attr

@attr.s(auto_detect=True)  # attr.s doesn't ignore a custom eq if auto_detect=True
class AutoDetect:
    field_a = attr.ib()

    def __eq__(self, other):
        return super().__eq__(other)

@attr.define(slots=False)
class Defined:
    field_a = attr.ib()

    def __eq__(self, other):
        return super().__eq__(other)
"""


@pytest.mark.parametrize("cls", ["AutoDetect", "Defined"], ids=["auto_detect_and_custom_eq", "custom_eq"])
def test_attrs_with_custom_eq(zenrunner: Any, cls: str) -> None:
    assert explain(zenrunner, f"{cls}(1)", f"{cls}(2)", verbose=2, setup=CUSTOM_EQ_ATTRS) is None


def test_exception_handling_no_traceback(zenrunner: Any) -> None:
    src = """
    from multiprocessing import Pool

    def process_task(n):
        assert n == 10

    def multitask_job():
        tasks = [1]
        with Pool(processes=1) as pool:
            pool.map(process_task, tasks)

    def test_multitask_job():
        multitask_job()
    """
    zenrunner.syspathinsert()
    result = run_steps(zenrunner, src, "--tb=long")
    result.stdout.fnmatch_lines(
        [
            "====* FAILURES *====",
            "*multiprocessing.pool.RemoteTraceback:*",
            "Traceback (most recent call last):",
            "*assert n == 10",
            "The above exception was the direct cause of the following exception:",
            "> * multitask_job()",
        ]
    )


@pytest.mark.parametrize(
    "cmdline_args, warning_output",
    [
        (["-OO", "-m", "zenrun", "-h"], ["*ZenrunConfigWarning:*ASSERTIONS ARE NOT EXECUTED*"]),
        (
            ["-OO", "-m", "zenrun"],
            ["=*= warnings summary =*=", "*ZenrunConfigWarning:*ASSERTIONS ARE NOT EXECUTED*"],
        ),
        (
            ["-OO", "-m", "zenrun", "--assert=plain"],
            [
                "=*= warnings summary =*=",
                "*ZenrunConfigWarning: ASSERTIONS ARE NOT EXECUTED and FAILING PIPELINES WILL PASS.  "
                "Are you using python -O?",
            ],
        ),
    ],
    ids=["help", "run", "plain"],
)
def test_warn_missing(zenrunner: Any, cmdline_args: list[str], warning_output: list[str]) -> None:
    import subprocess
    import sys

    zenrunner.makepyfile(porting.step_pipelines("def test_it():\n    assert 1 == 2\n"))
    proc = subprocess.run(
        [sys.executable, *cmdline_args], cwd=zenrunner.path, capture_output=True, text=True, timeout=120
    )
    from zenrun.testing import LineMatcher

    LineMatcher(proc.stdout + proc.stderr).fnmatch_lines(warning_output)
