"""``-W`` / ``filterwarnings``: warning filters given on the command line, in ``[tool.zenrun]``
and by ``@zenrun.mark.filterwarnings``, parsed as pytest parses them."""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from textwrap import dedent
from typing import Any

from zenrun.errors import UsageError

__all__ = ["apply_session_filters", "apply_warning_filters", "parse_warning_filter", "warnings_shown_to"]


def parse_warning_filter(arg: str, *, escape: bool) -> tuple[Any, str, type[Warning], str, int]:
    """``action:message:category:module:line`` as ``warnings.filterwarnings`` arguments; a
    UsageError that quotes the filter when it is wrong (``escape``: message and module are
    literal text, as ``-W`` takes them; the ini key and the mark take regular expressions)."""
    error_template = dedent(
        f"""\
        while parsing the following warning configuration:

          {arg}

        This error occurred:

        {{error}}
        """
    )
    parts = arg.split(":")
    if len(parts) > 5:
        doc_url = "https://docs.python.org/3/library/warnings.html#describing-warning-filters"
        error = dedent(
            f"""\
            Too many fields ({len(parts)}), expected at most 5 separated by colons:

              action:message:category:module:line

            For more information please consult: {doc_url}
            """
        )
        raise UsageError(error_template.format(error=error))
    while len(parts) < 5:
        parts.append("")
    action_, message, category_, module, lineno_ = (s.strip() for s in parts)
    try:
        action = warnings._getaction(action_)  # type: ignore[attr-defined]
    except warnings._OptionError as e:  # type: ignore[attr-defined]
        raise UsageError(error_template.format(error=str(e))) from None
    try:
        category = _resolve_warning_category(category_)
    except ImportError:
        raise
    except Exception as exc:
        raise UsageError(error_template.format(error=f"{type(exc).__name__}: {exc}")) from None
    if message and escape:
        message = re.escape(message)
    if module and escape:
        module = re.escape(module) + r"\Z"
    if lineno_:
        try:
            lineno = int(lineno_)
            if lineno < 0:
                raise ValueError("number is negative")
        except ValueError as e:
            raise UsageError(error_template.format(error=f"invalid lineno {lineno_!r}: {e}")) from None
    else:
        lineno = 0
    try:
        re.compile(message)
        re.compile(module)
    except re.error as e:
        raise UsageError(error_template.format(error=f"Invalid regex {e.pattern!r}: {e}")) from None
    return action, message, category, module, lineno


def _resolve_warning_category(category: str) -> type[Warning]:
    if not category:
        return Warning
    if "." not in category:
        import builtins as m

        klass = category
    else:
        module, _, klass = category.rpartition(".")
        m = importlib.import_module(module)  # type: ignore[assignment]
    cat = getattr(m, klass)
    if not (isinstance(cat, type) and issubclass(cat, Warning)):
        raise UsageError(f"{cat} is not a Warning subclass")
    return cat


def apply_session_filters(config: Any) -> None:
    """The filters a session's warnings go through, as pytest's ``catch_warnings_for_item``:
    deprecation warnings always shown (unless ``python -W`` said otherwise), then the
    ``filterwarnings`` ini value, then ``-W`` options."""
    if not sys.warnoptions:
        warnings.filterwarnings("always", category=DeprecationWarning)
        warnings.filterwarnings("always", category=PendingDeprecationWarning)
    apply_warning_filters(config.getini("filterwarnings"), config.getoption("pythonwarnings", None) or [])


def apply_warning_filters(config_filters: Iterable[str], cmdline_filters: Iterable[str]) -> None:
    """Install the filters: ``-W`` ones win over the ini's (applied last, as pytest)."""
    for args, escape in ((config_filters, False), (cmdline_filters, True)):
        for arg in args:
            try:
                warnings.filterwarnings(*parse_warning_filter(arg, escape=escape))
            except ImportError as e:
                warnings.warn(f"Failed to import filter module '{e.name}': {arg}", UserWarning, stacklevel=2)


@contextlib.contextmanager
def warnings_shown_to(show: Callable[..., None], add_filters: Callable[[], None]) -> Iterator[None]:
    """While the block runs, a warning shown goes to ``show`` (``warnings.showwarning``'s
    arguments), with the filters ``add_filters`` adds on top of the others.

    ``catch_warnings`` is not used: it would also undo the filters a module the block
    imports sets (a conftest's ``warnings.filterwarnings``). Only ``warnings.showwarning``
    is replaced, one the block installed itself is left in place, and the filters
    ``add_filters`` added are taken out again, the modules' kept.
    """
    original, before = warnings.showwarning, list(warnings.filters)
    warnings.showwarning = show
    ours: list[Any] = []
    try:
        add_filters()
        ours = [f for f in warnings.filters if f not in before]
        yield
    finally:
        if warnings.showwarning is show:
            warnings.showwarning = original
        modules = [f for f in warnings.filters if f not in before and f not in ours]
        filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list, typed Sequence
        filters[:] = modules + before
        warnings._filters_mutated()  # type: ignore[attr-defined]  # as filterwarnings does
