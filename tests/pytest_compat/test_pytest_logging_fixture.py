"""Port of pytest's ``testing/logging/test_fixture.py`` (pytest-dev/pytest): the ``caplog``
built-in fixture. The cases of the class itself run against ``zenrun.logcapture`` (``caplog``
below is zenrun's, not pytest's); the pytester cases run pipelines. pytest's check of its
``logging-plugin`` object (``plugin.log_level``) is left out of those.

Not ported (README.md): ``test_captures_for_all_stages``, ``test_clear_for_call_stage``
(``get_records("setup")``: zenrun keeps one list of records per pipeline);
``test_can_capture_non_propagating_logger`` (zenrun's handler is on the root logger only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from porting import pipelines

from zenrun.logcapture import LogCaptureFixture

logger = logging.getLogger(__name__)
sublogger = logging.getLogger(__name__ + ".baz")


@pytest.fixture
def caplog() -> Iterator[LogCaptureFixture]:
    # zenrun's LogCaptureFixture in place of pytest's fixture of that name (as zenrun's fixture)
    result = LogCaptureFixture()
    root = logging.getLogger()
    root.addHandler(result.handler)
    yield result
    root.removeHandler(result.handler)
    result._finalize()


@pytest.fixture(autouse=True)
def cleanup_disabled_logging() -> Iterator[None]:
    yield
    logging.disable(logging.NOTSET)


def make(zenrunner, src: str, ini: str | None = None) -> None:
    zenrunner.makepyfile(pipelines(src))
    if ini:
        zenrunner.maketoml(ini)


def test_fixture_help(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--fixtures")
    result.stdout.fnmatch_lines(["*caplog*"])


def test_change_level(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.debug("handler DEBUG level")
    logger.info("handler INFO level")

    caplog.set_level(logging.CRITICAL, logger=sublogger.name)
    sublogger.warning("logger WARNING level")
    sublogger.critical("logger CRITICAL level")

    assert "DEBUG" not in caplog.text
    assert "INFO" in caplog.text
    assert "WARNING" not in caplog.text
    assert "CRITICAL" in caplog.text


def test_change_level_logging_disabled(caplog) -> None:
    logging.disable(logging.CRITICAL)
    assert logging.root.manager.disable == logging.CRITICAL
    caplog.set_level(logging.WARNING)
    logger.info("handler INFO level")
    logger.warning("handler WARNING level")

    caplog.set_level(logging.CRITICAL, logger=sublogger.name)
    sublogger.warning("logger SUB_WARNING level")
    sublogger.critical("logger SUB_CRITICAL level")

    assert "INFO" not in caplog.text
    assert "WARNING" in caplog.text
    assert "SUB_WARNING" not in caplog.text
    assert "SUB_CRITICAL" in caplog.text


def test_change_level_undo(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging

def test1(caplog):
    caplog.set_level(logging.INFO)
    logging.info('log from ' + 'test1')
    assert 0

def test2(caplog):
    logging.info('log from ' + 'test2')
    assert 0
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*log from test1*", "*2 failed in *"])
    result.stdout.no_fnmatch_line("*log from test2*")


def test_change_disabled_level_undo(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging

def test1(caplog):
    logging.disable(logging.CRITICAL)
    caplog.set_level(logging.INFO)
    logging.info('log from ' + 'test1')
    assert 0

def test2(caplog):
    logging.warning('log from ' + 'test2')
    assert 0
""",
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*log from test1*", "*2 failed in *"])
    result.stdout.no_fnmatch_line("*log from test2*")


