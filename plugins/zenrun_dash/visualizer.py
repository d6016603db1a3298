"""The seed's entry point: ``PipelineRunLineageVisualizer().visualize(run)``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class ViewerServer:
    """A viewer served on a background thread (``visualize(..., block=False)``)."""

    url: str
    _server: Any
    _thread: threading.Thread

    def shutdown(self) -> None:
        self._server.shutdown()
        self._thread.join()


def serve(config: Any, run_name: str | None = None, host: str = "127.0.0.1", port: int = 8050,
          block: bool = True) -> ViewerServer | None:
    """Serve the viewer for ``config``'s store; blocks unless ``block=False``."""
    from werkzeug.serving import make_server

    from zenrun_dash.app import make_app

    app = make_app(config, initial_run=run_name)
    server = make_server(host, port, app.server, threaded=True)
    url = f"http://{host}:{server.server_port}/"
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

    def visualize(self, run: Any, *, host: str = "127.0.0.1", port: int = 8050,
                  block: bool = True) -> ViewerServer | None:
        from zenrun.config import api_config

        return serve(api_config(), run.name, host=host, port=port, block=block)
