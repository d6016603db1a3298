"""Port of pytest's ``testing/logging/test_reporting.py`` (pytest-dev/pytest): the logging
options around the captured log — the log file (``--log-file``, its level, format, date
format and mode, and their ``[tool.zenrun]`` keys), the formats and date formats of the
captured and live logs, ``--log-auto-indent`` and ``--log-disable``.

pytest's checks of its ``logging-plugin`` object (``plugin.log_file_handler.level``) are
checked through what the file holds. Live logs: a line per pipeline and a ``live log <phase>``
header per phase, as pytest's; zenrun reports a pipeline after its teardown, so its
``PASSED`` comes after the teardown's records (pytest writes it between call and teardown).
The captured log is kept without colours (``--show``, the viewer, ``caplog.text``): with
``--color=yes`` its level names are coloured as it is shown, as pytest's
``ColoredLevelFormatter`` colours them. Not ported: ``set_log_path`` (a pytest hook-time API).
"""

from __future__ import annotations

import os
import re

import pytest
from porting import bodies, pipelines

from zenrun.config import ExitCode

LOGS_TWO_LEVELS = """
import logging
def test_log_file():
    logging.getLogger('catchlog').{low}("This log message won't be shown")
    logging.getLogger('catchlog').{high}("This log message will be shown")
    print('PASSED')
"""


