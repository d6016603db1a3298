"""Configuration: the plugin manager, built-in plugins, options and rootdir."""

from __future__ import annotations

import contextvars
import errno
import importlib
import inspect
import logging
import os
import re
import shlex
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from zenrun import randomstate
from zenrun.artifacts.materializers import MaterializerRegistry
from zenrun.blame import OUR_DIRS, plugin_at_fault
from zenrun.cache import NullCache
from zenrun.capture import CaptureSettings, capturing, uninstall, unwrap
from zenrun.config.argparsing import (
    BOOL_WORDS,
    LIST_TYPES,
    NOTSET,
    TYPE_DEFAULTS,
    IniLiteral,
    Parser,
    ini_value_problem,
    read_ini_value,
)
from zenrun.config.entrypoints import EntryPoint, PluginDistribution, zenrun_entry_points
from zenrun.config.findpaths import determine_rootdir
from zenrun.config.requirements import check_minversion, check_required_plugins, installed_plugins
from zenrun.errors import ConftestImportFailure, ExitCode, PluginImportError, UsageError
from zenrun.outcomes import Skipped, from_pytest
from zenrun.outcomes import skip as skip_item
from zenrun.protocols import FACTORY_PROTOCOLS, ProtocolError, fill_defaults, missing_members
from zenrun.stash import Stash
from zenrun.tbstyle import exception_chain, format_traceback, single_line_positions
from zenrun.warnfilters import warnings_shown_to

if TYPE_CHECKING:
    import argparse
    import contextvars as _contextvars

    from zenrun.protocols import ArtifactStore, Cache, MetadataStore, Orchestrator

__all__ = ["Config", "ExitCode", "Parser", "UsageError", "api_config", "create_config"]


# Registered in this order; ``-p no:NAME`` blocks any but the essential ones.
ESSENTIAL_PLUGINS = {
    "main": "zenrun.main",
    "collect": "zenrun.collect",
    "fixtures": "zenrun.fixtures",
    "mark": "zenrun.marks",
    "runner": "zenrun.runner",
}
DEFAULT_PLUGINS = {
    "runconfig": "zenrun.runconfig",
    "local": "zenrun.orchestrators.local",
    "parallel": "zenrun.orchestrators.parallel",
    "fsspec": "zenrun.artifacts.fsspec_store",
    "artifacts": "zenrun.artifacts.store",
    "metadata": "zenrun.metadata.sqlite",
    "cache": "zenrun.cache",
    "datadeps": "zenrun.datacheck",
    "maintenance": "zenrun.maintenance",
    "storesync": "zenrun.storesync",
    "terminal": "zenrun.terminal",
    "results": "zenrun.results",
    "durations": "zenrun.durations",
    "progress": "zenrun.progress",
    "capture": "zenrun.capture",
    "capturefixtures": "zenrun.capturefixtures",
    "lastfailed": "zenrun.lastfailed",
    "skipping": "zenrun.skipping",
    "tmpdir": "zenrun.tmpdir",
    "monkeypatch": "zenrun.monkeypatch",
    "recwarn": "zenrun.recwarn",
    "logging": "zenrun.logcapture",
    "study": "zenrun.study",
    "junitxml": "zenrun.junitxml",
    "faulthandler": "zenrun.faulthandling",
    "debugging": "zenrun.debugging",
}
#: The plugins whose ``@fixture`` functions are built-in fixtures (seen by every item).
FIXTURE_PLUGINS = (
    "fixtures",
    "tmpdir",
    "monkeypatch",
    "recwarn",
    "logging",
    "capturefixtures",
    "lastfailed",
    "junitxml",
)
BUILTIN_PLUGINS = {**ESSENTIAL_PLUGINS, **DEFAULT_PLUGINS}

_NOTSET = object()
_T = TypeVar("_T")


