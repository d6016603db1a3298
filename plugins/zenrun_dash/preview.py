"""Bounded artifact previews: read only what is shown, never stall other requests.

Each preview runs on a small worker pool and is waited for with a timeout;
no lock is shared with the rest of the viewer, so a slow artifact delays
only the panel that asked for it. A numpy array in a local store is memory
mapped and only its head is read; other artifacts larger than
``MAX_LOAD_BYTES`` are described, not loaded.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

MAX_LOAD_BYTES = 32 * 1024 * 1024
TEXT_LIMIT = 2000
TIMEOUT_S = 5.0


def _head_rows(value: Any, rows: int = 5) -> Any:
    try:
        return value[:rows]
    except Exception:
        return value


def _array_text(value: Any) -> str:
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return repr(value)
    with numpy.printoptions(threshold=60, edgeitems=3, linewidth=100):
        return repr(value)


def describe(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A short text preview of a loaded value: shape/dtype/head, DataFrame head, scalar, image."""
    lines = []
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    kind = type(value).__module__ + "." + type(value).__qualname__
    if kind.startswith("pandas.") and hasattr(value, "head"):
        lines.append(f"DataFrame shape={tuple(shape)}" if shape is not None else kind)
        text = value.head(10).to_string(max_cols=12, max_colwidth=30)
    elif kind.startswith("PIL.") and hasattr(value, "size") and hasattr(value, "mode"):
        text = f"image {value.size[0]}×{value.size[1]} mode={value.mode}"
    elif shape is not None and dtype is not None:
        shown = f", first 5 of {shape[0]} rows" if len(shape) and shape[0] > 5 else ""
        lines.append(f"shape={tuple(shape)} dtype={dtype}{shown}")
        text = _array_text(_head_rows(value) if len(shape) else value)
    else:
        try:
            text = (
                json.dumps(value, indent=2, default=repr) if isinstance(value, (dict, list)) else repr(value)
            )
        except Exception:  # a failing repr must not break the viewer
            text = f"<{kind}>"
    lines.append(text)
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit] + " …"


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
                f"<not loaded: {ref.size / 1e6:.1f} MB is more than the "
                f"{MAX_LOAD_BYTES // 1024 // 1024} MB preview limit>"
            )
        from zenrun import load_artifact

        return describe(load_artifact(ref, self.config))

    def _npy_head(self, ref: Any) -> str | None:
        """Shape, dtype and first rows of a ``.npy`` artifact, memory mapped: O(head) reads."""
        path = self.location(ref)
        if ref.store_url or not os.path.isfile(path):
            return None  # remote: loaded whole below (within the size limit)
        import numpy as np

        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return describe(array)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
