"""Port of pytest's ``testing/test_config.py`` (pytest-dev/pytest): config files and the
rootdir, ``addopts`` / ``$ZENRUN_ADDOPTS``, ``-o`` / ``--override-ini``, ``-c``,
``--confcutdir``, ``parser.addini`` types and ``config.getini`` / ``getoption``,
unknown keys and ``--strict-config``, ``-p no:NAME``.

pytest's config files are zenrun's: ``pytest.ini`` / ``tox.ini`` / ``setup.cfg``
become ``zenrun.toml`` (the keys without a header, in TOML), ``[tool.pytest.ini_options]``
of ``pyproject.toml`` is ``[tool.zenrun]``. ``pytester.parseconfig(*args)`` is
:func:`parseconfig`: a run with ``--co`` whose ``Config`` a plugin keeps.
``pytestconfig`` is ``request.config`` in a fixture. Values written as INI text in pytest
are written in TOML here (``strip = "no"``: a string, as INI reads every value).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from porting import pipelines

from zenrun.config import BUILTIN_PLUGINS, ESSENTIAL_PLUGINS


class _Grab:
    """A plugin that keeps the session's Config (``pytester.parseconfig``)."""

    config: Any = None

    def zenrun_configure(self, config: Any) -> None:
        self.config = config


def parseconfig(zenrunner: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    """The Config of ``zenrun --co ARGS`` in the project (None when it did not start);
    the run's result is its ``result`` attribute."""
    grab = _Grab()
    result = zenrunner.runzenrun_inprocess("--co", *args, plugins=[grab], env=env)
    if grab.config is not None:
        grab.config.result = result
    return grab.config if grab.config is not None else result


PASSING = pipelines("def test(): pass")
CONFIG_FIXTURE = """
import zenrun

@zenrun.fixture
def zenrunconfig(request):
    return request.config
"""


# -- TestParseIni ------------------------------------------------------------------------


def test_append_parse_args(zenrunner) -> None:
    zenrunner.maketoml('addopts = "--verbose"')
    config = parseconfig(zenrunner, env={"ZENRUN_ADDOPTS": '--color no -rs --tb="short"'})
    assert config.getoption("color") == "no"
    assert config.getoption("reportchars") == "s"
    assert config.getoption("tbstyle") == "short"
    assert config.getoption("verbose")


@pytest.mark.parametrize("flag", ("-r", "--report-chars="))
@pytest.mark.parametrize("value", ("fE", "A", "fs"))
def test_report_chars_option(zenrunner, flag: str, value: str) -> None:
    config = parseconfig(zenrunner, env={"ZENRUN_ADDOPTS": flag + value})
    assert config.getoption("reportchars") == value


def test_tox_ini_wrong_version(zenrunner) -> None:
    zenrunner.maketoml('minversion = "999.0"')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*zenrun.toml: 'minversion' requires zenrun-999.0, actual zenrun-*"])


@pytest.mark.parametrize("name", ["zenrun.toml", "pyproject.toml"])
def test_toml_config_names(zenrunner, name: str) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    text = 'minversion = "0.0.1"\n' if name == "zenrun.toml" else '[tool.zenrun]\nminversion = "0.0.1"\n'
    (zenrunner.path / name).write_text(text)
    config = parseconfig(zenrunner)
    assert config.inipath == zenrunner.path / name
    assert config.getini("minversion") == "0.0.1"


def test_toml_config_names_without_section_errors(zenrunner) -> None:
    """pytest: a ``pytest.toml`` without a ``[pytest]`` table is an error; zenrun's
    ``zenrun.toml`` holds the keys without a header, so a ``[tool.zenrun]`` of a
    ``pyproject.toml`` is what needs the header: one without it is not a config."""
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_text('minversion = "1.0"\n')
    config = parseconfig(zenrunner)
    assert config.inipath == zenrunner.path / "pyproject.toml"
    with pytest.raises(ValueError):
        config.getini("custom")


def test_empty_pyproject_toml(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "pyproject.toml").write_text("")
    config = parseconfig(zenrunner)
    assert config.inipath == zenrunner.path / "pyproject.toml"


def test_empty_pyproject_toml_found_many(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makefile(".toml", **{"pyproject": "", "foo/pyproject": "", "foo/bar/pyproject": ""})
    config = parseconfig(zenrunner, str(zenrunner.path / "foo/bar"))
    assert config.inipath == zenrunner.path / "foo/bar/pyproject.toml"


def test_empty_zenrun_toml(zenrunner) -> None:
    """pytest's ``test_empty_pytest_toml``: an empty file of the tool's own name is a config."""
    config = parseconfig(zenrunner)
    assert config.inipath == zenrunner.path / "zenrun.toml"


def test_zenrun_toml_trumps_pyproject_toml(zenrunner) -> None:
    zenrunner.maketoml('minversion = "0.0.1"')
    (zenrunner.path / "pyproject.toml").write_text('[tool.zenrun]\nminversion = "0.0.2"\n')
    config = parseconfig(zenrunner)
    assert config.inipath == zenrunner.path / "zenrun.toml"
    assert config.getini("minversion") == "0.0.1"


def test_toml_parse_error(zenrunner) -> None:
    (zenrunner.path / "pyproject.toml").write_text('\\"\n')
    (zenrunner.path / "zenrun.toml").unlink()
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines("ERROR: *pyproject.toml: *Invalid statement*")


def test_zenrun_toml_parse_error(zenrunner) -> None:
    zenrunner.maketoml('\\"\n')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stderr.fnmatch_lines("ERROR: *zenrun.toml: *Invalid statement*")


def test_confcutdir_default_without_configfile(zenrunner) -> None:
    """No config file: conftests above the rootdir (the invocation directory) are not loaded."""
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makeconftest("raise Exception('loaded the conftest above the rootdir')")
    sub = zenrunner.path / "sub"
    sub.mkdir()
    result = zenrunner.runzenrun_inprocess(cwd=sub)
    assert result.ret == 5, result.stderr.str()


def test_confcutdir_default_with_configfile(zenrunner) -> None:
    """A config file: conftests from its directory down are loaded, above it not."""
    zenrunner.makeconftest("raise Exception('loaded')")
    sub = zenrunner.path / "sub"
    sub.mkdir()
    result = zenrunner.runzenrun_inprocess(cwd=sub)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*Exception: loaded*"])


_UNKNOWN_CASES = [
    pytest.param(
        'unknown_ini = "value1"\nanother_unknown_ini = "value2"\n',
        ["another_unknown_ini", "unknown_ini"],
        [
            "=*= warnings summary =*=",
            "*ConfigWarning:*Unknown config option: another_unknown_ini",
            "*ConfigWarning:*Unknown config option: unknown_ini",
        ],
        "Unknown config option: another_unknown_ini",
        id="2-unknowns",
    ),
    pytest.param(
        'unknown_ini = "value1"\nminversion = "0.1"\n',
        ["unknown_ini"],
        ["=*= warnings summary =*=", "*ConfigWarning:*Unknown config option: unknown_ini"],
        "Unknown config option: unknown_ini",
        id="1-unknown",
    ),
    pytest.param('minversion = "0.1"\n', [], [], "", id="no-unknowns"),
    pytest.param("conftest_ini_key = 1\n", [], [], "", id="1-known"),
]


@pytest.mark.parametrize("toml_text, invalid_keys, warning_output, exception_text", _UNKNOWN_CASES)
def test_invalid_config_options(zenrunner, toml_text, invalid_keys, warning_output, exception_text) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("conftest_ini_key", "")
        """
    )
    zenrunner.makepyfile(PASSING)
    zenrunner.maketoml(toml_text)
    config = parseconfig(zenrunner)
    assert sorted(config.unknown_ini_keys()) == sorted(invalid_keys)

    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(warning_output)

    result = zenrunner.runzenrun_inprocess("--strict-config")
    if exception_text:
        result.stderr.fnmatch_lines("ERROR: *" + exception_text)
        assert result.ret == 4
    else:
        assert result.ret == 0, result.stderr.str()


def test_silence_unknown_key_warning(zenrunner) -> None:
    zenrunner.makepyfile(PASSING)
    zenrunner.maketoml('filterwarnings = ["ignore:Unknown config option"]\nfoobar = 1\n')
    result = zenrunner.runzenrun_inprocess()
    result.stdout.no_fnmatch_line("*ConfigWarning*")


@pytest.mark.parametrize("option", ["strict_config = true", "strict = true", 'addopts = "--strict-config"'])
def test_strict_config_ini_option(zenrunner, option: str) -> None:
    zenrunner.maketoml(f"unknown_option = 1\n{option}\n")
    result = zenrunner.runzenrun_inprocess()
    result.stderr.fnmatch_lines("ERROR: *Unknown config option: unknown_option")
    assert result.ret == 4


# -- TestConfigCmdlineParsing -------------------------------------------------------------


def test_explicitly_specified_config_file_is_loaded(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("custom", "")
        """
    )
    zenrunner.maketoml('custom = "0"')
    (zenrunner.path / "custom.toml").write_text('[tool.zenrun]\ncustom = "1"\nvalue = [\n]\n')
    for flag in ("-c", "--config-file"):
        config = parseconfig(zenrunner, flag, "custom.toml")
        assert config.getini("custom") == "1"
    (zenrunner.path / "custom_table.toml").write_text('custom = "1"\n')
    for flag in ("-c", "--config-file"):
        config = parseconfig(zenrunner, flag, "custom_table.toml")
        assert config.getini("custom") == "1"


@pytest.mark.parametrize("name", ["missing.ini", "missing.in", "missing.toml", "missing"])
def test_explicitly_specified_config_file_missing(zenrunner, name: str) -> None:
    result = parseconfig(zenrunner, "-c", name)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: *{name}*not found*"])


def test_explicitly_specified_config_file_unsupported_format(zenrunner) -> None:
    (zenrunner.path / "config.in").write_text('addopts = "-v"\n')
    result = parseconfig(zenrunner, "-c", "config.in")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *unsupported format*"])


def test_explicitly_specified_config_file_is_a_directory(zenrunner) -> None:
    (zenrunner.path / "somedir").mkdir()
    result = parseconfig(zenrunner, "-c", "somedir")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *is a directory*"])


def test_explicitly_specified_config_file_not_a_regular_file(zenrunner) -> None:
    zenrunner.makepyfile(PASSING)
    config = parseconfig(zenrunner, "--config-file", os.devnull, str(zenrunner.path))
    assert config.rootpath == zenrunner.path
    assert config.inipath == Path(os.devnull)


def test_absolute_path(zenrunner) -> None:
    """pytest's ``test_absolute_win32_path``: ``-c`` with an absolute path."""
    for flag in ("-c", "--config-file"):
        result = zenrunner.runzenrun_inprocess(flag, str(zenrunner.path / "zenrun.toml"))
        assert result.ret == 5


# -- TestConfigAPI --------------------------------------------------------------------------


def test_config_getoption_declared_option_name(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption("--hello", "-X", dest="hello")
        """
    )
    config = parseconfig(zenrunner, "--hello=this")
    for x in ("hello", "--hello", "-X"):
        assert config.getoption(x) == "this"
    with pytest.raises(ValueError):
        config.getoption("qweqwe")

    config_novalue = parseconfig(zenrunner)
    assert config_novalue.getoption("hello") is None
    assert config_novalue.getoption("hello", default=1) is None
    assert config_novalue.getoption("hello", default=1, skip=True) == 1


def test_config_getoption_undeclared_option_name(zenrunner) -> None:
    config = parseconfig(zenrunner)
    with pytest.raises(ValueError):
        config.getoption("x")
    assert config.getoption("x", default=1) == 1
    assert config.getoption("x", default=1, skip=True) == 1


def test_config_getoption_unicode(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption('--hello', type=str)
        """
    )
    config = parseconfig(zenrunner, "--hello=this")
    assert config.getoption("hello") == "this"


def test_config_getvalueorskip(zenrunner) -> None:
    import zenrun

    config = parseconfig(zenrunner)
    with pytest.raises(zenrun.skip.Exception):
        config.getvalueorskip("hello")
    assert config.getvalueorskip("verbose") == config.getoption("verbose")


def test_config_getvalueorskip_None(zenrunner) -> None:
    import zenrun

    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption("--hello")
        """
    )
    config = parseconfig(zenrunner)
    with pytest.raises(zenrun.skip.Exception):
        config.getvalueorskip("hello")


@pytest.mark.parametrize("maybe_type", ["not passed", "None", '"string"'])
def test_addini(zenrunner, maybe_type: str) -> None:
    type_string = "" if maybe_type == "not passed" else f", {maybe_type}"
    zenrunner.makeconftest(
        f"""
        def zenrun_addoption(parser):
            parser.addini("myname", "my new ini value"{type_string})
        """
    )
    zenrunner.maketoml('myname = "hello"')
    config = parseconfig(zenrunner)
    assert config.getini("myname") == "hello"
    with pytest.raises(ValueError):
        config.getini("other")


@pytest.mark.parametrize("config_type", ["string", "list"])
def test_addini_paths(zenrunner, config_type: str) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("paths", "my new ini value", type="paths")
            parser.addini("abc", "abc value")
        """
    )
    if config_type == "string":
        inipath = zenrunner.maketoml('paths = "hello world/sub.py"')
    else:
        inipath = zenrunner.maketoml('paths = ["hello", "world/sub.py"]')
    config = parseconfig(zenrunner)
    values = config.getini("paths")
    assert len(values) == 2
    assert values[0] == inipath.parent.joinpath("hello")
    assert values[1] == inipath.parent.joinpath("world/sub.py")
    with pytest.raises(ValueError):
        config.getini("other")


