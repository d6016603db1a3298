"""Port of pytest's ``testing/python/integration.py`` (pytest-dev/pytest).

``unittest.mock`` decorators on pipelines, ``__test__ = False``, ids functions
of parametrize marks and fixtures, ``zenrun.param`` marks. Test sources are
written as pytest writes them and turned into pipeline modules by
``porting.pipelines`` (the assertion runs in the ``check`` step). A mock patch
decorating a pipeline is active while its body runs, so the mocked calls of
pytest's tests are made in the body (where they are in pytest's test); the
checks of their results run in the ``check`` step. ``@pipeline`` is put above the
other decorators of a function (``outermost``). pytest's hook recorder
(``getreports`` / ``getcalls``) is ported as the ``-v`` / ``--co -q`` lines.

The cases on test classes (``TestMockDecoration::test_unittest_mock``,
``test_mock_sentinel_check_against_numpy_like``, ``test_mock``) are ported at
module level. Not applicable: ``test_unittest_mock_and_pypi_mock`` and
``test_mock_double_patch_issue473`` (classes, and the ``mock`` package from
PyPI, which pytest's own run skips when it is missing: its ``mock.patch`` is
``unittest.mock.patch``); ``TestReRunTests::test_rerun`` (pytest's private
``runtestprotocol``); ``test_pytestconfig_is_session_scoped`` (zenrun has no
``pytestconfig`` fixture: ``request.config``); ``TestNoselikeTestAttribute::
test_unittest_class`` and ``test_function_instance`` (unittest and test
classes, ``item.instance``).
"""

from __future__ import annotations

import textwrap

import pytest
from porting import pipelines


def outermost(src: str) -> str:
    """``porting.pipelines(src)`` with each ``@pipeline`` moved above the decorators of its
    function: a decorator that wraps the function (``mock.patch``) goes under ``@pipeline``,
    as zenrun asks (above it, it would wrap the pipeline object, which is then not collected)."""
    lines = pipelines(src).splitlines()
    out: list[str] = []
    for line in lines:
        if line == "@pipeline":
            at = len(out)
            while at and out[at - 1].startswith("@"):
                at -= 1
            out.insert(at, line)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def write(zenrunner, *args, **files):
    return zenrunner.makepyfile(*[outermost(a) for a in args], **{k: outermost(v) for k, v in files.items()})


def test_wrapped_getfslineno(zenrunner) -> None:
    """pytest unwraps a decorated test function to find its file and line (``getfslineno``);
    here the skip line of a pipeline wrapped by a decorator from another module names the
    pipeline's module and line, not the decorator's."""
    zenrunner.makepyfile(
        helpers="""
import functools

def wrap(f):
    @functools.wraps(f)
    def func(*args, **kwargs):
        return f(*args, **kwargs)
    return func
"""
    )
    p = write(
        zenrunner,
        """
        import pytest
        from helpers import wrap

        @pytest.mark.skip(reason="here")
        @wrap
        def test_wrapped_func():
            pass
        """,
    )
    # as pytest's: the function's first line, its first decorator's (here ``@pipeline``)
    line = next(n for n, text in enumerate(p.read_text().splitlines(), 1) if text == "@pipeline")
    result = zenrunner.runzenrun_inprocess("-rs", "-p", "no:results")
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] {p.name}:{line}: here"])


