"""Port of pytest's ``testing/test_collection.py`` (pytest-dev/pytest).

What is collected from which arguments: directories (``norecursedirs``,
virtual environments, ``--ignore``, ``collect_ignore``,
``zenrun_ignore_collect``), files and ids given on the command line,
duplicates and overlaps (``--keep-duplicates``), symlinks, packages, the
``pipelinepaths`` key (pytest's ``testpaths``), collection errors with
``--maxfail`` and ``--continue-on-collection-errors``, ``--co`` trees.
Test sources are written as pytest writes them and turned into pipelines by
``porting.pipelines``; ``inline_genitems`` is ``--co -q``.

Deliberate difference kept in the expected lines: ``--co`` lists pipelines as
``<Pipeline name>`` where pytest lists ``<Function name>``.

Not ported (no pipeline analogue): pytest's node classes and their API
(``Collector``/``Item`` equality, ``getparent``, ``from_parent``, custom
``File``/``Item``/``Module`` collectors, ``pytest_collect_directory``, the hook
recorder's collection events), test classes (``python_classes``,
``python_functions``, class and method ids), ``--pyargs`` on pytest's
collection tree (``<Dir>`` / ``<Package>`` nodes), ``--import-mode``
other than prepend, ``consider_namespace_packages`` and ``pytest.HIDDEN_PARAM``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path, PurePath

import pytest
from porting import module_name, pipelines

from zenrun.collect import _in_venv


def ensure_file(file_path: Path) -> Path:
    file_path.parent.mkdir(parents=True, exist_ok=True)
    file_path.touch(exist_ok=True)
    return file_path


def symlink_or_skip(src, dst, **kwargs) -> None:
    try:
        os.symlink(str(src), str(dst), **kwargs)
    except OSError as exc:
        pytest.skip(f"symlinks not supported: {exc}")


def write(zenrunner, **files) -> None:
    zenrunner.makepyfile(**{name: pipelines(src) for name, src in files.items()})


def collected_names(zenrunner, *args) -> list[str]:
    """pytest's ``inline_genitems``: the names of the collected items."""
    result = zenrunner.runzenrun_inprocess("--co", "-q", *args)
    return [line.split("::")[-1] for line in result.stdout.lines if "::" in line]


class TestCollectFS:
    def test_ignored_certain_directories(self, zenrunner) -> None:
        tmp_path = zenrunner.path
        for d in ("build", "dist", "_darcs", "CVS", "{arch}", ".whatever", ".bzr"):
            ensure_file(tmp_path / d / "pipeline_notfound.py")
        ensure_file(tmp_path / "normal" / "pipeline_found.py")
        for x in tmp_path.rglob("pipeline_*.py"):
            x.write_text(pipelines("def test_hello(): pass"), encoding="utf-8")
        result = zenrunner.runzenrun_inprocess("--collect-only")
        s = result.stdout.str()
        assert "pipeline_notfound" not in s
        assert "pipeline_found" in s

    known_environment_types = pytest.mark.parametrize(
        "env_path",
        [
            pytest.param(PurePath("pyvenv.cfg"), id="venv"),
            pytest.param(PurePath("conda-meta", "history"), id="conda"),
        ],
    )

    @known_environment_types
    def test_ignored_virtualenvs(self, zenrunner, env_path: PurePath) -> None:
        ensure_file(zenrunner.path / "virtual" / env_path)
        testfile = ensure_file(zenrunner.path / "virtual" / "pipeline_invenv.py")
        testfile.write_text(pipelines("def test_hello(): pass"), encoding="utf-8")
        # by default, ignore pipelines inside a virtualenv
        result = zenrunner.runzenrun_inprocess()
        result.stdout.no_fnmatch_line("*pipeline_invenv*")
        # allow collection if the user insists
        result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv")
        assert "pipeline_invenv" in result.stdout.str()
        # allow collection if the user directly passes in the directory
        result = zenrunner.runzenrun_inprocess("virtual")
        assert "pipeline_invenv" in result.stdout.str()

    @known_environment_types
    def test_ignored_virtualenvs_norecursedirs_precedence(self, zenrunner, env_path) -> None:
        # norecursedirs takes priority
        ensure_file(zenrunner.path / ".virtual" / env_path)
        testfile = ensure_file(zenrunner.path / ".virtual" / "pipeline_invenv.py")
        testfile.write_text(pipelines("def test_hello(): pass"), encoding="utf-8")
        result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv")
        result.stdout.no_fnmatch_line("*pipeline_invenv*")
        # ...unless the virtualenv is explicitly given on the CLI
        result = zenrunner.runzenrun_inprocess("--collect-in-virtualenv", ".virtual")
        assert "pipeline_invenv" in result.stdout.str()

    @known_environment_types
    def test__in_venv(self, tmp_path, env_path: PurePath) -> None:
        """Directly test the virtual env detection function."""
        base_path = tmp_path / "venv"
        base_path.mkdir()
        assert _in_venv(base_path) is False
        ensure_file(base_path.joinpath(env_path))
        assert _in_venv(base_path) is True

    def test_custom_norecursedirs(self, zenrunner) -> None:
        zenrunner.maketoml('norecursedirs = ["mydir", "xyz*"]\n')
        tmp_path = zenrunner.path
        ensure_file(tmp_path / "mydir" / "pipeline_hello.py").write_text(
            pipelines("def test_1(): pass"), encoding="utf-8"
        )
        ensure_file(tmp_path / "xyz123" / "pipeline_2.py").write_text(
            pipelines("def test_2():\n    assert 0/1\n"), encoding="utf-8"
        )
        ensure_file(tmp_path / "xy" / "pipeline_ok.py").write_text(
            pipelines("def test_3(): pass"), encoding="utf-8"
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)
        zenrunner.runzenrun_inprocess("xyz123/pipeline_2.py").assert_outcomes(failed=1)

    def test_testpaths_ini(self, zenrunner) -> None:
        zenrunner.maketoml('pipelinepaths = ["*/pipelines"]\n')
        tmp_path = zenrunner.path
        ensure_file(tmp_path / "a" / "pipeline_1.py").write_text(
            pipelines("def test_a(): pass"), encoding="utf-8"
        )
        ensure_file(tmp_path / "b" / "pipelines" / "pipeline_2.py").write_text(
            pipelines("def test_b(): pass"), encoding="utf-8"
        )
        ensure_file(tmp_path / "c" / "pipelines" / "pipeline_3.py").write_text(
            pipelines("def test_c(): pass"), encoding="utf-8"
        )
        # from the rootdir, only the pipelines of the `pipelinepaths` directories
        assert collected_names(zenrunner) == ["test_b", "test_c"]
        # directories given on the command line are collected
        for dirname in ("a", "b", "c"):
            assert collected_names(zenrunner, tmp_path.joinpath(dirname)) == [f"test_{dirname}"]
        # in a sub-directory, without arguments: that directory
        for dirname in ("a", "b", "c"):
            result = zenrunner.runzenrun_inprocess("--co", "-q", cwd=tmp_path.joinpath(dirname))
            assert [line.split("::")[-1] for line in result.stdout.lines if "::" in line] == [
                f"test_{dirname}"
            ]

    def test_missing_permissions_on_unselected_directory_doesnt_crash(self, zenrunner) -> None:
        """Regression test for #12120."""
        test = zenrunner.makepyfile(pipeline_test=pipelines("def test(): pass"))
        bad = zenrunner.path / "bad"
        bad.mkdir()
        try:
            bad.chmod(0)
            result = zenrunner.runzenrun_inprocess(test)
        finally:
            bad.chmod(0o750)
            bad.rmdir()
        assert result.ret == 0
        result.assert_outcomes(passed=1)


