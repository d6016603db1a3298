"""Marks: skip, skipif, custom marks with -m, registered markers, unknown marks."""

STEPS = """
from zenrun import pipeline, step
import zenrun

@step
def emit(value) -> str:
    with open("ran.txt", "a") as f:
        f.write(str(value) + "\\n")
    return repr(value)
"""


def ran(zenrunner):
    path = zenrunner.path / "ran.txt"
    return sorted(path.read_text().split()) if path.exists() else []


def test_skip_and_skipif(zenrunner):
    zenrunner.makepyfile(
        pipeline_skip=STEPS
        + """
import sys

@zenrun.mark.skip(reason="not today")
@pipeline
def skipped():
    emit("skipped")

@zenrun.mark.skip
@pipeline
def skipped_bare():
    emit("skipped_bare")

@zenrun.mark.skipif(sys.version_info >= (3,), reason="python 3")
@pipeline
def skipped_if():
    emit("skipped_if")

@zenrun.mark.skipif(sys.version_info < (3,), reason="python 2")
@pipeline
def not_skipped():
    emit("ran")
"""
    )
    result = zenrunner.run("-v")
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == 0
    result.fnmatch_lines(["*::skipped SKIPPED*"])
    result.fnmatch_lines(["*::not_skipped PASSED*"])
    assert ran(zenrunner) == ["ran"]


def test_skip_reason_is_reported(zenrunner):
    zenrunner.makepyfile(
        pipeline_r=STEPS
        + """
@zenrun.mark.skip(reason="waiting for data")
@pipeline
def later():
    emit(1)
"""
    )
    result = zenrunner.run("-v")
    result.assert_outcomes(skipped=1)
    result.fnmatch_lines(["*::later SKIPPED (waiting for data)*"])
    assert ran(zenrunner) == []


MARKED = (
    STEPS
    + """
@zenrun.mark.slow
@zenrun.mark.gpu
@pipeline
def big():
    emit("big")

@zenrun.mark.slow
@pipeline
def medium():
    emit("medium")

@zenrun.mark.fast
@pipeline
def small():
    emit("small")

@pipeline
def plain():
    emit("plain")
"""
)


def test_m_expressions(zenrunner):
    zenrunner.maketoml("""
markers = [
    "slow: takes a while",
    "gpu: needs a GPU",
    "fast: quick",
]
""")
    zenrunner.makepyfile(pipeline_marked=MARKED)
    cases = {
        "slow": ["big", "medium"],
        "not slow": ["plain", "small"],
        "slow and not gpu": ["medium"],
        "gpu or fast": ["big", "small"],
        "(slow or fast) and not gpu": ["medium", "small"],
    }
    for expression, expected in cases.items():
        (zenrunner.path / "ran.txt").unlink(missing_ok=True)
        result = zenrunner.run("-q", "--no-cache", "-m", expression)
        result.assert_outcomes(passed=len(expected), deselected=4 - len(expected))
        assert ran(zenrunner) == expected, expression
        assert "Unknown zenrun.mark" not in result.stdout + result.stderr


def test_k_expressions_of_thousands_of_terms(zenrunner):
    # A script selecting many items writes `-k "a or b or ..."`: past about 1,000 terms the
    # evaluation hit Python's recursion limit (INTERNALERROR), as did deep parentheses.
    zenrunner.maketoml('markers = ["slow", "gpu", "fast"]')
    zenrunner.makepyfile(pipeline_marked=MARKED)
    many = " or ".join([*(f"absent{i}" for i in range(5000)), "plain", "small"])
    result = zenrunner.run("-q", "--no-cache", "-k", many)
    result.assert_outcomes(passed=2, deselected=2)
    assert ran(zenrunner) == ["plain", "small"]
    result = zenrunner.run("-q", "--no-cache", "-k", "not " * 5001 + "plain and not slow")
    result.assert_outcomes(passed=1, deselected=3)
    for option in ("-k", "-m"):
        result = zenrunner.run(option, "(" * 5000 + "plain" + ")" * 5000)
        assert result.ret == 4, result.stdout + result.stderr
        assert "INTERNALERROR" not in result.stdout + result.stderr
        assert f"Wrong expression passed to '{option}'" in result.stderr
        assert "nested too deeply" in result.stderr


