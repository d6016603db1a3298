"""pytest's ``testing/test_cacheprovider.py``, ``test_stepwise.py``, ``test_tmpdir.py`` and
``test_monkeypatch.py`` (pytest-dev/pytest, the August 2026 tree), ported to pipelines by a
porter working from zenrun's user docs alone (README.md, docs/, SPEC.md), without reading
the other ports of these files.

Mapping:

- a test function -> a ``@pipeline``; its ``assert``s -> calls of a ``check`` step
  (``porting.pipelines``); a test's fixtures -> the pipeline's fixtures (``request``,
  ``tmp_path``, ``tmp_path_factory``, ``monkeypatch``, ``cache``, ``zenrunconfig`` for
  ``pytestconfig``); ``pytest.mark`` / ``pytest.fixture`` -> ``zenrun.mark`` / ``zenrun.fixture``;
- ``test_*.py`` -> ``pipeline_*.py`` (node ids ``pipeline_a.py::test_x``); a module written
  without a name is the test's own (``zenrunner.default_name``);
- ``pytester`` -> ``zenrunner`` (``runpytest`` -> ``runzenrun_inprocess``, ``inline_run`` /
  ``inline_runsource`` / ``parseconfig[ure]`` as pytester's);
- ``pytest.ini`` / ``[tool.pytest.ini_options]`` -> ``zenrun.toml``; ``cache_dir`` -> ``store``;
- ``.pytest_cache`` -> the store ``.zenrun`` (the same ``v/cache/lastfailed``,
  ``v/cache/stepwise``, ``v/cache/nodeids``, ``d/<name>``); ``config.cache`` ->
  ``zenrun.CacheValues.for_config(config)`` (``config.cache`` is zenrun's step cache,
  docs/coming-from-pytest.md); the ``cachedir:`` header line -> ``store: ..., orchestrator: ...``;
- ``pytest_*`` hooks -> ``zenrun_*`` hooks; ``PYTEST_DEBUG_TEMPROOT`` ->
  ``ZENRUN_DEBUG_TEMPROOT`` (pytester's ``_test_tmproot`` is the ``tmproot`` fixture);
  ``pytest-of-<user>`` / ``pytest-N`` -> ``zenrun-of-<user>`` / ``zenrun-N``;
- ``_pytest.monkeypatch.MonkeyPatch`` and ``_pytest.tmpdir.TempPathFactory`` ->
  ``zenrun.MonkeyPatch`` / ``zenrun.TempPathFactory`` (the fixtures' classes); pytest's
  ``PytestWarning`` -> ``zenrun.ZenrunWarning``;
- wording: "tests" / "items" in zenrun's lines are "pipelines" (``collected 3 pipelines``,
  ``no previously failed pipelines``, ``Interrupted: Pipeline failed, ...``); a short summary's
  message starts with the failing step (``FAILED x.py::t - step 'check': assert 0``).

One case of the porter's: ``test_monkeypatch_undone_after_the_steps`` (the fixture's changes
hold while the steps run, and are undone at the pipeline's teardown).

Not applicable (left out):

- stepwise ``test_stepwise_xdist_dont_store_lastfailed``,
  ``test_disabled_stepwise_xdist_dont_clear_cache``: pytest-xdist's ``config.workerinput``
  (a worker session); zenrun's ``-n`` workers run steps, not sessions;
- cacheprovider ``test_cache_reportheader[env1]``: the cache under ``$TOX_ENV_DIR``; zenrun's
  store keeps runs and artifacts in the rootdir (or ``--store`` / ``$ZENRUN_STORE`` /
  ``store``), whatever tox sets; ``TestLastFailed::test_lastfailed_with_class_items``: test
  classes; ``test_non_python_file_skipped``: a conftest's ``File`` / ``Item`` subclasses (YAML
  items), zenrun has no collector nodes; ``test_make_cachedir_cleans_up_on_base_exception``:
  pytest's private ``_make_cachedir``; ``test_cache_writefail_permissions`` and
  ``test_cache_failure_warns`` are ported but skip as root, as pytest's do;
- tmpdir ``TestNumberedDir`` (7 of 8: lock files, ``cleanup_numbered_dir``,
  ``ensure_deletable``), ``TestRmRf`` (14), ``test_get_user`` (Windows): pytest's private
  helpers of ``_pytest.pathlib`` (what a user sees of them is ported: ``test_make`` through
  ``mktemp``, retention, ``--basetemp`` with read-only files); ``test_get_user_uid_not_found``
  and ``test_get_user_handles_getpass_oserror`` are ported through a run (``zenrun-of-unknown``);
- monkeypatch ``test_syspath_prepend_with_namespace_packages``: ``pkg_resources`` legacy
  namespace packages and pytest's ``PytestRemovedIn10Warning``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from porting import pipelines

# ---------------------------------------------------------------------------------------------
# helpers


def write(zenrunner: Any, *args: str, **files: str) -> Path:
    """pytest's ``makepyfile`` of a test module, as a pipeline module (``test_x`` -> ``pipeline_x``)."""
    if args:
        return zenrunner.makepyfile(pipelines(args[0]))
    out = {}
    for name, src in files.items():
        if name.startswith("test_"):
            name = "pipeline_" + name[len("test_") :]
        out[name] = pipelines(src)
    return zenrunner.makepyfile(**out)


def run(zenrunner: Any, *args: str) -> Any:
    return zenrunner.runzenrun_inprocess(*args)


def value(zenrunner: Any, key: str) -> Any:
    path = Path(zenrunner.store) / "v" / key
    return json.loads(path.read_text()) if path.exists() else None


def stderr_clean(result: Any) -> list[str]:
    return [x for x in result.stderr.lines if not x.startswith(("Exception ignored in:", "ResourceWarning"))]


# =============================================================================================
# testing/test_stepwise.py


@pytest.fixture
def stepwise_zenrunner(zenrunner: Any) -> Any:
    zenrunner.makeconftest(
        """
def zenrun_addoption(parser):
    group = parser.getgroup('general')
    group.addoption('--fail', action='store_true', dest='fail')
    group.addoption('--fail-last', action='store_true', dest='fail_last')
"""
    )
    write(
        zenrunner,
        test_a="""
def test_success_before_fail():
    assert 1

def test_fail_on_flag(request):
    assert not request.config.getvalue('fail')

def test_success_after_fail():
    assert 1

def test_fail_last_on_flag(request):
    assert not request.config.getvalue('fail_last')

def test_success_after_last_fail():
    assert 1
""",
    )
    write(
        zenrunner,
        test_b="""
def test_success():
    assert 1
""",
    )
    return zenrunner


@pytest.fixture
def error_zenrunner(zenrunner: Any) -> Any:
    write(
        zenrunner,
        test_a="""
def test_error(nonexisting_fixture):
    assert 1

def test_success_after_fail():
    assert 1
""",
    )
    return zenrunner


@pytest.fixture
def broken_zenrunner(zenrunner: Any) -> Any:
    zenrunner.makepyfile(
        pipeline_working_testfile=pipelines("def test_proper(): assert 1"),
        pipeline_broken_testfile="foobar",
    )
    return zenrunner


def test_run_without_stepwise(stepwise_zenrunner: Any) -> None:
    result = run(stepwise_zenrunner, "-v", "--strict-markers", "--fail")
    result.stdout.fnmatch_lines(["*test_success_before_fail PASSED*"])
    result.stdout.fnmatch_lines(["*test_fail_on_flag FAILED*"])
    result.stdout.fnmatch_lines(["*test_success_after_fail PASSED*"])


