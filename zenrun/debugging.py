"""The ``debugging`` plugin: the Python debugger in a step, as pytest's.

``--pdb`` opens a post-mortem debugger on a failing step (after its captured output and
traceback, with its frames), ``--trace`` stops at the first line of every step,
``--pdbcls=module:Class`` picks the debugger class, and ``breakpoint()``,
``pdb.set_trace()`` and :func:`set_trace` in a step stop there. While the debugger talks
to the user, the step's capture is set aside (``PDB set_trace (IO-capturing turned
off)``) and taken up again at ``continue``; ``quit`` (or the end of input) ends the session
(``Exit: Quitting debugger``). The hooks ``zenrun_enter_pdb`` / ``zenrun_leave_pdb`` are
called around it. Steps run elsewhere (``-n``, Dask) cannot be debugged from here:
``--pdb`` and ``--trace`` need the local orchestrator.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from zenrun import capture
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.logformat import color_captured_log
from zenrun.outcomes import Exit
from zenrun.outcomes import exit as exit_session
from zenrun.runner import set_post_mortem
from zenrun.tbstyle import format_traceback

if TYPE_CHECKING:
    from zenrun.config import Config
    from zenrun.config.argparsing import Parser

__all__ = ["set_trace"]

QUITTING = "Quitting debugger"


def _validate_usepdb_cls(value: str) -> tuple[str, str]:
    """``--pdbcls``'s ``module:Class`` (the class may be dotted: ``module:Outer.Inner``)."""
    try:
        modname, classname = value.split(":")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not in the format 'modname:classname'") from exc
    return modname, classname


def zenrun_addoption(parser: Parser) -> None:
    general = parser.getgroup("general")
    general.addoption(
        "--pdbcls",
        dest="usepdb_cls",
        metavar="modulename:classname",
        type=_validate_usepdb_cls,
        help="the debugger class --pdb, --trace and breakpoint() use (e.g. IPython.terminal.debugger:TerminalPdb)",
    )
    general.addoption(
        "--trace",
        dest="trace",
        action="store_true",
        default=False,
        help="start the Python debugger at the first line of every step (local orchestrator)",
    )


class Debugging:
    """The session's debugger settings, class-level as ``pdb.set_trace`` is process-wide
    (a session run inside another one saves and restores them)."""

    _config: Config | None = None
    _saved: list[tuple[Any, Any, Config | None]] = []
    _recursive_debug = 0
    _wrapped: tuple[Any, type[Any]] | None = None
    #: A post-mortem debugger was left with ``quit``: the session ends after the item.
    quit_requested = False
    #: The post-mortem debugger showed a failure (not repeated among the failures).
    shown = False
    #: The item running is marked xfail: its failure opens no post-mortem debugger.
    expecting_failure = False

    @classmethod
    def _write(cls, title: str = "") -> None:
        writer = cls._writer()
        if writer is None:
            print(f"{'>' * 20} {title} {'>' * 20}" if title else "", file=sys.stdout, flush=True)
        elif title:
            writer.sep(">", title)
        else:
            writer.line("")

    @classmethod
    def _line(cls, text: str) -> None:
        writer = cls._writer()
        if writer is None:
            print(text, file=sys.stdout, flush=True)
        else:
            writer.line(text)

    @classmethod
    def _writer(cls) -> Any:
        if cls._config is None:
            return None
        reporter = cls._config.pluginmanager.get_plugin("terminalreporter")
        return getattr(reporter, "tw", None)

    @classmethod
    def _pdb_class(cls) -> type[Any]:
        import pdb

        if cls._config is None:  # zenrun.set_trace() outside a session
            return pdb.Pdb
        usepdb_cls = cls._config.getoption("usepdb_cls", None)
        if cls._wrapped is not None and cls._wrapped[0] == usepdb_cls:
            return cls._wrapped[1]
        if usepdb_cls:
            modname, classname = usepdb_cls
            try:
                found: Any = importlib.import_module(modname)
                for part in classname.split("."):  # --pdbcls=pdb:pdb.Pdb (pdbpp)
                    found = getattr(found, part)
            except Exception as exc:
                raise UsageError(f"--pdbcls: could not import {':'.join(usepdb_cls)!r}: {exc}") from exc
            pdb_cls = found
        else:
            pdb_cls = pdb.Pdb
        wrapped = _wrapper_class(cls, pdb_cls)
        cls._wrapped = (usepdb_cls, wrapped)
        return wrapped

    @classmethod
    def init_pdb(cls, method: str, *args: Any, **kwargs: Any) -> Any:
        """A debugger for ``method`` (set_trace, runcall, post_mortem), this thread's capture
        set aside first; the ``zenrun_enter_pdb`` hooks are called with it."""
        suspended = capture.suspend()
        if cls._config is not None:
            cls._write()
            if cls._recursive_debug == 0:
                header = kwargs.pop("header", None)
                if header is not None:
                    cls._write(header)
                elif suspended is not None:
                    cls._write(f"PDB {method} (IO-capturing turned off)")
                else:
                    cls._write(f"PDB {method}")
        debugger = cls._pdb_class()(**kwargs)
        debugger._zenrun_capture = suspended
        if cls._config is not None:
            cls._config.hook.zenrun_enter_pdb(config=cls._config, pdb=debugger)
        return debugger


