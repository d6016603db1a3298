"""Collection: ``pipeline_*.py`` modules, the conftest chain, items and their ids.

Modules are imported as pytest's default ("prepend") import mode does: the
first directory above the file without an ``__init__.py`` goes first on
``sys.path`` and the module is imported by its dotted name from there, once.
Importing a module never runs a pipeline.
"""

from __future__ import annotations

import fnmatch
import importlib
import itertools
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

from zenrun.fixtures import FixtureManager
from zenrun.hookspec import hookimpl
from zenrun.marks import Mark, ParameterSet, get_marks, id_for_value, make_ids, parametrize_args
from zenrun.pipelines import Pipeline, PipelineInstance, Runnable

NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
             "__pycache__", "{arch}")
_ZENRUN_DIR = str(Path(__file__).parent)


class CollectError(Exception):
    """A file could not be collected; the message says why."""


@dataclass
class Item:
    """One runnable pipeline: a function with its parameters, or a module-level instance."""

    nodeid: str
    name: str
    module_path: Path
    target: Any  # a Pipeline (function) or a Runnable instance
    params: dict[str, Any] = field(default_factory=dict)  # from parametrize
    fixture_params: dict[str, tuple[int, Any]] = field(default_factory=dict)
    fixturenames: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    @property
    def pipeline_name(self) -> str:
        return self.target.name

    def compose(self, values: dict[str, Any], **kwargs: Any) -> Any:
        """Compose the pipeline with fixture values and parameters."""
        return self.target.compose({**values, **self.params}, **kwargs)


def _short_exception(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_ZENRUN_DIR) and "importlib" not in f.filename]
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
            f"not {path}; give the files unique basenames or add __init__.py files")
    return module


