"""A socketserver server served on a thread of this process, stopped in one short poll with its port freed."""

from __future__ import annotations

import socketserver
import threading

SHUTDOWN_POLL_S = 0.02
"""How often the serving loop looks for a shutdown request."""


class ServedInThread:
    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, name=name, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join()
        self.server.server_close()