def test_stepwise_output_summary(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.parametrize("expected", [True, True, True, True, False])
        def test_data(expected):
            assert expected
        """,
    )
    result = run(zenrunner, "-v", "--stepwise")
    result.stdout.fnmatch_lines(["stepwise: no previously failed pipelines, not skipping."])
    result = run(zenrunner, "-v", "--stepwise")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 4 already passed items (cache from * ago, use --sw-reset to discard).",
            "*1 failed, 4 deselected*",
        ]
    )


def test_fail_and_continue_with_stepwise(stepwise_zenrunner: Any) -> None:
    result = run(stepwise_zenrunner, "-v", "--strict-markers", "--stepwise", "--fail")
    assert stderr_clean(result) == []
    stdout = result.stdout.str()
    assert "test_success_before_fail PASSED" in stdout
    assert "test_fail_on_flag FAILED" in stdout
    assert "test_success_after_fail" not in stdout

    result = run(stepwise_zenrunner, "-v", "--strict-markers", "--stepwise")
    assert stderr_clean(result) == []
    stdout = result.stdout.str()
    assert "test_success_before_fail" not in stdout
    assert "test_fail_on_flag PASSED" in stdout
    assert "test_success_after_fail PASSED" in stdout


@pytest.mark.parametrize("stepwise_skip", ["--stepwise-skip", "--sw-skip"])
def test_run_with_skip_option(stepwise_zenrunner: Any, stepwise_skip: str) -> None:
    result = run(
        stepwise_zenrunner, "-v", "--strict-markers", "--stepwise", stepwise_skip, "--fail", "--fail-last"
    )
    assert stderr_clean(result) == []
    stdout = result.stdout.str()
    assert "test_fail_on_flag FAILED" in stdout
    assert "test_success_after_fail PASSED" in stdout
    assert "test_fail_last_on_flag FAILED" in stdout
    assert "test_success_after_last_fail" not in stdout


def test_fail_on_errors(error_zenrunner: Any) -> None:
    result = run(error_zenrunner, "-v", "--strict-markers", "--stepwise")
    assert stderr_clean(result) == []
    stdout = result.stdout.str()
    assert "test_error ERROR" in stdout
    assert "test_success_after_fail" not in stdout


def test_change_testfile(stepwise_zenrunner: Any) -> None:
    result = run(stepwise_zenrunner, "-v", "--strict-markers", "--stepwise", "--fail", "pipeline_a.py")
    assert stderr_clean(result) == []
    assert "test_fail_on_flag FAILED" in result.stdout.str()
    result = run(stepwise_zenrunner, "-v", "--strict-markers", "--stepwise", "pipeline_b.py")
    assert stderr_clean(result) == []
    assert "test_success PASSED" in result.stdout.str()


@pytest.mark.parametrize("broken_first", [True, False])
def test_stop_on_collection_errors(broken_zenrunner: Any, broken_first: bool) -> None:
    files = ["pipeline_working_testfile.py", "pipeline_broken_testfile.py"]
    if broken_first:
        files.reverse()
    result = run(broken_zenrunner, "-v", "--strict-markers", "--stepwise", *files)
    result.stdout.fnmatch_lines("*error during collection*")


def test_xfail_handling(zenrunner: Any) -> None:
    contents = """
        import pytest
        def test_a(): pass

        @pytest.mark.xfail(strict={strict})
        def test_b(): assert {assert_value}

        def test_c(): pass
        def test_d(): pass
    """
    write(zenrunner, contents.format(assert_value="0", strict="False"))
    result = run(zenrunner, "--sw", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_a PASSED *",
            "*::test_b XFAIL *",
            "*::test_c PASSED *",
            "*::test_d PASSED *",
            "* 3 passed, 1 xfailed in *",
        ]
    )
    write(zenrunner, contents.format(assert_value="1", strict="True"))
    result = run(zenrunner, "--sw", "-v")
    result.stdout.fnmatch_lines(
        ["*::test_a PASSED *", "*::test_b FAILED *", "* Interrupted*", "* 1 failed, 1 passed in *"]
    )
    write(zenrunner, contents.format(assert_value="0", strict="True"))
    result = run(zenrunner, "--sw", "-v")
    result.stdout.fnmatch_lines(
        [
            "*::test_b XFAIL *",
            "*::test_c PASSED *",
            "*::test_d PASSED *",
            "* 2 passed, 1 deselected, 1 xfailed in *",
        ]
    )


def test_stepwise_skip_is_independent(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        def test_one():
            assert False

        def test_two():
            assert False

        def test_three():
            assert False
        """,
    )
    result = run(zenrunner, "--tb", "no", "--stepwise-skip")
    result.assert_outcomes(failed=2)
    name = zenrunner.default_name
    result.stdout.fnmatch_lines(
        [
            f"FAILED {name}.py::test_one - assert False",
            f"FAILED {name}.py::test_two - assert False",
            "*Interrupted: Pipeline failed, continuing from this pipeline next run.*",
        ]
    )


def test_sw_skip_help(zenrunner: Any) -> None:
    result = run(zenrunner, "-h")
    result.stdout.fnmatch_lines("*Implicitly enables --stepwise.")


