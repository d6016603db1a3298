"""zenrun.deferred.dataclass: a dataclass made at first use behaves as one made at once."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from dataclasses import field
from pathlib import Path

import pytest

from zenrun.deferred import dataclass, is_made

MODULE = """
from dataclasses import field
from zenrun.deferred import dataclass


@dataclass
class Point:
    x: int
    y: int = 0
    tags: list = field(default_factory=list)


@dataclass(frozen=True)
class Key:
    name: str
    size: int = 1
"""


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> object:
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)
    monkeypatch.delitem(sys.modules, name)
    return module


def test_a_deferred_dataclass_is_made_at_its_first_instance(tmp_path, monkeypatch):
    m = _module(tmp_path, monkeypatch, "deferred_first_instance")
    assert not is_made(m.Point) and not dataclasses.is_dataclass(m.Point)
    a, b = m.Point(1), m.Point(1, y=0)
    assert is_made(m.Point) and dataclasses.is_dataclass(m.Point)
    assert a == b and a != m.Point(2) and a.tags == [] and a.tags is not b.tags
    assert repr(a) == "Point(x=1, y=0, tags=[])"
    assert [f.name for f in dataclasses.fields(a)] == ["x", "y", "tags"]
    assert dataclasses.replace(a, y=5) == m.Point(1, 5)
    with pytest.raises(TypeError):
        m.Point()  # x is required, as in any dataclass
    with pytest.raises(TypeError):
        hash(a)  # eq without frozen: unhashable, as a dataclass


def test_a_frozen_deferred_dataclass_is_frozen_and_hashable(tmp_path, monkeypatch):
    m = _module(tmp_path, monkeypatch, "deferred_frozen")
    key = m.Key("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.size = 2
    assert {key, m.Key("a"), m.Key("b")} == {m.Key("a"), m.Key("b")}


def test_an_instance_unpickled_before_any_was_made_is_a_full_dataclass(tmp_path):
    (tmp_path / "deferred_pickled.py").write_text(MODULE)
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pickle, sys, deferred_pickled as m\n"
            "sys.stdout.buffer.write(pickle.dumps([m.Point(3, 4, ['t']), m.Key('k', 2)]))",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    script = (
        "import dataclasses, pickle, sys, deferred_pickled as m\n"
        "from zenrun.deferred import is_made\n"
        "before = is_made(m.Point)\n"
        "point, key = pickle.loads(sys.stdin.buffer.read())\n"
        "print(before, is_made(m.Point), point == m.Point(3, 4, ['t']), repr(key),\n"
        "      dataclasses.replace(point, y=0).y, hash(key) == hash(m.Key('k', 2)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, input=made, capture_output=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split() == ["False", "True", "True", "Key(name='k',", "size=2)", "0", "True"]


def test_a_dataclass_subclass_of_a_deferred_one_has_its_fields(tmp_path, monkeypatch):
    m = _module(tmp_path, monkeypatch, "deferred_subclassed")

    @dataclasses.dataclass
    class Point3(m.Point):
        z: int = 9

    assert [f.name for f in dataclasses.fields(Point3)] == ["x", "y", "tags", "z"]
    assert Point3(1, 2) == Point3(x=1, y=2, tags=[], z=9)


def test_a_class_body_method_is_kept_and_slots_are_refused():
    @dataclass(eq=False)
    class Named:
        name: str
        extra: list[str] = field(default_factory=list)

        def __repr__(self) -> str:
            return f"<{self.name}>"

    one = Named("a")
    assert repr(one) == "<a>" and one != Named("a") and one == one
    with pytest.raises(TypeError, match="slots"):
        dataclass(slots=True)  # type: ignore[call-overload]


def test_threads_making_the_class_at_once_all_get_a_dataclass():
    @dataclass
    class Shared:
        value: int
        more: dict[str, int] = field(default_factory=dict)

    start, made, errors = threading.Barrier(8), [], []

    def build(i: int) -> None:
        start.wait()
        try:
            made.append(Shared(i))
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(s.value for s in made) == list(range(8))


def test_help_makes_none_of_the_run_records():
    """What the deferral is for: ``zenrun --help`` defines the records and makes none."""
    script = (
        "import sys, io, contextlib\nsys.argv = ['zenrun', '--help']\n"
        "from zenrun.main import console_main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    console_main()\n"
        "from zenrun.deferred import is_made\n"
        "from zenrun.metadata.records import StepRun, PipelineRun, ArtifactRef\n"
        "from zenrun.collect import Item\n"
        "print('MADE', [c.__name__ for c in (StepRun, PipelineRun, ArtifactRef, Item) if is_made(c)])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "MADE []" in proc.stdout, proc.stdout
