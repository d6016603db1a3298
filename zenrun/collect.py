"""Collection: ``pipeline_*.py`` modules, the conftest chain, items and their ids.

Modules are imported as pytest's default ("prepend") import mode does: the
first directory above the file without an ``__init__.py`` goes first on
``sys.path`` and the module is imported by its dotted name from there, once.
Importing a module never runs a pipeline.
"""

from __future__ import annotations

import collections.abc
import contextlib
import fnmatch
import importlib
import importlib.util
import inspect
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from zenrun.assertion import AssertionSettings, explain
from zenrun.capture import capturing, section_title
from zenrun.config import BUILTIN_PLUGINS, FIXTURE_PLUGINS, hook_for, raised_in_user_code, user_traceback
from zenrun.deferred import dataclass
from zenrun.errors import ConftestImportFailure, UsageError, ZenrunConfigWarning, ZenrunWarning
from zenrun.fixtures import FixtureManager
from zenrun.hookspec import hookimpl
from zenrun.marks import Mark, MarkDecorator, get_marks, keyword_names, module_marks
from zenrun.marks import mark as mark_generator
from zenrun.outcomes import Exit, Failed, Skipped, from_pytest
from zenrun.pipelines import Pipeline, PipelineInstance, Runnable
from zenrun.reports import ERROR, SKIPPED, ItemReport, crash_message, format_warning, raised_at
from zenrun.sources import real_function
from zenrun.stash import Stash
from zenrun.warnfilters import apply_session_filters, warnings_shown_to
from zenrun.xunit import register_xunit_fixtures

if TYPE_CHECKING:
    from zenrun.compose import ComposedPipeline
    from zenrun.config import Config
    from zenrun.fixtures import SetupState
    from zenrun.metafunc import CallSpec


class CollectError(Exception):
    """A file could not be collected; the message says why (``crash``: the short summary's
    ``Type: message``, when an exception says it shortly, as pytest's)."""

    def __init__(self, message: str, crash: str | None = None, exc: BaseException | None = None) -> None:
        super().__init__(message)
        self.crash = crash
        #: The exception that made the module fail to import, when one did (``--pdb`` debugs it).
        self.exc = exc


@dataclass
class Item:
    """One runnable pipeline: a function with its parameters, or a module-level instance."""

    nodeid: str
    name: str
    module_path: Path
    target: Pipeline | Runnable  # a Pipeline (function) or a Runnable instance
    params: dict[str, Any] = field(default_factory=dict)  # from parametrize
    fixture_params: dict[str, tuple[int, Any]] = field(default_factory=dict)
    fixturenames: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    module: ModuleType | None = None
    param_scopes: dict[str, str] = field(default_factory=dict)  # parametrize(scope=) per name
    missing: list[str] = field(default_factory=list)  # fixtures not found: an error at setup
    callspec: CallSpec | None = None
    #: Prepared (fixtures, compose) only when a worker is free for it, after the items
    #: before it finished: a study's trials, sampled from the results so far.
    lazy: bool = False
    _keywords: NodeKeywords | None = field(default=None, repr=False, compare=False)
    collection_id: int = field(default=0, repr=False, compare=False)  # which collection of its file
    #: The session that collected it (``item.session``, ``item.config``).
    session: Any = field(default=None, repr=False, compare=False)
    #: ``(name, value)`` pairs a plugin or fixture records for reporting, as in pytest.
    user_properties: list[tuple[str, object]] = field(default_factory=list, repr=False, compare=False)
    #: A plugin's storage on this item (keys: :class:`~zenrun.StashKey` or strings), as pytest's.
    stash: Stash = field(default_factory=Stash, repr=False, compare=False)
    #: More names ``-k`` matches (``item.extra_keyword_matches.add("x")``), as in pytest.
    extra_keyword_matches: set[str] = field(default_factory=set, repr=False, compare=False)
    #: ``(when, key, content)`` sections :meth:`add_report_section` adds to its report.
    _report_sections: list[tuple[str, str, str]] = field(default_factory=list, repr=False, compare=False)

    @property
    def pipeline_name(self) -> str:
        return self.target.name

    # -- pytest's node API ---------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The pipeline module's file."""
        return self.module_path

    @property
    def config(self) -> Config | None:
        return getattr(self.session, "config", None)

    @property
    def ihook(self) -> Any:
        """The plugins' hooks (``item.ihook.zenrun_...``) with only the conftests that apply to
        the item's module, as pytest's: a conftest's hooks are about the paths below it."""
        config = self.config
        return None if config is None else hook_for(config, Path(self.path).parent)

    @property
    def function(self) -> Any:
        """The pipeline's function (a module-level pipeline instance: the instance)."""
        return getattr(self.target, "fn", self.target)

    obj = function

    @property
    def originalname(self) -> str:
        """The name without its parameter id: ``p`` for ``p[1-a]``."""
        return self.name.split("[", 1)[0]

    @property
    def own_markers(self) -> list[Mark]:
        return self.marks

    @property
    def location(self) -> tuple[str, int | None, str]:
        """``(file relative to the rootdir, 0-based line of the definition or None, name)``."""
        return self.nodeid.split("::", 1)[0], self.reportinfo()[1], self.name

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """``(module path, 0-based line of the pipeline's definition or None, name)``."""
        code = getattr(real_function(getattr(self.target, "fn", None)), "__code__", None)
        return self.module_path, (code.co_firstlineno - 1 if code is not None else None), self.name

    def iter_markers_with_node(self, name: str | None = None) -> Iterator[tuple[Item | Session, Mark]]:
        """``(node, mark)``: the item's own marks, then the session's (``session.add_marker``),
        as pytest's from the item up to the session."""
        for m in self.marks:
            if name is None or m.name == name:
                yield self, m
        session = self.session
        for m in getattr(session, "own_markers", ()):
            if name is None or m.name == name:
                yield session, m

    def listextrakeywords(self) -> set[str]:
        return set(self.extra_keyword_matches)

    def add_report_section(self, when: str, key: str, content: str) -> None:
        """Add a section (``Captured <key> <when>``) to this item's report, as in pytest."""
        if content:
            self._report_sections.append((when, key, content))

    def warn(self, warning: Warning) -> None:
        """Issue ``warning`` at the pipeline's definition (shown in the warnings summary)."""
        if not isinstance(warning, Warning):
            raise ValueError(f"warning must be an instance of Warning or subclass, got {warning!r}")
        _, line, _ = self.reportinfo()
        warnings.warn_explicit(warning, category=None, filename=str(self.module_path), lineno=(line or 0) + 1)

    @property
    def keywords(self) -> NodeKeywords:
        """Names ``-k`` matches, with the marks by name (as pytest's ``item.keywords``), and
        behind them the session's (its marks); a fixture may add entries
        (``request.keywords["x"] = ...``)."""
        if self._keywords is None:
            own: dict[str, Any] = dict.fromkeys(keyword_names(self, session_marks=False), True)
            if self.callspec is not None and self.callspec.idlist:  # pytest's: the parameter set's id
                own[self.callspec.id] = True
            own.update({m.name: m for m in self.marks})
            self._keywords = NodeKeywords(own, getattr(self.session, "keywords", None))
        return self._keywords

    def iter_markers(self, name: str | None = None) -> Iterator[Mark]:
        """The item's marks (:attr:`marks`: the function's, its parameter set's, its module's),
        then the session's, as pytest's from the item up."""
        return (m for _, m in self.iter_markers_with_node(name))

    def get_closest_marker(self, name: str, default: Mark | MarkDecorator | None = None) -> Mark | None:
        """The nearest mark called ``name`` (the pipeline's own first), else ``default`` (of a
        ``zenrun.mark.x(...)`` default its ``Mark``, as pytest's)."""
        if isinstance(default, MarkDecorator):
            default = default.mark
        return next(iter(self.iter_markers(name)), default)

    def add_marker(self, marker: str | Mark | MarkDecorator, append: bool = True) -> None:
        """Add a mark (``zenrun.mark.x`` or a name) to this item."""
        mark = _as_mark(marker)
        if append:
            self.marks.append(mark)
        else:
            self.marks.insert(0, mark)
        if self._keywords is not None:
            self._keywords[mark.name] = mark

    def compose(self, values: dict[str, Any], **kwargs: Any) -> ComposedPipeline:
        """Compose the pipeline with fixture values and parameters."""
        accepted = getattr(self.target, "argnames", None)
        params = {k: v for k, v in self.params.items() if accepted is None or k in accepted}
        return self.target.compose({**values, **params}, **kwargs)


