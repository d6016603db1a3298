"""The zenrun plugin: ``--view`` and the ``zenrun_visualize`` hook.

Registered through the ``zenrun`` entry-point group; dash is imported only
when the viewer is served.
"""

from __future__ import annotations

from typing import Any

from zenrun import hookimpl


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("viewer", "the Dash lineage viewer (zenrun_dash)")
    group.addoption(
        "--view",
        action="store_true",
        default=False,
        help="serve the lineage viewer for the store and exit when stopped",
    )
    group.addoption(
        "--view-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to serve on and the only host name answered (127.0.0.1); "
        "0.0.0.0 answers any (no authentication!)",
    )
    group.addoption(
        "--view-port", type=int, default=8050, metavar="PORT", help="viewer port (8050; 0 picks a free one)"
    )
    group.addoption("--view-run", default=None, metavar="RUN", help="run shown first (default: newest)")
    group.addoption(
        "--view-build",
        default=None,
        metavar="DIR",
        help="write a static, self-contained site of the runs (lineage and compare pages) into DIR and exit",
    )
    group.addoption(
        "--view-select",
        default=None,
        metavar="TEXT",
        help="with --view-build: the runs the run picker finds for TEXT (default: each item's latest run)",
    )


@hookimpl(tryfirst=True)
def zenrun_cmdline_main(config: Any) -> int | None:
    if config.getoption("view_build"):
        return _build(config)
    if not config.getoption("view"):
        return None
    from zenrun import UsageError

    port = config.getoption("view_port")
    if not 0 <= port <= 65535:
        raise UsageError(f"--view-port {port} is out of range: give a port from 0 to 65535")
    _require_dash()
    from zenrun_dash.visualizer import serve

    # Opened before serving: a damaged store stops the command with its usage error, as it
    # stops every other command (the server used to start on it).
    config.metadata_store  # noqa: B018
    host = config.getoption("view_host")
    try:
        serve(
            config,
            config.getoption("view_run"),
            host=host,
            port=port,
            log_requests=config.getoption("verbose", 0) > 0,
        )
    except OSError as exc:  # address in use, unknown host name, no permission
        raise UsageError(f"cannot serve the viewer on {host}:{port}: {exc.strerror or exc}") from None
    return 0


def _build(config: Any) -> int:
    from pathlib import Path

    from zenrun import UsageError

    _require_dash()
    from zenrun_dash.static import build

    directory = Path(config.getoption("view_build"))
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--view-build {directory}: exists and is not a directory")
    written = build(config, directory, config.getoption("view_select"))
    runs = sum(p.name.startswith("run-") for p in written)
    print(
        f"zenrun viewer site: {runs} runs, {len(written)} pages in {directory} (open {written[0]})",
        flush=True,
    )
    return 0


def _require_dash() -> None:
    try:
        import dash  # noqa: F401
        import dash_cytoscape  # noqa: F401
    except ImportError as exc:
        from zenrun import UsageError

        raise UsageError(
            f"the viewer needs dash and dash-cytoscape ({exc}); "
            "install them with: pip install 'zenrun[viewer]'"
        ) from None


@hookimpl
def zenrun_visualize(run: Any, config: Any) -> bool:
    _require_dash()
    from zenrun import api_config
    from zenrun_dash.visualizer import serve

    serve(config or api_config(), run.name)
    return True
