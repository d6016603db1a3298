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
from collections.abc import Callable
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from pathlib import Path
from typing import Any


class CanonicalJSONError(TypeError):
    pass


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces; tuples as lists; anything else is an error."""
    # The encoder's text of the values most literals and key holes are, without a call into
    # it (a third of its cost is the call): exact types only (bool, IntEnum: the encoder).
    # The same errors too: an int past the digit limit of its text is a ValueError of both.
    kind = type(value)
    try:
        if kind is str:
            return encode_basestring(value)  # type: ignore[no-any-return]
        if kind is int:
            return int.__repr__(value)
        if value is None:
            return "null"
        if kind is dict and not value:
            return "{}"
        return _encode(value)
    except (TypeError, ValueError) as exc:
        raise CanonicalJSONError(str(exc)) from None


def reusable_encode(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, the same text, at a fraction of its cost for small values.

    ``JSONEncoder.encode`` makes a new C encoder for every call, which costs more
    than encoding a step's key parts: this makes it once. It does not track the
    containers being encoded, so a value that contains itself ends in a
    ``RecursionError``: that value is encoded again by ``encoder``, which raises its
    own error for it (``ValueError: Circular reference detected``), as before.
    """
    if c_make_encoder is None or encoder.indent is not None:  # pragma: no cover - pure-Python json
        return encoder.encode
    iterencode = c_make_encoder(
        None,  # no markers: see above
        encoder.default,
        encode_basestring_ascii if encoder.ensure_ascii else encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    fallback = encoder.encode

    def encode(value: Any) -> str:
        try:
            return "".join(iterencode(value, 0))
        except RecursionError:
            return fallback(value)

    return encode


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
_encode = reusable_encode(_ENCODER)


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