class TestCollectPluginHookRelay:
    def test_zenrun_collect_file(self, zenrunner) -> None:
        wascalled = []

        class Plugin:
            def zenrun_collect_file(self, file_path: Path) -> None:
                if not file_path.name.startswith("."):
                    # Ignore hidden files, e.g. .testmondata.
                    wascalled.append(file_path)

        zenrunner.makefile(".abc", "xyz")
        (zenrunner.path / "zenrun.toml").unlink()  # pytest's case has only that file
        zenrunner.runzenrun_inprocess(zenrunner.path, plugins=[Plugin()])
        assert len(wascalled) == 1
        assert wascalled[0].suffix == ".abc"


class TestPrunetraceback:
    def test_collection_error_traceback_is_clean(self, zenrunner) -> None:
        """A collection error's traceback has no zenrun-internal entries (#11710)."""
        zenrunner.makepyfile('raise Exception("LOUSY")\n')
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(
            [
                "*ERROR collecting*",
                "pipeline_*.py:1: in <module>",
                '    raise Exception("LOUSY")',
                "E   Exception: LOUSY",
                "*= short pipeline summary info =*",
            ],
            consecutive=True,
        )


class TestCustomConftests:
    def test_ignore_collect_path(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_ignore_collect(collection_path, config):
                return collection_path.name.startswith("x") or collection_path.name == "pipeline_one.py"
            """
        )
        sub = zenrunner.path / "xy123"
        ensure_file(sub / "pipeline_hello.py").write_text("syntax error", encoding="utf-8")
        sub.joinpath("conftest.py").write_text("syntax error", encoding="utf-8")
        zenrunner.makepyfile(pipelines("def test_hello(): pass"))
        zenrunner.makepyfile(pipeline_one="syntax error")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_ignore_collect_not_called_on_argument(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_ignore_collect(collection_path, config):
                return True
            """
        )
        p = zenrunner.makepyfile(pipelines("def test_hello(): pass"))
        result = zenrunner.runzenrun_inprocess(p)
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.fnmatch_lines(["*collected 0 pipelines*"])

    def test_collectignore_exclude_on_option(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            from pathlib import Path

            class MyPathLike:
                def __init__(self, path):
                    self.path = path
                def __fspath__(self):
                    return "path"

            collect_ignore = [MyPathLike('hello'), 'pipeline_world.py', Path('bye')]

            def zenrun_addoption(parser):
                parser.addoption("--XX", action="store_true", default=False)

            def zenrun_configure(config):
                if config.getoption("XX"):
                    collect_ignore[:] = []
            """
        )
        (zenrunner.path / "hello").mkdir()
        write(zenrunner, pipeline_world="def test_hello(): pass")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.no_fnmatch_line("*passed*")
        result = zenrunner.runzenrun_inprocess("--XX")
        assert result.ret == 0
        assert "passed" in result.stdout.str()

    def test_collectignoreglob_exclude_on_option(self, zenrunner) -> None:
        zenrunner.makeconftest(
            """
            collect_ignore_glob = ['*w*l[dt]*']
            def zenrun_addoption(parser):
                parser.addoption("--XX", action="store_true", default=False)
            def zenrun_configure(config):
                if config.getoption("XX"):
                    collect_ignore_glob[:] = []
            """
        )
        write(zenrunner, pipeline_world="def test_hello(): pass")
        write(zenrunner, pipeline_welt="def test_hallo(): pass")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.fnmatch_lines(["*collected 0 pipelines*"])
        result = zenrunner.runzenrun_inprocess("--XX")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*2 passed*"])


class TestSession:
    def test_collect_protocol_single_function(self, zenrunner) -> None:
        p = zenrunner.makepyfile(pipelines("def test_func(): pass"))
        id = "::".join([p.name, "test_func"])
        result = zenrunner.runzenrun_inprocess("--co", "-q", id)
        assert [line for line in result.stdout.lines if "::" in line] == [id]

    def test_collect_subdir_event_ordering(self, zenrunner) -> None:
        aaa = zenrunner.path / "aaa"
        aaa.mkdir()
        (aaa / "__init__.py").touch()
        (aaa / "pipeline_aaa.py").write_text(pipelines("def test_func(): pass"))
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        assert [line for line in result.stdout.lines if "::" in line] == ["aaa/pipeline_aaa.py::test_func"]

    def test_collect_two_commandline_args(self, zenrunner) -> None:
        for name in ("aaa", "bbb"):
            (zenrunner.path / name).mkdir()
            (zenrunner.path / name / "__init__.py").touch()
            (zenrunner.path / name / f"pipeline_{name}.py").write_text(pipelines("def test_func(): pass"))
        result = zenrunner.runzenrun_inprocess("--co", "-q", ".")
        assert [line for line in result.stdout.lines if "::" in line] == [
            "aaa/pipeline_aaa.py::test_func",
            "bbb/pipeline_bbb.py::test_func",
        ]

    def test_serialization_byid(self, zenrunner) -> None:
        zenrunner.makepyfile(pipelines("def test_func(): pass"))
        result = zenrunner.runzenrun_inprocess("--co", "-q")
        (item,) = [line for line in result.stdout.lines if "::" in line]
        result = zenrunner.runzenrun_inprocess("--co", "-q", item)
        assert [line for line in result.stdout.lines if "::" in line] == [item]

    def test_collect_parametrized_order(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            pipelines(
                """
                import pytest

                @pytest.mark.parametrize('i', [0, 1, 2])
                def test_param(i): ...
                """
            )
        )
        result = zenrunner.runzenrun_inprocess("--co", "-q", f"{p}::test_param")
        assert [line for line in result.stdout.lines if "::" in line] == [
            f"{module_name(zenrunner)}.py::test_param[0]",
            f"{module_name(zenrunner)}.py::test_param[1]",
            f"{module_name(zenrunner)}.py::test_param[2]",
        ]


class Test_genitems:
    def test_check_collect_hashes(self, zenrunner) -> None:
        p = zenrunner.makepyfile(
            pipelines(
                """
                def test_1():
                    pass

                def test_2():
                    pass
                """
            )
        )
        shutil.copy(p, p.parent / (p.stem + "2" + ".py"))
        result = zenrunner.runzenrun_inprocess("--co", "-q", p.parent)
        ids = [line for line in result.stdout.lines if "::" in line]
        assert len(ids) == 4
        assert len(set(ids)) == 4


class TestNodeKeywords:
    def test_issue345(self, zenrunner) -> None:
        zenrunner.makepyfile(
            pipelines(
                """
                def test_should_not_be_selected():
                    assert False, 'I should not have been selected to run'

                def test___repr__():
                    pass
                """
            )
        )
        zenrunner.runzenrun_inprocess("-k repr").assert_outcomes(passed=1, deselected=1)

    def test_keyword_matching_is_case_insensitive_by_default(self, zenrunner) -> None:
        """-k is case-insensitive, also for marks (pytest's class cases left out)."""
        zenrunner.makepyfile(
            pipelines(
                """
                import pytest

                def test_sPeCiFiCToPiC_1():
                    assert True

                @pytest.mark.sPeCiFiCToPic_3
                def test():
                    assert True

                def test_failing_5():
                    assert False, "This should not match"
                """
            )
        )
        for expression in ("specifictopic", "SPECIFICTOPIC", "SpecificTopic"):
            result = zenrunner.runzenrun_inprocess("-k " + expression)
            result.assert_outcomes(passed=2, deselected=1)


COLLECTION_ERROR_PY_FILES = dict(
    pipeline_01_failure="""
        def test_1():
            assert False
        """,
    pipeline_02_import_error="""
        import asdfasdfasdf
        def test_2():
            assert True
        """,
    pipeline_03_import_error="""
        import asdfasdfasdf
        def test_3():
            assert True
        """,
    pipeline_04_success="""
        def test_4():
            assert True
        """,
)


def test_exit_on_collection_error(zenrunner) -> None:
    """All collection errors are collected and no pipeline runs."""
    write(zenrunner, **COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 2
    res.stdout.fnmatch_lines(
        [
            "collected 2 pipelines / 2 errors",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*ERROR collecting pipeline_03_import_error.py*",
            "*No module named *asdfa*",
        ]
    )


def test_exit_on_collection_with_maxfail_smaller_than_n_errors(zenrunner) -> None:
    """Collection stops once maxfail errors are met, before the modules after it."""
    write(zenrunner, **COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--maxfail=1")
    assert res.ret == 1
    res.stdout.fnmatch_lines(
        [
            "collected 1 pipeline / 1 error",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*! stopping after 1 failures !*",
            "*= 1 error in *",
        ]
    )
    res.stdout.no_fnmatch_line("*pipeline_03*")


def test_exit_on_collection_with_maxfail_bigger_than_n_errors(zenrunner) -> None:
    """The run is interrupted by collection errors even below maxfail."""
    write(zenrunner, **COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--maxfail=4")
    assert res.ret == 2
    res.stdout.fnmatch_lines(
        [
            "collected 2 pipelines / 2 errors",
            "*ERROR collecting pipeline_02_import_error.py*",
            "*No module named *asdfa*",
            "*ERROR collecting pipeline_03_import_error.py*",
            "*No module named *asdfa*",
            "*! Interrupted: 2 errors during collection !*",
            "*= 2 errors in *",
        ]
    )


def test_continue_on_collection_errors(zenrunner) -> None:
    """--continue-on-collection-errors runs the pipelines collected."""
    write(zenrunner, **COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--continue-on-collection-errors")
    assert res.ret == 1
    res.stdout.fnmatch_lines(["collected 2 pipelines / 2 errors", "*1 failed, 1 passed, 2 errors*"])


def test_continue_on_collection_errors_maxfail(zenrunner) -> None:
    """--maxfail counts the collection errors: 2 errors + 1 failure stop at 3."""
    write(zenrunner, **COLLECTION_ERROR_PY_FILES)
    res = zenrunner.runzenrun_inprocess("--continue-on-collection-errors", "--maxfail=3")
    assert res.ret == 1
    res.stdout.fnmatch_lines(["collected 2 pipelines / 2 errors", "*1 failed, 2 errors*"])


def test_fixture_scope_sibling_conftests(zenrunner) -> None:
    """#2836: sibling directories do not see each other's conftest fixtures."""
    foo_path = zenrunner.path / "foo"
    foo_path.mkdir()
    foo_path.joinpath("conftest.py").write_text(
        "import zenrun\n@zenrun.fixture\ndef fix():\n    return 1\n", encoding="utf-8"
    )
    foo_path.joinpath("pipeline_foo.py").write_text(pipelines("def test_foo(fix): assert fix == 1"))
    food_path = zenrunner.path / "food"
    food_path.mkdir()
    (food_path / "__init__.py").touch()
    food_path.joinpath("pipeline_food.py").write_text(pipelines("def test_food(fix): assert fix == 1"))
    res = zenrunner.runzenrun_inprocess()
    assert res.ret == 1
    res.stdout.fnmatch_lines(
        ["*ERROR at setup of test_food*", "E*fixture 'fix' not found", "*1 passed, 1 error*"]
    )


INIT_TESTS = {
    "pipelines/__init__": "def test_init(): pass",
    "pipelines/pipeline_foo": "def test_foo(): pass",
}


def test_collect_init_tests(zenrunner) -> None:
    """Pipelines in __init__.py files when python_files says so (#3773)."""
    zenrunner.maketoml('python_files = ["*.py"]\n')
    write(zenrunner, **INIT_TESTS)
    tree = [
        "collected 2 pipelines",
        "<Dir *>",
        "  <Package pipelines>",
        "    <Module __init__.py>",
        "      <Pipeline test_init>",
        "    <Module pipeline_foo.py>",
        "      <Pipeline test_foo>",
    ]
    zenrunner.runzenrun_inprocess("pipelines", "--collect-only").stdout.fnmatch_lines(tree)
    zenrunner.runzenrun_inprocess("./pipelines", "--collect-only").stdout.fnmatch_lines(tree)
    # Ignores duplicates with "." and pkginit (#4310).
    zenrunner.runzenrun_inprocess("./pipelines", ".", "--collect-only").stdout.fnmatch_lines(tree)
    # Same as before, but different order.
    zenrunner.runzenrun_inprocess(".", "pipelines", "--collect-only").stdout.fnmatch_lines(tree)
    result = zenrunner.runzenrun_inprocess("./pipelines/pipeline_foo.py", "--collect-only")
    result.stdout.fnmatch_lines(
        ["<Dir *>", "  <Package pipelines>", "    <Module pipeline_foo.py>", "      <Pipeline test_foo>"]
    )
    result.stdout.no_fnmatch_line("*test_init*")
    result = zenrunner.runzenrun_inprocess("./pipelines/__init__.py", "--collect-only")
    result.stdout.fnmatch_lines(
        ["<Dir *>", "  <Package pipelines>", "    <Module __init__.py>", "      <Pipeline test_init>"]
    )
    result.stdout.no_fnmatch_line("*test_foo*")


def test_collect_handles_raising_on_dunder_class(zenrunner) -> None:
    """Proxy objects that raise on ``__class__`` (Django's LazySettings) (#4266)."""
    zenrunner.makepyfile(
        pipelines(
            """
            class ImproperlyConfigured(Exception):
                pass

            class RaisesOnGetAttr(object):
                def raises(self):
                    raise ImproperlyConfigured

                __class__ = property(raises)

            raises = RaisesOnGetAttr()


            def test_1():
                pass
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)
    assert result.ret == 0


def test_collect_with_chdir_during_import(zenrunner) -> None:
    subdir = zenrunner.path / "sub"
    subdir.mkdir()
    zenrunner.makeconftest(f"import os\nos.chdir({str(subdir)!r})\n")
    zenrunner.makepyfile(
        pipelines(
            f"""
            def test_1():
                import os
                assert os.getcwd() == {str(subdir)!r}
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    result.stdout.fnmatch_lines(["*1 passed in*"])
    assert result.ret == 0
    # Handles relative pipelinepaths.
    zenrunner.maketoml('pipelinepaths = ["."]\n')
    result = zenrunner.runzenrun_inprocess("--collect-only")
    result.stdout.fnmatch_lines(["collected 1 pipeline"])


def test_collect_pyargs_with_testpaths(zenrunner) -> None:
    testmod = zenrunner.mkdir("testmod")
    # NOTE: __init__.py is not collected since it does not match python_files.
    testmod.joinpath("__init__.py").write_text(pipelines("def test_func(): pass"), encoding="utf-8")
    testmod.joinpath("pipeline_file.py").write_text(pipelines("def test_func(): pass"), encoding="utf-8")

    root = zenrunner.mkdir("root")
    root.joinpath("zenrun.toml").write_text(
        'addopts = "--pyargs"\npipelinepaths = ["testmod"]\n', encoding="utf-8"
    )
    zenrunner.syspathinsert()
    result = zenrunner.run(cwd=root)  # a subprocess, as pytest's
    result.assert_outcomes(passed=1)


def test_initial_conftests_with_testpaths(zenrunner) -> None:
    """The pipelinepaths' conftests are initial ones (#10987)."""
    p = zenrunner.path / "some_path"
    p.mkdir()
    p.joinpath("conftest.py").write_text(
        textwrap.dedent(
            """
            def zenrun_sessionstart(session):
                raise Exception("zenrun_sessionstart hook successfully run")
            """
        ),
        encoding="utf-8",
    )
    zenrunner.maketoml('pipelinepaths = ["some_path"]\n')
    # No command line args - falls back to pipelinepaths.
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 3
    result.stdout.fnmatch_lines("INTERNALERROR* Exception: zenrun_sessionstart hook successfully run")
    # No fallback.
    result = zenrunner.runzenrun_inprocess(".")
    assert result.ret == 5


def test_large_option_breaks_initial_conftests(zenrunner) -> None:
    """Long option values do not break initial conftests handling (#10169)."""
    option_value = "x" * 1024 * 1000
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption("--xx", default=None)
        """
    )
    zenrunner.makepyfile(
        pipelines(
            f"""
            def test_foo(request):
                assert request.config.getoption("xx") == {option_value!r}
            """
        )
    )
    result = zenrunner.runzenrun_inprocess(f"--xx={option_value}")
    assert result.ret == 0


def test_large_option_value_as_separate_argument(zenrunner) -> None:
    """The same with ``--xx VALUE``: the value must not be taken for a path."""
    option_value = "x" * 1024 * 10
    zenrunner.makeconftest(
        """
        def zenrun_addoption(parser):
            parser.addoption("--xx", default=None)
        """
    )
    zenrunner.makepyfile(
        pipelines(
            f"""
            def test_foo(request):
                assert request.config.getoption("xx") == {option_value!r}
            """
        )
    )
    result = zenrunner.runzenrun_inprocess("--xx", option_value)
    assert result.ret == 0, result.stdout + result.stderr


def test_collect_symlink_file_arg(zenrunner) -> None:
    """A symlink given directly is collected even if it does not match python_files (#4325)."""
    real = zenrunner.makepyfile(
        real=pipelines(
            """
            def test_nodeid(request):
                assert request.node.nodeid == "symlink.py::test_nodeid"
            """
        )
    )
    symlink = zenrunner.path.joinpath("symlink.py")
    symlink_or_skip(real, symlink)
    result = zenrunner.runzenrun_inprocess("-v", symlink)
    result.stdout.fnmatch_lines(["symlink.py::test_nodeid PASSED*", "*1 passed in*"])
    assert result.ret == 0


def test_collect_symlink_out_of_tree(zenrunner) -> None:
    """Collection of a symlink through an out-of-tree rootdir."""
    sub = zenrunner.path / "sub"
    sub.mkdir()
    real = sub.joinpath("pipeline_real.py")
    real.write_text(
        pipelines(
            """
            def test_nodeid(request):
                # Should not contain sub/ prefix.
                assert request.node.nodeid == "pipeline_real.py::test_nodeid"
            """
        ),
        encoding="utf-8",
    )
    out_of_tree = zenrunner.path / "out_of_tree"
    out_of_tree.mkdir()
    symlink_to_sub = out_of_tree.joinpath("symlink_to_sub")
    symlink_or_skip(sub, symlink_to_sub)
    result = zenrunner.runzenrun_inprocess("-vs", f"--rootdir={sub}", symlink_to_sub, cwd=sub)
    result.stdout.fnmatch_lines(["pipeline_real.py::test_nodeid PASSED*"])
    assert result.ret == 0


def test_collect_symlink_dir(zenrunner) -> None:
    """A symlinked directory is collected."""
    dir = zenrunner.path / "dir"
    dir.mkdir()
    dir.joinpath("pipeline_it.py").write_text(pipelines("def test_it(): pass"), "utf-8")
    # pytest's case passes its arguments in the order that makes the link
    # fail (the case skips there); the link is made as its docstring means.
    symlink_or_skip(dir, zenrunner.path.joinpath("symlink_dir"))
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=2)


def test_collectignore_via_conftest(zenrunner) -> None:
    """collect_ignore in a parent conftest skips importing the child (#4592)."""
    tests = zenrunner.path / "pipelines"
    tests.mkdir()
    (tests / "__init__.py").touch()
    tests.joinpath("conftest.py").write_text("collect_ignore = ['ignore_me']", encoding="utf-8")
    ignore_me = tests.joinpath("ignore_me")
    ignore_me.mkdir()
    ignore_me.joinpath("__init__.py").touch()
    ignore_me.joinpath("conftest.py").write_text("assert 0, 'should_not_be_called'", encoding="utf-8")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5


def test_collect_pkg_init_and_file_in_args(zenrunner) -> None:
    subdir = zenrunner.path / "sub"
    subdir.mkdir()
    init = subdir.joinpath("__init__.py")
    init.write_text(pipelines("def test_init(): pass"), encoding="utf-8")
    p = subdir.joinpath("pipeline_file.py")
    p.write_text(pipelines("def test_file(): pass"), encoding="utf-8")
    # Just the package directory: its __init__.py module is filtered out.
    result = zenrunner.runzenrun_inprocess("-v", subdir)
    result.stdout.fnmatch_lines(["sub/pipeline_file.py::test_file PASSED*", "*1 passed in*"])
    # But it's included if given directly.
    result = zenrunner.runzenrun_inprocess("-v", init, p)
    result.stdout.fnmatch_lines(
        ["sub/__init__.py::test_init PASSED*", "sub/pipeline_file.py::test_file PASSED*", "*2 passed in*"]
    )
    # Or if the pattern allows it.
    result = zenrunner.runzenrun_inprocess("-v", "-o", "python_files=*.py", subdir)
    result.stdout.fnmatch_lines(
        ["sub/__init__.py::test_init PASSED*", "sub/pipeline_file.py::test_file PASSED*", "*2 passed in*"]
    )


def test_collect_pkg_init_only(zenrunner) -> None:
    subdir = zenrunner.path / "sub"
    subdir.mkdir()
    init = subdir.joinpath("__init__.py")
    init.write_text(pipelines("def test_init(): pass"), encoding="utf-8")
    result = zenrunner.runzenrun_inprocess(subdir)
    result.stdout.fnmatch_lines(["*no pipelines ran in*"])
    result = zenrunner.runzenrun_inprocess("-v", init)
    result.stdout.fnmatch_lines(["sub/__init__.py::test_init PASSED*", "*1 passed in*"])
    result = zenrunner.runzenrun_inprocess("-v", "-o", "python_files=*.py", subdir)
    result.stdout.fnmatch_lines(["sub/__init__.py::test_init PASSED*", "*1 passed in*"])


@pytest.mark.parametrize("use_pkg", (True, False))
def test_collect_sub_with_symlinks(use_pkg: bool, zenrunner) -> None:
    """Collection works with symlinked files and broken symlinks."""
    sub = zenrunner.path / "sub"
    sub.mkdir()
    if use_pkg:
        sub.joinpath("__init__.py").touch()
    sub.joinpath("pipeline_file.py").write_text(pipelines("def test_file(): pass"), encoding="utf-8")
    # A broken symlink.
    symlink_or_skip("pipeline_doesnotexist.py", sub.joinpath("pipeline_broken.py"))
    # A symlink that gets collected.
    symlink_or_skip("pipeline_file.py", sub.joinpath("pipeline_symlink.py"))
    result = zenrunner.runzenrun_inprocess("-v", str(sub))
    result.stdout.fnmatch_lines(
        [
            "sub/pipeline_file.py::test_file PASSED*",
            "sub/pipeline_symlink.py::test_file PASSED*",
            "*2 passed in*",
        ]
    )


def test_collector_respects_tbstyle(zenrunner) -> None:
    p1 = zenrunner.makepyfile("assert 0")
    result = zenrunner.runzenrun_inprocess(p1, "--tb=native")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        [
            f"*_ ERROR collecting {module_name(zenrunner)}.py _*",
            "Traceback (most recent call last):",
            f'  File "*/{module_name(zenrunner)}.py", line 1, in <module>',
            "    assert 0",
            "AssertionError: assert 0",
            "*! Interrupted: 1 error during collection !*",
            "*= 1 error in *",
        ]
    )


def test_does_not_eagerly_collect_packages(zenrunner) -> None:
    zenrunner.makepyfile(pipelines("def test(): pass"))
    pydir = zenrunner.path / "foopkg"
    pydir.mkdir()
    pydir.joinpath("__init__.py").write_text("assert False", encoding="utf-8")
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


def test_does_not_put_src_on_path(zenrunner) -> None:
    # `src` is not on sys.path so it should not be importable
    ensure_file(zenrunner.path / "src/nope/__init__.py")
    zenrunner.makepyfile(
        pipelines(
            "import pytest\ndef test():\n    with pytest.raises(ImportError):\n        import nope\n"
        ).replace("zenrun.raises", "__import__('pytest').raises")
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0


class TestImportModePrepend:
    def test_modules_importable_as_side_effect(self, zenrunner) -> None:
        """In prepend mode, modules in directories with conftest.py files are importable
        (the directory goes on sys.path)."""
        write(
            zenrunner,
            **{
                "pipelines/conftest": "",
                "pipelines/foo": "def foo(): return 42\n",
                "pipelines/pipeline_foo": """
                    def test_check():
                        from foo import foo
                        assert foo() == 42
                """,
            },
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(["* 1 passed in *"])


def test_does_not_crash_on_error_from_decorated_function(zenrunner) -> None:
    """Bad exception formatting around decorated functions (#4984)."""
    zenrunner.makepyfile(
        """
        @pytest.fixture
        def a(): return 4
        """
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2  # not an internal error


def test_does_not_crash_on_recursive_symlink(zenrunner) -> None:
    """Recursive symlinks (#7951)."""
    symlink_or_skip("recursive", zenrunner.path.joinpath("recursive"))
    zenrunner.makepyfile(pipelines("def test_foo(): assert True"))
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 1}


@pytest.mark.skipif(not sys.platform.startswith("win"), reason="Windows only")
def test_collect_short_file_windows(zenrunner) -> None:  # pragma: no cover
    short_path = tempfile.mkdtemp()
    if "~" not in short_path:
        pytest.skip(f"tempfile.mkdtemp() failed to produce a short path: {short_path}")
    Path(short_path).joinpath("pipeline_collect_short_file_windows.py").write_text(
        pipelines("def test(): pass"), encoding="UTF-8"
    )
    result = zenrunner.runzenrun_inprocess(short_path)
    assert result.parseoutcomes() == {"passed": 1}


def test_collect_multi_level_symlink(zenrunner, tmp_path_factory) -> None:
    """A chain of directory symlinks a -> b -> target: each collected once."""
    short_path = tmp_path_factory.mktemp("chain")
    target = short_path / "target"
    target.mkdir()
    (target / "pipeline_chain.py").write_text(pipelines("def test_chain(): pass"), encoding="UTF-8")
    b = short_path / "b"
    a = short_path / "a"
    symlink_or_skip(target, b, target_is_directory=True)
    symlink_or_skip(b, a, target_is_directory=True)
    zenrunner.runzenrun_inprocess(a).assert_outcomes(passed=1)
    zenrunner.runzenrun_inprocess(b).assert_outcomes(passed=1)


def test_do_not_collect_symlink_siblings(zenrunner, tmp_path: Path) -> None:
    """#12039: directories that are symlinks to other directories in the same path."""
    symlink_path = tmp_path.parent / (tmp_path.name[:-1] + "current")
    if not symlink_path.is_symlink():  # pragma: no cover
        pytest.skip("Symlinks not supported in this environment")
    # (a name of its own: the module lives outside the project, so no other run unloads it)
    tmp_path.joinpath("pipeline_symlink_siblings.py").write_text(
        pipelines("def test(): pass"), encoding="UTF-8"
    )
    zenrunner.runzenrun_inprocess(tmp_path, "-sv").assert_outcomes(passed=1)
    zenrunner.runzenrun_inprocess(symlink_path, "-sv").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "exception_class, msg",
    [(KeyboardInterrupt, "*!!! KeyboardInterrupt !!!*"), (SystemExit, "INTERNALERROR> SystemExit")],
)
def test_respect_system_exceptions(zenrunner, exception_class, msg: str):
    head = "Before exception"
    tail = "After exception"
    ensure_file(zenrunner.path / "pipeline_eggs.py").write_text(f"print('{head}')", encoding="UTF-8")
    ensure_file(zenrunner.path / "pipeline_ham.py").write_text(
        f"raise {exception_class.__name__}()", encoding="UTF-8"
    )
    ensure_file(zenrunner.path / "pipeline_spam.py").write_text(f"print('{tail}')", encoding="UTF-8")
    result = zenrunner.run("-s")
    result.stdout.fnmatch_lines([f"*{head}*"])
    result.stdout.fnmatch_lines([msg])
    result.stdout.no_fnmatch_line(f"*{tail}*")


def test_yield_disallowed_in_tests(zenrunner):
    """Generator pipeline functions fail collection (#12960)."""
    zenrunner.makepyfile(
        """
        from zenrun import pipeline

        @pipeline
        def test_with_yield():
            yield 1
        """
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*'yield' keyword is allowed in fixtures, but not in pipelines (test_with_yield)*"]
    )
    result.stdout.fnmatch_lines(["*collected 0 pipelines*"])


def test_annotations_deferred_future(zenrunner):
    """Stringified annotations don't raise any errors."""
    zenrunner.makepyfile(
        "from __future__ import annotations\n"
        + pipelines(
            """
            import pytest

            @pytest.fixture
            def func() -> X: ...  # X is undefined

            def test_func():
                assert True
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


@pytest.mark.skipif(sys.version_info < (3, 14), reason="Annotations are only skipped on 3.14+")
def test_annotations_deferred_314(zenrunner):  # pragma: no cover
    zenrunner.makepyfile(
        pipelines(
            """
            import pytest

            @pytest.fixture
            def func() -> X: ...  # X is undefined

            def test_func():
                assert True
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])


class TestOverlappingCollectionArguments:
    """Overlapping arguments (``a/b a``) are collected once (#12083)."""

    AB = {
        "a/pipeline_a": """
            def test_a1(): pass
            def test_a2(): pass
        """,
        "a/b/pipeline_b": """
            def test_b1(): pass
            def test_b2(): pass
        """,
    }

    @pytest.mark.parametrize("args", [("a", "a/b"), ("a/b", "a")])
    def test_parent_child(self, zenrunner, args) -> None:
        write(zenrunner, **self.AB)
        result = zenrunner.runzenrun_inprocess("--collect-only", *args)
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir a>",
                "    <Dir b>",
                "      <Module pipeline_b.py>",
                "        <Pipeline test_b1>",
                "        <Pipeline test_b2>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a1>",
                "      <Pipeline test_a2>",
                "",
            ],
            consecutive=True,
        )

    def test_multiple_nested_paths(self, zenrunner) -> None:
        write(
            zenrunner,
            **{
                "a/pipeline_a": "def test_a(): pass",
                "a/b/pipeline_b": "def test_b(): pass",
                "a/b/c/pipeline_c": "def test_c(): pass",
            },
        )
        result = zenrunner.runzenrun_inprocess("--collect-only", "a/b", "a", "a/b/c")
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir a>",
                "    <Dir b>",
                "      <Dir c>",
                "        <Module pipeline_c.py>",
                "          <Pipeline test_c>",
                "      <Module pipeline_b.py>",
                "        <Pipeline test_b>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a>",
                "",
            ],
            consecutive=True,
        )

    def test_same_path_twice(self, zenrunner) -> None:
        write(zenrunner, **{"a/pipeline_a": "def test_a(): pass"})
        result = zenrunner.runzenrun_inprocess("--collect-only", "a", "a")
        result.stdout.fnmatch_lines(
            ["<Dir *>", "  <Dir a>", "    <Module pipeline_a.py>", "      <Pipeline test_a>", ""],
            consecutive=True,
        )

    def test_keep_duplicates_flag(self, zenrunner) -> None:
        write(zenrunner, **{"a/pipeline_a": "def test_a(): pass", "a/b/pipeline_b": "def test_b(): pass"})
        result = zenrunner.runzenrun_inprocess("--collect-only", "--keep-duplicates", "a", "a/b")
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir a>",
                "    <Dir b>",
                "      <Module pipeline_b.py>",
                "        <Pipeline test_b>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a>",
                "    <Dir b>",
                "      <Module pipeline_b.py>",
                "        <Pipeline test_b>",
                "",
            ],
            consecutive=True,
        )

    def test_specific_file_then_parent_dir(self, zenrunner) -> None:
        write(
            zenrunner, **{"a/pipeline_a": "def test_a(): pass", "a/pipeline_other": "def test_other(): pass"}
        )
        result = zenrunner.runzenrun_inprocess("--collect-only", "a/pipeline_a.py", "a")
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir a>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a>",
                "    <Module pipeline_other.py>",
                "      <Pipeline test_other>",
                "",
            ],
            consecutive=True,
        )

    def test_package_scope_fixture_with_overlapping_paths(self, zenrunner) -> None:
        write(
            zenrunner,
            **{
                "pkg/__init__": "",
                "pkg/pipeline_pkg": """
                    import pytest
                    counter = {"value": 0}
                    @pytest.fixture(scope="package")
                    def pkg_fixture():
                        counter["value"] += 1
                        return counter["value"]
                    def test_pkg1(pkg_fixture):
                        assert pkg_fixture == 1
                    def test_pkg2(pkg_fixture):
                        assert pkg_fixture == 1
                """,
                "pkg/sub/__init__": "",
                "pkg/sub/pipeline_sub": "def test_sub(): pass",
            },
        )
        # The package fixture runs only once even with overlapping paths.
        result = zenrunner.runzenrun_inprocess("pkg", "pkg/sub", "pkg", "-v")
        result.assert_outcomes(passed=3)

    def test_execution_order_preserved(self, zenrunner) -> None:
        """Execution order follows argument order."""
        write(zenrunner, **{"a/pipeline_a": "def test_a(): pass", "b/pipeline_b": "def test_b(): pass"})
        result = zenrunner.runzenrun_inprocess("--collect-only", "b", "a", "b/pipeline_b.py::test_b")
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir b>",
                "    <Module pipeline_b.py>",
                "      <Pipeline test_b>",
                "  <Dir a>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a>",
                "",
            ],
            consecutive=True,
        )

    def test_same_node_id_twice(self, zenrunner) -> None:
        write(zenrunner, pipeline_dup="def test_one(): pass\ndef test_two(): pass\n")
        result = zenrunner.runzenrun_inprocess(
            "--collect-only", "pipeline_dup.py::test_one", "pipeline_dup.py::test_one"
        )
        result.stdout.fnmatch_lines(
            ["<Dir *>", "  <Module pipeline_dup.py>", "    <Pipeline test_one>", ""], consecutive=True
        )

    def test_overlapping_with_parametrization(self, zenrunner) -> None:
        """pytest's class part left out."""
        write(
            zenrunner,
            pipeline_param="""
                import pytest
                @pytest.mark.parametrize("n", [1, 2])
                def test_param(n): pass
            """,
        )
        tree = [
            "<Dir *>",
            "  <Module pipeline_param.py>",
            "    <Pipeline test_param[1]>",
            "    <Pipeline test_param[2]>",
            "",
        ]
        result = zenrunner.runzenrun_inprocess(
            "--collect-only", "pipeline_param.py::test_param[2]", "pipeline_param.py"
        )
        result.stdout.fnmatch_lines(tree, consecutive=True)
        result = zenrunner.runzenrun_inprocess(
            "--collect-only", "pipeline_param.py::test_param[2]", "pipeline_param.py::test_param"
        )
        result.stdout.fnmatch_lines(tree, consecutive=True)

    @pytest.mark.parametrize("order", [(".", "a"), ("a", ".")])
    def test_root_and_subdir(self, zenrunner, order) -> None:
        write(zenrunner, pipeline_root="def test_root(): pass", **{"a/pipeline_a": "def test_a(): pass"})
        result = zenrunner.runzenrun_inprocess("--collect-only", *order)
        result.stdout.fnmatch_lines(
            [
                "<Dir *>",
                "  <Dir a>",
                "    <Module pipeline_a.py>",
                "      <Pipeline test_a>",
                "  <Module pipeline_root.py>",
                "    <Pipeline test_root>",
                "",
            ],
            consecutive=True,
        )

    def test_complex_combined_handling(self, zenrunner) -> None:
        """pytest's class part left out."""
        write(
            zenrunner,
            **{
                "top1/__init__": "",
                "top1/pipeline_1": "def test_1(): pass\ndef test_3(): pass\n",
                "top1/pipeline_2": "def test_1(): pass\n",
                "top2/__init__": "",
                "top2/pipeline_1": "def test_1(): pass\n",
            },
        )

        def tree(*args):
            return zenrunner.runzenrun_inprocess("--collect-only", *args).stdout

        top1 = [
            "  <Package top1>",
            "    <Module pipeline_1.py>",
            "      <Pipeline test_1>",
            "      <Pipeline test_3>",
            "    <Module pipeline_2.py>",
            "      <Pipeline test_1>",
        ]
        top2 = ["  <Package top2>", "    <Module pipeline_1.py>", "      <Pipeline test_1>"]
        tree(".").fnmatch_lines(["<Dir *>", *top1, *top2, ""], consecutive=True)
        tree("top2", "top1").fnmatch_lines(["<Dir *>", *top2, *top1, ""], consecutive=True)
        tree("top1", "top1/pipeline_2.py").fnmatch_lines(["<Dir *>", *top1, ""], consecutive=True)
        tree("top1/pipeline_2.py", "top1").fnmatch_lines(["<Dir *>", *top1, ""], consecutive=True)
        tree("--keep-duplicates", "top1/pipeline_2.py", "top1").fnmatch_lines(
            [
                "<Dir *>",
                "  <Package top1>",
                "    <Module pipeline_2.py>",
                "      <Pipeline test_1>",
                *top1[1:],
                "",
            ],
            consecutive=True,
        )
        tree("top1/pipeline_2.py", "top1/pipeline_2.py").fnmatch_lines(
            ["<Dir *>", "  <Package top1>", "    <Module pipeline_2.py>", "      <Pipeline test_1>", ""],
            consecutive=True,
        )
        tree("top2/", "top2/").fnmatch_lines(["<Dir *>", *top2, ""], consecutive=True)
        tree("top2/", "top2/", "top2/pipeline_1.py").fnmatch_lines(["<Dir *>", *top2, ""], consecutive=True)
        tree("top1/pipeline_1.py", "top1/pipeline_1.py::test_3").fnmatch_lines(
            ["<Dir *>", *top1[:4], ""], consecutive=True
        )
        tree("top1/pipeline_1.py::test_3", "top1/pipeline_1.py").fnmatch_lines(
            ["<Dir *>", *top1[:4], ""], consecutive=True
        )
        tree("--keep-duplicates", "top1/pipeline_1.py::test_3", "top1/pipeline_1.py").fnmatch_lines(
            [
                "<Dir *>",
                "  <Package top1>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_3>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_1>",
                "      <Pipeline test_3>",
                "",
            ],
            consecutive=True,
        )