def _conftest_for_args(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("args", "new args", type="args")
            parser.addini("a2", "", "args", default="1 2 3".split())
        """
    )


@pytest.mark.parametrize("value", ['\'123 "123 hello" "this"\'', '["123", "123 hello", "this"]'])
def test_addini_args(zenrunner, value: str) -> None:
    """pytest's ``test_addini_args_ini_files`` and ``test_addini_args_pyproject_toml``."""
    _conftest_for_args(zenrunner)
    zenrunner.maketoml(f"args = {value}")
    config = parseconfig(zenrunner)
    assert config.getini("args") == ["123", "123 hello", "this"]
    assert config.getini("a2") == list("123")


@pytest.mark.parametrize("value", ['"""123 345\n  second line"""', '["123 345", "second line"]'])
def test_addini_linelist(zenrunner, value: str) -> None:
    """pytest's ``test_addini_linelist_ini_files`` and ``test_addini_linelist_pprojecttoml``."""
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("xy", "", type="linelist")
            parser.addini("a2", "", "linelist")
        """
    )
    zenrunner.maketoml(f"xy = {value}")
    config = parseconfig(zenrunner)
    assert config.getini("xy") == ["123 345", "second line"]
    assert config.getini("a2") == []


@pytest.mark.parametrize(
    "str_val, bool_val", [('"True"', True), ('"no"', False), ("false", False), ("no-ini", True)]
)
def test_addini_bool(zenrunner, str_val: str, bool_val: bool) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("strip", "", type="bool", default=True)
        """
    )
    if str_val != "no-ini":
        zenrunner.maketoml(f"strip = {str_val}")
    config = parseconfig(zenrunner)
    assert config.getini("strip") is bool_val


