"""docs/plugins.md: every example is installed as a third-party distribution and run."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import zlib
from pathlib import Path

from test_contract_errors import make_distribution

import zenrun

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def parse_docs() -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """The files (``# file: NAME``), entry points, console command and expected lines."""
    text = DOCS.read_text()
    files = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        first, _, body = block.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = body
    toml = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    entry_points = dict(re.findall(r'^([\w-]+) = "([\w.]+)"$', toml, re.M))
    console = re.search(r"```console\n(.*?)```", text, re.S).group(1).splitlines()
    command = shlex.split(console[0].removeprefix("$ "))
    return files, entry_points, command, console[1:]


def parse_test_files() -> dict[str, str]:
    """The test modules of a plugin's own suite the guide shows (``# test: NAME``)."""
    tests = {}
    for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S):
        first, _, body = block.partition("\n")
        if first.startswith("# test: "):
            tests[first.removeprefix("# test: ").strip()] = body
    return tests


def test_every_python_example_is_a_file_that_runs():
    """Each python block is a plugin module, a pipeline or a test module: all of them run."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    for block in blocks:
        assert block.startswith(("# file: ", "# test: ")), block[:200]
    files, _, _, _ = parse_docs()
    assert len(files) + len(parse_test_files()) == len(blocks)


def test_the_example_plugins_own_suites_pass_under_pytest(tmp_path):
    """The guide's tests of a plugin (``zenrunner``) and of its stores (the conformance kit),
    run by pytest as a plugin's suite would be, the example modules importable."""
    files, _, _, _ = parse_docs()
    tests = parse_test_files()
    assert set(tests) == {"test_jsonl.py", "test_stores.py"}
    modules = tmp_path / "modules"
    modules.mkdir()
    for name, body in files.items():
        if not name.startswith("pipeline_"):
            (modules / name).write_text(body)
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, body in tests.items():
        (suite / name).write_text(body)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(modules), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rs", str(suite)],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", result.stdout)}
    assert counts.get("passed", 0) > 30 and "failed" not in counts, result.stdout
    # what the kit skips is what the examples say they do not claim, or leave to the defaults
    assert sorted(re.findall(r"SKIPPED \[\d+\] .*?: (.*)", result.stdout)) == [
        "the cache is not shared across processes",
        "the store cannot remove artifacts",
        "the store does not detect dead owners in other processes",
    ], result.stdout


def test_docs_have_one_example_per_plugin_kind():
    files, entry_points, command, _ = parse_docs()
    assert set(entry_points.values()) == {
        name.removesuffix(".py") for name in files if not name.startswith("pipeline_")
    }
    assert command[0] == "zenrun"
    sources = "\n".join(files.values())
    for hook in (
        "zenrun_terminal_summary",
        "zenrun_register_materializers",
        "zenrun_make_artifact_store",
        "zenrun_make_orchestrator",
        "zenrun_make_cache",
        "zenrun_make_metadata_store",
        "zenrun_step_call",
        "zenrun_step_settings",
    ):
        assert f"def {hook}(" in sources, hook


def test_docs_examples_implement_the_protocols(tmp_path, monkeypatch):
    files, _, _, _ = parse_docs()
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = {
        name.removesuffix(".py"): importlib.import_module(name.removesuffix(".py"))
        for name in files
        if not name.startswith("pipeline_")
    }
    try:
        assert isinstance(mod["zenrun_zstore"].ZlibArtifactStore(tmp_path / "z"), zenrun.ArtifactStore)
        assert isinstance(mod["zenrun_jsoncache"].JsonCache(tmp_path / "c.json"), zenrun.Cache)
        assert isinstance(mod["zenrun_jsonruns"].JsonRunsStore(tmp_path / "r"), zenrun.MetadataStore)
        assert isinstance(mod["zenrun_procpool"].ProcessPoolOrchestrator(), zenrun.Orchestrator)
        assert isinstance(mod["zenrun_fractions"].FractionMaterializer(), zenrun.Materializer)
        store = mod["zenrun_zstore"].ZlibArtifactStore(tmp_path / "z")
        digest, size = store.put(b"abc" * 100)
        assert (size, store.get(digest), store.verify(digest, size)) == (300, b"abc" * 100, True)
    finally:
        for name in mod:
            sys.modules.pop(name, None)


def test_docs_examples_run_together_as_an_installed_distribution(zenrunner, tmp_path):
    files, entry_points, command, expected = parse_docs()
    plugins = {n.removesuffix(".py"): b for n, b in files.items() if not n.startswith("pipeline_")}
    site = make_distribution(tmp_path / "site", "zenrun-docs-examples", "1.0", entry_points, plugins)
    for name, body in files.items():
        if name.startswith("pipeline_"):
            zenrunner.makepyfile(**{name.removesuffix(".py"): body})
    env = {"PYTHONPATH": str(site)}

    result = zenrunner.run(*command[1:], env=env)
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines([line.replace("...", "*") for line in expected])

    records = [json.loads(line) for line in (zenrunner.path / "steps.jsonl").read_text().splitlines()]
    assert [(r["step"], r["status"]) for r in records] == [("half", "completed"), ("add_third", "completed")]
    # the step-call wrapper ran around each step in the worker, its metadata came back,
    # under the plugin's name: not the user's metadata (metrics)
    assert all(r["plugin_metadata"]["timer"]["wall_seconds"] >= 0 for r in records)
    assert "peak_kib" in records[0]["plugin_metadata"]["timer"]
    assert [r["metadata"] for r in records] == [{}, {}]
    # the fraction materializer wrote text, the zlib store compressed it
    stored = {
        zlib.decompress(p.read_bytes())
        for p in (zenrunner.store / "zartifacts").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }  # .zenrun-store-id: see protocols
    assert {b"1/2", b"5/6"} <= stored
    assert not (zenrunner.store / "artifacts").exists() and not (zenrunner.store / "metadata.db").exists()
    assert json.loads((zenrunner.store / "cache.json").read_text())

    # the JSON cache answers the next run: both steps cached
    result = zenrunner.run(*command[1:], env=env)
    assert result.ret == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (zenrunner.path / "steps.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records[2:]] == ["cached", "cached"]

    # the wrapper's option reaches it in the procpool's spawned worker (its object's state)
    result = zenrunner.run(*command[1:], "--no-cache", "--timer-digits", "0", env=env)
    assert result.ret == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (zenrunner.path / "steps.jsonl").read_text().splitlines()]
    assert [r["plugin_metadata"]["timer"]["wall_seconds"] for r in records[4:]] == [0, 0]
    assert not all(float(r["plugin_metadata"]["timer"]["wall_seconds"]).is_integer() for r in records[:2])

    # the procpool's check: a step its pool cannot pickle is an error of its item, said so
    zenrunner.makepyfile(
        pipeline_lock="""
        import threading

        from zenrun import pipeline, step

        @step
        def hold(lock: object) -> int:
            return 1

        @pipeline
        def locked():
            hold(threading.Lock())
        """
    )
    result = zenrunner.run("--orchestrator", "procpool", "-k", "locked", env=env)
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(["*ERROR*locked*", "*lock*cannot*"])
    assert "INTERNALERROR" not in result.stdout
