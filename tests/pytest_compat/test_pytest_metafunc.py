"""Port of pytest's ``testing/python/metafunc.py`` (pytest-dev/pytest).

Unit cases drive ``zenrun.metafunc.Metafunc`` / ``IdMaker`` directly, as
pytest's drive its own; functional cases write a pipeline module (a test
function becomes a ``@pipeline`` whose assertion runs in a ``check`` step)
and run zenrun in-process. Expected values are pytest's. Cases judged not
applicable are listed in README.md.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterator

import pytest

import zenrun
from zenrun.metafunc import NOTSET, IdMaker
from zenrun.metafunc import Metafunc as _Metafunc
from zenrun.outcomes import Failed

PRE = """
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


def Metafunc(func, config=None) -> _Metafunc:
    import inspect

    params = inspect.signature(func).parameters
    names = [n for n, p in params.items() if p.default is p.empty]
    defaults = {n: p.default for n, p in params.items() if p.default is not p.empty}
    return _Metafunc(func, names, config, None, "mock::nodeid", defaults=defaults)


def idmaker(argnames, parametersets, idfn=None, ids=None, config=None):
    return IdMaker(argnames, parametersets, idfn, ids, config, None, None)


class TestMetafunc:
    def test_no_funcargs(self) -> None:
        def function():
            pass

        metafunc = Metafunc(function)
        assert not metafunc.fixturenames
        repr(metafunc._calls)

    def test_function_basic(self) -> None:
        def func(arg1, arg2="qwe"):
            pass

        metafunc = Metafunc(func)
        assert len(metafunc.fixturenames) == 1
        assert "arg1" in metafunc.fixturenames
        assert metafunc.function is func
        assert metafunc.cls is None

    def test_parametrize_error(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2])
        pytest.raises(ValueError, lambda: metafunc.parametrize("x", [5, 6]))
        pytest.raises(ValueError, lambda: metafunc.parametrize("x", [5, 6]))
        metafunc.parametrize("y", [1, 2])
        pytest.raises(ValueError, lambda: metafunc.parametrize("y", [5, 6]))
        pytest.raises(ValueError, lambda: metafunc.parametrize("y", [5, 6]))
        with pytest.raises(TypeError, match="^ids must be a callable or an iterable$"):
            metafunc.parametrize("y", [5, 6], ids=42)

    def test_parametrize_error_iterator(self) -> None:
        def func(x):
            raise NotImplementedError()

        class Exc(Exception):
            def __repr__(self):
                return "Exc(from_gen)"

        def gen() -> Iterator[int | None | Exc]:
            yield 0
            yield None
            yield Exc()

        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2], ids=gen())
        assert [(x.params, x.id) for x in metafunc._calls] == [({"x": 1}, "0"), ({"x": 2}, "2")]
        with pytest.raises(
            Failed,
            match=(
                r"In mock::nodeid: ids contains unsupported value Exc\(from_gen\) \(type: <class .*Exc'>\) "
                r"at index 2. Supported types are: .*"
            ),
        ):
            metafunc.parametrize("x", [1, 2, 3], ids=gen())

    def test_parametrize_bad_scope(self) -> None:
        def func(x):
            pass

        metafunc = Metafunc(func)
        with pytest.raises(
            Failed,
            match=r"parametrize\(\) call in func got an unexpected scope "
            r"value 'doggy'",
        ):
            metafunc.parametrize("x", [1], scope="doggy")

    def test_parametrize_request_name(self) -> None:
        def func(request):
            raise NotImplementedError()

        metafunc = Metafunc(func)
        with pytest.raises(
            Failed,
            match=r"'request' is a reserved name and cannot be used in "
            r"@zenrun.mark.parametrize",
        ):
            metafunc.parametrize("request", [1])

    def test_parametrize_and_id(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2], ids=["basic", "advanced"])
        metafunc.parametrize("y", ["abc", "def"])
        ids = [x.id for x in metafunc._calls]
        assert ids == ["basic-abc", "basic-def", "advanced-abc", "advanced-def"]

    def test_parametrize_and_id_unicode(self) -> None:
        def func(x):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2], ids=["basic", "advanced"])
        assert [x.id for x in metafunc._calls] == ["basic", "advanced"]

    def test_parametrize_with_wrong_number_of_ids(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        with pytest.raises(Failed):
            metafunc.parametrize("x", [1, 2], ids=["basic"])
        with pytest.raises(Failed):
            metafunc.parametrize(("x", "y"), [("abc", "def"), ("ghi", "jkl")], ids=["one"])

    def test_parametrize_ids_iterator_without_mark(self) -> None:
        def func(x, y):
            pass

        it = itertools.count()
        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2], ids=it)
        metafunc.parametrize("y", [3, 4], ids=it)
        assert [x.id for x in metafunc._calls] == ["0-2", "0-3", "1-2", "1-3"]
        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1, 2], ids=it)
        metafunc.parametrize("y", [3, 4], ids=it)
        assert [x.id for x in metafunc._calls] == ["4-6", "4-7", "5-6", "5-7"]

    def test_parametrize_empty_list(self) -> None:
        def func(y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("y", [])
        assert "skip" == metafunc._calls[0].marks[0].name

    def test_parametrize_with_userobjects(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)

        class A:
            pass

        metafunc.parametrize("x", [A(), A()])
        metafunc.parametrize("y", list("ab"))
        assert metafunc._calls[0].id == "x0-a"
        assert metafunc._calls[1].id == "x0-b"
        assert metafunc._calls[2].id == "x1-a"
        assert metafunc._calls[3].id == "x1-b"

    @pytest.mark.parametrize("value", ["", "ascii", "ação", "\x00\n\t", "δοκ", b"\xff\x00", b"x"])
    def test_idval_hypothesis(self, value) -> None:
        # pytest draws these with hypothesis; a fixed sample of the same kinds here
        escaped = idmaker([], [])._idval(value, "a", 6)
        assert isinstance(escaped, str)
        escaped.encode("ascii")

    def test_unicode_idval(self) -> None:
        values = [
            ("", r""),
            ("ascii", r"ascii"),
            ("ação", r"a\xe7\xe3o"),
            ("josé@blah.com", r"jos\xe9@blah.com"),
            (
                r"δοκ.ιμή@παράδειγμα.δοκιμή",
                r"\u03b4\u03bf\u03ba.\u03b9\u03bc\u03ae@\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3"
                r"\u03bc\u03b1.\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae",
            ),
        ]
        for val, expected in values:
            assert idmaker([], [])._idval(val, "a", 6) == expected

    def test_bytes_idval(self) -> None:
        values = [
            (b"", r""),
            (b"\xc3\xb4\xff\xe4", r"\xc3\xb4\xff\xe4"),
            (b"ascii", r"ascii"),
            ("αρά".encode(), r"\xce\xb1\xcf\x81\xce\xac"),
        ]
        for val, expected in values:
            assert idmaker([], [])._idval(val, "a", 6) == expected

    def test_class_or_function_idval(self) -> None:
        class TestClass:
            pass

        def test_function():
            pass

        for val, expected in [(TestClass, "TestClass"), (test_function, "test_function")]:
            assert idmaker([], [])._idval(val, "a", 6) == expected

    def test_notset_idval(self) -> None:
        assert idmaker([], [])._idval(NOTSET, "a", 0) == "a0"

    def test_idmaker_autoname(self) -> None:
        result = idmaker(
            ("a", "b"), [zenrun.param("string", 1.0), zenrun.param("st-ring", 2.0)]
        ).make_unique_parameterset_ids()
        assert result == ["string-1.0", "st-ring-2.0"]
        result = idmaker(
            ("a", "b"), [zenrun.param(object(), 1.0), zenrun.param(object(), object())]
        ).make_unique_parameterset_ids()
        assert result == ["a0-1.0", "a1-b1"]
        result = idmaker(("a", "b"), [zenrun.param({}, b"\xc3\xb4")]).make_unique_parameterset_ids()
        assert result == ["a0-\\xc3\\xb4"]

    def test_idmaker_with_bytes_regex(self) -> None:
        result = idmaker(("a"), [zenrun.param(re.compile(b"foo"), 1.0)]).make_unique_parameterset_ids()
        assert result == ["foo"]

    def test_idmaker_native_strings(self) -> None:
        result = idmaker(
            ("a", "b"),
            [
                zenrun.param(1.0, -1.1),
                zenrun.param(2, -202),
                zenrun.param("three", "three hundred"),
                zenrun.param(True, False),
                zenrun.param(None, None),
                zenrun.param(re.compile("foo"), re.compile("bar")),
                zenrun.param(str, int),
                zenrun.param(list("six"), [66, 66]),
                zenrun.param({7}, set("seven")),
                zenrun.param(tuple("eight"), (8, -8, 8)),
                zenrun.param(b"\xc3\xb4", b"name"),
                zenrun.param(b"\xc3\xb4", "other"),
                zenrun.param(1.0j, -2.0j),
            ],
        ).make_unique_parameterset_ids()
        assert result == [
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
        ]

    def test_idmaker_non_printable_characters(self) -> None:
        result = idmaker(
            ("s", "n"),
            [
                zenrun.param("\x00", 1),
                zenrun.param("\x05", 2),
                zenrun.param(b"\x00", 3),
                zenrun.param(b"\x05", 4),
                zenrun.param("\t", 5),
                zenrun.param(b"\t", 6),
            ],
        ).make_unique_parameterset_ids()
        assert result == ["\\x00-1", "\\x05-2", "\\x00-3", "\\x05-4", "\\t-5", "\\t-6"]

    def test_idmaker_manual_ids_must_be_printable(self) -> None:
        result = idmaker(
            ("s",), [zenrun.param("x00", id="hello \x00"), zenrun.param("x05", id="hello \x05")]
        ).make_unique_parameterset_ids()
        assert result == ["hello \\x00", "hello \\x05"]

    def test_idmaker_enum(self) -> None:
        e = enum.Enum("Foo", "one, two")
        result = idmaker(("a", "b"), [zenrun.param(e.one, e.two)]).make_unique_parameterset_ids()
        assert result == ["Foo.one-Foo.two"]

    def test_idmaker_idfn(self) -> None:
        def ids(val: object) -> str | None:
            if isinstance(val, Exception):
                return repr(val)
            return None

        result = idmaker(
            ("a", "b"),
            [
                zenrun.param(10.0, IndexError()),
                zenrun.param(20, KeyError()),
                zenrun.param("three", [1, 2, 3]),
            ],
            ids,
        ).make_unique_parameterset_ids()
        assert result == ["10.0-IndexError()", "20-KeyError()", "three-b2"]

    def test_idmaker_idfn_unique_names(self) -> None:
        def ids(val: object) -> str:
            return "a"

        result = idmaker(
            ("a", "b"),
            [
                zenrun.param(10.0, IndexError()),
                zenrun.param(20, KeyError()),
                zenrun.param("three", [1, 2, 3]),
            ],
            ids,
        ).make_unique_parameterset_ids()
        assert result == ["a-a0", "a-a1", "a-a2"]

    def test_idmaker_duplicated_empty_str(self) -> None:
        result = idmaker(("a",), [zenrun.param(""), zenrun.param("")]).make_unique_parameterset_ids()
        assert result == ["0", "1"]

    def test_idmaker_duplicates_ending_in_digit(self) -> None:
        """(from the issue) ``a1, a1, a10`` -> ``a1_0, a1_1, a10``, never a clash."""
        result = idmaker(
            ("a",), [zenrun.param(1), zenrun.param(2), zenrun.param(3)], ids=["a1", "a1", "a10"]
        ).make_unique_parameterset_ids()
        assert result == ["a1_0", "a1_1", "a10"]

    def test_parametrize_ids_exception(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def ids(arg):
    raise Exception("bad ids")

@zenrun.mark.parametrize("arg", ["a", "b"], ids=ids)
@pipeline
def test_foo(arg):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(
            [
                "*test_foo: error raised while trying to determine id of parameter 'arg' at position 0",
                "*Exception: bad ids",
            ]
        )

    def test_parametrize_ids_returns_non_string(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_ids=PRE
            + """
def ids(d):
    return d

@zenrun.mark.parametrize("arg", ({1: 2}, {3, 4}), ids=ids)
@pipeline
def test(arg):
    check(bool(arg))

@zenrun.mark.parametrize("arg", (1, 2.0, True), ids=ids)
@pipeline
def test_int(arg):
    check(bool(arg))
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "pipeline_ids.py::test?arg0? PASSED*",
                "pipeline_ids.py::test?arg1? PASSED*",
                "pipeline_ids.py::test_int?1? PASSED*",
                "pipeline_ids.py::test_int?2.0? PASSED*",
                "pipeline_ids.py::test_int?True? PASSED*",
            ]
        )

    def test_idmaker_with_ids(self) -> None:
        result = idmaker(
            ("a", "b"), [zenrun.param(1, 2), zenrun.param(3, 4)], ids=["a", None]
        ).make_unique_parameterset_ids()
        assert result == ["a", "3-4"]

    def test_idmaker_with_paramset_id(self) -> None:
        result = idmaker(
            ("a", "b"), [zenrun.param(1, 2, id="me"), zenrun.param(3, 4, id="you")], ids=["a", None]
        ).make_unique_parameterset_ids()
        assert result == ["me", "you"]

    def test_idmaker_with_ids_unique_names(self) -> None:
        result = idmaker(
            ("a"), list(map(zenrun.param, [1, 2, 3, 4, 5])), ids=["a", "a", "b", "c", "b"]
        ).make_unique_parameterset_ids()
        assert result == ["a0", "a1", "b0", "c", "b1"]

    def test_parametrize_indirect(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x", [1], indirect=True)
        metafunc.parametrize("y", [2, 3], indirect=True)
        assert len(metafunc._calls) == 2
        assert metafunc._calls[0].params == dict(x=1, y=2)
        assert metafunc._calls[1].params == dict(x=1, y=3)

    def test_parametrize_indirect_list(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x, y", [("a", "b")], indirect=["x"])
        assert metafunc._calls[0].params == dict(x="a", y="b")
        assert list(metafunc._arg2fixturedefs.keys()) == ["y"]

    def test_parametrize_indirect_list_all(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x, y", [("a", "b")], indirect=["x", "y"])
        assert metafunc._calls[0].params == dict(x="a", y="b")
        assert list(metafunc._arg2fixturedefs.keys()) == []

    def test_parametrize_indirect_list_empty(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        metafunc.parametrize("x, y", [("a", "b")], indirect=[])
        assert metafunc._calls[0].params == dict(x="a", y="b")
        assert list(metafunc._arg2fixturedefs.keys()) == ["x", "y"]

    def test_parametrize_indirect_wrong_type(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        with pytest.raises(Failed, match="In func: expected Sequence or boolean for indirect, got dict"):
            metafunc.parametrize("x, y", [("a", "b")], indirect={})

    def test_parametrize_indirect_list_functional(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='pipeline')
def x(request):
    return request.param * 3

@zenrun.fixture(scope='pipeline')
def y(request):
    return request.param * 2

@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect=['x'])
@pipeline
def test_simple(x, y):
    check(len(x) == 3 and len(y) == 1, repr((x, y)))
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_simple*a-b*", "*1 passed*"])

    def test_parametrize_indirect_list_error(self) -> None:
        def func(x, y):
            pass

        metafunc = Metafunc(func)
        with pytest.raises(Failed):
            metafunc.parametrize("x, y", [("a", "b")], indirect=["x", "z"])

    def test_parametrize_uses_no_fixture_error_indirect_false(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect=False)
@pipeline
def test_simple(x):
    check(len(x) == 3)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*uses no argument 'y'*"])

    def test_parametrize_uses_no_fixture_error_indirect_true(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='pipeline')
def x(request):
    return request.param * 3

@zenrun.fixture(scope='pipeline')
def y(request):
    return request.param * 2

@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect=True)
@pipeline
def test_simple(x):
    check(len(x) == 3)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*uses no fixture 'y'*"])

    def test_parametrize_indirect_uses_no_fixture_error_indirect_string(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='pipeline')
def x(request):
    return request.param * 3

@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect='y')
@pipeline
def test_simple(x):
    check(len(x) == 3)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*uses no fixture 'y'*"])

    def test_parametrize_indirect_uses_no_fixture_error_indirect_list(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='pipeline')
def x(request):
    return request.param * 3

@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect=['y'])
@pipeline
def test_simple(x):
    check(len(x) == 3)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*uses no fixture 'y'*"])

    def test_parametrize_argument_not_in_indirect_list(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='pipeline')
def x(request):
    return request.param * 3

@zenrun.mark.parametrize('x, y', [('a', 'b')], indirect=['x'])
@pipeline
def test_simple(x):
    check(len(x) == 3)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*uses no argument 'y'*"])

    def test_parametrize_gives_indicative_error_on_function_with_default_argument(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize('x, y', [('a', 'b')])
@pipeline
def test_simple(x, y=1):
    check(len(x) == 1)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        result.stdout.fnmatch_lines(["*already takes an argument 'y' with a default value"])

    def test_parametrize_functional(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize('x', [1,2], indirect=True)
    metafunc.parametrize('y', [2])

@zenrun.fixture
def x(request):
    return request.param * 10

@pipeline
def test_simple(x, y):
    check(x in (10, 20) and y == 2)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_simple*1-2*", "*test_simple*2-2*", "*2 passed*"])

    def test_parametrize_onearg(self) -> None:
        metafunc = Metafunc(lambda x: None)
        metafunc.parametrize("x", [1, 2])
        assert len(metafunc._calls) == 2
        assert metafunc._calls[0].params == dict(x=1)
        assert metafunc._calls[0].id == "1"
        assert metafunc._calls[1].params == dict(x=2)
        assert metafunc._calls[1].id == "2"

    def test_parametrize_onearg_indirect(self) -> None:
        metafunc = Metafunc(lambda x: None)
        metafunc.parametrize("x", [1, 2], indirect=True)
        assert metafunc._calls[0].params == dict(x=1)
        assert metafunc._calls[0].id == "1"
        assert metafunc._calls[1].params == dict(x=2)
        assert metafunc._calls[1].id == "2"

    def test_parametrize_twoargs(self) -> None:
        metafunc = Metafunc(lambda x, y: None)
        metafunc.parametrize(("x", "y"), [(1, 2), (3, 4)])
        assert len(metafunc._calls) == 2
        assert metafunc._calls[0].params == dict(x=1, y=2)
        assert metafunc._calls[0].id == "1-2"
        assert metafunc._calls[1].params == dict(x=3, y=4)
        assert metafunc._calls[1].id == "3-4"

    def test_high_scoped_parametrize_reordering(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("arg2", [3, 4])
@zenrun.mark.parametrize("arg1", [0, 1, 2], scope='module')
@pipeline
def test1(arg1, arg2):
    check(True)

@pipeline
def test2():
    check(True)

@zenrun.mark.parametrize("arg1", [0, 1, 2], scope='module')
@pipeline
def test3(arg1):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
        result.stdout.re_match_lines(
            [
                r".*::test1\[0-3\]",
                r".*::test1\[0-4\]",
                r".*::test3\[0\]",
                r".*::test1\[1-3\]",
                r".*::test1\[1-4\]",
                r".*::test3\[1\]",
                r".*::test1\[2-3\]",
                r".*::test1\[2-4\]",
                r".*::test3\[2\]",
                r".*::test2",
            ]
        )

    def test_parametrize_multiple_times(self, zenrunner) -> None:
        """Module-level part (zenrun has no classes): the module mark parametrizes."""
        zenrunner.makepyfile(
            PRE
            + """
zenrunmark = zenrun.mark.parametrize("x", [1,2])

@pipeline
def test_func(x):
    check(False, str(x))
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 1
        result.assert_outcomes(failed=2)

    def test_parametrize_CSV(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("x, y,", [(1,2), (2,3)])
@pipeline
def test_func(x, y):
    check(x + 1 == y)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)


class TestMetafuncFunctional:
    def test_attributes(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
import sys

def zenrun_generate_tests(metafunc):
    metafunc.parametrize('metafunc', [metafunc])

@zenrun.fixture
def metafunc(request):
    return request.param

@pipeline
def test_function(metafunc, request):
    check(metafunc.config is request.config and metafunc.module.__name__ == __name__
          and metafunc.function is test_function and metafunc.cls is None)
"""
        )
        zenrunner.runzenrun_inprocess("-v").assert_outcomes(passed=1)

    def test_two_functions(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize('arg1', [10, 20], ids=['0', '1'])

@pipeline
def test_func1(arg1):
    check(arg1 == 10)

@pipeline
def test_func2(arg1):
    check(arg1 in (10, 20))
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "*test_func1*0*PASS*",
                "*test_func1*1*FAIL*",
                "*test_func2*PASS*",
                "*test_func2*PASS*",
                "*1 failed, 3 passed*",
            ]
        )

    def test_parametrize_functional2(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize("arg1", [1,2])
    metafunc.parametrize("arg2", [4,5])

@pipeline
def test_hello(arg1, arg2):
    check(False, repr((arg1, arg2)))
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*(1, 4)*", "*(1, 5)*", "*(2, 4)*", "*(2, 5)*", "*4 failed*"])

    def test_parametrize_and_inner_getfixturevalue(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize("arg1", [1], indirect=True)
    metafunc.parametrize("arg2", [10], indirect=True)

@zenrun.fixture
def arg1(request):
    x = request.getfixturevalue("arg2")
    return x + request.param

@zenrun.fixture
def arg2(request):
    return request.param

@pipeline
def test_func1(arg1, arg2):
    check(arg1 == 11)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_func1*1*PASS*", "*1 passed*"])

    def test_parametrize_on_setup_arg(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    assert "arg1" in metafunc.fixturenames
    metafunc.parametrize("arg1", [1], indirect=True)

@zenrun.fixture
def arg1(request):
    return request.param

@zenrun.fixture
def arg2(request, arg1):
    return 10 * arg1

@pipeline
def test_func(arg2):
    check(arg2 == 10)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_func*1*PASS*", "*1 passed*"])

    def test_parametrize_with_ids(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize(("a", "b"), [(1,1), (1,2)], ids=["basic", "advanced"])

@pipeline
def test_function(a, b):
    check(a == b)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        assert result.ret == 1
        result.stdout.fnmatch_lines(["*test_function*basic*PASSED*", "*test_function*advanced*FAILED*"])

    def test_parametrize_without_ids(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize(("a", "b"), [(1,object()), (1.3,object())])

@pipeline
def test_function(a, b):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_function*1-b0*", "*test_function*1.3-b1*"])

    def test_parametrize_with_None_in_ids(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize(("a", "b"), [(1,1), (1,1), (1,2)], ids=["basic", None, "advanced"])

@pipeline
def test_function(a, b):
    check(a == b)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        assert result.ret == 1
        result.stdout.fnmatch_lines(
            ["*test_function*basic*PASSED*", "*test_function*1-1*PASSED*", "*test_function*advanced*FAILED*"]
        )

    def test_fixture_parametrized_empty_ids(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module", ids=[], params=[])
def temp(request):
    return request.param

@pipeline
def test_temp(temp):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["* 1 skipped *"])

    def test_parametrized_empty_ids(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize('temp', [], ids=list())
@pipeline
def test_temp(temp):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["* 1 skipped *"])

    def test_parametrized_ids_invalid_type(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("x, expected", [(1, 2), (3, 4), (5, 6)], ids=(None, 2, OSError()))
@pipeline
def test_ids_numbers(x, expected):
    check(x * 2 == expected)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "In pipeline_test_parametrized_ids_invalid_type.py::test_ids_numbers: ids contains unsupported value OSError() (type: <class 'OSError'>) "
                "at index 2. Supported types are: str, bytes, int, float, complex, bool, enum, regex or "
                "anything with a __name__."
            ]
        )

    def test_parametrize_with_identical_ids_get_unique_names(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    metafunc.parametrize(("a", "b"), [(1,1), (1,2)], ids=["a", "a"])

@pipeline
def test_function(a, b):
    check(a == b)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        assert result.ret == 1
        result.stdout.fnmatch_lines(["*test_function*a0*PASSED*", "*test_function*a1*FAILED*"])

    @pytest.mark.parametrize(("scope", "length"), [("module", 2), ("function", 4)])
    def test_parametrize_scope_overrides(self, zenrunner, scope: str, length: int) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
values = []

def zenrun_generate_tests(metafunc):
    if "arg" in metafunc.fixturenames:
        metafunc.parametrize("arg", [1,2], indirect=True, scope={scope!r})

@zenrun.fixture
def arg(request):
    values.append(request.param)
    return request.param

@pipeline
def test_hello(arg):
    check(arg in (1,2))

@pipeline
def test_world(arg):
    check(arg in (1,2))

@pipeline
def test_checklength():
    check(len(values) == {length}, repr(values))
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=5)

    def test_parametrize_issue323(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='module', params=range(966))
def foo(request):
    return request.param

@pipeline
def test_it(foo):
    check(True)

@pipeline
def test_it2(foo):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        assert result.ret == 0
        result.stdout.no_fnmatch_line("*INTERNALERROR*")
        result.stderr.no_fnmatch_line("*INTERNALERROR*")

    def test_usefixtures_seen_in_generate_tests(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    assert "abc" in metafunc.fixturenames
    metafunc.parametrize("abc", [1])

@zenrun.mark.usefixtures("abc")
@pipeline
def test_function():
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_generate_tests_only_done_in_subdir(self, zenrunner) -> None:
        for sub, name in (("sub1", "test_1"), ("sub2", "test_2")):
            zenrunner.makeconftest(
                f"""
def zenrun_generate_tests(metafunc):
    assert metafunc.function.__name__ == "{name}"
""",
                directory=sub,
            )
            zenrunner.makepyfile(
                **{
                    f"{sub}/pipeline_in_{sub}": PRE
                    + f"""
@pipeline
def {name}():
    check(True)
"""
                }
            )
        result = zenrunner.runzenrun_inprocess("--keep-duplicates", "-v", "-s", "sub1", "sub2", "sub1")
        result.assert_outcomes(passed=3)

    def test_generate_same_function_names_issue403(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
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
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=4)

    def test_parametrize_misspelling(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrise("x", range(2))
@pipeline
def test_foo(x):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("--collect-only")
        assert result.ret == 2
        result.stdout.fnmatch_lines(
            ["*1 error*", "*ERROR collecting*", "*Unknown 'parametrise' mark, did you mean 'parametrize'?*"]
        )

    @pytest.mark.parametrize("scope", ["class", "package"])
    def test_parametrize_missing_scope_doesnt_crash(self, zenrunner, scope: str) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.mark.parametrize("x", [0], scope="{scope}")
@pipeline
def test_it(x):
    check(True)
"""
        )
        assert zenrunner.runzenrun_inprocess().ret == 0

    def test_reordering_with_scopeless_and_just_indirect_parametrization(self, zenrunner) -> None:
        """Without pytest's class part (zenrun has no classes)."""
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture(scope="session")
def fixture1():
    pass
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="module")
def fixture0():
    pass

@zenrun.fixture(scope="module")
def fixture1(fixture0):
    pass

@zenrun.mark.parametrize("fixture1", [0], indirect=True)
@pipeline
def test_0(fixture1):
    check(True)

@zenrun.fixture(scope="module")
def fixture():
    pass

@zenrun.mark.parametrize("fixture", [0], indirect=True)
@pipeline
def test_1(fixture):
    check(True)

@pipeline
def test_2():
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*test_0*", "*test_1*", "*test_2*"])


class TestMetafuncFunctionalAuto:
    def test_parametrize_auto_scope(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='session', autouse=True)
def fixture():
    return 1

@zenrun.mark.parametrize('animal', ["dog", "cat"])
@pipeline
def test_1(animal):
    check(animal in ('dog', 'cat'))

@zenrun.mark.parametrize('animal', ['fish'])
@pipeline
def test_2(animal):
    check(animal == 'fish')
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["* 3 passed *"])

    def test_parametrize_auto_scope_indirect(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='session')
def echo(request):
    return request.param

@zenrun.mark.parametrize('animal, echo', [("dog", 1), ("cat", 2)], indirect=['echo'])
@pipeline
def test_1(animal, echo):
    check(animal in ('dog', 'cat') and echo in (1, 2, 3))

@zenrun.mark.parametrize('animal, echo', [('fish', 3)], indirect=['echo'])
@pipeline
def test_2(animal, echo):
    check(animal == 'fish' and echo in (1, 2, 3))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["* 3 passed *"])

    def test_parametrize_auto_scope_override_fixture(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='session', autouse=True)
