"""Independent port of pytest's ``testing/test_junitxml.py`` and ``testing/test_conftest.py``
(pytest-dev/pytest, the 2026 versions), written from zenrun's user docs alone, without
reading the earlier ports of these files.

Mapping:

- a pytest test module becomes a pipeline module (``test_x.py`` -> ``pipeline_x.py``, the
  positional ``makepyfile`` source -> ``pipeline_<case>.py``); pytest's source is written
  as pytest writes it and turned into pipelines with ``porting.pipelines``: each
  ``def test_*`` a ``@pipeline``, each ``assert`` in it a call of a ``check`` step, the rest
  of the body (prints, raises, ``record_property(...)``, ``pytest.skip``) the pipeline's own
  code, as a test function's;
- ``pytester`` -> ``zenrunner`` (runs in-process, ``runzenrun_inprocess``);
  ``pytest.ini`` / ``makeini`` -> ``tox.ini``'s ``[zenrun]`` section (``zenrunner.makeini``),
  ``[tool.pytest.ini_options]`` -> ``[tool.zenrun]``, ``testpaths`` -> ``pipelinepaths``;
- ``pytest_*`` hooks -> ``zenrun_*`` hooks (``pytest_runtest_protocol``, the hook that runs
  an item, -> ``zenrun_item_report``, the hook every item's report goes through: a plugin
  raising there is zenrun's INTERNALERROR, the ``internal`` testcase of pytest's case; pytest
  then ends the session, zenrun reports the other pipelines too, docs/plugins.md "Errors
  and blame", so the suite's ``errors`` and ``tests`` count them);
- the JUnit XML: pytest's suite name ``pytest`` -> ``zenrun``, the root's ``pytest tests``
  -> ``zenrun pipelines``, skip / xfail types ``pytest.skip`` / ``pytest.xfail`` ->
  ``zenrun.skip`` / ``zenrun.xfail`` (docs/guide/running.md, "JUnit XML reports"); a
  ``<testcase>``'s classname is the pipeline module's dotted path; pytest's schema
  validation of ``xunit2`` (``xmlschema`` and ``junit-10.xsd``) -> a check of what that
  schema allows a ``<testcase>`` (its attributes and children);
- a failed step's ``<failure message>`` is ``step 'check': <pytest's message>``: the step's
  name comes first (docs/guide/pytest-habits.md, "Where zenrun differs, on purpose"),
  the rest is compared with pytest's.

Counted per pytest test function (a parametrized one once): ``test_junitxml.py`` 76, of
which 61 ported and 15 not applicable; ``test_conftest.py`` 34, of which 27 ported and 7
not applicable; and 2 of the porter's (a conftest that fails to import, or skips, while
collecting takes its directory with it, as pytest 9 does). All ported cases pass; none is
a known divergence (no xfail). ``test_conftest_badcase`` is skipped on case-sensitive file
systems, as in pytest.

Not applicable (left out):

- junitxml ``TestJunitHelpers`` (5): tests of the suite's own DOM helper, not of pytest;
- junitxml ``test_timing_function``, ``test_junit_duration_report``: pytest's private
  ``mock_timing`` fixture and ``LogXML.node_reporter`` monkeypatched; durations cannot be
  asserted without them (no timing assertions);
- junitxml ``test_classname_instance``, ``test_double_colon_split_method_issue469``, the
  class half of ``test_junit_prefixing``: test classes;
- junitxml ``test_mangle_test_address``, ``test_url_property``: private helpers and a
  report attribute (``url``) zenrun's reports do not have;
- junitxml ``test_dont_configure_on_workers``, ``test_runs_twice_xdist``,
  ``TestNonPython::test_summing_simple``, ``test_fancy_items_regression``: pytest-xdist's
  workers and ``--dist each``, custom ``Item`` / ``File`` collectors;
- junitxml ``test_unicode_issue368``, ``test_global_properties``, ``test_invalid_xml_escape``
  drive pytest's private ``LogXML`` / ``bin_xml_escape``: ported through runs (non-ASCII in
  every kind of result, ``record_testsuite_property``, characters XML cannot hold in a
  pipeline's output; the surrogates 0xD800 / 0xDFFF cannot be printed and are left out);
- conftest ``TestConftestValueAccessGlobal`` (5), ``test_conftest_global_import``,
  ``test_conftestcutdir``: pytest's private ``PytestPluginManager`` methods
  (``_rget_with_confmod``, ``_importconftest``, ``_getconftestmodules``); the other private
  ones (``test_doubledash_considered``, ``test_issue151_load_all_conftests``,
  ``test_conftestcutdir_inplace_considered``, ``test_setinitial_conftest_subdirs``,
  ``test_conftest_import_order``, ``test_conftest_in_nonpkg_with_init``) are ported as the
  runs whose behaviour they check (which conftests load, in which order);
- conftest ``test_rootdir_conftest_visible_outside_rootdir`` is ported without
  ``--doctest-modules`` (zenrun has no doctest items).
"""

from __future__ import annotations

import os
import platform
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.dom import minidom

import pytest
from porting import bodies, module_name, pipelines

families = pytest.mark.parametrize("xunit_family", ["xunit1", "xunit2"])

# What junit-10.xsd lets a <testcase> hold (pytest validates xunit2 files against it).
_XSD_TESTCASE_ATTRS = {"name", "classname", "time", "assertions", "status", "file", "line"}
_XSD_TESTCASE_CHILDREN = {"skipped", "error", "failure", "system-out", "system-err", "properties"}


class Node:
    """A DOM element, as pytest's suite's ``DomNode``."""

    def __init__(self, node: Any) -> None:
        self._node = node

    def find_by_tag(self, tag: str) -> list[Node]:
        return [Node(x) for x in self._node.getElementsByTagName(tag)]

    def find_first_by_tag(self, tag: str) -> Node | None:
        found = self.find_by_tag(tag)
        return found[0] if found else None

    def get_first_by_tag(self, tag: str) -> Node:
        found = self.find_first_by_tag(tag)
        if found is None:
            raise LookupError(tag)
        return found

    @property
    def children(self) -> list[Node]:
        return [Node(x) for x in self._node.childNodes if isinstance(x, minidom.Element)]

    @property
    def get_unique_child(self) -> Node:
        (child,) = self.children
        return child

    def __getitem__(self, key: str) -> str:
        attr = self._node.getAttributeNode(key)
        if attr is None:
            raise KeyError(key)
        return str(attr.value)

    def assert_attr(self, **kwargs: object) -> None:
        __tracebackhide__ = True
        expected = {k: str(v) for k, v in kwargs.items()}
        got = {
            k: (self._node.getAttributeNode(k).value if self._node.getAttributeNode(k) else None)
            for k in kwargs
        }
        assert got == expected

    @property
    def text(self) -> str:
        return str(self._node.childNodes[0].wholeText)

    @property
    def tag(self) -> str:
        return str(self._node.tagName)

    def toxml(self) -> str:
        return str(self._node.toxml())

    def __repr__(self) -> str:
        return self.toxml()


def _check_xunit2(dom: Node) -> None:
    for case in dom.find_by_tag("testcase"):
        assert set(case._node.attributes.keys()) <= _XSD_TESTCASE_ATTRS, case.toxml()
        assert {c.tag for c in case.children} <= _XSD_TESTCASE_CHILDREN, case.toxml()


def run_and_parse(
    zenrunner: Any, *args: str | os.PathLike[str], family: str | None = "xunit1", suite_name: str = "zenrun"
) -> tuple[Any, Node]:
    """pytest's ``run_and_parse``: a run with ``--junitxml``, its file parsed; the suite's
    ``tests`` is the number of ``<testcase>`` elements."""
    if family:
        args = ("-o", "junit_family=" + family, *args)
    xml_path = zenrunner.path / "junit.xml"
    result = zenrunner.runzenrun_inprocess(f"--junitxml={xml_path}", *map(str, args))
    dom = Node(minidom.parse(str(xml_path)))
    if family == "xunit2":
        _check_xunit2(dom)
    suite = dom.get_first_by_tag("testsuite")
    suite.assert_attr(name=suite_name, tests=len(dom.find_by_tag("testcase")))
    return result, dom


