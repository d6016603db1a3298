"""Per-step plugin settings: ``@step(settings={"mlflow": {...}})``.

Settings are namespaced by plugin. A plugin owns a namespace by returning
``{"mlflow": MlflowSettings}`` (a pydantic model class, or its import path
``"zenrun_mlflow.settings:MlflowSettings"``) from ``zenrun_step_settings``;
zenrun validates that namespace's values with the model before any step of the
run starts, and hooks see the validated model instance in
``step_run.settings["mlflow"]``. A namespace no loaded plugin owns is kept as a
plain dict (its plugin may simply not be installed). A model given by path is
imported only when a step sets its namespace or a hook first reads its defaults:
a run nobody's settings matter to does not import it, nor pydantic.

Precedence, highest first: the run config (``steps.<id>.settings.<ns>.<key>``),
``instance.configure(settings=...)``, ``@step(settings=...)``; keys merge
within a namespace. Settings are not part of the cache key: they tell plugins
how to observe or host a step, not what it computes.
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values

from zenrun.errors import ComposeError, UsageError

Settings = dict[str, dict[str, Any]]


def check_settings(settings: Any, where: str) -> Settings:
    """``settings`` as ``{namespace: {key: value}}``; ``ValueError`` naming ``where`` if not."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        raise ValueError(
            f"{where}: settings must map plugin namespaces to mappings, not {type(settings).__name__}"
        )
    checked: Settings = {}
    for namespace, values in settings.items():
        if not isinstance(namespace, str) or not isinstance(values, Mapping):
            raise ValueError(
                f"{where}: settings[{namespace!r}] must be a mapping of keys to "
                f"values, not {type(values).__name__}"
            )
        checked[namespace] = dict(values)
    return checked


def merge_settings(*layers: Settings | None) -> Settings:
    """Merge settings layers, later ones winning key by key within a namespace."""
    merged: Settings = {}
    for layer in layers:
        for namespace, values in (layer or {}).items():
            merged.setdefault(namespace, {}).update(values)
    return merged


def settings_models(config: Any) -> dict[str, Any]:
    """Namespace -> pydantic model class or its ``"module:Model"`` path, from every
    ``zenrun_step_settings`` hook."""
    models: dict[str, Any] | None = config.stash.get("step_settings_models")
    if models is None:
        models = {}
        for result in config.hook.zenrun_step_settings(config=config):
            for namespace, model in (result or {}).items():
                if isinstance(model, str) and not _is_model_path(model):
                    raise UsageError(
                        f"the step settings model of namespace {namespace!r} is {model!r}: "
                        "a path must read 'package.module:Model'"
                    )
                if namespace in models and models[namespace] != model:
                    raise UsageError(
                        f"two plugins own the step settings namespace {namespace!r}: "
                        f"{_model_name(models[namespace])} and {_model_name(model)}"
                    )
                models[namespace] = model
        config.stash["step_settings_models"] = models
    return models


def _is_model_path(path: str) -> bool:
    module, colon, name = path.partition(":")
    return bool(
        colon and module and name and all(p.isidentifier() for p in [*module.split("."), *name.split(".")])
    )


def _model_name(model: Any) -> str:
    return model.partition(":")[0] if isinstance(model, str) else str(model.__module__)


def resolve_model(namespace: str, model: Any) -> Any:
    """The model class of ``namespace``: ``model`` itself, or the class its path names
    (looked up each time: a module imported afresh gives its new class)."""
    if not isinstance(model, str):
        return model
    module_name, _, qualname = model.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except Exception as exc:
        raise UsageError(
            f"the step settings model of namespace {namespace!r}, {model!r}, "
            f"could not be imported: {type(exc).__name__}: {exc}"
        ) from None
    return found


#: Each model's defaults, built once per process (read them, never change them).
_defaults: weakref.WeakKeyDictionary[type, Any] = weakref.WeakKeyDictionary()
_NO_DEFAULTS = object()


