"""Cache keys, the reasons a step hit or missed, and the built-in SQLite cache.

A key covers: the step's source (docstrings, comments and decorators left
out) and that of the project functions it references, transitively; its
qualified name and ``cache_version``; the config and literal parameters as
canonical JSON; the content hashes of its inputs; the materializers; and
the store format version. Nothing depends on where the store lives.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import sqlite3
import sys
import sysconfig
import textwrap
import threading
import types
from pathlib import Path
from typing import Any

from zenrun.hookspec import hookimpl

STORE_FORMAT_VERSION = "1"


class CanonicalJSONError(TypeError):
    pass


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces; tuples as lists; anything else is an error."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise CanonicalJSONError(str(exc)) from None


def _json_default(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return {"__model__": type(value).__qualname__, **config_json(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------
# Code fingerprints
# ---------------------------------------------------------------------------

_THIRD_PARTY = tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                      sys.prefix, sys.base_prefix, str(Path(__file__).parent)})
_fingerprints: dict[Any, str] = {}
_lock = threading.Lock()


def _source_file(obj: Any) -> str | None:
    try:
        return inspect.getsourcefile(obj)
    except TypeError:
        return None


def _is_project_code(obj: Any) -> bool:
    path = _source_file(obj)
    if path is None:
        return False
    resolved = str(Path(path).resolve())
    return not any(resolved.startswith(p) for p in _THIRD_PARTY if p)


def is_project_code(obj: Any) -> bool:
    """Whether ``obj`` (a module, class or function) is defined in the user's project,
    not in the standard library, site-packages or zenrun itself."""
    return _is_project_code(obj)


def normalized_source(obj: Any) -> str:
    """The AST of ``obj`` without docstrings, comments, decorators or positions."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        code = getattr(obj, "__code__", None)
        return code.co_code.hex() if code is not None else repr(obj)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    top = tree.body[0] if tree.body else None
    if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        top.decorator_list = []
    return ast.dump(tree)


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_names(const)
    return names


def _unwrap(obj: Any) -> Any:
    from zenrun.steps import Step

    return obj.fn if isinstance(obj, Step) else obj


def code_fingerprint(fn: Any) -> str:
    """sha256 of the normalized source of ``fn`` and the project code it references."""
    with _lock:
        cached = _fingerprints.get(fn)
    if cached is not None:
        return cached
    parts: list[str] = []
    seen: set[int] = set()
    constants: dict[str, str] = {}

    def visit(obj: Any) -> None:
        obj = _unwrap(obj)
        if id(obj) in seen:
            return
        seen.add(id(obj))
        parts.append(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}:"
                     f"{normalized_source(obj)}")
        functions = [obj] if inspect.isfunction(obj) else [
            v for v in vars(obj).values() if inspect.isfunction(v)] if inspect.isclass(obj) else []
        for function in functions:
            names = _referenced_names(function.__code__)
            scope = function.__globals__
            for name in sorted(names):
                if name not in scope or name.startswith("__"):
                    continue
                target = scope[name]
                if inspect.ismodule(target):
                    if _is_project_code(target):
                        for attr in sorted(names):
                            member = getattr(target, attr, None)
                            if _is_candidate(member):
                                visit(member)
                            elif hasattr(target, attr):
                                add_constant(f"{target.__name__}.{attr}", member)
                elif _is_candidate(target):
                    visit(target)
                else:
                    add_constant(f"{function.__module__}.{name}", target)

    def add_constant(name: str, value: Any) -> None:
        # Module-level constants of project code (FACTOR = 2) change results too.
        if isinstance(value, _CONSTANT_TYPES) and name not in constants:
            try:
                constants[name] = canonical_json(value)
            except CanonicalJSONError:
                pass

    visit(fn)
    parts.extend(f"{name}={value}" for name, value in sorted(constants.items()))
    digest = sha256("\n".join(parts))
    with _lock:
        _fingerprints[fn] = digest
    return digest


_CONSTANT_TYPES = (int, float, str, bool, bytes, tuple, list, dict, frozenset, type(None))


def _is_candidate(obj: Any) -> bool:
    from zenrun.steps import Step

    obj = obj.fn if isinstance(obj, Step) else obj
    return (inspect.isfunction(obj) or inspect.isclass(obj)) and _is_project_code(obj)


# ---------------------------------------------------------------------------
# Keys and explanations
# ---------------------------------------------------------------------------


def config_json(config: Any) -> Any:
    """A step config as JSON-able data, the same in every process (sets are sorted).

    Raises ``TypeError`` naming the first field that has no JSON form.
    """
    if config is None:
        return None
    from pydantic_core import PydanticSerializationError, to_jsonable_python

    data = config.model_dump()
    try:
        return to_jsonable_python(_sorted_sets(data))
    except (PydanticSerializationError, TypeError, ValueError):
        for name, value in data.items():
            try:
                to_jsonable_python(_sorted_sets(value))
            except (PydanticSerializationError, TypeError, ValueError):
                raise TypeError(f"config field {name!r} ({type(value).__module__}."
                                f"{type(value).__qualname__}) has no JSON form; cache keys and "
                                "records need one (use a list, or a literal input)") from None
        raise


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_sets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sorted_sets(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_sorted_sets(v) for v in value), key=repr)
    return value


