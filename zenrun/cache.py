"""Cache keys, the reasons a step hit or missed, and the built-in SQLite cache.

A key covers: the step's source (docstrings, comments and decorators left
out) and that of the project functions it references, transitively; its
qualified name and ``cache_version``; the config and literal parameters as
canonical JSON; the content hashes of its inputs; the materializers; and
the store format version. Nothing depends on where the store lives.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import inspect
import itertools
import json
import linecache
import logging
import os
import sys
import textwrap
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from zenrun import replay
from zenrun import timing as time  # the clock as imported: a monkeypatched time is not ours
from zenrun.artifacts.materializers import PickleMaterializer, pickler_class
from zenrun.bytecode import operations
from zenrun.canonical import (
    CanonicalJSONError,
    canonical_json,
    config_json,
    exactness_digest,
    reusable_encode,
    template_pieces,
)
from zenrun.datadeps import DATA_KEY
from zenrun.deferred import dataclass
from zenrun.hookspec import hookimpl
from zenrun.installed import distribution_version, packages_distributions
from zenrun.metadata.sqlite import StoreDamagedError, StoreFullError, connect
from zenrun.protocols import Cache
from zenrun.sources import (
    canonical_module,
    class_source,
    function_source,
    real_path,
    remember,
    set_rootdir,
    source_is_current,
)
from zenrun.sources import (
    prepare as prepare_sources,
)
from zenrun.sqlitewal import insert_many, is_damage, is_full, variable_limit
from zenrun.tbstyle import exception_text

# sqlite3, hashlib and sysconfig are imported in the functions using them: `zenrun --help`
# loads this module and needs none of that (tests/test_cli.py checks it).

STORE_FORMAT_VERSION = "2"


def sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------------------
# Code fingerprints
# ---------------------------------------------------------------------------


@functools.cache
def _library_roots() -> tuple[str, ...]:
    """The directories of library code (zenrun, the standard library, site-packages); found
    at the first fingerprint, not at import: ``sysconfig`` and resolving them cost start-up."""
    import sysconfig

    roots = {str(Path(__file__).parent)}  # zenrun itself
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars or None)
        roots.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    try:
        import site

        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except Exception:  # pragma: no cover - embedded interpreters without site
        pass
    return tuple(sorted(str(Path(r).resolve()) + os.sep for r in roots if r))


def prepare() -> None:
    """Do now what the first code fingerprint of a process would (find where libraries lie,
    compile the patterns that find a function's source): a session does as it starts."""
    _library_roots()
    prepare_sources()


# Process-wide memos of facts that never change for the object they are keyed on:
# code objects are immutable, and a class's source is fixed when it is created.
# Each entry keeps its object alive so that its id() is never reused.
_source_memo: dict[int, tuple[Any, str]] = {}
_chain_memo: dict[int, tuple[Any, tuple[tuple[str, ...], ...], frozenset[str]]] = {}
_file_memo: dict[str, bool] = {}


def _is_library_file(path: str) -> bool:
    known = _file_memo.get(path)
    if known is None:
        known = _file_memo[path] = real_path(path).startswith(_library_roots())
    return known


def _source_file(obj: Any) -> str | None:
    try:
        return inspect.getsourcefile(obj)
    except TypeError:
        return None


def _is_project_code(obj: Any) -> bool:
    """Defined in the project (not the standard library, site-packages or zenrun).

    Code whose file is unknown (``exec``, a notebook cell) counts as project code.
    """
    if inspect.ismodule(obj):
        path = getattr(obj, "__file__", None) or next(iter(getattr(obj, "__path__", None) or []), None)
        return path is not None and not _is_library_file(path)
    code = getattr(obj, "__code__", None)
    if isinstance(code, types.CodeType):
        return not _is_library_file(code.co_filename) if code.co_filename[:1] not in "<" else True
    if inspect.isclass(obj):
        module = sys.modules.get(obj.__module__)
        if module is None or obj.__module__ == "builtins":
            return False
        path = getattr(module, "__file__", None)
        return path is None or not _is_library_file(path)
    path = _source_file(obj)
    return path is not None and not _is_library_file(path)


def is_project_code(obj: Any) -> bool:
    """Whether ``obj`` (a module, class or function) is defined in the user's project,
    not in the standard library, site-packages or zenrun itself."""
    return _is_project_code(obj)


def normalized_source(obj: Any) -> str:
    """The AST of ``obj`` without docstrings, comments, decorators or positions."""
    try:
        # A function's own code, never that of what it wraps; read from its code
        # object's file, not through inspect.getmodule (which walks sys.modules).
        if inspect.isfunction(obj):
            source = function_source(obj)
        else:
            source = (class_source(obj) if inspect.isclass(obj) else None) or inspect.getsource(obj)
        if source is None:
            raise OSError("no source")
        tree = ast.parse(textwrap.dedent(source))
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = getattr(obj, "__code__", None)
        return _code_text(code) if code is not None else repr(obj)
    _drop_docstrings(tree)
    top = tree.body[0] if tree.body else None
    if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        top.decorator_list = []
    return ast.dump(tree)


_WITH_DOCSTRING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)
#: Where statements nest: a docstring's function or class is a statement, reached through these
#: (``ast.walk`` went through every expression too: a third of a small function's fingerprint).
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _drop_docstrings(tree: ast.Module) -> None:
    """Remove the docstring of the module and of each function and class in ``tree``."""
    todo: list[Any] = [tree]
    while todo:
        node = todo.pop()
        _drop_docstring(node)
        for name in _STATEMENT_LISTS:
            statements = getattr(node, name, None)
            if statements and isinstance(statements, list):  # (a lambda's body is one expression)
                todo.extend(statements)


def _drop_docstring(node: ast.AST) -> None:
    """Remove ``node``'s docstring, if it is a module, function or class that has one."""
    if isinstance(node, _WITH_DOCSTRING):
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]


def _source_is_current(code: types.CodeType) -> bool:
    if not code.co_filename.startswith("<"):
        linecache.checkcache(code.co_filename)  # the file as it is now
    return source_is_current(code)


def _check_loaded_code(name: str, codes: list[types.CodeType]) -> None:
    """Raise :class:`_Unfingerprintable` when the file of ``codes`` no longer holds them: it
    was edited after this session imported it. The session runs the code it imported (a
    worker process may import the edited file instead): neither is the file's text, so the
    step is not cached in this session rather than filed under a key that is not its code's."""
    for code in codes:
        if not _source_is_current(code):
            raise _Unfingerprintable(
                f"{name} was edited in {code.co_filename} after this session imported it "
                "(the session runs the code as imported): not cached until the next session"
            )


def _class_codes(cls: type) -> list[types.CodeType]:
    """The code of the functions a class defines (methods, static and class methods,
    properties)."""
    codes = []
    for value in vars(cls).values():
        functions = (
            [value.fget, value.fset, value.fdel]
            if isinstance(value, property)
            else [getattr(value, "__func__", value)]
        )
        codes += [code for f in functions if isinstance(code := getattr(f, "__code__", None), types.CodeType)]
    return codes


def _code_text(code: types.CodeType) -> str:
    """A code object's content without positions (for code that has no source): its
    instructions, constants, names and signature (``*args`` or not)."""
    consts = [_const_text(c) for c in code.co_consts]
    signature = (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags)
    return f"{code.co_code.hex()}|{consts}|{code.co_names}|{code.co_varnames}|{code.co_freevars}|{signature}"


def _const_text(value: Any) -> str:
    """A code constant's text, the same in every process (a frozenset's repr follows string
    hashing, which differs between processes)."""
    if isinstance(value, types.CodeType):
        return _code_text(value)
    if isinstance(value, frozenset):
        return "frozenset(" + ",".join(sorted(_const_text(v) for v in value)) + ")"
    if isinstance(value, tuple):
        return "(" + ",".join(_const_text(v) for v in value) + ")"
    return f"{type(value).__name__}:{value!r}"


