"""zenrun's layers (docs/architecture.md) hold: the import-linter contracts of pyproject.toml.

Every import counts, at the top of a module or inside a function; only imports
under ``if TYPE_CHECKING:`` (annotations) are left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter")
    command = Path(sys.executable).with_name("lint-imports")
    if not command.exists():
        pytest.skip("lint-imports is not installed next to this Python")
    proc = subprocess.run([str(command), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout


def test_help_imports_no_third_party_library_but_pluggy(tmp_path):
    """Why some imports wait inside functions: ``zenrun --help`` (every plugin loaded)
    imports pluggy and the standard library only, no pydantic, cloudpickle or numpy."""
    script = (
        "import sys, io, contextlib\nsys.argv = ['zenrun', '--help']\n"
        "from zenrun.main import console_main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = console_main()\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "found = sorted(m for m in ('pydantic', 'cloudpickle', 'numpy', 'networkx', 'yaml') if m in tops)\n"
        "print('FOUND', found, code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "FOUND [] 0" in proc.stdout, proc.stdout


def test_a_pipeline_without_configs_runs_without_importing_pydantic(tmp_path):
    """``StepConfig`` has its own module: defining, composing and running steps that take no
    config imports no pydantic (a third of a cached run's start-up); a config imports it."""
    script = (
        "import sys\n"
        "from zenrun import pipeline, step\n"
        "@step\ndef one() -> int:\n    return 1\n"
        "@step\ndef add(x: int) -> int:\n    return x + 1\n"
        "@pipeline\ndef pipeline_plain():\n    add(one())\n"
        "run = pipeline_plain().run()\n"
        "print('RAN', run.steps['add'].output.read(), 'pydantic' in sys.modules)\n"
        "from zenrun import StepConfig\n"
        "print('CONFIG', 'pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1", "ZENRUN_STORE": str(tmp_path / "store")}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "RAN 2 False" in proc.stdout, proc.stdout
    assert "CONFIG True" in proc.stdout, proc.stdout