def test_do_not_reset_cache_if_disabled(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        def test_1(): pass
        def test_2(): assert False
        def test_3(): pass
        """,
    )
    result = run(zenrunner, "--stepwise")
    result.stdout.fnmatch_lines(
        [
            "*::test_2 - assert False*",
            "*failed, continuing from this pipeline next run*",
            "=* 1 failed, 1 passed in *",
        ]
    )
    result = run(zenrunner, "-k", "test_1")
    result.stdout.fnmatch_lines(["*1 passed*"])
    result = run(zenrunner, "--stepwise")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 - assert False*",
            "*failed, continuing from this pipeline next run*",
            "=* 1 failed, 1 deselected in *",
        ]
    )


def test_reset(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        def test_1(): pass
        def test_2(): assert False
        def test_3(): pass
        """,
    )
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 deselected in *",
        ]
    )
    result = run(zenrunner, "-v", "--stepwise-reset")
    result.stdout.fnmatch_lines(
        [
            "stepwise: resetting state, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )


def test_change_test_count(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        def test_1(): pass
        def test_2(): assert False
        def test_3(): pass
        """,
    )
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    write(
        zenrunner,
        """
        def test_1(): pass
        def test_2(): assert False
        def test_3(): pass
        def test_4(): pass
        """,
    )
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: pipeline count changed, not skipping (now 4 pipelines, previously 3).",
            "*::test_1 *PASSED*",
            "*::test_2 *FAILED*",
            "*failed, continuing from this pipeline next run*",
            "* 1 failed, 1 passed in *",
        ]
    )
    write(
        zenrunner,
        """
        def test_1(): pass
        def test_2(): pass
        def test_3(): pass
        def test_4(): pass
        """,
    )
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: skipping 1 already passed items (cache from *, use --sw-reset to discard).",
            "*::test_2 *PASSED*",
            "*::test_3 *PASSED*",
            "*::test_4 *PASSED*",
            "* 3 passed, 1 deselected in *",
        ]
    )


def test_cache_error(zenrunner: Any) -> None:
    write(zenrunner, "def test_1(): pass")
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        ["stepwise: no previously failed pipelines, not skipping.", "*::test_1 *PASSED*", "* 1 passed in *"]
    )
    cache_file = Path(zenrunner.store) / "v/cache/stepwise"
    assert cache_file.is_file()
    cache_file.write_text(json.dumps({"invalid": True}), encoding="UTF-8")
    result = run(zenrunner, "--stepwise", "-v")
    result.stdout.fnmatch_lines(
        [
            "stepwise: error reading cache, discarding (KeyError: *",
            "stepwise: no previously failed pipelines, not skipping.",
            "*::test_1 *PASSED*",
            "* 1 passed in *",
        ]
    )


# =============================================================================================
# testing/test_cacheprovider.py


def config_cache(zenrunner: Any) -> Any:
    """pytest's ``pytester.parseconfigure().cache``: the store's values of the project."""
    import zenrun

    return zenrun.CacheValues.for_config(zenrunner.parseconfigure())


def last_failed(zenrunner: Any) -> list[str]:
    """``TestLastFailed.get_cached_last_failed``."""
    return sorted(config_cache(zenrunner).get("cache/lastfailed", {}))


class TestNewAPI:
    def test_config_cache_mkdir(self, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        cache = config_cache(zenrunner)
        with pytest.raises(ValueError):
            cache.mkdir("key/name")
        p = cache.mkdir("name")
        assert p.is_dir()

    def test_config_cache_mkdir_escape(self, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        with pytest.raises(ValueError):
            config_cache(zenrunner).mkdir("..")

    @pytest.mark.parametrize(
        "key", ["../escaped", "plugin/../../escaped", "/absolute/escaped", "//absolute/escaped"]
    )
    def test_cache_key_escape(self, zenrunner: Any, key: str) -> None:
        zenrunner.maketoml("")
        cache = config_cache(zenrunner)
        with pytest.raises(ValueError):
            cache.set(key, 1)
        with pytest.raises(ValueError):
            cache.get(key, None)

    def test_cache_key_normalized(self, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        cache = config_cache(zenrunner)
        cache.set("plugin/sub/../value", 42)
        assert cache.get("plugin/value", None) == 42

    def test_cache_dir_permissions(self, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        p = config_cache(zenrunner).mkdir("name")
        assert p.is_dir()
        # the store (pytest: .pytest_cache) has mkdir's default permissions, as `p`
        store = Path(zenrunner.store)
        assert (store.stat().st_mode & 0o777) == (p.stat().st_mode & 0o777)

    def test_config_cache_dataerror(self, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        cache = config_cache(zenrunner)
        with pytest.raises(TypeError):
            cache.set("key/name", cache)
        cache.set("key/name", 0)
        (Path(zenrunner.store) / "v" / "key" / "name").write_bytes(b"123invalid")
        assert cache.get("key/name", -2) == -2

    @pytest.mark.filterwarnings("ignore:could not create cache path")
    def test_cache_writefail_cachefile_silent(self, zenrunner: Any) -> None:
        import zenrun

        # The session cannot start on a store that is a file (a usage error, exit 4:
        # docs/reference/cli.md, "a damaged store"): the values object alone is pytest's cache.
        Path(zenrunner.store).write_text("gone wrong", encoding="utf-8")
        zenrun.CacheValues(Path(zenrunner.store)).set("test/broken", [])

    @pytest.fixture
    def unwritable_cache_dir(self, zenrunner: Any) -> Any:
        cache_dir = Path(zenrunner.store)
        cache_dir.mkdir()
        mode = cache_dir.stat().st_mode
        cache_dir.chmod(0)
        if os.access(cache_dir, os.W_OK):
            cache_dir.chmod(mode)
            pytest.skip("Failed to make cache dir unwritable")
        yield cache_dir
        cache_dir.chmod(mode)

    @pytest.mark.filterwarnings("ignore:could not create cache path")
    def test_cache_writefail_permissions(self, unwritable_cache_dir: Path, zenrunner: Any) -> None:
        zenrunner.maketoml("")
        config_cache(zenrunner).set("test/broken", [])

    @pytest.mark.filterwarnings("default")
    def test_cache_failure_warns(self, zenrunner: Any, unwritable_cache_dir: Path) -> None:
        write(zenrunner, "def test_error(): raise Exception")
        result = run(zenrunner)
        assert result.ret == 1
        result.stdout.fnmatch_lines(
            [
                "*= warnings summary =*",
                "*could not create cache path*v/cache/nodeids*",
                "*1 failed, * warning*",
            ]
        )

    def test_config_cache(self, zenrunner: Any) -> None:
        zenrunner.makeconftest(
            """
            def zenrun_configure(config):
                # see that we get cache information early on
                assert hasattr(config, "cache")
        """
        )
        write(
            zenrunner,
            """
            def test_session(zenrunconfig):
                assert hasattr(zenrunconfig, "cache")
        """,
        )
        result = run(zenrunner)
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_cachefuncarg(self, zenrunner: Any) -> None:
        zenrunner.makepyfile(
            """
            import zenrun
            from zenrun import pipeline

            @pipeline
            def test_cachefuncarg(cache):
                val = cache.get("some/thing", None)
                assert val is None
                cache.set("some/thing", [1])
                with zenrun.raises(TypeError):
                    cache.get("some/thing")
                val = cache.get("some/thing", [])
                assert val == [1]
        """
        )
        result = run(zenrunner)
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_custom_rel_cache_dir(self, zenrunner: Any) -> None:
        rel_cache_dir = os.path.join("custom_cache_dir", "subdir")
        zenrunner.maketoml(f'store = "{rel_cache_dir}"')
        write(zenrunner, test_errored="def test_error():\n    assert False")
        run(zenrunner)
        assert zenrunner.path.joinpath(rel_cache_dir).is_dir()

    def test_custom_abs_cache_dir(self, zenrunner: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
        abs_cache_dir = tmp_path_factory.mktemp("tmp") / "custom_cache_dir"
        zenrunner.maketoml(f'store = "{abs_cache_dir}"')
        write(zenrunner, test_errored="def test_error():\n    assert False")
        run(zenrunner)
        assert abs_cache_dir.is_dir()

    def test_custom_cache_dir_with_env_var(self, zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("env_var", "custom_cache_dir")
        zenrunner.maketoml('store = "$env_var"')
        write(zenrunner, test_errored="def test_error():\n    assert False")
        run(zenrunner)
        assert zenrunner.path.joinpath("custom_cache_dir").is_dir()


def test_cache_reportheader(zenrunner: Any) -> None:
    write(zenrunner, "def test_foo(): pass")
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines([f"store: {Path(zenrunner.store)}, *"])


def test_cache_reportheader_external_abspath(
    zenrunner: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    external_cache = tmp_path_factory.mktemp("test_cache_reportheader_external_abspath_abs")
    write(zenrunner, "def test_hello(): pass")
    zenrunner.maketoml(f'store = "{external_cache}"')
    result = run(zenrunner, "-v")
    result.stdout.fnmatch_lines([f"store: {external_cache}, *"])


CACHE_CONFTEST = """
    import zenrun

    def zenrun_configure(config):
        cache = zenrun.CacheValues.for_config(config)
        cache.set("my/name", [1,2,3])
        cache.set("my/hello", "world")
        cache.set("other/some", {1:2})
        dp = cache.mkdir("mydb")
        dp.joinpath("hello").touch()
        dp.joinpath("world").touch()
"""


def test_cache_show(zenrunner: Any) -> None:
    result = run(zenrunner, "--cache-show")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*cache is empty*"])
    zenrunner.makeconftest(CACHE_CONFTEST)
    result = run(zenrunner)
    assert result.ret == 5  # no pipelines
    result = run(zenrunner, "--cache-show")
    result.stdout.fnmatch_lines(
        [
            "*cachedir:*",
            "*- cache values for '[*]' -*",
            "cache/nodeids contains:",
            "my/name contains:",
            "  [1, 2, 3]",
            "other/some contains:",
            "  {*'1': 2}",
            "*- cache directories for '[*]' -*",
            "*mydb/hello*length 0*",
            "*mydb/world*length 0*",
        ]
    )
    assert result.ret == 0
    result = run(zenrunner, "--cache-show", "*/hello")
    result.stdout.fnmatch_lines(
        [
            "*cachedir:*",
            "*- cache values for '[*]/hello' -*",
            "my/hello contains:",
            "  *'world'",
            "*- cache directories for '[*]/hello' -*",
            "d/mydb/hello*length 0*",
        ]
    )
    stdout = result.stdout.str()
    assert "other/some" not in stdout
    assert "d/mydb/world" not in stdout
    assert result.ret == 0


def test_cache_show_escaping_glob(zenrunner: Any) -> None:
    zenrunner.makeconftest(
        """
        import zenrun

        def zenrun_configure(config):
            cache = zenrun.CacheValues.for_config(config)
            cache.set("my/name", [1, 2, 3])
            cache.mkdir("mydb").joinpath("hello").touch()
    """
    )
    assert run(zenrunner).ret == 5
    zenrunner.path.joinpath("secret.json").write_text('{"token": "s3cr3t"}', encoding="utf-8")
    result = run(zenrunner, "--cache-show", "../../../secret.json")
    assert result.ret == 0
    stdout = result.stdout.str()
    assert "s3cr3t" not in stdout
    assert "contains" not in stdout
    assert "is a file of length" not in stdout


class TestLastFailed:
    def test_lastfailed_usecase(self, zenrunner: Any) -> None:
        p = write(
            zenrunner,
            """
            def test_1(): assert 0
            def test_2(): assert 0
            def test_3(): assert 1
            """,
        )
        result = run(zenrunner, str(p))
        result.stdout.fnmatch_lines(["*2 failed*"])
        p = write(
            zenrunner,
            """
            def test_1(): assert 1
            def test_2(): assert 1
            def test_3(): assert 0
            """,
        )
        result = run(zenrunner, str(p), "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines / 1 deselected / 2 selected",
                "run-last-failure: rerun previous 2 failures",
                "*= 2 passed, 1 deselected in *",
            ]
        )
        result = run(zenrunner, str(p), "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines",
                "run-last-failure: no previously failed pipelines, not deselecting items.",
                "*1 failed*2 passed*",
            ]
        )
        store = Path(zenrunner.store)
        store.joinpath(".git").mkdir(parents=True)
        result = run(zenrunner, str(p), "--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*2 passed*"])
        assert store.joinpath("README.md").is_file()
        assert store.joinpath(".git").is_dir()

        # Run this again to make sure clear-cache is robust
        import shutil

        shutil.rmtree(store)
        result = run(zenrunner, "--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*2 passed*"])

    def test_failedfirst_order(self, zenrunner: Any) -> None:
        write(zenrunner, test_a="def test_always_passes(): pass", test_b="def test_always_fails(): assert 0")
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["pipeline_a.py*", "pipeline_b.py*"])
        result = run(zenrunner, "--ff")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 1 failure first",
                "pipeline_b.py*",
                "pipeline_a.py*",
            ]
        )

    def test_lastfailed_failedfirst_order(self, zenrunner: Any) -> None:
        write(
            zenrunner, test_a="def test_always_passes(): assert 1", test_b="def test_always_fails(): assert 0"
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["pipeline_a.py*", "pipeline_b.py*"])
        result = run(zenrunner, "--lf", "--ff")
        result.stdout.fnmatch_lines(["pipeline_b.py*"])
        result.stdout.no_fnmatch_line("*pipeline_a.py*")

    def test_lastfailed_difference_invocations(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            test_a="""
                def test_a1(): assert 0
                def test_a2(): assert 1
            """,
            test_b="def test_b1(): assert 0",
        )
        p = zenrunner.path.joinpath("pipeline_a.py")
        p2 = zenrunner.path.joinpath("pipeline_b.py")
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*2 failed*"])
        result = run(zenrunner, "--lf", str(p2))
        result.stdout.fnmatch_lines(["*1 failed*"])
        write(zenrunner, test_b="def test_b1(): assert 1")
        result = run(zenrunner, "--lf", str(p2))
        result.stdout.fnmatch_lines(["*1 passed*"])
        result = run(zenrunner, "--lf", str(p))
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 1 deselected / 1 selected",
                "run-last-failure: rerun previous 1 failure",
                "*= 1 failed, 1 deselected in *",
            ]
        )

    def test_lastfailed_usecase_splice(self, zenrunner: Any) -> None:
        write(zenrunner, "def test_1(): assert 0")
        write(zenrunner, test_something="def test_2(): assert 0")
        p2 = zenrunner.path.joinpath("pipeline_something.py")
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*2 failed*"])
        result = run(zenrunner, "--lf", str(p2))
        result.stdout.fnmatch_lines(["*1 failed*"])
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(["*2 failed*"])

    def test_lastfailed_xpass(self, zenrunner: Any) -> None:
        zenrunner.inline_runsource(
            pipelines(
                """
            import pytest
            @pytest.mark.xfail
            def test_hello():
                assert 1
        """
            )
        )
        assert config_cache(zenrunner).get("cache/lastfailed", -1) == -1

    def test_non_serializable_parametrize(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            r"""
            import pytest

            @pytest.mark.parametrize('val', [
                b'\xac\x10\x02G',
            ])
            def test_fail(val):
                assert False
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*1 failed in*"])

    @pytest.mark.parametrize("parent", ("directory", "package"))
    def test_terminal_report_lastfailed(self, zenrunner: Any, parent: str) -> None:
        if parent == "package":
            zenrunner.makepyfile(__init__="")
        test_a = write(
            zenrunner,
            test_a="""
            def test_a1(): pass
            def test_a2(): pass
        """,
        )
        test_b = write(
            zenrunner,
            test_b="""
            def test_b1(): assert 0
            def test_b2(): assert 0
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 4 pipelines", "*2 failed, 2 passed in*"])
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 1 file)",
                "*2 failed in*",
            ]
        )
        result = run(zenrunner, str(test_a), "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: 2 known failures not in selected pipelines",
                "*2 passed in*",
            ]
        )
        result = run(zenrunner, str(test_b), "--lf")
        result.stdout.fnmatch_lines(
            ["collected 2 pipelines", "run-last-failure: rerun previous 2 failures", "*2 failed in*"]
        )
        result = run(zenrunner, "pipeline_b.py::test_b1", "--lf")
        result.stdout.fnmatch_lines(
            ["collected 1 pipeline", "run-last-failure: rerun previous 1 failure", "*1 failed in*"]
        )

    def test_terminal_report_failedfirst(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            test_a="""
            def test_a1(): assert 0
            def test_a2(): pass
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 2 pipelines", "*1 failed, 1 passed in*"])
        result = run(zenrunner, "--ff")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 1 failure first",
                "*1 failed, 1 passed in*",
            ]
        )

    MAYBE = """
            import os
            env = os.environ
            if '1' == env['FAILIMPORT']:
                raise ImportError('fail')
            def test_hello():
                assert '0' == env['FAILTEST']
        """

    def test_lastfailed_collectfailure(self, zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        write(zenrunner, test_maybe=self.MAYBE)

        def rlf(fail_import: int, fail_run: int) -> Any:
            monkeypatch.setenv("FAILIMPORT", str(fail_import))
            monkeypatch.setenv("FAILTEST", str(fail_run))
            run(zenrunner, "-q")
            return config_cache(zenrunner).get("cache/lastfailed", -1)

        assert rlf(fail_import=0, fail_run=0) == -1
        assert list(rlf(fail_import=1, fail_run=0)) == ["pipeline_maybe.py"]
        assert list(rlf(fail_import=0, fail_run=1)) == ["pipeline_maybe.py::test_hello"]

    def test_lastfailed_failure_subset(self, zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        write(zenrunner, test_maybe=self.MAYBE)
        write(
            zenrunner,
            test_maybe2="""
            import os
            env = os.environ
            if '1' == env['FAILIMPORT']:
                raise ImportError('fail')

            def test_hello():
                assert '0' == env['FAILTEST']

            def test_pass():
                pass
        """,
        )

        def rlf(fail_import: int, fail_run: int, args: tuple[str, ...] = ()) -> tuple[Any, Any]:
            monkeypatch.setenv("FAILIMPORT", str(fail_import))
            monkeypatch.setenv("FAILTEST", str(fail_run))
            result = run(zenrunner, "-q", "--lf", *args)
            return result, config_cache(zenrunner).get("cache/lastfailed", -1)

        result, lastfailed = rlf(fail_import=0, fail_run=0)
        assert lastfailed == -1
        result.stdout.fnmatch_lines(["*3 passed*"])
        result, lastfailed = rlf(fail_import=1, fail_run=0)
        assert sorted(lastfailed) == ["pipeline_maybe.py", "pipeline_maybe2.py"]
        result, lastfailed = rlf(fail_import=0, fail_run=0, args=("pipeline_maybe2.py",))
        assert list(lastfailed) == ["pipeline_maybe.py"]
        result, lastfailed = rlf(fail_import=0, fail_run=0, args=("pipeline_maybe2.py",))
        assert list(lastfailed) == ["pipeline_maybe.py"]
        result.stdout.fnmatch_lines(["*2 passed*"])

    def test_lastfailed_creates_cache_when_needed(self, zenrunner: Any) -> None:
        lastfailed = Path(zenrunner.store) / "v/cache/lastfailed"
        zenrunner.makepyfile(pipeline_empty="")
        run(zenrunner, "-q", "--lf")
        assert not lastfailed.exists()
        write(zenrunner, test_successful="def test_success():\n    assert True")
        run(zenrunner, "-q", "--lf")
        assert not lastfailed.exists()
        write(zenrunner, test_errored="def test_error():\n    assert False")
        run(zenrunner, "-q", "--lf")
        assert lastfailed.exists()

    def test_xfail_not_considered_failure(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test(): assert 0
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*1 xfailed*"])
        assert last_failed(zenrunner) == []

    def test_xfail_strict_considered_failure(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(strict=True)
            def test(): pass
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*1 failed*"])
        assert last_failed(zenrunner) == [f"{zenrunner.default_name}.py::test"]

    @pytest.mark.parametrize("mark", ["mark.xfail", "mark.skip"])
    def test_failed_changed_to_xfail_or_skip(self, zenrunner: Any, mark: str) -> None:
        write(
            zenrunner,
            """
            import pytest
            def test(): assert 0
        """,
        )
        result = run(zenrunner)
        assert last_failed(zenrunner) == [f"{zenrunner.default_name}.py::test"]
        assert result.ret == 1
        write(
            zenrunner,
            f"""
            import pytest
            @pytest.{mark}
            def test(): assert 0
        """,
        )
        result = run(zenrunner)
        assert result.ret == 0
        assert last_failed(zenrunner) == []

    @pytest.mark.parametrize("quiet", [True, False])
    @pytest.mark.parametrize("opt", ["--ff", "--lf"])
    def test_lf_and_ff_prints_no_needless_message(self, quiet: bool, opt: str, zenrunner: Any) -> None:
        write(zenrunner, "def test(): assert 0")
        args = [opt]
        if quiet:
            args.append("-q")
        result = run(zenrunner, *args)
        result.stdout.no_fnmatch_line("*run all*")
        result = run(zenrunner, *args)
        if quiet:
            result.stdout.no_fnmatch_line("*run all*")
        else:
            assert "rerun previous" in result.stdout.str()

    def test_cache_cumulative(self, zenrunner: Any) -> None:
        test_bar = write(
            zenrunner,
            test_bar="""
            def test_bar_1(): pass
            def test_bar_2(): assert 0
        """,
        )
        write(
            zenrunner,
            test_foo="""
            def test_foo_3(): pass
            def test_foo_4(): assert 0
        """,
        )
        run(zenrunner)
        assert last_failed(zenrunner) == ["pipeline_bar.py::test_bar_2", "pipeline_foo.py::test_foo_4"]
        write(
            zenrunner,
            test_bar="""
            def test_bar_1(): pass
            def test_bar_2(): pass
        """,
        )
        result = run(zenrunner, str(test_bar))
        result.stdout.fnmatch_lines(["*2 passed*"])
        assert last_failed(zenrunner) == ["pipeline_foo.py::test_foo_4"]
        result = run(zenrunner, "--last-failed")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "*= 1 failed in *",
            ]
        )
        assert last_failed(zenrunner) == ["pipeline_foo.py::test_foo_4"]
        test_foo = write(
            zenrunner,
            test_foo="""
            def test_foo_3(): pass
            def test_foo_4(): pass
        """,
        )
        result = run(zenrunner, str(test_foo), "--last-failed")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 1 deselected / 1 selected",
                "run-last-failure: rerun previous 1 failure",
                "*= 1 passed, 1 deselected in *",
            ]
        )
        assert last_failed(zenrunner) == []
        result = run(zenrunner, "--last-failed")
        result.stdout.fnmatch_lines(["*4 passed*"])
        assert last_failed(zenrunner) == []

    def test_lastfailed_no_failures_behavior_all_passed(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            """
            def test_1(): pass
            def test_2(): pass
        """,
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["*2 passed*"])
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(["*2 passed*"])
        result = run(zenrunner, "--lf", "--lfnf", "all")
        result.stdout.fnmatch_lines(["*2 passed*"])
        zenrunner.makeconftest(
            """
            deselected = []

            def zenrun_deselected(items):
                global deselected
                deselected = items

            def zenrun_sessionfinish():
                print("\\ndeselected={}".format(len(deselected)))
        """
        )
        result = run(zenrunner, "--lf", "--lfnf", "none")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 2 deselected / 0 selected",
                "run-last-failure: no previously failed pipelines, deselecting all items.",
                "deselected=2",
                "* 2 deselected in *",
            ]
        )
        assert result.ret == 5

    def test_lastfailed_no_failures_behavior_empty_cache(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            """
            def test_1(): pass
            def test_2(): assert 0
        """,
        )
        result = run(zenrunner, "--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*1 passed*"])
        result = run(zenrunner, "--lf", "--cache-clear", "--lfnf", "all")
        result.stdout.fnmatch_lines(["*1 failed*1 passed*"])
        result = run(zenrunner, "--lf", "--cache-clear", "--lfnf", "none")
        result.stdout.fnmatch_lines(["*2 desel*"])

    def test_lastfailed_skip_collection(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{
                "pkg1/pipeline_1.py": """
                import pytest

                @pytest.mark.parametrize('i', range(3))
                def test_1(i): pass
            """,
                "pkg2/pipeline_2.py": """
                import pytest

                @pytest.mark.parametrize('i', range(5))
                def test_1(i):
                    assert i not in (1, 3)
            """,
            },
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 8 pipelines", "*2 failed*6 passed*"])
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 1 file)",
                "*= 2 failed in *",
            ]
        )
        write(zenrunner, **{"pkg1/pipeline_3.py": "def test_3(): pass"})
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 2 files)",
                "*= 2 failed in *",
            ]
        )

    def test_lastfailed_skip_collection_with_nesting(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{"pipeline_1.py": "def test_1(): pass", "pkg/pipeline_2.py": "def test_2(): assert False"},
        )
        zenrunner.makepyfile(**{"pkg/__init__.py": ""})
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 2 pipelines", "*1 failed*1 passed*"])
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "*= 1 failed in *",
            ]
        )

    def test_lastfailed_with_known_failures_not_being_selected(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{"pkg1/pipeline_1.py": "def test_1(): assert 0", "pkg1/pipeline_2.py": "def test_2(): pass"},
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])
        Path("pkg1/pipeline_1.py").unlink()
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: 1 known failures not in selected pipelines",
                "* 1 passed in *",
            ]
        )
        write(zenrunner, **{"pkg1/pipeline_1.py": "def test_1(): assert 0"})
        result = run(zenrunner, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "* 1 failed in *",
            ]
        )
        write(zenrunner, **{"pkg1/pipeline_1.py": "def test_renamed(): assert 0"})
        result = run(zenrunner, "--lf", "-rf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: 1 known failures not in selected pipelines",
                "pkg1/pipeline_1.py F *",
                "pkg1/pipeline_2.py . *",
                "FAILED pkg1/pipeline_1.py::test_renamed - *assert 0",  # zenrun names the step first
                "* 1 failed, 1 passed in *",
            ]
        )
        result = run(zenrunner, "--lf", "--co")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "",
                "<Dir *>",
                "  <Dir pkg1>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_renamed>",
            ]
        )

    def test_lastfailed_args_with_deselected(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{
                "pkg1/pipeline_1.py": """
                    def test_pass(): pass
                    def test_fail(): assert 0
                """,
            },
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])
        assert result.ret == 1
        result = run(zenrunner, "pkg1/pipeline_1.py::test_pass", "--lf", "--co")
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            [
                "*collected 1 pipeline",
                "run-last-failure: 1 known failures not in selected pipelines",
                "",
                "<Dir *>",
                "  <Dir pkg1>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_pass>",
            ],
            consecutive=True,
        )
        result = run(
            zenrunner, "pkg1/pipeline_1.py::test_pass", "pkg1/pipeline_1.py::test_fail", "--lf", "--co"
        )
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 1 deselected / 1 selected",
                "run-last-failure: rerun previous 1 failure",
                "",
                "<Dir *>",
                "  <Dir pkg1>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_fail>",
                "*= 1/2 pipelines collected (1 deselected) in *",
            ]
        )

    def test_lastfailed_with_all_filtered(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{
                "pkg1/pipeline_1.py": """
                    def test_fail(): assert 0
                    def test_pass(): pass
                """,
            },
        )
        result = run(zenrunner)
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])
        assert result.ret == 1
        write(zenrunner, **{"pkg1/pipeline_1.py": "def test_pass(): pass"})
        result = run(zenrunner, "--lf", "--co")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: 1 known failures not in selected pipelines",
                "",
                "<Dir *>",
                "  <Dir pkg1>",
                "    <Module pipeline_1.py>",
                "      <Pipeline test_pass>",
                "",
                "*= 1 pipeline collected in*",
            ],
            consecutive=True,
        )
        assert result.ret == 0

    def test_packages(self, zenrunner: Any) -> None:
        zenrunner.makepyfile(
            **{
                "__init__.py": "",
                "a/__init__.py": pipelines("def test_a_init(): assert False"),
                "a/test_one.py": pipelines("def test_1(): assert False"),
                "b/__init__.py": "",
                "b/test_two.py": pipelines("def test_2(): assert False"),
            }
        )
        zenrunner.maketoml('python_files = ["*.py"]')
        result = run(zenrunner)
        result.assert_outcomes(failed=3)
        result = run(zenrunner, "--lf")
        result.assert_outcomes(failed=3)