class TestMockDecoration:
    def test_wrapped_getfuncargnames(self, zenrunner) -> None:
        """A wrapper's ``__wrapped__`` gives the pipeline's arguments (pytest's
        ``getfuncargnames``): ``x`` is the fixture of the wrapped function."""
        write(
            zenrunner,
            """
            import pytest

            def wrap(f):
                def func():
                    pass
                func.__wrapped__ = f
                return f

            @pytest.fixture
            def x():
                return 42

            @wrap
            def test_f(x):
                assert x == 42
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_getfuncargnames_patching(self, zenrunner) -> None:
        """The argument ``patch.object`` passes is not a fixture: ``y`` and ``z`` are."""
        write(
            zenrunner,
            """
            import pytest
            from unittest.mock import patch

            class T:
                def original(self, x, y, z):
                    pass

            @pytest.fixture
            def y():
                return "y"

            @pytest.fixture
            def z():
                return "z"

            @patch.object(T, "original")
            def test_f(x, y, z):
                assert (y, z) == ("y", "z")
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_unittest_mock(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import unittest.mock
            @unittest.mock.patch("os.path.abspath")
            def test_hello(abspath):
                import os
                os.path.abspath("hello")
                abspath.assert_any_call("hello")
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_unittest_mock_and_fixture(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import os.path
            import unittest.mock
            import pytest

            @pytest.fixture
            def inject_me():
                pass

            @unittest.mock.patch.object(os.path, "abspath", new=unittest.mock.MagicMock)
            def test_hello(inject_me):
                import os
                os.path.abspath("hello")
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_mock_sentinel_check_against_numpy_like(self, zenrunner) -> None:
        """Mock arguments are detected comparing against sentinels by identity, for objects
        that cannot be compared with equality in a truth context, like numpy arrays (#5606)."""
        zenrunner.makepyfile(
            dummy="""
class NumpyLike:
    def __init__(self, value):
        self.value = value
    def __eq__(self, other):
        raise ValueError("like numpy, cannot compare against others for truth")
FOO = NumpyLike(10)
"""
        )
        write(
            zenrunner,
            """
            from unittest.mock import patch
            import dummy
            @patch("dummy.FOO", new=dummy.NumpyLike(50))
            def test_hello():
                assert dummy.FOO.value == 50
            """,
        )
        zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)

    def test_mock(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import os
            from unittest import mock

            def mock_basename(path):
                return "mock_basename"

            @mock.patch("os.path.abspath")
            @mock.patch("os.path.normpath")
            @mock.patch("os.path.basename", new=mock_basename)
            def test_something(normpath, abspath, tmp_path):
                abspath.return_value = "this"
                os.path.normpath(os.path.abspath("hello"))
                normpath.assert_any_call("this")
                assert os.path.basename("123") == "mock_basename"
            """,
        )
        result = zenrunner.runzenrun_inprocess("-v")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*::test_something PASSED*"])

    def test_mock_sorting(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import os
            from unittest import mock

            @mock.patch("os.path.abspath")
            def test_one(abspath):
                pass
            @mock.patch("os.path.abspath")
            def test_two(abspath):
                pass
            @mock.patch("os.path.abspath")
            def test_three(abspath):
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess("-v", "-p", "no:results")
        names = [line.split("::")[-1].split()[0] for line in result.stdout.lines if " PASSED" in line]
        assert names == ["test_one", "test_two", "test_three"]


class TestNoselikeTestAttribute:
    def test_module_with_global_test(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            __test__ = False
            def test_hello():
                pass
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.fnmatch_lines(["collected 0 pipelines"])
        result.stdout.no_fnmatch_line("*error*")

    def test_class_and_method(self, zenrunner) -> None:
        """pytest's class part left out."""
        write(
            zenrunner,
            """
            __test__ = True
            def test_func():
                pass
            test_func.__test__ = False
            """,
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.fnmatch_lines(["collected 0 pipelines"])
        result.stdout.no_fnmatch_line("*error*")

    def test_class_with_nasty_getattr(self, zenrunner) -> None:
        """Classes with a custom nasty __getattr__ (one that returns a function, like an RPC
        wrapper) are not taken for pipelines (#1204)."""
        zenrunner.makepyfile(
            """
class MetaModel(type):

    def __getattr__(cls, key):
        return lambda: None


BaseModel = MetaModel('Model', (), {})


class Model(BaseModel):

    __metaclass__ = MetaModel

    def test_blah(self):
        pass
"""
        )
        result = zenrunner.runzenrun_inprocess()
        assert result.ret == 5
        result.stdout.fnmatch_lines(["collected 0 pipelines"])
        result.stdout.no_fnmatch_line("*error*")


class TestParameterize:
    """#351"""

    def test_idfn_marker(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest

            def idfn(param):
                if param == 0:
                    return 'spam'
                elif param == 1:
                    return 'ham'
                else:
                    return None

            @pytest.mark.parametrize('a,b', [(0, 2), (1, 2)], ids=idfn)
            def test_params(a, b):
                pass
            """,
        )
        res = zenrunner.runzenrun_inprocess("--collect-only")
        res.stdout.fnmatch_lines(["*spam-2*", "*ham-2*"])

    def test_idfn_fixture(self, zenrunner) -> None:
        write(
            zenrunner,
            """
            import pytest

            def idfn(param):
                if param == 0:
                    return 'spam'
                elif param == 1:
                    return 'ham'
                else:
                    return None

            @pytest.fixture(params=[0, 1], ids=idfn)
            def a(request):
                return request.param

            @pytest.fixture(params=[1, 2], ids=idfn)
            def b(request):
                return request.param

            def test_params(a, b):
                pass
            """,
        )
        res = zenrunner.runzenrun_inprocess("--collect-only")
        res.stdout.fnmatch_lines(["*spam-2*", "*ham-2*"])

    @pytest.mark.xfail(
        strict=True,
        reason="zenrun honours a usefixtures mark in zenrun.param (the fixture is set up for that "
        "parameter set); pytest.param rejects it with a ValueError",
    )
    def test_param_rejects_usefixtures(self, zenrunner) -> None:
        source = textwrap.dedent(
            """\
            import zenrun
            from zenrun import pipeline, step

            @zenrun.mark.parametrize("x", [
                zenrun.param(1, marks=[zenrun.mark.usefixtures("foo")]),
            ])
            @pipeline
            def test_foo(x):
                pass
            """
        )
        p = zenrunner.makepyfile(source)
        res = zenrunner.runzenrun_inprocess("--collect-only")
        res.stdout.fnmatch_lines([f"*{p.name}:4*", "*zenrun.param(*"])
