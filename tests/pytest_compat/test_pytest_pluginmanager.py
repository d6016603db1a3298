"""Port of pytest's ``testing/test_pluginmanager.py`` (pytest-dev/pytest), its
user-visible cases: a plugin's own hooks (``zenrun_addhooks``), ``zenrun_configure`` of
a plugin registered late, ``-p NAME`` / ``-p no:NAME``, ``$ZENRUN_PLUGINS`` (pytest's
``$PYTEST_PLUGINS``), ``zenrun_plugins`` of a conftest and errors importing a plugin.

pytest's unit cases of ``PytestPluginManager`` (``consider_env``, ``consider_module``,
``consider_preparse``, ``import_plugin``) are run through the command line: what they
decide (loaded, blocked, a usage error) is what a user sees. Wording differs:
zenrun's import error reads ``plugin 'qwe' (-p qwe) could not be imported:
ImportError: ...`` (pytest: ``Error importing plugin "qwe": ...``).

Not ported: ``test_hook_tracing`` (pluggy's tracing), ``test_hook_proxy``
(``Session.gethookproxy``), ``test_do_option_postinitialize`` and
``test_addhooks_conftestplugin``'s ``_importconftest`` (private; the case is ported
with a conftest found at start-up), ``test_conftestpath_case_sensitivity`` (Windows),
``test_register_imported_modules`` / ``test_canonical_import`` (pytest's module
names), ``test_consider_*_entry_point_*`` (fake distributions of pytest's
``importlib.metadata``), ``test_plugin_prevent_register_stepwise_on_cacheprovider_unregister``
(pytest's plugin names).
"""

from __future__ import annotations

import shutil

import pytest
from porting import pipelines

PASSING = pipelines("def test_ok(): pass")


def SYSPATH(zenrunner) -> dict[str, str]:
    """pytester's ``syspathinsert``: the project importable while plugins load."""
    return {"PYTHONPATH": str(zenrunner.path)}


def test_addhooks_conftestplugin(zenrunner) -> None:
    zenrunner.makepyfile(
        newhooks="""
        def zenrun_myhook(xyz):
            "new hook"
        """
    )
    zenrunner.makeconftest(
        """
        import newhooks

        def zenrun_addhooks(pluginmanager):
            pluginmanager.add_hookspecs(newhooks)

        def zenrun_myhook(xyz):
            return xyz + 1

        def zenrun_configure(config):
            print("myhook:", config.hook.zenrun_myhook(xyz=10))
        """
    )
    result = zenrunner.runzenrun_inprocess("--co", "-s")
    assert result.ret == 5, result.stderr.str()
    result.stdout.fnmatch_lines(["myhook: [11]"])


def test_addhooks_nohooks(zenrunner) -> None:
    zenrunner.makeconftest(
        """
        import sys
        def zenrun_addhooks(pluginmanager):
            pluginmanager.add_hookspecs(sys)
        """
    )
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 4  # as pytest: at start-up, on stderr
    res.stderr.fnmatch_lines(["*did not find*sys*"])


def test_configure(zenrunner) -> None:
    """A plugin registered after ``zenrun_configure`` ran gets its own call (historic)."""
    zenrunner.makeconftest(
        """
        values = []

        class A:
            def zenrun_configure(self):
                values.append(self)

        def zenrun_configure(config):
            config.pluginmanager.register(A())
            config.pluginmanager.register(A())
            print("configured:", len(values), values[0] is not values[1])
        """
    )
    result = zenrunner.runzenrun_inprocess("--co", "-s")
    result.stdout.fnmatch_lines(["configured: 2 True"])


def test_hook_with_addoption(zenrunner) -> None:
    zenrunner.makepyfile(
        newhooks="""
        import zenrun
        @zenrun.hookspec(firstresult=True)
        def zenrun_default_value():
            pass
        """
    )
    zenrunner.makepyfile(
        myplugin="""
        import newhooks
        def zenrun_addhooks(pluginmanager):
            pluginmanager.add_hookspecs(newhooks)
        def zenrun_addoption(parser, pluginmanager):
            default_value = pluginmanager.hook.zenrun_default_value()
            parser.addoption("--myconfig", help="Config, defaults to %(default)s", default=default_value)
        """
    )
    zenrunner.makeconftest(
        """
        zenrun_plugins=("myplugin",)
        def zenrun_default_value():
            return "default_value"
        """
    )
    res = zenrunner.runzenrun_inprocess("--help")
    res.stdout.fnmatch_lines(["*--myconfig MYCONFIG*default_value*"])


def test_importplugin_error_message(zenrunner) -> None:
    zenrunner.makepyfile(
        qwe="""\
        def test_traceback():
            raise ImportError('Not possible to import: ☺')
        test_traceback()
        """
    )
    result = zenrunner.run("-p", "qwe", env=SYSPATH(zenrunner))
    assert result.ret == 4
    # as pytest (its issues #375 and #1998): the error line, then where it was raised
    result.stderr.fnmatch_lines(
        [
            "ERROR: plugin 'qwe'*could not be imported*Not possible to import: ☺*",
            "qwe.py:3: in <module>",
            "    test_traceback()",
            "qwe.py:2: in test_traceback",
            "E   ImportError: Not possible to import: ☺",
        ]
    )


