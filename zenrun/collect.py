"""Collection: ``pipeline_*.py`` modules, the conftest chain, items and their ids.

Modules are imported as pytest's default ("prepend") import mode does: the
first directory above the file without an ``__init__.py`` goes first on
``sys.path`` and the module is imported by its dotted name from there, once.
Importing a module never runs a pipeline.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from zenrun.capture import capturing, section_title
from zenrun.errors import UsageError
from zenrun.fixtures import FixtureManager
from zenrun.hookspec import hookimpl
from zenrun.marks import Mark, MarkDecorator, get_marks, keyword_names, module_marks
from zenrun.outcomes import Failed, Skipped
from zenrun.pipelines import Pipeline, PipelineInstance, Runnable

if TYPE_CHECKING:
    from zenrun.compose import ComposedPipeline
    from zenrun.config import Config
    from zenrun.fixtures import SetupState
    from zenrun.main import ItemReport
    from zenrun.metafunc import CallSpec

NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "__pycache__", "{arch}")
_ZENRUN_DIR = str(Path(__file__).parent)


class CollectError(Exception):
    """A file could not be collected; the message says why."""


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
    _keywords: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def pipeline_name(self) -> str:
        return self.target.name

    @property
    def keywords(self) -> dict[str, Any]:
        """Names ``-k`` matches, with the marks by name (as pytest's ``item.keywords``);
        a fixture may add entries (``request.keywords["x"] = ...``)."""
        if self._keywords is None:
            self._keywords = dict.fromkeys(keyword_names(self), True)
            self._keywords.update({m.name: m for m in self.marks})
        return self._keywords

    def iter_markers(self, name: str | None = None) -> Iterable[Mark]:
        return (m for m in self.marks if name is None or m.name == name)

    def get_closest_marker(self, name: str) -> Mark | None:
        return next(iter(self.iter_markers(name)), None)

    def add_marker(self, marker: str | Mark | MarkDecorator, append: bool = True) -> None:
        """Add a mark (``zenrun.mark.x`` or a name) to this item."""
        if not isinstance(marker, (str, Mark, MarkDecorator)):
            raise ValueError(f"{marker!r} is not a string or a zenrun.mark.* mark")
        mark = (
            marker.mark
            if isinstance(marker, MarkDecorator)
            else Mark(marker)
            if isinstance(marker, str)
            else marker
        )
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


def _short_exception(exc: BaseException) -> str:
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_ZENRUN_DIR) and "importlib" not in f.filename
    ]
    return "".join([*traceback.format_list(frames), *traceback.format_exception_only(type(exc), exc)])


def import_path(path: Path, *, conftest: bool = False) -> ModuleType:
    """Import ``path`` as pytest's prepend mode would; returns the module."""
    path = path.resolve()
    base, parts = path.parent, [path.stem]
    while (base / "__init__.py").exists():
        parts.insert(0, base.name)
        base = base.parent
    name = ".".join(parts)
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "").resolve() == path:
        return existing
    if conftest and existing is not None and len(parts) == 1:
        del sys.modules[name]  # another directory's conftest.py: each has its own module
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    module_file = Path(getattr(module, "__file__", "") or "").resolve()
    if module_file != path:
        raise CollectError(
            f"import file mismatch: module {name!r} was imported from {module_file}, which is "
            f"not {path}; give the files unique basenames or add __init__.py files"
        )
    return module


