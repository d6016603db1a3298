"""``--junitxml PATH``: the session's results as a JUnit XML file, as pytest's junitxml plugin.

One ``<testcase>`` per pipeline item (``classname`` from the item's module path, ``name``
the item's name with its parameter id, ``time``; ``file`` / ``line`` with
``junit_family = "xunit1"``) in one ``<testsuite>`` under ``<testsuites>``. What a
pipeline adds to pytest's mapping:

- a failed pipeline's ``<failure>``: its ``message`` is the short summary's text (the
  failed step and its exception: ``step 'train': ValueError: 42``, or what the pipeline
  body raised), its text the failure section the terminal shows (the failed steps'
  tracebacks, the steps skipped because of the failure) without the captured output,
  which ``junit_logging`` places;
- an error while setting up fixtures is an ``<error>`` "failed on setup with ..."; an
  error tearing down fixtures "failed on
  teardown with ...", in the item's ``<testcase>`` when the pipeline passed, in a
  ``<testcase>`` of its own when it failed (as pytest);
- captured output (``junit_logging``) is what fixtures printed while set up, then what
  each step printed, in the order the steps ran, then the fixtures' teardown: steps run
  in ``-n`` workers too (their output comes back with their results);
- a trial its study pruned is ``<skipped type="zenrun.pruned">``.

Reports reach the driver process whatever the orchestrator (``-n``, Dask): the file is
written there, at the end of the session.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zenrun.capture import step_section_title
from zenrun.errors import UsageError, ZenrunWarning
from zenrun.fixtures import fixture
from zenrun.hookspec import hookimpl
from zenrun.reports import (
    ERROR,
    FAILED_OUTCOME,
    PASSED,
    PRUNED_OUTCOME,
    SKIPPED,
    XFAILED,
    XPASSED,
    ItemReport,
    error_phase,
)

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    from zenrun.collect import Item, Session
    from zenrun.config import Config, Parser
    from zenrun.fixtures import FixtureRequest
    from zenrun.terminal import TerminalReporter

#: ``config.stash`` key of the session's :class:`LogXML` (absent without ``--junitxml``).
XML_KEY = "junitxml"

LOGGING = ("no", "log", "system-out", "system-err", "out-err", "all")
DURATION_REPORTS = ("total", "call")
FAMILIES = ("xunit1", "xunit2", "legacy")  # legacy: xunit1's older name, as in pytest

#: The ``<testcase>`` attributes each family allows (xunit1 keeps any, user-defined too).
_XUNIT2_ATTRS = ("classname", "name")

#: What XML cannot hold; compiled on first use (7 ms: every session would pay it, ``--help`` too).
_ILLEGAL_XML = "[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def bin_xml_escape(arg: object) -> str:
    r"""Characters XML cannot hold made visible, as pytest does: ``'\x07'`` -> ``'#x07'``
    (not an XML escape: text for the reader)."""

    def repl(match: re.Match[str]) -> str:
        i = ord(match.group())
        return f"#x{i:02X}" if i <= 0xFF else f"#x{i:04X}"

    return re.sub(_ILLEGAL_XML, repl, str(arg))


def mangle_test_address(address: str) -> list[str]:
    """A node id split as pytest's junitxml splits it: ``["sub.pipeline_a", "name[id]"]``
    (the module path dotted, without ``.py``; the parameter id kept whole)."""
    path, bracket, params = address.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return names


class _Case:
    """One ``<testcase>``: its attributes, properties, result and output elements."""

    def __init__(self, xml: LogXML, nodeid: str) -> None:
        self.xml = xml
        self.nodeid = nodeid
        names = mangle_test_address(nodeid)
        classnames = names[:-1]
        if xml.prefix:
            classnames.insert(0, xml.prefix)
        self.attrs: dict[str, str] = {"classname": ".".join(classnames), "name": bin_xml_escape(names[-1])}
        file, line = xml.locations.get(nodeid, (nodeid.split("::", 1)[0], None))
        self.attrs["file"] = file
        if line is not None:
            self.attrs["line"] = str(line)
        self.attrs.update(xml.attributes.pop(nodeid, {}))  # record_xml_attribute's
        self.properties: list[tuple[str, str]] = []
        self.results: list[ET.Element] = []  # failure / error / skipped
        self.output: list[ET.Element] = []  # system-out / system-err
        self.duration = 0.0

    @property
    def failed(self) -> bool:
        return any(node.tag == "failure" for node in self.results)

    def add(self, tag: str, message: str, text: str | None = None, **attrs: str) -> None:
        import xml.etree.ElementTree as ET  # here: a run writes XML, `zenrun --help` does not

        node = ET.Element(tag, {"message": bin_xml_escape(message), **attrs})
        if text is not None:
            node.text = bin_xml_escape(text)
        self.results.append(node)

    def to_xml(self) -> ET.Element:
        import xml.etree.ElementTree as ET  # here: see add

        attrs = self.attrs
        if self.xml.family != "xunit1":  # user attributes and file/line are xunit1's only
            attrs = {k: v for k, v in attrs.items() if k in _XUNIT2_ATTRS}
        case = ET.Element("testcase", attrs, time=f"{self.duration:.3f}")
        if self.properties:
            properties = ET.SubElement(case, "properties")
            for name, value in self.properties:
                ET.SubElement(properties, "property", name=name, value=value)
        case.extend(self.results)
        case.extend(self.output)
        return case


def _reason(report: ItemReport) -> str:
    """What went wrong, in one line: the crash message, else the short summary's text."""
    return report.crash if report.crash is not None else report.summary


