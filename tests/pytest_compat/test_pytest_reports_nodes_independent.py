"""Independent port (session 19, porter 2) of pytest's ``testing/test_reports.py``,
``testing/test_nodes.py``, ``testing/test_helpconfig.py`` and
``testing/test_pluginmanager.py`` (pytest-dev/pytest, HEAD df87db7b), written from
zenrun's user documentation only.

Mapping: a test function -> a ``@pipeline`` whose asserts run in the ``check`` step;
``pytester`` -> ``zenrunner``; ``pytest_*`` hooks -> ``zenrun_*``; pytest's
``TestReport`` -> ``zenrun.ItemReport`` (one per item, ``zenrun_item_report``);
``CollectReport`` -> the report of ``zenrun_collectreport``; ``PYTEST_PLUGINS`` ->
``ZENRUN_PLUGINS``; ``pytest_plugins`` -> ``zenrun_plugins``.
Cases judged not applicable are listed in ``NOT_APPLICABLE`` with the reason.
"""

from __future__ import annotations

import re
import textwrap
import types

import pytest

import zenrun

PRE = """\
import zenrun
from zenrun import pipeline, step

@step
def check(ok: bool, message: str = "assert False"):
    assert ok, message
"""


def src(body: str) -> str:
    return PRE + "\n" + textwrap.dedent(body)


NOT_APPLICABLE = {
    # test_reports.py
    "TestReportSerialization::test_extended_report_deserialization": "report._to_json/_from_json: zenrun has no report serialization (reports never leave the process; -n is built in)",
    "TestReportSerialization::test_paths_support": "report._to_json: no report serialization",
    "TestReportSerialization::test_deserialization_failure": "TestReport._from_json: no report serialization",
    "TestReportSerialization::test_collectreport_passed": "zenrun_collectreport is documented to fire only for skipped / errored modules, never for a passed collector",
    "TestReportSerialization::test_exception_group_skips_use_item_location": "relies on the private skip.Exception._use_item_location",
    "TestHooks::test_test_report": "pytest_report_to_serializable / _from_serializable: no such zenrun hooks (xdist's need; zenrun's -n is built in)",
    "TestHooks::test_collect_report": "as above",
    "TestHooks::test_invalid_report_types[pytest_runtest_logreport]": "as above",
    "TestHooks::test_invalid_report_types[pytest_collectreport]": "as above",
    # test_nodes.py
    "test_node_from_parent_disallowed_arguments": "zenrun.Item has no from_parent: hookspec documents zenrun.Item(nodeid=..., ...) built directly",
    "test_node_direct_construction_deprecated": "as above: direct construction is zenrun's documented way",
    "test_subclassing_both_item_and_collector_deprecated": "zenrun has no Collector/File node classes",
    "TestNormSep (6 cases)": "private helper _pytest.nodes.norm_sep",
    "test__check_initialpaths_for_relpath": "private helper",
    # test_helpconfig.py
    "test_parse_known_args_doesnt_quit_on_help": "config._parser is private",
    "test_debug": "--debug is documented as not available in zenrun",
    "test_PYTEST_DEBUG": "no ZENRUN_DEBUG (pluggy tracing) is documented",
    # test_pluginmanager.py
    "test_conftestpath_case_sensitivity": "Windows only, private _importconftest",
    "test_hook_tracing": "needs a pytest_plugin_registered hook (zenrun documents it has none) and pm.trace",
    "test_hook_proxy": "session.gethookproxy is not documented",
    "test_plugin_prevent_register_unregistered_already_registered": "pm.consider_preparse on a live manager (no CLI equivalent: -p is parsed before any plugin registers)",
    "test_canonical_import": "pm.import_plugin is not documented (the -p behaviour is ported in test_import_plugin_importname)",
}


# ---------------------------------------------------------------------------------------
# test_reports.py :: TestReportSerialization (what survives without serialization)
# ---------------------------------------------------------------------------------------


