"""Port of pytest's ``testing/test_cacheprovider.py`` (pytest-dev/pytest): last-failed
(``--lf``, ``--ff``, ``--lfnf``), new-first (``--nf``), ``--cache-clear``,
``--cache-show``, the store's location as a config key and the files pytest
puts in ``.pytest_cache`` (README.md, .gitignore, CACHEDIR.TAG).

``.pytest_cache`` is zenrun's store (``.zenrun``); ``config.cache.get(key)`` is
read from the store's ``v/`` folder, where zenrun keeps the same values
(``cache/lastfailed``, ``cache/nodeids``, ``cache/stepwise``). pytest's
``config.cache`` object (the ``cache`` fixture) is ``zenrun.CacheValues.for_config(config)``:
``config.cache`` is zenrun's step cache. Test functions
are written as pytest writes them and turned into pipelines by
``porting.pipelines``. Names mapped: "tests" -> "pipelines", "items" ->
"pipelines" in the ``collected`` line.

Deliberate differences kept in the expected lines: ``--co`` lists pipelines as
``<Pipeline name>`` where pytest lists ``<Function name>``.
"""

from __future__ import annotations

import os
import shutil

import pytest
from porting import bodies, module_name, pipelines, store_value


def get_cached_last_failed(zenrunner) -> list[str]:
    return sorted(store_value(zenrunner, "cache/lastfailed", {}))


def makepyfile(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[pipelines(a) for a in args], **{k: pipelines(v) for k, v in files.items()})


def cache_of(config):
    """pytest's ``config.cache``: the store's values (``config.cache`` is zenrun's step cache)."""
    import zenrun

    return zenrun.CacheValues.for_config(config)