def animal():
    return 'fox'

@zenrun.mark.parametrize('animal', ["dog", "cat"])
@pipeline
def test_1(animal):
    check(animal in ('dog', 'cat'))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["* 2 passed *"])

    def test_parametrize_all_indirects(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture()
def animal(request):
    return request.param

@zenrun.fixture(scope='session')
def echo(request):
    return request.param

@zenrun.mark.parametrize('animal, echo', [("dog", 1), ("cat", 2)], indirect=True)
@pipeline
def test_1(animal, echo):
    check(animal in ('dog', 'cat') and echo in (1, 2, 3))

@zenrun.mark.parametrize('animal, echo', [("fish", 3)], indirect=True)
@pipeline
def test_2(animal, echo):
    check(animal == 'fish' and echo in (1, 2, 3))
"""
        )
        zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["* 3 passed *"])

    def test_parametrize_issue634(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope='module')
def foo(request):
    print('preparing foo-%d' % request.param)
    return 'foo-%d' % request.param

@pipeline
def test_one(foo):
    check(True)

@pipeline
def test_two(foo):
    check(True)

test_two.test_with = (2, 3)

def zenrun_generate_tests(metafunc):
    params = (1, 2, 3, 4)
    if not 'foo' in metafunc.fixturenames:
        return
    test_with = getattr(metafunc.definition, 'test_with', None)
    if test_with:
        params = test_with
    metafunc.parametrize('foo', params, indirect=True)
"""
        )
        output = zenrunner.runzenrun_inprocess("-s").stdout.str()  # as pytest's: runpytest("-s")
        assert output.count("preparing foo-2") == 1
        assert output.count("preparing foo-3") == 1


