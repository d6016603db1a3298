"""Configuration in INI files, as pytest reads ``pytest.ini``, ``tox.ini`` and ``setup.cfg``."""

from __future__ import annotations

import pytest

PIPELINES = """
import zenrun
from zenrun import pipeline

@zenrun.mark.slow
@pipeline
def long_one():
    pass

@pipeline
def short_one():
    pass
"""


def test_tox_ini_zenrun_section_configures_the_run(zenrunner):
    zenrunner.makepyfile(pipeline_ini=PIPELINES)
    zenrunner.makeini(
        """
        [zenrun]
        addopts = -m "not slow"
            -p no:results
        markers =
            slow: takes long
        strict_markers = true
        """
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["configfile: tox.ini"])
    config = zenrunner.parseconfig()
    assert config.inipath.name == "tox.ini"
    assert config.getini("markers") == ["slow: takes long"]
    assert config.getini("strict_markers") is True


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        ({"zenrun.toml": "", "zenrun.ini": "[zenrun]\n", "tox.ini": "[zenrun]\n"}, "zenrun.toml"),
        ({"zenrun.ini": "# no section: still the config file\n", "tox.ini": "[zenrun]\n"}, "zenrun.ini"),
        ({".zenrun.ini": "[zenrun]\n", "pyproject.toml": "[tool.zenrun]\n"}, ".zenrun.ini"),
        ({"pyproject.toml": "[tool.zenrun]\n", "tox.ini": "[zenrun]\n"}, "pyproject.toml"),
        ({"tox.ini": "[zenrun]\n", "setup.cfg": "[tool:zenrun]\n"}, "tox.ini"),
        ({"tox.ini": "[tox]\n", "setup.cfg": "[tool:zenrun]\n"}, "setup.cfg"),
    ],
    ids=[
        "toml-first",
        "zenrun-ini-always",
        "dot-ini",
        "pyproject-before-tox",
        "tox-before-cfg",
        "tox-without-section",
    ],
)
def test_which_file_configures_in_one_directory(zenrunner, files, chosen):
    (zenrunner.path / "zenrun.toml").unlink()
    for name, text in files.items():
        (zenrunner.path / name).write_text(text)
    sub = zenrunner.mkdir("sub")
    config = zenrunner.parseconfig(str(sub))
    assert config.inipath == zenrunner.path / chosen
    assert config.rootpath == zenrunner.path


def test_setup_cfg_needs_the_tool_prefix_and_a_broken_file_says_where(zenrunner):
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makepyfile(pipeline_ini=PIPELINES)
    (zenrunner.path / "setup.cfg").write_text("[zenrun]\naddopts = -x\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*setup.cfg: [[]zenrun[]] in setup.cfg is not read: name the section [[]tool:zenrun[]]*"]
    )

    (zenrunner.path / "setup.cfg").unlink()
    (zenrunner.path / "zenrun.ini").write_text("[zenrun]\nmarkers =\n    slow: x\nnot a key\n")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*zenrun.ini:4: invalid INI: neither a [[]section[]] nor a key: 'not a key*"]
    )


def test_dash_c_reads_an_ini_files_zenrun_section(zenrunner):
    zenrunner.makepyfile(pipeline_ini=PIPELINES)
    custom = zenrunner.makefile(".ini", custom="[zenrun]\naddopts = -k short -p no:results\n")
    result = zenrunner.runzenrun_inprocess("-c", str(custom))
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["configfile: custom.ini"])


def test_ini_strings_are_typed_as_getini_declares(zenrunner):
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("flag", "a bool", type="bool", default=True)
            parser.addini("words", "args", type="args")
            parser.addini("count", "an int", type="int", default=0)
        """
    )
    cfg = zenrunner.getinicfg("[zenrun]\nflag = no\nwords = a 'b c'\ncount = 7\nstrict = false\n")
    assert cfg == {"flag": "no", "words": "a 'b c'", "count": "7", "strict": "false"}
    config = zenrunner.parseconfig()
    assert config.getini("flag") is False
    assert config.getini("words") == ["a", "b c"]
    assert config.getini("count") == 7
    zenrunner.makepyfile(pipeline_ini=PIPELINES)
    # `strict = false` read as false: the unregistered mark is a warning, not an error
    zenrunner.runzenrun_inprocess("-p", "no:results").assert_outcomes(passed=2, warnings=1)


def test_an_unknown_key_given_with_o_under_strict_config_says_so(zenrunner):
    """Not ``(in None)`` when the key came from ``-o`` and no config file names it."""
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makepyfile(pipeline_a="from zenrun import pipeline\n\n@pipeline\ndef p():\n    pass\n")
    result = zenrunner.run("--strict-config", "-o", "orchestrator=threads")
    assert result.ret == 4
    assert "Unknown config option: orchestrator\n  (in -o/--override-ini)" in result.stderr