class TestNewFirst:
    def test_newfirst_usecase(self, zenrunner: Any) -> None:
        write(
            zenrunner,
            **{
                "pipeline_1/pipeline_1.py": "def test_1(): assert 1",
                "pipeline_2/pipeline_2.py": "def test_1(): assert 1",
            },
        )
        p1 = zenrunner.path.joinpath("pipeline_1/pipeline_1.py")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))
        result = run(zenrunner, "-v")
        result.stdout.fnmatch_lines(
            ["*pipeline_1/pipeline_1.py::test_1 PASSED*", "*pipeline_2/pipeline_2.py::test_1 PASSED*"]
        )
        result = run(zenrunner, "-v", "--nf")
        result.stdout.fnmatch_lines(
            ["*pipeline_2/pipeline_2.py::test_1 PASSED*", "*pipeline_1/pipeline_1.py::test_1 PASSED*"]
        )
        p1.write_text(pipelines("def test_1(): assert 1\ndef test_2(): assert 1\n"), encoding="utf-8")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))
        result = run(zenrunner, "--nf", "--collect-only", "-q")
        result.stdout.fnmatch_lines(
            [
                "pipeline_1/pipeline_1.py::test_2",
                "pipeline_2/pipeline_2.py::test_1",
                "pipeline_1/pipeline_1.py::test_1",
            ]
        )
        zenrunner.makepyfile(
            myplugin="""
            def zenrun_collection_modifyitems(items):
                items[:] = sorted(items, key=lambda item: item.nodeid)
                print("new_items:", [x.nodeid for x in items])
            """
        )
        zenrunner.syspathinsert()
        result = run(zenrunner, "--nf", "-p", "myplugin", "--collect-only", "-q")
        result.stdout.fnmatch_lines(
            [
                "new_items: *pipeline_1.py*pipeline_1.py*pipeline_2.py*",
                "pipeline_1/pipeline_1.py::test_2",
                "pipeline_2/pipeline_2.py::test_1",
                "pipeline_1/pipeline_1.py::test_1",
            ]
        )

    def test_newfirst_parametrize(self, zenrunner: Any) -> None:
        src = """
                import pytest
                @pytest.mark.parametrize('num', [1, 2])
                def test_1(num): assert num
            """
        write(zenrunner, **{"pipeline_1/pipeline_1.py": src, "pipeline_2/pipeline_2.py": src})
        p1 = zenrunner.path.joinpath("pipeline_1/pipeline_1.py")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))
        result = run(zenrunner, "-v")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_1/pipeline_1.py::test_1[1*",
                "*pipeline_1/pipeline_1.py::test_1[2*",
                "*pipeline_2/pipeline_2.py::test_1[1*",
                "*pipeline_2/pipeline_2.py::test_1[2*",
            ]
        )
        result = run(zenrunner, "-v", "--nf")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_2/pipeline_2.py::test_1[1*",
                "*pipeline_2/pipeline_2.py::test_1[2*",
                "*pipeline_1/pipeline_1.py::test_1[1*",
                "*pipeline_1/pipeline_1.py::test_1[2*",
            ]
        )
        p1.write_text(
            pipelines(
                "import pytest\n@pytest.mark.parametrize('num', [1, 2, 3])\ndef test_1(num): assert num\n"
            ),
            encoding="utf-8",
        )
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))
        result = run(zenrunner, "-v", "--nf", "pipeline_2/pipeline_2.py")
        result.stdout.fnmatch_lines(
            ["*pipeline_2/pipeline_2.py::test_1[1*", "*pipeline_2/pipeline_2.py::test_1[2*"]
        )
        result = run(zenrunner, "-v", "--nf")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_1/pipeline_1.py::test_1[3*",
                "*pipeline_2/pipeline_2.py::test_1[1*",
                "*pipeline_2/pipeline_2.py::test_1[2*",
                "*pipeline_1/pipeline_1.py::test_1[1*",
                "*pipeline_1/pipeline_1.py::test_1[2*",
            ]
        )


