"""The zenrun plugin: options and the ``dask`` orchestrator factory.

Registered through the ``zenrun`` entry-point group; it imports dask only
when the orchestrator is used, so ``zenrun --help`` stays light.
"""

from __future__ import annotations

from typing import Any

from zenrun import hookimpl


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("dask", "the Dask orchestrator (--orchestrator dask)")
    group.addoption("--dask-address", default=None, metavar="ADDRESS",
                    help="scheduler to connect to; default: start a local cluster")
    group.addoption("--dask-workers", type=int, default=None, metavar="N",
                    help="workers of the local cluster (default: one per core)")


@hookimpl
def zenrun_make_orchestrator(config: Any, name: str) -> Any:
    if name != "dask":
        return None
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        from zenrun import UsageError

        raise UsageError(f"the dask orchestrator needs dask.distributed ({exc}); "
                         "install it with: pip install 'zenrun[dask]'") from None
    from zenrun_dask.orchestrator import DaskOrchestrator

    orchestrator = DaskOrchestrator(address=config.getoption("dask_address", None),
                                    n_workers=config.getoption("dask_workers", None))
    config.add_cleanup(orchestrator.close)
    return orchestrator


@hookimpl
def zenrun_backend_names(kind: str) -> list[str] | None:
    return ["dask"] if kind == "orchestrator" else None
