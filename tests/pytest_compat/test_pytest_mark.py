"""Port of pytest's ``testing/test_mark.py`` (pytest-dev/pytest, the stored 4.x version).

A test function becomes a ``@pipeline`` whose check runs in a step; ``-m`` /
``-k`` outcomes are read from zenrun's own output. Cases about test classes,
removed pytest APIs (MarkInfo, ``--strict`` spelling, old-style marks on
values) are listed as not applicable in README.md.
"""

from __future__ import annotations

import pytest

import zenrun
from zenrun.marks import MarkGenerator as Mark

PRE = """
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


def passed_names(result) -> list[str]:
    return [
        line.split("::")[-1].split(" ")[0] for line in result.outlines if " PASSED" in line and "::" in line
    ]


class TestMark:
    @pytest.mark.parametrize("attr", ["mark", "param"])
    def test_zenrun_exists_in_namespace_all(self, attr) -> None:
        assert attr in zenrun.__all__

    def test_zenrun_mark_notcallable(self) -> None:
        mark = Mark()
        pytest.raises((AttributeError, TypeError), mark)

    def test_mark_with_param(self) -> None:
        def some_function(abc):
            pass

        class SomeClass:
            pass

        assert zenrun.mark.fun(some_function) is some_function
        assert zenrun.mark.fun.with_args(some_function) is not some_function
        assert zenrun.mark.fun(SomeClass) is SomeClass
        assert zenrun.mark.fun.with_args(SomeClass) is not SomeClass

    def test_zenrun_mark_name_starts_with_underscore(self) -> None:
        mark = Mark()
        with pytest.raises(AttributeError):
            mark._some_name


def test_ini_markers(zenrunner) -> None:
    zenrunner.maketoml('markers = ["a1: this is a webtest marker", "a2: this is a smoke marker"]\n')
    zenrunner.makepyfile(
        PRE
        + """
@pipeline
def test_markers(request):
    markers = request.config.getini("markers")
    check(len(markers) >= 2 and markers[0].startswith("a1:") and markers[1].startswith("a2:"),
          repr(markers))
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_markers_option(zenrunner) -> None:
    zenrunner.maketoml(
        'markers = ["a1: this is a webtest marker", "a1some: another marker", "nodescription"]\n'
    )
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(["*a1*this is a webtest*", "*a1some*another marker", "*nodescription*"])


def test_ini_markers_whitespace(zenrunner) -> None:
    zenrunner.maketoml('markers = ["a1 : this is a whitespace marker"]\n')
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.a1
@pipeline
def test_markers():
    check(True)
"""
    )
    zenrunner.runzenrun_inprocess("--strict-markers", "-m", "a1").assert_outcomes(passed=1)


def test_marker_without_description(zenrunner) -> None:
    zenrunner.maketoml('markers = ["slow"]\n')
    zenrunner.makeconftest(
        """
import zenrun
zenrun.mark.xfail('FAIL')
""",
        directory="ft1_dummy",
    )
    result = zenrunner.runzenrun_inprocess("--strict-markers")
    result.assert_outcomes()


def test_markers_option_with_plugin_in_current_dir(zenrunner) -> None:
    zenrunner.makeconftest('zenrun_plugins = ["flip_flop"]')
    zenrunner.makepyfile(
        flip_flop="""
def zenrun_configure(config):
    config.addinivalue_line("markers", "flip:flop")

def zenrun_generate_tests(metafunc):
    if not any(m.name == "flipper" for m in getattr(metafunc.definition, "zenrun_marks", [])):
        return
    metafunc.parametrize("x", (10, 20))
"""
    )
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.flipper
@pipeline
def test_example(x):
    check(bool(x))
"""
    )
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(["*flip*flop*"])


def test_mark_on_pseudo_function(zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.r(lambda x: 0/0)
@pipeline
def test_hello():
    check(True)
"""
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "option",
    [
        "--strict-markers",
        "--strict",
        "strict_markers = true",
        "strict = true",
        'addopts = "--strict-markers"',
    ],
)
def test_strict_prohibits_unregistered_markers(zenrunner, option) -> None:
    # pytest's current case: the options, the ini keys and addopts all make it an error.
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.unregisteredmark
@pipeline
def test_hello():
    check(True)
"""
    )
    if option.startswith("-"):
        result = zenrunner.runzenrun_inprocess(option)
    else:
        zenrunner.maketoml(option)
        result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["'unregisteredmark' not found in `markers` configuration option"])


