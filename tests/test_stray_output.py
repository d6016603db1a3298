"""Output of what a step leaves running (threads, processes) is not a later step's captured output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys

import pytest

DAEMONS = """
    import multiprocessing, os, subprocess, sys, threading, time
    from pathlib import Path
    from zenrun import pipeline, step

    # The leftovers write until the last step has seen them write (at most 2 minutes), not
    # for a fixed time: on a busy machine the later steps may start long after they began.
    BEAT = "import os, sys, time\\nfor i in range(2400):\\n    if os.path.exists('last-done'): break\\n" \\
           "    print('SUBPROCESS', i, flush=True)\\n" \\
           "    open('beats-subprocess', 'a').write('.')\\n    time.sleep(0.05)\\n"

    def chatter(kind):
        for i in range(2400):
            if os.path.exists("last-done"):
                break
            print(kind, i, flush=True)
            sys.stderr.write(f"{kind} err {i}\\n")
            open(f"beats-{kind}", "a").write(".")
            time.sleep(0.05)

    @step(enable_cache=False)
    def starts() -> int:
        threading.Thread(target=chatter, args=("THREAD",), daemon=True).start()
        child = multiprocessing.Process(target=chatter, args=("PROCESS",), daemon=True)
        child.start()
        server = subprocess.Popen([sys.executable, "-c", BEAT])
        Path("pids").write_text(f"{child.pid} {server.pid}")
        print("starts says hi")
        return 1

    def beats():
        return {k: len(Path(f"beats-{k}").read_text()) if Path(f"beats-{k}").exists() else 0
                for k in ("THREAD", "PROCESS", "subprocess")}

    @step(enable_cache=False)
    def later(x: int) -> int:
        # Runs while every leftover writes: each beats at least 5 times meanwhile.
        before, deadline = beats(), time.monotonic() + 240
        while any(n < before[k] + 5 for k, n in beats().items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the leftovers stopped writing: {before} {beats()}")
            time.sleep(0.02)
        print("later says hi")
        return x + 1

    @step(enable_cache=False)
    def last(x: int) -> int:
        # Runs while every leftover writes too, then lets them stop.
        before, deadline = beats(), time.monotonic() + 240
        while any(n < before[k] + 3 for k, n in beats().items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the leftovers stopped writing: {before} {beats()}")
            time.sleep(0.02)
        Path("last-done").touch()
        print("last says hi", file=sys.stderr)
        return x + 1

    @pipeline
    def leftovers():
        last(later(starts()))
"""

CAPTURED = """
    import json
    from zenrun import get_pipeline
    run = get_pipeline("leftovers").last_run
    print(json.dumps([run.status, {i: s.captured or {} for i, s in run.steps.items()},
                      run.steps["last"].output.read()]))
"""


@pytest.mark.parametrize(
    "args",
    [["--capture=fd"], ["--capture=sys"], ["-n", "1", "--capture=fd"]],
    ids=["fd", "sys", "worker-fd"],
)
def test_what_a_step_leaves_running_is_not_captured_by_later_steps(zenrunner, args):
    zenrunner.makepyfile(pipeline_leftovers=DAEMONS)
    try:
        result = zenrunner.run("-q", *args, timeout=300)
        assert result.ret == 0, result.stdout + result.stderr
        status, captured, value = json.loads(zenrunner.runpython(CAPTURED).outlines[-1])
    finally:
        pids = (zenrunner.path / "pids").read_text().split() if (zenrunner.path / "pids").exists() else []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    assert (status, value) == ("completed", 3)
    assert captured["later"] == {"stdout": "later says hi\n"}
    assert captured["last"] == {"stderr": "last says hi\n"}
    # The step that started them keeps what it wrote itself (and, at most, what they wrote
    # before it ended, which may interleave with its own text at the writes' boundaries:
    # "PROCESS " + "starts says hi\n" + "0\n"): never a later step's line.
    own = captured["starts"]["stdout"]
    assert "starts says hi" in own, own
    assert "later says hi" not in own and "last says hi" not in own, own


RACING = """
    import os
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def racing() -> int:
        # A child writes to the step's descriptor 1 while the step does: both share the
        # capture file, and no line of either may be lost or written over by the other's.
        pid = os.fork()
        if pid == 0:
            for i in range(2000):
                os.write(1, b"child %04d\\n" % i)
            os._exit(0)
        for i in range(2000):
            os.write(1, b"step  %04d\\n" % i)
        os.waitpid(pid, 0)
        return 1

    @pipeline
    def race():
        racing()
"""

RACING_CAPTURED = """
    import json
    from zenrun import get_pipeline
    run = get_pipeline("race").last_run
    print(json.dumps([run.status, run.steps["racing"].captured["stdout"]]))
"""


@pytest.mark.parametrize("args", [["--capture=fd"], ["-n", "1", "--capture=fd"]], ids=["fd", "worker-fd"])
def test_a_step_and_a_process_it_started_writing_at_once_lose_no_line(zenrunner, args):
    zenrunner.makepyfile(pipeline_race=RACING)
    result = zenrunner.run("-q", *args, timeout=300)
    assert result.ret == 0, result.stdout + result.stderr
    status, stdout = json.loads(zenrunner.runpython(RACING_CAPTURED).outlines[-1])
    assert status == "completed"
    lines = stdout.splitlines()
    assert sorted(lines) == sorted(
        [f"child {i:04d}" for i in range(2000)] + [f"step  {i:04d}" for i in range(2000)]
    )
    assert [line for line in lines if line.startswith("step")] == [f"step  {i:04d}" for i in range(2000)]


SUCCESSIVE = """
    import os, sys
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def speak(x: int) -> int:
        print(f"python {x}")
        os.write(1, f"fd {x}\\n".encode())
        if x % 2:
            os.write(2, f"err {x}\\n".encode())
        return x + 1

    @pipeline
    def chatty():
        value = 0
        for _ in range(6):
            value = speak(value)
"""

SUCCESSIVE_CAPTURED = """
    import json
    from zenrun import get_pipeline
    run = get_pipeline("chatty").last_run
    print(json.dumps([run.status, {i: s.captured or {} for i, s in run.steps.items()}]))
"""


def test_successive_steps_capture_only_their_own_output(zenrunner):
    # Steps that start no process write into the spools of the step before them, emptied.
    zenrunner.makepyfile(pipeline_chatty=SUCCESSIVE)
    result = zenrunner.run("-q", "--capture=fd")
    assert result.ret == 0, result.stdout + result.stderr
    _assert_each_step_captured_its_own(zenrunner)


def _assert_each_step_captured_its_own(zenrunner) -> None:
    """The last run of :data:`SUCCESSIVE` completed, each step's output its own."""
    status, captured = json.loads(zenrunner.runpython(SUCCESSIVE_CAPTURED).outlines[-1])
    assert status == "completed"
    ids = ["speak", *(f"speak_{i}" for i in range(2, 7))]
    assert sorted(captured) == ids
    for i in range(6):
        expected = {"stdout": f"python {i}\nfd {i}\n"}
        if i % 2:
            expected["stderr"] = f"err {i}\n"
        assert captured[ids[i]] == expected


HOOK_STARTS = """
    import subprocess, sys

    LATE = "import time; time.sleep(0.3); print('late from the hook', flush=True); open('late-done', 'w')"

    def zenrun_step_finish(step_run):
        print(f"hook after {step_run.id}")
        if step_run.id == "first":
            subprocess.Popen([sys.executable, "-c", LATE])
"""

WAITS = """
    import os, time
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def first() -> int:
        print("first says hi")
        return 1

    @step(enable_cache=False)
    def second(x: int) -> int:
        deadline = time.monotonic() + 120
        while not os.path.exists("late-done"):  # the hook's process writes while this runs
            if time.monotonic() > deadline:
                raise TimeoutError("the hook's process did not write")
            time.sleep(0.02)
        print("second says hi")
        return x + 1

    @pipeline
    def waits():
        second(first())
"""


def _captured(zenrunner, pipeline: str) -> dict:
    """What each step of ``pipeline``'s last run captured, as recorded."""
    result = zenrunner.runpython_c(
        "import json; from zenrun import get_pipeline; "
        f"print(json.dumps({{i: s.captured for i, s in get_pipeline({pipeline!r}).last_run.steps.items()}}))"
    )
    return json.loads(result.outlines[-1])


@pytest.mark.parametrize("verbosity", [["-q"], []], ids=["quiet", "progress-view"])
def test_a_process_a_per_step_hook_starts_writes_to_the_terminal(zenrunner, verbosity):
    # The local orchestrator keeps descriptors 1 and 2 on the last step's spools until the
    # next step starts; a plugin's hook in between runs with them on the terminal, so a
    # process it starts writes there, not into a spool, while the next step runs too. Also
    # beside zenrun's progress view, whose own per-step hooks leave them parked.
    zenrunner.makepyfile(pipeline_waits=WAITS)
    zenrunner.makeconftest(HOOK_STARTS)
    result = zenrunner.run(*verbosity, "--capture=fd")
    assert result.ret == 0, result.stdout + result.stderr
    assert "late from the hook" in result.stdout
    assert "hook after first" in result.stdout and "hook after second" in result.stdout
    assert _captured(zenrunner, "waits") == {
        "first": {"stdout": "first says hi\n"},
        "second": {"stdout": "second says hi\n"},
    }


COUNTS_UNPARKS = """
    import zenrun.capture, zenrun.execution

    real_unpark = zenrun.capture.unpark
    unparked = []

    def counting_unpark():
        if zenrun.capture._parked is not None:  # descriptors parked: pointed back now
            unparked.append(1)
        real_unpark()

    zenrun.capture.unpark = zenrun.execution.unpark = counting_unpark

    def zenrun_sessionfinish():
        with open("unparked", "w") as f:
            f.write(str(len(unparked)))
"""


def test_the_progress_view_leaves_the_descriptors_parked_between_steps(zenrunner):
    """With the progress view on (the default output), its per-step hooks run between two
    steps without pointing descriptors 1 and 2 back at the terminal: the block's end does,
    once per run; each step still captures only its own output."""
    zenrunner.makepyfile(pipeline_chatty=SUCCESSIVE)
    zenrunner.makeconftest(COUNTS_UNPARKS)
    result = zenrunner.run("--capture=fd")
    assert result.ret == 0, result.stdout + result.stderr
    assert (zenrunner.path / "unparked").read_text() == "1"
    _assert_each_step_captured_its_own(zenrunner)


BACK_TO_BACK = """
    import json, os, sys
    from zenrun.capture import CaptureSettings, back_to_back, capturing

    texts = []
    settings = CaptureSettings(fd=True)
    with back_to_back():
        for i in range(3):
            with capturing(settings) as capture:
                os.write(1, f"step {i}\\n".encode())
                os.write(2, f"err {i}\\n".encode())
            texts.append(capture.texts())
            os.write(1, f"between {i}\\n".encode())  # after a capture: the terminal's
    os.write(1, b"after the block\\n")
    sys.stderr.write(json.dumps(texts) + "\\n")
"""


def test_back_to_back_captures_pass_what_is_written_between_them_to_the_terminal(zenrunner):
    script = zenrunner.makepyfile(back_to_back=BACK_TO_BACK)
    result = zenrunner.runpython(script)
    texts = json.loads(result.errlines[-1])
    assert texts == [{"stdout": f"step {i}\n", "stderr": f"err {i}\n"} for i in range(3)]
    assert result.outlines == [*(f"between {i}" for i in range(3)), "after the block"]


BACK_TO_BACK_SETTINGS = """
    import json, logging, os, sys
    from zenrun.capture import CaptureSettings, back_to_back, capturing
    from zenrun import capture as cap

    cap._last_pid = lambda: b"1\\n"  # no process created meanwhile (other tests' are): parked

    texts = []
    plain = CaptureSettings(fd=True)
    kinds = [plain, CaptureSettings(fd=True, log_level=logging.INFO), CaptureSettings(fd=True, disabled_loggers=("noisy",)), plain]
    with back_to_back():
        for i, settings in enumerate(kinds):
            logging.root.handlers.clear()  # as a step's basicConfig(force=True) does
            with capturing(settings) as capture:
                logging.getLogger("app").warning("warn %d", i)
                logging.getLogger("app").info("info %d", i)
                logging.getLogger("noisy").warning("noisy %d", i)
                os.write(1, f"step {i}\\n".encode())
            texts.append(capture.texts())
            os.write(1, f"between {i}\\n".encode())
    sys.stderr.write(json.dumps(texts) + "\\n")
"""


def test_back_to_back_captures_apply_each_captures_settings(zenrunner):
    """A capture taking over the spools the last one left parked still applies its own
    settings (its log level, its disabled loggers) and puts its log handler back."""
    script = zenrunner.makepyfile(back_to_back_settings=BACK_TO_BACK_SETTINGS)
    result = zenrunner.runpython(script)
    texts = json.loads(result.errlines[-1])
    assert [t["stdout"] for t in texts] == [f"step {i}\n" for i in range(4)]
    logged = [
        [m for m in ("warn", "info", "noisy") if f"{m} {i}" in t.get("log", "")] for i, t in enumerate(texts)
    ]
    assert logged == [["warn", "noisy"], ["warn", "info", "noisy"], ["warn", "info"], ["warn", "info"]]
    assert result.outlines == [f"between {i}" for i in range(4)]


CLOSED_TERMINAL = """
    import os, sys
    from zenrun.capture import CaptureSettings, back_to_back, capturing
    from zenrun import capture as cap

    cap._last_pid = lambda: b"1\\n"  # no process created meanwhile (other tests' are): parked

    sys.stdin.readline()  # the reader of stdout is gone by now
    settings = CaptureSettings(fd=True)
    with back_to_back():
        with capturing(settings):
            pass
        os.write(1, b"between\\n")  # into the parked spool, for a terminal that went away
        with capturing(settings) as capture:
            os.write(1, b"step\\n")
    sys.stderr.write(repr(capture.texts()) + "\\n")
"""


def test_output_between_two_captures_for_a_closed_terminal_does_not_fail_the_next(zenrunner):
    """``zenrun ... | head``: what reached the parked spools between two steps goes to a
    pipe nobody reads any more; it is dropped, and the next step captures as usual."""
    script = zenrunner.makepyfile(closed_terminal=CLOSED_TERMINAL)
    proc = zenrunner.popen([sys.executable, str(script)], stdin=None)
    try:
        assert proc.stdout is not None
        proc.stdout.close()
        _, err = proc.communicate(b"go\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert err.decode().splitlines()[-1] == "{'stdout': 'step\\n'}"


INTERRUPTED_HANDOVER = """
    import os, sys
    from zenrun import capture as cap
    from zenrun.capture import CaptureSettings, back_to_back, capturing

    cap._last_pid = lambda: b"1\\n"  # no process created meanwhile (other tests' are): parked

    where = sys.argv[1]
    real = getattr(cap, where)

    def interrupted(*args, **kwargs):  # Ctrl-C arriving as the descriptors move
        if where == "_park_fds":  # as the capture ends: before they are parked
            raise KeyboardInterrupt
        real(*args, **kwargs)  # as it starts: once they are taken
        raise KeyboardInterrupt

    settings = CaptureSettings(fd=True)
    try:
        with back_to_back():
            if where != "_redirect_fds":
                with capturing(settings):
                    os.write(1, b"captured\\n")
            setattr(cap, where, interrupted)
            with capturing(settings):
                os.write(1, b"captured\\n")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    setattr(cap, where, real)
    os.write(1, b"after the block\\n")
"""


@pytest.mark.parametrize("where", ["_take_parked", "_redirect_fds", "_park_fds"])
def test_a_ctrl_c_as_a_capture_moves_the_descriptors_leaves_them_on_the_terminal(zenrunner, where):
    """A Ctrl-C between a capture's own with-block and the step's (taking over the parked
    spools, redirecting afresh, parking them at the end) loses no later output: the block's
    end points descriptors 1 and 2 back at the terminal."""
    script = zenrunner.makepyfile(interrupted_handover=INTERRUPTED_HANDOVER)
    result = zenrunner.runpython(script, where)
    assert result.ret == 0, result.stderr
    assert result.outlines == ["interrupted", "after the block"]


CTRL_C_AS_SIGNALS_BLOCK = """
    import os, signal
    from zenrun import capture as cap
    from zenrun.capture import CaptureSettings, back_to_back, capturing

    cap._last_pid = lambda: b"1\\n"  # no process created meanwhile (other tests' are): parked

    real = cap._sigmask

    def late(how, mask):  # Ctrl-C came just before: raised as the blocking call returns
        previous = real(how, mask)
        if how == signal.SIG_BLOCK and mask:
            cap._sigmask = real
            raise KeyboardInterrupt
        return previous

    try:
        with back_to_back():
            with capturing(CaptureSettings(fd=True)):
                os.write(1, b"captured\\n")
            cap._sigmask = late  # the block's end points the parked descriptors back
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    os.write(1, b"after the block\\n")
    print(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])), flush=True)
"""


def test_a_ctrl_c_as_signals_are_held_back_is_raised_after_and_leaves_them_unblocked(zenrunner):
    """A Ctrl-C that arrives just as zenrun blocks Ctrl-C and SIGTERM to point the
    descriptors back is raised once they are back, and leaves no signal blocked."""
    script = zenrunner.makepyfile(ctrl_c_as_signals_block=CTRL_C_AS_SIGNALS_BLOCK)
    result = zenrunner.runpython(script)
    assert result.ret == 0, result.stderr
    assert result.outlines == ["interrupted", "after the block", "[]"]


CTRL_C_AS_A_DESCRIPTOR_MOVES = """
    import os, sys
    from zenrun import capture as cap
    from zenrun.capture import CaptureSettings, back_to_back, capturing

    moved = next(i for i, line in enumerate(open(cap.__file__), 1) if "os.dup2(spool[0], fd)  # without" in line)

    def tracer(frame, event, arg):  # a Ctrl-C as the first descriptor has just moved
        if frame.f_code is not cap._redirect_fds.__code__:
            return None

        def line(frame, event, arg):
            if event == "line" and frame.f_lineno > moved and tracer.armed:
                tracer.armed = False
                raise KeyboardInterrupt
            return line

        return line

    tracer.armed = True
    try:
        with back_to_back():
            sys.settrace(tracer)
            try:
                with capturing(CaptureSettings(fd=True)):
                    os.write(1, b"captured\\n")
            finally:
                sys.settrace(None)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    os.write(1, b"after the block\\n")
"""


def test_a_ctrl_c_just_after_a_descriptor_moved_to_its_spool_leaves_it_on_the_terminal(zenrunner):
    script = zenrunner.makepyfile(ctrl_c_as_a_descriptor_moves=CTRL_C_AS_A_DESCRIPTOR_MOVES)
    result = zenrunner.runpython(script)
    assert result.ret == 0, result.stderr
    assert result.outlines == ["interrupted", "after the block"]


CTRL_C_AS_A_FIXTURE_STARTS = """
    import os, sys
    from zenrun import capture as cap
    from zenrun.capture import CaptureFixture, back_to_back, fixture_capturing

    real_spool = cap._spool
    calls = []

    def interrupted():
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C as the fixture moves descriptor 2 (1 is on its spool)
            raise KeyboardInterrupt
        return real_spool()

    capfd = CaptureFixture("capfd", fd=True)  # a step's, without a capture of the step (-s)
    cap._spool = interrupted
    try:
        with back_to_back():
            with fixture_capturing(fixtures=[capfd]):
                os.write(1, b"in the step\\n")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    cap._spool = real_spool
    log = open("log.txt", "w")  # may get the number of a descriptor closed meanwhile
    capfd.close()  # the item's teardown
    log.write("logged")
    log.close()
    os.write(1, b"after the teardown\\n")
"""


def test_a_capture_fixture_interrupted_as_it_starts_closes_no_descriptor_twice(zenrunner):
    """The block's end points the descriptors back after a Ctrl-C as a capture fixture
    started; the fixture, closed later, does not point them at (and close) a descriptor the
    process opened meanwhile under the same number."""
    script = zenrunner.makepyfile(ctrl_c_as_a_fixture_starts=CTRL_C_AS_A_FIXTURE_STARTS)
    result = zenrunner.runpython(script)
    assert result.ret == 0, result.stderr
    assert result.outlines == ["interrupted", "after the teardown"]
    assert (zenrunner.path / "log.txt").read_text() == "logged"


LAST_PID = """
    import json, subprocess, sys
    from zenrun import capture

    if sys.argv[1:] == ["loadavg"]:  # where ns_last_pid cannot be read
        capture._LAST_PID_FILES = ("/nonexistent/ns_last_pid", "/proc/loadavg")
    before = capture._last_pid()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    after = capture._last_pid()
    print(json.dumps([capture._last_pid_file, before is not None, after != before]))
"""


@pytest.mark.skipif(not os.path.exists("/proc/loadavg"), reason="Linux's /proc")
@pytest.mark.parametrize("source", ["ns_last_pid", "loadavg"])
def test_the_last_pid_changes_when_a_process_is_created(zenrunner, source):
    script = zenrunner.makepyfile(last_pid=LAST_PID)
    result = zenrunner.runpython(script, source)
    assert result.ret == 0, result.stderr
    used, known, changed = json.loads(result.outlines[-1])
    if source == "loadavg" or not os.access("/proc/sys/kernel/ns_last_pid", os.R_OK):
        assert used == "/proc/loadavg"
    else:
        assert used == "/proc/sys/kernel/ns_last_pid"
    assert known and changed  # (other processes of the machine may change it meanwhile too)


REDIRECTS = """
    import os
    from zenrun import pipeline, step

    @step(enable_cache=False)
    def hides() -> int:
        os.write(1, b"fd hides\\n")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # and never puts it back
        os.close(devnull)
        return 1

    @step(enable_cache=False)
    def speaks(x: int) -> int:
        os.write(1, b"fd speaks\\n")
        print("python speaks")
        return x + 1

    @pipeline
    def redirects():
        speaks(hides())
"""


def test_a_step_pointing_stdout_elsewhere_does_not_blind_the_next_step(zenrunner):
    zenrunner.makepyfile(pipeline_redirects=REDIRECTS)
    result = zenrunner.run("-q", "--capture=fd")
    assert result.ret == 0, result.stdout + result.stderr
    assert "passed" in result.stdout  # the terminal is the terminal again after the run
    assert _captured(zenrunner, "redirects") == {
        "hides": {"stdout": "fd hides\n"},
        "speaks": {"stdout": "fd speaks\npython speaks\n"},
    }
