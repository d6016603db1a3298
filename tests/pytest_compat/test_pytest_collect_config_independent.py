"""Independent port of pytest's ``testing/test_mark.py``, ``testing/test_collection.py``,
``testing/python/collect.py`` and the user-visible parts of ``testing/test_config.py``
(pytest-dev/pytest), written without reading the earlier ports of these files.

A test function becomes a ``@pipeline`` whose asserts run in a ``check`` step
(``porting.pipelines``); ``pytester`` is ``zenrunner`` (in-process runs);
``pytest_*`` hooks are ``zenrun_*`` hooks; ``test_*.py`` modules are
``pipeline_*.py``; ``[pytest]`` of ``pytest.ini`` / ``tox.ini`` is ``[zenrun]``
(``zenrunner.makeini`` writes ``tox.ini``), ``[tool.pytest.ini_options]`` is
``[tool.zenrun]``. Test classes have no pipeline equivalent: their cases are
not ported. The counts are in the module's last comment.
"""

from __future__ import annotations

import textwrap

import pytest
from porting import pipelines as P

from zenrun import ExitCode

# ---------------------------------------------------------------------------
# testing/test_mark.py
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("attr", ["mark", "param"])
def test_mark_exists_in_namespace_all(attr: str) -> None:
    import zenrun

    assert attr in zenrun.__all__


def test_mark_notcallable() -> None:
    import zenrun

    with pytest.raises(TypeError):
        zenrun.mark()  # type: ignore[operator]


def test_mark_with_param() -> None:
    import zenrun

    def some_function(abc):
        pass

    class SomeClass:
        pass

    assert zenrun.mark.foo(some_function) is some_function
    assert zenrun.mark.foo.with_args(some_function) is not some_function
    assert zenrun.mark.foo(SomeClass) is SomeClass
    assert zenrun.mark.foo.with_args(SomeClass) is not SomeClass


def test_mark_name_starts_with_underscore() -> None:
    import zenrun

    with pytest.raises(AttributeError):
        _ = zenrun.mark._some_name


def test_ini_markers(zenrunner) -> None:
    zenrunner.makeini(
        """
        [zenrun]
        markers =
            a1: this is a webtest marker
            a2: this is a smoke marker
        """
    )
    zenrunner.makepyfile(
        P(
            """
        def test_markers(zenrunconfig):
            markers = zenrunconfig.getini("markers")
            print(markers)
            assert len(markers) >= 2
            assert markers[0].startswith("a1:")
            assert markers[1].startswith("a2:")
        """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=1)


def test_markers_option(zenrunner) -> None:
    zenrunner.makeini(
        """
        [zenrun]
        markers =
            a1: this is a webtest marker
            a1some: another marker
            nodescription
        """
    )
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(["*a1*this is a webtest*", "*a1some*another marker", "*nodescription*"])


def test_ini_markers_whitespace(zenrunner) -> None:
    zenrunner.makeini(
        """
        [zenrun]
        markers =
            a1 : this is a whitespace marker
        """
    )
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.a1
        def test_markers():
            assert True
        """
        )
    )
    rec = zenrunner.inline_run("--strict-markers", "-m", "a1")
    rec.assertoutcome(passed=1)


def test_marker_without_description(zenrunner) -> None:
    zenrunner.makefile(".cfg", setup="[tool:zenrun]\nmarkers=slow\n")
    (zenrunner.path / "zenrun.toml").unlink()
    ftdir = zenrunner.mkdir("ft1_dummy")
    ftdir.joinpath("conftest.py").write_text("import zenrun\nzenrun.mark.xfail('FAIL')\n")
    result = zenrunner.runzenrun_inprocess("--strict-markers")
    result.assert_outcomes()


def test_markers_option_with_plugin_in_current_dir(zenrunner) -> None:
    zenrunner.makeconftest('zenrun_plugins = "flip_flop"')
    zenrunner.makepyfile(
        flip_flop="""\
        def zenrun_configure(config):
            config.addinivalue_line("markers", "flip:flop")

        def zenrun_generate_tests(metafunc):
            try:
                mark = metafunc.function.flipper
            except AttributeError:
                return
            metafunc.parametrize("x", (10, 20))"""
    )
    zenrunner.makepyfile(
        P(
            """\
        import pytest
        @pytest.mark.flipper
        def test_example(x):
            assert x"""
        )
    )
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(["*flip*flop*"])


def test_mark_on_pseudo_function(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.r(lambda x: 0/0)
        def test_hello():
            pass
        """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=1)


@pytest.mark.parametrize(
    "option",
    ["--strict-markers", "--strict", "strict_markers = true", "strict = true", "addopts = --strict-markers"],
)
def test_strict_prohibits_unregistered_markers(zenrunner, option: str) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.unregisteredmark
        def test_hello():
            pass
        """
        )
    )
    if option.startswith("-"):
        result = zenrunner.runzenrun_inprocess(option)
    else:
        zenrunner.makeini(f"[zenrun]\n{option}\n")
        result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["'unregisteredmark' not found in `markers` configuration option"])


@pytest.fixture
def markexpr_zenrunner(zenrunner):
    zenrunner.makeini(
        """
        [zenrun]
        markers =
            registered: a registered marker
        """
    )
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.registered
        def test_registered():
            pass

        def test_plain():
            pass
        """
        )
    )
    return zenrunner


@pytest.mark.parametrize("option", ["--strict-markers", "--strict"])
def test_strict_prohibits_unregistered_markers_in_markexpr(markexpr_zenrunner, option: str) -> None:
    result = markexpr_zenrunner.runzenrun_inprocess(option, "-m", "registered or unregisteredmark")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*Unknown marker(s) in '-m' expression: unregisteredmark*"])


def test_strict_allows_registered_markers_in_markexpr(markexpr_zenrunner) -> None:
    result = markexpr_zenrunner.runzenrun_inprocess("--strict-markers", "-m", "registered")
    result.assert_outcomes(passed=1, deselected=1)


def test_unregistered_markers_in_markexpr_allowed_without_strict(markexpr_zenrunner) -> None:
    result = markexpr_zenrunner.runzenrun_inprocess("-m", "unregisteredmark")
    result.assert_outcomes(deselected=2)


def _passed_names(rec) -> list[str]:
    passed, _skipped, _failed = rec.listoutcomes()
    return [x.nodeid.split("::")[-1] for x in passed]