def key_parts(step: Any, config: Any, literals: dict[str, Any], inputs: dict[str, Any],
              materializers: str, *, config_data: Any = None) -> dict[str, Any]:
    """The parts a cache key is made of, kept in the step record to explain misses.

    ``config_data`` is ``config_json(config)`` when the caller has it already.
    """
    return {
        "format": STORE_FORMAT_VERSION,
        "step": f"{step.fn.__module__}.{step.fn.__qualname__}",
        "code": code_fingerprint(step.fn),
        "cache_version": step.cache_version,
        "config": config_data if config_data is not None else config_json(config),
        "params": literals,
        "inputs": inputs,
        "materializers": materializers,
        "outputs": list(step.output_names),
    }


def cache_key(parts: dict[str, Any]) -> str:
    return sha256(canonical_json(parts))


_PART_NAMES = {"code": "source code", "cache_version": "cache_version", "format": "store format",
               "materializers": "materializers", "step": "step name", "outputs": "outputs"}


def explain_miss(parts: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """Why ``parts`` missed, compared with the previous record of the same step."""
    if previous is None:
        return "no earlier run of this step"
    changes = []
    for part, label in _PART_NAMES.items():
        if parts.get(part) != previous.get(part):
            changes.append(f"{label} changed")
    changes += _dict_changes("config", parts.get("config") or {}, previous.get("config") or {})
    changes += _dict_changes("parameter", parts.get("params") or {}, previous.get("params") or {})
    changes += _dict_changes("input", parts.get("inputs") or {}, previous.get("inputs") or {},
                             show_values=False)
    return ", ".join(changes) or "cache entry was cleared or its artifacts are gone"


def _dict_changes(label: str, new: dict[str, Any], old: dict[str, Any], show_values: bool = True) -> list[str]:
    out = []
    for name in sorted(set(new) | set(old)):
        if new.get(name) != old.get(name):
            if show_values:
                out.append(f"{label} {name} changed ({old.get(name)!r} -> {new.get(name)!r})")
            else:
                out.append(f"{label} {name} changed")
    return out


# ---------------------------------------------------------------------------
# The built-in cache plugin
# ---------------------------------------------------------------------------


class NullCache:
    """Used when the cache plugin is blocked (``-p no:cache``): nothing is ever a hit."""

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        return None

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        pass

    def flush(self, before_commit: Any = None) -> None:
        pass

    def clear(self) -> None:
        pass


class SqliteCache:
    """Cache key -> output artifacts, in ``<store>/cache.db``; writes are batched.

    The index is disposable: a damaged ``cache.db`` is rebuilt empty, with a
    warning (what it held is recomputed, or found again by later runs).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> Any:
        from zenrun.metadata.sqlite import StoreDamagedError, connect

        for attempt in range(2):
            db = None
            try:
                db = connect(self.path)
                db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, outputs TEXT NOT NULL)")
                return db
            except (StoreDamagedError, sqlite3.DatabaseError) as exc:
                if db is not None:
                    db.close()
                if attempt or not _damaged(exc):
                    raise
                self._discard(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _discard(self, exc: BaseException) -> None:
        """Delete the damaged index (and its WAL files); the next open makes a new one."""
        import logging

        logging.getLogger("zenrun").warning(
            "The cache index %s is damaged (%s); rebuilding it empty: steps run again once.",
            self.path, getattr(exc, "problem", exc))
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    def _rebuild(self, exc: BaseException) -> None:
        self._db.close()
        self._discard(exc)
        self._db = self._open()

    def lookup(self, key: str) -> dict[str, dict[str, Any]] | None:
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return json.loads(pending)
        with self._db_lock:
            try:
                row = self._db.execute("SELECT outputs FROM cache WHERE key=?", (key,)).fetchone()
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    raise
                self._rebuild(exc)
                return None
        return _entry(row[0]) if row else None

    def put(self, key: str, outputs: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._pending[key] = json.dumps(outputs)

    def flush(self, before_commit: Any = None) -> None:
        """Commit buffered entries; ``before_commit`` makes their artifacts durable first."""
        with self._lock:
            pending = dict(self._pending)
        if not pending:
            return
        if before_commit is not None:
            try:
                before_commit()
            except BaseException:  # their artifacts may be missing: never commit these
                with self._lock:
                    for key in pending:
                        self._pending.pop(key, None)
                raise
        with self._db_lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?)", list(pending.items()))
                self._db.execute("COMMIT")
            except BaseException:  # e.g. a full disk: end the transaction, keep the entries
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        # Only now: until committed, lookup() must still find them in memory.
        with self._lock:
            for key, value in pending.items():
                if self._pending.get(key) == value:
                    del self._pending[key]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
        with self._db_lock:
            self._db.execute("DELETE FROM cache")

    def close(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # an index entry lost is a cache miss later, not an error now
            import logging

            logging.getLogger("zenrun").warning("Could not write the cache index %s: %s",
                                                self.path, exc)
        finally:
            self._db.close()


_ENTRY_FIELDS = {"digest": str, "size": int, "materializer": str, "type": str}


def _damaged(exc: BaseException) -> bool:
    from zenrun.metadata.sqlite import StoreDamagedError, is_damage

    return isinstance(exc, StoreDamagedError) or is_damage(exc)


def _entry(text: Any) -> dict[str, dict[str, Any]] | None:
    """A stored cache entry, or None (a miss) when the row is not one: it may have been edited."""
    try:
        entry = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(entry, dict) or not all(
            isinstance(ref, dict) and all(isinstance(ref.get(f), t) for f, t in _ENTRY_FIELDS.items())
            for ref in entry.values()):
        return None
    return entry


@hookimpl
def zenrun_make_cache(config: Any) -> SqliteCache:
    cache = SqliteCache(config.store_path / "cache.db")
    config.add_cleanup(cache.close)
    return cache