def _wrapper_class(state: type[Debugging], pdb_cls: type[Any]) -> type[Any]:
    """``pdb_cls`` taught zenrun's capture and hooks: ``continue`` takes the capture up
    again, ``quit`` ends the session; a recursive ``debug`` does neither."""

    class ZenrunPdbWrapper(pdb_cls):  # type: ignore[misc,valid-type]
        _zenrun_capture: Any = None
        _continued = False

        def do_debug(self, arg: str) -> Any:
            state._recursive_debug += 1
            try:
                return super().do_debug(arg)
            finally:
                state._recursive_debug -= 1

        if hasattr(pdb_cls, "do_debug"):
            do_debug.__doc__ = pdb_cls.do_debug.__doc__

        def do_continue(self, arg: str) -> Any:
            ret = super().do_continue(arg)
            if state._recursive_debug == 0:
                state._write()
                if self._zenrun_capture is not None:
                    state._write("PDB continue (IO-capturing resumed)")
                    capture.resume(self._zenrun_capture)
                else:
                    state._write("PDB continue")
            if state._config is not None:
                state._config.hook.zenrun_leave_pdb(config=state._config, pdb=self)
            self._continued = True
            return ret

        if hasattr(pdb_cls, "do_continue"):
            do_continue.__doc__ = pdb_cls.do_continue.__doc__
        do_c = do_cont = do_continue

        def do_quit(self, arg: str) -> Any:
            ret = super().do_quit(arg)
            if state._recursive_debug == 0:
                exit_session(QUITTING)
            return ret

        if hasattr(pdb_cls, "do_quit"):
            do_quit.__doc__ = pdb_cls.do_quit.__doc__
        do_q = do_exit = do_quit

        def setup(self, f: Any, tb: Any) -> Any:
            # A breakpoint reached after ``continue``: the capture set aside again.
            ret = super().setup(f, tb)
            if not ret and self._continued:
                self._zenrun_capture = capture.suspend() or self._zenrun_capture
            return ret

        def get_stack(self, f: Any, t: Any) -> Any:
            stack, i = super().get_stack(f, t)
            if f is None:  # the last frame that does not hide itself (__tracebackhide__)
                i = max(0, len(stack) - 1)
                while i and stack[i][0].f_locals.get("__tracebackhide__", False):
                    i -= 1
            return stack, i

    return ZenrunPdbWrapper


def set_trace(*args: Any, **kwargs: Any) -> None:
    """Stop in the Python debugger here, the step's output capture set aside until
    ``continue`` (as ``pytest.set_trace``; ``header=...`` replaces the banner). While a
    session runs, ``pdb.set_trace`` and ``breakpoint()`` are this function (unless
    ``PYTHONBREAKPOINT`` names another hook); other keywords go to the debugger class."""
    frame = sys._getframe().f_back
    debugger = Debugging.init_pdb("set_trace", *args, **kwargs)
    debugger.set_trace(frame)


