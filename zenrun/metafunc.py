"""Parametrization of a pipeline function: ``Metafunc.parametrize`` and the ids it makes.

``@zenrun.mark.parametrize`` marks, fixtures with ``params=`` and the
``zenrun_generate_tests(metafunc)`` hook all go through
:meth:`Metafunc.parametrize`, as in pytest. Each call multiplies the calls
made so far by its parameter sets; each call's id joins the ids of its parts
with ``-``. Misuse is a :class:`~zenrun.outcomes.Failed` (``pytrace=False``)
that the collector reports as a collection error of the module.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zenrun.errors import UsageError
from zenrun.marks import HIDDEN_PARAM, Mark, ParameterSet, _HiddenParam
from zenrun.outcomes import Failed
from zenrun.steps import is_step_config
from zenrun.tbstyle import saferepr

__all__ = ["NOTSET", "CallSpec", "IdMaker", "Metafunc", "ascii_escaped"]

SCOPES = ("session", "module", "pipeline")
#: accepted for ``scope=`` as pytest spells it (``class``/``package`` have no node in zenrun).
_SCOPE_ALIASES = {"function": "pipeline", "class": "module", "package": "session"}


class _NotSet(enum.Enum):
    token = 0

    def __repr__(self) -> str:
        return "NOTSET"


#: the value of each argument of an empty parameter set
NOTSET = _NotSet.token

_NON_PRINTABLE = {i: f"\\x{i:02x}" for i in range(128) if i not in range(32, 127)}
_NON_PRINTABLE.update({ord("\t"): "\\t", ord("\r"): "\\r", ord("\n"): "\\n"})


def ascii_escaped(value: str | bytes) -> str:
    """Printable ASCII: non-ASCII as ``\\xNN``/``\\uNNNN``, control characters escaped."""
    if isinstance(value, bytes):
        text = value.decode("ascii", "backslashreplace")
    else:
        text = value.encode("unicode_escape").decode("ascii")
    return text.translate(_NON_PRINTABLE)


def normalize_scope(scope: str) -> str | None:
    scope = _SCOPE_ALIASES.get(scope, scope)
    return scope if scope in SCOPES else None


#: ids drawn from an iterator given to a parametrize mark, reused by every pipeline the
#: same mark decorates (as pytest stores them on the mark)
_MARK_IDS: dict[int, tuple[Any, list[Any]]] = {}


def _fail(message: str) -> Failed:
    return Failed(message, pytrace=False)


class IdMaker:
    """The ids of the parameter sets of one ``parametrize`` call, as pytest makes them."""

    def __init__(
        self,
        argnames: Sequence[str],
        parametersets: Sequence[ParameterSet],
        idfn: Callable[[Any], Any] | None,
        ids: Sequence[Any] | None,
        config: Any,
        nodeid: str | None,
        func_name: str | None,
    ) -> None:
        self.argnames, self.parametersets = list(argnames), list(parametersets)
        self.idfn, self.ids, self.config = idfn, ids, config
        self.nodeid, self.func_name = nodeid, func_name

    def make_unique_parameterset_ids(self) -> list[str | _HiddenParam]:
        """One id per parameter set (:data:`~zenrun.HIDDEN_PARAM` for a hidden one); duplicates
        get ``0, 1, ...`` (``_0`` after a digit)."""
        resolved = list(self._parameterset_ids())
        counts = Counter(resolved)
        if len(counts) == len(resolved):
            return resolved
        shown = [_shown(i) for i in resolved]
        if self._strict_ids():
            raise _fail(
                "Duplicate parametrization IDs detected, but strict_parametrization_ids is set.\n"
                "\n"
                f"Pipeline name:  {self.nodeid}\n"
                f"Parameters:     {', '.join(self.argnames)}\n"
                f"Parameter sets: {', '.join(saferepr(list(ps.values)) for ps in self.parametersets)}\n"
                f"IDs:            {', '.join(shown)}\n"
                f"Duplicates:     {', '.join(_shown(i) for i, n in counts.items() if n > 1)}\n"
                "\n"
                "You can fix this problem using `@zenrun.mark.parametrize(..., ids=...)` or "
                "`zenrun.param(..., id=...)`."
            )
        if counts[HIDDEN_PARAM] > 1:  # as pytest: the items' names would be the same
            where = f"In {self.nodeid}: " if self.nodeid else ""
            raise _fail(
                f"{where}multiple instances of HIDDEN_PARAM cannot be used in the same "
                "parametrize call, because the pipelines' names need to be unique."
            )
        taken = set(resolved)
        next_suffix: dict[str, int] = {}
        for index, value in enumerate(resolved):
            if counts[value] < 2 or isinstance(value, _HiddenParam):
                continue
            joiner = "_" if value and value[-1].isdigit() else ""
            number = next_suffix.get(value, 0)
            while f"{value}{joiner}{number}" in taken:
                number += 1
            resolved[index] = f"{value}{joiner}{number}"
            taken.add(resolved[index])
            next_suffix[value] = number + 1
        return resolved

    def _strict_ids(self) -> bool:
        ini = getattr(self.config, "ini", None) or {}
        for name in ("strict_parametrization_ids", "strict"):
            if name in ini:
                value = self.config.getini(name)
                if value is not None:
                    return bool(value)
        return False

    def _parameterset_ids(self) -> Iterable[str | _HiddenParam]:
        for index, ps in enumerate(self.parametersets):
            if ps.id is HIDDEN_PARAM:
                yield HIDDEN_PARAM
            elif ps.id is not None:
                yield ascii_escaped(ps.id)
            elif self.ids and index < len(self.ids) and self.ids[index] is HIDDEN_PARAM:
                yield HIDDEN_PARAM
            elif self.ids and index < len(self.ids) and self.ids[index] is not None:
                yield self._required_id(self.ids[index], index)
            else:
                yield "-".join(
                    self._idval(value, argname, index)
                    for value, argname in zip(ps.values, self.argnames, strict=False)
                )

    def _idval(self, value: Any, argname: str, index: int) -> str:
        for made in (
            self._from_function(value, argname, index),
            self._from_hook(value, argname),
            id_from_value(value),
        ):
            if made is not None:
                return made
        return f"{argname}{index}"

    def _from_function(self, value: Any, argname: str, index: int) -> str | None:
        if self.idfn is None:
            return None
        try:
            made = self.idfn(value)
        except Exception as exc:
            where = f"{self.nodeid}: " if self.nodeid else ""
            raise _fail(
                f"{where}error raised while trying to determine id of parameter "
                f"'{argname}' at position {index}\n{type(exc).__name__}: {exc}"
            ) from exc
        return None if made is None else id_from_value(made)

    def _from_hook(self, value: Any, argname: str) -> str | None:
        hook = getattr(getattr(self.config, "hook", None), "zenrun_make_parametrize_id", None)
        if hook is None:
            return None
        made = hook(config=self.config, val=value, argname=argname)
        return made if isinstance(made, str) else None

    def _required_id(self, value: Any, index: int) -> str:
        made = id_from_value(value)
        if made is not None:
            return made
        where = self.nodeid or self.func_name  # pytest's: the item's id, where one is known
        raise _fail(
            f"{f'In {where}: ' if where else ''}ids contains unsupported value {value!r} (type: {type(value)!r}) at "
            f"index {index}. Supported types are: str, bytes, int, float, complex, bool, "
            f"enum, regex or anything with a __name__."
        )


def _shown(param_id: str | _HiddenParam) -> str:
    """An id as an error message shows it: a hidden one is ``<hidden>``, as pytest's."""
    return "<hidden>" if isinstance(param_id, _HiddenParam) else param_id


