"""Marks (``zenrun.mark.parametrize``, ``skip``, ``skipif``, custom marks) and ``-k`` / ``-m``."""

from __future__ import annotations

import enum
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from zenrun.config.argparsing import BOOL_WORDS
from zenrun.deferred import dataclass
from zenrun.errors import UsageError, ZenrunUnknownMarkWarning
from zenrun.hookspec import hookimpl
from zenrun.marks.expression import Expression, ExpressionError
from zenrun.outcomes import Failed, fail
from zenrun.pipelines import Pipeline

if TYPE_CHECKING:
    from zenrun.collect import Item, Session
    from zenrun.config import Config, Parser

BUILTIN_MARKS = {
    "parametrize": "parametrize(argnames, argvalues, indirect=False, ids=None, scope=None): run "
    "the pipeline once per value set",
    "skip": "skip(reason=None): skip the pipeline",
    "skipif": "skipif(condition, ..., *, reason=...): skip the pipeline if any condition is true "
    "(a string is evaluated with the module's globals, sys, os, platform, config)",
    "xfail": "xfail(condition, ..., *, reason=..., run=True, raises=None, strict=strict_xfail): mark "
    "the pipeline as an expected failure if any of the conditions is true",
    "usefixtures": "usefixtures(fixturename1, ...): the pipeline needs these fixtures set up",
    "filterwarnings": "filterwarnings(warning): add a warning filter to the pipeline (as python -W, "
    "the message and module as regular expressions)",
    "search": "search(space, trials=20, metric='accuracy', direction='maximize', sampler='tpe', "
    "pruner=None, seed=None): run an Optuna study, one item per trial",
}

#: What a mark decorates: a pipeline, its function or a class (returned as it is).
_Markable = TypeVar("_Markable", bound=Callable[..., object] | type)

#: Module-level marks: ``zenrunmark = zenrun.mark.x`` or a list; ``pytestmark`` is read too.
MODULE_MARK_NAMES = ("zenrunmark", "pytestmark")


@dataclass(frozen=True)
class Mark:
    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class _HiddenParam(enum.Enum):
    """The type of :data:`HIDDEN_PARAM` (one value, as pytest's singleton)."""

    token = 0


HIDDEN_PARAM = _HiddenParam.token
"""A parameter set's id that leaves the set out of the item's name, as ``pytest.HIDDEN_PARAM``
(``zenrun.param(x, id=zenrun.HIDDEN_PARAM)``, or in ``parametrize(..., ids=[...])``): ``p``
rather than ``p[x]``. At most one parameter set of a ``parametrize`` call may hide its id."""


@dataclass(frozen=True)
class ParameterSet:
    """One set of values from ``zenrun.param(..., id=, marks=)``."""

    values: tuple[Any, ...]
    id: str | _HiddenParam | None = None
    marks: tuple[Mark, ...] = ()


def param(
    *values: object,
    id: str | _HiddenParam | None = None,
    marks: MarkDecorator | Mark | Iterable[MarkDecorator | Mark] = (),
) -> ParameterSet:
    """One parametrize value set with its own id (a string, or :data:`HIDDEN_PARAM` to leave
    it out of the item's name) or marks."""
    if isinstance(marks, (MarkDecorator, Mark)):
        marks = (marks,)
    if id is not None and not isinstance(id, str) and id is not HIDDEN_PARAM:
        raise TypeError(
            f"Expected id to be a string or a `zenrun.HIDDEN_PARAM` sentinel, got {type(id)}: {id!r}"
        )
    marks = tuple(marks)
    for m in marks:
        if not isinstance(m, (MarkDecorator, Mark)):
            raise TypeError(f"param(marks=...) expects marks, got {m!r}")
    return ParameterSet(values, id, tuple(m.mark if isinstance(m, MarkDecorator) else m for m in marks))


