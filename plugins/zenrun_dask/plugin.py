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
    group.addoption(
        "--dask-address",
        default=None,
        metavar="ADDRESS",
        help="scheduler to connect to; default: start a local cluster",
    )
    group.addoption(
        "--dask-workers",
        type=int,
        default=None,
        metavar="N",
        help="workers of the local cluster (default: -n, else one per CPU)",
    )


@hookimpl
def zenrun_make_orchestrator(config: Any, name: str) -> Any:
    if name != "dask":
        return None
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        from zenrun import UsageError

        raise UsageError(
            f"the dask orchestrator needs dask.distributed ({exc}); "
            "install it with: pip install 'zenrun[dask]'"
        ) from None
    from zenrun.remote import refuse_process_local_store
    from zenrun_dask.orchestrator import DaskOrchestrator

    address = config.getoption("dask_address", None)
    refuse_process_local_store(config, "--orchestrator dask")
    if address:
        _check_shared_store(config, address)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    announce = getattr(reporter, "write_line", None) or (lambda text: print(text, flush=True))
    orchestrator = DaskOrchestrator(
        address=address,
        config=config,
        announce=announce,
        n_workers=config.getoption("dask_workers", None) or config.getoption("numprocesses", None),
    )
    config.add_cleanup(orchestrator.close)
    return orchestrator


def _check_shared_store(config: Any, address: str) -> None:
    """Workers of a scheduler on another host cannot reach a local-path artifact store."""
    from urllib.parse import urlsplit

    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.startswith("127."):
        return
    url = getattr(config.artifact_store, "url", None)
    if url is None or url.startswith("file:") or "://" not in url:
        from zenrun import UsageError

        where = url or str(config.store_path / "artifacts")
        raise UsageError(
            f"--dask-address {address}: the artifact store {where} is a local path, which the "
            "workers of a remote scheduler cannot share; pass --artifact-store with a URL they "
            "can reach (for example s3://bucket/prefix)"
        )


@hookimpl
def zenrun_backend_names(kind: str) -> list[str] | None:
    return ["dask"] if kind == "orchestrator" else None
