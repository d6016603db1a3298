"""Canonical JSON: the one text form of values and step configs that keys and records use.

Cache keys hash it and run records store it, so the same config or literal
gives the same text in every process and on every run: keys sorted, no
spaces, tuples as lists, sets sorted, pydantic models by their fields. It
is a leaf: composing a pipeline (which records each step's config) and
computing cache keys both use it. pydantic is imported only when a model or
a config is converted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CanonicalJSONError(TypeError):
    pass


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces; tuples as lists; anything else is an error."""
    try:
        return _ENCODER.encode(value)
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


# One encoder for every call (``json.dumps`` with options makes a new one each time): keys
# hash it once per step, and a rerun of 100,000 steps makes 200,000 of them.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True, default=_json_default
)


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
                raise TypeError(
                    f"config field {name!r} ({type(value).__module__}."
                    f"{type(value).__qualname__}) has no JSON form; cache keys and "
                    "records need one (use a list, or a literal input)"
                ) from None
        raise


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_sets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sorted_sets(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_sorted_sets(v) for v in value), key=repr)
    return value
