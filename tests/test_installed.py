"""Which installed distribution provides a module: zenrun's reading of the metadata files
must give exactly what importlib.metadata gives, in this environment and in odd ones."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from zenrun import installed


@pytest.fixture
def fresh_mapping():
    installed.packages_distributions.cache_clear()
    try:
        yield
    finally:
        installed.packages_distributions.cache_clear()


def test_the_installed_distributions_map_as_importlib_maps_them(fresh_mapping):
    found = installed.packages_distributions()
    assert found == importlib.metadata.packages_distributions()
    assert "pluggy" in found["pluggy"] and "scikit-learn" not in found.get("pluggy", [])


def test_records_of_every_form_map_as_importlib_maps_them(tmp_path, monkeypatch, fresh_mapping):
    """RECORD lines with quoted commas, ``..`` and absolute paths, a name ``.py``, a file at
    the top level; a declared top_level.txt; an egg with SOURCES.txt; odd Name headers."""
    site = tmp_path / "site"
    site.mkdir()

    def dist(folder: str, files: dict[str, str]) -> None:
        (site / folder).mkdir()
        for name, text in files.items():
            (site / folder / name).write_text(text)

    dist(
        "odd_pkg-1.0.dist-info",
        {
            "METADATA": "Metadata-Version: 2.1\nname:   Odd-Pkg  \nVersion: 1.0\n\nName: not-this\n",
            "RECORD": "\n".join(
                [
                    "oddpkg/__init__.py,sha256=abc,10",
                    '"odd,comma/x.py",sha256=abc,3',
                    "../../bin/tool.py,,",
                    "/abs/where/mod.py,,",
                    "sub/.py,,",
                    ".py,,",
                    "single.py,,",
                    "data/file.txt,,",
                    "oddpkg/lib.so,,",
                    "dotted.name/a.py,,",
                    "./here/b.py,,",
                    "a//b/c.py,,",
                ]
            ),
        },
    )
    dist(
        "plain-2.0.dist-info",
        {"METADATA": "Name: plain\nVersion: 2.0\n", "RECORD": "plain.py,,\nplain-2.0.dist-info/RECORD,,\n"},
    )
    dist(
        "declared-1.0.dist-info",
        {
            "METADATA": "Name: declared\nVersion: 1.0\n",
            "top_level.txt": "one\ntwo\n",
            "RECORD": "three/x.py,,\n",
        },
    )
    dist(
        "empty-1.0.dist-info",
        {"METADATA": "Name: empty\nVersion: 1.0\n", "RECORD": "empty-1.0.dist-info/METADATA,,\n"},
    )
    dist(
        "eggy-1.0.egg-info",
        {
            "PKG-INFO": "Metadata-Version: 1.0\nName: eggy\nVersion: 1.0\n",
            "SOURCES.txt": "eggy/__init__.py\nsetup.py\n",
        },
    )
    dist("headless-1.0.dist-info", {"METADATA": "\nName: headless\n", "RECORD": "headless.py,,\n"})
    dist("folded-1.0.dist-info", {"METADATA": "Name: fol\n ded\nVersion: 1\n", "RECORD": "folded.py,,\n"})
    monkeypatch.setattr(sys, "path", [str(site)])
    ours = installed.packages_distributions()
    theirs = importlib.metadata.packages_distributions()
    assert ours == theirs
    assert ours["oddpkg"] == ["Odd-Pkg  "] and ours["one"] == ["declared"] and "three" not in ours