#: pytest hooks whose job a zenrun hook of another name does (by the name a pytest plugin's
#: author writes after the ``zenrun_`` prefix), for the error naming an unknown hook.
_PYTEST_HOOKS = {
    "zenrun_runtest_logreport": "zenrun_item_report",
    "zenrun_runtest_makereport": "zenrun_item_report",
    "zenrun_runtest_logfinish": "zenrun_item_report",
    "zenrun_runtest_logstart": "zenrun_item_start",
    "zenrun_runtest_protocol": "zenrun_item_start",
    "zenrun_runtest_call": "zenrun_step_call",
    "zenrun_pycollect_makeitem": "zenrun_collect_file",
}
#: pytest hooks whose job no zenrun hook does: the error says so rather than suggest one.
_PYTEST_ONLY_HOOKS = frozenset(
    f"zenrun_{name}"
    for name in (
        "assertion_pass",
        "cmdline_parse",
        "collect_directory",
        "collection",
        "collectstart",
        "exception_interact",
        "fixture_post_finalizer",
        "fixture_setup",
        "itemcollected",
        "keyboard_interrupt",
        "make_collect_report",
        "plugin_registered",
        "pycollect_makemodule",
        "pyfunc_call",
        "report_from_serializable",
        "report_teststatus",
        "report_to_serializable",
        "runtestloop",
        "warning_recorded",
    )
)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, with pytest's ``-p`` semantics for names."""

    def __init__(self) -> None:
        super().__init__("zenrun")
        self.add_hookspecs(importlib.import_module("zenrun.hookspec"))
        # Historic: a plugin's zenrun_addhooks runs as it is registered (pytest_addhooks).
        self.hook.zenrun_addhooks.call_historic(kwargs=dict(pluginmanager=self))
        #: (entry point name, distribution) of each plugin loaded from an entry point.
        self.plugin_dists: list[tuple[str, PluginDistribution | None]] = []
        #: (name, reason) of each plugin module that skipped itself as it was imported
        #: (``zenrun.skip(..., allow_module_level=True)``): warned about, as pytest's.
        self.skipped_plugins: list[tuple[str, str]] = []
        #: Called with ``(plugin, name)`` for every plugin registered from now on (the
        #: fixture manager reads the fixtures a plugin defines, as pytest's).
        self.on_register: list[Callable[[object, str], None]] = []

    #: How many hook call monitors are on (``add_hookcall_monitoring``, ``enable_tracing``,
    #: the ``zenrunner`` fixture's :class:`~zenrun.testing.HookRecorder`): while one is, the
    #: per-step hooks go through pluggy too, for it to see them (else the implementations
    #: are called without pluggy's machinery, at a fraction of its cost). A monitor sees the
    #: calls of this process: ``zenrun_step_call`` of a step run in a worker (``-n``, Dask)
    #: happens there.
    monitors = 0

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Callable[[], None]:
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        undone = False

        def undo_monitoring() -> None:
            nonlocal undone
            undo()
            if not undone:
                undone = True
                self.monitors -= 1

        return undo_monitoring

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is not None:
            for callback in list(self.on_register):
                callback(plugin, registered)
        return registered

    def hasplugin(self, name: str) -> bool:
        """Whether a plugin is registered under ``name`` (pytest's ``hasplugin``)."""
        return bool(self.get_plugin(name))

    def getplugin(self, name: str) -> Any:
        """The plugin registered under ``name``, or None (pytest's ``getplugin``, pluggy's
        ``get_plugin``): ``getplugin("terminalreporter")`` is the terminal reporter."""
        return self.get_plugin(name)

    def register_checked(self, plugin: object, name: str, where: str | EntryPoint) -> None:
        """Register ``plugin``; a hook it implements wrongly (an argument the hook
        lacks, or a hook name zenrun does not have) is a usage error naming ``where``."""
        try:
            self.register(plugin, name)
            problem = self.unknown_hooks(plugin)
        except pluggy.PluginValidationError as exc:
            problem = str(exc)
        if problem:
            if self.is_registered(plugin):
                self.unregister(plugin)
            where = where.where if isinstance(where, EntryPoint) else where
            raise UsageError(f"plugin {name!r} ({where}) is invalid: {problem}\n{block_hint(name)}")

    def unknown_hooks(self, plugin: object) -> str | None:
        """Why ``plugin`` implements hooks zenrun does not have (with the likely
        intended names), or None."""
        unknown = sorted(
            caller.name
            for caller in self.get_hookcallers(plugin) or []
            if caller.spec is None
            and not any(  # optionalhook=True: allowed
                impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is plugin
            )
        )
        if not unknown:
            return None
        import difflib  # here: only a misnamed hook needs it, not every start-up

        known = [
            n for n in dir(self.hook) if n.startswith("zenrun_") and getattr(self.hook, n).spec is not None
        ]
        parts = []
        for name in unknown:
            if name in _PYTEST_HOOKS:  # a pytest plugin's habit: name the hook doing that job here
                pytest_name = "pytest_" + name.removeprefix("zenrun_")
                parts.append(f"{name!r} (pytest's {pytest_name} is {_PYTEST_HOOKS[name]} in zenrun)")
                continue
            if name in _PYTEST_ONLY_HOOKS:
                pytest_name = "pytest_" + name.removeprefix("zenrun_")
                parts.append(f"{name!r} (pytest's {pytest_name} has no counterpart in zenrun)")
                continue
            # Compared without the prefix all share: else any hook is "close" to any other.
            close = difflib.get_close_matches(
                name.removeprefix("zenrun_"), [n.removeprefix("zenrun_") for n in known], n=1, cutoff=0.75
            )
            parts.append(f"{name!r}" + (f" (did you mean 'zenrun_{close[0]}'?)" if close else ""))
        return (
            f"unknown hook {', '.join(parts)}; the hooks are listed in zenrun.hookspec (zenrun/hookspec.py)"
        )

    def load_entrypoint_plugins(self, name: str | None = None) -> int:
        """Register the plugins of the ``zenrun`` entry-point group (only ``name`` when given).

        A plugin that fails to import is one usage error naming the entry
        point and its distribution, and how to run without it.
        """
        loaded = 0
        for ep in zenrun_entry_points():
            if name is not None and ep.name != name:
                continue
            if self.is_blocked(ep.name) or self.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginImportError(
                    _plugin_import_error(
                        f"plugin {ep.name!r} failed to import: "
                        f"{type(exc).__name__}: {exc}\n  from the {ep.where}\n"
                        f"{block_hint(ep.name)}",
                        exc,
                    )
                ) from None
            if not self.is_registered(plugin):  # else: loaded already, with -p MODULE
                self.register_checked(plugin, ep.name, ep)
            self.plugin_dists.append((ep.name, ep.dist))
            loaded += 1
        return loaded

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        """Only ``zenrun_*`` attributes are looked at (reading others would evaluate
        properties such as the Config's stores); unmarked ``zenrun_*`` functions
        are hooks too, as unmarked ``pytest_*`` functions are in pytest."""
        if not name.startswith("zenrun_"):
            return None
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and inspect.isroutine(getattr(plugin, name, None)):
            opts = {}  # type: ignore[assignment]  # pluggy fills in the defaults
        return opts

    def parse_hookspec_opts(self, module_or_class: Any, name: str) -> pluggy.HookspecOpts | None:
        """As pytest's: an unmarked ``zenrun_*`` function of a hookspec module (one a plugin
        adds in ``zenrun_addhooks``) is a hook specification too."""
        opts = super().parse_hookspec_opts(module_or_class, name)
        if (
            opts is None
            and name.startswith("zenrun_")
            and inspect.isroutine(getattr(module_or_class, name, None))
        ):
            opts = {"firstresult": False, "historic": False, "warn_on_impl": None, "warn_on_impl_args": None}
        return opts

    def import_plugin(self, name: str, via: str | None = None, *, missing_ok: bool = False) -> bool:
        """Register the plugin ``name``: a built-in, an entry point or a module (``via``:
        where it was named, for errors; ``-p NAME`` by default). With ``missing_ok``, a
        module ``name`` not found on ``sys.path`` returns False instead of an error."""
        if self.is_blocked(name) or self.get_plugin(name) is not None:
            return True
        if name in BUILTIN_PLUGINS:
            self.register(importlib.import_module(BUILTIN_PLUGINS[name]), name)
            return True
        if self.load_entrypoint_plugins(name):
            return True
        where = via or f"-p {name}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if missing_ok and exc.name is not None and (name + ".").startswith(exc.name + "."):
                return False
            raise PluginImportError(
                _plugin_import_error(
                    f"plugin {name!r} ({where}) could not be imported: {type(exc).__name__}: {exc}", exc
                )
            ) from None
        except BaseException as exc:  # zenrun.skip() (or pytest's) at its top: warned, not loaded
            skipped = from_pytest(exc)
            if isinstance(skipped, Skipped):
                self.skipped_plugins.append((name, skipped.msg or ""))
                return True
            if not isinstance(exc, Exception):
                raise
            raise PluginImportError(
                _plugin_import_error(
                    f"plugin {name!r} ({where}) could not be imported: {type(exc).__name__}: {exc}", exc
                )
            ) from None
        if self.is_registered(module):  # an installed plugin named by its module: loaded already
            return True
        self.register_checked(module, name, where)
        return True

    def block(self, name: str) -> None:
        if name in ESSENTIAL_PLUGINS:
            raise UsageError(f"plugin {name!r} is essential and cannot be disabled")
        self.set_blocked(name)
        if name == "cache":
            self.set_blocked("zenrun.cache")
        if name == "cacheprovider":  # pytest's name of what `lastfailed` does here: a habit
            # of CI (``-p no:cacheprovider``: no --lf/--ff/--nf/--sw, no cache values written)
            self.set_blocked("lastfailed")


