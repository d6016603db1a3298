"""zenrun_mlflow: every zenrun pipeline run becomes an MLflow run.

``zenrun --mlflow`` (or ``--mlflow-tracking-uri URI``) logs each pipeline run
as a parent MLflow run in the experiment named after the pipeline, with one
nested run per step: the step's config as params, its ``zenrun.log_metadata``
numbers as metrics, and tags with the zenrun run name and the step's cache
status. The default tracking store is SQLite in the zenrun store
(``<store>/mlflow.db``). mlflow is imported only when the plugin is enabled.
"""
