"""pytest habits that pipelines rely on (issue 10 points 2-3, issue 6 point 10), in-process."""

import json

import pytest

PRE = """
import sys
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "") -> None:
    assert ok, message
"""


def test_autouse_usefixtures_and_module_marks(zenrunner):
    zenrunner.makeconftest("""
import zenrun
calls = []

@zenrun.fixture(autouse=True)
def everywhere():
    calls.append("auto")

@zenrun.fixture
def prepared():
    calls.append("used")
""")
    zenrunner.makepyfile(
        pipeline_auto=PRE
        + """
import conftest

zenrunmark = [zenrun.mark.usefixtures("prepared"), zenrun.mark.slow]

@pipeline
def first():
    check(conftest.calls[-2:] == ["auto", "used"], repr(conftest.calls))
"""
    )
    zenrunner.maketoml('markers = ["slow: slow pipelines"]\nstrict_markers = true\n')
    result = zenrunner.runzenrun_inprocess("-m", "slow")
    result.assert_outcomes(passed=1)
    assert zenrunner.runzenrun_inprocess("-m", "fast").ret == 4  # strict: unknown in -m


def test_skip_fail_xfail_and_sys_exit_end_only_their_item(zenrunner):
    zenrunner.makepyfile(
        pipeline_outcomes=PRE
        + """
@zenrun.fixture
def broken_teardown():
    yield 1
    sys.exit(3)

@pipeline
def skipped():
    zenrun.skip("not today")

@pipeline
def failed():
    zenrun.fail("bad input")

@pipeline
def xfailed():
    zenrun.xfail("known bug")

@pipeline
def exits():
    sys.exit(0)

@pipeline
def exits_in_teardown(broken_teardown):
    check(True)

@zenrun.mark.xfail(raises=ZeroDivisionError, strict=True)
@pipeline
def raises_other():
    check(False, "not a zero division")

@pipeline
def ok():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-rA")
    assert result.ret == 1
    # as pytest: exits_in_teardown passed, its teardown's sys.exit() is one more error; a
    # body's sys.exit() fails its item, with the traceback to the call
    result.assert_outcomes(passed=2, failed=3, skipped=1, xfailed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of exits_in_teardown*"])
    result.stdout.fnmatch_lines(["*_ exits _*", ">*sys.exit(0)", "E*SystemExit: 0"])
    result.stdout.fnmatch_lines(["FAILED pipeline_outcomes.py::exits - SystemExit: 0"])
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] pipeline_outcomes.py:*: not today"])  # as pytest
    result.stdout.fnmatch_lines(["*bad input*"])


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_the_pipeline_body_is_the_items_own_code_as_a_test_functions_body(zenrunner, args):
    """As a test function's: an exception the body raises fails its item (an xfail mark
    covers it), and a body that calls no step passes, as a test doing nothing."""
    zenrunner.makepyfile(
        pipeline_bodies=PRE
        + """
@pipeline
def asserts():
    check(True)
    assert 1 == 2

@pipeline
def raises():
    raise ValueError("boom")

@zenrun.mark.xfail(raises=ValueError, strict=True)
@pipeline
def xfails():
    raise ValueError("known")

@zenrun.mark.xfail(raises=KeyError)
@pipeline
def other_exception():
    raise ValueError("not the expected one")

@pipeline
def does_nothing():
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess("-rA", "-p", "no:results", *args)
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ asserts _*",
            ">*assert 1 == 2",
            "E*assert 1 == 2",
            "pipeline_bodies.py:*: AssertionError",
        ]
    )
    result.stdout.fnmatch_lines_random(
        [
            "PASSED pipeline_bodies.py::does_nothing",
            "FAILED pipeline_bodies.py::asserts - assert 1 == 2",
            "FAILED pipeline_bodies.py::raises - ValueError: boom",
            "FAILED pipeline_bodies.py::other_exception - ValueError: not the expected one",
            "XFAIL pipeline_bodies.py::xfails*",
        ]
    )
    assert "ERROR" not in result.stdout.str()


def test_fixture_override_extends_and_scope_mismatch(zenrunner):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def spam():
    return "spam"
""")
    zenrunner.makepyfile(
        pipeline_override=PRE
        + """
@zenrun.fixture
def spam(spam):
    return spam * 2

@zenrun.fixture
def narrow():
    return 1

@zenrun.fixture(scope="module")
def wide(narrow):
    return narrow

@pipeline
def extended(spam, request):
    check(spam == "spamspam" and request.node.name == "extended")

@pipeline
def mismatched(wide):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ScopeMismatch*pipeline scoped fixture narrow with a module scoped*"])


def test_module_params_regroup_and_tear_down_before_the_next(zenrunner):
    zenrunner.makepyfile(
        pipeline_grouped=PRE
        + """
events = []

@zenrun.fixture(scope="module", params=[1, 2])
def resource(request):
    events.append(f"up{request.param}")
    yield request.param
    events.append(f"down{request.param}")

@pipeline
def a(resource):
    events.append(f"a{resource}")
    check(True)

@pipeline
def b(resource):
    events.append(f"b{resource}")
    check(True)

@pipeline
def z_report():
    check(events == ["up1", "a1", "b1", "down1", "up2", "a2", "b2"], repr(events))
"""
    )
    result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*::a?1?", "*::b?1?", "*::a?2?", "*::b?2?", "*::z_report"])
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=5)