class Config:
    """Options, ``[tool.zenrun]`` values, rootdir and the plugin manager of a session.

    What plugins use: :meth:`getoption` and :meth:`getini` (values of the options and
    keys declared with ``parser.addoption`` / ``parser.addini``), :meth:`add_cleanup`
    (run when the session ends), ``rootpath`` and ``inipath`` (the rootdir and config
    file), ``stash`` (a plugin's storage for the session), ``hook`` and
    ``pluginmanager``, where the stores are: :attr:`store_path`,
    :attr:`store_url`, :attr:`store_location`, :attr:`artifact_store_url`, and the
    session's stores themselves: :attr:`metadata_store`, :attr:`cache`,
    :attr:`artifact_store`, :attr:`materializers`.
    """

    def __init__(
        self,
        pluginmanager: PluginManager,
        args: Sequence[str],
        rootdir: Path,
        inipath: Path | None,
        ini: dict[str, Any],
    ) -> None:
        self.pluginmanager = pluginmanager
        self.invocation_args = list(args)
        self.invocation_dir = Path.cwd()  # as pytest's invocation_params.dir: cwd at start-up
        self.rootpath = rootdir
        self.inipath = inipath
        self.ini = ini
        self.parser = Parser(processopt=self._processopt)
        #: The parsed command line (``getoption`` reads it); set once options are parsed.
        self.option: argparse.Namespace = None  # type: ignore[assignment]
        self._cleanup: list[Callable[[], object]] = []
        self.stash = Stash()
        #: The environment before conftests and fixtures changed it: what they change
        #: travels with each task to worker processes (see ``StepTask.environ``).
        self.startup_environ = dict(os.environ)
        #: The same as ``os.environ`` keeps it (encoded): each run compares it with the
        #: environment as it is in one step, and decodes the variables only when one changed.
        self.startup_environ_data: dict[Any, Any] | None = _encoded_environ()
        #: The global random generators' states before conftests and fixtures seeded
        #: them: what they seed, every step starts from (see ``zenrun.randomstate``).
        self.startup_random = randomstate.startup()

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.pluginmanager.hook

    # -- options -----------------------------------------------------------
    def _processopt(self, dest: str, default: Any) -> None:
        """An option added once the command line was parsed (by a plugin or conftest loaded
        during collection) reads as its default, as pytest's."""
        if self.option is not None and not hasattr(self.option, dest):
            setattr(self.option, dest, default)

    def getoption(self, name: str, default: object = _NOTSET, skip: bool = False) -> Any:
        """The value of option ``name`` (its dest, or a flag as ``--no-cache`` or ``-X``).

        As pytest's: ``default`` is returned when no such option is declared;
        ``skip=True`` skips the calling pipeline (or returns ``default``) when the
        option is not declared or its value is None.
        """
        # (a flag is looked up among the declared options; a dest, the usual case, is not:
        # getoption is asked once per step)
        dest = self.parser.dest_of(name) if name.startswith("-") else None
        dest = dest or name.lstrip("-").replace("-", "_")
        try:
            value = getattr(self.option, dest)
            if value is None and skip:
                raise AttributeError(dest)
            return value
        except AttributeError:
            if default is not _NOTSET:
                return default
            if skip:
                skip_item(f"no {name!r} option found")
            raise ValueError(f"no option named {name!r}") from None

    def getvalue(self, name: str) -> Any:
        """The value of option ``name``: pytest's older spelling of :meth:`getoption`, which
        older conftests use."""
        return self.getoption(name)

    def getvalueorskip(self, name: str) -> Any:
        """The value of option ``name``; the calling pipeline is skipped when it has none
        (pytest's ``config.getvalueorskip``)."""
        return self.getoption(name, skip=True)

    #: pytest's fine-grained verbosity of failing asserts' explanations (``verbosity_assertions``)
    VERBOSITY_ASSERTIONS = "assertions"

    def get_verbosity(self, verbosity_type: str | None = None) -> int:
        """The verbosity: ``-v`` adds one, ``-q`` takes one away, ``--verbosity N`` sets it.
        With a ``verbosity_type`` (:attr:`VERBOSITY_ASSERTIONS`), as pytest's: the
        ``verbosity_<type>`` key's level when it is declared and set to a number, else the
        session's (its default ``auto``)."""
        level = int(self.getoption("verbose", 0))
        if verbosity_type is None or f"verbosity_{verbosity_type}" not in self.parser.inis:
            return level
        value = self.getini(f"verbosity_{verbosity_type}")
        if value is None or str(value).strip() in ("", "auto"):
            return level
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UsageError(
                f"{self.inipath}: config option 'verbosity_{verbosity_type}' expects a whole number "
                f"or 'auto', got {value!r}"
            ) from None

    def getini(self, name: str) -> Any:
        """The ``[tool.zenrun]`` value ``name``, or its declared default."""
        declared = self.parser.inis.get(name)
        if name in self.ini:
            value = self.ini[name]
            kind = declared.type if declared else None
            if isinstance(kind, (tuple, IniLiteral)):  # a union or Literal type
                return read_ini_value(kind, value)
            if isinstance(value, str):  # as pytest reads a string of each type
                if kind == "linelist":  # one entry per line
                    value = [line.strip() for line in value.split("\n") if line.strip()]
                elif kind in ("paths", "pathlist", "args"):
                    value = shlex.split(value)
                elif kind == "bool":
                    value = BOOL_WORDS.get(value.strip().lower(), value)
                elif kind in ("int", "float"):  # checked when the run started: it parses
                    value = (int if kind == "int" else float)(value.strip())
            elif kind == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if kind in ("paths", "pathlist") and isinstance(value, list):
                # as pytest's: paths relative to the config file's directory
                base = self.inipath.parent if self.inipath is not None else self.rootpath
                value = [base / str(entry) for entry in value]
            return value
        if declared is None:
            raise ValueError(f"unknown configuration value {name!r}")
        if declared.default is NOTSET:  # no default given: the type's own, as pytest's
            return [] if declared.type in LIST_TYPES else TYPE_DEFAULTS.get(declared.type, "")
        return declared.default

    def addinivalue_line(self, name: str, line: str) -> None:
        """Append ``line`` to the list value ``name`` (e.g. register a mark in ``markers``)."""
        self.ini[name] = [*(self.getini(name) or []), line]

    def unknown_ini_keys(self) -> list[str]:
        """The ``[tool.zenrun]`` keys no plugin declares (a typo, or a plugin not installed)."""
        return sorted(key for key in self.ini if key not in self.parser.inis)

    def add_cleanup(self, func: Callable[[], object]) -> None:
        """Call ``func`` when the session ends (the last added first): close what you opened."""
        self._cleanup.append(func)

    def _configure_python_path(self) -> None:
        """``pythonpath``: directories put first on ``sys.path`` for the session (relative to
        the config file), before ``-p`` plugins not found elsewhere and the conftests are
        imported, as pytest's; removed when the session ends."""
        base = self.inipath.parent if self.inipath is not None else self.rootpath
        added = [str(base / path) for path in self.getini("pythonpath")]
        for path in reversed(added):
            sys.path.insert(0, path)

        def remove() -> None:
            for path in added:
                if path in sys.path:
                    sys.path.remove(path)

        self.add_cleanup(remove)

    def _ensure_unconfigure(self) -> None:
        try:
            self.hook.zenrun_unconfigure(config=self)
        finally:  # a plugin failing there leaves the stores to be closed all the same
            while self._cleanup:
                self._cleanup.pop()()

    # -- backends (made once, through the firstresult factory hooks) --------
    def _store_setting(self) -> tuple[str | None, str]:
        """The configured store and where it came from: ``--store``, ``ZENRUN_STORE`` or
        ``[tool.zenrun] store`` (a relative path there is relative to the rootdir)."""
        option = self.getoption("store", None)
        if option == "":  # ``--store=`` (an unset variable in a script): not the default store
            raise UsageError("--store needs a directory or a URL, not an empty value")
        if option:
            return str(option), "--store"
        env = os.environ.get("ZENRUN_STORE")
        if env:
            return env, "ZENRUN_STORE"
        ini = self.ini.get("store") if isinstance(self.ini, dict) else None
        if ini is not None and not (isinstance(ini, str) and ini):
            raise UsageError(
                f"{self.inipath or '[tool.zenrun]'}: store must be a directory or a URL, not {ini!r}"
            )
        if isinstance(ini, str) and ini:
            text = os.path.expandvars(os.path.expanduser(ini))
            if "://" not in text:  # a directory, relative to the config file
                base = self.inipath.parent if self.inipath is not None else self.rootpath
                text = os.path.abspath(base / text)
            return text, "store (config file)"
        return None, "the store"

    @cached_property
    def store_url(self) -> str | None:
        """The URL of a store kept by a plugin (``postgresql://...``), or None for the
        embedded SQLite store (a path or ``sqlite:///path``, the default).

        A plugin's ``zenrun_make_metadata_store`` and ``zenrun_make_cache`` answer
        for the URL schemes it knows (``zenrun_backend_names(kind="store")`` lists
        them); the URL may hold a password: show it only through :func:`redact_url`.
        """
        setting, _source = self._store_setting()
        if setting is None or "://" not in setting or setting.startswith(("sqlite://", "file://")):
            return None
        return setting

    @property
    def artifact_store_url(self) -> str | None:
        """Where artifacts go instead of ``<store>/artifacts``: ``--artifact-store``, else
        ``$ZENRUN_ARTIFACT_STORE``, else ``artifact_store`` of ``[tool.zenrun]``; None when
        none is set. zenrun opens fsspec URLs; a plugin claims other schemes by naming them
        in ``zenrun_backend_names(kind="artifact_store")`` and makes the store in
        ``zenrun_make_artifact_store``."""
        value = (
            self.getoption("artifact_store", None)
            or os.environ.get("ZENRUN_ARTIFACT_STORE")
            or self.ini.get("artifact_store")
        )
        return str(value) if value else None

    def claimed_artifact_store_url(self) -> bool:
        """Whether a plugin claims :attr:`artifact_store_url`'s scheme (see there)."""
        url = self.artifact_store_url
        return (
            url is not None
            and "://" in url
            and url.split("://", 1)[0] in self.backend_names("artifact_store")
        )

    @property
    def store_location(self) -> str:
        """The store for messages and the header: its path, or its URL with the password hidden."""
        return redact_url(self.store_url) if self.store_url else str(self.store_path)

    @cached_property
    def store_path(self) -> Path:
        """``--store``, else ``$ZENRUN_STORE``, else ``[tool.zenrun] store``, else ``.zenrun/``
        in the rootdir. With a plugin's store (:attr:`store_url`), the local directory for
        what stays on this machine (``.zenrun/`` in the rootdir)."""
        setting, source = self._store_setting()
        if setting is not None and self.store_url is None:
            # As SQLAlchemy reads them: sqlite:///rel/path is relative (to the current
            # directory), sqlite:////abs/path absolute; file:///abs/path is absolute.
            for prefix in ("sqlite:///", "sqlite://", "file://"):
                if setting.startswith(prefix):
                    setting = setting[len(prefix) :]
                    if not setting:
                        raise UsageError(f"{source} {prefix!s}: the URL names no path (sqlite:///PATH)")
                    break
            if setting.endswith(".db"):  # sqlite:///path/metadata.db names the database file
                setting = str(Path(setting).parent)
        try:
            path = (
                Path(setting).resolve() if setting and self.store_url is None else self.rootpath / ".zenrun"
            )
        except RuntimeError as exc:  # Path.resolve: "Symlink loop from ..."
            raise UsageError(f"{source} {setting}: a symbolic link loops back on itself ({exc})") from None
        _check_links(path, source)
        blocking = next((p for p in (path, *path.parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            raise UsageError(f"{source} {path}: {blocking} is a file, not a directory")
        return path

    @cached_property
    def artifact_store(self) -> ArtifactStore:
        """The session's :class:`~zenrun.protocols.ArtifactStore`, made by
        ``zenrun_make_artifact_store`` on first use (a misfit is a usage error)."""
        store: ArtifactStore = self._make("zenrun_make_artifact_store", "artifact store")
        return store

    @cached_property
    def metadata_store(self) -> MetadataStore:
        """The session's :class:`~zenrun.protocols.MetadataStore`, made by
        ``zenrun_make_metadata_store`` on first use: what a plugin's command
        (``zenrun_cmdline_main``) or report reads the recorded runs from."""
        store: MetadataStore = self._make("zenrun_make_metadata_store", "metadata store")
        return store

    @cached_property
    def cache(self) -> Cache:
        """The session's step :class:`~zenrun.protocols.Cache`, made by ``zenrun_make_cache``
        on first use (one that never hits when no plugin makes one)."""
        made = self.hook.zenrun_make_cache(config=self)
        if made is None:  # said once: else every step would just miss, saying the entry is gone
            logging.getLogger("zenrun").warning(
                "No installed plugin provides a cache for the store %s: nothing is taken from the "
                "cache or put in it, every step runs (a store plugin provides one with the "
                "zenrun_make_cache hook).",
                self.store_location,
            )
            return NullCache()
        cache: Cache = self._check(made, "zenrun_make_cache", "cache")
        return cache

    @cached_property
    def materializers(self) -> MaterializerRegistry:
        """The session's :class:`~zenrun.protocols.MaterializerRegistry`, filled by the
        ``zenrun_register_materializers`` hooks on first use."""
        registry = MaterializerRegistry()
        try:
            self.hook.zenrun_register_materializers(registry=registry)
        except ProtocolError as exc:  # a plugin's misfit materializer: nothing ran yet
            plugin = plugin_at_fault(self.pluginmanager, exc.__traceback__)
            raise UsageError(f"zenrun_register_materializers of plugin {plugin or '?'!r}: {exc}") from None
        return registry

    def make_orchestrator(self, name: str | None = None) -> Orchestrator:
        """The orchestrator called ``name`` (default: ``--orchestrator``, else ``local``), made
        by ``zenrun_make_orchestrator``; a usage error when no plugin makes it."""
        name = name or self.getoption("orchestrator", None) or "local"
        orchestrator = self.hook.zenrun_make_orchestrator(config=self, name=name)
        if orchestrator is None:
            raise UsageError(
                f"no orchestrator named {name!r}; available: "
                f"{', '.join(self.backend_names('orchestrator')) or 'none'} "
                "(is its plugin installed, or blocked with -p no:NAME?)"
            )
        checked: Orchestrator = self._check(
            orchestrator, "zenrun_make_orchestrator", f"orchestrator {name!r}"
        )
        return checked

    def backend_names(self, kind: str) -> list[str]:
        """The names plugins offer for ``kind`` (``"orchestrator"``, ...), from ``zenrun_backend_names``."""
        names: list[str] = []
        for result in reversed(self.hook.zenrun_backend_names(config=self, kind=kind)):  # registration order
            names.extend(n for n in result or [] if n not in names)
        return names

    def _make(self, hookname: str, what: str) -> Any:
        made = getattr(self.hook, hookname)(config=self)
        if made is None and self.store_url is not None and hookname == "zenrun_make_metadata_store":
            scheme = self.store_url.split("://", 1)[0]
            known = ", ".join(f"{name}://" for name in self.backend_names("store")) or "none"
            hint = " (pip install 'zenrun[postgres]')" if scheme.startswith("postgres") else ""
            raise UsageError(
                f"no plugin keeps a store at {redact_url(self.store_url)}: no store plugin "
                f"knows {scheme}://{hint}; store URLs known here: {known}"
            )
        if made is None:
            raise UsageError(f"no plugin provides the {what} ({hookname})")
        return self._check(made, hookname, what)

    def _check(self, made: _T, hookname: str, what: str) -> _T:
        """``made`` if it fits its protocol; else a usage error naming the plugin and
        the missing members (exit 4: the installation is wrong, nothing ran)."""
        protocol = FACTORY_PROTOCOLS[hookname]
        fill_defaults(made, protocol)
        missing = missing_members(made, protocol)
        if missing:
            kind = type(made)
            module = sys.modules.get(kind.__module__)
            plugin = self.pluginmanager.get_name(module) if module is not None else None
            source = f"plugin {plugin!r}" if plugin else f"module {kind.__module__}"
            raise UsageError(
                f"the {what} made by {hookname} in {source} ({kind.__module__}.{kind.__qualname__}) "
                f"is not a zenrun.protocols.{protocol.__name__}: it lacks "
                f"{', '.join(missing)}"
            )
        return made


def user_traceback(exc: BaseException, style: str = "short", *, internal: bool = False) -> str:
    """``exc``'s traceback without zenrun's and importlib's frames (all of them with
    ``internal``), as pytest reports a collection error: ``--tb`` style (``short`` for
    ``auto``: ``path:line: in name`` and the source line per frame, ``E   Error: message``);
    ``native``: Python's format. The exceptions it was raised from (``raise ... from``, or
    while handling) come first, with Python's line between them, as pytest shows a chain:
    the first is often the cause."""
    parts: list[str] = []
    any_frames = False
    for error, message in exception_chain(exc):
        frames = _user_frames(error, internal=internal)
        any_frames = any_frames or bool(frames)
        if frames:
            parts += ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
        parts += traceback.format_exception_only(type(error), error)
        if message is not None:
            parts.append(f"\n{message}\n\n")
    native = "".join(parts)
    if style in ("native", "no", "line") or not any_frames:
        return native
    return format_traceback(native, "long" if style == "long" else "short")


def _user_frames(error: BaseException, *, internal: bool = False) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback outside zenrun, pluggy and importlib (all of
    them with ``internal``)."""
    return single_line_positions(
        [
            f
            for f in traceback.extract_tb(error.__traceback__)
            if internal or (not f.filename.startswith(OUR_DIRS) and "importlib" not in f.filename)
        ]
    )


def raised_in_user_code(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) went through code outside
    zenrun, pluggy and importlib."""
    return any(_user_frames(error) for error, _ in exception_chain(exc))


def _plugin_import_error(headline: str, exc: BaseException) -> str:
    """``headline`` and, as pytest shows a plugin's import error (its issues #375 and
    #1998), where it was raised: the traceback of the plugin's own frames (none when
    only the import machinery ran: the module was not found)."""
    if not raised_in_user_code(exc):
        return headline
    return f"{headline}\n{user_traceback(exc).rstrip()}"


def _encoded_environ() -> dict[Any, Any] | None:
    """A copy of ``os.environ`` as it keeps the variables (encoded: CPython's ``_data``), or
    None where it keeps them otherwise."""
    data = getattr(os.environ, "_data", None)
    return dict(data) if isinstance(data, dict) else None


def redact_url(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` parameter) replaced
    by ``***``: what zenrun shows, logs or records of a store URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    tail = re.sub(r"(?i)(^|[?&])(password|sslpassword)=[^&]*", r"\1\2=***", tail)
    return f"{scheme}://{authority}{slash}{tail}"


def block_hint(name: str) -> str:
    """How to run without the plugin ``name``."""
    return (
        f"  run without it: zenrun -p no:{name} ..., or set ZENRUN_DISABLE_PLUGIN_AUTOLOAD=1 "
        "to load no installed plugin (then -p NAME loads the ones you want)"
    )


def _preparse_plugin_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """The names given with ``-p NAME`` / ``-pNAME``, split into load and block; as
    pytest's, a later ``-p NAME`` unblocks a ``-p no:NAME`` before it."""
    load: list[str] = []
    block: list[str] = []
    iterator = iter(args)
    for arg in iterator:
        name = None
        if arg == "-p":
            name = next(iterator, None)
        elif arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
            name = arg[2:]
        if name is None:
            continue
        name = name.strip()  # as pytest: -p " no:capture" (a quoted name with its space)
        if name.startswith("no:"):
            block.append(name.removeprefix("no:"))
        else:
            block = [blocked for blocked in block if blocked != name]
            load.append(name)
    return load, block


def create_config(
    args: Sequence[str],
    plugins: Sequence[object] = (),
    *,
    load_conftests: bool = True,
    strict_conftests: bool = True,
) -> Config:
    """Build a Config: register plugins, load conftests, parse ``args``.

    Order follows pytest: built-in plugins, ``-p`` names, entry points,
    explicitly passed ``plugins``, the conftest files above the paths being
    collected, then ``zenrun_addoption`` and argument parsing.
    """
    pm = PluginManager()
    try:
        return _build_config(pm, list(args), plugins, load_conftests, strict_conftests)
    except (UsageError, ConftestImportFailure):
        raise
    except Exception as exc:  # a plugin's import-time code, zenrun_addoption...: its fault, exit 3
        raise StartupError(pm, exc) from exc


class StartupError(Exception):
    """Plugin code raised while zenrun was starting (``zenrun_addoption``, ...).

    ``pluginmanager`` is the half-built session's, to name the plugin at fault;
    ``__cause__`` is the plugin's exception.
    """

    def __init__(self, pluginmanager: PluginManager, error: BaseException) -> None:
        super().__init__(f"a plugin failed while zenrun was starting: {type(error).__name__}: {error}")
        self.pluginmanager = pluginmanager


def _build_config(
    pm: PluginManager,
    args: list[str],
    plugins: Sequence[object],
    load_conftests: bool,
    strict_conftests: bool = True,
) -> Config:
    # As pytest: -p in $ZENRUN_ADDOPTS counts from the start, as on the command line.
    load, block = _preparse_plugin_args([*_environ_addopts(), *args])
    for name in block:
        pm.block(name)
    for name in BUILTIN_PLUGINS:
        pm.import_plugin(name)
    if not os.environ.get("ZENRUN_DISABLE_PLUGIN_AUTOLOAD"):
        pm.load_entrypoint_plugins()
    # A -p module not found yet may live in a ``pythonpath`` directory (as pytest's): it is
    # imported again once the config file's pythonpath is on sys.path.
    deferred = [name for name in load if not pm.import_plugin(name, missing_ok=True)]
    # $ZENRUN_PLUGINS: comma-separated plugins to load, as pytest's $PYTEST_PLUGINS.
    for name in filter(None, (n.strip() for n in os.environ.get("ZENRUN_PLUGINS", "").split(","))):
        pm.import_plugin(name, via="ZENRUN_PLUGINS")
    for plugin in plugins:
        if isinstance(plugin, str):
            pm.import_plugin(plugin)
        elif not pm.is_registered(plugin):  # loaded already ($ZENRUN_PLUGINS): not twice
            pm.register(plugin)

    config = Config(pm, args, Path.cwd(), None, {})
    pm.register(config, "zenrunconfig")
    pm.hook.zenrun_addoption.call_historic(kwargs=dict(parser=config.parser, pluginmanager=pm))
    # The rootdir comes from the path arguments only, not from option values
    # such as ``--store DIR`` or ``-k EXPR`` (as pytest's known-args pass).
    early = config.parser.parse_known(args)
    config.rootpath, config.inipath, config.ini = determine_rootdir(
        early.paths,
        rootdir_arg=getattr(early, "rootdir", None),
        inifile=getattr(early, "inifilename", None),
    )
    _override_ini(config, _overrides(early))
    if config.inipath is not None:  # shown under an error in the arguments, as pytest's
        config.parser.extra_info["inifile"] = str(config.inipath)
    config.parser.extra_info["rootdir"] = str(config.rootpath)
    # -p in the config file's addopts, known now: its plugins go (unregistered) or come
    # (their options added) before conftests load and the arguments are parsed.
    ini_load, ini_block = _preparse_plugin_args(_addopts(config.ini, config.inipath, environ=False))
    for name in ini_block:
        if name not in load:  # the command line's -p NAME wins
            pm.block(name)
    for name in ini_load:
        if name not in block:
            pm.import_plugin(name)
    config.stash["early_confcutdir"] = getattr(early, "confcutdir", None)
    config.stash["noconftest"] = bool(getattr(early, "noconftest", False))
    # The keys declared so far are read while the initial conftests load (pythonpath,
    # pipelinepaths): a wrong type is a usage error now, not a crash there.
    config.parser.check_ini(config.ini, config.inipath)
    if load_conftests:
        config._configure_python_path()
    for name in deferred:
        pm.import_plugin(name)
    if load_conftests:  # the collect plugin's: it owns conftest files
        if not strict_conftests:  # the Python API: a broken conftest is not fatal
            config.stash["lenient_conftests"] = True
        # Their warnings are shown in the session's summary, through its filters (as
        # pytest's "config" warnings): kept here, given again as the session collects.
        shown = config.stash.setdefault("initial_conftest_warnings", [])

        def keep(
            message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None
        ) -> None:
            # With the module that warned: a filter naming it (``ignore::DeprecationWarning:lib``)
            # matches when the warning is given again (warn_explicit guesses from the path).
            module = next(
                (n for n, m in list(sys.modules.items()) if getattr(m, "__file__", None) == filename), None
            )
            shown.append((warnings.WarningMessage(message, category, filename, lineno, file, line), module))

        try:
            with (
                _conftest_output_captured(strict_conftests and getattr(early, "capture", "fd") != "no"),
                warnings_shown_to(keep, lambda: warnings.simplefilter("always")),
            ):
                pm.hook.zenrun_load_initial_conftests(
                    early_config=config, parser=config.parser, args=early.paths
                )
        except ConftestImportFailure as exc:
            if not (getattr(early, "help", False) or getattr(early, "version", False)):
                raise
            # As pytest: -h / --version still work, with a warning at the end.
            config.stash.setdefault("help_warnings", []).append(
                f"could not load initial conftests: {exc.path}"
            )
    # As pytest: -h shows the help even when a conftest declares a required option.
    config.parser.ignore_required = bool(getattr(early, "help", False))
    config.option = _parse_arguments(config, args)
    _override_ini(config, _overrides(config.option))
    config.parser.check_ini(config.ini, config.inipath)
    check_minversion(config.getini("minversion"), config.inipath)
    check_required_plugins(config.getini("required_plugins"), installed_plugins(pm.plugin_dists))
    # (pluggy's check_pending, but for conftests: theirs are checked once collection is
    # done, as pytest's, since a plugin's zenrun_configure may add the hooks they implement)
    pending = [module for module, _ in config.stash.get("pending_hooks", [])]
    for name in [n for n in vars(pm.hook) if not n.startswith("_")]:
        caller = getattr(pm.hook, name)
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook and not any(impl.plugin is m for m in pending):
                raise UsageError(f"unknown hook {name!r} in plugin {impl.plugin!r}")
    return config


def _check_links(path: Path, source: str) -> None:
    """Raise :class:`UsageError` when ``path`` or a folder above it is a symbolic link that
    leads nowhere (its target missing, or a loop): the store cannot be made there."""
    for part in (path, *path.parents):
        if not part.is_symlink():
            continue
        try:
            part.stat()
        except OSError as exc:
            what = "loops back on itself" if exc.errno == errno.ELOOP else "points at nothing"
            where = f"{source} {path}" if part == path else f"{source} {path}: {part}"
            raise UsageError(
                f"{where} is a symbolic link to {os.readlink(part)} that {what}; "
                "point it at a folder, or remove it and zenrun makes the store there"
            ) from None


def _parse_arguments(config: Config, args: list[str]) -> argparse.Namespace:
    """``addopts``, ``$ZENRUN_ADDOPTS`` and the command line, parsed as pytest parses them.

    Each source of options is checked on its own first (an option at the end of
    ``addopts`` does not take the command line's first argument as its value). With
    ``-h`` / ``--help`` among them, unknown options do not stop the help; another error
    shows the options' help with a note, then the error.
    """
    ini_opts = _addopts(config.ini, config.inipath, environ=False)
    env_opts = _environ_addopts()
    everything = [*ini_opts, *env_opts, *args]
    try:
        for opts, source in ((ini_opts, "via addopts config"), (env_opts, "via ZENRUN_ADDOPTS")):
            if opts:
                config.parser.check_source(opts, source)
        return config.parser.parse(everything)
    except UsageError as exc:
        wants_help = any(arg in ("-h", "--help") for arg in everything)
        if not wants_help:
            raise
        if str(exc).startswith("unrecognized arguments"):
            return config.parser.parse_known(everything)
        sys.stdout.write(config.parser.format_help())
        sys.stdout.write("\nNOTE: displaying only minimal help due to UsageError.\n\n")
        raise


def _overrides(options: Any) -> list[str]:
    """The ``-o`` values, and ``strict=true`` for ``--strict`` (as pytest)."""
    strict = ["strict=true"] if getattr(options, "strict_mode", False) else []
    return [*strict, *(getattr(options, "override_ini", None) or [])]


def _override_ini(config: Config, overrides: Sequence[str] | None) -> None:
    """``-o NAME=VALUE``: ``[tool.zenrun]`` values given on the command line win."""
    for override in overrides or []:
        name, sep, value = override.partition("=")
        if not sep:
            raise UsageError(f"-o/--override-ini expects option=value style (got: {override!r}).")
        declared = config.parser.inis.get(name)
        kind = declared.type if declared else None
        parsed: Any = value
        if kind == "bool":
            lowered = value.strip().lower()
            if lowered not in BOOL_WORDS:
                raise UsageError(f"-o {name}: {value!r} is not a valid boolean")
            parsed = BOOL_WORDS[lowered]
        elif kind in ("int", "float"):
            try:
                parsed = (int if kind == "int" else float)(value)
            except ValueError:
                raise UsageError(
                    f"-o {name}: {value!r} is not {'an integer' if kind == 'int' else 'a number'}"
                ) from None
        elif isinstance(kind, (tuple, IniLiteral)) and (problem := ini_value_problem(kind, value)):
            raise UsageError(f"-o {name}: {value!r} is not {problem}")
        # A list's value stays the string: getini reads it as its type's (a line per entry).
        config.ini[name] = parsed


class _conftest_output_captured:
    """What conftests print while they are loaded at start-up is held back, as pytest
    captures it; shown only when loading fails. (Python-level capture through zenrun's
    stream proxies: a library that keeps ``sys.stderr`` keeps a proxy of the real one.)

    No handler of zenrun's is on the root logger meanwhile (the capture plugin puts it there
    as it is configured, as pytest's logging plugin): a conftest's ``logging.basicConfig()``
    configures logging, its handler writing to the ``sys.stderr`` proxy, so what it writes
    while a step runs is the step's captured stderr. A record logged meanwhile goes where
    logging sends it without handlers (warnings and errors to stderr: held back too)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self._installed_here = unwrap(sys.stdout) is sys.stdout and unwrap(sys.stderr) is sys.stderr
        self._context = capturing(CaptureSettings(logs=False) if self.enabled else None)
        self._capture = self._context.__enter__()

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self._context.__exit__(kind, exc, tb)
        if self._installed_here and self._capture is not None:
            uninstall()  # the capture plugin installs them again when it is configured
        if exc is not None and self._capture is not None:
            texts = self._capture.texts()
            sys.stdout.write(texts.get("stdout", ""))
            sys.stderr.write(texts.get("stderr", ""))


def _addopts(ini: dict[str, Any], source: object = "[tool.zenrun]", *, environ: bool = True) -> list[str]:
    """``addopts`` of ``[tool.zenrun]`` then ``$ZENRUN_ADDOPTS`` (unless not ``environ``), as
    pytest's ``addopts`` and ``PYTEST_ADDOPTS``: given before the command line's own arguments."""
    value = ini.get("addopts", "")
    if not isinstance(value, (str, list)):
        raise UsageError(f"{source}: addopts must be a string or a list of strings, not {value!r}")
    opts = _split_options(value, f"{source}: addopts") if isinstance(value, str) else [str(v) for v in value]
    return [*opts, *(_environ_addopts() if environ else [])]


def _environ_addopts() -> list[str]:
    return _split_options(os.environ.get("ZENRUN_ADDOPTS", ""), "ZENRUN_ADDOPTS")


def _split_options(text: str, source: str) -> list[str]:
    """``text`` split as a shell splits it; a usage error naming ``source`` when it cannot be."""
    try:
        return shlex.split(text)
    except ValueError as exc:  # e.g. no closing quotation
        raise UsageError(f"{source}: {exc}: {text}") from None


_api_configs: dict[tuple[str, str], Config] = {}


def api_config() -> Config:
    """The Config the Python API (``.run()``, ``get_pipeline``) uses.

    Built with no arguments from the current directory and cached per
    (directory, ``$ZENRUN_STORE``) so that repeated calls are cheap.
    """
    active = _active_config.get(None)
    if active is not None:
        return active
    key = (os.getcwd(), os.environ.get("ZENRUN_STORE", ""))
    config = _api_configs.get(key)
    if config is None:
        config = create_config([], strict_conftests=False)  # conftests of the cwd too: materializers, hooks
        config.stash["api"] = True
        config.hook.zenrun_configure.call_historic(kwargs=dict(config=config))
        _api_configs[key] = config
    return config


def api_configs() -> dict[tuple[str, str], Config]:
    """The configs :func:`api_config` made, by (directory, ``$ZENRUN_STORE``): tools that run
    zenrun in-process many times (``zenrun.testing``) drop the ones a run added."""
    return _api_configs


_active_config: contextvars.ContextVar[Config] = contextvars.ContextVar("zenrun_active_config")


def set_active_config(config: Config | None) -> _contextvars.Token[Config] | None:
    """Make ``config`` the one the Python API uses while a CLI session runs."""
    if config is None:
        return None
    return _active_config.set(config)


def reset_active_config(token: Any) -> None:
    """Undo :func:`set_active_config` (``token`` is what it returned; None: nothing to undo)."""
    if token is not None:
        _active_config.reset(token)


def hook_for(config: Any, directory: Path) -> Any:
    """``config.hook`` with only the conftests that apply in ``directory`` (and above), as
    pytest's ``gethookproxy``: a conftest's hooks apply to the paths below it. Which
    conftests are left out is decided at each call (more may have been loaded since)."""
    return HookProxy(config, directory)


class HookProxy:
    """``config.hook`` without the conftests that do not apply to a directory."""

    def __init__(self, config: Any, directory: Path) -> None:
        self._config = config
        self._directory = directory

    def __getattr__(self, name: str) -> Any:
        pm = self._config.pluginmanager
        directory = self._directory
        remove = [
            plugin
            for c in self._config.stash.get("conftests", set())
            if not (c.parent == directory or c.parent in directory.parents)
            for plugin in [pm.get_plugin(str(c))]
            if plugin is not None
        ]
        if not remove:
            return getattr(self._config.hook, name)
        return pm.subset_hook_caller(name, remove_plugins=remove)