def test_xdist_longrepr_to_str_issue_241(zenrunner):
    zenrunner.makepyfile(
        pipeline_a=src(
            """
            @pipeline
            def test_a(): check(False)
            @pipeline
            def test_b(): check(True)
            """
        )
    )
    reprec = zenrunner.inline_run()
    reports = reprec.getreports("zenrun_item_report")
    assert len(reports) == 2  # zenrun: one report per item (pytest: 6, per phase)
    test_a_call, test_b_call = reports
    assert test_a_call.when == "call"
    assert test_a_call.outcome == "failed"
    assert "AssertionError" in test_a_call.longreprtext
    assert test_b_call.when == "call"
    assert test_b_call.outcome == "passed"
    assert not test_b_call.longrepr  # pytest: None


def test_xdist_report_longrepr_reprcrash_130(zenrunner):
    reprec = zenrunner.inline_runsource(
        src(
            """
            @pipeline
            def test_fail():
                check(False, 'Expected Message')
            """
        )
    )
    (rep,) = reprec.getreports("zenrun_item_report")
    assert rep.failed
    assert "Expected Message" in rep.longreprtext
    # pytest's rep.longrepr.reprcrash.message is "AssertionError: Expected Message"
    assert "AssertionError: Expected Message" in rep.summary


def test_reprentries_serialization_170(zenrunner):
    reprec = zenrunner.inline_runsource(
        """
from zenrun import pipeline, step

@step
def repr_entry():
    x = 0
    assert x

@pipeline
def test_repr_entry():
    repr_entry()
""",
        "--showlocals",
    )
    (rep,) = reprec.getreports("zenrun_item_report")
    assert rep.failed
    assert re.search(r"^x\s+= 0$", rep.longreprtext, re.M), rep.longreprtext


def test_reprentries_serialization_196(zenrunner):
    reprec = zenrunner.inline_runsource(
        """
from zenrun import pipeline, step

@step
def repr_entry_native():
    x = 0
    assert x

@pipeline
def test_repr_entry_native():
    repr_entry_native()
""",
        "--tb=native",
    )
    (rep,) = reprec.getreports("zenrun_item_report")
    assert rep.failed
    text = rep.longreprtext
    assert "Traceback (most recent call last):" in text, text
    assert re.search(r'File ".*", line \d+, in repr_entry_native', text), text


def test_itemreport_outcomes(zenrunner):
    reprec = zenrunner.inline_runsource(
        src(
            """
            @step
            def divide():
                0/0

            @pipeline
            def test_pass(): check(True)
            @pipeline
            def test_fail(): divide()
            @zenrun.mark.skipif("True")
            @pipeline
            def test_skip(): check(True)
            @pipeline
            def test_skip_imperative():
                zenrun.skip("hello")
            @zenrun.mark.xfail("True")
            @pipeline
            def test_xfail(): divide()
            @pipeline
            def test_xfail_imperative():
                zenrun.xfail("hello")
            """
        )
    )
    reports = {r.nodeid.split("::")[-1]: r for r in reprec.getreports("zenrun_item_report")}
    assert len(reports) == 6
    flags = {name: (r.passed, r.failed, r.skipped, hasattr(r, "wasxfail")) for name, r in reports.items()}
    assert flags == {
        "test_pass": (True, False, False, False),
        "test_fail": (False, True, False, False),
        "test_skip": (False, False, True, False),
        "test_skip_imperative": (False, False, True, False),
        "test_xfail": (False, False, True, True),
        "test_xfail_imperative": (False, False, True, True),
    }
    # pytest: a skip's longrepr is (path, lineno, reason)
    assert "hello" in reports["test_skip_imperative"].longreprtext
    assert reports["test_skip_imperative"].location is not None
    assert reports["test_xfail_imperative"].wasxfail == "hello"
    # keywords: the item's name and its marks, as pytest's report.keywords
    assert "test_skip" in reports["test_skip"].keywords
    assert "skipif" in reports["test_skip"].keywords
    assert "xfail" in reports["test_xfail"].keywords
    assert "ZeroDivisionError" in reports["test_fail"].longreprtext


