"""Shared test setup: the ``zenrunner`` fixture comes from ``zenrun.testing`` (a pytest11 plugin)."""