def test_k_matches_mark_names(zenrunner):
    zenrunner.maketoml('markers = ["slow", "gpu", "fast"]')
    zenrunner.makepyfile(pipeline_marked=MARKED)
    result = zenrunner.run("-q", "-k", "gpu or plain")
    result.assert_outcomes(passed=2, deselected=2)
    assert ran(zenrunner) == ["big", "plain"]


def test_registered_markers_listed_with_help(zenrunner):
    zenrunner.maketoml('markers = ["slow: takes a while", "gpu(kind): needs a GPU"]')
    result = zenrunner.run("--markers")
    assert result.ret == 0
    result.fnmatch_lines(["@zenrun.mark.slow: takes a while", "@zenrun.mark.gpu: needs a GPU"])
    result.fnmatch_lines(["@zenrun.mark.skip*"])


def test_markers_in_pyproject(zenrunner):
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_text(
        '[tool.zenrun]\nmarkers = ["slow: takes a while", "gpu: needs a GPU", "fast: quick"]\n'
    )
    zenrunner.makepyfile(pipeline_marked=MARKED)
    result = zenrunner.run("-q", "--strict-markers", "-m", "fast")
    result.assert_outcomes(passed=1, deselected=3)


def test_unknown_mark_warns(zenrunner):
    zenrunner.maketoml('markers = ["slow"]')
    zenrunner.makepyfile(pipeline_marked=MARKED)
    result = zenrunner.run("-q")
    result.assert_outcomes(passed=4)
    assert result.parseoutcomes().get("warnings") == 2
    result.fnmatch_lines(["*Unknown zenrun.mark.gpu *"])
    result.fnmatch_lines(["*Unknown zenrun.mark.fast *"])
    result.no_fnmatch_line("*Unknown zenrun.mark.slow *")


def test_unknown_mark_is_a_python_warning_where_it_is_used(zenrunner):
    zenrunner.maketoml('markers = ["slow", "fast"]')
    zenrunner.makepyfile(pipeline_marked=MARKED)
    result = zenrunner.run("-q")
    written = (zenrunner.path / "pipeline_marked.py").read_text().splitlines()
    line = next(n for n, text in enumerate(written, 1) if "mark.gpu" in text)
    result.fnmatch_lines(  # pytest's shape: the place, the warning, the line using the mark
        [
            f"pipeline_marked.py:{line}",
            f"  */pipeline_marked.py:{line}: ZenrunUnknownMarkWarning: Unknown zenrun.mark.gpu - is this a typo?*",
            "    @zenrun.mark.gpu",
        ]
    )
    ignored = zenrunner.run("-q", "-W", "ignore::zenrun.ZenrunUnknownMarkWarning")
    ignored.assert_outcomes(passed=4)
    assert "warnings" not in ignored.parseoutcomes()
    error = zenrunner.run("-q", "-W", "error::zenrun.ZenrunWarning")  # its base class
    assert error.ret == 2
    error.fnmatch_lines(
        ["ERROR pipeline_marked.py - zenrun.ZenrunUnknownMarkWarning: Unknown zenrun.mark.gpu*"]
    )


def test_warning_filters_apply_while_modules_are_imported(zenrunner):
    zenrunner.makepyfile(
        pipeline_old="""
        import warnings
        warnings.warn("this module is old")
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def p():
            one()
        """
    )
    assert zenrunner.run("-q").parseoutcomes().get("warnings") == 1
    ignored = zenrunner.run("-q", "-W", "ignore:this module")
    ignored.assert_outcomes(passed=1)
    assert "warnings" not in ignored.parseoutcomes()
    error = zenrunner.run("-q", "-W", "error::UserWarning")
    assert error.ret == 2
    error.fnmatch_lines(["ERROR pipeline_old.py - UserWarning: this module is old"])
    zenrunner.maketoml('filterwarnings = ["error:this module"]')
    assert zenrunner.run("-q").ret == 2


