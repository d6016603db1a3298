"""Port of pytest's ``testing/test_conftest.py`` (pytest-dev/pytest).

Which ``conftest.py`` files are loaded, when and for which pipelines: the
initial conftests (those above the path arguments and in their ``test*``
sub-directories, before the options are parsed), ``--confcutdir``,
``--noconftest``, symlinks, conftest options and ``-h``, import failures.
pytest's cases that call the plugin manager's private conftest API
(``_loadconftestmodules``, ``_getconftestmodules``, ``_set_initial_conftests``)
are ported as runs showing the same decision: an option a conftest adds
appears in ``-h``, a fixture it defines is found or not.

Not ported: ``TestConftestValueAccessGlobal`` (pytest's private
``_rget_with_confmod`` value lookup) and ``test_installed_conftest_is_picked_up``
(``--pyargs``).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from porting import pipelines


def symlink_or_skip(src, dst) -> None:
    try:
        os.symlink(str(src), str(dst))
    except OSError as exc:
        pytest.skip(f"symlinks not supported: {exc}")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


OPTION = """\
def zenrun_addoption(parser):
    parser.addoption("--{name}", action="store_true")
"""


def test_conftest_in_nonpkg_with_init(zenrunner) -> None:
    root = zenrunner.path
    write(root / "adir-1.0/conftest.py", "a=1 ; Directory = 3")
    write(root / "adir-1.0/b/conftest.py", "b=2 ; a = 1.5")
    (root / "adir-1.0/b/__init__.py").touch()
    (root / "adir-1.0/__init__.py").touch()
    write(root / "adir-1.0/b/pipeline_b.py", pipelines("def test_b(): pass"))
    zenrunner.runzenrun_inprocess("adir-1.0/b").assert_outcomes(passed=1)


def test_doubledash_considered(zenrunner) -> None:
    conf = zenrunner.path / "--option"
    write(conf / "conftest.py", OPTION.format(name="from-doubledash"))
    result = zenrunner.runzenrun_inprocess("-h", "--", conf.name, conf.name)
    result.stdout.fnmatch_lines(["*--from-doubledash*"])


def test_issue151_load_all_conftests(zenrunner) -> None:
    names = ["code", "proj", "src"]
    for name in names:
        write(zenrunner.path / name / "conftest.py", OPTION.format(name=f"from-{name}"))
    result = zenrunner.runzenrun_inprocess("-h", *names)
    result.stdout.fnmatch_lines(["*--from-code*", "*--from-proj*", "*--from-src*"])


def test_conftest_global_import(zenrunner) -> None:
    """zenrun imports each directory's conftest.py as the module ``conftest``, the
    newest one importable by that name."""
    zenrunner.makeconftest("x=3")
    result = zenrunner.runpython(
        """
