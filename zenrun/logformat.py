"""How log records become text, as pytest's logging options shape it: the format and date
format of the captured, live and file logs (``--log-format``, ``--log-cli-format``,
``--log-file-format`` and their date formats), the indentation of multi-line messages
(``--log-auto-indent``), and reading a log level from an option or its ``[tool.zenrun]`` key.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from zenrun.errors import UsageError

DEFAULT_LOG_FORMAT = "%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s"
DEFAULT_LOG_DATE_FORMAT = "%H:%M:%S"
# compiled on first use (re caches it): zenrun --help does not need it
_ANSI_ESCAPE = r"\x1b\[[\d;]+m"
_TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})


def option_or_ini(config: Any, *names: str) -> Any:
    """The first of ``names`` set, each read from its command-line option, else from the
    ``[tool.zenrun]`` key of the same name (None when none is set)."""
    return _first_set(config, names)[1]


def _first_set(config: Any, names: tuple[str, ...]) -> tuple[str, Any]:
    """``(where, value)`` of the first of ``names`` set: where is ``--option-name`` or the
    ``[tool.zenrun]`` key ``name`` it was read from."""
    inis = getattr(getattr(config, "parser", None), "inis", {})
    for name in names:
        value = config.getoption(name, None)
        where = f"--{name.replace('_', '-')}"
        if value is None and name in inis:
            value, where = config.getini(name), f"{name} in [tool.zenrun]"
        if value:
            return where, value
    return f"--{names[0].replace('_', '-')}", None


def log_level_option(config: Any, *names: str) -> int | None:
    """The log level of the first of ``names`` set (option, else ``[tool.zenrun]`` key), as
    a number; None when none is set. An unknown level name is a usage error."""
    where, text = _first_set(config, names)
    if text is None:
        return None
    try:  # any number, as pytest's (custom levels, even negative ones)
        return int(str(text).strip())
    except ValueError:
        level = logging.getLevelName(str(text).strip().upper())
    if not isinstance(level, int):
        raise UsageError(
            f"{where}: unknown log level {text!r}; use DEBUG, INFO, WARNING, ERROR or CRITICAL, or a number"
        )
    return level


def auto_indent_value(option: Any) -> int:
    """``--log-auto-indent``'s value as the formatter uses it: -1 indents continuation
    lines under the message's first character, 0 not at all (the default), a positive
    number by that many spaces. True/on and false/off are accepted as words, as pytest's."""
    if option is None or option is False:
        return 0
    if option is True:
        return -1
    if isinstance(option, int):
        return option
    text = str(option).strip().lower()
    try:
        return int(text)
    except ValueError:
        return -1 if text in _TRUE_WORDS else 0