class TestReadme:
    def check_readme(self, zenrunner: Any) -> bool:
        zenrunner.parseconfigure()
        return Path(zenrunner.store).joinpath("README.md").is_file()

    def test_readme_passed(self, zenrunner: Any) -> None:
        write(zenrunner, "def test_always_passes(): pass")
        run(zenrunner)
        assert self.check_readme(zenrunner) is True

    def test_readme_failed(self, zenrunner: Any) -> None:
        write(zenrunner, "def test_always_fails(): assert 0")
        run(zenrunner)
        assert self.check_readme(zenrunner) is True


@pytest.mark.parametrize("action", ["mkdir", "set"])
def test_gitignore(zenrunner: Any, action: str) -> None:
    import zenrun

    cache = zenrun.CacheValues.for_config(zenrunner.parseconfig())
    if action == "mkdir":
        cache.mkdir("foo")
    else:
        cache.set("foo", "bar")
    gitignore_path = Path(zenrunner.store).joinpath(".gitignore")
    assert gitignore_path.read_text(encoding="UTF-8") == "# Created by zenrun automatically.\n*\n"
    gitignore_path.write_text("custom", encoding="utf-8")
    if action == "mkdir":
        cache.mkdir("something")
    else:
        cache.set("something", "else")
    assert gitignore_path.read_text(encoding="UTF-8") == "custom"