def test_change_level_undoes_handler_level(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging

def test1(caplog):
    assert caplog.handler.level == 0
    caplog.set_level(9999)
    caplog.set_level(41)
    assert caplog.handler.level == 41

def test2(caplog):
    assert caplog.handler.level == 0

def test3(caplog):
    assert caplog.handler.level == 0
    caplog.set_level(43)
    assert caplog.handler.level == 43
""",
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=3)


def test_with_statement_at_level(caplog) -> None:
    with caplog.at_level(logging.INFO):
        logger.debug("handler DEBUG level")
        logger.info("handler INFO level")

        with caplog.at_level(logging.CRITICAL, logger=sublogger.name):
            sublogger.warning("logger WARNING level")
            sublogger.critical("logger CRITICAL level")

    assert "DEBUG" not in caplog.text
    assert "INFO" in caplog.text
    assert "WARNING" not in caplog.text
    assert "CRITICAL" in caplog.text


def test_with_statement_at_level_logging_disabled(caplog) -> None:
    logging.disable(logging.CRITICAL)
    assert logging.root.manager.disable == logging.CRITICAL
    with caplog.at_level(logging.WARNING):
        logger.debug("handler DEBUG level")
        logger.info("handler INFO level")
        logger.warning("handler WARNING level")
        logger.error("handler ERROR level")
        logger.critical("handler CRITICAL level")

        assert logging.root.manager.disable == logging.INFO

        with caplog.at_level(logging.CRITICAL, logger=sublogger.name):
            sublogger.warning("logger SUB_WARNING level")
            sublogger.critical("logger SUB_CRITICAL level")

    assert "DEBUG" not in caplog.text
    assert "INFO" not in caplog.text
    assert "WARNING" in caplog.text
    assert "ERROR" in caplog.text
    assert " CRITICAL" in caplog.text
    assert "SUB_WARNING" not in caplog.text
    assert "SUB_CRITICAL" in caplog.text
    assert logging.root.manager.disable == logging.CRITICAL


def test_with_statement_filtering(caplog) -> None:
    class TestFilter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = "filtered handler call"
            return True

    with caplog.at_level(logging.INFO):
        with caplog.filtering(TestFilter()):
            logger.info("handler call")
        logger.info("handler call")

    filtered_tuple, unfiltered_tuple = caplog.record_tuples
    assert filtered_tuple == (__name__, 20, "filtered handler call")
    assert unfiltered_tuple == (__name__, 20, "handler call")


@pytest.mark.parametrize(
    "level_str,expected_disable_level",
    [
        ("CRITICAL", logging.ERROR),
        ("ERROR", logging.WARNING),
        ("WARNING", logging.INFO),
        ("INFO", logging.DEBUG),
        ("DEBUG", logging.NOTSET),
        ("NOTSET", logging.NOTSET),
        ("NOTVALIDLEVEL", logging.NOTSET),
    ],
)
def test_force_enable_logging_level_string(caplog, level_str: str, expected_disable_level: int) -> None:
    test_logger = logging.getLogger("test_str_level_force_enable")
    logging.disable(logging.CRITICAL)
    assert not test_logger.isEnabledFor(logging.CRITICAL)
    caplog._force_enable_logging(level_str, test_logger)
    assert test_logger.manager.disable == expected_disable_level


def test_log_access(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.info("boo %s", "arg")
    assert caplog.records[0].levelname == "INFO"
    assert caplog.records[0].msg == "boo %s"
    assert "boo arg" in caplog.text


def test_messages(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.info("boo %s", "arg")
    logger.info("bar %s\nbaz %s", "arg1", "arg2")
    assert "boo arg" == caplog.messages[0]
    assert "bar arg1\nbaz arg2" == caplog.messages[1]
    assert caplog.text.count("\n") > len(caplog.messages)
    assert len(caplog.text.splitlines()) > len(caplog.messages)

    try:
        raise Exception("test")
    except Exception:
        logger.exception("oops")

    assert "oops" in caplog.text
    assert "oops" in caplog.messages[-1]
    assert "Exception" in caplog.text
    assert "Exception" not in caplog.messages[-1]


def test_record_tuples(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.info("boo %s", "arg")
    assert caplog.record_tuples == [(__name__, logging.INFO, "boo arg")]


def test_unicode(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.info("bū")
    assert caplog.records[0].levelname == "INFO"
    assert caplog.records[0].msg == "bū"
    assert "bū" in caplog.text


def test_clear(caplog) -> None:
    caplog.set_level(logging.INFO)
    logger.info("bū")
    assert len(caplog.records)
    assert caplog.text
    caplog.clear()
    assert not len(caplog.records)
    assert not caplog.text


def test_ini_controls_global_log_level(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging
def test_log_level_override(request, caplog):
    logger = logging.getLogger('catchlog')
    logger.warning("WARNING message won't be shown")
    logger.error("ERROR message will be shown")
    assert 'WARNING' not in caplog.text
    assert 'ERROR' in caplog.text
""",
        ini='log_level = "ERROR"',
    )
    assert zenrunner.runzenrun_inprocess().ret == 0


def test_can_override_global_log_level(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging
def test_log_level_override(request, caplog):
    logger = logging.getLogger('catchlog')
    logger.info("INFO message won't be shown")
    caplog.set_level(logging.INFO, logger.name)
    with caplog.at_level(logging.DEBUG, logger.name):
        logger.debug("DEBUG message will be shown")
    logger.debug("DEBUG message won't be shown")
    with caplog.at_level(logging.CRITICAL, logger.name):
        logger.warning("WARNING message won't be shown")
    logger.debug("DEBUG message won't be shown")
    logger.info("INFO message will be shown")
    assert "message won't be shown" not in caplog.text
""",
        ini='log_level = "WARNING"',
    )
    assert zenrunner.runzenrun_inprocess().ret == 0


def test_captures_despite_exception(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging
def test_log_level_override(request, caplog):
    logger = logging.getLogger('catchlog')
    logger.error("ERROR message " + "will be shown")
    with caplog.at_level(logging.DEBUG, logger.name):
        logger.debug("DEBUG message " + "won't be shown")
        raise Exception()
""",
        ini='log_level = "WARNING"',
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*ERROR message will be shown*"])
    result.stdout.no_fnmatch_line("*DEBUG message won't be shown*")
    assert result.ret == 1


def test_log_report_captures_according_to_config_option_upon_failure(zenrunner) -> None:
    make(
        zenrunner,
        """
import logging

def function_that_logs():
    logging.debug('DEBUG log ' + 'message')
    logging.info('INFO log ' + 'message')
    logging.warning('WARNING log ' + 'message')
    print('Print ' + 'message')

def test_that_fails(request, caplog):
    with caplog.at_level(logging.DEBUG):
        function_that_logs()
    if 'DEBUG log ' + 'message' not in caplog.text:
        raise Exception('caplog failed to ' + 'capture DEBUG')
    assert False
""",
    )
    result = zenrunner.runzenrun_inprocess("--log-level=INFO")
    result.stdout.no_fnmatch_line("*Exception: caplog failed to capture DEBUG*")
    result.stdout.no_fnmatch_line("*DEBUG log message*")
    result.stdout.fnmatch_lines(["*Print message*", "*INFO log message*", "*WARNING log message*"])
    assert result.ret == 1
