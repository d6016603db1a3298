"""Fixtures for the example pipelines in ``pipelines/``.

Fixtures return plain values; a dict given as a step's config is validated
into the step's config class when the pipeline is composed.
"""

import zenrun


@zenrun.fixture
def svc_config():
    """The SVC trainer's config for the digits pipeline."""
    return {"gamma": 0.001}


@zenrun.fixture
def rf_grid():
    """The random-forest grid searched by ``pipelines/pipeline_hpo.py``: one dict per entry."""
    return [
        {"n_estimators": 5, "max_depth": 2},
        {"n_estimators": 10, "max_depth": 4},
        {"n_estimators": 20, "max_depth": None},
    ]
