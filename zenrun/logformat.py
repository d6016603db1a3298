"""How log records become text, as pytest's logging options shape it: the format and date
format of the captured, live and file logs (``--log-format``, ``--log-cli-format``,
``--log-file-format`` and their date formats), the indentation of multi-line messages
(``--log-auto-indent``), and reading a log level from an option or its ``[tool.zenrun]`` key.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from zenrun.errors import UsageError

DEFAULT_LOG_FORMAT = "%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s"
DEFAULT_LOG_DATE_FORMAT = "%H:%M:%S"
_ANSI_ESCAPE = re.compile(r"\x1b\[[\d;]+m")
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
        width = _ANSI_ESCAPE.sub("", head).find(first) if indent < 0 else indent
        return ("\n" + " " * max(width, 0)).join([head, *rest])


def session_formatter(config: Any, kind: str = "") -> LogFormatter:
    """The formatter of the session's ``kind`` of log: ``""`` the captured log (and
    ``caplog.text``), ``"cli"`` the live log, ``"file"`` the log file; each falls back to
    ``--log-format`` / ``--log-date-format``, then to pytest's defaults."""
    stash = getattr(config, "stash", None)
    made = stash.get(f"log_formatter:{kind}") if stash is not None else None
    if made is not None:  # once per session and kind (caplog asks for every pipeline)
        return made  # type: ignore[no-any-return]
    prefix = f"log_{kind}_" if kind else "log_"
    fmt_where, fmt = _first_set(config, (f"{prefix}format", "log_format"))
    datefmt = option_or_ini(config, f"{prefix}date_format", "log_date_format")
    try:
        formatter = LogFormatter(
            str(fmt or DEFAULT_LOG_FORMAT),
            str(datefmt or DEFAULT_LOG_DATE_FORMAT),
            option_or_ini(config, "log_auto_indent"),
        )
        # A name no record has would fail every step that logs: said once, here.
        formatter.format(logging.LogRecord("zenrun", logging.INFO, __file__, 1, "check", None, None))
    except (ValueError, KeyError, TypeError) as exc:  # "%(message", "%(nosuchfield)s", "%(lineno)s %d"
        problem = f"no log record has {exc}" if isinstance(exc, KeyError) else str(exc)
        raise UsageError(f"{fmt_where} {fmt!r}: {problem}") from None
    if stash is not None:
        stash[f"log_formatter:{kind}"] = formatter
    return formatter