def test_maxfail_deselect_and_addopts(zenrunner):
    zenrunner.makepyfile(
        pipeline_many=PRE
        + """
@zenrun.mark.parametrize("n", [1, 2, 3, 4])
@pipeline
def fails(n):
    check(False, str(n))
"""
    )
    result = zenrunner.runzenrun_inprocess("--maxfail=2")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*stopping after 2 failures*"])
    result = zenrunner.runzenrun_inprocess(
        "--deselect", "pipeline_many.py::fails[1]", "--deselect", "pipeline_many.py::fails[2]"
    )
    result.assert_outcomes(failed=2, deselected=2)
    zenrunner.maketoml('addopts = "-k 3"\n')
    zenrunner.runzenrun_inprocess().assert_outcomes(failed=1, deselected=3)


@pytest.mark.parametrize(
    "source, message",
    [
        ("@zenrun.fixture\n@zenrun.fixture\ndef twice():\n    return 1\n", "more than once"),
        ("@zenrun.fixture\nclass Klass:\n    pass\n", "class fixtures not supported"),
        ("@zenrun.fixture(name='request')\ndef req():\n    return 1\n", "reserved word"),
        (
            "@zenrun.mark.slow\n@zenrun.fixture\ndef marked():\n    return 1\n",
            "Marks cannot be applied to fixtures",
        ),
        (
            "@zenrun.mark.parametrize('x', [1], ids=42)\n@pipeline\ndef p(x):\n    check(True)\n",
            "ids must be a callable or an iterable",
        ),
        (
            "@zenrun.mark.parametrize('x', [1, 2], ids=['a'])\n@pipeline\ndef p(x):\n    check(True)\n",
            "different number of ids",
        ),
        (
            "@zenrun.mark.parametrize('x', [(1, 2)])\n@zenrun.mark.parametrize('x', [3])\n@pipeline\n"
            "def p(x):\n    check(True)\n",
            "duplicate parametrization",
        ),
        ("def __getattr__(name):\n    raise RuntimeError('lazy module')\n", None),
    ],
)
def test_misuse_is_a_collection_error_never_internal(zenrunner, source, message):
    zenrunner.makepyfile(pipeline_misuse=PRE + source + "\n@pipeline\ndef fine():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess()
    assert "INTERNALERROR" not in result.stdout + result.stderr
    if message is None:  # a module __getattr__ that raises: still collected
        result.assert_outcomes(passed=1)
        return
    assert result.ret == 2, result.stdout
    result.stdout.fnmatch_lines([f"*{message}*"])


def test_ids_count_iterator_terminates(zenrunner):
    zenrunner.makepyfile(
        pipeline_ids=PRE
        + """
import itertools

@zenrun.mark.parametrize("x", [1, 2, 3], ids=itertools.count())
@pipeline
def counted(x):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*counted?0?", "*counted?1?", "*counted?2?"])


FLAKY = (
    PRE
    + """
import os

@zenrun.mark.parametrize("n", [1, 2, 3])
@pipeline
def item(n):
    check(str(n) not in os.environ.get("BROKEN", ""), f"item {n} broken")
"""
)


def test_last_failed_failed_first_and_stepwise(zenrunner):
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    zenrunner.runzenrun_inprocess(env={"BROKEN": "2"}).assert_outcomes(passed=2, failed=1)
    assert "pipeline_lf.py::item[2]" in (zenrunner.store / "v" / "cache" / "lastfailed").read_text()
    result = zenrunner.runzenrun_inprocess("--lf", "-v", env={"BROKEN": "2"})
    result.assert_outcomes(failed=1)  # as pytest: the module's other items are not collected
    result.stdout.fnmatch_lines(
        ["collecting ... collected 1 pipeline", "run-last-failure: rerun previous 1 failure"]
    )
    result = zenrunner.runzenrun_inprocess("--ff", "-v", "--no-cache", env={"BROKEN": ""})
    result.assert_outcomes(passed=3)
    result.stdout.re_match_lines([r".*item\[2\] PASSED", r".*item\[1\] PASSED", r".*item\[3\] PASSED"])
    # Everything passed: --lf has nothing to narrow and runs all.
    zenrunner.runzenrun_inprocess("--lf").assert_outcomes(passed=3)
    # Stepwise: stop at the first failure, start from it next time.
    zenrunner.runzenrun_inprocess("--sw", env={"BROKEN": "23"}).assert_outcomes(passed=1, failed=1)
    zenrunner.runzenrun_inprocess("--sw", env={"BROKEN": "3"}).assert_outcomes(
        passed=1, failed=1, deselected=1
    )


def test_remembered_values_of_another_shape_are_discarded(zenrunner):
    # `v/cache/nodeids` holding a number, or `v/cache/stepwise` a date that does not parse,
    # ended the session with an INTERNALERROR; other values of the wrong type are discarded too.
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    zenrunner.run("-q", env={"BROKEN": "2"}).assert_outcomes(passed=2, failed=1)
    cache = zenrunner.store / "v" / "cache"
    (cache / "nodeids").write_text('[1, "pipeline_lf.py::item[1]", null]')
    for stepwise in (
        {"last_failed": "pipeline_lf.py::item[2]", "last_test_count": 3, "last_cache_date_str": "noon"},
        {
            "last_failed": "pipeline_lf.py::item[2]",
            "last_test_count": "3",
            "last_cache_date_str": "2026-01-01",
        },
        {
            "last_failed": ["pipeline_lf.py::item[2]"],
            "last_test_count": 3,
            "last_cache_date_str": "2026-01-01",
        },
    ):
        (cache / "stepwise").write_text(json.dumps(stepwise))
        result = zenrunner.run("--sw", env={"BROKEN": "2"})
        assert "INTERNALERROR" not in result.stdout + result.stderr
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["stepwise: error reading cache, discarding*"])
    assert json.loads((cache / "nodeids").read_text()) == [f"pipeline_lf.py::item[{n}]" for n in (1, 2, 3)]


@pytest.mark.parametrize(
    "style, present, absent",
    [
        ("no", [], ["*FAILURES*", "*Traceback*"]),
        (
            "line",
            ["*FAILURES*", "pipeline_tb.py:*: AssertionError: item 2 broken"],
            ["*Traceback*", "*assert ok, message*"],
        ),
        (
            "short",
            [
                "*FAILURES*",
                "*step 'check' failed:",
                "pipeline_tb.py:*: in check",
                "    assert ok, message",
                "E   AssertionError: item 2 broken",
            ],
            ["*Traceback*", ">*"],
        ),
        (
            "long",
            [
                "*step 'check' failed:",
                "    @step",
                '    def check(ok: bool, message: str = "") -> None:',
                ">       assert ok, message",
                "E       AssertionError: item 2 broken",
                "",
                "pipeline_tb.py:*: AssertionError",
            ],
            ["*Traceback*"],
        ),
        (
            "native",
            [
                "Traceback (most recent call last):",
                '  File "*pipeline_tb.py", line *, in check',
                "    assert ok, message",
                "AssertionError: item 2 broken",
            ],
            [">*", "E   *"],
        ),
    ],
)
def test_tb_styles(zenrunner, style, present, absent):
    zenrunner.makepyfile(pipeline_tb=FLAKY)
    result = zenrunner.runzenrun_inprocess(f"--tb={style}", env={"BROKEN": "2"})
    result.assert_outcomes(passed=2, failed=1)
    if present:
        result.stdout.fnmatch_lines(present)
    for pattern in absent:
        result.stdout.no_fnmatch_line(pattern)


def test_tb_auto_is_long_for_first_and_last_frame_short_between(zenrunner):
    zenrunner.makepyfile(
        helpers_tb="""
def outer(x):
    return inner(x)

def inner(x):
    return 1 / x
""",
        pipeline_deep=PRE
        + """
from helpers_tb import outer

@step
def compute(x: int) -> float:
    y = x
    return outer(y)

@pipeline
def deep():
    compute(0)
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        [
            "*step 'compute' failed:",
            "    @step",
            "    def compute(x: int) -> float:",
            "        y = x",
            ">       return outer(y)",
            "",
            "pipeline_deep.py:*: ",
            "_ _ _*",
            "helpers_tb.py:2: in outer",
            "    return inner(x)",
            "_ _ _*",
            "",
            "    def inner(x):",
            ">       return 1 / x",
            "E       ZeroDivisionError: division by zero",
            "",
            "helpers_tb.py:5: ZeroDivisionError",
            "*short pipeline summary info*",
            "FAILED pipeline_deep.py::deep - ZeroDivisionError: division by zero",  # step name cut to fit
        ]
    )
    long = zenrunner.runzenrun_inprocess("--tb=long", "--no-cache")
    long.stdout.fnmatch_lines(["    def outer(x):", ">       return inner(x)", "", "helpers_tb.py:2: "])


def test_pdb_post_mortem_in_the_failing_step(zenrunner, monkeypatch):
    import io
    import sys

    zenrunner.makepyfile(
        pipeline_pdb=PRE
        + """
@step
def divide(x: int) -> float:
    secret = x * 21
    return x / 0

@pipeline
def broken():
    divide(2)
"""
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("p secret\ncontinue\n"))
    result = zenrunner.runzenrun_inprocess("--pdb")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ZeroDivisionError*", "*>> entering PDB >>*", "*(Pdb)*42*"])
    assert zenrunner.runzenrun_inprocess("--pdb", "-n", "2").ret == 4


def test_fixtures_grouped_by_file(zenrunner):
    zenrunner.makeconftest("""
import zenrun

@zenrun.fixture
def shared():
    '''From the conftest.'''
""")
    zenrunner.makepyfile(
        pipeline_fx=PRE
        + """
@zenrun.fixture
def local():
    '''From the module.'''

@pipeline
def uses(shared, local):
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "*-- fixtures defined from conftest --*",
            "shared -- *",
            "*From the conftest.*",
            "*-- fixtures defined from pipeline_fx --*",
            "local -- *",
            "*From the module.*",
        ]
    )


def test_module_level_skip(zenrunner):
    zenrunner.makepyfile(
        pipeline_skipped=PRE
        + """
zenrun.skip("needs a GPU", allow_module_level=True)

@pipeline
def never():
    check(False)
"""
    )
    zenrunner.makepyfile(
        pipeline_runs=PRE
        + """
@pipeline
def runs():
    check(True)
"""
    )
    result = zenrunner.runzenrun_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=1)  # as pytest: a skipped module counts as skipped
    result.stdout.fnmatch_lines(
        ["collected 1 pipeline / 1 skipped", "SKIPPED [[]1[]] pipeline_skipped.py:*: needs a GPU"]
    )


SUMMARY = (
    PRE
    + """
@zenrun.mark.skip(reason="not today")
@pipeline
def skipped_a():
    check(True)

@zenrun.mark.skip(reason="not today")
@pipeline
def skipped_b():
    check(True)

@zenrun.mark.skipif(True, reason="no gpu")
@pipeline
def skipped_if():
    check(True)

@pipeline
def skipped_inside():
    zenrun.skip("no data")

@zenrun.mark.xfail(reason="known bug")
@pipeline
def xfails():
    check(False)

@zenrun.mark.xfail(reason="fixed?")
@pipeline
def xpasses():
    check(True)

@step
def talk() -> None:
    print("hello from talk")

@pipeline
def passes():
    talk()

@pipeline
def fails():
    check(False, "wrong")
"""
)


def test_report_chars_summary_lines_as_pytest(zenrunner):
    lines = zenrunner.makepyfile(pipeline_sum=SUMMARY).read_text().splitlines()
    at = {name: lines.index(f"def {name}():") + 1 for name in ("skipped_if",)}
    at["inside"] = lines.index('    zenrun.skip("no data")') + 1
    at["skipif_mark"] = at["skipped_if"] - 2  # the first decorator, as pytest's location
    skips = [i + 1 for i, line in enumerate(lines) if line == '@zenrun.mark.skip(reason="not today")']
    result = zenrunner.runzenrun_inprocess("-ra", "--no-cache")
    result.assert_outcomes(passed=1, failed=1, skipped=4, xfailed=1, xpassed=1)
    summary = result.stdout.lines[
        result.stdout.lines.index(
            next(line for line in result.stdout.lines if "short pipeline summary info" in line)
        )
        + 1 : -1
    ]
    assert summary == [  # -ra is sxXEf, in that order; skips of one place and reason folded
        f"SKIPPED [1] pipeline_sum.py:{skips[0]}: not today",  # as pytest: a function's own mark
        f"SKIPPED [1] pipeline_sum.py:{skips[1]}: not today",  # is reported at the function
        f"SKIPPED [1] pipeline_sum.py:{at['skipif_mark']}: no gpu",
        f"SKIPPED [1] pipeline_sum.py:{at['inside']}: no data",
        "XFAIL pipeline_sum.py::xfails - known bug",
        "XPASS pipeline_sum.py::xpasses - fixed?",
        "FAILED pipeline_sum.py::fails - step 'check': AssertionError: wrong",  # as pytest
    ]
    result = zenrunner.runzenrun_inprocess("-rA", "--no-cache")
    result.stdout.fnmatch_lines(
        [
            "*= PASSES =*",
            "*_ passes _*",
            "*Captured stdout*talk*",
            "hello from talk",
            "*short pipeline summary info*",
            "PASSED pipeline_sum.py::passes",
            "SKIPPED [[]1[]] *",
        ]
    )
    result = zenrunner.runzenrun_inprocess("-rs")
    result.stdout.fnmatch_lines(
        ["*short pipeline summary info*", f"SKIPPED [[]1[]] pipeline_sum.py:{skips[0]}: not today"]
    )
    result.stdout.no_fnmatch_line("FAILED *")
    result.stdout.no_fnmatch_line("*= PASSES =*")
    result = zenrunner.runzenrun_inprocess("-rfE")  # pytest's default
    result.stdout.fnmatch_lines(["*short pipeline summary info*", "FAILED pipeline_sum.py::fails - *"])
    for pattern in ("SKIPPED *", "XFAIL *", "XPASS *", "PASSED *"):
        result.stdout.no_fnmatch_line(pattern)
    assert "short pipeline summary info" not in zenrunner.runzenrun_inprocess("-rN").stdout.str()
    result = zenrunner.runzenrun_inprocess("-rxXp")
    result.stdout.fnmatch_lines(
        [
            "*short pipeline summary info*",
            "XFAIL pipeline_sum.py::xfails - known bug",
            "XPASS pipeline_sum.py::xpasses - fixed?",
            "PASSED pipeline_sum.py::passes",
        ]
    )


def test_maxfail_stops_launching_in_parallel(zenrunner):
    zenrunner.makepyfile(
        pipeline_many=PRE
        + """
@zenrun.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
@pipeline
def fails(n):
    check(False, str(n))
"""
    )
    result = zenrunner.runzenrun_inprocess("-n", "2", "--maxfail=2")
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    # Two workers: when the second failure stops the launching, at most one more item runs.
    assert outcomes.get("failed", 0) + outcomes.get("skipped", 0) in (2, 3), outcomes
    result.stdout.fnmatch_lines(["*stopping after * failures (--maxfail=2)*pipeline(s) not started*"])
    result = zenrunner.runzenrun_inprocess("-n", "2", "--maxfail=9")
    result.assert_outcomes(failed=6)


def test_setup_show_lists_directly_parametrized_names_as_fixtures(zenrunner):
    zenrunner.makepyfile(
        pipeline_grid="""
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def fx():
            return 1

        @step
        def one(x: int) -> int:
            return x

        @zenrun.mark.parametrize("y", ["a"], scope="module")
        @zenrun.mark.parametrize("x", [10, 20])
        @pipeline
        def p(x, fx, y):
            one(x)
        """
    )
    result = zenrunner.run("--setup-show", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.fnmatch_lines(  # as pytest: each a fixture of its own, in the closure's order
        [
            "        SETUP    F x[10]",
            "        SETUP    F fx",
            "        pipeline_grid.py::p[10-a] (fixtures used: fx, x, y) .",
            "        TEARDOWN F fx",
            "        TEARDOWN F x[10]",
            "        SETUP    F x[20]",
            "        SETUP    F fx",
            "        pipeline_grid.py::p[20-a] (fixtures used: fx, x, y) .",
            "        TEARDOWN F fx",
            "        TEARDOWN F x[20]",
            "    TEARDOWN M y['a']",
        ]
    )
    assert result.stdout.str().count("    SETUP    M y['a']") == 1  # module scope: once for both


def test_setup_show_shows_a_fixture_whose_setup_raised(zenrunner):
    """As pytest: a fixture whose own code raised (or skipped) has its SETUP line, with the
    item's letter after it, and its TEARDOWN with its scope; one whose dependency raised
    never started (no line)."""
    zenrunner.makepyfile(
        pipeline_broken="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture
        def one():
            yield 1

        @zenrun.fixture
        def two(one):
            assert 0

        @zenrun.fixture
        def dep(two):
            return 2

        @zenrun.fixture(scope="module")
        def mod():
            raise ValueError("m")

        @zenrun.fixture
        def sk():
            zenrun.skip("no")

        @pipeline
        def a(dep):
            pass

        @pipeline
        def b(mod):
            pass

        @pipeline
        def c(mod):
            pass

        @pipeline
        def d(sk):
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("--setup-show", "-q", "-p", "no:results")
    result.assert_outcomes(errors=3, skipped=1)
    lines = [line for line in result.stdout.lines if "SETUP" in line or "TEARDOWN" in line]
    assert lines == [
        "        SETUP    F one",
        "        SETUP    F two (fixtures used: one)E",
        "        TEARDOWN F two",
        "        TEARDOWN F one",
        "    SETUP    M modEE",
        "        SETUP    F sks",
        "        TEARDOWN F sk",
        "    TEARDOWN M mod",
    ]


def test_a_parametrized_fixture_requested_dynamically_is_a_failure(zenrunner):
    """As pytest's (``fail(..., pytrace=False)``): ``Failed: The requested fixture has no
    parameter defined ...``, the body's request failing its item, a fixture's an error."""
    zenrunner.makepyfile(
        pipeline_np="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture(params=[1, 2])
        def p(request):
            return request.param

        @zenrun.fixture
        def asks(request):
            return request.getfixturevalue("p")

        @pipeline
        def body(request):
            request.getfixturevalue("p")

        @pipeline
        def fixture(asks):
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-rfE")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED pipeline_np.py::body - Failed: The requested fixture has no*",
            "ERROR pipeline_np.py::fixture - Failed: The requested fixture has no*",
        ]
    )


def test_keyboard_interrupt_says_where_and_full_trace_shows_it_all(zenrunner):
    zenrunner.makepyfile(
        pipeline_interrupt="""
        from zenrun import pipeline, step

        @step
        def stop() -> int:
            raise KeyboardInterrupt

        @pipeline
        def interrupted():
            stop()
        """
    )
    result = zenrunner.run("-p", "no:results")
    assert result.ret == 2
    result.fnmatch_lines(
        [
            "*! KeyboardInterrupt !*",
            "pipeline_interrupt.py:5: KeyboardInterrupt",
            "(to show a full traceback on KeyboardInterrupt use --full-trace)",
        ]
    )
    full = zenrunner.run("-p", "no:results", "--full-trace")
    assert full.ret == 2
    full.fnmatch_lines(
        [
            "*! KeyboardInterrupt !*",
            "Traceback (most recent call last):",
            "*raise KeyboardInterrupt",
            # as pytest's long traceback: it ends with where the interrupt came
            "pipeline_interrupt.py:5: KeyboardInterrupt",
        ]
    )
    assert "use --full-trace" not in full.stdout


def test_what_fixtures_and_the_body_print_are_setup_and_call_sections(zenrunner):
    zenrunner.makepyfile(
        pipeline_prints="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture
        def resource():
            print("fixture setting up")
            yield 1
            print("fixture tearing down")

        @pipeline
        def prints(resource):
            print("the body runs")
            assert resource == 2
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- Captured stdout setup -*",
            "fixture setting up",
            "*- Captured stdout call -*",
            "the body runs",
            "*- Captured stdout teardown -*",
            "fixture tearing down",
        ]
    )


def test_zenrunconfig_fixture_is_the_sessions_config_as_pytestconfig(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption("--flavour", default="plain")
        """
    )
    zenrunner.makepyfile(
        pipeline_cfg="""
        from zenrun import pipeline

        @pipeline
        def reads_options(zenrunconfig, request):
            assert zenrunconfig is request.config
            assert zenrunconfig.getoption("flavour") == "salted"
        """
    )
    zenrunner.runzenrun_inprocess("--flavour", "salted", "-p", "no:results").assert_outcomes(passed=1)
    zenrunner.runzenrun_inprocess("-p", "no:results").assert_outcomes(failed=1)
    result = zenrunner.runzenrun_inprocess("--fixtures")
    result.stdout.fnmatch_lines(["zenrunconfig [[]session scope[]] -- *fixtures.py:*"])


def test_passes_section_heads_every_passed_run_as_pytest(zenrunner):
    """``-rP``: the PASSES header when pipelines passed, even when none printed anything;
    none without a passed pipeline."""
    zenrunner.makepyfile(pipeline_quiet=PRE + "\n@pipeline\ndef quiet():\n    check(True)\n")
    result = zenrunner.runzenrun_inprocess("-rP", "-p", "no:results")
    result.stdout.fnmatch_lines(["*= PASSES =*", "*1 passed*"])
    assert "_ quiet _" not in result.stdout.str()
    zenrunner.makepyfile(pipeline_quiet=PRE + "\n@pipeline\ndef quiet():\n    check(False)\n")
    result = zenrunner.runzenrun_inprocess("-rP", "-p", "no:results")
    result.stdout.no_fnmatch_line("*PASSES*")


def test_junit_message_of_a_failing_assert_in_a_body_is_pytests(zenrunner):
    zenrunner.makepyfile(
        pipeline_asserts="""
        from zenrun import pipeline

        @pipeline
        def bare():
            assert 1 == 2

        @pipeline
        def with_message():
            assert 0, "An error"
        """
    )
    zenrunner.runzenrun_inprocess("--junitxml=out.xml", "-p", "no:results").assert_outcomes(failed=2)
    import xml.etree.ElementTree as ET

    failures = {
        case.get("name"): case.find("failure").get("message")
        for case in ET.parse(zenrunner.path / "out.xml").getroot().iter("testcase")
    }
    assert failures == {"bare": "assert 1 == 2", "with_message": "AssertionError: An error\nassert 0"}


def test_a_fixture_error_shows_the_fixtures_traceback_as_pytest(zenrunner):
    zenrunner.makepyfile(
        pipeline_broken="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture
        def broken():
            raise RuntimeError("fixture broke")

        @pipeline
        def needs(broken):
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of needs _*",
            "",
            "    @zenrun.fixture",
            "    def broken():",
            ">*raise RuntimeError*",
        ],
        consecutive=True,
    )
    assert "error while" not in result.stdout.str()


