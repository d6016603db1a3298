"""``--tb`` styles: a step's traceback shown as pytest shows a test's.

A step's error is recorded where the step runs (maybe in a worker process)
as Python's standard traceback text; the store keeps that text. The styles
are made from it in the driver: its frames (file, line, function, source
line) are read back, and ``long`` adds the function's source from the file,
when the driver can read it.
"""

from __future__ import annotations

import linecache
import os
import re
import textwrap
import traceback

_HEADER = "Traceback (most recent call last):"
#: The first line of an error raised with ``zenrun.fail(..., pytrace=False)``: its frames are
#: kept (where it was raised: ``--tb=line``'s ``path:line``), and every ``--tb`` style shows
#: the message alone, as pytest does.
NOTRACE_HEADER = _HEADER + " (pytrace=False)"
# compiled on first use (re caches them): zenrun --help parses no traceback
_FRAME = r'^  File "(?P<path>.*)", line (?P<lineno>\d+), in (?P<name>.*)$'
_CARETS = r"^\s*[\^~]+\s*$"
_LOCAL = r"^    (?P<name>[A-Za-z_]\w*) = (?P<value>.*)$"
_DEF = r"^\s*(async\s+)?def\s+(?P<name>\w+)\s*\("
_MAX_CONTEXT = 60  # lines searched upwards for the function's ``def``


class Frame:
    """One entry of a traceback."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a frame.
    __slots__ = ("carets", "line", "lineno", "locals", "name", "path")

    def __init__(
        self,
        path: str,
        lineno: int,
        name: str,
        line: str,
        locals: list[tuple[str, str]] | None = None,
        carets: str = "",
    ) -> None:
        self.path = path
        self.lineno = lineno
        self.name = name
        self.line = line  # the source line as recorded ("" when unknown)
        self.locals = locals  # (name, repr) with -l / --showlocals
        # Where on ``line`` it failed, as pytest marks it: ``^`` under the expression, after
        # 4 spaces and the expression's offset in the stripped line ("" for none)
        self.carets = carets


#: Python's lines between the tracebacks of a chain of exceptions (``raise ... from``, or
#: raised while handling another), and pytest's after them.
CAUSE_MESSAGE = "The above exception was the direct cause of the following exception:"
CONTEXT_MESSAGE = "During handling of the above exception, another exception occurred:"
CHAIN_MESSAGES = (CAUSE_MESSAGE, CONTEXT_MESSAGE)


def exception_chain(exc: BaseException) -> list[tuple[BaseException, str | None]]:
    """``exc`` and the exceptions it was raised from (``raise ... from``) or while handling,
    in the order Python prints them (the first cause first, ``exc`` last), each with the
    line Python prints after it (``None`` after ``exc``)."""
    chain: list[tuple[BaseException, str | None]] = []  # each with its link to the next newer
    seen: set[int] = set()
    current: BaseException | None = exc
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, CAUSE_MESSAGE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, CONTEXT_MESSAGE
        else:
            current = None
    return chain[::-1]


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, or ``<exception str() failed>`` when the user's ``__str__`` raises (as
    ``traceback`` says it): a message naming a user's exception never ends the session."""
    try:
        return str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a user's BaseException out of __str__ / __repr__ must not end the session
        return "<exception str() failed>"


def exception_only(exc: BaseException) -> list[str]:
    """``traceback.format_exception_only(exc)``, without walking the rest of its chain (which
    that call does for every link: a chain of n exceptions cost n squared); zenrun's outcome
    exceptions named as pytest names its own (``Failed``, not ``zenrun.outcomes.Failed``)."""
    if isinstance(exc, SyntaxError):  # its file, line and caret
        return traceback.format_exception_only(type(exc), exc)
    kind = type(exc)
    if kind.__module__ == "zenrun.outcomes":
        return [f"{kind.__qualname__}: {exc}\n"]
    name = (
        kind.__qualname__
        if kind.__module__ in ("builtins", "__main__")
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    text = exception_text(exc)
    lines = [f"{name}: {text}\n" if text else f"{name}\n"]
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, (list, tuple)):
        lines += [f"{note}\n" for note in notes]
    return lines


def split_chain(text: str) -> list[tuple[str, str | None]]:
    """The tracebacks of a chained traceback text, first to last, each with the message
    that links it to the next (None for the last)."""
    segments: list[tuple[str, str | None]] = []
    lines = text.split("\n")
    start = 0
    for index, line in enumerate(lines):
        if (
            line in CHAIN_MESSAGES
            and 0 < index < len(lines) - 1
            and lines[index - 1] == ""
            and lines[index + 1] == ""
        ):
            segments.append(("\n".join(lines[start : index - 1]), line))
            start = index + 2
    segments.append(("\n".join(lines[start:]), None))
    return segments


