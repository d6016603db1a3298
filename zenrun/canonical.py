"""Canonical JSON: the one text form of values and step configs that keys and records use.

Cache keys hash it and run records store it, so the same config or literal
gives the same text in every process and on every run, and different values
different texts: keys sorted, no spaces, pydantic models by their fields,
tuples, sets, dicts with other keys than strings, paths and subclasses of
builtins tagged (JSON would spell them as lists, dicts and strings). It
is a leaf: composing a pipeline (which records each step's config) and
computing cache keys both use it. pydantic is imported only when a model or
a config is converted.
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Callable
from enum import Enum
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from pathlib import Path, PurePath
from typing import Any


class CanonicalJSONError(TypeError):
    pass


def canonical_json(value: Any, ordered: bool = False) -> str:
    """JSON with sorted keys and no spaces, one text per value: what JSON cannot tell
    apart is tagged (see :func:`_tagged`); anything without a JSON form is an error.

    ``ordered``: a user's value (a literal parameter, a module constant), whose dicts a
    step may iterate: one whose keys are not in sorted order is tagged with its order
    (``{"__ordered__": [[key, value], ...]}``). zenrun's own dicts (key parts) are not.
    """
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
        if kind is dict and len(value) < 2:
            if not value:
                return "{}"
            # A key's one literal parameter or input, as its text: no walk, no encoder call.
            ((name, text),) = value.items()
            if type(name) is str and type(text) is str and name not in _TAGS:
                return "{" + encode_basestring(name) + ":" + encode_basestring(text) + "}"
        if ordered:
            return _encode(value if _plain(value, True) else _tagged(value, True))
        return _encode(value if _plain(value) else _tagged(value))
    except (TypeError, ValueError, RecursionError) as exc:
        raise CanonicalJSONError(str(exc)) from None


#: The keys of the objects that stand for what JSON has no form of (see :func:`_tagged`).
_TAGS = frozenset(
    {"__tuple__", "__set__", "__frozenset__", "__dict__", "__path__", "__type__", "__ordered__"}
)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any, ordered: bool = False) -> bool:
    """Whether JSON's text of ``value`` is its own: only exact scalars, lists, and dicts with
    string keys none of which is a tag (the text of such values is as it always was);
    ``ordered``: and whose keys are in sorted order."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list:
        return all(_plain(v, ordered) for v in value)
    if kind is dict:
        if ordered and len(value) > 1 and list(value) != sorted(value, key=str):
            return False
        return all(type(k) is str and k not in _TAGS and _plain(v, ordered) for k, v in value.items())
    # A model (encoded by its fields) or what has no JSON form (refused by the encoder).
    return not isinstance(value, (str, int, float, list, tuple, dict, set, frozenset, PurePath))