def test_verbose_lines_of_pipelines_calling_no_step_are_pytests(zenrunner):
    """A body that calls no step has no run to tell of: ``-v`` prints its result line alone."""
    zenrunner.makepyfile(
        pipeline_plain="""
        from zenrun import pipeline

        @pipeline
        def test_one():
            assert 1

        @pipeline
        def test_two():
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-v", "-p", "no:results")
    result.stdout.fnmatch_lines(
        ["*collected 2 pipelines", "", "*::test_one PASSED*", "*::test_two PASSED*", ""], consecutive=True
    )
    assert "Creating run" not in result.stdout.str()


def test_capture_off_verbose_writes_the_id_before_what_the_pipeline_prints(zenrunner):
    """``-s -v``: as pytest, a pipeline's id as it starts, its outcome after its output."""
    zenrunner.makepyfile(
        pipeline_printing="""
        from zenrun import pipeline

        @pipeline
        def test_quiet():
            pass

        @pipeline
        def test_loud():
            print("printed by the body")
        """
    )
    result = zenrunner.runzenrun("-s", "-v", "-p", "no:results")
    result.stdout.fnmatch_lines(
        ["*::test_quiet PASSED", "*::test_loud printed by the body", "PASSED"], consecutive=True
    )
    # Pipelines run together (-n 2): no id first, whose line another's output would join.
    together = zenrunner.runzenrun("-s", "-v", "-p", "no:results", "-n", "2", "--no-cache")
    together.stdout.fnmatch_lines_random(["*::test_quiet PASSED*", "*::test_loud PASSED*"])
    together.stdout.no_fnmatch_line("*::test_loud printed by the body*")


def test_a_skip_in_a_runtest_setup_hook_is_reported_where_raised(zenrunner):
    """As pytest: a skip in a ``zenrun_runtest_setup`` hook is at the hook's line; one in a
    fixture or a mark at the pipeline's."""
    zenrunner.makeconftest(
        """
        import zenrun

        def zenrun_runtest_setup(item):
            if item.name == "by_hook":
                zenrun.skip("skipped by the hook")

        @zenrun.fixture
        def skipping():
            zenrun.skip("skipped by a fixture")
        """
    )
    zenrunner.makepyfile(
        pipeline_skips="""
        from zenrun import pipeline

        @pipeline
        def by_hook():
            pass

        @pipeline
        def by_fixture(skipping):
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-rs", "-p", "no:results")
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED [[]1[]] conftest.py:5: skipped by the hook",
            "SKIPPED [[]1[]] pipeline_skips.py:7: skipped by a fixture",
        ]
    )


def test_an_asserts_message_over_lines_is_indented_as_pytest(zenrunner):
    """The later lines of an ``assert``'s message (and of a line break in its value's repr)
    are indented under the first, in every traceback style, as pytest shows them."""
    zenrunner.makepyfile(
        pipeline_messages="""
        from zenrun import pipeline

        @pipeline
        def test_text():
            x = 1
            assert x == 2, "custom\\nmessage over\\nlines"

        @pipeline
        def test_value():
            assert 0, ("a\\nb", 2)
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-k", "text")
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: custom",
            "E         message over",
            "E         lines",
            "E       assert 1 == 2",
        ],
        consecutive=True,
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "-k", "value")
    result.stdout.fnmatch_lines(
        ["E       AssertionError: ('a", "E         b', 2)", "E       assert 0"], consecutive=True
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:results", "--tb=line", "-k", "text")
    result.stdout.fnmatch_lines(
        ["E   AssertionError: custom", "      message over", "      lines", "    assert 1 == 2"],
        consecutive=True,
    )


def test_reports_of_expected_failures_carry_wasxfail_as_pytests(zenrunner):
    """``report.wasxfail``: the xfail's reason on an xfailed or xpassed item, absent on the
    others (``hasattr`` tells them apart, as plugins written for pytest do)."""
    zenrunner.makeconftest(
        """
        seen = {}

        def zenrun_item_report(report):
            seen[report.nodeid.split("::")[-1]] = getattr(report, "wasxfail", None)

        def zenrun_sessionfinish(session):
            import json

            with open("wasxfail.json", "w") as f:
                json.dump(seen, f)
        """
    )
    zenrunner.makepyfile(
        pipeline_xfails="""
        import zenrun
        from zenrun import pipeline

        @zenrun.mark.xfail(reason="known bug")
        @pipeline
        def failing():
            assert 0

        @zenrun.mark.xfail(reason="fixed?")
        @pipeline
        def passing():
            pass

        @zenrun.mark.xfail(reason="no run", run=False)
        @pipeline
        def not_run():
            pass

        @pipeline
        def plain():
            pass
        """
    )
    zenrunner.runzenrun("-p", "no:results").assert_outcomes(passed=1, xfailed=2, xpassed=1)
    seen = json.loads((zenrunner.path / "wasxfail.json").read_text())
    assert seen == {"failing": "known bug", "passing": "fixed?", "not_run": "[NOTRUN] no run", "plain": None}


def test_live_logs_put_the_pipeline_bodys_records_under_call(zenrunner):
    """As pytest's test function's: the body's records are in ``live log call`` with its steps',
    and the pipeline's outcome comes before its teardown's records."""
    zenrunner.makepyfile(
        pipeline_logs="""
        import logging
        import zenrun
        from zenrun import pipeline, step

        @zenrun.fixture
        def fix():
            logging.warning("fixture log")
            yield
            logging.warning("teardown log")

        @step
        def one() -> int:
            logging.warning("step log")
            return 1

        @pipeline
        def p(fix):
            logging.warning("body log")
            one()
        """
    )
    result = zenrunner.runzenrun("--log-cli-level=INFO", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*- live log setup -*",
            "WARNING *fixture log",
            "*- live log call -*",
            "WARNING *body log",
            "WARNING *step log",
            "PASSED*",  # the outcome before the teardown's records, as pytest's
            "*- live log teardown -*",
            "WARNING *teardown log",
        ],
        consecutive=True,
    )


