"""The mechanisms that keep zenrun's costs near the work's own: large arrays streamed into and
out of the store (never held twice), the garbage collector's heap frozen while a pipeline runs,
and entry points read without importlib.metadata. Their speed and memory are measured in
``benchmarks/``; these tests check what they produce."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

np = pytest.importorskip("numpy")

STREAMED = """
    import gc
    import numpy as np
    from zenrun import pipeline, step

    @step
    def produce() -> np.ndarray:
        return np.arange(400_000, dtype=np.float64).reshape(1000, 400)  # 3.2 MB: streamed

    @step
    def fortran() -> np.ndarray:
        return np.asfortranarray(np.arange(300_000, dtype=np.int32).reshape(600, 500))

    @step
    def consume(x: np.ndarray, y: np.ndarray) -> dict:
        return {"sum": float(x.sum()), "corner": int(y[599, 499]), "frozen": gc.get_freeze_count() > 0,
                "writeable": bool(x.flags.writeable)}

    @pipeline
    def big():
        consume(produce(), fortran())
"""

READ_BACK = """
    import gc, json
    import numpy as np
    from zenrun import get_pipeline
    run = get_pipeline("big").last_run
    x = run.steps["produce"].output.read()
    y = run.steps["fortran"].output.read()
    print(json.dumps({"statuses": {i: s.status for i, s in run.steps.items()},
                      "consume": run.steps["consume"].output.read(),
                      "x_equal": bool((x == np.arange(400_000, dtype=np.float64).reshape(1000, 400)).all()),
                      "y_fortran": bool(y.flags.f_contiguous), "y_corner": int(y[599, 499]),
                      "digests": [run.steps[s].output.digest for s in ("produce", "fortran")],
                      "frozen_after": gc.get_freeze_count()}))
"""


def _npy_digest(array) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["local", "workers"])
def test_large_arrays_are_streamed_as_the_same_npy_bytes(zenrunner, args):
    """A streamed array is stored as exactly the ``.npy`` bytes ``np.save`` makes (so cache keys
    and digests are those of the bytes path), read back equal, and leaves no temporary file."""
    zenrunner.makepyfile(pipeline_big=STREAMED)
    result = zenrunner.run("-q", *args)
    assert result.ret == 0, result.stdout + result.stderr
    out = json.loads(zenrunner.runpython(READ_BACK).outlines[-1])
    frozen = out["consume"].pop("frozen")
    assert out["consume"] == {"sum": float(sum(range(400_000))), "corner": 299_999, "writeable": False}
    assert frozen or args  # in the session's own process the heap is frozen while it runs
    assert out["x_equal"] and out["y_fortran"] and out["y_corner"] == 299_999
    x = np.arange(400_000, dtype=np.float64).reshape(1000, 400)
    y = np.asfortranarray(np.arange(300_000, dtype=np.int32).reshape(600, 500))
    assert out["digests"] == [_npy_digest(x), _npy_digest(y)]
    assert out["frozen_after"] == 0  # reading is not running: nothing frozen
    leftovers = [p for p in (zenrunner.path / ".zenrun" / "artifacts").rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    for digest in out["digests"]:  # stored where the bytes path would put them
        assert (zenrunner.path / ".zenrun" / "artifacts" / digest[:2] / digest[2:]).stat().st_size > 1 << 20

    rerun = zenrunner.run("-q", *args)
    assert rerun.ret == 0
    out = json.loads(zenrunner.runpython(READ_BACK).outlines[-1])
    assert set(out["statuses"].values()) == {"cached"}


HANDOFF = """
    import numpy as np
    from zenrun import pipeline, step

    ADDRESSES = {}
    _MEMO = {}
    _TABLE = np.arange(8.0).reshape(2, 4)  # reshape: a view, its memory held by the array it views

    def address(array):
        return array.__array_interface__["data"][0]

    def load(key, size):
        if key not in _MEMO:
            _MEMO[key] = np.arange(float(size))
        return _MEMO[key]

    @step
    def fresh() -> np.ndarray:
        made = np.arange(100_000.0)
        ADDRESSES["fresh"] = address(made)
        return made

    @step
    def part_of_fresh() -> np.ndarray:
        made = np.arange(100_000.0)[10:]
        ADDRESSES["part"] = address(made)
        return made

    @step
    def memo_small() -> np.ndarray:
        return load("small", 4)

    @step
    def memo_big() -> np.ndarray:
        return load("big", 100_000)  # streamed to the store

    @step
    def table_row() -> np.ndarray:
        return _TABLE[0]

    @step
    def change_memos() -> int:
        for key, size in (("small", 4), ("big", 100_000)):
            load(key, size)[:] = -1.0  # in place, after the producers returned them
        _TABLE[:] = -1.0
        return 0

    @step
    def report(
        f: np.ndarray, p: np.ndarray, s: np.ndarray, b: np.ndarray, r: np.ndarray, after: int
    ) -> dict:
        return {"fresh_not_copied": address(f) == ADDRESSES.get("fresh"),
                "part_not_copied": address(p) == ADDRESSES.get("part"),
                "small": s.tolist(), "big_head": b[:3].tolist(), "row": r.tolist(),
                "writeable": bool(s.flags.writeable) or bool(b.flags.writeable)}

    @pipeline
    def handoff():
        report(fresh(), part_of_fresh(), memo_small(), memo_big(), table_row(), after=change_memos())
