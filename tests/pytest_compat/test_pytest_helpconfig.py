"""Port of pytest's ``testing/test_helpconfig.py`` (pytest-dev/pytest).

``zenrun.__version__`` and ``zenrun.version_tuple``, ``--version`` / ``-V`` (once: the version alone; twice: where zenrun is
imported from and the registered plugins), ``--help`` (its options, the
``[tool.zenrun]`` keys plugins declare, its closing hints), and the
validation of hook names in a conftest.

Not ported: ``test_parse_known_args_doesnt_quit_on_help`` (pytest's private parser API),
``--traceconfig``, ``--debug`` and ``PYTEST_DEBUG`` (zenrun has no tracing of
its plugin manager).
"""

from __future__ import annotations

import pytest

import zenrun


def test_versions() -> None:
    """Regression check for the public version attributes in zenrun."""
    assert isinstance(zenrun.__version__, str)
    assert isinstance(zenrun.version_tuple, tuple)
    assert ".".join(map(str, zenrun.version_tuple)) == zenrun.__version__
    assert all(isinstance(part, int) for part in zenrun.version_tuple[:3])


def test_version_verbose(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--version", "--version")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"*zenrun*{zenrun.__version__}*imported from*"])
    from zenrun.config import PluginManager

    manager = PluginManager()
    if manager.load_entrypoint_plugins():
        result.stdout.fnmatch_lines(["*registered third-party plugins:", "*at*"])


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_less_verbose(zenrunner, flag: str) -> None:
    """A single ``--version`` or ``-V`` displays only the version, without loading plugins."""
    zenrunner.makeconftest("print('This should not be printed')")
    result = zenrunner.run(flag)
    assert result.ret == 0
    assert result.stdout.str().strip() == f"zenrun {zenrun.__version__}"


def test_help(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["  -V, --version         show the version and exit; given twice, also where*"]
    )
    result.stdout.fnmatch_lines(
        [
            "  -m MARKEXPR           only run pipelines whose marks match MARKEXPR*",
            "  --durations N *",
            "*pyproject.toml*",
            "*minversion (string):*",
            "*to see*markers*zenrun --markers*",
            "*to see*fixtures*zenrun --fixtures*",
        ]
    )


def test_help_names_the_config_files_in_the_order_they_are_searched(zenrunner) -> None:
    """pytest's ``[pytest] configuration options in the first pytest.toml|... file found:``,
    with zenrun's files in the order ``findpaths`` tries them."""
    from zenrun.config.findpaths import CONFIG_NAMES

    assert CONFIG_NAMES[:4] == ("zenrun.toml", "zenrun.ini", ".zenrun.ini", "pyproject.toml")
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "[zenrun] configuration options in the first "
            "zenrun.toml|zenrun.ini|.zenrun.ini|pyproject.toml|tox.ini|setup.cfg file found:",
            "",
            "  *(*):*",
        ]
    )


def test_help_ini_union_and_literal_types(zenrunner) -> None:
    """Union and Literal ini options display their members/choices in --help."""
    zenrunner.makeconftest(
        """
        from typing import Literal

        def zenrun_addoption(parser):
            parser.addini("ini_union", "union help", type=int | str, default=None)
            parser.addini(
                "ini_literal", "literal help", type=Literal["auto", "long"],
                default="auto",
            )
            parser.addini(
                "ini_mixed", "mixed help", type=int | Literal["auto"],
                default="auto",
            )
            parser.addini("ini_plain", "plain help", type=float)
            parser.addini("ini_untyped", "untyped help")
            parser.addini("ini_untyped_long", "its help on the next line")
        """
    )
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*ini_union (int | string):*",
            "*union help*",
            "*ini_literal ('auto' | 'long'):*",
            "*literal help*",
            "*ini_mixed (int | 'auto'):*",
            "*mixed help*",
            "  ini_plain (float):    plain help",
            "  ini_untyped (string): untyped help",
            "  ini_untyped_long (string):",
            "                        its help on the next line",
        ]
    )


def test_none_help_param_raises_exception(zenrunner) -> None:
    """A None help of a declared key is an error when it is declared (pytest's at
    ``--help``): a usage error of the conftest, also without ``--help``."""
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    parser.addini("test_ini", None, default=True, type="bool")
"""
    )
    for args in (("--help",), ()):
        result = zenrunner.runzenrun_inprocess(*args)
        assert result.ret == 4
        result.stderr.fnmatch_lines(["*TypeError: help argument cannot be None for test_ini*"])


def test_empty_help_param(zenrunner) -> None:
    """An empty help of a declared key is displayed as an empty line."""
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    parser.addini("test_ini", "", default=True, type="bool")
"""
    )
    result = zenrunner.runzenrun_inprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["  test_ini*"])


def test_hookvalidation_unknown(zenrunner) -> None:
    zenrunner.makeconftest(
        """
def zenrun_hello(xyz):
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown hook*zenrun_hello*"])


def test_hookvalidation_optional(zenrunner) -> None:
    zenrunner.makeconftest(
        """
import zenrun
@zenrun.hookimpl(optionalhook=True)
def zenrun_hello(xyz):
    pass
"""
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5