@hookimpl
def zenrun_configure(config: Config) -> None:
    import pdb

    Debugging._saved.append((pdb.set_trace, sys.breakpointhook, Debugging._config))
    Debugging._config = config
    Debugging._wrapped = None
    Debugging.quit_requested = False
    pdb.set_trace = set_trace
    if os.environ.get("PYTHONBREAKPOINT", "") == "":  # the user's own hook wins
        sys.breakpointhook = set_trace
    if config.getoption("trace", False):
        config.pluginmanager.register(_Trace(), "zenrun-trace")
    if config.getoption("usepdb", False):  # from collection on: a module failing to import too

        def debug(exc: BaseException, result: Any) -> None:
            import bdb

            # As pytest: not for a failure the item expects (xfail), nor a debugger's own quit.
            if not Debugging.expecting_failure and not isinstance(exc, bdb.BdbQuit):
                post_mortem(config, exc, result)

        set_post_mortem(debug)
        config.add_cleanup(lambda: set_post_mortem(None))

    def restore() -> None:
        pdb.set_trace, sys.breakpointhook, Debugging._config = Debugging._saved.pop()
        Debugging._wrapped = None

    config.add_cleanup(restore)


class _Trace:
    """``--trace``: each step's function runs under the debugger, stopping at its first line."""

    @hookimpl(wrapper=True)
    def zenrun_step_call(self, call: Any) -> Generator[None, object, object]:
        function = call.function

        def traced(**kwargs: Any) -> Any:
            debugger = Debugging.init_pdb("runcall")
            try:
                return debugger.runcall(function, **kwargs)
            except BaseException as exc:
                # The step's traceback starts at the step function, not in bdb's runcall.
                tb = exc.__traceback__
                while tb is not None and tb.tb_frame.f_code is not getattr(function, "__code__", None):
                    tb = tb.tb_next
                if tb is not None:
                    exc.__traceback__ = tb
                raise

        call.function = traced
        return (yield)


def check_orchestrator(config: Config, orchestrator: Any) -> None:
    """``--pdb`` / ``--trace`` need the steps to run in this process: a usage error else."""
    if hasattr(orchestrator, "run_many"):
        option = "--pdb" if config.getoption("usepdb", False) else "--trace"
        raise UsageError(
            f"{option} needs an in-process orchestrator (local): the steps of "
            f"{getattr(orchestrator, 'name', orchestrator)!r} run elsewhere"
        )


def post_mortem(config: Config, exc: BaseException, result: Any) -> None:
    """The failing step's captured output and traceback (``result``: its ``error`` and
    ``captured``; an empty ``error``: none shown), then the debugger on its frames; ``quit``
    or the end of input ends the session after this pipeline's report."""
    error = getattr(result, "error", None)
    if error:  # (an internal error was shown already: the debugger alone, as pytest's)
        showcapture = config.getoption("showcapture", "all")
        Debugging._write()
        for name in ("stdout", "stderr", "log"):
            content = (getattr(result, "captured", None) or {}).get(name)
            if showcapture in (name, "all") and content:
                Debugging._write(f"captured {name}")
                writer = Debugging._writer()
                if name == "log":  # as a failure's
                    content = color_captured_log(content, config, writer)
                Debugging._line(content.rstrip("\n"))
        Debugging._write("traceback")
        Debugging._line(format_traceback(error, config.getoption("tbstyle", "auto") or "auto").rstrip("\n"))
        Debugging._write("entering PDB")
        Debugging.shown = True
    debugger = Debugging.init_pdb("post_mortem")
    debugger.reset()
    try:
        debugger.interaction(None, exc.__traceback__)
    except Exit:  # quit
        Debugging.quit_requested = True
    if getattr(debugger, "quitting", False):  # the end of input
        Debugging.quit_requested = True


def expect_failure(expected: bool) -> None:
    """Whether the item about to run is expected to fail (xfail): no post-mortem then."""
    Debugging.expecting_failure = expected


def take_quit_request() -> bool:
    """Whether the user quit a post-mortem debugger since the last call (the session ends)."""
    requested, Debugging.quit_requested = Debugging.quit_requested, False
    return requested


def take_shown() -> bool:
    """Whether the post-mortem debugger showed a failure since the last call (its report
    is not repeated among the failures)."""
    shown, Debugging.shown = Debugging.shown, False
    return shown