class MarkDecorator:
    """``zenrun.mark.NAME(...)``: decorates a pipeline (or its function)."""

    def __init__(self, mark: Mark) -> None:
        self.mark = mark

    @property
    def name(self) -> str:
        return self.mark.name

    @property
    def args(self) -> tuple[Any, ...]:
        """The mark's positional arguments (``zenrun.mark.foo(1).args == (1,)``, as pytest's)."""
        return self.mark.args

    @property
    def kwargs(self) -> Mapping[str, Any]:
        """The mark's keyword arguments, as pytest's ``MarkDecorator.kwargs``."""
        return self.mark.kwargs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MarkDecorator) and self.mark == other.mark

    __hash__ = None  # type: ignore[assignment]

    def with_args(self, *args: object, **kwargs: object) -> MarkDecorator:
        """A new decorator with these arguments added, even a single callable one."""
        return MarkDecorator(Mark(self.mark.name, self.mark.args + args, {**self.mark.kwargs, **kwargs}))

    @overload
    def __call__(self, arg: _Markable, /) -> _Markable: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: object, **kwargs: object) -> MarkDecorator: ...
    def __call__(self, *args: object, **kwargs: object) -> object:
        if len(args) == 1 and not kwargs and _is_markable(args[0]):
            target: Any = args[0]
            if hasattr(target, "_zenrun_fixture"):
                # As pytest; the message is fixtures.MARKS_ON_FIXTURES (marks sits below fixtures)
                fail(
                    "Marks cannot be applied to fixtures.\n"
                    "Put the marks on the pipelines that use the fixture.",
                    pytrace=False,
                )
            marks = list(getattr(target, "zenrun_marks", []))
            marks.append(self.mark)
            target.zenrun_marks = marks
            return target
        return MarkDecorator(Mark(self.mark.name, self.mark.args + args, {**self.mark.kwargs, **kwargs}))


def _is_markable(obj: object) -> bool:
    return isinstance(obj, (Pipeline, type)) or (
        callable(obj) and hasattr(obj, "__code__") and getattr(obj, "__name__", None) != "<lambda>"
    )


class MarkGenerator:
    """``zenrun.mark``: any attribute is a mark decorator of that name.

    During a session, an attribute that names no registered mark gives a
    :class:`~zenrun.ZenrunUnknownMarkWarning` where it is used (as pytest's
    ``PytestUnknownMarkWarning``); with ``--strict-markers`` collection reports it instead.
    """

    _config: Config | None = None  # the session's, set by zenrun_configure
    _markers: frozenset[str] = frozenset()

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("zenrun.mark is not callable; use zenrun.mark.NAME")

    def __getattr__(self, name: str) -> MarkDecorator:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in ("parameterize", "parametrise", "parameterise"):
            # With its traceback, as pytest's: the module's line that spelled it.
            raise Failed(f"Unknown {name!r} mark, did you mean 'parametrize'?")
        config = self._config
        if config is not None and name not in self._markers:
            self._markers = frozenset(registered_markers(config))  # a conftest may have added some
            if name not in self._markers and not strict_markers(config):  # strict: a collection error
                warnings.warn(
                    f"Unknown zenrun.mark.{name} - is this a typo?  You can register custom marks to "
                    "avoid this warning (the `markers` key of [tool.zenrun]; see 'zenrun --markers')",
                    ZenrunUnknownMarkWarning,
                    stacklevel=2,
                )
        return MarkDecorator(Mark(name))


mark = MarkGenerator()


def get_marks(obj: object) -> list[Mark]:
    """The marks on ``obj``, nearest the function first (as they were applied)."""
    return list(getattr(obj, "zenrun_marks", []))


def module_marks(namespace: dict[str, Any]) -> list[Mark]:
    """The marks a module (its ``vars()``) applies to all its pipelines (``zenrunmark`` /
    ``pytestmark``)."""
    found: list[Mark] = []
    for attr in MODULE_MARK_NAMES:
        value = namespace.get(attr)
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for entry in values:
            if isinstance(entry, MarkDecorator):
                found.append(entry.mark)
            elif isinstance(entry, Mark):
                found.append(entry)
            else:
                raise TypeError(f"{attr} must be a mark or a list of marks, got {entry!r}")
    return found


