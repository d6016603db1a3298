"""xunit-style ``setup_module`` / ``teardown_module`` / ``setup_function`` / ``teardown_function``.

A pytest user's module-level set-up functions, plain functions rather than fixtures, are called
as pytest calls them: ``setup_module(module)`` before the module's first pipeline and
``teardown_module(module)`` after its last, ``setup_function(function)`` /
``teardown_function(function)`` around each pipeline, the argument optional. As in pytest they
become autouse fixtures of the module (module and pipeline scope), so their order with the other
fixtures, an error at setup, a skip and "no teardown after a failed setup" follow the fixture
rules. The ``function`` given is the pipeline as the module binds it (the ``@pipeline`` object).
unittest's ``setUpModule`` / ``tearDownModule`` are accepted as well (pytest's names).
Test classes have no pipeline analogue: ``setup_class`` / ``setup_method`` are not looked for.
"""

from __future__ import annotations

import inspect
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from zenrun.fixtures import fixture, fixture_info

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from zenrun.fixtures import FixtureManager, FixtureRequest

__all__ = ["register_xunit_fixtures"]


def _first_plain_function(module: ModuleType, names: tuple[str, ...]) -> Callable[..., Any] | None:
    """The first of ``names`` the module defines that is not already a fixture (pytest's rule:
    a ``@fixture def setup_module`` is an ordinary fixture, not called twice)."""
    for name in names:
        obj = vars(module).get(name)
        if obj is not None and callable(obj) and fixture_info(obj) is None:
            return obj  # type: ignore[no-any-return]
    return None


def _call_with_optional_argument(func: Callable[..., Any], arg: object) -> None:
    """``func(arg)`` if it takes an argument, else ``func()`` (pytest #1728: it is optional)."""
    code = getattr(func, "__code__", None)
    count = code.co_argcount if code is not None else 1
    if inspect.ismethod(func):
        count -= 1
    if count:
        func(arg)
    else:
        func()


def register_xunit_fixtures(manager: FixtureManager, module: ModuleType, path: Path) -> None:
    """Register the module's xunit functions as autouse fixtures seen by its pipelines only."""
    setup_module = _first_plain_function(module, ("setUpModule", "setup_module"))
    teardown_module = _first_plain_function(module, ("tearDownModule", "teardown_module"))
    setup_function = _first_plain_function(module, ("setup_function",))
    teardown_function = _first_plain_function(module, ("teardown_function",))
    fixtures: dict[str, Any] = {}
    # Named as pytest names them; the leading "_" keeps them out of --fixtures without -v.
    if setup_module is not None or teardown_module is not None:
        name = f"_xunit_setup_module_fixture_{module.__name__}"

        def xunit_setup_module_fixture(request: FixtureRequest) -> Iterator[None]:
            target = request.module
            if setup_module is not None:
                _call_with_optional_argument(setup_module, target)
            yield
            if teardown_module is not None:
                _call_with_optional_argument(teardown_module, target)

        fixtures[name] = fixture(scope="module", autouse=True, name=name)(xunit_setup_module_fixture)
    if setup_function is not None or teardown_function is not None:
        name = f"_xunit_setup_function_fixture_{module.__name__}"

        def xunit_setup_function_fixture(request: FixtureRequest) -> Iterator[None]:
            # The pipeline as the module binds it (``@pipeline`` object, which carries the
            # function's name): what ``setup_function(function)`` sets on it, the pipeline body
            # reads back through the module's name, as with pytest's test function.
            function = getattr(request.node, "target", None) or request.function
            if setup_function is not None:
                _call_with_optional_argument(setup_function, function)
            yield
            if teardown_function is not None:
                _call_with_optional_argument(teardown_function, function)

        fixtures[name] = fixture(scope="pipeline", autouse=True, name=name)(xunit_setup_function_fixture)
    if fixtures:
        manager.parse(SimpleNamespace(**fixtures), path)
