"""The ``capsys``, ``capsysbinary``, ``capfd``, ``capfdbinary`` and ``capteesys`` fixtures: the
output the pipeline's own code writes, read back with ``readouterr()`` (pytest's fixtures;
the capturing itself is :class:`zenrun.capture.CaptureFixture`'s)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from zenrun.capture import FIXTURE_KEY, CaptureFixture, install, installed, uninstall
from zenrun.fixtures import fixture

if TYPE_CHECKING:
    from zenrun.fixtures import FixtureRequest

__all__ = ["capfd", "capfdbinary", "capsys", "capsysbinary", "capteesys"]


def _capture_fixture(request: FixtureRequest, **kind: bool) -> Iterator[CaptureFixture[Any]]:
    name = request.fixturename or "capsys"
    stash = request.node.stash
    current = stash.get(FIXTURE_KEY)
    if current is not None:  # as pytest: one capture fixture per item
        request.raiseerror(f"cannot use {name} and {current.fixturename} at the same time")
    if not installed():  # the capture plugin is off (-p no:capture)
        install(logs=False)
        request.config.add_cleanup(uninstall)
    capture: CaptureFixture[Any] = CaptureFixture(name, **kind)
    stash[FIXTURE_KEY] = capture
    capture._start()
    try:
        yield capture
    finally:
        capture.close()
        stash.pop(FIXTURE_KEY, None)


@fixture
def capsys(request: FixtureRequest) -> Iterator[CaptureFixture[str]]:
    """What is written to ``sys.stdout`` and ``sys.stderr``, as text: ``capsys.readouterr()``
    returns ``(out, err)`` (a named tuple) and forgets it; ``capsys.disabled()`` lets output
    through meanwhile. It captures the pipeline body and fixtures, and a step it is given to."""
    yield from _capture_fixture(request)


@fixture
def capteesys(request: FixtureRequest) -> Iterator[CaptureFixture[str]]:
    """As ``capsys``, and the output also goes on as ``--capture`` says (shown, or captured
    for the report)."""
    yield from _capture_fixture(request, tee=True)


@fixture
def capsysbinary(request: FixtureRequest) -> Iterator[CaptureFixture[bytes]]:
    """As ``capsys``, as bytes (``sys.stdout.buffer`` writes too)."""
    yield from _capture_fixture(request, binary=True)


@fixture
def capfd(request: FixtureRequest) -> Iterator[CaptureFixture[str]]:
    """What reaches file descriptors 1 and 2 (C extensions, subprocesses, ``os.write``) with
    what Python writes, as text: ``capfd.readouterr()`` returns ``(out, err)``."""
    yield from _capture_fixture(request, fd=True)


@fixture
def capfdbinary(request: FixtureRequest) -> Iterator[CaptureFixture[bytes]]:
    """As ``capfd``, as bytes."""
    yield from _capture_fixture(request, fd=True, binary=True)