def without_output(report: ItemReport, item_report: ItemReport | None = None) -> str:
    """The failure section the terminal shows for ``report``, without the captured output
    it appends (that goes to ``<system-out>`` / ``<system-err>`` as ``junit_logging`` says,
    as pytest's failure text holds no captured output). A teardown error's output is in the
    sections of its item's report (``item_report``)."""
    text = report.longrepr
    sections = [*report.sections, *(item_report.sections if item_report is not None else [])]
    for title, content in sections:
        text = text.replace(f"\n{title}\n{content.rstrip()}", "")
    runs = [r.run for r in (report, item_report) if r is not None and r.run is not None]
    for run in runs:
        for step in run.steps.values():
            for stream, content in step.captured.items():
                section = f"\n{step_section_title(stream, step.id)}\n{content.rstrip()}"
                text = text.replace(f"\n{section}", "").replace(section, "")
    return text


class LogXML:
    """The plugin ``--junitxml`` registers (as ``"junitxml-logxml"``): collects the reports
    and writes the file at the end of the session."""

    def __init__(
        self,
        logfile: str,
        prefix: str | None,
        suite_name: str = "zenrun",
        logging: str = "no",
        report_duration: str = "total",
        family: str = "xunit2",
        log_passing_tests: bool = True,
    ) -> None:
        logfile = os.path.expanduser(os.path.expandvars(logfile))
        self.logfile = os.path.normpath(os.path.abspath(logfile))
        self.prefix = prefix
        self.suite_name = suite_name
        self.logging = logging
        self.log_passing_tests = log_passing_tests
        self.report_duration = report_duration
        self.family = "xunit1" if family == "legacy" else family
        self.cases: list[_Case] = []
        #: The case of each node id still open to a teardown error, with its item's report.
        self.open: dict[str, tuple[_Case, ItemReport]] = {}
        #: ``(file, 0-based line)`` of each item, for xunit1's ``file`` / ``line``.
        self.locations: dict[str, tuple[str, int | None]] = {}
        #: ``record_xml_attribute`` values of items not reported yet.
        self.attributes: dict[str, dict[str, str]] = {}
        self.global_properties: list[tuple[str, str]] = []
        self.started = time.time()
        self.started_perf = time.perf_counter()

    # -- what fixtures record ---------------------------------------------------------------

    def add_attribute(self, nodeid: str, name: str, value: object) -> None:
        self.attributes.setdefault(nodeid, {})[str(name)] = bin_xml_escape(value)

    def add_global_property(self, name: str, value: object) -> None:
        _check_record_param_type("name", name)
        self.global_properties.append((name, bin_xml_escape(value)))

    # -- hooks --------------------------------------------------------------------------------

    @hookimpl
    def zenrun_sessionstart(self, session: Session) -> None:
        self.started = time.time()
        self.started_perf = time.perf_counter()

    @hookimpl
    def zenrun_item_start(self, item: Item) -> None:
        file, line, _ = item.location
        self.locations[item.nodeid] = (file, line)

    @hookimpl
    def zenrun_collectreport(self, report: ItemReport) -> None:
        if report.outcome == SKIPPED:
            case = self._case(report.nodeid)
            case.add("skipped", "collection skipped", report.longrepr)

    @hookimpl
    def zenrun_item_report(self, report: ItemReport) -> None:
        if report.when == "teardown":
            self._teardown_error(report)
            return
        case = self._case(report.nodeid)
        self.open[report.nodeid] = (case, report)
        case.duration += self._duration(report)
        for name, value in report.user_properties:
            case.properties.append((str(name), bin_xml_escape(value)))
        outcome = report.outcome
        if outcome == FAILED_OUTCOME:
            # the whole message, as pytest's (an assert's explanation after its message)
            case.add("failure", report.crash_text, without_output(report))
        elif outcome == ERROR:
            case.add(
                "error", f'failed on {error_phase(report)} with "{_reason(report)}"', without_output(report)
            )
        elif outcome == SKIPPED:
            file, line = report.location or (report.nodeid.split("::", 1)[0], None)
            where = f"{_relative(file)}:{line}" if line is not None else _relative(file)
            case.add("skipped", report.longrepr, f"{where}: {report.longrepr}", type="zenrun.skip")
        elif outcome == XFAILED:
            case.add("skipped", report.longrepr.removeprefix("reason: "), type="zenrun.xfail")
        elif outcome == PRUNED_OUTCOME:
            case.add("skipped", report.longrepr or "pruned", report.longrepr, type="zenrun.pruned")
        # passed, xpassed (not strict): no element, as pytest
        if outcome not in (PASSED, XPASSED) or self.log_passing_tests:
            self._write_captured(case, report)

    def _teardown_error(self, report: ItemReport) -> None:
        """A fixture's teardown failed after ``report.nodeid`` ran: in its case when it
        passed; in a new case when it failed (a ``<testcase>`` has one result), as pytest."""
        case, item_report = self.open.get(report.nodeid, (None, None))
        if case is None or case.failed or report.outcome != ERROR:
            properties = case.properties if case is not None else []
            case = self._case(report.nodeid)
            case.properties = list(properties)  # the item's, as pytest's teardown report has them
            self.open[report.nodeid] = (case, item_report or report)
        if report.outcome == ERROR:
            text = without_output(report, item_report)
            case.add("error", f'failed on teardown with "{_reason(report)}"', text)
        elif report.outcome == XFAILED and not case.results:
            case.add("skipped", report.longrepr, type="zenrun.xfail")

    @hookimpl
    def zenrun_internalerror(self, excrepr: str) -> None:
        case = self._case("internal")
        case.attrs.update(classname="zenrun", name="internal")
        case.attrs.pop("file", None)
        case.add("error", "internal error", excrepr)

    @hookimpl
    def zenrun_sessionfinish(self, session: Session) -> None:
        # Here: `zenrun --help` imports neither (the host name is a run's).
        import platform
        import xml.etree.ElementTree as ET

        errors = [self._collect_error(path, message) for path, message in session.collection_errors]
        cases = errors + self.cases
        suite = ET.Element(
            "testsuite",
            name=self.suite_name,
            errors=str(sum(n.tag == "error" for c in cases for n in c.results)),
            failures=str(sum(n.tag == "failure" for c in cases for n in c.results)),
            skipped=str(sum(n.tag == "skipped" for c in cases for n in c.results)),
            tests=str(len(cases)),
            time=f"{time.perf_counter() - self.started_perf:.3f}",
            timestamp=datetime.fromtimestamp(self.started, UTC).astimezone().isoformat(),
            hostname=platform.node(),
        )
        if self.global_properties:
            properties = ET.SubElement(suite, "properties")
            for name, value in self.global_properties:
                ET.SubElement(properties, "property", name=name, value=value)
        suite.extend(case.to_xml() for case in cases)
        root = ET.Element("testsuites", name="zenrun pipelines")
        root.append(suite)
        os.makedirs(os.path.dirname(self.logfile), exist_ok=True)
        with open(self.logfile, "w", encoding="utf-8") as file:
            file.write('<?xml version="1.0" encoding="utf-8"?>')
            file.write(ET.tostring(root, encoding="unicode"))

    @hookimpl
    def zenrun_terminal_summary(self, terminalreporter: TerminalReporter, config: Config) -> None:
        if config.get_verbosity() >= 0:
            terminalreporter.write_sep("-", f"generated xml file: {self.logfile}")

    # -- helpers ------------------------------------------------------------------------------

    def _case(self, nodeid: str) -> _Case:
        case = _Case(self, nodeid)
        self.cases.append(case)
        return case

    def _collect_error(self, path: str, message: str) -> _Case:
        case = _Case(self, path)
        case.add("error", "collection failure", message)
        return case

    def _duration(self, report: ItemReport) -> float:
        if self.report_duration == "call":  # the pipeline's run: its steps, not its fixtures
            duration = report.run.duration if report.run is not None else None
            return duration or 0.0
        return report.duration

    def _write_captured(self, case: _Case, report: ItemReport) -> None:
        if self.logging == "no":
            return
        import xml.etree.ElementTree as ET  # here: see _Case.add

        # (fixtures' setup output, the steps' in the order they ran, then the teardown's)
        streams = {"stdout": report.capstdout, "stderr": report.capstderr, "log": report.caplog}

        def content(stream: str, header: str) -> str:
            return "\n".join([header.center(80, "-"), streams.get(stream, ""), ""])

        def element(tag: str, text: str) -> None:
            node = ET.Element(tag)
            node.text = bin_xml_escape(text)
            case.output.append(node)

        text = content("log", " Captured Log ") if self.logging in ("log", "all") else ""
        if self.logging in ("system-out", "out-err", "all"):
            element("system-out", text + content("stdout", " Captured Out "))
            text = ""
        if self.logging in ("system-err", "out-err", "all"):
            element("system-err", content("stderr", " Captured Err "))
        if text:  # junit_logging = "log": the log records alone, in system-out
            element("system-out", text)


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path) if os.path.isabs(path) else path
    except ValueError:  # another drive (Windows)
        return path


