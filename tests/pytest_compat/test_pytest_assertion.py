"""Port of pytest's ``testing/test_assertion.py`` (pytest-dev/pytest), its
``TestAssert_reprcompare`` cases: what a failing ``assert left == right`` explains.

pytest's ``callequal(left, right, verbose)`` is :func:`callequal` here: the ``assert``
fails in a frame of its own and ``zenrun.assertion.explain`` gives it its message, as
zenrun does for a step; the lines are returned as pytest's (the summary without
``assert``, the details without their two-space indent). Not ported yet: the rest of
the module (rewriting, ``--assert``, truncation, the ``pytest_assertrepr_compare`` hook,
which zenrun does not have).

PYTEST_DONT_REWRITE: pytest must leave ``callequal``'s ``assert`` as written, for
zenrun's explanation (not pytest's own) to be what is checked.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from zenrun.assertion import explain


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