def test_collectreport_fail(zenrunner):
    reprec = zenrunner.inline_runsource("qwe abc")
    reports = reprec.getreports("zenrun_collectreport")
    assert reports
    for rep in reports:
        assert rep.failed
        assert not rep.passed
        assert not rep.skipped
        assert rep.when == "collect"
        assert "SyntaxError" in str(rep.longrepr)


CHAINED = """
def foo():
    raise ValueError('value error')
def test_a():
    try:
        foo()
    except ValueError as e:
        raise RuntimeError('runtime error') from e
"""


def _check_chained(text: str) -> None:
    assert "ValueError('value error')" in text, text
    assert "RuntimeError('runtime error')" in text, text
    assert "The above exception was the direct cause of the following exception:" in text, text
    assert text.index("ValueError") < text.index("RuntimeError: runtime error")


def test_chained_exceptions_TestReport(zenrunner):
    zenrunner.makepyfile(
        pipeline_chained="from zenrun import pipeline, step\n"
        + CHAINED.replace("def test_a():", "@step\ndef s_a():")
        + "\n@pipeline\ndef test_a():\n    s_a()\n"
    )
    reprec = zenrunner.inline_run()
    (report,) = reprec.getreports("zenrun_item_report")
    assert report.failed
    assert len(report.sections) == 0
    _check_chained(report.longreprtext)


def test_chained_exceptions_CollectReport(zenrunner):
    zenrunner.makepyfile(pipeline_chained=CHAINED + "test_a()\n")
    reprec = zenrunner.inline_run()
    (report,) = reprec.getreports("zenrun_collectreport")
    assert report.failed
    _check_chained(str(report.longrepr))


def test_chained_exceptions_no_reprcrash(zenrunner):
    zenrunner.makepyfile(
        pipeline_pool="""
from concurrent.futures import ProcessPoolExecutor
from zenrun import pipeline, step

def func():
    raise ValueError('value error')

@step
def s_a():
    with ProcessPoolExecutor(1) as p:
        p.submit(func).result()

@pipeline
def test_a():
    s_a()
"""
    )
    zenrunner.syspathinsert()
    reprec = zenrunner.inline_run()
    (report,) = reprec.getreports("zenrun_item_report")
    assert report.failed
    assert "RemoteTraceback" in report.longreprtext, report.longreprtext
    assert "ValueError: value error" in report.longreprtext


def test_report_prevent_ConftestImportFailure_hiding_exception(zenrunner):
    sub_dir = zenrunner.path.joinpath("ns")
    sub_dir.mkdir()
    sub_dir.joinpath("conftest.py").write_text("import unknown", encoding="utf-8")
    result = zenrunner.runzenrun_subprocess(".")
    out = result.stdout.str() + result.stderr.str()
    from zenrun.testing import LineMatcher

    LineMatcher(out.splitlines()).fnmatch_lines(["E   *Error: No module named 'unknown'"])
    LineMatcher(out.splitlines()).no_fnmatch_line("ERROR  - *ConftestImportFailure*")


def test_report_timestamps_match_duration(zenrunner):
    reprec = zenrunner.inline_runsource(
        src(
            """
            import time

            @zenrun.fixture
            def fixture_():
                time.sleep(0.1)
                yield
                time.sleep(0.1)

            @step
            def slow():
                time.sleep(0.2)

            @pipeline
            def test_1(fixture_): slow()
            """
        )
    )
    (report,) = reprec.getreports("zenrun_item_report")
    assert report.duration >= 0.2
    assert report.stop - report.start == pytest.approx(report.duration)


