"""The viewer under hostile values and requests: bounded previews, and 400 for forged inputs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from zenrun.testing import ZenrunProject

pytest.importorskip("dash")
pytest.importorskip("dash_cytoscape")

SHARED = """
    import dataclasses, operator
    from zenrun import pipeline, step

    class Repeated:
        '''Pickles as operator.mul([item], times): a few hundred bytes that load as a list
        holding one reference ``times`` times.'''

        def __init__(self, item, times):
            self.item, self.times = item, times

        def __reduce__(self):
            return operator.mul, ([self.item], self.times)

    @dataclasses.dataclass
    class Holder:
        rows: list

    @step
    def shared() -> object:
        return Repeated("x" * 300, 10**7)  # as JSON text: 3 GB

    @step
    def held() -> object:
        return Holder(["y" * 1000] * 10**6)  # its repr: 1 GB

    @pipeline
    def bomb():
        shared()
        held()
"""

MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss(pid: int) -> int:
    """The most memory ``pid`` has held at once (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = ZenrunProject(tmp_path_factory.mktemp("bounds"))
    project.makepyfile(pipeline_bomb=SHARED)
    # The run itself previews each output as it records it: its peak memory, children included.
    script = """
        import json, resource, subprocess, sys
        code = subprocess.run([sys.executable, "-m", "zenrun", "-q"], timeout=600).returncode
        print(json.dumps([code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024]))
    """
    code, peak = json.loads(project.runpython(script, timeout=600).outlines[-1])
    assert code == 0
    project.run_peak = peak
    return project


@pytest.fixture(scope="module")
def viewer(project, tmp_path_factory):
    """A real ``zenrun --view`` on loopback: ``(url, process, log path)``."""
    port = _free_port()
    log = tmp_path_factory.mktemp("bounds-log") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zenrun", "--view", "--view-port", str(port)],
            cwd=project.path,
            env=project.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the viewer did not start"
                time.sleep(0.1)
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post(url: str, body: object, raw: bytes | None = None) -> tuple[int, str]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + "/_dash-update-component", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _dependency(url: str, inputs: list[str], outputs_include: str) -> dict:
    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=30) as response:
        dependencies = json.load(response)
    for dependency in dependencies:
        names = [f"{i['id']}.{i['property']}" for i in dependency["inputs"]]
        if names == inputs and outputs_include in dependency["output"]:
            return dependency
    raise AssertionError(f"no callback with inputs {inputs}")


def _body(dependency: dict, values: list) -> dict:
    def parse(spec: str) -> dict:
        component, prop = spec.strip(".").split("@")[0].rsplit(".", 1)
        return {"id": component, "property": prop}

    output = dependency["output"]
    outputs = [parse(o) for o in output[2:-2].split("...")] if output.startswith("..") else parse(output)
    count = len(dependency["inputs"])
    return {
        "output": output,
        "outputs": outputs,
        "inputs": [
            {"id": i["id"], "property": i["property"], "value": v}
            for i, v in zip(dependency["inputs"], values[:count], strict=True)
        ],
        "state": [
            {"id": s["id"], "property": s["property"], "value": v}
            for s, v in zip(dependency["state"], values[count:], strict=True)
        ],
        "changedPropIds": [f"{dependency['inputs'][0]['id']}.{dependency['inputs'][0]['property']}"],
    }


def _run_name(project) -> str:
    return project.runpython(
        'from zenrun import get_pipeline; print(get_pipeline("bomb").last_run.name)'
    ).outlines[-1]


def _preview(component):
    """The text of the preview section in a detail panel's components (as sent as JSON)."""
    if isinstance(component, list):
        return next((t for t in map(_preview, component) if t is not None), None)
    if isinstance(component, dict):
        props = component.get("props", {})
        if props.get("className") == "zr-pre":
            return props["children"]
        return _preview(props.get("children"))
    return None


def test_previews_of_shared_reference_values_are_bounded(project, viewer):
    url, proc, _ = viewer
    # Recorded while the steps ran: short texts, and no gigabyte repr on the way.
    script = """
        import json
        from zenrun import get_pipeline
        steps = get_pipeline("bomb").last_run.steps
        print(json.dumps({i: [s.output.size, s.output.preview] for i, s in steps.items()}))
    """
    recorded = json.loads(project.runpython(script).outlines[-1])
    size, text = recorded["shared"]
    assert size < 1000 and text.startswith("<pipeline_bomb.Repeated object at ")
    size, text = recorded["held"]
    assert len(text) <= 120 and text.startswith("Holder(rows=['yyyy") and "..." in text
    assert project.run_peak < 700 * MB, f"the run peaked at {project.run_peak // MB} MB"

    # The viewer loads them (the 700-byte pickle becomes a 10**7-item list) and previews them.
    details = _dependency(url, ["selected.data"], "details.children")
    run = _run_name(project)
    before = _peak_rss(proc.pid)
    previews = {}
    for step_id in ("shared", "held"):
        status, text = _post(url, _body(details, [f"artifact:{step_id}:output", run]))
        assert status == 200, text
        children = json.loads(text)["response"]["details"]["children"]
        previews[step_id] = _preview(children)
    grown = _peak_rss(proc.pid) - before
    assert previews["shared"].startswith('[\n  "' + "x" * 300 + '",\n  "xxx')
    assert previews["shared"].endswith(" …") and len(previews["shared"]) <= 2002
    assert previews["held"].startswith("Holder(rows=['yyyy") and len(previews["held"]) <= 2002
    # The loaded list is 80 MB; its JSON text would have been 3 GB.
    assert grown < 600 * MB, f"the viewer grew by {grown // MB} MB"


