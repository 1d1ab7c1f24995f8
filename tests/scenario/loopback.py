"""A stand-in HTTP server on 127.0.0.1, served in a background thread for a ``with`` block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer


@contextmanager
def serving(server: HTTPServer) -> Iterator[None]:
    """Serve ``server`` in a daemon thread until the block ends, then shut it down and close it.

    Args:
        server: A server already bound to a loopback port.

    Yields:
        Nothing; the server answers while the block runs.
    """
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
