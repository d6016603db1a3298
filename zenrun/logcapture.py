"""``caplog``: the log records emitted while a pipeline item is set up, composed and its steps
run in this process (pytest's ``LogCaptureFixture``). Records from ``-n`` worker processes or
a cluster are not seen."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from zenrun.fixtures import fixture
from zenrun.logformat import LogFormatter, log_level_option, session_formatter

if TYPE_CHECKING:
    from zenrun.fixtures import FixtureRequest

__all__ = ["LogCaptureFixture", "LogCaptureHandler"]


class LogCaptureHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A logging handler that keeps the records and the formatted text."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.records: list[logging.LogRecord] = []
        self.setFormatter(LogFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        super().emit(record)

    def clear(self) -> None:
        self.records.clear()
        self.stream = io.StringIO()


class LogCaptureFixture:
    """Access to and control of the captured log records."""

    def __init__(self) -> None:
        self.handler = LogCaptureHandler()
        self._initial_handler_level: int | None = None
        self._initial_logger_levels: dict[str | None, int] = {}
        self._initial_disabled_logging_level: int | None = None

    def _finalize(self) -> None:
        if self._initial_handler_level is not None:
            self.handler.setLevel(self._initial_handler_level)
        for logger_name, level in self._initial_logger_levels.items():
            logging.getLogger(logger_name).setLevel(level)
        if self._initial_disabled_logging_level is not None:
            logging.disable(self._initial_disabled_logging_level)
            self._initial_disabled_logging_level = None

    def get_records(self, when: str) -> list[logging.LogRecord]:
        """The records of a phase: zenrun keeps one list for the whole item, returned for
        ``"call"`` (``"setup"`` / ``"teardown"``: empty)."""
        if when not in ("setup", "call", "teardown"):
            raise ValueError(f"when must be one of setup, call, teardown, not {when!r}")
        return list(self.handler.records) if when == "call" else []

    @property
    def text(self) -> str:
        """The formatted log text."""
        stream = self.handler.stream
        return stream.getvalue() if isinstance(stream, io.StringIO) else ""

    @property
    def records(self) -> list[logging.LogRecord]:
        """The log records."""
        return self.handler.records

    @property
    def record_tuples(self) -> list[tuple[str, int, str]]:
        """``(logger_name, level, message)`` of each record."""
        return [(r.name, r.levelno, r.getMessage()) for r in self.records]

    @property
    def messages(self) -> list[str]:
        """The interpolated message of each record."""
        return [r.getMessage() for r in self.records]

    def clear(self) -> None:
        """Forget the records and the text."""
        self.handler.clear()

    def _force_enable_logging(self, level: int | str, logger_obj: logging.Logger) -> int:
        original_disable_level: int = logger_obj.manager.disable
        numeric = logging.getLevelName(level) if isinstance(level, str) else level
        if not isinstance(numeric, int):
            logging.disable(logging.NOTSET)
        elif not logger_obj.isEnabledFor(numeric):
            logging.disable(max(numeric - 10, logging.NOTSET))
        return original_disable_level

    def set_level(self, level: int | str, logger: str | None = None) -> None:
        """The threshold of a logger (the root logger by default) and of the capture, until
        the item's teardown."""
        logger_obj = logging.getLogger(logger)
        self._initial_logger_levels.setdefault(logger, logger_obj.level)
        logger_obj.setLevel(level)
        if self._initial_handler_level is None:
            self._initial_handler_level = self.handler.level
        self.handler.setLevel(level)
        disabled = self._force_enable_logging(level, logger_obj)
        if self._initial_disabled_logging_level is None:
            self._initial_disabled_logging_level = disabled

    @contextmanager
    def at_level(self, level: int | str, logger: str | None = None) -> Iterator[None]:
        """``set_level`` for the ``with`` block only."""
        logger_obj = logging.getLogger(logger)
        orig_level = logger_obj.level
        logger_obj.setLevel(level)
        handler_orig_level = self.handler.level
        self.handler.setLevel(level)
        original_disable_level = self._force_enable_logging(level, logger_obj)
        try:
            yield
        finally:
            logger_obj.setLevel(orig_level)
            self.handler.setLevel(handler_orig_level)
            logging.disable(original_disable_level)

    @contextmanager
    def filtering(self, filter_: logging.Filter) -> Iterator[None]:
        """A filter on the capture for the ``with`` block."""
        self.handler.addFilter(filter_)
        try:
            yield
        finally:
            self.handler.removeFilter(filter_)


@fixture
def caplog(request: FixtureRequest) -> Iterator[LogCaptureFixture]:
    """The log records of the pipeline item: ``messages``, ``text``, ``records``,
    ``record_tuples``, ``clear()``, ``set_level(level, logger=None)``, ``at_level(...)``."""
    result = LogCaptureFixture()
    result.handler.setFormatter(session_formatter(request.config))
    root = logging.getLogger()
    # As pytest: --log-level / log_level is the level of the capture and of the root logger.
    level = log_level_option(request.config, "log_level")
    orig_level = root.level
    if level is not None:
        result.handler.setLevel(level)
        root.setLevel(min(orig_level, level))
    root.addHandler(result.handler)
    try:
        yield result
    finally:
        root.removeHandler(result.handler)
        root.setLevel(orig_level)
        result._finalize()