def _as_mark(marker: str | Mark | MarkDecorator) -> Mark:
    """The mark ``add_marker`` is given: ``zenrun.mark.x``, a :class:`Mark` or a name."""
    if not isinstance(marker, (str, Mark, MarkDecorator)):
        raise ValueError(f"{marker!r} is not a string or a zenrun.mark.* mark")
    if isinstance(marker, MarkDecorator):
        return marker.mark
    if isinstance(marker, str):
        return getattr(mark_generator, marker).mark  # as pytest: an unknown name warns
    return marker


class NodeKeywords(collections.abc.MutableMapping[str, Any]):
    """An item's keywords: its own, then its session's (``session.add_marker``), as pytest's
    ``NodeKeywords`` looks in the parent node's. Setting or deleting a key changes the item's
    own."""

    def __init__(self, own: dict[str, Any], parent: Mapping[str, Any] | None) -> None:
        self._own = own
        self._parent = parent

    def __getitem__(self, key: str) -> Any:
        try:
            return self._own[key]
        except KeyError:
            if self._parent is None:
                raise
            return self._parent[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._own[key] = value

    def __delitem__(self, key: str) -> None:
        del self._own[key]

    def __contains__(self, key: object) -> bool:
        return key in self._own or (self._parent is not None and key in self._parent)

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        if self._parent is not None:
            yield from (k for k in self._parent if k not in self._own)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"<NodeKeywords {dict(self)!r}>"


def _tbstyle(config: Any) -> str:
    option = getattr(config, "option", None)
    if getattr(option, "fulltrace", False):  # as pytest: --fulltrace shows a collection error long
        return "long"
    return getattr(option, "tbstyle", "auto") or "auto"


def _internal_frames(config: Any) -> bool:
    """As pytest: under ``-vv`` an import error's traceback keeps zenrun's and importlib's
    frames (to debug an import going wrong in the machinery)."""
    option = getattr(config, "option", None)
    return (getattr(option, "verbose", 0) or 0) >= 2


def _same_file(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def import_path(path: Path, *, conftest: bool = False) -> ModuleType:
    """Import ``path`` as pytest's prepend mode would; returns the module.

    The path is not resolved: a symlinked module is imported under the link's
    name, from the link's directory (as pytest does).
    """
    path = Path(os.path.abspath(path))
    base, parts = path.parent, [path.stem]
    while (base / "__init__.py").exists() and base.name.isidentifier():  # as pytest's packages
        parts.insert(0, base.name)
        base = base.parent
    name = ".".join(parts)
    existing = sys.modules.get(name)
    existing_file = getattr(existing, "__file__", "") or ""
    if existing is not None and existing_file and Path(existing_file) == path:
        return existing
    if conftest and existing is not None and len(parts) == 1:
        del sys.modules[name]  # another directory's conftest.py: each has its own module
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    module_file = getattr(module, "__file__", "") or ""
    if not _same_file(module_file, path):
        # pytest's wording, line by line: the two paths on lines of their own read at a glance
        raise CollectError(
            "import file mismatch:\n"
            f"imported module {name!r} has this __file__ attribute:\n  {module_file}\n"
            f"which is not the same as the pipeline file we want to collect:\n  {path}\n"
            "HINT: remove __pycache__ / .pyc files and/or use a unique basename for your pipeline "
            "modules (or make their directories packages with __init__.py files)"
        )
    return module


@dataclass(frozen=True)
class CollectionArgument:
    """A path argument: ``path::name[params]`` split (as pytest's)."""

    path: Path
    parts: tuple[str, ...]
    parametrization: str | None
    original_index: int
    text: str


def search_pypath(module_name: str) -> str | None:
    """The file of the module, or the directory of the package, ``module_name`` names on
    ``sys.path`` (importing its parent packages, as Python finds it); None when it names
    none (``--pyargs`` then takes the argument as a path)."""
    try:
        spec = importlib.util.find_spec(module_name)
    # ValueError: not a module name ("."); ImportError: a parent that does not exist;
    # AttributeError: a parent that is a module ("t.py")
    except (AttributeError, ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not spec.submodule_search_locations:  # a module: its file
        return spec.origin
    if spec.origin is None:  # a namespace package: no one directory (as pytest's default)
        return None
    return os.path.dirname(spec.origin)  # a package: its directory


def resolve_collection_argument(
    invocation_path: Path, arg: str, index: int, *, as_pypath: bool = False
) -> CollectionArgument:
    """Split ``arg`` into its path (absolute, symlinks kept) and selection parts; a
    missing path, or selection parts on a directory, is a usage error. With ``as_pypath``
    (``--pyargs``), a module or package name (``pkg.mod::name``) stands for its file or
    directory."""
    base, squacket, rest = arg.partition("[")
    strpath, *parts = base.split("::")
    if squacket and not parts:
        raise UsageError(f"path cannot contain [] parametrization: {arg}")
    if as_pypath:
        strpath = search_pypath(strpath) or strpath
    path = Path(os.path.abspath(invocation_path / strpath))
    try:
        exists = path.exists()
    except OSError:  # e.g. a name too long for the file system
        exists = False
    if not exists:
        if as_pypath:
            raise UsageError(f"module or package not found: {arg} (missing __init__.py?)")
        raise UsageError(f"file or directory not found: {arg}")
    if parts and path.is_dir():
        kind = "package" if as_pypath else "directory"
        raise UsageError(f"{kind} argument cannot contain :: selection parts: {arg}")
    return CollectionArgument(path, tuple(parts), f"{squacket}{rest}" if squacket else None, index, arg)


def _subsumed_by(arg: CollectionArgument, by: CollectionArgument) -> bool:
    if by.path != arg.path:
        return not by.parts and arg.path.is_relative_to(by.path)
    if len(by.parts) > len(arg.parts) or arg.parts[: len(by.parts)] != by.parts:
        return False
    return by.parametrization is None or by.parametrization == arg.parametrization


def normalize_collection_arguments(args: list[CollectionArgument]) -> list[CollectionArgument]:
    """Arguments with duplicates and overlaps removed (the shorter prefix, or the earliest
    argument, is kept), in their original order."""
    kept: list[CollectionArgument] = []
    last = None
    for arg in sorted(args, key=lambda a: (a.path, a.parts, a.parametrization or "")):
        if last is None or not _subsumed_by(arg, last):
            kept.append(arg)
            last = arg
    return sorted(kept, key=lambda a: a.original_index)


def _in_venv(path: Path) -> bool:
    try:
        return (path / "pyvenv.cfg").is_file() or (path / "conda-meta" / "history").is_file()
    except OSError:
        return False


def fnmatch_ex(pattern: str, path: Path) -> bool:
    """pytest's ``fnmatch_ex``: a pattern without a separator matches the name, else the
    path (a relative pattern matches its end)."""
    name = path.name if os.sep not in pattern else str(path)
    if os.sep in pattern and not os.path.isabs(pattern):
        pattern = f"*{os.sep}{pattern}"
    return fnmatch.fnmatch(name, pattern)


#: pytest's warning under ``python -O``, where no ``assert`` runs (zenrun rewrites none).
_ASSERTS_OFF = "ASSERTIONS ARE NOT EXECUTED and FAILING PIPELINES WILL PASS.  Are you using python -O?"


def _config_warning_shown(config: Any, message: str) -> bool:
    """Whether a :class:`ZenrunConfigWarning` ``message`` passes the session's filters
    (``filterwarnings``, ``-W``): as pytest's config warnings, it can be silenced."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_session_filters(config)
        try:
            warnings.warn(ZenrunConfigWarning(message), stacklevel=1)
        except Warning:  # an "error" filter: shown all the more
            return True
    return bool(caught)


def asserts_off_warned(config: Any) -> str | None:
    """pytest's warning that no ``assert`` runs (``python -O``), as ``--help`` ends with it
    (``where: ZenrunConfigWarning: ...``), when Python runs optimized and the session's
    filters show it; else None. A run shows it in its warnings summary."""
    if not (sys.flags.optimize and _config_warning_shown(config, _ASSERTS_OFF)):
        return None
    return f"{config.inipath or config.rootpath}: ZenrunConfigWarning: {_ASSERTS_OFF}"


class Session:
    """Collects items from the path arguments, then runs them (see :mod:`zenrun.main`)."""

    # Set by the ``main`` plugin as the session runs (absent before).
    exitstatus: int
    setup_state: SetupState
    run_config_steps: dict[str, Any] | None
    interrupt: KeyboardInterrupt  # the Ctrl-C that stopped it
    _shouldstop: str | None
    _shouldfail: str | None

    @property
    def shouldstop(self) -> str | None:
        """Why the session is interrupted (exit 2; ``--sw``, Ctrl-C), or None."""
        return self._shouldstop

    @shouldstop.setter
    def shouldstop(self, value: str | None) -> None:
        self._shouldstop = self._sticky("shouldstop", self._shouldstop, value)

    @property
    def shouldfail(self) -> str | None:
        """Why the session stops after failures (``-x``, ``--maxfail``), or None."""
        return self._shouldfail

    @shouldfail.setter
    def shouldfail(self, value: str | None) -> None:
        self._shouldfail = self._sticky("shouldfail", self._shouldfail, value)

    @staticmethod
    def _sticky(name: str, old: str | None, new: str | None) -> str | None:
        """As pytest (#11706): once the session stops, a plugin cannot take it back (the
        items not run would be reported as passed); unsetting warns and is ignored."""
        if not new and old:
            warnings.warn(
                ZenrunWarning(f"session.{name} cannot be unset after it has been set; ignoring."),
                stacklevel=3,
            )
            return old
        return new

    def __init__(self, config: Config) -> None:
        self.config = config
        self.items: list[Item] = []
        self.deselected: list[Item] = []
        self.collection_errors: list[tuple[str, str]] = []
        #: The short summary's text of a collection error, by its path (``Failed: ...``).
        self.collection_crashes: dict[str, str] = {}
        self.warnings: list[str] = []
        self.fixturemanager: FixtureManager = fixture_manager(config)
        self.reports: list[ItemReport] = []
        self._shouldstop = None  # interrupted (exit 2): "Interrupted: <reason>"
        self._shouldfail = None  # -x / --maxfail reached (exit 1)
        self.collected_modules: list[Path] = []
        self.startpath = getattr(config, "invocation_dir", None) or Path.cwd()
        #: Directories a ``zenrun_collect_file`` hook skipped (``zenrun.skip()``): not collected further.
        self.skipped_dirs: set[Path] = set()
        #: Directories whose conftest failed to import or register: nothing below them is
        #: collected, whichever argument reaches them (the conftest is reported once).
        self.failed_conftest_dirs: set[Path] = set()
        #: Files every ``zenrun_collect_file`` passed over (not modules of pipelines).
        self.uncollected: set[Path] = set()
        self.exit_message: str | None = None  # zenrun.exit() ended the session: "Exit: <reason>"
        #: Reports a ``zenrun_item_report`` implementation raised on (its INTERNALERROR: exit 3).
        self.report_faults = 0
        self._initialpaths: frozenset[Path] = frozenset()
        self._initialpaths_with_parents: frozenset[Path] = frozenset()
        #: Marks added to the session (:meth:`add_marker`): every item's, after its own (as
        #: pytest's session, the node above every item).
        self.own_markers: list[Mark] = []
        #: The session's keywords (its marks by name), behind every item's ``keywords``.
        self.keywords: dict[str, Any] = {}
        for path, message in config.stash.pop("conftest_errors", []):
            self.add_collection_error(path, message)
            self.failed_conftest_dirs.add(path.parent)
        if asserts_off_warned(config):  # python -O: asserts pass
            self.warn(f"{config.inipath or config.rootpath}\n  ZenrunConfigWarning: {_ASSERTS_OFF}\n")
        for name, reason in getattr(config.pluginmanager, "skipped_plugins", ()):
            if _config_warning_shown(config, f"skipped plugin {name!r}: {reason}"):
                self.warn(f"{name}\n  ZenrunConfigWarning: skipped plugin {name!r}: {reason}\n")
        for key in config.unknown_ini_keys():  # as pytest: warned (an error with --strict-config)
            if _config_warning_shown(config, f"Unknown config option: {key}"):
                self.warn(f"{config.inipath}\n  ZenrunConfigWarning: Unknown config option: {key}\n")

    def add_collection_error(self, path: Path | str, message: str, crash: str | None = None) -> None:
        relpath = self.relpath(Path(path))
        self.collection_errors.append((relpath, message))
        if crash is not None:
            self.collection_crashes.setdefault(relpath, crash)
        # As pytest's failed collect report: plugins (and zenrunner's HookRecorder) see it.
        report = ItemReport(relpath, ERROR, longrepr=message, when="collect", crash=crash)
        self.config.hook.zenrun_collectreport(report=report)
        maxfail = 1 if self.config.getoption("exitfirst", False) else self.config.getoption("maxfail", 0)
        if maxfail and len(self.collection_errors) >= maxfail and self.shouldfail is None:
            self.shouldfail = f"stopping after {len(self.collection_errors)} failures"

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    # -- marks (pytest's node API: the session is the node above every item) -----------------
    def add_marker(self, marker: str | Mark | MarkDecorator, append: bool = True) -> None:
        """Add a mark (``zenrun.mark.x`` or a name) to the session: every item has it, after
        its own marks (``iter_markers()``, ``keywords``, ``-k``, ``-m``, skip and xfail), as
        pytest's ``session.add_marker``; one added in ``zenrun_collection_modifyitems`` is seen
        by ``-m`` and ``-k``."""
        mark = _as_mark(marker)
        self.keywords[mark.name] = mark
        if append:
            self.own_markers.append(mark)
        else:
            self.own_markers.insert(0, mark)

    def iter_markers(self, name: str | None = None) -> Iterator[Mark]:
        """The session's marks (all, or those called ``name``), in the order added."""
        return (m for m in self.own_markers if name is None or m.name == name)

    def iter_markers_with_node(self, name: str | None = None) -> Iterator[tuple[Session, Mark]]:
        """``(session, mark)`` for each of :meth:`iter_markers`, as pytest's."""
        return ((self, m) for m in self.iter_markers(name))

    def get_closest_marker(self, name: str, default: Mark | MarkDecorator | None = None) -> Mark | None:
        """The session's first mark called ``name``, else ``default`` (a ``zenrun.mark.x(...)``
        default as its ``Mark``)."""
        if isinstance(default, MarkDecorator):
            default = default.mark
        return next(self.iter_markers(name), default)

    def add_collect_skip(self, path: Path, exc: BaseException) -> None:
        """A module skipped while collected (``zenrun.skip(allow_module_level=True)``): a
        skipped report of its own, as pytest's skipped collect report."""
        report = ItemReport(
            self.relpath(path),
            SKIPPED,
            longrepr=getattr(exc, "msg", None) or str(exc) or "skipped",
            when="collect",
            location=raised_at(exc) or (str(path), None),
        )
        self.reports.append(report)
        self.config.hook.zenrun_collectreport(report=report)
        lf = self.config.pluginmanager.get_plugin("lfplugin")
        if lf is not None:
            lf.collected(report.nodeid, [])

    def relpath(self, path: Path) -> str:
        """``path`` relative to the rootdir, symlinks kept (as pytest's node ids)."""
        path = Path(os.path.abspath(path))
        for candidate in (path, path.resolve()):
            try:
                return candidate.relative_to(self.config.rootpath).as_posix()
            except ValueError:
                continue
        # Outside the rootdir: relative to the directory argument holding it (as pytest).
        for initial in sorted(self._initialpaths):
            if initial != path and initial in path.parents:
                return path.relative_to(initial).as_posix()
        return path.as_posix()

    def isinitpath(self, path: Path, *, with_parents: bool = False) -> bool:
        """Whether ``path`` was given as an argument (or, ``with_parents``, is above one)."""
        return path in (self._initialpaths_with_parents if with_parents else self._initialpaths)

    def gethookproxy(self, directory: Path) -> Any:
        """The hooks with only the conftests that apply in ``directory`` (and above)."""
        return hook_for(self.config, directory)

    # -- collection ---------------------------------------------------------------
    def _arguments(self) -> list[str]:
        args = list(self.config.getoption("paths"))
        if args:
            return args
        configured = self.config.getini("pipelinepaths")
        if configured and self.startpath.resolve() == self.config.rootpath.resolve():
            if self.config.getoption("pyargs", False):  # as pytest: module names, not globs
                return list(configured)
            found = expand_paths(self.config.rootpath, configured)
            if found:
                return found
            self.warn(
                "No files were found in pipelinepaths; consider removing or adjusting your "
                "pipelinepaths configuration. Searching recursively from the current directory instead."
            )
        return [str(self.startpath)]

    def collect(self) -> list[Item]:
        with _warnings_recorded(self):  # the initial conftests' warnings, through the filters
            for w, module in self.config.stash.pop("initial_conftest_warnings", []):
                try:
                    warnings.warn_explicit(
                        w.message, w.category, w.filename, w.lineno, module, source=w.source
                    )
                except Warning as exc:  # an error filter: the conftest's error (pytest: at import)
                    self.add_collection_error(Path(w.filename), f"E   {type(exc).__name__}: {exc}")
        while True:  # each bad dynamic scope is a collection error of its conftest
            try:
                self.fixturemanager.resolve_dynamic_scopes()
                break
            except ValueError as exc:
                self.add_collection_error(self.config.rootpath / "conftest.py", str(exc))
        cwd = self.startpath  # arguments are relative to where zenrun started (a conftest may chdir)
        pyargs = bool(self.config.getoption("pyargs", False))
        args = [
            resolve_collection_argument(cwd, a, i, as_pypath=pyargs) for i, a in enumerate(self._arguments())
        ]
        if not self.config.getoption("keepduplicates", False):
            args = normalize_collection_arguments(args)
        self._initialpaths = frozenset(a.path for a in args)
        self._initialpaths_with_parents = frozenset(
            [*self._initialpaths, *(p for a in args for p in a.path.parents)]
        )
        lf = self.config.pluginmanager.get_plugin("lfplugin")
        if lf is not None:
            order = lf.sort_paths([a.path for a in args])
            args = sorted(args, key=lambda a: order.index(a.path))
        notfound = []
        failed_files: set[Path] = set()
        # As pytest's collection cache: a file reached again through a directory is the same
        # module node (--keep-duplicates lists its items under one <Module> in --co); a file
        # named on the command line is collected as a node of its own.
        module_nodes: dict[Path, int] = {}
        for arg in args:
            if self.shouldfail:
                break
            files = self._walk(arg.path) if arg.path.is_dir() else iter([arg.path])
            matched = not arg.parts
            for file_path in files:
                if self.shouldfail:
                    break
                if lf is not None and lf.skip_file(file_path):
                    continue
                if file_path in failed_files or not self.skipped_dirs.isdisjoint(file_path.parents):
                    continue
                items = self._collect_file(file_path)
                if items is None:
                    failed_files.add(file_path)
                    # reported as a collection error; a pipeline named in it is still not
                    # found (a usage error, as pytest's)
                    matched = matched or not arg.parts
                    continue
                if items and file_path in module_nodes and arg.path.is_dir():
                    for item in items:
                        item.collection_id = module_nodes[file_path]
                elif items:
                    module_nodes.setdefault(file_path, items[0].collection_id)
                if lf is not None:
                    items = lf.filter_items(file_path, items, self.isinitpath(file_path))
                    # after the filter, as pytest's collect report: a module that had failed
                    # to collect records as failed the items --lf runs of it, not all of them
                    lf.collected(self.relpath(file_path), items)
                if arg.parts:
                    items = [i for i in items if _matches(i, arg)]
                elif file_path == arg.path and file_path in self.uncollected:
                    matched = False  # as pytest: a file no collector takes is not found
                matched = matched or bool(items)
                self.items.extend(items)
            if not matched:
                notfound.append(arg)
        if notfound:  # as pytest: one error (an ``ERROR:`` line) per argument
            raise UsageError(
                *(
                    f"not found: {arg.text}\n(no pipeline named {'::'.join(arg.parts)!r} in "
                    f"{self.relpath(arg.path)}; see zenrun --collect-only)"
                    if arg.parts
                    else f"not found: {arg.text}\n(no collector takes {self.relpath(arg.path)}: "
                    "not a pipeline module)"
                    for arg in notfound
                )
            )
        self._check_pending_hooks()
        self.items[:] = reorder_items(self.items)
        try:
            with _warnings_recorded(self):  # as pytest, those of the hooks too (an unknown mark)
                self.config.hook.zenrun_collection_modifyitems(
                    session=self, config=self.config, items=self.items
                )
        finally:  # as pytest: reported even when a hook raised
            self.config.hook.zenrun_collection_finish(session=self)
        return self.items

    def _check_pending_hooks(self) -> None:
        """pytest's ``check_pending``: a conftest implementing a hook that still has no
        specification is unregistered, and a collection error (the same kind as a hook
        with wrong arguments)."""
        for module, path in self.config.stash.pop("pending_hooks", []):
            unknown = self.config.pluginmanager.unknown_hooks(module)
            if unknown and self.config.pluginmanager.is_registered(module):
                self.config.pluginmanager.unregister(module)
                _conftest_registration_error(self.config, self, path, ValueError(unknown))

    def _walk(self, directory: Path) -> Iterator[Path]:
        """The module files under ``directory``, files and directories sorted together by
        name (as pytest); symlinked directories are followed, broken symlinks left out."""
        errors_before = len(self.collection_errors)
        with capturing(self.config.stash.get("capture")) as capture, _warnings_recorded(self):
            load_conftests(self.config, directory, self)
        self._attach_output(errors_before, capture)
        if len(self.collection_errors) > errors_before or self._left_out([directory, *directory.parents]):
            # As pytest: a conftest that fails to import fails its directory's collection;
            # nothing below it is collected (with --continue-on-collection-errors too),
            # rather than run without the fixtures and hooks it defines; one that skips
            # skips it.
            return
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        lf = self.config.pluginmanager.get_plugin("lfplugin")
        paths = [Path(e.path) for e in entries]
        if lf is not None:
            paths = lf.sort_paths(paths)
        hook = self.gethookproxy(directory)
        patterns = self.config.getini("python_files")
        for path in paths:
            try:
                is_dir, is_file = path.is_dir(), path.is_file()
            except OSError:
                continue
            try:
                ignored = not self.isinitpath(path, with_parents=is_dir) and hook.zenrun_ignore_collect(
                    collection_path=path, config=self.config
                )
            except Skipped as exc:  # as pytest: the hook runs while the directory is collected,
                # so its skip skips the directory (once: the rest of it is not collected)
                self.skipped_dirs.add(directory)
                self.add_collect_skip(directory, exc)
                return
            if ignored:
                continue
            if is_dir:
                yield from self._walk(path)
            # As pytest, every file goes to zenrun_collect_file (a plugin may collect it);
            # with only zenrun's own implementation, only pipeline modules need to.
            elif is_file and (
                self.isinitpath(path)
                or any(fnmatch_ex(p, path) for p in patterns)
                or self._other_collectors()
            ):
                yield path

    def _left_out(self, directories: Iterable[Path]) -> bool:
        """Whether one of ``directories`` was skipped, or has a conftest that failed."""
        return not (
            self.skipped_dirs.isdisjoint(directories) and self.failed_conftest_dirs.isdisjoint(directories)
        )

    def _other_collectors(self) -> bool:
        """Whether a plugin besides zenrun's collect module implements zenrun_collect_file."""
        own = sys.modules[__name__]
        return any(impl.plugin is not own for impl in self.config.hook.zenrun_collect_file.get_hookimpls())

    def _collect_file(self, path: Path) -> list[Item] | None:
        """The items of the module ``path``; None when it failed to collect."""
        # As pytest: what importing a module prints is captured, and shown only with the
        # collection error it belongs to; its warnings go to the warnings summary.
        errors_before = len(self.collection_errors)
        with capturing(self.config.stash.get("capture")) as capture, _warnings_recorded(self):
            load_conftests(self.config, path.parent, self)
            if len(self.collection_errors) > errors_before or self._left_out(
                path.parents
            ):  # its conftest failed, or skipped its directory
                results: list[Any] = []
                error: CollectError | None = None
            else:
                try:
                    hook = self.gethookproxy(path.parent)
                    results = hook.zenrun_collect_file(file_path=path, session=self)
                except CollectError as exc:
                    error = exc
                except Failed as exc:  # a plugin's zenrun.fail(message), as in a pytest collector
                    error = CollectError(
                        f"error while collecting {self.relpath(path)}:\n{exc}", _failed_crash(exc)
                    )
                except Skipped as exc:  # as pytest: a collector's skip skips the directory it
                    # collects (once: its other files and subdirectories are not collected); a
                    # file given on the command line is collected alone, and skipped alone
                    skipped = path if self.isinitpath(path) else path.parent
                    self.skipped_dirs.add(skipped)
                    self.add_collect_skip(skipped, exc)
                    results, error = [], None
                except (Exit, KeyboardInterrupt, SystemExit, UsageError):
                    raise
                except Exception as exc:  # a collector's error: this file's collection error (as pytest)
                    error = CollectError(
                        f"error while collecting {self.relpath(path)}:\n{user_traceback(exc, _tbstyle(self.config))}",
                        crash_message(exc),
                    )
                else:
                    error = None
        sections = self._attach_output(errors_before, capture)
        if error is not None:
            self.add_collection_error(path, "\n\n".join([str(error).rstrip(), *sections]), error.crash)
            if error.exc is not None:  # --pdb: the debugger in the module that failed to import
                from zenrun.runner import post_mortem

                post_mortem(error.exc, str(error), capture.texts() if capture is not None else {})
            return None
        if len(self.collection_errors) > errors_before:
            return None
        if not results and self.skipped_dirs.isdisjoint([path, *path.parents]):
            self.uncollected.add(path)  # no collector took it: named alone, it is not found
        self.collected_modules.append(path)
        items = [item for items in results for item in items]
        for item in items:
            if item.session is None:  # a plugin's Item: collected by this session (as from_parent)
                item.session = self
        # A file given twice with --keep-duplicates is two modules in --co; without it, one
        # module holds the pipelines every argument naming it selects (as pytest, #723).
        if self.config.getoption("keepduplicates", False):
            self._collections = getattr(self, "_collections", 0) + 1
            for item in items:
                item.collection_id = self._collections
        return items

    def _attach_output(self, errors_before: int, capture: Any) -> list[str]:
        """What was printed while collecting, as sections; added to the first new
        collection error if there is one (then none are returned)."""
        sections = [
            f"{section_title(stream, 'collect')}\n{text.rstrip()}"
            for stream, text in (capture.texts() if capture else {}).items()
        ]
        if sections and len(self.collection_errors) > errors_before:  # a conftest's error
            conftest, message = self.collection_errors[errors_before]
            self.collection_errors[errors_before] = (conftest, "\n\n".join([message.rstrip(), *sections]))
            return []
        return sections


def _matches(item: Item, arg: CollectionArgument) -> bool:
    """Whether ``item`` is what ``path::name[params]`` selects (all parametrizations
    of ``name`` when no ``[params]`` are given)."""
    if len(arg.parts) != 1:
        return False
    if arg.parametrization is not None:
        return item.name == arg.parts[0] + arg.parametrization
    return item.name.split("[")[0] == arg.parts[0]


@contextlib.contextmanager
def _warnings_recorded(session: Session) -> Iterator[None]:
    """Warnings shown while the block runs go to the session's warnings summary, through
    the session's filters (as pytest: ``-W error`` makes one a collection error); the
    filters the block's modules set on import are kept (:func:`warnings_shown_to`)."""

    def record(
        message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        shown = warnings.WarningMessage(message, category, filename, lineno, file, line)
        session.warn(f"{session.relpath(Path(filename))}:{lineno}\n{format_warning(shown)}")

    with warnings_shown_to(record, lambda: apply_session_filters(session.config)):
        yield


# ---------------------------------------------------------------------------
# conftest.py files
# ---------------------------------------------------------------------------


def confcutdir(config: Any) -> Path | None:
    """``--confcutdir``, else the config file's directory, else the rootdir: conftests
    in the directories above it are not loaded."""
    given = config.getoption("confcutdir", None) if config.option is not None else None
    if given is None:
        given = config.stash.get("early_confcutdir")
    if given:
        return Path(os.path.abspath(given))
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _conftest_dirs(config: Any, directory: Path) -> list[Path]:
    directory = Path(os.path.abspath(directory))
    cut = confcutdir(config)
    chain = [d for d in (directory, *directory.parents) if cut is None or d not in cut.parents]
    return list(reversed(chain))


def fixture_manager(config: Any) -> FixtureManager:
    """The config's fixture manager, made on first use with the built-in fixtures (of the
    plugins in ``FIXTURE_PLUGINS`` not blocked with ``-p no:NAME``) below every conftest,
    and, as pytest's, the fixtures of every other plugin: installed, ``-p`` modules and
    objects registered later (conftests' own are parsed where they apply)."""
    manager = config.stash.get("fixturemanager")
    if manager is None:
        manager = config.stash["fixturemanager"] = FixtureManager(config)
        anchor = Path(config.rootpath.anchor)
        for name in FIXTURE_PLUGINS:
            plugin = config.pluginmanager.get_plugin(name)
            if plugin is not None:
                manager.parse(plugin, anchor, everywhere=True)

        def parse_plugin(plugin: object, name: str) -> None:
            if _serves_fixtures(plugin, name):
                manager.parse(plugin, anchor, everywhere=True)

        for name, plugin in config.pluginmanager.list_name_plugin():
            parse_plugin(plugin, name)
        config.pluginmanager.on_register.append(parse_plugin)
    return manager  # type: ignore[no-any-return]


def _serves_fixtures(plugin: object, name: str) -> bool:
    """Whether the fixtures ``plugin`` defines serve every item: not zenrun's own parts (the
    built-in fixtures are parsed first) nor a conftest (its fixtures serve the items below it)."""
    if name in BUILTIN_PLUGINS or not hasattr(plugin, "__dict__"):  # (its attributes are read)
        return False
    module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
    if module == "zenrun" or module.startswith("zenrun."):
        return False
    return not (
        isinstance(plugin, ModuleType) and Path(getattr(plugin, "__file__", "") or "").name == "conftest.py"
    )


def load_conftests(config: Any, directory: Path, session: Session | None = None) -> None:
    """Import and register the ``conftest.py`` files from the confcutdir down to ``directory``."""
    if config.stash.get("noconftest"):
        return
    loaded: set[Path] = config.stash.setdefault("conftests", set())
    manager = fixture_manager(config)
    for folder in _conftest_dirs(config, directory):
        path = folder / "conftest.py"
        try:
            if path in loaded or not path.is_file():
                continue
        except OSError:
            continue
        loaded.add(path)
        try:
            module = import_path(path, conftest=True)
        except Exception as exc:
            message = user_traceback(exc, _tbstyle(config))
            if session is not None:
                session.add_collection_error(path, message)
                session.failed_conftest_dirs.add(folder)
                from zenrun.runner import post_mortem  # --pdb: the debugger in the conftest

                post_mortem(exc, message, {})
            elif config.stash.get("lenient_conftests"):
                config.stash.setdefault("conftest_errors", []).append((path, message))
            else:
                raise ConftestImportFailure(path, exc, user_traceback(exc)) from exc
            continue
        except BaseException as raised:  # zenrun.skip(allow_module_level=True) in a conftest
            outcome = from_pytest(raised)
            if not isinstance(outcome, Skipped) or session is None:
                raise
            # As pytest: the conftest's skip skips its directory (``importorskip("torch")``
            # in a conftest leaves out the pipelines below it), reported once, at its line.
            session.skipped_dirs.add(folder)
            session.add_collect_skip(folder, outcome)
            continue
        try:
            config.pluginmanager.register(module, name=str(path))
        except Exception as exc:  # pluggy.PluginValidationError: a hook with wrong arguments
            _conftest_registration_error(config, session, path, exc)
            continue
        if (
            vars(module).get("zenrun_plugins")
            and session is not None
            and not config.getoption("pyargs", False)
        ):
            # As pytest: plugins named by a conftest met while collecting would apply to the
            # whole session (what was collected before too), not to the folder below it.
            # (Not under --pyargs, as pytest: the package's conftests are met only then.)
            session.add_collection_error(path, _non_top_level_plugins(path, config))
        else:
            import_required_plugins(config, manager, module, via=f"zenrun_plugins of {path}")
        # As pytest: a hook zenrun does not have is an error once collection is done (a
        # plugin's zenrun_configure may add the specs of the hooks it implements).
        if config.pluginmanager.unknown_hooks(module):
            config.stash.setdefault("pending_hooks", []).append((module, path))
        # As pytest: a conftest in or above the rootdir serves every item, also items
        # collected from outside the rootdir.
        root = config.rootpath
        manager.parse(module, folder, everywhere=folder == root or folder in root.parents)


def import_required_plugins(
    config: Any, manager: FixtureManager, module: ModuleType, via: str | None = None
) -> None:
    """Import and register the plugins a conftest or pipeline module names in
    ``zenrun_plugins`` (pytest's ``pytest_plugins``); a :class:`UsageError` if one fails."""
    # (its own variable: not a module ``__getattr__``, which may raise for any name)
    named = vars(module).get("zenrun_plugins", [])
    if isinstance(named, ModuleType):  # as pytest: a module of that name imported, not a list
        named = []
    elif isinstance(named, str):  # as pytest: one name, or several separated by commas
        named = [name.strip() for name in named.split(",") if name.strip()]
    elif not isinstance(named, collections.abc.Sequence):
        raise UsageError(
            "zenrun_plugins may be a sequence or a ','-separated string of plugin names"
            f"{f' ({via})' if via else ''}; got: {named!r}"
        )
    for plugin in named:
        config.pluginmanager.import_plugin(plugin, via=via)
        plugin_module = config.pluginmanager.get_plugin(plugin)
        if plugin_module is not None:  # its fixtures are visible everywhere, below conftests
            manager.parse(plugin_module, Path(config.rootpath.anchor))


def _conftest_registration_error(config: Any, session: Session | None, path: Path, exc: Exception) -> None:
    """A conftest that cannot be a plugin (a hook with wrong arguments, its
    ``zenrun_addoption`` or ``zenrun_addhooks`` raising): a collection error of a conftest
    met while collecting; of an initial conftest, as pytest fails at start-up, a usage
    error (kept until the session starts for the Python API, which is lenient)."""
    where = user_traceback(exc) if raised_in_user_code(exc) else str(exc)
    message = f"error while registering conftest as a plugin:\n{where.rstrip()}"
    if session is not None:
        session.add_collection_error(path, message)
        session.failed_conftest_dirs.add(path.parent)
    elif config.stash.get("lenient_conftests"):
        config.stash.setdefault("conftest_errors", []).append((path, message))
    else:
        raise UsageError(f"{path}: {message}") from None


def _non_top_level_plugins(path: Path, config: Any) -> str:
    """pytest's message for ``pytest_plugins`` in a conftest below the initial ones."""
    return (
        "Defining 'zenrun_plugins' in a non-top-level conftest is no longer supported:\n"
        "It affects the entire session instead of just below the conftest as expected.\n"
        f"  {path}\n"
        f"Please move it to a top level conftest file at the rootdir:\n  {config.rootpath}"
    )


def expand_paths(root: Path, patterns: list[str]) -> list[str]:
    """``pipelinepaths`` entries relative to ``root``, globs expanded (as pytest's
    ``testpaths``)."""
    import glob

    found: list[str] = []
    for pattern in patterns:
        found.extend(sorted(glob.iglob(str(root / str(pattern)), recursive=True)))
    return found


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # e.g. an option's long value taken for a path
        return False


@hookimpl
def zenrun_load_initial_conftests(early_config: Any, args: list[str]) -> None:
    load_initial_conftests(early_config, args)


def load_initial_conftests(config: Any, paths: list[str]) -> None:
    """The conftests above the path arguments (or the ``pipelinepaths`` when none is
    given), and in their ``test*`` / ``pipeline*`` sub-directories, before the options are
    parsed (they may add some). A failure is a :class:`ConftestImportFailure`."""
    cwd = getattr(config, "invocation_dir", None) or Path.cwd()
    targets = [t for t in (Path(os.path.abspath(cwd / p.split("::")[0])) for p in paths) if _exists(t)]
    if not paths:
        configured = config.ini.get("pipelinepaths") or []
        if isinstance(configured, str):
            configured = configured.split()
        if cwd.resolve() == config.rootpath.resolve():
            targets = [Path(p) for p in expand_paths(config.rootpath, configured)]
    # As pytest: when no argument is an existing path (e.g. it is the value of an
    # option a conftest adds, ``--tag blue``), the conftests of the cwd are loaded.
    for target in targets or [cwd]:
        load_conftests(config, target if target.is_dir() else target.parent)
        if target.is_dir():
            for sub in sorted([*target.glob("test*"), *target.glob("pipeline*")]):
                if sub.is_dir():
                    load_conftests(config, sub)


# ---------------------------------------------------------------------------
# Items of a pipeline module
# ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.addini("pipelinepaths", "directories to collect when no path is given", type="args", default=[])
    parser.addini("python_files", "glob patterns of pipeline modules", type="args", default=["pipeline_*.py"])
    parser.addini(
        "usefixtures",
        "fixtures every pipeline uses (as zenrun.mark.usefixtures)",
        type="args",
        default=[],
    )


def conftest_pathlist(config: Any, name: str, directory: Path) -> list[Path]:
    """The paths a conftest variable (``collect_ignore``) names, from the conftests that
    apply in ``directory``, each relative to its conftest's directory."""
    result: list[Path] = []
    for conftest in sorted(config.stash.get("conftests", set())):
        if not (conftest.parent == directory or conftest.parent in directory.parents):
            continue
        module = config.pluginmanager.get_plugin(str(conftest))
        entries = getattr(module, name, None)
        if entries is None:
            continue
        if isinstance(entries, (str, os.PathLike)):
            entries = [entries]
        result.extend(
            Path(os.path.abspath(conftest.parent / (os.fspath(e) if isinstance(e, os.PathLike) else str(e))))
            for e in entries
        )
    return result


@hookimpl(trylast=True)
def zenrun_ignore_collect(collection_path: Path, config: Any) -> bool | None:
    """pytest's rules: ``__pycache__``, ``collect_ignore`` / ``collect_ignore_glob`` of the
    conftests, ``--ignore`` / ``--ignore-glob``, virtual environments, ``norecursedirs``."""
    if collection_path.name == "__pycache__":
        return True
    cwd = getattr(config, "invocation_dir", None) or Path.cwd()
    ignore_paths = conftest_pathlist(config, "collect_ignore", collection_path.parent)
    ignore_paths += [Path(os.path.abspath(cwd / p)) for p in config.getoption("ignore", None) or []]
    if collection_path in ignore_paths:
        return True
    globs = [str(g) for g in conftest_pathlist(config, "collect_ignore_glob", collection_path.parent)]
    globs += [os.path.abspath(cwd / g) for g in config.getoption("ignore_glob", None) or []]
    if any(fnmatch.fnmatch(str(collection_path), g) for g in globs):
        return True
    if not config.getoption("collect_in_virtualenv", False) and _in_venv(collection_path):
        return True
    if collection_path.is_dir():
        patterns = config.getini("norecursedirs")
        if any(fnmatch_ex(pattern, collection_path) for pattern in patterns):
            return True
    return None


@hookimpl(trylast=True)
def zenrun_collect_file(file_path: Path, session: Session) -> list[Item] | None:
    if file_path.suffix != ".py":
        return None
    patterns = session.config.getini("python_files")
    # as pytest's: a pattern with a separator matches the path's end (``tests/**.py``)
    if not session.isinitpath(file_path) and not any(fnmatch_ex(p, file_path) for p in patterns):
        return None
    try:
        module = import_path(file_path)
    except CollectError:
        raise
    except BaseException as raised:
        if isinstance(raised, (KeyboardInterrupt, SystemExit)):  # as pytest: they end the session
            raise
        exc = from_pytest(raised)  # pytest.skip(allow_module_level=True) as zenrun's

        if isinstance(exc, Exit):
            raise
        if isinstance(exc, Skipped):
            if exc.allow_module_level:  # zenrun.skip(..., allow_module_level=True): the module is skipped
                session.add_collect_skip(file_path, exc)
                return []
            raise CollectError(
                "Using zenrun.skip outside of a pipeline will skip the entire module. If that's "
                "your intention, pass `allow_module_level=True`. If you want to skip a specific "
                "pipeline, use the @zenrun.mark.skip or @zenrun.mark.skipif decorators."
            ) from None
        if isinstance(exc, Failed) and not exc.pytrace:  # zenrun.fail(..., pytrace=False): the message
            raise CollectError(exc.msg or "") from None
        config = session.config
        # a module-level assert that failed: what it compared, as in a step
        explain(
            exc, settings=AssertionSettings(config.get_verbosity(), config.getoption("assertmode") == "plain")
        )
        style = _tbstyle(config)
        if isinstance(exc, ImportError):  # as pytest: the import error with a hint
            raise CollectError(
                f"ImportError while importing pipeline module '{file_path}'.\n"
                "Hint: make sure your pipeline modules/packages have valid Python names.\n"
                f"Traceback:\n{user_traceback(exc, style, internal=_internal_frames(session.config))}",
                exc=exc,
            ) from None
        # a chain's first exception comes first in the report: the summary names the last, as pytest
        chained = exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__)
        raise CollectError(user_traceback(exc, style), crash_message(exc) if chained else None, exc) from None
    file_path = Path(os.path.abspath(file_path))
    try:  # as pytest: a module's plugins, a failure to import one is the module's error
        import_required_plugins(
            session.config, session.fixturemanager, module, via=f"zenrun_plugins of {file_path}"
        )
    except UsageError as exc:
        raise CollectError(str(exc)) from None
    try:
        # as pytest: the xunit functions first, so they run before the module's autouse fixtures
        register_xunit_fixtures(session.fixturemanager, module, file_path)
        session.fixturemanager.parse(module, file_path)
    except ValueError as exc:  # a dynamic scope returned an unknown scope name
        raise CollectError(f"error while collecting {session.relpath(file_path)}:\n{exc}") from None
    return module_items(module, file_path, session)


def module_items(module: ModuleType, path: Path, session: Session) -> list[Item]:
    """The items of an imported pipeline module; misuse is a :class:`CollectError`."""
    try:
        items = _module_items(module, path, session)
    except CollectError:
        raise
    except Exception as exc:  # parametrize misuse, a raising ids callable, a module __getattr__
        if isinstance(exc, UsageError):
            raise

        plain = isinstance(exc, Failed) and not exc.pytrace
        detail = str(exc) if plain else user_traceback(exc, _tbstyle(session.config))
        raise CollectError(
            f"error while collecting {session.relpath(path)}:\n{detail}",
            _failed_crash(exc) if plain else None,
        ) from None
    except BaseException as raised:
        outcome = from_pytest(raised)
        if isinstance(outcome, Failed):
            raise CollectError(
                f"error while collecting {session.relpath(path)}:\n{outcome}", _failed_crash(outcome)
            ) from None
        if isinstance(outcome, Skipped):
            session.warn(f"{session.relpath(path)}: skipped: {outcome}")
            return []
        raise
    return items


def _failed_crash(exc: BaseException) -> str:
    """``Failed: <first line>``: what pytest's short summary says of a collection error raised
    with ``fail(..., pytrace=False)`` (a parametrize misuse, an unregistered mark)."""
    lines = str(exc).strip().splitlines()
    return f"Failed: {lines[0] if lines else ''}"


def _is(obj: Any, kind: type) -> bool:
    try:
        return isinstance(obj, kind)
    except Exception:  # a proxy whose __class__ raises
        return False


def _wrapped_pipeline(obj: Any) -> Pipeline | None:
    """The pipeline a decorator applied above ``@pipeline`` wraps (``__wrapped__``), if any."""
    seen = 0
    while seen < 20:
        try:
            obj = obj.__dict__.get("__wrapped__") if hasattr(obj, "__dict__") else None
        except Exception:  # an object whose __dict__ raises (a lazy proxy)
            return None
        if obj is None:
            return None
        if isinstance(obj, Pipeline):
            return obj
        seen += 1
    return None


def _module_items(module: ModuleType, path: Path, session: Session) -> list[Item]:
    relpath = session.relpath(path)
    manager = session.fixturemanager
    items: list[Item] = []
    if vars(module).get("__test__", True) is False:  # as pytest: a module saying it holds none
        return items
    members = list(vars(module).items())
    instanced = {id(obj.pipeline) for _, obj in members if _is(obj, PipelineInstance)}
    shared_marks = module_marks(vars(module))
    for attr, obj in members:
        try:  # as pytest: an object whose __class__ raises (a lazy proxy) is not a pipeline
            is_pipeline, is_runnable = isinstance(obj, Pipeline), isinstance(obj, Runnable)
            if (is_pipeline or is_runnable) and False in (  # as pytest: ``p.__test__ = False``
                getattr(obj, "__test__", True),
                getattr(getattr(obj, "fn", None), "__test__", True),  # (or on its function)
            ):
                continue
        except Exception:
            continue
        if not (is_pipeline or is_runnable) and callable(obj) and not attr.startswith("_"):
            inner = _wrapped_pipeline(obj)
            if inner is not None and inner.fn.__module__ == module.__name__:  # else it vanished unsaid
                session.warn(
                    f"{relpath}::{attr}\n  pipeline {inner.name!r} is wrapped by a decorator above "
                    "@pipeline, so it is not collected: put @pipeline outermost\n"
                )
        if is_pipeline and obj.fn.__module__ == module.__name__:
            items.extend(
                _function_items(
                    obj,
                    module,
                    path,
                    relpath,
                    session,
                    id(obj) in instanced,
                    shared_marks,
                    # As pytest: named after the module attribute (the function's name, except
                    # when a decorator returned another function, ``p = pipeline(dec(p))`` with
                    # ``dec`` returning a lambda: ``p``, not ``<lambda>``; or an alias ``q = p``),
                    # as a module-level instance is named after its variable.
                    attr,
                )
            )
        elif is_runnable and not attr.startswith("_"):
            marks = get_marks(obj.pipeline) if isinstance(obj, PipelineInstance) else []
            marks = [m for m in marks if m.name != "parametrize"] + shared_marks
            unbound = (
                [
                    n
                    for n in getattr(getattr(obj, "pipeline", None), "argnames", [])
                    if n not in obj.kwargs and n not in obj.pipeline.defaults
                ]
                if isinstance(obj, PipelineInstance)
                else []
            )
            used = [n for m in marks if m.name == "usefixtures" for n in m.args]
            fixturenames, missing = manager.closure([*manager.autouse(path), *used, *unbound], path)
            items.append(
                Item(
                    f"{relpath}::{attr}",
                    attr,
                    path,
                    obj,
                    fixturenames=fixturenames,
                    marks=marks,
                    module=module,
                    missing=missing,
                    session=session,
                )
            )
    return items


def _generate_tests_hook(session: Session, module: ModuleType, path: Path) -> Any:
    """``zenrun_generate_tests`` of the plugins, of the conftests above ``path`` only, and of the
    module itself."""
    pm = session.config.pluginmanager
    loaded = session.config.stash.get("conftests", set())
    others = [
        pm.get_plugin(str(c)) for c in loaded if not (path.parent == c.parent or c.parent in path.parents)
    ]
    caller = pm.subset_hook_caller("zenrun_generate_tests", [p for p in others if p is not None])
    own = vars(module).get("zenrun_generate_tests")
    return caller, own if callable(own) else None


def _function_items(
    pipeline: Pipeline,
    module: ModuleType,
    path: Path,
    relpath: str,
    session: Session,
    has_instance: bool,
    shared_marks: list[Mark],
    base: str,
) -> list[Item]:
    # Here: metafunc imports pydantic (through steps), which `zenrun --help` does not need.
    from zenrun.metafunc import Metafunc

    if inspect.isgeneratorfunction(pipeline.fn):
        raise CollectError(f"'yield' keyword is allowed in fixtures, but not in pipelines ({base})")
    manager = session.fixturemanager
    config = session.config
    own_marks = get_marks(pipeline)
    marks = [*own_marks, *shared_marks]
    parametrize_marks = [m for m in marks if m.name == "parametrize"]
    used = [
        *session.config.getini("usefixtures"),
        *(n for m in marks if m.name == "usefixtures" for n in m.args),
    ]
    for m in marks:
        if m.name == "usefixtures" and not m.args:
            code = getattr(getattr(pipeline, "fn", None), "__code__", None)
            line = f":{code.co_firstlineno}" if code is not None else ""
            session.warn(  # as pytest's: where, and the category
                f"{relpath}::{base}\n  {relpath}{line}: ZenrunWarning: usefixtures() in "
                f"{relpath}::{base} without arguments has no effect\n"
            )
    argnames = [n for n in pipeline.argnames if n not in pipeline.defaults]
    initial = list(dict.fromkeys([*manager.autouse(path), *used, *argnames]))
    fixturenames, missing = manager.closure(initial, path)
    code = real_function(pipeline.fn).__code__  # (a wrapper's def is in its decorator's file)
    metafunc = Metafunc(
        pipeline,
        [*fixturenames, *missing],
        config,
        module,
        f"{relpath}::{base}",
        defaults=pipeline.defaults,
        fixture_defs=lambda n: manager.get(n, path),
        location=f"{code.co_filename}:{code.co_firstlineno}",
    )
    hook, own_hook = _generate_tests_hook(session, module, path)
    if own_hook is not None:
        own_hook(metafunc)
    marked = {n for m in parametrize_marks for n in _mark_argnames(m)}
    # As pytest's prune_dependency_tree: a directly parametrized name shadows its fixture,
    # so what only that fixture needed brings no parameters.
    shadowed = {n for m in parametrize_marks for n in _mark_argnames(m) if not _is_indirect(m, n)}
    param_names = manager.closure(initial, path, exclude=shadowed)[0] if shadowed else fixturenames
    for name in param_names:
        fixturedef = _params_fixture(manager, name, path)
        already = any(name in call.params for call in metafunc.calls)
        if fixturedef is not None and name not in marked and not already:
            metafunc.parametrize(
                name, fixturedef.params, indirect=True, scope=fixturedef.scope, ids=fixturedef.ids
            )
    for m in parametrize_marks:
        metafunc.parametrize(*m.args, **m.kwargs, _param_mark=m)
    hook(metafunc=metafunc)
    direct = [n for n, d in metafunc._arg2fixturedefs.items() if d is None]
    fixturenames, missing = manager.closure(initial, path, exclude=direct)
    if missing and has_instance:
        return []
    items = []
    for call in metafunc.calls if metafunc.calls else [None]:
        # As pytest: no ``[]`` when every parameter set of the call hides its id (HIDDEN_PARAM).
        name = f"{base}[{call.id}]" if call is not None and call.idlist else base
        params = {n: v for n, v in call.params.items() if n not in call.indirect} if call else {}
        # In parametrization order, as the id (``call.indirect`` is a set).
        fixture_params = (
            {n: (call.indices[n], v) for n, v in call.params.items() if n in call.indirect} if call else {}
        )
        scopes = {n: call.scopes[n] for n in call.indirect} if call else {}
        extra = list(call.marks) if call else []
        items.append(
            Item(
                f"{relpath}::{name}",
                name,
                path,
                pipeline,
                params,
                fixture_params,
                fixturenames,  # as pytest: with the parametrized names and ``request``
                # As pytest's iter_markers: the function's (its parametrize marks too), the
                # parameter set's, then the module's.
                [*own_marks, *extra, *shared_marks],
                module=module,
                param_scopes=scopes,
                missing=missing,
                callspec=call,
                session=session,
            )
        )
    return items


def _is_indirect(m: Mark, name: str) -> bool:
    indirect = m.kwargs.get("indirect", False)
    return name in indirect if isinstance(indirect, (list, tuple)) else bool(indirect)


def _mark_argnames(m: Mark) -> list[str]:
    from zenrun.metafunc import parse_argnames  # here: pydantic, see _function_items

    argnames = m.kwargs.get("argnames", m.args[0] if m.args else "")
    try:
        return parse_argnames(argnames)[0]
    except BaseException:  # reported when the mark is applied
        return []


def _params_fixture(manager: FixtureManager, name: str, path: Path) -> Any:
    """The definition whose ``params`` parametrize ``name``: the nearest with params, looking
    through overrides that extend the fixture they override."""
    for fixturedef in reversed(manager.chain(name, path)):
        if fixturedef.params is not None:
            return fixturedef
        if name not in fixturedef.argnames:
            return None
    return None


class _ParamKey:
    """What makes two items share an instance of a higher-scoped parameter when they are
    grouped: an equal value of the same type (``parametrize("db", ["a"], indirect=True,
    scope="session")`` on two pipelines groups them, as pytest since #8914, and as
    :class:`~zenrun.fixtures.SetupState` reuses an instance), else, for a value that cannot
    be hashed, its index in its ``parametrize`` call. A value whose ``==`` raises or is no
    boolean (a numpy array) equals only itself: a key that groups too little costs a setup,
    never a wrong value (the setup state decides)."""

    __slots__ = ("by_index", "hash", "value")

    def __init__(self, value: object, index: int) -> None:
        self.value: object = value
        self.by_index = False
        try:
            self.hash = hash(value)
        except Exception:  # unhashable, or a __hash__ that raises another error
            self.value, self.by_index, self.hash = index, True, hash(index)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _ParamKey) or self.by_index != other.by_index:
            return False
        if self.value is other.value:
            return True
        if type(self.value) is not type(other.value):  # 1, 1.0 and True stay apart
            return False
        try:
            return bool(self.value == other.value)
        except Exception:  # an ``==`` or ``bool()`` that raises (a numpy array's)
            return False


def reorder_items(items: list[Item]) -> list[Item]:
    """Group items that share a parameter of a session- then module-scoped fixture, so each
    instance is set up once and torn down before the next one: pytest's ``reorder_items``
    (the same deque-based order, over zenrun's two high scopes), the parameters compared by
    value (:class:`_ParamKey`)."""
    from collections import OrderedDict, defaultdict, deque

    scopes = ("session", "module")
    # Items are referred to by their position: Item dataclasses are not hashable.
    argkeys_by_item: dict[str, dict[int, dict[tuple[Any, ...], None]]] = {}
    items_by_argkey: dict[str, dict[tuple[Any, ...], OrderedDict[int, None]]] = {}
    for scope in scopes:
        by_item = argkeys_by_item[scope] = {}
        by_key = items_by_argkey[scope] = defaultdict(OrderedDict)
        for position, item in enumerate(items):
            where = None if scope == "session" else item.module_path
            call = item.callspec
            argkeys = (
                dict.fromkeys(
                    (name, _ParamKey(call.params.get(name), index), where)
                    for name, index in call.indices.items()
                    if call.scopes.get(name) == scope
                )
                if call
                else {}
            )
            if argkeys:
                by_item[position] = argkeys
                for argkey in argkeys:
                    by_key[argkey][position] = None

    def atscope(positions: dict[int, None], scope_index: int) -> dict[int, None]:
        if scope_index >= len(scopes) or len(positions) < 3:
            return positions
        scoped_items_by_argkey = items_by_argkey[scopes[scope_index]]
        scoped_argkeys_by_item = argkeys_by_item[scopes[scope_index]]
        ignore: set[tuple[Any, ...]] = set()
        pending = deque(positions)
        done: dict[int, None] = {}
        while pending:
            no_argkey: dict[int, None] = {}
            slicing_argkey = None
            while pending:
                position = pending.popleft()
                if position in done or position in no_argkey:
                    continue
                argkeys = dict.fromkeys(
                    k for k in scoped_argkeys_by_item.get(position, ()) if k not in ignore
                )
                if not argkeys:
                    no_argkey[position] = None
                    continue
                slicing_argkey, _ = argkeys.popitem()
                matching = [i for i in scoped_items_by_argkey[slicing_argkey] if i in positions]
                for i in reversed(matching):
                    pending.appendleft(i)
                    for other in scopes:
                        for argkey in argkeys_by_item[other].get(i, ()):
                            items_by_argkey[other][argkey][i] = None
                            items_by_argkey[other][argkey].move_to_end(i, last=False)
                break
            if no_argkey:
                done.update(atscope(no_argkey, scope_index + 1))
            if slicing_argkey is not None:
                ignore.add(slicing_argkey)
        return done

    return [items[i] for i in atscope(dict.fromkeys(range(len(items))), 0)]