class TestMarkersWithParametrization:
    def test_simple_mark(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.foo
@zenrun.mark.parametrize(("n", "expected"), [
    (1, 2),
    zenrun.param(1, 3, marks=zenrun.mark.bar),
    (2, 3),
])
@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        for expr, expected in (("foo", 3), ("bar", 1), ("not bar", 2)):
            result = zenrunner.runzenrun_inprocess("-m", expr, "--collect-only", "-q")
            selected = [line for line in result.outlines if line.endswith("]")]
            assert len(selected) == expected, result.stdout
        result = zenrunner.runzenrun_inprocess("-m", "bar", "--collect-only", "-q")
        result.stdout.fnmatch_lines(["*test_increment?1-3?"])

    def test_select_based_on_mark(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize(("n", "expected"), [
    (1, 2),
    zenrun.param(2, 3, marks=zenrun.mark.foo),
    (3, 4),
])
@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        zenrunner.runzenrun_inprocess("-m", "foo").assert_outcomes(passed=1, deselected=2)

    @pytest.mark.parametrize(
        "xfail_mark",
        [
            "zenrun.mark.xfail",
            'zenrun.mark.xfail("True")',
            'zenrun.mark.xfail(reason="some bug")',
            'zenrun.mark.xfail("True", reason="some bug")',
        ],
        ids=[
            "test_simple_xfail",
            "test_xfail_with_arg",
            "test_xfail_with_kwarg",
            "test_xfail_with_arg_and_kwarg",
        ],
    )
    def test_xfail_variants(self, zenrunner, xfail_mark) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.mark.parametrize(("n", "expected"), [
    (1, 2),
    zenrun.param(1, 3, marks={xfail_mark}),
    (2, 3),
])
@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        # pytest's inline_run counts an xfail as skipped; zenrun's closing line says xfailed
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2, xfailed=1)

    def test_simple_xfail_single_argname(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("n", [
    2,
    zenrun.param(3, marks=zenrun.mark.xfail),
    4,
])
@pipeline
def test_isEven(n):
    check(n % 2 == 0)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2, xfailed=1)

    @pytest.mark.parametrize("strict", [True, False])
    def test_xfail_passing_is_xpass(self, zenrunner, strict: bool) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
m = zenrun.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug", strict={strict})

@zenrun.mark.parametrize(("n", "expected"), [
    (1, 2),
    zenrun.param(2, 3, marks=m),
    (3, 4),
])
@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        # pytest's inline_run counts an xpass as passed
        if strict:
            result.assert_outcomes(passed=2, failed=1)
        else:
            result.assert_outcomes(passed=2, xpassed=1)

    def test_parametrize_called_in_generate_tests(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
def zenrun_generate_tests(metafunc):
    passingTestData = [(1, 2), (2, 3)]
    failingTestData = [(1, 3), (2, 2)]
    testData = passingTestData + [zenrun.param(*d, marks=zenrun.mark.xfail)
                                  for d in failingTestData]
    metafunc.parametrize(("n", "expected"), testData)

@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2, xfailed=2)

    def test_parametrize_ID_generation_string_int_works(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture
def myfixture():
    return 'example'

@zenrun.mark.parametrize('limit', (0, '0'))
@pipeline
def test_limit(limit, myfixture):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    @pytest.mark.parametrize("strict", [True, False])
    def test_parametrize_marked_value(self, zenrunner, strict: bool) -> None:
        zenrunner.makepyfile(
            PRE
            + f"""
@zenrun.mark.parametrize(("n", "expected"), [
    zenrun.param(2, 3, marks=zenrun.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug",
                                               strict={strict})),
    zenrun.param(2, 3, marks=[zenrun.mark.xfail("sys.version_info > (0, 0, 0)", reason="some bug",
                                                strict={strict})]),
])
@pipeline
def test_increment(n, expected):
    check(n + 1 == expected)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        if strict:
            result.assert_outcomes(failed=2)
        else:
            result.assert_outcomes(xpassed=2)

    def test_zenrun_make_parametrize_id(self, zenrunner) -> None:
        zenrunner.makeconftest("""
def zenrun_make_parametrize_id(config, val):
    return str(val * 2)
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("x", range(2))
@pipeline
def test_func(x):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_func*0*PASS*", "*test_func*2*PASS*"])

    def test_zenrun_make_parametrize_id_with_argname(self, zenrunner) -> None:
        zenrunner.makeconftest("""
def zenrun_make_parametrize_id(config, val, argname):
    return str(val * 2 if argname == 'x' else val * 10)
""")
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("x", range(2))
@pipeline
def test_func_a(x):
    check(True)

@zenrun.mark.parametrize("y", [1])
@pipeline
def test_func_b(y):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["*test_func_a*0*PASS*", "*test_func_a*2*PASS*", "*test_func_b*10*PASS*"])

    def test_parametrize_positional_args(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.parametrize("a", [1], False)
@pipeline
def test_foo(a):
    check(True)
"""
        )
        # pytest 9: `indirect` and later arguments are keyword-only (pytest 8 took it).
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*TypeError*positional argument*"])
        result.assert_outcomes(errors=1)

    def test_parametrize_iterator(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_iterator=PRE
            + """
import itertools

id_parametrize = zenrun.mark.parametrize(ids=("param%d" % i for i in itertools.count()))

@id_parametrize('y', ['a', 'b'])
@pipeline
def test1(y):
    check(True)

@id_parametrize('y', ['a', 'b'])
@pipeline
def test2(y):
    check(True)

@zenrun.mark.parametrize("a, b", [(1, 2), (3, 4)], ids=itertools.count())
@pipeline
def test_converted_to_str(a, b):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "pipeline_iterator.py::test1?param0? PASSED*",
                "pipeline_iterator.py::test1?param1? PASSED*",
                "pipeline_iterator.py::test2?param0? PASSED*",
                "pipeline_iterator.py::test2?param1? PASSED*",
                "pipeline_iterator.py::test_converted_to_str?0? PASSED*",
                "pipeline_iterator.py::test_converted_to_str?1? PASSED*",
                "*= 6 passed in *",
            ]
        )