def _check_record_param_type(param: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{param} parameter needs to be a string, but {type(value).__name__} given")


def _xml_path(value: str) -> str:
    """``--junitxml``'s ``type``: a file name, not a directory (as pytest's)."""
    if os.path.isdir(os.path.expanduser(os.path.expandvars(value))):
        raise argparse.ArgumentTypeError(f"--junitxml must be a filename, given: {value}")
    return value


# -- the plugin's hooks ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    group = parser.getgroup("terminal reporting")
    group.addoption(
        "--junitxml",
        "--junit-xml",
        dest="xmlpath",
        metavar="PATH",
        type=_xml_path,
        default=None,
        help="write a JUnit XML report of the session to PATH",
    )
    group.addoption(
        "--junitprefix",
        "--junit-prefix",
        metavar="STR",
        default=None,
        help="prepend STR to the classnames of the JUnit XML report",
    )
    parser.addini("junit_suite_name", "the JUnit XML report's testsuite name", default="zenrun")
    parser.addini(
        "junit_logging",
        "what captured output the JUnit XML report keeps: no (default), log, system-out, "
        "system-err, out-err, all",
        default="no",
    )
    parser.addini(
        "junit_log_passing_tests",
        "keep the captured output of passing pipelines in the JUnit XML report (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "junit_duration_report",
        "the time of a testcase in the JUnit XML report: total (default) or call (the steps only)",
        default="total",
    )
    parser.addini(
        "junit_family",
        "the JUnit XML schema: xunit2 (default) or xunit1 (also legacy)",
        default="xunit2",
    )


def _choice(config: Config, name: str, choices: tuple[str, ...]) -> str:
    value = config.getini(name)
    if value not in choices:
        raise UsageError(
            f"{config.inipath}: config option '{name}' expects one of "
            f"{', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return str(value)


@hookimpl
def zenrun_configure(config: Config) -> None:
    xmlpath = config.getoption("xmlpath", None)
    if not xmlpath or config.stash.get("api"):
        return
    xml = LogXML(
        xmlpath,
        config.getoption("junitprefix", None),
        str(config.getini("junit_suite_name") or "zenrun"),
        _choice(config, "junit_logging", LOGGING),
        _choice(config, "junit_duration_report", DURATION_REPORTS),
        _choice(config, "junit_family", FAMILIES),
        bool(config.getini("junit_log_passing_tests")),
    )
    config.stash[XML_KEY] = xml
    config.pluginmanager.register(xml, "junitxml-logxml")


@hookimpl
def zenrun_unconfigure(config: Config) -> None:
    xml = config.stash.pop(XML_KEY, None)
    if xml is not None and config.pluginmanager.is_registered(xml):
        config.pluginmanager.unregister(xml)


# -- fixtures -------------------------------------------------------------------------------------


def _warn(request: FixtureRequest, warning: Warning) -> None:
    """``warning`` at the pipeline's definition (its item's warnings summary entry)."""
    node: Any = request.node
    node.warn(warning)


def _warn_incompatibility_with_xunit2(request: FixtureRequest, fixture_name: str) -> None:
    xml = request.config.stash.get(XML_KEY)
    if xml is not None and xml.family != "xunit1":
        _warn(
            request,
            ZenrunWarning(
                f"{fixture_name} is incompatible with junit_family '{xml.family}' (use 'legacy' or 'xunit1')"
            ),
        )


@fixture
def record_property(request: FixtureRequest) -> Callable[[str, object], None]:
    """Add a ``(name, value)`` property to the pipeline's report (``item.user_properties``):
    a ``<property>`` of its ``<testcase>`` in the JUnit XML report. Call it in the pipeline
    body or a fixture (in the driver), not inside a step."""
    _warn_incompatibility_with_xunit2(request, "record_property")
    node: Any = request.node

    def append_property(name: str, value: object) -> None:
        node.user_properties.append((name, value))

    return append_property


@fixture
def record_xml_attribute(request: FixtureRequest) -> Callable[[str, object], None]:
    """Add an attribute to the pipeline's ``<testcase>`` in the JUnit XML report (xunit1
    only; a no-op without ``--junitxml``)."""
    _warn(request, ZenrunWarning("record_xml_attribute is an experimental feature"))
    _warn_incompatibility_with_xunit2(request, "record_xml_attribute")
    xml = request.config.stash.get(XML_KEY)
    nodeid = str(getattr(request.node, "nodeid", ""))

    def add_attribute(name: str, value: object) -> None:
        if xml is not None:
            xml.add_attribute(nodeid, name, value)

    return add_attribute


@fixture(scope="session")
def record_testsuite_property(request: FixtureRequest) -> Callable[[str, object], None]:
    """Add a ``<property>`` to the report's ``<testsuite>``: ``record_testsuite_property("ARCH",
    "PPC")``. Session-scoped; compatible with xunit2; checks the name is a string even
    without ``--junitxml``."""
    xml = request.config.stash.get(XML_KEY)

    def record(name: str, value: object) -> None:
        _check_record_param_type("name", name)
        if xml is not None:
            xml.add_global_property(name, value)

    return record
