"""A step reaching a long chain of project functions is fingerprinted: the code it reaches is
built from its deepest part up when it goes deeper than Python's recursion limit allows, by
the same rules, so the fingerprint is the one a single pass gives."""

from __future__ import annotations

import importlib

import pytest

from zenrun import cache


def _chain_module(tmp_path, monkeypatch, name: str, length: int, cycle: bool = False):
    """``helper_0`` ... ``helper_{length-1}``, each calling the one before it; with ``cycle``,
    ``helper_0`` calls the last one back."""
    lines = ["import os\n\nOFFSET = 1\n"]
    first = f"helper_{length - 1}(value) if value < 0 else value + OFFSET" if cycle else "value + OFFSET"
    lines.append(f"\n\ndef helper_0(value):\n    return {first}\n")
    for i in range(1, length):
        lines.append(f"\n\ndef helper_{i}(value):\n    return helper_{i - 1}(value) + os.sep.count('/')\n")
    (tmp_path / f"{name}.py").write_text("".join(lines))
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def _as_in_one_pass(fn, monkeypatch) -> cache.CodeFingerprint:
    """``fn``'s fingerprint built in parts of 5 nodes, checked to be the one-pass one."""
    one_pass = cache.Fingerprinter().fingerprint(fn)
    monkeypatch.setattr(cache, "_FIRST_CHECK", 5)
    monkeypatch.setattr(cache, "_depth_budget", lambda: 0)
    in_parts = cache.Fingerprinter().fingerprint(fn)
    assert one_pass.error is None and one_pass.digest is not None
    assert (in_parts.digest, in_parts.deps) == (one_pass.digest, one_pass.deps)
    return in_parts


def test_a_chain_deeper_than_the_recursion_limit_is_fingerprinted(tmp_path, monkeypatch):
    module = _chain_module(tmp_path, monkeypatch, "deep_chain", 1500)
    found = cache.Fingerprinter().fingerprint(module.helper_1499)
    assert found.error is None and found.digest is not None
    assert len(found.deps) == 1501  # every helper reached, each once, and OFFSET
    again = cache.Fingerprinter().fingerprint(module.helper_1499)
    assert again.digest == found.digest


@pytest.mark.parametrize("cycle", [False, True])
def test_building_from_the_deepest_part_up_gives_the_one_pass_fingerprint(tmp_path, monkeypatch, cycle):
    """The fingerprint built part by part (every 5 nodes here) is the one a single pass
    gives, with or without a call back to the top of the chain from its bottom."""
    module = _chain_module(tmp_path, monkeypatch, f"chain_{cycle}", 60, cycle=cycle)
    in_parts = _as_in_one_pass(module.helper_59, monkeypatch)
    assert len(in_parts.deps) == 61  # the helpers and OFFSET


def test_an_edit_deep_in_a_long_chain_changes_the_fingerprint(tmp_path, monkeypatch):
    module = _chain_module(tmp_path, monkeypatch, "deep_edit", 400)
    before = cache.Fingerprinter().fingerprint(module.helper_399)
    monkeypatch.setattr(module, "OFFSET", 2)  # what the deepest helper reads
    after = cache.Fingerprinter().fingerprint(module.helper_399)
    assert before.digest is not None and after.digest is not None
    assert after.digest != before.digest


NESTED = """
def _nested(depth):
    value = [0]
    for _ in range(depth):
        value = [value, object.__name__]
    return value


DATA = _nested(40)
INNER = DATA
for _ in range(30):
    INNER = INNER[0]
INNER.append(DATA)  # a list deep inside holds the whole again


def step(x):
    return len(DATA) + x
"""


def test_a_deep_container_holding_itself_fingerprints_as_in_one_pass(tmp_path, monkeypatch):
    (tmp_path / "nested_data.py").write_text(NESTED)
    monkeypatch.syspath_prepend(str(tmp_path))
    _as_in_one_pass(importlib.import_module("nested_data").step, monkeypatch)