@pytest.mark.parametrize("str_val, int_val", [('"10"', 10), ("10", 10), ("no-ini", 2)])
def test_addini_int(zenrunner, str_val: str, int_val: int) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("ini_param", "", type="int", default=2)
        """
    )
    if str_val != "no-ini":
        zenrunner.maketoml(f"ini_param = {str_val}")
    config = parseconfig(zenrunner)
    assert config.getini("ini_param") == int_val


def test_addini_int_invalid(zenrunner) -> None:
    """pytest: a usage error when the value is read; zenrun: when the run starts."""
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("ini_param", "", type="int", default=2)
        """
    )
    zenrunner.maketoml('ini_param = ["foo"]')
    result = parseconfig(zenrunner)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *ini_param*"])


@pytest.mark.parametrize("str_val, float_val", [('"10.5"', 10.5), ("10.5", 10.5), ("no-ini", 2.2)])
def test_addini_float(zenrunner, str_val: str, float_val: float) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("ini_param", "", type="float", default=2.2)
        """
    )
    if str_val != "no-ini":
        zenrunner.maketoml(f"ini_param = {str_val}")
    config = parseconfig(zenrunner)
    assert config.getini("ini_param") == float_val


def test_addini_float_invalid(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("ini_param", "", type="float", default=2.2)
        """
    )
    zenrunner.maketoml('ini_param = ["foo"]')
    result = parseconfig(zenrunner)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *ini_param*"])