@pytest.mark.parametrize(
    ["x_y", "expected_duplicates"],
    [
        ([(1, 1), (1, 1)], ["1-1"]),
        ([(1, 1), (1, 2), (1, 1)], ["1-1"]),
        ([(1, 1), (2, 2), (1, 1)], ["1-1"]),
        ([(1, 1), (2, 2), (1, 2), (2, 1), (1, 1), (2, 1)], ["1-1", "2-1"]),
    ],
)
@pytest.mark.parametrize("option_name", ["strict_parametrization_ids", "strict"])
def test_strict_parametrization_ids(zenrunner, x_y, expected_duplicates, option_name: str) -> None:
    zenrunner.maketoml(f"{option_name} = true\n")
    zenrunner.makepyfile(
        pipelines(
            f"""
            import pytest

            @pytest.mark.parametrize(["x", "y"], {x_y})
            def test1(x, y):
                pass
            """
        )
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 2
    expected_parametersets = ", ".join(str(list(p)) for p in x_y)
    expected_ids = ", ".join(f"{x}-{y}" for x, y in x_y)
    result.stdout.fnmatch_lines(
        [
            "Duplicate parametrization IDs detected*",
            "",
            "Pipeline name:  *::test1",
            "Parameters:     x, y",
            f"Parameter sets: {expected_parametersets}",
            f"IDs:            {expected_ids}",
            f"Duplicates:     {', '.join(expected_duplicates)}",
            "",
            "You can fix this problem using *",
        ]
    )