def write(zenrunner: Any, src: str, **named: str) -> str:
    """pytest's positional ``makepyfile(src)`` as a pipeline module; returns its name (the
    ``classname`` of its testcases)."""
    if src:
        zenrunner.makepyfile(pipelines(src))
    for name, text in named.items():
        zenrunner.makepyfile(**{name: pipelines(text)})
    return str(module_name(zenrunner))


def _first_line(zenrunner: Any, pipeline: str) -> int:
    """The 1-based line a pipeline's definition starts at (its first decorator's), where
    pytest's ``node.warn`` locates a warning of a test function."""
    lines = (zenrunner.path / f"{module_name(zenrunner)}.py").read_text().splitlines()
    index = next(i for i, x in enumerate(lines) if x.startswith(f"def {pipeline}("))
    assert lines[index - 1] == "@pipeline"
    return index  # the 1-based number of the line above the def


# ---------------------------------------------------------------- testing/test_junitxml.py


@families
def test_summing_simple(zenrunner: Any, xunit_family: str) -> None:
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
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    dom.get_first_by_tag("testsuite").assert_attr(name="zenrun", errors=0, failures=1, skipped=2, tests=5)


@families
def test_summing_simple_with_errors(zenrunner: Any, xunit_family: str) -> None:
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
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    dom.get_first_by_tag("testsuite").assert_attr(name="zenrun", errors=1, failures=2, skipped=1, tests=5)


@families
def test_hostname_in_xml(zenrunner: Any, xunit_family: str) -> None:
    write(zenrunner, "def test_pass():\n    pass\n")
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    dom.get_first_by_tag("testsuite").assert_attr(hostname=platform.node())


@families
def test_timestamp_in_xml(zenrunner: Any, xunit_family: str) -> None:
    write(zenrunner, "def test_pass():\n    pass\n")
    start_time = datetime.now(UTC)
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    timestamp = datetime.fromisoformat(dom.get_first_by_tag("testsuite")["timestamp"])
    assert start_time <= timestamp < datetime.now(UTC)