def id_from_value(value: Any) -> str | None:
    """The id of one value, or None when its type has none (then ``argname<index>``).

    A ``StepConfig`` is named by its non-default fields (``gamma=0.01``).
    """
    if isinstance(value, (str, bytes)):
        return ascii_escaped(value)
    if value is None or isinstance(value, (float, int, bool, complex)):
        return str(value)
    if isinstance(value, re.Pattern):
        return ascii_escaped(value.pattern)
    if value is NOTSET:
        return None
    if isinstance(value, enum.Enum):
        return str(value)
    if is_step_config(value):
        fields = [
            f"{k}={id_from_value(v) or type(v).__name__}"
            for k, v in value.model_dump(exclude_defaults=True).items()
        ]
        return "-".join(fields) or None
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) else None


@dataclass
class CallSpec:
    """One parametrized call: its values, their indices, scopes and id parts."""

    params: dict[str, Any] = field(default_factory=dict)
    indices: dict[str, int] = field(default_factory=dict)
    scopes: dict[str, str] = field(default_factory=dict)
    indirect: set[str] = field(default_factory=set)
    #: the parts of the item's ``[...]`` (a hidden parameter set has none: ``HIDDEN_PARAM``)
    idlist: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "-".join(self.idlist)

    def extend(
        self,
        argnames: Sequence[str],
        values: Sequence[Any],
        param_id: str | _HiddenParam,
        marks: Iterable[Mark],
        scope: str,
        param_index: int,
        indirect: set[str],
    ) -> CallSpec:
        spec = CallSpec(
            dict(self.params),
            dict(self.indices),
            dict(self.scopes),
            set(self.indirect),
            [*self.idlist] if isinstance(param_id, _HiddenParam) else [*self.idlist, param_id],
            [*self.marks, *marks],
        )
        for name, value in zip(argnames, values, strict=True):
            spec.params[name] = value
            spec.indices[name] = param_index
            spec.scopes[name] = scope
            if name in indirect:
                spec.indirect.add(name)
        return spec