def test_unregistered_marker_warns_without_strict(zenrunner) -> None:
    # pytest's PytestUnknownMarkWarning: the item runs, a warning names the mark.
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.unregisteredmark
@pipeline
def test_hello():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*Unknown zenrun.mark.unregisteredmark - is this a typo?*", "*1 passed*"])


@pytest.mark.parametrize(
    "spec",
    [
        ("xyz", ("test_one",)),
        ("xyz and xyz2", ()),
        ("xyz2", ("test_two",)),
        ("xyz or xyz2", ("test_one", "test_two")),
    ],
)
def test_mark_option(spec, zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_marks=PRE
        + """
@zenrun.mark.xyz
@pipeline
def test_one():
    check(True)

@zenrun.mark.xyz2
@pipeline
def test_two():
    check(True)
"""
    )
    opt, passed_result = spec
    result = zenrunner.runzenrun_inprocess("-v", "-m", opt)
    assert passed_names(result) == list(passed_result)


@pytest.mark.parametrize("spec", [("interface", ("test_interface",)), ("not interface", ("test_nointer",))])
def test_mark_option_custom(spec, zenrunner) -> None:
    zenrunner.makeconftest("""
import zenrun
def zenrun_collection_modifyitems(items):
    for item in items:
        if "interface" in item.nodeid:
            item.add_marker(zenrun.mark.interface)
""")
    zenrunner.makepyfile(
        pipeline_custom=PRE
        + """
@pipeline
def test_interface():
    check(True)

@pipeline
def test_nointer():
    check(True)
"""
    )
    opt, passed_result = spec
    result = zenrunner.runzenrun_inprocess("-v", "-m", opt)
    assert passed_names(result) == list(passed_result)


@pytest.mark.parametrize(
    "spec",
    [
        ("interface", ("test_interface",)),
        ("not interface", ("test_nointer", "test_pass")),
        ("pass", ("test_pass",)),
        ("not pass", ("test_interface", "test_nointer")),
    ],
)
def test_keyword_option_custom(spec, zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_kw=PRE
        + """
@pipeline
def test_interface():
    check(True)

@pipeline
def test_nointer():
    check(True)

@pipeline
def test_pass():
    check(True)
"""
    )
    opt, passed_result = spec
    result = zenrunner.runzenrun_inprocess("-v", "-k", opt)
    assert passed_names(result) == list(passed_result)


