"""Materializers: how a step output becomes bytes in the artifact store, and back.

numpy arrays are stored as ``.npy`` (no pickle), JSON-able builtins as JSON,
everything else with cloudpickle, recording the Python version that wrote it.
Plugins add their own through ``zenrun_register_materializers``.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import sys
from typing import Any, BinaryIO

from zenrun.canonical import reusable_encode
from zenrun.protocols import Materializer, ProtocolError, missing_members

logger = logging.getLogger("zenrun")


class NumpyMaterializer:
    name, version = "npy", "1"

    def can_save(self, value: Any) -> bool:
        np = sys.modules.get("numpy")
        return np is not None and type(value) is np.ndarray and value.dtype != object

    def dumps(self, value: Any) -> bytes:
        import numpy as np

        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return buffer.getvalue()

    def loads(self, data: bytes) -> Any:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)

    # Streamed (large arrays): the same ``.npy`` bytes, written in chunks and read into the
    # array, never held whole beside it (see stream_to_store / load_from_store).
    def dump(self, value: Any, file: BinaryIO) -> None:
        import numpy as np

        np.save(file, value, allow_pickle=False)

    def load(self, file: BinaryIO) -> Any:
        import numpy as np

        return np.load(file, allow_pickle=False)


_JSON_SCALARS = (str, int, float, bool, type(None))


_ANY_LIMIT = 1 << 64  # (Python's smallest digit limit is 640 digits)


def _int_fits(value: int) -> bool:
    """Whether Python writes and reads ``value`` as JSON: past ``sys.get_int_max_str_digits()``
    digits (4300) it refuses both, and such an int is pickled instead (conservatively: by
    its bits, without making the text)."""
    if -_ANY_LIMIT < value < _ANY_LIMIT:  # the usual int, far below any limit: no call
        return True
    limit = sys.get_int_max_str_digits()
    return limit == 0 or value.bit_length() < int(limit * 3.321928094887362)  # log2(10)


def _is_plain_json(value: Any, depth: int = 0) -> bool:
    """True when JSON round-trips ``value`` to an equal value of the same types."""
    if depth > 50:
        return False
    kind = type(value)
    if kind in _JSON_SCALARS:
        return kind is not int or _int_fits(value)
    if kind is list:
        return all(_is_plain_json(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_plain_json(v, depth + 1) for k, v in value.items())
    return False


#: ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, its encoder made once.
_json_text = reusable_encode(json.JSONEncoder(separators=(",", ":"), ensure_ascii=False))
_json_ascii = reusable_encode(json.JSONEncoder(separators=(",", ":")))


class JsonMaterializer:
    name, version = "json", "1"

    def can_save(self, value: Any) -> bool:
        return _is_plain_json(value)

    def dumps(self, value: Any) -> bytes:
        text = _json_text(value)
        try:
            return text.encode()
        except UnicodeEncodeError:  # a surrogate (a file name that is not UTF-8): escaped
            return _json_ascii(value).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class PickleMaterializer:
    """The fallback: cloudpickle, with a header naming the Python version."""

    name, version = "cloudpickle", "1"
    MAGIC = _MAGIC = b"ZENRUN-CLOUDPICKLE "

    def can_save(self, value: Any) -> bool:
        return True

    def dumps(self, value: Any) -> bytes:
        header = self._MAGIC + f"{sys.version_info.major}.{sys.version_info.minor}\n".encode()
        buffer = io.BytesIO()
        pickler_class()(buffer).dump(_with_sorted_sets(value))
        return header + buffer.getvalue()

    def loads(self, data: bytes) -> Any:
        import pickle

        if data.startswith(self._MAGIC):
            header, _, data = data.partition(b"\n")
            written_by = header[len(self._MAGIC) :].decode()
            here = f"{sys.version_info.major}.{sys.version_info.minor}"
            if written_by != here:
                logger.warning(
                    "artifact was pickled by Python %s and is loaded by Python %s; it may not load correctly",
                    written_by,
                    here,
                )
        return pickle.loads(data)


@functools.cache
def pickler_class() -> Any:
    """cloudpickle's pickler, with what numpy's pickle of an array leaves out: the attributes
    of an instance of an ``ndarray`` subclass that does not pickle them itself (made once)."""
    import cloudpickle

    plain: set[type] = set()  # the types that are no ndarray subclass: one lookup each

    class Pickler(cloudpickle.CloudPickler):  # type: ignore[misc]  # cloudpickle is untyped
        def reducer_override(self, obj: Any) -> Any:
            kind = type(obj)
            if kind not in plain:
                reduced = reduce_array_attributes(obj)
                if reduced is not None:
                    return reduced
                np = sys.modules.get("numpy")
                if np is None or not issubclass(kind, np.ndarray):
                    plain.add(kind)
            return super().reducer_override(obj)

    return Pickler


def reduce_array_attributes(obj: Any) -> tuple[Any, ...] | None:
    """How to pickle ``obj`` with its attributes when it is an instance of an ``ndarray``
    subclass that pickles as numpy does (numpy's ``__reduce__`` drops ``__dict__``): else None."""
    kind = type(obj)
    np = sys.modules.get("numpy")
    if np is None or kind is np.ndarray or not issubclass(kind, np.ndarray):
        return None
    if kind.__module__.split(".")[0] == "numpy":  # numpy's own (memmap, matrix): as numpy pickles them
        return None
    if kind.__reduce__ is not np.ndarray.__reduce__ or kind.__setstate__ is not np.ndarray.__setstate__:
        return None  # the class pickles its state its own way
    attributes = getattr(obj, "__dict__", None)
    if not attributes:
        return None
    return _array_with_attributes, (np.asarray(obj), kind, dict(attributes))


def _array_with_attributes(array: Any, kind: type, attributes: dict[str, Any]) -> Any:
    """An ``ndarray`` subclass instance back from :func:`reduce_array_attributes`."""
    value = array.view(kind)
    value.__dict__.update(attributes)
    return value


#: How many elements :func:`_with_sorted_sets` looks at before it leaves the rest as is,
#: and the longest dict, list or tuple it looks into (a set of any size is sorted).
STABLE_SET_WALK = 100_000
STABLE_SET_CONTAINER = 10_000


class _SortedSet:
    """Pickles as ``kind(elements)`` with the elements in sorted order: loads as the set."""

    __slots__ = ("kind", "ordered")

    def __init__(self, kind: type, ordered: list[Any]) -> None:
        self.kind, self.ordered = kind, ordered

    def __reduce__(self) -> tuple[Any, ...]:
        return self.kind, (self.ordered,)


def _with_sorted_sets(value: Any) -> Any:
    """``value`` with each set and frozenset in it (inside dicts, lists and tuples: the
    first :data:`STABLE_SET_WALK` elements, of containers up to :data:`STABLE_SET_CONTAINER`
    long) written with its elements sorted, when they sort.

    A set of strings iterates in an order that changes with each process's hash seed: the
    same set made in two runs pickled to other bytes, another digest, and every step
    reading it missed the cache. pickle writes sets itself (no hook of its pickler sees
    them), so they are replaced before. A container seen twice stays one object."""
    budget = [STABLE_SET_WALK]
    memo: dict[int, Any] = {}

    def walk(obj: Any) -> Any:
        kind = type(obj)
        if kind not in (set, frozenset, dict, list, tuple) or budget[0] <= 0:
            return obj
        found = memo.get(id(obj))
        if found is not None:
            return found[1]
        if kind is not set and kind is not frozenset and len(obj) > STABLE_SET_CONTAINER:
            return obj  # (a long list of records: walking it would cost more than pickling it)
        budget[0] -= len(obj) + 1
        result: Any
        if kind is set or kind is frozenset:
            try:
                ordered = sorted(obj)
            except TypeError:  # elements without one order: as pickle writes them
                result = obj
            else:
                result = _SortedSet(kind, [walk(item) for item in ordered])
        elif kind is dict:
            items = [(key, walk(item)) for key, item in obj.items()]
            changed = any(new is not obj[key] for key, new in items)
            result = dict(items) if changed else obj
        else:
            new_items = [walk(item) for item in obj]
            changed = any(new is not old for new, old in zip(new_items, obj, strict=True))
            result = kind(new_items) if changed else obj
        memo[id(obj)] = (obj, result)  # (obj kept: its id is not reused meanwhile)
        return result

    try:
        return walk(value)
    except RecursionError:  # a container holding itself, or nested deeper than this walks
        return value


class MaterializerRegistry:
    """Materializers in priority order: plugins' first, then npy, JSON, cloudpickle."""

    def __init__(self) -> None:
        self._custom: list[Materializer] = []
        self._builtin: list[Materializer] = [NumpyMaterializer(), JsonMaterializer(), PickleMaterializer()]
        self._ordered: tuple[Materializer, ...] = tuple(self._builtin)  # ``all``, kept (once per output)
        self._fingerprint: str | None = None

    def register(self, materializer: Materializer) -> None:
        """Add ``materializer``; it is tried before the built-in ones."""
        if not isinstance(materializer, Materializer):
            missing = ", ".join(missing_members(materializer, Materializer))
            raise ProtocolError(
                f"{materializer!r} is not a zenrun.protocols.Materializer: it lacks {missing}"
            )
        self._custom.append(materializer)
        self._ordered = (*reversed(self._custom), *self._builtin)
        self._fingerprint = None

    @property
    def all(self) -> list[Materializer]:
        return list(self._ordered)

    def for_value(self, value: Any) -> Materializer:
        for materializer in self._ordered:
            if materializer.can_save(value):
                return materializer
        raise TypeError(f"no materializer can save a {type(value).__name__}")  # pragma: no cover

    def get(self, name: str) -> Materializer:
        for materializer in self.all:
            if materializer.name == name:
                return materializer
        raise KeyError(f"no materializer named {name!r} is registered; is its plugin installed?")

    def fingerprint(self) -> str:
        """Names and versions of all materializers, in priority order (see the protocol)."""
        if self._fingerprint is None:
            self._fingerprint = ",".join(f"{m.name}:{m.version}" for m in self.all)
        return self._fingerprint


#: Outputs at least this large are streamed when their materializer and the store can.
STREAM_MIN_BYTES = 1 << 20


def stream_to_store(store: Any, materializer: Any, value: Any) -> tuple[str, int] | None:
    """Store ``value`` by streaming its bytes into the artifact store (``(digest, size)``),
    or None when the materializer (``dump(value, file)``) or the store (``put_file``) cannot
    stream or the value is small: then the caller stores ``dumps(value)``."""
    dump, put_file = getattr(materializer, "dump", None), getattr(store, "put_file", None)
    if dump is None or put_file is None or getattr(value, "nbytes", 0) < STREAM_MIN_BYTES:
        return None
    result: tuple[str, int] = put_file(lambda file: dump(value, file))
    return result


def load_from_store(store: Any, materializer: Any, digest: str, size: int) -> Any:
    """The value of artifact ``digest``: a large one read from the verified file straight into
    the value when the materializer (``load(file)``) and the store (``verified_path``) can,
    else ``loads(get(digest))``."""
    load, verified_path = getattr(materializer, "load", None), getattr(store, "verified_path", None)
    if load is None or verified_path is None or size < STREAM_MIN_BYTES:
        return materializer.loads(store.get(digest))
    with open(verified_path(digest), "rb") as file:
        return load(file)