@pytest.mark.parametrize(
    ("expr", "expected_passed"),
    [
        ("xyz", ["test_one"]),
        ("(((  xyz))  )", ["test_one"]),
        ("not not xyz", ["test_one"]),
        ("xyz and xyz2", []),
        ("xyz2", ["test_two"]),
        ("xyz or xyz2", ["test_one", "test_two"]),
    ],
)
def test_mark_option(expr: str, expected_passed: list[str], zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.xyz
        def test_one():
            pass
        @pytest.mark.xyz2
        def test_two():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-m", expr)
    assert _passed_names(rec) == expected_passed


@pytest.mark.parametrize(
    ("expr", "expected_passed"),
    [
        ("car(color='red')", ["test_one"]),
        ("car(color='red') or car(color='blue')", ["test_one", "test_two"]),
        ("car and not car(temp=5)", ["test_one", "test_three"]),
        ("car(temp=4)", ["test_one"]),
        ("car(temp=4) or car(temp=5)", ["test_one", "test_two"]),
        ("car(temp=4) and car(temp=5)", []),
        ("car(temp=-5)", ["test_three"]),
        ("car(ac=True)", ["test_one"]),
        ("car(ac=False)", ["test_two"]),
        ("car(ac=None)", ["test_three"]),
    ],
    ids=str,
)
def test_mark_option_with_kwargs(expr: str, expected_passed: list[str], zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.car
        @pytest.mark.car(ac=True)
        @pytest.mark.car(temp=4)
        @pytest.mark.car(color="red")
        def test_one():
            pass
        @pytest.mark.car
        @pytest.mark.car(ac=False)
        @pytest.mark.car(temp=5)
        @pytest.mark.car(color="blue")
        def test_two():
            pass
        @pytest.mark.car
        @pytest.mark.car(ac=None)
        @pytest.mark.car(temp=-5)
        def test_three():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-m", expr)
    assert _passed_names(rec) == expected_passed


@pytest.mark.parametrize(
    ("expr", "expected_passed"),
    [("interface", ["test_interface"]), ("not interface", ["test_nointer"])],
)
def test_mark_option_custom(expr: str, expected_passed: list[str], zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import zenrun
        def zenrun_collection_modifyitems(items):
            for item in items:
                if "interface" in item.nodeid:
                    item.add_marker(zenrun.mark.interface)
        """
    )
    zenrunner.makepyfile(
        P(
            """
        def test_interface():
            pass
        def test_nointer():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-m", expr)
    assert _passed_names(rec) == expected_passed


@pytest.mark.parametrize(
    ("expr", "expected_passed"),
    [
        ("interface", ["test_interface"]),
        ("not interface", ["test_nointer", "test_pass", "test_1", "test_2"]),
        ("pass", ["test_pass"]),
        ("not pass", ["test_interface", "test_nointer", "test_1", "test_2"]),
        ("not not not (pass)", ["test_interface", "test_nointer", "test_1", "test_2"]),
        ("1 or 2", ["test_1", "test_2"]),
        ("not (1 or 2)", ["test_interface", "test_nointer", "test_pass"]),
    ],
)
def test_keyword_option_custom(expr: str, expected_passed: list[str], zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        def test_interface():
            pass
        def test_nointer():
            pass
        def test_pass():
            pass
        def test_1():
            pass
        def test_2():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-k", expr)
    assert _passed_names(rec) == expected_passed


def test_keyword_option_considers_mark(zenrunner) -> None:
    # pytest's example marks/marks_considered_keywords: a module mark and a conftest
    zenrunner.makeconftest("")
    zenrunner.makepyfile(
        pipeline_marks_considered_keywords=P(
            """
        import pytest

        @pytest.mark.foo
        def test_marks_as_keywords():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-k", "foo")
    assert len(rec.listoutcomes()[0]) == 1


@pytest.mark.parametrize(
    ("expr", "expected_passed"),
    [("None", ["test_func[None]"]), ("[1.3]", ["test_func[1.3]"]), ("2-3", ["test_func[2-3]"])],
)
def test_keyword_option_parametrize(expr: str, expected_passed: list[str], zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.parametrize("arg", [None, 1.3, "2-3"])
        def test_func(arg):
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-k", expr)
    assert _passed_names(rec) == expected_passed


def test_parametrize_with_module(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.parametrize("arg", [zenrun,])
        def test_func(arg):
            pass
        """
        )
    )
    rec = zenrunner.inline_run()
    passed, _skipped, _fail = rec.listoutcomes()
    assert passed[0].nodeid.split("::")[-1] == "test_func[zenrun]"


@pytest.mark.parametrize(
    ("expr", "expected_error"),
    [
        ("foo or", "at column 7: expected not OR left parenthesis OR identifier; got end of input"),
        ("foo or or", "at column 8: expected not OR left parenthesis OR identifier; got or"),
        ("(foo", "at column 5: expected right parenthesis; got end of input"),
        ("foo bar", "at column 5: expected end of input; got identifier"),
        ("or or", "at column 1: expected not OR left parenthesis OR identifier; got or"),
        ("not or", "at column 5: expected not OR left parenthesis OR identifier; got or"),
        ("nonexistent_mark(non_supported='kwarg')", "Keyword expressions do not support call parameters"),
    ],
)
def test_keyword_option_wrong_arguments(expr: str, expected_error: str, zenrunner) -> None:
    zenrunner.makepyfile(P("def test_func(arg):\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("-k", expr)
    assert expected_error in result.stderr


def test_parametrized_collected_from_command_line(zenrunner) -> None:
    py_file = zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.parametrize("arg", [None, 1.3, "2-3"])
        def test_func(arg):
            pass
        """
        )
    )
    rec = zenrunner.inline_run(py_file.name + "::test_func")
    rec.assertoutcome(passed=3)


def test_parametrized_collect_with_wrong_args(zenrunner) -> None:
    py_file = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.parametrize('foo, bar', [(1, 2, 3)])
        def test_func(foo, bar):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess(py_file)
    result.stdout.fnmatch_lines(
        [
            f'{py_file.name}::test_func: in "parametrize" the number of names (2):',
            "  ['foo', 'bar']",
            "must be equal to the number of values (3):",
            "  (1, 2, 3)",
        ]
    )


def test_parametrized_with_kwargs(zenrunner) -> None:
    py_file = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.fixture(params=[1,2])
        def a(request):
            return request.param

        @pytest.mark.parametrize(argnames='b', argvalues=[1, 2])
        def test_func(a, b):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess(py_file)
    assert result.ret == 0


def test_parametrize_iterator(zenrunner) -> None:
    py_file = zenrunner.makepyfile(
        P(
            """\
        import pytest

        def gen():
            yield 1
            yield 2
            yield 3

        @pytest.mark.parametrize('a', gen())
        def test(a):
            assert a >= 1
        """
        )
    )
    result = zenrunner.runzenrun_inprocess(py_file)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*3 passed*"])


def test_mark_closest_default_mark_decorator(zenrunner) -> None:
    import zenrun

    (item,) = zenrunner.getitems(zenrunner.makepyfile(P("def test_without_mark():\n    pass\n")))
    default = zenrun.mark.foo(location="default")
    assert item.get_closest_marker("foo", default) is default.mark


def test_mark_with_wrong_marker(zenrunner) -> None:
    rec = zenrunner.inline_runsource(
        P(
            """
        import pytest
        class zenrunmark(object):
            pass
        def test_func():
            pass
        """
        )
    )
    values = rec.getfailedcollections()
    assert len(values) == 1
    assert "TypeError" in str(values[0].longrepr)


def test_mark_dynamically_in_funcarg(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import zenrun
        @zenrun.fixture
        def arg(request):
            request.applymarker(zenrun.mark.hello)
        def zenrun_terminal_summary(terminalreporter):
            values = terminalreporter.stats['passed']
            terminalreporter._tw.line("keyword: %s" % values[0].keywords)
        """
    )
    zenrunner.makepyfile(P("def test_func(arg):\n    pass\n"))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["keyword: *hello*"])


def test_no_marker_match_on_unmarked_names(zenrunner) -> None:
    p = zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.shouldmatch
        def test_marked():
            assert 1

        def test_unmarked():
            assert 1
        """
        )
    )
    rec = zenrunner.inline_run("-m", "test_unmarked", p)
    passed, skipped, failed = rec.listoutcomes()
    assert len(passed) + len(skipped) + len(failed) == 0
    dlist = rec.getcalls("zenrun_deselected")
    assert len(dlist[0].items) == 2


def test_keywords_at_node_level(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.fixture(scope="session", autouse=True)
        def some(request):
            request.keywords["hello"] = 42
            assert "world" not in request.keywords

        @pytest.fixture(scope="function", autouse=True)
        def funcsetup(request):
            assert "world" in request.keywords
            assert "hello" in  request.keywords

        @pytest.mark.world
        def test_function():
            pass
        """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=1)


def test_keyword_added_for_session(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import zenrun
        def zenrun_collection_modifyitems(session):
            session.add_marker("mark1")
            session.add_marker(zenrun.mark.mark2)
            session.add_marker(zenrun.mark.mark3)
            with zenrun.raises(ValueError):
                session.add_marker(10)
        """
    )
    zenrunner.makepyfile(
        P(
            """
        def test_some(request):
            assert "mark1" in request.keywords
            assert "mark2" in request.keywords
            assert "mark3" in request.keywords
            assert 10 not in request.keywords
            marker = request.node.get_closest_marker("mark1")
            assert marker.name == "mark1"
            assert marker.args == ()
            assert marker.kwargs == {}
        """
        )
    )
    rec = zenrunner.inline_run("-m", "mark1")
    rec.assertoutcome(passed=1)


def test_mark_from_parameters(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        zenrunmark = pytest.mark.skipif(True, reason='skip all')

        # skipifs inside fixture params
        params = [pytest.mark.skipif(False, reason='dont skip')('parameter')]

        @pytest.fixture(params=params)
        def parameter(request):
            return request.param

        def test_1(parameter):
            assert True
        """
        )
    )
    rec = zenrunner.inline_run("-W", "ignore")
    rec.assertoutcome(skipped=1)


def test_reevaluate_dynamic_expr(zenrunner) -> None:
    f1 = zenrunner.makepyfile(
        pipeline_reevaluate_dynamic_expr1=P(
            """
        import pytest

        skip = True

        @pytest.mark.skipif("skip")
        def test_should_skip():
            assert True
        """
        )
    )
    f2 = zenrunner.makepyfile(
        pipeline_reevaluate_dynamic_expr2=P(
            """
        import pytest

        skip = False

        @pytest.mark.skipif("skip")
        def test_should_not_skip():
            assert True
        """
        )
    )
    rec = zenrunner.inline_run(f1.name, f2.name)
    rec.assertoutcome(passed=1, skipped=1)


def test_select_simple(zenrunner) -> None:  # TestKeywordSelection, its module-level function
    file_test = zenrunner.makepyfile(
        P("def test_one():\n    assert 0\n\ndef test_two():\n    assert 42 == 43\n")
    )

    def check(keyword, name):
        rec = zenrunner.inline_run("-s", "-k", keyword, file_test)
        _passed, _skipped, failed = rec.listoutcomes()
        assert len(failed) == 1
        assert failed[0].nodeid.split("::")[-1] == name
        assert len(rec.getcalls("zenrun_deselected")) == 1

    for keyword in ["test_one", "est_on"]:
        check(keyword, "test_one")


def test_keyword_extra(zenrunner) -> None:
    p = zenrunner.makepyfile(P("def test_one():\n    assert 0\ntest_one.mykeyword = True\n"))
    rec = zenrunner.inline_run("-k", "mykeyword", p)
    _passed, _skipped, failed = rec.countoutcomes()
    assert failed == 1


@pytest.mark.parametrize("keyword", ["__", "+", ".."])
def test_no_magic_values(zenrunner, keyword: str) -> None:
    p = zenrunner.makepyfile(P("def test_one(): assert 1\n"))
    rec = zenrunner.inline_run("-k", keyword, p)
    passed, skipped, failed = rec.countoutcomes()
    dlist = rec.getcalls("zenrun_deselected")
    assert passed + skipped + failed == 0
    assert len(dlist[0].items) == 1


def test_no_match_directories_outside_the_suite(zenrunner, monkeypatch) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makefile(".ini", **{"suite/zenrun": "[zenrun]"})
    zenrunner.makepyfile(
        **{
            "suite/ddd/pipelines/__init__": "",
            "suite/ddd/pipelines/pipeline_foo": P("def test_aaa(): pass\ndef test_ddd(): pass\n"),
        }
    )
    monkeypatch.chdir(zenrunner.path / "suite")

    def get_collected_names(*args: str) -> list[str]:
        rec = zenrunner.inline_run("--co", *args)
        calls = rec.getcalls("zenrun_collection_finish")
        assert len(calls) == 1
        return [x.name for x in calls[0].session.items]

    assert get_collected_names() == ["test_aaa", "test_ddd"]
    assert get_collected_names("-k", zenrunner.path.name) == []


@pytest.mark.parametrize("lhs, rhs, expected", [("foo", "foo", True), ("foo", "bar", False)])
def test_mark_decorator_eq(lhs, rhs, expected) -> None:
    import zenrun

    assert (getattr(zenrun.mark, lhs)() == getattr(zenrun.mark, rhs)()) == expected
    assert (zenrun.mark.foo() == "bar") is False
    assert ("foo" == zenrun.mark.bar()) is False


def test_mark_decorator_aliases() -> None:
    import zenrun

    md = zenrun.mark.foo(1, "2", three=3)
    assert md.name == "foo"
    assert md.args == (1, "2")
    assert md.kwargs == {"three": 3}


def test_parameterset_for_parametrize_marks_invalid(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nempty_parameter_set_mark=dontcare\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.USAGE_ERROR
    # pytest: "config option 'X' expects one of 'skip' | 'xfail' | 'fail_at_collect', got 'dontcare'"
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *tox.ini: empty_parameter_set_mark must be one of skip, xfail, fail_at_collect, not 'dontcare'"
        ]
    )


@pytest.mark.parametrize("mark", [None, "skip", "xfail"])
def test_parameterset_for_parametrize_marks(zenrunner, mark) -> None:
    if mark is not None:
        zenrunner.makeini(f"[zenrun]\nempty_parameter_set_mark={mark}\n")
    zenrunner.makepyfile(
        P(
            """
        import pytest
        @pytest.mark.parametrize("a", [])
        def test(a):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess("-rsx")
    expected = mark or "skip"
    result.assert_outcomes(**{"skipped" if expected == "skip" else "xfailed": 1})
    result.stdout.fnmatch_lines(["*got empty parameter set *"])


def test_parameterset_for_fail_at_collect(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nempty_parameter_set_mark=fail_at_collect\n")
    p1 = zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.parametrize("empty", [])
        def test():
            pass
        """,
            pre=False,
        ).replace("@pipeline", "@zenrun.pipeline")
    )
    result = zenrunner.runzenrun_inprocess(str(p1))
    result.stdout.fnmatch_lines(
        [
            "collected 0 pipelines / 1 error",
            f"* ERROR collecting {p1.name} *",
            "Empty parameter set in 'test' at line 3",
            "*= 1 error in *",
        ]
    )
    assert result.ret == ExitCode.INTERRUPTED


def test_paramset_empty_no_idfunc(zenrunner) -> None:
    p1 = zenrunner.makepyfile(
        textwrap.dedent(
            """\
        import zenrun

        def idfunc(value):
            raise ValueError()
        @zenrun.mark.parametrize("param", [], ids=idfunc)
        @zenrun.pipeline
        def test(param):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess(p1, "-v", "-rs")
    result.stdout.fnmatch_lines(
        [
            "* collected 1 pipeline",
            f"{p1.stem}* SKIPPED *",
            f"SKIPPED [1] {p1.name}:5: got empty parameter set for (param)",
            "*= 1 skipped in *",
        ]
    )


def test_markers_from_parametrize(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        first_custom_mark = pytest.mark.custom_marker
        custom_mark = pytest.mark.custom_mark
        @pytest.fixture(autouse=True)
        def trigger(request):
            custom_mark = list(request.node.iter_markers('custom_mark'))
            print("Custom mark %s" % custom_mark)

        @custom_mark("custom mark non parametrized")
        def test_custom_mark_non_parametrized():
            print("Hey from test")

        @pytest.mark.parametrize(
            "obj_type",
            [
                first_custom_mark("first custom mark")("template"),
                pytest.param(
                    "disk",
                    marks=custom_mark('custom mark1')
                ),
                custom_mark("custom mark2")("vm"),
            ]
        )
        def test_custom_mark_parametrized(obj_type):
            print("obj_type is:", obj_type)
        """
        )
    )
    result = zenrunner.runzenrun_inprocess("-W", "ignore")
    result.assert_outcomes(passed=4)


def test_param_id_requires_string() -> None:
    import zenrun

    with pytest.raises(TypeError) as excinfo:
        zenrun.param(id=True)  # type: ignore[arg-type]
    (msg,) = excinfo.value.args
    assert msg == "Expected id to be a string or a `zenrun.HIDDEN_PARAM` sentinel, got <class 'bool'>: True"


@pytest.mark.parametrize("s", (None, "hello world"))
def test_param_id_allows_none_or_string(s) -> None:
    import zenrun

    assert zenrun.param(id=s)


@pytest.mark.parametrize("expr", ("NOT internal_err", "NOT (internal_err)", "bogus="))
def test_marker_expr_eval_failure_handling(zenrunner, expr) -> None:
    foo = zenrunner.makepyfile(P("import pytest\n@pytest.mark.internal_err\ndef test_foo():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess(foo, "-m", expr)
    result.stderr.fnmatch_lines([f"ERROR: Wrong expression passed to '-m': {expr}: *"])
    assert result.ret == ExitCode.USAGE_ERROR


@pytest.mark.parametrize("order", ["on_marked", "marks_on_fixture", "between"])
def test_fixture_disallow_marks(order) -> None:
    import zenrun

    with pytest.raises(zenrun.fail.Exception, match=r"Marks cannot be applied to fixtures"):
        if order == "on_marked":

            @zenrun.fixture
            @zenrun.mark.parametrize("example", ["hello"])
            @zenrun.mark.usefixtures("tmp_path")
            def foo():
                raise NotImplementedError()
        elif order == "marks_on_fixture":

            @zenrun.mark.parametrize("example", ["hello"])
            @zenrun.mark.usefixtures("tmp_path")
            @zenrun.fixture
            def foo():
                raise NotImplementedError()
        else:

            @zenrun.mark.parametrize("example", ["hello"])
            @zenrun.fixture
            @zenrun.mark.usefixtures("tmp_path")
            def foo():
                raise NotImplementedError()


def test_module_getattr_without_attributeerror(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        def __getattr__(key):
            return None

        def test_something():
            assert True
        """
        )
    )
    # pytest warns that it cannot collect from such a module (PytestCollectionWarning); zenrun
    # collects the module's @pipeline objects, which a __getattr__ does not hide
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != ExitCode.INTERNAL_ERROR
    result.assert_outcomes(passed=1)


# ---------------------------------------------------------------------------
# testing/test_collection.py
# ---------------------------------------------------------------------------


def ensure_file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


HELLO = P("def test_hello(): pass\n")


def test_ignored_certain_directories(zenrunner) -> None:
    tmp_path = zenrunner.path
    for d in ("build", "dist", "_darcs", "CVS", "{arch}", ".whatever", ".bzr"):
        ensure_file(tmp_path / d / "pipeline_notfound.py")
    ensure_file(tmp_path / "normal" / "pipeline_found.py")
    for x in tmp_path.rglob("pipeline_*.py"):
        x.write_text(HELLO, encoding="utf-8")
    result = zenrunner.runzenrun_inprocess("--collect-only")
    s = result.stdout.str()
    assert "pipeline_notfound" not in s
    assert "pipeline_found" in s


ENVS = pytest.mark.parametrize(
    "env_path",
    [pytest.param(("pyvenv.cfg",), id="venv"), pytest.param(("conda-meta", "history"), id="conda")],
)


@ENVS
def test_ignored_virtualenvs(zenrunner, env_path) -> None:
    ensure_file(zenrunner.path.joinpath("virtual", *env_path))
    ensure_file(zenrunner.path / "virtual" / "pipeline_invenv.py").write_text(HELLO)
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*pipeline_invenv*")
    result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv")
    assert "pipeline_invenv" in result.stdout.str()
    result = zenrunner.runzenrun_inprocess("virtual")
    assert "pipeline_invenv" in result.stdout.str()


@ENVS
def test_ignored_virtualenvs_norecursedirs_precedence(zenrunner, env_path) -> None:
    ensure_file(zenrunner.path.joinpath(".virtual", *env_path))
    ensure_file(zenrunner.path / ".virtual" / "pipeline_invenv.py").write_text(HELLO)
    result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv")
    result.stdout.no_fnmatch_line("*pipeline_invenv*")
    result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv", ".virtual")
    assert "pipeline_invenv" in result.stdout.str()


def test_custom_norecursedirs(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nnorecursedirs = mydir xyz*\n")
    tmp_path = zenrunner.path
    ensure_file(tmp_path / "mydir" / "pipeline_hello.py").write_text(P("def test_1(): pass\n"))
    ensure_file(tmp_path / "xyz123" / "pipeline_2.py").write_text(P("def test_2(): 0/0\n"))
    ensure_file(tmp_path / "xy" / "pipeline_ok.py").write_text(P("def test_3(): pass\n"))
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=1)
    rec = zenrunner.inline_run("xyz123/pipeline_2.py")
    rec.assertoutcome(failed=1)


def _names(zenrunner, *args) -> list[str]:
    rec = zenrunner.inline_run("--co", *args)
    (call,) = rec.getcalls("zenrun_collection_finish")
    return [x.name for x in call.session.items]


def test_pipelinepaths_ini(zenrunner, monkeypatch) -> None:
    zenrunner.makeini("[zenrun]\npipelinepaths = */pipelines\n")
    tmp_path = zenrunner.path
    ensure_file(tmp_path / "a" / "pipeline_1.py").write_text(P("def test_a(): pass\n"))
    ensure_file(tmp_path / "b" / "pipelines" / "pipeline_2.py").write_text(P("def test_b(): pass\n"))
    ensure_file(tmp_path / "c" / "pipelines" / "pipeline_3.py").write_text(P("def test_c(): pass\n"))
    assert _names(zenrunner, "-v") == ["test_b", "test_c"]
    for dirname in ("a", "b", "c"):
        assert _names(zenrunner, tmp_path.joinpath(dirname)) == [f"test_{dirname}"]
    for dirname in ("a", "b", "c"):
        monkeypatch.chdir(tmp_path.joinpath(dirname))
        assert _names(zenrunner) == [f"test_{dirname}"]


def test_ignore_collect_path(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_ignore_collect(collection_path, config):
            return collection_path.name.startswith("x") or collection_path.name == "pipeline_one.py"
        """
    )
    sub = zenrunner.mkdir("xy123")
    ensure_file(sub / "pipeline_hello.py").write_text("syntax error")
    sub.joinpath("conftest.py").write_text("syntax error")
    zenrunner.makepyfile(HELLO)
    zenrunner.makepyfile(pipeline_one="syntax error")
    result = zenrunner.runzenrun_inprocess("--fulltrace")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_ignore_collect_not_called_on_argument(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_ignore_collect(collection_path, config):
            return True
        """
    )
    p = zenrunner.makepyfile(HELLO)
    result = zenrunner.runzenrun_inprocess(p)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*collected 0 pipelines*"])


def test_collectignore_exclude_on_option(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        from pathlib import Path

        class MyPathLike:
            def __init__(self, path):
                self.path = path
            def __fspath__(self):
                return "path"

        collect_ignore = [MyPathLike('hello'), 'pipeline_world.py', Path('bye')]

        def zenrun_addoption(parser):
            parser.addoption("--XX", action="store_true", default=False)

        def zenrun_configure(config):
            if config.getvalue("XX"):
                collect_ignore[:] = []
        """
    )
    zenrunner.mkdir("hello")
    zenrunner.makepyfile(pipeline_world=HELLO)
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED
    result.stdout.no_fnmatch_line("*passed*")
    result = zenrunner.runzenrun_inprocess("--XX")
    assert result.ret == 0
    assert "passed" in result.stdout.str()


def test_collectignoreglob_exclude_on_option(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        collect_ignore_glob = ['*w*l[dt]*']
        def zenrun_addoption(parser):
            parser.addoption("--XX", action="store_true", default=False)
        def zenrun_configure(config):
            if config.getvalue("XX"):
                collect_ignore_glob[:] = []
        """
    )
    zenrunner.makepyfile(pipeline_world=HELLO)
    zenrunner.makepyfile(pipeline_welt=P("def test_hallo(): pass\n"))
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*collected 0 pipelines*"])
    result = zenrunner.runzenrun_inprocess("--XX")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*2 passed*"])


def test_collect_two_commandline_args(zenrunner) -> None:
    p = zenrunner.makepyfile(HELLO)
    aaa = zenrunner.mkpydir("aaa")
    bbb = zenrunner.mkpydir("bbb")
    p.replace(aaa / "pipeline_aaa.py")
    (aaa / "pipeline_aaa.py").rename(aaa / "pipeline_aaa.py")
    (bbb / "pipeline_bbb.py").write_text(HELLO)
    (aaa / "pipeline_aaa.py").write_text(HELLO)
    result = zenrunner.runzenrun_inprocess("--co", "-q", "bbb", "aaa")
    result.stdout.fnmatch_lines(["bbb/pipeline_bbb.py::test_hello", "aaa/pipeline_aaa.py::test_hello"])


def test_collect_parametrized_order(zenrunner) -> None:
    p = zenrunner.makepyfile(
        P("import pytest\n\n@pytest.mark.parametrize('i', [0, 1, 2])\ndef test_param(i): ...\n")
    )
    rec = zenrunner.inline_run("--co", f"{p.name}::test_param", f"{p.name}::test_param[0]")
    (call,) = rec.getcalls("zenrun_collection_finish")
    assert [x.name for x in call.session.items] == ["test_param[0]", "test_param[1]", "test_param[2]"]


def test_issue345(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        def test_should_not_be_selected():
            assert False, 'I should not have been selected to run'

        def test___repr__():
            pass
        """
        )
    )
    rec = zenrunner.inline_run("-k repr")
    rec.assertoutcome(passed=1, failed=0)


def test_keyword_matching_is_case_insensitive_by_default(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        def test_sPeCiFiCToPiC_1():
            assert True

        @pytest.mark.sPeCiFiCToPic_3
        def test():
            assert True

        def test_failing_5():
            assert False, "This should not match"
        """
        )
    )
    for expression in ("specifictopic", "SPECIFICTOPIC", "SpecificTopic"):
        rec = zenrunner.inline_run("-W", "ignore", "-k " + expression)
        rec.assertoutcome(passed=2, failed=0)


COLLECTION_ERROR_PY_FILES = dict(
    pipeline_01_failure=P("def test_1():\n    assert False\n"),
    pipeline_02_import_error=P("import asdfasdfasdf\ndef test_2():\n    assert True\n"),
    pipeline_03_import_error=P("import asdfasdfasdf\ndef test_3():\n    assert True\n"),
    pipeline_04_success=P("def test_4():\n    assert True\n"),
)


def test_exit_on_collection_error(zenrunner) -> None:
    zenrunner.makepyfile(**COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 2
    res.stdout.fnmatch_lines(
        [
            "collected 2 pipelines / 2 errors",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*ERROR collecting pipeline_03_import_error.py*",
            "*No module named *asdfa*",
        ]
    )


def test_exit_on_collection_with_maxfail_smaller_than_n_errors(zenrunner) -> None:
    zenrunner.makepyfile(**COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--maxfail=1")
    assert res.ret == 1
    res.stdout.fnmatch_lines(
        [
            "collected 1 pipeline / 1 error",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*! stopping after 1 failures !*",
            "*= 1 error in *",
        ]
    )
    res.stdout.no_fnmatch_line("*pipeline_03*")


def test_exit_on_collection_with_maxfail_bigger_than_n_errors(zenrunner) -> None:
    zenrunner.makepyfile(**COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--maxfail=4")
    assert res.ret == 2
    res.stdout.fnmatch_lines(
        [
            "collected 2 pipelines / 2 errors",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*ERROR collecting pipeline_03_import_error.py*",
            "*No module named *asdfa*",
            "*! Interrupted: 2 errors during collection !*",
            "*= 2 errors in *",
        ]
    )


def test_continue_on_collection_errors(zenrunner) -> None:
    zenrunner.makepyfile(**COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--continue-on-collection-errors")
    assert res.ret == 1
    res.stdout.fnmatch_lines(["collected 2 pipelines / 2 errors", "*1 failed, 1 passed, 2 errors*"])


def test_continue_on_collection_errors_maxfail(zenrunner) -> None:
    zenrunner.makepyfile(**COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--continue-on-collection-errors", "--maxfail=3")
    assert res.ret == 1
    res.stdout.fnmatch_lines(["collected 2 pipelines / 2 errors", "*1 failed, 2 errors*"])


def test_collect_handles_raising_on_dunder_class(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        class ImproperlyConfigured(Exception):
            pass

        class RaisesOnGetAttr(object):
            def raises(self):
                raise ImproperlyConfigured

            __class__ = property(raises)

        raises = RaisesOnGetAttr()


        def test_1():
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)
    assert result.ret == 0


def test_collect_with_chdir_during_import(zenrunner) -> None:
    subdir = zenrunner.mkdir("sub")
    zenrunner.path.joinpath("conftest.py").write_text(f"import os\nos.chdir({str(subdir)!r})\n")
    zenrunner.makepyfile(P(f"def test_1():\n    import os\n    assert os.getcwd() == {str(subdir)!r}\n"))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed in*"])
    assert result.ret == 0
    zenrunner.makeini("[zenrun]\npipelinepaths = .\n")
    result = zenrunner.runzenrun_inprocess("--collect-only")
    result.stdout.fnmatch_lines(["collected 1 pipeline"])


def test_collect_symlink_file_arg(zenrunner) -> None:
    real = zenrunner.makepyfile(
        real=P('def test_nodeid(request):\n    assert request.node.nodeid == "symlink.py::test_nodeid"\n')
    )
    symlink = zenrunner.path.joinpath("symlink.py")
    symlink.symlink_to(real)
    result = zenrunner.runzenrun_inprocess("-v", symlink)
    result.stdout.fnmatch_lines(["symlink.py::test_nodeid PASSED*", "*1 passed in*"])
    assert result.ret == 0


def test_collect_symlink_out_of_tree(zenrunner, monkeypatch) -> None:
    sub = zenrunner.mkdir("sub")
    sub.joinpath("pipeline_real.py").write_text(
        P('def test_nodeid(request):\n    assert request.node.nodeid == "pipeline_real.py::test_nodeid"\n')
    )
    out_of_tree = zenrunner.mkdir("out_of_tree")
    symlink_to_sub = out_of_tree.joinpath("symlink_to_sub")
    symlink_to_sub.symlink_to(sub)
    monkeypatch.chdir(sub)
    result = zenrunner.runzenrun_inprocess("-vs", f"--rootdir={sub}", symlink_to_sub)
    result.stdout.fnmatch_lines(["pipeline_real.py::test_nodeid PASSED*"])
    assert result.ret == 0


def test_collect_symlink_dir(zenrunner) -> None:
    d = zenrunner.mkdir("dir")
    d.joinpath("pipeline_it.py").write_text(P("def test_it(): pass\n"))
    zenrunner.path.joinpath("symlink_dir").symlink_to(d)
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=2)


def test_collectignore_via_conftest(zenrunner) -> None:
    pipelines = zenrunner.mkpydir("pipelines")
    pipelines.joinpath("conftest.py").write_text("collect_ignore = ['ignore_me']")
    ignore_me = pipelines.joinpath("ignore_me")
    ignore_me.mkdir()
    ignore_me.joinpath("__init__.py").touch()
    ignore_me.joinpath("conftest.py").write_text("assert 0, 'should_not_be_called'")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED


def test_does_not_crash_on_recursive_symlink(zenrunner) -> None:
    zenrunner.makepyfile(P("def test_foo(): assert True\n"))
    zenrunner.path.joinpath("recursive").symlink_to("recursive")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.OK
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("exception_class", "msg"),
    [(KeyboardInterrupt, "*!!! KeyboardInterrupt !!!*"), (SystemExit, "INTERNALERROR> SystemExit")],
)
def test_respect_system_exceptions(zenrunner, exception_class, msg) -> None:
    head, tail = "Before exception", "After exception"
    ensure_file(zenrunner.path / "pipeline_eggs.py").write_text(f"print('{head}')")
    ensure_file(zenrunner.path / "pipeline_ham.py").write_text(f"raise {exception_class.__name__}()")
    ensure_file(zenrunner.path / "pipeline_spam.py").write_text(f"print('{tail}')")
    result = zenrunner.runzenrun_subprocess("-s")
    result.stdout.fnmatch_lines([f"*{head}*"])
    result.stdout.fnmatch_lines([msg])
    result.stdout.no_fnmatch_line(f"*{tail}*")


def test_yield_disallowed_in_tests(zenrunner) -> None:
    zenrunner.makepyfile("import zenrun\n\n@zenrun.pipeline\ndef test_with_yield():\n    yield 1\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*'yield' keyword is allowed in fixtures, but not in *(test_with_yield)*"])
    result.stdout.fnmatch_lines(["*collected 0 pipelines*"])


def test_annotations_deferred_future(zenrunner) -> None:
    zenrunner.makepyfile(
        "from __future__ import annotations\nimport zenrun\n"
        + P("def test_func():\n    x: Unknown = 1\n", pre=False).replace("@pipeline", "@zenrun.pipeline")
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != ExitCode.INTERNAL_ERROR


@pytest.mark.parametrize(
    "args", [("src", "src/a"), ("src/a", "src"), ("src/a/pipeline_a.py", "src")], ids=["p-c", "c-p", "f-p"]
)
def test_overlapping_parent_child(zenrunner, args) -> None:
    zenrunner.makepyfile(
        **{
            "src/a/pipeline_a": P("def test_a1(): pass\ndef test_a2(): pass\n"),
            "src/b/pipeline_b": P("def test_b1(): pass\ndef test_b2(): pass\n"),
        }
    )
    result = zenrunner.runzenrun_inprocess("--co", "-q", *args)
    lines = [x for x in result.outlines if "::" in x]
    if args[0] == "src/a/pipeline_a.py":
        assert lines[:2] == ["src/a/pipeline_a.py::test_a1", "src/a/pipeline_a.py::test_a2"]
        assert len(lines) == 4
    else:
        assert sorted(lines) == [
            "src/a/pipeline_a.py::test_a1",
            "src/a/pipeline_a.py::test_a2",
            "src/b/pipeline_b.py::test_b1",
            "src/b/pipeline_b.py::test_b2",
        ]


def test_keep_duplicates_flag(zenrunner) -> None:
    zenrunner.makepyfile(**{"pkg/pipeline_x": P("def test_a(): pass\ndef test_b(): pass\n")})
    result = zenrunner.runzenrun_inprocess("--co", "-q", "pkg", "pkg/pipeline_x.py")
    assert len([x for x in result.outlines if "::" in x]) == 2
    result = zenrunner.runzenrun_inprocess("--co", "-q", "--keep-duplicates", "pkg", "pkg/pipeline_x.py")
    assert len([x for x in result.outlines if "::" in x]) == 4


@pytest.mark.parametrize(
    ["x_y", "expected_duplicates"],
    [
        ([(1, 1), (1, 1)], ["1-1"]),
        ([(1, 1), (1, 2), (1, 1)], ["1-1"]),
        ([(1, 1), (2, 2), (1, 1)], ["1-1"]),
        ([(1, 1), (2, 2), (1, 2), (2, 1), (1, 1), (2, 1)], ["1-1", "2-1"]),
    ],
)
@pytest.mark.parametrize("option_name", ["strict_parametrization_ids", "strict"])
def test_strict_parametrization_ids(zenrunner, x_y, expected_duplicates, option_name) -> None:
    zenrunner.makeini(f"[zenrun]\n{option_name} = true\n")
    zenrunner.makepyfile(
        P(
            f"""
        import pytest

        @pytest.mark.parametrize(["x", "y"], {x_y})
        def test1(x, y):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.INTERRUPTED
    result.stdout.no_fnmatch_line("*Unknown config option*")  # a key zenrun knows, as pytest 9's
    expected_parametersets = ", ".join(str(list(p)) for p in x_y)
    expected_ids = ", ".join(f"{x}-{y}" for x, y in x_y)
    result.stdout.fnmatch_lines(
        [
            "Duplicate parametrization IDs detected*",
            "",
            "*name:  *::test1",
            "Parameters:     x, y",
            f"Parameter sets: {expected_parametersets}",
            f"IDs:            {expected_ids}",
            f"Duplicates:     {', '.join(expected_duplicates)}",
            "",
            "You can fix this problem using *",
        ]
    )


def test_strict_parametrization_ids_with_hidden_param(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nstrict_parametrization_ids = true\n")
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.mark.parametrize(["x"], ["a", pytest.param("a", id=pytest.HIDDEN_PARAM), "a"])
        def test1(x):
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["Duplicate parametrization IDs detected*", "IDs:            a, <hidden>, a", "Duplicates:     a"]
    )


# ---------------------------------------------------------------------------
# testing/python/collect.py (module and function cases; the class ones are not ported)
# ---------------------------------------------------------------------------


def test_import_duplicate(zenrunner) -> None:
    a = zenrunner.mkdir("a")
    b = zenrunner.mkdir("b")
    p1 = a.joinpath("pipeline_whatever.py")
    p1.write_text(HELLO)
    p2 = b.joinpath("pipeline_whatever.py")
    p2.write_text(HELLO)
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "*import*mismatch*",
            "*imported*pipeline_whatever*",
            f"*{p1}*",
            "*not the same*",
            f"*{p2}*",
            "*HINT*",
        ]
    )


def test_invalid_module_name(zenrunner) -> None:
    a = zenrunner.mkdir("a")
    a.joinpath("pipeline_one.part1.py").touch()
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "ImportError while importing *module*pipeline_one.part1*",
            "Hint: make sure your * modules/packages have valid Python names.",
        ]
    )


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_show_traceback_import_error(zenrunner, verbose: int) -> None:
    zenrunner.makepyfile(
        foo_traceback_import_error="from bar_traceback_import_error import NOT_AVAILABLE\n",
        bar_traceback_import_error="",
    )
    zenrunner.makepyfile("import foo_traceback_import_error\n")
    result = zenrunner.runzenrun_inprocess(*(("-v",) * verbose))
    result.stdout.fnmatch_lines(
        [
            "ImportError while importing *module*",
            "Traceback:",
            "*from bar_traceback_import_error import NOT_AVAILABLE",
            "*cannot import name *NOT_AVAILABLE*",
        ]
    )
    assert result.ret == 2
    stdout = result.stdout.str()
    if verbose == 2:
        assert "zenrun/" in stdout
    else:
        assert "zenrun/" not in stdout.replace(str(zenrunner.path), "")


