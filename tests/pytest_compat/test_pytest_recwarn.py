"""Port of pytest's ``testing/test_recwarn.py`` (pytest-dev/pytest): the ``recwarn`` built-in
fixture and its ``WarningsRecorder``. ``recwarn`` here is zenrun's (the fixture below), not
pytest's. Not ported (README.md): ``TestDeprecatedCall`` and ``TestWarns`` (``pytest.warns`` /
``pytest.deprecated_call``: zenrun has no ``zenrun.warns``; a step asserts on warnings with
``recwarn`` or Python's ``warnings.catch_warnings``); ``TestSubclassWarningPop`` is ported with a
``WarningsRecorder`` in place of ``pytest.warns``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from porting import pipelines

from zenrun.recwarn import WarningsRecorder


@pytest.fixture
def recwarn() -> Iterator[WarningsRecorder]:
    # zenrun's fixture body in place of pytest's fixture of that name
    wrec = WarningsRecorder()
    with wrec:
        warnings.simplefilter("default")
        yield wrec


def test_recwarn_stacklevel(recwarn: WarningsRecorder) -> None:
    warnings.warn("hello")
    warn = recwarn.pop()
    assert warn.filename == __file__


def test_recwarn_functional(zenrunner) -> None:
    zenrunner.makepyfile(
        pipelines(
            """
import warnings
def test_method(recwarn):
    warnings.warn("hello")
    warn = recwarn.pop()
    assert isinstance(warn.message, UserWarning)
"""
        )
    )
    zenrunner.runzenrun_inprocess().assert_outcomes(passed=1)


def test_recwarn_in_a_step(zenrunner) -> None:
    # zenrun's own: a step given recwarn sees the warnings it gives (it is never cached).
    zenrunner.makepyfile(
        """
import warnings
from zenrun import pipeline, step

@step
def warns_and_checks(recwarn) -> None:
    warnings.warn("from a step")
    assert [str(w.message) for w in recwarn] == ["from a step"]

@pipeline
def test_step(recwarn):
    warns_and_checks(recwarn)
"""
    )
    result = zenrunner.runzenrun_inprocess()
    result.assert_outcomes(passed=1)
    assert zenrunner.runzenrun_inprocess().ret == 0


def test_recwarn_captures_deprecation_warning(recwarn: WarningsRecorder) -> None:
    warnings.warn(DeprecationWarning("some deprecation"))
    assert len(recwarn) == 1
    assert recwarn.pop(DeprecationWarning)


class TestSubclassWarningPop:
    class ParentWarning(Warning):
        pass

    class ChildWarning(ParentWarning):
        pass

    class ChildOfChildWarning(ChildWarning):
        pass

    @staticmethod
    def raise_warnings_from_list(_warnings: list[type[Warning]]):
        for warn in _warnings:
            warnings.warn(f"Warning {warn().__repr__()}", warn)

    def test_pop_finds_exact_match(self):
        with WarningsRecorder() as record:
            self.raise_warnings_from_list([self.ChildWarning, self.ParentWarning, self.ChildOfChildWarning])
        assert len(record) == 3
        _warn = record.pop(self.ParentWarning)
        assert _warn.category is self.ParentWarning

    def test_pop_raises_if_no_match(self):
        with pytest.raises(AssertionError):
            with WarningsRecorder() as record:
                self.raise_warnings_from_list([self.ParentWarning])
            record.pop(self.ChildOfChildWarning)

    def test_pop_finds_best_inexact_match(self):
        with WarningsRecorder() as record:
            self.raise_warnings_from_list(
                [self.ChildOfChildWarning, self.ChildWarning, self.ChildOfChildWarning]
            )
        _warn = record.pop(self.ParentWarning)
        assert _warn.category is self.ChildWarning


class TestWarningsRecorderChecker:
    def test_recording(self) -> None:
        rec = WarningsRecorder()
        with rec:
            assert not rec.list
            warnings.warn_explicit("hello", UserWarning, "xyz", 13)
            assert len(rec.list) == 1
            warnings.warn(DeprecationWarning("hello"))
            assert len(rec.list) == 2
            warn = rec.pop()
            assert str(warn.message) == "hello"
            values = rec.list
            rec.clear()
            assert len(rec.list) == 0
            assert values is rec.list
            with pytest.raises(AssertionError):
                rec.pop()

    def test_warn_stacklevel(self) -> None:
        rec = WarningsRecorder()
        with rec:
            warnings.warn("test", DeprecationWarning, 2)

    def test_invalid_enter_exit(self) -> None:
        with pytest.raises(RuntimeError):
            with WarningsRecorder() as rec:
                with rec:
                    pass  # can't enter twice
        with pytest.raises(RuntimeError):
            rec = WarningsRecorder()
            rec.__exit__(None, None, None)  # can't exit before entering