"""


def test_a_consumer_gets_the_stored_array_even_when_a_memo_changes_it(zenrunner):
    """An array output reaches a consumer in the same process without a copy when nothing
    else holds its memory; one a memo (or a global) holds, which may be changed after it was
    stored, reaches it as stored."""
    zenrunner.makepyfile(pipeline_handoff=HANDOFF)
    result = zenrunner.run("-q", "-p", "no:results")
    assert result.ret == 0, result.stdout + result.stderr
    out = json.loads(
        zenrunner.runpython(
            "import json; from zenrun import get_pipeline; "
            "print(json.dumps(get_pipeline('handoff').last_run.steps['report'].output.read()))"
        ).outlines[-1]
    )
    assert out["small"] == [0.0, 1.0, 2.0, 3.0] and out["big_head"] == [0.0, 1.0, 2.0]
    assert out["row"] == [0.0, 1.0, 2.0, 3.0]
    assert out["writeable"] is False
    assert out["fresh_not_copied"] and out["part_not_copied"]  # only the step's outputs held them


def test_a_corrupt_streamed_array_is_refused_when_read(zenrunner):
    zenrunner.makepyfile(pipeline_big=STREAMED)
    assert zenrunner.run("-q").ret == 0
    out = json.loads(zenrunner.runpython(READ_BACK).outlines[-1])
    path = zenrunner.path / ".zenrun" / "artifacts" / out["digests"][0][:2] / out["digests"][0][2:]
    path.chmod(0o644)
    with open(path, "r+b") as fh:
        fh.seek(2_000_000)
        byte = fh.read(1)
        fh.seek(2_000_000)
        fh.write(bytes([byte[0] ^ 1]))
    result = zenrunner.runpython(READ_BACK)
    assert result.ret != 0
    assert "does not match its hash" in result.stderr


def test_the_heap_is_frozen_only_while_a_run_goes_on(zenrunner):
    """Python API: frozen during the run (nested runs too), given back after it, and a freeze
    the process made itself is left as it was."""
    zenrunner.makepyfile(
        pipeline_gc="""
        import gc
        from zenrun import pipeline, step

        @step
        def frozen() -> int:
            return gc.get_freeze_count()

        @pipeline
        def p():
            frozen()
        """
    )
    out = zenrunner.runpython(
        """
        import gc, json
        from pipeline_gc import p
        during = p().run(enable_cache=False).steps["frozen"].output.read()
        after = gc.get_freeze_count()
        gc.freeze()
        own = gc.get_freeze_count()
        p().run(enable_cache=False)
        print(json.dumps([during > 0, after, own > 0, gc.get_freeze_count() > 0]))
        """
    )
    assert out.ret == 0, out.stderr
    assert json.loads(out.outlines[-1]) == [True, 0, True, True]


def test_a_cached_rerun_freezes_what_survives_young_collections_and_step_garbage_is_freed(zenrunner):
    """While only zenrun's bookkeeping runs (a fully cached rerun), what survives even a young
    collection is frozen (walked once, not once per generation); once a step's function ran,
    the older generations may hold its garbage: nothing is frozen until a full collection
    has freed it, so a cycle a step dropped is collected during the run, not at its end."""
    zenrunner.makepyfile(
        pipeline_gcfreeze="""
        import gc, weakref
        from zenrun import pipeline, step

        HELD = {}
        FREED = []

        class Node:
            pass

        @step
        def make(i: int) -> int:
            node = Node()
            node.me = node  # a cycle: only the collector frees it
            weakref.finalize(node, FREED.append, i)
            gc.collect(1)  # now in the oldest generation, alive
            HELD["node"] = node
            return i

        @step
        def drop(i: int) -> int:
            del HELD["node"]  # garbage in the oldest generation from here on
            keep = [[] for _ in range(30_000)]  # young passes while it is garbage
            return i + len(keep) * 0

        @step
        def check(i: int) -> list:
            gc.collect()
            return list(FREED)

        @step
        def work(i: int) -> int:
            return i

        @pipeline
        def p(n: int = 600):
            for i in range(n):
                work(i, id=f"w-{i}")
            check(drop(make(7)))
        """
    )
    out = zenrunner.runpython(
        """
        import gc, json
        from pipeline_gcfreeze import p
        freed = p().run().steps["check"].output.read()
        young = []

        def watch(phase, info):
            if phase == "stop" and info["generation"] < 2:
                young.append(gc.get_freeze_count())

        gc.callbacks.insert(0, watch)  # before zenrun's: the count as zenrun's callback leaves it
        cached = p().run()
        gc.callbacks.remove(watch)
        hits = sum(s.status == "cached" for i, s in cached.steps.items() if i.startswith("w-"))
        print(json.dumps([freed, hits, len(young), len(set(young))]))
        """
    )
    assert out.ret == 0, out.stderr
    freed, n_cached, young_passes, distinct = json.loads(out.outlines[-1])
    assert freed == [7]  # the step's garbage was collected within the run
    assert n_cached == 600  # (make and drop read a global that changed: they run again)
    # each young pass of the cached rerun froze its survivors: the frozen count kept growing
    assert young_passes >= 2 and distinct >= 2, (young_passes, distinct)


def test_garbage_a_step_makes_after_a_full_collection_in_it_is_still_freed(zenrunner):
    """A full collection during a step (the step's own ``gc.collect()``, or one its allocations
    trigger) does not make the rest of that step count as zenrun's bookkeeping: the cycles it
    drops after it are collected within the run, not frozen by the next young pass."""
    zenrunner.makepyfile(
        pipeline_midstep="""
        import gc, weakref
        from zenrun import pipeline, step

        FREED = []

        class Node:
            pass

        @step
        def churn(i: int) -> list:
            gc.collect()  # a full pass inside the step
            node = Node()
            node.me = node  # a cycle: only the collector frees it
            weakref.finalize(node, FREED.append, i)
            gc.collect(0)  # a young pass while it is alive
            del node  # garbage from here on
            gc.collect(0)
            gc.collect()
            return list(FREED)

        @pipeline
        def p():
            churn(5)
        """
    )
    out = zenrunner.runpython(
        """
        import json
        from pipeline_midstep import p
        print(json.dumps(p().run(enable_cache=False).steps["churn"].output.read()))
        """
    )
    assert out.ret == 0, out.stderr
    assert json.loads(out.outlines[-1]) == [5]


def test_garbage_a_fixture_makes_is_freed_within_the_run(zenrunner):
    """A fixture's code is the user's, as a step's is: a cycle it made and dropped is collected
    during the session, not frozen by a young pass as if only zenrun had run."""
    zenrunner.makepyfile(
        pipeline_fixgc="""
        import gc, json, weakref
        import zenrun
        from zenrun import pipeline, step

        FREED = []

        class Node:
            pass

        @zenrun.fixture
        def made():
            node = Node()
            node.me = node
            weakref.finalize(node, FREED.append, "fixture")
            gc.collect(0)  # a young pass while it is alive
            del node
            gc.collect(0)  # and one while it is garbage
            return 3

        @step
        def check(n: int) -> int:
            gc.collect()
            with open("freed.json", "w") as fh:
                json.dump(FREED, fh)
            return n

        @pipeline
        def p(made):
            check(made)
        """
    )
    result = zenrunner.run("-q", "--no-cache")
    assert result.ret == 0, result.stdout + result.stderr
    assert json.loads((zenrunner.path / "freed.json").read_text()) == ["fixture"]


def test_cyclic_values_loaded_for_a_step_are_freed_within_the_run(zenrunner):
    """The inputs loaded for a step (here a cached producer's, unpickled in the driver before
    the step starts) are the user's objects: young passes while they load do not freeze them,
    so their cycles are collected once the step is done, within the run."""
    zenrunner.makepyfile(
        pipeline_loaded="""
        import gc
        from zenrun import pipeline, step

        FREED = []

        class Node:
            def __init__(self):
                self.me = self  # a cycle: only the collector frees it

            def __del__(self):
                FREED.append(1)

        @step
        def make() -> list:
            return [Node() for _ in range(30_000)]  # unpickling them takes several young passes

        @step
        def count(nodes: list, k: int) -> int:
            return len(nodes) + k

        @step
        def check(n: int) -> int:
            gc.collect()
            return len(FREED)

        @pipeline
        def p(k: int = 0):
            check(count(make(), k))
        """
    )
    out = zenrunner.runpython(
        """
        import json
        from pipeline_loaded import p, FREED
        p(k=0).run()
        FREED.clear()
        run = p(k=1).run()  # make is a hit: its list is loaded for count
        print(json.dumps([run.steps["make"].status, run.steps["check"].output.read()]))
        """
    )
    assert out.ret == 0, out.stderr
    assert json.loads(out.outlines[-1]) == ["cached", 30_000]


COLLECTED = """
    import gc
    from zenrun import pipeline, step

    ENABLED_AT_IMPORT = gc.isenabled()
    MADE_AT_IMPORT = [{"made": "at import"}]

    @step
    def observe() -> dict:
        return {"enabled_at_import": ENABLED_AT_IMPORT, "enabled_now": gc.isenabled(),
                "import_frozen": not any(o is MADE_AT_IMPORT for o in gc.get_objects())}

    @pipeline
    def p():
        observe()
