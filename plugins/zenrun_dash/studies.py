"""The compare page's study charts: for a pipeline marked ``search``, each of its studies'
optimisation history, parameter importances and parallel coordinates (the Pareto front
for several objectives), drawn by Optuna's plotly visualisations.

Optuna is imported only when the compare page shows a pipeline that has a study.
"""

from __future__ import annotations

import os
from typing import Any

from dash import Input, Output, dcc, html

import zenrun


def children() -> list[Any]:
    """The section of the compare page the charts go in (empty for a pipeline without study)."""
    return [html.Div(id="compare-study")]


def storage_url(config: Any) -> str | None:
    """Where the session kept its studies, or None when it has none."""
    url = config.getoption("search_storage", None) if config is not None else None
    if url:
        return str(url)
    if config is None:
        return None
    url = str(zenrun.search.default_storage(config.store_path))
    return url if os.path.exists(url.removeprefix("journal:")) else None


def study_names(url: str, pipeline: str) -> list[str]:
    """The studies of ``pipeline`` (``hpo``, ``hpo[iris]``, ...) in the storage at ``url``."""
    import optuna

    names = optuna.study.get_all_study_names(zenrun.search.open_storage(url))
    return sorted(n for n in names if n == pipeline or n.startswith(f"{pipeline}["))


def figures(study: Any) -> list[tuple[str, Any]]:
    """``(title, plotly figure)`` for one study (an Optuna study with complete trials)."""
    import optuna
    import optuna.visualization as vis

    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return []
    metrics = study.user_attrs.get("zenrun_metrics") or []
    multi = len(study.directions) > 1
    charts: list[tuple[str, Any]] = []
    if multi:
        charts.append(("Pareto front", vis.plot_pareto_front(study, target_names=metrics or None)))
    target = None if not multi else (lambda t: t.values[0])
    name = metrics[0] if metrics else "Objective Value"
    charts.append(
        ("Optimisation history", vis.plot_optimization_history(study, target=target, target_name=name))
    )
    params = {p for t in complete for p in t.params}
    if len(complete) >= 2 and params:
        try:
            importance = vis.plot_param_importances(study, target=target, target_name=name)
        except (RuntimeError, ValueError):  # too few distinct trials to tell
            importance = None
        if importance is not None:
            charts.append(("Parameter importance", importance))
    charts.append(
        ("Parallel coordinates", vis.plot_parallel_coordinate(study, target=target, target_name=name))
    )
    for title, figure in charts:
        figure.update_layout(title=f"{study.study_name}: {title.lower()}", height=380)
    return charts


def register(app: Any, source: Any) -> None:
    """Fill the study section when the compare page shows a pipeline."""

    @app.callback(Output("compare-study", "children"), Input("compare-pipeline", "value"))
    def show(pipeline: str | None) -> Any:
        url = storage_url(getattr(source, "config", None))
        if not pipeline or url is None:
            return []
        import optuna

        content: list[Any] = []
        for name in study_names(url, pipeline):
            study = optuna.load_study(study_name=name, storage=zenrun.search.open_storage(url))
            charts = figures(study)
            if not charts:
                continue
            content.append(html.H3(f"Study {name}", style={"margin": "12px 0 4px"}))
            for title, figure in charts:
                slug = title.lower().replace(" ", "-")
                content.append(
                    dcc.Graph(
                        id={"type": "study-chart", "study": name, "chart": slug},
                        figure=figure,
                        config={"displaylogo": False},
                    )
                )
        return content