class Session:
    """Collects items from the path arguments, then runs them (see :mod:`zenrun.main`)."""

    # Set by the ``main`` plugin as the session runs (absent before).
    exitstatus: int
    setup_state: SetupState
    run_config_steps: dict[str, Any] | None

    def __init__(self, config: Config) -> None:
        self.config = config
        self.items: list[Item] = []
        self.deselected: list[Item] = []
        self.collection_errors: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.fixturemanager: FixtureManager = config.stash.setdefault(
            "fixturemanager", FixtureManager(config)
        )
        self.reports: list[ItemReport] = []
        self.shouldstop: str | None = None
        self.collected_modules: list[Path] = []
        for path, message in config.stash.pop("conftest_errors", []):
            self.add_collection_error(path, message)

    def add_collection_error(self, path: Path | str, message: str) -> None:
        self.collection_errors.append((self.relpath(Path(path)), message))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def relpath(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return path.as_posix()

    # -- collection ---------------------------------------------------------------
    def _arguments(self) -> list[str]:
        args = list(self.config.getoption("paths"))
        if args:
            return args
        configured = self.config.getini("pipelinepaths")
        if configured and Path.cwd().resolve() == self.config.rootpath:
            return [str(self.config.rootpath / p) for p in configured]
        return [str(Path.cwd())]

    def collect(self) -> list[Item]:
        while True:  # each bad dynamic scope is a collection error of its conftest
            try:
                self.fixturemanager.resolve_dynamic_scopes()
                break
            except ValueError as exc:
                self.add_collection_error(self.config.rootpath / "conftest.py", str(exc))
        seen: set[Path] = set()
        for arg in self._arguments():
            path_text, _, selector = arg.partition("::")
            path = Path(path_text).resolve()
            if not path.exists():
                raise UsageError(f"file or directory not found: {arg}")
            for file_path in self._files(path):
                if file_path in seen and not selector:
                    continue
                seen.add(file_path)
                items = self._collect_file(file_path)
                if selector:
                    items = [
                        i
                        for i in items
                        if i.name == selector or (i.name.startswith(selector + "[") and "[" not in selector)
                    ]
                    if not items:
                        raise UsageError(
                            f"not found: {arg}\n(no pipeline named {selector!r} in "
                            f"{self.relpath(file_path)}; see zenrun --collect-only)"
                        )
                self.items.extend(items)
        self.items[:] = reorder_items(self.items)
        self.config.hook.zenrun_collection_modifyitems(session=self, config=self.config, items=self.items)
        self.config.hook.zenrun_collection_finish(session=self)
        return self.items

    def _files(self, path: Path) -> Iterable[Path]:
        if path.is_file():
            yield path
            return
        patterns = self.config.getini("python_files")
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not any(fnmatch.fnmatch(d, p) for p in NORECURSE)
                and not (Path(directory) / d / "pyvenv.cfg").exists()
            )
            for filename in sorted(filenames):
                if any(fnmatch.fnmatch(filename, p) for p in patterns):
                    yield Path(directory) / filename

    def _collect_file(self, path: Path) -> list[Item]:
        # As pytest: what importing a module prints is captured, and shown only with the
        # collection error it belongs to; its warnings go to the warnings summary.
        errors_before = len(self.collection_errors)
        with capturing(self.config.stash.get("capture")) as capture, _warnings_recorded(self):
            load_conftests(self.config, path.parent, self)
            try:
                results = self.config.hook.zenrun_collect_file(file_path=path, session=self)
            except CollectError as exc:
                error: CollectError | None = exc
            else:
                error = None
        sections = [
            f"{section_title(stream, 'collect')}\n{text.rstrip()}"
            for stream, text in (capture.texts() if capture else {}).items()
        ]
        if sections and len(self.collection_errors) > errors_before:  # a conftest's error
            conftest, message = self.collection_errors[errors_before]
            self.collection_errors[errors_before] = (conftest, "\n\n".join([message.rstrip(), *sections]))
            sections = []
        if error is not None:
            self.add_collection_error(path, "\n\n".join([str(error).rstrip(), *sections]))
            return []
        self.collected_modules.append(path)
        return [item for items in results for item in items]


