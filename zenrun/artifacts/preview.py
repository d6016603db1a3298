"""A short text preview of a step output, made where the value is in memory.

Stored with the artifact record so that ``--show`` and the viewer can say
what an output holds without loading it. Scalars (bool, int, float) are
stored as JSON so that their value can be read back exactly.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

from zenrun.stepcontext import scalar_value

MAX_PREVIEW = 120

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


def preview(value: Any) -> str:
    """JSON for a scalar; shape and dtype for arrays and frames; else a short repr."""
    scalar = scalar_value(value)
    if scalar is not None:
        try:
            return json.dumps(scalar)
        except ValueError:
            return repr(scalar)
    shape = getattr(value, "shape", None)
    if shape is not None and isinstance(shape, tuple):
        dtype = getattr(value, "dtype", None)
        if dtype is None and hasattr(value, "dtypes"):  # pandas DataFrame
            columns = list(getattr(value, "columns", []))
            text = f"{type(value).__name__} shape={shape} columns={_repr.repr(columns)}"
        else:
            text = f"{type(value).__name__} shape={shape} dtype={dtype}"
        return text[:MAX_PREVIEW]
    try:
        text = _repr.repr(value)
    except Exception:  # a user's __repr__ may fail: the preview is only a hint
        text = f"<{type(value).__name__}>"
    return " ".join(text.split())[:MAX_PREVIEW]