def logging_in_a_step(src: str) -> str:
    """A pipeline module whose pipeline's work is one step logging as the test body does."""
    lines = [line for line in src.strip("\n").splitlines()]
    head = [line for line in lines if not line.startswith("    ") and not line.startswith("def ")]
    body = [line[4:] for line in lines if line.startswith("    ")]
    name = next(line for line in lines if line.startswith("def ")).split("(")[0][4:]
    step_body = "\n".join("    " + line for line in body)
    return (
        "\n".join(head)
        + "\nfrom zenrun import pipeline, step\n\n@step\ndef work():\n"
        + step_body
        + f"\n\n@pipeline\ndef {name}():\n    work()\n"
    )


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_log_file_cli(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_log_file_cli=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning"))
    )
    log_file = str(zenrunner.path / "pytest.log")
    result = zenrunner.run("-s", f"--log-file={log_file}", "--log-file-level=WARNING", "--no-cache")
    assert result.ret == 0, result.stdout
    assert os.path.isfile(log_file)
    contents = read(log_file)
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_file_mode_cli(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_mode=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning")))
    log_file = str(zenrunner.path / "pytest.log")
    with open(log_file, mode="w", encoding="utf-8") as handle:
        handle.write("A custom header\n")
    result = zenrunner.run("-s", f"--log-file={log_file}", "--log-file-mode=a", "--log-file-level=WARNING")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "A custom header" in contents
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_file_mode_w_truncates(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_mode=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning")))
    log_file = str(zenrunner.path / "pytest.log")
    with open(log_file, mode="w", encoding="utf-8") as handle:
        handle.write("A custom header\n")
    result = zenrunner.run(f"--log-file={log_file}")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "A custom header" not in contents
    assert "This log message will be shown" in contents


def test_log_file_mode_cli_invalid(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_mode=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning")))
    log_file = str(zenrunner.path / "pytest.log")
    result = zenrunner.run("-s", f"--log-file={log_file}", "--log-file-mode=b", "--log-file-level=WARNING")
    assert result.ret == ExitCode.USAGE_ERROR


def test_log_file_cli_level(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_level=logging_in_a_step(LOGS_TWO_LEVELS.format(low="debug", high="info")))
    log_file = str(zenrunner.path / "pytest.log")
    result = zenrunner.run("-s", f"--log-file={log_file}", "--log-file-level=INFO")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_level_not_changed_by_default(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_root=logging_in_a_step(
            """
import logging
def test_log_file():
    assert logging.getLogger().level == logging.WARNING
"""
        )
    )
    result = zenrunner.run("-s")
    assert result.ret == 0, result.stdout
    result.stdout.fnmatch_lines(["*1 passed in *"])


def test_log_file_ini(zenrunner) -> None:
    log_file = str(zenrunner.path / "pytest.log")
    zenrunner.maketoml(f'log_file = "{log_file}"\nlog_file_level = "WARNING"\n')
    zenrunner.makepyfile(pipeline_ini=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning")))
    result = zenrunner.run("-s")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_file_mode_ini(zenrunner) -> None:
    log_file = str(zenrunner.path / "pytest.log")
    zenrunner.maketoml(f'log_file = "{log_file}"\nlog_file_mode = "a"\nlog_file_level = "WARNING"\n')
    zenrunner.makepyfile(pipeline_ini=logging_in_a_step(LOGS_TWO_LEVELS.format(low="info", high="warning")))
    with open(log_file, mode="w", encoding="utf-8") as handle:
        handle.write("A custom header\n")
    result = zenrunner.run("-s")
    assert result.ret == ExitCode.OK, result.stdout
    contents = read(log_file)
    assert "A custom header" in contents
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_file_ini_level(zenrunner) -> None:
    log_file = str(zenrunner.path / "pytest.log")
    zenrunner.maketoml(f'log_file = "{log_file}"\nlog_file_level = "INFO"\n')
    zenrunner.makepyfile(pipeline_ini=logging_in_a_step(LOGS_TWO_LEVELS.format(low="debug", high="info")))
    result = zenrunner.run("-s")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "This log message will be shown" in contents
    assert "This log message won't be shown" not in contents


def test_log_file_unicode(zenrunner) -> None:
    log_file = str(zenrunner.path / "pytest.log")
    zenrunner.maketoml(f'log_file = "{log_file}"\nlog_file_level = "INFO"\n')
    zenrunner.makepyfile(
        pipeline_unicode=logging_in_a_step(
            """
import logging
def test_log_file():
    logging.getLogger('catchlog').info("Normal message")
    logging.getLogger('catchlog').info("├")
    logging.getLogger('catchlog').info("Another normal message")
"""
        )
    )
    result = zenrunner.run()
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "Normal message" in contents
    assert "├" in contents
    assert "Another normal message" in contents


def test_collection_logging_to_file(zenrunner) -> None:
    log_file = str(zenrunner.path / "pytest.log")
    zenrunner.maketoml(f'log_file = "{log_file}"\nlog_file_level = "INFO"\n')
    zenrunner.makepyfile(
        pipeline_collection="""
import logging
from zenrun import pipeline, step

logging.getLogger().info("Normal message")

@step
def work():
    logging.getLogger().debug("debug message in test_simple")
    logging.getLogger().info("info message in test_simple")

@pipeline
def test_simple():
    work()
"""
    )
    result = zenrunner.run()
    result.stdout.no_fnmatch_line("*--- live log collection ---*")
    assert result.ret == 0, result.stdout
    contents = read(log_file)
    assert "Normal message" in contents
    assert "debug message in test_simple" not in contents
    assert "info message in test_simple" in contents


def test_log_file_cli_subdirectories_are_successfully_created(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_sub=logging_in_a_step("def test_logger():\n    pass\n"))
    result = zenrunner.run("--log-file=foo/bar/logf.log")
    assert "logf.log" in os.listdir(zenrunner.path / "foo" / "bar")
    assert result.ret == ExitCode.OK, result.stdout


def test_disable_loggers(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_disable=pipelines(
            """
import logging
disabled_log = logging.getLogger('disabled')
test_log = logging.getLogger('test')
def test_logger_propagation(caplog):
    with caplog.at_level(logging.DEBUG):
        disabled_log.warning("no log; no stderr")
        test_log.debug("Visible text!")
        assert caplog.record_tuples == [('test', 10, 'Visible text!')]
"""
        )
    )
    result = zenrunner.run("--log-disable=disabled", "-s")
    assert result.ret == ExitCode.OK, result.stdout
    assert "no log; no stderr" not in result.stderr


def test_disable_loggers_does_not_propagate(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_disable=pipelines(
            """
import logging
parent_logger = logging.getLogger("parent")
child_logger = parent_logger.getChild("child")
def test_logger_propagation_to_parent(caplog):
    with caplog.at_level(logging.DEBUG):
        parent_logger.warning("some parent logger message")
        child_logger.warning("some child logger message")
        assert len(caplog.record_tuples) == 1
        assert caplog.record_tuples[0][0] == "parent"
        assert caplog.record_tuples[0][2] == "some parent logger message"
"""
        )
    )
    result = zenrunner.run("--log-disable=parent.child", "-s")
    assert result.ret == ExitCode.OK, result.stdout
    assert "some child logger message" not in result.stderr


def test_log_disabling_works_with_log_cli(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_cli=logging_in_a_step(
            """
import logging
disabled_log = logging.getLogger('disabled')
test_log = logging.getLogger('test')
def test_log_cli_works():
    test_log.info("Visible text!")
    disabled_log.warning("This string will be suppressed.")
"""
        )
    )
    result = zenrunner.run("--log-cli-level=DEBUG", "--log-disable=disabled")
    assert result.ret == ExitCode.OK, result.stdout
    result.stdout.fnmatch_lines(["INFO     test:pipeline_cli.py:* Visible text!"])
    assert "This string will be suppressed." not in result.stdout + result.stderr


def test_log_disable_applies_in_worker_processes(zenrunner) -> None:
    """Beyond pytest: with -n the steps log in worker processes, which --log-disable reaches."""
    zenrunner.makepyfile(
        pipeline_workers=logging_in_a_step(
            """
import logging
def test_workers():
    logging.getLogger('disabled').warning("suppressed in the worker")
    logging.getLogger('shown').warning("kept in the worker")
    assert False
"""
        )
    )
    result = zenrunner.run("-n", "2", "--log-disable=disabled", "--no-cache")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["WARNING  shown:pipeline_workers.py:* kept in the worker"])
    result.stdout.no_fnmatch_line("WARNING  disabled:*")


FAILING_WARNING = """
import logging
logger = logging.getLogger(__name__)
def test_foo():
    logger.warning('text')
    assert False
"""


def test_without_date_format_log(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_nodate=logging_in_a_step(FAILING_WARNING))
    result = zenrunner.run()
    assert result.ret == 1
    result.stdout.fnmatch_lines(["WARNING  pipeline_nodate:pipeline_nodate.py:* text"])


def test_date_format_log(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_date=logging_in_a_step(FAILING_WARNING))
    zenrunner.maketoml(
        'log_format = "%(asctime)s; %(levelname)s; %(message)s"\nlog_date_format = "%Y-%m-%d %H:%M:%S"\n'
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.stdout.re_match_lines([r"^[0-9-]{10} [0-9:]{8}; WARNING; text"])


def test_date_format_percentf_log(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_date=logging_in_a_step(FAILING_WARNING))
    zenrunner.maketoml(
        'log_format = "%(asctime)s; %(levelname)s; %(message)s"\nlog_date_format = "%Y-%m-%d %H:%M:%S.%f"\n'
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.stdout.re_match_lines([r"^[0-9-]{10} [0-9:]{8}.[0-9]{6}; WARNING; text"])


def test_date_format_percentf_tz_log(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_date=logging_in_a_step(FAILING_WARNING))
    zenrunner.maketoml(
        'log_format = "%(asctime)s; %(levelname)s; %(message)s"\nlog_date_format = "%Y-%m-%d %H:%M:%S.%f%z"\n'
    )
    result = zenrunner.run()
    assert result.ret == 1
    result.stdout.re_match_lines([r"^[0-9-]{10} [0-9:]{8}.[0-9]{6}[+-][0-9\.]+; WARNING; text"])


def test_log_format_applies_in_worker_processes(zenrunner) -> None:
    """Beyond pytest: the captured log of a step run by a -n worker has the session's format."""
    zenrunner.makepyfile(pipeline_date=logging_in_a_step(FAILING_WARNING))
    result = zenrunner.run("-n", "2", "--no-cache", "--log-format=FMT %(levelname)s|%(message)s")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FMT WARNING|text"])


def test_log_file_cli_fallback_options(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_fallback=logging_in_a_step(
            """
import logging
logger = logging.getLogger()
def test_foo():
    logger.info('info text going to logger')
    logger.warning('warning text going to logger')
    logger.error('error text going to logger')
    assert 0
"""
        )
    )
    log_file = str(zenrunner.path / "pytest.log")
    for log_format, date_format, pattern in [
        ("%(asctime)s %(message)s", "%H:%M", r"[0-9]{2}:[0-9]{2} error text going to logger\s*"),
        (
            "%(asctime)s : %(message)s",
            "%H:%M:%S",
            r"[0-9]{2}:[0-9]{2}:[0-9]{2} : error text going to logger\s*",
        ),
    ]:
        result = zenrunner.run(
            "--log-level=ERROR",
            f"--log-format={log_format}",
            f"--log-date-format={date_format}",
            "--log-file=pytest.log",
            "--no-cache",
        )
        assert result.ret == 1
        contents = read(log_file)
        assert re.match(pattern, contents), contents
        assert "info text going to logger" not in contents
        assert "warning text going to logger" not in contents


def test_log_file_format_and_live_format_of_their_own(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_own=logging_in_a_step(
            """
import logging
def test_foo():
    logging.getLogger('own').warning('first\\nsecond')
"""
        )
    )
    result = zenrunner.run(
        "--log-file=out.log",
        "--log-file-format=FILE %(name)s %(message)s",
        "--log-cli-level=WARNING",
        "--log-cli-format=LIVE %(message)s",
        "--log-auto-indent=on",
        "--no-cache",
    )
    assert result.ret == 0, result.stdout
    result.stdout.fnmatch_lines(["LIVE first", "     second"])
    assert read(str(zenrunner.path / "out.log")) == "FILE own first\n         second\n"


def test_log_auto_indent_values(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_indent=logging_in_a_step(
            """
import logging
def test_foo():
    logging.getLogger('x').warning('first\\nsecond')
    logging.getLogger('x').warning('a\\nb', extra={"auto_indent": False})
    assert False
"""
        )
    )
    result = zenrunner.run("--log-format=%(levelname)s %(message)s", "--log-auto-indent=2", "--no-cache")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["WARNING first", "  second", "WARNING a", "b"])


def test_a_bad_log_format_is_a_usage_error_naming_the_option(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_bad=logging_in_a_step("def test_foo():\n    pass\n"))
    result = zenrunner.run("--log-format=%(nosuchfield)s")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "--log-format '%(nosuchfield)s'" in result.stderr
    result = zenrunner.run("--log-cli-level=INFO", "--log-cli-format=%(message")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "--log-cli-format '%(message'" in result.stderr


@pytest.mark.parametrize("enabled", [True, False])
def test_log_cli_enabled_disabled(zenrunner, enabled: bool) -> None:
    msg = "critical message logged by test"
    zenrunner.makepyfile(
        pipeline_enabled=logging_in_a_step(f"""
import logging
def test_log_cli():
    logging.critical("{msg}")
""")
    )
    if enabled:
        zenrunner.maketoml("log_cli = true\n")
    result = zenrunner.run()
    if enabled:
        result.stdout.fnmatch_lines(
            [
                "pipeline_enabled.py::test_log_cli ",
                "*-- live log call --*",
                "CRITICAL *pipeline_enabled.py* critical message logged by test",
                "PASSED*",
            ]
        )
    else:
        assert msg not in result.stdout


def test_log_cli_default_level(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_default=logging_in_a_step("""
import logging
def test_log_cli():
    logging.getLogger('catchlog').info("INFO message won't be shown")
    logging.getLogger('catchlog').warning("WARNING message will be shown")
""")
    )
    zenrunner.maketoml("log_cli = true\n")
    result = zenrunner.run()
    result.stdout.fnmatch_lines(
        ["pipeline_default.py::test_log_cli ", "WARNING*pipeline_default.py* message will be shown*"]
    )
    result.stdout.no_fnmatch_line("*INFO message won't be shown*")
    assert result.ret == 0


def test_log_cli_default_level_multiple_tests(zenrunner) -> None:
    zenrunner.makepyfile(
        pipeline_multiple=pipelines("""
import logging
def test_log_1():
    logging.warning("log message from test_log_1")
def test_log_2():
    logging.warning("log message from test_log_2")
""")
    )
    zenrunner.maketoml("log_cli = true\n")
    result = zenrunner.run()
    result.stdout.fnmatch_lines(
        [
            "pipeline_multiple.py::test_log_1 ",
            "*WARNING*log message from test_log_1*",
            "PASSED *50%*",
            "pipeline_multiple.py::test_log_2 ",
            "*WARNING*log message from test_log_2*",
            "PASSED *100%*",
            "=* 2 passed in *=",
        ]
    )


def test_log_cli_default_level_sections(zenrunner) -> None:
    zenrunner.makeconftest("""
import logging
import zenrun

def zenrun_item_start(item):
    logging.warning('>>>>> START >>>>>')

def zenrun_item_report():  # pytest's pytest_runtest_logfinish
    logging.warning('<<<<< END <<<<<<<')

def zenrun_sessionfinish(session):
    logging.warning('<<<<< SESSION END <<<<<<<')

@zenrun.fixture
def fix(request):
    logging.warning("log message from setup of {}".format(request.node.name))
    yield
    logging.warning("log message from teardown of {}".format(request.node.name))
""")
    zenrunner.makepyfile(
        pipeline_sections="""
import logging
from zenrun import pipeline, step

@step
def work(i: int):
    logging.warning("log message from test_log_%d", i)

@pipeline
def test_log_1(fix):
    work(1)

@pipeline
def test_log_2(fix):
    work(2)
"""
    )
    zenrunner.maketoml("log_cli = true\n")
    result = zenrunner.run("--no-cache")
    result.stdout.fnmatch_lines(
        [
            "pipeline_sections.py::test_log_1 ",
            "*-- live log start --*",
            "*WARNING* >>>>> START >>>>>*",
            "*-- live log setup --*",
            "*WARNING*log message from setup of test_log_1*",
            "*-- live log call --*",
            "*WARNING*log message from test_log_1*",
            "PASSED *50%*",
            "*-- live log teardown --*",
            "*WARNING*log message from teardown of test_log_1*",
            "*-- live log finish --*",
            "*WARNING* <<<<< END <<<<<<<*",
            "pipeline_sections.py::test_log_2 ",
            "*-- live log start --*",
            "*WARNING* >>>>> START >>>>>*",
            "*-- live log setup --*",
            "*WARNING*log message from setup of test_log_2*",
            "*-- live log call --*",
            "*WARNING*log message from test_log_2*",
            "PASSED *100%*",
            "*-- live log teardown --*",
            "*WARNING*log message from teardown of test_log_2*",
            "*-- live log finish --*",
            "*WARNING* <<<<< END <<<<<<<*",
            "*-- live log sessionfinish --*",
            "*WARNING* <<<<< SESSION END <<<<<<<*",
            "=* 2 passed in *=",
        ]
    )


def test_log_cli_finish_of_an_early_report_hook(zenrunner) -> None:
    """zenrun's: a ``zenrun_item_report`` implementation called before the terminal's (tryfirst)
    logs under ``live log finish`` too, after the pipeline's outcome and teardown records."""
    zenrunner.makeconftest("""
import logging
import zenrun

@zenrun.hookimpl(tryfirst=True)
def zenrun_item_report():
    logging.warning('<<<<< END <<<<<<<')

@zenrun.fixture
def fix():
    yield
    logging.warning("log message from teardown")
""")
    zenrunner.makepyfile(
        pipeline_early="""
from zenrun import pipeline

@pipeline
def test_log_1(fix):
    pass
"""
    )
    result = zenrunner.run("-o", "log_cli=true", "-p", "no:results", "--no-cache")
    assert result.ret == 0, result.stdout
    result.stdout.fnmatch_lines(
        [
            "pipeline_early.py::test_log_1 PASSED *100%*",
            "*-- live log teardown --*",
            "*WARNING*log message from teardown*",
            "*-- live log finish --*",
            "*WARNING* <<<<< END <<<<<<<*",
            "=* 1 passed in *=",
        ]
    )


LOGS_INFO = """
import logging
def test_log_cli():
    logging.getLogger('catchlog').debug("This log message won't be shown")
    logging.getLogger('catchlog').info("This log message will be shown")
    print('PASSED')
"""


def test_log_cli_level(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_level=logging_in_a_step(LOGS_INFO))
    zenrunner.maketoml("log_cli = true\n")
    for option in ("--log-cli-level=INFO", "--log-level=INFO"):
        result = zenrunner.run("-s", option, "--no-cache")
        result.stdout.fnmatch_lines(["*pipeline_level.py* This log message will be shown", "PASSED"])
        result.stdout.no_fnmatch_line("*This log message won't be shown*")
        assert result.ret == 0


def test_log_cli_ini_level(zenrunner) -> None:
    zenrunner.maketoml('log_cli = true\nlog_cli_level = "INFO"\n')
    zenrunner.makepyfile(pipeline_ini_level=logging_in_a_step(LOGS_INFO))
    result = zenrunner.run("-s")
    result.stdout.fnmatch_lines(["*pipeline_ini_level.py* This log message will be shown", "PASSED"])
    result.stdout.no_fnmatch_line("*This log message won't be shown*")
    assert result.ret == 0


@pytest.mark.parametrize(
    "cli_args", ["", "--log-level=WARNING", "--log-file-level=WARNING", "--log-cli-level=WARNING"]
)
def test_log_cli_auto_enable(zenrunner, cli_args: str) -> None:
    zenrunner.makepyfile(
        pipeline_auto=logging_in_a_step("""
import logging
def test_log_1():
    logging.info("log message from test_log_1 not to be shown")
    logging.warning("log message from test_log_1")
""")
    )
    zenrunner.maketoml('log_level = "INFO"\nlog_cli_level = "INFO"\n')
    result = zenrunner.run(*([cli_args] if cli_args else []))
    if cli_args == "--log-cli-level=WARNING":
        result.stdout.fnmatch_lines(
            [
                "*::test_log_1 ",
                "*-- live log call --*",
                "*WARNING*log message from test_log_1*",
                "PASSED *100%*",
                "=* 1 passed in *=",
            ]
        )
        assert "INFO" not in result.stdout
    else:
        result.stdout.fnmatch_lines(["*pipeline_auto*100%*", "=* 1 passed in *="])
        assert "INFO" not in result.stdout
        assert "WARNING" not in result.stdout


def test_live_logs_of_parallel_pipelines_stay_above_the_progress_line(zenrunner) -> None:
    """Beyond pytest: with -n pipelines run together, so their records have no headers."""
    zenrunner.makepyfile(
        pipeline_parallel=pipelines("""
import logging
def test_log_1():
    logging.warning("log message from test_log_1")
def test_log_2():
    logging.warning("log message from test_log_2")
""")
    )
    result = zenrunner.run("-n", "2", "--driver-budget", "1000", "--log-cli-level=WARNING", "--no-cache")
    assert result.ret == 0, result.stdout
    result.stdout.fnmatch_lines(["*log message from test_log_1*"])
    result.stdout.no_fnmatch_line("*-- live log call --*")


def test_colored_captured_log(zenrunner) -> None:
    """Test that the level names of captured log messages of a failing test
    are colored."""
    zenrunner.makepyfile(
        pipeline_colored=logging_in_a_step("""
import logging

logger = logging.getLogger(__name__)

def test_foo():
    logger.info('text going to logger from call')
    assert False
""")
    )
    result = zenrunner.run("--log-level=INFO", "--color=yes", "--no-cache")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*-- Captured log (work) --*",
            "\x1b[[]32mINFO    \x1b[[]0m*text going to logger from call",
        ]
    )


def test_colored_ansi_esc_caplogtext(zenrunner) -> None:
    """Make sure that caplog.text does not contain ANSI escape sequences."""
    zenrunner.makepyfile(
        pipeline_caplogtext=bodies("""
import logging

logger = logging.getLogger(__name__)

def test_foo(caplog):
    logger.info('text going to logger from call')
    assert '\x1b' not in caplog.text
""")
    )
    result = zenrunner.run("--log-level=INFO", "--color=yes", "--no-cache")
    assert result.ret == 0, result.stdout


def test_colored_captured_log_of_each_section_and_format(zenrunner) -> None:
    """zenrun's: the level names of every captured log shown (a fixture's, the body's; the
    failures, ``--tb=line``, ``-rP``, ``--pdb``) in ``--log-format``'s place and width; a message's
    other lines, and the stored text, as they are."""
    zenrunner.makeconftest("""
import logging
import zenrun

@zenrun.fixture
def fix():
    logging.getLogger("fx").warning("from setup")
    yield
""")
    zenrunner.makepyfile(
        pipeline_sections=pipelines("""
import logging

def test_fails(fix):
    logging.getLogger("st").error("ERROR  two\\nINFO     lines")
    assert False

def test_passes():
    logging.getLogger("st").critical("fine")
""")
    )
    fmt = "%(name)s [%(levelname)-7s] %(message)s"
    result = zenrunner.run("--color=yes", "--no-cache", "-rP", f"--log-format={fmt}")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*-- Captured log setup --*",
            "fx [[]\x1b[[]33mWARNING\x1b[[]0m] from setup",
            "*-- Captured log call --*",
            "st [[]\x1b[[]1m\x1b[[]31mERROR  \x1b[[]0m] ERROR  two",
            "INFO     lines",
            "*PASSES*",
            "*-- Captured log call --*",
            "st [[]\x1b[[]31mCRITICAL\x1b[[]0m] fine",
        ]
    )
    result = zenrunner.run("--color=yes", "--no-cache", "--tb=line", f"--log-format={fmt}")
    result.stdout.fnmatch_lines(
        ["*- Captured log call -*", "st [[]\x1b[[]1m\x1b[[]31mERROR  \x1b[[]0m] ERROR  two"]
    )
    zenrunner.makepyfile(pipeline_pdb=logging_in_a_step(FAILING_WARNING))  # (a step's log)
    result = zenrunner.run(
        "--color=yes", "--no-cache", "--pdb", f"--log-format={fmt}", "pipeline_pdb.py", stdin="q\n"
    )
    result.stdout.fnmatch_lines(
        ["*>>> captured log >>>*", "pipeline_pdb [[]\x1b[[]33mWARNING\x1b[[]0m] text"]
    )
    result = zenrunner.run("--color=no", "--no-cache", f"--log-format={fmt}")
    result.stdout.fnmatch_lines(["fx [[]WARNING] from setup", "st [[]ERROR  ] ERROR  two"])
    assert "\x1b[" not in result.stdout


def test_log_levels_read_as_pytest_reads_them(zenrunner) -> None:
    """Any number is a level (pytest's int()); a bad name says where it came from."""
    zenrunner.makepyfile(pipeline_levels=logging_in_a_step(FAILING_WARNING))
    result = zenrunner.run("--log-level=-5", "--no-cache")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["WARNING  pipeline_levels:pipeline_levels.py:* text"])
    result = zenrunner.run("--log-level=LOUD")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "--log-level: unknown log level 'LOUD'" in result.stderr
    zenrunner.maketoml('log_level = "LOUD"\n')
    result = zenrunner.run()
    assert result.ret == ExitCode.USAGE_ERROR
    assert "log_level in [tool.zenrun]: unknown log level 'LOUD'" in result.stderr