@families
def test_setup_error(zenrunner: Any, xunit_family: str) -> None:
    name = write(
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
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(errors=1, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_function")
    fnode = tnode.get_first_by_tag("error")
    fnode.assert_attr(message='failed on setup with "ValueError: Error reason"')
    assert "ValueError" in fnode.toxml()


@families
def test_teardown_error(zenrunner: Any, xunit_family: str) -> None:
    name = write(
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
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(errors=1, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_function")
    fnode = tnode.get_first_by_tag("error")
    fnode.assert_attr(message='failed on teardown with "ValueError: Error reason"')
    assert "ValueError" in fnode.toxml()


@families
def test_call_failure_teardown_error(zenrunner: Any, xunit_family: str) -> None:
    write(
        zenrunner,
        """
        import pytest

        @pytest.fixture
        def arg():
            yield
            raise Exception("Teardown Exception")
        def test_function(arg):
            raise Exception("Call Exception")
        """,
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    dom.get_first_by_tag("testsuite").assert_attr(errors=1, failures=1, tests=2)
    first, second = dom.find_by_tag("testcase")
    assert first.toxml() != second.toxml()
    first.get_first_by_tag("failure").assert_attr(message="Exception: Call Exception")
    second.get_first_by_tag("error").assert_attr(
        message='failed on teardown with "Exception: Teardown Exception"'
    )


@families
def test_skip_contains_name_reason(zenrunner: Any, xunit_family: str) -> None:
    name = write(zenrunner, 'import pytest\ndef test_skip():\n    pytest.skip("hello23")\n')
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_skip")
    tnode.get_first_by_tag("skipped").assert_attr(type="zenrun.skip", message="hello23")


@families
def test_mark_skip_contains_name_reason(zenrunner: Any, xunit_family: str) -> None:
    name = write(
        zenrunner, 'import pytest\n@pytest.mark.skip(reason="hello24")\ndef test_skip():\n    assert True\n'
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_skip")
    tnode.get_first_by_tag("skipped").assert_attr(type="zenrun.skip", message="hello24")


@families
def test_mark_skipif_contains_name_reason(zenrunner: Any, xunit_family: str) -> None:
    name = write(
        zenrunner,
        """
        import pytest
        GLOBAL_CONDITION = True
        @pytest.mark.skipif(GLOBAL_CONDITION, reason="hello25")
        def test_skip():
            assert True
        """,
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_skip")
    tnode.get_first_by_tag("skipped").assert_attr(type="zenrun.skip", message="hello25")


@families
def test_mark_skip_doesnt_capture_output(zenrunner: Any, xunit_family: str) -> None:
    write(zenrunner, 'import pytest\n@pytest.mark.skip(reason="foo")\ndef test_skip():\n    print("bar!")\n')
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    assert "bar!" not in dom.get_first_by_tag("testsuite").toxml()


@families
def test_classname_nested_dir(zenrunner: Any, xunit_family: str) -> None:
    p = zenrunner.mkdir("sub").joinpath("pipeline_hello.py")
    p.write_text(pipelines("def test_func(): 0/0"), encoding="utf-8")
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(failures=1)
    node.get_first_by_tag("testcase").assert_attr(classname="sub.pipeline_hello", name="test_func")


@families
def test_internal_error(zenrunner: Any, xunit_family: str) -> None:
    zenrunner.makeconftest("def zenrun_item_report(report): 0 / 0")
    write(zenrunner, "def test_function(): pass")
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(errors=1)
    tnode = [t for t in node.find_by_tag("testcase") if t["name"] == "internal"][0]
    tnode.assert_attr(classname="zenrun", name="internal")
    fnode = tnode.get_first_by_tag("error")
    fnode.assert_attr(message="internal error")
    assert "Division" in fnode.toxml()


_FAILING_WITH_OUTPUT = """
import logging
import sys

def test_fail():
    print("hello-stdout")
    sys.stderr.write("hello-stderr\\n")
    logging.info('info msg')
    logging.warning('warning msg')
    raise ValueError(42)
"""


@pytest.mark.parametrize("junit_logging", ["no", "log", "system-out", "system-err", "out-err", "all"])
@families
def test_failure_function(zenrunner: Any, junit_logging: str, xunit_family: str) -> None:
    name = write(zenrunner, _FAILING_WITH_OUTPUT)
    result, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}", family=xunit_family)
    assert result.ret, "Expected ret > 0"
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(failures=1, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_fail")
    fnode = tnode.get_first_by_tag("failure")
    fnode.assert_attr(message="ValueError: 42")
    assert "ValueError" in fnode.toxml(), "ValueError not included"

    if junit_logging in ["log", "all"]:
        logdata = tnode.get_first_by_tag("system-out")
        log_xml = logdata.toxml()
        assert "info msg" not in log_xml, "Unexpected INFO message"
        assert "warning msg" in log_xml, "Missing WARN message"
    if junit_logging in ["system-out", "out-err", "all"]:
        systemout_xml = tnode.get_first_by_tag("system-out").toxml()
        assert "info msg" not in systemout_xml
        assert "hello-stdout" in systemout_xml
    if junit_logging in ["system-err", "out-err", "all"]:
        systemerr_xml = tnode.get_first_by_tag("system-err").toxml()
        assert "info msg" not in systemerr_xml
        assert "hello-stderr" in systemerr_xml
        assert "warning msg" not in systemerr_xml
    if junit_logging == "no":
        assert not tnode.find_by_tag("log")
        assert not tnode.find_by_tag("system-out")
        assert not tnode.find_by_tag("system-err")


@families
def test_failure_verbose_message(zenrunner: Any, xunit_family: str) -> None:
    write(zenrunner, 'import sys\ndef test_fail():\n    assert 0, "An error"\n')
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    fnode = dom.get_first_by_tag("testcase").get_first_by_tag("failure")
    # pytest: "AssertionError: An error\nassert 0"; the failed step is named first
    fnode.assert_attr(message="step 'check': AssertionError: An error\nassert 0")


@families
def test_failure_escape(zenrunner: Any, xunit_family: str) -> None:
    name = write(
        zenrunner,
        """
        import pytest
        @pytest.mark.parametrize('arg1', "<&'", ids="<&'")
        def test_func(arg1):
            print(arg1)
            assert 0
        """,
    )
    result, dom = run_and_parse(zenrunner, "-o", "junit_logging=system-out", family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(failures=3, tests=3)
    for tnode, char in zip(node.find_by_tag("testcase"), "<&'", strict=True):
        tnode.assert_attr(classname=name, name=f"test_func[{char}]")
        assert f"{char}\n" in tnode.get_first_by_tag("system-out").text


@families
def test_junit_prefixing(zenrunner: Any, xunit_family: str) -> None:
    name = write(zenrunner, "def test_func():\n    assert 0\ndef test_hello():\n    pass\n")
    result, dom = run_and_parse(zenrunner, "--junitprefix=xyz", family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(failures=1, tests=2)
    node.get_first_by_tag("testcase").assert_attr(classname=f"xyz.{name}", name="test_func")
    node.find_by_tag("testcase")[1].assert_attr(classname=f"xyz.{name}", name="test_hello")


@families
def test_xfailure_function(zenrunner: Any, xunit_family: str) -> None:
    name = write(zenrunner, 'import pytest\ndef test_xfail():\n    pytest.xfail("42")\n')
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert not result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=1, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_xfail")
    tnode.get_first_by_tag("skipped").assert_attr(type="zenrun.xfail", message="42")


@families
def test_xfailure_marker(zenrunner: Any, xunit_family: str) -> None:
    name = write(
        zenrunner, 'import pytest\n@pytest.mark.xfail(reason="42")\ndef test_xfail():\n    assert False\n'
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert not result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=1, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_xfail")
    tnode.get_first_by_tag("skipped").assert_attr(type="zenrun.xfail", message="42")


@pytest.mark.parametrize("junit_logging", ["no", "log", "system-out", "system-err", "out-err", "all"])
def test_xfail_captures_output_once(zenrunner: Any, junit_logging: str) -> None:
    write(
        zenrunner,
        """
        import sys
        import pytest

        @pytest.mark.xfail()
        def test_fail():
            sys.stdout.write('XFAIL This is stdout')
            sys.stderr.write('XFAIL This is stderr')
            assert 0
        """,
    )
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    tnode = dom.get_first_by_tag("testcase")
    has_err = junit_logging in ["system-err", "out-err", "all"]
    assert len(tnode.find_by_tag("system-err")) == (1 if has_err else 0)
    has_out = junit_logging in ("log", "system-out", "out-err", "all")
    assert len(tnode.find_by_tag("system-out")) == (1 if has_out else 0)


@families
def test_xfailure_xpass(zenrunner: Any, xunit_family: str) -> None:
    name = write(zenrunner, "import pytest\n@pytest.mark.xfail\ndef test_xpass():\n    pass\n")
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=0, tests=1)
    node.get_first_by_tag("testcase").assert_attr(classname=name, name="test_xpass")


@families
def test_xfailure_xpass_strict(zenrunner: Any, xunit_family: str) -> None:
    name = write(
        zenrunner,
        'import pytest\n@pytest.mark.xfail(strict=True, reason="This needs to fail!")\ndef test_xpass():\n    pass\n',
    )
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(skipped=0, tests=1)
    tnode = node.get_first_by_tag("testcase")
    tnode.assert_attr(classname=name, name="test_xpass")
    tnode.get_first_by_tag("failure").assert_attr(message="[XPASS(strict)] This needs to fail!")


@families
def test_collect_error(zenrunner: Any, xunit_family: str) -> None:
    zenrunner.makepyfile("syntax error")
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret
    node = dom.get_first_by_tag("testsuite")
    node.assert_attr(errors=1, tests=1)
    fnode = node.get_first_by_tag("testcase").get_first_by_tag("error")
    fnode.assert_attr(message="collection failure")
    assert "SyntaxError" in fnode.toxml()


def test_unicode(zenrunner: Any) -> None:
    value = "hx\xc4\x85\xc4\x87\n"
    # the test's body as the pipeline's (porting.bodies): pytest's failure text shows the test's
    # source, here the pipeline's, with the print
    zenrunner.makepyfile(bodies(f"# coding: latin1\ndef test_hello():\n    print({value!r})\n    assert 0\n"))
    result, dom = run_and_parse(zenrunner)
    assert result.ret == 1
    assert "hx" in dom.get_first_by_tag("testcase").get_first_by_tag("failure").toxml()


def test_assertion_binchars(zenrunner: Any) -> None:
    """This test did fail when the escaping wasn't strict."""
    write(
        zenrunner,
        """
        M1 = '\x01\x02\x03\x04'
        M2 = '\x01\x02\x03\x05'

        def test_str_compare():
            assert M1 == M2
        """,
    )
    _, dom = run_and_parse(zenrunner)
    print(dom.toxml())


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_pass_captures_stdout(zenrunner: Any, junit_logging: str) -> None:
    write(zenrunner, "def test_pass():\n    print('hello-stdout')\n")
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    node = dom.get_first_by_tag("testsuite")
    if junit_logging == "no":
        assert not node.find_by_tag("system-out")
    else:
        assert "hello-stdout" in node.get_first_by_tag("testcase").get_first_by_tag("system-out").toxml()


@pytest.mark.parametrize("junit_logging", ["no", "system-err"])
def test_pass_captures_stderr(zenrunner: Any, junit_logging: str) -> None:
    write(zenrunner, "import sys\ndef test_pass():\n    sys.stderr.write('hello-stderr')\n")
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    node = dom.get_first_by_tag("testsuite")
    if junit_logging == "no":
        assert not node.find_by_tag("system-err")
    else:
        assert "hello-stderr" in node.get_first_by_tag("testcase").get_first_by_tag("system-err").toxml()


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_setup_error_captures_stdout(zenrunner: Any, junit_logging: str) -> None:
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
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    node = dom.get_first_by_tag("testsuite")
    if junit_logging == "no":
        assert not node.find_by_tag("system-out")
    else:
        assert "hello-stdout" in node.get_first_by_tag("testcase").get_first_by_tag("system-out").toxml()


@pytest.mark.parametrize("junit_logging", ["no", "system-err"])
def test_setup_error_captures_stderr(zenrunner: Any, junit_logging: str) -> None:
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
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    node = dom.get_first_by_tag("testsuite")
    if junit_logging == "no":
        assert not node.find_by_tag("system-err")
    else:
        assert "hello-stderr" in node.get_first_by_tag("testcase").get_first_by_tag("system-err").toxml()


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_avoid_double_stdout(zenrunner: Any, junit_logging: str) -> None:
    write(
        zenrunner,
        """
        import sys
        import pytest

        @pytest.fixture
        def arg(request):
            yield
            sys.stdout.write('hello-stdout teardown')
            raise ValueError()
        def test_function(arg):
            sys.stdout.write('hello-stdout call')
        """,
    )
    _, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}")
    node = dom.get_first_by_tag("testsuite")
    if junit_logging == "no":
        assert not node.find_by_tag("system-out")
    else:
        systemout = node.get_first_by_tag("testcase").get_first_by_tag("system-out").toxml()
        assert "hello-stdout call" in systemout
        assert "hello-stdout teardown" in systemout


_NULLBYTE = """
import sys
def test_print_nullbyte():
    sys.stdout.write('Here the null -->' + chr(0) + '<--')
    sys.stdout.write('In repr form -->' + repr(chr(0)) + '<--')
    assert False
"""


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_nullbyte(zenrunner: Any, junit_logging: str) -> None:
    write(zenrunner, _NULLBYTE)
    xmlf = zenrunner.path / "junit.xml"
    zenrunner.runzenrun_inprocess(f"--junitxml={xmlf}", "-o", f"junit_logging={junit_logging}")
    text = xmlf.read_text(encoding="utf-8")
    assert "\x00" not in text
    if junit_logging == "system-out":
        assert "#x00" in text
    else:
        assert "#x00" not in text


@pytest.mark.parametrize("junit_logging", ["no", "system-out"])
def test_nullbyte_replace(zenrunner: Any, junit_logging: str) -> None:
    write(zenrunner, _NULLBYTE)
    xmlf = zenrunner.path / "junit.xml"
    zenrunner.runzenrun_inprocess(f"--junitxml={xmlf}", "-o", f"junit_logging={junit_logging}")
    text = xmlf.read_text(encoding="utf-8")
    if junit_logging == "system-out":
        assert "#x0" in text
    else:
        assert "#x0" not in text


def test_invalid_xml_escape(zenrunner: Any) -> None:
    # pytest's bin_xml_escape, through a run: what a pipeline prints, in <system-out>
    invalid = (0x00, 0x1, 0xB, 0xC, 0xE, 0x19, 27, 0xFFFE, 0x0FFFF)
    valid = (0x9, 0x20, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x10FFFF)
    zenrunner.makepyfile(
        pipeline_chars=f"""
        from zenrun import pipeline
        @pipeline
        def test_chars():
            for i in {invalid + valid!r}:
                print(f"<{{chr(i)}}>")
        """
    )
    _, dom = run_and_parse(zenrunner, "-o", "junit_logging=system-out")
    out = dom.get_first_by_tag("system-out").text
    for i in invalid:
        expected = f"#x{i:02X}" if i <= 0xFF else f"#x{i:04X}"
        assert f"<{expected}>" in out
    for i in valid:
        assert f"<{chr(i)}>" in out


def test_logxml_path_expansion(zenrunner: Any, tmp_path: Path) -> None:
    # pytest's LogXML(Path("~", "test.xml")) / ("$HOME", "test.xml"), through the option
    home = tmp_path / "home"
    home.mkdir()
    write(zenrunner, "def test_pass():\n    pass\n")
    result = zenrunner.runzenrun_inprocess("--junitxml=~/test.xml", env={"HOME": str(home)})
    assert result.ret == 0
    assert home.joinpath("test.xml").is_file()
    result = zenrunner.runzenrun_inprocess("--junitxml=$HOME/test2.xml", env={"HOME": str(home)})
    assert result.ret == 0
    assert home.joinpath("test2.xml").is_file()


def test_logxml_changingdir(zenrunner: Any) -> None:
    zenrunner.makepyfile(
        pipeline_chdir="""
        from zenrun import pipeline
        @pipeline
        def test_func():
            import os
            os.chdir("a")
        """
    )
    zenrunner.mkdir("a")
    result = zenrunner.runzenrun_inprocess("--junitxml=a/x.xml")
    assert result.ret == 0
    assert zenrunner.path.joinpath("a/x.xml").exists()


def test_logxml_makedir(zenrunner: Any) -> None:
    """--junitxml should automatically create directories for the xml file"""
    write(zenrunner, "def test_pass():\n    pass\n")
    result = zenrunner.runzenrun_inprocess("--junitxml=path/to/results.xml")
    assert result.ret == 0
    assert zenrunner.path.joinpath("path/to/results.xml").exists()


def test_logxml_check_isdir(zenrunner: Any) -> None:
    """Give an error if --junit-xml is a directory (#2089)"""
    result = zenrunner.runzenrun_inprocess("--junit-xml=.")
    result.stderr.fnmatch_lines(["*--junitxml must be a filename*"])


def test_escaped_parametrized_names_xml(zenrunner: Any) -> None:
    write(
        zenrunner,
        "import pytest\n@pytest.mark.parametrize('char', [\"\\x00\"])\ndef test_func(char):\n    assert char\n",
    )
    result, dom = run_and_parse(zenrunner)
    assert result.ret == 0
    dom.get_first_by_tag("testcase").assert_attr(name="test_func[\\x00]")


def test_double_colon_split_function_issue469(zenrunner: Any) -> None:
    name = write(
        zenrunner,
        "import pytest\n@pytest.mark.parametrize('param', [\"double::colon\"])\ndef test_func(param):\n    pass\n",
    )
    result, dom = run_and_parse(zenrunner)
    assert result.ret == 0
    node = dom.get_first_by_tag("testcase")
    node.assert_attr(classname=name)
    node.assert_attr(name="test_func[double::colon]")


def test_unicode_issue368(zenrunner: Any) -> None:
    # pytest drives LogXML's append_* with a report whose texts are "ВНИ!"; here: a run
    # with each kind of result saying it
    write(
        zenrunner,
        """
        import pytest
        ustr = "ВНИ!"
        @pytest.fixture
        def broken():
            raise ValueError(ustr)
        def test_failure():
            assert 0, ustr
        def test_error(broken):
            pass
        def test_skip():
            pytest.skip(ustr)
        def test_skip2():
            pytest.skip("卡嘣嘣")
        @pytest.mark.xfail(reason=ustr)
        def test_xfail():
            assert 0
        """,
    )
    result, dom = run_and_parse(zenrunner)
    assert result.ret == 1
    text = dom.get_first_by_tag("testsuite").toxml()
    assert text.count("ВНИ!") >= 4
    assert "卡嘣嘣" in text


def test_record_property(zenrunner: Any) -> None:
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
    result, dom = run_and_parse(zenrunner)
    pnodes = dom.get_first_by_tag("testcase").get_first_by_tag("properties").find_by_tag("property")
    pnodes[0].assert_attr(name="bar", value="1")
    pnodes[1].assert_attr(name="foo", value="<1")
    result.stdout.fnmatch_lines(["*= 1 passed in *"])


def test_record_property_on_test_and_teardown_failure(zenrunner: Any) -> None:
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
    result, dom = run_and_parse(zenrunner)
    tnodes = dom.find_by_tag("testcase")
    assert len(tnodes) == 2
    for tnode in tnodes:
        psnode = tnode.find_first_by_tag("properties")
        assert psnode, f"testcase didn't had expected properties:\n{tnode}"
        pnodes = psnode.find_by_tag("property")
        pnodes[0].assert_attr(name="bar", value="1")
        pnodes[1].assert_attr(name="foo", value="<1")
    result.stdout.fnmatch_lines(["*= 1 failed, 1 error *"])


def test_record_property_same_name(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        def test_record_with_same_name(record_property):
            record_property("foo", "bar")
            record_property("foo", "baz")
        """,
    )
    _, dom = run_and_parse(zenrunner)
    pnodes = dom.get_first_by_tag("testcase").get_first_by_tag("properties").find_by_tag("property")
    pnodes[0].assert_attr(name="foo", value="bar")
    pnodes[1].assert_attr(name="foo", value="baz")


@pytest.mark.parametrize("fixture_name", ["record_property", "record_xml_attribute"])
def test_record_fixtures_without_junitxml(zenrunner: Any, fixture_name: str) -> None:
    write(zenrunner, f'def test_record({fixture_name}):\n    {fixture_name}("foo", "bar")\n')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


def test_record_attribute(zenrunner: Any) -> None:
    zenrunner.makeini("[zenrun]\njunit_family = xunit1\n")
    name = write(
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
    result, dom = run_and_parse(zenrunner)
    tnode = dom.get_first_by_tag("testcase")
    tnode.assert_attr(bar="1")
    tnode.assert_attr(foo="<1")
    # pytest's line 6 is the test function's first line: the pipeline's (its ``@pipeline``)
    line = _first_line(zenrunner, "test_record")
    result.stdout.fnmatch_lines([f"*{name}.py:{line}:*record_xml_attribute is an experimental feature"])


@pytest.mark.parametrize("fixture_name", ["record_xml_attribute", "record_property"])
def test_record_fixtures_xunit2(zenrunner: Any, fixture_name: str) -> None:
    """Ensure record_xml_attribute and record_property drop values when outside of legacy family."""
    zenrunner.makeini("[zenrun]\njunit_family = xunit2\n")
    name = write(
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
    result, _ = run_and_parse(zenrunner, family=None)
    line = _first_line(zenrunner, "test_record")
    result.stdout.fnmatch_lines(
        [
            f"*{name}.py:{line}:*{fixture_name} is incompatible with junit_family 'xunit2' (use 'legacy' or 'xunit1')"
        ]
    )


def test_random_report_log_xdist(zenrunner: Any) -> None:
    """Reports of items whose steps ran in -n workers come back in any order (#1064)."""
    write(
        zenrunner,
        "import pytest\n@pytest.mark.parametrize('i', list(range(30)))\ndef test_x(i):\n    assert i != 22\n",
    )
    _, dom = run_and_parse(zenrunner, "-n2")
    failed = [c["name"] for c in dom.find_by_tag("testcase") if c.find_first_by_tag("failure")]
    assert failed == ["test_x[22]"]


@families
def test_root_testsuites_tag(zenrunner: Any, xunit_family: str) -> None:
    write(zenrunner, "def test_x():\n    pass\n")
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    root = dom.get_unique_child
    assert root.tag == "testsuites"
    root.assert_attr(name="zenrun pipelines")
    assert root.get_unique_child.tag == "testsuite"


def test_runs_twice(zenrunner: Any) -> None:
    write(zenrunner, "def test_pass():\n    pass\n")
    f = zenrunner.path / f"{module_name(zenrunner)}.py"
    result, dom = run_and_parse(zenrunner, "--keep-duplicates", f, f)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    first, second = (x["classname"] for x in dom.find_by_tag("testcase"))
    assert first == second


@families
def test_global_properties(zenrunner: Any, xunit_family: str) -> None:
    # pytest's LogXML.add_global_property, through record_testsuite_property
    write(
        zenrunner,
        """
        def test_props(record_testsuite_property):
            record_testsuite_property("foo", "1")
            record_testsuite_property("bar", "2")
        """,
    )
    _, dom = run_and_parse(zenrunner, family=xunit_family)
    assert len(dom.find_by_tag("properties")) == 1, "There must be one <properties> node"
    plist = dom.find_by_tag("property")
    assert len(plist) == 2, "There most be only 2 property nodes"
    assert {p["name"]: p["value"] for p in plist} == {"foo": "1", "bar": "2"}


@families
def test_record_testsuite_property(zenrunner: Any, xunit_family: str) -> None:
    write(
        zenrunner,
        """
        def test_func1(record_testsuite_property):
            record_testsuite_property("stats", "all good")

        def test_func2(record_testsuite_property):
            record_testsuite_property("stats", 10)
        """,
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    props = dom.get_first_by_tag("testsuite").get_first_by_tag("properties")
    p1_node, p2_node = props.find_by_tag("property")[:2]
    p1_node.assert_attr(name="stats", value="all good")
    p2_node.assert_attr(name="stats", value="10")


def test_record_testsuite_property_junit_disabled(zenrunner: Any) -> None:
    write(
        zenrunner,
        'def test_func1(record_testsuite_property):\n    record_testsuite_property("stats", "all good")\n',
    )
    assert zenrunner.runzenrun_inprocess().ret == 0


@pytest.mark.parametrize("junit", [True, False])
def test_record_testsuite_property_type_checking(zenrunner: Any, junit: bool) -> None:
    write(zenrunner, "def test_func1(record_testsuite_property):\n    record_testsuite_property(1, 2)\n")
    args = ("--junitxml=tests.xml",) if junit else ()
    result = zenrunner.runzenrun_inprocess(*args)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*TypeError: name parameter needs to be a string, but int given"])


@pytest.mark.parametrize("suite_name", ["my_suite", ""])
@families
def test_set_suite_name(zenrunner: Any, suite_name: str, xunit_family: str) -> None:
    if suite_name:
        zenrunner.makeini(f"[zenrun]\njunit_suite_name={suite_name}\njunit_family={xunit_family}\n")
        expected = suite_name
    else:
        expected = "zenrun"
    write(zenrunner, "import pytest\n\ndef test_func():\n    pass\n")
    result, dom = run_and_parse(zenrunner, family=xunit_family, suite_name=expected)
    assert result.ret == 0
    dom.get_first_by_tag("testsuite").assert_attr(name=expected)


def test_escaped_skipreason_issue3533(zenrunner: Any) -> None:
    write(zenrunner, "import pytest\n@pytest.mark.skip(reason='1 <> 2')\ndef test_skip():\n    pass\n")
    _, dom = run_and_parse(zenrunner)
    snode = dom.get_first_by_tag("testcase").get_first_by_tag("skipped")
    assert "1 <> 2" in snode.text
    snode.assert_attr(message="1 <> 2")


def test_bin_escaped_skipreason(zenrunner: Any) -> None:
    """Escape special characters from mark.skip reason (#11842)."""
    write(zenrunner, 'import pytest\n@pytest.mark.skip("\\33[31;1mred\\33[0m")\ndef test_skip():\n    pass\n')
    _, dom = run_and_parse(zenrunner)
    snode = dom.get_first_by_tag("testcase").get_first_by_tag("skipped")
    assert "#x1B[31;1mred#x1B[0m" in snode.text
    snode.assert_attr(message="#x1B[31;1mred#x1B[0m")


def test_escaped_setup_teardown_error(zenrunner: Any) -> None:
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
    _, dom = run_and_parse(zenrunner)
    snode = dom.get_first_by_tag("testcase").get_first_by_tag("error")
    assert "#x1B[31mred#x1B[m" in snode["message"]
    assert "#x1B[31mred#x1B[m" in snode.text


@families
def test_logging_passing_tests_disabled_does_not_log_test_output(zenrunner: Any, xunit_family: str) -> None:
    zenrunner.makeini(
        f"[zenrun]\njunit_log_passing_tests=False\njunit_logging=system-out\njunit_family={xunit_family}\n"
    )
    write(
        zenrunner,
        """
        import pytest
        import logging
        import sys

        def test_func():
            sys.stdout.write('This is stdout')
            sys.stderr.write('This is stderr')
            logging.warning('hello')
        """,
    )
    result, dom = run_and_parse(zenrunner, family=xunit_family)
    assert result.ret == 0
    node = dom.get_first_by_tag("testcase")
    assert len(node.find_by_tag("system-err")) == 0
    assert len(node.find_by_tag("system-out")) == 0


@families
@pytest.mark.parametrize("junit_logging", ["no", "system-out", "system-err"])
def test_logging_passing_tests_disabled_logs_output_for_failing_test_issue5430(
    zenrunner: Any, junit_logging: str, xunit_family: str
) -> None:
    zenrunner.makeini(f"[zenrun]\njunit_log_passing_tests=False\njunit_family={xunit_family}\n")
    write(
        zenrunner,
        """
        import pytest
        import logging
        import sys

        def test_func():
            logging.warning('hello')
            assert 0
        """,
    )
    result, dom = run_and_parse(zenrunner, "-o", f"junit_logging={junit_logging}", family=xunit_family)
    assert result.ret == 1
    node = dom.get_first_by_tag("testcase")
    expected = {"no": (0, 0), "system-out": (0, 1), "system-err": (1, 0)}[junit_logging]
    assert (len(node.find_by_tag("system-err")), len(node.find_by_tag("system-out"))) == expected


def test_no_message_quiet(zenrunner: Any) -> None:
    """Do not show the summary banner when --quiet is given (#13700)."""
    write(zenrunner, "def test(): pass")
    result = zenrunner.runzenrun_inprocess("--junitxml=pytest.xml")
    result.stdout.fnmatch_lines("* generated xml file: *")
    result = zenrunner.runzenrun_inprocess("--junitxml=pytest.xml", "--quiet")
    result.stdout.no_fnmatch_line("* generated xml file: *")


@pytest.mark.parametrize(
    ("name", "value"),
    [("junit_logging", "stdout"), ("junit_duration_report", "setup"), ("junit_family", "xunit3")],
)
def test_invalid_junit_option_value(zenrunner: Any, name: str, value: str) -> None:
    """Invalid junit option values fail with a clean usage error."""
    zenrunner.makeini(f"[zenrun]\n{name} = {value}\n")
    result = zenrunner.runzenrun_inprocess("--junitxml=junit.xml")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*ERROR: *config option '{name}' expects one of *, got '{value}'"])


# ---------------------------------------------------------------- testing/test_conftest.py

_ADD_XYZ = """\
def zenrun_addoption(parser):
    parser.addoption("--xyz", action="store_true")
"""


def test_conftest_in_nonpkg_with_init(zenrunner: Any) -> None:
    # conftests in a directory whose name is no identifier, in packages: loaded without error
    tmp_path = zenrunner.path
    tmp_path.joinpath("adir-1.0/b").mkdir(parents=True)
    tmp_path.joinpath("adir-1.0/conftest.py").write_text("a=1 ; Directory = 3", encoding="utf-8")
    tmp_path.joinpath("adir-1.0/b/conftest.py").write_text("b=2 ; a = 1.5", encoding="utf-8")
    tmp_path.joinpath("adir-1.0/b/__init__.py").touch()
    tmp_path.joinpath("adir-1.0/__init__.py").touch()
    result = zenrunner.runzenrun_inprocess(str(tmp_path / "adir-1.0" / "b"))
    assert result.ret == 5, result.stdout.str() + result.stderr.str()


def test_doubledash_considered(zenrunner: Any) -> None:
    # the same directory named "--option" given twice: its conftest is loaded once
    conf = zenrunner.mkdir("--option")
    conf.joinpath("conftest.py").write_text(
        "import zenrun\n@zenrun.fixture\ndef fix():\n    return 1\n", encoding="utf-8"
    )
    conf.joinpath("pipeline_it.py").write_text(pipelines("def test_it(fix):\n    assert fix == 1\n"))
    result = zenrunner.runzenrun_inprocess("--", conf.name, conf.name)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)


def test_issue151_load_all_conftests(zenrunner: Any) -> None:
    names = ["code", "proj", "src"]
    for name in names:
        zenrunner.mkdir(name).joinpath("conftest.py").write_text(
            f"def zenrun_addoption(parser):\n    parser.addoption('--opt-{name}', action='store_true')\n"
        )
    result = zenrunner.runzenrun_inprocess(*names, "-h")
    result.stdout.fnmatch_lines_random([f"*--opt-{name}*" for name in names])


def test_conftestcutdir_inplace_considered(zenrunner: Any) -> None:
    zenrunner.makeconftest("import zenrun\n@zenrun.fixture\ndef fix():\n    return 1\n")
    write(zenrunner, "def test_it(fix):\n    assert fix == 1\n")
    result = zenrunner.runzenrun_inprocess(f"--confcutdir={zenrunner.path}", str(zenrunner.path))
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("name", ["test", "tests", "whatever", ".dotdir"])
def test_setinitial_conftest_subdirs(zenrunner: Any, name: str) -> None:
    # the conftests of test* sub-directories of an argument are initial ones: their options
    # are known to -h; those of other sub-directories are not
    sub = zenrunner.mkdir(name)
    sub.joinpath("conftest.py").write_text(_ADD_XYZ)
    result = zenrunner.runzenrun_inprocess(str(zenrunner.path), f"--confcutdir={zenrunner.path}", "-h")
    if name not in ("whatever", ".dotdir"):
        result.stdout.fnmatch_lines(["*--xyz*"])
    else:
        result.stdout.no_fnmatch_line("*--xyz*")


def test_conftest_confcutdir(zenrunner: Any) -> None:
    zenrunner.makeconftest("assert 0")
    x = zenrunner.mkdir("x")
    x.joinpath("conftest.py").write_text(_ADD_XYZ, encoding="utf-8")
    result = zenrunner.runzenrun_inprocess("-h", f"--confcutdir={x}", str(x))
    result.stdout.fnmatch_lines(["*--xyz*"])
    result.stdout.no_fnmatch_line("*warning: could not load initial*")


def test_installed_conftest_is_picked_up(zenrunner: Any, tmp_path_factory: Any) -> None:
    """With --pyargs, the conftest of an installed package (on sys.path, outside the project)
    is picked up (#9767)."""
    site = tmp_path_factory.mktemp("site")
    zenrunner.syspathinsert(site)
    zenrunner.makepyprojecttoml("[tool.zenrun]\n")
    site.joinpath("foo").mkdir()
    site.joinpath("foo", "__init__.py").touch()
    site.joinpath("foo", "conftest.py").write_text(
        "import zenrun\n@zenrun.fixture\ndef fix(): return None\n", encoding="utf-8"
    )
    site.joinpath("foo", "pipeline_it.py").write_text(pipelines("def test_it(fix): pass"), encoding="utf-8")
    result = zenrunner.runzenrun_inprocess("--pyargs", "foo")
    assert result.ret == 0, result.stdout.str()


_FIXTURE_CONFTEST = """
import zenrun

print("conftest_loaded")

@zenrun.fixture
def fixture():
    print("fixture_used")
"""


def test_conftest_symlink(zenrunner: Any) -> None:
    """conftest.py discovery follows normal path resolution and does not resolve symlinks."""
    real = zenrunner.mkdir("real")
    realtests = real.joinpath("app/tests")
    realtests.mkdir(parents=True)
    zenrunner.path.joinpath("symlinktests").symlink_to(realtests, target_is_directory=True)
    zenrunner.path.joinpath("symlink").symlink_to(real, target_is_directory=True)
    zenrunner.makepyfile(
        **{
            "real/app/tests/pipeline_foo": pipelines("def test1(fixture): pass"),
            "real/conftest": _FIXTURE_CONFTEST,
        }
    )
    # the conftest cannot be found from the link's structure
    result = zenrunner.runzenrun_inprocess("-vs", "symlinktests")
    result.stdout.fnmatch_lines(["*fixture 'fixture' not found*"])
    assert result.ret == 1
    # and is not registered twice (#4174)
    result = zenrunner.runzenrun_inprocess("-vs", "symlink")
    assert result.ret == 0, result.stdout.str()


def test_conftest_symlink_files(zenrunner: Any) -> None:
    """Symlinked conftest.py are found when run in a directory with symlinked files."""
    real = zenrunner.mkdir("real")
    source = {
        "app/pipeline_foo.py": pipelines("def test1(fixture): pass"),
        "app/__init__.py": "",
        "app/conftest.py": _FIXTURE_CONFTEST,
    }
    for name, text in source.items():
        real.joinpath(name).parent.mkdir(parents=True, exist_ok=True)
        real.joinpath(name).write_text(textwrap.dedent(text))
    build = zenrunner.mkdir("build")
    build.joinpath("app").mkdir()
    for f in source:
        build.joinpath(f).symlink_to(real.joinpath(f))
    result = zenrunner.runzenrun_inprocess("-vs", "app/pipeline_foo.py", cwd=build)
    # pytest: "PASSED" on its own line after the output; zenrun -v: the steps, then "id PASSED"
    result.stdout.fnmatch_lines(["*conftest_loaded*", "*PASSED*"])
    assert result.ret == 0


@pytest.mark.skipif(
    os.path.normcase("x") != os.path.normcase("X"), reason="only relevant for case-insensitive file systems"
)
def test_conftest_badcase(zenrunner: Any) -> None:
    """Check conftest.py loading when directory casing is wrong (#5792)."""
    zenrunner.path.joinpath("JenkinsRoot/test").mkdir(parents=True)
    for k in ("setup.py", "test/__init__.py", "test/conftest.py"):
        zenrunner.path.joinpath("JenkinsRoot", k).write_text("")
    result = zenrunner.runzenrun_inprocess(cwd=zenrunner.path / "jenkinsroot/test")
    assert result.ret == 5


def test_conftest_uppercase(zenrunner: Any) -> None:
    """Check conftest.py whose qualified name contains uppercase characters (#5819)"""
    zenrunner.makepyfile(**{"__init__": "", "Foo/conftest": "", "Foo/__init__": ""})
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5, result.stdout.str() + result.stderr.str()


def test_no_conftest(zenrunner: Any) -> None:
    zenrunner.makeconftest("assert 0")
    result = zenrunner.runzenrun_inprocess("--noconftest")
    assert result.ret == 5
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4


def test_conftest_existing_junitxml(zenrunner: Any) -> None:
    zenrunner.mkdir("tests").joinpath("conftest.py").write_text(_ADD_XYZ, encoding="utf-8")
    zenrunner.makefile(".xml", junit="")  # Writes junit.xml
    result = zenrunner.runzenrun_inprocess("-h", "--junitxml", "junit.xml")
    result.stdout.fnmatch_lines(["*--xyz*"])


def test_conftests_in_invocation_dir_tests_is_initial(zenrunner: Any) -> None:
    """An option of a conftest in a ``test*`` sub-directory of the invocation dir is known when
    no argument or ``pipelinepaths`` is given (#14608)."""
    zenrunner.makepyfile(
        **{
            "tests/conftest": """
                def zenrun_addoption(parser):
                    parser.addoption("--db-url")
            """,
            "pipeline_it": pipelines(
                """
                def test_it(request):
                    assert request.config.getoption("--db-url") == "scheme://host/db"
                """
            ),
        }
    )
    result = zenrunner.runzenrun_inprocess("--db-url", "scheme://host/db")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)


def test_conftest_import_order(zenrunner: Any) -> None:
    # pytest: _getconftestmodules(sub) == [root conftest, sub conftest]; here the order they
    # are imported in, seen by the pipeline
    zenrunner.makeconftest("import builtins\nbuiltins._zenrun_port_order = ['root']\n")
    sub = zenrunner.mkdir("sub")
    sub.joinpath("conftest.py").write_text("import builtins\nbuiltins._zenrun_port_order.append('sub')\n")
    sub.joinpath("pipeline_order.py").write_text(
        pipelines(
            "import builtins\ndef test_order():\n    assert builtins._zenrun_port_order == ['root', 'sub']\n"
        )
    )
    import builtins

    try:
        result = zenrunner.runzenrun_inprocess()
    finally:
        builtins.__dict__.pop("_zenrun_port_order", None)
    result.assert_outcomes(passed=1)


def test_fixture_dependency(zenrunner: Any) -> None:
    zenrunner.makeconftest("")
    zenrunner.path.joinpath("__init__.py").touch()
    sub = zenrunner.mkdir("sub")
    sub.joinpath("__init__.py").touch()
    sub.joinpath("conftest.py").write_text(
        textwrap.dedent(
            """\
            import zenrun

            @zenrun.fixture
            def not_needed():
                assert False, "Should not be called!"

            @zenrun.fixture
            def foo():
                assert False, "Should not be called!"

            @zenrun.fixture
            def bar(foo):
                return 'bar'
            """
        ),
        encoding="utf-8",
    )
    subsub = sub.joinpath("subsub")
    subsub.mkdir()
    subsub.joinpath("__init__.py").touch()
    subsub.joinpath("pipeline_bar.py").write_text(
        pipelines(
            """\
            import pytest

            @pytest.fixture
            def bar():
                return 'sub bar'

            def test_event_fixture(bar):
                assert bar == 'sub bar'
            """
        ),
        encoding="utf-8",
    )
    result = zenrunner.runzenrun_inprocess("sub")
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_conftest_found_with_double_dash(zenrunner: Any) -> None:
    sub = zenrunner.mkdir("sub")
    sub.joinpath("conftest.py").write_text(
        'def zenrun_addoption(parser):\n    parser.addoption("--hello-world", action="store_true")\n'
    )
    p = sub.joinpath("pipeline_hello.py")
    p.write_text(pipelines("def test_hello(): pass"), encoding="utf-8")
    result = zenrunner.runzenrun_inprocess(str(p) + "::test_hello", "-h")
    result.stdout.fnmatch_lines(["*--hello-world*"])


def _visibility_tree(zenrunner: Any) -> dict[str, Path]:  # for issue616
    runner = zenrunner.mkdir("empty")
    package = zenrunner.mkdir("package")
    fxtr = 'import zenrun\n@zenrun.fixture\ndef fxtr():\n    return "{}"\n'
    package.joinpath("conftest.py").write_text(fxtr.format("from-package"))
    package.joinpath("pipeline_pkgroot.py").write_text(
        pipelines('def test_pkgroot(fxtr):\n    assert fxtr == "from-package"\n')
    )
    swc = package.joinpath("swc")
    swc.mkdir()
    swc.joinpath("__init__.py").touch()
    swc.joinpath("conftest.py").write_text(fxtr.format("from-swc"))
    swc.joinpath("pipeline_with_conftest.py").write_text(
        pipelines('def test_with_conftest(fxtr):\n    assert fxtr == "from-swc"\n')
    )
    snc = package.joinpath("snc")
    snc.mkdir()
    snc.joinpath("__init__.py").touch()
    snc.joinpath("pipeline_no_conftest.py").write_text(
        pipelines('def test_no_conftest(fxtr):\n    assert fxtr == "from-package"\n')
    )
    return {"runner": runner, "package": package, "swc": swc, "snc": snc}


@pytest.mark.parametrize(
    "chdir,testarg,expect_ntests_passed",
    [
        ("runner", "..", 3),
        ("package", "..", 3),
        ("swc", "../..", 3),
        ("snc", "../..", 3),
        ("runner", "../package", 3),
        ("package", ".", 3),
        ("swc", "..", 3),
        ("snc", "..", 3),
        ("runner", "../package/swc", 1),
        ("package", "./swc", 1),
        ("swc", ".", 1),
        ("snc", "../swc", 1),
        ("runner", "../package/snc", 1),
        ("package", "./snc", 1),
        ("swc", "../snc", 1),
        ("snc", ".", 1),
    ],
)
def test_parsefactories_relative_node_ids(
    zenrunner: Any, chdir: str, testarg: str, expect_ntests_passed: int
) -> None:
    """TestConftestVisibility (#616), without its class."""
    dirs = _visibility_tree(zenrunner)
    result = zenrunner.runzenrun_inprocess(
        testarg, "-q", "--traceconfig", "--confcutdir", str(zenrunner.path), cwd=dirs[chdir]
    )
    result.assert_outcomes(passed=expect_ntests_passed)


@pytest.mark.parametrize("confcutdir,passed,error", [(".", 2, 0), ("src", 1, 1), (None, 1, 1)])
def test_search_conftest_up_to_inifile(
    zenrunner: Any, confcutdir: str | None, passed: int, error: int
) -> None:
    """conftests are found only up to the config file, unless --confcutdir says otherwise."""
    root = zenrunner.path
    root.joinpath("zenrun.toml").unlink()  # pytester's project has no config file
    src = root.joinpath("src")
    src.mkdir()
    src.joinpath("zenrun.ini").write_text("[zenrun]", encoding="utf-8")
    src.joinpath("conftest.py").write_text("import zenrun\n@zenrun.fixture\ndef fix1(): pass\n")
    src.joinpath("pipeline_foo.py").write_text(
        pipelines("def test_1(fix1):\n    pass\ndef test_2(out_of_reach):\n    pass\n")
    )
    root.joinpath("conftest.py").write_text("import zenrun\n@zenrun.fixture\ndef out_of_reach(): pass\n")
    args = [str(src)]
    if confcutdir:
        args = [f"--confcutdir={root.joinpath(confcutdir)}"]
    result = zenrunner.runzenrun_inprocess(*args)
    match = ""
    if passed:
        match += f"*{passed} passed*"
    if error:
        match += f"*{error} error*"
    result.stdout.fnmatch_lines(match)


def test_issue1073_conftest_special_objects(zenrunner: Any) -> None:
    zenrunner.makeconftest(
        """\
        class DontTouchMe(object):
            def __getattr__(self, x):
                raise Exception('cant touch me')

        x = DontTouchMe()
        """
    )
    write(zenrunner, "def test_some():\n    pass\n")
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 0, res.stdout.str()


def test_conftest_exception_handling(zenrunner: Any) -> None:
    zenrunner.makeconftest("raise ValueError()\n")
    write(zenrunner, "def test_some():\n    pass\n")
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 4
    assert "raise ValueError()" in [line.strip() for line in res.errlines]


def test_hook_proxy(zenrunner: Any) -> None:
    """A conftest's hooks apply below its own directory only (#2016)."""
    zenrunner.makepyfile(
        **{
            "root/demo-0/pipeline_foo1": pipelines("def test1(): pass"),
            "root/demo-a/pipeline_foo2": pipelines("def test1(): pass"),
            "root/demo-a/conftest": """\
            def zenrun_ignore_collect(collection_path, config):
                return True
            """,
            "root/demo-b/pipeline_foo3": pipelines("def test1(): pass"),
            "root/demo-c/pipeline_foo4": pipelines("def test1(): pass"),
        }
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["*pipeline_foo1.py*", "*pipeline_foo3.py*", "*pipeline_foo4.py*", "*3 passed*"]
    )


def test_conftest_fixture_scoping_with_testpaths_outside_rootdir(zenrunner: Any) -> None:
    """With pipelinepaths outside the rootdir, a nested conftest's fixtures do not leak to a
    sibling directory (#14004)."""
    root = zenrunner.path
    sdk = root / "sdk"
    sdk.mkdir()
    sdk.joinpath("pyproject.toml").write_text('[tool.zenrun]\npipelinepaths = ["../tests/sdk"]\n')
    tests_sdk = root / "tests" / "sdk"
    tests_sdk.mkdir(parents=True)
    tests_sdk.joinpath("conftest.py").write_text(
        "import zenrun\n\n@zenrun.fixture(autouse=True)\ndef outer_fixture():\n    pass\n"
    )
    tests_sdk.joinpath("pipeline_outer.py").write_text(
        pipelines(
            """\
            def test_outer(request):
                fixturenames = request.fixturenames
                assert "outer_fixture" in fixturenames
                assert "inner_fixture" not in fixturenames
            """
        )
    )
    inner = tests_sdk / "inner"
    inner.mkdir()
    inner.joinpath("conftest.py").write_text(
        "import zenrun\n\n@zenrun.fixture(autouse=True)\ndef inner_fixture():\n    pass\n"
    )
    inner.joinpath("pipeline_inner.py").write_text(
        pipelines(
            """\
            def test_inner(request):
                fixturenames = request.fixturenames
                assert "outer_fixture" in fixturenames
                assert "inner_fixture" in fixturenames
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(sdk), "-v", cwd=sdk)
    result.stdout.fnmatch_lines(["*test_inner*PASSED*", "*test_outer*PASSED*", "*2 passed*"])


def test_conftest_fixture_from_ancestor_above_rootdir(zenrunner: Any) -> None:
    """A conftest above the rootdir loaded as an initial one serves every pipeline."""
    root = zenrunner.path
    root.joinpath("conftest.py").write_text(
        'import zenrun\n\n@zenrun.fixture\ndef ancestor_fixture():\n    return "from-ancestor"\n'
    )
    sub = root / "sub"
    sub.mkdir()
    sub.joinpath("pyproject.toml").write_text("[tool.zenrun]\n")
    sub.joinpath("pipeline_it.py").write_text(
        pipelines(
            'def test_uses_ancestor(ancestor_fixture):\n    assert ancestor_fixture == "from-ancestor"\n'
        )
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(sub), "--confcutdir", str(root), "-v")
    result.stdout.fnmatch_lines(["*test_uses_ancestor*PASSED*", "*1 passed*"])


def test_rootdir_conftest_visible_outside_rootdir(zenrunner: Any) -> None:
    """The rootdir's conftest serves pipelines collected outside the rootdir (#14683)."""
    root = zenrunner.path
    testing = root / "xclim" / "testing"
    testing.mkdir(parents=True)
    testing.joinpath("conftest.py").write_text(
        'import zenrun\n\n@zenrun.fixture\ndef rootdir_fixture():\n    return "from-rootdir"\n'
    )
    core = root / "xclim" / "core"
    core.mkdir()
    core.joinpath("pipeline_it.py").write_text(
        pipelines('def test_uses_rootdir(rootdir_fixture):\n    assert rootdir_fixture == "from-rootdir"\n')
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(testing), "xclim", "-v")
    result.stdout.fnmatch_lines(["*test_uses_rootdir*PASSED*", "*1 passed*"])


def test_fixture_closure_order_independence_with_parametrize(zenrunner: Any) -> None:
    """A pipeline's fixture closure does not depend on what was collected before it (#14635)."""
    tests = zenrunner.mkpydir("tests")
    tests.joinpath("conftest.py").write_text("import zenrun\n")
    components = tests / "components"
    components.mkdir()
    components.joinpath("__init__.py").touch()
    components.joinpath("conftest.py").write_text(
        textwrap.dedent(
            """\
            import zenrun

            @zenrun.fixture
            def cache_dir_side_effect():
                return None

            @zenrun.fixture
            def mock_init_cache_dir(cache_dir_side_effect):
                return cache_dir_side_effect

            @zenrun.fixture
            def mock_cache_dir(mock_init_cache_dir):
                return mock_init_cache_dir
            """
        )
    )
    water_heater = components / "water_heater"
    water_heater.mkdir()
    water_heater.joinpath("__init__.py").touch()
    water_heater.joinpath("pipeline_water_heater.py").write_text(
        pipelines("def test_water_heater():\n    pass\n")
    )
    tts = components / "tts"
    tts.mkdir()
    tts.joinpath("__init__.py").touch()
    tts.joinpath("conftest.py").write_text(
        textwrap.dedent(
            """\
            import zenrun

            @zenrun.fixture(autouse=True)
            def mock_cache_dir(mock_cache_dir):
                return mock_cache_dir
            """
        )
    )
    tts.joinpath("pipeline_init.py").write_text(
        pipelines(
            """\
            import pytest

            @pytest.mark.parametrize("cache_dir_side_effect", ["error_value"])
            async def test_setup_no_access(mock_init_cache_dir):
                assert mock_init_cache_dir == "error_value"
            """
        )
    )
    tests.joinpath("pipeline_config_entries.py").write_text(pipelines("def test_config():\n    pass\n"))
    # a subprocess: this suite's own ``tests`` package is imported in this process
    result = zenrunner.runzenrun(
        "--collect-only",
        str(water_heater),
        str(tests / "pipeline_config_entries.py"),
        str(tts / "pipeline_init.py"),
    )
    result.stdout.fnmatch_lines(["*test_setup_no_access*"])
    assert result.ret == 0


def test_required_option_help(zenrunner: Any) -> None:
    zenrunner.makeconftest("assert 0")
    x = zenrunner.mkdir("x")
    x.joinpath("conftest.py").write_text(
        'def zenrun_addoption(parser):\n    parser.addoption("--xyz", action="store_true", required=True)\n'
    )
    result = zenrunner.runzenrun_inprocess("-h", str(x))
    result.stdout.no_fnmatch_line("*argument --xyz is required*")
    assert "general:" in result.stdout.str()


# The porter's own cases (pytest's outcomes, checked against pytest 9): a conftest met while
# collecting that fails to import, or skips, takes its whole directory with it.


def test_conftest_import_error_fails_its_directory(zenrunner: Any) -> None:
    # pytest: "ERROR collecting c - ImportError: nope", c's tests not collected, 1 passed
    zenrunner.makeconftest("raise ImportError('nope')\n", directory="c")
    zenrunner.makepyfile(
        **{
            "c/pipeline_w": pipelines("def test_w():\n    pass\n"),
            "c/d/pipeline_v": pipelines("def test_v():\n    pass\n"),
            "pipeline_top": pipelines("def test_top():\n    pass\n"),
        }
    )
    result = zenrunner.runzenrun_inprocess("--continue-on-collection-errors", "-rA")
    assert result.ret == 1
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["ERROR c*ImportError: nope"])
    result.stdout.no_fnmatch_line("*pipeline_w*")
    result.stdout.no_fnmatch_line("*pipeline_v*")


def test_conftest_skip_skips_its_directory(zenrunner: Any) -> None:
    # pytest: "SKIPPED [1] sub/conftest.py:2: sub conftest", 1 passed, 1 skipped
    zenrunner.makeconftest(
        "import zenrun\nzenrun.skip('sub conftest', allow_module_level=True)\n", directory="sub"
    )
    zenrunner.makepyfile(
        **{
            "sub/pipeline_a": pipelines("def test_a():\n    assert 0\n"),
            "pipeline_top": pipelines("def test_top():\n    pass\n"),
        }
    )
    result, dom = run_and_parse(zenrunner, "-rs")
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED ?1? sub/conftest.py:2: sub conftest"])
    dom.get_first_by_tag("testsuite").assert_attr(skipped=1, tests=2)
