"""Port of pytest's ``testing/test_junitxml.py`` (pytest-dev/pytest).

``--junitxml`` / ``--junitprefix``, the ``junit_*`` keys and the ``record_*`` fixtures.
Test sources are written as pytest writes them and turned into pipelines by
``porting.pipelines`` (an ``assert`` runs in the ``check`` step); where pytest's test
raises in the test function, the port raises in a step (``boom``), where a pipeline's work
runs and fails. The XML is parsed with ``xml.dom.minidom`` through pytest's small DOM
helper (``DomDocument`` / ``DomNode``, its own cases ported too). ``RunAndParse`` checks,
as pytest's, that the ``<testsuite>``'s ``tests`` is the number of ``<testcase>`` elements
and an xunit2 report is checked against the rules of pytest's ``junit-10.xsd`` (by hand:
``xmlschema`` is not a test dependency).

Names mapped: the default suite name is ``zenrun`` (pytest: ``pytest``), ``<testsuites
name="zenrun pipelines">`` (``pytest tests``), the internal error's classname ``zenrun``,
the ``<skipped>`` types ``zenrun.skip`` / ``zenrun.xfail`` (``pytest.skip`` /
``pytest.xfail``); a module written by ``makepyfile`` is ``pipeline_<test name>`` (its
classname).

Deliberate differences kept in the expected values:

- a ``<failure>``'s message is the short summary's, which names the failed step
  (``step 'boom': ValueError: 42`` where pytest says ``ValueError: 42``): the checks
  match its end;
- pytest's mocked clock (``mock_timing``) is replaced by short real sleeps, and a
  module-scoped fixture's teardown (run after the item's report in zenrun) by a
  pipeline-scoped one.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from xml.dom import minidom

import pytest
from porting import PRE, module_name, pipelines

from zenrun.junitxml import LogXML, bin_xml_escape, mangle_test_address


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def line_of(path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


#: Steps the ports call where pytest's test function raises or prints: work runs in steps.
STEPS = """
@step
def boom(kind: str = "ValueError", message: object = 42) -> None:
    import builtins
    raise getattr(builtins, kind)(message)

@step
def say(out: str = "", err: str = "", warn: str = "", info: str = "") -> None:
    import logging, sys
    if out:
        sys.stdout.write(out)
    if err:
        sys.stderr.write(err)
    if info:
        logging.info(info)
    if warn:
        logging.warning(warn)
"""


def write_raw(zenrunner, source: str, **files: str):
    """A pipeline module written as zenrun source (``check``, ``boom`` and ``say`` steps)."""
    if files:
        return zenrunner.makepyfile(**{k: PRE + STEPS + v for k, v in files.items()})
    return zenrunner.makepyfile(PRE + STEPS + source)


class RunAndParse:
    def __init__(self, zenrunner) -> None:
        self.zenrunner = zenrunner

    def __call__(self, *args, family: str | None = "xunit1", suite_name: str = "zenrun"):
        if family:
            args = ("-o", "junit_family=" + family, *args)
        xml_path = self.zenrunner.path.joinpath("junit.xml")
        result = self.zenrunner.runzenrun_inprocess(f"--junitxml={xml_path}", *map(str, args))
        xmldoc = minidom.parse(str(xml_path))
        if family == "xunit2":
            check_junit_10(xmldoc)
        # Ensure the tests attribute of the ``<testsuite>`` element
        # always matches the number of ``<testcase>`` elements (#3580).
        doc = DomDocument(xmldoc)
        testcase_nodes = doc.find_by_tag("testcase")
        test_suite_node = doc.get_first_by_tag("testsuite")
        test_suite_node.assert_attr(name=suite_name, tests=len(testcase_nodes))
        return result, doc


#: What pytest's ``testing/example_scripts/junit-10.xsd`` allows, element by element:
#: (required attributes, allowed attributes, allowed children).
JUNIT_10 = {
    "testsuites": (set(), {"name", "time", "tests", "failures", "errors", "disabled"}, {"testsuite"}),
    "testsuite": (
        {"name", "tests", "failures", "errors"},
        {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname"}
        | {"id", "package", "file", "log", "url", "version"},
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "testcase": (
        {"name"},
        {"name", "time", "classname", "group"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": (set(), {"type", "message"}, set()),
    "error": (set(), {"type", "message"}, set()),
    "skipped": (set(), {"type", "message"}, set()),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}


def check_junit_10(node) -> None:
    """The xunit2 report fits pytest's junit-10.xsd (pytest validates it with ``xmlschema``,
    not a test dependency here: the schema's rules on elements and attributes, checked by
    hand)."""
    for child in node.childNodes:
        if not isinstance(child, minidom.Element):
            continue
        required, allowed, children = JUNIT_10[child.tagName]
        attrs = set(child.attributes.keys())
        assert required <= attrs, f"{child.tagName} lacks {required - attrs}"
        assert attrs <= allowed, f"{child.tagName} may not have {attrs - allowed}"
        tags = {c.tagName for c in child.childNodes if isinstance(c, minidom.Element)}
        assert tags <= children, f"{child.tagName} may not hold {tags - children}"
        check_junit_10(child)


def test_check_junit_10() -> None:
    """The hand-made schema check fails where the schema would."""
    check_junit_10(
        minidom.parseString(
            '<testsuites><testsuite name="a" tests="0" failures="0" errors="0"/></testsuites>'
        )
    )
    for bad in (
        '<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><testcase name="t" file="x"/></testsuite></testsuites>',
        '<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><testcase name="t"><properties/></testcase></testsuite></testsuites>',
        '<testsuites><testsuite tests="0" failures="0" errors="0"/></testsuites>',
    ):
        with pytest.raises(AssertionError):
            check_junit_10(minidom.parseString(bad))


@pytest.fixture
def run_and_parse(zenrunner) -> RunAndParse:
    return RunAndParse(zenrunner)


def assert_attr(node, **kwargs) -> None:
    __tracebackhide__ = True

    def nodeval(node, name):
        anode = node.getAttributeNode(name)
        return anode.value if anode is not None else None

    expected = {name: str(value) for name, value in kwargs.items()}
    on_node = {name: nodeval(node, name) for name in expected}
    assert on_node == expected


class DomDocument:
    def __init__(self, dom) -> None:
        self._node = dom

    def find_first_by_tag(self, tag: str):
        return self.find_nth_by_tag(tag, 0)

    def get_first_by_tag(self, tag: str):
        maybe = self.find_first_by_tag(tag)
        if maybe is None:
            raise LookupError(tag)
        return maybe

    def find_nth_by_tag(self, tag: str, n: int):
        items = self._node.getElementsByTagName(tag)
        try:
            nth = items[n]
        except IndexError:
            return None
        return DomNode(nth)

    def find_by_tag(self, tag: str):
        return [DomNode(x) for x in self._node.getElementsByTagName(tag)]

    @property
    def children(self):
        return [DomNode(x) for x in self._node.childNodes if isinstance(x, minidom.Element)]

    @property
    def get_unique_child(self):
        children = self.children
        assert len(children) == 1
        return children[0]

    def toxml(self) -> str:
        return self._node.toxml()


class DomNode(DomDocument):
    def __repr__(self) -> str:
        return self.toxml()

    def __getitem__(self, key: str) -> str:
        node = self._node.getAttributeNode(key)
        if node is not None:
            return node.value
        raise KeyError(key)

    def assert_attr(self, **kwargs) -> None:
        __tracebackhide__ = True
        return assert_attr(self._node, **kwargs)

    @property
    def text(self) -> str:
        text = self._node.childNodes[0]
        assert isinstance(text, minidom.Text)
        return text.wholeText

    @property
    def tag(self) -> str:
        return self._node.tagName


class TestJunitHelpers:
    """minimal test to increase coverage for methods that are used in debugging"""

    @pytest.fixture
    def document(self) -> DomDocument:
        doc = minidom.parseString("""
        <root>
          <item name="a"></item>
          <item name="b"></item>
        </root>