def _source_digest(obj: Any) -> str:
    """sha256 of the normalized source of a function (per code object) or class."""
    key_obj = obj.__code__ if inspect.isfunction(obj) else obj
    entry = _source_memo.get(id(key_obj))
    if entry is not None and entry[0] is key_obj:
        return entry[1]
    if inspect.isfunction(obj) and obj.__name__ == "<lambda>":
        # getsource gives the whole line: two lambdas on it would share a source
        text = _code_text(obj.__code__)
    else:
        text = normalized_source(obj)
    digest = sha256(text)
    remember(_source_memo, id(key_obj), (key_obj, digest))
    return digest


_CHAIN_OPS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
_STORE_OPS = frozenset({"STORE_FAST", "STORE_NAME", "STORE_DEREF", "STORE_GLOBAL"})


def _chains(code: types.CodeType) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """The attribute chains a code object (and the code nested in it) reads.

    ``("g", "utils", "features", "transform")`` for ``utils.features.transform``
    through a global; ``("d", name, ...)`` through a closure cell; ``("m",
    module, ...)`` through a module imported inside the function. Also every
    name the code mentions (a fallback when a module is used as a value).
    """
    entry = _chain_memo.get(id(code))
    if entry is not None and entry[0] is code:
        return entry[1], entry[2]
    chains: list[list[str]] = []
    names: set[str] = set()

    def scan(co: types.CodeType) -> None:
        names.update(co.co_names)
        local_modules: dict[str, list[str]] = {}
        current: list[str] | None = None
        pending: list[str] | None = None  # the value an import left on the stack
        consts: list[Any] = [None, None]  # the last two constants: an import's level, fromlist
        for op, argval in operations(co):
            if op in ("LOAD_GLOBAL", "LOAD_NAME"):
                current = ["g", argval]
                chains.append(current)
            elif op in ("LOAD_DEREF", "LOAD_CLASSDEREF"):
                current = ["d", argval]
                chains.append(current)
            elif op == "LOAD_FAST" and argval in local_modules:
                current = list(local_modules[argval])
                chains.append(current)
            elif op in _CHAIN_OPS and current is not None:
                current.append(argval)
            elif op == "IMPORT_NAME":
                module = str(argval)
                level, fromlist = consts
                if isinstance(level, int) and level > 0:  # from .sub import x: resolved per function
                    module = "." * level + module
                pending = ["m", module] if fromlist or module.startswith(".") else ["m", module.split(".")[0]]
                current = None
            elif op == "IMPORT_FROM" and pending is not None:
                current = None
                chains.append([*pending, argval])
                local_modules["__import_from__"] = [*pending, argval]
            elif op in _STORE_OPS and pending is not None:
                bound = local_modules.pop("__import_from__", None) or pending
                local_modules[argval] = bound
                if bound is pending:
                    pending = None
                current = None
            else:
                if op == "POP_TOP":
                    pending = None
                current = None
            consts = [consts[1], argval] if op == "LOAD_CONST" else [None, None]
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                scan(const)

    scan(code)
    result = tuple(dict.fromkeys(tuple(c) for c in chains)), frozenset(names)
    remember(_chain_memo, id(code), (code, *result))
    return result


class _Unfingerprintable(Exception):
    """A dependency has no stable content form."""


#: Nodes built one inside another before the stack is measured (most graphs never get there).
_FIRST_CHECK = 64


