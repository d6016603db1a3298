"""A settings model given by its import path (``{"track": "track_settings:TrackSettings"}``):
validated as a class is, its defaults built when a hook first reads them, and never
imported (nor pydantic) by a run in which nothing sets or reads the namespace."""

from __future__ import annotations

import pickle

import pytest

from zenrun.settings import StepSettings, step_settings_kind

MODEL = """
import pydantic


class TrackSettings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    label: str = "none"
    level: int = 0
"""

OWNER = """
import zenrun


@zenrun.hookimpl
def zenrun_step_settings():
    return {"track": "track_settings:TrackSettings"}
"""

READER = """
import sys


@zenrun.hookimpl(wrapper=True)
def zenrun_step_call(step_run, call):
    imported = "track_settings" in sys.modules
    settings = step_run.settings["track"]
    print(f"READ {step_run.id} imported-before={imported} label={settings.label} "
          f"level={settings.level} has={'track' in step_run.settings}", flush=True)
    return (yield)
"""

PIPELINE = """
import sys

from zenrun import pipeline, step


@step(settings={"track": {"label": "set", "level": 1}})
def one() -> int:
    return 1


@step
def add(x: int) -> int:
    print("MODULES", "track_settings" in sys.modules, "pydantic" in sys.modules, flush=True)
    return x + 1


@pipeline
def alpha():
    add(one())


@pipeline
def plain():
    add(1)
"""


def _project(zenrunner, *conftest: str) -> None:
    zenrunner.makepyfile(track_settings=MODEL)
    zenrunner.makeconftest("".join(conftest))
    zenrunner.makepyfile(pipeline_demo=PIPELINE)


def test_a_model_by_path_validates_the_steps_that_set_it_and_gives_the_others_defaults(zenrunner):
    _project(zenrunner, OWNER, READER)
    result = zenrunner.run("-s", "-k", "alpha")
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(
        [
            "*READ one imported-before=True label=set level=1 has=True*",
            "*READ add imported-before=True label=none level=0 has=True*",
        ]
    )
    zenrunner.makefile(".yaml", run="steps:\n  one:\n    settings:\n      track: {level: high}\n")
    result = zenrunner.run("-k", "alpha", "--no-cache", "--config", "run.yaml")
    assert result.ret == 1, result.stdout + result.stderr
    result.fnmatch_lines(["*pipeline 'alpha', step 'one': settings.track.level: *integer*'high'*"])
    assert "READ" not in result.stdout


def test_a_model_by_path_nothing_sets_or_reads_is_never_imported(zenrunner):
    _project(zenrunner, OWNER)
    result = zenrunner.run("-s", "-k", "plain", env={"ZENRUN_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.ret == 0, result.stdout + result.stderr
    result.fnmatch_lines(["*MODULES False False*"])


def test_a_worker_builds_the_defaults_its_hooks_read(zenrunner):
    _project(zenrunner, OWNER, READER)
    result = zenrunner.run("-s", "-k", "alpha", "-n", "2", "--no-cache")
    assert result.ret == 0, result.stdout + result.stderr
    assert "label=none level=0 has=True" in result.stdout, result.stdout


def test_a_malformed_or_unimportable_model_path_is_a_clear_error(zenrunner):
    _project(zenrunner, OWNER.replace("track_settings:TrackSettings", "track_settings.TrackSettings"))
    result = zenrunner.run("-k", "alpha")
    assert result.ret != 0
    assert (
        "the step settings model of namespace 'track' is 'track_settings.TrackSettings': "
        "a path must read 'package.module:Model'" in result.stderr
    ), result.stderr

    _project(zenrunner, OWNER.replace("track_settings:TrackSettings", "track_settings:Missing"))
    result = zenrunner.run("-k", "alpha")
    assert result.ret != 0
    assert (
        "the step settings model of namespace 'track', 'track_settings:Missing', "
        "could not be imported: AttributeError" in result.stdout + result.stderr
    ), result.stdout + result.stderr


def test_step_settings_read_as_a_dict_with_defaults_built_on_first_read(tmp_path, monkeypatch):
    (tmp_path / "lazy_model.py").write_text(MODEL.replace("TrackSettings", "Lazy"))
    (tmp_path / "required_model.py").write_text(
        "import pydantic\n\nclass Required(pydantic.BaseModel):\n    name: str\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pending = {"track": "lazy_model:Lazy", "needs": "required_model:Required"}
    settings = step_settings_kind(pending)({"other": {"x": 1}})
    assert dict.__len__(settings) == 1  # nothing built yet
    assert settings.get("track").level == 0 and "track" in settings
    assert "needs" not in settings and settings.get("needs", "absent") == "absent"
    with pytest.raises(KeyError):
        settings["needs"]
    assert sorted(settings) == ["other", "track"] and len(settings) == 2
    copied = settings.copy()
    copied["trial"] = 1
    assert "trial" not in settings and copied["track"] is settings["track"]  # defaults shared
    again = pickle.loads(pickle.dumps(step_settings_kind(pending)({})))
    assert isinstance(again, StepSettings) and again["track"].label == "none"
    assert settings == {"other": {"x": 1}, "track": settings["track"]}


def test_a_model_module_imported_afresh_gives_its_new_defaults(zenrunner):
    """In one process (the in-process runner imports project modules afresh each session),
    the model a path names is the one imported now, never one remembered from before."""
    _project(zenrunner, OWNER, READER)
    result = zenrunner.run("-s", "-k", "alpha", "--no-cache", inprocess=True)
    assert result.ret == 0, result.stdout + result.stderr
    assert "READ add imported-before=True label=none" in result.stdout, result.stdout
    zenrunner.makepyfile(track_settings=MODEL.replace('label: str = "none"', 'label: str = "renamed"'))
    result = zenrunner.run("-s", "-k", "alpha", "--no-cache", inprocess=True)
    assert result.ret == 0, result.stdout + result.stderr
    assert "READ add imported-before=True label=renamed" in result.stdout, result.stdout
