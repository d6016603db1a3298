"""Marks (``zenrun.mark.parametrize``, ``skip``, ``skipif``, custom marks) and ``-k`` / ``-m``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from zenrun.hookspec import hookimpl
from zenrun.marks.expression import Expression

BUILTIN_MARKS = {
    "parametrize": "parametrize(argnames, argvalues, ids=None): run the pipeline once per value set",
    "skip": "skip(reason=None): skip the pipeline",
    "skipif": "skipif(condition, reason=None): skip the pipeline if condition is true",
}


@dataclass(frozen=True)
class Mark:
    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParameterSet:
    """One set of values from ``zenrun.param(..., id=, marks=)``."""

    values: tuple[Any, ...]
    id: str | None = None
    marks: tuple[Mark, ...] = ()


def param(*values: Any, id: str | None = None, marks: Any = ()) -> ParameterSet:
    """One parametrize value set with its own id or marks."""
    if isinstance(marks, (MarkDecorator, Mark)):
        marks = (marks,)
    return ParameterSet(values, id, tuple(m.mark if isinstance(m, MarkDecorator) else m for m in marks))


class MarkDecorator:
    """``zenrun.mark.NAME(...)``: decorates a pipeline (or its function)."""

    def __init__(self, mark: Mark) -> None:
        self.mark = mark

    @property
    def name(self) -> str:
        return self.mark.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and _is_markable(args[0]):
            target = args[0]
            marks = list(getattr(target, "zenrun_marks", []))
            marks.append(self.mark)
            target.zenrun_marks = marks
            return target
        return MarkDecorator(Mark(self.mark.name, self.mark.args + args, {**self.mark.kwargs, **kwargs}))


def _is_markable(obj: Any) -> bool:
    from zenrun.pipelines import Pipeline

    return isinstance(obj, Pipeline) or callable(obj) and hasattr(obj, "__code__")


class MarkGenerator:
    """``zenrun.mark``: any attribute is a mark decorator of that name."""

    def __getattr__(self, name: str) -> MarkDecorator:
        if name.startswith("_"):
            raise AttributeError(name)
        return MarkDecorator(Mark(name))


mark = MarkGenerator()


def get_marks(obj: Any) -> list[Mark]:
    """The marks on ``obj``, nearest the function first (as they were applied)."""
    return list(getattr(obj, "zenrun_marks", []))


# ---------------------------------------------------------------------------
# Selection plugin
# ---------------------------------------------------------------------------


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("selection")
    group.addoption("-k", dest="keyword", default="", metavar="EXPR",
                    help="only run pipelines whose id, module or marks match EXPR "
                         "(substrings, with and / or / not)")
    group.addoption("-m", dest="markexpr", default="", metavar="MARKEXPR",
                    help="only run pipelines whose marks match MARKEXPR")
    group.addoption("--strict-markers", action="store_true", default=False,
                    help="an unregistered mark is an error, not a warning")
    group.addoption("--markers", action="store_true", default=False,
                    help="list the registered marks and exit")
    parser.addini("markers", "marks of this project, one 'name: help' per entry", type="linelist",
                  default=[])


def registered_markers(config: Any) -> dict[str, str]:
    markers = dict(BUILTIN_MARKS)
    for line in config.getini("markers"):
        name, _, help_text = line.partition(":")
        markers[name.strip().split("(")[0]] = help_text.strip()
    return markers


@hookimpl
def zenrun_cmdline_main(config: Any) -> int | None:
    if not config.getoption("markers"):
        return None
    for name, help_text in registered_markers(config).items():
        print(f"@zenrun.mark.{name}: {help_text}")
    return 0


def _keyword_names(item: Any) -> set[str]:
    names = {item.nodeid.lower(), item.name.lower(), item.module_path.name.lower(),
             item.module_path.stem.lower()}
    names.update(m.name.lower() for m in item.marks)
    return names


@hookimpl
def zenrun_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    known = registered_markers(config)
    for item in items:
        for m in item.marks:
            if m.name not in known:
                message = (f"{item.nodeid}: unknown mark zenrun.mark.{m.name}; register it in "
                           f"[tool.zenrun] markers to avoid this")
                if config.getoption("strict_markers"):
                    session.add_collection_error(item.module_path, message)
                else:
                    session.warn(message)
    keyword, markexpr = config.getoption("keyword"), config.getoption("markexpr")
    if not keyword and not markexpr:
        return
    kexpr, mexpr = Expression(keyword), Expression(markexpr)
    selected, deselected = [], []
    for item in items:
        names = _keyword_names(item)
        marks = {m.name for m in item.marks}
        ok = kexpr.evaluate(lambda ident: any(ident.lower() in n for n in names)) and \
            mexpr.evaluate(lambda ident: ident in marks)
        (selected if ok else deselected).append(item)
    if deselected:
        config.hook.zenrun_deselected(items=deselected)
        items[:] = selected


def parametrize_args(m: Mark) -> tuple[list[str], list[ParameterSet], Any]:
    """Normalize a parametrize mark: ``(argnames, value sets, ids)``."""
    if len(m.args) < 2 and "argvalues" not in m.kwargs:
        raise TypeError("parametrize(argnames, argvalues) needs both arguments")
    argnames = m.kwargs.get("argnames", m.args[0] if m.args else None)
    argvalues = m.kwargs.get("argvalues", m.args[1] if len(m.args) > 1 else None)
    ids = m.kwargs.get("ids", m.args[2] if len(m.args) > 2 else None)
    names = [n.strip() for n in argnames.split(",") if n.strip()] if isinstance(argnames, str) \
        else list(argnames)
    sets = []
    for value in argvalues:
        if isinstance(value, ParameterSet):
            ps = value
        elif len(names) == 1:
            ps = ParameterSet((value,))
        else:
            ps = ParameterSet(tuple(value))
        if len(ps.values) != len(names):
            raise ValueError(f"parametrize({', '.join(names)}): value set {ps.values!r} has "
                             f"{len(ps.values)} values, expected {len(names)}")
        sets.append(ps)
    return names, sets, ids


def id_for_value(value: Any, argname: str, index: int) -> str:
    """An id as pytest makes one; a StepConfig's is its non-default fields."""
    from zenrun.steps import StepConfig

    if isinstance(value, StepConfig):
        fields = [f"{k}={_scalar_id(v)}" for k, v in value.model_dump(exclude_defaults=True).items()]
        return "-".join(fields) if fields else f"{argname}{index}"
    if isinstance(value, (str, int, float, bool, type(None))):
        return _scalar_id(value)
    if hasattr(value, "__name__") and isinstance(getattr(value, "__name__"), str):
        return value.__name__
    return f"{argname}{index}"


def _scalar_id(value: Any) -> str:
    if isinstance(value, str):
        return value.encode("unicode_escape").decode("ascii")
    return str(value)


def make_ids(names: Sequence[str], sets: Sequence[ParameterSet], ids: Any) -> list[str]:
    result = []
    for index, ps in enumerate(sets):
        if ps.id is not None:
            result.append(ps.id)
        elif ids is not None and callable(ids):
            parts = [ids(v) for v in ps.values]
            result.append("-".join(p if p is not None else id_for_value(v, n, index)
                                   for p, v, n in zip(parts, ps.values, names)))
        elif ids is not None:
            result.append(str(list(ids)[index]))
        else:
            result.append("-".join(id_for_value(v, n, index) for v, n in zip(ps.values, names)))
    return disambiguate(result)


def disambiguate(ids: Iterable[str]) -> list[str]:
    """Duplicate ids get an index suffix, as pytest does (``a0``, ``a1``)."""
    ids = list(ids)
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        if counts[i] > 1:
            n = seen.get(i, 0)
            seen[i] = n + 1
            out.append(f"{i}{n}")
        else:
            out.append(i)
    return out


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


__all__ = ["Mark", "MarkDecorator", "MarkGenerator", "ParameterSet", "mark", "param"]