def parse(text: str) -> tuple[list[Frame], list[str]] | None:
    """The frames and exception lines of a standard traceback text (of a chain: its last
    exception's, where it ended); None if ``text`` is not one."""
    text = split_chain(text)[-1][0]
    lines = text.rstrip("\n").splitlines()
    if not lines or lines[0] not in (_HEADER, NOTRACE_HEADER):
        return None
    frames: list[Frame] = []
    index = 1
    while index < len(lines):
        match = re.match(_FRAME, lines[index])
        if match is None:
            break
        index += 1
        source = carets = ""
        local_values: list[tuple[str, str]] = []
        while index < len(lines) and lines[index].startswith("    "):
            local = re.match(_LOCAL, lines[index]) if source else None
            if local is not None:  # Python's format of a frame's locals: "    name = value"
                local_values.append((local["name"], local["value"]))
            elif not source and not re.match(_CARETS, lines[index]):
                source = lines[index].strip()
            elif source and not carets and not local_values and re.match(_CARETS, lines[index]):
                carets = _pytest_carets(lines[index], source)
            index += 1
        frames.append(
            Frame(match["path"], int(match["lineno"]), match["name"], source, local_values or None, carets)
        )
    exception = lines[index:]
    if not frames or not exception:
        return None
    return frames, exception


def single_line_positions(frames: list[traceback.FrameSummary]) -> list[traceback.FrameSummary]:
    """``frames`` without the positions of expressions spanning several lines: Python marks
    their first line to its end, pytest marks none (and so does zenrun)."""
    for frame in frames:
        if frame.end_lineno is not None and frame.end_lineno != frame.lineno:
            frame.colno = frame.end_colno = None
    return frames


def _pytest_carets(line: str, source: str) -> str:
    """Python's position marks under a source line (``~~^~~``: the operands and the operator
    of a binary operation) as pytest draws them: ``^`` under the whole expression, and none
    when that is the whole line."""
    marks = line.rstrip().replace("~", "^")
    if marks.count("^") >= len(source):
        return ""
    return marks


def relpath(path: str) -> str:
    """``path`` relative to the invocation directory, as pytest shows locations."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if relative.startswith(os.pardir + os.sep) else relative


def location(text: str) -> str | None:
    """``path:lineno`` of the innermost frame of a traceback text, or None."""
    parsed = parse(text)
    if parsed is None:
        return None
    frame = parsed[0][-1]
    return f"{relpath(frame.path)}:{frame.lineno}"


def format_traceback(text: str, style: str) -> str:
    """``text`` (a standard traceback) in ``--tb`` style ``style``; other text unchanged.

    ``long``: each frame's function source up to the failing line, marked
    ``>``, the exception as ``E`` lines; ``short``: ``path:line: in name``
    and the source line per frame; ``auto``: long for the first and last
    frame, short between (as pytest); ``native``: Python's own format.
    """
    if text.startswith(NOTRACE_HEADER):  # fail(..., pytrace=False): the message, in every style
        parsed = parse(text)
        if parsed is not None:
            message = "\n".join(parsed[1])
            return message.removeprefix("Failed: ") + "\n"
    if style not in ("auto", "long", "short"):
        return text
    chain = split_chain(text)
    if len(chain) > 1:  # as pytest: each exception in the style, Python's message between
        return "".join(
            (
                _format_one(segment, style).rstrip("\n")
                if index == 0
                else _format_one(segment, style).strip("\n")
            )
            + (f"\n\n{message}\n\n" if message else "\n")
            for index, (segment, message) in enumerate(chain)
        )
    return _format_one(text, style)


def _format_one(text: str, style: str) -> str:
    parsed = parse(text)
    if parsed is None:
        return text
    frames, exception = parsed
    typename = exception[0].split(":", 1)[0].rsplit(".", 1)[-1]
    exception = _short_assertion(exception)
    styles = [
        "long" if style == "long" or (style == "auto" and index in (0, len(frames) - 1)) else "short"
        for index in range(len(frames))
    ]
    out: list[str] = []
    for index, frame in enumerate(frames):
        last = index == len(frames) - 1
        if index and (styles[index - 1] == "long" or styles[index] == "long"):
            out.append("_ " * 40)  # pytest's entry separator
        if styles[index] == "long":
            out.append("")
            out.extend(_long_entry(frame, exception if last else []))
            if frame.locals:  # as pytest's long style with -l
                out.append("")
                out.extend(_locals_lines(frame.locals, ""))
            out.append("")
            out.append(f"{relpath(frame.path)}:{frame.lineno}: {typename if last else ''}")
        else:
            out.append(f"{relpath(frame.path)}:{frame.lineno}: in {frame.name}")
            if frame.line:
                out.append(f"    {frame.line}")
                if frame.carets:
                    out.append(frame.carets)
            if last:
                out.extend(f"E   {line}" for line in exception)
            if frame.locals:  # as pytest's short style with -l
                out.extend(_locals_lines(frame.locals, "        "))
    return "\n".join(out) + "\n"


def _short_assertion(exception: list[str]) -> list[str]:
    """The ``E`` lines of a failed ``assert`` whose message is its explanation."""
    if exception and short_assertion("\n".join(exception)) != "\n".join(exception):
        return [exception[0][len(_ASSERTION_HEAD) :], *exception[1:]]
    return exception


_ASSERTION_HEAD = "AssertionError: "


def short_assertion(text: str) -> str:
    """``AssertionError: assert 0`` as pytest writes it, ``assert 0``: a failed ``assert``
    whose message is its explanation, without the exception's name. pytest's rule is that
    the error's repr starts with ``AssertionError('assert ``: a message with a single quote
    and no double quote is written with double quotes, and keeps its prefix."""
    if text.startswith(_ASSERTION_HEAD + "assert "):
        message = text[len(_ASSERTION_HEAD) :]
        if "'" not in message or '"' in message:
            return message
    return text


def _locals_lines(values: list[tuple[str, str]], indent: str) -> list[str]:
    """pytest's locals: ``name       = value`` (names padded to 10)."""
    return [
        f"{indent}{name:<10} = {value}" if len(name) < 10 else f"{indent}{name} = {value}"
        for name, value in values
    ]