@pytest.mark.parametrize(
    ("type_", "message"),
    [
        (
            '"bogus"',
            "invalid type for ini option 'k': 'bogus', declared in *conftest.py (expected one of 'string', *",
        ),
        ("list", "invalid type for ini option 'k': <class 'list'>*"),
        ("int | list", "invalid type for ini option 'k': <class 'list'>*"),
        ("int | None", "invalid type for ini option 'k': <class 'NoneType'>*"),
        ("Literal[1, 2]", "invalid type for ini option 'k': Literal choices must be strings, got (1, 2)*"),
        ("int | str", "ini option 'k' has a union type, which has no implicit default; pass an explicit*"),
    ],
)
def test_addini_invalid_type(zenrunner, type_: str, message: str) -> None:
    """pytest's ``test_addini_invalid_type``: a type ``addini`` does not know is a
    ``ValueError`` when the key is declared (not a key silently read as a string),
    said at start-up as an error of the conftest, with the line declaring it."""
    zenrunner.makeconftest(
        f"""
        from typing import Literal

        def zenrun_addoption(parser):
            parser.addini("k", "help", type={type_})
        """
    )
    for args in ((), ("--help",)):
        result = zenrunner.run(*args)
        assert result.ret == 4
        result.stderr.fnmatch_lines(
            [
                "ERROR: *conftest.py: error while registering conftest as a plugin:",
                "conftest.py:4: in zenrun_addoption",
                f"E   ValueError: {message}",
            ]
        )


def test_addini_union_and_literal_values(zenrunner) -> None:
    """pytest's ``test_addini_union_*`` and ``test_addini_literal_*``: a value of any
    member; a string read as the first member taking it; a ``Literal``'s choices only."""
    zenrunner.makeconftest(
        """
        from typing import Literal

        def zenrun_addoption(parser):
            parser.addini("ini_union", "", type=int | str, default=1)
            parser.addini("ini_mixed", "", type=int | Literal["auto"], default="auto")

        def zenrun_configure(config):
            print("VALUES", repr(config.getini("ini_union")), repr(config.getini("ini_mixed")))
        """
    )
    assert "VALUES 1 'auto'" in zenrunner.run("--co", "-s").stdout
    zenrunner.maketoml('ini_union = "x"\nini_mixed = 3\n')
    assert "VALUES 'x' 3" in zenrunner.run("--co", "-s").stdout
    assert (
        "VALUES 7 'auto'" in zenrunner.run("--co", "-s", "-o", "ini_union=7", "-o", "ini_mixed=auto").stdout
    )
    result = zenrunner.run("--co", "-o", "ini_mixed=long")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: -o ini_mixed: 'long' is not an integer or one of 'auto'"])
    zenrunner.maketoml('ini_mixed = "long"\n')
    result = zenrunner.run("--co")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["ERROR: *zenrun.toml: ini_mixed must be an integer or one of 'auto', not 'long'"]
    )


def test_addinivalue_line_existing(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("xy", "", type="linelist")
        """
    )
    zenrunner.maketoml('xy = "123"')
    config = parseconfig(zenrunner)
    assert config.getini("xy") == ["123"]
    config.addinivalue_line("xy", "456")
    assert config.getini("xy") == ["123", "456"]


def test_addinivalue_line_new(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("xy", "", type="linelist")
        """
    )
    config = parseconfig(zenrunner)
    assert not config.getini("xy")
    config.addinivalue_line("xy", "456")
    assert config.getini("xy") == ["456"]
    config.addinivalue_line("xy", "123")
    assert config.getini("xy") == ["456", "123"]


