"""``@zenrun.fixture``: values injected by name into pipeline and step-config parameters.

Fixtures live in ``conftest.py`` files from the rootdir down, or in the
pipeline module; the nearest definition wins. Scopes are ``pipeline``
(per item), ``module`` and ``session`` (once per ``zenrun`` invocation).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from zenrun.hookspec import hookimpl

SCOPES = ("session", "module", "pipeline")
_MISSING: Any = object()


class FixtureLookupError(LookupError):
    """A fixture is missing or recursive; the message lists what is available."""


@dataclass
class FixtureDef:
    name: str
    func: Callable[..., Any]
    scope: str
    params: list[Any] | None
    ids: Any
    baseid: Path  # the directory of a conftest, or the module file itself
    argnames: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        code = self.func.__code__
        return f"{code.co_filename}:{code.co_firstlineno}"

    def applies_to(self, module_path: Path) -> bool:
        if self.baseid.suffix == ".py":
            return self.baseid == module_path
        return self.baseid == module_path.parent or self.baseid in module_path.parents

    @property
    def depth(self) -> int:
        # A module's own fixtures rank above every conftest, nearer conftests above farther.
        return len(self.baseid.parts) + (1000 if self.baseid.suffix == ".py" else 0)


def fixture(fn: Callable[..., Any] | None = None, *, scope: str = "pipeline",
            params: list[Any] | None = None, ids: Any = None, name: str | None = None) -> Any:
    """Declare a fixture: ``@zenrun.fixture`` or ``@zenrun.fixture(scope=, params=, ids=, name=)``.

    A generator fixture's code after ``yield`` is its teardown.
    """
    if scope not in SCOPES:
        raise ValueError(f"fixture scope must be one of {SCOPES}, not {scope!r}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func._zenrun_fixture = {"scope": scope, "params": list(params) if params is not None else None,  # type: ignore[attr-defined]
                                "ids": ids, "name": name or func.__name__}
        return func
    return decorate(fn) if fn is not None else decorate


class FixtureRequest:
    """The ``request`` fixture: ``request.param``, ``request.fixturename``, ``request.config``."""

    def __init__(self, setup: SetupState, item: Any, fixturedef: FixtureDef | None) -> None:
        self._setup = setup
        self.node = item
        self.config = setup.config
        self.fixturename = fixturedef.name if fixturedef else None
        self.scope = fixturedef.scope if fixturedef else "pipeline"
        self.param = item.fixture_params[fixturedef.name][1] if (
            fixturedef and fixturedef.name in item.fixture_params) else _MISSING
        if self.param is _MISSING:
            del self.param

    def getfixturevalue(self, name: str) -> Any:
        return self._setup.getfixturevalue(name, self.node)


class FixtureManager:
    """All fixture definitions found so far, by name."""

    def __init__(self) -> None:
        self.defs: dict[str, list[FixtureDef]] = {}

    def parse(self, holder: Any, baseid: Path) -> None:
        for obj in list(vars(holder).values()):
            info = getattr(obj, "_zenrun_fixture", None)
            if info is None or not callable(obj):
                continue
            argnames = [p.name for p in inspect.signature(obj).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            fixturedef = FixtureDef(info["name"], obj, info["scope"], info["params"], info["ids"],
                                    baseid, argnames)
            existing = self.defs.setdefault(fixturedef.name, [])
            existing[:] = [d for d in existing if d.baseid != baseid]
            existing.append(fixturedef)

    def get(self, name: str, module_path: Path) -> FixtureDef | None:
        """The definition of ``name`` that applies to ``module_path`` (nearest wins)."""
        candidates = [d for d in self.defs.get(name, ()) if d.applies_to(module_path)]
        return max(candidates, key=lambda d: d.depth) if candidates else None

    def available(self, module_path: Path) -> list[str]:
        return sorted(n for n in self.defs if self.get(n, module_path) is not None)

    def closure(self, argnames: list[str], module_path: Path) -> tuple[list[str], list[str]]:
        """All fixtures needed by ``argnames``, transitively; and the names not found."""
        needed: list[str] = []
        missing: list[str] = []
        stack = list(argnames)
        while stack:
            name = stack.pop(0)
            if name in needed or name in missing or name == "request":
                continue
            fixturedef = self.get(name, module_path)
            if fixturedef is None:
                missing.append(name)
                continue
            needed.append(name)
            stack.extend(fixturedef.argnames)
        return needed, missing

    def lookup_error(self, name: str, module_path: Path, where: str) -> FixtureLookupError:
        available = ", ".join(self.available(module_path)) or "(none)"
        return FixtureLookupError(
            f"{where}: fixture {name!r} not found\n"
            f"available fixtures: {available}\n"
            f"use 'zenrun --fixtures [path]' for help on them.")

    def show(self, module_paths: list[Path], rootdir: Path, verbose: bool = False) -> Iterator[str]:
        """Lines for ``zenrun --fixtures``: each fixture, where it is defined, and its docstring.

        Only the definitions the collected modules see, unless ``verbose``
        (then overridden ones too), as pytest does.
        """
        shown: set[tuple[str, Path]] = set()
        for name in sorted(self.defs):
            visible = {id(self.get(name, p)) for p in module_paths}
            for fixturedef in sorted(self.defs[name], key=lambda d: d.depth):
                if module_paths and not any(fixturedef.applies_to(p) for p in module_paths):
                    continue
                if module_paths and not verbose and id(fixturedef) not in visible:
                    continue
                key = (name, fixturedef.baseid)
                if key in shown:
                    continue
                shown.add(key)
                code = fixturedef.func.__code__
                try:
                    where = Path(code.co_filename).relative_to(rootdir)
                except ValueError:
                    where = Path(code.co_filename)
                scope = "" if fixturedef.scope == "pipeline" else f" [{fixturedef.scope} scope]"
                params = f" params={fixturedef.params!r}" if fixturedef.params is not None else ""
                yield f"{name}{scope}{params} -- {where}:{code.co_firstlineno}"
                doc = inspect.getdoc(fixturedef.func)
                yield "    " + (doc.replace("\n", "\n    ") if doc else "no docstring available")


class SetupState:
    """Fixture values per scope and the teardowns to run when a scope ends."""

    def __init__(self, config: Any, manager: FixtureManager) -> None:
        self.config = config
        self.manager = manager
        self._values: dict[tuple[Any, ...], Any] = {}
        self._finalizers: dict[tuple[Any, ...], list[Callable[[], None]]] = {}
        self._computing: list[str] = []

    def _scope_key(self, scope: str, item: Any) -> tuple[Any, ...]:
        if scope == "session":
            return ("session",)
        if scope == "module":
            return ("module", item.module_path)
        return ("pipeline", item.nodeid)

    def getfixturevalue(self, name: str, item: Any) -> Any:
        if name == "request":
            return FixtureRequest(self, item, None)
        fixturedef = self.manager.get(name, item.module_path)
        if fixturedef is None:
            raise self.manager.lookup_error(name, item.module_path, item.nodeid)
        scope_key = self._scope_key(fixturedef.scope, item)
        param_index = item.fixture_params.get(name, (None,))[0]
        key = (*scope_key, name, id(fixturedef), param_index)
        if key in self._values:
            return self._values[key]
        if name in self._computing:
            chain = " -> ".join([*self._computing, name])
            raise FixtureLookupError(f"{item.nodeid}: recursive fixture dependency {chain}")
        self._computing.append(name)
        try:
            kwargs = {arg: self.getfixturevalue(arg, item) if arg != "request"
                      else FixtureRequest(self, item, fixturedef) for arg in fixturedef.argnames}
            result = fixturedef.func(**kwargs)
            if inspect.isgenerator(result):
                generator = result
                result = next(generator)
                self._finalizers.setdefault(scope_key, []).append(lambda g=generator: _finish(g))
        finally:
            self._computing.pop()
        self._values[key] = result
        return result

    def teardown(self, scope: str, item: Any | None = None) -> list[BaseException]:
        """Run the teardowns of ``scope`` (for ``item``'s module or pipeline), newest first."""
        prefix = ("session",) if scope == "session" else self._scope_key(scope, item)
        errors = []
        for scope_key in [k for k in self._finalizers if k[:len(prefix)] == prefix]:
            for finalizer in reversed(self._finalizers.pop(scope_key)):
                try:
                    finalizer()
                except Exception as exc:
                    errors.append(exc)
        for key in [k for k in self._values if k[:len(prefix)] == prefix]:
            del self._values[key]
        return errors

    def teardown_all(self) -> list[BaseException]:
        errors = []
        for scope_key in list(self._finalizers):
            errors += self.teardown(scope_key[0], _KeyItem(scope_key))
        return errors


@dataclass
class _KeyItem:
    """Stands in for an item when tearing down by scope key."""

    key: tuple[Any, ...]

    @property
    def module_path(self) -> Any:
        return self.key[1]

    @property
    def nodeid(self) -> Any:
        return self.key[1]


def _finish(generator: Iterator[Any]) -> None:
    try:
        next(generator)
    except StopIteration:
        return
    raise RuntimeError(f"fixture {generator!r} yielded more than once")


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    parser.getgroup("general").addoption(
        "--fixtures", dest="showfixtures", action="store_true", default=False,
        help="list the available fixtures, where they are defined and their docstrings")
