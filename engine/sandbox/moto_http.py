"""moto's server app on a loopback port, in a thread of this process.

moto's own `ThreadedMotoServer` serves with socketserver's default half-second shutdown poll and never closes its
socket; a sandbox stopped here is gone in one short poll and frees its port at once.
"""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

SHUTDOWN_POLL_S = 0.02
"""How often the serving loop looks for a shutdown request."""


class MotoHttpServer:
    def __init__(self, host: str, port: int = 0) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            name=f"sandbox-moto-{self._server.server_port}",
            daemon=True,
        )

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