def _long_entry(frame: Frame, exception: list[str]) -> list[str]:
    source = _function_source(frame)
    if not source:
        source = [frame.line or "???"]
    source = textwrap.dedent("\n".join(source)).splitlines()
    failing = source[-1]
    lines = [f"    {line}" if line.strip() else "" for line in source[:-1]]
    lines.append(f">   {failing}")
    if frame.carets and failing.strip() == frame.line:  # under the line, as in pytest's long style
        lines.append(" " * (len(failing) - len(failing.lstrip())) + frame.carets)
    indent = 3 + len(failing) - len(failing.lstrip())
    lines.extend(f"E{' ' * indent}{line}" for line in exception)
    return lines


def _function_source(frame: Frame) -> list[str]:
    """The lines of ``frame``'s function (decorators included) up to its failing line."""
    failing = linecache.getline(frame.path, frame.lineno).rstrip("\n")
    if not failing.strip() or (frame.line and failing.strip() != frame.line):
        return []  # not readable here, or changed since the step ran
    lines = [failing]
    if frame.name == "<module>":  # as pytest: a module's code is the module from its first line
        return [linecache.getline(frame.path, n).rstrip("\n") for n in range(1, frame.lineno + 1)]
    for lineno in range(frame.lineno - 1, max(frame.lineno - _MAX_CONTEXT, 0), -1):
        line = linecache.getline(frame.path, lineno).rstrip("\n")
        lines.insert(0, line)
        match = re.match(_DEF, line)
        if match and match["name"] == frame.name:
            while lineno > 1:  # the decorators belong to the function, as pytest shows it
                lineno -= 1
                above = linecache.getline(frame.path, lineno).rstrip("\n")
                if not above.lstrip().startswith("@"):
                    break
                lines.insert(0, above)
            return lines
    return [failing]


def _exception_repr(exc: BaseException) -> str:
    """How a ``repr`` that raised names its exception (pytest's ``_format_repr_exception``):
    ``NotImplementedError()``, the exception's own ``repr`` when that works."""
    try:
        return repr(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # that repr is broken too: its type, then its str or nothing
        try:
            return f'{type(exc).__name__}("{exc}")'
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as inner:
            return f"unpresentable exception ({type(inner).__name__})"


def saferepr(value: object, maxsize: int = 240) -> str:
    """``repr(value)`` cut to ``maxsize`` characters in its middle, never raising: a ``repr``
    that raises anything but an interrupt is named instead (as pytest's ``saferepr``)."""
    try:
        text = repr(value)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # as pytest: a BaseException of the user's too
        text = f"<[{_exception_repr(exc)} raised in repr()] {type(value).__name__} object at 0x{id(value):x}>"
    if len(text) > maxsize:
        half = max(0, (maxsize - 3) // 2)
        text = text[:half] + "..." + text[len(text) - (maxsize - 3 - half) :]
    return text
