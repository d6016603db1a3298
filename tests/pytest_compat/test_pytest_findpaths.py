"""Port of pytest's ``testing/test_findpaths.py`` (pytest-dev/pytest): reading a config
file and the common ancestor of the arguments, on zenrun's ``zenrun.config.findpaths``
(``load_config_file`` is pytest's ``load_config_dict_from_file``, ``common_ancestor``
its ``get_common_ancestor``).

zenrun reads TOML only: ``zenrun.toml`` holds the keys without a header (as
``pytest.toml``'s ``[pytest]`` table), ``pyproject.toml`` its ``[tool.zenrun]`` table,
another ``.toml`` (``-c custom.toml``) its ``[tool.zenrun]`` table, else all of it;
values keep their TOML types (pytest's ini mode turns them into strings). Not
applicable: the ``.ini`` / ``.cfg`` cases (``test_pytest_ini``, ``test_custom_ini*``,
``test_*cfg_file``), ``test_native_*`` (pytest's two table styles),
``test_custom_toml_file_with_top_level_options`` (top-level keys are zenrun's
format) and ``test_is_fs_root`` (a private helper).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zenrun.config import UsageError
from zenrun.config.findpaths import common_ancestor, determine_rootdir, load_config_file


def test_empty_zenrun_toml(tmp_path: Path) -> None:
    """pytest's ``test_empty_pytest_ini``: the tool's own file is a config, even empty."""
    fn = tmp_path / "zenrun.toml"
    fn.write_text("", encoding="utf-8")
    assert load_config_file(fn) == {}


def test_zenrun_toml(tmp_path: Path) -> None:
    fn = tmp_path / "zenrun.toml"
    fn.write_text("x = 1\n", encoding="utf-8")
    assert load_config_file(fn) == {"x": 1}


def test_invalid_toml_file(tmp_path: Path) -> None:
    fn = tmp_path / "myconfig.toml"
    fn.write_text("]invalid toml[", encoding="utf-8")
    with pytest.raises(UsageError):
        load_config_file(fn)


def test_custom_toml_file_reads_tool_table(tmp_path: Path) -> None:
    fn = tmp_path / "myconfig.toml"
    fn.write_text('[tool.zenrun]\nx = 1\nvalues = ["tests", "integration"]\n', encoding="utf-8")
    assert load_config_file(fn) == {"x": 1, "values": ["tests", "integration"]}


def test_pyproject_without_table(tmp_path: Path) -> None:
    """pytest's ``test_custom_toml_file``: a pyproject without the tool's table holds no config."""
    fn = tmp_path / "pyproject.toml"
    fn.write_text("[build_system]\nx = 1\n", encoding="utf-8")
    assert load_config_file(fn) is None


def test_valid_toml_file(tmp_path: Path) -> None:
    fn = tmp_path / "pyproject.toml"
    fn.write_text(
        '[tool.zenrun]\nx = 1\ny = 20.0\nvalues = ["tests", "integration"]\nname = "foo"\n'
        'heterogeneous_array = [1, "str"]\n',
        encoding="utf-8",
    )
    assert load_config_file(fn) == {
        "x": 1,
        "y": 20.0,
        "values": ["tests", "integration"],
        "name": "foo",
        "heterogeneous_array": [1, "str"],
    }


def test_invalid_suffix(tmp_path: Path) -> None:
    fn = tmp_path / "zenrun.config"
    fn.write_text("", encoding="utf-8")
    assert load_config_file(fn) is None


def test_has_ancestor(tmp_path: Path) -> None:
    fn1 = tmp_path / "foo" / "bar" / "test_1.py"
    fn1.parent.mkdir(parents=True)
    fn1.touch()
    fn2 = tmp_path / "foo" / "zaz" / "test_2.py"
    fn2.parent.mkdir(parents=True)
    fn2.touch()
    assert common_ancestor([fn1, fn2]) == tmp_path / "foo"
    assert common_ancestor([fn1.parent, fn2]) == tmp_path / "foo"
    assert common_ancestor([fn1.parent, fn2.parent]) == tmp_path / "foo"
    assert common_ancestor([fn1, fn2.parent]) == tmp_path / "foo"


def test_single_dir(tmp_path: Path) -> None:
    assert common_ancestor([tmp_path]) == tmp_path


def test_single_file(tmp_path: Path) -> None:
    fn = tmp_path / "foo.py"
    fn.touch()
    assert common_ancestor([fn]) == tmp_path


def test_get_dirs_from_args(tmp_path: Path) -> None:
    """Missing paths and option values (``--foobar=/foo.txt``, xdist's ``popen=c:/dest``)
    do not count for the rootdir."""
    fn = tmp_path / "foo.py"
    fn.touch()
    d = tmp_path / "tests"
    d.mkdir()
    (tmp_path / "zenrun.toml").write_text("")
    args = [str(fn), str(tmp_path / "does_not_exist"), str(d), "--foobar=/foo.txt", "popen=c:/dest"]
    rootdir, inipath, _ = determine_rootdir(args, cwd=Path("/"))
    assert rootdir == tmp_path
    assert inipath == tmp_path / "zenrun.toml"