def locate_dynamic_code(record: logging.LogRecord) -> None:
    """Give ``record``, logged by code cloudpickle shipped by value (a step on a Dask worker:
    its file is ``<dynamic-code>``), the file of the module it came from, as its traceback
    shows it (``%(filename)s``, ``%(pathname)s`` and ``%(module)s`` said ``<dynamic-code>``).

    Found on the stack of the logging call, which a handler formats in."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if (
            code.co_filename == "<dynamic-code>"
            and code.co_name == record.funcName
            and frame.f_lineno == record.lineno
        ):
            module_file = frame.f_globals.get("__file__")
            if isinstance(module_file, str) and module_file.endswith(".py"):
                record.pathname = module_file
                record.filename = os.path.basename(module_file)
                record.module = os.path.splitext(record.filename)[0]
            return
        frame = frame.f_back


class LogFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose date format may use ``%f`` (microseconds) and which can
    indent the continuation lines of a multi-line message (``auto_indent``; a record's
    ``extra={"auto_indent": ...}`` overrides it)."""

    def __init__(
        self,
        fmt: str = DEFAULT_LOG_FORMAT,
        datefmt: str | None = DEFAULT_LOG_DATE_FORMAT,
        auto_indent: Any = None,
    ) -> None:
        super().__init__(fmt, datefmt)
        self.auto_indent = auto_indent_value(auto_indent)

    def format(self, record: logging.LogRecord) -> str:
        if record.pathname == "<dynamic-code>":
            locate_dynamic_code(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt and "%f" in datefmt:  # time.strftime has no microseconds: datetime's has
            import datetime

            moment = datetime.datetime.fromtimestamp(record.created).astimezone()
            return moment.strftime(datefmt)
        return super().formatTime(record, datefmt)

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        message = record.message
        if "\n" not in message:
            return text
        indent = self.auto_indent
        if hasattr(record, "auto_indent"):
            indent = auto_indent_value(record.auto_indent)
        if not indent:
            return text
        first, *rest = message.splitlines()
        head = self._style._fmt % {**record.__dict__, "message": first}
        width = re.sub(_ANSI_ESCAPE, "", head).find(first) if indent < 0 else indent
        return ("\n" + " " * max(width, 0)).join([head, *rest])


class ColoredLevelFormatter(LogFormatter):
    """A :class:`LogFormatter` that colours the ``%(levelname)s`` part of its format (with
    its width and precision: ``%(levelname)-8s``) in the colour of the record's level, as
    pytest's: through ``terminalwriter.markup(text, **colours)``, so a writer without
    colours (``--color=no``, not a terminal) leaves the text plain."""

    LOGLEVEL_COLOROPTS: dict[int, frozenset[str]] = {
        logging.CRITICAL: frozenset({"red"}),
        logging.ERROR: frozenset({"red", "bold"}),
        logging.WARNING: frozenset({"yellow"}),
        logging.INFO: frozenset({"green"}),
        logging.DEBUG: frozenset({"purple"}),
        logging.NOTSET: frozenset(),
    }
    LEVELNAME_FMT_REGEX = re.compile(r"%\(levelname\)([+-.]?\d*(?:\.\d+)?s)")

    def __init__(
        self,
        terminalwriter: Any,
        fmt: str = DEFAULT_LOG_FORMAT,
        datefmt: str | None = DEFAULT_LOG_DATE_FORMAT,
        auto_indent: Any = None,
    ) -> None:
        super().__init__(fmt, datefmt, auto_indent)
        self._terminalwriter = terminalwriter
        self._original_fmt = self._style._fmt
        self._level_to_fmt_mapping: dict[int, str] = {}
        for level, color_opts in self.LOGLEVEL_COLOROPTS.items():
            self.add_color_level(level, *sorted(color_opts))

    def add_color_level(self, level: int, *color_opts: str) -> None:
        """Colour the level name of ``level``'s records with ``color_opts`` (markup names:
        ``"green"``, ``"bold"``, ...); a custom level gets its colour this way too."""
        match = self.LEVELNAME_FMT_REGEX.search(self._original_fmt)
        if not match:
            return
        levelname = match.group() % {"levelname": logging.getLevelName(level)}
        colored = self._terminalwriter.markup(levelname, **dict.fromkeys(color_opts, True))
        self._level_to_fmt_mapping[level] = self.LEVELNAME_FMT_REGEX.sub(
            colored.replace("\\", "\\\\"), self._original_fmt
        )

    def format(self, record: logging.LogRecord) -> str:
        # (a handler formats under its lock: the format is the record's for this call only)
        self._style._fmt = self._level_to_fmt_mapping.get(record.levelno, self._original_fmt)
        return super().format(record)


#: A field of a ``%``-style log format (``%(name)s``, ``%(lineno)-4d``), or ``%%``.
_FORMAT_FIELD = r"%\((\w+)\)[#0+ -]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%"


def color_captured_log(text: str, config: Any, terminalwriter: Any) -> str:
    """A captured log section's ``text`` as shown on ``terminalwriter``: its level names
    coloured (:func:`color_level_names`, with the session's ``--log-format``) when the writer
    has colours, else as it is."""
    if not getattr(terminalwriter, "hasmarkup", False):
        return text
    return color_level_names(text, session_formatter(config)._fmt or DEFAULT_LOG_FORMAT, terminalwriter)


def color_level_names(text: str, fmt: str, terminalwriter: Any) -> str:
    """Captured log ``text``, its records formatted with ``fmt`` without colours, with each
    record's level name coloured as a :class:`ColoredLevelFormatter` on ``terminalwriter``
    colours it (its ``%(levelname)-8s`` width inside the colour), as pytest shows a captured
    log section: the text is kept plain (``--show``, the viewer, ``caplog.text``) and coloured
    as it is shown. A line is a record's first when it reads as ``fmt`` (each other field
    any text); a message's other lines are left as they are."""
    found = ColoredLevelFormatter.LEVELNAME_FMT_REGEX.search(fmt)
    if not found or not text:
        return text
    colored: dict[str, str] = {}
    for level, color_opts in ColoredLevelFormatter.LOGLEVEL_COLOROPTS.items():
        plain = found.group() % {"levelname": logging.getLevelName(level)}
        colored.setdefault(plain, terminalwriter.markup(plain, **dict.fromkeys(sorted(color_opts), True)))
    levels = "|".join(re.escape(name) for name in sorted(colored, key=len, reverse=True))

    def pattern(part: str) -> str:  # fmt's fields as any text, the rest as written
        pieces = re.split(f"({_FORMAT_FIELD})", part)
        out = []
        for index in range(0, len(pieces), 3):
            out.append(re.escape(pieces[index]))
            if index + 1 < len(pieces):
                out.append("%" if pieces[index + 1] == "%%" else ".*?")
        return "".join(out)

    line = re.compile(
        f"^({pattern(fmt[: found.start()])})({levels})(?={pattern(fmt[found.end() :])}$)", re.MULTILINE
    )
    return line.sub(lambda m: m.group(1) + colored[m.group(2)], text)


def session_formatter(config: Any, kind: str = "", terminalwriter: Any = None) -> LogFormatter:
    """The formatter of the session's ``kind`` of log: ``""`` the captured log (and
    ``caplog.text``), ``"cli"`` the live log, ``"file"`` the log file; each falls back to
    ``--log-format`` / ``--log-date-format``, then to pytest's defaults. With a
    ``terminalwriter`` that shows colours, a :class:`ColoredLevelFormatter`."""
    colored = terminalwriter is not None and bool(getattr(terminalwriter, "hasmarkup", False))
    stash = getattr(config, "stash", None)
    key = f"log_formatter:{kind}" + (":colored" if colored else "")
    made = stash.get(key) if stash is not None else None
    if made is not None:  # once per session and kind (caplog asks for every pipeline)
        return made  # type: ignore[no-any-return]
    prefix = f"log_{kind}_" if kind else "log_"
    fmt_where, fmt = _first_set(config, (f"{prefix}format", "log_format"))
    datefmt = option_or_ini(config, f"{prefix}date_format", "log_date_format")
    try:
        args = (str(fmt or DEFAULT_LOG_FORMAT), str(datefmt or DEFAULT_LOG_DATE_FORMAT))
        auto_indent = option_or_ini(config, "log_auto_indent")
        formatter = (
            ColoredLevelFormatter(terminalwriter, *args, auto_indent)
            if colored
            else LogFormatter(*args, auto_indent)
        )
        # A name no record has would fail every step that logs: said once, here.
        formatter.format(logging.LogRecord("zenrun", logging.INFO, __file__, 1, "check", None, None))
    except (ValueError, KeyError, TypeError) as exc:  # "%(message", "%(nosuchfield)s", "%(lineno)s %d"
        problem = f"no log record has {exc}" if isinstance(exc, KeyError) else str(exc)
        raise UsageError(f"{fmt_where} {fmt!r}: {problem}") from None
    if stash is not None:
        stash[key] = formatter
    return formatter