class TestNewAPI:
    """pytest's ``config.cache`` API and ``cache`` fixture: ``zenrun.CacheValues``."""

    def test_config_cache_mkdir(self, zenrunner) -> None:
        config = zenrunner.parseconfigure()
        with pytest.raises(ValueError):
            cache_of(config).mkdir("key/name")

        p = cache_of(config).mkdir("name")
        assert p.is_dir()

    def test_config_cache_mkdir_escape(self, zenrunner) -> None:
        """`..` is a single path part, so it passes the separator check."""
        config = zenrunner.parseconfigure()
        with pytest.raises(ValueError):
            cache_of(config).mkdir("..")

    @pytest.mark.parametrize(
        "key",
        ["../escaped", "plugin/../../escaped", "/absolute/escaped", "//absolute/escaped"],
    )
    def test_cache_key_escape(self, zenrunner, key: str) -> None:
        """Keys must not resolve outside the cache's values directory."""
        config = zenrunner.parseconfigure()
        with pytest.raises(ValueError):
            cache_of(config).set(key, 1)
        with pytest.raises(ValueError):
            cache_of(config).get(key, None)

    def test_cache_key_normalized(self, zenrunner) -> None:
        """A `..` that cancels out within the values directory is fine."""
        config = zenrunner.parseconfigure()
        cache_of(config).set("plugin/sub/../value", 42)
        assert cache_of(config).get("plugin/value", None) == 42

    def test_cache_dir_permissions(self, zenrunner) -> None:
        """The store has the permissions `mkdir` gives (depending on umask) (#12308)."""
        config = zenrunner.parseconfigure()
        p = cache_of(config).mkdir("name")
        assert p.is_dir()
        assert (p.parent.stat().st_mode & 0o777) == (p.stat().st_mode & 0o777)

    def test_config_cache_dataerror(self, zenrunner) -> None:
        config = zenrunner.parseconfigure()
        cache = cache_of(config)
        with pytest.raises(TypeError):
            cache.set("key/name", cache)
        cache.set("key/name", 0)
        zenrunner.store.joinpath("v", "key", "name").write_bytes(b"123invalid")
        val = cache.get("key/name", -2)
        assert val == -2

    @pytest.mark.filterwarnings("ignore:could not create cache path")
    def test_cache_writefail_cachefile_silent(self, zenrunner) -> None:
        """A file where the store should be: setting a value does not fail (a run is a
        usage error naming it: ``TestStoreLocation``)."""
        config = zenrunner.parseconfigure()
        zenrunner.store.write_text("gone wrong", encoding="utf-8")
        cache_of(config).set("test/broken", [])

    @pytest.fixture
    def unwritable_cache_dir(self, zenrunner):
        cache_dir = zenrunner.store
        cache_dir.mkdir()
        mode = cache_dir.stat().st_mode
        cache_dir.chmod(0)
        if os.access(cache_dir, os.W_OK):
            cache_dir.chmod(mode)
            pytest.skip("Failed to make cache dir unwritable")
        yield cache_dir
        cache_dir.chmod(mode)

    @pytest.mark.filterwarnings("ignore:could not create cache path:zenrun.ZenrunCacheWarning")
    def test_cache_writefail_permissions(self, unwritable_cache_dir, zenrunner) -> None:
        config = zenrunner.parseconfigure()
        cache_of(config).set("test/broken", [])

    @pytest.mark.filterwarnings("default")
    def test_cache_failure_warns(self, zenrunner, unwritable_cache_dir) -> None:
        makepyfile(zenrunner, "def test_error(): raise Exception")
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        assert result.ret == 1
        # warnings from nodeids and lastfailed
        result.stdout.fnmatch_lines(
            [
                # Validate location/stacklevel of warning from lastfailed.
                "*= warnings summary =*",
                "*/lastfailed.py:*",
                "  */lastfailed.py:*: ZenrunCacheWarning: could not create cache path "
                f"{unwritable_cache_dir}/v/cache/nodeids: *",
                "    values(self.config).set(NODEIDS, sorted(self.cached_nodeids))",
                "*1 failed, 2 warnings in*",
            ]
        )

    def test_cache_failure_warns_for_a_file_in_the_way(self, zenrunner) -> None:
        """zenrun's: as ``test_cache_failure_warns``, where root cannot write either (a file
        where the values directory should be)."""
        makepyfile(zenrunner, "def test_error(): raise Exception")
        zenrunner.store.mkdir()
        zenrunner.store.joinpath("v").write_text("in the way", encoding="utf-8")
        result = zenrunner.runzenrun_inprocess("-p", "no:results")
        assert result.ret == 1
        result.stdout.fnmatch_lines(
            [
                "*= warnings summary =*",
                "*/lastfailed.py:*",
                "  */lastfailed.py:*: ZenrunCacheWarning: could not create cache path "
                f"{zenrunner.store}/v/cache/nodeids: *",
                "    values(self.config).set(NODEIDS, sorted(self.cached_nodeids))",
                "*1 failed, 2 warnings in*",
            ]
        )

    def test_config_cache(self, zenrunner) -> None:
        """The values are there early on (pytest: ``hasattr(config, "cache")``); pytest's
        ``pytestconfig`` is ``request.config``."""
        zenrunner.makeconftest(
            """
            import zenrun

            def zenrun_configure(config):
                # see that we get cache information early on
                assert zenrun.CacheValues.for_config(config) is not None
            """
        )
        makepyfile(
            zenrunner,
            """
            import zenrun
            def test_session(request):
                assert zenrun.CacheValues.for_config(request.config) is not None
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_cachefuncarg(self, zenrunner) -> None:
        zenrunner.makepyfile(
            bodies(
                """
                import pytest
                def test_cachefuncarg(cache):
                    val = cache.get("some/thing", None)
                    assert val is None
                    cache.set("some/thing", [1])
                    with pytest.raises(TypeError):
                        cache.get("some/thing")
                    val = cache.get("some/thing", [])
                    assert val == [1]
                """
            )
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 0
        result.stdout.fnmatch_lines(["*1 passed*"])

    def test_cachefuncarg_across_sessions(self, zenrunner) -> None:
        """zenrun's: what a pipeline sets is there in the next session; ``--cache-clear``
        forgets the values and the directories."""
        zenrunner.makepyfile(
            bodies(
                """
                def test_count(cache):
                    n = cache.get("demo/runs", 0) + 1
                    cache.set("demo/runs", n)
                    (cache.mkdir("demo") / str(n)).touch()
                    print("RUNS", n, sorted(p.name for p in cache.mkdir("demo").iterdir()))
                """
            )
        )
        for expected in ("RUNS 1 ['1']", "RUNS 2 ['1', '2']"):
            result = zenrunner.runzenrun_inprocess("-s")
            assert expected in result.stdout.str()
        result = zenrunner.runzenrun_inprocess("-s", "--cache-clear")
        assert "RUNS 1 ['1']" in result.stdout.str()


class TestStoreLocation:
    """The parts of ``TestNewAPI`` about where the cache lives: the ``store`` key."""

    def test_custom_rel_cache_dir(self, zenrunner) -> None:
        rel_cache_dir = os.path.join("custom_cache_dir", "subdir")
        zenrunner.maketoml(f'store = "{rel_cache_dir}"\n')
        makepyfile(zenrunner, pipeline_errored="def test_error():\n    assert False")
        zenrunner.runzenrun_inprocess()
        assert zenrunner.path.joinpath(rel_cache_dir).is_dir()

    def test_custom_abs_cache_dir(self, zenrunner, tmp_path_factory) -> None:
        tmp = tmp_path_factory.mktemp("tmp")
        abs_cache_dir = tmp / "custom_cache_dir"
        zenrunner.maketoml(f'store = "{abs_cache_dir}"\n')
        makepyfile(zenrunner, pipeline_errored="def test_error():\n    assert False")
        zenrunner.runzenrun_inprocess()
        assert abs_cache_dir.is_dir()

    def test_custom_cache_dir_with_env_var(self, zenrunner) -> None:
        zenrunner.maketoml('store = "$env_var"\n')
        makepyfile(zenrunner, pipeline_errored="def test_error():\n    assert False")
        zenrunner.runzenrun_inprocess(env={"env_var": "custom_cache_dir"})
        assert zenrunner.path.joinpath("custom_cache_dir").is_dir()

    def test_cache_writefail_cachefile_silent(self, zenrunner) -> None:
        """A file where the store should be: a usage error naming it, never a crash."""
        zenrunner.path.joinpath(".zenrun").write_text("gone wrong", encoding="utf-8")
        makepyfile(zenrunner, "def test_1(): pass")
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 4
        assert "INTERNALERROR" not in result.stdout + result.stderr


def test_cache_reportheader(zenrunner) -> None:
    """pytest: ``cachedir: .pytest_cache`` under -v; zenrun names its store in every header."""
    makepyfile(zenrunner, "def test_foo(): pass")
    result = zenrunner.runzenrun_inprocess("-v")
    result.stdout.fnmatch_lines([f"store: {zenrunner.store}*"])


def test_cache_reportheader_external_abspath(zenrunner, tmp_path_factory) -> None:
    external_cache = tmp_path_factory.mktemp("test_cache_reportheader_external_abspath_abs")
    makepyfile(zenrunner, "def test_hello(): pass")
    zenrunner.maketoml(f'store = "{external_cache}"\n')
    result = zenrunner.runzenrun_inprocess("-v")
    result.stdout.fnmatch_lines([f"store: {external_cache}*"])


def test_cache_show(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--cache-show")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*cache is empty*"])
    zenrunner.makeconftest(
        """
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
    )
    result = zenrunner.runzenrun_inprocess()
    assert result.ret == 5  # no pipelines executed

    result = zenrunner.runzenrun_inprocess("--cache-show")
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

    result = zenrunner.runzenrun_inprocess("--cache-show", "*/hello")
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


