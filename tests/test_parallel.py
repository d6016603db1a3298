"""The parallel orchestrator (-n N): independent steps run at the same time."""

import json

BARRIER = """
    import os, time
    from pathlib import Path
    from zenrun import pipeline, step

    @step
    def meet(name: str) -> str:
        # Each branch waits until all three have started: only concurrent steps get past.
        Path(f"started-{name}").touch()
        deadline = time.monotonic() + 20
        while len(list(Path(".").glob("started-*"))) < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the other branches never started")
            time.sleep(0.01)
        return name

    @step
    def join(names: list) -> str:
        return "+".join(names)

    @step
    def fail(name: str) -> str:
        raise ValueError("branch failed")

    @pipeline
    def together():
        join([meet("a"), meet("b"), meet("c")])

    @pipeline
    def partly():
        fail("x")
        join([meet("d")])
"""


def test_independent_steps_run_concurrently(zenrunner):
    zenrunner.makepyfile(pipeline_par=BARRIER)
    result = zenrunner.run("-n", "3", "pipeline_par.py::together")
    result.assert_outcomes(passed=1)
    result.fnmatch_lines(["*store: *orchestrator: parallel*"])
    script = """
        from zenrun import get_pipeline
        print(get_pipeline("together").last_run.steps["join"].output.read())
    """
    assert zenrunner.runpython(script).outlines[-1] == "a+b+c"


def test_parallel_failure_leaves_independent_branch_completed(zenrunner):
    zenrunner.makepyfile(pipeline_par=BARRIER.replace("< 3", "< 1"))
    result = zenrunner.run("-n", "2", "pipeline_par.py::partly")
    assert result.ret == 1
    script = """
        import json
        from zenrun import get_pipeline
        run = get_pipeline("partly").last_run
        print(json.dumps({i: s.status for i, s in run.steps.items()}))
    """
    statuses = json.loads(zenrunner.runpython(script).outlines[-1])
    assert statuses == {"fail": "failed", "meet": "completed", "join": "completed"}
