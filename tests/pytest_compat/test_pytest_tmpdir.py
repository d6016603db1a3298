"""Port of pytest's ``testing/test_tmpdir.py`` (pytest-dev/pytest): the ``tmp_path`` /
``tmp_path_factory`` built-in fixtures, ``--basetemp`` and the retention options.

pytester's ``_test_tmproot`` is the directory ``ZENRUN_DEBUG_TEMPROOT`` names here (pytest's
``PYTEST_DEBUG_TEMPROOT``); the base directories are ``zenrun-of-<user>/zenrun-N``. Test
modules are turned into pipeline modules with ``porting.pipelines``. Not ported (listed in
README.md): pytest's ``pathlib`` helpers (``TestNumberedDir``, ``TestRmRf``: ``make_numbered_dir``,
``rm_rf``, ``on_rm_rf_error``, lock files), ``test_tmp_path_fallback_tox_env`` /
``test_tmp_path_fallback_uid_not_found`` / ``test_get_user_uid_not_found`` (pytest's ``USER``
fallbacks through ``getpass``), ``test_get_user`` (Windows).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from porting import pipelines

from zenrun.tmpdir import TempPathFactory, _get_user


@pytest.fixture
def temproot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pytester's ``_test_tmproot``: where the runs' ``zenrun-of-<user>`` directories go."""
    root = tmp_path / "temproot"
    root.mkdir()
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(root))
    return root


def make(zenrunner, **files: str) -> None:
    zenrunner.makepyfile(**{"pipeline_" + name: pipelines(src) for name, src in files.items()})


def test_tmp_path_fixture(zenrunner, temproot) -> None:
    make(
        zenrunner,
        tmp_path_fixture="""
import pytest

@pytest.mark.parametrize("a", [r"qwe/\\abc"])
def test_fixture(tmp_path, a):
    assert tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []
""",
    )
    zenrunner.runzenrun_inprocess().stdout.fnmatch_lines(["*1 passed*"])


class TestTmpPathHandler:
    def test_mktemp(self, tmp_path: Path) -> None:
        t = TempPathFactory(tmp_path, 3, "all")
        tmp = t.mktemp("world")
        assert str(tmp.relative_to(t.getbasetemp())) == "world0"
        tmp = t.mktemp("this")
        assert str(tmp.relative_to(t.getbasetemp())).startswith("this")
        tmp2 = t.mktemp("this")
        assert str(tmp2.relative_to(t.getbasetemp())).startswith("this")
        assert tmp2 != tmp

    def test_tmppath_relative_basetemp_absolute(self, tmp_path: Path, monkeypatch) -> None:
        """#4425"""
        monkeypatch.chdir(tmp_path)
        t = TempPathFactory(Path("hello"), 3, "all")
        assert t.getbasetemp().resolve() == (tmp_path / "hello").resolve()


def _basedirs(temproot: Path) -> list[list[Path]]:
    return [[p for p in child.iterdir() if not p.is_symlink()] for child in temproot.iterdir()]