def test_addini_default_values(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("linelist1", "", type="linelist")
            parser.addini("paths1", "", type="paths")
            parser.addini("pathlist1", "", type="pathlist")
            parser.addini("args1", "", type="args")
            parser.addini("bool1", "", type="bool")
            parser.addini("string1", "", type="string")
            parser.addini("none_1", "", type="linelist", default=None)
            parser.addini("none_2", "", default=None)
            parser.addini("no_type", "")
        """
    )
    config = parseconfig(zenrunner)
    assert config.getini("linelist1") == []
    assert config.getini("paths1") == []
    assert config.getini("pathlist1") == []
    assert config.getini("args1") == []
    assert config.getini("bool1") is False
    assert config.getini("string1") == ""
    assert config.getini("none_1") is None
    assert config.getini("none_2") is None
    assert config.getini("no_type") == ""


def test_confcutdir_check_isdir(zenrunner) -> None:
    (zenrunner.path / "file").write_text("")
    for given in ("file", "nonexistent"):
        result = parseconfig(zenrunner, "--confcutdir", str(zenrunner.path / given))
        assert result.ret == 4
        result.stderr.fnmatch_lines(["ERROR: *--confcutdir*must be a directory, given: *"])
    p = zenrunner.path / "dir"
    p.mkdir()
    config = parseconfig(zenrunner, "--confcutdir", str(p))
    assert config.getoption("confcutdir") == str(p)


# -- module-level cases ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "opts",
    [
        ["-l"],
        ["-s"],
        ["--tb=no"],
        ["--tb=short"],
        ["--tb=long"],
        ["--fulltrace"],
        ["-v"],
        ["-v", "-v"],
    ],
)
def test_options_on_small_file_do_not_blow_up(zenrunner, opts: list[str]) -> None:
    zenrunner.makepyfile(pipelines("def test_f1(): assert 0\ndef test_f2(): assert 0\n"))
    result = zenrunner.runzenrun_inprocess(*opts)
    assert result.ret == 1, result.stderr.str()
    result.assert_outcomes(failed=2)


def test_invalid_options_show_extra_information(zenrunner) -> None:
    zenrunner.maketoml('addopts = "--invalid-option"')
    result = zenrunner.runzenrun_inprocess()
    result.stderr.fnmatch_lines(
        [
            "*unrecognized arguments: --invalid-option*",
            f"*  inifile: {zenrunner.path / 'zenrun.toml'}*",
            f"*  rootdir: {zenrunner.path}*",
        ]
    )


@pytest.mark.parametrize(
    "args",
    [["dir1", "dir2", "-v"], ["dir1", "-v", "dir2"], ["dir2", "-v", "dir1"], ["-v", "dir2", "dir1"]],
)
def test_consider_args_after_options_for_rootdir(zenrunner, args: list[str]) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    root = zenrunner.path / "myroot"
    for name in ("dir1", "dir2"):
        (root / name).mkdir(parents=True)
    args = [str(root / a) if a.startswith("dir") else a for a in args]
    result = zenrunner.runzenrun_inprocess(*args, cwd=root)
    result.stdout.fnmatch_lines(["*rootdir: *myroot"])


def test_toolongargs_issue224(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("-m", "hello" * 500)
    assert result.ret == 5


def test_config_in_subdirectory_colon_command_line_issue2148(zenrunner) -> None:
    conftest_source = """
import zenrun

def zenrun_addoption(parser):
    parser.addini('foo', 'foo')

@zenrun.fixture
def zenrunconfig(request):
    return request.config
"""
    zenrunner.maketoml('foo = "root"')
    (zenrunner.path / "subdir").mkdir()
    (zenrunner.path / "subdir/zenrun.toml").write_text('foo = "subdir"\n')
    zenrunner.makepyfile(
        **{
            "conftest": conftest_source,
            "subdir/conftest": conftest_source,
            "subdir/pipeline_foo": pipelines(
                "def test_foo(zenrunconfig):\n    assert zenrunconfig.getini('foo') == 'subdir'\n"
            ),
        }
    )
    result = zenrunner.runzenrun_inprocess("subdir/pipeline_foo.py::test_foo")
    assert result.ret == 0, result.stdout.str()


# -- TestRootdir (through the header's rootdir / configfile lines) -------------------------


def _header(result: Any) -> str:
    return "\n".join(line for line in result.stdout.lines if line.startswith(("rootdir:", "configfile")))


def test_rootdir_simple_noini(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines([f"rootdir: {zenrunner.path}"])
    result.stdout.no_fnmatch_line("*configfile*")


@pytest.mark.parametrize("name", ["zenrun.toml", "pyproject.toml"])
def test_rootdir_with_ini(zenrunner, name: str) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    a = zenrunner.path / "a"
    b = a / "b"
    b.mkdir(parents=True)
    (zenrunner.path / name).write_text("[tool.zenrun]\n" if name == "pyproject.toml" else "")
    for args in ([str(a), str(b)], [str(b), str(a)], [str(b)]):
        result = zenrunner.runzenrun_inprocess(*args)
        result.stdout.fnmatch_lines([f"rootdir: {zenrunner.path}", f"configfile: {name}"])


def test_rootdir_setuppy_fallback(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    a = zenrunner.path / "a"
    (a / "b").mkdir(parents=True)
    (a / "setup.py").touch()
    result = zenrunner.runzenrun_inprocess(str(a / "b"))
    result.stdout.fnmatch_lines([f"rootdir: {a}"])


def test_rootdir_with_specific_inifile(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "a").mkdir()
    (zenrunner.path / "pyproject.toml").write_text("[tool.zenrun]\n")
    result = zenrunner.runzenrun_inprocess("-c", "pyproject.toml", str(zenrunner.path / "a"))
    result.stdout.fnmatch_lines([f"rootdir: {zenrunner.path}", "configfile: pyproject.toml"])


def test_rootdir_explicit_config_file_sets_rootdir(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    tests_dir = zenrunner.path / "tests"
    tests_dir.mkdir()
    inifile = zenrunner.path / "custom.toml"
    inifile.write_text("")
    result = zenrunner.runzenrun_inprocess("-c", str(inifile), str(tests_dir))
    result.stdout.fnmatch_lines([f"rootdir: {zenrunner.path}", "configfile: custom.toml"])
    result = zenrunner.runzenrun_inprocess("-c", str(inifile), "--rootdir", str(tests_dir), str(tests_dir))
    result.stdout.fnmatch_lines([f"rootdir: {tests_dir}", "configfile: ../custom.toml"])


def test_rootdir_with_config_also_in_parent_directory(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    (zenrunner.path / "setup.py").touch()
    (zenrunner.path / "zenrun.toml").write_text("")
    (zenrunner.path / "myproject/tests").mkdir(parents=True)
    (zenrunner.path / "myproject/zenrun.toml").write_text("")
    result = zenrunner.runzenrun_inprocess("tests/", cwd=zenrunner.path / "myproject")
    result.stdout.fnmatch_lines([f"rootdir: {zenrunner.path / 'myproject'}", "configfile: zenrun.toml"])


# -- TestOverrideIniArgs ------------------------------------------------------------------


_PRINT_CUSTOM = CONFIG_FIXTURE + pipelines(
    """
def test_pass(zenrunconfig):
    ini_val = zenrunconfig.getini("custom")
    print('\\ncustom_option:%s\\n' % ini_val)
""",
    pre=True,
)


@pytest.mark.parametrize("name", ["zenrun.toml", "pyproject.toml"])
def test_override_ini_names(zenrunner, name: str) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    header = "[tool.zenrun]\n" if name == "pyproject.toml" else ""
    (zenrunner.path / name).write_text(f'{header}custom = "1.0"\n')
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("custom", "")
        """
    )
    zenrunner.makepyfile(_PRINT_CUSTOM)
    result = zenrunner.runzenrun_inprocess("--override-ini", "custom=2.0", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["custom_option:2.0"])
    result = zenrunner.runzenrun_inprocess("--override-ini", "custom=2.0", "--override-ini=custom=3.0", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["custom_option:3.0"])