# ---------------------------------------------------------------------------
# Selection plugin
# ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Parser) -> None:
    group = parser.getgroup("selection")
    group.addoption(
        "-k",
        dest="keyword",
        default="",
        metavar="EXPR",
        help="only run pipelines whose id, module or marks match EXPR (substrings, with and / or / not)",
    )
    group.addoption(
        "-m",
        dest="markexpr",
        default="",
        metavar="MARKEXPR",
        help="only run pipelines whose marks match MARKEXPR",
    )
    group.addoption(
        "--deselect",
        action="append",
        default=[],
        metavar="NODEID_PREFIX",
        help="deselect the pipelines whose id starts with this prefix (repeatable)",
    )
    group.addoption(
        "--strict-markers",
        action="store_true",
        default=False,
        help="an unregistered mark is an error, not a warning",
    )
    group.addoption(
        "--markers", action="store_true", default=False, help="list the registered marks and exit"
    )
    parser.addini("markers", "marks of this project, one 'name: help' per entry", type="linelist", default=[])
    parser.addini(
        "strict_markers", "an unregistered mark (in code or in -m) is an error", type="bool", default=False
    )
    parser.addini(
        "empty_parameter_set_mark",
        "what an empty parametrize makes: skip (default), xfail or fail_at_collect",
        type="string",
        default="skip",
    )
    parser.addini(
        "xfail_strict", "default for xfail(strict=...): an unexpected pass fails", type="bool", default=False
    )
    parser.addini(
        "strict_parametrization_ids",
        "duplicate parametrization ids are a collection error, not made unique (also: strict)",
        type="bool",
        default=None,
    )


@hookimpl
def zenrun_configure(config: Config) -> None:
    config.stash["marks_outer_config"] = mark._config  # a session inside a session (zenrunner)
    mark._config, mark._markers = config, frozenset()
    choice = config.getini("empty_parameter_set_mark")
    if choice not in ("", None, "skip", "xfail", "fail_at_collect"):
        raise UsageError(
            f"{config.inipath}: empty_parameter_set_mark must be one of skip, xfail, "
            f"fail_at_collect, not {choice!r}"
        )


@hookimpl
def zenrun_unconfigure(config: Config) -> None:
    if mark._config is config:
        mark._config, mark._markers = config.stash.get("marks_outer_config"), frozenset()


def registered_markers(config: Config) -> dict[str, str]:
    markers = dict(BUILTIN_MARKS)
    for line in config.getini("markers"):
        name, _, help_text = line.partition(":")
        markers[name.strip().split("(")[0]] = help_text.strip()
    return markers


@hookimpl
def zenrun_cmdline_main(config: Config) -> int | None:
    if not config.getoption("markers"):
        return None
    for name, help_text in registered_markers(config).items():
        signature, sep, rest = help_text.partition("): ")
        if sep and signature.startswith(f"{name}("):  # as pytest: @zenrun.mark.name(args): help
            print(f"@zenrun.mark.{signature}): {rest}")
        else:
            print(f"@zenrun.mark.{name}: {help_text}")
    return 0


def keyword_names(item: Item, *, session_marks: bool = True) -> set[str]:
    """What ``-k`` matches against, as pytest's: the item's name, its module file's name,
    the directories below the rootdir, the pipeline function's public attributes and
    the mark names (the session's too, unless not ``session_marks``)."""
    names = {item.name, item.module_path.name}
    relative = item.nodeid.split("::")[0].split("/")[:-1]
    names.update(relative)
    target = getattr(item, "target", None)
    for holder in (getattr(target, "fn", None), target):  # attributes set on the function
        if holder is not None and hasattr(holder, "__dict__"):
            names.update(n for n in vars(holder) if not n.startswith("_") and n not in _OWN_ATTRS)
    names.update(m.name for m in (item.iter_markers() if session_marks else item.marks))
    names.update(getattr(item, "extra_keywords", ()))
    names.update(getattr(item, "extra_keyword_matches", ()))
    return names


#: attributes zenrun itself keeps on pipelines and instances: never keywords
_OWN_ATTRS = {
    "zenrun_marks",
    "fn",
    "name",
    "enable_cache",
    "signature",
    "argnames",
    "defaults",
    "pipeline",
    "kwargs",
}