class TestConfigTmpPath:
    def test_getbasetemp_custom_removes_old(self, zenrunner, temproot) -> None:
        mytemp = zenrunner.path / "xyz"
        make(zenrunner, one="def test_1(tmp_path):\n    pass\n")
        zenrunner.runzenrun_inprocess(f"--basetemp={mytemp}")
        assert mytemp.exists()
        mytemp.joinpath("hello").touch()
        zenrunner.runzenrun_inprocess(f"--basetemp={mytemp}")
        assert mytemp.exists()
        assert not mytemp.joinpath("hello").exists()

    def test_policy_none_delete_all(self, zenrunner, temproot) -> None:
        make(zenrunner, passing="def test_1(tmp_path):\n    assert 0 == 0\n")
        make(zenrunner, another_file_name="def test_1(tmp_path):\n    assert 0 == 1\n")
        zenrunner.maketoml('tmp_path_retention_policy = "none"')
        zenrunner.runzenrun_inprocess("pipeline_passing.py")
        zenrunner.runzenrun_inprocess("pipeline_another_file_name.py")
        assert _basedirs(temproot) == [[]]

    @pytest.mark.parametrize("policy", ['"failed"', '"all"'])
    @pytest.mark.parametrize("count", [0, 1, 3])
    def test_retention_count(self, zenrunner, temproot, policy, count) -> None:
        make(zenrunner, passing="def test_1(tmp_path):\n    assert 0 == 0\n")
        make(zenrunner, another_file_name="def test_1(tmp_path):\n    assert 0 == 1\n")
        zenrunner.maketoml(f"tmp_path_retention_policy = {policy}\ntmp_path_retention_count = {count}")
        for _ in range(4):
            zenrunner.runzenrun_inprocess("pipeline_passing.py")
            zenrunner.runzenrun_inprocess("pipeline_another_file_name.py")
        for base_dirs in _basedirs(temproot):
            assert len(base_dirs) == count

    def test_policy_failed_removes_only_passed_dir(self, zenrunner, temproot) -> None:
        make(
            zenrunner,
            two="def test_1(tmp_path):\n    assert 0 == 0\n\ndef test_2(tmp_path):\n    assert 0 == 1\n",
        )
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.runzenrun_inprocess()
        for child in temproot.iterdir():
            base_dir = [p for p in child.iterdir() if p.is_dir() and not p.is_symlink()]
            assert len(base_dir) == 1
            test_dir = [p for p in base_dir[0].iterdir() if p.is_dir() and not p.is_symlink()]
            assert len(test_dir) == 1
            assert test_dir[0].name == "test_20"

    def test_policy_failed_removes_basedir_when_all_passed(self, zenrunner, temproot) -> None:
        make(zenrunner, one="def test_1(tmp_path):\n    assert 0 == 0\n")
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.runzenrun_inprocess()
        assert _basedirs(temproot) == [[]]

    def test_policy_failed_removes_dir_when_skipped_from_fixture(self, zenrunner, temproot) -> None:
        make(
            zenrunner,
            skipped="""
import pytest

@pytest.fixture
def fixt(tmp_path):
    pytest.skip()

def test_fixt(fixt):
    pass
""",
        )
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.runzenrun_inprocess()
        assert _basedirs(temproot) == [[]]

    def test_policy_all_keeps_dir_when_skipped_from_fixture(self, zenrunner, temproot) -> None:
        make(
            zenrunner,
            skipped="""
import pytest

@pytest.fixture
def fixt(tmp_path):
    pytest.skip()

def test_fixt(fixt):
    pass
""",
        )
        zenrunner.maketoml('tmp_path_retention_policy = "all"')
        zenrunner.runzenrun_inprocess()
        for child in temproot.iterdir():
            base_dir = [p for p in child.iterdir() if p.is_dir() and not p.is_symlink()]
            assert len(base_dir) == 1
            test_dir = [p for p in base_dir[0].iterdir() if p.is_dir() and not p.is_symlink()]
            assert len(test_dir) == 1


testdata = [
    ("mypath", True),
    ("/mypath1", False),
    ("./mypath1", True),
    ("../mypath3", False),
    ("../../mypath4", False),
    ("mypath5/..", False),
    ("mypath6/../mypath6", True),
    ("mypath7/../mypath7/..", False),
]


@pytest.mark.parametrize("basename, is_ok", testdata)
def test_mktemp(zenrunner, temproot, basename: str, is_ok: bool) -> None:
    mytemp = zenrunner.path / "mytemp"
    mytemp.mkdir()
    make(
        zenrunner,
        mk=f"def test_abs_path(tmp_path_factory):\n    tmp_path_factory.mktemp('{basename}', numbered=False)\n",
    )
    result = zenrunner.runzenrun_inprocess(f"--basetemp={mytemp}")
    if is_ok:
        assert result.ret == 0
        assert mytemp.joinpath(basename).exists()
    else:
        assert result.ret == 1
        result.stdout.fnmatch_lines("*ValueError*")