def test_override_ini_paths(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addini("paths", "my new ini value", type="paths")
        """
    )
    zenrunner.maketoml('paths = "blah.py"')
    zenrunner.makepyfile(
        CONFIG_FIXTURE
        + pipelines(
            r"""
def test_overridden(zenrunconfig):
    config_paths = zenrunconfig.getini("paths")
    print(config_paths)
    for cpf in config_paths:
        print('\nuser_path:%s' % cpf.name)
"""
        )
    )
    result = zenrunner.runzenrun_inprocess("--override-ini", "paths=foo/bar1.py foo/bar2.py", "-s")
    result.stdout.fnmatch_lines(["user_path:bar1.py", "user_path:bar2.py"])


def test_override_multiple_and_default(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            addini = parser.addini
            addini("custom_option_1", "", default="o1")
            addini("custom_option_2", "", default="o2")
            addini("custom_option_3", "", default=False, type="bool")
            addini("custom_option_4", "", default=True, type="bool")
        """
    )
    zenrunner.maketoml('custom_option_1 = "custom_option_1"\ncustom_option_2 = "custom_option_2"\n')
    zenrunner.makepyfile(
        CONFIG_FIXTURE
        + pipelines(
            """
def test_multiple_options(zenrunconfig):
    prefix = "custom_option"
    for x in range(1, 5):
        ini_value=zenrunconfig.getini("%s_%d" % (prefix, x))
        print('\\nini%d:%s' % (x, ini_value))
"""
        )
    )
    result = zenrunner.runzenrun_inprocess(
        "--override-ini",
        "custom_option_1=fulldir=/tmp/user1",
        "-o",
        "custom_option_2=url=/tmp/user2?a=b&d=e",
        "-o",
        "custom_option_3=True",
        "-o",
        "custom_option_4=no",
        "-s",
    )
    result.stdout.fnmatch_lines(
        ["ini1:fulldir=/tmp/user1", "ini2:url=/tmp/user2?a=b&d=e", "ini3:True", "ini4:False"]
    )