def _tagged(value: Any, ordered: bool = False) -> Any:
    """``value`` with what JSON would make the same as something else spelled out: a tuple
    is ``{"__tuple__": [...]}`` (not the list ``[...]``), a set ``{"__set__": [...]}``
    (sorted), a dict with keys other than strings ``{"__dict__": [[key, value], ...]}`` (not
    ``{"1": ...}`` for ``{1: ...}``), a path ``{"__path__": [class, text]}`` (not its string),
    a subclass of a builtin (an enum member, a named tuple) ``{"__type__": [name, value]}``.
    A dict whose keys include a tag takes the ``__dict__`` form too: one text, one value.
    ``ordered``: a dict whose keys are not in sorted order is ``{"__ordered__": [[key,
    value], ...]}`` in its own order."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [_tagged(v, ordered) for v in value]
    if kind is tuple:
        return {"__tuple__": [_tagged(v, ordered) for v in value]}
    if kind is set or kind is frozenset:
        items = sorted((_tagged(v, ordered) for v in value), key=_encode)
        return {"__set__" if kind is set else "__frozenset__": items}
    if kind is dict:
        if ordered and len(value) > 1 and list(value) != sorted(value, key=str):
            return {"__ordered__": [[_tagged(k, ordered), _tagged(v, ordered)] for k, v in value.items()]}
        if all(type(k) is str and k not in _TAGS for k in value):
            return {k: _tagged(v, ordered) for k, v in value.items()}
        pairs = sorted(
            ([_tagged(k, ordered), _tagged(v, ordered)] for k, v in value.items()),
            key=lambda p: _encode(p[0]),
        )
        return {"__dict__": pairs}
    if isinstance(value, PurePath):
        return {"__path__": [kind.__name__, str(value)]}
    builtins: tuple[Any, ...] = (bool, int, float, str, tuple, list, dict, frozenset, set)
    for base in builtins:
        if isinstance(value, base):  # a subclass: the builtin value, under the class's name
            if ordered and _state_besides_items(value):  # a user's value: its text must be all of it
                raise TypeError(f"a {kind.__qualname__} holds more than its items (its attributes)")
            return {"__type__": [f"{kind.__module__}.{kind.__qualname__}", _tagged(base(value), ordered)]}
    return value  # a model: encoded by its fields (_json_default)


def _state_besides_items(value: Any) -> bool:
    """Whether a builtin's subclass instance holds what its builtin value leaves out: a
    ``defaultdict``'s factory, attributes set on it (an enum member's are its name and value;
    attributes left empty, as scikit-learn's ``Bunch`` keeps one, hold nothing)."""
    if isinstance(value, Enum):
        return False
    if isinstance(value, defaultdict) and value.default_factory is not None:
        return True
    attributes: dict[str, Any] = getattr(value, "__dict__", None) or {}
    return any(not _empty(v) for v in attributes.values())


def _empty(value: Any) -> bool:
    return value is None or (type(value) in (dict, list, tuple, set, frozenset, str) and not value)


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
        data = config_json(value)
        exact = exactness_digest(value, data)
        return {"__model__": type(value).__qualname__, **data, **({"__exact__": exact} if exact else {})}
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

#: ``json.dumps(value, sort_keys=True, default=str)``: the text stores write of a step's key
#: parts and config (``StepRun.cache_parts``, ``StepRun.config``), its encoder made once.
record_json = reusable_encode(json.JSONEncoder(sort_keys=True, default=str))


def template_pieces(
    encode: Callable[[Any], str], parts: dict[str, Any], holes: tuple[str, ...]
) -> list[str] | None:
    """The text ``encode(parts)`` cut where the values of ``holes`` go: the ``len(holes) + 1``
    texts before, between and after them (``holes`` in the order the text has them, their
    values left out). None when ``encode`` fails or a hole's place is not found once (a
    part holds the marker's text). :class:`PartsText` and the cache's key template are
    made of these pieces."""
    marks = {hole: f"\x00{hole}\x00" for hole in holes}
    try:
        text = encode({**parts, **marks})
    except (TypeError, ValueError):
        return None
    pieces = []
    for hole in holes:
        mark = encode(marks[hole])
        if text.count(mark) != 1:
            return None
        head, text = text.split(mark)
        pieces.append(head)
    pieces.append(text)
    return pieces