def test_preserve_keys_order(zenrunner: Any) -> None:
    import zenrun

    cache = zenrun.CacheValues.for_config(zenrunner.parseconfig())
    cache.set("foo", {"z": 1, "b": 2, "a": 3, "d": 10})
    read_back = cache.get("foo", None)
    assert list(read_back.items()) == [("z", 1), ("b", 2), ("a", 3), ("d", 10)]


def test_does_not_create_boilerplate_in_existing_dirs(zenrunner: Any) -> None:
    import zenrun

    zenrunner.maketoml('store = "."')
    cache = zenrun.CacheValues.for_config(zenrunner.parseconfig())
    cache.set("foo", "bar")
    assert os.path.isdir("v")  # cache contents
    assert not os.path.exists(".gitignore")
    assert not os.path.exists("README.md")


def test_cachedir_tag(zenrunner: Any) -> None:
    import zenrun

    cache = zenrun.CacheValues.for_config(zenrunner.parseconfig())
    cache.set("foo", "bar")
    tag = Path(zenrunner.store).joinpath("CACHEDIR.TAG").read_bytes()
    assert tag.startswith(b"Signature: 8a477f597d28d172789f06886806bc55")


def test_clioption_with_cacheshow_and_help(zenrunner: Any) -> None:
    result = run(zenrunner, "--cache-show", "--help")
    assert result.ret == 0


# =============================================================================================
# testing/test_tmpdir.py