def test_unknown_mark_is_an_error_with_strict_markers(zenrunner):
    zenrunner.maketoml('markers = ["slow", "gpu"]')
    zenrunner.makepyfile(pipeline_marked=MARKED)
    result = zenrunner.run("-q", "--strict-markers")
    assert result.ret == 2
    result.fnmatch_lines(["'fast' not found in `markers` configuration option"])
    assert ran(zenrunner) == []


def test_a_misspelled_parametrize_is_a_collection_error_at_its_line(zenrunner):
    """As pytest: the error's traceback shows the module's line that spelled it."""
    zenrunner.makepyfile(
        pipeline_typo="""
import zenrun

@zenrun.mark.parametrise("x", range(2))
@zenrun.pipeline
def p(x):
    pass
"""
    )
    result = zenrunner.run("--collect-only", inprocess=True)
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR collecting pipeline_typo.py _*",
            "pipeline_typo.py:3: in <module>",
            '    @zenrun.mark.parametrise("x", range(2))',
            "E   *Failed: Unknown 'parametrise' mark, did you mean 'parametrize'?",
        ]
    )


def test_a_skip_without_a_reason_reads_skipped_in_the_summary(zenrunner):
    """As pytest: ``Skipped`` (its exception's message), folded or not, whether a mark or
    ``zenrun.skip("")`` skipped it."""
    zenrunner.makepyfile(
        pipeline_bare="""
import zenrun

@zenrun.mark.skipif
@zenrun.pipeline
def by_skipif():
    pass

@zenrun.mark.skip(reason="")
@zenrun.pipeline
def by_skip():
    pass

@zenrun.pipeline
def by_call():
    zenrun.skip("")
"""
    )
    result = zenrunner.run("-rs", "-p", "no:results", inprocess=True)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] pipeline_bare.py:3: Skipped",
            "SKIPPED [[]1[]] pipeline_bare.py:8: Skipped",
            "SKIPPED [[]1[]] pipeline_bare.py:15: Skipped",
        ]
    )
    result = zenrunner.run("-rs", "--no-fold-skipped", "-p", "no:results", inprocess=True)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED pipeline_bare.py::by_skipif - Skipped",
            "SKIPPED pipeline_bare.py::by_skip - Skipped",
            "SKIPPED pipeline_bare.py::by_call - Skipped",
        ]
    )


def test_marks_on_parametrize_values_and_skipif_per_value(zenrunner):
    zenrunner.maketoml('markers = ["big"]')
    zenrunner.makepyfile(
        pipeline_pv=STEPS
        + """
@zenrun.mark.parametrize("n", [
    1,
    zenrun.param(2, marks=zenrun.mark.big),
    zenrun.param(3, marks=zenrun.mark.skipif(True, reason="three is skipped")),
])
@pipeline
def counted(n):
    emit(n)
"""
    )
    result = zenrunner.run("-q", "-m", "not big", "--strict-markers")
    result.assert_outcomes(passed=1, skipped=1, deselected=1)
    assert ran(zenrunner) == ["1"]


def test_an_items_marks_are_in_pytests_order_with_its_parametrize_mark(zenrunner):
    # as pytest's node.iter_markers(): the function's marks (parametrize too), the parameter
    # set's, then the module's
    zenrunner.makeconftest("""
        import zenrun

        @zenrun.fixture
        def names(request):
            node = request.node
            print("MARKS", node.name, [m.name for m in node.iter_markers()],
                  node.get_closest_marker("parametrize").args[0], "parametrize" in node.keywords)
    """)
    zenrunner.makepyfile(
        pipeline_m="""
        import zenrun
        from zenrun import step, pipeline

        zenrunmark = [zenrun.mark.modmark("m")]

        @step
        def s(x: int) -> int:
            return x

        @zenrun.mark.foo(1, k=2)
        @zenrun.mark.parametrize("x", [1, zenrun.param(2, marks=zenrun.mark.bar)])
        @pipeline
        def p(x, names):
            s(x)
        """
    )
    result = zenrunner.run("-s", "-q", "-m", "parametrize and modmark")
    assert result.ret == 0, result.stdout + result.stderr
    assert "MARKS p[1] ['parametrize', 'foo', 'modmark'] x True" in result.stdout
    assert "MARKS p[2] ['parametrize', 'foo', 'bar', 'modmark'] x True" in result.stdout