def test_tmp_path_always_is_realpath(zenrunner, tmp_path, monkeypatch) -> None:
    realtemp = tmp_path / "myrealtemp"
    realtemp.mkdir()
    linktemp = tmp_path / "symlinktemp"
    linktemp.symlink_to(realtemp)
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(linktemp))
    make(zenrunner, real="def test_1(tmp_path):\n    assert tmp_path.resolve() == tmp_path\n")
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_tmp_path_too_long_on_parametrization(zenrunner, temproot) -> None:
    make(
        zenrunner,
        long="""
import pytest
@pytest.mark.parametrize("arg", ["1"*1000])
def test_some(arg, tmp_path):
    tmp_path.joinpath("hello").touch()
""",
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_tmp_path_factory(zenrunner, temproot) -> None:
    make(
        zenrunner,
        factory="""
import pytest
@pytest.fixture(scope='session')
def session_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('data', numbered=False)
def test_some(session_dir):
    assert session_dir.is_dir()
""",
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_basetemp_with_read_only_files(zenrunner, temproot) -> None:
    """Integration test for #5524"""
    make(
        zenrunner,
        readonly="""
import os
import stat

def test(tmp_path):
    fn = tmp_path / 'foo.txt'
    fn.write_text('hello', encoding='utf-8')
    mode = os.stat(str(fn)).st_mode
    os.chmod(str(fn), mode & ~stat.S_IREAD)
""",
    )
    result = zenrunner.runzenrun_inprocess("--basetemp=tmp")
    assert result.ret == 0
    result = zenrunner.runzenrun_inprocess("--basetemp=tmp")
    assert result.ret == 0


def test_tmp_path_factory_handles_invalid_dir_characters(temproot, monkeypatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "os/<:*?;>agnostic")
    p = TempPathFactory(None, 3, "all").getbasetemp()
    assert "zenrun-of-unknown" in str(p)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="checks unix permissions")
def test_tmp_path_factory_create_directory_with_safe_permissions(temproot) -> None:
    basetemp = TempPathFactory(None, 3, "all").getbasetemp()
    assert (basetemp.stat().st_mode & 0o077) == 0
    assert (basetemp.parent.stat().st_mode & 0o077) == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="checks unix permissions")
def test_tmp_path_factory_fixes_up_world_readable_permissions(temproot) -> None:
    basetemp = TempPathFactory(None, 3, "all").getbasetemp()
    os.chmod(basetemp.parent, 0o777)
    assert (basetemp.parent.stat().st_mode & 0o077) != 0
    basetemp = TempPathFactory(None, 3, "all").getbasetemp()
    assert (basetemp.parent.stat().st_mode & 0o077) == 0


@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.stat not in os.supports_follow_symlinks,
    reason="checks unix permissions and symlinks",
)
def test_tmp_path_factory_doesnt_follow_symlinks(tmp_path, temproot) -> None:
    attacker_controlled = tmp_path / "attacker_controlled"
    attacker_controlled.mkdir()
    zenrun_of_user = TempPathFactory(None, 3, "all").getbasetemp().parent
    assert "zenrun-of-" in str(zenrun_of_user)
    import shutil

    shutil.rmtree(zenrun_of_user)
    zenrun_of_user.symlink_to(attacker_controlled)
    with pytest.raises(OSError, match=r"temporary directory .* is a symbolic link"):
        TempPathFactory(None, 3, "all").getbasetemp()


def test_get_user_handles_getpass_oserror(monkeypatch) -> None:
    import getpass

    def _raise_oserror():
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", _raise_oserror)
    assert _get_user() is None


def test_tmp_path_retention_policy_invalid(zenrunner) -> None:
    zenrunner.maketoml('tmp_path_retention_policy = "compress"')
    make(zenrunner, t="def test():\n    pass\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *config option 'tmp_path_retention_policy' expects one of 'all' | 'failed' | 'none', got 'compress'"
        ]
    )


# From testing/test_main.py (``--basetemp`` validation; not applicable before).
@pytest.mark.parametrize("basetemp", ["foo", "foo/bar"])
def test_validate_basetemp_ok(tmp_path, basetemp, monkeypatch) -> None:
    from zenrun.tmpdir import _validate_basetemp

    monkeypatch.chdir(str(tmp_path))
    _validate_basetemp(tmp_path / basetemp)


@pytest.mark.parametrize("basetemp", ["", ".", ".."])
def test_validate_basetemp_fails(tmp_path, basetemp, monkeypatch) -> None:
    import argparse

    from zenrun.tmpdir import _validate_basetemp

    monkeypatch.chdir(str(tmp_path))
    msg = "basetemp must not be empty, the current working directory or any parent directory of it"
    if basetemp:
        basetemp = tmp_path / basetemp
    with pytest.raises(argparse.ArgumentTypeError, match=msg):
        _validate_basetemp(basetemp)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_validate_basetemp_integration(zenrunner) -> None:
    make(zenrunner, t="def test(tmp_path):\n    pass\n")
    result = zenrunner.runzenrun_inprocess("--basetemp=.")
    assert result.ret == 4
    result.stderr.fnmatch_lines("*basetemp must not be*")