def test_override_ini_usage_error_bad_style(zenrunner) -> None:
    zenrunner.maketoml("xdist_strict = false")
    result = zenrunner.runzenrun_inprocess("--override-ini", "xdist_strict", "True")
    result.stderr.fnmatch_lines(
        ["ERROR: -o/--override-ini expects option=value style (got: 'xdist_strict')."]
    )


@pytest.mark.parametrize("with_ini", [True, False])
def test_override_ini_handled_asap(zenrunner, with_ini: bool) -> None:
    if with_ini:
        zenrunner.maketoml('python_files = ["pipeline_*.py"]')
    zenrunner.makepyfile(unittest_ini_handle=PASSING)
    result = zenrunner.runzenrun_inprocess("--override-ini", "python_files=unittest_*.py")
    result.stdout.fnmatch_lines(["*1 passed in*"])


def test_addopts_from_env_not_concatenated(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("cache_dir=ignored", env={"ZENRUN_ADDOPTS": "-o"})
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*argument -o/--override-ini: expected one argument*"])
    assert "ZENRUN_ADDOPTS" in result.stderr.str()


def test_addopts_from_ini_not_concatenated(zenrunner) -> None:
    zenrunner.maketoml('addopts = "-o"')
    result = zenrunner.runzenrun_inprocess("cache_dir=ignored")
    result.stderr.fnmatch_lines(["*argument -o/--override-ini: expected one argument*", "*addopts*"])
    assert result.ret == 4


def test_multiple_override_ini_options(zenrunner) -> None:
    zenrunner.makepyfile(
        conftest="""
import zenrun

def zenrun_addoption(parser):
    parser.addini('foo', default=None, help='some option')
    parser.addini('bar', default=None, help='some option')

@zenrun.fixture
def zenrunconfig(request):
    return request.config
""",
        pipeline_foo=pipelines(
            "def test(zenrunconfig):\n"
            "    assert zenrunconfig.getini('foo') == '1'\n"
            "    assert zenrunconfig.getini('bar') == '0'\n"
        ),
        pipeline_bar=pipelines("def test():\n    assert False\n"),
    )
    result = zenrunner.runzenrun_inprocess("-o", "foo=1", "-o", "bar=0", "pipeline_foo.py")
    assert "ERROR:" not in result.stderr.str()
    result.stdout.fnmatch_lines(["collected 1 *", "*= 1 passed in *="])


def test_override_ini_without_config_file(zenrunner) -> None:
    (zenrunner.path / "zenrun.toml").unlink()
    zenrunner.makepyfile(**{"src/override_ini_without_config_file": ""})
    zenrunner.makepyfile(
        **{
            "tests/pipeline_override_ini_without_config_file": (
                "import override_ini_without_config_file\n" + PASSING
            ),
        }
    )
    result = zenrunner.runzenrun_inprocess("--override-ini", "pythonpath=src")
    result.assert_outcomes(passed=1)


def test_override_ini_invalid_option(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--override-ini", "doesnotexist=true")
    result.stdout.fnmatch_lines(
        ["=*= warnings summary =*=", "*ConfigWarning:*Unknown config option: doesnotexist"]
    )


def test_help_via_addopts(zenrunner) -> None:
    zenrunner.maketoml('addopts = "--unknown-option-should-allow-for-help --help"')
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["usage: *", "positional arguments:"])


def test_help_and_version_after_argument_error(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import argparse

        def validate(arg):
            raise argparse.ArgumentTypeError("argerror")

        def zenrun_addoption(parser):
            group = parser.getgroup('cov')
            group.addoption("--invalid-option-should-allow-for-help", type=validate)
        """
    )
    zenrunner.maketoml('addopts = "--invalid-option-should-allow-for-help"')
    result = zenrunner.runzenrun_inprocess("--help")
    result.stdout.fnmatch_lines(["usage: *", "positional arguments:"])
    result.stderr.fnmatch_lines(["*argument --invalid-option-should-allow-for-help: expected one argument"])
    assert result.ret == 4

    result = zenrunner.runzenrun_inprocess("--version")
    result.stdout.fnmatch_lines(["zenrun *"])
    assert result.ret == 0


def test_config_does_not_load_blocked_plugin_from_args(zenrunner) -> None:
    p = zenrunner.makepyfile(pipelines("def test(tmp_path): pass"))
    result = zenrunner.runzenrun_inprocess(str(p), "-pno:tmpdir")
    result.stdout.fnmatch_lines(["E       fixture 'tmp_path' not found"])
    assert result.ret in (1, 2)  # pytest: 1 (a test's setup error); zenrun: a collection error

    result = zenrunner.runzenrun_inprocess(str(p), "-pno:capture", "-s")
    result.stderr.fnmatch_lines(["*unrecognized arguments: -s*"])
    assert result.ret == 4

    result = zenrunner.runzenrun_inprocess(str(p), "-p no:capture", "-s")
    result.stderr.fnmatch_lines(["*unrecognized arguments: -s*"])
    assert result.ret == 4


def test_invocation_args(zenrunner) -> None:
    p = zenrunner.makepyfile(PASSING)
    config = parseconfig(zenrunner, str(p), "-v")
    assert config.invocation_args == ["--co", str(p), "-v"]
    assert config.invocation_dir == zenrunner.path


_BLOCKABLE = [
    name
    for name in BUILTIN_PLUGINS
    if name not in ESSENTIAL_PLUGINS and name not in ("local", "artifacts", "metadata", "cache")
]


@pytest.mark.parametrize("plugin", _BLOCKABLE)
def test_config_blocked_default_plugins(zenrunner, plugin: str) -> None:
    p = zenrunner.makepyfile(PASSING)
    result = zenrunner.runzenrun_inprocess(str(p), f"-pno:{plugin}")
    assert result.ret == 0, result.stderr.str()
    if plugin != "terminal":
        result.stdout.fnmatch_lines(["* 1 passed in *"])

    p = zenrunner.makepyfile(pipelines("def test(): assert 0"))
    result = zenrunner.runzenrun_inprocess(str(p), f"-pno:{plugin}")
    assert result.ret == 1
    if plugin != "terminal":
        result.stdout.fnmatch_lines(["* 1 failed in *"])
    else:
        assert result.stdout.lines == []


def test_zenrun_plugins_in_non_top_level_conftest_unsupported(zenrunner) -> None:
    """pytest's ``TestPytestPluginsVariable::test_pytest_plugins_in_non_top_level_conftest_unsupported``."""
    zenrunner.makepyfile(
        **{
            "subdirectory/conftest": """
                zenrun_plugins=['capture']
            """
        }
    )
    zenrunner.makepyfile(pipeline_func=PASSING)
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*Defining 'zenrun_plugins' in a non-top-level conftest is no longer supported*"]
    )


@pytest.mark.parametrize("use_pyargs", [True, False])
def test_zenrun_plugins_in_non_top_level_conftest_unsupported_pyargs(zenrunner, use_pyargs: bool) -> None:
    """When using --pyargs, do not emit the warning about non-top-level conftest warnings (#4039, #4044)"""
    files = {
        "src/pkg/__init__": "",
        "src/pkg/conftest": "",
        "src/pkg/pipeline_root": PASSING,
        "src/pkg/sub/__init__": "",
        "src/pkg/sub/conftest": "zenrun_plugins=['capture']",
        "src/pkg/sub/pipeline_bar": PASSING,
    }
    zenrunner.makepyfile(**files)
    zenrunner.syspathinsert(zenrunner.path / "src")

    args = ("--pyargs", "pkg") if use_pyargs else ()
    res = zenrunner.runzenrun_inprocess(*args)
    assert res.ret == (0 if use_pyargs else 2)
    msg = "Defining 'zenrun_plugins' in a non-top-level conftest is no longer supported"
    if use_pyargs:
        assert msg not in res.stdout.str()
    else:
        res.stdout.fnmatch_lines([f"*{msg}*"])


def test_zenrun_plugins_in_non_top_level_conftest_unsupported_no_false_positives(zenrunner) -> None:
    zenrunner.makepyfile(pipeline_func=PASSING)
    zenrunner.makepyfile(
        **{
            "subdirectory/conftest": """
                pass
            """
        }
    )
    zenrunner.makeconftest("zenrun_plugins=['capture']")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    assert "no longer supported" not in result.stdout.str()


@pytest.mark.parametrize(
    "toml_text, exception_text",
    [
        pytest.param('required_plugins = "a z"', "Missing required plugins: a, z", id="2-missing"),
        pytest.param(
            'required_plugins = "a z zenrun"', "Missing required plugins: a, z", id="2-missing-1-ok"
        ),
        pytest.param('required_plugins = "zenrun"', None, id="1-ok"),
        pytest.param('required_plugins = "zenrun==VERSION"', None, id="1-ok-pin-exact"),
        pytest.param('required_plugins = "zenrun>0.0.1,<99.0"', None, id="1-ok-pin-loose"),
        pytest.param(
            'required_plugins = "zenrun==99.0"',
            "Missing required plugins: zenrun==99.0",
            id="missing-version",
        ),
        pytest.param(
            'required_plugins = "zenrun==99.0 other==1.0"',
            "Missing required plugins: other==1.0, zenrun==99.0",
            id="missing-versions",
        ),
        pytest.param('required_plugins = ["dask"]', None, id="entry-point-name"),
    ],
)
def test_missing_required_plugins(zenrunner, toml_text: str, exception_text: str | None) -> None:
    """pytest's case with a fake ``myplugin`` distribution; here zenrun's own installed
    plugins (the ``zenrun`` distribution, entry points ``dask``, ``viewer``, ...)."""
    import zenrun

    zenrunner.maketoml(toml_text.replace("VERSION", zenrun.__version__))
    result = zenrunner.runzenrun_inprocess("--co")
    if exception_text:
        assert result.ret == 4
        result.stderr.fnmatch_lines([f"ERROR: {exception_text}"])
    else:
        assert result.ret == 5, result.stderr.str()