def test_session_marks_reach_every_item_after_its_own(zenrunner):
    # As pytest's session.add_marker: the session is the node above every item, so its marks
    # come last in iter_markers() and are seen by keywords, -m, -k, skip and xfail.
    zenrunner.makeini("[zenrun]\nmarkers =\n    slow\n    nightly\n    broken\n")
    zenrunner.makeconftest("""
        import zenrun

        def zenrun_collection_modifyitems(session, items):
            session.add_marker("nightly")
            session.add_marker(zenrun.mark.slow(speed=2), append=False)
            for bad in (10, None):
                with zenrun.raises(ValueError):
                    session.add_marker(bad)

        @zenrun.fixture
        def marks(request):
            node = request.node
            print("MARKS", node.name, [m.name for m in node.iter_markers()],
                  [type(n).__name__ for n, _ in node.iter_markers_with_node("nightly")],
                  node.get_closest_marker("slow").kwargs, "nightly" in node.keywords,
                  "nightly" in request.keywords, [m.name for m in node.own_markers],
                  [m.name for m in node.session.iter_markers()])
    """)
    zenrunner.makepyfile(
        pipeline_s=STEPS
        + """
@zenrun.mark.slow(speed=1)
@pipeline
def fast(marks):
    emit("fast")

@pipeline
def plain(marks):
    emit("plain")
"""
    )
    result = zenrunner.run("-s", "-q", "-m", "nightly and slow(speed=2)", "--strict-markers")
    assert result.ret == 0, result.stdout + result.stderr
    assert (
        "MARKS fast ['slow', 'slow', 'nightly'] ['Session'] {'speed': 1} True True ['slow']" in result.stdout
    )
    assert "MARKS plain ['slow', 'nightly'] ['Session'] {'speed': 2} True True []" in result.stdout
    assert "['slow', 'nightly']" in result.stdout  # the session's own, the prepended one first
    result.assert_outcomes(passed=2)
    result = zenrunner.run("-q", "-k", "nightly and plain")
    result.assert_outcomes(passed=1, deselected=1)
    result = zenrunner.run("-q", "-m", "not nightly")
    result.assert_outcomes(deselected=2)


def test_a_session_xfail_mark_and_a_session_fixtures_applymarker(zenrunner):
    zenrunner.makeconftest("""
        import zenrun

        def zenrun_collection_modifyitems(session, items):
            if session.config.getoption("markexpr") == "":
                session.add_marker(zenrun.mark.xfail(reason="all broken", strict=True))

        @zenrun.fixture(scope="session")
        def broken(request):
            request.applymarker(zenrun.mark.skip(reason="the session is broken"))
    """)
    zenrunner.makepyfile(
        pipeline_x=STEPS
        + """
@pipeline
def fails():
    emit("fails")
    zenrun.fail("no")

@pipeline
def passes():
    emit("passes")
"""
    )
    result = zenrunner.run("-q", "-rxX")
    result.assert_outcomes(xfailed=1, failed=1)  # strict: the unexpected pass fails
    zenrunner.makepyfile(
        pipeline_x=STEPS
        + """
@zenrun.mark.usefixtures("broken")
@pipeline
def first():
    emit("first")

@pipeline
def second():
    emit("second")
"""
    )
    # the session fixture's mark is the session's: the items after it are skipped
    result = zenrunner.run("-q", "-m", "not nothing", "-W", "ignore::zenrun.ZenrunUnknownMarkWarning")
    result.assert_outcomes(passed=1, skipped=1)