def test_show_traceback_import_error_unicode(zenrunner) -> None:
    zenrunner.makepyfile("raise ImportError('Something bad happened ☺')")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["ImportError while importing *module*", "Traceback:", "*raise ImportError*Something bad happened*"]
    )
    assert result.ret == 2


def test_issue197_parametrize_emptyset(zenrunner) -> None:
    zenrunner.makepyfile(
        P("import pytest\n@pytest.mark.parametrize('arg', [])\ndef test_function(arg):\n    pass\n")
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(skipped=1)


def test_single_tuple_unwraps_values(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            "import pytest\n@pytest.mark.parametrize(('arg',), [(1,)])\ndef test_function(arg):\n    assert arg == 1\n"
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=1)


def test_issue213_parametrize_value_no_equal(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest
        class A(object):
            def __eq__(self, other):
                raise ValueError("not possible")
        @pytest.mark.parametrize('arg', [A()])
        def test_function(arg):
            assert arg.__class__.__name__ == "A"
        """
        )
    )
    rec = zenrunner.inline_run("--fulltrace")
    rec.assertoutcome(passed=1)


def test_parametrize_with_non_hashable_values(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        archival_mapping = {
            '1.0': {'tag': '1.0'},
            '1.2.2a1': {'tag': 'release-1.2.2a1'},
        }

        import pytest
        @pytest.mark.parametrize('key value'.split(),
                                 archival_mapping.items())
        def test_archival_to_version(key, value):
            assert key in archival_mapping
            assert value == archival_mapping[key]
        """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=2)


def test_parametrize_overrides_fixture(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        import pytest

        @pytest.fixture
        def value():
            return 'value'

        @pytest.mark.parametrize('value',
                                 ['overridden'])
        def test_overridden_via_param(value):
            assert value == 'overridden'

        @pytest.mark.parametrize('somevalue', ['overridden'])
        def test_not_overridden(value, somevalue):
            assert value == 'value'
            assert somevalue == 'overridden'

        @pytest.mark.parametrize('other,value', [('foo', 'overridden')])
        def test_overridden_via_multiparam(other, value):
            assert other == 'foo'
            assert value == 'overridden'
        """
        )
    )
    rec = zenrunner.inline_run()
    rec.assertoutcome(passed=3)


def test_parametrize_with_mark(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P(
                """
        import pytest
        @pytest.mark.foo
        @pytest.mark.parametrize('arg', [
            1,
            pytest.param(2, marks=[pytest.mark.baz, pytest.mark.bar])
        ])
        def test_function(arg):
            pass
        """
            )
        )
    )
    keywords = [item.keywords for item in items]
    assert "foo" in keywords[0] and "bar" not in keywords[0] and "baz" not in keywords[0]
    assert "foo" in keywords[1] and "bar" in keywords[1] and "baz" in keywords[1]


def test_parametrize_with_empty_string_arguments(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P(
                """\
        import pytest
        @pytest.mark.parametrize('v', ('', ' '))
        @pytest.mark.parametrize('w', ('', ' '))
        def test(v, w): ...
        """
            )
        )
    )
    assert {item.name for item in items} == {"test[-]", "test[ -]", "test[- ]", "test[ - ]"}


def test_function_equality_with_callspec(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P("import pytest\n@pytest.mark.parametrize('arg', [1,2])\ndef test_function(arg):\n    pass\n")
        )
    )
    assert items[0] != items[1]
    assert not (items[0] == items[1])


def test_multiple_parametrize(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P(
                """
        import pytest
        @pytest.mark.parametrize('x', [0, 1])
        @pytest.mark.parametrize('y', [2, 3])
        def test1(x, y):
            pass
        """
            )
        )
    )
    assert [i.name for i in items] == ["test1[2-0]", "test1[2-1]", "test1[3-0]", "test1[3-1]"]


@pytest.mark.parametrize(
    ("mark", "body", "expected"),
    [
        ("pytest.mark.skipif('True')", "assert x < 2", "* 2 passed, 1 skipped in *"),
        ("pytest.mark.skip('')", "assert x < 2", "* 2 passed, 1 skipped in *"),
        ("pytest.mark.xfail('True')", "assert x < 2", "* 2 passed, 1 xfailed in *"),
        ("pytest.mark.xfail('True')", "pass", "* 2 passed, 1 xpassed in *"),
    ],
    ids=["skipif", "skip", "xfail", "xpassed"],
)
def test_parametrize_marks_param(zenrunner, mark, body, expected) -> None:
    zenrunner.makepyfile(
        P(
            f"""
        import pytest
        m = {mark}
        @pytest.mark.parametrize('x', [0, 1, pytest.param(2, marks=m)])
        def test_it(x):
            {body}
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines([expected])


@pytest.mark.parametrize(
    ("mark", "body", "expected"),
    [
        ("pytest.mark.skipif('False')", "assert x < 2", "* 1 failed, 2 passed in *"),
        ("pytest.mark.xfail('False')", "pass", "* 3 passed in *"),
    ],
    ids=["skipif_no_skip", "xfail_passed"],
)
def test_parametrize_mark_applied_to_value(zenrunner, mark, body, expected) -> None:
    # pytest's test_parametrize_skipif_no_skip / test_parametrize_xfail_passed: m(2), a mark
    # applied to a plain value, is the value with the mark (pytest: a value's marks)
    zenrunner.makepyfile(
        P(
            f"""
        import pytest
        m = {mark}
        @pytest.mark.parametrize('x', [0, 1, m(2)])
        def test_it(x):
            {body}
        """
        )
    )
    result = zenrunner.runzenrun_inprocess("-W", "ignore")
    result.stdout.fnmatch_lines([expected])


def test_function_originalname(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P(
                """
        import pytest

        @pytest.mark.parametrize('arg', [1,2])
        def test_func(arg):
            pass

        def test_no_param():
            pass
        """
            )
        )
    )
    assert [x.originalname for x in items] == ["test_func", "test_func", "test_no_param"]


def test_allow_sane_sorting_for_decorators(zenrunner) -> None:
    items = zenrunner.getitems(
        zenrunner.makepyfile(
            P(
                """
        import zenrun
        def dec(f):
            g = lambda: f(2)
            g.place_as = f
            return g

        def test_b(y):
            pass
        test_b = dec(test_b)

        def test_a(y):
            pass
        test_a = dec(test_a)
        """
            )
            .replace("@pipeline\ndef test_b", "def test_b")
            .replace("@pipeline\ndef test_a", "def test_a")
            + "\ntest_b = pipeline(test_b)\ntest_a = pipeline(test_a)\n"
        )
    )
    assert [item.name for item in items] == ["test_b", "test_a"]


def test_customized_python_discovery(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\npython_files=check_*.py\n")
    p = zenrunner.makepyfile(check_simple=P("def test_func():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("--collect-only", "-s")
    result.stdout.fnmatch_lines(["*check_simple*", "*test_func*"])
    p.unlink()
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == ExitCode.NO_TESTS_COLLECTED


def test_unorderable_types(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        class TestJoinEmpty(object):
            pass

        def make_test():
            class Test(object):
                pass
            Test.__name__ = "TestFoo"
            return Test
        TestFoo = make_test()
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*TypeError*")
    assert result.ret == ExitCode.NO_TESTS_COLLECTED


def test_dont_collect_non_function_callable(zenrunner) -> None:
    zenrunner.makepyfile(
        P(
            """
        class Oh(object):
            def __call__(self):
                pass

        test_a = Oh()

        def test_real():
            pass
        """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_syntax_error_with_non_ascii_chars(zenrunner) -> None:
    zenrunner.makepyfile("☃")
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*invalid character*", "*1 error in*"])


def test_collect_error_with_fulltrace(zenrunner) -> None:
    zenrunner.makepyfile("assert 0")
    result = zenrunner.runzenrun_inprocess("--fulltrace")
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*assert 0*", "*AssertionError*"])


def test_skip_duplicates_by_default(zenrunner) -> None:
    a = zenrunner.mkdir("a")
    a.joinpath("pipeline_real.py").write_text(P("def test_real():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("-q", str(a), str(a))
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_keep_duplicates(zenrunner) -> None:
    a = zenrunner.mkdir("a")
    a.joinpath("pipeline_real.py").write_text(P("def test_real():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess("--keep-duplicates", str(a), str(a))
    result.stdout.fnmatch_lines(["*collected 2 pipeline*"])


def test_package_collection_infinite_recursion(zenrunner) -> None:
    zenrunner.makepyfile(
        **{
            "collectpkg/__init__": "",
            "collectpkg/conftest": "",
            "collectpkg/pipeline_pkg": P("def test_pkg():\n    pass\n"),
        }
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_package_collection_init_given_as_argument(zenrunner) -> None:
    # pytest's example collect/package_init_given_as_arg: only the __init__.py module's tests
    zenrunner.makepyfile(
        **{
            "pkg/__init__": P("def test_init():\n    pass\n"),
            "pkg/pipeline_foo": P("def test_foo():\n    pass\n"),
        }
    )
    assert _names(zenrunner, "pkg/__init__.py") == ["test_init"]


# ---------------------------------------------------------------------------
# testing/test_config.py (ini files, rootdir, addopts, -o, -c, strict config, required_plugins)
# ---------------------------------------------------------------------------


def _rootdir_project(zenrunner):
    (zenrunner.path / "zenrun.toml").unlink()
    return zenrunner


def test_tox_ini_wrong_version(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nminversion=999.0\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*tox.ini: 'minversion' requires zenrun-999.0, actual zenrun-*"])


@pytest.mark.parametrize(
    "section, name",
    [
        ("tool:zenrun", "setup.cfg"),
        ("zenrun", "tox.ini"),
        ("zenrun", "zenrun.ini"),
        ("zenrun", ".zenrun.ini"),
    ],
)
def test_ini_names(zenrunner, name, section) -> None:
    _rootdir_project(zenrunner).path.joinpath(name).write_text(f"[{section}]\nminversion = 0.0.36\n")
    config = zenrunner.parseconfig()
    assert config.getini("minversion") == "0.0.36"


def test_pyproject_toml(zenrunner) -> None:
    zenrunner.makepyprojecttoml('[tool.zenrun]\nminversion = "0.0.1"\n')
    config = zenrunner.parseconfig()
    assert config.getini("minversion") == "0.0.1"


def test_zenrun_toml_trumps_pyproject_toml(zenrunner) -> None:
    zenrunner.makepyprojecttoml('[tool.zenrun]\nminversion = "0.0.1"\n')
    zenrunner.maketoml('minversion = "0.0.2"\n')
    config = zenrunner.parseconfig()
    assert config.getini("minversion") == "0.0.2"


def test_zenrun_ini_trumps_pyproject_toml(zenrunner) -> None:
    zenrunner.makepyprojecttoml('[tool.zenrun]\nminversion = "0.0.1"\n')
    zenrunner.path.joinpath("zenrun.ini").write_text("[zenrun]\nminversion = 0.0.2\n")
    config = zenrunner.parseconfig()
    assert config.getini("minversion") == "0.0.2"


def test_toxini_before_lower_zenrunini(zenrunner) -> None:
    _rootdir_project(zenrunner)
    sub = zenrunner.mkdir("sub")
    sub.joinpath("tox.ini").write_text("[zenrun]\nminversion = 0.0.2\n")
    zenrunner.path.joinpath("zenrun.ini").write_text("[zenrun]\nminversion = 0.0.15\n")
    config = zenrunner.parseconfigure(sub)
    assert config.getini("minversion") == "0.0.2"


def test_ini_parse_error(zenrunner) -> None:
    _rootdir_project(zenrunner).path.joinpath("zenrun.ini").write_text("addopts = -x")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines("ERROR: *zenrun.ini:1: *")


def test_toml_parse_error(zenrunner) -> None:
    zenrunner.makepyprojecttoml('\\"\n')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines("ERROR: *pyproject.toml: *Invalid statement*")


def test_zenrun_toml_parse_error(zenrunner) -> None:
    zenrunner.maketoml('\\"\n')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines("ERROR: *zenrun.toml: *Invalid statement*")


@pytest.mark.parametrize(
    "ini_file_text, invalid_keys, warning_output, exception_text",
    [
        pytest.param(
            "[zenrun]\nunknown_ini = value1\nanother_unknown_ini = value2\n",
            ["unknown_ini", "another_unknown_ini"],
            [
                "=*= warnings summary =*=",
                "*ZenrunConfigWarning:*Unknown config option: another_unknown_ini",
                "*ZenrunConfigWarning:*Unknown config option: unknown_ini",
            ],
            "Unknown config option: another_unknown_ini",
            id="2-unknowns",
        ),
        pytest.param("[zenrun]\nminversion = 0.0.1\n", [], [], "", id="no-unknowns"),
        pytest.param("[zenrun]\nconftest_ini_key = 1\n", [], [], "", id="1-known"),
    ],
)
def test_invalid_config_options(
    zenrunner, ini_file_text, invalid_keys, warning_output, exception_text
) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("conftest_ini_key", "")
        """
    )
    zenrunner.makepyfile(P("def test(): pass\n"))
    zenrunner.makeini(ini_file_text)
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(warning_output)
    result = zenrunner.runzenrun_inprocess("--strict-config")
    if exception_text:
        result.stderr.fnmatch_lines("ERROR: " + exception_text)
        assert result.ret == ExitCode.USAGE_ERROR
    else:
        assert result.ret == ExitCode.OK


def test_silence_unknown_key_warning(zenrunner) -> None:
    zenrunner.makeini(
        """
        [zenrun]
        filterwarnings =
            ignore:Unknown config option:zenrun.ZenrunConfigWarning
        foobar=1
        """
    )
    zenrunner.makepyfile(P("def test(): pass\n"))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*ZenrunConfigWarning*")


@pytest.mark.parametrize("option", ["strict_config = true", "strict = true", "addopts = --strict-config"])
def test_strict_config_ini_option(zenrunner, option: str) -> None:
    zenrunner.makeini(f"[zenrun]\nunknown_option = 1\n{option}\n")
    result = zenrunner.runzenrun_inprocess()
    result.stderr.fnmatch_lines("ERROR: Unknown config option: unknown_option")
    assert result.ret == ExitCode.USAGE_ERROR


def test_disable_warnings_plugin_disables_config_warnings(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import warnings
        import zenrun
        def zenrun_configure(config):
            config.issue_config_time_warning(zenrun.ZenrunConfigWarning("custom config warning"), stacklevel=2)
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:warnings")
    result.stdout.no_fnmatch_line("*ZenrunConfigWarning*")


@pytest.mark.parametrize(
    "ini_file_text, exception_text",
    [
        pytest.param("[zenrun]\nrequired_plugins = a z\n", "Missing required plugins: a, z", id="2-missing"),
        pytest.param(
            "[zenrun]\nrequired_plugins = a q j b c z\n",
            "Missing required plugins: a, b, c, j, q, z",
            id="2-missing-1-ok",
        ),
        pytest.param(
            "[zenrun]\nrequired_plugins = zenrun-not-there>=1.0\n",
            "Missing required plugins: zenrun-not-there>=1.0",
            id="version",
        ),
        pytest.param(
            "[some_other_header]\nrequired_plugins = won't be triggered\n[zenrun]\n",
            None,
            id="invalid-header",
        ),
    ],
)
def test_missing_required_plugins(zenrunner, ini_file_text, exception_text) -> None:
    zenrunner.makeini(ini_file_text)
    result = zenrunner.runzenrun_inprocess("--co")
    if exception_text:
        assert result.ret == ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"*{exception_text}*"])
    else:
        assert result.ret in (ExitCode.OK, ExitCode.NO_TESTS_COLLECTED)


def test_explicitly_specified_config_file_is_loaded(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("custom", "")
        """
    )
    zenrunner.makeini("[zenrun]\ncustom = 0\n")
    zenrunner.makefile(".ini", custom="[zenrun]\ncustom = 1\n")
    config = zenrunner.parseconfig("-c", "custom.ini")
    assert config.getini("custom") == "1"
    config = zenrunner.parseconfig("--config-file", "custom.ini")
    assert config.getini("custom") == "1"
    zenrunner.makefile(".cfg", custom_tool_zenrun_section="[tool:zenrun]\ncustom = 1\n")
    config = zenrunner.parseconfig("-c", "custom_tool_zenrun_section.cfg")
    assert config.getini("custom") == "1"
    # [tool.zenrun] is native TOML, as pytest 9's [tool.pytest]: a string value is written as one
    zenrunner.makefile(
        ".toml", custom='[tool.zenrun]\ncustom = "1"\nvalue = [\n]  # this is here on purpose\n'
    )
    config = zenrunner.parseconfig("-c", "custom.toml")
    assert config.getini("custom") == "1"


def test_explicitly_specified_config_file_missing(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-c", "missing.ini")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*config file*missing.ini*not found*"])


def test_explicitly_specified_config_file_is_a_directory(zenrunner) -> None:
    zenrunner.mkdir("somedir")
    result = zenrunner.runzenrun_inprocess("-c", "somedir")
    assert result.ret == ExitCode.USAGE_ERROR


def test_addini_bool_and_override(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("strip", "", type="bool", default=True)
        """
    )
    zenrunner.makeini("[zenrun]\nstrip=no\n")
    config = zenrunner.parseconfig()
    assert config.getini("strip") is False
    config = zenrunner.parseconfig("-o", "strip=true")
    assert config.getini("strip") is True


def test_addinivalue_line_existing(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("xy", "", type="linelist")
        """
    )
    zenrunner.makeini("[zenrun]\nxy= 123\n")
    config = zenrunner.parseconfig()
    values = config.getini("xy")
    assert values == ["123"]
    config.addinivalue_line("xy", "456")
    values = config.getini("xy")
    assert values == ["123", "456"]


def test_override_ini_names(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("custom", "")
        """
    )
    zenrunner.makeini("[zenrun]\ncustom = 1.0\n")
    zenrunner.makepyfile(
        P(
            """
        def test_pass(zenrunconfig):
            ini_val = zenrunconfig.getini("custom")
            print('\\ncustom_option:%s\\n' % ini_val)
        """
        )
    )
    result = zenrunner.runzenrun_inprocess("--override-ini", "custom=2.0", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["custom_option:2.0"])
    result = zenrunner.runzenrun_inprocess("--override-ini", "custom=2.0", "--override-ini=custom=3.0", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["custom_option:3.0"])


def test_override_ini_usage_error_bad_style(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\nxdist_strict=False\n")
    result = zenrunner.runzenrun_inprocess("--override-ini", "xdist_strict", "True")
    result.stderr.fnmatch_lines(
        ["ERROR: -o/--override-ini expects option=value style (got: 'xdist_strict')."]
    )


def test_addopts_before_initini(zenrunner, monkeypatch) -> None:
    monkeypatch.setenv("ZENRUN_ADDOPTS", "-o cache_dir=foo")
    zenrunner.makeconftest("def zenrun_addoption(parser):\n    parser.addini('cache_dir', '')\n")
    config = zenrunner.parseconfig()
    assert config.getini("cache_dir") == "foo"


def test_addopts_from_env_not_concatenated(zenrunner, monkeypatch) -> None:
    monkeypatch.setenv("ZENRUN_ADDOPTS", "-o")
    result = zenrunner.runzenrun_inprocess("cache_dir=ignored")
    assert result.ret == ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument -o/--override-ini: expected one argument*"])


def test_addopts_from_ini_not_concatenated(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\naddopts=-o\n")
    result = zenrunner.runzenrun_inprocess("cache_dir=ignored")
    result.stderr.fnmatch_lines(["*argument -o/--override-ini: expected one argument*"])
    assert result.ret == ExitCode.USAGE_ERROR


def test_override_ini_does_not_contain_paths(zenrunner) -> None:
    zenrunner.makeconftest("def zenrun_addoption(parser):\n    parser.addini('cache_dir', '')\n")
    config = zenrunner.parseconfig("-o", "cache_dir=/cache", "/some/test/path")
    assert config.getini("cache_dir") == "/cache"


def test_multiple_override_ini_options(zenrunner) -> None:
    zenrunner.makepyfile(
        conftest="""
            def zenrun_addoption(parser):
                parser.addini('foo', default=None, help='some option')
                parser.addini('bar', default=None, help='some option')
            """,
        pipeline_foo=P(
            """
            def test(zenrunconfig):
                assert zenrunconfig.getini('foo') == '1'
                assert zenrunconfig.getini('bar') == '0'
            """
        ),
        pipeline_bar=P(
            """
            def test():
                assert False
            """
        ),
    )
    result = zenrunner.runzenrun_inprocess("-o", "foo=1", "-o", "bar=0", "pipeline_foo.py")
    assert "ERROR:" not in result.stderr.str()
    result.stdout.fnmatch_lines(["collected 1 pipeline", "*= 1 passed in *="])


def test_rootdir_option_arg(zenrunner, monkeypatch) -> None:
    _rootdir_project(zenrunner)
    monkeypatch.setenv("PY_ROOTDIR_PATH", str(zenrunner.path))
    rootdir = zenrunner.path / "root" / "pipelines"
    rootdir.mkdir(parents=True)
    zenrunner.makepyfile(P("import os\ndef test_one():\n    assert 1\n"))
    result = zenrunner.runzenrun_inprocess("--rootdir=$PY_ROOTDIR_PATH")
    result.stdout.fnmatch_lines([f"*rootdir: {zenrunner.path}", "*1 passed*"])
    result = zenrunner.runzenrun_inprocess(f"--rootdir={rootdir}")
    result.stdout.fnmatch_lines([f"*rootdir: {rootdir}", "*1 passed*"])


def test_rootdir_wrong_option_arg(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--rootdir=wrong_dir")
    result.stderr.fnmatch_lines(["*Directory *wrong_dir* not found. Check your '--rootdir' option.*"])


def test_config_in_subdirectory_colon_command_line_issue2148(zenrunner) -> None:
    conftest_source = """
        def zenrun_addoption(parser):
            parser.addini('foo', 'foo')
    """
    zenrunner.makefile(
        ".ini",
        **{
            "pipelines/zenrun": "[zenrun]\nfoo = root\n",
            "pipelines/subdir/zenrun": "[zenrun]\nfoo = subdir\n",
        },
    )
    zenrunner.makepyfile(
        **{
            "pipelines/conftest": conftest_source,
            "pipelines/subdir/conftest": conftest_source,
            "pipelines/subdir/pipeline_foo": P(
                """\
            def test_foo(zenrunconfig):
                assert zenrunconfig.getini('foo') == 'subdir'
            """
            ),
        }
    )
    result = zenrunner.runzenrun_inprocess("pipelines/subdir/pipeline_foo.py::test_foo")
    assert result.ret == 0


def test_collect_zenrun_prefix_bug_integration(zenrunner) -> None:
    # pytest's: a class named pytest_something is not taken for a plugin hook
    zenrunner.makepyfile(P("class zenrun_something(object):\n    pass\n\ndef test_it():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["* 1 passed *"])


def test_invalid_options_show_extra_information(zenrunner) -> None:
    zenrunner.makeini("[zenrun]\naddopts = --invalid-option\n")
    result = zenrunner.runzenrun_inprocess()
    result.stderr.fnmatch_lines(
        [
            "*ERROR: unrecognized arguments: --invalid-option*",
            "*  inifile: *tox.ini*",
            "*  rootdir: *",
        ]
    )


# Counts: 212 items ported (test functions: 50 of test_mark, 32 of test_collection, 26 of collect.py
# and 31 of test_config); all 212 pass. Not ported: test classes and their cases,
# pytest's node/collector internals (getmodulecol, Node.from_parent, _in_venv, Package nodes),
# --import-mode, --pyargs, conftest/plugin-manager internals and the Windows-only cases.
