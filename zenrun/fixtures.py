"""``@zenrun.fixture``: values injected by name into pipeline and step-config parameters.

Fixtures live in ``conftest.py`` files from the rootdir down, or in the
pipeline module; the nearest definition wins. Scopes are ``pipeline``
(per item), ``module`` and ``session`` (once per ``zenrun`` invocation).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from zenrun import heap
from zenrun.deferred import dataclass
from zenrun.hookspec import hookimpl
from zenrun.outcomes import fail
from zenrun.sources import real_function
from zenrun.tbstyle import saferepr

if TYPE_CHECKING:
    import collections
    from types import FrameType, ModuleType, TracebackType

    from zenrun.collect import Item, Session
    from zenrun.config import Config, Parser
    from zenrun.marks import Mark, MarkDecorator

#: ``ids=`` of a fixture or ``parametrize``: a list of ids, or a function of a value.
Ids = Iterable[object] | Callable[[Any], object] | None

SCOPES = ("session", "module", "pipeline")
_MISSING: Any = object()
_INSTALLED = Path(__file__).resolve().parent.parent  # the directory holding the zenrun package
MARKS_ON_FIXTURES = (
    "Marks cannot be applied to fixtures.\nPut the marks on the pipelines that use the fixture."
)


class FixtureLookupError(LookupError):
    """A fixture is missing or recursive; the message lists what is available
    (``request.getfixturevalue("nope")`` raises it, as pytest's ``FixtureLookupError``)."""


def requesting_lines(item: Any, funcs: list[Callable[..., Any]], where: str) -> tuple[list[str], str]:
    """pytest's lines of a fixture lookup error: for the pipeline and each fixture function in
    ``funcs``, ``file PATH, line N`` and its lines up to ``def``; and the location of the
    last (``where`` when no source is found)."""
    tblines: list[str] = []
    location = where
    for func in [f for f in (getattr(getattr(item, "target", None), "fn", None), *funcs) if f is not None]:
        func = real_function(func)  # the file and the lines of the same function
        try:
            lines, lineno = inspect.getsourcelines(func)
            path = inspect.getsourcefile(func) or "?"
        except (OSError, TypeError, IndexError):
            # as pytest: where it is, without its source (a file changed or gone)
            code = getattr(func, "__code__", None)
            if code is None:
                continue
            path, lineno = code.co_filename, code.co_firstlineno
            tblines.append(f"file {path}, line {lineno}: source code not available")
            location = f"{path}:{lineno}"
            continue
        tblines.append(f"file {path}, line {lineno}")
        for line in lines:
            tblines.append("  " + line.rstrip())
            if line.lstrip().startswith(("def ", "async def ")):
                break
        location = f"{path}:{lineno}"
    return tblines, location


class ScopeMismatch(FixtureLookupError):
    """A fixture requested a fixture of a narrower scope."""


@dataclass
class FixtureDef:
    name: str
    func: Callable[..., Any]
    scope: str | Callable[..., str]  # a callable until resolve_dynamic_scopes() calls it
    params: list[Any] | None
    ids: Ids
    baseid: Path  # the directory of a conftest, or the module file itself
    argnames: list[str] = field(default_factory=list)
    autouse: bool = False
    #: pytest's name ("package", "class"): ranks between zenrun's scopes; a callable for a dynamic scope
    declared_scope: str | Callable[..., str] | None = None
    everywhere: bool = False  # a conftest in or above the rootdir: seen by every item (as pytest)
    #: the name of the module (or object) it was found in: plugins share one ``baseid``, and
    #: a plugin's fixture extends another plugin's of that name (as pytest, in loading order)
    holder: str = ""

    @property
    def location(self) -> str:
        code = self.func.__code__
        return f"{code.co_filename}:{code.co_firstlineno}"

    def applies_to(self, module_path: Path) -> bool:
        if self.everywhere:
            return True
        if self.baseid.suffix == ".py":
            return self.baseid == module_path
        return self.baseid == module_path.parent or self.baseid in module_path.parents

    @property
    def depth(self) -> int:
        # A module's own fixtures rank above every conftest, nearer conftests above farther.
        return len(self.baseid.parts) + (1000 if self.baseid.suffix == ".py" else 0)


_F = TypeVar("_F", bound=Callable[..., object])


@overload
def fixture(fn: _F) -> _F: ...
@overload
def fixture(
    fn: None = None,
    *,
    scope: str | Callable[..., str] = "pipeline",
    params: Iterable[object] | None = None,
    autouse: bool = False,
    ids: Ids = None,
    name: str | None = None,
) -> Callable[[_F], _F]: ...


def fixture(
    fn: Callable[..., Any] | None = None,
    *,
    scope: str | Callable[..., str] = "pipeline",
    params: Iterable[object] | None = None,
    autouse: bool = False,
    ids: Ids = None,
    name: str | None = None,
) -> Callable[..., Any]:
    """Declare a fixture: ``@zenrun.fixture`` or
    ``@zenrun.fixture(scope=, params=, autouse=, ids=, name=)``.

    A generator fixture's code after ``yield`` is its teardown. ``autouse``
    fixtures are set up for every pipeline that sees them.
    """
    # Drawn once: one fixture(params=iterator) decorator may decorate several functions.
    params = list(params) if params is not None else None

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(scope):  # a dynamic scope is called when the fixture is registered
            _check_scope(scope, name or str(getattr(func, "__name__", repr(func))), func)
        if isinstance(func, type):
            raise TypeError("class fixtures not supported (maybe in the future)")
        if hasattr(func, "_zenrun_fixture"):
            raise ValueError(
                f"@zenrun.fixture is being applied more than once to the same function {func.__name__!r}"
            )
        if getattr(func, "zenrun_marks", None):
            fail(MARKS_ON_FIXTURES, pytrace=False)
        fixture_name = name or func.__name__
        if fixture_name == "request":
            code = getattr(func, "__code__", None)
            where = f"{code.co_filename}:{_def_line(func)}" if code else func.__qualname__
            fail(f"'request' is a reserved word for fixtures, use another name:\n  {where}", pytrace=False)
        resolved = scope if callable(scope) else _ALIASES.get(scope, scope)

        @functools.wraps(func)
        def called_directly(*args: Any, **kwargs: Any) -> Any:
            fail(
                f'Fixture "{fixture_name}" called directly. Fixtures are not meant to be called '
                "directly,\nbut are created automatically when pipelines request them as "
                "parameters.",
                pytrace=False,
            )

        # As pytest: the decorated name is no plain function any more, so calling it is a
        # clear error instead of a value made outside the fixture's scope and teardown.
        called_directly._zenrun_fixture = {  # type: ignore[attr-defined]
            "scope": resolved,
            "params": list(params) if params is not None else None,
            "ids": ids,
            "name": fixture_name,
            "named": name is not None,  # else, as pytest, named after the name it is bound to
            "autouse": autouse,
            "declared_scope": scope,
            "func": func,
        }
        return called_directly

    return decorate(fn) if fn is not None else decorate


_ALIASES = {"function": "pipeline", "class": "module", "package": "session"}
#: The scopes widest first, pytest's ``package`` and ``class`` between zenrun's.
_RANKS = ("session", "package", "module", "class", "pipeline")


def _check_scope(scope: str, name: str, func: object) -> str:
    """``scope`` as one of :data:`SCOPES` (pytest's names are aliases); a ValueError otherwise."""
    if _ALIASES.get(scope, scope) not in SCOPES:
        where = Path(getattr(getattr(func, "__code__", None), "co_filename", "?")).name
        raise ValueError(
            f"Fixture '{name}' from {where} got an unexpected scope value '{scope}' (one of {SCOPES})"
        )
    return _ALIASES.get(scope, scope)


def fixture_info(obj: object) -> dict[str, Any] | None:
    """The ``@fixture`` data of a module attribute; objects whose attribute access raises
    (or returns anything) are not fixtures."""
    try:
        info = getattr(obj, "_zenrun_fixture", None) if callable(obj) else None
    except Exception:
        return None
    return info if isinstance(info, dict) else None


class FixtureRequest:
    """The ``request`` fixture: ``param``, ``fixturename``, ``scope``, ``config``, ``node``
    (the item: ``nodeid``, ``name``, ``marks``, ``keywords``), ``module``,
    ``addfinalizer`` and ``getfixturevalue``."""

    def __init__(
        self,
        setup: SetupState,
        item: Item,
        fixturedef: FixtureDef | None,
        scope_key: tuple[Any, ...] | None = None,
    ) -> None:
        self._setup = setup
        self._fixturedef = fixturedef
        self._scope_key = scope_key
        self._item = item
        self.config = setup.config
        self.fixturename = fixturedef.name if fixturedef else None
        self.scope = setup.scope_of(fixturedef, item) if fixturedef else "pipeline"
        # As pytest: a higher-scoped fixture's request.node is its module or the session.
        self.node: Item | ScopeNode = item if self.scope == "pipeline" else setup.scope_node(self.scope, item)
        self.param = (
            item.fixture_params[fixturedef.name][1]
            if (fixturedef and fixturedef.name in item.fixture_params)
            else _MISSING
        )
        if self.param is _MISSING:
            del self.param

    @property
    def param_index(self) -> int:
        return self._item.fixture_params.get(self.fixturename, (0,))[0]  # type: ignore[arg-type]

    @property
    def module(self) -> ModuleType | None:
        if self.scope == "session":
            raise AttributeError("module not available in session-scoped context")
        return getattr(self._item, "module", None)

    @property
    def function(self) -> Callable[..., Any] | None:
        """The pipeline's function (as pytest's ``request.function``); pipeline scope only."""
        if self.scope != "pipeline":
            raise AttributeError(f"function not available in {self.scope}-scoped context")
        target = getattr(self._item, "target", None)
        return getattr(target, "fn", None)

    @property
    def keywords(self) -> collections.ChainMap[str, Any]:
        """The node's keywords, with those of its module and the session behind them."""
        import collections

        chain = [self.node.keywords]
        if self.scope != "session":
            if self.scope == "pipeline":
                chain.append(self._setup.scope_node("module", self._item).keywords)
            chain.append(self._setup.scope_node("session", self._item).keywords)
        return collections.ChainMap(*chain)

    @property
    def fixturenames(self) -> list[str]:
        """The fixtures the item needs (its closure, with ``request`` when something asks for it
        and the parametrized names), then those its fixtures and body asked for with
        :meth:`getfixturevalue`, as pytest's ``request.fixturenames``."""
        names = list(self._item.fixturenames)
        asked = self._setup.asked.get(self._item.nodeid, {})
        return names + [name for name in asked if name not in names]

    @property
    def path(self) -> Path:
        """The pipeline module's path."""
        if self.scope == "session":
            raise AttributeError("path not available in session-scoped context")
        return self._item.module_path

    @property
    def cls(self) -> None:
        """``None`` (pipelines are functions, never methods); as pytest, not available to
        module- and session-scoped requests, but to a fixture declared ``scope="class"``
        (set up once per module here, as pytest does for a module's function tests)."""
        declared = self._fixturedef.declared_scope if self._fixturedef else None
        if self.scope != "pipeline" and declared != "class":
            raise AttributeError(f"cls not available in {self.scope}-scoped context")
        return None

    @property
    def session(self) -> Session | None:
        """The zenrun session (as pytest's ``request.session``)."""
        return self._setup.session

    @property
    def instance(self) -> None:
        """``None``: a pipeline is a function, never a method (as pytest's ``request.instance``
        of a function test)."""
        return None

    def raiseerror(self, msg: str | None) -> NoReturn:
        """Raise a :class:`FixtureLookupError` with ``msg``: the fixture cannot serve this item.
        As pytest's, its report shows where the fixture was asked for (the pipeline, then
        the fixtures being set up that led to it) and ``msg`` on ``E`` lines."""
        msg = msg or f"fixture {self.fixturename!r} cannot be set up"
        # The fixture raising is the last one being set up: shown from the side that asked.
        asking = [d.func for _, d in self._setup._computing if d is not self._fixturedef]
        tblines, location = requesting_lines(self._item, asking, self._item.nodeid)
        first, *rest = msg.split("\n")
        text = "\n".join(
            [
                *tblines,
                f"E       {first.strip()}",
                *(f">       {line.strip()}" for line in rest),
                "",
                location,
            ]
        )
        raise FixtureLookupError(text)

    def __repr__(self) -> str:
        return f"<FixtureRequest for {self._item.nodeid!r} ({self.fixturename or 'pipeline'})>"

    def addfinalizer(self, finalizer: Callable[[], object]) -> None:
        """Call ``finalizer`` when this fixture (or, for the pipeline, the item) is torn down."""
        self._setup.add_finalizer(self._scope_key or ("pipeline", self._item.nodeid), finalizer)

    def applymarker(self, marker: str | Mark | MarkDecorator) -> None:
        """Add a mark (e.g. ``zenrun.mark.xfail``) to the node of this request: the item, or
        for a higher-scoped fixture the session (``session.add_marker``: every item's mark) or
        its module (seen by its items' keywords)."""
        if self.node is self._item:
            self._item.add_marker(marker)
            return
        session = self._setup.session
        if self.scope == "session" and session is not None:  # as pytest: the session's mark
            session.add_marker(marker)
            return
        assert isinstance(self.node, ScopeNode)
        mark = getattr(marker, "mark", marker)
        if not hasattr(mark, "name"):
            raise ValueError(f"{marker!r} is not a zenrun.mark.* mark")
        self.node.keywords[mark.name] = mark

    def getfixturevalue(self, name: str) -> Any:
        value = self._setup.getfixturevalue(name, self._item, requester=self._fixturedef)
        self._setup.asked.setdefault(self._item.nodeid, {})[name] = None
        return value


# eq=False: nodes compare as objects, as pytest's; zenrun compares none, and a generated
# __eq__ is compiled when zenrun starts (zenrun --help)
@dataclass(eq=False)
class ScopeNode:
    """``request.node`` of a module- or session-scoped fixture."""

    name: str
    keywords: dict[str, Any] = field(default_factory=dict)
    module_path: Path | None = None  # the module's file, for a module-scoped fixture
    module: ModuleType | None = None
    #: A plugin's storage on this node, as pytest's ``node.stash`` (a dict here).
    stash: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def path(self) -> Path | None:
        return self.module_path


class FixtureManager:
    """All fixture definitions found so far, by name."""

    def __init__(self, config: Config | None = None) -> None:
        self.defs: dict[str, list[FixtureDef]] = {}
        self.config = config
        self.started = False  # set when collection starts: the command line is parsed by then
        self._dynamic: list[FixtureDef] = []

    def resolve_dynamic_scopes(self) -> None:
        """Call the pending ``scope=callable`` of fixtures with ``fixture_name`` and ``config``
        (as pytest, once, when options are known); a ValueError for an unknown scope name
        (the fixture is then dropped)."""
        self.started = True
        while self._dynamic:
            fixturedef = self._dynamic.pop(0)
            assert callable(fixturedef.scope)
            try:
                fixturedef.scope = _check_scope(
                    fixturedef.scope(fixture_name=fixturedef.name, config=self.config),
                    fixturedef.name,
                    fixturedef.func,
                )
            except ValueError:
                self.defs[fixturedef.name].remove(fixturedef)
                raise

    def parse(self, holder: object, baseid: Path, everywhere: bool = False) -> None:
        """Register the fixtures of ``holder`` (a conftest, a pipeline or plugin module, a
        plugin object) as seen from ``baseid``. Parsing the same holder again replaces its
        definitions; another holder's of the same name and ``baseid`` stay below them."""
        source = getattr(holder, "__name__", None)
        if not isinstance(source, str):
            source = f"{type(holder).__module__}.{type(holder).__qualname__}"
        for attr, obj in list(vars(holder).items()):
            info = fixture_info(obj)
            if info is None or not isinstance(attr, str):
                continue
            argnames = [
                p.name
                for p in inspect.signature(obj).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            fixturedef = FixtureDef(
                info["name"] if info.get("named") else attr,
                info["func"],
                info["scope"],
                info["params"],
                info["ids"],
                baseid,
                argnames,
                info.get("autouse", False),
                info.get("declared_scope"),
                everywhere,
                source,
            )
            existing = self.defs.setdefault(fixturedef.name, [])
            existing[:] = [d for d in existing if d.baseid != baseid or d.holder != source]
            existing.append(fixturedef)
            if callable(fixturedef.scope):
                self._dynamic.append(fixturedef)
                if self.started:
                    self.resolve_dynamic_scopes()

    def chain(self, name: str, module_path: Path) -> list[FixtureDef]:
        """The definitions of ``name`` visible from ``module_path``, farthest first."""
        return sorted(
            (d for d in self.defs.get(name, ()) if d.applies_to(module_path)), key=lambda d: d.depth
        )

    def get(self, name: str, module_path: Path) -> FixtureDef | None:
        """The definition of ``name`` that applies to ``module_path`` (nearest wins)."""
        chain = self.chain(name, module_path)
        return chain[-1] if chain else None

    def resolve(self, name: str, module_path: Path, requester: FixtureDef | None) -> FixtureDef | None:
        """What ``name`` means to ``requester``: a fixture asking for its own name gets the
        definition it overrides (``def spam(spam)``)."""
        chain = self.chain(name, module_path)
        if requester is not None and requester.name == name and requester in chain:
            index = chain.index(requester)
            return chain[index - 1] if index > 0 else None
        return chain[-1] if chain else None

    def autouse(self, module_path: Path) -> list[str]:
        """The autouse fixtures visible from ``module_path``: farther (conftest) ones first."""
        visible = [d for d in (self.get(n, module_path) for n in self.defs) if d is not None]
        return [d.name for d in sorted(visible, key=lambda d: d.depth) if d.autouse]

    def available(self, module_path: Path) -> list[str]:
        return sorted(n for n in self.defs if self.get(n, module_path) is not None)

    def closure(
        self, argnames: list[str], module_path: Path, exclude: Iterable[str] = ()
    ) -> tuple[list[str], list[str]]:
        """All fixtures needed by ``argnames``, transitively; and the names not found.
        ``exclude``: names given directly (parametrized), whose fixtures are not needed."""
        excluded = set(exclude)
        # As pytest's traverse_fixture_closure: depth first from ``argnames``, each name once,
        # a fixture that asks for its own name extending the definition it overrides.
        indices: dict[str, int] = {}
        order: list[str] = []

        def visit(name: str) -> None:
            stack = [(name, 0)]
            while stack:  # an explicit stack: a long chain of fixtures is no RecursionError
                current, step = stack.pop()
                if step == 0:
                    index = indices.get(current)
                    if index == -1:
                        continue
                    if index is None:
                        order.append(current)
                        indices[current] = -1
                    chain = (
                        []
                        if current in excluded or current == "request"
                        else self.chain(current, module_path)
                    )
                    index = indices.get(current, -1)
                    if not chain or -index > len(chain):
                        continue
                    indices[current] = index - 1
                    stack.append((current, index))  # restores the index after the arguments
                    stack.extend((dep, 0) for dep in reversed(chain[index].argnames))
                else:
                    indices[current] = step

        for name in argnames:
            visit(name)
        needed = [n for n in order if n == "request" or n in excluded or self.get(n, module_path) is not None]
        missing = [n for n in order if n not in needed]
        ranks = _RANKS

        def scope_rank(name: str) -> int:
            fixturedef = None if name in excluded else self.get(name, module_path)
            if fixturedef is None or not isinstance(fixturedef.scope, str):
                return len(ranks) - 1  # as pytest: a parameter (or request) ranks as the item's scope
            declared = "pipeline" if fixturedef.declared_scope == "function" else fixturedef.declared_scope
            return ranks.index(declared if declared in ranks else fixturedef.scope)

        # As pytest: higher-scoped fixtures first, the order of requests within a scope.
        needed.sort(key=scope_rank)
        return needed, missing

    def missing_error(self, item: Item) -> FixtureLookupError:
        """The error of an item whose fixture closure names a fixture that does not exist;
        as pytest, it shows the fixture that asked for it."""
        name = item.missing[0]
        chain = self._requesting_chain(name, item)
        return self.lookup_error(name, item.module_path, item.nodeid, item=item, stack=chain)

    def _requesting_chain(self, name: str, item: Item) -> list[FixtureDef]:
        """The fixtures from one the pipeline asks for down to the one that asks for ``name``
        (pytest shows each of them above the error)."""

        def walk(current: str, seen: frozenset[str]) -> list[FixtureDef] | None:
            fixturedef = self.get(current, item.module_path)
            if fixturedef is None or current in seen:
                return None
            if name in fixturedef.argnames:
                return [fixturedef]
            for arg in fixturedef.argnames:
                below = walk(arg, seen | {current})
                if below is not None:
                    return [fixturedef, *below]
            return None

        for start in item.fixturenames:
            found = walk(start, frozenset())
            if found is not None:
                return found
        return []

    def lookup_error(
        self,
        name: str,
        module_path: Path,
        where: str,
        requester: FixtureDef | None = None,
        item: Any = None,
        stack: list[FixtureDef] | None = None,
        recursive: bool = False,
    ) -> FixtureLookupError:
        """pytest's report of a missing (or recursive) fixture: the source of the pipeline and
        of the fixtures that asked (``file PATH, line N`` and the lines up to ``def``), then
        ``E       fixture 'x' not found`` and the available fixtures."""
        available = ", ".join(self.available(module_path))
        requesters = stack if stack is not None else [requester] if requester else []
        tblines, location = requesting_lines(item, [d.func for d in requesters], where)
        if recursive:
            first = f"recursive dependency involving fixture {name!r} detected"
        else:
            first = f"fixture {name!r} not found"
        text = "\n".join(
            [
                *tblines,
                f"E       {first}",
                f">       available fixtures: {available}",
                ">       use 'zenrun --fixtures [testpath]' for help on them.",
                "",
                location,
            ]
        )
        return FixtureLookupError(text)

    def show(self, module_paths: list[Path], rootdir: Path, verbose: bool = False) -> Iterator[str]:
        """Lines for ``zenrun --fixtures``: each fixture, where it is defined, and its docstring.

        Only the definitions the collected modules see, unless ``verbose``
        (then overridden ones too), as pytest does.
        """
        shown: set[tuple[str, Path]] = set()
        entries: list[tuple[int, str, str, str, list[str]]] = []
        for name in sorted(self.defs):
            visible = {id(self.get(name, p)) for p in module_paths}
            for fixturedef in sorted(self.defs[name], key=lambda d: d.depth):
                if module_paths and not any(fixturedef.applies_to(p) for p in module_paths):
                    continue
                if module_paths and not verbose and id(fixturedef) not in visible:
                    continue
                key = (name, fixturedef.baseid)
                if key in shown or (name.startswith("_") and not verbose):  # as pytest
                    continue
                shown.add(key)
                where, location = _location(fixturedef.func, rootdir)
                scope = "" if fixturedef.scope == "pipeline" else f" [{fixturedef.scope} scope]"
                params = f" params={fixturedef.params!r}" if fixturedef.params is not None else ""
                doc = inspect.getdoc(fixturedef.func)
                if doc and not verbose:  # as pytest: its first paragraph, the whole with -v
                    doc = doc.split("\n\n", 1)[0]
                module = getattr(fixturedef.func, "__module__", None) or where.stem
                # pytest's sort key: farthest first, then module, then "path:line" as a string
                entries.append(
                    (
                        fixturedef.depth,
                        module,
                        location,
                        name,
                        [
                            f"{name}{scope}{params} -- {location}",
                            "    " + (doc.replace("\n", "\n    ") if doc else "no docstring available"),
                            "",  # as pytest: a blank line after each
                        ],
                    )
                )
        # As pytest: one section per defining module, farthest (rootdir conftest) first.
        current = None
        for _, module, _, _, lines in sorted(entries):
            if module != current:
                title = f" fixtures defined from {module} "
                side = max(3, (78 - len(title)) // 2)
                yield "-" * side + title + "-" * side
                current = module
            yield from lines

    def show_per_item(
        self, items: list[Any], rootdir: Path, verbose: bool = False
    ) -> Iterator[tuple[str, str]]:
        """``zenrun --fixtures-per-test``: for each item that uses fixtures, ``("sep",
        title)`` lines (``fixtures used by NAME``, then where its pipeline is defined), then
        ``("line", text)`` for each fixture it uses (by name), where it is defined and its
        docstring (its first paragraph unless ``verbose``), as pytest lists them."""
        for item in items:
            used = sorted(name for name in item.fixturenames if name != "request" and name not in item.params)
            defs = [(name, d) for name in used if (d := self.get(name, item.module_path)) is not None]
            if not defs:
                continue
            fn = getattr(item.target, "fn", None)
            yield "line", ""
            yield "sep", f"fixtures used by {item.name}"
            yield "sep", f"({_location(fn, rootdir)[1] if fn is not None else item.nodeid})"
            for name, fixturedef in defs:
                if name.startswith("_") and not verbose:  # as pytest
                    continue
                yield "line", f"{name} -- {_location(fixturedef.func, rootdir)[1]}"
                doc = inspect.getdoc(fixturedef.func)
                if doc and not verbose:
                    doc = doc.split("\n\n", 1)[0]
                yield "line", "    " + (doc.replace("\n", "\n    ") if doc else "no docstring available")


class SetupState:
    """Fixture values per scope and the teardowns to run when a scope ends.

    A cached value is keyed by its scope (session, module path, or item) and
    definition; it remembers the parameter it was made with. When a later item
    needs another parameter of the same higher-scoped fixture, the old instance
    (and what was built on it) is torn down first, as pytest does.
    """

    def __init__(self, config: Config, manager: FixtureManager, session: Session | None = None) -> None:
        self.config = config
        self.session = session
        self.manager = manager
        self._values: dict[tuple[Any, ...], tuple[object, Any]] = {}
        self._finalizers: dict[tuple[Any, ...], list[Callable[[], object]]] = {}
        self.show_setup = bool(
            config.getoption("setupshow", False)
            or config.getoption("setuponly", False)
            or config.getoption("setupplan", False)
        )
        self._shown: dict[tuple[Any, ...], str] = {}  # --setup-show: the TEARDOWN line of a key
        self._deferred: list[str] = []  # the item's TEARDOWN lines, shown after its result
        self._dependents: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        #: The fixtures each instance was made from: (name, key of their instance).
        self._uses: dict[tuple[Any, ...], list[tuple[str, tuple[Any, ...]]]] = {}
        #: The parametrized arguments (``parametrize(..., scope="module")``) each instance
        #: was made from: (name, value).
        self._param_values: dict[tuple[Any, ...], list[tuple[str, Any]]] = {}
        self._computing: list[tuple[str, FixtureDef]] = []
        self.errors: list[BaseException] = []
        #: The names each item's fixtures and body asked for with ``request.getfixturevalue``
        #: (by node id, in order): part of its ``request.fixturenames``, as in pytest.
        self.asked: dict[str, dict[str, None]] = {}
        self._tearing_down = 0  # finalizers running (nested: one may tear down another scope)

    def scope_node(self, scope: str, item: Item) -> ScopeNode:
        key = ("session",) if scope == "session" else ("module", item.module_path)
        nodes: dict[tuple[Any, ...], ScopeNode] = self.__dict__.setdefault("_nodes", {})
        if key not in nodes:
            nodes[key] = (
                # the session's keywords (its marks: session.add_marker), as pytest's session node
                ScopeNode("session", keywords=getattr(self.session, "keywords", {}))
                if scope == "session"
                else ScopeNode(
                    item.module_path.name, module_path=item.module_path, module=getattr(item, "module", None)
                )
            )
        return nodes[key]

    def scope_of(self, fixturedef: FixtureDef, item: Item) -> str:
        """A fixture's scope for ``item``: ``parametrize(..., scope=)`` may widen it."""
        scope: str = getattr(item, "param_scopes", {}).get(fixturedef.name, fixturedef.scope)
        return scope

    def _ranked_scope(self, fixturedef: FixtureDef, item: Item) -> str:
        """The scope of :data:`_RANKS` a fixture has for ``item``: its declared name (pytest's
        ``package`` / ``class`` included) unless ``parametrize(..., scope=)`` widened it."""
        scope = self.scope_of(fixturedef, item)
        declared = fixturedef.declared_scope
        declared = "pipeline" if declared == "function" else declared
        if scope == fixturedef.scope and isinstance(declared, str) and declared in _RANKS:
            return declared
        return scope

    def _scope_key(self, scope: str, item: Item | None) -> tuple[Any, ...]:
        if scope == "session":
            return ("session",)
        assert item is not None, f"a {scope} scope needs its item"
        if scope == "module":
            return ("module", item.module_path)
        return ("pipeline", item.nodeid)

    def add_finalizer(self, key: tuple[Any, ...], finalizer: Callable[[], object]) -> None:
        self._finalizers.setdefault(key, []).append(finalizer)

    def getfixturevalue(self, name: str, item: Item, requester: FixtureDef | None = None) -> Any:
        if name == "request":
            return FixtureRequest(self, item, None)
        direct = getattr(item, "params", {})
        if requester is not None and name in direct:
            # As pytest: a directly parametrized name is a fixture of its own for the item,
            # shadowing any fixture of that name, so fixtures may ask for it; of the item's
            # scope unless ``parametrize(..., scope=)`` widened it. A wider fixture asking for
            # it would be made once from the first item's value and kept for the others.
            callspec = getattr(item, "callspec", None)
            param_scope = (callspec.scopes.get(name) if callspec is not None else None) or "pipeline"
            requester_scope = self._ranked_scope(requester, item)
            if _RANKS.index(param_scope) > _RANKS.index(requester_scope):
                raise self._scope_mismatch(
                    name,
                    param_scope,
                    requester,
                    requester_scope,
                    f"{name}: a parametrized argument of {item.nodeid} (parametrize(..., "
                    f"scope={requester_scope!r}) makes it {requester_scope} scoped)",
                )
            return direct[name]
        fixturedef = self.manager.resolve(name, item.module_path, requester)
        active = [d for n, d in self._computing if n == name]
        if active:
            # As pytest: a name being set up means, further down, the definition it overrides
            # (``def app(intermediate)`` whose ``intermediate(app)`` asks for the outer ``app``);
            # past the farthest one, a recursive dependency.
            chain = self.manager.chain(name, item.module_path)
            first = min((chain.index(d) for d in active if d in chain), default=0)
            if first == 0:
                raise self.manager.lookup_error(
                    name,
                    item.module_path,
                    item.nodeid,
                    item=item,
                    stack=[d for _, d in self._computing],
                    recursive=True,
                )
            fixturedef = chain[first - 1]
        if fixturedef is None:
            raise self.manager.lookup_error(name, item.module_path, item.nodeid, requester, item=item)
        scope = self.scope_of(fixturedef, item)
        if requester is not None:
            # pytest's names rank between zenrun's (session > package > module > class >
            # pipeline): a session fixture may not request a package one, as in pytest. The
            # requested fixture ranks by its own scope: ``parametrize(..., indirect=True,
            # scope=)`` changes how long its instances live, not who may depend on it (pytest
            # #13248: a session fixture asking for one narrowed so is no ScopeMismatch).
            requested_scope = _own_scope(fixturedef)
            requester_scope = self._ranked_scope(requester, item)
            if _RANKS.index(requested_scope) > _RANKS.index(requester_scope):
                raise self._scope_mismatch(
                    name, requested_scope, requester, requester_scope, _where(fixturedef, self.config)
                )
        if (
            fixturedef.params is not None
            and name not in item.fixture_params
            and name not in getattr(item, "params", {})
        ):
            # As pytest's: a failure (``Failed: ...`` in the short summary), not a lookup error
            fail(self._no_param_message(name, fixturedef, item), pytrace=False)
        key = (*self._scope_key(scope, item), name, id(fixturedef))
        # As pytest: an instance is reused for an equal parameter value (not index).
        param = item.fixture_params.get(name, (None, None))[1]
        if key in self._values:
            # As pytest: an instance made from another parameter of a fixture it depends on
            # (a module fixture on a parametrized one) is torn down with that one, and made
            # again from the new parameter, whichever the pipeline asks first.
            outdated = self._outdated_dependency(key, item)
            if outdated is not None:
                self.errors += self._finish(outdated)
        if key in self._values:
            cached_param, value = self._values[key]
            if _same_param(cached_param, param):
                if isinstance(value, _SetupError):  # as pytest: a failed setup is not retried
                    raise value.exc.with_traceback(value.traceback)
                return value
            self.errors += self._finish(key)  # another parameter: the old instance goes first
        if self._tearing_down:
            # As pytest: a teardown may ask for what is set up, not set up something new
            # (whose own teardown would have no scope left to run in).
            raise FixtureLookupError(
                f'The fixture value for "{name}" is not available during teardown because it '
                "was not previously requested."
            )
        self._computing.append((name, fixturedef))
        called = False
        try:
            kwargs = {}
            for arg in fixturedef.argnames:
                if arg == "request":
                    kwargs[arg] = FixtureRequest(self, item, fixturedef, key)
                    continue
                kwargs[arg] = self.getfixturevalue(arg, item, requester=fixturedef)
                if arg in getattr(item, "params", {}):  # a parametrized argument: its value
                    self._param_values.setdefault(key, []).append((arg, kwargs[arg]))
                    continue
                dependency = self._key_of(arg, item, fixturedef)
                if dependency is not None:
                    self._dependents.setdefault(dependency, []).append(key)
                    self._uses.setdefault(key, []).append((arg, dependency))
            plan = self.config.getoption("setupplan", False)
            if inspect.iscoroutinefunction(fixturedef.func) or inspect.isasyncgenfunction(fixturedef.func):
                # as pytest: a coroutine nobody awaits would be the value, and its code never run
                fail(
                    f"{item.name!r} requested an async fixture {name!r}"
                    f"{' with autouse=True' if fixturedef.autouse else ''}, with no plugin or hook that "
                    "handled it. This is an error, as zenrun does not natively support it.",
                    pytrace=False,
                )
            if plan:
                result = None
            else:
                called = True  # what it asks for is set up: from here its own code runs
                with heap.user_code():
                    result = fixturedef.func(**kwargs)
            if self.show_setup:
                self._show_action("SETUP", fixturedef, scope, key, item)
            if inspect.isgenerator(result):
                generator = result
                try:
                    with heap.user_code():
                        result = next(generator)
                except StopIteration:
                    raise ValueError(f"{name} did not yield a value") from None
                self.add_finalizer(key, functools.partial(_finish, generator, fixturedef.func))
        except BaseException as exc:  # zenrun.skip() / zenrun.fail() derive from BaseException
            if not isinstance(exc, (FixtureLookupError, KeyboardInterrupt, GeneratorExit)):
                self._values[key] = (param, _SetupError(exc, exc.__traceback__))
                if called and self.show_setup and key not in self._shown:
                    # As pytest (its pytest_fixture_setup wrapper shows the line in a
                    # ``finally``): a fixture whose own code raised was set up too, and is
                    # torn down with its scope; one whose dependency failed never started.
                    self._show_action("SETUP", fixturedef, scope, key, item)
            raise
        finally:
            self._computing.pop()
        self._values[key] = (param, result)
        return result

    def _scope_mismatch(
        self, name: str, scope: str, requester: FixtureDef, requester_scope: str, requested: str
    ) -> ScopeMismatch:
        """pytest's error for a fixture asking for a narrower one: the whole stack of
        fixtures being set up, then the one asked for (``requested``)."""
        stack = [d for _, d in self._computing] or [requester]
        return ScopeMismatch(
            f"ScopeMismatch: You tried to access the {scope} scoped fixture {name} with a "
            f"{requester_scope} scoped request object. Requesting fixture stack:\n"
            + "\n".join(_where(d, self.config) for d in stack)
            + f"\nRequested fixture:\n{requested}"
        )

    def _no_param_message(self, name: str, fixturedef: FixtureDef, item: Item) -> str:
        """pytest's error for a parametrized fixture requested dynamically (its parameters were
        not known at collection), with where it is defined and where it was asked for."""
        frame: FrameType | None = sys._getframe(1)
        zenrun_dir = str(Path(__file__).parent)
        while frame is not None and frame.f_code.co_filename.startswith(zenrun_dir):
            frame = frame.f_back
        code = fixturedef.func.__code__
        here = f"{self._relative(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else "?"
        return (
            f"The requested fixture has no parameter defined for test:\n    {item.nodeid}\n\n"
            f"Requested fixture '{name}' defined in:\n"
            f"{self._relative(code.co_filename)}:{_def_line(fixturedef.func)}\n\n"
            f"Requested here:\n{here}"
        )

    def _relative(self, filename: str) -> str:
        try:
            return Path(filename).relative_to(self.config.rootpath).as_posix()
        except (ValueError, AttributeError):
            return filename

    def _key_of(self, name: str, item: Item, requester: FixtureDef) -> tuple[Any, ...] | None:
        fixturedef = self.manager.resolve(name, item.module_path, requester)
        if fixturedef is None:
            return None
        return (*self._scope_key(self.scope_of(fixturedef, item), item), name, id(fixturedef))

    def _outdated_dependency(
        self, key: tuple[Any, ...], item: Item, seen: set[tuple[Any, ...]] | None = None
    ) -> tuple[Any, ...] | None:
        """The instance ``key`` was made from, directly or not, whose parameter is not
        ``item``'s: the one to tear down (with what was built on it) before ``key`` is used."""
        seen = set() if seen is None else seen
        seen.add(key)  # (an override chain, ``def app(app)``, names one key for two definitions)
        direct = getattr(item, "params", {})
        for name, value in self._param_values.get(key, ()):
            if name in direct and not _same_param(value, direct[name]):
                return key  # made from another value of a parametrized argument
        for name, used in self._uses.get(key, ()):
            cached = self._values.get(used)
            if cached is None or used in seen:
                continue  # no instance now (or one this walk has seen): nothing to compare
            if not _same_param(cached[0], item.fixture_params.get(name, (None, None))[1]):
                return used
            deeper = self._outdated_dependency(used, item, seen)
            if deeper is not None:
                return deeper
        return None

    def _finish(self, key: tuple[Any, ...]) -> list[BaseException]:
        """Tear down one fixture instance: what depends on it first, then its finalizers."""
        errors: list[BaseException] = []
        for dependent in reversed(self._dependents.pop(key, [])):
            if dependent in self._values or dependent in self._finalizers:
                errors += self._finish(dependent)
        self._tearing_down += 1
        try:
            for finalizer in reversed(self._finalizers.pop(key, [])):
                try:
                    with heap.user_code():
                        finalizer()
                except BaseException as exc:
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    errors.append(exc)
        finally:
            self._tearing_down -= 1
        shown = self._shown.pop(key, None)
        if shown is not None:  # after its finalizers, as pytest's fixture_post_finalizer
            if key[0] == "pipeline":  # after the item's result letter, as pytest shows it
                self._deferred.append(shown)
            else:
                self._write(shown)
        self._values.pop(key, None)
        self._uses.pop(key, None)
        self._param_values.pop(key, None)
        return errors

    def _show_action(
        self, msg: str, fixturedef: FixtureDef, scope: str, key: tuple[Any, ...], item: Item
    ) -> None:
        """``--setup-show``: pytest's ``SETUP    F name (fixtures used: ...)[param]`` line,
        indented by scope (session 0, module 4, pipeline 8); its TEARDOWN line is kept for
        :meth:`_finish`. The scope letter is pytest's (``F`` for zenrun's pipeline scope)."""
        declared = fixturedef.declared_scope if isinstance(fixturedef.declared_scope, str) else scope
        head = _shown_head(declared, fixturedef.name)
        deps = sorted(a for a in fixturedef.argnames if a != "request")
        used = f" (fixtures used: {', '.join(deps)})" if deps else ""
        param = ""
        if fixturedef.name in item.fixture_params:
            index, value = item.fixture_params[fixturedef.name]
            # As pytest: the parameter's id when the fixture gives ids, else its value
            shown = value
            if callable(fixturedef.ids):
                shown = fixturedef.ids(value)
            elif fixturedef.ids is not None:
                ids = list(fixturedef.ids)
                shown = ids[index] if 0 <= index < len(ids) else value
            param = f"[{saferepr(shown, 42)}]"
        elif fixturedef.name in getattr(item, "params", {}):
            param = f"[{saferepr(item.params[fixturedef.name], 42)}]"
        self._write(head.format(msg=msg) + used + param)
        self._shown[key] = head.format(msg="TEARDOWN") + param

    def show_param(self, name: str, item: Item) -> None:
        """``--setup-show``: a directly parametrized name, a fixture of its own in pytest
        (``SETUP    F x[10]``), set up where the item's closure names it and torn down with
        its scope (``parametrize(..., scope=)``): kept as a value of that scope."""
        callspec = getattr(item, "callspec", None)
        scope = (callspec.scopes.get(name) if callspec is not None else None) or "pipeline"
        key = (*self._scope_key(scope, item), name, "parametrized")
        value = item.params[name]
        if key in self._values:
            if _same_param(self._values[key][0], value):
                return
            self.errors += self._finish(key)  # another value: as a fixture's other parameter
        self._values[key] = (value, value)
        head, param = _shown_head(scope, name), f"[{saferepr(value, 42)}]"
        self._write(head.format(msg="SETUP") + param)
        self._shown[key] = head.format(msg="TEARDOWN") + param

    def _write(self, text: str) -> None:
        if self._deferred:  # lines held for the item's result letter keep their order
            lines, self._deferred = self._deferred, []
            for line in lines:
                self._write(line)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n" + text)

    def flush_shown(self) -> None:
        """``--setup-show``: the TEARDOWN lines of the item just reported."""
        lines, self._deferred = self._deferred, []
        for line in lines:
            self._write(line)

    def show_item(self, item: Item) -> None:
        """``--setup-show``: the item's line, with the fixtures it uses (as pytest)."""
        used = sorted(item.fixturenames)
        runs = not (self.config.getoption("setuponly", False) or self.config.getoption("setupplan", False))
        line = " " * 8 + item.nodeid + (f" (fixtures used: {', '.join(used)})" if used else "")
        self._write(line + (" " if runs else ""))  # the result letter follows, as pytest

    def teardown(self, scope: str, item: Item | None = None) -> list[BaseException]:
        """Run the teardowns of ``scope`` (for ``item``'s module or pipeline), newest first."""
        prefix = ("session",) if scope == "session" else self._scope_key(scope, item)
        errors, self.errors = self.errors, []
        for key in reversed(self._ordered_keys(prefix)):
            errors += self._finish(key)
        return errors

    def teardown_all(self) -> list[BaseException]:
        self.flush_shown()
        errors: list[BaseException] = []
        for scope in ("pipeline", "module", "session"):
            for key in reversed(self._ordered_keys((scope,))):
                errors += self._finish(key)
        self.flush_shown()
        return errors

    def _ordered_keys(self, prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Instances under ``prefix`` in creation order (a value is stored once it is made,
        so what it depends on comes before it); finalizer-only keys last."""
        keys = [*self._values, *(k for k in self._finalizers if k not in self._values)]
        return [k for k in keys if k[: len(prefix)] == prefix]


def _own_scope(fixturedef: FixtureDef) -> str:
    """The scope of :data:`_RANKS` a fixture declares (pytest's ``package`` / ``class``
    included), whatever ``parametrize(..., scope=)`` made of it for an item."""
    declared = fixturedef.declared_scope
    declared = "pipeline" if declared == "function" else declared
    if isinstance(declared, str) and declared in _RANKS:
        return declared
    assert isinstance(fixturedef.scope, str), "dynamic scopes are resolved when collection starts"
    return fixturedef.scope


def _shown_head(scope: str, name: str) -> str:
    """The start of a ``--setup-show`` line, ``{msg}`` to fill: indented by scope, with
    pytest's scope letter (``F`` for zenrun's pipeline scope)."""
    pytest_scope = {"pipeline": "function"}.get(scope, scope)
    order = ("session", "package", "module", "class", "function")
    indent = " " * 2 * (order.index(pytest_scope) if pytest_scope in order else 4)
    return f"{indent}{{msg:<8}} {pytest_scope[0].upper()} {name}"


def _same_param(cached: object, param: object) -> bool:
    if cached is param:
        return True
    try:
        return bool(cached == param)
    except Exception:  # a parameter without usable __eq__ (pytest: identity then)
        return False


class _SetupError:
    """The cached outcome of a fixture whose setup raised: raised again for later items."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints it.
    __slots__ = ("exc", "traceback")

    def __init__(self, exc: BaseException, traceback: TracebackType | None) -> None:
        self.exc = exc
        self.traceback = traceback


def _location(func: Callable[..., Any], rootdir: Path) -> tuple[Path, str]:
    """Where ``func`` is defined: its file (relative to ``rootdir``; zenrun's own as
    ``zenrun/x.py``, as pytest shows its built-ins) and ``file:line`` of its ``def``."""
    code = func.__code__
    try:
        where = Path(code.co_filename).relative_to(rootdir)
    except ValueError:
        where = Path(code.co_filename)
        if _INSTALLED in where.parents:
            where = where.relative_to(_INSTALLED)
    return where, f"{where.as_posix()}:{_def_line(func)}"


def _def_line(func: Callable[..., Any]) -> int:
    """The line of ``def`` (pytest's fixture location), not of the decorator above it."""
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError):
        return func.__code__.co_firstlineno
    for offset, line in enumerate(lines):
        if line.lstrip().startswith(("def ", "async def ")):
            return start + offset
    return start


def _where(fixturedef: FixtureDef, config: Config) -> str:
    """``path:line:  def name(args)`` of a fixture, as pytest shows it."""
    code = fixturedef.func.__code__
    path = Path(code.co_filename)
    try:
        path = path.relative_to(config.rootpath)
    except ValueError:
        pass
    return f"{path.as_posix()}:{code.co_firstlineno}:  def {fixturedef.func.__name__}{inspect.signature(fixturedef.func)}"


def _finish(generator: Iterator[Any], func: Callable[..., Any]) -> None:
    try:
        next(generator)
    except StopIteration:
        return
    code = func.__code__
    raise RuntimeError(f"fixture function has more than one 'yield':\n  {code.co_filename}:{_def_line(func)}")


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    debugging = parser.getgroup("general")
    debugging.addoption(
        "--setup-only",
        dest="setuponly",
        action="store_true",
        default=False,
        help="only set up fixtures, do not run pipelines (implies --setup-show)",
    )
    debugging.addoption(
        "--setup-show",
        dest="setupshow",
        action="store_true",
        default=False,
        help="show the setup and teardown of fixtures while running pipelines",
    )
    debugging.addoption(
        "--setup-plan",
        dest="setupplan",
        action="store_true",
        default=False,
        help="show what fixtures and pipelines would run, without running anything",
    )
    parser.getgroup("general").addoption(
        "--fixtures",
        dest="showfixtures",
        action="store_true",
        default=False,
        help="list the available fixtures, where they are defined and their docstrings",
    )
    parser.getgroup("general").addoption(
        "--fixtures-per-test",
        "--fixtures-per-pipeline",
        dest="show_fixtures_per_test",
        action="store_true",
        default=False,
        help="list the fixtures each collected pipeline uses, where they are defined and their docstrings",
    )


@fixture(scope="session")
def zenrunconfig(request: FixtureRequest) -> Config:
    """The session's :class:`~zenrun.config.Config` (pytest's ``pytestconfig``):
    ``zenrunconfig.getoption("verbose")``, ``zenrunconfig.getini("markers")``."""
    return request.config