@contextlib.contextmanager
def _warnings_recorded(session: Session) -> Iterator[None]:
    """Warnings shown while the block runs go to the session's warnings summary.

    Only ``warnings.showwarning`` is replaced (``catch_warnings`` would also undo the
    filters a module sets on import); one the block installed itself is left in place.
    """

    def record(
        message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        session.warn(f"{session.relpath(Path(filename))}:{lineno}: {category.__name__}: {message}")

    original = warnings.showwarning
    warnings.showwarning = record
    try:
        yield
    finally:
        if warnings.showwarning is record:
            warnings.showwarning = original


# ---------------------------------------------------------------------------
# conftest.py files
# ---------------------------------------------------------------------------


def _conftest_dirs(config: Any, directory: Path) -> list[Path]:
    directory = directory.resolve()
    root = config.rootpath
    chain = [directory, *directory.parents]
    if root in chain:
        chain = chain[: chain.index(root) + 1]
    else:
        chain = [directory]
    return list(reversed(chain))


def load_conftests(config: Any, directory: Path, session: Session | None = None) -> None:
    """Import and register the ``conftest.py`` files from the rootdir down to ``directory``."""
    loaded: set[Path] = config.stash.setdefault("conftests", set())
    manager: FixtureManager = config.stash.setdefault("fixturemanager", FixtureManager(config))
    for folder in _conftest_dirs(config, directory):
        path = folder / "conftest.py"
        if path in loaded or not path.is_file():
            continue
        loaded.add(path)
        try:
            module = import_path(path, conftest=True)
        except Exception as exc:
            message = f"error while importing conftest:\n{_short_exception(exc)}"
            if session is not None:
                session.add_collection_error(path, message)
            else:
                config.stash.setdefault("conftest_errors", []).append((path, message))
            continue
        try:
            config.pluginmanager.register(module, name=str(path))
            unknown = config.pluginmanager.unknown_hooks(module)
            if unknown:  # the same kind of error as a hook with wrong arguments
                config.pluginmanager.unregister(module)
                raise ValueError(unknown)
        except Exception as exc:  # pluggy.PluginValidationError: a hook with wrong arguments
            message = f"error while registering conftest as a plugin:\n{exc}"
            if session is not None:
                session.add_collection_error(path, message)
            else:
                config.stash.setdefault("conftest_errors", []).append((path, message))
            continue
        for plugin in getattr(module, "zenrun_plugins", []):
            config.pluginmanager.import_plugin(plugin)
            plugin_module = config.pluginmanager.get_plugin(plugin)
            if plugin_module is not None:  # its fixtures are visible everywhere, below conftests
                manager.parse(plugin_module, Path(config.rootpath.anchor))
        manager.parse(module, folder)


@hookimpl
def zenrun_load_initial_conftests(early_config: Any, args: list[str]) -> None:
    load_initial_conftests(early_config, args)


def load_initial_conftests(config: Any, paths: list[str]) -> None:
    """The conftests above the path arguments, before options are parsed (they may add some)."""
    targets = [t for t in (Path(p.split("::")[0]).resolve() for p in paths) if t.exists()]
    # As pytest: when no argument is an existing path (e.g. it is the value of an
    # option a conftest adds, ``--tag blue``), the conftests of the cwd are loaded.
    for target in targets or [Path.cwd()]:
        load_conftests(config, target if target.is_dir() else target.parent)


# ---------------------------------------------------------------------------
# Items of a pipeline module
# ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.addini("pipelinepaths", "directories to collect when no path is given", type="paths", default=[])
    parser.addini(
        "python_files", "glob patterns of pipeline modules", type="linelist", default=["pipeline_*.py"]
    )
    parser.addini(
        "usefixtures",
        "fixtures every pipeline uses (as zenrun.mark.usefixtures)",
        type="linelist",
        default=[],
    )


@hookimpl(trylast=True)
def zenrun_collect_file(file_path: Path, session: Session) -> list[Item] | None:
    try:
        module = import_path(file_path)
    except CollectError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise

        if isinstance(exc, Skipped) and exc.allow_module_level:  # zenrun.skip(..., allow_module_level=True)
            session.warn(f"{session.relpath(file_path)}: module skipped: {exc.msg}")
            return []
        raise CollectError(
            f"ImportError while importing pipeline module {session.relpath(file_path)}:\n"
            f"{_short_exception(exc)}"
        ) from None
    try:
        session.fixturemanager.parse(module, file_path.resolve())
    except ValueError as exc:  # a dynamic scope returned an unknown scope name
        raise CollectError(f"error while collecting {session.relpath(file_path)}:\n{exc}") from None
    return module_items(module, file_path.resolve(), session)


def module_items(module: ModuleType, path: Path, session: Session) -> list[Item]:
    """The items of an imported pipeline module; misuse is a :class:`CollectError`."""
    try:
        items = _module_items(module, path, session)
    except CollectError:
        raise
    except Exception as exc:  # parametrize misuse, a raising ids callable, a module __getattr__
        if isinstance(exc, UsageError):
            raise

        detail = str(exc) if isinstance(exc, Failed) and not exc.pytrace else _short_exception(exc)
        raise CollectError(f"error while collecting {session.relpath(path)}:\n{detail}") from None
    except BaseException as exc:
        if isinstance(exc, Failed):
            raise CollectError(f"error while collecting {session.relpath(path)}:\n{exc}") from None
        if isinstance(exc, Skipped):
            session.warn(f"{session.relpath(path)}: skipped: {exc}")
            return []
        raise
    return items


def _module_items(module: ModuleType, path: Path, session: Session) -> list[Item]:
    relpath = session.relpath(path)
    manager = session.fixturemanager
    items: list[Item] = []
    members = list(vars(module).items())
    instanced = {id(obj.pipeline) for _, obj in members if isinstance(obj, PipelineInstance)}
    shared_marks = module_marks(vars(module))
    for attr, obj in members:
        if isinstance(obj, Pipeline) and obj.fn.__module__ == module.__name__:
            items.extend(
                _function_items(obj, module, path, relpath, session, id(obj) in instanced, shared_marks)
            )
        elif isinstance(obj, Runnable) and not attr.startswith("_"):
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
) -> list[Item]:
    # Here: metafunc imports pydantic (through steps), which `zenrun --help` does not need.
    from zenrun.metafunc import Metafunc

    manager = session.fixturemanager
    config = session.config
    marks = [*get_marks(pipeline), *shared_marks]
    parametrize_marks = [m for m in marks if m.name == "parametrize"]
    other_marks = [m for m in marks if m.name != "parametrize"]
    used = [
        *session.config.getini("usefixtures"),
        *(n for m in marks if m.name == "usefixtures" for n in m.args),
    ]
    for m in marks:
        if m.name == "usefixtures" and not m.args:
            session.warn(f"usefixtures() in {relpath}::{pipeline.__name__} without arguments has no effect")
    argnames = [n for n in pipeline.argnames if n not in pipeline.defaults]
    initial = list(dict.fromkeys([*manager.autouse(path), *used, *argnames]))
    fixturenames, missing = manager.closure(initial, path)
    base = pipeline.__name__
    code = pipeline.fn.__code__
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
        name = f"{base}[{call.id}]" if call is not None else base
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
                [n for n in fixturenames if n not in params],
                [*extra, *other_marks],
                module=module,
                param_scopes=scopes,
                missing=missing,
                callspec=call,
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


def reorder_items(items: list[Item]) -> list[Item]:
    """Group items that share a parameter of a session- then module-scoped fixture, so each
    instance is set up once and torn down before the next one: pytest's ``reorder_items``
    (the same deque-based order, over zenrun's two high scopes)."""
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
                    (name, index, where)
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