"""


@pytest.mark.parametrize("inprocess", [False, True], ids=["command", "inprocess"])
def test_the_collector_pauses_while_pipeline_modules_are_imported(zenrunner, inprocess):
    """``zenrun``: no collection while the pipeline modules are imported, what they made frozen
    with the heap while the pipelines run, the collector on again in the steps; an in-process
    session gives the process its collector back as it was."""
    import gc

    zenrunner.makepyfile(pipeline_collected=COLLECTED)
    result = zenrunner.run("-q", inprocess=inprocess)
    assert result.ret == 0, result.stdout + result.stderr
    if inprocess:
        assert gc.isenabled() and gc.get_freeze_count() == 0
    out = zenrunner.runpython(
        "from zenrun import get_pipeline\nprint(get_pipeline('p').last_run.steps['observe'].output.read())\n"
    )
    assert out.outlines[-1] == str({"enabled_at_import": False, "enabled_now": True, "import_frozen": True})


SET_UP = """
    import gc
    from zenrun import pipeline, step

    @step
    def observe(frozen: bool) -> bool:
        return frozen

    @pipeline
    def p(request):
        made = request.node.session.setup_state  # made as the session set its runs up
        observe(not any(o is made for o in gc.get_objects()))
"""


def test_what_setting_the_runs_up_made_is_frozen_before_the_first_run(zenrunner):
    """``zenrun``: the objects made between collection and the first run (the orchestrator,
    the stores, the session's set-up state) live as long as the session: frozen with what
    collection made, so that no young pass of the first run walks them."""
    zenrunner.makepyfile(pipeline_setup=SET_UP)
    result = zenrunner.run("-q")
    assert result.ret == 0, result.stdout + result.stderr
    out = zenrunner.runpython(
        "from zenrun import get_pipeline\nprint(get_pipeline('p').last_run.steps['observe'].output.read())\n"
    )
    assert out.outlines[-1] == "True"


def test_worker_processes_forked_as_the_runs_are_set_up_collect_garbage(zenrunner):
    """``-n 2`` on a store without runs forks its worker processes' parent again as the runs are
    set up: they inherit the collector on, as the driver has it (a step that drops cycles frees
    them), and the driver's set-up is frozen all the same."""
    zenrunner.makepyfile(
        pipeline_workergc="""
        import gc, os
        from zenrun import pipeline, step

        DRIVER = os.environ.setdefault("DRIVER_PID", str(os.getpid()))  # imported by the driver first

        @step
        def where() -> dict:
            return {"in_worker": os.getpid() != int(DRIVER), "enabled": gc.isenabled()}

        @pipeline
        def p():
            where()
        """
    )
    result = zenrunner.run("-n", "2", "--driver-budget", "0", "-q", inprocess=False)
    assert result.ret == 0, result.stdout + result.stderr
    out = zenrunner.runpython(
        "from zenrun import get_pipeline\nprint(get_pipeline('p').last_run.steps['where'].output.read())\n"
    )
    assert out.outlines[-1] == str({"in_worker": True, "enabled": True})


def test_the_collector_pauses_while_zenrun_imports_its_modules(zenrunner):
    """Python API: ``from zenrun import ...`` imports zenrun's modules (and pydantic) with the
    collector paused (no collection of any generation meanwhile, where Python's thresholds make
    dozens), and gives it back as it was: on again, or still off when the script turned it
    off; what the import made is not frozen."""
    out = zenrunner.runpython(
        """
        import gc, json, sys
        collections = []  # while zenrun.steps or zenrun.stepconfig (pydantic with it) imports

        def importing(phase, info):
            for name, defined_last in (("zenrun.steps", "step"), ("zenrun.stepconfig", "gathers")):
                module = sys.modules.get(name)
                if phase == "stop" and module is not None and not hasattr(module, defined_last):
                    collections.append(info["generation"])

        gc.callbacks.append(importing)
        import zenrun
        from zenrun import pipeline, step, StepConfig
        first = {"collections": len(collections), "enabled": gc.isenabled(),
                 "frozen": gc.get_freeze_count(), "steps": "zenrun.steps" in sys.modules,
                 "pydantic": "pydantic" in sys.modules}
        gc.disable()
        from zenrun import get_pipeline, Output
        print(json.dumps([first, gc.isenabled(), "zenrun.metadata.api" in sys.modules]))
        """
    )
    assert out.ret == 0, out.stderr
    first, enabled_when_off, api = json.loads(out.outlines[-1])
    assert first == {"collections": 0, "enabled": True, "frozen": 0, "steps": True, "pydantic": True}
    assert (enabled_when_off, api) == (False, True)


STARTUP = """
import gc, io, contextlib, json, sys
if sys.argv[1] == "frozen":
    gc.freeze()  # the process froze its heap itself (a pre-fork server): left as it is
frozen_before = gc.get_freeze_count()
passes = {"importing": 0, "after": 0}
first_after = []

def watch(phase, info):
    main = sys.modules.get("zenrun.main")
    if phase != "start" or main is None:
        return
    if not hasattr(main, "console_main"):  # zenrun.main is being imported
        passes["importing"] += 1
    elif not first_after:
        first_after.append(gc.get_freeze_count())
        passes["after"] += 1

gc.callbacks.append(watch)
sys.argv = ["zenrun", "--help"]
from zenrun.__main__ import console_main
with contextlib.redirect_stdout(io.StringIO()):
    code = console_main()
print(json.dumps({"code": code, "enabled": gc.isenabled(), "passes": passes,
                  "frozen_at_first_pass": first_after[0] if first_after else None,
                  "frozen_before": frozen_before}))
"""


@pytest.mark.parametrize("heap", ["fresh", "frozen"])
def test_the_command_imports_its_modules_with_the_collector_paused(tmp_path, heap):
    """``zenrun``: no collection while the command imports its modules and builds its config
    (Python's thresholds make dozens meanwhile); the collector is on again afterwards, what
    they made moved to the oldest generation, not left frozen; a heap the process froze
    itself stays frozen."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", STARTUP, heap], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (out["code"], out["enabled"], out["passes"]["importing"]) == (0, True, 0), out
    # A pass may come once the help is made: the heap as it was, zenrun's objects not frozen.
    if heap == "fresh":
        assert out["frozen_before"] == 0 and out["frozen_at_first_pass"] in (None, 0), out
    elif out["frozen_at_first_pass"] is not None:
        # still frozen (some of it freed since), and nothing of zenrun's added to it
        assert 0 < out["frozen_at_first_pass"] <= out["frozen_before"], out


def test_entry_points_are_found_as_importlib_metadata_finds_them(tmp_path, monkeypatch):
    """The ``zenrun`` group of the installed distributions, first distribution of a name on
    ``sys.path`` winning, names and versions read from the metadata."""
    import importlib.metadata
    import sys

    from zenrun.config.entrypoints import zenrun_entry_points

    for root, version, target in (("a", "1.0", "mod_a:plugin"), ("b", "2.0", "mod_b")):
        info = tmp_path / root / f"zenrun_demo-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: zenrun-demo\nVersion: {version}\n\nbody"
        )
        (info / "entry_points.txt").write_text(f"[console_scripts]\nx = y\n\n[zenrun]\ndemo = {target}\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "b"), *sys.path])
    ours = [(e.name, e.value, e.dist.version) for e in zenrun_entry_points()]
    theirs = [(e.name, e.value, e.dist.version) for e in importlib.metadata.entry_points(group="zenrun")]
    assert ours == theirs
    assert ("demo", "mod_a:plugin", "1.0") in ours and all(e[1] != "mod_b" for e in ours)
    demo = next(e for e in zenrun_entry_points() if e.name == "demo")
    assert demo.where == "entry point 'demo = mod_a:plugin' of distribution zenrun-demo 1.0"


COUNT_CALLS = """
    import zenrun.execution
    import collections, json, logging, sys
    import zenrun
    from zenrun import pipeline, step

    logging.getLogger("zenrun").setLevel(logging.WARNING)

    @step
    def work(i: int) -> int:
        return i

    @step
    def total(values: list) -> int:
        return sum(values)

    def fan_out(n):
        @pipeline(name=f"fan_{n}")
        def fan():
            for i in range(n):
                work(i, id=f"w-{i}")
            total(zenrun.gather(prefix="w-"))
        return fan

    def fan_configured(n):
        # configured instances (their own path through the composer), an .after() edge
        # (a topological sort) and a gather by names
        @pipeline(name=f"configured_{n}")
        def fan():
            first = work.configure(name="first")
            first(-1)
            for i in range(n):
                work.configure(enable_cache=True)(i, id=f"w-{i}")
            total.configure(name="all").after(first)(zenrun.gather(names=[f"w-{i}" for i in range(n)]))
        return fan

    UNTIMED = ("heap.py", "threading.py", "queue.py")

    def calls_of(fn):
        calls = collections.Counter()
        def profile(frame, event, arg):
            # (the gc callback of zenrun/heap.py runs as often as the allocator triggers
            # collections, and a wait on a lock or queue loops as often as the machine's
            # load makes it: no algorithm of zenrun decides either, so they are not counted)
            if event == "call" and not frame.f_code.co_filename.endswith(UNTIMED):
                calls[f"{frame.f_code.co_filename}:{frame.f_code.co_name}"] += 1
        sys.setprofile(profile)  # this thread's Python calls; the flusher's are periodic, not counted
        try:
            result = fn()
        finally:
            sys.setprofile(None)
        return calls, result

    def queries_of(fn):
        # SQL statements this thread sends (the flusher's commits are periodic, not counted)
        queries = collections.Counter()
        def profile(frame, event, arg):
            if event == "c_call" and getattr(arg, "__qualname__", "") in SQL_CALLS:
                queries[arg.__qualname__] += 1
        sys.setprofile(profile)
        try:
            result = fn()
        finally:
            sys.setprofile(None)
        return queries, result

    SQL_CALLS = ("Connection.execute", "Connection.executemany", "Cursor.execute", "Cursor.executemany")

    out = {}
    KINDS = (
        ("compose", (6_250, 25_000)),
        ("configured", (1_250, 5_000)),
        ("run", (250, 1_000)),
        ("cached", (250, 1_000)),
        ("batches", (625, 2_500)),
        ("replayed", (625, 2_500)),
    )
    PREFETCH_MAX = zenrun.execution.PREFETCH_MAX
    for kind, sizes in KINDS:
        # items of any size are replayed in "replayed" (served whole from the record their
        # cold run made), none elsewhere (what is counted there is the rerun step by step)
        zenrun.execution.REPLAY_MIN_STEPS = 1 if kind == "replayed" else 10**9
        # "batches" looks hits up in many full batches, as 10,000 steps would with the
        # real bound of 1,024, with a bound of 64 on 2,500 steps (the same code path)
        zenrun.execution.PREFETCH_MAX = 64 if kind == "batches" else PREFETCH_MAX
        for n in sizes:
            p = fan_configured(n) if kind == "configured" else fan_out(n)
            if kind == "configured":
                calls, (composed, order) = calls_of(lambda: (c := p().compose(), c.order()))
                assert len(composed.invocations) == n + 2 and order[0] == "first" and order[-1] == "all"
                assert composed.invocations["all"].after == {"first"}
                assert len(composed.invocations["all"].inputs["values"]) == n
            elif kind == "replayed":
                p().run()
                calls, run = calls_of(lambda: p().run())
                assert run.n_cached == n + 1 and run.steps["total"].output.read() == n * (n - 1) // 2
                queries, again = queries_of(lambda: p().run())
                assert again.n_cached == n + 1
                out[f"replayed_queries_{n}"] = queries
            elif kind == "batches":  # hits looked up in many batches of PREFETCH_MAX steps
                p().run()
                calls, run = calls_of(lambda: p().run())
                assert run.n_cached == n + 1 and run.steps["total"].output.read() == n * (n - 1) // 2
            elif kind == "cached":
                p().run()  # cold: every step computed and stored
                calls, run = calls_of(lambda: p().run())
                assert run.n_cached == n + 1 and run.steps["total"].output.read() == n * (n - 1) // 2
                queries, again = queries_of(lambda: p().run())
                assert again.n_cached == n + 1
                out[f"queries_{n}"] = queries
            elif kind == "run":
                p().run()  # the first run imports what runs need: not counted
                calls, run = calls_of(lambda: p().run(enable_cache=False))
                assert run.status == "completed" and run.steps["total"].output.read() == n * (n - 1) // 2
            else:
                calls, composed = calls_of(lambda: p().compose())
                assert len(composed.invocations) == n + 1
            out[f"{kind}_{n}"] = calls
    print(json.dumps(out))
"""


def test_composing_and_running_grow_linearly_with_the_steps(zenrunner):
    """25,000 independent steps and a gather compose (5,000 configured instances, with an
    .after() edge and a gather by names), 1,000 run cold and cached, and 2,500 cached (in
    many batches of the most hits looked up at once, that bound lowered to 64), with Python
    calls in proportion to the steps: no function is called more than 4x (plus a constant)
    as often for 4x the steps, which an O(n^2) lookup (a scan per step, or per batch over
    the steps before it) would be; and a cached rerun sends SQLite a few queries per batch
    of hits, not one per step. (The counts, not the times, are compared: a quarter of the
    sizes once used shows an O(n^2) function as surely, 16x the calls for 4x the steps.)"""
    out = json.loads(zenrunner.runpython(COUNT_CALLS, timeout=900).outlines[-1])
    for kind, small, large in (
        ("compose", 6_250, 25_000),
        ("configured", 1_250, 5_000),
        ("run", 250, 1_000),
        ("cached", 250, 1_000),
        ("batches", 625, 2_500),
        ("replayed", 625, 2_500),
    ):
        few, many = out[f"{kind}_{small}"], out[f"{kind}_{large}"]
        superlinear = {f: (few.get(f, 0), n) for f, n in many.items() if n > 4.4 * few.get(f, 0) + 50}
        assert not superlinear, f"{kind}: calls growing faster than the steps: {superlinear}"
        assert sum(many.values()) <= 4.2 * sum(few.values()), kind
        # and the work is really per step: the step functions' own code was called n times
        per_step = [n for f, n in many.items() if f.endswith(":work")]
        assert per_step == ([large] if kind == "run" else [])
    # the 2,500 hits were looked up in batches of at most 64, not all at once
    batches = [n for f, n in out["batches_2500"].items() if f.endswith(":_prefetch")]
    assert batches and batches[0] >= 2_500 // 64, out["batches_2500"]
    # A fully cached rerun asks SQLite a number of queries that grows with the logarithm of
    # its steps (lookups in batches that double while they hit), not one or two per step.
    few, many = sum(out["queries_250"].values()), sum(out["queries_1000"].values())
    # (The records left for the run's last flush, written 64 rows a statement and the rest
    # in powers of two, depend on when the flush thread last ran: for 1,000 steps up to ~20
    # statements for the steps and artifacts tables each and ~40 for step_io, 2,000 rows.)
    assert many < 160, out["queries_1000"]
    assert many <= few + 100, (out["queries_250"], out["queries_1000"])
    # A large item's rerun is served from its replay record, whole: no lookup batch, one
    # replay; and of the queries it sends only the artifact checks grow (one per 900).
    for n in (625, 2_500):
        calls = out[f"replayed_{n}"]
        assert not [f for f in calls if f.endswith(":_prefetch")], calls
        assert [c for f, c in calls.items() if f.endswith(":_replay_steps")] == [1], calls
    few, many = sum(out["replayed_queries_625"].values()), sum(out["replayed_queries_2500"].values())
    assert few <= many <= few + (2_500 - 625) // 900 + 2 and many < 40, (few, many)


def test_the_youngest_generation_is_collected_less_often_while_a_run_goes_on(zenrunner):
    """Python API: gen-0 threshold raised during the run, given back after it; a threshold
    the process set itself is kept."""
    zenrunner.makepyfile(
        pipeline_gcthreshold="""
        import gc
        from zenrun import pipeline, step

        @step
        def threshold() -> int:
            return gc.get_threshold()[0]

        @pipeline
        def p():
            threshold()
        """
    )
    out = zenrunner.runpython(
        """
        import gc, json
        from pipeline_gcthreshold import p
        before = gc.get_threshold()
        during = p().run(enable_cache=False).steps["threshold"].output.read()
        after = gc.get_threshold()
        gc.set_threshold(1234, 11, 12)
        own = p().run(enable_cache=False).steps["threshold"].output.read()
        print(json.dumps([before[0], during, after == before, own, gc.get_threshold()]))
        """
    )
    assert out.ret == 0, out.stderr
    assert json.loads(out.outlines[-1]) == [700, 7000, True, 1234, [1234, 11, 12]]


def test_a_run_with_no_study_calls_no_built_in_hook_per_step(zenrunner):
    """The built-in plugins implement no per-step start or finish hook unless a study runs
    (its trial handle reaches each step then): a plain run pays no hook call per step, and
    the network warning is told of a cached step by the cache check itself."""
    out = zenrunner.runpython(
        """
        import json
        from zenrun import pipeline, step
        from zenrun.config import api_configs

        @step
        def one() -> int:
            return 1

        @pipeline
        def plain():
            one()

        plain().run()
        (config,) = api_configs().values()
        print(json.dumps({
            hook: [i.plugin_name for i in getattr(config.hook, hook).get_hookimpls()]
            for hook in ("zenrun_step_start", "zenrun_step_finish")
        }))
        """,
        env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert out.ret == 0, out.stderr
    assert json.loads(out.outlines[-1]) == {"zenrun_step_start": [], "zenrun_step_finish": []}


def test_a_step_function_called_once_makes_no_key_template(zenrunner):
    """A step function's key text is made into a template at its second step of a run: a
    function called once (a gather of thousands of inputs) has its key parts encoded once,
    not three times (template, its check, the key)."""
    out = zenrunner.runpython(
        """
        import json
        import zenrun
        from zenrun import cache, pipeline, step

        made = []
        make = cache.KeyTemplate.make.__func__
        cache.KeyTemplate.make = classmethod(lambda cls, parts: made.append(parts["name"]) or make(cls, parts))

        @step
        def work(i: int) -> int:
            return i

        @step
        def total(values: list) -> int:
            return sum(values)

        @pipeline
        def fan():
            for i in range(5):
                work(i, id=f"w-{i}")
            total(zenrun.gather(prefix="w-"))

        cold = fan().run()
        cached = fan().run()
        print(json.dumps({"made": made, "total": cold.steps["total"].output.read(),
                          "keys_equal": [cold.steps[i].cache_key == cached.steps[i].cache_key
                                         for i in cold.steps],
                          "cached": cached.n_cached}))
        """,
        env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert out.ret == 0, out.stderr
    result = json.loads(out.outlines[-1])
    assert result["made"] == ["work", "work"]  # once a run, at its second step; never for total
    assert result["total"] == 10 and all(result["keys_equal"]) and result["cached"] == 6


BINDING = """
    import sqlite3, sys
    from zenrun.sqlitewal import bind_directly, enable_wal

    mine = lambda value: b"the program's own"
    sqlite3.register_adapter(bytes, mine)
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    enable_wal(db)  # as every store opens its files
    bind_directly()  # again: nothing changes
    adapters = sqlite3.adapters
    assert adapters[(bytes, sqlite3.PrepareProtocol)] is mine  # the program's adapter is left alone
    assert (type(None), sqlite3.PrepareProtocol) in adapters
    db.execute("CREATE TABLE t (a, b)")
    db.execute("INSERT INTO t VALUES (?, ?)", (None, 1))
    print(db.execute("SELECT a, typeof(a), b FROM t").fetchall())
"""


def test_none_is_bound_without_an_adapter_lookup_and_as_null(tmp_path):
    """Opening a store registers adapters that hand ``None`` (and ``bytes``) back as they are:
    sqlite3 then binds them without the failing attribute lookups of its adapter protocol. A
    value bound is the same; an adapter the program registered is kept."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "binding.py"
    script.write_text(textwrap.dedent(BINDING))
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "t.db")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(None, 'null', 1)]"