@pytest.fixture
def tmproot(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pytester's ``_test_tmproot``: the temporary root the runs' ``tmp_path`` directories go to
    (``$ZENRUN_DEBUG_TEMPROOT``, pytest's ``$PYTEST_DEBUG_TEMPROOT``)."""
    root = zenrunner.path.parent / f"{zenrunner.path.name}-tmproot"
    root.mkdir()
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(root))
    return root


def test_tmp_path_fixture(zenrunner: Any) -> None:
    # testing/example_scripts/tmpdir/tmp_path_fixture.py
    p = write(
        zenrunner,
        r"""
        import pytest

        @pytest.mark.parametrize("a", [r"qwe/\abc"])
        def test_fixture(tmp_path, a):
            assert tmp_path.is_dir()
            assert list(tmp_path.iterdir()) == []
        """,
    )
    results = run(zenrunner, str(p))
    results.stdout.fnmatch_lines(["*1 passed*"])


class TestTmpPathHandler:
    def test_mktemp(self, tmp_path: Path) -> None:
        import zenrun

        t = zenrun.TempPathFactory(tmp_path, 3, "all")
        tmp = t.mktemp("world")
        assert str(tmp.relative_to(t.getbasetemp())) == "world0"
        tmp = t.mktemp("this")
        assert str(tmp.relative_to(t.getbasetemp())).startswith("this")
        tmp2 = t.mktemp("this")
        assert str(tmp2.relative_to(t.getbasetemp())).startswith("this")
        assert tmp2 != tmp

    def test_tmppath_relative_basetemp_absolute(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import zenrun

        monkeypatch.chdir(tmp_path)
        t = zenrun.TempPathFactory(Path("hello"), 3, "all")
        assert t.getbasetemp().resolve() == (tmp_path / "hello").resolve()


class TestNumberedDir:
    PREFIX = "fun-"

    def test_make(self, tmp_path: Path) -> None:
        # through ``tmp_path_factory.mktemp`` (pytest's private ``make_numbered_dir``)
        import zenrun

        t = zenrun.TempPathFactory(tmp_path, 3, "all")
        for i in range(10):
            d = t.mktemp(self.PREFIX)
            assert d.name.startswith(self.PREFIX)
            assert d.name.endswith(str(i))
        symlink = t.getbasetemp().joinpath(self.PREFIX + "current")
        assert symlink.is_symlink()
        assert symlink.resolve() == d.resolve()


class TestConfigTmpPath:
    def test_getbasetemp_custom_removes_old(self, zenrunner: Any) -> None:
        mytemp = zenrunner.path.joinpath("xyz")
        p = write(
            zenrunner,
            """
            def test_1(tmp_path):
                pass
        """,
        )
        run(zenrunner, str(p), f"--basetemp={mytemp}")
        assert mytemp.exists()
        mytemp.joinpath("hello").touch()
        run(zenrunner, str(p), f"--basetemp={mytemp}")
        assert mytemp.exists()
        assert not mytemp.joinpath("hello").exists()

    PASSING = """
            def test_1(tmp_path):
                assert 0 == 0
        """
    FAILING = """
            def test_1(tmp_path):
                assert 0 == 1
        """

    def test_policy_none_delete_all(self, zenrunner: Any, tmproot: Path) -> None:
        p = write(zenrunner, self.PASSING)
        p_failed = write(zenrunner, another_file_name=self.FAILING)
        zenrunner.maketoml('tmp_path_retention_policy = "none"')
        zenrunner.inline_run(p)
        zenrunner.inline_run(p_failed)
        for child in tmproot.iterdir():
            assert list(child.iterdir()) == []

    @pytest.mark.parametrize("policy", ['"failed"', '"all"'])
    @pytest.mark.parametrize("count", [0, 1, 3])
    def test_retention_count(self, zenrunner: Any, tmproot: Path, policy: str, count: int) -> None:
        p = write(zenrunner, self.PASSING)
        p_failed = write(zenrunner, another_file_name=self.FAILING)
        zenrunner.maketoml(f"tmp_path_retention_policy = {policy}\ntmp_path_retention_count = {count}")
        for _ in range(4):
            zenrunner.inline_run(p)
            zenrunner.inline_run(p_failed)
        for child in tmproot.iterdir():
            base_dir = [x for x in child.iterdir() if not x.is_symlink()]
            assert len(base_dir) == count

    def test_policy_failed_removes_only_passed_dir(self, zenrunner: Any, tmproot: Path) -> None:
        p = write(
            zenrunner,
            """
            def test_1(tmp_path):
                assert 0 == 0
            def test_2(tmp_path):
                assert 0 == 1
        """,
        )
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.inline_run(p)
        for child in tmproot.iterdir():
            base_dir = [x for x in child.iterdir() if x.is_dir() and not x.is_symlink()]
            assert len(base_dir) == 1
            test_dir = [x for x in base_dir[0].iterdir() if x.is_dir() and not x.is_symlink()]
            assert len(test_dir) == 1
            assert test_dir[0].name == "test_20"

    def test_policy_failed_removes_basedir_when_all_passed(self, zenrunner: Any, tmproot: Path) -> None:
        p = write(zenrunner, self.PASSING)
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.inline_run(p)
        for child in tmproot.iterdir():
            base_dir = [x for x in child.iterdir() if not x.is_symlink()]
            assert len(base_dir) == 0

    SKIPPED_FROM_FIXTURE = """
            import pytest

            @pytest.fixture
            def fixt(tmp_path):
                pytest.skip()

            def test_fixt(fixt):
                pass
        """

    def test_policy_failed_removes_dir_when_skipped_from_fixture(self, zenrunner: Any, tmproot: Path) -> None:
        p = write(zenrunner, self.SKIPPED_FROM_FIXTURE)
        zenrunner.maketoml('tmp_path_retention_policy = "failed"')
        zenrunner.inline_run(p)
        for child in tmproot.iterdir():
            assert list(child.iterdir()) == []

    def test_policy_all_keeps_dir_when_skipped_from_fixture(self, zenrunner: Any, tmproot: Path) -> None:
        p = write(zenrunner, self.SKIPPED_FROM_FIXTURE)
        zenrunner.maketoml('tmp_path_retention_policy = "all"')
        zenrunner.inline_run(p)
        for child in tmproot.iterdir():
            base_dir = [x for x in child.iterdir() if x.is_dir() and not x.is_symlink()]
            assert len(base_dir) == 1
            test_dir = [x for x in base_dir[0].iterdir() if x.is_dir() and not x.is_symlink()]
            assert len(test_dir) == 1


@pytest.mark.parametrize(
    "basename, is_ok",
    [
        ("mypath", True),
        ("/mypath1", False),
        ("./mypath1", True),
        ("../mypath3", False),
        ("../../mypath4", False),
        ("mypath5/..", False),
        ("mypath6/../mypath6", True),
        ("mypath7/../mypath7/..", False),
    ],
)
def test_mktemp(zenrunner: Any, basename: str, is_ok: bool) -> None:
    mytemp = zenrunner.mkdir("mytemp")
    p = write(
        zenrunner,
        f"""
        def test_abs_path(tmp_path_factory):
            tmp_path_factory.mktemp('{basename}', numbered=False)
        """,
    )
    result = run(zenrunner, str(p), f"--basetemp={mytemp}")
    if is_ok:
        assert result.ret == 0
        assert mytemp.joinpath(basename).exists()
    else:
        assert result.ret == 1
        result.stdout.fnmatch_lines("*ValueError*")


def test_tmp_path_always_is_realpath(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    realtemp = zenrunner.mkdir("myrealtemp")
    linktemp = zenrunner.path.joinpath("symlinktemp")
    linktemp.symlink_to(realtemp)
    monkeypatch.setenv("ZENRUN_DEBUG_TEMPROOT", str(linktemp))
    write(
        zenrunner,
        """
        def test_1(tmp_path):
            assert tmp_path.resolve() == tmp_path
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


def test_tmp_path_too_long_on_parametrization(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.mark.parametrize("arg", ["1"*1000])
        def test_some(arg, tmp_path):
            tmp_path.joinpath("hello").touch()
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


def test_tmp_path_factory(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        import pytest
        @pytest.fixture(scope='session')
        def session_dir(tmp_path_factory):
            return tmp_path_factory.mktemp('data', numbered=False)
        def test_some(session_dir):
            assert session_dir.is_dir()
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


def test_tmp_path_fallback_tox_env(zenrunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("USERNAME", raising=False)
    write(
        zenrunner,
        """
        def test_some(tmp_path):
            assert tmp_path.is_dir()
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


@pytest.fixture
def break_getuser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.getuid", lambda: -1)
    for envvar in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(envvar, raising=False)


@pytest.mark.usefixtures("break_getuser")
def test_tmp_path_fallback_uid_not_found(zenrunner: Any, tmproot: Path) -> None:
    write(
        zenrunner,
        """
        def test_some(tmp_path):
            assert tmp_path.is_dir()
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


UNKNOWN_USER = """
        def test_some(tmp_path_factory):
            assert tmp_path_factory.getbasetemp().parent.name == "zenrun-of-unknown"
    """


@pytest.mark.usefixtures("break_getuser")
def test_get_user_uid_not_found(zenrunner: Any, tmproot: Path) -> None:
    # pytest's ``get_user() is None``: the per-user directory is ``zenrun-of-unknown``
    write(zenrunner, UNKNOWN_USER)
    zenrunner.inline_run().assertoutcome(passed=1)


def test_get_user_handles_getpass_oserror(
    zenrunner: Any, tmproot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    def _raise_oserror() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", _raise_oserror)
    write(zenrunner, UNKNOWN_USER)
    zenrunner.inline_run().assertoutcome(passed=1)


def test_basetemp_with_read_only_files(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        import os
        import stat
        def test(tmp_path):
            fn = tmp_path / 'foo.txt'
            fn.write_text('hello', encoding='utf-8')
            mode = os.stat(str(fn)).st_mode
            os.chmod(str(fn), mode & ~stat.S_IREAD)
    """,
    )
    result = run(zenrunner, "--basetemp=tmp")
    assert result.ret == 0
    result = run(zenrunner, "--basetemp=tmp")
    assert result.ret == 0


def test_tmp_path_factory_handles_invalid_dir_characters(
    zenrunner: Any, tmproot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "os/<:*?;>agnostic")
    write(
        zenrunner,
        """
        def test_some(tmp_path_factory):
            assert "zenrun-of-unknown" in str(tmp_path_factory.getbasetemp())
    """,
    )
    zenrunner.inline_run().assertoutcome(passed=1)


def test_tmp_path_factory_create_directory_with_safe_permissions(zenrunner: Any, tmproot: Path) -> None:
    import zenrun

    basetemp = zenrun.TempPathFactory(None, 3, "all").getbasetemp()
    assert (basetemp.stat().st_mode & 0o077) == 0
    assert (basetemp.parent.stat().st_mode & 0o077) == 0


def test_tmp_path_factory_fixes_up_world_readable_permissions(zenrunner: Any, tmproot: Path) -> None:
    import zenrun

    basetemp = zenrun.TempPathFactory(None, 3, "all").getbasetemp()
    os.chmod(basetemp.parent, 0o777)
    assert (basetemp.parent.stat().st_mode & 0o077) != 0
    basetemp = zenrun.TempPathFactory(None, 3, "all").getbasetemp()
    assert (basetemp.parent.stat().st_mode & 0o077) == 0


def test_tmp_path_factory_doesnt_follow_symlinks(zenrunner: Any, tmproot: Path) -> None:
    import shutil

    import zenrun

    attacker_controlled = tmproot / "attacker_controlled"
    attacker_controlled.mkdir()
    zenrun_of_user = zenrun.TempPathFactory(None, 3, "all").getbasetemp().parent
    assert "zenrun-of-" in str(zenrun_of_user)
    shutil.rmtree(zenrun_of_user)
    zenrun_of_user.symlink_to(attacker_controlled)
    with pytest.raises(OSError, match=r"temporary directory .* is a symbolic link"):
        zenrun.TempPathFactory(None, 3, "all").getbasetemp()


def test_tmp_path_retention_policy_invalid(zenrunner: Any) -> None:
    zenrunner.maketoml('tmp_path_retention_policy = "compress"')
    write(zenrunner, "def test(): pass")
    result = run(zenrunner)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "*ERROR: *config option 'tmp_path_retention_policy' expects one of 'all' | 'failed' | 'none', got 'compress'"
        ]
    )


# =============================================================================================
# testing/test_monkeypatch.py: the unit cases drive ``zenrun.MonkeyPatch`` (the class of the
# ``monkeypatch`` fixture, as pytest's drive ``_pytest.monkeypatch.MonkeyPatch``); the cases
# of the fixture itself run pipelines.


def _mp_class() -> Any:
    import zenrun

    return zenrun.MonkeyPatch


@pytest.fixture
def mp() -> Any:
    cwd = os.getcwd()
    sys_path = list(sys.path)
    yield _mp_class()()
    sys.path[:] = sys_path
    os.chdir(cwd)


def test_setattr() -> None:
    class A:
        x = 1

    monkeypatch = _mp_class()()
    with pytest.raises(AttributeError):
        monkeypatch.setattr(A, "notexists", 2)
    monkeypatch.setattr(A, "y", 2, raising=False)
    assert A.y == 2  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert not hasattr(A, "y")

    monkeypatch = _mp_class()()
    monkeypatch.setattr(A, "x", 2)
    assert A.x == 2
    monkeypatch.setattr(A, "x", 3)
    assert A.x == 3
    monkeypatch.undo()
    assert A.x == 1
    A.x = 5
    monkeypatch.undo()  # double-undo makes no modification
    assert A.x == 5
    with pytest.raises(TypeError):
        monkeypatch.setattr(A, "y")


class TestSetattrWithImportPath:
    def test_string_expression(self) -> None:
        with _mp_class().context() as mp:
            mp.setattr("os.path.abspath", lambda x: "hello2")
            assert os.path.abspath("123") == "hello2"

    def test_string_expression_class(self) -> None:
        with _mp_class().context() as mp:
            mp.setattr("zenrun.config.Config", 42)
            import zenrun.config

            assert zenrun.config.Config == 42

    def test_unicode_string(self) -> None:
        with _mp_class().context() as mp:
            mp.setattr("zenrun.config.Config", 42)
            import zenrun.config

            assert zenrun.config.Config == 42
            mp.delattr("zenrun.config.Config")

    def test_wrong_target(self) -> None:
        with pytest.raises(TypeError):
            _mp_class()().setattr(None, None)

    def test_unknown_import(self) -> None:
        with pytest.raises(ImportError):
            _mp_class()().setattr("unkn123.classx", None)

    def test_unknown_attr(self) -> None:
        with pytest.raises(AttributeError):
            _mp_class()().setattr("os.path.qweqwe", None)

    def test_unknown_attr_non_raising(self) -> None:
        with _mp_class().context() as mp:
            mp.setattr("os.path.qweqwe", 42, raising=False)
            assert os.path.qweqwe == 42  # type: ignore[attr-defined]

    def test_setattr_failure_does_not_corrupt_undo(self) -> None:
        class Immutable:
            __slots__ = ()

        monkeypatch = _mp_class()()
        with pytest.raises(AttributeError):
            monkeypatch.setattr(Immutable(), "x", 42, raising=False)
        monkeypatch.undo()

    def test_delattr(self) -> None:
        with _mp_class().context() as mp:
            mp.delattr("os.path.abspath")
            assert not hasattr(os.path, "abspath")
            mp.undo()
            assert os.path.abspath


def test_delattr() -> None:
    class A:
        x = 1

    monkeypatch = _mp_class()()
    monkeypatch.delattr(A, "x")
    assert not hasattr(A, "x")
    monkeypatch.undo()
    assert A.x == 1

    monkeypatch = _mp_class()()
    monkeypatch.delattr(A, "x")
    with pytest.raises(AttributeError):
        monkeypatch.delattr(A, "y")
    monkeypatch.delattr(A, "y", raising=False)
    monkeypatch.setattr(A, "x", 5, raising=False)
    assert A.x == 5
    monkeypatch.undo()
    assert A.x == 1


def test_setitem() -> None:
    d = {"x": 1}
    monkeypatch = _mp_class()()
    monkeypatch.setitem(d, "x", 2)
    monkeypatch.setitem(d, "y", 1700)
    monkeypatch.setitem(d, "y", 1700)
    assert d["x"] == 2
    assert d["y"] == 1700
    monkeypatch.setitem(d, "x", 3)
    assert d["x"] == 3
    monkeypatch.undo()
    assert d["x"] == 1
    assert "y" not in d
    d["x"] = 5
    monkeypatch.undo()
    assert d["x"] == 5


def test_setitem_deleted_meanwhile() -> None:
    d: dict[str, object] = {}
    monkeypatch = _mp_class()()
    monkeypatch.setitem(d, "x", 2)
    del d["x"]
    monkeypatch.undo()
    assert not d


@pytest.mark.parametrize("before", [True, False])
def test_setenv_deleted_meanwhile(before: bool) -> None:
    key = "qwpeoip123"
    if before:
        os.environ[key] = "world"
    monkeypatch = _mp_class()()
    monkeypatch.setenv(key, "hello")
    del os.environ[key]
    monkeypatch.undo()
    if before:
        assert os.environ[key] == "world"
        del os.environ[key]
    else:
        assert key not in os.environ


def test_delitem() -> None:
    d: dict[str, object] = {"x": 1}
    monkeypatch = _mp_class()()
    monkeypatch.delitem(d, "x")
    assert "x" not in d
    monkeypatch.delitem(d, "y", raising=False)
    with pytest.raises(KeyError):
        monkeypatch.delitem(d, "y")
    assert not d
    monkeypatch.setitem(d, "y", 1700)
    assert d["y"] == 1700
    d["hello"] = "world"
    monkeypatch.setitem(d, "x", 1500)
    assert d["x"] == 1500
    monkeypatch.undo()
    assert d == {"hello": "world", "x": 1}


def test_setenv() -> None:
    import zenrun

    monkeypatch = _mp_class()()
    with pytest.warns(zenrun.ZenrunWarning):
        monkeypatch.setenv("XYZ123", 2)
    assert os.environ["XYZ123"] == "2"
    monkeypatch.undo()
    assert "XYZ123" not in os.environ


def test_delenv() -> None:
    name = "xyz1234"
    assert name not in os.environ
    monkeypatch = _mp_class()()
    with pytest.raises(KeyError):
        monkeypatch.delenv(name, raising=True)
    monkeypatch.delenv(name, raising=False)
    monkeypatch.undo()
    os.environ[name] = "1"
    try:
        monkeypatch = _mp_class()()
        monkeypatch.delenv(name)
        assert name not in os.environ
        monkeypatch.setenv(name, "3")
        assert os.environ[name] == "3"
        monkeypatch.undo()
        assert os.environ[name] == "1"
    finally:
        if name in os.environ:
            del os.environ[name]


class TestEnvironWarnings:
    VAR_NAME = "ZENRUN_INTERNAL_MY_VAR"

    def test_setenv_non_str_warning(self) -> None:
        import re

        import zenrun

        msg = (
            "Value of environment variable ZENRUN_INTERNAL_MY_VAR type should be str, "
            "but got 2 (type: int); converted to str implicitly"
        )
        monkeypatch = _mp_class()()
        try:
            with pytest.warns(zenrun.ZenrunWarning, match=re.escape(msg)):
                monkeypatch.setenv(str(self.VAR_NAME), 2)
        finally:
            monkeypatch.undo()


def test_setenv_prepend() -> None:
    monkeypatch = _mp_class()()
    monkeypatch.setenv("XYZ123", "2", prepend="-")
    monkeypatch.setenv("XYZ123", "3", prepend="-")
    assert os.environ["XYZ123"] == "3-2"
    monkeypatch.undo()
    assert "XYZ123" not in os.environ


def test_monkeypatch_plugin(zenrunner: Any) -> None:
    reprec = zenrunner.inline_runsource(
        pipelines(
            """
        def test_method(monkeypatch):
            assert monkeypatch.__class__.__name__ == "MonkeyPatch"
    """
        )
    )
    res = reprec.countoutcomes()
    assert tuple(res) == (1, 0, 0), res


def test_syspath_prepend(mp: Any) -> None:
    old = list(sys.path)
    mp.syspath_prepend("world")
    mp.syspath_prepend("hello")
    assert sys.path[0] == "hello"
    assert sys.path[1] == "world"
    mp.undo()
    assert sys.path == old
    mp.undo()
    assert sys.path == old


def test_syspath_prepend_double_undo(mp: Any) -> None:
    old_syspath = sys.path[:]
    try:
        mp.syspath_prepend("hello world")
        mp.undo()
        sys.path.append("more hello world")
        mp.undo()
        assert sys.path[-1] == "more hello world"
    finally:
        sys.path[:] = old_syspath


def test_chdir_with_path_local(mp: Any, tmp_path: Path) -> None:
    mp.chdir(tmp_path)
    assert os.getcwd() == str(tmp_path)


def test_chdir_with_str(mp: Any, tmp_path: Path) -> None:
    mp.chdir(str(tmp_path))
    assert os.getcwd() == str(tmp_path)


def test_chdir_undo(mp: Any, tmp_path: Path) -> None:
    cwd = os.getcwd()
    mp.chdir(tmp_path)
    mp.undo()
    assert os.getcwd() == cwd


def test_chdir_double_undo(mp: Any, tmp_path: Path) -> None:
    mp.chdir(str(tmp_path))
    mp.undo()
    os.chdir(tmp_path)
    mp.undo()
    assert os.getcwd() == str(tmp_path)


def test_issue185_time_breaks(zenrunner: Any) -> None:
    write(
        zenrunner,
        """
        import time
        def test_m(monkeypatch):
            def f():
                raise Exception
            monkeypatch.setattr(time, "time", f)
    """,
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_importerror(zenrunner: Any) -> None:
    import textwrap

    p = zenrunner.mkpydir("package")
    p.joinpath("a.py").write_text(
        textwrap.dedent(
            """\
        import doesnotexist
        x = 1
    """
        ),
        encoding="utf-8",
    )
    zenrunner.path.joinpath("pipeline_importerror.py").write_text(
        pipelines(
            """\
        def test_importerror(monkeypatch):
            monkeypatch.setattr('package.a.x', 2)
    """
        ),
        encoding="utf-8",
    )
    result = run(zenrunner)
    result.stdout.fnmatch_lines(["*import error in package.a: No module named 'doesnotexist'*"])


class Sample:
    @staticmethod
    def hello() -> bool:
        return True


class SampleInherit(Sample):
    pass


@pytest.mark.parametrize("Sample", [Sample, SampleInherit], ids=["new", "new-inherit"])
def test_issue156_undo_staticmethod(Sample: Any) -> None:
    monkeypatch = _mp_class()()
    monkeypatch.setattr(Sample, "hello", None)
    assert Sample.hello is None
    monkeypatch.undo()
    assert Sample.hello()


def test_undo_class_descriptors_delattr() -> None:
    class SampleParent:
        @classmethod
        def hello(_cls) -> None:
            pass

        @staticmethod
        def world() -> None:
            pass

    class SampleChild(SampleParent):
        pass

    monkeypatch = _mp_class()()
    original_hello = SampleChild.hello
    original_world = SampleChild.world
    monkeypatch.delattr(SampleParent, "hello")
    monkeypatch.delattr(SampleParent, "world")
    assert getattr(SampleParent, "hello", None) is None
    assert getattr(SampleParent, "world", None) is None
    monkeypatch.undo()
    assert original_hello == SampleChild.hello
    assert original_world == SampleChild.world


def test_issue1338_name_resolving() -> None:
    pytest.importorskip("requests")
    monkeypatch = _mp_class()()
    try:
        monkeypatch.delattr("requests.sessions.Session.request")
    finally:
        monkeypatch.undo()


def test_context() -> None:
    import functools
    import inspect

    monkeypatch = _mp_class()()
    with monkeypatch.context() as m:
        m.setattr(functools, "partial", 3)
        assert not inspect.isclass(functools.partial)
    assert inspect.isclass(functools.partial)


def test_context_classmethod() -> None:
    class A:
        x = 1

    with _mp_class().context() as m:
        m.setattr(A, "x", 2)
        assert A.x == 2
    assert A.x == 1


def test_monkeypatch_undone_after_the_steps(zenrunner: Any) -> None:
    """The fixture's changes hold while the pipeline's steps run and are undone at its
    teardown (docs/guide/pytest-habits.md, "Built-in fixtures"): the pipeline analogue of
    pytest's fixture undoing at the test's end."""
    zenrunner.makepyfile(
        """
        import os
        from zenrun import pipeline, step

        @step
        def read() -> str:
            return os.environ.get("ZR_MP_VAR", "unset")

        @step
        def check(value: str) -> None:
            assert value == "patched", value

        @pipeline
        def test_a(monkeypatch):
            monkeypatch.setenv("ZR_MP_VAR", "patched")
            check(read())

        @pipeline
        def test_b():
            check(read())
        """
    )
    result = run(zenrunner, "--no-cache", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: unset", "FAILED *::test_b - *"])