@pytest.mark.parametrize(
    "first_skip_reason, second_skip_reason, skip_reason_output",
    [("A", "B", "(A; B)"), ("A", "A", "(A)")],
)
def test_exception_group_with_only_skips(
    zenrunner, first_skip_reason, second_skip_reason, skip_reason_output
):
    zenrunner.makepyfile(
        pipeline_it=src(
            f"""
            @zenrun.fixture
            def fixA():
                yield
                zenrun.skip(reason="{first_skip_reason}")
            @zenrun.fixture
            def fixB():
                yield
                zenrun.skip(reason="{second_skip_reason}")
            @pipeline
            def test_skip(fixA, fixB):
                check(True)
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-v")
    result.assert_outcomes(passed=1, skipped=1)
    out = result.stdout.str()
    assert skip_reason_output in out, out
    assert "ERROR at teardown" not in out


# ---------------------------------------------------------------------------------------
# test_nodes.py
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "warn_type, msg", [(DeprecationWarning, "deprecated"), (zenrun.ZenrunWarning, "zenrun")]
)
def test_node_warn_is_no_longer_only_pytest_warnings(zenrunner, warn_type, msg):
    items = zenrunner.getitems(src("@pipeline\ndef test():\n    check(True)\n"))
    with pytest.warns(warn_type, match=msg):
        items[0].warn(warn_type(msg))


def test_node_warning_enforces_warning_types(zenrunner):
    items = zenrunner.getitems(src("@pipeline\ndef test():\n    check(True)\n"))
    with pytest.raises(ValueError, match="warning must be an instance of Warning or subclass"):
        items[0].warn(Exception("ok"))


def test_failure_with_changed_cwd(zenrunner):
    """Failure lines use absolute paths if cwd has changed since invocation (#6428)."""
    p = zenrunner.makepyfile(
        pipeline_cwd=src(
            """
            import os

            @zenrun.fixture
            def private_dir():
                out_dir = 'ddd'
                os.mkdir(out_dir)
                old_dir = os.getcwd()
                os.chdir(out_dir)
                yield out_dir
                os.chdir(old_dir)

            @step
            def fails():
                assert False

            @pipeline
            def test_show_wrong_path(private_dir):
                fails()
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines([str(p) + ":*: AssertionError", "*1 failed in *"])


# ---------------------------------------------------------------------------------------
# test_helpconfig.py
# ---------------------------------------------------------------------------------------


def test_version_verbose(zenrunner, monkeypatch):
    monkeypatch.delenv("ZENRUN_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("ZENRUN_PLUGINS", raising=False)
    result = zenrunner.runzenrun_subprocess("--version", "--version")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"*zenrun*{zenrun.__version__}*imported from*"])
    result.stdout.fnmatch_lines(["*registered third-party plugins:", "*at*"])


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_less_verbose(zenrunner, flag):
    zenrunner.makeconftest("print('This should not be printed')")
    result = zenrunner.runzenrun_subprocess(flag)
    assert result.ret == 0
    assert result.stdout.str().strip() == f"zenrun {zenrun.__version__}"


def test_versions():
    assert isinstance(zenrun.__version__, str)
    assert isinstance(zenrun.version_tuple, tuple)


def test_help(zenrunner):
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    # zenrun orders its groups its own way (-V is under "general"): each line anywhere
    result.stdout.fnmatch_lines_random(
        [
            "*-m MARKEXPR*",
            "*--durations*N*",
            "*-V, --version*",
            "*setup.cfg*",
            "*minversion*",
            "*to see*markers*zenrun --markers*",
            "*to see*fixtures*zenrun --fixtures*",
        ]
    )


def test_help_ini_union_and_literal_types(zenrunner):
    zenrunner.makeconftest(
        """
from typing import Literal

def zenrun_addoption(parser):
    parser.addini("ini_union", "union help", type=int | str, default=None)
    parser.addini(
        "ini_literal", "literal help", type=Literal["auto", "long"],
        default="auto",
    )
    parser.addini(
        "ini_mixed", "mixed help", type=int | Literal["auto"],
        default="auto",
    )
"""
    )
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*ini_union (int | string):*",
            "*union help*",
            "*ini_literal ('auto' | 'long'):*",
            "*literal help*",
            "*ini_mixed (int | 'auto'):*",
            "*mixed help*",
        ]
    )


def test_none_help_param_raises_exception(zenrunner):
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    parser.addini("test_ini", None, default=True, type="bool")
"""
    )
    result = zenrunner.runzenrun_subprocess("--help")
    result.stderr.fnmatch_lines(["*TypeError: help argument cannot be None for test_ini*"])


def test_empty_help_param(zenrunner):
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    parser.addini("test_ini", "", default=True, type="bool")
"""
    )
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines_random(["  required_plugins*", "*must be*for zenrun to run*"])
    # pytest: "  test_ini (bool):" and nothing else (no "None"), the next key or section follows
    lines = result.stdout.str().splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("  test_ini "))
    assert lines[i].split() == ["test_ini"] or lines[i].split() == ["test_ini", "(bool):"], lines[i]
    assert not lines[i + 1].startswith("                        "), lines[i : i + 3]


def test_hookvalidation_unknown(zenrunner):
    zenrunner.makeconftest(
        """
def zenrun_hello(xyz):
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    out = result.stdout.str() + "\n" + result.stderr.str()
    assert re.search(r"unknown hook.*zenrun_hello", out), out


def test_hookvalidation_optional(zenrunner):
    zenrunner.makeconftest(
        """
import zenrun
@zenrun.hookimpl(optionalhook=True)
def zenrun_hello(xyz):
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == zenrun.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.parametrize("flag", ["--traceconfig", "--trace-config"])
def test_traceconfig(zenrunner, flag):
    result = zenrunner.runzenrun_inprocess(flag)
    result.stdout.fnmatch_lines(["*using*zenrun*", "*active plugins*"])


# ---------------------------------------------------------------------------------------
# test_pluginmanager.py :: TestPytestPluginInteractions
# ---------------------------------------------------------------------------------------


def test_addhooks_conftestplugin(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.makepyfile(
        newhooks="""
def zenrun_myhook(xyz):
    "new hook"
"""
    )
    zenrunner.makeconftest(
        """
import newhooks
def zenrun_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(newhooks)
def zenrun_myhook(xyz):
    return xyz + 1
"""
    )
    config = zenrunner.parseconfig()
    res = config.hook.zenrun_myhook(xyz=10)
    assert res == [11]


def test_addhooks_nohooks(zenrunner):
    zenrunner.makeconftest(
        """
import sys
def zenrun_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(sys)
"""
    )
    res = zenrunner.runzenrun_inprocess()
    assert res.ret != 0
    res.stderr.fnmatch_lines(["*did not find*sys*"])


def test_do_option_postinitialize(zenrunner):
    config = zenrunner.parseconfigure()
    assert not hasattr(config.option, "test123")
    plugin = types.ModuleType("late_plugin")
    exec(
        textwrap.dedent(
            """
            def zenrun_addoption(parser):
                parser.addoption('--test123', action="store_true", default=True)
            """
        ),
        plugin.__dict__,
    )
    config.pluginmanager.register(plugin, "late_plugin")
    assert config.option.test123


def test_configure(zenrunner):
    config = zenrunner.parseconfig()
    values = []

    class A:
        def zenrun_configure(self):
            values.append(self)

    config.pluginmanager.register(A())
    assert len(values) == 0
    config = zenrunner.parseconfigure()
    config.pluginmanager.register(A())  # leads to a configured() plugin
    assert len(values) == 1
    config.pluginmanager.register(A())
    assert len(values) == 2
    assert values[0] != values[1]


def test_hook_with_addoption(zenrunner):
    """Hooks can be used in a call to zenrun_addoption."""
    zenrunner.syspathinsert()
    zenrunner.makepyfile(
        newhooks="""
import zenrun
@zenrun.hookspec(firstresult=True)
def zenrun_default_value():
    pass
"""
    )
    zenrunner.makepyfile(
        myplugin="""
import newhooks
def zenrun_addhooks(pluginmanager):
    newhooks  # noqa
    pluginmanager.add_hookspecs(newhooks)
def zenrun_addoption(parser, pluginmanager):
    default_value = pluginmanager.hook.zenrun_default_value()
    parser.addoption("--myconfig", help="Config, defaults to %(default)s", default=default_value)
"""
    )
    zenrunner.makeconftest(
        """
zenrun_plugins = ("myplugin",)
def zenrun_default_value():
    return "default_value"
"""
    )
    res = zenrunner.runzenrun_inprocess("--help")
    res.stdout.fnmatch_lines(["*--myconfig*CONFIG*default_value*"])


@pytest.mark.xfail(
    strict=True,
    reason="zenrun lists no tryfirst/trylast marks (deprecated in pytest; hooks take hookimpl(tryfirst=True))",
)
def test_default_markers(zenrunner):
    result = zenrunner.runzenrun_inprocess("--markers")
    result.stdout.fnmatch_lines(["*tryfirst*first*", "*trylast*last*"])


def test_importplugin_error_message(zenrunner):
    """Import errors of a plugin are not hidden (#375, #1998)."""
    zenrunner.syspathinsert(zenrunner.path)
    zenrunner.makepyfile(
        qwe="""\
def test_traceback():
    raise ImportError('Not possible to import: ☺')
test_traceback()
"""
    )
    result = zenrunner.runzenrun_inprocess("-p", "qwe")
    assert result.ret == zenrun.ExitCode.USAGE_ERROR
    out = result.stdout.str() + "\n" + result.stderr.str()
    # wording is zenrun's ("plugin 'qwe' (-p qwe) could not be imported: ImportError: ...")
    assert "qwe" in out and "Not possible to import: ☺" in out, out
    # the point of pytest's case (#375, #1998): where the import failed is shown
    assert "in test_traceback" in out, out


# ---------------------------------------------------------------------------------------
# test_pluginmanager.py :: TestPytestPluginManager
# ---------------------------------------------------------------------------------------


def test_register_imported_modules(zenrunner):
    pm = zenrunner.parseconfig().pluginmanager
    mod = types.ModuleType("x.y.zenrun_hello")
    pm.register(mod)
    assert pm.is_registered(mod)
    values = pm.get_plugins()
    assert mod in values
    with pytest.raises(ValueError):
        pm.register(mod)
    with pytest.raises(ValueError):
        pm.register(mod)
    assert pm.get_plugins() == values


def test_consider_module(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.makepyfile(zenrun_p1="#")
    zenrunner.makepyfile(zenrun_p2="#")
    zenrunner.makepyfile(
        pipeline_mod=src(
            """
            zenrun_plugins = ["zenrun_p1", "zenrun_p2"]

            @pipeline
            def test_plugins(zenrunconfig):
                p1 = zenrunconfig.pluginmanager.get_plugin("zenrun_p1")
                p2 = zenrunconfig.pluginmanager.get_plugin("zenrun_p2")
                check(p1 is not None and p1.__name__ == "zenrun_p1", "p1")
                check(p2 is not None and p2.__name__ == "zenrun_p2", "p2")
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)


def test_consider_module_import_module(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.makepyfile(zenrun_a="#")
    zenrunner.makeconftest('zenrun_plugins = "zenrun_a"\n')
    zenrunner.makepyfile(
        pipeline_mod=src(
            """
            @pipeline
            def test_plugins(zenrunconfig):
                pm = zenrunconfig.pluginmanager
                names = [getattr(p, "__name__", None) for p in pm.get_plugins()]
                check(names.count("zenrun_a") == 1, repr(names))
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)


def test_consider_env_fails_to_import(zenrunner):
    result = zenrunner.runzenrun_inprocess(env={"ZENRUN_PLUGINS": "nonexisting"})
    assert result.ret == zenrun.ExitCode.USAGE_ERROR
    out = result.stdout.str() + "\n" + result.stderr.str()
    assert "nonexisting" in out, out


def _entry_point_dist(zenrunner, version="1.0"):
    """A distribution on sys.path whose zenrun entry point 'mytestplugin' loads
    the module mytestplugin_module."""
    site = zenrunner.mkdir("site")
    (site / "mytestplugin_module.py").write_text("LOADED = True\n")
    info = site / f"mytestplugin-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mytestplugin\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("[zenrun]\nmytestplugin = mytestplugin_module\n")
    zenrunner.syspathinsert(site)


CHECK_MYTESTPLUGIN = """
@pipeline
def test_ok(zenrunconfig):
    plugin = zenrunconfig.pluginmanager.get_plugin("mytestplugin")
    check(plugin is not None and plugin.__name__ == "mytestplugin_module", repr(plugin))
"""


def test_consider_env_entry_point_name(zenrunner):
    _entry_point_dist(zenrunner)
    zenrunner.makepyfile(pipeline_ok=src(CHECK_MYTESTPLUGIN))
    result = zenrunner.runzenrun_subprocess()
    result.assert_outcomes(passed=1)  # autoloaded: sanity
    env = {"ZENRUN_PLUGINS": "mytestplugin", "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = zenrunner.run(env=env)
    result.assert_outcomes(passed=1)


def test_consider_module_entry_point_name(zenrunner):
    _entry_point_dist(zenrunner)
    zenrunner.makeconftest('zenrun_plugins = ["mytestplugin"]\n')
    zenrunner.makepyfile(pipeline_ok=src(CHECK_MYTESTPLUGIN))
    result = zenrunner.run(env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"})
    result.assert_outcomes(passed=1)


def test_consider_env_entry_point_reported_in_header(zenrunner):
    _entry_point_dist(zenrunner, version="1.2.3")
    zenrunner.makepyfile(pipeline_ok=src("@pipeline\ndef test_ok():\n    check(True)\n"))
    env = {"ZENRUN_PLUGINS": "mytestplugin", "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = zenrunner.run(env=env)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["plugins: *mytestplugin-1.2.3*"])


def test_plugin_skip(zenrunner):
    p = zenrunner.makepyfile(
        skipping1="""
import zenrun
zenrun.skip("hello", allow_module_level=True)
"""
    )
    p.with_name("skipping2.py").write_text(p.read_text())
    zenrunner.syspathinsert()
    result = zenrunner.runzenrun_inprocess("-p", "skipping1", env={"ZENRUN_PLUGINS": "skipping2"})
    assert result.ret == zenrun.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*skipped plugin*skipping1*hello*", "*skipped plugin*skipping2*hello*"])


def test_consider_env_plugin_instantiation(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.makepyfile(xy123="#")
    zenrunner.makepyfile(
        pipeline_env=src(
            """
            @pipeline
            def test_env(zenrunconfig):
                pm = zenrunconfig.pluginmanager
                names = [getattr(p, "__name__", None) for p in pm.get_plugins()]
                check(pm.get_plugin("xy123") is not None, "xy123 not registered")
                check(names.count("xy123") == 1, repr(names))
            """
        )
    )
    result = zenrunner.runzenrun_inprocess(env={"ZENRUN_PLUGINS": "xy123"})
    result.assert_outcomes(passed=1)


def test_pluginmanager_ENV_startup(zenrunner):
    zenrunner.makepyfile(zenrun_x500="#")
    p = zenrunner.makepyfile(
        pipeline_x=src(
            """
            @pipeline
            def test_hello(zenrunconfig):
                plugin = zenrunconfig.pluginmanager.get_plugin('zenrun_x500')
                check(plugin is not None)
            """
        )
    )
    zenrunner.syspathinsert()
    result = zenrunner.runzenrun_inprocess(str(p), env={"ZENRUN_PLUGINS": "zenrun_x500"})
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_import_plugin_importname(zenrunner):
    for bad in ("qweqwex.y", "zenrun_qweqwx.y"):
        result = zenrunner.runzenrun_inprocess("-p", bad)
        assert result.ret == zenrun.ExitCode.USAGE_ERROR, bad
    zenrunner.syspathinsert()
    zenrunner.makepyfile(zenrun_hello="")
    zenrunner.makepyfile(
        pipeline_x=src(
            """
            @pipeline
            def test_hello(zenrunconfig):
                pm = zenrunconfig.pluginmanager
                plugin1 = pm.get_plugin("zenrun_hello")
                check(plugin1 is not None and plugin1.__name__.endswith("zenrun_hello"), repr(plugin1))
                names = [getattr(p, "__name__", None) for p in pm.get_plugins()]
                check(names.count("zenrun_hello") == 1, repr(names))
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "zenrun_hello", "-p", "zenrun_hello")
    result.assert_outcomes(passed=1)


def test_import_plugin_dotted_name(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.mkpydir("pkg").joinpath("plug.py").write_text("x=3", encoding="utf-8")
    zenrunner.makepyfile(
        pipeline_x=src(
            """
            @pipeline
            def test_hello(zenrunconfig):
                mod = zenrunconfig.pluginmanager.get_plugin("pkg.plug")
                check(mod is not None and mod.x == 3, repr(mod))
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "pkg.plug")
    result.assert_outcomes(passed=1)


def test_consider_conftest_deps(zenrunner):
    zenrunner.makeconftest("zenrun_plugins='xyz'\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == zenrun.ExitCode.USAGE_ERROR
    out = result.stdout.str() + "\n" + result.stderr.str()
    assert "xyz" in out, out


# ---------------------------------------------------------------------------------------
# test_pluginmanager.py :: TestPytestPluginManagerBootstrapping
# ---------------------------------------------------------------------------------------


def test_preparse_args(zenrunner):
    r = zenrunner.runzenrun_inprocess("xyz", "-p", "hello123")
    assert r.ret == zenrun.ExitCode.USAGE_ERROR
    # Handles -p without space (#3532).
    r = zenrunner.runzenrun_inprocess("-phello123")
    assert r.ret == zenrun.ExitCode.USAGE_ERROR
    out = r.stdout.str() + r.stderr.str()
    assert "'hello123'" in out or '"hello123"' in out, out  # zenrun quotes with ''
    r = zenrunner.runzenrun_inprocess("-pno:hello123")
    assert r.ret == zenrun.ExitCode.NO_TESTS_COLLECTED, r.stderr.str()
    r = zenrunner.runzenrun_inprocess("-p", "no:main")
    assert r.ret == zenrun.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(
        ["*plugin*main*cannot be disabled*"]
    )  # zenrun: "plugin 'main' is essential and cannot be disabled"


def test_plugin_prevent_register(zenrunner):
    zenrunner.makeconftest(
        """
def zenrun_configure(config):
    config.pluginmanager.register(object(), name="abc")
"""
    )
    zenrunner.makepyfile(
        pipeline_x=src(
            """
            @pipeline
            def test_blocked(zenrunconfig):
                check(zenrunconfig.pluginmanager.get_plugin("abc") is None, "abc registered")
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:abc")
    result.assert_outcomes(passed=1)


def test_plugin_prevent_register_stepwise_on_cacheprovider_unregister(zenrunner):
    """Blocking the plugin that keeps --lf's records blocks --sw too (it needs them)."""
    result = zenrunner.runzenrun_inprocess("-p", "no:lastfailed", "--sw")
    assert result.ret == zenrun.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --sw*"])


def test_blocked_plugin_can_be_used(zenrunner):
    zenrunner.syspathinsert()
    zenrunner.makepyfile(abc="#")
    zenrunner.makepyfile(
        pipeline_x=src(
            """
            @pipeline
            def test_used(zenrunconfig):
                pm = zenrunconfig.pluginmanager
                check(pm.has_plugin("abc"), "abc not loaded")
                check(not pm.is_blocked("abc"), "abc blocked")
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:abc", "-p", "abc")
    result.assert_outcomes(passed=1)