class PartsText:
    """:data:`record_json` of the key parts of the steps of one step function in a run,
    which differ only in their config, what they read, their inputs and literal parameters
    (the holes): the text of the rest (code digest, dependencies, names) is made once, and
    each step's text encodes only the holes, most of them without a call into the encoder.

    Made from one step's parts with :meth:`make`, which returns None when its text would
    differ from :data:`record_json`'s. :meth:`text` returns None for parts that are not the
    template's (another set of parts, a shared part changed): the caller encodes them whole.
    """

    __slots__ = ("_holes", "_pieces", "_shared", "_size", "_values")

    #: The parts that vary between steps of one function, in the order of their text.
    HOLES = ("config", "data", "inputs", "params")

    def __init__(self, parts: dict[str, Any], names: tuple[str, ...], pieces: tuple[str, ...]) -> None:
        self._shared = operator.itemgetter(*names)
        self._values = self._shared(parts)
        self._holes = operator.itemgetter(*self.HOLES)
        self._size = len(names) + len(self.HOLES)
        self._pieces = pieces

    @classmethod
    def make(cls, parts: dict[str, Any]) -> PartsText | None:
        """The template of ``parts`` (those without ``data`` yet: a step's until it ran)."""
        names = tuple(name for name in parts if name not in cls.HOLES)
        pieces = template_pieces(record_json, parts, cls.HOLES) if names else None
        if pieces is None:
            return None
        template = cls(parts, names, tuple(pieces))
        whole = {"data": [], **parts}
        return template if template.text(whole) == record_json(whole) else None

    def text(self, parts: dict[str, Any]) -> str | None:
        """:data:`record_json` of ``parts``; None when they are not this template's."""
        if len(parts) != self._size:
            return None
        try:
            if self._shared(parts) != self._values:
                return None
            config, data, inputs, params = self._holes(parts)
        except KeyError:
            return None
        a, b, c, d, e = self._pieces
        # The usual holes (no config, nothing read, no parameters) without a call.
        return (
            a
            + ("null" if config is None else _hole_text(config))
            + b
            + ("[]" if type(data) is list and not data else _hole_text(data))
            + c
            + _hole_text(inputs)
            + d
            + ("{}" if type(params) is dict and not params else _hole_text(params))
            + e
        )


def _hole_text(value: Any) -> str:
    """:data:`record_json` of a hole of :class:`PartsText`: what most holes are (none, an
    empty list or dict, one input's digest or one parameter's text) without the encoder."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is dict:
        if not value:
            return "{}"
        if len(value) == 1:
            ((name, text),) = value.items()
            if type(name) is str and type(text) is str:
                return "{" + encode_basestring_ascii(name) + ": " + encode_basestring_ascii(text) + "}"
    elif kind is list and not value:
        return "[]"
    return record_json(value)


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


def exactness_digest(model: Any, data: Any = None) -> str | None:
    """What :func:`config_json` leaves out of ``model``, as a digest; None when it leaves out
    nothing: its JSON form, read back by the model's class, is the same model.

    The JSON form is what records show, and what keys were made of. It loses a field value
    of a subclass of its declared type (and the subclass's fields), fields excluded from
    dumps, secrets, what a field serializer changes, the type of a value in an ``Any`` or
    union field (a tuple, a path, an enum member), and the order of a dict's keys. A step
    given such a config was served the output computed for another: this digest, of the
    exact values, goes into its key.
    """
    if data is None:
        data = config_json(model)
    exact = _exact(model)
    try:
        again = type(model).model_validate(json.loads(canonical_json(data)))
        if _exact(again) == exact:
            return None
    except Exception:  # not read back (a validator that refuses its own output): say so
        pass
    import hashlib

    return hashlib.sha256(canonical_json(exact).encode()).hexdigest()


def _exact(value: Any) -> Any:
    """``value`` as tagged JSON-able data that tells apart what Python tells apart: models by
    their class and every field (excluded, secret or extra), dicts in their order, and the
    types JSON has no form of."""
    from pydantic import BaseModel, SecretBytes, SecretStr

    kind = type(value)
    if kind in _SCALARS:
        return value
    if isinstance(value, BaseModel):
        fields = {name: _exact(getattr(value, name)) for name in type(value).model_fields}
        extra = {name: _exact(v) for name, v in (value.model_extra or {}).items()}
        return {"__model__": [f"{kind.__module__}.{kind.__qualname__}", fields, extra]}
    if isinstance(value, (SecretStr, SecretBytes)):
        return {"__secret__": [kind.__name__, _exact(value.get_secret_value())]}
    if kind is list or kind is tuple:
        return {"__tuple__" if kind is tuple else "__list__": [_exact(v) for v in value]}
    if kind is dict:
        return {"__ordered__": [[_exact(k), _exact(v)] for k, v in value.items()]}
    if kind is set or kind is frozenset:
        return {"__set__": sorted((_exact(v) for v in value), key=lambda v: canonical_json(v))}
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": [kind.__name__, bytes(value).hex()]}
    return {"__type__": [f"{kind.__module__}.{kind.__qualname__}", repr(value)]}
