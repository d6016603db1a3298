"""gzip for every response the viewer sends: pages, callbacks, Dash's scripts and the assets.

The lineage page of a large run and the compare page's scripts are megabytes
of JSON and JavaScript that compress five- to tenfold; browsers always ask
for gzip (``Accept-Encoding``).
"""

from __future__ import annotations

import gzip
from typing import Any

MIN_SIZE = 500  # bytes: below this gzip's header costs more than it saves
LEVEL = 6  # zlib's default: most of the gain, a fraction of level 9's time


def install(server: Any) -> None:
    """Compress the responses of the Flask ``server`` for clients that accept gzip."""

    @server.after_request
    def gzip_response(response: Any) -> Any:
        from flask import request

        if (
            "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or response.status_code != 200
            or "Content-Encoding" in response.headers
        ):
            return response
        response.direct_passthrough = False  # a file sent from disk: read it to compress it
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.get_data()))
        response.vary.add("Accept-Encoding")
        if response.headers.get("ETag"):  # another representation than the plain one
            response.set_etag(response.get_etag()[0] + "-gzip")
        return response