def parse_argnames(argnames: Any) -> tuple[list[str], bool]:
    """``"x, y"``, ``"x,"`` or ``("x", "y")`` -> names, and whether each value is one value
    (a single name given as a string) rather than a sequence to unpack.

    A trailing comma is the tuple form, as in pytest (its issue #719): ``"x,"`` unpacks
    ``[("a",), ("b",)]`` as ``("x",)`` does, where ``"x"`` passes each tuple whole."""
    if isinstance(argnames, str):
        names = [n.strip() for n in argnames.split(",") if n.strip()]
        return names, len(names) == 1 and not argnames.rstrip().endswith(",")
    if isinstance(argnames, (list, tuple)) and all(isinstance(n, str) for n in argnames):
        return list(argnames), False
    raise _fail(
        f"parametrize argnames must be a comma-separated string or a list/tuple of strings, not {argnames!r}"
    )


def empty_parameterset_mark(config: Any, reason: str, func: Any) -> Mark:
    """The mark an empty parameter set gets (``empty_parameter_set_mark`` in [tool.zenrun])."""
    choice = (
        config.getini("empty_parameter_set_mark")
        if config is not None and hasattr(config, "getini")
        else "skip"
    )
    choice = choice or "skip"
    if choice == "skip":
        return Mark("skip", (), {"reason": reason})
    if choice == "xfail":
        return Mark("xfail", (), {"reason": reason, "run": False})
    if choice == "fail_at_collect":
        name = getattr(func, "__name__", str(func))
        line = getattr(getattr(func, "__code__", None), "co_firstlineno", 0)  # its first decorator's
        raise _fail(f"Empty parameter set in {name!r} at line {line}")

    raise UsageError(f"empty_parameter_set_mark must be one of skip, xfail, fail_at_collect, not {choice!r}")


def parametersets(
    argnames: list[str],
    argvalues: Any,
    force_tuple: bool,
    func_name: str,
    empty_reason: str,
    empty_mark: Any = None,
) -> list[ParameterSet]:
    """Normalize ``argvalues``; an empty one is one set of NOTSET values marked skip.

    Any iterable is taken, a string too (one set per character), as pytest iterates it:
    ``parametrize("ch", "<&'")`` makes three items."""
    if not isinstance(argvalues, Iterable):
        raise _fail(f"In {func_name}: parametrize argvalues must be an iterable of values, not {argvalues!r}")
    sets = []
    for value in argvalues:
        if isinstance(value, ParameterSet):
            ps = value
        elif force_tuple:
            ps = ParameterSet((value,))
        else:
            try:
                ps = ParameterSet(tuple(value))
            except TypeError:
                ps = ParameterSet((value,))
        if len(ps.values) != len(argnames):
            raise _fail(
                f'{func_name}: in "parametrize" the number of names ({len(argnames)}):\n'
                f"  {argnames!r}\nmust be equal to the number of values ({len(ps.values)}):\n"
                f"  {ps.values!r}"
            )
        sets.append(ps)
    if not sets:
        mark = empty_mark() if empty_mark is not None else Mark("skip", (), {"reason": empty_reason})
        sets.append(ParameterSet((NOTSET,) * len(argnames), "NOTSET", (mark,)))  # pytest's id
    return sets