def _default_instance(namespace: str, path: str) -> Any:
    """The defaults of the model at ``path``; None when the model has required fields."""
    model = resolve_model(namespace, path)
    value = _defaults.get(model)
    if value is None:
        from pydantic import ValidationError

        try:
            value = model()
        except ValidationError:  # required fields: only steps that set the namespace have it
            value = _NO_DEFAULTS
        _defaults[model] = value
    return None if value is _NO_DEFAULTS else value


class StepSettings(dict[str, Any]):
    """A step's validated settings by namespace, as hooks read them in ``step_run.settings``.

    A namespace whose model a plugin gave by import path, and which the step does not
    set, holds the model's defaults, built when first read (indexing, ``get``, ``in``,
    iteration): a run whose hooks read no settings never imports the model.
    """

    __slots__ = ()

    #: namespace -> model path, for the namespaces whose defaults may still be built: set on
    #: the subclass :func:`step_settings_kind` makes (so that an instance is made as a plain
    #: dict is, without a Python ``__init__``: a run makes one per step)
    _pending: Mapping[str, str] = {}

    def _build(self, namespace: str) -> bool:
        if dict.__contains__(self, namespace):
            return True
        path = self._pending.get(namespace)
        value = None if path is None else _default_instance(namespace, path)
        if value is None:
            return False
        dict.__setitem__(self, namespace, value)
        return True

    def _build_all(self) -> None:
        for namespace in self._pending:
            self._build(namespace)

    def __missing__(self, namespace: str) -> Any:
        if self._build(namespace):
            return dict.__getitem__(self, namespace)
        raise KeyError(namespace)

    def get(self, namespace: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.__getitem__(self, namespace) if self._build(namespace) else default

    def __contains__(self, namespace: object) -> bool:
        return isinstance(namespace, str) and self._build(namespace)

    def __iter__(self) -> Iterator[str]:
        self._build_all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._build_all()
        return dict.__len__(self)

    def keys(self) -> dict_keys[str, Any]:
        self._build_all()
        return dict.keys(self)

    def values(self) -> dict_values[str, Any]:
        self._build_all()
        return dict.values(self)

    def items(self) -> dict_items[str, Any]:
        self._build_all()
        return dict.items(self)

    def __eq__(self, other: object) -> bool:
        self._build_all()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._build_all()
        return dict.__repr__(self)

    def copy(self) -> StepSettings:
        """A copy whose unread defaults stay unbuilt."""
        return type(self)(dict.copy(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # sent to a worker by path: the worker builds what its hooks read
        return (_step_settings, (dict.copy(self), dict(self._pending)))


_kinds: dict[tuple[tuple[str, str], ...], type[StepSettings]] = {}


def step_settings_kind(pending: Mapping[str, str]) -> type[StepSettings]:
    """The :class:`StepSettings` whose namespaces ``pending`` (namespace -> model path)
    have their defaults built when read; ``kind(values)`` makes a step's settings."""
    key = tuple(sorted(pending.items()))
    kind = _kinds.get(key)
    if kind is None:
        kind = _kinds[key] = type(
            "StepSettings", (StepSettings,), {"__slots__": (), "_pending": dict(pending)}
        )
    return kind


def _step_settings(values: dict[str, Any], pending: dict[str, str]) -> StepSettings:
    return step_settings_kind(pending)(values)


def validate_settings(settings: Settings, models: dict[str, Any], where: str) -> dict[str, Any]:
    """Each owned namespace validated by its model; errors name ``where``, field and value.

    The defaults of a namespace the settings leave out are there when its model is a
    class; a model given by path is left to :class:`StepSettings` to build when read.
    """
    validated: dict[str, Any] = {}
    for namespace, values in settings.items():
        model = models.get(namespace)
        if model is None:
            validated[namespace] = dict(values)
            continue
        model = resolve_model(namespace, model)
        from pydantic import ValidationError  # imported already: the model is pydantic's

        try:
            validated[namespace] = model.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"settings.{namespace}.{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
                for e in exc.errors()
            )

            raise ComposeError(f"{where}: {problems}") from None
    for namespace, model in models.items():  # defaults of owned namespaces are always there
        if namespace not in validated and not isinstance(model, str):
            from pydantic import ValidationError

            try:
                validated[namespace] = model()
            except ValidationError:  # a model with required fields: only for steps that set it
                pass
    return validated