class Session:
    """Collects items from the path arguments, then runs them (see :mod:`zenrun.main`)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.items: list[Item] = []
        self.deselected: list[Item] = []
        self.collection_errors: list[tuple[str, str]] = []
        self.warnings: list[str] = []
        self.fixturemanager: FixtureManager = config.stash.setdefault("fixturemanager", FixtureManager())
        self.reports: list[Any] = []
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
        seen: set[Path] = set()
        for arg in self._arguments():
            path_text, _, selector = arg.partition("::")
            path = Path(path_text).resolve()
            if not path.exists():
                from zenrun.config import UsageError

                raise UsageError(f"file or directory not found: {arg}")
            for file_path in self._files(path):
                if file_path in seen and not selector:
                    continue
                seen.add(file_path)
                items = self._collect_file(file_path)
                if selector:
                    items = [i for i in items if i.name == selector or
                             (i.name.startswith(selector + "[") and "[" not in selector)]
                    if not items:
                        from zenrun.config import UsageError

                        raise UsageError(f"not found: {arg}\n(no pipeline named {selector!r} in "
                                         f"{self.relpath(file_path)}; see zenrun --collect-only)")
                self.items.extend(items)
        self.config.hook.zenrun_collection_modifyitems(session=self, config=self.config, items=self.items)
        self.config.hook.zenrun_collection_finish(session=self)
        return self.items

    def _files(self, path: Path) -> Iterable[Path]:
        if path.is_file():
            yield path
            return
        patterns = self.config.getini("python_files")
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames
                                 if not any(fnmatch.fnmatch(d, p) for p in NORECURSE)
                                 and not (Path(directory) / d / "pyvenv.cfg").exists())
            for filename in sorted(filenames):
                if any(fnmatch.fnmatch(filename, p) for p in patterns):
                    yield Path(directory) / filename

    def _collect_file(self, path: Path) -> list[Item]:
        load_conftests(self.config, path.parent, self)
        try:
            results = self.config.hook.zenrun_collect_file(file_path=path, session=self)
        except CollectError as exc:
            self.add_collection_error(path, str(exc))
            return []
        self.collected_modules.append(path)
        return [item for items in results for item in items]


# ---------------------------------------------------------------------------
# conftest.py files
# ---------------------------------------------------------------------------


def _conftest_dirs(config: Any, directory: Path) -> list[Path]:
    directory = directory.resolve()
    root = config.rootpath
    chain = [directory, *directory.parents]
    if root in chain:
        chain = chain[:chain.index(root) + 1]
    else:
        chain = [directory]
    return list(reversed(chain))


def load_conftests(config: Any, directory: Path, session: Session | None = None) -> None:
    """Import and register the ``conftest.py`` files from the rootdir down to ``directory``."""
    loaded: set[Path] = config.stash.setdefault("conftests", set())
    manager: FixtureManager = config.stash.setdefault("fixturemanager", FixtureManager())
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
        except Exception as exc:  # pluggy.PluginValidationError: a hook with wrong arguments
            message = f"error while registering conftest as a plugin:\n{exc}"
            if session is not None:
                session.add_collection_error(path, message)
            else:
                config.stash.setdefault("conftest_errors", []).append((path, message))
            continue
        for plugin in getattr(module, "zenrun_plugins", []):
            config.pluginmanager.import_plugin(plugin)
        manager.parse(module, folder)


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
    parser.addini("pipelinepaths", "directories to collect when no path is given", type="paths",
                  default=[])
    parser.addini("python_files", "glob patterns of pipeline modules", type="linelist",
                  default=["pipeline_*.py"])


@hookimpl(trylast=True)
def zenrun_collect_file(file_path: Path, session: Session) -> list[Item] | None:
    try:
        module = import_path(file_path)
    except CollectError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise CollectError(f"ImportError while importing pipeline module {session.relpath(file_path)}:\n"
                           f"{_short_exception(exc)}") from None
    session.fixturemanager.parse(module, file_path.resolve())
    return module_items(module, file_path.resolve(), session)


def module_items(module: ModuleType, path: Path, session: Session) -> list[Item]:
    relpath = session.relpath(path)
    manager = session.fixturemanager
    items: list[Item] = []
    members = list(vars(module).items())
    instanced = {id(obj.pipeline) for _, obj in members if isinstance(obj, PipelineInstance)}
    for attr, obj in members:
        if isinstance(obj, Pipeline) and obj.fn.__module__ == module.__name__:
            items.extend(_function_items(obj, path, relpath, manager, id(obj) in instanced))
        elif isinstance(obj, Runnable) and not attr.startswith("_"):
            marks = get_marks(obj.pipeline) if isinstance(obj, PipelineInstance) else []
            marks = [m for m in marks if m.name != "parametrize"]
            unbound = [n for n in getattr(getattr(obj, "pipeline", None), "argnames", [])
                       if n not in obj.kwargs and n not in obj.pipeline.defaults] \
                if isinstance(obj, PipelineInstance) else []
            fixturenames, missing = manager.closure(unbound, path)
            if missing:
                raise CollectError(str(manager.lookup_error(missing[0], path, f"{relpath}::{attr}")))
            items.append(Item(f"{relpath}::{attr}", attr, path, obj, fixturenames=fixturenames,
                              marks=marks))
    return items


def _function_items(pipeline: Pipeline, path: Path, relpath: str, manager: FixtureManager,
                    has_instance: bool) -> list[Item]:
    marks = get_marks(pipeline)
    parametrizations = [parametrize_args(m) for m in marks if m.name == "parametrize"]
    other_marks = [m for m in marks if m.name != "parametrize"]
    parametrized = [n for names, _, _ in parametrizations for n in names]
    for name in parametrized:
        if name not in pipeline.argnames:
            raise CollectError(f"{relpath}::{pipeline.__name__}: parametrize names {name!r}, "
                               f"which is not a parameter of the pipeline")
    wanted = [n for n in pipeline.argnames if n not in parametrized and n not in pipeline.defaults]
    fixturenames, missing = manager.closure(wanted, path)
    if missing:
        if has_instance:
            return []
        raise CollectError(str(manager.lookup_error(missing[0], path, f"{relpath}::{pipeline.__name__}")))

    # One axis per parametrize mark (nearest the function first), then per params fixture.
    axes: list[list[tuple[str, dict[str, Any], dict[str, tuple[int, Any]], tuple[Mark, ...]]]] = []
    for names, sets, ids in parametrizations:
        axis_ids = make_ids(names, sets, ids)
        axes.append([(i, dict(zip(names, ps.values)), {}, ps.marks) for i, ps in zip(axis_ids, sets)])
    for name in fixturenames:
        fixturedef = manager.get(name, path)
        if fixturedef is not None and fixturedef.params is not None:
            sets = [p if isinstance(p, ParameterSet) else ParameterSet((p,)) for p in fixturedef.params]
            if fixturedef.ids is not None or any(ps.id for ps in sets):
                axis_ids = make_ids([name], sets, fixturedef.ids)
            else:
                axis_ids = [id_for_value(ps.values[0], name, i) for i, ps in enumerate(sets)]
                axis_ids = make_ids([name], [ParameterSet((a,), a) for a in axis_ids], None)
            axes.append([(i, {}, {name: (index, ps.values[0])}, ps.marks)
                         for index, (i, ps) in enumerate(zip(axis_ids, sets))])
    items = []
    base = pipeline.__name__
    for combination in itertools.product(*axes):
        params: dict[str, Any] = {}
        fixture_params: dict[str, tuple[int, Any]] = {}
        extra_marks: list[Mark] = []
        for _, p, f, m in combination:
            params.update(p)
            fixture_params.update(f)
            extra_marks.extend(m)
        suffix = "-".join(c[0] for c in combination)
        name = f"{base}[{suffix}]" if combination else base
        items.append(Item(f"{relpath}::{name}", name, path, pipeline, params, fixture_params,
                          fixturenames, [*extra_marks, *other_marks]))
    return items