def test_runs_of_a_session_share_one_view_of_where_data_lies(zenrunner):
    """Which paths a step may read as data (the project, not libraries, temporary folders
    or the store) is worked out once per process, not at every run: each run's data policy
    and each step's recorder share it."""
    out = zenrunner.runpython(
        """
        import json
        from zenrun import datadeps, pipeline, step

        made = []
        init = datadeps.Places.__init__
        datadeps.Places.__init__ = lambda self, *a, **k: made.append(a[0]) or init(self, *a, **k)

        @step
        def read() -> str:
            with open("data.txt") as f:
                return f.read()

        @pipeline
        def reader():
            read()

        with open("data.txt", "w") as f:
            f.write("one")
        first = reader().run()
        with open("data.txt", "w") as f:
            f.write("two")
        second = reader().run()
        print(json.dumps({"made": len(made), "values": [first.steps["read"].output.read(),
                          second.steps["read"].output.read()], "reason": second.steps["read"].cache_reason}))
        """,
        env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert out.ret == 0, out.stderr
    result = json.loads(out.outlines[-1])
    assert result["made"] == 1, result  # one for the session's two runs and their steps
    assert result["values"] == ["one", "two"]  # and the file read is still a dependency
    assert "data.txt" in result["reason"], result


def _record_text(parts):
    return json.dumps(parts, sort_keys=True, default=str)


PARTS = {
    "format": "2",
    "step": "pipeline_x.train",
    "name": "train",
    "code": "ab" * 32,
    "cache_version": None,
    "config": None,
    "params": {},
    "inputs": {"x": "cd" * 32},
    "outputs": ["output"],
    "deps": {"pipeline_x.train": "ab" * 6, "pipeline_x.helper": "ef" * 6},
}


@pytest.mark.parametrize(
    "holes",
    [
        {},
        {"data": [{"path": "data/é.csv", "size": 3, "mtime": 1.5}]},
        {"config": {"lr": 0.1, "layers": [3, 2], "name": "ünï"}, "params": {"seed": "7"}},
        {"inputs": {"b": "11" * 32, "a": ["22" * 32, "33" * 32]}, "params": {"k": "1", "j": "[1, 2]"}},
        {"inputs": {}, "params": {"n": "\u2603"}},
    ],
)
def test_the_text_of_key_parts_from_a_template_is_their_json_text(holes):
    from zenrun.canonical import PartsText

    template = PartsText.make(dict(PARTS))  # a step's parts before it ran: no "data" yet
    assert template is not None
    parts = {**PARTS, "data": [], **holes}
    assert template.text(parts) == _record_text(parts)


def test_key_parts_a_template_does_not_fit_are_not_written_from_it():
    from zenrun.canonical import PartsText

    template = PartsText.make(dict(PARTS))
    assert template is not None
    parts = {**PARTS, "data": []}
    assert template.text({**parts, "code": "ff" * 32}) is None  # a shared part changed
    assert template.text({**parts, "uncached": "it read a file that changed"}) is None  # a part more
    assert template.text(dict(PARTS)) is None  # no data: not the record of a step that ran
    assert template.text({**parts, "deps": {"pipeline_x.train": "00" * 6}}) is None
    del parts["cache_version"]
    assert template.text({**parts, "random": "12"}) is None  # as many parts, another one
    # A shared part whose text holds a hole's marker: no template at all.
    assert PartsText.make({**PARTS, "name": "\x00config\x00"}) is None


def test_key_parts_are_recorded_and_read_back_as_they_were(zenrunner):
    """Steps of one function record their parts from the run's template: each as its own."""
    out = zenrunner.runpython(
        """
        import json, sqlite3
        from zenrun import StepConfig, pipeline, step

        class Config(StepConfig):
            rate: float = 0.5

        @step
        def source(i: int) -> int:
            return i

        @step
        def add(x: int, y: int, config: Config) -> int:
            return x + y

        @pipeline
        def grid():
            for i in range(4):
                add(source(i), i * 10, config=Config(rate=i / 4))

        run = grid().run()
        db = sqlite3.connect(".zenrun/metadata.db")
        texts = dict(db.execute("SELECT step_id, cache_parts FROM steps"))
        print(json.dumps({
            "same": all(json.loads(texts[s]) == r.cache_parts for s, r in run.steps.items()),
            "exact": all(texts[s] == json.dumps(r.cache_parts, sort_keys=True) for s, r in run.steps.items()),
            "rates": [run.steps[s].cache_parts["config"]["rate"] for s in ("add", "add_2", "add_3", "add_4")],
            "params": [run.steps[s].cache_parts["params"] for s in ("add", "add_4")],
        }))
        """,
        env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1", "ZENRUN_STORE": ".zenrun"},
    )
    assert out.ret == 0, out.stderr
    result = json.loads(out.outlines[-1])
    assert result["same"] and result["exact"]
    assert result["rates"] == [0.0, 0.25, 0.5, 0.75]
    assert result["params"] == [{"y": "0"}, {"y": "30"}]


@pytest.mark.parametrize("on_main_thread", [True, False], ids=["main-thread", "other-thread"])
@pytest.mark.parametrize("count", [0, 1, 15, 16, 17, 100, 255, 256, 300])
def test_rows_written_many_per_statement_are_all_written_once_in_order(tmp_path, count, on_main_thread):
    """The metadata store, the cache index and the artifact pack write a flush's rows in a few
    statements of many rows each (powers of two), or, fewer than 256 on the main thread
    (a run's last flush), one per statement: every row once, in the order given, with the
    statement's tail (an upsert) applied to each."""
    import sqlite3
    import threading

    from zenrun.sqlitewal import chunks, insert_many, variable_limit

    db = sqlite3.connect(tmp_path / "t.db", isolation_level=None, check_same_thread=False)
    statements: list[str] = []
    try:
        db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n TEXT)")
        db.execute("INSERT INTO t VALUES ('k3', -1, 'old')")
        rows = [(f"k{i}", i, None if i % 2 else "x") for i in range(count)]
        tail = " ON CONFLICT(k) DO UPDATE SET v=excluded.v, n='again'"
        db.set_trace_callback(statements.append)
        if on_main_thread:
            insert_many(db, "INSERT INTO t", rows, 3, variable_limit(db), tail)
        else:
            thread = threading.Thread(
                target=insert_many, args=(db, "INSERT INTO t", rows, 3, variable_limit(db), tail)
            )
            thread.start()
            thread.join()
        db.set_trace_callback(None)
        got = db.execute("SELECT k, v, n FROM t ORDER BY rowid").fetchall()
    finally:
        db.close()
    expected = [("k3", 3, "again")] if count > 3 else [("k3", -1, "old")]
    expected += [row for row in rows if row[0] != "k3"]
    assert got == expected
    most = 1 if on_main_thread and count < 256 else 64 if count >= 256 else 16
    assert [s.count("),(") + 1 for s in statements] == [size for _, size in chunks(count, most)]