""")
        return DomDocument(doc)

    def test_uc_root(self, document) -> None:
        assert document.get_unique_child.tag == "root"

    def test_node_assert_attr(self, document) -> None:
        item = document.get_first_by_tag("item")
        item.assert_attr(name="a")
        with pytest.raises(AssertionError):
            item.assert_attr(missing="foo")

    def test_node_getitem(self, document) -> None:
        item = document.get_first_by_tag("item")
        assert item["name"] == "a"
        with pytest.raises(KeyError, match="missing"):
            item["missing"]

    def test_node_get_first_lookup(self, document) -> None:
        with pytest.raises(LookupError, match="missing"):
            document.get_first_by_tag("missing")

    def test_node_repr(self, document) -> None:
        item = document.get_first_by_tag("item")
        assert repr(item) == item.toxml()
        assert item.toxml() == '<item name="a"/>'


parametrize_families = pytest.mark.parametrize("xunit_family", ["xunit1", "xunit2"])


class TestPython:
    @parametrize_families
    def test_summing_simple(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_pass():
                pass
            def test_fail():
                assert 0
            def test_skip():
                pytest.skip("")
            @pytest.mark.xfail
            def test_xfail():
                assert 0
            @pytest.mark.xfail
            def test_xpass():
                assert 1
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(name="zenrun", errors=0, failures=1, skipped=2, tests=5)

    @parametrize_families
    def test_summing_simple_with_errors(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.fixture
            def fixture():
                raise Exception()
            def test_pass():
                pass
            def test_fail():
                assert 0
            def test_error(fixture):
                pass
            @pytest.mark.xfail
            def test_xfail():
                assert False
            @pytest.mark.xfail(strict=True)
            def test_xpass():
                assert True
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(name="zenrun", errors=1, failures=2, skipped=1, tests=5)

    @parametrize_families
    def test_hostname_in_xml(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(zenrunner, "def test_pass():\n    pass\n")
        _result, dom = run_and_parse(family=xunit_family)
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(hostname=platform.node())

    @parametrize_families
    def test_timestamp_in_xml(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(zenrunner, "def test_pass():\n    pass\n")
        start_time = datetime.now(UTC)
        _result, dom = run_and_parse(family=xunit_family)
        node = dom.get_first_by_tag("testsuite")
        timestamp = datetime.fromisoformat(node["timestamp"])
        assert start_time <= timestamp < datetime.now(UTC)

    def test_timing_function(self, zenrunner, run_and_parse) -> None:
        """pytest mocks its clock (setup 1 s, teardown 2 s, test 4 s: ``time == 7.0``); here
        a pipeline fixture sleeps 0.1 s in setup and 0.2 s in teardown, the step 0.4 s."""
        write_raw(
            zenrunner,
            """
import time

@zenrun.fixture
def slow():
    time.sleep(0.1)
    yield
    time.sleep(0.2)

@step(enable_cache=False)
def sleep(seconds: float) -> None:
    time.sleep(seconds)

@pipeline
def test_sleep(slow):
    sleep(0.4)