def test_last_failed_after_a_module_import_error_reruns_its_known_failures(zenrunner):
    """As pytest's: a module that failed to import, and now imports, records as failed the
    items ``--lf`` collects of it (its known failures), not all of its items."""
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    zenrunner.runzenrun_inprocess(env={"BROKEN": "2"}).assert_outcomes(passed=2, failed=1)
    zenrunner.makepyfile(pipeline_lf="import nope\n" + FLAKY)
    assert zenrunner.runzenrun_inprocess("--lf").ret == 2  # the module fails to import
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    result = zenrunner.runzenrun_inprocess("--lf", env={"BROKEN": ""})
    result.stdout.fnmatch_lines(["collected 1 pipeline", "run-last-failure: rerun previous 1 failure"])
    result.assert_outcomes(passed=1)
    assert json.loads((zenrunner.store / "v" / "cache" / "lastfailed").read_text()) == {}


@pytest.mark.parametrize("option", ["--setup-only", "--setup-plan"])
def test_a_session_that_runs_no_pipeline_keeps_the_recorded_failures(zenrunner, option):
    """As pytest's: ``--setup-only`` / ``--setup-plan`` set up (or show) fixtures and run
    nothing, so ``--lf`` and ``--sw`` still start from the failure recorded before."""
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    zenrunner.runzenrun_inprocess("--sw", env={"BROKEN": "2"}).assert_outcomes(passed=1, failed=1)
    zenrunner.runzenrun_inprocess("--sw", option, env={"BROKEN": "2"})
    result = zenrunner.runzenrun_inprocess("--lf", env={"BROKEN": "2"})
    result.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure"])
    result.assert_outcomes(failed=1)
    result = zenrunner.runzenrun_inprocess("--sw", env={"BROKEN": "2"})
    result.stdout.fnmatch_lines(["stepwise: skipping 1 already passed items *"])


