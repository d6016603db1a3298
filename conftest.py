"""Fixtures for the example pipelines in ``pipelines/``.

Fixtures return plain values; a dict given as a step's config is validated
into the step's config class when the pipeline is composed.
"""

import zenrun


@zenrun.fixture
def svc_config():
    """The SVC trainer's config for the digits pipeline."""
    return {"gamma": 0.001}
