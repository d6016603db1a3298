"""A rerun looks its cache hits up in batches (the next steps whose inputs are known, asked
at once): what each step gets is what a lookup per step would give it — a hit with the
metadata its computing step logged, a miss where something changed, a repaired input."""

from __future__ import annotations

import json

import pytest
from store_files import artifact_bytes, damage, unpack

FAN = """
    import json, sys
    import zenrun
    from zenrun import pipeline, step

    SHIFT = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    CHANGED = int(sys.argv[2]) if len(sys.argv) > 2 else -1

    @step
    def work(i: int) -> int:
        zenrun.log_metadata(square=i * i)
        return i * 10

    @step
    def double(x: int, shift: int) -> int:
        return 2 * x + shift

    @step
    def total(values: list) -> int:
        return sum(values)

    @pipeline
    def fan():
        for i in range(60):
            x = work(i if i != CHANGED else 1000, id=f"w-{i}")
            double(x, SHIFT if i % 7 == 3 else 0, id=f"d-{i}")
        total(zenrun.gather(prefix="d-"))

    run = fan().run()
    print(json.dumps({
        "statuses": {i: s.status for i, s in run.steps.items()},
        "metadata": {i: s.metadata for i, s in run.steps.items() if i.startswith("w-")},
        "reasons": {i: s.cache_reason for i, s in run.steps.items()},
        "doubled": {i: s.output.read() for i, s in run.steps.items() if i.startswith("d-")},
        "total": run.steps["total"].output.read(),
    }))
"""


def _run(zenrunner, *args: str) -> dict:
    result = zenrunner.runpython(FAN, *args)
    assert result.ret == 0, result.stdout + result.stderr
    return json.loads(result.outlines[-1])


def _expected(shift: int = 0, changed: int = -1) -> dict[str, int]:
    return {
        f"d-{i}": 2 * (1000 if i == changed else i) * 10 + (shift if i % 7 == 3 else 0) for i in range(60)
    }


def test_a_rerun_in_batches_hits_misses_and_shows_logged_metadata_as_step_by_step(zenrunner):
    cold = _run(zenrunner)
    assert set(cold["statuses"].values()) == {"completed"}
    assert cold["doubled"] == _expected() and cold["total"] == sum(_expected().values())

    cached = _run(zenrunner)
    assert set(cached["statuses"].values()) == {"cached"}
    assert cached["metadata"] == {f"w-{i}": {"square": i * i} for i in range(60)}
    assert cached["doubled"] == _expected() and cached["total"] == sum(_expected().values())

    # a literal of every seventh consumer changed, and one producer's input: those miss (and
    # the consumer of the changed producer), everything else still hits, values are right
    changed = _run(zenrunner, "5", "40")
    missed = {i for i, s in changed["statuses"].items() if s == "completed"}
    assert missed == {f"d-{i}" for i in range(60) if i % 7 == 3} | {"w-40", "d-40", "total"}
    assert {s for i, s in changed["statuses"].items() if i not in missed} == {"cached"}
    assert "parameter shift changed ('0' -> '5')" in changed["reasons"]["d-3"]
    assert changed["metadata"]["w-40"] == {"square": 1_000_000}
    assert changed["metadata"]["w-41"] == {"square": 41 * 41}
    assert changed["doubled"] == _expected(5, 40)
    assert changed["total"] == sum(_expected(5, 40).values())


@pytest.mark.parametrize("how", ["corrupt in the pack", "missing file"])
def test_a_batch_of_hits_with_a_broken_artifact_in_it_reruns_that_step_only(zenrunner, how):
    _run(zenrunner)
    store = zenrunner.path / ".zenrun"
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("fan").last_run.steps["w-31"].output.digest)
    """
    digest = zenrunner.runpython(script).outlines[-1]  # 310: no other step's output
    if how == "missing file":
        unpack(store)  # every artifact a file of its own: remove that one
        (store / "artifacts" / digest[:2] / digest[2:]).unlink()
    else:
        damage(store, digest)
    again = _run(zenrunner)
    assert {i for i, s in again["statuses"].items() if s != "cached"} == {"w-31"}
    assert again["statuses"]["w-31"] == "completed"
    assert again["reasons"]["w-31"] == "cache miss: cached artifacts are missing or corrupt"
    assert again["doubled"] == _expected() and again["total"] == sum(_expected().values())
    assert artifact_bytes(store, digest)  # stored again, whole
    assert _run(zenrunner)["statuses"]["w-31"] == "cached"