def test_importplugin_error_of_a_module_it_imports(zenrunner) -> None:
    """Not an ImportError, raised in a module the plugin imports: the same error line and
    traceback, down to the failing line (pytest: the traceback, uncaught)."""
    zenrunner.makepyfile(qwe="import helper", helper="def f():\n    return 1/0\nf()\n")
    result = zenrunner.run("-p", "qwe", env=SYSPATH(zenrunner))
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "ERROR: plugin 'qwe' (-p qwe) could not be imported: ZeroDivisionError: division by zero",
            "qwe.py:1: in <module>",
            "helper.py:3: in <module>",
            "helper.py:2: in f",
            "    return 1/0",
            "E   ZeroDivisionError: division by zero",
        ]
    )
    assert zenrunner.run("-p", "nothere", env=SYSPATH(zenrunner)).stderr.strip() == (
        "ERROR: plugin 'nothere' (-p nothere) could not be imported: "
        "ModuleNotFoundError: No module named 'nothere'"
    )  # the plugin itself not found: the error line alone


def test_consider_env_fails_to_import(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess(env={"ZENRUN_PLUGINS": "nonexisting,"})
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*plugin 'nonexisting'*ZENRUN_PLUGINS*could not be imported*"])


def test_plugin_skip(zenrunner) -> None:
    p = zenrunner.makepyfile(
        skipping1="""
        import zenrun
        zenrun.skip("hello", allow_module_level=True)
        """
    )
    shutil.copy(p, p.with_name("skipping2.py"))
    result = zenrunner.run("-p", "skipping1", env={"ZENRUN_PLUGINS": "skipping2", **SYSPATH(zenrunner)})
    assert result.ret == 5
    result.stdout.fnmatch_lines(["*skipped plugin*skipping1*hello*", "*skipped plugin*skipping2*hello*"])


def test_pluginmanager_ENV_startup(zenrunner) -> None:
    zenrunner.makepyfile(zenrun_x500="#")
    zenrunner.makeconftest(
        """
        import zenrun

        @zenrun.fixture
        def zenrunconfig(request):
            return request.config
        """
    )
    p = zenrunner.makepyfile(
        pipelines(
            """
def test_hello(zenrunconfig):
    plugin = zenrunconfig.pluginmanager.get_plugin('zenrun_x500')
    assert plugin is not None
"""
        )
    )
    result = zenrunner.run(str(p), env={"ZENRUN_PLUGINS": ",zenrun_x500", **SYSPATH(zenrunner)})
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*"])


@pytest.mark.parametrize("name", ["zenrun_hello", "pkg.plug"])
def test_import_plugin_importname(zenrunner, name: str) -> None:
    """pytest's ``test_import_plugin_importname`` and ``test_import_plugin_dotted_name``."""
    for missing in ("qweqwex.y", "zenrun_qweqwex.y"):
        result = zenrunner.runzenrun_inprocess("-p", missing)
        assert result.ret == 4
        result.stderr.fnmatch_lines([f"*plugin {missing!r}*could not be imported*"])
    (zenrunner.path / "pkg").mkdir()
    (zenrunner.path / "pkg/__init__.py").write_text("")
    (zenrunner.path / "pkg/plug.py").write_text("x = 3\n")
    (zenrunner.path / "zenrun_hello.py").write_text("x = 3\n")
    zenrunner.makeconftest(
        f"""
        def zenrun_configure(config):
            plugin = config.pluginmanager.get_plugin({name!r})
            print("plugin x:", plugin.x, plugin.__name__)
        """
    )
    result = zenrunner.run("-p", name, "-p", name, "--co", "-s", env=SYSPATH(zenrunner))
    assert result.ret == 5, result.stderr.str()
    result.stdout.fnmatch_lines([f"plugin x: 3 {name}"])


def test_consider_conftest_deps(zenrunner) -> None:
    zenrunner.makeconftest("zenrun_plugins='xyz'")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*plugin 'xyz'*could not be imported*ModuleNotFoundError*"])


def test_preparse_args(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("xyz", "-p", "hello123")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*'hello123'*could not be imported*"])
    result = zenrunner.runzenrun_inprocess("-phello123")  # -p without a space (#3532)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*'hello123'*could not be imported*"])
    assert zenrunner.runzenrun_inprocess("-pno:hello123").ret == 5
    result = zenrunner.runzenrun_inprocess("-p", "no:main")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*plugin 'main'*cannot be disabled*"])


def test_plugin_prevent_register(zenrunner) -> None:
    """``-p no:abc``: a plugin registering itself as ``abc`` is not registered."""
    zenrunner.makeconftest(
        """
        def zenrun_configure(config):
            config.pluginmanager.register(object(), name="abc")
            print("abc registered:", config.pluginmanager.get_plugin("abc") is not None)
        """
    )
    result = zenrunner.runzenrun_inprocess("-p", "no:abc", "--co", "-s")
    result.stdout.fnmatch_lines(["abc registered: False"])


def test_blocked_plugin_can_be_used(zenrunner) -> None:
    (zenrunner.path / "abc_plugin.py").write_text("")
    zenrunner.makeconftest(
        """
        def zenrun_configure(config):
            pm = config.pluginmanager
            print("abc:", pm.has_plugin("abc_plugin"), pm.is_blocked("abc_plugin"))
        """
    )
    result = zenrunner.run("-p", "no:abc_plugin", "-p", "abc_plugin", "--co", "-s", env=SYSPATH(zenrunner))
    result.stdout.fnmatch_lines(["abc: True False"])


def test_blocked_default_plugin_can_be_used_again(zenrunner) -> None:
    """probe: ``-p no:lastfailed -p lastfailed --lf``: the later ``-p`` wins, as in pytest."""
    zenrunner.makepyfile(PASSING)
    result = zenrunner.runzenrun_inprocess("-p", "no:lastfailed", "-p", "lastfailed", "--lf")
    assert result.ret == 0, result.stderr.str()