""",
        )
        _result, dom = run_and_parse()
        node = dom.get_first_by_tag("testsuite")
        tnode = node.get_first_by_tag("testcase")
        val = tnode["time"]
        assert val is not None
        assert 0.7 <= float(val) < 5.0

    @pytest.mark.parametrize("duration_report", ["call", "total"])
    def test_junit_duration_report(self, zenrunner, duration_report, run_and_parse) -> None:
        """pytest gives each report a duration of 1 s (total: 3 s, call: 1 s); here fixtures
        take 1 s around a step of 0.2 s: ``call`` is the pipeline's run, its steps."""
        write_raw(
            zenrunner,
            """
import time

@zenrun.fixture
def slow():
    time.sleep(0.5)
    yield
    time.sleep(0.5)

@step(enable_cache=False)
def sleep(seconds: float) -> None:
    time.sleep(seconds)

@pipeline
def test_foo(slow):
    sleep(0.2)
""",
        )
        _result, dom = run_and_parse("-o", f"junit_duration_report={duration_report}")
        node = dom.get_first_by_tag("testsuite")
        tnode = node.get_first_by_tag("testcase")
        val = float(tnode["time"])
        if duration_report == "total":
            assert val >= 1.2
        else:
            assert duration_report == "call"
            assert 0.2 <= val < 1.0

    @parametrize_families
    def test_setup_error(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest

            @pytest.fixture
            def arg(request):
                raise ValueError("Error reason")
            def test_function(arg):
                pass
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(errors=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_function")
        fnode = tnode.get_first_by_tag("error")
        fnode.assert_attr(message='failed on setup with "ValueError: Error reason"')
        assert "ValueError" in fnode.toxml()

    @parametrize_families
    def test_teardown_error(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest

            @pytest.fixture
            def arg():
                yield
                raise ValueError('Error reason')
            def test_function(arg):
                pass
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(errors=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_function")
        fnode = tnode.get_first_by_tag("error")
        fnode.assert_attr(message='failed on teardown with "ValueError: Error reason"')
        assert "ValueError" in fnode.toxml()

    @parametrize_families
    def test_call_failure_teardown_error(self, zenrunner, run_and_parse, xunit_family) -> None:
        write_raw(
            zenrunner,
            """
@zenrun.fixture
def arg():
    yield
    raise Exception("Teardown Exception")

@pipeline
def test_function(arg):
    boom("Exception", "Call Exception")
""",
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(errors=1, failures=1, tests=2)
        first, second = dom.find_by_tag("testcase")
        assert first
        assert second
        assert first != second
        fnode = first.get_first_by_tag("failure")
        assert fnode["message"].endswith("Exception: Call Exception")
        assert fnode["message"] == "step 'boom': Exception: Call Exception"
        snode = second.get_first_by_tag("error")
        snode.assert_attr(message='failed on teardown with "Exception: Teardown Exception"')

    @parametrize_families
    def test_skip_contains_name_reason(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_skip():
                pytest.skip("hello23")
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret == 0
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_skip")
        snode = tnode.get_first_by_tag("skipped")
        snode.assert_attr(type="zenrun.skip", message="hello23")

    @parametrize_families
    def test_mark_skip_contains_name_reason(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip(reason="hello24")
            def test_skip():
                assert True
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret == 0
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_skip")
        snode = tnode.get_first_by_tag("skipped")
        snode.assert_attr(type="zenrun.skip", message="hello24")

    @parametrize_families
    def test_mark_skipif_contains_name_reason(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            GLOBAL_CONDITION = True
            @pytest.mark.skipif(GLOBAL_CONDITION, reason="hello25")
            def test_skip():
                assert True
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret == 0
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_skip")
        snode = tnode.get_first_by_tag("skipped")
        snode.assert_attr(type="zenrun.skip", message="hello25")

    @parametrize_families
    def test_mark_skip_doesnt_capture_output(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.skip(reason="foo")
            def test_skip():
                print("bar!")
        """,
        )
        result, dom = run_and_parse("-o", "junit_logging=all", family=xunit_family)
        assert result.ret == 0
        node_xml = dom.get_first_by_tag("testsuite").toxml()
        assert "bar!" not in node_xml
        assert "Captured Out" in node_xml  # the output elements are there, empty

    @parametrize_families
    def test_classname_nested_dir(self, zenrunner, run_and_parse, xunit_family) -> None:
        p = zenrunner.path.joinpath("sub", "pipeline_hello.py")
        p.parent.mkdir()
        p.write_text(pipelines("def test_func(): 0/0"), encoding="utf-8")
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(failures=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname="sub.pipeline_hello", name="test_func")

    @parametrize_families
    def test_internal_error(self, zenrunner, run_and_parse, xunit_family) -> None:
        zenrunner.makeconftest("def zenrun_collection_finish(session): 0 / 0")
        write(zenrunner, "def test_function(): pass")
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(errors=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname="zenrun", name="internal")
        fnode = tnode.get_first_by_tag("error")
        fnode.assert_attr(message="internal error")
        assert "Division" in fnode.toxml()

    @pytest.mark.parametrize("junit_logging", ["no", "log", "system-out", "system-err", "out-err", "all"])
    @parametrize_families
    def test_failure_function(self, zenrunner, junit_logging, run_and_parse, xunit_family) -> None:
        write_raw(
            zenrunner,
            """
@pipeline
def test_fail():
    say(out="hello-stdout\\n", err="hello-stderr\\n", info="info msg", warn="warning msg")
    boom("ValueError", 42)
""",
        )
        result, dom = run_and_parse("-o", f"junit_logging={junit_logging}", family=xunit_family)
        assert result.ret, "Expected ret > 0"
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(failures=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_fail")
        fnode = tnode.get_first_by_tag("failure")
        fnode.assert_attr(message="step 'boom': ValueError: 42")
        assert "ValueError" in fnode.toxml(), "ValueError not included"

        if junit_logging in ["log", "all"]:
            logdata = tnode.get_first_by_tag("system-out")
            log_xml = logdata.toxml()
            assert logdata.tag == "system-out", "Expected tag: system-out"
            assert "info msg" not in log_xml, "Unexpected INFO message"
            assert "warning msg" in log_xml, "Missing WARN message"
        if junit_logging in ["system-out", "out-err", "all"]:
            systemout = tnode.get_first_by_tag("system-out")
            systemout_xml = systemout.toxml()
            assert systemout.tag == "system-out", "Expected tag: system-out"
            assert "info msg" not in systemout_xml, "INFO message found in system-out"
            assert "hello-stdout" in systemout_xml, "Missing 'hello-stdout' in system-out"
        if junit_logging in ["system-err", "out-err", "all"]:
            systemerr = tnode.get_first_by_tag("system-err")
            systemerr_xml = systemerr.toxml()
            assert systemerr.tag == "system-err", "Expected tag: system-err"
            assert "info msg" not in systemerr_xml, "INFO message found in system-err"
            assert "hello-stderr" in systemerr_xml, "Missing 'hello-stderr' in system-err"
            assert "warning msg" not in systemerr_xml, "WARN message found in system-err"
        if junit_logging == "no":
            assert not tnode.find_by_tag("log"), "Found unexpected content: log"
            assert not tnode.find_by_tag("system-out"), "Found unexpected content: system-out"
            assert not tnode.find_by_tag("system-err"), "Found unexpected content: system-err"
            # the failure text holds the traceback, not the captured output (as pytest's)
            assert "hello-stdout" not in fnode.toxml()

    @parametrize_families
    def test_failure_verbose_message(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import sys
            def test_fail():
                assert 0, "An error"
        """,
        )
        _result, dom = run_and_parse(family=xunit_family)
        node = dom.get_first_by_tag("testsuite")
        tnode = node.get_first_by_tag("testcase")
        fnode = tnode.get_first_by_tag("failure")
        fnode.assert_attr(message="step 'check': AssertionError: An error\nassert 0")

    @parametrize_families
    def test_failure_escape(self, zenrunner, run_and_parse, xunit_family) -> None:
        """zenrun takes a list of values, not a string of them (pytest: ``"<&'"``)."""
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.parametrize('arg1', ["<", "&", "'"], ids=["<", "&", "'"])
            def test_func(arg1):
                print(arg1)
                assert 0
        """,
        )
        result, dom = run_and_parse("-o", "junit_logging=system-out", family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(failures=3, tests=3)
        tnodes = node.find_by_tag("testcase")
        for tnode, char in zip(tnodes, "<&'", strict=True):
            tnode.assert_attr(classname=module_name(zenrunner), name=f"test_func[{char}]")
            sysout = tnode.get_first_by_tag("system-out")
            text = sysout.text
            assert f"{char}\n" in text

    @parametrize_families
    def test_junit_prefixing(self, zenrunner, run_and_parse, xunit_family) -> None:
        """Without pytest's ``TestHello`` class: a second pipeline of the module."""
        write(
            zenrunner,
            """
            def test_func():
                assert 0
            def test_hello():
                pass
        """,
        )
        result, dom = run_and_parse("--junitprefix=xyz", family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(failures=1, tests=2)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=f"xyz.{module_name(zenrunner)}", name="test_func")
        tnode = node.find_by_tag("testcase")[1]
        tnode.assert_attr(classname=f"xyz.{module_name(zenrunner)}", name="test_hello")

    @parametrize_families
    def test_xfailure_function(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test_xfail():
                pytest.xfail("42")
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert not result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_xfail")
        fnode = tnode.get_first_by_tag("skipped")
        fnode.assert_attr(type="zenrun.xfail", message="42")

    @parametrize_families
    def test_xfailure_marker(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(reason="42")
            def test_xfail():
                assert False
        """,
        )
        result, dom = run_and_parse(family=xunit_family)
        assert not result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_xfail")
        fnode = tnode.get_first_by_tag("skipped")
        fnode.assert_attr(type="zenrun.xfail", message="42")

    @pytest.mark.parametrize("junit_logging", ["no", "log", "system-out", "system-err", "out-err", "all"])
    def test_xfail_captures_output_once(self, zenrunner, junit_logging, run_and_parse) -> None:
        write_raw(
            zenrunner,
            """
@zenrun.mark.xfail()
@pipeline
def test_fail():
    say(out="XFAIL This is stdout", err="XFAIL This is stderr")
    check(0, "assert 0")
""",
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        tnode = node.get_first_by_tag("testcase")

        has_err_logging = junit_logging in ["system-err", "out-err", "all"]
        expected_err_output_len = 1 if has_err_logging else 0
        assert len(tnode.find_by_tag("system-err")) == expected_err_output_len

        has_out_logigng = junit_logging in ("log", "system-out", "out-err", "all")
        expected_out_output_len = 1 if has_out_logigng else 0

        assert len(tnode.find_by_tag("system-out")) == expected_out_output_len
        if junit_logging in ("system-out", "out-err", "all"):
            assert "XFAIL This is stdout" in tnode.get_first_by_tag("system-out").text

    @parametrize_families
    def test_xfailure_xpass(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test_xpass():
                pass
        """,
        )
        _result, dom = run_and_parse(family=xunit_family)
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=0, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_xpass")

    @parametrize_families
    def test_xfailure_xpass_strict(self, zenrunner, run_and_parse, xunit_family) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(strict=True, reason="This needs to fail!")
            def test_xpass():
                pass
        """,
        )
        _result, dom = run_and_parse(family=xunit_family)
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(skipped=0, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname=module_name(zenrunner), name="test_xpass")
        fnode = tnode.get_first_by_tag("failure")
        fnode.assert_attr(message="[XPASS(strict)] This needs to fail!")

    @parametrize_families
    def test_collect_error(self, zenrunner, run_and_parse, xunit_family) -> None:
        zenrunner.makepyfile("syntax error")
        result, dom = run_and_parse(family=xunit_family)
        assert result.ret
        node = dom.get_first_by_tag("testsuite")
        node.assert_attr(errors=1, tests=1)
        tnode = node.get_first_by_tag("testcase")
        tnode.assert_attr(classname="", name=module_name(zenrunner))
        fnode = tnode.get_first_by_tag("error")
        fnode.assert_attr(message="collection failure")
        assert "SyntaxError" in fnode.toxml()

    def test_unicode(self, zenrunner, run_and_parse) -> None:
        value = "hx\xc4\x85\xc4\x87\n"
        write_raw(
            zenrunner,
            f"""
@pipeline
def test_hello():
    say(out={value!r})
    check(0, "assert 0 hx\\xc4")
""",
        )
        result, dom = run_and_parse("-o", "junit_logging=system-out")
        assert result.ret == 1
        tnode = dom.get_first_by_tag("testcase")
        fnode = tnode.get_first_by_tag("failure")
        assert "hx" in fnode.toxml()
        assert value in tnode.get_first_by_tag("system-out").text

    def test_assertion_binchars(self, zenrunner, run_and_parse) -> None:
        """This test did fail when the escaping wasn't strict. (zenrun does not rewrite the
        assert: the step's message holds the characters.)"""
        write_raw(
            zenrunner,
            """
M1 = '\x01\x02\x03\x04'
M2 = '\x01\x02\x03\x05'

@pipeline
def test_str_compare():
    check(M1 == M2, M1 + " == " + M2)
""",
        )
        _result, dom = run_and_parse()
        assert "#x01#x02#x03" in dom.get_first_by_tag("failure").toxml()

    @pytest.mark.parametrize("junit_logging", ["no", "system-out"])
    def test_pass_captures_stdout(self, zenrunner, run_and_parse, junit_logging) -> None:
        write(
            zenrunner,
            """
            def test_pass():
                print('hello-stdout')
        """,
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        pnode = node.get_first_by_tag("testcase")
        if junit_logging == "no":
            assert not node.find_by_tag("system-out"), "system-out should not be generated"
        if junit_logging == "system-out":
            systemout = pnode.get_first_by_tag("system-out")
            assert "hello-stdout" in systemout.toxml(), "'hello-stdout' should be in system-out"

    @pytest.mark.parametrize("junit_logging", ["no", "system-err"])
    def test_pass_captures_stderr(self, zenrunner, run_and_parse, junit_logging) -> None:
        write(
            zenrunner,
            """
            import sys
            def test_pass():
                sys.stderr.write('hello-stderr')
        """,
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        pnode = node.get_first_by_tag("testcase")
        if junit_logging == "no":
            assert not node.find_by_tag("system-err"), "system-err should not be generated"
        if junit_logging == "system-err":
            systemerr = pnode.get_first_by_tag("system-err")
            assert "hello-stderr" in systemerr.toxml(), "'hello-stderr' should be in system-err"

    @pytest.mark.parametrize("junit_logging", ["no", "system-out"])
    def test_setup_error_captures_stdout(self, zenrunner, run_and_parse, junit_logging) -> None:
        write(
            zenrunner,
            """
            import pytest

            @pytest.fixture
            def arg(request):
                print('hello-stdout')
                raise ValueError()
            def test_function(arg):
                pass
        """,
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        pnode = node.get_first_by_tag("testcase")
        if junit_logging == "no":
            assert not node.find_by_tag("system-out"), "system-out should not be generated"
        if junit_logging == "system-out":
            systemout = pnode.get_first_by_tag("system-out")
            assert "hello-stdout" in systemout.toxml(), "'hello-stdout' should be in system-out"

    @pytest.mark.parametrize("junit_logging", ["no", "system-err"])
    def test_setup_error_captures_stderr(self, zenrunner, run_and_parse, junit_logging) -> None:
        write(
            zenrunner,
            """
            import sys
            import pytest

            @pytest.fixture
            def arg(request):
                sys.stderr.write('hello-stderr')
                raise ValueError()
            def test_function(arg):
                pass
        """,
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        pnode = node.get_first_by_tag("testcase")
        if junit_logging == "no":
            assert not node.find_by_tag("system-err"), "system-err should not be generated"
        if junit_logging == "system-err":
            systemerr = pnode.get_first_by_tag("system-err")
            assert "hello-stderr" in systemerr.toxml(), "'hello-stderr' should be in system-err"

    @pytest.mark.parametrize("junit_logging", ["no", "system-out"])
    def test_avoid_double_stdout(self, zenrunner, run_and_parse, junit_logging) -> None:
        write_raw(
            zenrunner,
            """
import sys

@zenrun.fixture
def arg(request):
    yield
    sys.stdout.write('hello-stdout teardown')
    raise ValueError()

@pipeline
def test_function(arg):
    say(out='hello-stdout call')
""",
        )
        _result, dom = run_and_parse("-o", f"junit_logging={junit_logging}")
        node = dom.get_first_by_tag("testsuite")
        pnode = node.get_first_by_tag("testcase")
        if junit_logging == "no":
            assert not node.find_by_tag("system-out"), "system-out should not be generated"
        if junit_logging == "system-out":
            systemout = pnode.get_first_by_tag("system-out")
            assert "hello-stdout call" in systemout.toxml()
            assert "hello-stdout teardown" in systemout.toxml()
            assert len(pnode.find_by_tag("system-out")) == 1
            # the error's text is the traceback: the output is in system-out only
            assert "Captured" not in pnode.get_first_by_tag("error").toxml()


def test_mangle_test_address() -> None:
    address = "::".join(["a/my.py.thing.py", "Class", "method", "[a-1-::]"])
    newnames = mangle_test_address(address)
    assert newnames == ["a.my.py.thing", "Class", "method", "[a-1-::]"]


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_nullbyte(zenrunner, junit_logging) -> None:
    # A null byte cannot occur in XML (see section 2.2 of the spec)
    write_raw(
        zenrunner,
        """
@pipeline
def test_print_nullbyte():
    say(out='Here the null -->' + chr(0) + '<--' + 'In repr form -->' + repr(chr(0)) + '<--')
    check(False)
""",
    )
    xmlf = zenrunner.path.joinpath("junit.xml")
    zenrunner.runzenrun_inprocess(f"--junitxml={xmlf}", "-o", f"junit_logging={junit_logging}")
    text = xmlf.read_text(encoding="utf-8")
    assert "\x00" not in text
    if junit_logging == "system-out":
        assert "#x00" in text
    if junit_logging == "no":
        assert "#x00" not in text


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_nullbyte_replace(zenrunner, junit_logging) -> None:
    # Check if the null byte gets replaced
    write_raw(
        zenrunner,
        """
@pipeline
def test_print_nullbyte():
    say(out='Here the null -->' + chr(0) + '<--' + 'In repr form -->' + repr(chr(0)) + '<--')
    check(False)
""",
    )
    xmlf = zenrunner.path.joinpath("junit.xml")
    zenrunner.runzenrun_inprocess(f"--junitxml={xmlf}", "-o", f"junit_logging={junit_logging}")
    text = xmlf.read_text(encoding="utf-8")
    if junit_logging == "system-out":
        assert "#x0" in text
    if junit_logging == "no":
        assert "#x0" not in text


def test_invalid_xml_escape() -> None:
    # Test some more invalid xml chars, the full range should be
    # tested really but let's just test the edges of the ranges
    # instead.
    invalid = (0x00, 0x1, 0xB, 0xC, 0xE, 0x19, 27, 0xD800, 0xDFFF, 0xFFFE, 0x0FFFF)  # 27: issue #126
    valid = (0x9, 0xA, 0x20, 0xD, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x10FFFF)

    for i in invalid:
        got = bin_xml_escape(chr(i))
        expected = f"#x{i:02X}" if i <= 0xFF else f"#x{i:04X}"
        assert got == expected
    for i in valid:
        assert chr(i) == bin_xml_escape(chr(i))


def test_logxml_path_expansion(tmp_path: Path, monkeypatch) -> None:
    home_tilde = Path(os.path.expanduser("~")).joinpath("test.xml")
    xml_tilde = LogXML(str(Path("~", "test.xml")), None)
    assert xml_tilde.logfile == str(home_tilde)

    monkeypatch.setenv("HOME", str(tmp_path))
    home_var = os.path.normpath(os.path.expandvars("$HOME/test.xml"))
    xml_var = LogXML(str(Path("$HOME", "test.xml")), None)
    assert xml_var.logfile == str(home_var)


def test_logxml_changingdir(zenrunner) -> None:
    write(
        zenrunner,
        """
        def test_func():
            import os
            os.chdir("a")
    """,
    )
    zenrunner.path.joinpath("a").mkdir()
    result = zenrunner.runzenrun_inprocess("--junitxml=a/x.xml")
    assert result.ret == 0
    assert zenrunner.path.joinpath("a/x.xml").exists()


def test_logxml_makedir(zenrunner) -> None:
    """--junitxml should automatically create directories for the xml file"""
    write(zenrunner, "def test_pass():\n    pass\n")
    result = zenrunner.runzenrun_inprocess("--junitxml=path/to/results.xml")
    assert result.ret == 0
    assert zenrunner.path.joinpath("path/to/results.xml").exists()


def test_logxml_check_isdir(zenrunner) -> None:
    """Give an error if --junit-xml is a directory (#2089)"""
    result = zenrunner.runzenrun_inprocess("--junit-xml=.")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--junitxml must be a filename*"])


def test_escaped_parametrized_names_xml(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """\
        import pytest
        @pytest.mark.parametrize('char', ["\\x00"])
        def test_func(char):
            assert char
        """,
    )
    result, dom = run_and_parse()
    assert result.ret == 0
    node = dom.get_first_by_tag("testcase")
    node.assert_attr(name="test_func[\\x00]")


def test_double_colon_split_function_issue469(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.parametrize('param', ["double::colon"])
        def test_func(param):
            pass
    """,
    )
    result, dom = run_and_parse()
    assert result.ret == 0
    node = dom.get_first_by_tag("testcase")
    node.assert_attr(classname=module_name(zenrunner))
    node.assert_attr(name="test_func[double::colon]")


def test_unicode_issue368(zenrunner, run_and_parse) -> None:
    """pytest feeds a unicode report to each of its node reporter's methods; here a
    run gives a failure, an error, a skip and an xfail whose texts are unicode."""
    ustr = "ВНИ!"
    write_raw(
        zenrunner,
        f"""
@zenrun.fixture
def broken():
    raise ValueError({ustr!r})

@pipeline
def test_failure():
    check(False, {ustr!r})

@pipeline
def test_error(broken):
    check(True)

@zenrun.mark.skip(reason="卡嘣嘣")
@pipeline
def test_skipped():
    check(True)

@zenrun.mark.xfail(reason={ustr!r})
@pipeline
def test_xfail():
    check(False)
""",
    )
    _result, dom = run_and_parse()
    dom.get_first_by_tag("testsuite").assert_attr(failures=1, errors=1, skipped=2, tests=4)
    assert ustr in dom.get_first_by_tag("failure")["message"]
    assert ustr in dom.get_first_by_tag("error")["message"]
    skipped = dom.find_by_tag("skipped")
    assert [s["message"] for s in skipped] == ["卡嘣嘣", ustr]


def test_record_property(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture
        def other(record_property):
            record_property("bar", 1)
        def test_record(record_property, other):
            record_property("foo", "<1");
    """,
    )
    result, dom = run_and_parse("-p", "no:results")
    node = dom.get_first_by_tag("testsuite")
    tnode = node.get_first_by_tag("testcase")
    psnode = tnode.get_first_by_tag("properties")
    pnodes = psnode.find_by_tag("property")
    pnodes[0].assert_attr(name="bar", value="1")
    pnodes[1].assert_attr(name="foo", value="<1")
    result.stdout.fnmatch_lines(["*= 1 passed in *"])


def test_record_property_on_test_and_teardown_failure(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture
        def other(record_property):
            record_property("bar", 1)
            yield
            assert 0

        def test_record(record_property, other):
            record_property("foo", "<1")
            assert 0
    """,
    )
    result, dom = run_and_parse("-p", "no:results")
    node = dom.get_first_by_tag("testsuite")
    tnodes = node.find_by_tag("testcase")
    assert len(tnodes) == 2
    for tnode in tnodes:
        psnode = tnode.get_first_by_tag("properties")
        assert psnode, f"testcase didn't had expected properties:\n{tnode}"
        pnodes = psnode.find_by_tag("property")
        pnodes[0].assert_attr(name="bar", value="1")
        pnodes[1].assert_attr(name="foo", value="<1")
    result.stdout.fnmatch_lines(["*= 1 failed, 1 error *"])


def test_record_property_same_name(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        def test_record_with_same_name(record_property):
            record_property("foo", "bar")
            record_property("foo", "baz")
    """,
    )
    _result, dom = run_and_parse()
    node = dom.get_first_by_tag("testsuite")
    tnode = node.get_first_by_tag("testcase")
    psnode = tnode.get_first_by_tag("properties")
    pnodes = psnode.find_by_tag("property")
    pnodes[0].assert_attr(name="foo", value="bar")
    pnodes[1].assert_attr(name="foo", value="baz")


@pytest.mark.parametrize("fixture_name", ["record_property", "record_xml_attribute"])
def test_record_fixtures_without_junitxml(zenrunner, fixture_name) -> None:
    write(
        zenrunner,
        f"""
        def test_record({fixture_name}):
            {fixture_name}("foo", "bar")
    """,
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


def test_record_attribute(zenrunner, run_and_parse) -> None:
    zenrunner.maketoml('junit_family = "xunit1"\n')
    path = write(
        zenrunner,
        """
        import pytest

        @pytest.fixture
        def other(record_xml_attribute):
            record_xml_attribute("bar", 1)
        def test_record(record_xml_attribute, other):
            record_xml_attribute("foo", "<1");
    """,
    )
    result, dom = run_and_parse()
    node = dom.get_first_by_tag("testsuite")
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(bar="1")
    tnode.assert_attr(foo="<1")
    line = line_of(path, "def test_record") - 1  # the pipeline's first line: its decorator
    result.stdout.fnmatch_lines([f"*{path.name}:{line}:*record_xml_attribute is an experimental feature"])


@pytest.mark.parametrize("fixture_name", ["record_xml_attribute", "record_property"])
def test_record_fixtures_xunit2(zenrunner, fixture_name, run_and_parse) -> None:
    """Ensure record_xml_attribute and record_property drop values when outside of legacy family."""
    zenrunner.maketoml('junit_family = "xunit2"\n')
    path = write(
        zenrunner,
        f"""
        import pytest

        @pytest.fixture
        def other({fixture_name}):
            {fixture_name}("bar", 1)
        def test_record({fixture_name}, other):
            {fixture_name}("foo", "<1");
    """,
    )
    result, dom = run_and_parse(family=None)
    line = line_of(path, "def test_record") - 1  # the pipeline's first line: its decorator
    expected_lines = [
        f"*{path.name}:{line}:*{fixture_name} is incompatible with junit_family 'xunit2' (use 'legacy' or 'xunit1')"
    ]
    result.stdout.fnmatch_lines(expected_lines)
    tnode = dom.get_first_by_tag("testcase")
    assert not tnode._node.hasAttribute("foo")  # xunit2: no attribute of the user's


def test_random_report_log_xdist(zenrunner, run_and_parse) -> None:
    """pytest-xdist reports tests as its workers run them; zenrun's ``-n 2`` runs the steps
    of all items together in two worker processes and reports each item in the driver:
    every item has its ``<testcase>``, the failing one its ``<failure>`` (#1064)."""
    write(
        zenrunner,
        """
        import pytest, time
        @pytest.mark.parametrize('i', list(range(30)))
        def test_x(i):
            assert i != 22
    """,
    )
    _, dom = run_and_parse("-n", "2")
    suite_node = dom.get_first_by_tag("testsuite")
    failed = []
    for case_node in suite_node.find_by_tag("testcase"):
        if case_node.find_first_by_tag("failure"):
            failed.append(case_node["name"])

    assert failed == ["test_x[22]"]
    assert len(suite_node.find_by_tag("testcase")) == 30


def test_parallel_captured_output_and_properties(zenrunner, run_and_parse) -> None:
    """zenrun's own: with ``-n 2`` the steps' output comes back from the workers, the
    fixtures' properties and setup output are the driver's."""
    write_raw(
        zenrunner,
        """
@zenrun.fixture
def recorded(record_property, request):
    print("setup of", request.node.name)
    record_property("item", request.node.name)

@zenrun.mark.parametrize("i", [0, 1, 2, 3])
@pipeline
def test_x(i, recorded):
    out = say(out=f"stdout of {i}\\n", err=f"stderr of {i}\\n")
    if i == 2:
        boom("ValueError", "two")
""",
    )
    result, dom = run_and_parse("-n", "2", "-o", "junit_logging=out-err")
    assert result.ret == 1
    cases = {c["name"]: c for c in dom.find_by_tag("testcase")}
    assert sorted(cases) == [f"test_x[{i}]" for i in range(4)]
    for i in range(4):
        case = cases[f"test_x[{i}]"]
        out = case.get_first_by_tag("system-out").text
        assert f"setup of test_x[{i}]" in out
        assert out.index(f"setup of test_x[{i}]") < out.index(f"stdout of {i}")
        assert f"stderr of {i}" in case.get_first_by_tag("system-err").text
        case.get_first_by_tag("property").assert_attr(name="item", value=f"test_x[{i}]")
    failure = cases["test_x[2]"].get_first_by_tag("failure")
    failure.assert_attr(message="step 'boom': ValueError: two")
    assert "raise getattr(builtins, kind)(message)" in failure.text
    assert [c["name"] for c in dom.find_by_tag("testcase") if c.find_first_by_tag("failure")] == ["test_x[2]"]


def test_failed_step_text_names_skipped_steps(zenrunner, run_and_parse) -> None:
    """zenrun's own: a failed pipeline's text is its failure section, the steps its failure
    skipped included; an independent branch still passes."""
    write_raw(
        zenrunner,
        """
@step
def load() -> int:
    return 1

@step
def train(x: int) -> int:
    raise RuntimeError("diverged")

@step
def evaluate(model: int) -> float:
    return 0.5

@pipeline
def test_pipeline():
    evaluate(train(load()))
    say(out="independent")
""",
    )
    result, dom = run_and_parse()
    assert result.ret == 1
    failure = dom.get_first_by_tag("failure")
    failure.assert_attr(message="step 'train': RuntimeError: diverged")
    assert "step 'train' failed:" in failure.text
    assert "skipped because of the failure: evaluate" in failure.text


@parametrize_families
def test_root_testsuites_tag(zenrunner, run_and_parse, xunit_family) -> None:
    write(zenrunner, "def test_x():\n    pass\n")
    _, dom = run_and_parse(family=xunit_family)
    root = dom.get_unique_child
    assert root.tag == "testsuites"
    root.assert_attr(name="zenrun pipelines")
    suite_node = root.get_unique_child
    assert suite_node.tag == "testsuite"


def test_runs_twice(zenrunner, run_and_parse) -> None:
    f = write(zenrunner, "def test_pass():\n    pass\n")
    result, dom = run_and_parse("--keep-duplicates", f, f)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    first, second = (x["classname"] for x in dom.find_by_tag("testcase"))
    assert first == second


@parametrize_families
def test_global_properties(zenrunner, xunit_family) -> None:
    path = zenrunner.path.joinpath("test_global_properties.xml")
    log = LogXML(str(path), None, family=xunit_family)

    log.zenrun_sessionstart(session=SimpleNamespace())
    log.add_global_property("foo", "1")
    log.add_global_property("bar", "2")
    log.zenrun_sessionfinish(session=SimpleNamespace(collection_errors=[]))

    dom = minidom.parse(str(path))

    properties = dom.getElementsByTagName("properties")

    assert properties.length == 1, "There must be one <properties> node"

    property_list = dom.getElementsByTagName("property")

    assert property_list.length == 2, "There most be only 2 property nodes"

    expected = {"foo": "1", "bar": "2"}
    actual = {}

    for p in property_list:
        k = str(p.getAttribute("name"))
        v = str(p.getAttribute("value"))
        actual[k] = v

    assert actual == expected


@parametrize_families
def test_record_testsuite_property(zenrunner, run_and_parse, xunit_family) -> None:
    write(
        zenrunner,
        """
        def test_func1(record_testsuite_property):
            record_testsuite_property("stats", "all good")

        def test_func2(record_testsuite_property):
            record_testsuite_property("stats", 10)
    """,
    )
    result, dom = run_and_parse(family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testsuite")
    properties_node = node.get_first_by_tag("properties")
    p1_node, p2_node = properties_node.find_by_tag("property")[:2]
    p1_node.assert_attr(name="stats", value="all good")
    p2_node.assert_attr(name="stats", value="10")


def test_record_testsuite_property_junit_disabled(zenrunner) -> None:
    write(
        zenrunner,
        """
        def test_func1(record_testsuite_property):
            record_testsuite_property("stats", "all good")
    """,
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


@pytest.mark.parametrize("junit", [True, False])
def test_record_testsuite_property_type_checking(zenrunner, junit) -> None:
    write(
        zenrunner,
        """
        def test_func1(record_testsuite_property):
            record_testsuite_property(1, 2)
    """,
    )
    args = ("--junitxml=tests.xml",) if junit else ()
    result = zenrunner.runzenrun_inprocess(*args)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*TypeError: name parameter needs to be a string, but int given"])


@pytest.mark.parametrize("suite_name", ["my_suite", ""])
@parametrize_families
def test_set_suite_name(zenrunner, suite_name, run_and_parse, xunit_family) -> None:
    if suite_name:
        zenrunner.maketoml(f'junit_suite_name = "{suite_name}"\njunit_family = "{xunit_family}"\n')
        expected = suite_name
    else:
        expected = "zenrun"
    write(
        zenrunner,
        """
        import pytest

        def test_func():
            pass
    """,
    )
    result, dom = run_and_parse(family=xunit_family, suite_name=expected)
    assert result.ret == 0
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(name=expected)


def test_escaped_skipreason_issue3533(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.skip(reason='1 <> 2')
        def test_skip():
            pass
    """,
    )
    _, dom = run_and_parse()
    node = dom.get_first_by_tag("testcase")
    snode = node.get_first_by_tag("skipped")
    assert "1 <> 2" in snode.text
    snode.assert_attr(message="1 <> 2")


def test_bin_escaped_skipreason(zenrunner, run_and_parse) -> None:
    """Escape special characters from mark.skip reason (#11842)."""
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.skip("\\33[31;1mred\\33[0m")
        def test_skip():
            pass
    """,
    )
    _, dom = run_and_parse()
    node = dom.get_first_by_tag("testcase")
    snode = node.get_first_by_tag("skipped")
    assert "#x1B[31;1mred#x1B[0m" in snode.text
    snode.assert_attr(message="#x1B[31;1mred#x1B[0m")


def test_escaped_setup_teardown_error(zenrunner, run_and_parse) -> None:
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture()
        def my_setup():
            raise Exception("error: \\033[31mred\\033[m")

        def test_esc(my_setup):
            pass
    """,
    )
    _, dom = run_and_parse()
    node = dom.get_first_by_tag("testcase")
    snode = node.get_first_by_tag("error")
    assert "#x1B[31mred#x1B[m" in snode["message"]
    assert "#x1B[31mred#x1B[m" in snode.text


@parametrize_families
def test_logging_passing_tests_disabled_does_not_log_test_output(
    zenrunner, run_and_parse, xunit_family
) -> None:
    zenrunner.maketoml(
        f'junit_log_passing_tests = false\njunit_logging = "system-out"\njunit_family = "{xunit_family}"\n'
    )
    write_raw(
        zenrunner,
        """
@pipeline
def test_func():
    say(out='This is stdout', err='This is stderr', warn='hello')
""",
    )
    result, dom = run_and_parse(family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testcase")
    assert len(node.find_by_tag("system-err")) == 0
    assert len(node.find_by_tag("system-out")) == 0


@parametrize_families
@pytest.mark.parametrize("junit_logging", ["no", "system-out", "system-err"])
def test_logging_passing_tests_disabled_logs_output_for_failing_test_issue5430(
    zenrunner, junit_logging, run_and_parse, xunit_family
) -> None:
    zenrunner.maketoml(f'junit_log_passing_tests = false\njunit_family = "{xunit_family}"\n')
    write_raw(
        zenrunner,
        """
@pipeline
def test_func():
    say(warn='hello')
    check(0, "assert 0")
""",
    )
    result, dom = run_and_parse("-o", f"junit_logging={junit_logging}", family=xunit_family)
    assert result.ret == 1
    node = dom.get_first_by_tag("testcase")
    if junit_logging == "system-out":
        assert len(node.find_by_tag("system-err")) == 0
        assert len(node.find_by_tag("system-out")) == 1
    elif junit_logging == "system-err":
        assert len(node.find_by_tag("system-err")) == 1
        assert len(node.find_by_tag("system-out")) == 0
    else:
        assert junit_logging == "no"
        assert len(node.find_by_tag("system-err")) == 0
        assert len(node.find_by_tag("system-out")) == 0


def test_no_message_quiet(zenrunner) -> None:
    """Do not show the summary banner when --quiet is given (#13700)."""
    write(zenrunner, "def test(): pass")
    result = zenrunner.runzenrun_inprocess("--junitxml=pytest.xml")
    result.stdout.fnmatch_lines(f"* generated xml file: {zenrunner.path / 'pytest.xml'} *")

    result = zenrunner.runzenrun_inprocess("--junitxml=pytest.xml", "--quiet")
    result.stdout.no_fnmatch_line("* generated xml file: *")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("junit_logging", "stdout"),
        ("junit_duration_report", "setup"),
        ("junit_family", "xunit3"),
    ],
)
def test_invalid_junit_option_value(zenrunner, name, value) -> None:
    """Invalid junit option values fail with a clean usage error."""
    zenrunner.maketoml(f'{name} = "{value}"\n')
    result = zenrunner.runzenrun_inprocess("--junitxml=junit.xml")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*ERROR: *config option '{name}' expects one of *, got '{value}'"])


@pytest.mark.parametrize("n", ["0", "2"])
def test_module_skip_and_module_teardown_error(zenrunner, run_and_parse, n) -> None:
    """zenrun's own: a module skipped while collected is a ``<testcase>`` skipped with
    "collection skipped" (pytest's collect report); a module fixture failing in teardown
    is an error of the module's last item, in its ``<testcase>`` (it passed), with or
    without ``-n``."""
    zenrunner.makepyfile(pipeline_skipped='import zenrun\nzenrun.skip("not here", allow_module_level=True)\n')
    write_raw(
        zenrunner,
        "",
        pipeline_mod="""
@zenrun.fixture(scope="module")
def modfix():
    yield
    raise RuntimeError("module teardown")

@zenrun.mark.parametrize("i", [1, 2, 3])
@pipeline
def test_m(i, modfix):
    check(i > 0)
""",
    )
    result, dom = run_and_parse("-n", n)
    assert result.ret == 1
    dom.get_first_by_tag("testsuite").assert_attr(errors=1, failures=0, skipped=1, tests=4)
    cases = {c["name"]: c for c in dom.find_by_tag("testcase")}
    cases["pipeline_skipped"].assert_attr(classname="")
    cases["pipeline_skipped"].get_first_by_tag("skipped").assert_attr(message="collection skipped")
    assert "not here" in cases["pipeline_skipped"].get_first_by_tag("skipped").text
    assert not cases["test_m[1]"].children and not cases["test_m[2]"].children
    error = cases["test_m[3]"].get_first_by_tag("error")
    error.assert_attr(message='failed on teardown with "RuntimeError: module teardown"')