@pytest.mark.parametrize("name", ["cacheprovider", "lastfailed"])
def test_no_cacheprovider_records_nothing_and_has_no_last_failed_options(zenrunner, name):
    """pytest's ``-p no:cacheprovider`` (zenrun's ``-p no:lastfailed``): no failure is
    recorded, and ``--lf`` is an unknown option (a usage error), as in pytest."""
    zenrunner.makepyfile(pipeline_lf=FLAKY)
    zenrunner.runzenrun_inprocess("-p", f"no:{name}", env={"BROKEN": "2"}).assert_outcomes(passed=2, failed=1)
    assert not (zenrunner.store / "v" / "cache" / "lastfailed").exists()
    result = zenrunner.runzenrun_inprocess("-p", f"no:{name}", "--lf")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unrecognized arguments: --lf*"])


@pytest.mark.parametrize("tb", ["auto", "line"])
def test_xfail_tb_shows_a_failure_of_the_body_or_a_fixture_as_a_steps(zenrunner, tb):
    """--xfail-tb's XFAILURES shows the traceback of an xfailed pipeline whose body (or a
    fixture) raised, as it does a failed step's: pytest shows every xfailed test's."""
    zenrunner.makepyfile(
        pipeline_x="""
        import zenrun
        from zenrun import pipeline, step

        @step
        def check(ok):
            assert ok

        @zenrun.fixture
        def broken():
            raise ValueError("fixture broke")

        @zenrun.mark.xfail
        @pipeline
        def in_body():
            c, d = 3, 4
            assert c == d

        @zenrun.mark.xfail
        @pipeline
        def in_fixture(broken):
            check(True)

        @zenrun.mark.xfail
        @pipeline
        def in_step():
            check(False)
        """
    )
    result = zenrunner.runzenrun_inprocess("--xfail-tb", f"--tb={tb}", "-p", "no:results")
    result.assert_outcomes(xfailed=3)
    if tb == "line":
        result.stdout.fnmatch_lines(
            [
                "*= XFAILURES =*",
                "pipeline_x.py:16: assert 3 == 4",
                "*in_fixture*ValueError: fixture broke",
                "pipeline_x.py:6: assert False",
            ]
        )
    else:
        result.stdout.fnmatch_lines(
            [
                "*= XFAILURES =*",
                "*_ in_body _*",
                ">       assert c == d",
                "E       assert 3 == 4",
                "*_ in_fixture _*",
                "E       ValueError: fixture broke",
                "*_ in_step _*",
                "E       assert False",
            ]
        )


