"""Per-step plugin settings: ``@step(settings={"mlflow": {...}})``.

Settings are namespaced by plugin. A plugin owns a namespace by returning
``{"mlflow": MlflowSettings}`` (a pydantic model class) from
``zenrun_step_settings``; zenrun validates that namespace's values with the
model before any step of the run starts, and hooks see the validated model
instance in ``step_run.settings["mlflow"]``. A namespace no loaded plugin owns
is kept as a plain dict (its plugin may simply not be installed).

Precedence, highest first: the run config (``steps.<id>.settings.<ns>.<key>``),
``instance.configure(settings=...)``, ``@step(settings=...)``; keys merge
within a namespace. Settings are not part of the cache key: they tell plugins
how to observe or host a step, not what it computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    """Namespace -> pydantic model class, from every ``zenrun_step_settings`` hook."""
    models: dict[str, Any] | None = config.stash.get("step_settings_models")
    if models is None:
        models = {}
        for result in config.hook.zenrun_step_settings(config=config):
            for namespace, model in (result or {}).items():
                if namespace in models and models[namespace] is not model:
                    raise UsageError(
                        f"two plugins own the step settings namespace {namespace!r}: "
                        f"{models[namespace].__module__} and {model.__module__}"
                    )
                models[namespace] = model
        config.stash["step_settings_models"] = models
    return models


def validate_settings(settings: Settings, models: dict[str, Any], where: str) -> dict[str, Any]:
    """Each owned namespace validated by its model; errors name ``where``, field and value."""
    from pydantic import ValidationError

    validated: dict[str, Any] = {}
    for namespace, values in settings.items():
        model = models.get(namespace)
        if model is None:
            validated[namespace] = dict(values)
            continue
        try:
            validated[namespace] = model.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"settings.{namespace}.{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
                for e in exc.errors()
            )

            raise ComposeError(f"{where}: {problems}") from None
    for namespace, model in models.items():  # defaults of owned namespaces are always there
        if namespace not in validated:
            try:
                validated[namespace] = model()
            except ValidationError:  # a model with required fields: only for steps that set it
                pass
    return validated