def test_cache_show_lastfailed(zenrunner) -> None:
    """zenrun's: the values zenrun keeps itself are shown."""
    makepyfile(zenrunner, "def test_1(): assert 0")
    assert zenrunner.runzenrun_inprocess().ret == 1
    result = zenrunner.runzenrun_inprocess("--cache-show")
    result.stdout.fnmatch_lines(
        [
            "*cachedir:*",
            "*- cache values for '[*]' -*",
            "cache/lastfailed contains:",
            f"  {{'{module_name(zenrunner)}.py::test_1': True}}",
            "cache/nodeids contains:",
            f"  ['{module_name(zenrunner)}.py::test_1']",
        ]
    )
    assert result.ret == 0
    result = zenrunner.runzenrun_inprocess("--cache-show", "*/nodeids")
    result.stdout.fnmatch_lines(["*- cache values for '[*]/nodeids' -*", "cache/nodeids contains:"])
    assert "cache/lastfailed" not in result.stdout.str()
    assert result.ret == 0


def test_cache_show_escaping_glob(zenrunner) -> None:
    """A glob with `..` must not reach outside the store."""
    zenrunner.makeconftest(
        """
        import zenrun

        def zenrun_configure(config):
            cache = zenrun.CacheValues.for_config(config)
            cache.set("my/name", [1, 2, 3])
            cache.mkdir("mydb").joinpath("hello").touch()
        """
    )
    assert zenrunner.runzenrun_inprocess().ret == 5  # no pipelines executed
    zenrunner.path.joinpath("secret.json").write_text('{"token": "s3cr3t"}', encoding="utf-8")
    result = zenrunner.runzenrun_inprocess("--cache-show", "../../../secret.json")
    assert result.ret == 0
    stdout = result.stdout.str()
    # the glob itself is echoed in the section headers, the contents are not.
    assert "s3cr3t" not in stdout
    assert "contains" not in stdout
    assert "is a file of length" not in stdout