def test_closing_line_colours_of_nothing_ran_and_of_collect_only_as_pytests(zenrunner):
    """pytest's closing line: "no tests ran" and --co's "N collected" in their colour, not
    bold; --co's errors a red part of their own after the green count."""
    green, yellow, red, reset = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"
    zenrunner.mkdir("empty")
    result = zenrunner.runzenrun_inprocess("--color=yes", "empty")
    assert f" {yellow}no pipelines ran{reset}{yellow} in " in result.stdout
    zenrunner.makepyfile(pipeline_ok="from zenrun import pipeline\n@pipeline\ndef p():\n    pass\n")
    result = zenrunner.runzenrun_inprocess("--color=yes", "--co")
    assert f" {green}1 pipeline collected{reset}{green} in " in result.stdout
    zenrunner.makepyfile(pipeline_broken="raise ValueError\n")
    result = zenrunner.runzenrun_inprocess("--color=yes", "--co")
    assert f"{red}=" in result.stdout
    assert f" {green}1 pipeline collected{reset}, {red}1 error{reset}{red} in " in result.stdout
    assert "1 pipeline collected, 1 error in " in zenrunner.runzenrun_inprocess("--co").stdout


@pytest.mark.parametrize("option", ["--disable-warnings", "--disable-pytest-warnings"])
def test_disable_warnings_hides_the_warnings_summary_and_counts_them(zenrunner, option):
    """pytest's --disable-warnings, on the command line or in addopts: no warnings summary,
    its "(final)" one neither; the closing line still counts the warnings."""
    zenrunner.makeconftest(
        "import warnings\ndef zenrun_terminal_summary(terminalreporter):\n    warnings.warn(UserWarning('late'))\n"
    )
    zenrunner.makepyfile(
        pipeline_w="import warnings\nfrom zenrun import pipeline\n@pipeline\ndef w():\n    warnings.warn(UserWarning('uw'))\n"
    )
    result = zenrunner.runzenrun_inprocess(option)
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*warnings summary*")
    result.stdout.fnmatch_lines(["*= 1 passed, 2 warnings in *"])
    zenrunner.makeini(f"[zenrun]\naddopts = {option}\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*warnings summary*")
    assert "warnings summary" in zenrunner.runzenrun_inprocess("-o", "addopts=").stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PYTEST_THEME": "nosuchtheme"},
            "ERROR: PYTEST_THEME environment variable has an invalid value: 'nosuchtheme'.*",
        ),
        (
            {"PYTEST_THEME_MODE": "dim"},
            "ERROR: PYTEST_THEME_MODE environment variable has an invalid value: 'dim'.*",
        ),
    ],
)
def test_an_unknown_code_theme_is_a_usage_error_when_highlighting(zenrunner, env, message):
    """pytest's usage errors for PYTEST_THEME / PYTEST_THEME_MODE (zenrun showed plain
    source instead, hiding the typo); without colours nothing is highlighted: no error."""
    zenrunner.makepyfile(pipeline_x="from zenrun import pipeline\n@pipeline\ndef p():\n    assert 1 == 10\n")
    result = zenrunner.runzenrun_inprocess("--color=yes", env=env)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert zenrunner.runzenrun_inprocess("--color=no", env=env).ret == 1
    assert zenrunner.runzenrun_inprocess("--color=yes", "--code-highlight=no", env=env).ret == 1