def _depth_budget() -> int:
    """How many more nodes may be built one inside another, from the caller's frame, before
    the innermost one waits to be built on its own (see ``Fingerprinter._root``): a node
    takes four to six of the frames Python's recursion limit allows."""
    frame: types.FrameType | None = sys._getframe(1)
    used = 0
    while frame is not None:
        used += 1
        frame = frame.f_back
    return max(0, (sys.getrecursionlimit() - used) // 6 - 8)


class _TooDeep(BaseException):
    """The node to build on its own first (a BaseException: no handler of a build takes it),
    and the nodes whose build it left unfinished (see ``Fingerprinter._root``)."""

    def __init__(self, target: tuple[Any, str, frozenset[str]]) -> None:
        super().__init__()
        self.target = target
        self.unfinished: list[tuple[Any, int]] = []  # (node key, id of its object)


_MISSING: Any = object()
_IMMUTABLE_SCALARS = (int, float, complex, str, bytes, bool, type(None))


@dataclass(frozen=True)
class CodeFingerprint:
    """What a step's code depends on, as of one run.

    ``digest`` is None when some dependency cannot be fingerprinted; ``error``
    then says which, and the step is not cached in that run. ``deps`` maps
    every dependency found to a short digest of its own content, so that a
    miss can name what changed.
    """

    digest: str | None
    deps: dict[str, str]
    error: str | None = None
    #: The plain values among ``deps`` (numbers, strings, JSON data, arrays): what a worker
    #: process checks against its own, since their digests do not depend on the process.
    values: dict[str, str] = field(default_factory=dict)


class _Node:
    __slots__ = ("bindings", "content", "edge_digests", "edges", "error", "name", "obj", "plain")

    def __init__(self, obj: Any, name: str) -> None:
        self.obj = obj  # kept alive: the memo is keyed on its id
        self.name = name
        self.content = ""  # its own text and the digests of what it references
        self.edges: list[Any] = []
        self.edge_digests: list[str] = []
        self.error: str | None = None
        self.plain = False  # a value whose digest is the same in every process
        #: The names it read and what they were bound to: ``(namespace, name, value)``.
        self.bindings: list[tuple[Mapping[str, Any], str, Any]] = []

    def own_digest(self) -> str:
        """Of its own text only: names what changed, not everything that uses it."""
        own = self.content
        for digest in self.edge_digests:
            own = own.replace(digest, "")
        return sha256(own)[:12]


class Fingerprinter:
    """Fingerprints of step code for one run.

    What is followed, from a step function: its normalized source; its
    closure cells and default values; every global it reads, with attribute
    chains through project modules and packages (``pkg.mod.func``,
    ``pkg.sub.CONST``) and modules imported inside it; the wrapped function of
    a decorated callable (``__wrapped__``); the functions, classes and values
    held in lists, tuples, sets and dicts; project classes (their source,
    bases, methods, static and class methods, properties and constant
    attributes) and the classes of project objects; ``functools.partial``
    arguments; the project functions and classes a library's callable object
    holds as attributes (``np.vectorize(f).pyfunc``). Values are hashed by
    content: JSON-able values canonically, numpy arrays by dtype, shape and
    bytes, anything else by the bytes of the materializer that would store it. Library code (standard library,
    site-packages, zenrun) is not followed. A value that cannot be serialised
    makes the step uncacheable for the run, naming it.

    Each object is fingerprinted once per instance, so one instance serves one
    run: a constant changed between two runs in one process is seen.
    """

    def __init__(self, materializers: Any = None, rootdir: Any = None) -> None:
        if rootdir is not None:  # project modules are named by their path under it
            set_rootdir(rootdir)
        self._materializers = materializers
        self._nodes: dict[Any, _Node] = {}
        self._building: dict[int, Any] = {}
        self._depth = 0  # nodes being built, one inside another
        self._max_depth = 0  # ... at most (set by _root, then from the stack when reached)
        self._measured = False
        # Each step function's fingerprint, the bindings it read, and the count of code runs
        # (:meth:`code_ran`) it was last known good at.
        self._steps: dict[int, tuple[Any, CodeFingerprint, list[tuple[Any, str, Any]], int]] = {}
        self._code_runs = 0

    def code_ran(self) -> None:
        """A step's code ran in this process: it may have rebound a module-level name that the
        code fingerprinted so far reads (``LIB = 100`` in one step, read by a later one). The
        next fingerprint of each step function checks the names its code read first."""
        self._code_runs += 1

    def fingerprint(self, fn: Any) -> CodeFingerprint:
        known = self._steps.get(id(fn))
        if known is None or known[0] is not fn:  # a step function: memoized as it is given
            fn = _unwrap(fn)
            known = self._steps.get(id(fn))
        if known is not None:
            if known[3] == self._code_runs:
                return known[1]
            if all(namespace.get(name, _MISSING) is value for namespace, name, value in known[2]):
                self._steps[id(known[0])] = (known[0], known[1], known[2], self._code_runs)
                return known[1]
            # A name it reads was bound anew: every fingerprint of this run is taken again
            # (what else reads it is not known here); never a key made of the old value.
            self._nodes.clear()
            self._steps.clear()
        bindings: list[tuple[Any, str, Any]] = []
        result = self._collect(self._root(fn, qualified_name(fn)), bindings)
        if not all(namespace.get(name, _MISSING) is value for namespace, name, value in bindings):
            # Reached through nodes another step's fingerprint built before code ran that
            # bound a name anew (a class attribute one step sets, another reads): taken again.
            self._nodes.clear()
            self._steps.clear()
            bindings = []
            result = self._collect(self._root(fn, qualified_name(fn)), bindings)
        self._steps[id(fn)] = (fn, result, bindings, self._code_runs)
        return result

    def bound_names(self, fn: Any) -> list[tuple[Mapping[str, Any], str, Any]]:
        """The module-level names and class attributes ``fn``'s fingerprint read, each with
        its namespace and the value it was bound to (:meth:`fingerprint` first)."""
        self.fingerprint(fn)
        known = self._steps.get(id(fn)) or self._steps.get(id(_unwrap(fn)))
        return list(known[2]) if known is not None else []

    def value_fingerprint(self, value: Any, name: str) -> CodeFingerprint:
        """The fingerprint of a value and all it references (a literal input that is a function)."""
        return self._collect(self._root(value, name))

    def references_fingerprint(self, refs: Any) -> CodeFingerprint:
        """The code of the project functions and classes a stored pickle names (see
        :func:`pickle_references`), as they are now: what a consumer of it runs."""
        digests, deps, errors = [], {}, []
        for ref in refs:
            module, _, qualname = ref.partition(":")
            label = f"{canonical_module(module)}.{qualname}"  # the same however it was imported
            obj = _resolve_reference(ref)
            if obj is _MISSING:
                digests.append(f"{label}=missing")
                continue
            found = self.value_fingerprint(obj, label)
            digests.append(f"{label}={found.digest}")
            deps.update(found.deps)
            if found.error:
                errors.append(found.error)
        digest = None if errors else sha256("\n".join(digests))
        return CodeFingerprint(digest, deps, errors[0] if errors else None)

    def config_fingerprint(self, config_class: Any, config: Any) -> CodeFingerprint:
        """The code of a step's config class (its methods, project bases, class
        attributes) and the private attributes of its instance (pydantic ``PrivateAttr``)."""
        found = self.value_fingerprint(config_class, qualified_name(config_class))
        private = getattr(config, "__pydantic_private__", None)
        if not private:
            return found
        values = self.value_fingerprint(dict(private), f"{qualified_name(config_class)}.<private>")
        digest = (
            None if found.digest is None or values.digest is None else sha256(found.digest + values.digest)
        )
        return CodeFingerprint(digest, {**found.deps, **values.deps}, found.error or values.error)

    def _collect(self, root: Any, bindings: list[tuple[Any, str, Any]] | None = None) -> CodeFingerprint:
        reached: dict[Any, _Node] = {}
        stack = [root]
        while stack:
            node_id = stack.pop()
            if node_id in reached:
                continue
            node = reached[node_id] = self._nodes[node_id]
            stack.extend(node.edges)
            if bindings is not None:
                bindings.extend(node.bindings)
        nodes = sorted(reached.values(), key=lambda n: (n.name, n.content))
        errors = [n.error for n in nodes if n.error]
        deps: dict[str, str] = {}
        values: dict[str, str] = {}
        for node in nodes:
            if node.content.startswith("library "):
                continue
            name = node.name
            for suffix in itertools.count(2):
                if name not in deps:
                    break
                name = f"{node.name}#{suffix}"
            deps[name] = node.own_digest()
            if node.plain:
                values[name] = deps[name]
        digest = None if errors else sha256("\n".join(n.content for n in nodes))
        return CodeFingerprint(digest, deps, errors[0] if errors else None, values)

    # -- the graph ------------------------------------------------------------------
    def _root(self, obj: Any, name: str, names: frozenset[str] = frozenset()) -> Any:
        """:meth:`_node` of a fingerprint's root. What lies deeper than the stack allows (a
        long chain of project functions each calling the next; see :func:`_depth_budget`)
        is built first, on its own, then the build above it is taken up again: the nodes
        left unfinished are built again, by the same rules, so the fingerprint is the one a
        single pass gives, and no depth of project code exceeds Python's recursion limit."""
        # Each node to build with those whose build waits for it: they stay in the graph,
        # without content, while it is built, as in a single pass (a call back to one of
        # them is a cycle), and are built again, whole, once it is.
        pending: list[tuple[tuple[Any, str, frozenset[str]], list[tuple[Any, int]]]]
        pending = [((obj, name, names), [])]
        self._max_depth, self._measured = _FIRST_CHECK, False
        while True:
            try:
                key = self._node(*pending[-1][0])
            except _TooDeep as deep:
                pending.append((deep.target, deep.unfinished))
                continue
            for waiting, building in pending.pop()[1]:
                del self._nodes[waiting], self._building[building]
            if not pending:
                return key

    def _node(self, obj: Any, name: str, names: frozenset[str] = frozenset()) -> Any:
        """The node of ``obj`` (built on first sight); returns its key."""
        # A project module used as a value is followed through the names of
        # the code that uses it: one node per (module, names).
        # Functions and classes are named by their qualified name, whichever
        # route reached them; a value by its route (``2`` may be ``k`` and ``N``).
        key: Any
        if inspect.isfunction(obj) or inspect.isclass(obj):
            key, name = id(obj), qualified_name(obj)
        elif inspect.ismodule(obj):
            key = (id(obj), names)
        else:
            key = (id(obj), name)
        if key in self._nodes:
            return key
        building = self._building.get(id(obj))
        if building is not None:  # a container holding itself
            return building
        if self._depth >= self._max_depth:
            if not self._measured:  # deep: how much deeper the stack allows
                self._max_depth, self._measured = self._depth + _depth_budget(), True
            if self._depth >= self._max_depth:  # built on its own first (see _root)
                raise _TooDeep((obj, name, names))
        node = self._nodes[key] = _Node(obj, name)
        self._building[id(obj)] = key
        self._depth += 1
        unfinished = False
        try:
            node.content = self._build(node, obj, name, names)
        except _TooDeep as deep:  # still being built until what it reaches is (see _root)
            unfinished = True
            deep.unfinished.append((key, id(obj)))
            raise
        except _Unfingerprintable as exc:
            node.content, node.error = f"unfingerprintable {name}", str(exc)
        except Exception as exc:  # e.g. a global changed by a step running meanwhile: never guess
            node.content = f"unfingerprintable {name}"
            node.error = f"{name} could not be fingerprinted: {type(exc).__name__}: {exception_text(exc)}"
        finally:
            self._depth -= 1
            if not unfinished:
                del self._building[id(obj)]
        return key

    def _edge(self, node: _Node, label: str, obj: Any, name: str, names: frozenset[str] = frozenset()) -> str:
        """Link ``node`` to ``obj``; returns ``label`` and the content digest of ``obj``."""
        key = self._node(obj, name, names)
        node.edges.append(key)
        target = self._nodes[key]
        if not target.content:  # still being built: a cycle, which the step digest covers
            return f"{label}->cycle:{target.name}"
        digest = sha256(target.content)
        node.edge_digests.append(digest)
        return f"{label}->{digest}"

    def _build(self, node: _Node, obj: Any, name: str, names: frozenset[str]) -> str:
        # Here: steps imports pydantic, and this plugin module is loaded at start-up.
        from zenrun.steps import Step

        if isinstance(obj, Step):
            return self._edge(node, "step", obj.fn, qualified_name(obj.fn))
        attrs: Any = getattr(obj, "__dict__", None)
        wrapped = attrs.get("__wrapped__") if isinstance(attrs, dict) and callable(obj) else None
        if wrapped is not None and not (inspect.isfunction(obj) and _is_project_code(obj)):
            # A library's wrapper (functools.cache, singledispatch, a JIT) around project code.
            edges = [self._edge(node, "<wrapped>", wrapped, name)]
            registry = attrs.get("registry")
            if isinstance(registry, Mapping):  # singledispatch: every implementation
                edges += [
                    self._edge(node, f"<registry {qualified_name(kind)}>", impl, qualified_name(impl))
                    for kind, impl in registry.items()
                ]
            return f"wrapper {name}:{edges}"
        if inspect.isfunction(obj):
            return self._function(node, obj) if _is_project_code(obj) else f"library {name}"
        if inspect.isclass(obj):
            return self._class(node, obj) if _is_project_code(obj) else f"library {name}"
        if inspect.ismodule(obj):
            if not _is_project_code(obj):
                return f"library {name}"
            # Used as a value: follow every name the code mentions that the module has.
            edges = []
            for attr in sorted(names):
                member = _getattr(obj, attr)
                if member is not _MISSING:
                    _note_binding(node, obj, attr, member)
                    edges.append(self._edge(node, attr, member, f"{canonical_module(obj.__name__)}.{attr}"))
            return f"module {canonical_module(obj.__name__)}:{edges}"
        if isinstance(obj, (staticmethod, classmethod)):
            return self._edge(node, "func", obj.__func__, name)
        if isinstance(obj, functools.cached_property):  # its lock has no content form
            return self._edge(node, "func", obj.func, name)
        if isinstance(obj, property):
            return str(
                [
                    self._edge(node, part, f, f"{name}.{part}")
                    for part, f in (("get", obj.fget), ("set", obj.fset), ("del", obj.fdel))
                    if f
                ]
            )
        if inspect.ismethod(obj):
            return self._edge(node, "func", obj.__func__, qualified_name(obj.__func__)) + self._edge(
                node, "self", obj.__self__, f"{name}.__self__"
            )
        if isinstance(obj, functools.partial):
            return (
                self._edge(node, "func", obj.func, f"{name}.func")
                + self._edge(node, "args", obj.args, f"{name}.args")
                + self._edge(node, "kwargs", obj.keywords, f"{name}.keywords")
            )
        if _is_library_callable(obj):
            # A library's callable object may hold project code it calls: np.vectorize(f)
            # keeps f as ``pyfunc`` (and takes f's ``__name__``), with no ``__wrapped__``.
            held = _project_code_held(obj)
            if not held:
                return f"library {name}"
            edges = [self._edge(node, f"<{attr}>", member, f"{name}.{attr}") for attr, member in held]
            return f"library {name}:{edges}"
        return self._value(node, obj, name)

    def _function(self, node: _Node, fn: types.FunctionType) -> str:
        code = fn.__code__
        _check_loaded_code(qualified_name(fn), [code])
        parts = [f"function {qualified_name(fn)}:{_source_digest(fn)}"]
        chains, names = _chains(code)
        scope = fn.__globals__
        cells: dict[str, Any] = {}
        for var, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True):
            try:
                cells[var] = cell.cell_contents
            except ValueError:  # not assigned yet
                continue
        module_cells = set()
        for chain in chains:
            kind, root, attrs = chain[0], chain[1], chain[2:]
            if kind == "g":
                value = scope.get(root, _MISSING)
                where = f"{canonical_module(fn.__module__)}.{root}"
                node.bindings.append((scope, root, value))
            elif kind == "d":
                value = cells.get(root, _MISSING)
                where = f"{qualified_name(fn)}.<closure {root}>"
                if not inspect.ismodule(value):
                    continue  # followed as a closure cell below
                module_cells.add(root)
            else:
                if root.startswith("."):
                    try:
                        root = importlib.util.resolve_name(root, scope.get("__package__"))
                    except (ImportError, ValueError):
                        continue
                value = _project_module(root)
                where = root
            if value is _MISSING or (root.startswith("__") and kind == "g"):
                continue  # a builtin, or a name that is not defined (an error at call time)
            for attr in attrs:
                if inspect.isfunction(value) and _is_project_code(value):
                    # An attribute set on a project function (``train.factor = 2``): its value,
                    # not the function's code, is what this chain reads.
                    member = value.__dict__.get(attr, _MISSING)
                    if member is _MISSING:
                        break
                    _note_binding(node, value, attr, member)
                    value, where = member, f"{qualified_name(value)}.{attr}"
                    continue
                if not (inspect.ismodule(value) and _is_project_code(value)):
                    break
                member = _getattr(value, attr)
                if member is _MISSING and hasattr(value, "__path__"):  # a submodule not imported yet
                    member = _project_module(f"{value.__name__}.{attr}")
                if member is _MISSING:
                    break
                _note_binding(node, value, attr, member)
                value, where = member, f"{canonical_module(value.__name__)}.{attr}"
            parts.append(self._edge(node, ".".join(chain[1:]), value, where, names))
        for var, value in cells.items():
            if var not in module_cells:
                parts.append(
                    self._edge(
                        node, f"<closure {var}>", value, f"{qualified_name(fn)}.<closure {var}>", names
                    )
                )
        if fn.__defaults__:
            parts.append(self._edge(node, "<defaults>", fn.__defaults__, f"{qualified_name(fn)}.<defaults>"))
        if fn.__kwdefaults__:
            parts.append(
                self._edge(node, "<kwdefaults>", fn.__kwdefaults__, f"{qualified_name(fn)}.<kwdefaults>")
            )
        wrapped = fn.__dict__.get("__wrapped__")
        if wrapped is not None:
            parts.append(self._edge(node, "<wrapped>", wrapped, qualified_name(wrapped)))
        return "\n".join(parts)

    def _class(self, node: _Node, cls: type) -> str:
        qualified = qualified_name(cls)
        _check_loaded_code(qualified, _class_codes(cls))
        parts = [f"class {qualified}:{_source_digest(cls)}"]
        for base in cls.__bases__:
            if base is not object:
                parts.append(self._edge(node, "<base>", base, qualified_name(base)))
        meta = type(cls)
        if meta is not type and _is_project_code(meta):  # its __call__, __new__, properties
            parts.append(self._edge(node, "<metaclass>", meta, qualified_name(meta)))
        for attr, member in sorted(vars(cls).items()):
            if not attr.startswith("__"):  # a step may set it anew (``C.F = 3``) for later steps
                _note_binding(node, cls, attr, member)
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if inspect.isfunction(member) or isinstance(member, property):
                parts.append(self._edge(node, attr, member, f"{qualified}.{attr}"))
            elif inspect.isclass(member) and member.__qualname__.startswith(cls.__qualname__ + "."):
                parts.append(self._edge(node, attr, member, qualified_name(member)))
            elif attr.startswith("__") or attr == "_abc_impl":  # Python's and abc's bookkeeping
                continue
            else:
                # Class-level values may be changed at run time, or computed at import
                # (from the environment, a file): followed by content, as globals are.
                try:
                    parts.append(f"{attr}={canonical_json(member, ordered=True)}")
                    # Its digest now holds a value, which a conftest may set after import: a
                    # worker that imported the module afresh compares it (see runner).
                    node.plain = True
                except CanonicalJSONError:
                    parts.append(self._edge(node, attr, member, f"{qualified}.{attr}"))
        return "\n".join(parts)

    def _value(self, node: _Node, value: Any, name: str) -> str:
        import hashlib

        kind = type(value)
        label = f"{canonical_module(kind.__module__)}.{kind.__qualname__}"
        if kind in _IMMUTABLE_SCALARS:
            node.plain = True
            return f"value {label}:{value!r}"
        np = sys.modules.get("numpy")
        if np is not None and kind is np.ndarray and value.dtype != object:
            digest = hashlib.sha256(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).data)
            node.plain = True
            return f"value {label}:{digest.hexdigest()}"
        if kind in (list, tuple, dict, set, frozenset):
            try:
                content = f"value {label}:{sha256(canonical_json(value, ordered=True))}"
                node.plain = True
                return content
            except CanonicalJSONError:  # holds functions, classes or objects: follow each
                return self._container(node, value, name, label)
        if inspect.isclass(kind) and kind.__module__ != "builtins" and _is_project_code(kind):
            prefix = self._edge(node, "<class>", kind, qualified_name(kind))  # pickled by reference
        else:
            prefix = ""
        try:
            content = f"value {label}:{prefix}:{sha256(canonical_json(value, ordered=True))}"
            node.plain = True
            return content
        except CanonicalJSONError:
            pass
        used: list[Any] = []
        try:
            materializer = self._materializers.for_value(value) if self._materializers else None
            if materializer is None or getattr(materializer, "name", None) == "cloudpickle":
                data = _pickle_recording(value, used)
            else:
                data = materializer.dumps(value)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # (its __reduce__ is the user's, and may raise anything)
            raise _Unfingerprintable(
                f"{name} ({label}) has no stable content form: {type(exc).__name__}: {exception_text(exc)}"
            ) from None
        # Pickle refers to project functions and classes by name: follow their code.
        code = [self._edge(node, "<uses>", obj, qualified_name(obj)) for obj in used]
        return f"value {label}:{prefix}:{code}:{hashlib.sha256(data).hexdigest()}"

    def _container(self, node: _Node, value: Any, name: str, label: str) -> str:
        if isinstance(value, dict):
            items = [(_key_label(k), v) for k, v in value.items()]
        elif isinstance(value, (set, frozenset)):
            items = [("", v) for v in value]
        else:
            items = [(str(i), v) for i, v in enumerate(value)]
        edges = [self._edge(node, key, item, _item_name(name, key)) for key, item in items]
        if isinstance(value, (set, frozenset)):
            edges.sort()
        return f"value {label}:{edges}"