class TestLastFailed:
    def test_lastfailed_usecase(self, zenrunner) -> None:
        p = makepyfile(
            zenrunner,
            """
            def test_1(): assert 0
            def test_2(): assert 0
            def test_3(): assert 1
            """,
        )
        result = zenrunner.runzenrun_inprocess(str(p))
        result.stdout.fnmatch_lines(["*2 failed*"])
        p = makepyfile(
            zenrunner,
            """
            def test_1(): assert 1
            def test_2(): assert 1
            def test_3(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess(str(p), "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines / 1 deselected / 2 selected",
                "run-last-failure: rerun previous 2 failures",
                "*= 2 passed, 1 deselected in *",
            ]
        )
        result = zenrunner.runzenrun_inprocess(str(p), "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 3 pipelines",
                "run-last-failure: no previously failed pipelines, not deselecting items.",
                "*1 failed*2 passed*",
            ]
        )
        zenrunner.store.joinpath(".git").mkdir(parents=True)
        result = zenrunner.runzenrun_inprocess(str(p), "--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*2 passed*"])
        assert zenrunner.store.joinpath("README.md").is_file()
        assert zenrunner.store.joinpath(".git").is_dir()

        # Run this again to make sure clear-cache is robust
        shutil.rmtree(zenrunner.store)
        result = zenrunner.runzenrun_inprocess("--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*2 passed*"])

    def test_failedfirst_order(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_a="def test_always_passes(): pass",
            pipeline_b="def test_always_fails(): assert 0",
        )
        result = zenrunner.runzenrun_inprocess()
        # Pipeline order is collection order: alphabetical
        result.stdout.fnmatch_lines(["pipeline_a.py*", "pipeline_b.py*"])
        result = zenrunner.runzenrun_inprocess("--ff")
        # Failing pipelines first
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 1 failure first",
                "pipeline_b.py*",
                "pipeline_a.py*",
            ]
        )

    def test_lastfailed_failedfirst_order(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_a="def test_always_passes(): assert 1",
            pipeline_b="def test_always_fails(): assert 0",
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["pipeline_a.py*", "pipeline_b.py*"])
        result = zenrunner.runzenrun_inprocess("--lf", "--ff")
        result.stdout.fnmatch_lines(["pipeline_b.py*"])
        result.stdout.no_fnmatch_line("*pipeline_a.py*")

    def test_lastfailed_difference_invocations(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_a="""
                def test_a1(): assert 0
                def test_a2(): assert 1
            """,
            pipeline_b="def test_b1(): assert 0",
        )
        p = zenrunner.path.joinpath("pipeline_a.py")
        p2 = zenrunner.path.joinpath("pipeline_b.py")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*2 failed*"])
        result = zenrunner.runzenrun_inprocess("--lf", p2)
        result.stdout.fnmatch_lines(["*1 failed*"])

        makepyfile(zenrunner, pipeline_b="def test_b1(): assert 1")
        result = zenrunner.runzenrun_inprocess("--lf", p2)
        result.stdout.fnmatch_lines(["*1 passed*"])
        result = zenrunner.runzenrun_inprocess("--lf", p)
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 1 deselected / 1 selected",
                "run-last-failure: rerun previous 1 failure",
                "*= 1 failed, 1 deselected in *",
            ]
        )

    def test_lastfailed_usecase_splice(self, zenrunner) -> None:
        makepyfile(zenrunner, "def test_1(): assert 0", pipeline_something="def test_2(): assert 0")
        p2 = zenrunner.path.joinpath("pipeline_something.py")
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*2 failed*"])
        result = zenrunner.runzenrun_inprocess("--lf", p2)
        result.stdout.fnmatch_lines(["*1 failed*"])
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(["*2 failed*"])

    def test_lastfailed_xpass(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test_hello():
                assert 1
            """,
        )
        zenrunner.runzenrun_inprocess()
        assert store_value(zenrunner, "cache/lastfailed", -1) == -1

    def test_non_serializable_parametrize(self, zenrunner) -> None:
        """Failed parametrized pipelines with unmarshable parameters don't break the record."""
        makepyfile(
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
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 failed in*"])

    @pytest.mark.parametrize("parent", ("directory", "package"))
    def test_terminal_report_lastfailed(self, zenrunner, parent: str) -> None:
        if parent == "package":
            zenrunner.makepyfile(__init__="")
        test_a = makepyfile(
            zenrunner,
            pipeline_a="""
            def test_a1(): pass
            def test_a2(): pass
            """,
        )
        test_b = makepyfile(
            zenrunner,
            pipeline_b="""
            def test_b1(): assert 0
            def test_b2(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 4 pipelines", "*2 failed, 2 passed in*"])

        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 1 file)",
                "*2 failed in*",
            ]
        )

        result = zenrunner.runzenrun_inprocess(test_a, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: 2 known failures not in selected pipelines",
                "*2 passed in*",
            ]
        )

        result = zenrunner.runzenrun_inprocess(test_b, "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures",
                "*2 failed in*",
            ]
        )

        result = zenrunner.runzenrun_inprocess("pipeline_b.py::test_b1", "--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure",
                "*1 failed in*",
            ]
        )

    def test_terminal_report_failedfirst(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_a="""
            def test_a1(): assert 0
            def test_a2(): pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 2 pipelines", "*1 failed, 1 passed in*"])

        result = zenrunner.runzenrun_inprocess("--ff")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 1 failure first",
                "*1 failed, 1 passed in*",
            ]
        )

    def test_lastfailed_collectfailure(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_maybe="""
            import os
            env = os.environ
            if '1' == env['FAILIMPORT']:
                raise ImportError('fail')
            def test_hello():
                assert '0' == env['FAILTEST']
            """,
        )

        def rlf(fail_import: int, fail_run: int):
            zenrunner.runzenrun_inprocess(
                "-q", env={"FAILIMPORT": str(fail_import), "FAILTEST": str(fail_run)}
            )
            return store_value(zenrunner, "cache/lastfailed", -1)

        lastfailed = rlf(fail_import=0, fail_run=0)
        assert lastfailed == -1

        lastfailed = rlf(fail_import=1, fail_run=0)
        assert list(lastfailed) == ["pipeline_maybe.py"]

        lastfailed = rlf(fail_import=0, fail_run=1)
        assert list(lastfailed) == ["pipeline_maybe.py::test_hello"]

    def test_lastfailed_failure_subset(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            pipeline_maybe="""
            import os
            env = os.environ
            if '1' == env['FAILIMPORT']:
                raise ImportError('fail')
            def test_hello():
                assert '0' == env['FAILTEST']
            """,
        )
        makepyfile(
            zenrunner,
            pipeline_maybe2="""
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

        def rlf(fail_import: int, fail_run: int, args=()):
            result = zenrunner.runzenrun_inprocess(
                "-q", "--lf", *args, env={"FAILIMPORT": str(fail_import), "FAILTEST": str(fail_run)}
            )
            return result, store_value(zenrunner, "cache/lastfailed", -1)

        result, lastfailed = rlf(fail_import=0, fail_run=0)
        assert lastfailed == -1
        result.stdout.fnmatch_lines(["*3 passed*"])

        result, lastfailed = rlf(fail_import=1, fail_run=0)
        assert sorted(lastfailed) == ["pipeline_maybe.py", "pipeline_maybe2.py"]

        result, lastfailed = rlf(fail_import=0, fail_run=0, args=("pipeline_maybe2.py",))
        assert list(lastfailed) == ["pipeline_maybe.py"]

        # edge case of selection - even if we remember failures from other pipelines we
        # still need to run all pipelines if none matches the failures
        result, lastfailed = rlf(fail_import=0, fail_run=0, args=("pipeline_maybe2.py",))
        assert list(lastfailed) == ["pipeline_maybe.py"]
        result.stdout.fnmatch_lines(["*2 passed*"])

    def test_lastfailed_creates_cache_when_needed(self, zenrunner) -> None:
        # Issue #1342
        lastfailed = zenrunner.store / "v" / "cache" / "lastfailed"
        zenrunner.makepyfile(pipeline_empty="")
        zenrunner.runzenrun_inprocess("-q", "--lf")
        assert not lastfailed.exists()

        makepyfile(zenrunner, pipeline_successful="def test_success():\n    assert True")
        zenrunner.runzenrun_inprocess("-q", "--lf")
        assert not lastfailed.exists()

        makepyfile(zenrunner, pipeline_errored="def test_error():\n    assert False")
        zenrunner.runzenrun_inprocess("-q", "--lf")
        assert lastfailed.exists()

    def test_xfail_not_considered_failure(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail
            def test(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 xfailed*"])
        assert get_cached_last_failed(zenrunner) == []

    def test_xfail_strict_considered_failure(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            """
            import pytest
            @pytest.mark.xfail(strict=True)
            def test(): pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*1 failed*"])
        assert get_cached_last_failed(zenrunner) == [f"{module_name(zenrunner)}.py::test"]

    @pytest.mark.parametrize("mark", ["mark.xfail", "mark.skip"])
    def test_failed_changed_to_xfail_or_skip(self, zenrunner, mark: str) -> None:
        makepyfile(
            zenrunner,
            """
            import pytest
            def test(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert get_cached_last_failed(zenrunner) == [f"{module_name(zenrunner)}.py::test"]
        assert result.ret == 1

        makepyfile(
            zenrunner,
            f"""
            import pytest
            @pytest.{mark}
            def test(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 0
        assert get_cached_last_failed(zenrunner) == []
        assert result.ret == 0

    @pytest.mark.parametrize("quiet", [True, False])
    @pytest.mark.parametrize("opt", ["--ff", "--lf"])
    def test_lf_and_ff_prints_no_needless_message(self, quiet: bool, opt: str, zenrunner) -> None:
        # Issue 3853
        makepyfile(zenrunner, "def test(): assert 0")
        args = [opt]
        if quiet:
            args.append("-q")
        result = zenrunner.runzenrun_inprocess(*args)
        result.stdout.no_fnmatch_line("*run all*")

        result = zenrunner.runzenrun_inprocess(*args)
        if quiet:
            result.stdout.no_fnmatch_line("*run all*")
        else:
            assert "rerun previous" in result.stdout.str()

    def test_cache_cumulative(self, zenrunner) -> None:
        """Fix failures gradually, file by file, using --lf."""
        # 1. initial run
        test_bar = makepyfile(
            zenrunner,
            pipeline_bar="""
            def test_bar_1(): pass
            def test_bar_2(): assert 0
            """,
        )
        test_foo = makepyfile(
            zenrunner,
            pipeline_foo="""
            def test_foo_3(): pass
            def test_foo_4(): assert 0
            """,
        )
        zenrunner.runzenrun_inprocess()
        assert get_cached_last_failed(zenrunner) == [
            "pipeline_bar.py::test_bar_2",
            "pipeline_foo.py::test_foo_4",
        ]

        # 2. fix test_bar_2, run only pipeline_bar.py
        makepyfile(
            zenrunner,
            pipeline_bar="""
            def test_bar_1(): pass
            def test_bar_2(): pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(test_bar)
        result.stdout.fnmatch_lines(["*2 passed*"])
        # ensure the record does not forget that test_foo_4 failed once before
        assert get_cached_last_failed(zenrunner) == ["pipeline_foo.py::test_foo_4"]

        result = zenrunner.runzenrun_inprocess("--last-failed")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "*= 1 failed in *",
            ]
        )
        assert get_cached_last_failed(zenrunner) == ["pipeline_foo.py::test_foo_4"]

        # 3. fix test_foo_4, run only pipeline_foo.py
        test_foo = makepyfile(
            zenrunner,
            pipeline_foo="""
            def test_foo_3(): pass
            def test_foo_4(): pass
            """,
        )
        result = zenrunner.runzenrun_inprocess(test_foo, "--last-failed")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 1 deselected / 1 selected",
                "run-last-failure: rerun previous 1 failure",
                "*= 1 passed, 1 deselected in *",
            ]
        )
        assert get_cached_last_failed(zenrunner) == []

        result = zenrunner.runzenrun_inprocess("--last-failed")
        result.stdout.fnmatch_lines(["*4 passed*"])
        assert get_cached_last_failed(zenrunner) == []

    def test_lastfailed_no_failures_behavior_all_passed(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            """
            def test_1(): pass
            def test_2(): pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["*2 passed*"])
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(["*2 passed*"])
        result = zenrunner.runzenrun_inprocess("--lf", "--lfnf", "all")
        result.stdout.fnmatch_lines(["*2 passed*"])

        # The list passed to zenrun_deselected is a copy, not a reference cleared after.
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
        result = zenrunner.runzenrun_inprocess("--lf", "--lfnf", "none")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines / 2 deselected / 0 selected",
                "run-last-failure: no previously failed pipelines, deselecting all items.",
                "deselected=2",
                "* 2 deselected in *",
            ]
        )
        assert result.ret == 5

    def test_lastfailed_no_failures_behavior_empty_cache(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            """
            def test_1(): pass
            def test_2(): assert 0
            """,
        )
        result = zenrunner.runzenrun_inprocess("--lf", "--cache-clear")
        result.stdout.fnmatch_lines(["*1 failed*1 passed*"])
        result = zenrunner.runzenrun_inprocess("--lf", "--cache-clear", "--lfnf", "all")
        result.stdout.fnmatch_lines(["*1 failed*1 passed*"])
        result = zenrunner.runzenrun_inprocess("--lf", "--cache-clear", "--lfnf", "none")
        result.stdout.fnmatch_lines(["*2 desel*"])

    def test_lastfailed_skip_collection(self, zenrunner) -> None:
        """--lf does not collect the files without recorded failures (#5172)."""
        makepyfile(
            zenrunner,
            **{
                "pkg1/pipeline_1": """
                import pytest

                @pytest.mark.parametrize('i', range(3))
                def test_1(i): pass
                """,
                "pkg2/pipeline_2": """
                import pytest

                @pytest.mark.parametrize('i', range(5))
                def test_1(i):
                    assert i not in (1, 3)
                """,
            },
        )
        # first run: collects 8 pipelines (pipeline_1: 3, pipeline_2: 5)
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 8 pipelines", "*2 failed*6 passed*"])
        # second run: collects only 2 pipelines from pipeline_2, all of pipeline_1 passed
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 1 file)",
                "*= 2 failed in *",
            ]
        )
        # another file: the message counts files
        makepyfile(zenrunner, **{"pkg1/pipeline_3": "def test_3(): pass"})
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: rerun previous 2 failures (skipped 2 files)",
                "*= 2 failed in *",
            ]
        )

    def test_lastfailed_skip_collection_with_nesting(self, zenrunner) -> None:
        """File skipping works when the file with failures is nested at another level."""
        makepyfile(
            zenrunner,
            **{
                "pipeline_1": "def test_1(): pass",
                "pkg/pipeline_2": "def test_2(): assert False",
            },
        )
        zenrunner.makepyfile(**{"pkg/__init__": ""})
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 2 pipelines", "*1 failed*1 passed*"])
        # second run - pipeline_1.py is skipped.
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "*= 1 failed in *",
            ]
        )

    def test_lastfailed_with_known_failures_not_being_selected(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            **{
                "pkg1/pipeline_1": "def test_1(): assert 0",
                "pkg1/pipeline_2": "def test_2(): pass",
            },
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])

        zenrunner.path.joinpath("pkg1/pipeline_1.py").unlink()
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: 1 known failures not in selected pipelines",
                "* 1 passed in *",
            ]
        )

        # Recreate the file with the known failure.
        makepyfile(zenrunner, **{"pkg1/pipeline_1": "def test_1(): assert 0"})
        result = zenrunner.runzenrun_inprocess("--lf")
        result.stdout.fnmatch_lines(
            [
                "collected 1 pipeline",
                "run-last-failure: rerun previous 1 failure (skipped 1 file)",
                "* 1 failed in *",
            ]
        )

        # Remove/rename the pipeline: the file is collected again.
        makepyfile(zenrunner, **{"pkg1/pipeline_1": "def test_renamed(): assert 0"})
        result = zenrunner.runzenrun_inprocess("--lf", "-rf")
        result.stdout.fnmatch_lines(
            [
                "collected 2 pipelines",
                "run-last-failure: 1 known failures not in selected pipelines",
                "pkg1/pipeline_1.py F *",
                "pkg1/pipeline_2.py . *",
                "FAILED pkg1/pipeline_1.py::test_renamed - *assert 0",
                "* 1 failed, 1 passed in *",
            ]
        )

        result = zenrunner.runzenrun_inprocess("--lf", "--co")
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

    def test_lastfailed_args_with_deselected(self, zenrunner) -> None:
        """--lf collects the (non-failed) ids given as arguments (NoMatch regression)."""
        makepyfile(
            zenrunner,
            **{
                "pkg1/pipeline_1": """
                    def test_pass(): pass
                    def test_fail(): assert 0
                """,
            },
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])
        assert result.ret == 1

        result = zenrunner.runzenrun_inprocess("pkg1/pipeline_1.py::test_pass", "--lf", "--co")
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

        result = zenrunner.runzenrun_inprocess(
            "pkg1/pipeline_1.py::test_pass", "pkg1/pipeline_1.py::test_fail", "--lf", "--co"
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
            ],
        )

    def test_lastfailed_with_all_filtered(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            **{
                "pkg1/pipeline_1": """
                    def test_fail(): assert 0
                    def test_pass(): pass
                """,
            },
        )
        result = zenrunner.runzenrun_inprocess()
        result.stdout.fnmatch_lines(["collected 2 pipelines", "* 1 failed, 1 passed in *"])
        assert result.ret == 1

        # Remove the known failure.
        makepyfile(zenrunner, **{"pkg1/pipeline_1": "def test_pass(): pass"})
        result = zenrunner.runzenrun_inprocess("--lf", "--co")
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

    def test_packages(self, zenrunner) -> None:
        """Package ``__init__.py`` modules are not filtered as directories (#7758)."""
        makepyfile(
            zenrunner,
            **{
                "a/__init__": "def test_a_init(): assert False",
                "a/pipeline_one": "def test_1(): assert False",
                "b/pipeline_two": "def test_2(): assert False",
            },
        )
        zenrunner.makepyfile(**{"__init__": "", "b/__init__": ""})
        zenrunner.maketoml('python_files = ["*.py"]\n')
        result = zenrunner.runzenrun_inprocess()
        result.assert_outcomes(failed=3)
        result = zenrunner.runzenrun_inprocess("--lf")
        result.assert_outcomes(failed=3)


