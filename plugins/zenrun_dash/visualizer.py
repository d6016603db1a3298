"""Serving the viewer: the seed's ``PipelineRunLineageVisualizer().visualize(run)`` and ``--view``.

The server answers only requests addressed to the served host (the ``Host``
header), which stops a web page from reaching it through DNS rebinding; it
logs requests only when asked (``-v``).
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_ADDRESS = ("", "0.0.0.0", "::")


@dataclass
class ViewerServer:
    """A viewer served on a background thread (``visualize(..., block=False)``)."""

    url: str
    _server: Any
    _thread: threading.Thread

    def shutdown(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """``Host`` header values the server answers; None (any) when it binds every address."""
    if host in ANY_ADDRESS:
        return None
    names = set(LOOPBACK_NAMES) | {host} if is_loopback(host) else {host}
    allowed = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        allowed |= {f"{shown}:{port}".lower()} | ({shown.lower()} if port == 80 else set())
    return allowed


def host_guard(wsgi_app: Callable[..., Iterable[bytes]], allowed: set[str] | None) -> Callable[..., Any]:
    """Refuse (403) requests whose ``Host`` header is not one of ``allowed`` (DNS rebinding)."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if allowed is not None and environ.get("HTTP_HOST", "").lower() not in allowed:
            body = (
                b"zenrun viewer: refused a request for another host name; "
                b"open the address the viewer printed, or serve with --view-host NAME\n"
            )
            start_response(
                "403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return wsgi_app(environ, start_response)

    return guarded


def serve(
    config: Any,
    run_name: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8050,
    block: bool = True,
    log_requests: bool = False,
) -> ViewerServer | None:
    """Serve the viewer for ``config``'s store; blocks unless ``block=False``."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from zenrun_dash.app import make_app

    class Handler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            if log_requests:
                super().log_request(*args, **kwargs)

    app = make_app(config, initial_run=run_name)
    server = make_server(host, port, app.server, threaded=True, request_handler=Handler)
    server.app = host_guard(app.server, allowed_hosts(host, server.server_port))
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}/"
    if not is_loopback(host):
        print(
            f"warning: the zenrun viewer on {url} has no authentication: anyone who can reach "
            "this address can read your runs and artifacts",
            file=sys.stderr,
            flush=True,
        )
    if block:
        print(f"zenrun viewer on {url} (Ctrl+C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return None
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="zenrun-viewer")
    thread.start()
    return ViewerServer(url, server, thread)


class PipelineRunLineageVisualizer:
    """Draws a recorded run's lineage in the browser, at http://127.0.0.1:8050/ by default."""

    def visualize(
        self, run: Any, *, host: str = "127.0.0.1", port: int = 8050, block: bool = True
    ) -> ViewerServer | None:
        from zenrun import api_config

        return serve(api_config(), run.name, host=host, port=port, block=block)
