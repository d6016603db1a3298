"""Port of pytest's ``testing/logging/test_formatter.py`` (pytest-dev/pytest):
``ColoredLevelFormatter`` colours the ``%(levelname)s`` part of a log format
(``zenrun.logformat.ColoredLevelFormatter``, given zenrun's terminal writer as pytest's
is given its own), which the live log (``--log-cli-level``) uses when the output is
coloured.

pytest's ``py.io.TerminalWriter`` is ``zenrun.terminal.TerminalWriter`` (``hasmarkup``
set as pytest's test sets it). zenrun's own: the level name's width and precision
(``%(levelname)-8.8s``, ``%(levelname).1s``), the live log of a run with
``--color=yes`` / ``no``, and ``color_level_names``: captured log text, kept plain, coloured
as it is shown as the formatter would have coloured it.
"""

from __future__ import annotations

import io
import logging

from zenrun.logformat import ColoredLevelFormatter, LogFormatter, color_level_names
from zenrun.terminal import TerminalWriter


def record(level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(
        name="dummy",
        level=level,
        pathname="dummypath",
        lineno=10,
        msg="Test Message",
        args=(),
        exc_info=False,
    )


def test_coloredlogformatter() -> None:
    logfmt = "%(filename)-25s %(lineno)4d %(levelname)-8s %(message)s"

    tw = TerminalWriter(io.StringIO())
    tw.hasmarkup = True
    formatter = ColoredLevelFormatter(tw, logfmt)
    output = formatter.format(record())
    assert output == ("dummypath                   10 \x1b[32mINFO    \x1b[0m Test Message")

    tw.hasmarkup = False
    formatter = ColoredLevelFormatter(tw, logfmt)
    output = formatter.format(record())
    assert output == ("dummypath                   10 INFO     Test Message")


def test_coloredlogformatter_width_and_precision() -> None:
    logfmt = "%(filename)-25s %(lineno)4d %(levelname)-8.8s %(message)s"
    tw = TerminalWriter(io.StringIO())
    tw.hasmarkup = True
    formatter = ColoredLevelFormatter(tw, logfmt)
    assert formatter.format(record()) == "dummypath                   10 \x1b[32mINFO    \x1b[0m Test Message"
    assert formatter.format(record(logging.ERROR)) == (
        "dummypath                   10 \x1b[1m\x1b[31mERROR   \x1b[0m Test Message"
    )


def test_coloredlogformatter_short_level() -> None:
    tw = TerminalWriter(io.StringIO())
    tw.hasmarkup = True
    formatter = ColoredLevelFormatter(tw, "%(levelname).1s %(message)s")
    assert formatter.format(record()) == "\x1b[32mI\x1b[0m Test Message"


def test_colored_live_log(zenrunner) -> None:
    zenrunner.makepyfile(
        """
        import logging
        from zenrun import pipeline, step

        @step
        def work():
            logging.getLogger("x").info("hello info")

        @pipeline
        def test_it():
            work()
        """
    )
    result = zenrunner.runzenrun_inprocess(
        "--log-cli-level=INFO", "--color=yes", "--no-cache", "-p", "no:results"
    )
    result.stdout.fnmatch_lines(["*\x1b[[]32mINFO    \x1b[[]0m x:pipeline_*.py:6 hello info"])
    result = zenrunner.runzenrun_inprocess(
        "--log-cli-level=INFO", "--color=no", "--no-cache", "-p", "no:results"
    )
    result.stdout.fnmatch_lines(["INFO     x:pipeline_*.py:6 hello info"])


def test_color_level_names_as_the_formatter_colours() -> None:
    tw = TerminalWriter(io.StringIO())
    tw.hasmarkup = True
    for logfmt in (
        "%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s",
        "%(filename)-25s %(lineno)4d %(levelname)-8.8s %(message)s",
        "[%(levelname).1s] 100%% %(message)s",
    ):
        plain = LogFormatter(logfmt).format(record(logging.ERROR))
        colored = ColoredLevelFormatter(tw, logfmt).format(record(logging.ERROR))
        assert plain != colored
        assert color_level_names(f"{plain}\n{plain}\n", logfmt, tw) == f"{colored}\n{colored}\n"
    logfmt = "%(levelname)-8s %(name)s: %(message)s"
    text = "WARNING  x: two\nINFO     lines\nLVL5     x: custom\n"  # a message's line, a level of no colour
    assert (
        color_level_names(text, logfmt, tw)
        == "\x1b[33mWARNING \x1b[0m x: two\nINFO     lines\nLVL5     x: custom\n"
    )
    assert color_level_names(text, "%(name)s %(message)s", tw) == text  # no level name in the format