class TestNewFirst:
    def test_newfirst_usecase(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            **{
                "pipeline_1/pipeline_1": "def test_1(): assert 1",
                "pipeline_2/pipeline_2": "def test_1(): assert 1",
            },
        )
        p1 = zenrunner.path.joinpath("pipeline_1/pipeline_1.py")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))

        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            ["*pipeline_1/pipeline_1.py::test_1 PASSED*", "*pipeline_2/pipeline_2.py::test_1 PASSED*"]
        )

        result = zenrunner.runzenrun_inprocess("-v", "--nf")
        result.stdout.fnmatch_lines(
            ["*pipeline_2/pipeline_2.py::test_1 PASSED*", "*pipeline_1/pipeline_1.py::test_1 PASSED*"]
        )

        p1.write_text(pipelines("def test_1(): assert 1\ndef test_2(): assert 1\n"), encoding="utf-8")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))

        result = zenrunner.runzenrun_inprocess("--nf", "--collect-only", "-q")
        result.stdout.fnmatch_lines(
            [
                "pipeline_1/pipeline_1.py::test_2",
                "pipeline_2/pipeline_2.py::test_1",
                "pipeline_1/pipeline_1.py::test_1",
            ]
        )

        # Newest first with a (plugin) zenrun_collection_modifyitems hook.
        zenrunner.makepyfile(
            myplugin="""
            def zenrun_collection_modifyitems(items):
                items[:] = sorted(items, key=lambda item: item.nodeid)
                print("new_items:", [x.nodeid for x in items])
            """
        )
        result = zenrunner.run("--nf", "-p", "myplugin", "--collect-only", "-q")
        result.stdout.fnmatch_lines(
            [
                "new_items: *pipeline_1.py*pipeline_1.py*pipeline_2.py*",
                "pipeline_1/pipeline_1.py::test_2",
                "pipeline_2/pipeline_2.py::test_1",
                "pipeline_1/pipeline_1.py::test_1",
            ]
        )

    def test_newfirst_parametrize(self, zenrunner) -> None:
        makepyfile(
            zenrunner,
            **{
                "pipeline_1/pipeline_1": """
                import pytest
                @pytest.mark.parametrize('num', [1, 2])
                def test_1(num): assert num
                """,
                "pipeline_2/pipeline_2": """
                import pytest
                @pytest.mark.parametrize('num', [1, 2])
                def test_1(num): assert num
                """,
            },
        )
        p1 = zenrunner.path.joinpath("pipeline_1/pipeline_1.py")
        os.utime(p1, ns=(p1.stat().st_atime_ns, int(1e9)))

        result = zenrunner.runzenrun_inprocess("-v")
        result.stdout.fnmatch_lines(
            [
                "*pipeline_1/pipeline_1.py::test_1[1*",
                "*pipeline_1/pipeline_1.py::test_1[2*",
                "*pipeline_2/pipeline_2.py::test_1[1*",
                "*pipeline_2/pipeline_2.py::test_1[2*",
            ]
        )

        result = zenrunner.runzenrun_inprocess("-v", "--nf")
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

        # Running only a subset does not forget about existing ones.
        result = zenrunner.runzenrun_inprocess("-v", "--nf", "pipeline_2/pipeline_2.py")
        result.stdout.fnmatch_lines(
            ["*pipeline_2/pipeline_2.py::test_1[1*", "*pipeline_2/pipeline_2.py::test_1[2*"]
        )

        result = zenrunner.runzenrun_inprocess("-v", "--nf")
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
    def check_readme(self, zenrunner) -> bool:
        return zenrunner.store.joinpath("README.md").is_file()

    def test_readme_passed(self, zenrunner) -> None:
        makepyfile(zenrunner, "def test_always_passes(): pass")
        zenrunner.runzenrun_inprocess()
        assert self.check_readme(zenrunner) is True

    def test_readme_failed(self, zenrunner) -> None:
        makepyfile(zenrunner, "def test_always_fails(): assert 0")
        zenrunner.runzenrun_inprocess()
        assert self.check_readme(zenrunner) is True


