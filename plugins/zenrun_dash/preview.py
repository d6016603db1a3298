"""Bounded artifact previews: read only what is shown, never stall other requests.

Each preview runs on a small worker pool and is waited for with a timeout;
no lock is shared with the rest of the viewer, so a slow artifact delays
only the panel that asked for it. A numpy array in a local store is memory
mapped and only its head is read; other artifacts larger than
``MAX_LOAD_BYTES`` are described, not loaded.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

MAX_LOAD_BYTES = 32 * 1024 * 1024
TEXT_LIMIT = 2000
#: Values a preview visits at most, whatever the artifact holds.
MAX_NODES = 20_000
TIMEOUT_S = 5.0


def _head_rows(value: Any, rows: int = 5) -> Any:
    try:
        return value[:rows]
    except Exception:
        return value


def _array_text(value: Any) -> str:
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return _bounded(value)
    # The elements of an object array shown are previewed with a budget too.
    with numpy.printoptions(
        threshold=60, edgeitems=3, linewidth=100, formatter={"object": lambda item: _bounded(item, 80)}
    ):
        return repr(value)


def _bounded(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A ``repr``-like text of ``value``, bounded whatever it holds (see
    :func:`zenrun.artifacts.preview.bounded_repr`)."""
    from zenrun.remote import bounded_repr

    text, complete = bounded_repr(
        value, limit, max_items=50, max_string=limit, max_other=limit, max_nodes=MAX_NODES
    )
    return text if complete else text + " …"


def describe(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A short text preview of a loaded value: shape/dtype/head, DataFrame head, scalar, image.

    Bounded in time and memory whatever the value: containers are walked with a budget
    of :data:`MAX_NODES` values and ``limit`` characters (a 700-byte pickle can hold a
    list repeating one reference 10**7 times: ``json.dumps`` of it took gigabytes).
    """
    from zenrun.remote import bounded_repr

    lines = []
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    kind = type(value).__module__ + "." + type(value).__qualname__
    if kind.startswith("pandas.") and hasattr(value, "head"):
        lines.append(f"DataFrame shape={tuple(shape)}" if shape is not None else kind)
        pandas = sys.modules["pandas"]
        with pandas.option_context("display.max_seq_items", 10):  # cells holding sequences
            text = value.head(10).to_string(max_cols=12, max_colwidth=30)
    elif kind.startswith("PIL.") and hasattr(value, "size") and hasattr(value, "mode"):
        text = f"image {value.size[0]}×{value.size[1]} mode={value.mode}"
    elif shape is not None and dtype is not None:
        shown = f", first 5 of {shape[0]} rows" if len(shape) and shape[0] > 5 else ""
        lines.append(f"shape={tuple(shape)} dtype={dtype}{shown}")
        text = _array_text(_head_rows(value) if len(shape) else value)
    elif isinstance(value, (dict, list)):  # as json.dumps(value, indent=2, default=repr) would
        text, complete = bounded_repr(
            value,
            limit + 1,
            as_json=True,
            json_indent=2,
            max_items=None,
            max_string=limit,
            max_other=200,
            max_nodes=MAX_NODES,
        )
        if not complete:
            text = text[:limit] + " …"
    else:
        text = _bounded(value, limit)
    lines.append(text)
    text = "\n".join(lines)
    return text if len(text) <= limit or text.endswith(" …") else text[:limit] + " …"


def _mb(size: int) -> str:
    return f"{size // 1024 // 1024} MB"


class Previewer:
    """Previews artifacts of ``config``'s stores on a worker pool, with a small cache."""

    def __init__(
        self, config: Any, workers: int = 2, timeout: float = TIMEOUT_S, cache_size: int = 64
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="zenrun-preview")
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_lock = threading.Lock()  # only the dict, never held while loading
        self._cache_size = cache_size

    def location(self, ref: Any) -> str:
        """Where the artifact lives: a path for a local store, else the store's URI."""
        from zenrun import artifact_uri

        try:
            return artifact_uri(ref, self.config)
        except Exception as exc:  # a store that cannot tell must not break the panel
            return f"digest {ref.digest} ({exc})"

    def preview(self, ref: Any) -> str:
        with self._cache_lock:
            if ref.digest in self._cache:
                self._cache.move_to_end(ref.digest)
                return self._cache[ref.digest]
        future = self._pool.submit(self._compute, ref)
        try:
            text = future.result(timeout=self.timeout)
        except FutureTimeout:
            return f"<no preview: loading took longer than {self.timeout:g}s>"
        except Exception as exc:  # a missing or corrupt artifact is shown, not raised
            text = f"<cannot load: {exc}>"
        with self._cache_lock:
            self._cache[ref.digest] = text
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return text

    def _compute(self, ref: Any) -> str:
        if ref.materializer == "npy":
            head = self._npy_head(ref)
            if head is not None:
                return head
        if ref.size > MAX_LOAD_BYTES:
            return (
                f"<not loaded: {ref.size / 1e6:.1f} MB is more than the {_mb(MAX_LOAD_BYTES)} preview limit>"
            )
        from zenrun import load_artifact

        return describe(load_artifact(ref, self.config))

    def _npy_head(self, ref: Any) -> str | None:
        """Shape, dtype and first rows of a ``.npy`` artifact, memory mapped: O(head) reads."""
        path = self.location(ref)
        if not os.path.isfile(path):
            return None  # remote: loaded whole below (within the size limit)
        import numpy as np

        note = ""
        if ref.size <= MAX_LOAD_BYTES:  # what is shown is checked, as a load would be
            from zenrun.remote import hash_file

            if hash_file(path) != ref.digest:
                return (
                    f"<cannot load: artifact {ref.digest[:12]} does not match its hash "
                    "(it was modified or corrupted)>"
                )
        else:  # hashing it all for five rows would outlast the preview's timeout
            note = f"\n(head read in place, not checked against its digest: more than {_mb(MAX_LOAD_BYTES)})"
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return describe(array) + note

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