@pytest.mark.parametrize(
    ("args", "started_before_the_run"),
    [((), True), (("-q",), False), (("-n", "2"), False)],
    ids=["default", "-q", "-n 2"],
)
def test_the_progress_view_thread_runs_before_the_first_run_where_steps_run_in_process(
    zenrunner, args, started_before_the_run
):
    """The session starts the progress view's thread as it opens the stores, with the thread
    committing the records, when steps run in its own process: the first run does not pay
    for it. With ``-q`` there is no progress view; with ``-n`` the worker processes are forked
    first, and the first run starts it."""
    zenrunner.makeconftest("""
        import json
        import threading
        import zenrun

        @zenrun.hookimpl(tryfirst=True)
        def zenrun_pipeline_run_start(run):
            names = sorted(t.name for t in threading.enumerate() if t.is_alive())
            with open("threads.jsonl", "a") as fh:
                fh.write(json.dumps(names) + "\\n")
    """)
    zenrunner.makepyfile(
        pipeline_one="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @pipeline
        def single():
            one()
    """
    )
    result = zenrunner.run(*args)
    assert result.ret == 0, result.stdout.str()
    first = json.loads((zenrunner.path / "threads.jsonl").read_text().splitlines()[0])
    assert ("zenrun-progress" in first) is started_before_the_run, first


def test_a_literal_array_is_the_steps_own_copy():
    """A pipeline's literal array, which its module may change while other steps run (another
    thread's step, a step of a threads orchestrator), is copied when its key is made."""
    from zenrun.runner import private_copy

    weights = np.arange(5.0)
    given = private_copy(weights)
    weights[:] = -1.0
    assert given.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert not given.flags.writeable


def test_numpys_own_array_subclasses_are_stored_and_keyed_as_before(zenrunner):
    """A memory-mapped array (numpy's ``memmap``, whose instance holds its ``mmap``) is an
    output and a constant as it was: numpy's own subclasses pickle as numpy pickles them."""
    zenrunner.makepyfile(
        pipeline_mm="""
        import numpy as np
        from zenrun import pipeline, step

        np.save("data.npy", np.arange(10.0))
        DATA = np.load("data.npy", mmap_mode="r")

        @step
        def load() -> np.ndarray:
            return np.load("data.npy", mmap_mode="r")

        @step
        def use_global() -> float:
            return float(DATA.sum())

        @pipeline
        def mm():
            load()
            use_global()
        """
    )
    first = zenrunner.run("-v", "-p", "no:results")
    assert first.ret == 0, first.stdout + first.stderr
    assert "not cacheable" not in first.stdout
    again = zenrunner.run("-v", "-p", "no:results")
    again.fnmatch_lines(["*Using cached version of load*"])
    again.fnmatch_lines(["*Using cached version of use_global*"])


def test_a_plugins_settings_model_given_by_path_is_not_built_by_a_run_that_reads_none(zenrunner):
    """A settings model given by import path is imported only when a step sets its namespace
    or a hook reads it: a cached step (the study's replay looks for its trial) asked whether
    the settings were empty, which built every plugin's defaults (a tenth of a second a run)."""
    zenrunner.makepyfile(
        lazy_settings_model="""
        import pydantic

        BUILT = []

        class Model(pydantic.BaseModel):
            level: int = 1

            def __init__(self, **data):
                BUILT.append(1)
                super().__init__(**data)
        """,
        conftest="""
        import zenrun

        @zenrun.hookimpl
        def zenrun_step_settings(config):
            return {"lazy": "lazy_settings_model:Model"}

        @zenrun.hookimpl
        def zenrun_unconfigure(config):
            import sys
            module = sys.modules.get("lazy_settings_model")
            print("BUILT", len(module.BUILT) if module else 0)
        """,
        pipeline_plain="""
        from zenrun import pipeline, step

        @step
        def one() -> int:
            return 1

        @step
        def two(x: int) -> int:
            return x + 1

        @pipeline
        def p():
            two(one())
        """,
    )
    zenrunner.syspathinsert()
    assert "BUILT 0" in zenrunner.run("-s").stdout.str()  # computed
    result = zenrunner.run("-s")  # cached: each step a hit
    assert "2/2" in result.stdout.str(), result.stdout.str()
    assert "BUILT 0" in result.stdout.str(), result.stdout.str()