def test_gitignore(zenrunner) -> None:
    """The store gets a .gitignore (#3286); an existing one is not overwritten."""
    makepyfile(zenrunner, "def test_1(): assert 0")
    zenrunner.runzenrun_inprocess()
    gitignore_path = zenrunner.store.joinpath(".gitignore")
    assert gitignore_path.read_text(encoding="UTF-8") == "# Created by zenrun automatically.\n*\n"

    gitignore_path.write_text("custom", encoding="utf-8")
    zenrunner.runzenrun_inprocess()
    assert gitignore_path.read_text(encoding="UTF-8") == "custom"


def test_does_not_create_boilerplate_in_existing_dirs(zenrunner) -> None:
    zenrunner.maketoml('store = "."\n')
    makepyfile(zenrunner, "def test_1(): assert 0")
    zenrunner.runzenrun_inprocess()
    assert os.path.isdir(zenrunner.path / "v")  # values
    assert not os.path.exists(zenrunner.path / ".gitignore")
    assert not os.path.exists(zenrunner.path / "README.md")


def test_cachedir_tag(zenrunner) -> None:
    """The store gets a CACHEDIR.TAG (#4278)."""
    makepyfile(zenrunner, "def test_1(): pass")
    zenrunner.runzenrun_inprocess()
    tag = zenrunner.store.joinpath("CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55\n")


def test_clioption_with_cacheshow_and_help(zenrunner) -> None:
    result = zenrunner.runzenrun_inprocess("--cache-show", "--help")
    assert result.ret == 0