class Metafunc:
    """What ``zenrun_generate_tests(metafunc)`` gets: the function, its fixture names, and
    :meth:`parametrize`. ``definition`` is the pipeline, ``cls`` is always None.

    ``function`` is the pipeline as its module binds it, as pytest's is the test function:
    ``metafunc.function == pipeline_x`` holds, and an attribute set on it after its
    definition (``pipeline_x.params = (2, 3)``) is seen (the function's own are too)."""

    def __init__(
        self,
        function: Any,
        fixturenames: list[str],
        config: Any,
        module: Any,
        nodeid: str,
        defaults: dict[str, Any] | None = None,
        fixture_defs: Callable[[str], Any] | None = None,
        location: str = "",
    ) -> None:
        self.definition = function
        self.function = function
        self.fixturenames = fixturenames
        self.config = config
        self.module = module
        self.cls = None
        self.nodeid = nodeid
        self._defaults = defaults or {}
        self._fixture_defs = fixture_defs or (lambda name: None)
        self._location = location
        self._calls: list[CallSpec] = []
        self._arg2fixturedefs: dict[str, Any] = {}

    @property
    def calls(self) -> list[CallSpec]:
        return self._calls

    @property
    def _func_name(self) -> str:
        return getattr(self.function, "__name__", str(self.function))

    def parametrize(
        self,
        argnames: str | Sequence[str],
        argvalues: Iterable[Any],
        *,
        indirect: bool | Sequence[str] = False,
        ids: Iterable[Any] | Callable[[Any], Any] | None = None,
        scope: str | None = None,
        _param_mark: Mark | None = None,
    ) -> None:
        """Add new calls, one per value set, as pytest's ``metafunc.parametrize``.

        ``indirect`` and what follows are keyword-only, as in pytest 9: ``parametrize("x",
        [1], True)`` is a ``TypeError`` (a third positional argument read as ``indirect``
        was easily meant as ``ids``)."""
        func = self._func_name
        names, force_tuple = parse_argnames(argnames)
        reason = f"got empty parameter set for ({', '.join(names)})"  # as pytest 8+ words it
        sets = parametersets(
            names,
            argvalues,
            force_tuple,
            self.nodeid,
            reason,
            lambda: empty_parameterset_mark(self.config, reason, getattr(self.function, "fn", self.function)),
        )
        if scope is not None and normalize_scope(scope) is None:
            raise _fail(
                f"{self.nodeid}: parametrize() call in {func} got an unexpected scope value {scope!r}"
            )
        idfn, id_values = self._resolve_ids(ids, sets, _param_mark)
        param_ids = IdMaker(
            names, sets, idfn, id_values, self.config, self.nodeid, func
        ).make_unique_parameterset_ids()
        indirect_names = self._indirect_names(names, indirect)
        self._validate_names(names, indirect_names)
        if scope is None:
            scope = self._find_scope(names, indirect)
        scope = normalize_scope(scope) or "pipeline"
        for name in names:
            if name not in indirect_names:
                self._arg2fixturedefs[name] = None
        new_calls = []
        for spec in self._calls or [CallSpec()]:
            for index, (param_id, ps) in enumerate(zip(param_ids, sets, strict=True)):
                new_calls.append(
                    spec.extend(names, ps.values, param_id, ps.marks, scope, index, indirect_names)
                )
        self._calls = new_calls

    def _indirect_names(self, names: list[str], indirect: Any) -> set[str]:
        if isinstance(indirect, bool):
            return set(names) if indirect else set()
        if isinstance(indirect, str):
            indirect = [indirect]
        if not isinstance(indirect, Sequence):
            raise _fail(
                f"In {self._func_name}: expected Sequence or boolean for indirect, "
                f"got {type(indirect).__name__}"
            )
        for name in indirect:
            if name not in names:
                raise _fail(f"In {self._func_name}: indirect fixture '{name}' doesn't exist")
        return set(indirect)

    def _validate_names(self, names: list[str], indirect: set[str]) -> None:
        func = self._func_name
        seen_before = {n for call in self._calls[:1] for n in call.params}
        for name in names:
            if name == "request":
                raise _fail(
                    f"{self.nodeid}: 'request' is a reserved name and cannot be used in "
                    f"@zenrun.mark.parametrize"
                )
            if name in seen_before or names.count(name) > 1:
                raise ValueError(f"{self.nodeid}: duplicate parametrization of {name!r}")
            if name in self._defaults:
                raise _fail(f"In {func}: function already takes an argument '{name}' with a default value")
            if name not in self.fixturenames:
                kind = "fixture" if name in indirect else "argument"
                raise _fail(f"In {func}: function uses no {kind} '{name}'")

    def _find_scope(self, names: list[str], indirect: Any) -> str:
        """The narrowest scope of the fixtures when all names are indirect, else pipeline."""
        all_indirect = indirect is True or (
            isinstance(indirect, Sequence) and not isinstance(indirect, str) and set(names) <= set(indirect)
        )
        if not all_indirect:
            return "pipeline"
        scopes = []
        for name in names:
            fixturedef = self._fixture_defs(name)
            if fixturedef is not None:
                scopes.append(fixturedef.scope)
        return max(scopes, key=SCOPES.index) if scopes else "pipeline"

    def _resolve_ids(
        self, ids: Any, sets: list[ParameterSet], mark: Mark | None = None
    ) -> tuple[Any, list[Any] | None]:
        if ids is None:
            return None, None
        if callable(ids):
            return ids, None
        if not isinstance(ids, Iterable):  # a string is an iterable of ids too, as pytest's
            raise TypeError("ids must be a callable or an iterable")
        try:
            count = len(ids)  # type: ignore[arg-type]
            values = list(ids)
        except TypeError:  # an iterator or generator: take only what is needed, lazily
            cached = _MARK_IDS.get(id(ids)) if mark is not None else None
            if cached is not None and cached[0] is ids:  # a mark shared by several pipelines
                values = cached[1]
            else:
                values = list(itertools.islice(ids, len(sets)))
                if mark is not None:
                    _MARK_IDS[id(ids)] = (ids, values)
            count = len(values)
        if count != len(sets) and count != 0:
            raise _fail(
                f"In {self._func_name}: {len(sets)} parameter sets specified, with "
                f"different number of ids: {count}"
            )
        return None, values
