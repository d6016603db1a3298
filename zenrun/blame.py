"""Who is at fault: a step, a plugin, or zenrun itself.

A step's exception is the user's: its traceback is trimmed to user code.
Anything else raised while a session runs (an artifact store, a
materializer, an orchestrator, a reporter hook) is an internal error
(exit 3) of the plugin whose code raised it, shown with that code's frames.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import pluggy

#: Where zenrun's and pluggy's own code lives: frames there are left out of user tracebacks.
ZENRUN_DIR = str(Path(__file__).parent)
PLUGGY_DIR = str(Path(pluggy.__file__).parent)
#: Both, each with its separator, for ``str.startswith``: ``zenrun_mlflow/`` is not ``zenrun/``.
OUR_DIRS = (ZENRUN_DIR + os.sep, PLUGGY_DIR + os.sep)


def hidden_frame(frame: FrameType) -> bool:
    """A frame of a helper that asks to be left out of tracebacks, as pytest's convention:
    ``__tracebackhide__ = True`` among its locals (or its module's globals)."""
    try:
        hide = frame.f_locals.get("__tracebackhide__", frame.f_globals.get("__tracebackhide__", False))
        return not callable(hide) and bool(hide)  # (pytest's callable form is not followed)
    except Exception:  # a frame whose locals cannot be read: shown
        return False


class PluginFault(Exception):
    """Plugin code (not the step) raised while a step ran; ``who`` names it,
    ``module`` is where that code lives (to find its plugin in the driver)."""

    def __init__(self, who: str, exc: BaseException, module: str | None = None) -> None:
        super().__init__(who)
        self.who = who
        self.exc = exc
        self.module = module


def plugin_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` with every frame but pluggy's own."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(PLUGGY_DIR)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _plugin_modules(pm: Any) -> dict[str, str]:
    """Module name -> plugin name, for every registered non-builtin plugin."""
    modules: dict[str, str] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        module = plugin.__name__ if isinstance(plugin, type(sys)) else type(plugin).__module__
        if module.split(".")[0] == "zenrun":
            continue
        modules.setdefault(module, name)
    return modules


def plugin_of_module(pm: Any, module: str | None) -> str | None:
    """The registered plugin that ``module`` belongs to (itself or a package sibling)."""
    if not module:
        return None
    modules = _plugin_modules(pm)
    packages = {m.rsplit(".", 1)[0]: n for m, n in modules.items() if "." in m}
    return modules.get(module) or packages.get(module.rsplit(".", 1)[0]) or packages.get(module)


def plugin_at_fault(pm: Any, tb: TracebackType | None) -> str | None:
    """The registered plugin owning the innermost frame of ``tb`` that belongs to one.

    A frame belongs to a plugin when its module is the plugin's module or a
    sibling in the same package (``zenrun_dask.orchestrator`` for the plugin
    ``zenrun_dask.plugin``).
    """
    modules = _plugin_modules(pm)
    packages = {m.rsplit(".", 1)[0]: n for m, n in modules.items() if "." in m}
    found = None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        name = modules.get(module) or packages.get(module.rsplit(".", 1)[0]) or packages.get(module)
        if name is not None:
            found = name
        tb = tb.tb_next
    return found


def describe_fault(pm: Any, exc: BaseException, what: str) -> str:
    """``INTERNALERROR in plugin 'x' while <what>:`` and the plugin's frames."""
    if isinstance(exc, PluginFault):  # raised in the driver (inputs loaded there): blame its code
        plugin = plugin_of_module(pm, exc.module) or plugin_at_fault(pm, exc.exc.__traceback__)
        who = f"plugin {plugin!r} ({exc.who})" if plugin else exc.who
        return f"INTERNALERROR in {who} while {what}:\n{plugin_traceback(exc.exc)}"
    plugin = plugin_at_fault(pm, exc.__traceback__)
    who = f"plugin {plugin!r}" if plugin else "zenrun"
    return f"INTERNALERROR in {who} while {what}:\n{plugin_traceback(exc)}"