def test_passes_leave_a_failed_teardowns_output_to_its_error(zenrunner):
    """-rP as pytest's: what a teardown that then failed wrote is shown with its ERROR, not
    again under PASSES; a teardown that passed keeps its output there; titles green."""
    zenrunner.makepyfile(
        pipeline_p="""
        import zenrun
        from zenrun import pipeline

        @zenrun.fixture
        def breaks():
            print("setting up")
            yield
            print("tearing down")
            raise RuntimeError("td")

        @zenrun.fixture
        def quiet():
            yield
            print("quiet down")

        @pipeline
        def first(breaks):
            pass

        @pipeline
        def second(quiet):
            pass
        """
    )
    result = zenrunner.runzenrun_inprocess("-rP", "-p", "no:results")
    result.stdout.fnmatch_lines(
        [
            "*= ERRORS =*",
            "*_ ERROR at teardown of first _*",
            "*Captured stdout teardown*",
            "tearing down",
            "*= PASSES =*",
            "*_ first _*",
            "*Captured stdout setup*",
            "setting up",
            "*_ second _*",
            "*Captured stdout teardown*",
            "quiet down",
        ]
    )
    passes = result.stdout.str().split("= PASSES =", 1)[1]
    assert "tearing down" not in passes
    colored = zenrunner.runzenrun_inprocess("-rP", "-p", "no:results", "--color=yes")
    assert "\x1b[32m\x1b[1m" + "_" * 10 in colored.stdout
