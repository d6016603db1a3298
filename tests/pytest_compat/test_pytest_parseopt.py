"""Port of pytest's ``testing/test_parseopt.py`` (pytest-dev/pytest): the options API
plugins use (``parser.getgroup``, ``addoption``) and how the command line is parsed,
on zenrun's ``zenrun.config.argparsing.Parser`` (pytest's ``parseopt.Parser``). The
positional arguments are ``paths`` (pytest's ``file_or_dir``); ``parse_known`` is
pytest's ``parse_known_args``.

Not ported: the help formatter's unit cases (``test_drop_short_*``,
``test_multiple_metavar_help``), ``test_argcomplete`` (zenrun has no argcomplete
support), ``Argument`` reprs and ``_addoption`` (pytest's private names).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zenrun.config import UsageError
from zenrun.config.argparsing import Parser


@pytest.fixture
def parser() -> Parser:
    return Parser()


def test_group_add_and_get(parser: Parser) -> None:
    group = parser.getgroup("hello")
    assert group.name == "hello"


def test_getgroup_simple(parser: Parser) -> None:
    group = parser.getgroup("hello")
    assert group.name == "hello"
    group2 = parser.getgroup("hello")
    assert group2 is group


def test_group_ordering(parser: Parser) -> None:
    parser.getgroup("1")
    parser.getgroup("2")
    parser.getgroup("3", after="1")
    assert [x.name for x in parser.groups] == ["1", "3", "2"]


def test_group_addoption(parser: Parser) -> None:
    group = parser.getgroup("hello")
    group.addoption("--option1", action="store_true")
    assert len(group.options) == 1


def test_group_addoption_conflict(parser: Parser) -> None:
    group = parser.getgroup("hello again")
    group.addoption("--option1", "--option-1", action="store_true")
    with pytest.raises(ValueError) as err:
        group.addoption("--option1", "--option-one", action="store_true")
    assert "--option1" in str(err.value)


@pytest.mark.xfail(
    strict=True,
    reason="zenrun lets a plugin declare a lowercase short option (pytest keeps them for itself)",
)
def test_group_shortopt_lowercase(parser: Parser) -> None:
    group = parser.getgroup("hello")
    with pytest.raises(ValueError):
        group.addoption("-x", action="store_true")


def test_parser_addoption(parser: Parser) -> None:
    group = parser.getgroup("custom options")
    assert len(group.options) == 0
    group.addoption("--option1", action="store_true")
    assert len(group.options) == 1


def test_parse(parser: Parser) -> None:
    parser.addoption("--hello", dest="hello", action="store")
    args = parser.parse(["--hello", "world"])
    assert args.hello == "world"
    assert not args.paths


def test_parse2(parser: Parser) -> None:
    args = parser.parse([str(Path("."))])
    assert args.paths[0] == "."


def test_parse_from_file(parser: Parser, tmp_path: Path) -> None:
    tests = [".", "some.py::Test::test_method[param0]", "other/test_file.py"]
    args_file = tmp_path / "tests.txt"
    args_file.write_text("\n".join(tests), encoding="utf-8")
    args = parser.parse([f"@{args_file.absolute()}"])
    assert args.paths == tests


def test_parse_known_args(parser: Parser) -> None:
    parser.parse_known(["."])
    parser.addoption("--hello", action="store_true")
    ns = parser.parse_known(["x", "--y", "--hello", "this"])
    assert ns.hello is True
    assert ns.paths == ["x", "this"]


def test_parse_will_set_default(parser: Parser) -> None:
    parser.addoption("--hello", dest="hello", default="x", action="store")
    option = parser.parse([])
    assert option.hello == "x"


def test_parse_special_destination(parser: Parser) -> None:
    parser.addoption("--ultimate-answer", type=int)
    args = parser.parse(["--ultimate-answer", "42"])
    assert args.ultimate_answer == 42


def test_parse_split_positional_arguments(parser: Parser) -> None:
    parser.addoption("-R", action="store_true")
    parser.addoption("-S", action="store_false")
    args = parser.parse(["-R", "4", "2", "-S"])
    assert args.paths == ["4", "2"]
    args = parser.parse(["-R", "-S", "4", "2", "-R"])
    assert args.paths == ["4", "2"]
    assert args.R is True
    assert args.S is False
    args = parser.parse(["-R", "4", "-S", "2"])
    assert args.paths == ["4", "2"]
    assert args.R is True
    assert args.S is False


def test_parse_unknown_option_is_a_usage_error(parser: Parser) -> None:
    """pytest's ``MyOptionParser.error``: an argument error is a ``UsageError`` (exit 4)."""
    with pytest.raises(UsageError, match="unrecognized arguments: --y"):
        parser.parse(["--y"])


def test_args_from_file_on_the_command_line(zenrunner) -> None:
    """``zenrun @args.txt``: the arguments of a file, one a line (pytest's ``@file``)."""
    from porting import pipelines

    zenrunner.makepyfile(
        pipeline_a=pipelines("def test_a(): pass"), pipeline_b=pipelines("def test_b(): pass")
    )
    (zenrunner.path / "args.txt").write_text("pipeline_a.py\n-v\n")
    result = zenrunner.runzenrun_inprocess("@args.txt")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*pipeline_a.py::test_a PASSED*"])
    result.stdout.no_fnmatch_line("*test_b*")
