"""Which installed distribution provides a module: zenrun's reading of the metadata files
must give exactly what importlib.metadata gives, in this environment and in odd ones.

importlib.metadata answers through the importlib_metadata backport once a library (dask,
dash, mlflow) has imported it: its distributions leave out the files a RECORD lists that
are not on disk, so every file the odd RECORD below lists exists."""

from __future__ import annotations

import importlib.metadata
import sys
import threading

import pytest

from zenrun import installed


@pytest.fixture
def fresh_mapping():
    installed._forget_index()
    try:
        yield
    finally:
        installed._forget_index()


def test_the_installed_distributions_map_as_importlib_maps_them(fresh_mapping):
    found = installed.packages_distributions()
    assert found == importlib.metadata.packages_distributions()
    assert "pluggy" in found["pluggy"] and "scikit-learn" not in found.get("pluggy", [])


def _distribution(site, folder: str, files: dict[str, bytes]) -> None:
    (site / folder).mkdir(parents=True)
    for name, data in files.items():
        (site / folder / name).write_bytes(data)


def test_records_of_every_form_map_as_importlib_maps_them(tmp_path, monkeypatch, fresh_mapping):
    """RECORD lines with quoted commas, ``..`` and absolute paths, a name ``.py``, a file at
    the top level; a declared top_level.txt; an egg with SOURCES.txt; odd Name headers."""
    site = tmp_path / "lib" / "python" / "site"
    listed = [
        "oddpkg/__init__.py",
        "odd,comma/x.py",
        "../../bin/tool.py",
        f"{tmp_path}/abs/mod.py",
        "sub/.py",
        ".py",
        "single.py",
        "data/file.txt",
        "oddpkg/lib.so",
        "dotted.name/a.py",
        "./here/b.py",
        "a//b/c.py",
    ]
    for path in listed:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text("")
    record = "\n".join(f'"{p}",,' if "," in p else f"{p},sha256=abc,0" for p in listed)
    _distribution(
        site,
        "odd_pkg-1.0.dist-info",
        {
            "METADATA": b"Metadata-Version: 2.1\nname:   Odd-Pkg  \nVersion: 1.0\n\nName: not-this\n",
            "RECORD": record.encode(),
        },
    )
    (site / "plain.py").write_text("")
    _distribution(
        site, "plain-2.0.dist-info", {"METADATA": b"Name: plain\nVersion: 2.0\n", "RECORD": b"plain.py,,\n"}
    )
    _distribution(
        site,
        "declared-1.0.dist-info",
        {
            "METADATA": b"Name: declared\nVersion: 1.0\n",
            "top_level.txt": b"one\ntwo\n",
            "RECORD": b"three/x.py,,\n",
        },
    )
    _distribution(
        site, "empty-1.0.dist-info", {"METADATA": b"Name: empty\nVersion: 1.0\n", "RECORD": b"x.txt,,\n"}
    )
    (site / "eggy").mkdir()
    (site / "eggy" / "__init__.py").write_text("")
    _distribution(
        site,
        "eggy-1.0.egg-info",
        {
            "PKG-INFO": b"Metadata-Version: 1.0\nName: eggy\nVersion: 1.0\n",
            "SOURCES.txt": b"eggy/__init__.py\n",
        },
    )
    (site / "folded.py").write_text("")
    _distribution(
        site,
        "folded-1.0.dist-info",
        {"METADATA": b"Name: fol\n ded\nVersion: 1\n", "RECORD": b"folded.py,,\n"},
    )
    monkeypatch.setattr(sys, "path", [str(site)])
    ours = installed.packages_distributions()
    assert ours == importlib.metadata.packages_distributions()
    assert ours["oddpkg"] == ["Odd-Pkg  "] and ours["one"] == ["declared"] and "three" not in ours
    assert {"..", "/", "single", "dotted.name", "a", "here"} <= set(ours) and "data" not in ours


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="later Pythons: importlib's own mapping")
def test_a_distribution_without_a_name_or_readable_files_is_no_error(tmp_path, monkeypatch, fresh_mapping):
    """importlib raises for these (a RECORD that is not UTF-8; with the backport, a missing
    Name): zenrun maps what it can, and the others as importlib maps them."""
    site = tmp_path / "site"
    for name in ("headless.py", "garbled.py", "fine/__init__.py"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("")
    _distribution(
        site, "headless-1.0.dist-info", {"METADATA": b"\nName: headless\n", "RECORD": b"headless.py,,\n"}
    )
    _distribution(
        site, "garbled-1.0.dist-info", {"METADATA": b"Name: garbled\n", "RECORD": b"\xff\xfegarbled.py,,\n"}
    )
    _distribution(
        site, "fine-1.0.dist-info", {"METADATA": b"Name: fine\n", "RECORD": b"fine/__init__.py,,\n"}
    )
    monkeypatch.setattr(sys, "path", [str(site)])
    found = installed.packages_distributions()
    assert found["headless"] == [None] and found["fine"] == ["fine"]
    assert not any("garbled" in root for root in found)


def test_a_caller_waits_for_the_build_in_the_background_rather_than_reading_again(monkeypatch, fresh_mapping):
    reads: list[str] = []
    reading, finish = threading.Event(), threading.Event()
    read = installed._read_index

    def slow_read():
        reads.append(threading.current_thread().name)
        reading.set()
        assert finish.wait(30)
        return read()

    monkeypatch.setattr(installed, "_read_index", slow_read)
    installed.build_in_background()
    assert reading.wait(30)
    got = []
    caller = threading.Thread(target=lambda: got.append(installed.packages_distributions()))
    caller.start()
    finish.set()
    caller.join(30)
    assert reads == ["zenrun-installed-index"]
    assert got == [installed.packages_distributions()] and "pluggy" in got[0]
    installed.build_in_background()  # built already: nothing is read again
    assert reads == ["zenrun-installed-index"]


def test_a_process_exits_only_after_the_background_build_ends(tmp_path):
    # A daemon thread still importing and reading files while the interpreter shuts down
    # can crash it: a session shorter than the build (a -x stop) waits for it at exit.
    import subprocess

    done = tmp_path / "built"
    script = tmp_path / "short_session.py"
    script.write_text(
        "import time\n"
        "from zenrun import installed\n"
        "def slow_read():\n"
        "    time.sleep(0.5)\n"
        f"    open({str(done)!r}, 'w').write('yes')\n"
        "    return {}\n"
        "installed._read_index = slow_read\n"
        "installed.build_in_background()\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert done.read_text() == "yes"