from pathlib import Path
from zenrun.collect import import_path
mod = import_path(Path("conftest.py"), conftest=True)
assert mod.x == 3
import conftest
assert conftest is mod, (conftest, mod)
sub = Path("sub")
sub.mkdir()
subconf = sub / "conftest.py"
subconf.write_text("y=4", encoding="utf-8")
mod2 = import_path(subconf, conftest=True)
assert mod != mod2
assert mod2.y == 4
import conftest
assert conftest is mod2, (conftest, mod)
"""
    )
    assert result.ret == 0, result.stderr


def test_conftestcutdir(zenrunner) -> None:
    """A conftest above --confcutdir is not loaded."""
    zenrunner.makeconftest("import zenrun\n@zenrun.fixture\ndef above():\n    return 1\n")
    write(zenrunner.path / "x" / "pipeline_x.py", pipelines("def test_x(above): pass"))
    result = zenrunner.runzenrun_inprocess("--confcutdir", "x", "x")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'above' not found*"])


def test_conftestcutdir_inplace_considered(zenrunner) -> None:
    """A conftest in the --confcutdir itself is loaded."""
    zenrunner.makeconftest("import zenrun\n@zenrun.fixture\ndef here():\n    return 1\n")
    zenrunner.makepyfile(pipelines("def test_x(here): pass"))
    zenrunner.runzenrun_inprocess("--confcutdir", ".").assert_outcomes(passed=1)


@pytest.mark.parametrize("name", ["test", "tests", "whatever", ".dotdir"])
def test_setinitial_conftest_subdirs(zenrunner, name: str) -> None:
    """The conftests of ``test*`` sub-directories of an argument are initial (their
    options are known); others are not."""
    write(zenrunner.path / name / "conftest.py", OPTION.format(name="from-sub"))
    result = zenrunner.runzenrun_inprocess("-h", ".")
    if name not in ("whatever", ".dotdir"):
        result.stdout.fnmatch_lines(["*--from-sub*"])
    else:
        result.stdout.no_fnmatch_line("*--from-sub*")


def test_conftest_confcutdir(zenrunner) -> None:
    zenrunner.makeconftest("assert 0")
    x = zenrunner.path / "x"
    write(x / "conftest.py", OPTION.format(name="xyz"))
    result = zenrunner.runzenrun_inprocess("-h", f"--confcutdir={x}", x)
    result.stdout.fnmatch_lines(["*--xyz*"])
    result.stdout.no_fnmatch_line("*warning: could not load initial*")


def test_conftest_symlink(zenrunner) -> None:
    """conftest.py discovery follows the paths as given and does not resolve symlinks."""
    real = zenrunner.path / "real"
    realtests = real / "app/pipelines"
    realtests.mkdir(parents=True)
    symlink_or_skip(realtests, zenrunner.path / "symlinktests")
    symlink_or_skip(real, zenrunner.path / "symlink")
    write(realtests / "pipeline_foo.py", pipelines("def test1(fixture): pass"))
    write(
        real / "conftest.py",
        """
        import zenrun

        print("conftest_loaded")

        @zenrun.fixture
        def fixture():
            print("fixture_used")
        """,
    )
    # Fails: the conftest cannot be found from the link structure.
    result = zenrunner.runzenrun_inprocess("-vs", "symlinktests")
    result.stdout.fnmatch_lines(["*fixture 'fixture' not found*"])
    assert result.ret == 1
    # No "ValueError: Plugin already registered" (#4174).
    result = zenrunner.runzenrun_inprocess("-vs", "symlink")
    assert result.ret == 0


def test_conftest_symlink_files(zenrunner) -> None:
    """Symlinked conftest.py files are found in a directory of symlinked files."""
    real = zenrunner.path / "real"
    source = {
        "app/pipeline_foo.py": pipelines("def test1(fixture): pass"),
        "app/__init__.py": "",
        "app/conftest.py": """
            import zenrun

            print("conftest_loaded")

            @zenrun.fixture
            def fixture():
                print("fixture_used")
            """,
    }
    for name, text in source.items():
        write(real / name, text)
    build = zenrunner.path / "build"
    (build / "app").mkdir(parents=True)
    for name in source:
        symlink_or_skip(real / name, build / name)
    result = zenrunner.runzenrun_inprocess("-vs", "app/pipeline_foo.py", cwd=build)
    result.stdout.fnmatch_lines(["*conftest_loaded*", "*PASSED*"])
    assert result.ret == 0


@pytest.mark.skipif(
    os.path.normcase("x") != os.path.normcase("X"), reason="only relevant for case-insensitive file systems"
)
def test_conftest_badcase(zenrunner) -> None:
    """conftest.py loading when the directory casing is wrong (#5792)."""
    (zenrunner.path / "JenkinsRoot/test").mkdir(parents=True)
    for name in ("setup.py", "test/__init__.py", "test/conftest.py"):
        write(zenrunner.path / "JenkinsRoot" / name, "")
    result = zenrunner.runzenrun_inprocess(cwd=zenrunner.path / "jenkinsroot/test")
    assert result.ret == 5


def test_conftest_uppercase(zenrunner) -> None:
    """A conftest.py whose qualified name contains uppercase characters (#5819)."""
    for name in ("__init__.py", "Foo/conftest.py", "Foo/__init__.py"):
        write(zenrunner.path / name, "")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5


def test_no_conftest(zenrunner) -> None:
    zenrunner.makeconftest("assert 0")
    result = zenrunner.runzenrun_inprocess("--noconftest")
    assert result.ret == 5
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 4


def test_conftest_existing_option_value_file(zenrunner) -> None:
    """pytest's ``test_conftest_existing_junitxml``: an option's value that is an existing
    file (here ``--config run.yaml``) is not taken for a path argument."""
    write(zenrunner.path / "pipelines" / "conftest.py", OPTION.format(name="xyz"))
    write(zenrunner.path / "run.yaml", "")
    result = zenrunner.runzenrun_inprocess("-h", "--config", "run.yaml")
    result.stdout.fnmatch_lines(["*--xyz*"])


def test_conftest_existing_junitxml(zenrunner) -> None:
    """pytest's case itself: ``--junitxml junit.xml`` naming an existing file is the
    option's value, not a path argument, so the conftest's option is in the help."""
    write(zenrunner.path / "pipelines" / "conftest.py", OPTION.format(name="xyz"))
    write(zenrunner.path / "junit.xml", "")
    result = zenrunner.runzenrun_inprocess("-h", "--junitxml", "junit.xml")
    result.stdout.fnmatch_lines(["*--xyz*"])


def test_conftests_in_invocation_dir_tests_is_initial(zenrunner) -> None:
    """An option in a conftest under a ``test*`` sub-directory of the invocation dir is
    known when no path argument is given (#14608)."""
    write(
        zenrunner.path / "tests/conftest.py",
        """
        def zenrun_addoption(parser):
            parser.addoption("--db-url")
        """,
    )
    zenrunner.makepyfile(
        pipeline_it=pipelines(
            """
            def test_it(request):
                assert request.config.getoption("--db-url") == "scheme://host/db"
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("--db-url", "scheme://host/db")
    assert result.ret == 0
    result.assert_outcomes(passed=1)


def test_conftest_import_order(zenrunner) -> None:
    """The conftests of a directory are imported from the outermost in."""
    zenrunner.makeconftest("import builtins\nbuiltins.ORDER = ['root']\n")
    write(zenrunner.path / "sub/conftest.py", "import builtins\nbuiltins.ORDER.append('sub')\n")
    write(
        zenrunner.path / "sub/pipeline_order.py",
        pipelines("import builtins\ndef test_order():\n    assert builtins.ORDER == ['root', 'sub']\n"),
    )
    zenrunner.runzenrun_inprocess("sub").assert_outcomes(passed=1)


def test_fixture_dependency(zenrunner) -> None:
    zenrunner.makeconftest("")
    zenrunner.path.joinpath("__init__.py").touch()
    sub = zenrunner.path / "sub"
    write(sub / "__init__.py", "")
    write(
        sub / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture
        def not_needed():
            assert False, "Should not be called!"

        @zenrun.fixture
        def foo():
            assert False, "Should not be called!"

        @zenrun.fixture
        def bar(foo):
            return 'bar'
        """,
    )
    write(sub / "subsub/__init__.py", "")
    write(
        sub / "subsub/pipeline_bar.py",
        pipelines(
            """\
            import pytest

            @pytest.fixture
            def bar():
                return 'sub bar'

            def test_event_fixture(bar):
                assert bar == 'sub bar'
            """
        ),
    )
    result = zenrunner.runzenrun_inprocess("sub")
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_conftest_found_with_double_dash(zenrunner) -> None:
    sub = zenrunner.path / "sub"
    write(sub / "conftest.py", OPTION.format(name="hello-world"))
    p = write(sub / "pipeline_hello.py", pipelines("def test_hello(): pass"))
    result = zenrunner.runzenrun_inprocess(str(p) + "::test_hello", "-h")
    result.stdout.fnmatch_lines(["*--hello-world*"])


class TestConftestVisibility:
    def _setup_tree(self, zenrunner) -> dict[str, Path]:  # for issue616
        runner = zenrunner.path / "empty"
        runner.mkdir()
        package = zenrunner.path / "package"
        write(
            package / "conftest.py",
            """\
            import zenrun
            @zenrun.fixture
            def fxtr():
                return "from-package"
            """,
        )
        write(
            package / "pipeline_pkgroot.py",
            pipelines(
                """\
                def test_pkgroot(fxtr):
                    assert fxtr == "from-package"
                """
            ),
        )
        swc = package / "swc"
        write(swc / "__init__.py", "")
        write(
            swc / "conftest.py",
            """\
            import zenrun
            @zenrun.fixture
            def fxtr():
                return "from-swc"
            """,
        )
        write(
            swc / "pipeline_with_conftest.py",
            pipelines(
                """\
                def test_with_conftest(fxtr):
                    assert fxtr == "from-swc"
                """
            ),
        )
        snc = package / "snc"
        write(snc / "__init__.py", "")
        write(
            snc / "pipeline_no_conftest.py",
            pipelines(
                """\
                def test_no_conftest(fxtr):
                    assert fxtr == "from-package"
                """
            ),
        )
        return {"runner": runner, "package": package, "swc": swc, "snc": snc}

    # "swc": subdir with conftest.py, "snc": subdir without one
    @pytest.mark.parametrize(
        "chdir,testarg,expect_ntests_passed",
        [
            ("runner", "..", 3),
            ("package", "..", 3),
            ("swc", "../..", 3),
            ("snc", "../..", 3),
            ("runner", "../package", 3),
            ("package", ".", 3),
            ("swc", "..", 3),
            ("snc", "..", 3),
            ("runner", "../package/swc", 1),
            ("package", "./swc", 1),
            ("swc", ".", 1),
            ("snc", "../swc", 1),
            ("runner", "../package/snc", 1),
            ("package", "./snc", 1),
            ("swc", "../snc", 1),
            ("snc", ".", 1),
        ],
    )
    def test_parsefactories_relative_node_ids(
        self, zenrunner, chdir: str, testarg: str, expect_ntests_passed: int
    ) -> None:
        """#616"""
        dirs = self._setup_tree(zenrunner)
        result = zenrunner.runzenrun_inprocess(testarg, "-q", "--confcutdir", zenrunner.path, cwd=dirs[chdir])
        result.assert_outcomes(passed=expect_ntests_passed)


@pytest.mark.parametrize("confcutdir,passed,error", [(".", 2, 0), ("src", 1, 1), (None, 1, 1)])
def test_search_conftest_up_to_inifile(zenrunner, confcutdir: str, passed: int, error: int) -> None:
    """conftest files are found up to the config file, unless --confcutdir says otherwise."""
    root = zenrunner.path
    src = root / "src"
    write(src / "zenrun.toml", "")
    write(
        src / "conftest.py",
        """\
        import zenrun
        @zenrun.fixture
        def fix1(): pass
        """,
    )
    write(
        src / "pipeline_foo.py",
        pipelines(
            """\
            def test_1(fix1):
                pass
            def test_2(out_of_reach):
                pass
            """
        ),
    )
    write(
        root / "conftest.py",
        """\
        import zenrun
        @zenrun.fixture
        def out_of_reach(): pass
        """,
    )
    args = [str(src)]
    if confcutdir:
        args = [f"--confcutdir={root.joinpath(confcutdir)}"]
    result = zenrunner.runzenrun_inprocess(*args)
    match = ""
    if passed:
        match += f"*{passed} passed*"
    if error:
        match += f"*{error} error*"
    result.stdout.fnmatch_lines(match)


def test_issue1073_conftest_special_objects(zenrunner) -> None:
    zenrunner.makeconftest(
        """\
        class DontTouchMe(object):
            def __getattr__(self, x):
                raise Exception('cant touch me')

        x = DontTouchMe()
        """
    )
    zenrunner.makepyfile(pipelines("def test_some():\n    pass\n"))
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 0


def test_conftest_exception_handling(zenrunner) -> None:
    zenrunner.makeconftest("raise ValueError()\n")
    zenrunner.makepyfile(pipelines("def test_some():\n    pass\n"))
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 4
    assert "raise ValueError()" in [line.strip() for line in res.errlines]


def test_hook_proxy(zenrunner) -> None:
    """A conftest's hooks apply below it only (#2016)."""
    for name in (
        "demo-0/pipeline_foo1",
        "demo-a/pipeline_foo2",
        "demo-b/pipeline_foo3",
        "demo-c/pipeline_foo4",
    ):
        write(zenrunner.path / "root" / f"{name}.py", pipelines("def test1(): pass"))
    write(
        zenrunner.path / "root/demo-a/conftest.py",
        """\
        def zenrun_ignore_collect(collection_path, config):
            return True
        """,
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(
        ["*pipeline_foo1.py*", "*pipeline_foo3.py*", "*pipeline_foo4.py*", "*3 passed*"]
    )


def test_conftest_fixture_scoping_with_testpaths_outside_rootdir(zenrunner) -> None:
    """With pipelinepaths outside the rootdir, a nested conftest's fixtures do not leak
    to sibling directories (#14004)."""
    root = zenrunner.path
    (root / "zenrun.toml").unlink()
    sdk = root / "sdk"
    write(sdk / "pyproject.toml", '[tool.zenrun]\npipelinepaths = ["../pipelines/sdk"]\n')
    tests_sdk = root / "pipelines" / "sdk"
    write(
        tests_sdk / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture(autouse=True)
        def outer_fixture():
            pass
        """,
    )
    write(
        tests_sdk / "pipeline_outer.py",
        pipelines(
            """\
            def test_outer(request):
                fixturenames = request.fixturenames
                assert "outer_fixture" in fixturenames
                assert "inner_fixture" not in fixturenames
            """
        ),
    )
    inner = tests_sdk / "inner"
    write(
        inner / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture(autouse=True)
        def inner_fixture():
            pass
        """,
    )
    write(
        inner / "pipeline_inner.py",
        pipelines(
            """\
            def test_inner(request):
                fixturenames = request.fixturenames
                assert "outer_fixture" in fixturenames
                assert "inner_fixture" in fixturenames
            """
        ),
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(sdk), "-v")
    result.stdout.fnmatch_lines(["*test_inner*PASSED*", "*test_outer*PASSED*", "*2 passed*"])


def test_conftest_fixture_from_ancestor_above_rootdir(zenrunner) -> None:
    """A conftest above the rootdir loaded as initial serves every item."""
    root = zenrunner.path
    (root / "zenrun.toml").unlink()
    write(
        root / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture
        def ancestor_fixture():
            return "from-ancestor"
        """,
    )
    sub = root / "sub"
    write(sub / "pyproject.toml", "[tool.zenrun]\n")
    write(
        sub / "pipeline_it.py",
        pipelines(
            """\
            def test_uses_ancestor(ancestor_fixture):
                assert ancestor_fixture == "from-ancestor"
            """
        ),
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(sub), "--confcutdir", str(root), "-v")
    result.stdout.fnmatch_lines(["*test_uses_ancestor*PASSED*", "*1 passed*"])


def test_rootdir_conftest_visible_outside_rootdir(zenrunner) -> None:
    """A conftest in the rootdir serves items collected from outside it (#14683);
    pytest's case collects doctests, here a pipeline module."""
    root = zenrunner.path
    (root / "zenrun.toml").unlink()
    testing = root / "xclim" / "testing"
    write(
        testing / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture
        def rootdir_fixture():
            return "from-rootdir"
        """,
    )
    write(
        root / "xclim/core/pipeline_it.py",
        pipelines(
            """\
            def test_uses_rootdir(rootdir_fixture):
                assert rootdir_fixture == "from-rootdir"
            """
        ),
    )
    result = zenrunner.runzenrun_inprocess("--rootdir", str(testing), "xclim", "-v")
    result.stdout.fnmatch_lines(["*test_uses_rootdir*PASSED*", "*1 passed*"])


def test_fixture_closure_order_independence_with_parametrize(zenrunner) -> None:
    """A pipeline's fixture closure (and parametrize validation) does not depend on which
    unrelated paths were collected before it (#14635)."""
    tests = zenrunner.path / "pipelines"
    write(tests / "__init__.py", "")
    write(tests / "conftest.py", "import zenrun\n")
    components = tests / "components"
    write(components / "__init__.py", "")
    write(
        components / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture
        def cache_dir_side_effect():
            return None

        @zenrun.fixture
        def mock_init_cache_dir(cache_dir_side_effect):
            return cache_dir_side_effect

        @zenrun.fixture
        def mock_cache_dir(mock_init_cache_dir):
            return mock_init_cache_dir
        """,
    )
    water_heater = components / "water_heater"
    write(water_heater / "__init__.py", "")
    write(water_heater / "pipeline_water_heater.py", pipelines("def test_water_heater():\n    pass\n"))
    tts = components / "tts"
    write(tts / "__init__.py", "")
    write(
        tts / "conftest.py",
        """\
        import zenrun

        @zenrun.fixture(autouse=True)
        def mock_cache_dir(mock_cache_dir):
            return mock_cache_dir
        """,
    )
    write(
        tts / "pipeline_init.py",
        pipelines(
            """\
            import pytest

            @pytest.mark.parametrize("cache_dir_side_effect", ["error_value"])
            def test_setup_no_access(mock_init_cache_dir):
                assert mock_init_cache_dir == "error_value"
            """
        ),
    )
    write(tests / "pipeline_config_entries.py", pipelines("def test_config():\n    pass\n"))
    result = zenrunner.runzenrun_inprocess(
        "--collect-only",
        str(water_heater),
        str(tests / "pipeline_config_entries.py"),
        str(tts / "pipeline_init.py"),
    )
    result.stdout.fnmatch_lines(["*test_setup_no_access*"])
    assert result.ret == 0


def test_required_option_help(zenrunner) -> None:
    zenrunner.makeconftest("assert 0")
    x = zenrunner.path / "x"
    write(
        x / "conftest.py",
        """\
        def zenrun_addoption(parser):
            parser.addoption("--xyz", action="store_true", required=True)
        """,
    )
    result = zenrunner.runzenrun_inprocess("-h", x)
    result.stdout.no_fnmatch_line("*argument --xyz is required*")
    assert "general:" in result.stdout.str()