def test_forged_update_requests_of_wrong_types_are_answered_400(project, viewer):
    url, proc, log = viewer
    run = _run_name(project)
    details = _dependency(url, ["selected.data"], "details.children")
    route = _dependency(
        url,
        [
            "url.search",
            "run-picker.value",
            "lineage.tapNodeData",
            "run-picker.search_value",
            "runs-newer.n_clicks",
            "runs-older.n_clicks",
        ],
        "run-picker.options",
    )
    refresh = _dependency(url, ["refresh.n_intervals"], "patch.data")
    diff = _dependency(url, ["compare-table.selected_rows", "compare-table.data"], "compare-diff")

    # As the browser sends them: answered.
    assert _post(url, _body(details, ["step:held", run]))[0] == 200
    assert _post(url, _body(route, [f"?run={run}", run, None, "", None, None, None, 0, "/"]))[0] in (200, 204)

    forged = {
        "a dict for the selected node": _body(details, [{"id": "step:held"}, run]),
        "a list for the run name": _body(details, ["step:held", [run]]),
        "a list for a number": _body(route, [f"?run={run}", run, None, "", None, None, None, [1, 2], "/"]),
        "a huge number": _body(route, [f"?run={run}", run, None, "", None, None, None, 2**70, "/"]),
        "a tapped node without id": _body(
            route, [None, run, {"kind": "step"}, None, None, None, None, 0, "/"]
        ),
        "a drawn graph of wrong shape": _body(
            refresh, [1, {"status": "running", "run": {"a": 1}}, None, None, None, None]
        ),
        "strings for row numbers": _body(diff, [["0", "1"], [{"run": run}], ""]),
        "an object in a table cell": _body(diff, [[0, 1], [{"run": {"a": 1}}, {"run": run}], ""]),
    }
    for what, body in forged.items():
        status, text = _post(url, body)
        assert status == 400, f"{what}: {status} {text[:500]}"
        assert text.startswith("bad request: "), f"{what}: {text[:500]}"
    status, text = _post(url, forged["a dict for the selected node"])
    assert "input 'node': expected str or null, got an object" in text, text

    for raw in (b"not json", b"[]", b'{"output": 5}', b'{"output": "nowhere.children", "inputs": []}'):
        assert _post(url, None, raw)[0] == 400, raw
    # Still serving, and nothing crashed on the way.
    assert _post(url, _body(details, ["step:held", run]))[0] == 200
    assert proc.poll() is None
    assert "Traceback" not in log.read_text(), log.read_text()


def test_a_live_patch_the_page_never_applied_is_sent_again():
    """Dash drops the answer of a refresh that the next refresh overtook: the next patch is
    diffed against what the page applied (its patch store), not against what was sent, so
    a dropped patch's change comes again."""
    from zenrun_dash.app import PATCH_VERSIONS, SentVersions
    from zenrun_dash.lineage import diff_elements

    def node(state: str) -> dict:
        return {"data": {"id": "step:a", "label": "a", "state": state}, "classes": f"step {state}"}

    sent = SentVersions()
    drawn_states = diff_elements({}, [node("running")])[1]
    sent.keep("t1", "", drawn_states)
    # Refresh 1: a finished; its patch is sent, and dropped by the page.
    patch, after = diff_elements(sent.acknowledged("t1", None) or {}, [node("completed")])
    assert list(patch["update"]) == ["step:a"]
    sent.keep("t1", "p1", after)
    # Refresh 2: the page's patch store is still empty: a's change is sent again.
    patch, after = diff_elements(sent.acknowledged("t1", None) or {}, [node("completed")])
    assert list(patch["update"]) == ["step:a"]
    sent.keep("t1", "p2", after)
    # Once the page applied p2, nothing is left to send.
    patch, _ = diff_elements(sent.acknowledged("t1", {"seq": "p2", "token": "t1"}) or {}, [node("completed")])
    assert not any(patch.values())
    # Another drawing's patch, or a forged one, says nothing about this drawing.
    for forged in ({"seq": "p2", "token": "t0"}, {"seq": ["p2"], "token": "t1"}, "p2", 7):
        assert sent.acknowledged("t1", forged) == drawn_states
    assert sent.acknowledged("unknown", None) is None
    # A version forgotten (the page far behind): the newest known, the drawing kept.
    for index in range(PATCH_VERSIONS + 5):
        sent.keep("t1", f"q{index}", {"step:a": ("step completed", f"v{index}")})
    assert sent.acknowledged("t1", {"seq": "p1", "token": "t1"}) == {
        "step:a": ("step completed", f"v{PATCH_VERSIONS + 4}")
    }
    assert sent.acknowledged("t1", None) == drawn_states