def test_keyword_option_considers_mark(zenrunner) -> None:
    """pytest copies an example; the same module inline: a mark name is a keyword."""
    zenrunner.makepyfile(
        pipeline_considered=PRE
        + """
@zenrun.mark.foo
@pipeline
def test_marked():
    check(True)

@pipeline
def test_other():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-v", "-k", "foo")
    assert len(passed_names(result)) == 1


@pytest.mark.parametrize(
    "spec", [("None", ("test_func[None]",)), ("1.3", ("test_func[1.3]",)), ("2-3", ("test_func[2-3]",))]
)
def test_keyword_option_parametrize(spec, zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_kwp=PRE
        + """
@zenrun.mark.parametrize("arg", [None, 1.3, "2-3"])
@pipeline
def test_func(arg):
    check(True)
"""
    )
    opt, passed_result = spec
    result = zenrunner.runzenrun_inprocess("-v", "-k", opt)
    assert passed_names(result) == list(passed_result)


@pytest.mark.parametrize(
    "spec",
    [
        ("foo or", "Wrong expression passed to '-k'*foo or*column 7*"),
    ],
)
def test_keyword_option_wrong_arguments(spec, zenrunner) -> None:
    zenrunner.makepyfile(
        PRE
        + """
@pipeline
def test_func(arg):
    check(True)
"""
    )
    opt, expected_result = spec
    result = zenrunner.runzenrun_inprocess("-k", opt)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*{expected_result}"])


def test_keyword_python_keyword_is_an_identifier(zenrunner) -> None:
    """pytest >= 5.4 (own parser): ``-k "foo or import"`` is valid, not an error."""
    zenrunner.makepyfile(
        PRE
        + """
@pipeline
def test_func():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-k", "foo or import")
    assert result.ret == 5
    result.assert_outcomes(deselected=1)


def test_parametrized_collected_from_command_line(zenrunner) -> None:
    path = zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.parametrize("arg", [None, 1.3, "2-3"])
@pipeline
def test_func(arg):
    check(True)
"""
    )
    zenrunner.runzenrun_inprocess(path.name + "::test_func").assert_outcomes(passed=3)


def test_parametrized_collect_with_wrong_args(zenrunner) -> None:
    path = zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.parametrize('foo, bar', [(1, 2, 3)])
@pipeline
def test_func(foo, bar):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess(path.name)
    result.stdout.fnmatch_lines(
        [
            f'{path.name}::test_func: in "parametrize" the number of names (2):',
            "  ['foo', 'bar']",
            "must be equal to the number of values (3):",
            "  (1, 2, 3)",
        ]
    )


def test_parametrized_with_kwargs(zenrunner) -> None:
    path = zenrunner.makepyfile(
        PRE
        + """
@zenrun.fixture(params=[1,2])
def a(request):
    return request.param

@zenrun.mark.parametrize(argnames='b', argvalues=[1, 2])
@pipeline
def test_func(a, b):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess(path.name)
    assert result.ret == 0
    result.assert_outcomes(passed=4)


class TestFunctional:
    def test_mark_per_module(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
zenrunmark = zenrun.mark.hello

@pipeline
def test_func(request):
    check("hello" in request.node.keywords)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_marklist_per_module(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
pytestmark = [zenrun.mark.hello, zenrun.mark.world]

@pipeline
def test_func(request):
    check("hello" in request.node.keywords and "world" in request.node.keywords)
"""
        )
        zenrunner.runzenrun_inprocess("-m", "hello and world").assert_outcomes(passed=1)

    def test_mark_closest(self, zenrunner) -> None:
        """pytest's class level is zenrun's module level."""
        zenrunner.makepyfile(
            PRE
            + """
zenrunmark = zenrun.mark.c(location="module")

@zenrun.mark.c(location="function")
@pipeline
def test_has_own(request):
    check(request.node.get_closest_marker("c").kwargs == {"location": "function"}
          and request.node.get_closest_marker("missing") is None)

@pipeline
def test_has_inherited(request):
    check(request.node.get_closest_marker("c").kwargs == {"location": "module"})
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=2)

    def test_mark_with_wrong_marker(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
class pytestmark(object):
    pass

@pipeline
def test_func():
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 2
        result.stdout.fnmatch_lines(["*ERROR collecting*", "*TypeError*"])

    def test_mark_dynamically_in_funcarg(self, zenrunner) -> None:
        zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def arg(request):
    request.applymarker(zenrun.mark.hello)

def zenrun_terminal_summary(terminalreporter):
    values = [r for r in terminalreporter.reports if r.outcome == "passed"]
    terminalreporter.tw.line("keyword: %s" % values[0].keywords)
""")
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_func(arg):
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["keyword: *hello*"])

    def test_no_marker_match_on_unmarked_names(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.mark.shouldmatch
@pipeline
def test_marked():
    check(True)

@pipeline
def test_unmarked():
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-m", "test_unmarked")
        result.assert_outcomes(deselected=2)

    def test_keywords_at_node_level(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@zenrun.fixture(scope="session", autouse=True)
def some(request):
    request.keywords["hello"] = 42
    assert "world" not in request.keywords

@zenrun.fixture(scope="pipeline", autouse=True)
def funcsetup(request):
    assert "world" in request.keywords
    assert "hello" in request.keywords

@zenrun.mark.world
@pipeline
def test_function():
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_mark_from_parameters(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
zenrunmark = zenrun.mark.skipif(True, reason='skip all')

params = [zenrun.param('parameter', marks=zenrun.mark.skipif(False, reason='dont skip'))]

@zenrun.fixture(params=params)
def parameter(request):
    return request.param

@pipeline
def test_1(parameter):
    check(True)
"""
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(skipped=1)


class TestKeywordSelection:
    def test_select_simple(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_select=PRE
            + """
@pipeline
def test_one():
    check(False)

@pipeline
def other_method_one():
    check(42 == 43)
"""
        )
        for keyword in ["test_one", "est_on"]:
            result = zenrunner.runzenrun_inprocess("-k", keyword)
            result.assert_outcomes(failed=1, deselected=1)
            result.stdout.fnmatch_lines(["FAILED *::test_one*"])

    def test_keyword_extra(self, zenrunner) -> None:
        zenrunner.makepyfile(
            PRE
            + """
@pipeline
def test_one():
    check(False)

test_one.mykeyword = True
"""
        )
        zenrunner.runzenrun_inprocess("-k", "mykeyword").assert_outcomes(failed=1)

    def test_no_magic_values(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipeline_magic=PRE
            + """
@pipeline
def test_one():
    check(True)
"""
        )
        result = zenrunner.runzenrun_inprocess("-k", "__")
        result.assert_outcomes(deselected=1)


class TestMarkDecorator:
    @pytest.mark.parametrize(
        "lhs, rhs, expected",
        [
            (zenrun.mark.foo(), zenrun.mark.foo(), True),
            (zenrun.mark.foo(), zenrun.mark.bar(), False),
            (zenrun.mark.foo(), "bar", False),
            ("foo", zenrun.mark.bar(), False),
        ],
    )
    def test__eq__(self, lhs, rhs, expected) -> None:
        assert (lhs == rhs) == expected


@pytest.mark.parametrize("mark", [None, "", "skip", "xfail"])
def test_parameterset_for_parametrize_marks(zenrunner, mark) -> None:
    if mark is not None:
        zenrunner.maketoml(f'empty_parameter_set_mark = "{mark}"\n')
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.parametrize("a", [])
@pipeline
def test(a):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-rA")
    expected = "xfail" if mark == "xfail" else "skip"
    if expected == "skip":
        result.assert_outcomes(skipped=1)
    else:
        result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*got empty parameter set *"])


def test_parameterset_for_fail_at_collect(zenrunner) -> None:
    zenrunner.maketoml('empty_parameter_set_mark = "fail_at_collect"\n')
    zenrunner.makepyfile(
        pipeline_empty="""
import zenrun
from zenrun import pipeline
@zenrun.mark.parametrize("empty", [])
@pipeline
def test(empty):
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["*ERROR collecting pipeline_empty.py*", "Empty parameter set in 'test' at line 3", "*1 error*"]
    )
    assert result.ret == 2


def test_parameterset_for_parametrize_bad_markname(zenrunner) -> None:
    zenrunner.maketoml('empty_parameter_set_mark = "bad"\n')
    assert zenrunner.runzenrun_inprocess().ret == 4


def test_addmarker_order(zenrunner) -> None:
    from zenrun.collect import Item

    node = Item("Test", "Test", zenrunner.path / "pipeline_x.py", None)
    node.add_marker("a")
    node.add_marker("b")
    node.add_marker("c", append=False)
    assert [x.name for x in node.iter_markers()] == ["c", "a", "b"]


def test_zenrun_param_id_requires_string() -> None:
    with pytest.raises(TypeError) as excinfo:
        zenrun.param(id=True)
    (msg,) = excinfo.value.args
    assert msg == "Expected id to be a string or a `zenrun.HIDDEN_PARAM` sentinel, got <class 'bool'>: True"


@pytest.mark.parametrize("s", (None, "hello world"))
def test_zenrun_param_id_allows_none_or_string(s) -> None:
    assert zenrun.param(id=s)


def test_fixture_disallow_on_marked_functions() -> None:
    """Test that applying @zenrun.fixture to a marked function errors (#3364)."""
    with pytest.raises(zenrun.fail.Exception, match=r"Marks cannot be applied to fixtures"):

        @zenrun.fixture
        @zenrun.mark.parametrize("example", ["hello"])
        @zenrun.mark.usefixtures("tmp_path")
        def foo():
            raise NotImplementedError()


def test_fixture_disallow_marks_on_fixtures() -> None:
    """Test that applying a mark to a fixture errors (#3364)."""
    with pytest.raises(zenrun.fail.Exception, match=r"Marks cannot be applied to fixtures"):

        @zenrun.mark.parametrize("example", ["hello"])
        @zenrun.mark.usefixtures("tmp_path")
        @zenrun.fixture
        def foo():
            raise NotImplementedError()


def test_fixture_disallowed_between_marks() -> None:
    """Test that applying a mark to a fixture errors (#3364)."""
    with pytest.raises(zenrun.fail.Exception, match=r"Marks cannot be applied to fixtures"):

        @zenrun.mark.parametrize("example", ["hello"])
        @zenrun.fixture
        @zenrun.mark.usefixtures("tmp_path")
        def foo():
            raise NotImplementedError()


def test_marked_fixture_is_a_collection_error(zenrunner) -> None:
    # In a pipeline module the same error is a collection error naming the module (exit 2).
    zenrunner.makepyfile(
        PRE
        + """
@zenrun.mark.slow
@zenrun.fixture
def marked():
    return 1

@pipeline
def test_it(marked):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*Marks cannot be applied to fixtures*"])