class KeywordMatcher:
    """``-k``: a case-insensitive substring of any of the item's keyword names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = [n.lower() for n in names]

    def __call__(self, subname: str, /, **kwargs: object) -> bool:
        if kwargs:
            raise UsageError("Keyword expressions do not support call parameters.")
        subname = subname.lower()
        return any(subname in name for name in self.names)


class MarkMatcher:
    """``-m``: a mark of that name is on the item, with these keyword arguments if given."""

    def __init__(self, marks: Iterable[Mark]) -> None:
        self.marks: dict[str, list[Mark]] = {}
        for m in marks:
            self.marks.setdefault(m.name, []).append(m)

    def __call__(self, name: str, /, **kwargs: object) -> bool:
        return any(
            all(k in m.kwargs and m.kwargs[k] == v for k, v in kwargs.items())
            for m in self.marks.get(name, ())
        )


def strict_markers(config: Config) -> bool:
    if config.getoption("strict_markers") or config.getini("strict_markers"):
        return True
    strict = config.ini.get("strict")  # `strict = true` (a string in an INI file)
    if isinstance(strict, str):
        strict = BOOL_WORDS.get(strict.strip().lower(), bool(strict))
    return "strict_markers" not in config.ini and bool(strict)


@hookimpl
def zenrun_collection_modifyitems(session: Session, config: Config, items: list[Item]) -> None:
    known = registered_markers(config)
    strict = strict_markers(config)
    failed_modules: set[Path] = set()
    for item in items if strict else ():  # not strict: warned where the mark is used
        for m in item.iter_markers():
            # pytest's message, a collection error of the module (its first only)
            if m.name not in known and item.module_path not in failed_modules:
                failed_modules.add(item.module_path)
                message = f"{m.name!r} not found in `markers` configuration option"
                session.add_collection_error(item.module_path, message, f"Failed: {message}")
    prefixes = tuple(config.getoption("deselect"))
    if prefixes:
        _deselect(config, items, lambda item: not item.nodeid.startswith(prefixes))
    keyword, markexpr = config.getoption("keyword").strip(), config.getoption("markexpr").strip()
    if keyword:
        kexpr = _compile(keyword, "-k")
        _deselect(config, items, lambda item: kexpr.evaluate(KeywordMatcher(keyword_names(item))))
    if markexpr:
        mexpr = _compile(markexpr, "-m")
        if strict:
            unknown = sorted({name for name, _ in mexpr.idents} - set(known))
            if unknown:
                raise UsageError(
                    f"Unknown marker(s) in '-m' expression: {', '.join(unknown)}. "
                    "Use 'zenrun --markers' to see available markers."
                )
        _deselect(config, items, lambda item: mexpr.evaluate(MarkMatcher(item.iter_markers())))


def _compile(text: str, option: str) -> Expression:
    try:
        return Expression(text)
    except ExpressionError as exc:
        raise UsageError(
            f"Wrong expression passed to '{option}': {text}: at column {exc.offset}: {exc.msg}"
        ) from None


def _deselect(config: Config, items: list[Item], keep: Callable[[Item], bool]) -> None:
    selected: list[Item] = []
    deselected: list[Item] = []
    for item in items:
        (selected if keep(item) else deselected).append(item)
    if deselected:
        config.hook.zenrun_deselected(items=deselected)
        items[:] = selected


def skip_reason(marks: Iterable[Mark]) -> str | None:
    """The reason to skip, from the first applicable skip / skipif mark."""
    for m in marks:
        if m.name == "skip":
            return m.kwargs.get("reason") or (m.args[0] if m.args else "unconditional skip")
        if m.name == "skipif":
            condition = m.args[0] if m.args else m.kwargs.get("condition", True)
            if condition:
                return m.kwargs.get("reason") or (m.args[1] if len(m.args) > 1 else f"condition: {condition}")
    return None


__all__ = ["HIDDEN_PARAM", "Mark", "MarkDecorator", "MarkGenerator", "ParameterSet", "mark", "param"]