#: The longest name of a value inside a container (``CONFIG['a'][0]``) said as it is: one
#: nested deeper is cut to its start and a digest of the whole (names are built level by
#: level: a constant nested thousands deep made names of quadratic length, and a miss
#: reason of thousands of characters). The name is part of a cycle's content: still one
#: name per item.
_ITEM_NAME_MAX = 160


def _item_name(name: str, key: str) -> str:
    """The name of item ``key`` of the container called ``name``, cut (see above)."""
    whole = f"{name}[{key}]"
    if len(whole) <= _ITEM_NAME_MAX:
        return whole
    start = name.split("[…", 1)[0][: _ITEM_NAME_MAX // 2]
    if "[" in start:  # at an item's start
        start = start[: start.rindex("[")]
    return f"{start}[…{sha256(whole)[:16]}]"


def _pickle_recording(value: Any, used: list[Any]) -> bytes:
    """cloudpickle bytes of ``value``; the project functions and classes inside go to ``used``."""
    import io

    seen: set[int] = set()

    class Recorder(pickler_class()):  # type: ignore[misc]  # cloudpickle is untyped
        def persistent_id(self, obj: Any) -> None:
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                if _is_project_code(obj):
                    used.append(obj)
            return None

    buffer = io.BytesIO()
    Recorder(buffer).dump(value)
    return buffer.getvalue()


_PICKLE_STRINGS = frozenset(
    {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING"}
)


def _project_module_names() -> list[str]:
    return [
        name
        for name, module in list(sys.modules.items())
        if module is not None and getattr(module, "__file__", None) and _is_project_code(module)
    ]


def pickle_references(data: bytes) -> list[str]:
    """The project functions and classes a pickle refers to by name, as ``module:qualname``.

    Pickle stores a module-level function or class as its module and name: its
    code is not in the bytes, so an edit to it leaves them identical while the
    value a consumer gets behaves differently. Read from the bytes (never
    unpickled); library names are left out.
    """
    if data.startswith(PickleMaterializer.MAGIC):  # the header naming the Python version
        data = data.partition(b"\n")[2]
    candidates = [m for m in _project_module_names() if m.encode() in data]
    if not candidates:  # the common case: nothing of the project's is named in it
        return []
    import pickletools

    found: set[str] = set()
    memo: dict[Any, Any] = {}
    recent: list[Any] = []
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            name = opcode.name
            if name in _PICKLE_STRINGS:
                recent.append(arg if isinstance(arg, str) else None)
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                recent.append(memo.get(arg))
            elif name == "MEMOIZE":
                memo[len(memo)] = recent[-1] if recent else None
                continue
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[arg] = recent[-1] if recent else None
                continue
            elif name == "STACK_GLOBAL" and len(recent) >= 2:
                module, qualname = recent[-2], recent[-1]
                if isinstance(module, str) and isinstance(qualname, str):
                    found.add(f"{module}:{qualname}")
                recent.append(None)
            elif name in ("GLOBAL", "INST") and isinstance(arg, str):
                module, _, qualname = arg.partition(" ")
                found.add(f"{module}:{qualname}")
                recent.append(None)
            else:
                recent.append(None)
            del recent[:-2]
    except Exception:  # not a pickle after all (a plugin's bytes): nothing known to follow
        return []
    projects = set(candidates)
    return sorted(ref for ref in found if ref.partition(":")[0] in projects)


def _resolve_reference(ref: str) -> Any:
    """The object ``module:qualname`` names now, or ``_MISSING``."""
    module_name, _, qualname = ref.partition(":")
    value = _project_module(module_name)
    for attr in qualname.split("."):
        if value is _MISSING:
            break
        value = _getattr(value, attr)
    return value


def _key_label(key: Any) -> str:
    try:
        return canonical_json(key)
    except CanonicalJSONError:
        return repr(key)


def _project_module(name: str) -> Any:
    """Module ``name``; a project module a function imports in its body is imported now.

    The step has not run yet in this process, so its own imports have not
    happened; importing the project's module is what running it would do.
    Library modules are never imported here (they are not followed anyway).
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        top = importlib.util.find_spec(name.partition(".")[0])
        if top is None or (top.origin is not None and _is_library_file(top.origin)):
            return _MISSING
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or _is_library_file(spec.origin):
            return _MISSING
        return importlib.import_module(name)
    except Exception:  # it would fail in the step too: nothing to follow
        return _MISSING


def _getattr(obj: Any, attr: str) -> Any:
    try:
        return getattr(obj, attr, _MISSING)
    except Exception:  # a module __getattr__ that raises something else
        return _MISSING


def bound_anew(bindings: Iterable[tuple[Mapping[str, Any], str, Any]]) -> list[tuple[Mapping[str, Any], str]]:
    """Those of ``bindings`` (:meth:`Fingerprinter.bound_names`) whose name is no longer
    bound to the value noted (a name noted missing, as a builtin is, that a module defines
    since counts too)."""
    return [
        (namespace, name) for namespace, name, value in bindings if namespace.get(name, _MISSING) is not value
    ]


def _note_binding(node: _Node, module: Any, attr: str, member: Any) -> None:
    """Note that ``node`` read ``module.attr`` (a module's or a class's own attribute: one
    a module's ``__getattr__`` makes is not watched)."""
    namespace = getattr(module, "__dict__", None)
    if isinstance(namespace, (dict, types.MappingProxyType)) and namespace.get(attr, _MISSING) is member:
        node.bindings.append((namespace, attr, member))


def qualified_name(obj: Any) -> str:
    """``module.qualname``, the module named by its file under the rootdir (see
    :func:`zenrun.sources.canonical_module`): the same however it was imported."""
    module = getattr(obj, "__module__", None)
    return f"{canonical_module(module) if isinstance(module, str) else module}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _is_library_callable(obj: Any) -> bool:
    """A named function-like object of a library (``np.sum``, a builtin): not followed."""
    if isinstance(
        obj,
        (
            types.BuiltinFunctionType,
            types.MethodDescriptorType,
            types.WrapperDescriptorType,
            types.MethodWrapperType,
        ),
    ):
        return True
    module = getattr(obj, "__module__", None)
    if not callable(obj) or not isinstance(module, str) or not hasattr(obj, "__name__"):
        return False
    loaded = sys.modules.get(module)
    return loaded is None or not _is_project_code(loaded)


def _project_code_held(obj: Any) -> list[tuple[str, Any]]:
    """The project functions and classes an object holds in its own attributes (``vars``)."""
    attrs = getattr(obj, "__dict__", None)
    if not isinstance(attrs, dict):  # a builtin or a ufunc: nothing of the project's in it
        return []
    return [
        (attr, member)
        for attr, member in sorted(attrs.items(), key=lambda item: str(item[0]))
        if (inspect.isfunction(member) or inspect.isclass(member)) and _is_project_code(member)
    ]


def _unwrap(obj: Any) -> Any:
    from zenrun.steps import Step  # here: steps imports pydantic (see Fingerprinter._build)

    return obj.fn if isinstance(obj, Step) else obj


def code_fingerprint(fn: Any, materializers: Any = None) -> str:
    """sha256 of ``fn``'s code and everything it references, as they are now.

    Raises ``ValueError`` when a dependency cannot be fingerprinted.
    """
    result = Fingerprinter(materializers).fingerprint(fn)
    if result.digest is None:
        raise ValueError(result.error)
    return result.digest


# ---------------------------------------------------------------------------
# Keys and explanations
# ---------------------------------------------------------------------------


def key_parts(
    step: Any,
    config: Any,
    literals: dict[str, Any],
    inputs: dict[str, Any],
    *,
    fingerprint: CodeFingerprint | None = None,
    config_data: Any = None,
    qualified: str | None = None,
    config_exact: str | None = None,
) -> dict[str, Any]:
    """The parts a cache key is made of, kept in the step record to explain misses.

    ``fingerprint`` is the step's :class:`CodeFingerprint` for this run (computed
    here when not given); ``config_data`` is ``config_json(config)`` when the
    caller has it already; ``qualified`` the step function's qualified name (its
    ``module.qualname``) likewise; ``config_exact`` what the config's JSON form leaves
    out (:func:`zenrun.canonical.exactness_digest`), a part only when there is some.
    The materializers are not a part: which one stores an output is known only once
    the step has run, so a cache hit checks the entry's materializers instead (see
    ``PipelineExecution``).
    """
    if fingerprint is None:
        fingerprint = Fingerprinter().fingerprint(step.fn)
    if config_exact is None and config_data is None and config is not None:
        config_exact = exactness_digest(config)
    parts = {
        "format": STORE_FORMAT_VERSION,
        "step": qualified if qualified is not None else qualified_name(step.fn),
        "name": step.name,
        "code": fingerprint.digest,
        "cache_version": step.cache_version,
        "config": config_data if config_data is not None or config is None else config_json(config),
        "params": literals,
        "inputs": inputs,
        "outputs": list(step.output_names),
        "deps": fingerprint.deps,
    }
    if config_exact is not None:
        parts["config_exact"] = config_exact
    return parts


def cache_key(parts: dict[str, Any]) -> str:
    """sha256 of the key parts (``deps`` only explains ``code``, which covers it; ``data``
    is what the step read, checked against the cache entry, not part of its key)."""
    return sha256(canonical_json({k: v for k, v in parts.items() if k not in ("deps", "data")}))


class KeyTemplate:
    """:func:`cache_key` of the key parts of many steps of one step function, which differ
    only in their config, literal parameters and inputs: the canonical text of the rest is
    made once, and each key encodes only those three.

    Made from one step's ``parts`` with :meth:`make`, which returns None when the text it
    would give differs from :func:`cache_key`'s (a part whose text is not that of its
    encoding alone): the caller then uses :func:`cache_key`.
    """

    __slots__ = ("_pieces",)

    #: The parts that vary between steps of one function, in the order of their key text.
    HOLES = ("config", "inputs", "params")

    def __init__(self, pieces: tuple[str, str, str, str]) -> None:
        self._pieces = pieces

    @classmethod
    def make(cls, parts: dict[str, Any]) -> KeyTemplate | None:
        if "config_exact" in parts:  # it varies too: not a template's
            return None
        fixed = {k: v for k, v in parts.items() if k not in ("deps", "data")}
        if not all(hole in fixed for hole in cls.HOLES):
            return None
        pieces = template_pieces(canonical_json, fixed, cls.HOLES)
        if pieces is None:
            return None
        template = cls((pieces[0], pieces[1], pieces[2], pieces[3]))
        return template if template.key(parts) == cache_key(parts) else None

    def key(self, parts: dict[str, Any]) -> str:
        """The cache key of ``parts``, whose parts but the holes are those it was made from."""
        a, b, c, d = self._pieces
        config, inputs = parts["config"], parts["inputs"]
        # No config and no inputs (a step of literals only): their texts, without the calls.
        return sha256(
            a
            + ("null" if config is None else canonical_json(config))
            + b
            + ("{}" if type(inputs) is dict and not inputs else canonical_json(inputs))
            + c
            + canonical_json(parts["params"])
            + d
        )


_PART_NAMES = {
    "format": "zenrun store format",
    "step": "step function",
    "name": "step name",
    "cache_version": "cache_version",
    "random": "state of the random generators seeded by fixtures",
    "optimize": "python -O (asserts stripped)",
}


def explain_miss(parts: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """Why ``parts`` missed, compared with the previous record of the same step."""
    if previous is None:
        return "no earlier run of this step"
    changes = []
    for part, label in _PART_NAMES.items():
        if parts.get(part) != previous.get(part):
            changes.append(f"{label} changed ({previous.get(part)!r} -> {parts.get(part)!r})")
    if parts.get("code") != previous.get("code"):
        changes.append(
            "source code changed" + _dep_changes(parts.get("deps") or {}, previous.get("deps") or {})
        )
    if parts.get("outputs") != previous.get("outputs"):
        changes.append("outputs changed")
    changes += _dict_changes("config", parts.get("config") or {}, previous.get("config") or {})
    if parts.get("config_exact") != previous.get("config_exact"):
        changes.append(
            "config changed in what its JSON form does not show (a subclass of a field's type, "
            "excluded or secret fields, the types of values, the order of a dict's keys)"
        )
    changes += _dict_changes("parameter", parts.get("params") or {}, previous.get("params") or {})
    changes += _dict_changes(
        "input", parts.get("inputs") or {}, previous.get("inputs") or {}, show_values=False
    )
    if not changes and previous.get("uncached"):  # see PipelineExecution.complete
        return f"not cached last time: {previous['uncached']}"
    return ", ".join(changes) or "cache entry was cleared or its artifacts are gone"


def _dep_changes(new: dict[str, str], old: dict[str, str], limit: int = 4) -> str:
    names = sorted(n for n in set(new) | set(old) if new.get(n) != old.get(n))
    if not names or not old:
        return ""
    shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
    return f" ({shown})"


#: How a parameter without a JSON form is keyed (``PipelineExecution``): this and its
#: value's digest.
FINGERPRINTED = "fingerprint:"


def _kind(value: Any) -> str | None:
    return FINGERPRINTED if isinstance(value, str) and value.startswith(FINGERPRINTED) else None


def _dict_changes(
    label: str, new: dict[str, Any], old: dict[str, Any], show_values: bool = True
) -> list[str]:
    out = []
    for name in sorted(set(new) | set(old)):
        if new.get(name) != old.get(name):
            if show_values and FINGERPRINTED in (_kind(old.get(name)), _kind(new.get(name))):
                # a value without a JSON form, keyed by a digest: the digests tell nothing
                out.append(f"{label} {name} changed (its content, or the code of yours it names)")
            elif show_values:
                out.append(f"{label} {name} changed ({old.get(name)!r} -> {new.get(name)!r})")
            else:
                out.append(f"{label} {name} changed")
    return out


# ---------------------------------------------------------------------------
# The environment an entry was computed in (shared caches: other machines)
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _code_names(code: types.CodeType) -> frozenset[str]:
    """The global names ``code`` and its nested functions read (a code object never changes:
    computed once per function, not at each of its steps)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return frozenset(names)


def _module_roots(fn: Any) -> set[str]:
    """Top-level modules of the libraries the step function names (``np.mean``, ``SVC``)."""
    fn = _unwrap(fn)
    code = getattr(fn, "__code__", None)
    namespace = getattr(fn, "__globals__", None)
    if code is None or namespace is None:
        return set()
    roots = set()
    for name in _code_names(code):
        value = namespace.get(name)
        if value is None:
            continue
        module = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if isinstance(module, str) and module:
            roots.add(module.split(".", 1)[0])
    return roots


#: Module roots no installed distribution versions (made once: a set of the standard library's
#: names at every step cost more than the rest of :func:`environment`).
_NOT_PACKAGES = frozenset({"builtins", "zenrun", "__main__", *sys.stdlib_module_names})
_PYTHON = ".".join(map(str, sys.version_info[:2]))


def environment(fn: Any, type_names: list[str]) -> dict[str, Any]:
    """The Python version and the versions of the packages that matter to a step's result:
    those of its outputs' types and of the libraries its function names. Recorded with each
    cache entry; another machine with other versions gets a miss saying which differ."""
    roots = _module_roots(fn) | {t.split(".", 1)[0] for t in type_names if "." in t}
    roots -= _NOT_PACKAGES
    packages: dict[str, str] = {}
    if not roots:  # builtins only: the scan of every installed distribution is not needed
        return {"python": _PYTHON, "packages": packages}
    by_module = packages_distributions()
    for root in sorted(roots):
        for dist in by_module.get(root, []):
            version = distribution_version(dist)
            if version is not None:
                packages[dist] = version
    return {"python": _PYTHON, "packages": packages}


def environment_mismatch(recorded: Any, materializer: str) -> str | None:
    """Why an entry computed in the ``recorded`` environment is not served here, or None.

    A package of another version is a miss; so is another Python version for a pickled
    output (its bytes depend on the interpreter)."""
    if not isinstance(recorded, dict):
        return None
    for dist, version in sorted((recorded.get("packages") or {}).items()):
        here = distribution_version(dist)
        if here != version:
            return f"computed under {dist} {version}, this machine has {here or 'none'}"
    python = ".".join(map(str, sys.version_info[:2]))
    if materializer == PickleMaterializer.name and recorded.get("python") not in (None, python):
        return f"pickled under Python {recorded.get('python')}, this machine runs Python {python}"
    return None


STORE_ID_FILE = ".zenrun-store-id"
#: The id of each open local store (its root, its id): read from its file once per session,
#: not at each run.
_local_store_ids: weakref.WeakKeyDictionary[Any, tuple[Path, str]] = weakref.WeakKeyDictionary()


def store_identity(artifact_store: Any) -> str:
    """Which artifact store this is, recorded with each cache entry.

    A local store keeps a random id in a file at its root, so moving the
    directory keeps its entries while another store's entries are an ordinary
    miss. Other stores may define ``identity``; else their type and location.
    """
    identity = getattr(artifact_store, "identity", None)
    if identity is not None:
        return str(identity() if callable(identity) else identity)
    root = getattr(artifact_store, "root", None)
    if isinstance(root, Path):
        try:
            known = _local_store_ids.get(artifact_store)
        except TypeError:  # not weakly referenceable
            return _local_store_id(root, artifact_store)
        if known is None or known[0] != root:
            known = (root, _local_store_id(root, artifact_store))
            _local_store_ids[artifact_store] = known
        return known[1]
    kind = type(artifact_store)
    return f"{kind.__module__}.{kind.__qualname__}:{getattr(artifact_store, 'url', root)}"


def _holds_artifacts(store: Any) -> bool:
    """Whether ``store`` holds an artifact (it lists them, as ``--gc`` does); asked only
    when its id file is missing."""
    iter_digests = getattr(store, "iter_digests", None)
    if iter_digests is None:
        return False
    try:
        return next(iter(iter_digests()), None) is not None
    except Exception:  # an unreadable store: said by whatever reads it next
        return False


#: The damaged id files said in this process, with what they held (each is said once).
_damaged_ids_said: set[tuple[str, str]] = set()


def store_id_problem(text: str) -> str | None:
    """What is wrong with ``text``, read from a local store's id file, or None: zenrun writes
    a random hex id of 32 digits there, and nothing else."""
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text):
        return None
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"it holds {shown!r}, not an id zenrun wrote" if text else "it is empty"


def read_store_id(path: Path) -> str:
    """The text of the store id file at ``path`` (``OSError`` if it cannot be read): read as
    bytes, so that a file damaged into other bytes is still one identity."""
    return path.read_bytes().decode("utf-8", "backslashreplace").strip()


def _local_store_id(root: Path, store: Any = None) -> str:
    path = root / STORE_ID_FILE
    try:
        text = read_store_id(path)
    except FileNotFoundError:
        pass
    except OSError:
        return f"local-path:{root.resolve()}"
    else:
        problem = store_id_problem(text)
        if problem is not None and (str(path), text) not in _damaged_ids_said:
            _damaged_ids_said.add((str(path), text))
            logging.getLogger("zenrun").warning(
                "The artifact store's id file %s is damaged (%s): the store is taken for another "
                "one, and the cache entries made before the damage miss (their steps run again); "
                "zenrun --store-repair gives the store back the id they were made with.",
                path,
                problem,
            )
        return "local:" + text
    import uuid

    held = _holds_artifacts(store)
    try:  # write aside, then link: a concurrent reader never sees a half-written id
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"{STORE_ID_FILE}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(uuid.uuid4().hex)
        try:
            os.link(tmp, path)
            made = True
        except FileExistsError:
            made = False
        finally:
            tmp.unlink()
        if made and held:  # the artifacts stay; the entries naming the lost identity miss
            logging.getLogger("zenrun").warning(
                "The artifact store %s had artifacts but no %s (deleted?): it has a new identity, "
                "and the cache entries made with the old one miss once (their steps run again).",
                root,
                STORE_ID_FILE,
            )
        return "local:" + path.read_text().strip()
    except OSError:  # a read-only store
        return f"local-path:{root.resolve()}"


# ---------------------------------------------------------------------------
# The built-in cache plugin
# ---------------------------------------------------------------------------


class NullCache(Cache):
    """Used when the cache plugin is blocked (``-p no:cache``): nothing is ever a hit."""

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        return None

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        pass

    def flush(self, before_commit: Any = None) -> None:
        pass

    def clear(self) -> None:
        pass

    def entries(self) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        return iter(())


#: ``json.dumps`` of a cache entry, the same text: made once, as ``json.dumps`` makes an
#: encoder for every call, which costs a third of encoding an entry (one a computed step).
_encode_entry = reusable_encode(json.JSONEncoder())


#: Longest that lookups share one read of the index (one SQLite read transaction): a
#: lookup that begins and ends its own took 10 µs of a 75 µs step, 4 µs within one (the
#: read lock of the WAL taken and released, its shared memory read again, with the caches
#: of the processor cold from the step). A lookup sees what other processes committed
#: until its read began: at most this long before.
SNAPSHOT_SECONDS = 0.05


class SqliteCache(Cache):
    """Cache key -> output artifacts, in ``<store>/cache.db``; writes are batched.

    The index is disposable: a damaged ``cache.db`` is rebuilt empty, with a
    warning (what it held is recomputed, or found again by later runs).

    Lookups made within :data:`SNAPSHOT_SECONDS` of each other read the index in one
    read transaction (what this object wrote is seen at once: it ends that read first);
    every other read, and each :meth:`flush` (every 0.2 s while runs go on), starts anew.
    """

    flushes_apart = True  # a file and a connection of its own

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._written = 0  # entries this object has committed: its own writes (see replay_mark)
        #: When the read transaction lookups share began (monotonic), or None (none open).
        self._snapshot_since: float | None = None
        self._warned_unreadable = False  # an entry that is not one: said once
        self._db = self._open()

    def _open(self) -> Any:
        import sqlite3

        for attempt in range(2):
            db = None
            try:
                db = connect(self.path)
                db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, outputs TEXT NOT NULL)")
                return db
            except (StoreDamagedError, sqlite3.DatabaseError) as exc:
                if db is not None:
                    db.close()
                if is_full(exc):  # not damage: a new index could not be written either
                    raise StoreFullError(self.path, str(exc)) from None
                if attempt or not _damaged(exc):
                    raise
                self._discard(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _discard(self, exc: BaseException) -> None:
        """Delete the damaged index (and its WAL files); the next open makes a new one."""
        import logging

        logging.getLogger("zenrun").warning(
            "The cache index %s is damaged (%s); rebuilding it empty: steps run again once.",
            self.path,
            getattr(exc, "problem", exc),
        )
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    def _rebuild(self, exc: BaseException) -> None:
        self._snapshot_since = None
        self._db.close()
        self._discard(exc)
        self._db = self._open()

    @contextlib.contextmanager
    def _fresh(self) -> Iterator[Any]:
        """The connection, under its lock, out of the lookups' read transaction: a write may
        begin, and a read sees what was committed until now."""
        with self._db_lock:
            self._end_snapshot()
            yield self._db

    def _end_snapshot(self) -> None:
        """(Under ``_db_lock``.) End the read transaction lookups share, if one is open (by
        the connection's state: an interrupt between its ``BEGIN`` and its time noted leaves
        one open all the same)."""
        self._snapshot_since = None
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")  # (only read in it)

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        import sqlite3

        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            entry: dict[str, dict[str, Any]] = json.loads(pending)
            return entry
        with self._db_lock:
            db = self._db
            try:
                now = time.monotonic()
                since = self._snapshot_since
                if since is None or now - since > SNAPSHOT_SECONDS or not db.in_transaction:
                    self._end_snapshot()
                    db.execute("BEGIN")
                    self._snapshot_since = now
                row = db.execute("SELECT outputs FROM cache WHERE key=?", (key,)).fetchone()
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    with contextlib.suppress(Exception):  # the read, if any, ends with it
                        self._end_snapshot()
                    raise
                self._rebuild(exc)
                return None
        if not row:
            return None
        found = _entry(row[0])
        if found is None:
            self._unreadable_entry()
        return found

    def _unreadable_entry(self) -> None:
        """Say once that an entry of the index is not one (edited, or written by a plugin
        that broke the format): its step runs again, as on a miss."""
        if not self._warned_unreadable:
            self._warned_unreadable = True
            logging.getLogger("zenrun").warning(
                "cache.db holds an entry that is not a cache entry (edited or damaged): "
                "its step runs again and its entry is written anew"
            )

    def lookup_many(self, keys: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """:meth:`lookup` of each of ``keys``, in one query per :data:`LOOKUP_CHUNK` keys."""
        import sqlite3

        wanted = list(dict.fromkeys(keys))
        with self._lock:
            pending = {key: self._pending[key] for key in wanted if key in self._pending}
        rows: list[tuple[str, Any]] = []
        asked = [key for key in wanted if key not in pending]
        with self._fresh():
            try:
                for start in range(0, len(asked), LOOKUP_CHUNK):
                    chunk = asked[start : start + LOOKUP_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows += self._db.execute(
                        f"SELECT key, outputs FROM cache WHERE key IN ({marks})", chunk
                    ).fetchall()
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    raise
                self._rebuild(exc)
                rows = []
        found = {}
        for key, text in [*rows, *pending.items()]:
            entry = _entry(text)
            if entry is not None:
                found[key] = entry
            else:
                self._unreadable_entry()
        return found

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        text = _encode_entry(outputs)  # outside the lock: a flush on another thread takes it
        with self._lock:
            self._pending[key] = text

    def flush(self, before_commit: Any = None) -> None:
        """Commit buffered entries; ``before_commit`` makes their artifacts durable first
        (called once they are written, before the commit: the artifacts' fsync overlaps
        writing them)."""
        with self._lock:
            pending = dict(self._pending)
        if not pending:
            if self._db.in_transaction:  # called every 0.2 s: no read held longer
                with self._fresh():
                    pass
            return
        with self._fresh():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = list(pending.items())
                insert_many(self._db, "INSERT OR REPLACE INTO cache", rows, 2, variable_limit(self._db))
                if before_commit is not None:
                    self._made_durable(before_commit, pending)
                self._db.execute("COMMIT")
                self._written += len(pending)
            except BaseException:  # e.g. a full disk: end the transaction, keep the entries
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        # Only now: until committed, lookup() must still find them in memory.
        with self._lock:
            for key, value in pending.items():
                if self._pending.get(key) == value:
                    del self._pending[key]

    def _made_durable(self, before_commit: Callable[[], None], pending: dict[str, str]) -> None:
        """``before_commit()``; when it raises, the entries ``pending`` are dropped: their
        artifacts may be missing, so they are never committed."""
        try:
            before_commit()
        except BaseException:
            with self._lock:
                for key in pending:
                    self._pending.pop(key, None)
            raise

    def entries(self) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """Every committed and buffered entry (an edited row that is not an entry is left out)."""
        with self._lock:
            pending = dict(self._pending)
        with self._fresh():
            rows = self._db.execute("SELECT key, outputs FROM cache").fetchall()
        for key, text in [*((k, v) for k, v in rows if k not in pending), *pending.items()]:
            entry = _entry(text)
            if entry is not None:
                yield key, entry

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
        with self._fresh():
            self._db.execute("DELETE FROM cache")
            replay.clear(self._db)

    def replay_mark(self) -> tuple[int, int]:
        """Taken when a large item's run starts: what :meth:`record_replay` compares to see
        that the cache was written by this run alone meanwhile. The first one adds the
        replay tables and triggers to ``cache.db`` (a project of small items never has them)."""
        with self._fresh():
            replay.install(self._db)
            return replay.writes(self._db), self._written

    def replay(self, item: str) -> dict[str, Any] | None:
        """The replay record of ``item`` (see :mod:`zenrun.replay`), or None."""
        import sqlite3

        with self._fresh():
            try:
                return replay.load(self._db, item)
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    raise
                self._rebuild(exc)
                return None

    def record_replay(self, item: str, keys: Sequence[str], record: dict[str, Any], mark: Any) -> bool:
        """Store ``item``'s replay record (relying on the entries of ``keys``) if only this
        object has written the cache since ``mark`` (:meth:`replay_mark`); else drop
        the item's record. Whether it was stored."""
        self.flush()  # its entries first: the record relies on them
        writes, written = mark
        with self._fresh():
            return replay.store(self._db, item, keys, record, writes + self._written - written)

    def close(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # an index entry lost is a cache miss later, not an error now
            import logging

            logging.getLogger("zenrun").warning("Could not write the cache index %s: %s", self.path, exc)
        finally:
            with self._db_lock:
                with contextlib.suppress(Exception):
                    self._end_snapshot()
                self._db.close()


#: Keys per query of :meth:`SqliteCache.lookup_many` (below SQLite's oldest variable limit, 999).
LOOKUP_CHUNK = 900

_ENTRY_FIELDS = (("digest", str), ("size", int), ("materializer", str), ("type", str))


def _damaged(exc: BaseException) -> bool:
    return isinstance(exc, StoreDamagedError) or is_damage(exc)


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in its __init__


def _entry(text: Any) -> dict[str, dict[str, Any]] | None:
    """A stored cache entry, or None (a miss) when the row is not one: it may have been edited."""
    try:
        try:  # the decoder's scanner as json.loads calls it, without its passes over whitespace
            entry, end = _scan(text, 0)
        except (TypeError, ValueError, StopIteration):
            end = -1
        if end != len(text):  # not a JSON value alone, as written: json.loads says what it is
            entry = json.loads(text)
    except (TypeError, ValueError, RecursionError):  # (nested deeper than the decoder goes)
        return None
    if not isinstance(entry, dict):
        return None
    for name, ref in entry.items():  # loops, not all(): every hit of a rerun comes through here
        if not isinstance(ref, dict):
            return None
        if name != DATA_KEY:
            for field_name, kind in _ENTRY_FIELDS:
                if not isinstance(ref.get(field_name), kind):
                    return None
    return entry


@hookimpl
def zenrun_make_cache(config: Any) -> SqliteCache | None:
    if config.store_url is not None:  # a plugin's store keeps its own cache index
        return None
    cache = SqliteCache(config.store_path / "cache.db")
    config.add_cleanup(cache.close)
    return cache
