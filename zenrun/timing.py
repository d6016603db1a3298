"""The clock functions as Python defines them, bound when zenrun is imported.

A pipeline that monkeypatches ``time.time`` (a test double of the clock, undone at its
teardown) changes its own view of time, not zenrun's durations and records, as pytest's
``_pytest.timing``. zenrun's modules import this module as ``time``.
"""

from __future__ import annotations

from time import monotonic, perf_counter, sleep, strftime, time, time_ns

__all__ = ["monotonic", "perf_counter", "sleep", "strftime", "time", "time_ns"]
